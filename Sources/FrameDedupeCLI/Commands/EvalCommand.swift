import ArgumentParser
import Foundation
import FrameDedupe
import FrameDedupeEvaluation

/// `framededupe eval`: scores result folders against ground truth (scene boundaries, content clusters, exemplars).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score result folders against ground truth: scene boundaries, content clusters and exemplars.",
        discussion: """
            Ground truth is a JSON file per clip (schema version 1, as scripts/make-devset.py writes it): shots \
            with start, end and content group, and labelled transitions.

            Scene boundaries (each scene's start but the first) are matched one to one, closest first, to the \
            truth's within --tolerance; a true boundary inside a labelled transition matches anywhere in the \
            transition widened by the tolerance, and unmatched detections there are not counted as false. \
            Content clusters are compared with content groups on the sampled frames of scenes.json (frames \
            inside labelled transitions left out; a frame without a cluster counts as a cluster of its own): \
            pairwise precision, recall, F1 and the adjusted Rand index. Exemplars are the images in unique/: \
            coverage is the share of content groups with an exemplar in one of their shots, redundancy the \
            share of exemplars beyond one per covered group. An empty denominator gives 1 (0 for redundancy).

            Totals: boundaries micro-averaged (counts summed), cluster pairs summed, ARI, coverage and \
            redundancy pooled over all clips and as the mean over clips.

            Typed transitions: where the truth lists its events (every cut, dissolve, fade and flash with its \
            first and last frame), the transitions of scenes.json are matched to them one to one, closest \
            start first, within the tolerance: a match of the same type is found (its start and end errors \
            are kept), of another type mistyped; the rest are missed or false. A table per type follows.

            EXAMPLES:
              One clip:
                framededupe eval --truth clip.mp4.truth.json clip.framededupe
              A labelled set, results in results/<clip>/, scores as JSON too:
                framededupe eval --truth-dir .cache/devset results --report scores.json
              Frame-exact, one frame either way:
                framededupe eval --truth-dir .cache/devset results --tolerance-frames 1
            """)

    @Option(help: ArgumentHelp("One clip's ground-truth file; <results> is then that clip's result folder.", valueName: "file"))
    var truth: String?

    @Option(help: ArgumentHelp("A folder of ground-truth files (*.truth.json); each is scored against the result folder <results>/<its \"clip\">.", valueName: "dir"))
    var truthDir: String?

    @Argument(help: ArgumentHelp("The result folder of 'framededupe run' (with --truth), or the folder holding one result folder per clip, named as the truth's \"clip\" (with --truth-dir).", valueName: "results"))
    var results: String

    @Option(help: ArgumentHelp("Seconds within which a detected scene boundary matches a true one (inclusive), 0 to 60.", valueName: "seconds"))
    var tolerance: Double?

    @Option(help: ArgumentHelp("The tolerance in frames of each clip's frame rate (the truth's \"fps\") instead of seconds: 1 scores frame-exact boundaries and transitions, allowing one frame either way. A clip of variable frame rate (no \"fps\") is scored with --tolerance, which must then be given.", valueName: "frames"))
    var toleranceFrames: Double?

    @Option(help: ArgumentHelp("Also write the scores as JSON to this file, or '-' for standard output (the table then goes to stderr).", valueName: "file"))
    var report: String?

    @Flag(help: "With --truth-dir: leave out clips whose result folder is missing (warned about, listed under \"skipped\" in the report) instead of failing.")
    var skipMissing = false

    @Flag(name: .shortAndLong, help: "No table (errors and warnings are still printed; --report is still written).")
    var quiet = false

    func validate() throws {
        if (truth == nil) == (truthDir == nil) { throw ValidationError("give exactly one of --truth FILE and --truth-dir DIR") }
        if let tolerance, !(0...60).contains(tolerance) { throw ValidationError("--tolerance must be 0 to 60 seconds, got \(tolerance)") }
        if let toleranceFrames, !(0...1000).contains(toleranceFrames) { throw ValidationError("--tolerance-frames must be 0 to 1000 frames, got \(toleranceFrames)") }
        if skipMissing && truthDir == nil { throw ValidationError("--skip-missing applies to --truth-dir only") }
    }

    func run() throws {
        let evaluation: Evaluation
        do { evaluation = try evaluate() } catch {
            Terminal.error(error.description)
            throw Failure(status: .inputUnreadable)
        }
        let table = EvalCommand.table(evaluation)
        do {
            if let report, report == "-" {
                if !quiet { Terminal.write(table) }
                try StandardOutput.writeLine(String(evaluation.reportJSON().dropLast()))
            } else {
                if !quiet { try StandardOutput.writeLine(String(table.dropLast())) }
                if let report { try writeAtomically(evaluation.reportJSON(), to: URL(fileURLWithPath: report)) }
            }
        } catch {
            if error.path == StandardOutput.name, error.reason == StandardOutput.closed { throw Failure(status: .ok) }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }

    /// Reads the truth file(s) and result folder(s) and scores them.
    private func evaluate() throws(EvaluationInputError) -> Evaluation {
        let root = URL(fileURLWithPath: results, isDirectory: true)
        // The tolerance of a clip, seconds: --tolerance, or --tolerance-frames of the clip's frame rate.
        func seconds(for truth: GroundTruth, file: URL) throws(EvaluationInputError) -> Double {
            guard let toleranceFrames else { return tolerance ?? Evaluation.defaultTolerance }
            if truth.fps == nil, let tolerance { return tolerance }
            return try Evaluation.tolerance(frames: toleranceFrames, truth: truth, name: file.path)
        }
        if let truth {
            let url = URL(fileURLWithPath: truth)
            let groundTruth = try GroundTruth(contentsOf: url)
            let name = groundTruth.clip ?? EvalCommand.clipName(ofTruthFile: url.lastPathComponent)
            let clipTolerance = try seconds(for: groundTruth, file: url)
            return Evaluation(tolerance: clipTolerance, toleranceFrames: toleranceFrames,
                              clips: [ClipEvaluation(clip: name, truth: groundTruth, result: try ClipResult(folder: root), tolerance: clipTolerance)])
        }
        let folder = URL(fileURLWithPath: truthDir ?? ".", isDirectory: true)
        let truthFiles = try GroundTruth.files(in: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw EvaluationInputError(path: root.path, reason: "no such folder (the folder holding one result folder per clip)")
        }
        var clips: [ClipEvaluation] = [], skipped: [String] = []
        for url in truthFiles {
            let file = url.lastPathComponent
            let groundTruth = try GroundTruth(contentsOf: url)
            guard let clip = groundTruth.clip, !clip.isEmpty else {
                throw EvaluationInputError(path: url.path, reason: "clip: missing (it names the clip's result folder under \(root.path))")
            }
            let resultFolder = root.appendingPathComponent(clip, isDirectory: true)
            if !FileManager.default.fileExists(atPath: resultFolder.path) {
                guard skipMissing else {
                    throw EvaluationInputError(path: resultFolder.path, reason: "no result folder for \(file) (run framededupe on the clip with -o there, or pass --skip-missing)")
                }
                Terminal.warning(resultFolder.path, "no result folder; \(clip) skipped")
                skipped.append(clip)
                continue
            }
            clips.append(ClipEvaluation(clip: clip, truth: groundTruth, result: try ClipResult(folder: resultFolder),
                                        tolerance: try seconds(for: groundTruth, file: url)))
        }
        guard !clips.isEmpty else { throw EvaluationInputError(path: root.path, reason: "no result folder for any truth file in \(folder.path)") }
        return Evaluation(tolerance: clips.map(\.tolerance).max() ?? Evaluation.defaultTolerance, toleranceFrames: toleranceFrames,
                          clips: clips, skipped: skipped)
    }

    /// `clip.mp4.truth.json` → `clip.mp4`; any other name → itself without `.json`.
    static func clipName(ofTruthFile name: String) -> String {
        for suffix in [".truth.json", ".json"] where name.hasSuffix(suffix) && name.count > suffix.count { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// The scores as a table: a row per clip, the totals, the means over clips, and what each total is.
    static func table(_ e: Evaluation) -> String {
        struct Group { let title: String; let columns: [String] }
        let groups = [
            Group(title: "scene boundaries (±\(e.toleranceFrames.map { "\(formatted($0)) frame" + ($0 == 1 ? "" : "s") } ?? "\(formatted(e.tolerance)) s"))", columns: ["TP", "FP", "FN", "ign", "prec", "recall", "F1"]),
            Group(title: "cluster pairs on sampled frames", columns: ["frames", "prec", "recall", "F1", "ARI"]),
            Group(title: "exemplars in unique/", columns: ["kept", "groups", "cover", "redund"]),
        ]
        func ratio(_ v: Double) -> String { String(format: "%.3f", v) }
        func cells(_ b: BoundaryScore, _ c: ClusterAgreement, _ x: ExemplarScore) -> [String] {
            [String(b.truePositives), String(b.falsePositives), String(b.falseNegatives), String(b.ignoredDetections),
             ratio(b.precision), ratio(b.recall), ratio(b.f1),
             String(c.frames), ratio(c.precision), ratio(c.recall), ratio(c.f1), ratio(c.adjustedRandIndex),
             String(x.exemplars), String(x.groups), ratio(x.coverage), ratio(x.redundancy)]
        }
        var rows: [(String, [String])] = e.clips.map { ($0.clip, cells($0.boundaries, $0.clusters, $0.exemplars)) }
        let totalRow = rows.count
        rows.append(("total", cells(e.boundaries, e.clusters, e.exemplars)))
        // Means only where they are reported: ARI, coverage and redundancy.
        func blank(_ n: Int) -> [String] { [String](repeating: "", count: n) }
        func mean(_ v: Double?) -> String { v.map(ratio) ?? "" }
        rows.append(("mean over clips", blank(7) + blank(4) + [mean(e.meanAdjustedRandIndex)] + blank(2) + [mean(e.meanCoverage), mean(e.meanRedundancy)]))

        let titles = groups.flatMap(\.columns)
        var widths = titles.indices.map { i in rows.reduce(titles[i].count) { max($0, $1.1[i].count) } }
        let nameWidth = rows.reduce(4) { max($0, $1.0.count) }
        // Widen a group's last column when its title is longer than its columns.
        var first = 0
        for group in groups {
            let span = group.columns.indices.reduce(-2) { $0 + widths[first + $1] + 2 }
            if group.title.count > span { widths[first + group.columns.count - 1] += group.title.count - span }
            first += group.columns.count
        }
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + fill : fill + s
        }
        var out = pad("", nameWidth)
        first = 0
        for group in groups {
            let span = group.columns.indices.reduce(-2) { $0 + widths[first + $1] + 2 }
            out += "  " + pad(group.title, span, left: true)
            first += group.columns.count
        }
        out = out.trimmingTrailingSpaces() + "\n"
        func line(_ name: String, _ values: [String]) -> String {
            (pad(name, nameWidth, left: true) + values.indices.map { "  " + pad(values[$0], widths[$0]) }.joined()).trimmingTrailingSpaces() + "\n"
        }
        out += line("clip", titles)
        for (i, row) in rows.enumerated() {
            if i == totalRow { out += String(repeating: "-", count: nameWidth + widths.reduce(0) { $0 + $1 + 2 }) + "\n" }
            out += line(row.0, row.1)
        }
        out += "total: boundaries micro-averaged (TP, FP, FN summed); cluster pairs summed; ARI, coverage and redundancy pooled over all clips.\n"
        out += "ign: unmatched detections inside a labelled transition (not counted as false). mean over clips: unweighted.\n"
        if !e.skipped.isEmpty { out += "skipped (no result folder): " + e.skipped.joined(separator: ", ") + "\n" }
        if let transitions = e.transitions { out += "\n" + transitionTable(transitions) }
        return out
    }

    /// The typed transitions pooled over the clips whose truth has events: a row per kind.
    static func transitionTable(_ t: TransitionScore) -> String {
        func ratio(_ v: Double) -> String { String(format: "%.3f", v) }
        func error(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        let columns = ["labelled", "found", "mistyped", "missed", "false", "prec", "recall", "start err", "end err"]
        var rows = [["transitions"] + columns]
        for kind in TransitionKind.allCases {
            let c = t[kind]
            rows.append([kind.rawValue, String(c.labelled), String(c.found), String(c.mistyped), String(c.missed), String(c.falseDetections),
                         ratio(c.precision), ratio(c.recall), error(c.medianStartError), error(c.medianEndError)])
        }
        let widths = rows[0].indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        var out = ""
        for row in rows {
            out += row.indices.map { i in
                let fill = String(repeating: " ", count: widths[i] - row[i].count)
                return i == 0 ? row[i] + fill : "  " + fill + row[i]
            }.joined().trimmingTrailingSpaces() + "\n"
        }
        out += "found: the right kind within the tolerance; start/end err: medians over found, seconds.\n"
        if !t.confusions.isEmpty {
            out += "mistyped: " + t.confusions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    private static func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(format: "%.1f", seconds) : String(format: "%g", seconds)
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

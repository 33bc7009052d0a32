import ArgumentParser
import Foundation
import FrameDedupe
import FrameDedupeEvaluation
import Similarity

/// `framededupe tune`: sweeps the scene-cut and clustering thresholds over a labelled set.
struct TuneCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Sweep scene-cut and clustering thresholds over labelled clips and print the best settings.",
        discussion: """
            Every clip named by a truth file (*.truth.json, as 'eval' reads) is decoded and scored once \
            (hashes, SSIM, the network's embeddings); then, for every combination of cut ratio, minimum \
            change and jump threshold of the cut rule and of cluster threshold, linkage, alpha and grid \
            threshold, its scenes and clusters are found again from those scores and scored as 'eval' \
            scores a result folder (with --keep cluster). Nothing is decoded twice.

            Objective: the mean of scene-boundary F1 and cluster-pair F1 (pooled over clips), among \
            settings whose pooled exemplar coverage is at least --min-coverage. Printed: the defaults' \
            scores and rank, the best settings with the options that select them, and the Pareto table \
            (no other setting is better on scene F1, cluster F1 and redundancy at once).

            EXAMPLE:
              python3 scripts/make-devset.py
              framededupe tune --truth-dir .cache/devset --report tune.json
            """)

    @Option(help: ArgumentHelp("A folder of ground-truth files (*.truth.json).", valueName: "dir"))
    var truthDir: String

    @Option(help: ArgumentHelp("The folder holding the clips the truth files name. Default: the --truth-dir folder.", valueName: "dir"))
    var clips: String?

    @Option(help: ArgumentHelp("Signals that score frames, as for 'run': ssim, embed or both.", valueName: "ssim|embed|both"))
    var scorer: ScorerKind = .both

    @Option(help: ArgumentHelp("Seconds within which a detected scene boundary matches a true one, 0 to 60.", valueName: "seconds"))
    var tolerance: Double = Evaluation.defaultTolerance

    @Option(help: ArgumentHelp("Settings whose pooled exemplar coverage is below this rank after all others, 0 to 1.", valueName: "share"))
    var minCoverage: Double = 0.98

    @Option(help: ArgumentHelp("How many of the best settings to print, 1 to 1000.", valueName: "n"))
    var top: Int = 10

    @Option(help: ArgumentHelp("Also write every setting's scores as JSON to this file.", valueName: "file"))
    var report: String?

    @Option(help: ArgumentHelp("The cut rule, as for 'run': calibrated (the cut probability varies) or ratio (the cut ratio, minimum change and jump threshold vary).", valueName: "calibrated|ratio"))
    var cutRule: SceneBoundaryRule.Method = .calibrated

    @Option(help: ArgumentHelp("With --cut-rule calibrated: values to try for --cut-probability, comma-separated ('model' for the model's own). Default: model,0.3,0.5,0.7.", valueName: "list"))
    var cutProbabilities: String?

    @Option(help: ArgumentHelp("With --cut-rule ratio: values to try for --cut-ratio, comma-separated. Default: 3,4,6 (1.5,2,3 with --scorer ssim).", valueName: "list"))
    var cutRatios: String?

    @Option(help: ArgumentHelp("Values to try for --min-cut-change. Default: 0.04,0.06,0.1 (0.5,0.6,0.7 with --scorer ssim).", valueName: "list"))
    var minCutChanges: String?

    @Option(help: ArgumentHelp("Values to try for --embedding-cut-threshold (--cut-threshold with --scorer ssim). Default: 0.3,0.4,0.5 (0.1,0.15,0.25).", valueName: "list"))
    var jumpThresholds: String?

    @Option(help: ArgumentHelp("Values to try for --cluster-threshold. Default: 0.15,0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.6.", valueName: "list"))
    var clusterThresholds: String?

    @Option(help: ArgumentHelp("Values to try for --linkage. Default: average,complete,single,ward.", valueName: "list"))
    var linkages: String?

    @Option(help: ArgumentHelp("Values to try for --alpha. Default: 0,0.2.", valueName: "list"))
    var alphas: String?

    @Option(help: ArgumentHelp("Values to try for --grid-threshold. Default: 0.15,0.22,0.3.", valueName: "list"))
    var gridThresholds: String?

    @OptionGroup(title: "Sampling")
    var inputOptions: SamplingOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Messages")
    var log: LogOptions

    @OptionGroup var unlistedProgress: UnlistedProgressOption

    var linearAlgebraThreads: Int? { scorer.usesEmbedding ? networkOptions.blasThreads : nil }

    func validate() throws {
        if !(0...60).contains(tolerance) { throw ValidationError("--tolerance must be 0 to 60 seconds, got \(tolerance)") }
        if !(0...1).contains(minCoverage) { throw ValidationError("--min-coverage must be 0 to 1, got \(minCoverage)") }
        if !(1...1000).contains(top) { throw ValidationError("--top must be 1 to 1000, got \(top)") }
        if cutRule == .calibrated, cutRatios != nil || minCutChanges != nil || jumpThresholds != nil {
            throw ValidationError("--cut-ratios, --min-cut-changes and --jump-thresholds are for --cut-rule ratio")
        }
        if cutRule == .ratio, cutProbabilities != nil { throw ValidationError("--cut-probabilities is for --cut-rule calibrated") }
        _ = try grid()
    }

    /// The standard grid with the lists given on the command line in place of its own.
    func grid() throws -> TuningGrid {
        var g = TuningGrid.standard(scorer: scorer, method: cutRule)
        if let cutProbabilities {
            let values = cutProbabilities.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed: [Double??] = values.map { $0 == "model" ? .some(nil) : Double($0).flatMap { (0...1).contains($0) ? .some($0) : nil } }
            guard !values.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--cut-probabilities must be a comma-separated list of numbers 0 to 1 or 'model', got '\(cutProbabilities)'")
            }
            g.cutProbabilities = parsed.map { $0! }
        }
        func numbers(_ text: String?, _ name: String, _ range: ClosedRange<Double>) throws -> [Double]? {
            guard let text else { return nil }
            let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0.map(range.contains) ?? false }) else {
                throw ValidationError("--\(name) must be a comma-separated list of numbers \(range.lowerBound) to \(range.upperBound), got '\(text)'")
            }
            return values.map { $0! }
        }
        g.cutRatios = try numbers(cutRatios, "cut-ratios", 1...100) ?? g.cutRatios
        g.minimumContentChanges = try numbers(minCutChanges, "min-cut-changes", 0...2) ?? g.minimumContentChanges
        g.embeddingCuts = try numbers(jumpThresholds, "jump-thresholds", 0...2) ?? g.embeddingCuts
        g.clusterThresholds = try numbers(clusterThresholds, "cluster-thresholds", 0...1) ?? g.clusterThresholds
        g.alphas = try numbers(alphas, "alphas", 0...1) ?? g.alphas
        g.gridThresholds = try numbers(gridThresholds, "grid-thresholds", 0...2) ?? g.gridThresholds
        if let linkages {
            let values = linkages.split(separator: ",").map { Linkage(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--linkages must be a comma-separated list of average, complete, single, ward; got '\(linkages)'")
            }
            g.linkages = values.map { $0! }
        }
        return g
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        options.scorer = scorer
        options.rule = SceneBoundaryRule()
        options.rule.method = cutRule
        options.clustering.threshold = ClusterOptions.defaultThreshold(scorer: scorer)
        networkOptions.apply(to: &options)
        let truthFolder = URL(fileURLWithPath: truthDir, isDirectory: true)
        let clipFolder = URL(fileURLWithPath: clips ?? truthDir, isDirectory: true)
        let truths: [(name: String, truth: GroundTruth)]
        do { truths = try TuneCommand.readTruths(in: truthFolder) } catch {
            Terminal.error(error.description)
            throw Failure(status: .inputUnreadable)
        }
        var sweep = ThresholdSweep(grid: try grid(), options: options, tolerance: tolerance)
        do {
            let network = scorer.usesEmbedding ? try loadNetwork(options) : nil
            for (n, entry) in truths.enumerated() {
                let input = clipFolder.appendingPathComponent(entry.name).path
                if !log.quiet { Terminal.write("[\(n + 1)/\(truths.count)] \(entry.name)\n") }
                let analyzed = try AnalyzedClip(input: input, options: options, network: network)
                sweep.add(clip: entry.name, truth: entry.truth, analyzed: analyzed)
            }
        } catch {
            Terminal.error(error.userDescription)
            throw Failure(status: Status(error))
        }
        let ranked = sweep.ranked(minimumCoverage: minCoverage)
        let defaults = TuningSetting(options)
        let text = TuneCommand.summary(ranked: ranked, pareto: sweep.pareto(minimumCoverage: minCoverage), defaults: defaults,
                                       scorer: scorer, top: top, minCoverage: minCoverage, clips: sweep.clips.count)
        do {
            try StandardOutput.writeLine(String(text.dropLast()))
            if let report {
                try writeAtomically(TuneCommand.reportJSON(ranked, defaults: defaults, sweep: sweep, minCoverage: minCoverage, scorer: scorer),
                                    to: URL(fileURLWithPath: report))
            }
        } catch {
            if error.path == StandardOutput.name, error.reason == StandardOutput.closed { throw Failure(status: .ok) }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }

    /// The truth files of a folder, each with the clip it names.
    static func readTruths(in folder: URL) throws(EvaluationInputError) -> [(name: String, truth: GroundTruth)] {
        try GroundTruth.files(in: folder).map { (url: URL) throws(EvaluationInputError) in
            let truth = try GroundTruth(contentsOf: url)
            guard let clip = truth.clip, !clip.isEmpty else { throw EvaluationInputError(path: url.path, reason: "clip: missing (it names the clip to analyse)") }
            return (clip, truth)
        }
    }

    private static func ratio(_ v: Double) -> String { String(format: "%.3f", v) }

    private static func row(_ t: TunedSetting, scorer: ScorerKind) -> String {
        let e = t.evaluation
        return [ratio(t.objective), ratio(e.boundaries.f1), ratio(e.clusters.f1), ratio(e.clusters.adjustedRandIndex),
                ratio(t.coverage), ratio(e.exemplars.redundancy)].joined(separator: "  ") + "  " + t.setting.arguments(scorer: scorer).joined(separator: " ")
    }

    static func summary(ranked: [TunedSetting], pareto: [TunedSetting], defaults: TuningSetting, scorer: ScorerKind,
                        top: Int, minCoverage: Double, clips: Int) -> String {
        let header = "objective  scene-F1  cluster-F1  ARI  coverage  redundancy  options"
        var out = "\(ranked.count) settings on \(clips) clips (--scorer \(scorer.rawValue)); objective = (scene F1 + cluster F1) / 2 at coverage >= \(ratio(minCoverage))\n\n"
        if let rank = ranked.firstIndex(where: { $0.setting == defaults }) {
            out += "defaults (rank \(rank + 1) of \(ranked.count)):\n  \(row(ranked[rank], scorer: scorer))\n\n"
        } else {
            out += "defaults: not in the grid\n\n"
        }
        out += "best \(min(top, ranked.count)):\n  \(header)\n"
        for t in ranked.prefix(top) { out += "  " + row(t, scorer: scorer) + "\n" }
        out += "\nPareto (scene F1, cluster F1, redundancy), \(pareto.count) settings:\n  \(header)\n"
        for t in pareto.prefix(top) { out += "  " + row(t, scorer: scorer) + "\n" }
        if pareto.isEmpty { out += "  (no setting reaches the coverage)\n" }
        return out
    }

    static func reportJSON(_ ranked: [TunedSetting], defaults: TuningSetting, sweep: ThresholdSweep, minCoverage: Double, scorer: ScorerKind) -> String {
        func n(_ v: Double) -> JSONValue { .number(v, decimals: 6) }
        func setting(_ t: TunedSetting) -> JSONValue {
            let s = t.setting, e = t.evaluation
            return .object([
                ("cut_ratio", n(s.cutRatio)), ("minimum_change", n(s.minimumContentChange)), ("jump_threshold", n(s.embeddingCut)),
                ("cluster_threshold", n(s.clusterThreshold)), ("linkage", .string(s.linkage.rawValue)), ("alpha", n(s.alpha)),
                ("grid_threshold", n(s.gridThreshold)), ("arguments", .array(s.arguments(scorer: scorer).map { .string($0) })),
                ("objective", n(t.objective)), ("scene_f1", n(e.boundaries.f1)), ("scene_precision", n(e.boundaries.precision)),
                ("scene_recall", n(e.boundaries.recall)), ("cluster_f1", n(e.clusters.f1)), ("adjusted_rand_index", n(e.clusters.adjustedRandIndex)),
                ("coverage", n(t.coverage)), ("redundancy", n(e.exemplars.redundancy)),
            ])
        }
        let pareto = sweep.pareto(minimumCoverage: minCoverage)
        let root: JSONValue = .object([
            ("version", .int(1)), ("scorer", .string(scorer.rawValue)), ("clips", .array(sweep.clips.map { .string($0) })),
            ("tolerance", n(sweep.tolerance)), ("minimum_coverage", n(minCoverage)),
            ("objective", .string("(scene boundary F1 + cluster pair F1) / 2, pooled over clips")),
            ("defaults_rank", ranked.firstIndex { $0.setting == defaults }.map { .int($0 + 1) } ?? .null),
            ("settings", .array(ranked.map(setting))),
            ("pareto", .array(pareto.map(setting))),
        ])
        return root.serialized() + "\n"
    }
}

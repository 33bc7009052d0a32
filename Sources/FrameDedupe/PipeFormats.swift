import Decoder
import Foundation

/// Which results `--print` writes to standard output.
public enum PrintedResults: String, Sendable, CaseIterable {
    /// Every scene (transition scenes too), in time order.
    case scenes
    /// Every content cluster, by id (first appearance in time).
    case clusters
    /// Every scene's keyframe image (`keyframes/`), in time order.
    case keyframes
    /// The images of `unique/` (see ``KeepPolicy``), ordered by name.
    case unique

    /// Records for programs for scenes and clusters; image paths for images.
    public var defaultFormat: ListFormat { self == .scenes || self == .clusters ? .jsonl : .paths }
}

/// How `--print` writes results.
public enum ListFormat: String, Sendable, CaseIterable {
    /// One JSON array of records (all inputs), one record per line.
    case json
    /// One JSON object per line; scenes are written as each becomes final, before the input ends.
    case jsonl
    /// Comma-separated records with a header: `input` first, then the columns of `scenes.csv`/`clusters.csv`.
    case csv
    /// Tab-separated, like csv (`\` `\t` `\n` `\r` escaped with a backslash).
    case tsv
    /// One time per line, seconds on ffmpeg's timeline rounded down to the millisecond (for `ffmpeg -ss`).
    case timestamps
    /// One image path per line (or NUL-terminated), as reachable from the current directory.
    case paths
    /// An ffconcat script: one segment (file, inpoint, outpoint) per kept scene.
    case ffconcat
    /// An expression for ffmpeg's `select` filter that passes exactly the images' frames.
    case select
    /// An FFMETADATA1 file with one chapter per scene.
    case chapters

    /// Whether each record says which input it comes from, so several inputs can share one output.
    public var namesInputs: Bool { ![.timestamps, .select, .chapters].contains(self) }

    /// Why `results` cannot be printed this way, or nil when they can.
    ///
    /// - Parameters:
    ///   - inputs: the inputs of the run (ffconcat names them; times of several inputs cannot share one list).
    ///   - writesImages: false when no output folder is written (`--no-output`): there are then no image files to list.
    ///   - nulTerminated: `--print0`.
    ///   - output: `-o` as given (image paths start with it), nil for the default folders.
    public func problem(printing results: PrintedResults, inputs: [String], writesImages: Bool, nulTerminated: Bool,
                        output: String? = nil) -> String? {
        if let name = lineBreakingName(inputs: inputs, output: output, nulTerminated: nulTerminated) {
            let how = self == .ffconcat ? "ffmpeg's concat demuxer reads one line at a time" : "each path is one line (--print0 ends them with NUL instead)"
            return "--format \(rawValue) cannot carry a name with a line break (\(ResultPrinter.escapedControls(name))): \(how)"
        }
        if let name = lineBreakingName(inputs: inputs, output: output, nulTerminated: false, test: FileSystemName.hasRawBytes) {
            return "--format \(rawValue) cannot carry a name that is not UTF-8 (\(FileSystemName.displayed(name))): it writes names as text"
        }
        if self == .chapters && results != .scenes { return "chapters are one per scene: use --print scenes --format chapters" }
        if nulTerminated && self != .paths { return "--print0 ends image paths with NUL: it goes with --format paths, not \(rawValue)" }
        if self == .paths && !writesImages { return "--format paths lists image files, and none are written without an output folder (--no-output, -o -)" }
        if inputs.count > 1 && !namesInputs {
            return "--format \(rawValue) holds one input's times; with several inputs use json, jsonl, csv, tsv, paths or ffconcat"
        }
        if self == .ffconcat && inputs.contains("-") { return "--format ffconcat names the input file, and standard input ('-') has none" }
        return nil
    }

    /// The first name this format would write that holds a newline or a carriage return, which would end its line
    /// early and could make the rest of the name read as a line of its own (`file other.mp4` in an ffconcat list):
    /// ffconcat's input files (as absolute paths: the working folder counts too), and the image paths of `paths`
    /// without `--print0` (they start with the output folder, named after the input or by `-o`).
    /// With `test`, the first such name that `test` holds for instead (one that is not UTF-8, say).
    func lineBreakingName(inputs: [String], output: String?, nulTerminated: Bool,
                          test: (String) -> Bool = { $0.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) }) -> String? {
        let names: [String]
        switch self {
        case .ffconcat: names = inputs.filter { $0 != "-" }.map(ResultPrinter.absoluteInput)
        case .paths where !nulTerminated: names = inputs + (output.map { [$0] } ?? [])
        default: names = []
        }
        return names.first(where: test)
    }
}

/// Where a time measured from the video stream's first frame (as everywhere in `scenes.json`) falls on
/// the clocks ffmpeg uses.
public struct MediaClock: Sendable, Equatable {
    /// The stream's first frame on the container's clock, in seconds.
    public let streamStart: Double
    /// The file's start (the earliest of its streams) on the container's clock, in seconds.
    public let fileStart: Double

    public init(_ video: VideoInfo) {
        streamStart = video.startSeconds
        fileStart = video.fileStartSeconds ?? video.startSeconds
    }

    /// The container's own clock: what the concat demuxer's `inpoint` and `outpoint` mean.
    public func container(_ seconds: Double) -> Double { streamStart + seconds }

    /// ffmpeg's timeline, which starts at the file's start: what `-ss` seeks to, what the `select` filter's `t`
    /// is and what an output's timestamps (and chapters) are. Equal to `seconds` when the video starts the file.
    public func ffmpeg(_ seconds: Double) -> Double { max(0, streamStart + seconds - fileStart) }
}

/// Writes results as `--print` asks, for one or several inputs in turn, as text for standard output.
///
/// Call ``closedScene(_:video:folder:)`` for each scene as it closes when ``streamsScenes``, ``finished(_:folder:)``
/// for each input that succeeded, and ``end()`` once at the end (it closes a JSON array, and writes a header
/// when no input succeeded, so the output is well-formed either way).
public struct ResultPrinter: Sendable {
    public let results: PrintedResults
    public let format: ListFormat
    /// `\n`, or NUL with `--print0`.
    public let terminator: String
    private var wroteHeader = false
    private var wroteRecord = false

    public init(results: PrintedResults, format: ListFormat, nulTerminated: Bool = false) {
        self.results = results
        self.format = format
        terminator = nulTerminated ? "\0" : "\n"
    }

    /// True when scenes are written one by one as they close, before the input ends (`--print scenes --format jsonl`).
    public var streamsScenes: Bool { results == .scenes && format == .jsonl }

    /// The line for a scene that has just closed (only when ``streamsScenes``): its `scenes.json` object with
    /// `input` first and without `cluster` (not known until the input ends).
    public func closedScene(_ scene: Scene, input: String, folder: String?) -> String {
        let members = JSONValue(encoding: SceneEntry(scene, cluster: nil, folder: folder)).members.filter { $0.0 != SceneEntry.CodingKeys.cluster.stringValue }
        return JSONValue.object([("input", .string(input))] + members).serialized(pretty: false) + "\n"
    }

    /// The text for one finished input (after the output's header when it is the first).
    ///
    /// - Parameters:
    ///   - folder: the output folder as the user named it, put before image paths so they can be opened from
    ///     the current directory; nil when nothing was written.
    public mutating func finished(_ list: SceneList, folder: String?) -> String {
        var out = header()
        switch format {
        case .json:
            for record in records(list, folder: folder) {
                out += (wroteRecord ? ",\n  " : "[\n  ") + record.serialized(pretty: false)
                wroteRecord = true
            }
        case .jsonl:
            if !streamsScenes { for record in records(list, folder: folder) { out += record.serialized(pretty: false) + "\n" } }
        case .csv, .tsv:
            for row in rows(list, folder: folder) { out += row.map(format == .csv ? SceneListWriter.csvField : ResultPrinter.tsvField).joined(separator: format == .csv ? "," : "\t") + "\n" }
        case .timestamps:
            let clock = MediaClock(list.video)
            for t in times(list) { out += String(format: "%.3f", floorTo(clock.ffmpeg(t), places: 3)) + "\n" }
        case .paths:
            for path in imagePaths(list) { out += ResultsLayout.joined(folder, path) + terminator }
        case .ffconcat:
            out += ffconcat(list)
        case .select:
            out += selectExpression(list) + "\n"
        case .chapters:
            out += chapters(list)
        }
        return out
    }

    /// What ends the output: `]` of a JSON array, or the header alone when no input succeeded.
    public mutating func end() -> String {
        let out = header()
        guard format == .json else { return out }
        return out + (wroteRecord ? "\n]\n" : "[]\n")
    }

    /// A filter script for `ffmpeg -filter_script:v FILE` (for expressions too long for a command line):
    /// `select='…',setpts=N/FRAME_RATE/TB`, so the selected frames follow each other.
    public func selectScript(_ list: SceneList) -> String {
        "select='" + selectExpression(list) + "',setpts=N/FRAME_RATE/TB\n"
    }

    private mutating func header() -> String {
        guard !wroteHeader else { return "" }
        wroteHeader = true
        switch format {
        case .csv, .tsv: return (["input"] + columns).joined(separator: format == .csv ? "," : "\t") + "\n"
        case .ffconcat: return "ffconcat version 1.0\n"
        case .chapters: return ";FFMETADATA1\n"
        default: return ""
        }
    }

    // MARK: Records

    private var columns: [String] {
        switch results {
        case .scenes: SceneListWriter.csvColumns
        case .clusters: ClusterListWriter.csvColumns
        case .keyframes: ["scene", "cluster", "transition", "index", "pts", "time", "path", "source"]
        case .unique: ["name", "cluster", "scene", "exemplar", "index", "pts", "time", "path", "source"]
        }
    }

    /// JSON records with `input` first: `scenes.json`'s scene objects, `clusters.json`'s cluster objects, or
    /// an image's cluster, scene, frame and path.
    private func records(_ list: SceneList, folder: String?) -> [JSONValue] {
        let input: (String, JSONValue) = ("input", .string(list.video.input))
        func path(_ p: String?) -> JSONValue { p.map { .string(ResultsLayout.joined(folder, $0)) } ?? .null }
        func frame(_ k: Keyframe) -> [(String, JSONValue)] { [("index", .int(k.frameIndex)), ("pts", .int(k.timestamp.pts)), ("time", .seconds(k.seconds))] }
        // The picture's file, for a folder of images or a numbered pattern (left out for video, as in the JSON files).
        func source(_ k: Keyframe) -> [(String, JSONValue)] { k.source.map { [("source", .string($0))] } ?? [] }
        switch results {
        case .scenes:
            return list.scenes.map { s in
                .object([input] + JSONValue(encoding: SceneEntry(s, cluster: list.clusters.clusterOfScene[s.id], folder: folder)).members)
            }
        case .clusters:
            return list.clusters.clusters.map { .object([input] + JSONValue(encoding: ClusterEntry($0, folder: folder)).members) }
        case .keyframes:
            return list.scenes.map { s in
                .object([input, ("scene", .int(s.id)), ("cluster", list.clusters.clusterOfScene[s.id].map { .int($0) } ?? .null),
                         ("transition", .bool(s.transition))] + frame(s.keyframe) + [("path", path(s.keyframe.path))] + source(s.keyframe))
            }
        case .unique:
            return list.uniqueImages.map { u in
                .object([input, ("name", .string(u.name)), ("cluster", u.cluster.map { .int($0) } ?? .null), ("scene", .int(u.scene)),
                         ("exemplar", .bool(u.isExemplar))] + frame(u.keyframe) + [("path", path(u.path))] + source(u.keyframe))
            }
        }
    }

    /// CSV/TSV rows, unquoted, `input` first (see ``columns``).
    private func rows(_ list: SceneList, folder: String?) -> [[String]] {
        let input = list.video.input
        func path(_ p: String?) -> String { p.map { ResultsLayout.joined(folder, $0) } ?? "" }
        func frame(_ k: Keyframe) -> [String] { [String(k.frameIndex), String(k.timestamp.pts), formatNumber(k.seconds, decimals: 6)] }
        switch results {
        case .scenes:
            return list.scenes.map { [input] + SceneListWriter.csvFields($0, cluster: list.clusters.clusterOfScene[$0.id], folder: folder) }
        case .clusters:
            return list.clusters.clusters.map { [input] + ClusterListWriter.csvFields($0, folder: folder) }
        case .keyframes:
            return list.scenes.map { s in
                [input, String(s.id), list.clusters.clusterOfScene[s.id].map(String.init) ?? "", s.transition ? "1" : "0"] + frame(s.keyframe) + [path(s.keyframe.path), s.keyframe.source ?? ""]
            }
        case .unique:
            return list.uniqueImages.map { u in
                [input, u.name, u.cluster.map(String.init) ?? "", String(u.scene), u.isExemplar ? "1" : "0"] + frame(u.keyframe) + [path(u.path), u.keyframe.source ?? ""]
            }
        }
    }

    /// `\`, tab, newline and carriage return as backslash escapes (a TSV field holds none of them raw).
    static func tsvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(c)
            }
        }
        return out
    }

    // MARK: Times and images

    /// The frames that stand for the printed results: every scene's keyframe, every cluster's exemplar, or
    /// the images of `unique/`, in the order of the records.
    private func frames(_ list: SceneList) -> [Keyframe] {
        switch results {
        case .scenes, .keyframes: list.scenes.map(\.keyframe)
        case .clusters: list.clusters.clusters.map(\.exemplar.keyframe)
        case .unique: list.uniqueImages.map(\.keyframe)
        }
    }

    /// Scenes' start times (a cut list), or the times of the images that stand for the results.
    private func times(_ list: SceneList) -> [Double] {
        results == .scenes ? list.scenes.map(\.start) : frames(list).map(\.seconds)
    }

    /// Image paths relative to the output folder: scenes' and keyframes' `keyframes/…`, clusters' exemplars
    /// (in `unique/`, else their keyframes), the images of `unique/`.
    private func imagePaths(_ list: SceneList) -> [String] {
        switch results {
        case .scenes, .keyframes: list.scenes.compactMap(\.keyframe.path)
        case .clusters: list.clusters.clusters.compactMap { $0.exemplar.path ?? $0.exemplar.keyframe.path }
        case .unique: list.uniqueImages.compactMap(\.path)
        }
    }

    /// The scenes an ffconcat list plays, in time order: every non-transition scene (scenes, keyframes), each
    /// cluster's exemplar scene (clusters), or each scene holding an image of `unique/` (unique: the deduplicated cut).
    private func keptScenes(_ list: SceneList) -> [Scene] {
        let ids: Set<Int>
        switch results {
        case .scenes, .keyframes: ids = Set(list.scenes.filter { !$0.transition }.map(\.id))
        case .clusters: ids = Set(list.clusters.clusters.map(\.exemplar.scene))
        case .unique: ids = Set(list.uniqueImages.map(\.scene))
        }
        return list.scenes.filter { ids.contains($0.id) }
    }

    /// One segment per kept scene: `file` (absolute, so the list works from anywhere with `-safe 0`), `inpoint`
    /// at the scene's first sampled frame and `outpoint` at the next scene's (exclusive), on the container's
    /// clock, rounded down to the microsecond so the first frame is in and the next scene's is out.
    private func ffconcat(_ list: SceneList) -> String {
        let clock = MediaClock(list.video)
        let file = ResultPrinter.ffconcatQuoted(ResultPrinter.absoluteInput(list.video.input))
        var out = ""
        for s in keptScenes(list) {
            let cluster = list.clusters.clusterOfScene[s.id].map { "cluster \($0)" } ?? "transition"
            out += "# \(ResultPrinter.escapedControls(list.video.input)): scene \(s.id), \(cluster)\n"
            out += "file \(file)\n"
            out += String(format: "inpoint %.6f\noutpoint %.6f\n", floorTo(clock.container(s.start), places: 6), floorTo(clock.container(s.end), places: 6))
        }
        return out
    }

    /// A path made absolute against the current directory; URLs stay as they are.
    static func absoluteInput(_ input: String) -> String {
        if input.contains("://") || input.hasPrefix("/") { return input }
        return URL(fileURLWithPath: input).standardizedFileURL.path
    }

    /// `s` with control characters as escapes (`\n`, `\r`, `\t`, `\u{7f}`), so it stays on one line of a list.
    static func escapedControls(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}":
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `'…'` with each `'` written as `'\''` (ffconcat reads the name as one token, as ffmpeg's `av_get_token` does).
    static func ffconcatQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `between(t,A,B)+…`, one term per frame in time order: each frame's time on ffmpeg's timeline ± 1 ms
    /// (less when frames are closer: a quarter of the average frame interval), so exactly that frame passes
    /// whatever rounding of timestamps; `0` (nothing) without frames.
    private func selectExpression(_ list: SceneList) -> String {
        let clock = MediaClock(list.video)
        var margin = 0.001
        if let rate = list.video.averageFrameRate, rate.doubleValue > 0 { margin = min(margin, 0.25 / rate.doubleValue) }
        let times = Set(frames(list).map { clock.ffmpeg($0.seconds) }).sorted()
        guard !times.isEmpty else { return "0" }
        return times.map { String(format: "between(t,%.6f,%.6f)", $0 - margin, $0 + margin) }.joined(separator: "+")
    }

    /// `[CHAPTER]` sections in milliseconds on ffmpeg's timeline (each chapter ends where the next begins),
    /// titled `Scene N (cluster C)` or `Scene N (transition)`.
    private func chapters(_ list: SceneList) -> String {
        let clock = MediaClock(list.video)
        func ms(_ seconds: Double) -> Int64 { Int64((clock.ffmpeg(seconds) * 1000).rounded()) }
        var out = ""
        for (i, s) in list.scenes.enumerated() {
            let end = i + 1 < list.scenes.count ? ms(list.scenes[i + 1].start) : max(ms(s.end), ms(s.start))
            let what = list.clusters.clusterOfScene[s.id].map { "cluster \($0)" } ?? "transition"
            out += "[CHAPTER]\nTIMEBASE=1/1000\nSTART=\(ms(s.start))\nEND=\(end)\ntitle=\(ResultPrinter.metadataEscaped("Scene \(s.id) (\(what))"))\n"
        }
        return out
    }

    /// FFMETADATA escapes `=`, `;`, `#`, `\` and newlines with a backslash.
    static func metadataEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "=;#\\\n".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// `x` rounded down to `places` decimals, so a time printed this way never lies after the frame it names
/// (1e-4 of the last place is added first: 4.35 s is 4349.9999… ms in binary, yet still 4.350).
func floorTo(_ x: Double, places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (x * scale + 1e-4).rounded(.down) / scale
}

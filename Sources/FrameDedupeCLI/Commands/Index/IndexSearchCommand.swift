import ArgumentParser
import Corpus
import Decoder
import Foundation
import FrameDedupe
import Similarity

struct IndexSearchCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "The indexed scenes nearest to an image or to each scene of a video, with their similarity, file and time span.",
        discussion: """
            One JSON object a line on standard output per query (the image, or each scene of the video): \
            {"query": {"scene", "start", "end"}, "results": [{"rank", "similarity", "distance", "file", "scene", "start", \
            "end", "keyframe", "keyframe_time"}]}. Exact search (OpenBLAS matrix products) up to 100,000 indexed scenes; \
            beyond, an inverted-file index over k-means lists, stored in the index and reused while no more than 10% of \
            its scenes were added or removed since it was built (else built again for this search, which only reads the \
            index, and stored by the next 'index add'). When built it tunes itself: it measures its recall@10 against exact search on 256 indexed \
            scenes and doubles the lists probed until the recall is 0.95, or searches exactly when that needs over half \
            the lists. -v says which; 'index stats' shows the lists, probes and recall.
            """)

    @Argument(help: ArgumentHelp("An image or a video file.", valueName: "image|video"))
    var query: String

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("Results per query, 1 to 1000.", valueName: "k"))
    var top: Int = 10

    @OptionGroup(title: "Sampling")
    var inputOptions: SamplingOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Messages")
    var log: LogOptions

    @OptionGroup var unlistedProgress: UnlistedProgressOption

    /// For the tests: the number of scenes past which the approximate index is used (a few real clips then take that path).
    @Option(help: ArgumentHelp("", visibility: .private))
    var approximateAbove: Int = CorpusIndex.approximateAbove

    func validate() throws {
        if !(1...1000).contains(top) { throw ValidationError("--top must be 1 to 1000, got \(top)") }
        try NumberRange.check(approximateAbove, "--approximate-above", 0...Int(Int32.max))
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        networkOptions.apply(to: &options)
        let index = try location.open(.read)
        let list: SceneList
        do { list = try findScenes(input: query, options: options, output: nil) } catch {
            Terminal.error(error.userDescription)
            throw Failure(status: Status(error))
        }
        let queries = list.scenes.filter { $0.embedding != nil && (!$0.transition || list.scenes.count == 1) }
        guard !queries.isEmpty else { return }
        let began = Date()
        let search = try reporting(.inputUnreadable) { () throws(IndexError) in try index.nearestSceneIndex(approximateAbove: approximateAbove, store: false) }
        let rows = search.scenes
        guard let dimension = rows.first?.scene.embedding.count else { return }
        if !log.quiet { describe(search, index: location.index, seconds: Date().timeIntervalSince(began)) }
        let q = VectorRows(dimension: dimension, values: queries.flatMap { $0.embedding! })
        let found = search.nearest(q, k: top)
        do {
            for (scene, neighbours) in zip(queries, found) {
                let results: [JSONValue] = neighbours.enumerated().map { rank, n in
                    let r = rows[n.index]
                    return .object([
                        ("rank", .int(rank + 1)), ("similarity", .number(Double(n.similarity), decimals: 4)),
                        ("distance", .number(max(0, 1 - Double(n.similarity)), decimals: 4)),
                        ("file", .string(FileSystemName.displayed(r.video.path))), ("scene", .int(r.scene.number)),
                        ("start", .seconds(r.scene.start)), ("end", .seconds(r.scene.end)),
                        ("keyframe", r.scene.keyframePath.map { .string(index.keyframeRoot.appendingPathComponent($0).path) } ?? .null),
                        ("keyframe_time", .seconds(r.scene.keyframeTime)),
                    ])
                }
                let line = JSONValue.object([
                    ("query", .object([("scene", .int(scene.id)), ("start", .seconds(scene.start)), ("end", .seconds(scene.end))])),
                    ("results", .array(results)),
                ])
                try StandardOutput.writeLine(line.serialized(pretty: false))
            }
        } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }

    /// How the search runs: a line on stderr when an approximate index was built (slow: the user should know why),
    /// with -v otherwise.
    func describe(_ search: NearestSceneIndex, index: String, seconds: Double) {
        let n = search.scenes.count
        guard let ivf = search.approximate else {
            Log.info(index, "\(n) scenes: exact search (up to \(approximateAbove) scenes)")
            return
        }
        let how = ivf.exhaustive
            ? "exact search (its self-check found recall \(IndexStatsCommand.targetText(ivf.tuning?.targetRecall)) out of reach below half its \(ivf.listCount) lists)"
            : "\(ivf.listCount) lists, \(ivf.probes) probed a query, recall@10 \(ivf.tuning.map { String(format: "%.3f", $0.measuredRecall) } ?? "not measured")"
                + (ivf.tuning.map { " measured on \($0.sampleQueries) scenes" } ?? "")
        switch search.method {
        case .exact: break
        case .stored: Log.info(index, "\(n) scenes: stored approximate index, " + how)
        case .built(let reason):
            Terminal.write("framededupe: \(Terminal.oneLine(index)): \(n) scenes: approximate index built (\(reason))" + String(format: " in %.1f s: ", seconds) + how
                           + "; not stored (search only reads the index: the next 'index add' stores one)\n")
        }
    }
}

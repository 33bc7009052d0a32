import ArgumentParser
@_spi(Testing) import Corpus
import Foundation
import FrameDedupe
import Similarity

/// `framededupe index …`: cross-video deduplication over a persistent index of scenes (SQLite).
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Deduplicate across many videos: a persistent index of their scenes (SQLite), grown one video at a time.",
        discussion: """
            'index add' runs the per-video analysis on each file and stores its scenes (span, keyframe, mean embedding, \
            pHash) in the index, one transaction per video; 'index dedupe' groups near-duplicate scenes of all videos \
            into corpus clusters, comparing only scenes added since its last run with the clusters it keeps. \
            Keyframes are kept beside the index, in INDEX.keyframes/.

            EXAMPLES:
              Index a folder of videos, two at a time, then group the near-duplicates across them:
                framededupe index add -j 2 videos/*.mp4 --index corpus.db
                framededupe index dedupe --index corpus.db --export dataset/
              Where did this frame come from?
                framededupe index search frame.jpg --index corpus.db --top 5
            """,
        subcommands: [IndexAddCommand.self, IndexDedupeCommand.self, IndexSearchCommand.self, IndexStatsCommand.self,
                      IndexRemoveCommand.self, IndexExportCommand.self])
}

/// `--index FILE`, shared by every `index` subcommand.
struct IndexLocation: ParsableArguments {
    @Option(help: ArgumentHelp("The index: an SQLite file (created by 'index add' when missing); keyframes go in FILE.keyframes/ beside it.", valueName: "file"))
    var index: String

    /// Opens the index, reporting a failure on one line (status 3 when it cannot be read).
    func open(create: Bool, precision: EmbeddingPrecision = .half, hooks: CorpusIndexHooks = CorpusIndexHooks()) throws -> CorpusIndex {
        do { return try CorpusIndex(path: index, precision: precision, create: create, hooks: hooks) } catch {
            Terminal.error(error.description)
            throw Failure(status: create ? .outputUnwritable : .inputUnreadable)
        }
    }
}

/// Runs `body`, reporting an index error on one line with `status`.
func reporting<T>(_ status: Status, _ body: () throws(IndexError) -> T) throws -> T {
    do { return try body() } catch {
        Terminal.error(error.description)
        throw Failure(status: status)
    }
}

struct IndexAddCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Analyse videos and store their scenes in the index (one transaction per video).",
        discussion: """
            Per scene the index keeps the file (path, size, SHA-256 of its bytes), the time span, the keyframe \
            (INDEX.keyframes/<first 16 hex digits of the SHA-256>/keyframes/), the mean embedding (float16, or float32 \
            with --float32) and the keyframe's pHash. Transition scenes are left out. A file whose content is indexed \
            already (same SHA-256, whatever its name) is skipped, and said so; a file at an indexed path whose content \
            changed replaces the old entry. A process killed while adding leaves the index as it was before the video \
            in progress. SIGINT/SIGTERM: the video in progress is not stored, the ones before it are (status 130/143). \
            Past 100,000 scenes, 'add' also builds the approximate index 'index search' uses (see 'index search') when \
            the index has none, or when more than 10% of its scenes were added or removed since it was built.
            """)

    @Argument(help: ArgumentHelp("Video files to add.", valueName: "video"))
    var videos: [String]

    @OptionGroup var location: IndexLocation

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Videos analysed at once, 1 to 64, each with its own network and one OpenBLAS thread; one writer stores them.", valueName: "n"))
    var jobs: Int = 1

    @Flag(help: "Store embeddings as float32 (5,120 bytes a scene) instead of float16 (2,560 bytes). Only for a new index: an index keeps the precision it was created with.")
    var float32 = false

    @OptionGroup(title: "Input and sampling")
    var inputOptions: InputOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    var linearAlgebraThreads: Int? { networkOptions.blasThreads }

    /// For the crash test: pause this many seconds inside each video's transaction, half-way through its scenes.
    @Option(help: ArgumentHelp("", visibility: .private))
    var pauseInTransaction: Double?

    func validate() throws {
        if !(1...64).contains(jobs) { throw ValidationError("-j must be 1 to 64, got \(jobs)") }
        if jobs > 1 && networkOptions.blasThreads > 1 { throw ValidationError("-j \(jobs) runs one OpenBLAS thread per video: leave --blas-threads at 1") }
        if videos.contains("-") { throw ValidationError("the index needs files (their content hash names them): standard input cannot be added") }
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        networkOptions.apply(to: &options)
        let began = Date()
        var hooks = CorpusIndexHooks()
        if let seconds = pauseInTransaction {
            hooks.insideAddTransaction = {
                Terminal.write("framededupe: paused inside the transaction\n")
                Thread.sleep(forTimeInterval: seconds)
            }
        }
        let index = try location.open(create: true, precision: float32 ? .single : .half, hooks: hooks)
        if float32 && index.precision != .single {
            Terminal.warning(location.index, "keeps float16 embeddings (it was created so); --float32 applies to new indexes only")
        }
        var videos: [String] = []
        for v in self.videos where !videos.contains(v) { videos.append(v) }
        // Weights missing stop everything before the first video.
        var network: EfficientNetLite?
        do { network = try loadNetwork(options) } catch {
            Terminal.error(error.description)
            throw Failure(status: Status(error))
        }
        let interruption = Interruption()
        let signals = Terminal.stopOnSignals(interruption)
        defer { withExtendedLifetime(signals) {} }
        let adder = VideoAdder(index: index, analysis: VideoAnalysis(options: options), quiet: inputOptions.quiet,
                               interruption: interruption)
        let outcomes = AddOutcomes(count: videos.count)
        if jobs == 1 || videos.count == 1 {
            for (i, v) in videos.enumerated() where !interruption.isRequested { outcomes.set(i, adder.add(v, network: network)) }
        } else {
            network = nil
            let done = DispatchGroup()
            let (videos, options) = (videos, options)
            for _ in 0..<min(jobs, videos.count) {
                done.enter()
                let thread = Thread {
                    defer { done.leave() }
                    var network: EfficientNetLite? = nil
                    while let i = outcomes.take(), !interruption.isRequested {
                        if network == nil { network = try? loadNetwork(options) }
                        outcomes.set(i, adder.add(videos[i], network: network))
                    }
                }
                thread.name = "framededupe.index"
                thread.stackSize = 8 << 20
                thread.start()
            }
            done.wait()
        }
        let results = outcomes.results
        let failures = results.compactMap { if case .failed(let s) = $0 { s } else { nil } }
        if !inputOptions.quiet {
            let added = results.filter { if case .added = $0 { true } else { false } }.count
            let skipped = results.filter { if case .skipped = $0 { true } else { false } }.count
            let scenes = results.reduce(0) { if case .added(let n) = $1 { $0 + n } else { $0 } }
            Terminal.write("framededupe: \(location.index): \(added) added (\(scenes) scenes), \(skipped) already indexed, \(failures.count) failed"
                           + String(format: " in %.1f s\n", Date().timeIntervalSince(began)))
        }
        if let signal = interruption.signal { throw Failure(status: signal == SIGTERM ? .terminated : .interrupted) }
        // Past 100,000 scenes: the approximate index 'search' uses, built now (not at the first search) when there is
        // none or the one stored is stale.
        let building = Date()
        let refreshed = try reporting(.outputUnwritable) { () throws(IndexError) in try index.refreshApproximateIndex() }
        if let a = refreshed, !inputOptions.quiet {
            Terminal.write("framededupe: \(Terminal.oneLine(location.index)): approximate index of \(a.scenes) scenes built"
                           + String(format: " in %.1f s: ", Date().timeIntervalSince(building))
                           + (a.exhaustive ? "search stays exact (recall \(IndexStatsCommand.targetText(a.targetRecall)) out of reach below half its \(a.lists) lists)"
                              : "\(a.lists) lists, \(a.probes) probed a query, recall@10 " + (a.measuredRecall.map { String(format: "%.3f", $0) } ?? "not measured")) + "\n")
        }
        if failures.isEmpty { return }
        throw Failure(status: failures.count == videos.count ? failures[0] : .partial)
    }
}

/// What happened to one video of `index add`.
enum AddResult: Sendable {
    case notStarted
    case added(scenes: Int)
    case skipped
    case interrupted
    case failed(Status)
}

/// Analyses one video and stores it: shared by the threads of `index add -j N` (the index serialises the writes).
struct VideoAdder: @unchecked Sendable {
    let index: CorpusIndex
    let analysis: VideoAnalysis
    let quiet: Bool
    let interruption: Interruption

    func add(_ path: String, network: EfficientNetLite?) -> AddResult {
        do {
            let identity = try ContentIdentity.of(path)
            if let existing = try reporting(.inputUnreadable, { () throws(IndexError) in try index.video(sha256: identity.sha256) }) {
                Terminal.write("framededupe: \(Terminal.oneLine(path)): already indexed (same content as \(Terminal.oneLine(existing.path))), nothing to do\n")
                return .skipped
            }
            guard let video = try analysis.analyse(path: path, keyframeRoot: index.keyframeRoot, network: network, identity: identity,
                                                   interruption: interruption) else { return .interrupted }
            let outcome = try reporting(.outputUnwritable) { () throws(IndexError) in try index.add(video) }
            switch outcome {
            case .alreadyIndexed(let existing):
                Terminal.write("framededupe: \(Terminal.oneLine(path)): already indexed (same content as \(Terminal.oneLine(existing.path))), nothing to do\n")
                return .skipped
            case .added(let scenes, let replaced):
                if let replaced {
                    try? FileManager.default.removeItem(at: index.keyframeRoot.appendingPathComponent(replaced.folder))
                    Terminal.write("framededupe: \(Terminal.oneLine(path)): content changed since it was indexed: its old entry is replaced\n")
                }
                if !quiet { Terminal.write("framededupe: \(Terminal.oneLine(path)): \(scenes) scene\(scenes == 1 ? "" : "s") indexed\n") }
                return .added(scenes: scenes)
            }
        } catch let error as RunError {
            Terminal.error(error.description)
            return .failed(Status(error))
        } catch let failure as Failure {
            return .failed(failure.status)
        } catch {
            Terminal.error("\(path): \(error)")
            return .failed(.internalError)
        }
    }
}

/// The next video to take and every video's result, shared by the threads of `index add -j N`.
private final class AddOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var outcomes: [AddResult]

    init(count: Int) { outcomes = Array(repeating: .notStarted, count: count) }

    func take() -> Int? {
        lock.withLock {
            guard next < outcomes.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func set(_ i: Int, _ r: AddResult) { lock.withLock { outcomes[i] = r } }
    var results: [AddResult] { lock.withLock { outcomes } }
}

struct IndexDedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedupe",
        abstract: "Group near-duplicate scenes of all indexed videos into corpus clusters; write corpus-clusters.json.",
        discussion: """
            Two scenes are linked when the cosine distance of their mean embeddings is below --threshold (and their \
            videos share a --group-by key); corpus clusters are the connected components of these links (single \
            linkage). The index keeps each cluster's centroid and radius: a later run with the same threshold and \
            grouping compares only the scenes added since with the centroids, then with the members of the clusters \
            they can reach, and gives the same clusters as clustering everything again.

            corpus-clusters.json: {"version": 1, "index", "threshold", "group_by", "videos", "scenes", "clusters": \
            [{"id", "size", "videos", "exemplar": {scene}, "scenes": [{"file", "sha256", "scene", "start", "end", \
            "keyframe", "keyframe_time", "similarity"}]}]}; ids follow the order of each cluster's first scene \
            (videos in the order added, then time).
            """)

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("Scenes closer than this (cosine distance of their mean embeddings, 0 to 2) are linked; clusters are the linked groups.", valueName: "distance"))
    var threshold: Double = 0.15

    @Option(help: ArgumentHelp("Only link scenes of videos that share a key: 'dir' (the same folder), 'regex:PATTERN' (the same match of PATTERN in the path, or of its first group), 'meta:KEY' (the same value of the container's metadata tag KEY). A change of key re-clusters everything.", valueName: "dir|regex:PATTERN|meta:KEY"))
    var groupBy: String?

    @Flag(help: "Forget the clusters the index keeps and cluster every scene again.")
    var rebuild = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the clusters ('-' for standard output).", valueName: "file"))
    var output: String = "corpus-clusters.json"

    @Option(help: ArgumentHelp("Also write one exemplar image per corpus cluster into this folder (cluster-000000.jpg, cluster-000001.jpg and so on): the deduplicated set.", valueName: "dir"))
    var export: String?

    @Flag(name: .shortAndLong, help: "No summary on stderr.")
    var quiet = false

    var grouping: CorpusGrouping { groupBy.flatMap(CorpusGrouping.init(parsing:)) ?? .none }

    func validate() throws {
        if !(0...2).contains(threshold) { throw ValidationError("--threshold must be 0 to 2, got \(threshold)") }
        if let groupBy {
            guard let g = CorpusGrouping(parsing: groupBy) else { throw ValidationError("--group-by takes dir, regex:PATTERN or meta:KEY; got '\(groupBy)'") }
            if let problem = g.problem { throw ValidationError(problem) }
        }
    }

    func run() throws {
        let began = Date()
        let index = try location.open(create: false)
        let summary = try reporting(.outputUnwritable) { () throws(IndexError) in try index.dedupe(threshold: threshold, grouping: grouping, rebuild: rebuild) }
        let clusters = try reporting(.inputUnreadable) { () throws(IndexError) in try index.clusters() }
        let stats = try reporting(.inputUnreadable) { () throws(IndexError) in try index.statistics() }
        var exported: [Int: String] = [:]
        if let export { exported = try exportImages(clusters, index: index, folder: export) }
        let json = CorpusClustersJSON.document(clusters, index: index, threshold: threshold, grouping: grouping, statistics: stats, exported: exported)
        do {
            if output == "-" {
                try StandardOutput.write(json.serialized() + "\n")
            } else {
                let file = try AtomicFile(url: URL(fileURLWithPath: output))
                try file.write(json.serialized() + "\n")
                try file.finish()
            }
        } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        if !quiet {
            let how = summary.incremental
                ? "\(summary.newScenes) new scenes compared with \(summary.candidateClusters) of \(summary.earlierClusters) earlier clusters"
                : "\(summary.newScenes) scenes clustered"
            Terminal.write("framededupe: \(location.index): \(how): \(clusters.count) corpus clusters of \(stats.scenes) scenes from \(stats.videos) videos"
                           + String(format: " in %.1f s\n", Date().timeIntervalSince(began)))
        }
    }

    /// One exemplar image per cluster into `folder` (staged, then moved into place); returns each cluster's image path.
    func exportImages(_ clusters: [CorpusIndex.CorpusCluster], index: CorpusIndex, folder: String) throws -> [Int: String] {
        var paths: [Int: String] = [:]
        do throws(OutputError) {
            let out = try OutputFolder(URL(fileURLWithPath: folder, isDirectory: true))
            var names: [String] = []
            for c in clusters {
                guard let keyframe = c.scenes[c.exemplar].scene.keyframePath else { continue }
                let source = index.keyframeRoot.appendingPathComponent(keyframe)
                let ext = source.pathExtension.isEmpty ? "jpg" : source.pathExtension
                let name = String(format: "cluster-%06d.", c.number) + ext
                let target = out.staging.appendingPathComponent(name)
                if link(source.path, target.path) != 0 {
                    do { try FileManager.default.copyItem(at: source, to: target) } catch {
                        throw OutputError(path: (folder as NSString).appendingPathComponent(name), reason: "cannot copy \(source.path) (\(error))")
                    }
                }
                names.append(name)
                paths[c.number] = (folder as NSString).appendingPathComponent(name)
            }
            // Images of an earlier, larger export that this one does not replace would be stale: remove them.
            let kept = Set(names)
            for old in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where old.hasPrefix("cluster-") && !kept.contains(old) {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(old))
            }
            try out.commit(order: names)
        } catch {
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        return paths
    }
}

/// `corpus-clusters.json`.
enum CorpusClustersJSON {
    static func scene(_ row: CorpusIndex.SceneRow, index: CorpusIndex, similarity: Double?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("file", .string(row.video.path)), ("sha256", .string(row.video.sha256)), ("scene", .int(row.scene.number)),
            ("start", .seconds(row.scene.start)), ("end", .seconds(row.scene.end)), ("keyframe_time", .seconds(row.scene.keyframeTime)),
            ("keyframe", row.scene.keyframePath.map { .string(index.keyframeRoot.appendingPathComponent($0).path) } ?? .null),
        ]
        if let similarity { members.append(("similarity", .number(similarity, decimals: 4))) }
        return .object(members)
    }

    static func document(_ clusters: [CorpusIndex.CorpusCluster], index: CorpusIndex, threshold: Double, grouping: CorpusGrouping,
                         statistics: CorpusIndex.Statistics, exported: [Int: String]) -> JSONValue {
        .object([
            ("version", .int(1)), ("index", .string(CorpusIndex.absolute(index.path))), ("threshold", .number(threshold, decimals: 6)),
            ("group_by", grouping == .none ? .null : .string(grouping.description)),
            ("videos", .int(statistics.videos)), ("scenes", .int(statistics.scenes)),
            ("clusters", .array(clusters.map { c in
                var members: [(String, JSONValue)] = [
                    ("id", .int(c.number)), ("size", .int(c.scenes.count)), ("videos", .int(Set(c.scenes.map(\.video.id)).count)),
                    ("exemplar", scene(c.scenes[c.exemplar], index: index, similarity: nil)),
                ]
                if let image = exported[c.number] { members.append(("image", .string(image))) }
                members.append(("scenes", .array(c.scenes.indices.map { scene(c.scenes[$0], index: index, similarity: c.centrality[$0]) })))
                return .object(members)
            })),
        ])
    }
}

struct IndexStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "What the index holds: videos, scenes, clusters, sizes (one 'name: value' a line, or JSON).",
        discussion: """
            search_index says how 'index search' finds neighbours: 'exact' (up to 100,000 scenes, whatever is stored), 'approximate' (the \
            stored inverted-file index), 'approximate, stale' (more than 10% of its scenes added or removed since it \
            was built: the next search or 'index add' rebuilds it), 'exact (self-tuned)' (the stored index found recall \
            0.95 out of reach below half its lists, so search is exact) or 'none stored' (the next search builds it). \
            With a stored index: ann_lists, ann_probes (lists probed a query, chosen by the self-check), \
            ann_target_recall, ann_measured_recall (recall@10 against exact search on ann_sample_queries indexed scenes, \
            each leaving itself out), ann_tried (probes:recall of each step), ann_scenes (scenes it was built over), \
            ann_changed_scenes (added plus removed since), ann_built.
            """)

    @OptionGroup var location: IndexLocation

    @Flag(help: "Write one JSON object instead of lines.")
    var json = false

    func run() throws {
        let index = try location.open(create: false)
        let s = try reporting(.inputUnreadable) { () throws(IndexError) in try index.statistics() }
        let values: [(String, JSONValue)] = [
            ("videos", .int(s.videos)), ("scenes", .int(s.scenes)), ("seconds", .number(s.seconds, decimals: 3)),
            ("clusters", .int(s.clusters)), ("unclustered_scenes", .int(s.unclustered)),
            ("threshold", s.threshold.map { .number($0, decimals: 6) } ?? .null), ("group_by", s.groupBy.map { .string($0) } ?? .null),
            ("embedding_precision", .string(s.precision == .half ? "float16" : "float32")),
            ("embedding_bytes", .int(Int(s.embeddingBytes))), ("database_bytes", .int(Int(s.databaseBytes))),
        ] + Self.approximateIndexValues(s.approximateIndex, scenes: s.scenes)
        let text = json ? JSONValue.object(values).serialized() + "\n"
            : values.map { key, value in "\(key): \(value.serialized(pretty: false).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))\n" }.joined()
        do { try StandardOutput.write(text) } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }
}

extension IndexStatsCommand {
    /// "0.95" (the recall a self-tuning aimed at), or "the target" when unknown.
    static func targetText(_ target: Double?) -> String {
        target.map { String(format: "%.2f", $0) } ?? "the target"
    }

    static func approximateIndexValues(_ a: StoredApproximateIndex?, scenes: Int) -> [(String, JSONValue)] {
        guard let a else { return [("search_index", .string(scenes > CorpusIndex.approximateAbove ? "none stored" : "exact"))] }
        let state = scenes <= CorpusIndex.approximateAbove ? "exact" : a.exhaustive ? "exact (self-tuned)" : "approximate"
        return [
            ("search_index", .string(a.isStale ? state + ", stale" : state)),
            ("ann_lists", .int(a.lists)), ("ann_probes", .int(a.probes)),
            ("ann_target_recall", a.targetRecall.map { .number($0, decimals: 4) } ?? .null),
            ("ann_measured_recall", a.measuredRecall.map { .number($0, decimals: 4) } ?? .null),
            ("ann_sample_queries", a.sampleQueries.map { .int($0) } ?? .null), ("ann_tried", .string(a.tried)),
            ("ann_scenes", .int(a.scenes)), ("ann_changed_scenes", .int(a.changedScenes)), ("ann_built", .string(a.built)),
        ]
    }
}

struct IndexRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove videos (by the path they were added with, or by content) and their keyframes from the index.",
        discussion: "Clusters that held their scenes are taken apart; the next 'index dedupe' re-clusters their other scenes. Status 3 when a file was not in the index (the others are still removed).")

    @Argument(help: ArgumentHelp("Files to remove.", valueName: "file"))
    var files: [String]

    @OptionGroup var location: IndexLocation

    @Flag(name: .shortAndLong, help: "Say nothing about removed files.")
    var quiet = false

    func run() throws {
        let index = try location.open(create: false)
        var missing = 0
        for file in files {
            if let removed = try reporting(.outputUnwritable, { () throws(IndexError) in try index.remove(path: file) }) {
                if !quiet { Terminal.write("framededupe: \(Terminal.oneLine(removed.path)): removed from the index\n") }
            } else {
                Terminal.error("\(file): not in the index")
                missing += 1
            }
        }
        if missing > 0 { throw Failure(status: missing == files.count ? .inputUnreadable : .partial) }
    }
}

struct IndexExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every indexed scene as JSON Lines or CSV (one flat column per embedding value: loads straight into Parquet).",
        discussion: """
            Columns: file, sha256, size, scene, start, end, keyframe_time, keyframe, phash (16 hex digits), cluster (the \
            index's cluster id, empty before 'index dedupe'), then the embedding: jsonl as one array 'embedding', csv as \
            e0 to e1279.
            """)

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("jsonl or csv.", valueName: "jsonl|csv"))
    var format: ExportFormat = .jsonl

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or '-' for standard output.", valueName: "file"))
    var output: String = "-"

    @Flag(help: "Leave the embeddings out.")
    var noEmbeddings = false

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    func run() throws {
        let index = try location.open(create: false)
        let rows = try reporting(.inputUnreadable) { () throws(IndexError) in try index.scenes() }
        let file: AtomicFile?
        do { file = output == "-" ? nil : try AtomicFile(url: URL(fileURLWithPath: output)) } catch {
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        func emit(_ line: String) throws(OutputError) {
            if let file { try file.write(line + "\n") } else { try StandardOutput.writeLine(line) }
        }
        func csvField(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        do {
            let dimension = rows.first?.scene.embedding.count ?? 0
            if format == .csv {
                var header = "file,sha256,size,scene,start,end,keyframe_time,keyframe,phash,cluster"
                if !noEmbeddings { header += (0..<dimension).map { ",e\($0)" }.joined() }
                try emit(header)
            }
            for r in rows {
                let keyframe = r.scene.keyframePath.map { index.keyframeRoot.appendingPathComponent($0).path }
                let hash = r.scene.perceptualHash.map { String(format: "%016llx", $0) }
                switch format {
                case .jsonl:
                    var members: [(String, JSONValue)] = [
                        ("file", .string(r.video.path)), ("sha256", .string(r.video.sha256)), ("size", .int(Int(r.video.size))),
                        ("scene", .int(r.scene.number)), ("start", .seconds(r.scene.start)), ("end", .seconds(r.scene.end)),
                        ("keyframe_time", .seconds(r.scene.keyframeTime)), ("keyframe", keyframe.map { .string($0) } ?? .null),
                        ("phash", hash.map { .string($0) } ?? .null), ("cluster", r.cluster.map { .int($0) } ?? .null),
                    ]
                    if !noEmbeddings { members.append(("embedding", .array(r.scene.embedding.map { .number(Double($0), decimals: 7) }))) }
                    try emit(JSONValue.object(members).serialized(pretty: false))
                case .csv:
                    var fields = [csvField(r.video.path), r.video.sha256, String(r.video.size), String(r.scene.number),
                                  formatted(r.scene.start), formatted(r.scene.end), formatted(r.scene.keyframeTime),
                                  csvField(keyframe ?? ""), hash ?? "", r.cluster.map { String($0) } ?? ""]
                    if !noEmbeddings { fields += r.scene.embedding.map { String($0) } }
                    try emit(fields.joined(separator: ","))
                }
            }
            try file?.finish()
        } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }

    func formatted(_ seconds: Double) -> String { String(format: "%.6f", seconds) }
}

struct IndexSearchCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "The indexed scenes nearest to an image or to each scene of a video, with their similarity, file and time span.",
        discussion: """
            One JSON object a line on standard output per query (the image, or each scene of the video): \
            {"query": {"scene", "start", "end"}, "results": [{"rank", "similarity", "distance", "file", "scene", "start", \
            "end", "keyframe", "keyframe_time"}]}. Exact search (OpenBLAS matrix products) up to 100,000 indexed scenes; \
            beyond, an inverted-file index over k-means lists, stored in the index and reused while no more than 10% of \
            its scenes were added or removed since it was built (else built again, and stored, by this search or the \
            next 'index add'). When built it tunes itself: it measures its recall@10 against exact search on 256 indexed \
            scenes and doubles the lists probed until the recall is 0.95, or searches exactly when that needs over half \
            the lists. -v says which; 'index stats' shows the lists, probes and recall.
            """)

    @Argument(help: ArgumentHelp("An image or a video file.", valueName: "image|video"))
    var query: String

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("Results per query, 1 to 1000.", valueName: "k"))
    var top: Int = 10

    @OptionGroup(title: "Input and sampling")
    var inputOptions: InputOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    var linearAlgebraThreads: Int? { networkOptions.blasThreads }

    /// For the tests: the number of scenes past which the approximate index is used (a few real clips then take that path).
    @Option(help: ArgumentHelp("", visibility: .private))
    var approximateAbove: Int = CorpusIndex.approximateAbove

    func validate() throws {
        if !(1...1000).contains(top) { throw ValidationError("--top must be 1 to 1000, got \(top)") }
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        networkOptions.apply(to: &options)
        let index = try location.open(create: false)
        let list: SceneList
        do { list = try findScenes(input: query, options: options, output: nil) } catch {
            Terminal.error(error.description)
            throw Failure(status: Status(error))
        }
        let queries = list.scenes.filter { $0.embedding != nil && (!$0.transition || list.scenes.count == 1) }
        guard !queries.isEmpty else { return }
        let began = Date()
        let search = try reporting(.inputUnreadable) { () throws(IndexError) in try index.nearestSceneIndex(approximateAbove: approximateAbove) }
        let rows = search.scenes
        guard let dimension = rows.first?.scene.embedding.count else { return }
        if !inputOptions.quiet { describe(search, index: location.index, seconds: Date().timeIntervalSince(began)) }
        let q = VectorRows(dimension: dimension, values: queries.flatMap { $0.embedding! })
        let found = search.nearest(q, k: top)
        do {
            for (scene, neighbours) in zip(queries, found) {
                let results: [JSONValue] = neighbours.enumerated().map { rank, n in
                    let r = rows[n.index]
                    return .object([
                        ("rank", .int(rank + 1)), ("similarity", .number(Double(n.similarity), decimals: 4)),
                        ("distance", .number(max(0, 1 - Double(n.similarity)), decimals: 4)),
                        ("file", .string(r.video.path)), ("scene", .int(r.scene.number)),
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
            Terminal.write("framededupe: \(Terminal.oneLine(index)): \(n) scenes: approximate index built (\(reason))" + String(format: " in %.1f s: ", seconds) + how + "\n")
            if let failure = search.storeFailure { Terminal.warning(index, "the approximate index could not be stored (\(failure)): the next search builds it again") }
        }
    }
}

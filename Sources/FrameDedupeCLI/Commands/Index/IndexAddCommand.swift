import ArgumentParser
@_spi(Testing) import Corpus
import Foundation
import FrameDedupe
import Similarity

struct IndexAddCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Analyse videos and store their scenes in the index (one transaction per video).",
        discussion: """
            Per scene the index keeps the file (path, size, SHA-256 of its bytes), the time span, the keyframe \
            (INDEX.keyframes/<first 16 hex digits of the SHA-256>/keyframes/), the mean embedding (float16, or float32 \
            with --float32), the keyframe's pHash and its local features (for the geometric check of 'index dedupe'). \
            Transition scenes are left out. A file whose content is indexed already (same SHA-256, whatever its name) \
            is skipped, and said so, unless an earlier framededupe indexed it without local features: then it is \
            analysed again and its entry replaced (add the files of an older index again to fill them in); a file at \
            an indexed path whose content \
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

    @OptionGroup(title: "Sampling")
    var inputOptions: SamplingOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Messages")
    var log: LogOptions

    @OptionGroup var unlistedProgress: UnlistedProgressOption

    /// For the crash test: pause this many seconds inside each video's transaction, half-way through its scenes.
    @Option(help: ArgumentHelp("", visibility: .private))
    var pauseInTransaction: Double?

    func validate() throws {
        if !(1...64).contains(jobs) { throw ValidationError("-j must be 1 to 64, got \(jobs)") }
        if jobs > 1 && networkOptions.blasThreads > 1 { throw ValidationError("-j \(jobs) runs one OpenBLAS thread per video: leave --blas-threads at 1") }
        try NumberRange.check(pauseInTransaction, "--pause-in-transaction", 0...3600, unit: "seconds")
        if videos.contains("-") { throw ValidationError("the index needs files (their content hash names them): standard input cannot be added") }
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        options.overlappingBatches = jobs == 1  // with -j, the other videos' threads keep the cores busy
        networkOptions.apply(to: &options)
        let began = Date()
        var hooks = CorpusIndexHooks()
        if let seconds = pauseInTransaction {
            hooks.insideAddTransaction = {
                Terminal.write("framededupe: paused inside the transaction\n")
                Thread.sleep(forTimeInterval: seconds)
            }
        }
        let index = try location.open(.create, precision: float32 ? .single : .half, hooks: hooks)
        if float32 && index.precision != .single {
            Terminal.warning(location.index, "keeps float16 embeddings (it was created so); --float32 applies to new indexes only")
        }
        var videos: [String] = []
        for v in self.videos where !videos.contains(v) { videos.append(v) }
        // Weights missing stop everything before the first video.
        var network: EfficientNetLite?
        do { network = try loadNetwork(options) } catch {
            Terminal.error(error.userDescription)
            throw Failure(status: Status(error))
        }
        let interruption = Interruption()
        let signals = Terminal.stopOnSignals(interruption)
        defer { withExtendedLifetime(signals) {} }
        let adder = VideoAdder(index: index, analysis: VideoAnalysis(options: options), quiet: log.quiet,
                               interruption: interruption)
        let results = adder.addAll(videos, jobs: jobs, network: &network, options: options, threadName: "framededupe.index")
        let failures = results.compactMap { if case .failed(let s) = $0 { s } else { nil } }
        if !log.quiet {
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
        if let a = refreshed, !log.quiet {
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

/// The contents being analysed now by the threads of `index add -j N`, by SHA-256: byte-identical files (a corpus's
/// copies) are analysed once, and the later ones wait for the first and are then already indexed, instead of two
/// analyses writing the same keyframe folder at once.
final class ContentClaims: @unchecked Sendable {
    private let condition = NSCondition()
    private var busy = Set<String>()

    /// Waits while another thread analyses `sha256`, then claims it.
    func claim(_ sha256: String) {
        condition.lock()
        while busy.contains(sha256) { condition.wait() }
        busy.insert(sha256)
        condition.unlock()
    }

    func release(_ sha256: String) {
        condition.lock()
        busy.remove(sha256)
        condition.broadcast()
        condition.unlock()
    }
}

/// Analyses one video and stores it: shared by the threads of `index add -j N` (the index serialises the writes).
struct VideoAdder: @unchecked Sendable {
    let index: CorpusIndex
    let analysis: VideoAnalysis
    let quiet: Bool
    let interruption: Interruption
    let claims = ContentClaims()
    /// Say so for each file whose content is indexed already (`dataset` counts them in one line instead).
    var announceSkips = true

    /// Adds `videos` in order on this thread with `network` when `jobs` is 1 (or there is one video), else on `jobs`
    /// threads named `threadName`, each loading its own network (`network` is let go first, not held idle); stops
    /// starting videos once interrupted.
    func addAll(_ videos: [String], jobs: Int, network: inout EfficientNetLite?, options: DedupeOptions, threadName: String) -> [AddResult] {
        guard jobs > 1, videos.count > 1 else {
            var results = [AddResult](repeating: .notStarted, count: videos.count)
            for (i, v) in videos.enumerated() where !interruption.isRequested { results[i] = add(v, network: network) }
            return results
        }
        network = nil
        return WorkerPool.run(
            count: videos.count, jobs: jobs, name: threadName, notStarted: AddResult.notStarted,
            stop: { interruption.isRequested }, makeState: { EfficientNetLite?.none }
        ) { i, network in
            if network == nil { network = try? loadNetwork(options) }
            return add(videos[i], network: network)
        }
    }

    func add(_ path: String, network: EfficientNetLite?) -> AddResult {
        do {
            let identity = try ContentIdentity.of(path)
            claims.claim(identity.sha256)
            defer { claims.release(identity.sha256) }
            if let existing = try reporting(.inputUnreadable, { () throws(IndexError) in try index.video(sha256: identity.sha256) }) {
                guard try reporting(.inputUnreadable, { () throws(IndexError) in try index.lacksFeatures(existing) }) else {
                    if announceSkips { Terminal.write("framededupe: \(Terminal.oneLine(path)): already indexed (same content as \(Terminal.oneLine(existing.path))), nothing to do\n") }
                    return .skipped
                }
                Terminal.write("framededupe: \(Terminal.oneLine(path)): indexed without local features (by an earlier framededupe): analysed again\n")
            }
            guard let video = try analysis.analyse(path: path, keyframeRoot: index.keyframeRoot, network: network, identity: identity,
                                                   interruption: interruption) else { return .interrupted }
            let outcome = try reporting(.outputUnwritable) { () throws(IndexError) in try index.add(video) }
            switch outcome {
            case .alreadyIndexed(let existing):
                if announceSkips { Terminal.write("framededupe: \(Terminal.oneLine(path)): already indexed (same content as \(Terminal.oneLine(existing.path))), nothing to do\n") }
                return .skipped
            case .added(let scenes, let replaced):
                if let replaced, replaced.sha256 != video.sha256 {
                    try? FileManager.default.removeItem(at: index.keyframeRoot.appendingPathComponent(replaced.folder))
                    Terminal.write("framededupe: \(Terminal.oneLine(path)): content changed since it was indexed: its old entry is replaced\n")
                }
                if !quiet { Terminal.write("framededupe: \(Terminal.oneLine(path)): \(scenes) scene\(scenes == 1 ? "" : "s") indexed\n") }
                return .added(scenes: scenes)
            }
        } catch let error as RunError {
            Terminal.error(error.userDescription)
            return .failed(Status(error))
        } catch let failure as Failure {
            return .failed(failure.status)
        } catch {
            Terminal.error("\(path): \(error)")
            return .failed(.internalError)
        }
    }
}

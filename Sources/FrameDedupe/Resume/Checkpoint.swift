import Decoder
import Foundation
import Pixels
import Similarity

/// Where a long run has got to, kept next to its results so that a run killed at any point (SIGKILL
/// included) can go on from there with `--resume` and end with the same results, byte for byte, as a run
/// that was never stopped.
///
/// The checkpoint is a hidden folder in the output folder, `.framededupe-checkpoint/`:
/// - `log`: an append-only record log (``CheckpointLog``): a header naming the input (path, size,
///   modification time, a digest of its first MiB) and every option that changes results; the whole batches
///   of network embeddings (vector and 3×3 grid, exactly as computed) of a long open scene only, once a resume
///   would otherwise have to run the network on more than ``recomputeBudget`` of its frames again (a resume
///   computes every batch the log lacks again, exactly: the same frames go through the network together, so a
///   short scene's embeddings, ~51 KB a frame, are never written); and for each scene as it closes,
///   the records of the frames decided since the last one, the scene itself (span, keyframe, mean
///   embedding, grid), its `--keep diverse` frames and what the segmenter needs to go on from the frame
///   that opened the next scene. The scene's keyframe state (its luma, local features and report thumbnail, ~37 KB,
///   ``KeyframeState``) is logged only while the log stays within ``writeShare`` of the images written (large
///   keyframes) or once ``heldLimit`` of it is held in memory; else the run holds it (``ClosedScenes``) and the record
///   says how a resume computes it again from the keyframe's frame, exactly. Flushed to disk (`fsync`) at most every
///   ``syncInterval`` seconds (30), when an interrupted run stops, and after a compaction.
/// - `keyframes/`, `candidates/`: the images of the closed scenes, each written (to a temporary name,
///   then renamed) before the record that names it.
///
/// Resuming reads the log up to its last whole record (a torn last record is dropped), restores the
/// closed scenes and their images, decodes the input again from its start without running the network
/// on any batch the log holds (nor scoring frames of closed scenes), puts the segmenter where it was at
/// the last scene's close (computing on the way the keyframe state of the closed scenes whose records leave it out)
/// and goes on. The checkpoint is removed when the results are complete; an
/// interrupted run (SIGINT, SIGTERM) keeps it, so `--resume` continues its partial results.
final class Checkpoint: EmbeddingBatchStore, LoggedScenes {
    static let folderName = ".framededupe-checkpoint"

    let folder: URL
    let keyframes: URL
    let candidates: URL
    private var log: CheckpointLog
    /// Where each logged batch of embeddings still needed is in the log, by its first position: how many frames,
    /// the record's offset and size.
    private var batches: [Int: Batch] = [:]
    typealias Batch = (count: Int, offset: UInt64, size: Int)
    /// Where each closed scene's record is in the log, by scene id: the closed scenes are read back from there at the
    /// end (``ClosedScenes``), not written a second time.
    private var sceneRecords: [Int: UInt64] = [:]
    /// Bytes of the log's embedding records no longer needed (frames of closed scenes).
    private var deadBytes = 0
    /// When dead bytes pass this, the log is rewritten without them (``compact()``); the tests set it smaller
    /// (``TestHooks/checkpointCompactionBytes``).
    private let compactionThreshold: Int
    private let faultPoint: (@Sendable (FaultPoint) -> Void)?
    /// The first error writing the checkpoint met where it could not be thrown (an embedding batch logged by the
    /// ``Embedder``); the run fails with it.
    private(set) var writeError: OutputError?
    private let batchSize: Int
    private var lastSync = Date()
    /// Seconds between flushes of the log to disk (`fsync`). A killed process loses nothing that it wrote (the kernel
    /// holds it); only a crash of the machine loses what was not flushed, and a resume then starts from the last whole
    /// record on disk. Each flush writes the log's last, partly filled page again plus the file system's journal
    /// blocks: every 2 s, that took a 20-minute 360p run's bytes reaching the disk from 1.39 to 1.50 times its results
    /// (1.40 every 30 s; BENCHMARKS.md, "Bytes written against results").
    static let syncInterval: TimeInterval = 30
    /// Images written (and renamed into place) since the last flush, not yet on disk (``writeImage(_:to:)``).
    private var unflushedImages: [String] = []
    /// A resume may run the network on this many frames of the open scene again (about 2.5 s on one core) rather
    /// than the log holding their embeddings.
    static let recomputeBudget = 240
    private let recomputeBudget: Int
    /// Frames of the open scene that went through the network in batches not logged: what a resume computes again.
    private var unloggedWork = 0
    /// The log's bytes may be at most this share of the images' (keyframes, `--keep diverse` candidates) before a
    /// scene's keyframe state is held in memory rather than logged: a run then writes at most its results, this share of
    /// its images, and what the file system adds, and its results are more than its images. 0.45, not 0.5: on a 2-hour
    /// cut-heavy 1080p input (2,952 keyframes) the file system wrote ~15 MB beyond the results and the log (4 KB pages,
    /// file metadata), 1.507 times the results at 0.5 (BENCHMARKS.md, "Writes of a 2-hour input"); the state held instead
    /// grows by a twentieth of the images (~18 MB there, ~1 MB on a 10-minute input).
    static let writeShare = 0.45
    /// Keyframe state held in memory past which it is logged anyway, however much that writes: about 1,800 scenes'.
    static let heldLimit = 64 << 20
    private let heldLimit: Int
    /// Bytes written to the log (compactions included) and of the images written, in this run and the one it resumes.
    private var loggedBytes = 0
    private var imageBytes = 0

    /// What an earlier run left to go on from.
    struct Restored {
        var frames: [FrameRecord] = []
        var scenes: [Scene] = []
        var diverse: [DiverseFrame] = []
        /// The closed scenes' thumbnails for `report.html`, by scene.
        var thumbnails: [Int: [UInt8]] = [:]
        /// The closed scenes whose records leave out their keyframe state, by their keyframe's frame index: to compute
        /// it again as that frame is decoded (``KeyframeState/init(of:recipe:extractor:encoder:)``).
        var recompute: [Int: (scene: Int, recipe: KeyframeRecipe)] = [:]
        /// The scene opened by the last logged close: its first frame's position among the analysed frames,
        /// whether that frame was a transition frame, the scene's id. nil: no scene was closed.
        var restart: Restart?
    }
    private(set) var restored = Restored()

    /// Hands over what an earlier run left and keeps only where to go on from (the closed scenes, frames and
    /// thumbnails are not held twice for the rest of the run).
    func takeRestored() -> Restored {
        let taken = restored
        restored = Restored()
        restored.restart = taken.restart
        return taken
    }

    /// Opens the checkpoint of `output` for `input`: with `resume`, goes on from the one there when it was
    /// made for the same input and options (else says why on `note` and starts afresh); without, starts afresh.
    init(output: URL, input: String, options: DedupeOptions, resume: Bool, note: (String) -> Void) throws(OutputError) {
        folder = output.appendingPathComponent(Self.folderName, isDirectory: true)
        keyframes = folder.appendingPathComponent(ResultsLayout.keyframesFolder, isDirectory: true)
        candidates = folder.appendingPathComponent(ResultsLayout.candidatesFolder, isDirectory: true)
        batchSize = max(1, options.batchSize)
        compactionThreshold = options.testHooks.checkpointCompactionBytes ?? 64 << 20
        recomputeBudget = options.testHooks.checkpointRecomputeBudget ?? Self.recomputeBudget
        heldLimit = options.testHooks.checkpointHeldKeyframeBytes ?? Self.heldLimit
        faultPoint = options.testHooks.faultPoint
        let identity = Self.identity(input: input, options: options)
        let logURL = folder.appendingPathComponent("log")
        var opened: CheckpointLog? = nil
        if resume, FileManager.default.fileExists(atPath: logURL.path) {
            do {
                let (log, restored, batches, sceneRecords, imageBytes) = try Self.load(logURL, identity: identity, faultPoint: faultPoint)
                opened = log
                self.restored = restored
                self.batches = batches
                self.sceneRecords = sceneRecords
                self.imageBytes = imageBytes
                loggedBytes = Int(log.size)
                let size = max(1, options.batchSize)
                let kept = batches.values.filter { $0.count == size }.count * size
                if let restart = restored.restart, let last = restored.scenes.last {
                    note(String(format: "resuming: %d scenes closed up to %.3f s kept, %d frames' embeddings kept", restart.sceneID, last.end, kept))
                } else {
                    note("resuming: no scene closed yet, \(kept) frames' embeddings kept")
                }
            } catch {
                note("\(Self.folderName): \(error); analysing from the start")
            }
        }
        if let opened {
            log = opened
        } else {
            try? FileManager.default.removeItem(at: folder)
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                log = try CheckpointLog(creating: logURL, faultPoint: faultPoint)
                try log.append(kind: .header, BinaryCoding.encode(CheckpointHeader(identity: identity)))
            } catch {
                try? FileManager.default.removeItem(at: folder)
                throw OutputError(path: folder.path, reason: Self.reason(error))
            }
        }
        for dir in [keyframes, candidates] {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                try? FileManager.default.removeItem(at: folder)
                throw OutputError(path: dir.path, reason: Self.reason(error))
            }
        }
    }

    /// Why writing failed, as one short phrase ("no space left on device").
    static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError {
            switch posix.code {  // worded as OutputFolder words them
            case .ENOSPC: return "no space left on device"
            case .EACCES: return "permission denied"
            case .EROFS: return "read-only file system"
            default: return String(cString: strerror(posix.code.rawValue))
            }
        }
        return OutputFolder.reason(error)
    }

    /// Raised whenever a rule outside the cut models' coefficients (``CutModel/fingerprint(for:)``) changes where scenes
    /// cut or which frame is a scene's keyframe, for the same signals: named in the identity, so that a run interrupted
    /// under the older rules starts again instead of mixing their decisions with these (or the keyframe state it logged
    /// with this run's). 5: no other moment or shot start from a sample that still shows the scene across a hard cut
    /// (issue 17, a morph cut in its first half); 4: other moments' features thinned to 250 keypoints
    /// (``LocalFeatureExtractor/momentKeypoints``); 3: no change over two intervals
    /// right after a cut of any kind (issue 17, false cuts inside fast film shots); 2: dissolves between moving
    /// shots judged against the scene's own level, and keyframes kept away from the gradual changes at both ends of
    /// their shot (issue 17); 1: the rules before.
    static let sceneRulesRevision = 5

    /// Everything a checkpoint must match to be resumed: the format, the input's identity and the options.
    static func identity(input: String, options: DedupeOptions) -> String {
        var lines = ["framededupe checkpoint \(CheckpointLog.formatVersion)", "input \(input)"]
        if let attributes = try? FileManager.default.attributesOfItem(atPath: input) {
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            lines.append("size \(size) modified \(String(format: "%.6f", mtime)) head \(headDigest(input))")
        }
        lines.append("decode \(options.reader.decode.rawValue)")
        lines.append("options " + AnalysisOptionsRecord(options).jsonLine)
        lines.append("clusters " + ClusteringOptionsRecord(options).jsonLine)
        // Refitted cut models cut elsewhere: a run interrupted under others starts again.
        lines.append("cut models " + CutModel.fingerprint(for: options.scorer))
        lines.append("scene rules \(sceneRulesRevision)")
        if options.scorer.usesEmbedding {
            let model = options.model ?? options.modelVariant.defaultModelLocation()
            let attributes = try? FileManager.default.attributesOfItem(atPath: model.path)
            lines.append("model \(model.path) \((attributes?[.size] as? NSNumber)?.int64Value ?? -1)")
            // More OpenBLAS threads split the network's sums differently: the last bits of embeddings change.
            lines.append("blas threads \(options.linearAlgebraThreads)")
            lines.append("unchanged frames " + (options.unchangedFrames?.description ?? "embedded"))
            // Which frames the network sees moves embeddings (stand-ins) and so scenes: an older run starts again.
            if options.networkFramesInEffect == .cascade { lines.append("network frames " + NetworkGate.description) }
        }
        return lines.joined(separator: "\n")
    }

    /// FNV-1a over the first MiB of a file: the same path, size and time with other contents is another input.
    static func headDigest(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "unreadable" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in head { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Reads a log: its header must be `identity`; returns the log opened for appending after its last whole
    /// record, the restored state and where the embeddings still needed are.
    private static func load(_ url: URL, identity: String, faultPoint: (@Sendable (FaultPoint) -> Void)?) throws -> (CheckpointLog, Restored, [Int: Batch], [Int: UInt64], Int) {
        let log = try CheckpointLog(appendingTo: url, faultPoint: faultPoint)
        var restored = Restored()
        var batches: [Int: Batch] = [:]
        var sceneRecords: [Int: UInt64] = [:]
        var sawHeader = false
        try log.scan { kind, payload, offset in
            switch kind {
            case .header:
                guard !sawHeader, try BinaryCoding.decode(CheckpointHeader.self, from: payload).identity == identity else {
                    throw CheckpointError.mismatch("made for another input, another version of it or other options")
                }
                sawHeader = true
            case .embeddings:
                guard sawHeader else { throw CheckpointError.corrupt("no header") }
                let batch = try BinaryCoding.decode(EmbeddingBatch.self, from: payload)
                batches[batch.first] = (batch.embeddings.count, offset, 9 + payload.count)
            case .scene:
                guard sawHeader else { throw CheckpointError.corrupt("no header") }
                let closed = try SceneCheckpoint.decode(payload)
                closed.apply(to: &restored)
                sceneRecords[closed.scene.id] = offset
                // Embeddings before the frame ahead of the new scene's first are never needed again.
                let keepFrom = closed.position - 1
                batches = batches.filter { $0.key + $0.value.count > keepFrom }
            }
        }
        guard sawHeader else { throw CheckpointError.corrupt("no header") }
        // The images the log names must be there (written before their records).
        var imageBytes = 0
        for scene in restored.scenes {
            guard let path = scene.keyframe.path else { continue }
            let file = url.deletingLastPathComponent().appendingPathComponent(path)
            let size = ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.intValue ?? 0
            guard size > 0 else { throw CheckpointError.corrupt("\(path) is missing") }
            imageBytes += size
        }
        return (log, restored, batches, sceneRecords, imageBytes)
    }

    /// The embedding computed for the frame at `position` in the interrupted run, when its batch was logged.
    func embeddings(batchAt first: Int) -> [Embedding]? {
        guard let (count, offset, _) = batches[first], count == batchSize else { return nil }
        guard let payload = try? log.payload(at: offset) else { return nil }
        guard let batch = try? BinaryCoding.decode(EmbeddingBatch.self, from: payload), batch.first == first, batch.embeddings.count == count
        else { return nil }
        return batch.embeddings
    }

    /// Logs a whole batch of embeddings once the open scene's frames that went through the network and are not
    /// logged pass ``recomputeBudget``; an error is kept in ``writeError`` (the first one) for the run to fail with.
    func store(_ embeddings: [Embedding], batchAt first: Int, computed: Int) {
        guard writeError == nil else { return }
        unloggedWork += computed
        guard unloggedWork > recomputeBudget else { return }
        do {
            try logEmbeddings(first: first, embeddings)
            unloggedWork -= computed
        } catch { writeError = error }
    }

    /// Logs a whole batch of embeddings, the frames at `first ..< first + count`.
    func logEmbeddings(first: Int, _ embeddings: [Embedding]) throws(OutputError) {
        guard embeddings.count == batchSize, batches[first] == nil else { return }
        let payload = try encoded(EmbeddingBatch(first: first, embeddings: embeddings))
        let offset = try append(.embeddings, payload)
        batches[first] = (embeddings.count, offset, 9 + payload.count)
    }

    /// Scene `id` whole and its report thumbnail, read back from its record; nil when it is not logged or cannot be read.
    public func loggedScene(_ id: Int) -> (scene: Scene, thumbnail: [UInt8]?)? {
        guard let offset = sceneRecords[id], let payload = try? log.payload(at: offset),
              let closed = try? SceneCheckpoint.decode(payload), closed.scene.id == id else { return nil }
        return (closed.scene, closed.thumbnail)
    }

    /// Logs a scene's close (see ``SceneCheckpoint``); its images are already written. Returns false when the record
    /// leaves out the scene's keyframe state, for the run to hold: the log would pass ``writeShare`` of the images with
    /// it, and the run holds less than ``heldLimit`` (`heldBytes`) of such state.
    func logScene(_ closed: SceneCheckpoint, heldBytes: Int) throws(OutputError) -> Bool {
        var payload = try encoded(closed)
        let whole = heldBytes >= heldLimit || Double(loggedBytes + payload.count) <= Self.writeShare * Double(imageBytes)
        if !whole { payload = try encoded(closed.withoutKeyframeState()) }
        sceneRecords[closed.scene.id] = try append(.scene, payload)
        unloggedWork = 0  // a new scene is open (the network may be a batch ahead: a budget, not an account)
        let keepFrom = closed.position - 1
        for (first, batch) in batches where first + batch.count <= keepFrom {
            deadBytes += batch.size
            batches[first] = nil
        }
        if deadBytes > compactionThreshold {
            do { try compact() } catch { throw OutputError(path: log.url.path, reason: Self.reason(error)) }
        }
        return whole
    }

    /// Rewrites the log without the embeddings no longer needed (`log.new`, made durable, then renamed over
    /// `log`): it stays about as long as the open scene's embeddings and the closed scenes' records.
    private func compact() throws {
        let url = log.url
        let newURL = folder.appendingPathComponent("log.new")
        let fresh = try CheckpointLog(creating: newURL, faultPoint: faultPoint)
        let live = Dictionary(uniqueKeysWithValues: batches.map { ($0.value.offset, $0.key) })
        let scenes = Dictionary(uniqueKeysWithValues: sceneRecords.map { ($0.value, $0.key) })
        var moved: [Int: Batch] = [:]
        var movedScenes: [Int: UInt64] = [:]
        let reader = try CheckpointLog(appendingTo: url)
        try reader.scan { kind, payload, offset in
            if kind == .embeddings && live[offset] == nil { return }
            let at = try fresh.append(kind: kind, payload)
            if kind == .embeddings, let first = live[offset] { moved[first] = (batches[first]!.count, at, 9 + payload.count) }
            if kind == .scene, let id = scenes[offset] { movedScenes[id] = at }
        }
        reader.close()
        loggedBytes += Int(fresh.size)
        try flushImages()
        try fresh.sync()
        guard rename(newURL.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        fresh.url = url
        log.close()
        log = fresh
        batches = moved
        sceneRecords = movedScenes
        deadBytes = 0
        lastSync = Date()
    }

    private func encoded<T: Encodable>(_ record: T) throws(OutputError) -> [UInt8] {
        do { return try BinaryCoding.encode(record) } catch { throw OutputError(path: log.url.path, reason: "cannot encode a record (\(error))") }
    }

    private func append(_ kind: CheckpointLog.Kind, _ payload: [UInt8]) throws(OutputError) -> UInt64 {
        do {
            let offset = try log.append(kind: kind, payload)
            loggedBytes += 9 + payload.count
            if Date().timeIntervalSince(lastSync) >= Self.syncInterval {
                try flushImages()
                try log.sync()
                lastSync = Date()
            }
            return offset
        } catch {
            throw OutputError(path: log.url.path, reason: Self.reason(error))
        }
    }

    /// Writes an image under the checkpoint folder: to a temporary name, then renamed, so a name that exists holds a
    /// whole image. It reaches the disk with the others written since the last flush (``flushImages()``), before the
    /// log does, so a record on disk names only images on disk; the results link them only after that flush too.
    func writeImage(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try writeUnflushed(bytes, to: temporary.path)
        imageBytes += bytes.count
        faultPoint?(.image)
        guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        unflushedImages.append(url.path)
    }

    /// Flushes to disk, together, the images written since the last flush.
    private func flushImages() throws(POSIXError) {
        let paths = unflushedImages
        unflushedImages.removeAll()
        if let failed = flushToDisk(paths) {
            unflushedImages = paths  // tried again at the next flush
            throw POSIXError(POSIXErrorCode(rawValue: failed.code) ?? .EIO)
        }
    }

    /// Hard-links (or copies) the images the results name (`keyframes/…`, `candidates/…`, relative paths) from the
    /// checkpoint into the output's staging folder, to be moved into place with the results. Images of an earlier
    /// run that no result names (a scene closed early by an interruption) stay behind.
    func stageImages(_ paths: [String], in folder: OutputFolder) throws(OutputError) {
        do { try flushImages() } catch { throw OutputError(path: keyframes.path, reason: Self.reason(error)) }
        let fm = FileManager.default
        for path in paths {
            let parts = path.split(separator: "/").map(String.init)
            guard parts.count == 2 else { continue }
            let target = try folder.stagedFolder(parts[0])
            let from = self.folder.appendingPathComponent(path), to = target.appendingPathComponent(parts[1])
            try? fm.removeItem(at: to)
            if link(from.path, to.path) != 0 {
                do { try fm.copyItem(at: from, to: to) } catch {
                    throw OutputError(path: folder.url.appendingPathComponent(path).path, reason: OutputFolder.reason(error))
                }
            }
        }
    }

    /// Makes everything logged so far durable.
    func sync() throws(OutputError) {
        do {
            try flushImages()
            try log.sync()
        } catch { throw OutputError(path: log.url.path, reason: Self.reason(error)) }
    }

    /// Removes the checkpoint (the results are complete, or the run failed). Its log stays open, unlinked, until the
    /// checkpoint goes: a finished run's logged scenes are still read from it (``loggedScene(_:)``: their local features,
    /// asked for through ``ScenePictures`` after the results are written).
    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Removes a checkpoint left in `output` (a run that does not checkpoint, or `--force`).
    static func remove(in output: URL) {
        try? FileManager.default.removeItem(at: output.appendingPathComponent(folderName, isDirectory: true))
    }
}

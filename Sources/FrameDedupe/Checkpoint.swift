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
///   modification time, a digest of its first MiB) and every option that changes results; each whole batch
///   of network embeddings (vector and 3×3 grid, exactly as computed); and for each scene as it closes,
///   the records of the frames decided since the last one, the scene itself (span, keyframe, mean
///   embedding, grid), its `--keep diverse` frames and what the segmenter needs to go on from the frame
///   that opened the next scene. Flushed to disk (`fsync`) at most every two seconds.
/// - `keyframes/`, `candidates/`: the images of the closed scenes, each written (to a temporary name,
///   then renamed) before the record that names it.
///
/// Resuming reads the log up to its last whole record (a torn last record is dropped), restores the
/// closed scenes and their images, decodes the input again from its start without running the network
/// on any batch the log holds (nor scoring frames of closed scenes), puts the segmenter where it was at
/// the last scene's close and goes on. The checkpoint is removed when the results are complete; an
/// interrupted run (SIGINT, SIGTERM) keeps it, so `--resume` continues its partial results.
final class Checkpoint {
    static let folderName = ".framededupe-checkpoint"

    let folder: URL
    let keyframes: URL
    let candidates: URL
    private var log: CheckpointLog
    /// Where each logged batch of embeddings still needed is in the log, by its first position: how many frames,
    /// the record's offset and size.
    private var batches: [Int: Batch] = [:]
    typealias Batch = (count: Int, offset: UInt64, size: Int)
    /// Bytes of the log's embedding records no longer needed (frames of closed scenes).
    private var deadBytes = 0
    /// When dead bytes pass this, the log is rewritten without them (``compact()``); `FRAMEDEDUPE_CHECKPOINT_COMPACT`
    /// sets it (bytes) for the tests.
    private let compactionThreshold = Int(ProcessInfo.processInfo.environment["FRAMEDEDUPE_CHECKPOINT_COMPACT"] ?? "") ?? 64 << 20
    private let batchSize: Int
    private var lastSync = Date()

    /// What an earlier run left to go on from.
    struct Restored {
        var frames: [FrameRecord] = []
        var scenes: [Scene] = []
        var diverse: [DiverseFrame] = []
        /// The closed scenes' thumbnails for `report.html`, by scene.
        var thumbnails: [Int: [UInt8]] = [:]
        /// The scene opened by the last logged close: its first frame's position among the analysed frames,
        /// whether that frame was a transition frame, the scene's id. nil: no scene was closed.
        var restart: (position: Int, transition: Bool, sceneID: Int)?
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
        keyframes = folder.appendingPathComponent("keyframes", isDirectory: true)
        candidates = folder.appendingPathComponent("candidates", isDirectory: true)
        batchSize = max(1, options.batchSize)
        let identity = Self.identity(input: input, options: options)
        let logURL = folder.appendingPathComponent("log")
        var opened: CheckpointLog? = nil
        if resume, FileManager.default.fileExists(atPath: logURL.path) {
            do {
                let (log, restored, batches) = try Self.load(logURL, identity: identity)
                opened = log
                self.restored = restored
                self.batches = batches
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
                log = try CheckpointLog(creating: logURL)
                var header = CheckpointEncoder()
                header.string(identity)
                try log.append(kind: .header, header.bytes)
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

    /// Everything a checkpoint must match to be resumed: the format, the input's identity and the options.
    static func identity(input: String, options: DedupeOptions) -> String {
        var lines = ["framededupe checkpoint \(CheckpointLog.formatVersion)", "input \(input)"]
        if let attributes = try? FileManager.default.attributesOfItem(atPath: input) {
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            lines.append("size \(size) modified \(String(format: "%.6f", mtime)) head \(headDigest(input))")
        }
        lines.append("decode \(options.reader.decode.rawValue)")
        lines.append("options " + SceneListWriter.options(options).serialized(pretty: false))
        lines.append("clusters " + ClusterListWriter.options(options).serialized(pretty: false))
        if options.scorer.usesEmbedding {
            let model = options.model ?? options.modelVariant.defaultModelLocation()
            let attributes = try? FileManager.default.attributesOfItem(atPath: model.path)
            lines.append("model \(model.path) \((attributes?[.size] as? NSNumber)?.int64Value ?? -1)")
            // More OpenBLAS threads split the network's sums differently: the last bits of embeddings change.
            lines.append("blas threads \(options.linearAlgebraThreads)")
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
    private static func load(_ url: URL, identity: String) throws -> (CheckpointLog, Restored, [Int: Batch]) {
        let log = try CheckpointLog(appendingTo: url)
        var restored = Restored()
        var batches: [Int: Batch] = [:]
        var sawHeader = false
        try log.scan { kind, payload, offset in
            var d = CheckpointDecoder(payload)
            switch kind {
            case .header:
                guard !sawHeader, try d.string() == identity else {
                    throw CheckpointError.mismatch("made for another input, another version of it or other options")
                }
                sawHeader = true
            case .embeddings:
                guard sawHeader else { throw CheckpointError.corrupt("no header") }
                let first = try d.int(), count = try d.int()
                batches[first] = (count, offset, 9 + payload.count)
            case .scene:
                guard sawHeader else { throw CheckpointError.corrupt("no header") }
                let closed = try SceneCheckpoint(decoding: &d)
                closed.apply(to: &restored)
                // Embeddings before the frame ahead of the new scene's first are never needed again.
                let keepFrom = closed.position - 1
                batches = batches.filter { $0.key + $0.value.count > keepFrom }
            }
        }
        guard sawHeader else { throw CheckpointError.corrupt("no header") }
        // The images the log names must be there (written before their records).
        for scene in restored.scenes {
            guard let path = scene.keyframe.path else { continue }
            let file = url.deletingLastPathComponent().appendingPathComponent(path)
            guard ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.intValue ?? 0 > 0 else {
                throw CheckpointError.corrupt("\(path) is missing")
            }
        }
        return (log, restored, batches)
    }

    /// The embedding computed for the frame at `position` in the interrupted run, when its batch was logged.
    func embeddings(batchAt first: Int) -> [Embedding]? {
        guard let (count, offset, _) = batches[first], count == batchSize else { return nil }
        guard let payload = try? log.payload(at: offset) else { return nil }
        var d = CheckpointDecoder(payload)
        guard (try? d.int()) == first, (try? d.int()) == count else { return nil }
        var out: [Embedding] = []
        for _ in 0..<count {
            guard let vector = try? d.floats(), let grid = try? d.floats(),
                  grid.count == Embedding.gridSide * Embedding.gridSide * vector.count else { return nil }
            out.append(Embedding(vector: vector, grid: grid))
        }
        return out
    }

    /// Logs a whole batch of embeddings, the frames at `first ..< first + count`.
    func logEmbeddings(first: Int, _ embeddings: [Embedding]) throws(OutputError) {
        guard embeddings.count == batchSize, batches[first] == nil else { return }
        var e = CheckpointEncoder()
        e.int(first)
        e.int(embeddings.count)
        for embedding in embeddings {
            e.floats(embedding.vector)
            e.floats(embedding.grid)
        }
        let offset = try append(.embeddings, e.bytes)
        batches[first] = (embeddings.count, offset, 9 + e.bytes.count)
    }

    /// Logs a scene's close (see ``SceneCheckpoint``); its images are already written.
    func logScene(_ closed: SceneCheckpoint) throws(OutputError) {
        var e = CheckpointEncoder()
        closed.encode(to: &e)
        _ = try append(.scene, e.bytes)
        let keepFrom = closed.position - 1
        for (first, batch) in batches where first + batch.count <= keepFrom {
            deadBytes += batch.size
            batches[first] = nil
        }
        if deadBytes > compactionThreshold {
            do { try compact() } catch { throw OutputError(path: log.url.path, reason: Self.reason(error)) }
        }
    }

    /// Rewrites the log without the embeddings no longer needed (`log.new`, made durable, then renamed over
    /// `log`): it stays about as long as the open scene's embeddings and the closed scenes' records.
    private func compact() throws {
        let url = log.url
        let newURL = folder.appendingPathComponent("log.new")
        let fresh = try CheckpointLog(creating: newURL)
        let live = Dictionary(uniqueKeysWithValues: batches.map { ($0.value.offset, $0.key) })
        var moved: [Int: Batch] = [:]
        let reader = try CheckpointLog(appendingTo: url)
        try reader.scan { kind, payload, offset in
            if kind == .embeddings && live[offset] == nil { return }
            let at = try fresh.append(kind: kind, payload)
            if kind == .embeddings, let first = live[offset] { moved[first] = (batches[first]!.count, at, 9 + payload.count) }
        }
        reader.close()
        try fresh.sync()
        guard rename(newURL.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        fresh.url = url
        log.close()
        log = fresh
        batches = moved
        deadBytes = 0
        lastSync = Date()
    }

    private func append(_ kind: CheckpointLog.Kind, _ payload: [UInt8]) throws(OutputError) -> UInt64 {
        do {
            let offset = try log.append(kind: kind, payload)
            if Date().timeIntervalSince(lastSync) >= 2 {
                try log.sync()
                lastSync = Date()
            }
            return offset
        } catch {
            throw OutputError(path: log.url.path, reason: Self.reason(error))
        }
    }

    /// Writes an image under the checkpoint folder: to a temporary name, then renamed, so a name that exists holds a whole image.
    func writeImage(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try Data(bytes).write(to: temporary)
        TestKill.point("image")
        guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Hard-links (or copies) the images the results name (`keyframes/…`, `candidates/…`, relative paths) from the
    /// checkpoint into the output's staging folder, to be moved into place with the results. Images of an earlier
    /// run that no result names (a scene closed early by an interruption) stay behind.
    func stageImages(_ paths: [String], in folder: OutputFolder) throws(OutputError) {
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
        do { try log.sync() } catch { throw OutputError(path: log.url.path, reason: Self.reason(error)) }
    }

    /// Removes the checkpoint (the results are complete, or the run failed).
    func remove() {
        log.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Removes a checkpoint left in `output` (a run that does not checkpoint, or `--force`).
    static func remove(in output: URL) {
        try? FileManager.default.removeItem(at: output.appendingPathComponent(folderName, isDirectory: true))
    }
}

/// What the log holds about one scene's close: the step of the segmenter that closed scene `scene.id` and
/// opened the next with the frame at `position`.
struct SceneCheckpoint {
    /// Position (0, 1, 2… among the frames the decoder handed out) of the frame that opened the next scene.
    let position: Int
    /// Whether that frame was a transition frame (a blank frame can open a scene).
    let transition: Bool
    /// The frames decided since the last close, the opening frame last.
    let records: [FrameRecord]
    /// Frames of the closed scene found to be transition frames (by index), marked before the opening frame was recorded.
    let reclassified: [Int]
    let scene: Scene
    /// Its `--keep diverse` frames.
    let diverse: [DiverseFrame]
    /// Its thumbnail for `report.html`.
    let thumbnail: [UInt8]?

    /// Replays the close onto `restored`, as the pipeline made it.
    func apply(to restored: inout Restored) {
        restored.frames += records.dropLast()
        for i in reclassified where i >= 0 && i < restored.frames.count { restored.frames[i].transition = true }
        if let last = records.last { restored.frames.append(last) }
        restored.scenes.append(scene)
        restored.diverse += diverse
        if let thumbnail { restored.thumbnails[scene.id] = thumbnail }
        restored.restart = (position, transition, scene.id + 1)
    }

    typealias Restored = Checkpoint.Restored

    func encode(to e: inout CheckpointEncoder) {
        e.int(position)
        e.bool(transition)
        e.int(records.count)
        for r in records { e.frameRecord(r) }
        e.int(reclassified.count)
        for i in reclassified { e.int(i) }
        e.scene(scene)
        e.int(diverse.count)
        for d in diverse {
            e.int(d.scene)
            e.keyframe(d.keyframe)
            e.optional(d.vector) { $0.floats($1) }
            e.luma(d.luma)
        }
        e.optional(thumbnail) { $0.raw($1) }
    }
}

extension SceneCheckpoint {
    init(decoding d: inout CheckpointDecoder) throws(CheckpointError) {
        position = try d.int()
        transition = try d.bool()
        var records: [FrameRecord] = []
        for _ in 0..<(try d.count()) { records.append(try d.frameRecord()) }
        self.records = records
        var reclassified: [Int] = []
        for _ in 0..<(try d.count()) { reclassified.append(try d.int()) }
        self.reclassified = reclassified
        scene = try d.scene()
        var diverse: [DiverseFrame] = []
        for _ in 0..<(try d.count()) {
            let id = try d.int()
            let keyframe = try d.keyframe()
            let vector = try d.optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.floats() }
            diverse.append(DiverseFrame(scene: id, keyframe: keyframe, vector: vector, luma: try d.luma()))
        }
        self.diverse = diverse
        thumbnail = try d.optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.raw() }
        guard position >= 1, !records.isEmpty, d.isAtEnd else { throw .corrupt("bad scene record") }
    }
}

/// Why a checkpoint cannot be resumed.
enum CheckpointError: Error, CustomStringConvertible {
    case corrupt(String)
    case mismatch(String)

    var description: String {
        switch self {
        case .corrupt(let why): "unreadable (\(why))"
        case .mismatch(let why): why
        }
    }
}

/// An append-only log of length-prefixed, checksummed records: an 8-byte magic, then records of
/// `length (UInt32 LE) · CRC-32 of the payload (UInt32 LE) · kind (1 byte) · payload`. Reading stops at the
/// first record that is cut short or fails its checksum (a write torn by a kill), and the log is cut there
/// before anything is appended.
final class CheckpointLog {
    static let magic = Array("FDCKPT01".utf8)
    static let formatVersion = 1
    /// No record is larger (a batch of 256 embeddings is 13 MB).
    static let maximumRecord = 64 << 20

    enum Kind: UInt8 {
        case header = 1
        case embeddings = 2
        case scene = 3
    }

    /// Where the log is (changed when a compacted copy replaces it).
    var url: URL
    private var fd: Int32

    /// Creates (or empties) the log.
    init(creating url: URL) throws {
        self.url = url
        fd = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        try write(Self.magic)
    }

    /// Opens an existing log; ``scan(_:)`` reads it and positions appends after its last whole record.
    init(appendingTo url: URL) throws {
        self.url = url
        fd = open(url.path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Calls `body` with each whole record in order (kind, payload, the record's offset), then cuts the log
    /// after the last one. Records of an unknown kind end the scan like a torn one.
    func scan(_ body: (Kind, [UInt8], UInt64) throws -> Void) throws {
        let size = UInt64(lseek(fd, 0, SEEK_END))
        var offset = UInt64(Self.magic.count)
        guard size >= offset, try read(at: 0, count: Self.magic.count) == Self.magic else { throw CheckpointError.corrupt("not a checkpoint log") }
        while offset + 9 <= size {
            let head = try read(at: offset, count: 9)
            let length = Int(Self.uint32(head, 0)), crc = Self.uint32(head, 4)
            guard length <= Self.maximumRecord, offset + 9 + UInt64(length) <= size, let kind = Kind(rawValue: head[8]) else { break }
            let payload = try read(at: offset + 9, count: length)
            guard CRC32.checksum(payload, seed: UInt32(head[8])) == crc else { break }
            try body(kind, payload, offset)
            offset += 9 + UInt64(length)
        }
        guard ftruncate(fd, off_t(offset)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        lseek(fd, off_t(offset), SEEK_SET)
    }

    /// Parses a whole log held in memory (for the fuzzer and tests): the records read, and how many bytes they span.
    /// `verifyingChecksums` false reads records whatever their checksums (for the fuzzer, to reach the decoders).
    static func records(in bytes: [UInt8], verifyingChecksums: Bool = true) -> (records: [(Kind, [UInt8])], length: Int) {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { return ([], 0) }
        var offset = magic.count
        var out: [(Kind, [UInt8])] = []
        while offset + 9 <= bytes.count {
            let head = Array(bytes[offset..<offset + 9])
            let length = Int(uint32(head, 0)), crc = uint32(head, 4)
            guard length <= maximumRecord, offset + 9 + length <= bytes.count, let kind = Kind(rawValue: head[8]) else { break }
            let payload = Array(bytes[offset + 9..<offset + 9 + length])
            guard !verifyingChecksums || CRC32.checksum(payload, seed: UInt32(head[8])) == crc else { break }
            out.append((kind, payload))
            offset += 9 + length
        }
        return (out, offset)
    }

    /// The payload of the record at `offset`, checked again.
    func payload(at offset: UInt64) throws -> [UInt8] {
        let head = try read(at: offset, count: 9)
        let length = Int(Self.uint32(head, 0))
        guard length <= Self.maximumRecord else { throw CheckpointError.corrupt("record too large") }
        let payload = try read(at: offset + 9, count: length)
        guard CRC32.checksum(payload, seed: UInt32(head[8])) == Self.uint32(head, 4) else { throw CheckpointError.corrupt("checksum") }
        return payload
    }

    /// Appends a record; returns its offset.
    @discardableResult
    func append(kind: Kind, _ payload: [UInt8]) throws -> UInt64 {
        let offset = UInt64(lseek(fd, 0, SEEK_CUR))
        var record: [UInt8] = []
        record.reserveCapacity(payload.count + 9)
        Self.put(UInt32(payload.count), into: &record)
        Self.put(CRC32.checksum(payload, seed: UInt32(kind.rawValue)), into: &record)
        record.append(kind.rawValue)
        record += payload
        if TestKill.planned("record") {
            try write(Array(record[..<(record.count / 2)]))
            TestKill.point("record")
            try write(Array(record[(record.count / 2)...]))
            return offset
        }
        try write(record)
        return offset
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            done += n
        }
    }

    private func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { throw CheckpointError.corrupt("cut short") }
            done += n
        }
        return out
    }

    private static func uint32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    private static func put(_ v: UInt32, into out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`, with `seed` mixed in first (the record's kind, so a record read as another kind fails).
    static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF ^ seed
        bytes.withUnsafeBufferPointer { p in
            for byte in p { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// Little-endian binary fields of checkpoint records.
struct CheckpointEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func u64(_ v: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) } }
    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func double(_ v: Double) { u64(v.bitPattern) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func string(_ s: String) { raw(Array(s.utf8)) }
    mutating func raw(_ b: [UInt8]) {
        int(b.count)
        bytes += b
    }
    mutating func floats(_ a: [Float]) {
        int(a.count)
        bytes.reserveCapacity(bytes.count + 4 * a.count)
        for f in a {
            let v = f.bitPattern
            bytes += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24)]
        }
    }
    mutating func optional<T>(_ v: T?, _ body: (inout CheckpointEncoder, T) -> Void) {
        bool(v != nil)
        if let v { body(&self, v) }
    }

    mutating func timestamp(_ t: Timestamp) {
        int(Int(t.pts))
        int(Int(t.timeBase.numerator))
        int(Int(t.timeBase.denominator))
    }

    mutating func luma(_ l: LumaImage) {
        int(l.width)
        int(l.height)
        raw(l.pixels)
    }

    mutating func keyframe(_ k: Keyframe) {
        int(k.frameIndex)
        timestamp(k.timestamp)
        double(k.seconds)
        optional(k.path) { $0.string($1) }
        double(k.centrality)
        double(k.sharpness)
        double(k.exposure)
        optional(k.source) { $0.string($1) }
    }

    mutating func frameRecord(_ r: FrameRecord) {
        int(r.index)
        int(r.ordinal)
        timestamp(r.timestamp)
        double(r.seconds)
        int(r.scene)
        optional(r.scores) { e, s in
            e.int(s.hashDistance)
            for v in [s.ssimToReference, s.ssimToPrevious, s.embeddingToReference, s.embeddingToPrevious] { e.optional(v) { $0.double($1) } }
        }
        double(r.quality.sharpness)
        double(r.quality.exposure)
        double(r.quality.meanLuma)
        optional(r.cutKind) { $0.string($1.rawValue) }
        optional(r.context) { e, c in
            e.optional(c.recentLevel) { $0.double($1) }
            e.int(c.recentCount)
            e.optional(c.nextChange) { $0.double($1) }
            e.optional(c.nextToPrevious) { $0.double($1) }
        }
        bool(r.transition)
    }

    mutating func scene(_ s: Scene) {
        int(s.id)
        double(s.start)
        double(s.end)
        int(s.firstFrame)
        int(s.frameCount)
        keyframe(s.keyframe)
        optional(s.embedding) { $0.floats($1) }
        optional(s.grid) { e, g in
            e.int(g.side)
            e.int(g.channels)
            e.raw(g.cells)
        }
        bool(s.transition)
        optional(s.keyframeLuma) { $0.luma($1) }
        optional(s.keyframeVector) { $0.floats($1) }
    }
}

/// Reads what ``CheckpointEncoder`` wrote; any value out of place is ``CheckpointError/corrupt(_:)``.
struct CheckpointDecoder {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { at == bytes.count }

    private mutating func take(_ n: Int) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - at else { throw .corrupt("record cut short") }
        defer { at += n }
        return bytes[at..<at + n]
    }

    mutating func u64() throws(CheckpointError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
        return v
    }
    mutating func int() throws(CheckpointError) -> Int { Int(Int64(bitPattern: try u64())) }
    /// A count of items that follow, each at least one byte long.
    mutating func count() throws(CheckpointError) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.count - at else { throw .corrupt("bad count") }
        return n
    }
    mutating func double() throws(CheckpointError) -> Double { Double(bitPattern: try u64()) }
    mutating func bool() throws(CheckpointError) -> Bool {
        switch try take(1).first! {
        case 0: return false
        case 1: return true
        default: throw .corrupt("bad flag")
        }
    }
    mutating func raw() throws(CheckpointError) -> [UInt8] { Array(try take(try count())) }
    mutating func string() throws(CheckpointError) -> String {
        guard let s = String(validating: try raw(), as: UTF8.self) else { throw .corrupt("bad text") }
        return s
    }
    mutating func floats() throws(CheckpointError) -> [Float] {
        let n = try int()
        guard n >= 0, n <= (bytes.count - at) / 4 else { throw .corrupt("bad count") }
        let b = try take(4 * n)
        var out = [Float](repeating: 0, count: n)
        var i = b.startIndex
        for k in 0..<n {
            out[k] = Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
            i += 4
        }
        return out
    }
    mutating func optional<T>(_ body: (inout CheckpointDecoder) throws(CheckpointError) -> T) throws(CheckpointError) -> T? {
        try bool() ? try body(&self) : nil
    }

    mutating func timestamp() throws(CheckpointError) -> Timestamp {
        let pts = try int(), num = try int(), den = try int()
        guard den > 0 else { throw .corrupt("bad time base") }
        return Timestamp(pts: Int64(pts), timeBase: Rational(Int64(num), Int64(den)))
    }

    mutating func luma() throws(CheckpointError) -> LumaImage {
        let w = try int(), h = try int()
        let pixels = try raw()
        guard w > 0, h > 0, w <= 1 << 16, h <= 1 << 16, w * h == pixels.count else { throw .corrupt("bad picture") }
        return LumaImage(width: w, height: h, pixels: pixels)
    }

    mutating func keyframe() throws(CheckpointError) -> Keyframe {
        let index = try int()
        let t = try timestamp()
        let seconds = try double()
        let path = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.string() }
        var k = Keyframe(frameIndex: index, timestamp: t, seconds: seconds, path: path)
        k.centrality = try double()
        k.sharpness = try double()
        k.exposure = try double()
        k.source = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.string() }
        return k
    }

    mutating func frameRecord() throws(CheckpointError) -> FrameRecord {
        let index = try int(), ordinal = try int()
        let t = try timestamp()
        let seconds = try double()
        let scene = try int()
        let scores = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) -> FrameScores in
            let hash = try d.int()
            let values = [try d.optionalDouble(), try d.optionalDouble(), try d.optionalDouble(), try d.optionalDouble()]
            return FrameScores(hashDistance: hash, ssimToReference: values[0], ssimToPrevious: values[1],
                               embeddingToReference: values[2], embeddingToPrevious: values[3])
        }
        let quality = PictureQuality(sharpness: try double(), exposure: try double(), meanLuma: try double())
        let cut = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.string() }
        var cutKind: CutKind? = nil
        if let cut {
            guard let kind = CutKind(rawValue: cut) else { throw .corrupt("bad cut kind") }
            cutKind = kind
        }
        let context = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) -> ChangeContext in
            let level = try d.optionalDouble()
            let count = try d.int()
            return ChangeContext(recentLevel: level, recentCount: count, nextChange: try d.optionalDouble(), nextToPrevious: try d.optionalDouble())
        }
        return FrameRecord(index: index, ordinal: ordinal, timestamp: t, seconds: seconds, scene: scene, scores: scores,
                           quality: quality, cutKind: cutKind, context: context, transition: try bool())
    }

    mutating func optionalDouble() throws(CheckpointError) -> Double? {
        try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.double() }
    }

    mutating func scene() throws(CheckpointError) -> Scene {
        let id = try int()
        let start = try double(), end = try double()
        let first = try int(), count = try int()
        let keyframe = try keyframe()
        var s = Scene(id: id, start: start, end: end, firstFrame: first, frameCount: count, keyframe: keyframe)
        s.embedding = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.floats() }
        s.grid = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) -> FeatureGrid in
            let side = try d.int(), channels = try d.int()
            let cells = try d.raw()
            guard side > 0, side <= 16, channels > 0, channels <= cells.count, side * side * channels == cells.count else { throw .corrupt("bad grid") }
            return FeatureGrid(side: side, channels: channels, cells: cells)
        }
        s.transition = try bool()
        s.keyframeLuma = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.luma() }
        s.keyframeVector = try optional { (d: inout CheckpointDecoder) throws(CheckpointError) in try d.floats() }
        return s
    }
}

extension FeatureGrid {
    /// A grid as ``init(sum:side:)`` made it, from its cells (the norms follow from them).
    init(side: Int, channels: Int, cells: [UInt8]) {
        self.side = side
        self.channels = channels
        self.cells = cells
        var norms = [Double](repeating: 0, count: side * side)
        for c in 0..<side * side {
            var squares = 0
            for i in 0..<channels { squares += Int(cells[c * channels + i]) * Int(cells[c * channels + i]) }
            norms[c] = Double(squares).squareRoot()
        }
        self.norms = norms
    }
}

/// Reads a checkpoint log held in memory and decodes every record, as resuming does: for the fuzzer, which also
/// passes records whose checksums do not match (`verifyingChecksums` false) to reach the record decoders.
/// Returns how many records decoded; never crashes on any input.
public func decodeCheckpointLog(_ bytes: [UInt8], verifyingChecksums: Bool = true) -> Int {
    var decoded = 0
    var restored = Checkpoint.Restored()
    for (kind, payload) in CheckpointLog.records(in: bytes, verifyingChecksums: verifyingChecksums).records {
        var d = CheckpointDecoder(payload)
        switch kind {
        case .header: if (try? d.string()) != nil { decoded += 1 }
        case .embeddings:
            guard let first = try? d.int(), let count = try? d.int(), first >= 0, count >= 0, count <= 256 else { continue }
            for _ in 0..<count {
                guard let v = try? d.floats(), let g = try? d.floats() else { break }
                _ = g.count == Embedding.gridSide * Embedding.gridSide * v.count && !v.isEmpty ? Embedding(vector: v, grid: g) : nil
            }
            decoded += 1
        case .scene:
            if let closed = try? SceneCheckpoint(decoding: &d) {
                closed.apply(to: &restored)
                decoded += 1
            }
        }
    }
    return decoded
}

/// Fault injection for the resume tests: with `FRAMEDEDUPE_TEST_KILL=EVENT:N` in the environment the process
/// kills itself with SIGKILL at the N-th `EVENT`: `image` (an image written under its temporary name, not yet
/// renamed), `record` (half of a checkpoint record written: a torn record), `commit` (the first result moved
/// into place, the others not), `end` (results complete, checkpoint not yet removed). Unset, nothing happens.
final class TestKill: @unchecked Sendable {
    static let shared = TestKill()
    private let lock = NSLock()
    private let event: String?
    private let count: Int
    private var seen = 0

    private init() {
        let parts = (ProcessInfo.processInfo.environment["FRAMEDEDUPE_TEST_KILL"] ?? "").split(separator: ":")
        event = parts.count == 2 ? String(parts[0]) : nil
        count = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
    }

    /// Kills the process if this is the planned occurrence of `name`.
    static func point(_ name: String) {
        let k = shared
        guard k.event == name else { return }
        let now = k.lock.withLock { k.seen += 1; return k.seen }
        if now == k.count { kill(getpid(), SIGKILL) }
    }

    static func planned(_ name: String) -> Bool { shared.event == name }
}

import Decoder
import Foundation
import Pixels
import Similarity

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

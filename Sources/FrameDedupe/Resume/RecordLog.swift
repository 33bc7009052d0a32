import Foundation

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
    static let magic = Array("FDCKPT12".utf8)
    /// 12: a scene's record holds the local features of its shot start (``Scene/shotStartFeatures``), or says which sample
    /// a resume takes them from again; 11: a scene's record holds the local features of its other moments (``Scene/momentFeatures``), or says which
    /// frames a resume takes them from again; 10: a scene's record may leave out its keyframe's luma, local features and thumbnail, saying how a resume
    /// computes them again (``KeyframeRecipe``); 9: the first blank frame between two samples in a frame record's change context (a fade typed as such); 8: a flash's span and a brightness ramp in a frame record's change context; 7: a batch's embeddings hold, for a
    /// frame unchanged since the last frame the network saw, that frame's (``UnchangedFrameRule``); 6: a dissolve's
    /// span in a frame record's change context; 5: a scene's record holds its active area inside black
    /// bars; 4: a scene's record holds its keyframe's local features, a diverse frame's record its own; 3: the cut
    /// detector's recent changes and the scene's start in a scene's record; 2: records in ``BinaryCoding`` (1: a
    /// hand-written codec).
    static let formatVersion = 12
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
    /// The tests' fault point: a record is then written in two halves around its call (a torn record).
    private let faultPoint: (@Sendable (FaultPoint) -> Void)?

    /// Creates (or empties) the log.
    init(creating url: URL, faultPoint: (@Sendable (FaultPoint) -> Void)? = nil) throws {
        self.url = url
        self.faultPoint = faultPoint
        fd = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        try write(Self.magic)
    }

    /// Opens an existing log; ``scan(_:)`` reads it and positions appends after its last whole record.
    init(appendingTo url: URL, faultPoint: (@Sendable (FaultPoint) -> Void)? = nil) throws {
        self.url = url
        self.faultPoint = faultPoint
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
        if let faultPoint {
            try write(Array(record[..<(record.count / 2)]))
            faultPoint(.record)
            try write(Array(record[(record.count / 2)...]))
            return offset
        }
        try write(record)
        return offset
    }

    /// Bytes in the log now (where the next record goes).
    var size: UInt64 { UInt64(max(0, lseek(fd, 0, SEEK_CUR))) }

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

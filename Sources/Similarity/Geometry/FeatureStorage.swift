/// Local features as bytes, to keep them beside a scene (the run's spill file and checkpoint, the corpus index).
///
/// The form, version 1, little-endian: a version byte (1); width, height, and the active rectangle's x, y,
/// width, height as 32-bit unsigned integers; the keypoint count n (32-bit); then n `Float` x, n `Float` y,
/// n level bytes, n descriptors of 32 bytes and n mirrored descriptors of 32 bytes. 29 + 73·n bytes: 36.5 KB at
/// the extractor's cap of 500 keypoints. Reading checks every size against the bytes and the rectangle against
/// the picture, so damaged bytes are an error, never a crash.
extension LocalFeatures {
    public static let encodingVersion: UInt8 = 1
    static let headerBytes = 29
    static let bytesPerKeypoint = 73

    /// The features as bytes (see the extension's documentation).
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerBytes + Self.bytesPerKeypoint * count)
        out.append(Self.encodingVersion)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        for v in [width, height, active.x, active.y, active.width, active.height, count] { u32(v) }
        for v in x { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        for v in y { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: level)
        for word in descriptors { withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) } }
        for word in mirroredDescriptors { withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// Reads features written by ``encoded``.
    /// - Throws: ``FeatureDecodingError`` when the bytes are not such features.
    public init(encoded bytes: [UInt8]) throws(FeatureDecodingError) {
        guard bytes.count >= Self.headerBytes, bytes[0] == Self.encodingVersion else { throw FeatureDecodingError() }
        func u32(_ at: Int) -> Int {
            Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        func u64(_ at: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            return v
        }
        let width = u32(1), height = u32(5)
        let active = PictureRect(x: u32(9), y: u32(13), width: u32(17), height: u32(21))
        let n = u32(25)
        guard width > 0, height > 0, active.width > 0, active.height > 0, active.x + active.width <= width,
              active.y + active.height <= height, n <= (bytes.count - Self.headerBytes) / Self.bytesPerKeypoint,
              bytes.count == Self.headerBytes + Self.bytesPerKeypoint * n else { throw FeatureDecodingError() }
        self.init(width: width, height: height, active: active)
        var at = Self.headerBytes
        x = (0..<n).map { Float(bitPattern: UInt32(u32(at + 4 * $0))) }
        at += 4 * n
        y = (0..<n).map { Float(bitPattern: UInt32(u32(at + 4 * $0))) }
        at += 4 * n
        level = Array(bytes[at..<at + n])
        at += n
        descriptors = (0..<4 * n).map { u64(at + 8 * $0) }
        at += 32 * n
        mirroredDescriptors = (0..<4 * n).map { u64(at + 8 * $0) }
        guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { throw FeatureDecodingError() }
    }
}

/// Bytes that are not local features as ``LocalFeatures/encoded`` writes them.
public struct FeatureDecodingError: Error, Sendable, CustomStringConvertible {
    public var description: String { "not local features (version \(LocalFeatures.encodingVersion))" }
}

/// Codable as one byte string, ``LocalFeatures/encoded``.
extension LocalFeatures: Codable {
    public init(from decoder: any Decoder) throws {
        let bytes = try decoder.singleValueContainer().decode([UInt8].self)
        try self.init(encoded: bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded)
    }
}

extension PictureRect {
    /// The same part of a picture of `width` × `height` pixels, for this rectangle of a picture of `from`'s size
    /// (another scale of it): edges rounded outwards, clamped to the picture.
    public func scaled(from: (width: Int, height: Int), toWidth width: Int, height: Int) -> PictureRect {
        let sx = Double(width) / Double(max(from.width, 1)), sy = Double(height) / Double(max(from.height, 1))
        let x0 = max(0, Int((Double(x) * sx).rounded(.down))), y0 = max(0, Int((Double(y) * sy).rounded(.down)))
        let x1 = min(width, Int((Double(x + self.width) * sx).rounded(.up))), y1 = min(height, Int((Double(y + self.height) * sy).rounded(.up)))
        return PictureRect(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0))
    }

    /// The smallest rectangle holding both.
    public func union(_ other: PictureRect) -> PictureRect {
        let x0 = min(x, other.x), y0 = min(y, other.y)
        let x1 = max(x + width, other.x + other.width), y1 = max(y + height, other.y + other.height)
        return PictureRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}

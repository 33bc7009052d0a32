import Foundation

/// How scene embeddings are stored in the index: IEEE half precision (2 bytes a value, 2,560 bytes for 1,280 values)
/// by default, or single precision (`--float32`, twice the size).
///
/// Half precision keeps 11 significant bits: on unit vectors of 1,280 values (each typically below 0.2) the rounding
/// error per value is below 2⁻¹²·|x|, and the cosine distance between two stored embeddings moves by less than 1e-3
/// (measured on real embeddings: docs/corpus.md).
public enum EmbeddingPrecision: Int, Sendable, CaseIterable {
    case half = 16
    case single = 32

    /// Little-endian bytes of `vector` at this precision.
    public func encode(_ vector: [Float]) -> Data {
        switch self {
        case .half:
            var data = Data(capacity: vector.count * 2)
            for x in vector { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
        case .single:
            var data = Data(capacity: vector.count * 4)
            for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
        }
    }

    /// The vector stored in `data` (nil when its length is not whole values).
    public func decode(_ data: Data) -> [Float]? {
        switch self {
        case .half:
            guard data.count % 2 == 0 else { return nil }
            return data.withUnsafeBytes { raw in
                (0..<(data.count / 2)).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
            }
        case .single:
            guard data.count % 4 == 0 else { return nil }
            return data.withUnsafeBytes { raw in
                (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
    }
}

/// `vector` scaled to unit length (unchanged when it is all zeros).
func normalised(_ vector: [Float]) -> [Float] {
    var norm: Double = 0
    for x in vector { norm += Double(x) * Double(x) }
    guard norm > 0 else { return vector }
    let scale = Float(1 / norm.squareRoot())
    return vector.map { $0 * scale }
}

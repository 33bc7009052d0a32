import Foundation

/// A compact binary form of `Codable` values for the checkpoint's records and the closed scenes set aside on disk:
/// the fields in the order the type encodes them, keys left out, little-endian. Integers are 8 bytes, `Float` 4,
/// `Double` 8, `Bool` 1; a string or an array is its count (8 bytes) then its UTF-8 bytes or elements; an optional
/// member is a flag byte, then its value when present. Arrays of `Float` and `UInt8` (embeddings, grids, pictures)
/// are written whole, or, when that is shorter, as a bitmap of their non-zero elements followed by those only
/// (``BinaryEncoder/putElements(_:size:isZero:whole:put:)``): a scene's 3×3 grid is 55-75% zeros (ReLU6 features), its mean
/// embedding up to ~40%, so a closed scene's record at 360p is ~11 KB instead of ~18 KB. Exact: a zero is a zero bit
/// pattern (`-0.0` is written as itself).
///
/// Positional, so both sides must be the same type (the record log's format version says so); the decoder checks
/// every count against the bytes left, so damaged input is a ``CheckpointError/corrupt(_:)``, never a crash.
/// Optionals are supported as members of keyed types (`encodeIfPresent`/`decodeIfPresent`), which is where the
/// synthesized conformances put them; dictionaries are not (their order is not stable).
enum BinaryCoding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = BinaryEncoder()
        try encoder.encodeValue(value)
        return encoder.bytes
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(CheckpointError) -> T {
        let decoder = BinaryDecoder(bytes)
        do {
            let value = try decoder.decodeValue(type)
            guard decoder.isAtEnd else { throw CheckpointError.corrupt("bytes left over") }
            return value
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .corrupt("\(type): \(error)")
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

// MARK: - Encoding

private final class BinaryEncoder: Encoder {
    var bytes: [UInt8] = []
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// By the static type, as the decoder reads it (a dynamic cast would take an empty array of anything for `[Float]`).
    func encodeValue<T: Encodable>(_ value: T) throws {
        switch T.self {
        case is [Float].Type:
            let floats = value as! [Float]
            u64(UInt64(floats.count))
            floats.withUnsafeBufferPointer { p in
                putElements(p.count, size: 4, isZero: { p[$0].bitPattern == 0 }) { i in
                    withUnsafeBytes(of: p[i].bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
        case is [UInt8].Type:
            let raw = value as! [UInt8]
            u64(UInt64(raw.count))
            raw.withUnsafeBufferPointer { p in
                putElements(p.count, size: 1, isZero: { p[$0] == 0 }, whole: { self.bytes.append(contentsOf: p) }) { bytes.append(p[$0]) }
            }
        default:
            try value.encode(to: self)
        }
    }

    /// Writes `count` elements of `size` bytes each (their count is written already): a form byte, then either (0)
    /// every element, or (1) a bitmap of the non-zero ones (bit `i % 8` of byte `i / 8` for element `i`) followed by
    /// those only, whichever is shorter. `put` writes element `i`; `whole`, when given, writes them all at once.
    func putElements(_ count: Int, size: Int, isZero: (Int) -> Bool, whole: (() -> Void)? = nil, put: (Int) -> Void) {
        var zeros = 0
        for i in 0..<count where isZero(i) { zeros += 1 }
        guard (count + 7) / 8 + (count - zeros) * size < count * size else {
            bytes.append(0)
            if let whole { whole() } else { for i in 0..<count { put(i) } }
            return
        }
        bytes.append(1)
        var bitmap = [UInt8](repeating: 0, count: (count + 7) / 8)
        for i in 0..<count where !isZero(i) { bitmap[i >> 3] |= 1 << UInt8(i & 7) }
        bytes += bitmap
        for i in 0..<count where !isZero(i) { put(i) }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedBinaryEncoding<Key>(encoder: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedBinaryEncoding(encoder: self) }
    func singleValueContainer() -> any SingleValueEncodingContainer { SingleBinaryEncoding(encoder: self) }
}

private struct SingleBinaryEncoding: SingleValueEncodingContainer {
    let encoder: BinaryEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    func encodeNil() throws {
        throw EncodingError.invalidValue(Optional<Int>.none as Any, .init(codingPath: codingPath, debugDescription: "optional outside a keyed container"))
    }
    func encode(_ value: Bool) throws { encoder.bytes.append(value ? 1 : 0) }
    func encode(_ value: String) throws {
        encoder.u64(UInt64(value.utf8.count))
        encoder.bytes += Array(value.utf8)
    }
    func encode(_ value: Double) throws { encoder.u64(value.bitPattern) }
    func encode(_ value: Float) throws { withUnsafeBytes(of: value.bitPattern.littleEndian) { encoder.bytes.append(contentsOf: $0) } }
    func encode(_ value: Int) throws { encoder.u64(UInt64(bitPattern: Int64(value))) }
    func encode(_ value: Int8) throws { try encode(Int(value)) }
    func encode(_ value: Int16) throws { try encode(Int(value)) }
    func encode(_ value: Int32) throws { try encode(Int(value)) }
    func encode(_ value: Int64) throws { encoder.u64(UInt64(bitPattern: value)) }
    func encode(_ value: UInt) throws { encoder.u64(UInt64(value)) }
    func encode(_ value: UInt8) throws { encoder.bytes.append(value) }
    func encode(_ value: UInt16) throws { encoder.u64(UInt64(value)) }
    func encode(_ value: UInt32) throws { encoder.u64(UInt64(value)) }
    func encode(_ value: UInt64) throws { encoder.u64(value) }
    func encode<T: Encodable>(_ value: T) throws { try encoder.encodeValue(value) }
}

private struct KeyedBinaryEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: BinaryEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var single: SingleBinaryEncoding { SingleBinaryEncoding(encoder: encoder) }

    init(encoder: BinaryEncoder) { self.encoder = encoder }

    func encodeNil(forKey key: Key) throws { encoder.bytes.append(0) }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encoder.encodeValue(value) }
    func encode(_ value: Bool, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: String, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: Double, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: Float, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: Int, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: Int64, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: UInt8, forKey key: Key) throws { try single.encode(value) }
    func encode(_ value: UInt64, forKey key: Key) throws { try single.encode(value) }

    /// Every optional member: a flag byte, then the value when present.
    func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { return encoder.bytes.append(0) }
        encoder.bytes.append(1)
        try encoder.encodeValue(value)
    }
    func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value as Bool?, key) }
    func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value as String?, key) }
    func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value as Double?, key) }
    func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeIfPresent(value as Float?, key) }
    func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value as Int?, key) }
    func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value as Int64?, key) }
    func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeIfPresent(value as UInt8?, key) }
    func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeIfPresent(value as UInt64?, key) }
    private func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
        guard let value else { return encoder.bytes.append(0) }
        encoder.bytes.append(1)
        try encoder.encodeValue(value)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        encoder.container(keyedBy: keyType)
    }
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { encoder.unkeyedContainer() }
    func superEncoder() -> any Encoder { encoder }
    func superEncoder(forKey key: Key) -> any Encoder { encoder }
}

/// Elements follow their count, which is written first as 0 and updated as each element is added.
private struct UnkeyedBinaryEncoding: UnkeyedEncodingContainer {
    let encoder: BinaryEncoder
    private let countAt: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { encoder.codingPath }

    init(encoder: BinaryEncoder) {
        self.encoder = encoder
        countAt = encoder.bytes.count
        encoder.u64(0)
    }

    private mutating func added() {
        count += 1
        withUnsafeBytes(of: UInt64(count).littleEndian) { p in
            for i in 0..<8 { encoder.bytes[countAt + i] = p[i] }
        }
    }

    mutating func encodeNil() throws { try SingleBinaryEncoding(encoder: encoder).encodeNil() }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encodeValue(value)
        added()
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        added()
        return encoder.container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        added()
        return encoder.unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { encoder }
}

// MARK: - Decoding

private final class BinaryDecoder: Decoder {
    private let bytes: [UInt8]
    private var at = 0
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { at == bytes.count }

    func take(_ n: Int) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - at else { throw .corrupt("record cut short") }
        defer { at += n }
        return bytes[at..<at + n]
    }

    func u64() throws(CheckpointError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
        return v
    }

    func u32() throws(CheckpointError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << UInt32(8 * i) }
        return v
    }

    /// A count of items that follow, each at least `size` bytes long.
    func count(itemSize size: Int = 1) throws(CheckpointError) -> Int {
        let n = try u64()
        guard n <= UInt64((bytes.count - at) / max(1, size)) else { throw .corrupt("bad count") }
        return Int(n)
    }

    func flag() throws(CheckpointError) -> Bool {
        switch try take(1).first! {
        case 0: return false
        case 1: return true
        default: throw .corrupt("bad flag")
        }
    }

    /// The count of an array written by ``BinaryEncoder/putElements(_:size:isZero:whole:put:)``: at most 8 elements
    /// a byte left (its bitmap's), so that no count allocates much more than the record could describe.
    func sparseCount() throws(CheckpointError) -> Int {
        let n = try u64()
        guard n <= UInt64(8 * (bytes.count - at)) else { throw .corrupt("bad count") }
        return Int(n)
    }

    /// The bytes of `n` elements of `size` bytes each as ``BinaryEncoder/putElements(_:size:isZero:whole:put:)``
    /// wrote them (zero bytes for the elements its bitmap leaves out).
    func elements(_ n: Int, size: Int) throws(CheckpointError) -> [UInt8] {
        switch try take(1).first! {
        case 0:
            guard n <= (bytes.count - at) / size else { throw .corrupt("bad count") }
            return Array(try take(n * size))
        case 1:
            let bitmap = try take((n + 7) / 8)
            var out = [UInt8](repeating: 0, count: n * size)
            for i in 0..<n where bitmap[bitmap.startIndex + i >> 3] & (1 << UInt8(i & 7)) != 0 {
                let element = try take(size)
                for k in 0..<size { out[i * size + k] = element[element.startIndex + k] }
            }
            return out
        default:
            throw .corrupt("bad list form")
        }
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if type == [Float].self {
            let raw = try elements(try sparseCount(), size: 4)
            let n = raw.count / 4
            var out = [Float](repeating: 0, count: n)
            for k in 0..<n {
                out[k] = Float(bitPattern: UInt32(raw[4 * k]) | UInt32(raw[4 * k + 1]) << 8 | UInt32(raw[4 * k + 2]) << 16 | UInt32(raw[4 * k + 3]) << 24)
            }
            return out as! T
        }
        if type == [UInt8].self {
            return try elements(try sparseCount(), size: 1) as! T
        }
        return try T(from: self)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedBinaryDecoding<Key>(decoder: self))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try UnkeyedBinaryDecoding(decoder: self) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleBinaryDecoding(decoder: self) }
}

private struct SingleBinaryDecoding: SingleValueDecodingContainer {
    let decoder: BinaryDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.flag() }
    func decode(_ type: String.Type) throws -> String {
        guard let s = String(validating: try decoder.take(try decoder.count()), as: UTF8.self) else { throw CheckpointError.corrupt("bad text") }
        return s
    }
    func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try decoder.u64()) }
    func decode(_ type: Float.Type) throws -> Float { Float(bitPattern: try decoder.u32()) }
    func decode(_ type: Int.Type) throws -> Int { Int(Int64(bitPattern: try decoder.u64())) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(try decode(Int.self)) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(try decode(Int.self)) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(try decode(Int.self)) }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(bitPattern: try decoder.u64()) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(try decoder.u64()) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.take(1).first! }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(try decoder.u64()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(try decoder.u64()) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.u64() }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }

    private func narrow<In: BinaryInteger, Out: BinaryInteger>(_ v: In) throws -> Out {
        guard let out = Out(exactly: v) else { throw CheckpointError.corrupt("number out of range") }
        return out
    }
}

private struct KeyedBinaryDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: BinaryDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { [] }
    private var single: SingleBinaryDecoding { SingleBinaryDecoding(decoder: decoder) }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { try !decoder.flag() }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.decodeValue(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try single.decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try single.decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try single.decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try single.decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try single.decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try single.decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try single.decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try single.decode(type) }

    /// Every optional member: a flag byte, then the value when present.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decoder.flag() ? try decoder.decodeValue(type) : nil
    }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decoder.flag() ? try single.decode(type) : nil }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decoder.flag() ? try single.decode(type) : nil }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try decoder.unkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

private struct UnkeyedBinaryDecoding: UnkeyedDecodingContainer {
    let decoder: BinaryDecoder
    let count: Int?
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var isAtEnd: Bool { currentIndex >= count! }

    init(decoder: BinaryDecoder) throws {
        self.decoder = decoder
        count = try decoder.count()
    }

    private mutating func next() throws {
        guard !isAtEnd else { throw CheckpointError.corrupt("past the end of a list") }
        currentIndex += 1
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next()
        return try decoder.decodeValue(type)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next()
        return try decoder.container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next()
        return try decoder.unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { decoder }
}

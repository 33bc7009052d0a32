import Foundation

/// A problem reading a safetensors file.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case missing(path: String)
    /// The file exists but could not be read (permissions, I/O).
    case unreadable(path: String, reason: String)
    /// The file is shorter than its own header says (or than the 8-byte length prefix).
    case truncated(path: String)
    /// The JSON header is not valid or not shaped like a safetensors header.
    case corrupt(path: String, reason: String)
    /// The file has no tensor of this name.
    case missingTensor(name: String)
    /// The tensor exists with a dtype other than `F32`.
    case unsupportedType(name: String, dtype: String)
    /// The tensor exists with another shape than the one the caller needs.
    case shapeMismatch(name: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .missing(let path): "\(path): no such file"
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .truncated(let path): "\(path): truncated safetensors file"
        case .corrupt(let path, let reason): "\(path): not a valid safetensors file: \(reason)"
        case .missingTensor(let name): "the weights have no tensor \"\(name)\""
        case .unsupportedType(let name, let dtype): "tensor \"\(name)\" is \(dtype), expected F32"
        case .shapeMismatch(let name, let expected, let actual):
            "tensor \"\(name)\" has shape \(actual), expected \(expected)"
        }
    }
}

/// A read-only safetensors file: named little-endian float32 tensors with their shapes.
///
/// The format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header
/// length `n`, `n` bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (byte offsets relative to the end of
/// the header) plus an optional `"__metadata__"` object of strings, then the raw data. Tensors are
/// contiguous, row-major, little-endian. Only `F32` tensors can be read as floats; entries of other
/// dtypes are listed but rejected by ``floats(_:shape:)``.
///
/// The file is memory-mapped when possible and read whole otherwise.
public struct SafeTensors: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section.
        public let range: Range<Int>
    }

    /// The file this was read from, for messages.
    public let path: String
    /// The header's entries by tensor name.
    public let entries: [String: Entry]
    /// The header's `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int

    /// Reads and validates a safetensors file.
    ///
    /// - Parameter url: A local file.
    /// - Throws: ``SafeTensorsError/missing(path:)`` when there is no file,
    ///   ``SafeTensorsError/truncated(path:)`` when it is shorter than its header says,
    ///   ``SafeTensorsError/corrupt(path:reason:)`` when the header is not valid JSON of the expected
    ///   shape or a tensor's byte range disagrees with its shape.
    public init(contentsOf url: URL) throws {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw SafeTensorsError.missing(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard data.count >= 8 else { throw SafeTensorsError.truncated(path: path) }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(data[data.startIndex + i]) }
        guard length <= UInt64(100 << 20) else {
            throw SafeTensorsError.corrupt(path: path, reason: "header length \(length) is implausible")
        }
        let headerEnd = 8 + Int(length)
        guard data.count >= headerEnd else { throw SafeTensorsError.truncated(path: path) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: data.startIndex + 8..<data.startIndex + headerEnd))
        } catch {
            throw SafeTensorsError.corrupt(path: path, reason: "header is not JSON")
        }
        guard let header = json as? [String: Any] else {
            throw SafeTensorsError.corrupt(path: path, reason: "header is not a JSON object")
        }
        let dataSize = data.count - headerEnd
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else {
                    throw SafeTensorsError.corrupt(path: path, reason: "__metadata__ is not an object of strings")
                }
                metadata = strings
                continue
            }
            guard let object = value as? [String: Any],
                  let dtype = object["dtype"] as? String,
                  let shape = (object["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (object["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (object["shape"] as? [Any])?.count, offsets.count == 2
            else {
                throw SafeTensorsError.corrupt(path: path, reason: "entry \"\(name)\" is malformed")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.corrupt(path: path, reason: "entry \"\(name)\" has invalid offsets or shape")
            }
            guard offsets[1] <= dataSize else { throw SafeTensorsError.truncated(path: path) }
            let width = Self.elementSize[dtype]
            if let width, offsets[1] - offsets[0] != shape.reduce(1, *) * width {
                throw SafeTensorsError.corrupt(
                    path: path, reason: "entry \"\(name)\" spans \(offsets[1] - offsets[0]) bytes for shape \(shape)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.path = path
        self.entries = entries
        self.metadata = metadata
        self.data = data
        self.dataStart = headerEnd
    }

    private static let elementSize = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    ]

    /// The shape of a tensor, or `nil` when there is none of that name.
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }

    /// A float32 tensor's values, contiguous row-major.
    ///
    /// - Parameters:
    ///   - name: The tensor's name in the header.
    ///   - shape: The shape the caller requires, or `nil` to accept any.
    /// - Returns: The values, `shape.reduce(1, *)` of them.
    /// - Throws: ``SafeTensorsError/missingTensor(name:)``, ``SafeTensorsError/unsupportedType(name:dtype:)``
    ///   or ``SafeTensorsError/shapeMismatch(name:expected:actual:)``.
    public func floats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        guard let entry = entries[name] else { throw SafeTensorsError.missingTensor(name: name) }
        guard entry.dtype == "F32" else { throw SafeTensorsError.unsupportedType(name: name, dtype: entry.dtype) }
        if let shape, shape != entry.shape {
            throw SafeTensorsError.shapeMismatch(name: name, expected: shape, actual: entry.shape)
        }
        let count = entry.range.count / 4
        let start = data.startIndex + dataStart + entry.range.lowerBound
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[start - data.startIndex..<start - data.startIndex + count * 4])
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
            initialised = count
        }
    }
}

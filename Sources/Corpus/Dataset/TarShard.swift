import Foundation

/// A POSIX ustar archive written as a stream of 512-byte blocks: what WebDataset shards are (`key.jpg` + `key.json`
/// per sample, samples in order), and what Python's `tarfile`, GNU tar and WebDataset's loaders read.
///
/// Each member is a 512-byte header (name, mode 0644, owner 0, size and modification time in octal, the header's
/// checksum, type `0`, magic `ustar\0` version `00`) followed by its bytes padded with zeros to a multiple of 512;
/// the archive ends with two zero blocks. Modification times are fixed (``modificationTime``) so that the same
/// samples give the same bytes.
public struct TarArchiveWriter {
    /// The archive's bytes so far.
    public private(set) var bytes: [UInt8] = []
    /// Seconds since 1970 recorded for every member.
    public let modificationTime: Int

    public init(modificationTime: Int = 0) { self.modificationTime = modificationTime }

    /// Why a member cannot be stored in ustar.
    public struct NameError: Error, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name): too long for a tar member name (100 bytes, or 155 + 100 split at a '/')" }
    }

    /// Adds a regular file.
    public mutating func append(name: String, contents: [UInt8]) throws(NameError) {
        bytes += try Self.header(name: name, size: contents.count, modificationTime: modificationTime)
        bytes += contents
        let pad = (512 - contents.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: pad)
    }

    /// The archive with its end (two zero blocks).
    public func finished() -> [UInt8] { bytes + Self.end }

    /// The bytes added since the last call, for writing an archive out as it grows (then ``end`` closes it).
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// An archive's end: two zero blocks.
    public static let end = [UInt8](repeating: 0, count: 1024)

    /// A ustar header block.
    static func header(name: String, size: Int, modificationTime: Int) throws(NameError) -> [UInt8] {
        let utf8 = Array(name.utf8)
        var (prefix, base) = ([UInt8](), utf8)
        if utf8.count > 100 {
            // ustar's prefix field: the name split at a '/' into at most 155 + 100 bytes.
            guard let slash = utf8.indices.last(where: { utf8[$0] == UInt8(ascii: "/") && $0 <= 155 && utf8.count - $0 - 1 <= 100 }) else {
                throw NameError(name: name)
            }
            prefix = Array(utf8[..<slash])
            base = Array(utf8[(slash + 1)...])
        }
        guard !base.isEmpty else { throw NameError(name: name) }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) { for (i, b) in field.enumerated() { block[offset + i] = b } }
        /// An octal number in `width` bytes: digits, zero-padded, then a NUL.
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(base, at: 0)
        put(octal(0o644, width: 8), at: 100)  // mode
        put(octal(0, width: 8), at: 108)  // uid
        put(octal(0, width: 8), at: 116)  // gid
        put(octal(size, width: 12), at: 124)
        put(octal(modificationTime, width: 12), at: 136)
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148)  // the checksum counts its own field as spaces
        block[156] = UInt8(ascii: "0")  // a regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let sum = block.reduce(0) { $0 + Int($1) }
        // Six octal digits, a NUL, a space: what tar itself writes.
        put(Array((String(repeating: "0", count: max(0, 6 - String(sum, radix: 8).count)) + String(sum, radix: 8)).utf8) + [0, UInt8(ascii: " ")], at: 148)
        return block
    }
}

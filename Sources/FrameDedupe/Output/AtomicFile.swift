import Foundation

/// A file written under a temporary name beside its destination and renamed into place by
/// ``finish()``; dropped without ``finish()``, the temporary file is removed and the destination
/// (and any earlier file there) is untouched.
public final class AtomicFile {
    public let url: URL
    private let temporary: URL
    private let handle: FileHandle
    private var finished = false

    public init(url: URL) throws(OutputError) {
        self.url = url
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw OutputError(path: url.path, reason: "cannot create file (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        do { try handle.write(contentsOf: bytes) } catch {
            throw OutputError(path: url.path, reason: OutputFolder.reason(error))
        }
    }

    public func write(_ text: String) throws(OutputError) { try write(Array(text.utf8)) }

    /// Overwrites bytes at the start of the file (for a header whose content is known only at the end).
    public func overwriteStart(_ bytes: [UInt8]) throws(OutputError) {
        do {
            let end = try handle.offset()
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: bytes)
            try handle.seek(toOffset: end)
        } catch {
            throw OutputError(path: url.path, reason: OutputFolder.reason(error))
        }
    }

    /// Flushes, closes and renames the file into place.
    public func finish() throws(OutputError) {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw OutputError(path: url.path, reason: OutputFolder.reason(error))
        }
        if rename(temporary.path, url.path) != 0 {
            throw OutputError(path: url.path, reason: "cannot move into place (\(String(cString: strerror(errno))))")
        }
        finished = true
    }
}

/// Writes a 2-D float32 `.npy` file (NumPy format 1.0, little-endian, C order) row by row, without
/// knowing the number of rows in advance: the header is written with room to spare and rewritten
/// with the final shape at ``finish()``. Atomic like ``AtomicFile``.
public final class NPYWriter {
    private let file: AtomicFile
    private let columns: Int
    private var rows = 0
    private var buffer: [UInt8]
    private static let headerLength = 128

    public init(url: URL, columns: Int) throws(OutputError) {
        file = try AtomicFile(url: url)
        self.columns = columns
        buffer = [UInt8](repeating: 0, count: columns * 4)
        try file.write(Self.header(rows: 0, columns: columns))
    }

    /// Appends one row of `columns` floats.
    public func append(_ row: [Float]) throws(OutputError) {
        precondition(row.count == columns, "row of \(row.count) values for \(columns) columns")
        buffer.withUnsafeMutableBytes { out in
            for (i, value) in row.enumerated() { out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        try file.write(buffer)
        rows += 1
    }

    /// Writes the final header and moves the file into place.
    public func finish() throws(OutputError) {
        try file.overwriteStart(Self.header(rows: rows, columns: columns))
        try file.finish()
    }

    /// `\x93NUMPY` 1.0 header padded with spaces to a fixed 128 bytes (a multiple of 64, as the format wants).
    static func header(rows: Int, columns: Int) -> [UInt8] {
        let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        var header: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = headerLength - 10
        header += [UInt8(length & 0xFF), UInt8(length >> 8)]
        var text = Array(dictionary.utf8)
        precondition(text.count < length, "npy header too long")
        text += [UInt8](repeating: 0x20, count: length - text.count - 1) + [0x0A]
        return header + text
    }
}

/// Writes a whole text file atomically: a temporary name beside it, then `rename(2)`.
public func writeAtomically(_ text: String, to url: URL) throws(OutputError) {
    let file = try AtomicFile(url: url)
    try file.write(text)
    try file.finish()
}

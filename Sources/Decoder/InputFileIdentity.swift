import Foundation

/// What a local input is, byte-wise, as results record it (`scenes.json`'s `input_file`): its size and a SHA-256
/// (libavutil's, ``ContentDigest``) of its first and last MiB, or of all of it when it is no longer than 2 MiB.
///
/// A rerun compares this, not modification times, to know whether results are still those of the input: a
/// different video copied in with an older date (`cp -p`, `rsync -a`, `tar x`) has another size or other bytes
/// at its ends. Reading both ends costs two MiB whatever the file's length (a whole digest of a film would cost
/// seconds on every skip). For a folder of images, or a numbered pattern, the size and digest cover every
/// regular file of the sequence's folder (pattern: every numbered file), each by name, size and both ends.
public struct InputFileIdentity: Codable, Sendable, Equatable {
    /// Bytes (for a folder: of all its files).
    public var size: Int64
    /// 64 lower-case hexadecimal digits.
    public var sha256: String

    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// The bytes read from each end of a file.
    static let endBytes = 1 << 20

    /// The identity of a local input (a file, a folder of images, a numbered pattern); nil for standard input, a URL,
    /// or what cannot be read.
    public static func of(_ input: String) -> InputFileIdentity? {
        guard input != "-", !input.contains("://"), !input.hasPrefix("pipe:") else { return nil }
        let files: [String]
        if let info = FileSystemName.status(input), info.st_mode & S_IFMT != S_IFDIR {
            files = [input]
        } else if FileSystemName.status(input) != nil {
            let base = input.hasSuffix("/") ? input : input + "/"
            let names = FileSystemName.contents(ofFolder: input) ?? []
            files = names.sorted { FileSystemName.bytes($0).lexicographicallyPrecedes(FileSystemName.bytes($1)) }.map { base + $0 }
                .filter(FileSystemName.isRegularFile)
        } else {
            files = ImageSequence.numberedFiles(input)
        }
        guard !files.isEmpty else { return nil }
        let digest = ContentDigest()
        var size: Int64 = 0
        for file in files {
            guard let (length, ends) = readEnds(file) else { return nil }
            size += length
            if files.count > 1 { Array("\((file as NSString).lastPathComponent)\u{0}\(length)\u{0}".utf8).withUnsafeBytes { digest.update($0) } }
            ends.withUnsafeBytes { digest.update($0) }
        }
        return InputFileIdentity(size: size, sha256: digest.finish())
    }

    /// A file's length and bytes: all of them up to 2 MiB, else its first and last MiB. Never blocks on a FIFO.
    private static func readEnds(_ path: String) -> (Int64, [UInt8])? {
        let fd = FileSystemName.open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let length = Int64(info.st_size)
        func read(at offset: Int64, count: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return n == 0 ? Array(bytes[..<done]) : nil }
                done += n
            }
            return bytes
        }
        if length <= Int64(2 * endBytes) { return read(at: 0, count: Int(length)).map { (length, $0) } }
        guard let head = read(at: 0, count: endBytes), let tail = read(at: length - Int64(endBytes), count: endBytes) else { return nil }
        return (length, head + tail)
    }
}

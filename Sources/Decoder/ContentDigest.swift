import CFFmpeg
import Foundation

/// A SHA-256 digest of bytes, computed by libavutil's `av_sha` (FIPS 180-2): how the corpus index recognises a
/// file it has seen, whatever its name.
///
/// Owns one `AVSHA` context, freed in `deinit`. Feed it with ``update(_:)`` and read ``finish()`` once.
public final class ContentDigest {
    private let context: OpaquePointer

    public init() {
        guard let context = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        self.context = context
        av_sha_init(context, 256)
    }

    deinit { av_free(UnsafeMutableRawPointer(context)) }

    /// Adds bytes to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        av_sha_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// The digest of everything added so far, as 64 lower-case hexadecimal digits (as `sha256sum` prints it).
    /// The context is spent afterwards: make a new one for other bytes.
    public func finish() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        av_sha_final(context, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of a file's bytes, read in 1 MiB pieces, and its size in bytes.
    /// - Throws: ``DecoderError`` when the file cannot be opened or read.
    public static func file(at path: String) throws(DecoderError) -> (sha256: String, size: Int64) {
        func failure(_ e: Int32, _ operation: String) -> DecoderError {
            switch e {
            case ENOENT: .notFound
            case EACCES, EPERM: .permissionDenied
            case EISDIR: .isDirectory
            default: .libav(LibavError(code: cff_error_from_errno(e), operation: operation))
            }
        }
        let fd = FileSystemName.open(path, O_RDONLY)
        if fd < 0 { throw failure(errno, "open") }
        defer { close(fd) }
        let digest = ContentDigest()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(errno, "read")
            }
            if n == 0 { break }
            size += Int64(n)
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return (digest.finish(), size)
    }
}

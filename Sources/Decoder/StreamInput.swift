import Foundation

/// A FIFO, socket or device named as the input, read once as a stream (like standard input), through a descriptor
/// of its own that libavformat reads as `pipe:FD`. Owns the descriptor.
///
/// Opened without blocking, so that waiting for it can be stopped: `open(2)` of a FIFO otherwise waits for a
/// writer, in the kernel, where no signal handled by a flag reaches it (the first SIGTERM did not end such a run).
/// The wait for the writer's first bytes polls every 100 ms and asks `interrupt`; later reads stay non-blocking, so
/// libavformat's read loop retries every millisecond and asks its interrupt callback (the same closure) meanwhile.
final class StreamInput {
    let descriptor: Int32

    /// The URL libavformat reads it by.
    var url: String { "pipe:\(descriptor)" }

    /// Opens `path` when it is a FIFO, socket or device and waits for something to read (or its writer's end); nil
    /// for anything else (a regular file, a folder, nothing).
    ///
    /// - Throws: ``DecoderError/interrupted`` when `interrupt` says so first; ``DecoderError/permissionDenied``.
    init?(opening path: String, interrupt: (@Sendable () -> Bool)?) throws(DecoderError) {
        guard FileSystemName.isStream(path) else { return nil }
        descriptor = FileSystemName.open(path, O_RDONLY | O_NONBLOCK)
        guard descriptor >= 0 else { throw errno == EACCES ? .permissionDenied : .notFound }
        // A FIFO without a writer reads as empty; poll waits until one has written, or has come and gone.
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&entry, 1, 100) <= 0 || entry.revents == 0 {
            if interrupt?() == true {
                close(descriptor)
                throw .interrupted
            }
        }
    }

    deinit { close(descriptor) }
}

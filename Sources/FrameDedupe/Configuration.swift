import Decoder
import Similarity

/// The process-wide state of the C libraries framededupe runs on: libav's log level and OpenBLAS's thread count.
///
/// Both are global to the process, so no part of the library sets them on its own: the program decides, once,
/// through ``configure(_:)`` (the command line does before its subcommand runs). Nothing here reads the
/// environment; the program passes what it read.
public struct LibraryConfiguration: Sendable, Equatable {
    /// What libav writes to standard error by itself. Default ``LibavLogLevel/quiet``: problems are reported as
    /// errors and warnings of the library, in its own words.
    public var libavLog: LibavLogLevel
    /// OpenBLAS's threads for the matrix products (a single image's pass through the network; a batch is split
    /// between ``EfficientNetLite/threads`` instead), 1 to 64. nil leaves OpenBLAS's own count (the number of
    /// cores, or `OPENBLAS_NUM_THREADS`).
    public var linearAlgebraThreads: Int?

    public init(libavLog: LibavLogLevel = .quiet, linearAlgebraThreads: Int? = nil) {
        self.libavLog = libavLog
        self.linearAlgebraThreads = linearAlgebraThreads
    }
}

/// Applies `configuration` to libav and OpenBLAS, for the whole process. Call it before the first input is
/// opened and before any network runs; calling it again changes both for every part of the process.
public func configure(_ configuration: LibraryConfiguration) {
    setLibavLogLevel(configuration.libavLog)
    if let threads = configuration.linearAlgebraThreads { setLinearAlgebraThreads(min(max(threads, 1), 64)) }
}

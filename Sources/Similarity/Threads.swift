import COpenBLAS
import Glibc

/// Sets how many threads OpenBLAS may use for the dense maths.
///
/// At 1, the threads OpenBLAS started when it was loaded (one per further core) are ended: each otherwise spins in
/// `sched_yield` for 2^28 cycles before it sleeps, 50-70 ms of CPU time measured at the start of every run on a
/// 2-core AMD EPYC (`perf`), while decoding starts on the same cores. OpenBLAS starts them again if a later call
/// needs them. No result changes: with one thread, OpenBLAS never hands them work.
public func setLinearAlgebraThreads(_ n: Int) {
    openblas_set_num_threads(Int32(n))
    if n == 1, let shutdown = threadShutdown { _ = shutdown() }
}

/// OpenBLAS's `blas_thread_shutdown_` (its own fork handling calls it), looked up when first needed: Debian's
/// pthread build exports it, a serial build (`libopenblas0-serial`, chosen with update-alternatives) has no threads
/// and no such function, and a direct call would then end the process at its first run with "symbol lookup error".
private let threadShutdown: (@convention(c) () -> Int32)? = {
    guard let symbol = dlsym(nil, "blas_thread_shutdown_") else { return nil }  // nil: RTLD_DEFAULT, every loaded library
    return unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)
}()

/// How many threads OpenBLAS may use now.
public var linearAlgebraThreadCount: Int { Int(openblas_get_num_threads()) }

/// The CPU kernels OpenBLAS chose for this machine (e.g. `Haswell`, `SkylakeX`), or forced by
/// `OPENBLAS_CORETYPE`: most of the network's time is OpenBLAS's matrix products, so benchmarks name them.
public var linearAlgebraKernels: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

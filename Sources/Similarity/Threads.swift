import COpenBLAS
/// Sets how many threads OpenBLAS may use for the dense maths.
public func setLinearAlgebraThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

/// How many threads OpenBLAS may use now.
public var linearAlgebraThreadCount: Int { Int(openblas_get_num_threads()) }

/// The CPU kernels OpenBLAS chose for this machine (e.g. `Haswell`, `SkylakeX`), or forced by
/// `OPENBLAS_CORETYPE`: most of the network's time is OpenBLAS's matrix products, so benchmarks name them.
public var linearAlgebraKernels: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

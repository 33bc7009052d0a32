import COpenBLAS
/// Sets how many threads OpenBLAS may use for the dense maths.
public func setLinearAlgebraThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

#if canImport(Glibc)
import Glibc
#endif

/// Asks Linux to back `[start, start + byteCount)` with transparent huge pages (2 MB) where it can.
///
/// Clustering reads columns of the condensed matrix: one element per row, rows tens of kilobytes apart, so with 4 KB
/// pages nearly every read also misses the TLB. Call this before the memory is first written (later, the kernel only
/// collapses pages in the background). Only the whole 2 MB pages inside the range are advised; elsewhere a no-op.
func adviseHugePages(_ start: UnsafeMutableRawPointer, byteCount: Int) {
    #if os(Linux)
    let page = 2 << 20
    let first = (Int(bitPattern: start) + page - 1) & ~(page - 1)
    let last = (Int(bitPattern: start) + byteCount) & ~(page - 1)
    if last > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) {
        _ = madvise(aligned, last - first, MADV_HUGEPAGE)
    }
    #endif
}

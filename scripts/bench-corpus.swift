// Corpus nearest-neighbour benchmark: exact search (OpenBLAS sgemm in blocks) against the inverted-file index at
// the shipped defaults: √n lists, nprobe self-tuned to recall@10 ≥ 0.95 (or exact search when that needs over half the
// lists). Compiled with the NearestNeighbours sources by scripts/bench-corpus.sh.
//
// Usage: bench-corpus N random|real:FILE.npy [QUERIES] [K]
//   random: unit vectors uniform on the 1280-d sphere (no structure: the worst case for an IVF).
//   real:FILE.npy: an N0 x 1280 float32 .npy of real frame embeddings (framededupe embed, frames in time order); each
//     corpus row is a random point between a real frame and another frame up to 60 rows away (mostly the same shot),
//     (1 - w) e_i + w e_j with w uniform in 0-1, plus Gaussian noise of 0.002-0.006 per value, re-normalised: new
//     vectors on the real embeddings' own manifold at any size, not copies of the N0 frames (with copies, a query's
//     10 nearest would just be copies of one frame). Queries are drawn the same way with another seed: none is in the
//     index's self-check sample (which is rows of the index).
// Prints a human line on stderr and one Markdown table row on stdout: rows, data, lists, probes chosen (or "exact"),
// build s (k-means + self-tuning), self-measured recall, exact ms/query, search ms/query, recall@K of the search
// against exact on the QUERIES, recall@K at the untuned default probes, peak RSS MB.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Rows of an .npy file of float32 (C order, 2-D).
func readNPY(_ path: String) -> (rows: Int, columns: Int, values: [Float]) {
    let data = FileManager.default.contents(atPath: path)!
    let headerLength = Int(data[8]) | Int(data[9]) << 8
    let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
    let shape = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return (shape[0], shape[1], values)
}

func makeRows(_ n: Int, data: String, seed: UInt64, dimension d: Int, real: (rows: Int, columns: Int, values: [Float])?) -> VectorRows {
    var g = SplitMix64(state: seed)
    var values = [Float](repeating: 0, count: n * d)
    var v = [Float](repeating: 0, count: d)
    for i in 0..<n {
        if let real {
            let a = Int(g.next() % UInt64(real.rows))
            let b = min(real.rows - 1, max(0, a + Int(g.next() % 121) - 60))
            let w = Float(g.uniform()), noise = Float(0.002 + 0.004 * g.uniform())
            for k in 0..<d { v[k] = (1 - w) * real.values[a * d + k] + w * real.values[b * d + k] + noise * g.gaussian() }
        } else {
            for k in 0..<d { v[k] = g.gaussian() }
        }
        var norm: Float = 0
        for k in 0..<d { norm += v[k] * v[k] }
        norm = norm.squareRoot()
        for k in 0..<d { values[i * d + k] = v[k] / norm }
    }
    return VectorRows(dimension: d, values: values)
}

@main
struct CorpusBenchmark {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3, let n = Int(arguments[1]) else {
            print("usage: bench-corpus N random|real:FILE.npy [QUERIES] [K]")
            exit(2)
        }
        let data = arguments[2]
        let queryCount = arguments.count > 3 ? Int(arguments[3])! : 200
        let k = arguments.count > 4 ? Int(arguments[4])! : 10
        let real = data.hasPrefix("real:") ? readNPY(String(data.dropFirst(5))) : nil
        let d = real?.columns ?? 1280
        let label = real == nil ? "random" : "real-based (between \(real!.rows) real frames)"
        var rows: VectorRows? = makeRows(n, data: data, seed: 1, dimension: d, real: real)
        let queries = makeRows(queryCount, data: data, seed: 2, dimension: d, real: real)

        let t0 = now()
        let ivf = InvertedFileIndex(rows: rows!)
        let build = now() - t0
        rows = nil  // the index holds its own copy, list by list; exact search runs on that copy

        let t1 = now()
        let exact = ExactSearch().nearest(queries, in: ivf.rows, k: k).map { $0.map { Neighbour(index: ivf.originalIndex($0.index), similarity: $0.similarity) } }
        let exactSeconds = (now() - t1) / Double(queryCount)

        let t2 = now()
        let found = ivf.nearest(queries, k: k)  // as `index search` runs it: the tuned probes, or exact
        let searchSeconds = (now() - t2) / Double(queryCount)
        let r = recall(found, exact: exact)
        let defaults = InvertedFileIndex.defaultProbes(lists: ivf.listCount)
        let atDefaults = recall(ivf.nearest(queries, k: k, probes: defaults), exact: exact)
        let tuning = ivf.tuning!
        let steps = tuning.tried.map { String(format: "%d:%.3f", $0.probes, $0.recall) }.joined(separator: " ")
        let peak = peakMegabytes()
        let probes = ivf.exhaustive ? "exact (\(steps))" : "\(ivf.probes) (\(steps))"
        FileHandle.standardError.write(Data(String(format: "n=%d data=%@ lists=%d probes=%@ build_s=%.2f self_recall=%.4f exact_ms_per_query=%.2f search_ms_per_query=%.3f recall@%d=%.4f recall_at_default_probes_%d=%.4f peak_rss_mb=%.0f\n",
                                                       n, label, ivf.listCount, probes, build, tuning.measuredRecall, exactSeconds * 1000, searchSeconds * 1000, k, r, defaults, atDefaults, peak).utf8))
        func grouped(_ x: Int) -> String {
            let digits = Array(String(x))
            return String(digits.enumerated().flatMap { i, c in (i > 0 && (digits.count - i) % 3 == 0) ? [",", c] : [c] })
        }
        print("| \(grouped(n)) | \(real == nil ? "random" : "real-based") | \(grouped(ivf.listCount)) | \(probes) | "
              + String(format: "%.1f | %.3f | %.2f | %.3f | %.3f | %.3f | ", build, tuning.measuredRecall, exactSeconds * 1000, searchSeconds * 1000, r, atDefaults)
              + "\(grouped(Int(peak.rounded()))) |")
    }
}

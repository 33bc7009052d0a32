import COpenBLAS

/// Approximate nearest-neighbour search over unit vectors: an inverted file (IVF). The rows are grouped into lists by
/// spherical k-means (assignment by OpenBLAS `sgemm`, centroids re-normalised each round); a query is compared with
/// the centroids, then exactly with the rows of its ``probes`` nearest lists only.
///
/// Recall against ``ExactSearch`` depends on how clustered the data are: real embeddings are (measured in
/// BENCHMARKS.md, "Corpus index"), uniformly random unit vectors in 1280 dimensions are not (every list is then about
/// as near as every other, and recall falls towards `probes / lists`).
public struct InvertedFileIndex: Sendable {
    public let dimension: Int
    /// One unit centroid per list.
    public let centroids: VectorRows
    /// The rows, reordered list after list: list `l` is rows `offsets[l]..<offsets[l + 1]` of ``ordered``.
    let ordered: VectorRows
    let offsets: [Int]
    /// The original row index of each row of ``ordered``.
    let ids: [Int]
    /// Lists searched per query.
    public var probes: Int

    /// Lists for `n` rows by default: √n (1,000 at a million rows), at least 1.
    public static func defaultListCount(rows n: Int) -> Int { max(1, Int(Double(n).squareRoot().rounded())) }
    /// Lists probed by default: an eighth of them, at least 8 (or all, when there are fewer).
    public static func defaultProbes(lists: Int) -> Int { min(lists, max(8, lists / 8)) }

    /// Groups `rows` (unit vectors) into lists.
    /// - Parameters:
    ///   - lists: the number of lists; default ``defaultListCount(rows:)``.
    ///   - probes: lists searched per query; default ``defaultProbes(lists:)``.
    ///   - iterations: k-means rounds.
    ///   - trainingRowsPerList: k-means runs on a sample of this many rows per list (all rows when fewer).
    ///   - seed: for the sample and the initial centroids: the same seed gives the same index.
    public init(rows: VectorRows, lists: Int? = nil, probes: Int? = nil, iterations: Int = 10, trainingRowsPerList: Int = 32, seed: UInt64 = 1) {
        let n = rows.count, d = rows.dimension
        dimension = d
        let listCount = max(1, min(lists ?? Self.defaultListCount(rows: n), max(1, n)))
        self.probes = min(listCount, probes ?? Self.defaultProbes(lists: listCount))
        var random = SeededGenerator(seed: seed)
        // The training sample: a random subset (partial Fisher–Yates shuffle).
        var order = Array(0..<n)
        let sampleCount = min(n, listCount * trainingRowsPerList)
        for i in 0..<sampleCount {
            let j = i + Int(random.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        var sample = VectorRows(dimension: d)
        for i in 0..<sampleCount { sample.append(Array(rows.row(order[i]))) }
        // Initial centroids: the first listCount rows of the sample (distinct rows, drawn at random).
        var centroids = VectorRows(dimension: d, values: Array(sample.values.prefix(listCount * d)))
        if centroids.count < listCount {  // fewer rows than lists: pad with copies (only when n < lists, which min() above rules out)
            centroids = VectorRows(dimension: d, values: centroids.values + [Float](repeating: 0, count: (listCount - centroids.count) * d))
        }
        for _ in 0..<iterations {
            let assignment = Self.assign(sample, to: centroids)
            var sums = [Float](repeating: 0, count: listCount * d)
            var counts = [Int](repeating: 0, count: listCount)
            for (i, l) in assignment.enumerated() {
                counts[l] += 1
                let row = sample.row(i)
                var k = l * d
                for x in row { sums[k] += x; k += 1 }
            }
            for l in 0..<listCount {
                if counts[l] == 0 {  // an empty list takes a random sample row
                    let r = Int(random.next() % UInt64(sampleCount))
                    for k in 0..<d { sums[l * d + k] = sample.values[r * d + k] }
                }
                var norm: Float = 0
                for k in 0..<d { norm += sums[l * d + k] * sums[l * d + k] }
                norm = norm.squareRoot()
                if norm > 0 { for k in 0..<d { sums[l * d + k] /= norm } }
            }
            centroids = VectorRows(dimension: d, values: sums)
        }
        self.centroids = centroids
        let assignment = Self.assign(rows, to: centroids)
        var members = [[Int]](repeating: [], count: listCount)
        for (i, l) in assignment.enumerated() { members[l].append(i) }
        var ordered = [Float]()
        ordered.reserveCapacity(rows.values.count)
        var offsets = [0], ids = [Int]()
        ids.reserveCapacity(n)
        for list in members {
            for i in list { ordered.append(contentsOf: rows.row(i)); ids.append(i) }
            offsets.append(ids.count)
        }
        self.ordered = VectorRows(dimension: d, values: ordered)
        self.offsets = offsets
        self.ids = ids
    }

    public var listCount: Int { centroids.count }
    /// The rows as the index holds them, list after list (row `i` here is row ``originalIndex(_:)`` of the input).
    public var rows: VectorRows { ordered }
    public func originalIndex(_ i: Int) -> Int { ids[i] }
    public var count: Int { ids.count }

    /// The nearest centroid of each row (largest inner product; ties to the lower list).
    static func assign(_ rows: VectorRows, to centroids: VectorRows) -> [Int] {
        var best = [Int](repeating: 0, count: rows.count)
        var bestScore = [Float](repeating: -.infinity, count: rows.count)
        ExactSearch().forEachBlock(queries: rows, rows: centroids) { q0, r0, qn, rn, scores in
            for i in 0..<qn {
                for j in 0..<rn where scores[i * rn + j] > bestScore[q0 + i] {
                    bestScore[q0 + i] = scores[i * rn + j]
                    best[q0 + i] = r0 + j
                }
            }
        }
        return best
    }

    /// Calls `body(queries, scores)` once per probed list with the queries that probe it: `scores[i * n + j]` is the
    /// inner product of query `queries[i]` with row `j` of the list (`n` rows, ``ordered`` rows from `offsets[list]`).
    /// Queries are grouped by list so each list is read once per call and multiplied by `sgemm`, not once per query.
    private func forEachProbedList(_ queries: VectorRows, probes: Int, _ body: (_ list: Int, _ queries: [Int], _ scores: UnsafeBufferPointer<Float>) -> Void) {
        let nearestLists = ExactSearch().nearest(queries, in: centroids, k: probes)
        var queriesOfList = [[Int]](repeating: [], count: listCount)
        for (q, lists) in nearestLists.enumerated() { for l in lists { queriesOfList[l.index].append(q) } }
        let d = dimension
        var gathered: [Float] = [], scores: [Float] = []
        for (list, qs) in queriesOfList.enumerated() where !qs.isEmpty {
            let start = offsets[list], n = offsets[list + 1] - start
            guard n > 0 else { continue }
            gathered.removeAll(keepingCapacity: true)
            for q in qs { gathered.append(contentsOf: queries.row(q)) }
            if scores.count < qs.count * n { scores = [Float](repeating: 0, count: qs.count * n) }
            ordered.values.withUnsafeBufferPointer { rows in
                gathered.withUnsafeBufferPointer { g in
                    scores.withUnsafeMutableBufferPointer { c in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(qs.count), Int32(n), Int32(d), 1,
                                    g.baseAddress!, Int32(d), rows.baseAddress! + start * d, Int32(d), 0, c.baseAddress!, Int32(n))
                        body(list, qs, UnsafeBufferPointer(rebasing: c[0..<(qs.count * n)]))
                    }
                }
            }
        }
    }

    /// The (approximately) `k` nearest rows of each query, best first, searching ``probes`` lists (or `probes`).
    public func nearest(_ queries: VectorRows, k: Int, probes: Int? = nil) -> [[Neighbour]] {
        precondition(queries.dimension == dimension)
        var heaps = (0..<queries.count).map { _ in TopNeighbours(k: max(0, min(k, count))) }
        forEachProbedList(queries, probes: min(listCount, probes ?? self.probes)) { list, qs, scores in
            let start = offsets[list], n = offsets[list + 1] - start
            for (i, q) in qs.enumerated() {
                for j in 0..<n where heaps[q].admits(scores[i * n + j]) {
                    heaps[q].offer(Neighbour(index: ids[start + j], similarity: scores[i * n + j]))
                }
            }
        }
        return heaps.map { $0.sorted() }
    }

    /// The rows of the probed lists whose inner product with each query is at least `minimumSimilarity`, by row index.
    public func within(_ queries: VectorRows, minimumSimilarity: Float, probes: Int? = nil) -> [[Neighbour]] {
        precondition(queries.dimension == dimension)
        var found = [[Neighbour]](repeating: [], count: queries.count)
        forEachProbedList(queries, probes: min(listCount, probes ?? self.probes)) { list, qs, scores in
            let start = offsets[list], n = offsets[list + 1] - start
            for (i, q) in qs.enumerated() {
                for j in 0..<n where scores[i * n + j] >= minimumSimilarity {
                    found[q].append(Neighbour(index: ids[start + j], similarity: scores[i * n + j]))
                }
            }
        }
        return found.map { $0.sorted { $0.index < $1.index } }
    }
}

/// xorshift64* (Vigna 2016): a small seeded generator, so an index built twice from the same rows is the same index.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// Recall of approximate results against exact ones: the share of the exact k nearest found (by row index).
public func recall(_ approximate: [[Neighbour]], exact: [[Neighbour]]) -> Double {
    var hit = 0, total = 0
    for (a, e) in zip(approximate, exact) {
        let found = Set(a.map(\.index))
        hit += e.filter { found.contains($0.index) }.count
        total += e.count
    }
    return total == 0 ? 1 : Double(hit) / Double(total)
}

import COpenBLAS

/// Approximate nearest-neighbour search over unit vectors: an inverted file (IVF). The rows are grouped into lists by
/// spherical k-means (assignment by OpenBLAS `sgemm`, centroids re-normalised each round); a query is compared with
/// the centroids, then exactly with the rows of its ``probes`` nearest lists only.
///
/// Recall against ``ExactSearch`` depends on how clustered the data are: real embeddings are (measured in
/// BENCHMARKS.md, "Corpus index"), uniformly random unit vectors in 1280 dimensions are not (every list is then about
/// as near as every other, and recall falls towards `probes / lists`). So, unless given its probes, the index tunes
/// itself when built (``Tuning``): it measures its own recall@10 against exact search on a seeded sample of its rows
/// and doubles ``probes`` until the recall reaches the target (0.95 by default); when that would take more than
/// ``maximumProbes(lists:)`` lists, where scanning them costs about as much as scanning everything, it searches
/// exactly instead (``exhaustive``). Its recall is then measured, not assumed, on any data.
public struct InvertedFileIndex: Sendable {
    /// How the index chose its ``probes`` when it was built.
    public struct Tuning: Sendable, Equatable {
        /// The recall@``k`` aimed at.
        public var targetRecall: Double
        public var k: Int
        /// Rows of the index used as queries (each leaves itself out of its own results: leave-one-out).
        public var sampleQueries: Int
        /// Recall@``k`` against exact search over the sample at the chosen ``InvertedFileIndex/probes``; 1 when the
        /// index fell back to exact search (``tried`` then says what its lists gave).
        public var measuredRecall: Double
        /// The probes tried, in order, and the recall measured at each.
        public var tried: [Probe]

        public struct Probe: Sendable, Equatable {
            public var probes: Int
            public var recall: Double
            public init(probes: Int, recall: Double) {
                self.probes = probes
                self.recall = recall
            }
        }

        /// The recall an index must measure on its sample to be accepted: the target plus two standard errors of a
        /// proportion over `sampleQueries × k` neighbours, so that the recall on other queries is at least the target
        /// (not only the sample's).
        public static func acceptedRecall(target: Double, sampleQueries: Int, k: Int) -> Double {
            let n = Double(max(1, sampleQueries * k))
            return min(1, target + 2 * (target * (1 - target) / n).squareRoot())
        }

        public init(targetRecall: Double, k: Int, sampleQueries: Int, measuredRecall: Double, tried: [Probe]) {
            self.targetRecall = targetRecall
            self.k = k
            self.sampleQueries = sampleQueries
            self.measuredRecall = measuredRecall
            self.tried = tried
        }
    }

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
    /// True when the index searches every row exactly (``ExactSearch``) instead of its lists: the self-tuning found
    /// that reaching the target recall would scan about as many rows as exact search does.
    public var exhaustive: Bool = false
    /// How ``probes`` was chosen (nil when it was given).
    public private(set) var tuning: Tuning?

    /// The recall@10 the index tunes itself to by default.
    public static let defaultTargetRecall = 0.95
    /// Rows used as self-check queries by default (fewer when the index holds fewer).
    public static let defaultTuningQueries = 256
    /// The most lists worth probing: half of them (at least 1). Past that, a query reads over half the rows through
    /// the lists, with their gathering and the centroid pass on top: no cheaper than exact search over all rows.
    public static func maximumProbes(lists: Int) -> Int { max(1, lists / 2) }

    /// Lists for `n` rows by default: √n (1,000 at a million rows), at least 1.
    public static func defaultListCount(rows n: Int) -> Int { max(1, Int(Double(n).squareRoot().rounded())) }
    /// Lists probed by default: an eighth of them, at least 8 (or all, when there are fewer).
    public static func defaultProbes(lists: Int) -> Int { min(lists, max(8, lists / 8)) }

    /// Groups `rows` (unit vectors) into lists.
    /// - Parameters:
    ///   - lists: the number of lists; default ``defaultListCount(rows:)``.
    ///   - probes: lists searched per query. When nil, the index tunes itself to `targetRecall` (see ``Tuning``),
    ///     starting from ``defaultProbes(lists:)``; with `targetRecall` nil too, ``defaultProbes(lists:)``.
    ///   - targetRecall: the recall@10 the self-tuning aims at.
    ///   - tuningQueries: rows of the index used as self-check queries.
    ///   - iterations: k-means rounds.
    ///   - trainingRowsPerList: k-means runs on a sample of this many rows per list (all rows when fewer).
    ///   - seed: for the samples and the initial centroids: the same seed gives the same index.
    public init(rows: VectorRows, lists: Int? = nil, probes: Int? = nil, targetRecall: Double? = defaultTargetRecall,
                tuningQueries: Int = defaultTuningQueries, iterations: Int = 10, trainingRowsPerList: Int = 32, seed: UInt64 = 1) {
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
        (ordered, offsets, ids) = Self.listed(rows, assignment: Self.assign(rows, to: centroids), lists: listCount)
        if probes == nil, let targetRecall { tune(targetRecall: targetRecall, queries: tuningQueries, seed: seed) }
    }

    /// An index from its parts, as ``centroids`` and ``assignment`` keep them (a stored index read back): the same
    /// lists, in the same order, as the index they were taken from when `rows` are the same rows.
    /// - Parameters:
    ///   - assignment: the list of each row (`0..<centroids.count`).
    ///   - tuning: as measured when the index was built (nil when unknown).
    public init(rows: VectorRows, centroids: VectorRows, assignment: [Int], probes: Int, exhaustive: Bool, tuning: Tuning?) {
        precondition(rows.dimension == centroids.dimension && assignment.count == rows.count && centroids.count > 0)
        let d = rows.dimension, listCount = centroids.count
        dimension = d
        self.centroids = centroids
        self.probes = max(1, min(listCount, probes))
        self.exhaustive = exhaustive
        self.tuning = tuning
        precondition(assignment.allSatisfy { (0..<listCount).contains($0) }, "a row in no list of \(listCount)")
        (ordered, offsets, ids) = Self.listed(rows, assignment: assignment, lists: listCount)
    }

    /// The rows list after list (by row index within a list), each list's start, and each row's original index.
    private static func listed(_ rows: VectorRows, assignment: [Int], lists: Int) -> (VectorRows, [Int], [Int]) {
        var members = [[Int]](repeating: [], count: lists)
        for (i, l) in assignment.enumerated() { members[l].append(i) }
        var ordered = [Float]()
        ordered.reserveCapacity(rows.values.count)
        var offsets = [0], ids = [Int]()
        ids.reserveCapacity(rows.count)
        for list in members {
            for i in list { ordered.append(contentsOf: rows.row(i)); ids.append(i) }
            offsets.append(ids.count)
        }
        return (VectorRows(dimension: rows.dimension, values: ordered), offsets, ids)
    }

    /// The list of each row, by original row index.
    public var assignment: [Int] {
        var list = [Int](repeating: 0, count: ids.count)
        for l in 0..<listCount { for j in offsets[l]..<offsets[l + 1] { list[ids[j]] = l } }
        return list
    }

    /// Chooses ``probes`` (or ``exhaustive``): recall@10 of `queries` rows of the index (a seeded sample), each
    /// leaving itself out, against exact search; probes doubled from ``defaultProbes(lists:)`` until the recall is
    /// ``Tuning/acceptedRecall(target:sampleQueries:k:)``, exact search when past ``maximumProbes(lists:)``.
    private mutating func tune(targetRecall: Double, queries: Int, seed: UInt64) {
        let n = count, k = 10
        let sampleCount = min(n, max(1, queries))
        guard n > k + 1 else { exhaustive = true; tuning = Tuning(targetRecall: targetRecall, k: k, sampleQueries: 0, measuredRecall: 1, tried: []); return }
        var random = SeededGenerator(seed: seed ^ 0x7475_6E69_6E67)  // "tuning": a stream apart from k-means's
        var order = Array(0..<n)
        for i in 0..<sampleCount { order.swapAt(i, i + Int(random.next() % UInt64(n - i))) }
        let sample = Array(order.prefix(sampleCount)).sorted()
        var position = [Int](repeating: 0, count: n)  // original index → row of ``ordered``
        for (j, i) in ids.enumerated() { position[i] = j }
        var queryRows = VectorRows(dimension: dimension)
        for i in sample { queryRows.append(Array(ordered.row(position[i]))) }
        /// The k nearest without the query itself (or without the last, when the query is not among the k + 1: a duplicate row).
        func leaveOneOut(_ found: [[Neighbour]]) -> [[Neighbour]] {
            zip(sample, found).map { own, list in
                if let i = list.firstIndex(where: { $0.index == own }) { var l = list; l.remove(at: i); return l }
                return Array(list.prefix(k))
            }
        }
        let exact = leaveOneOut(ExactSearch().nearest(queryRows, in: ordered, k: k + 1).map { $0.map { Neighbour(index: ids[$0.index], similarity: $0.similarity) } })
        let accepted = Tuning.acceptedRecall(target: targetRecall, sampleQueries: sampleCount, k: k)
        let most = Self.maximumProbes(lists: listCount)
        var p = min(Self.defaultProbes(lists: listCount), most)
        var tried: [Tuning.Probe] = []
        while true {
            let r = recall(leaveOneOut(nearest(queryRows, k: k + 1, probes: p)), exact: exact)
            tried.append(.init(probes: p, recall: r))
            if r >= accepted {
                probes = p
                exhaustive = false
                break
            }
            if p >= most {
                probes = p
                exhaustive = true
                break
            }
            p = min(2 * p, most)
        }
        tuning = Tuning(targetRecall: targetRecall, k: k, sampleQueries: sampleCount, measuredRecall: exhaustive ? 1 : tried.last!.recall, tried: tried)
    }

    public var listCount: Int { centroids.count }
    /// The rows as the index holds them, list after list (row `i` here is row ``originalIndex(_:)`` of the input).
    public var rows: VectorRows { ordered }
    public func originalIndex(_ i: Int) -> Int { ids[i] }
    public var count: Int { ids.count }

    /// The list of each row: its nearest centroid (for rows added to a stored index after it was built).
    public static func nearestLists(of rows: VectorRows, centroids: VectorRows) -> [Int] { assign(rows, to: centroids) }

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

    /// The (approximately) `k` nearest rows of each query, best first, searching ``probes`` lists (or `probes`);
    /// every row, exactly, when the index is ``exhaustive`` and `probes` is not given.
    public func nearest(_ queries: VectorRows, k: Int, probes: Int? = nil) -> [[Neighbour]] {
        precondition(queries.dimension == dimension)
        if exhaustive && probes == nil {
            return ExactSearch().nearest(queries, in: ordered, k: k).map { list in
                list.map { Neighbour(index: ids[$0.index], similarity: $0.similarity) }
                    .sorted { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.index < $1.index) }
            }
        }
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
        if exhaustive && probes == nil {
            for (q, list) in ExactSearch().within(queries, in: ordered, minimumSimilarity: minimumSimilarity).enumerated() {
                found[q] = list.map { Neighbour(index: ids[$0.index], similarity: $0.similarity) }
            }
            return found.map { $0.sorted { $0.index < $1.index } }
        }
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

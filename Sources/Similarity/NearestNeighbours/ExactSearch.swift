import COpenBLAS

/// One neighbour found by a search: the row it is in the searched set, and its inner product with the query
/// (for unit vectors, the cosine similarity: cosine distance = 1 − similarity).
public struct Neighbour: Sendable, Equatable {
    public let index: Int
    public let similarity: Float

    public init(index: Int, similarity: Float) {
        self.index = index
        self.similarity = similarity
    }
}

/// A set of vectors stored row after row (row-major `count × dimension` floats), as OpenBLAS multiplies them.
public struct VectorRows: Sendable {
    public let dimension: Int
    public private(set) var values: [Float]

    public init(dimension: Int, values: [Float] = []) {
        precondition(dimension > 0 && values.count % dimension == 0, "values must be whole rows")
        self.dimension = dimension
        self.values = values
    }

    public var count: Int { values.count / dimension }

    public mutating func append(_ row: [Float]) {
        precondition(row.count == dimension, "a row of \(row.count) values in a set of dimension \(dimension)")
        values.append(contentsOf: row)
    }

    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dimension)..<((i + 1) * dimension)] }
}

/// The k largest of a stream of neighbours: a binary min-heap holding the best k seen so far (the worst of them on top).
struct TopNeighbours {
    let k: Int
    private(set) var heap: [Neighbour] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Whether `similarity` would enter the heap (cheap test before building a Neighbour).
    @inline(__always) func admits(_ similarity: Float) -> Bool { heap.count < k || similarity > heap[0].similarity }

    mutating func offer(_ n: Neighbour) {
        if heap.count < k {
            heap.append(n)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if worse(heap[i], than: heap[parent]) { heap.swapAt(i, parent); i = parent } else { break }
            }
        } else if k > 0, worse(heap[0], than: n) {
            heap[0] = n
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, worse(heap[l], than: heap[m]) { m = l }
                if r < heap.count, worse(heap[r], than: heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
    }

    /// Lower similarity is worse; among equals the higher index (so results do not depend on the visiting order).
    @inline(__always) private func worse(_ a: Neighbour, than b: Neighbour) -> Bool {
        a.similarity < b.similarity || (a.similarity == b.similarity && a.index > b.index)
    }

    /// Best first.
    func sorted() -> [Neighbour] { heap.sorted { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.index < $1.index) } }
}

/// Exact nearest-neighbour search by inner product: every query against every row, as OpenBLAS `sgemm` products of
/// blocks (``queryBlock`` queries × ``rowBlock`` rows at a time, so scratch memory stays at a few MB whatever the sizes),
/// with a heap of the best k per query.
///
/// Cost: `2 · queries · rows · dimension` flops; memory beyond the inputs `queryBlock × rowBlock` floats.
public struct ExactSearch: Sendable {
    public var queryBlock = 256
    public var rowBlock = 4096

    public init() {}

    /// Calls `body(q0, r0, qn, rn, scores)` for each block: `scores[i * rn + j]` is query `q0 + i` · row `r0 + j`
    /// (for callers that need every inner product, not only the best).
    public func forEachBlock(queries: VectorRows, rows: VectorRows, _ body: (Int, Int, Int, Int, UnsafeBufferPointer<Float>) -> Void) {
        precondition(queries.dimension == rows.dimension, "queries of dimension \(queries.dimension), rows of \(rows.dimension)")
        let d = rows.dimension
        var scratch = [Float](repeating: 0, count: queryBlock * rowBlock)
        queries.values.withUnsafeBufferPointer { q in
            rows.values.withUnsafeBufferPointer { r in
                scratch.withUnsafeMutableBufferPointer { c in
                    var q0 = 0
                    while q0 < queries.count {
                        let qn = min(queryBlock, queries.count - q0)
                        var r0 = 0
                        while r0 < rows.count {
                            let rn = min(rowBlock, rows.count - r0)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(qn), Int32(rn), Int32(d), 1,
                                        q.baseAddress! + q0 * d, Int32(d), r.baseAddress! + r0 * d, Int32(d), 0, c.baseAddress!, Int32(rn))
                            body(q0, r0, qn, rn, UnsafeBufferPointer(rebasing: c[0..<(qn * rn)]))
                            r0 += rn
                        }
                        q0 += qn
                    }
                }
            }
        }
    }

    /// The `k` rows with the largest inner product with each query, best first (ties: lower row first).
    public func nearest(_ queries: VectorRows, in rows: VectorRows, k: Int) -> [[Neighbour]] {
        guard k > 0, rows.count > 0 else { return Array(repeating: [], count: queries.count) }
        var heaps = (0..<queries.count).map { _ in TopNeighbours(k: min(k, rows.count)) }
        forEachBlock(queries: queries, rows: rows) { q0, r0, qn, rn, scores in
            for i in 0..<qn {
                for j in 0..<rn {
                    let s = scores[i * rn + j]
                    if heaps[q0 + i].admits(s) { heaps[q0 + i].offer(Neighbour(index: r0 + j, similarity: s)) }
                }
            }
        }
        return heaps.map { $0.sorted() }
    }

    /// Every row whose inner product with each query is at least `minimumSimilarity` (a range search), in row order.
    public func within(_ queries: VectorRows, in rows: VectorRows, minimumSimilarity: Float) -> [[Neighbour]] {
        var found = [[Neighbour]](repeating: [], count: queries.count)
        guard rows.count > 0 else { return found }
        forEachBlock(queries: queries, rows: rows) { q0, r0, qn, rn, scores in
            for i in 0..<qn {
                for j in 0..<rn where scores[i * rn + j] >= minimumSimilarity {
                    found[q0 + i].append(Neighbour(index: r0 + j, similarity: scores[i * rn + j]))
                }
            }
        }
        return found
    }
}

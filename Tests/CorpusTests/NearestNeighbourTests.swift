import Foundation
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

@Suite("Nearest neighbours")
struct NearestNeighbourTests {
    /// Clustered unit vectors with the hierarchy of real scene embeddings: `groups` broad groups (a kind of footage),
    /// around each `centres / groups` centres (a shot; cosine about 0.8 to its group), around each centre its members
    /// (frames and copies of the shot, 0.01–0.15 from it). The same `seed` gives the same centres; `memberSeed` the rows.
    func clustered(_ n: Int, groups: Int, centres: Int, seed: UInt64, memberSeed: UInt64) -> VectorRows {
        var corpus = SyntheticCorpus(generator: SplitMix64(state: seed))
        let g = (0..<groups).map { _ in corpus.unit(noise: 1) }
        let c = (0..<centres).map { i in corpus.unit(near: g[i % groups], noise: 0.02) }
        corpus.generator = SplitMix64(state: memberSeed)
        var rows = VectorRows(dimension: SyntheticCorpus.dimension)
        for _ in 0..<n {
            let noise = 0.003 + 0.009 * Float(corpus.generator.next() % 1000) / 1000
            rows.append(corpus.unit(near: c[Int(corpus.generator.next() % UInt64(centres))], noise: noise))
        }
        return rows
    }

    /// Inner products in Double by plain loops.
    func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
            var s = 0.0
            for k in 0..<x.count { s += Double(x[k]) * Double(y[k]) }
            return s
        } }
    }

    @Test func exactSearchMatchesPlainLoops() {
        let rows = clustered(300, groups: 4, centres: 20, seed: 1, memberSeed: 2), queries = clustered(19, groups: 4, centres: 20, seed: 1, memberSeed: 3)
        var search = ExactSearch()
        search.rowBlock = 64  // several blocks each way
        search.queryBlock = 8
        let found = search.nearest(queries, in: rows, k: 5)
        let within = search.within(queries, in: rows, minimumSimilarity: 0.8)
        for q in 0..<queries.count {
            let scores = (0..<rows.count).map { r in dot(queries.row(q), rows.row(r)) }
            let best = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(5)
            #expect(found[q].map(\.index) == Array(best))
            for (n, i) in zip(found[q], best) { #expect(abs(Double(n.similarity) - scores[i]) < 1e-4) }
            // Every row clearly above 0.8 is found, nothing clearly below, in row order.
            let inRange = Set(within[q].map(\.index))
            #expect(scores.indices.filter { scores[$0] >= 0.8 + 1e-4 }.allSatisfy(inRange.contains))
            #expect(inRange.allSatisfy { scores[$0] >= 0.8 - 1e-4 } && within[q].map(\.index) == within[q].map(\.index).sorted())
            #expect(!inRange.isEmpty)
        }
    }

    @Test func invertedFileRecallAtTheDefaultsIsAtLeast95Percent() {
        // 6,000 rows in 30 groups of 50 shots (4 rows a shot: a query's 10 nearest span several shots of its group);
        // 150 queries drawn from the same distribution.
        let rows = clustered(6_000, groups: 30, centres: 1_500, seed: 3, memberSeed: 4), queries = clustered(150, groups: 30, centres: 1_500, seed: 3, memberSeed: 5)
        let ivf = InvertedFileIndex(rows: rows)
        #expect(ivf.listCount == InvertedFileIndex.defaultListCount(rows: 6_000) && ivf.count == 6_000)
        let exact = ExactSearch().nearest(queries, in: rows, k: 10)
        let approximate = ivf.nearest(queries, k: 10)
        let r = recall(approximate, exact: exact)
        #expect(r >= 0.95, "recall \(r) with \(ivf.listCount) lists, \(ivf.probes) probed")
        // Not an easy set: one list alone misses neighbours (measured: 0.85).
        #expect(recall(ivf.nearest(queries, k: 10, probes: 1), exact: exact) < 0.95)
        // Probing every list is exact.
        #expect(recall(ivf.nearest(queries, k: 10, probes: ivf.listCount), exact: exact) == 1)
        // The same seed builds the same index.
        #expect(InvertedFileIndex(rows: rows).nearest(queries, k: 10) == approximate)
    }
}

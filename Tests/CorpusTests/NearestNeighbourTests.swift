import Foundation
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

@Suite("Nearest neighbours", .temporaryFolders)
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

    @Test func invertedFileRecallAtTheDefaultsIsAtLeast95Percent() throws {
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
        // Clustered data: the self-check accepts the default probes, and says so.
        let tuning = try #require(ivf.tuning)
        #expect(ivf.probes == InvertedFileIndex.defaultProbes(lists: ivf.listCount) && !ivf.exhaustive, "\(tuning)")
        #expect(tuning.tried.count == 1 && tuning.measuredRecall >= 0.95 && tuning.sampleQueries == 256)
    }

    /// Unit vectors uniform on the sphere: no real neighbours, the worst case for an IVF.
    func uniform(_ n: Int, dimension: Int, seed: UInt64) -> VectorRows {
        var corpus = SyntheticCorpus(generator: SplitMix64(state: seed))
        var rows = VectorRows(dimension: dimension)
        for _ in 0..<n { rows.append(normalised((0..<dimension).map { _ in corpus.gaussian() })) }
        return rows
    }

    /// The self-tuned index keeps its recall on data where the defaults miss most neighbours: measured on queries
    /// that are not in its self-check sample (fresh vectors from the same distribution), against exact search.
    @Test(arguments: [(32, false), (1280, true)])
    func selfTunedRecallOnUniformlyRandomVectors(dimension: Int, fallsBackToExact: Bool) throws {
        // 32 values: the defaults reach recall ~0.67, probes doubled twice reach 0.95; 1,280 values: nothing below
        // half the lists does, and the index searches exactly.
        let n = dimension == 32 ? 20_000 : 4_000
        let rows = uniform(n, dimension: dimension, seed: 11), queries = uniform(200, dimension: dimension, seed: 12)
        let ivf = InvertedFileIndex(rows: rows)
        let tuning = try #require(ivf.tuning)
        let exact = ExactSearch().nearest(queries, in: rows, k: 10)
        let r = recall(ivf.nearest(queries, k: 10), exact: exact)
        #expect(r >= 0.95, "recall \(r) on other queries, \(tuning)")
        #expect(ivf.exhaustive == fallsBackToExact, "\(tuning)")
        // The defaults alone fall short (what the tuning is for), and the steps doubled the probes.
        #expect(recall(ivf.nearest(queries, k: 10, probes: InvertedFileIndex.defaultProbes(lists: ivf.listCount)), exact: exact) < 0.9)
        #expect(tuning.tried.count >= 2 && tuning.tried[1].probes == 2 * tuning.tried[0].probes)
        if fallsBackToExact {
            #expect(r == 1 && tuning.tried.last!.probes == InvertedFileIndex.maximumProbes(lists: ivf.listCount))
            #expect(tuning.tried.last!.recall < Tuning.acceptedRecall(target: 0.95, sampleQueries: tuning.sampleQueries, k: 10))
        } else {
            #expect(ivf.probes <= InvertedFileIndex.maximumProbes(lists: ivf.listCount) && tuning.measuredRecall >= 0.95)
        }
        // Seeded: the same rows give the same tuning.
        #expect(InvertedFileIndex(rows: rows).tuning == tuning)
    }
}

typealias Tuning = InvertedFileIndex.Tuning

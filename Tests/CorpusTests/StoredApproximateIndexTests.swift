import Foundation
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// The approximate index `index search` uses past `approximateAbove` scenes is stored in the index, reused by the
/// next search, and rebuilt when more than a tenth of its scenes changed. (The threshold is lowered to 0 here so that
/// a few thousand scenes take the approximate path.)
@Suite("Corpus index: the stored approximate index", .temporaryFolders)
struct StoredApproximateIndexTests {
    @Test func aSecondSearchReusesItAndAStaleOneIsRebuilt() throws {
        var corpus = SyntheticCorpus(generator: SplitMix64(state: 21))
        // 40 videos of 60 scenes around 100 shots, then 2 more (+5%: still current), then 4 more (+15%: stale); the
        // 47th, never added, gives the queries (scenes near the same shots).
        let videos = corpus.videos(47, scenes: 60, centres: 100)
        let index = try CorpusIndex(path: Fixtures.temporaryFolder("stored-ann").appendingPathComponent("c.db").path, precision: .single)
        for v in videos.prefix(40) { _ = try index.add(v) }
        #expect(try index.storedApproximateIndex() == nil)
        #expect(try index.nearestSceneIndex().method == .exact)  // 2,400 scenes: below the shipped threshold
        #expect(try index.storedApproximateIndex() == nil)

        let first = try index.nearestSceneIndex(approximateAbove: 0)
        guard case .built(let reason) = first.method else { Issue.record("\(first.method)"); return }
        #expect(reason == "none was stored")
        let stored = try #require(try index.storedApproximateIndex())
        #expect(stored.scenes == 2_400 && stored.changedScenes == 0 && !stored.isStale && stored.lists == first.approximate!.listCount)
        #expect(stored.measuredRecall == first.approximate!.tuning?.measuredRecall && stored.probes == first.approximate!.probes)
        #expect(try index.statistics().approximateIndex == stored)
        #expect(!stored.exhaustive && stored.probes == InvertedFileIndex.defaultProbes(lists: stored.lists), "\(stored)")  // a real IVF, not the exact fallback

        let queries = VectorRows(dimension: SyntheticCorpus.dimension, values: videos[46].scenes.flatMap(\.embedding))
        let second = try index.nearestSceneIndex(approximateAbove: 0)
        #expect(second.method == .stored)
        // Read back, it is the index that was built: same lists, same probes, same results.
        #expect(second.approximate!.assignment == first.approximate!.assignment && second.approximate!.probes == first.approximate!.probes)
        #expect(second.nearest(queries, k: 10) == first.nearest(queries, k: 10))
        let fresh = InvertedFileIndex(rows: VectorRows(dimension: SyntheticCorpus.dimension, values: second.scenes.flatMap(\.scene.embedding)))
        #expect(second.nearest(queries, k: 10) == fresh.nearest(queries, k: 10))

        // 120 scenes added (5%): still current; the new scenes are searched too, in their nearest list.
        for v in videos[40..<42] { _ = try index.add(v) }
        #expect(try index.storedApproximateIndex()?.changedScenes == 120)
        let grown = try index.nearestSceneIndex(approximateAbove: 0)
        #expect(grown.method == .stored && grown.scenes.count == 2_520)
        let exactGrown = ExactSearch().nearest(queries, in: VectorRows(dimension: SyntheticCorpus.dimension, values: grown.scenes.flatMap(\.scene.embedding)), k: 10)
        #expect(recall(grown.nearest(queries, k: 10), exact: exactGrown) >= 0.95)
        let added = VectorRows(dimension: SyntheticCorpus.dimension, values: videos[40..<42].flatMap { $0.scenes.flatMap(\.embedding) })
        #expect(grown.nearest(added, k: 1).map { $0.first.map { grown.scenes[$0.index].video.sha256 } } == videos[40..<42].flatMap { v in v.scenes.map { _ in v.sha256 } })
        #expect(try index.refreshApproximateIndex(approximateAbove: 0) == nil)  // `index add`: nothing to do

        // 240 more (360 of 2,400 changed, and one video of 60 removed: 420): stale, rebuilt, equal to a fresh build.
        for v in videos[42..<46] { _ = try index.add(v) }
        _ = try index.remove(path: videos[0].path)
        let staleInfo = try #require(try index.storedApproximateIndex())
        #expect(staleInfo.changedScenes == 420 && staleInfo.isStale)
        let rebuilt = try index.nearestSceneIndex(approximateAbove: 0)
        #expect(rebuilt.method == .built(reason: "420 of its 2400 scenes changed since it was built"))
        let rows = VectorRows(dimension: SyntheticCorpus.dimension, values: rebuilt.scenes.flatMap(\.scene.embedding))
        #expect(rebuilt.scenes.count == 2_700)
        #expect(rebuilt.nearest(queries, k: 10) == InvertedFileIndex(rows: rows).nearest(queries, k: 10))
        let now = try #require(try index.storedApproximateIndex())
        #expect(now.scenes == 2_700 && now.changedScenes == 0)
        #expect(try index.nearestSceneIndex(approximateAbove: 0).method == .stored)
        #expect(try index.integrityCheck() == "ok")
    }
}

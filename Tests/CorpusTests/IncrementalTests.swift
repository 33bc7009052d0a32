import Foundation
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// Synthetic scenes for clustering tests: unit vectors scattered around a few centres in 1,280 dimensions, some
/// close enough to link, some not, so clusters form chains that new scenes can join and bridge.
struct SyntheticCorpus {
    static let dimension = 1280
    var generator = SplitMix64(state: 7)

    mutating func gaussian() -> Float {
        let u = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-12), v = Double(generator.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }

    mutating func unit(near centre: [Float]? = nil, noise: Float) -> [Float] {
        let v = (0..<Self.dimension).map { i in (centre?[i] ?? 0) + (centre == nil ? 1 : noise) * gaussian() }
        return normalised(v)
    }

    /// `videos` videos of `scenes` scenes each, every scene near one of `centres` centres with noise drawn from
    /// 0.004–0.016 per value (pairs then lie 0.02–0.35 apart in cosine distance: around a 0.15 threshold).
    mutating func videos(_ videos: Int, scenes: Int, centres: Int, folders: Int = 1) -> [IndexedVideo] {
        let centre = (0..<centres).map { _ in unit(noise: 1) }
        return (0..<videos).map { v in
            let list = (0..<scenes).map { s -> IndexedScene in
                let c = Int(generator.next() % UInt64(centres))
                let noise = 0.004 + 0.012 * Float(generator.next() % 1000) / 1000
                return IndexedScene(number: s, start: Double(s), end: Double(s + 1), keyframeTime: Double(s), keyframePath: nil,
                                    embedding: unit(near: centre[c], noise: noise), perceptualHash: nil)
            }
            let sha = String(format: "%064x", v + 1)
            return IndexedVideo(path: "/corpus/folder\(v % folders)/video\(v).mp4", size: 1, sha256: sha, duration: Double(scenes),
                                tags: ["title": "t\(v % 3)"], folder: String(sha.prefix(16)), scenes: list)
        }
    }
}

/// The partition of an index's scenes into clusters, as sets of "sha256#scene".
func partition(_ index: CorpusIndex) throws -> Set<Set<String>> {
    Set(try index.clusters().map { c in Set(c.scenes.map { $0.video.sha256 + "#" + String($0.scene.number) }) })
}

/// The reference: connected components of "cosine distance < T" over the stored (rounded) embeddings, by plain
/// double loops in Double precision — no OpenBLAS, no centroids.
func referencePartition(_ index: CorpusIndex, threshold: Double, key: (IndexedVideo) -> String = { _ in "" }) throws -> Set<Set<String>> {
    let rows = try index.scenes()
    var sets = DisjointSets(count: rows.count)
    let keys = rows.map { key($0.video) }
    for i in rows.indices {
        rows[i].scene.embedding.withUnsafeBufferPointer { a in
            for j in (i + 1)..<rows.count where keys[i] == keys[j] {
                let s = rows[j].scene.embedding.withUnsafeBufferPointer { b in
                    var s = 0.0
                    for k in 0..<a.count { s += Double(a[k]) * Double(b[k]) }
                    return s
                }
                if 1 - s < threshold { sets.union(i, j) }
            }
        }
    }
    var groups: [Int: Set<String>] = [:]
    for i in rows.indices { groups[sets.find(i), default: []].insert(rows[i].video.sha256 + "#" + String(rows[i].scene.number)) }
    return Set(groups.values)
}

@Suite("Corpus clusters: incremental equals batch", .temporaryFolders)
struct IncrementalTests {
    @Test func addingVideosOneAtATimeGivesTheBatchPartition() throws {
        let precision = EmbeddingPrecision.half  // (removingABridgeSplitsItsClusterAgain runs at float32)
        var corpus = SyntheticCorpus()
        let videos = corpus.videos(30, scenes: 6, centres: 20)
        let work = Fixtures.temporaryFolder("incremental")
        let incremental = try CorpusIndex(path: work.appendingPathComponent("incremental.db").path, precision: precision)
        let batch = try CorpusIndex(path: work.appendingPathComponent("batch.db").path, precision: precision)
        var sawIncrementalMerges = false
        var previousClusters = 0
        for (i, v) in videos.enumerated() {
            _ = try incremental.add(v)
            _ = try batch.add(v)
            if i % 3 == 2 || i == videos.count - 1 {  // dedupe after every third video, and at the end
                let summary = try incremental.dedupe(threshold: 0.15)
                #expect(summary.incremental == (previousClusters > 0))
                if summary.incremental {
                    #expect(summary.candidateClusters <= summary.earlierClusters)
                    if summary.clusters < summary.earlierClusters + 1 { sawIncrementalMerges = true }
                }
                previousClusters = summary.clusters
            }
        }
        let once = try batch.dedupe(threshold: 0.15)
        #expect(!once.incremental && once.newScenes == 180)
        let a = try partition(incremental), b = try partition(batch), reference = try referencePartition(batch, threshold: 0.15)
        #expect(a == b)
        #expect(b == reference)
        // Not trivial: clusters of several scenes and several clusters, and new scenes that joined earlier clusters.
        #expect(a.count > 20 && a.count < 150 && a.contains { $0.count >= 5 })
        #expect(sawIncrementalMerges)
    }

    @Test func theCentroidTestSkipsClustersOutOfReach() throws {
        var corpus = SyntheticCorpus()
        let videos = corpus.videos(30, scenes: 5, centres: 30)
        let index = try CorpusIndex(path: Fixtures.temporaryFolder("reach").appendingPathComponent("c.db").path)
        for v in videos.dropLast() { _ = try index.add(v) }
        _ = try index.dedupe(threshold: 0.15)
        _ = try index.add(videos.last!)
        let summary = try index.dedupe(threshold: 0.15)
        #expect(summary.incremental && summary.newScenes == 5)
        // Five new scenes near at most five centres: most earlier clusters are never read.
        #expect(summary.candidateClusters <= 10 && summary.earlierClusters > 25, "\(summary)")
        #expect(try partition(index) == referencePartition(index, threshold: 0.15))
    }

    @Test func removingABridgeSplitsItsClusterAgain() throws {
        var corpus = SyntheticCorpus()
        let a = corpus.unit(noise: 1), far = corpus.unit(noise: 1)
        // b halfway between a and c: a–b and b–c link (0.065 apart), a–c do not (0.25).
        let c = normalised(zip(a, far).map { $0 + 0.882 * $1 })
        let b = normalised(zip(a, c).map { ($0 + $1) / 2 })
        func video(_ n: Int, _ v: [Float]) -> IndexedVideo {
            IndexedVideo(path: "/v\(n).mp4", size: 1, sha256: String(format: "%064x", n), duration: 1, tags: [:], folder: "f\(n)",
                         scenes: [IndexedScene(number: 0, start: 0, end: 1, keyframeTime: 0, keyframePath: nil, embedding: v, perceptualHash: nil)])
        }
        let index = try CorpusIndex(path: Fixtures.temporaryFolder("bridge").appendingPathComponent("c.db").path, precision: .single)
        for (n, v) in [a, b, c].enumerated() { _ = try index.add(video(n, v)) }
        _ = try index.dedupe(threshold: 0.15)
        #expect(try partition(index).count == 1)
        #expect(try index.remove(path: "/v1.mp4")?.sha256 == String(format: "%064x", 1))
        let summary = try index.dedupe(threshold: 0.15)
        #expect(summary.newScenes == 2)
        #expect(try partition(index).count == 2)
    }

    @Test func groupingKeepsVideosWithDifferentKeysApart() throws {
        var corpus = SyntheticCorpus()
        let videos = corpus.videos(24, scenes: 4, centres: 6, folders: 2)
        let index = try CorpusIndex(path: Fixtures.temporaryFolder("groups").appendingPathComponent("c.db").path)
        for v in videos { _ = try index.add(v) }
        for grouping in [CorpusGrouping.directory, .pattern("video[0-9]*[02468]\\.mp4"), .metadata("title"), .none] {
            _ = try index.dedupe(threshold: 0.15, grouping: grouping)
            let p = try partition(index)
            #expect(p == (try referencePartition(index, threshold: 0.15, key: grouping.key(for:))), "\(grouping)")
            if grouping != .none {
                let keyOf = Dictionary(uniqueKeysWithValues: videos.map { ($0.sha256, grouping.key(for: $0)) })
                for cluster in p { #expect(Set(cluster.map { keyOf[String($0.prefix(64))]! }).count == 1) }
            }
        }
        // Folders split what no grouping joins: more clusters with the grouping.
        _ = try index.dedupe(threshold: 0.15, grouping: .directory)
        let byFolder = try partition(index).count
        _ = try index.dedupe(threshold: 0.15)
        #expect(byFolder > (try partition(index)).count)
    }
}

import Decoder
import Foundation
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// Copies of one edit (``CopyVerification/alignedEdits``): a shot of a copy whose keyframe fails verification against
/// the original's (a moving shot's copies keep different moments) joins it when both videos cut at the same times around
/// it; without that edit around it, or with its own boundaries elsewhere, it stays apart.
///
/// The keyframes' local features are real (frames of `samples/shots-360p.mp4`: the cup, the bottle, the rocket; the
/// moving shot's two keyframes are the cup and the rocket, which nothing maps onto each other); the embeddings are chosen: basis vectors, and for the moving shot two vectors 0.3 apart in cosine
/// distance (beyond the 0.15 threshold, within the 0.45 copy radius), as the letterboxed and mirrored Sintel copies' last
/// shot is from its original.
@Suite("Corpus: copies of one edit join shot for shot", .temporaryFolders)
struct AlignedEditsTests {
    static let dimension = 8

    static func basis(_ i: Int) -> [Float] { (0..<dimension).map { $0 == i ? 1 : 0 } }

    /// The features of the cup, the bottle, the rocket, then the moving shot's keyframe in the original (the cup
    /// zoomed in) and in the copy (the rocket after its tilt): two pictures no transform maps onto each other.
    static let sampleFeatures: [LocalFeatures]? = try? features(at: [1.0, 4.0, 9.0, 2.6, 9.8])

    /// Frames of the sample clip by time, as the index stores their features.
    static func features(at seconds: [Double]) throws -> [LocalFeatures] {
        var options = ReaderOptions()
        options.sampling = .all
        let reader = try VideoReader(input: Fixtures.sample("shots-360p.mp4").path, options: options)
        var wanted = seconds.sorted(), found: [Double: LocalFeatures] = [:]
        let extractor = LocalFeatureExtractor()
        while let t = wanted.first, let frame = try reader.next() {
            if frame.seconds + 0.001 >= t { found[t] = extractor.features(of: frame.luma); wanted.removeFirst() }
        }
        return try seconds.map { try #require(found[$0]) }
    }

    /// One video: scenes with given (start, end, embedding, features), in that order.
    static func video(_ n: Int, _ scenes: [(Double, Double, [Float], LocalFeatures)]) -> IndexedVideo {
        let sha = String(format: "%064x", n)
        let list = scenes.enumerated().map { i, s in
            IndexedScene(number: i, start: s.0, end: s.1, keyframeTime: s.0, keyframePath: nil, embedding: s.2, perceptualHash: nil, features: s.3)
        }
        return IndexedVideo(path: "/v\(n).mp4", size: 1, sha256: sha, duration: scenes.last!.1, tags: [:], folder: String(sha.prefix(16)), scenes: list)
    }

    /// The original: cup, bottle, rocket, then the moving shot; the copy: a 5 s intro, then the same edit (its last
    /// `copiesOfOtherShots` shots before the moving one), whose moving shot has another keyframe. Returns whether the two moving shots
    /// share a cluster.
    static func movingShotsJoin(copyEnd: Double = 17, copiesOfOtherShots: Int = 3, verification: CopyVerification = .standard,
                                oneAtATime: Bool = false, folder: String) throws -> Bool {
        let f = try #require(sampleFeatures)
        let cup = f[0], bottle = f[1], rocket = f[2], during = f[3], after = f[4]
        // The moving shot's two embeddings, 0.3 apart.
        let moving = basis(3), movingCopy = normalised(zip(basis(3), basis(4)).map { 0.7 * $0 + Float((1 - 0.49).squareRoot()) * $1 })
        let original = video(1, [(0, 3, basis(0), cup), (3, 6, basis(1), bottle), (6, 9, basis(2), rocket), (9, 12, moving, during)])
        let shared = [(5.0, 8.0, basis(0), cup), (8, 11, basis(1), bottle), (11, 14, basis(2), rocket)].suffix(copiesOfOtherShots)
        let copy = video(2, [(0, 5, basis(5), cup)] + shared + [(14, copyEnd, movingCopy, after)])
        let index = try CorpusIndex(path: Fixtures.temporaryFolder(folder).appendingPathComponent("c.db").path, precision: .single)
        for v in [original, copy] {
            _ = try index.add(v)
            // One at a time: the copy's scenes are compared with the original's clusters (incremental).
            if oneAtATime { _ = try index.dedupe(threshold: 0.15, verification: verification) }
        }
        let summary = try index.dedupe(threshold: 0.15, verification: verification)
        #expect(summary.incremental == oneAtATime)
        let clusterOf = Dictionary(uniqueKeysWithValues: try index.clusters().flatMap { c in c.scenes.map { ("\($0.video.path)#\($0.scene.number)", c.number) } })
        // The other shots join their copies in every case (the evidence); the intro stays alone.
        #expect(clusterOf["/v1.mp4#2"] == clusterOf["/v2.mp4#\(copiesOfOtherShots)"], "\(clusterOf)")
        return clusterOf["/v1.mp4#3"] == clusterOf["/v2.mp4#\(copy.scenes.count - 1)"]
    }

    @Test func theKeyframesAloneDoNotMakeTheMovingShotsCopies() throws {
        let f = try #require(Self.sampleFeatures)
        let match = GeometricVerifier().verify(f[3], f[4])
        #expect(!(match.isDecisive && match.isCopy), "\(match)")
    }

    @Test func aShotOfACopiedEditJoinsItsOriginal() throws {
        #expect(try Self.movingShotsJoin(folder: "aligned"))
        #expect(try Self.movingShotsJoin(oneAtATime: true, folder: "aligned-incremental"))
    }

    @Test func withoutTheRuleOrTheEditAroundItTheShotStaysApart() throws {
        var off = CopyVerification.standard
        off.alignedEdits = false
        #expect(try !Self.movingShotsJoin(verification: off, folder: "rule-off"))
        // The copy's shot ends 0.5 s earlier than the original's: not the same place in the edit.
        #expect(try !Self.movingShotsJoin(copyEnd: 16.5, folder: "other-end"))
        // Only one other shot of the edit is shared: too little to call the videos copies of one edit.
        #expect(try !Self.movingShotsJoin(copiesOfOtherShots: 1, folder: "one-shot"))
    }
}

import Decoder
import Foundation
import FrameDedupe
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17: a dissolve between two moving shots that the recent level hid, and the keyframe of the shot after a
/// gradual change, on synthetic frames whose embedding changes are those measured on the tune part's
/// `film-sintel-tos-1080p` (a flickering hologram dissolving into a face at 3.3 s).
@Suite("Dissolves between moving shots and the keyframe after them")
struct TransitionExemplarTests {
    /// Sampled frame `index` (2 a second) with embedding `vector`, content 0's pictures, and `sharpness`.
    private func frame(_ index: Int, _ vector: [Float], sharpness: Double = 100, every seconds: Double = 0.5) -> FrameSignals {
        let grid = (0..<Embedding.gridSide * Embedding.gridSide).flatMap { _ in vector }
        let ordinal = Int((Double(index) * seconds * 24).rounded())
        return FrameSignals(index: index, ordinal: ordinal, timestamp: Timestamp(pts: Int64(ordinal), timeBase: Rational(1, 24)),
                            seconds: Double(index) * seconds, hash: Synthetic.hash(0, wobble: index % 3), luma: Synthetic.texture(0),
                            quality: PictureQuality(sharpness: sharpness, exposure: 1, meanLuma: 128),
                            embedding: Embedding(vector: vector, grid: grid))
    }

    /// A unit vector of 8 dimensions from its first few components.
    private func unit(_ components: [Float]) -> [Float] {
        Synthetic.normalised(components + [Float](repeating: 0, count: Synthetic.dimensions - components.count))
    }

    /// Shot A moves 0.18 a sample (back and forth in the plane of axes 0 and 1) for 3 s; then the sample at 3 s is
    /// 0.486 from the last of A, the one at 3.5 s 0.31 from it and 0.592 from A's last (the tune clip's steps), and shot
    /// B goes on from there. The median change of the last 3 s, A's own 0.18, hides the change (it needs 4×); against
    /// the scene's own level it stands out (3.2×, its larger step 2.6×): one gradual cut, after the middle sample.
    @Test func aDissolveBetweenMovingShotsCutsOnceAfterItsMiddleSample() {
        let turn = Float(acos(0.82))  // 1 − cos = 0.18
        let shotA = (0..<6).map { k in unit([cos(turn * Float(k % 2)), sin(turn * Float(k % 2))]) }
        let last = shotA[5]
        // Axes 2 and 3 are new to shot B; `last` stays the first axis of the change.
        func along(_ a: Float, _ b: Float, _ c: Float) -> [Float] {
            var v = last.map { a * $0 }
            v[2] += b
            v[3] += c
            return Synthetic.normalised(v)
        }
        let middle = along(0.51, 0.527, 0.68), shotB = along(0.41, 0.912, 0)
        let drift = unit([0, 0, 0, 0, 1])
        let after = (0..<3).map { (k: Int) -> [Float] in
            let step = 0.1 * Float(k)
            return Synthetic.normalised(shotB.indices.map { i in shotB[i] + step * drift[i] })
        }
        let vectors = shotA + [middle] + after
        let frames = vectors.indices.map { frame($0, vectors[$0]) }
        func distance(_ u: [Float], _ v: [Float]) -> Float { 1 - zip(u, v).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        #expect(abs(distance(last, middle) - 0.486) < 0.01 && abs(distance(last, shotB) - 0.592) < 0.01 && abs(distance(middle, shotB) - 0.31) < 0.01)

        // The model out of the way (it never reaches a probability of 1): on these pictures, all alike, it would cut at
        // 3.5 s on the embedding alone, where on the film's its probability stayed under its threshold.
        var rule = SceneBoundaryRule()
        rule.cutProbability = 1
        let detector = CutDetector<Void, SimilarityScorer>(scorer: SimilarityScorer(kind: .embed), rule: rule)
        let inputs: [StageInput<Void>] = frames.map { .frame(StageFrame($0)) }
        let records = collect(detector, inputs, end: 4.5).compactMap(\.record)
        let cuts = records.filter(\.cut)
        #expect(cuts.map(\.index) == [7], "\(records.map { ($0.index, $0.cutKind, $0.context?.cutProbability) })")
        #expect(cuts.first?.cutKind == .gradual)
    }

    /// Frame records of one scene as the cut detector makes them: the first opened it by a cut of kind `opening`.
    private func events(_ frames: [FrameSignals], scene: Int, opening: CutKind?) -> [SceneEvent<Void>] {
        frames.enumerated().map { k, f in
            .frame(FrameRecord(index: f.index, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, scene: scene,
                               scores: FrameScores(hashDistance: 9), quality: f.quality, cutKind: k == 0 ? opening : nil, context: nil,
                               transition: false), StageFrame(f))
        }
    }

    private func ended(_ id: Int, _ frames: [FrameSignals], next: FrameSignals?, closingChangeStart: Double? = nil) -> SceneEvent<Void> {
        .sceneEnded(EndedScene(id: id, start: frames[0].seconds, end: next?.seconds ?? frames.last!.seconds + 0.5,
                               firstFrame: frames[0].index, frameCount: frames.count, next: next, closingChangeStart: closingChangeStart))
    }

    /// The keyframes of two scenes: A (3 samples), then B opened by a cut of kind `opening` with `b` samples, sample
    /// `sharpest` the sharpest of B (the best keyframe but for the mix it may hold), samples `every` seconds apart; a
    /// gradual change closing B began to mix after its sample `closing` (none: B ends with the input).
    private func keyframes(opening: CutKind, b: Int, every seconds: Double = 0.5, sharpest: Int = 3, closing: Int? = nil)
        -> (keyframe: Int, transition: Bool) {
        let a = (0..<3).map { frame($0, Synthetic.content(0), every: seconds) }
        let sceneB = (3..<3 + b).map { frame($0, Synthetic.content(1, wobble: 0.01 * Float($0)), sharpness: $0 == sharpest ? 300 : 100, every: seconds) }
        let next = frame(3 + b, Synthetic.content(2), every: seconds)
        let input = events(a, scene: 0, opening: nil) + [ended(0, a, next: sceneB[0])] + events(sceneB, scene: 1, opening: opening)
            + [ended(1, sceneB, next: closing == nil ? nil : next, closingChangeStart: closing.map { Double($0) * seconds })]
        let closed = collect(KeyframePicker<Void>(), input, end: sceneB.last!.seconds + 0.5).compactMap(\.closed)
        return (closed[1].scene.keyframe.frameIndex, closed[1].scene.transition)
    }

    /// The tune part's `film-tos-letterbox-sd-480p`: the sample that a gradual change opened the face's shot with still
    /// held the end of the dissolve, and it was the shot's keyframe. The shot's next sample is; a shot of that one
    /// sample keeps it (and is no transition scene); one opened by a hard cut keeps its sharpest. At 2 s apart too.
    @Test func theSampleAGradualChangeOpenedWithIsTheKeyframeOnlyWhenNothingElseIs() {
        #expect(keyframes(opening: .gradual, b: 3).keyframe == 4)
        #expect(keyframes(opening: .dissolve, b: 2).keyframe == 4)
        #expect(keyframes(opening: .gradual, b: 1) == (3, false))
        #expect(keyframes(opening: .gradual, b: 3, every: 2).keyframe == 4)
        #expect(keyframes(opening: .calibrated, b: 3).keyframe == 3)
    }

    /// The other end of the shot (the sealed failure of the first step, and the tune part's `crossfade-720p` at 0.5 frames
    /// a second with the opening sample held out at every rate): the samples from the last frame before a closing
    /// gradual change's first mixed frame on are the keyframe only when nothing else is, though they are the sharpest.
    /// Between two gradual changes, a shot's opening sample comes before them (the opening change lies behind it, the
    /// closing one may be halfway); a shot of closing samples alone keeps them (and is no transition scene).
    @Test func theSamplesAGradualChangeClosingTheSceneHasBegunToMixAreTheKeyframeOnlyWhenNothingElseIs() {
        #expect(keyframes(opening: .calibrated, b: 3, sharpest: 5, closing: 5).keyframe == 4)
        #expect(keyframes(opening: .calibrated, b: 3, sharpest: 5, closing: 4).keyframe == 3)
        #expect(keyframes(opening: .gradual, b: 2, sharpest: 4, closing: 4).keyframe == 3)
        #expect(keyframes(opening: .gradual, b: 2, every: 2, sharpest: 4, closing: 4).keyframe == 3)
        #expect(keyframes(opening: .gradual, b: 3, sharpest: 5, closing: 5).keyframe == 4)
        #expect(keyframes(opening: .calibrated, b: 2, sharpest: 4, closing: 3) == (4, false))
    }
}

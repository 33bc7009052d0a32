import Decoder
import FrameDedupe
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Synthetic frames: plain values with known content, so every stage's rule is tested without video.
enum Synthetic {
    static let dimensions = 8

    /// A unit vector along axis `axis`, tilted by `wobble` toward the next axis (motion within a shot).
    static func content(_ axis: Int, wobble: Float = 0) -> [Float] {
        var v = [Float](repeating: 0, count: dimensions)
        v[axis % dimensions] = 1
        v[(axis + 1) % dimensions] += wobble
        return normalised(v)
    }

    static func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    /// Frame `index` at 2 frames a second showing `content`; every frame has its own hash (so SSIM is measured).
    static func frame(_ index: Int, _ content: [Float], exposure: Double = 1, sharpness: Double = 100, rate: Double = 2) -> FrameSignals {
        let grid = (0..<Embedding.gridSide * Embedding.gridSide).flatMap { _ in content }
        var seed = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        seed ^= seed >> 31
        return FrameSignals(
            index: index, ordinal: index * 12, timestamp: Timestamp(pts: Int64(index * 12), timeBase: Rational(1, 24)),
            seconds: Double(index) / rate, hash: FrameHash(perceptual: seed, difference: ~seed),
            luma: luma,
            quality: PictureQuality(sharpness: sharpness, exposure: exposure, meanLuma: 128),
            embedding: Embedding(vector: content, grid: grid))
    }

    /// The same textured 16×16 luma for every frame: the pixels never move.
    static let luma = LumaImage(width: 16, height: 16, pixels: (0..<256).map { (i: Int) -> UInt8 in UInt8((i % 16) * 12 + (i / 16) * 3) })

    /// Shots one after the other: `(axis, frames)` each, with a little motion within each shot.
    static func shots(_ shots: [(axis: Int, frames: Int)]) -> [FrameSignals] {
        var frames: [FrameSignals] = []
        for shot in shots {
            for k in 0..<shot.frames { frames.append(frame(frames.count, content(shot.axis, wobble: 0.02 * Float(k % 3)))) }
        }
        return frames
    }
}

/// Runs `stage` over `inputs` and collects what it emits, ended at `end`.
func collect<S: FrameStage>(_ stage: S, _ inputs: [S.Input], end: Double) -> [S.Output] {
    var out: [S.Output] = []
    for input in inputs { stage.process(input) { out.append($0) } }
    stage.finish(end: end) { out.append($0) }
    return out
}

extension SceneEvent {
    var record: FrameRecord? { if case .frame(let r, _) = self { return r }; return nil }
    var ended: EndedScene? { if case .sceneEnded(let e) = self { return e }; return nil }
    var closed: ClosedScene<Attachment>? { if case .sceneClosed(let c) = self { return c }; return nil }
}

@Suite("Scene stages on synthetic frames (no video)", .temporaryFolders)
struct SceneStageTests {
    func cutDetector(scorer: ScorerKind = .embed) -> CutDetector<Void, SimilarityScorer> {
        CutDetector<Void, SimilarityScorer>(scorer: SimilarityScorer(kind: scorer), rule: SceneBoundaryRule())
    }

    @Test func cutsWhereTheContentJumpsWithOneFrameOfLookahead() {
        let frames = Synthetic.shots([(0, 5), (1, 5), (2, 3)])
        let detector = cutDetector()
        var events: [SceneEvent<Void>] = []
        detector.process(.frame(StageFrame(frames[0]))) { events.append($0) }
        #expect(events.isEmpty, "the first frame waits for the next one")
        for f in frames.dropFirst() { detector.process(.frame(StageFrame(f))) { events.append($0) } }
        #expect(events.compactMap(\.record).count == frames.count - 1, "each frame is decided when the next one comes")
        detector.finish(end: 6.5) { events.append($0) }

        let records = events.compactMap(\.record)
        #expect(records.map(\.index) == Array(0..<13))
        #expect(records.map(\.scene) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2])
        #expect(records.filter(\.cut).map(\.index) == [5, 10])
        #expect(records[5].cutKind == .jump && records[10].cutKind == .jump)
        let ended = events.compactMap(\.ended)
        #expect(ended.map(\.start) == [0, 2.5, 5])
        #expect(ended.map(\.end) == [2.5, 5, 6.5], "a scene ends where the next begins; the last at the input's end")
        #expect(ended.map(\.frameCount) == [5, 5, 3])
        #expect(ended.map { $0.next?.index } == [5, 10, nil])
        // A scene ends before the record of the frame that opens the next one.
        let order = events.map { $0.record.map { "f\($0.index)" } ?? "end" }
        #expect(order[4...6] == ["f4", "end", "f5"])
    }

    @Test func blankFramesAreTransitionFramesNotCuts() {
        var frames = Synthetic.shots([(0, 8)])
        frames[4] = Synthetic.frame(4, Synthetic.content(0), exposure: 0.05)
        let records = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 4).compactMap(\.record)
        #expect(records.filter(\.cut).isEmpty)
        #expect(records.map(\.transition) == [false, false, false, false, true, false, false, false])
    }

    @Test func noCutWithinTheMinimumSceneLength() {
        let frames = Synthetic.shots([(0, 3), (1, 6)])  // the cut at 1.5 s
        let detector = cutDetector()
        detector.minimumSceneLength = 2
        let records = collect(detector, frames.map { .frame(StageFrame($0)) }, end: 4.5).compactMap(\.record)
        #expect(records.filter(\.cut).isEmpty)
        detector.minimumSceneLength = 0
        let again = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 4.5).compactMap(\.record)
        #expect(again.filter(\.cut).map(\.index) == [3])
    }

    @Test func pixelsMustConfirmAnEmbeddingCut() {
        // With `--scorer both`, an embedding jump on a frame whose pixels did not move (same luma, SSIM 1) is no cut.
        let frames = Synthetic.shots([(0, 4), (1, 4)])
        let both = collect(cutDetector(scorer: .both), frames.map { .frame(StageFrame($0)) }, end: 4).compactMap(\.record)
        #expect(both.filter(\.cut).isEmpty)
        #expect(both[4].scores?.ssimToPrevious == 1)
        let embed = collect(cutDetector(scorer: .embed), frames.map { .frame(StageFrame($0)) }, end: 4).compactMap(\.record)
        #expect(embed.filter(\.cut).map(\.index) == [4])
    }

    @Test func aResumedDetectorGoesOnAsTheUninterruptedOne() {
        let frames = Synthetic.shots([(0, 4), (1, 5), (2, 4), (3, 3)])
        let whole = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 8).compactMap(\.record)
        // Resume where scene 2 opened (frame 9), as a checkpoint would.
        let opening = frames[9]
        let resumed = collect(cutDetector(), [.resume(ResumePoint(first: StageFrame(opening), before: frames[8], transition: false, sceneID: 2))]
                                + frames[10...].map { .frame(StageFrame($0)) }, end: 8).compactMap(\.record)
        #expect(resumed == Array(whole[10...]))
    }

    /// Frames of an ended scene as the cut detector records them: the first opens the scene.
    func sceneEvents(_ frames: [FrameSignals], scene: Int, cut: Bool) -> [SceneEvent<Void>] {
        frames.enumerated().map { k, f in
            .frame(FrameRecord(index: f.index, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, scene: scene,
                               scores: k == 0 && !cut ? nil : FrameScores(hashDistance: 9), quality: f.quality,
                               cutKind: k == 0 && cut ? .jump : nil, context: nil, transition: false), StageFrame(f))
        }
    }

    func ended(_ id: Int, _ frames: [FrameSignals], next: FrameSignals?) -> SceneEvent<Void> {
        .sceneEnded(EndedScene(id: id, start: frames[0].seconds, end: next?.seconds ?? 10, firstFrame: frames[0].index,
                               frameCount: frames.count, next: next))
    }

    @Test func aShortSceneBetweenItsNeighboursIsAGradualTransition() {
        let a = (0..<4).map { Synthetic.frame($0, Synthetic.content(0)) }
        let blend = Synthetic.frame(4, Synthetic.normalised(zip(Synthetic.content(0), Synthetic.content(1)).map { $0 + $1 }))
        let other = Synthetic.frame(4, Synthetic.content(2))
        let b = Synthetic.frame(5, Synthetic.content(1))
        for (middle, isTransition) in [(blend, true), (other, false)] {
            let events = sceneEvents(a, scene: 0, cut: false) + [ended(0, a, next: middle)]
                + sceneEvents([middle], scene: 1, cut: true) + [ended(1, [middle], next: b)]
            let out = collect(GradualTransitionDetector<Void>(), events, end: 3).compactMap(\.ended)
            #expect(out[0].gradualTransitionFrames.isEmpty, "a long scene never is")
            #expect(out[1].gradualTransitionFrames == (isTransition ? [4] : []))
        }
    }

    @Test func keyframeCandidatesStayBoundedAndSpreadOverTheScene() {
        let frames = (0..<100).map { Synthetic.frame($0, Synthetic.content(0, wobble: Float($0 % 7) * 0.01)) }
        let picker = KeyframePicker<Void>()
        let out = collect(picker, sceneEvents(frames, scene: 0, cut: false) + [ended(0, frames, next: nil)], end: 50)
        let closed = out.compactMap(\.closed)
        #expect(closed.count == 1)
        let indices = closed[0].candidates.map(\.signals.index)
        #expect(indices.count <= picker.maximumCandidates && indices.count >= picker.maximumCandidates / 2)
        #expect(indices == Array(stride(from: 0, to: 100, by: 8)), "every 8th frame once the stride has doubled three times")
        let scene = closed[0].scene
        #expect(!scene.transition)
        #expect(indices.contains(scene.keyframe.frameIndex))
        // The keyframe is the candidate most central to the scene's mean (ties: the sharper, then the earlier).
        let mean = scene.embedding!
        let centrality = closed[0].candidates.map { c in zip(c.signals.embedding!.vector, mean).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        #expect(abs(scene.keyframe.centrality - centrality.max()!) < 1e-6)
    }

    @Test func aSceneOfTransitionFramesOnlyIsATransitionScene() {
        let frames = (0..<3).map { Synthetic.frame($0, Synthetic.content(0), exposure: 0.05) }
        let events: [SceneEvent<Void>] = frames.enumerated().map { k, f in
            .frame(FrameRecord(index: f.index, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, scene: 0,
                               scores: k == 0 ? nil : FrameScores(hashDistance: 9), quality: f.quality, cutKind: nil, context: nil, transition: true),
                   StageFrame(f))
        }
        let closed = collect(KeyframePicker<Void>(), events + [ended(0, frames, next: nil)], end: 2).compactMap(\.closed)
        #expect(closed[0].scene.transition)
        #expect(frames.map(\.index).contains(closed[0].scene.keyframe.frameIndex))
    }

    @Test func diverseFramesAreFarFromTheKeyframeAndFromEachOther() {
        // One scene that shows three things: the keyframe stands for one, the diverse frames for the other two.
        let frames = (0..<12).map { Synthetic.frame($0, Synthetic.content($0 / 4, wobble: 0.01 * Float($0 % 4))) }
        let events = sceneEvents(frames, scene: 0, cut: false) + [ended(0, frames, next: nil)]
        let kept = collect(KeyframePicker<Void>().then(DiversityPicker<Void>(diversity: 0.15)), events, end: 6).compactMap(\.closed)[0]
        let groups = Set(([kept.keyframe] + kept.diverseFrames).map { $0.signals.index / 4 })
        #expect(groups == [0, 1, 2] && kept.diverseFrames.count == 2)
        #expect(kept.candidates.isEmpty, "candidates are dropped, so their pictures are released")
        let none = collect(KeyframePicker<Void>().then(DiversityPicker<Void>(diversity: nil)), events, end: 6).compactMap(\.closed)[0]
        #expect(none.diverseFrames.isEmpty)
    }

    /// Counts the attachments alive: the pictures a chain holds.
    final class Tracked {
        final class Counter {
            var live = 0, most = 0
        }
        let counter: Counter
        init(_ counter: Counter) {
            self.counter = counter
            counter.live += 1
            counter.most = max(counter.most, counter.live)
        }
        deinit { counter.live -= 1 }
    }

    @Test func theChainHoldsNoMoreFramesThanItDeclares() {
        var options = DedupeOptions()
        options.scorer = .embed
        options.keep = .diverse
        let stages = ResumingInput<Tracked>().then(sceneStages(options, carrying: Tracked.self))
        let counter = Tracked.Counter()
        var generator = SystemRandomNumberGenerator()
        var index = 0, scenes = 0
        // 3,000 frames in shots of 1 to 200 frames: a long scene must not hold more pictures than a short one.
        while index < 3000 {
            let length = Int.random(in: 1...200, using: &generator)
            for k in 0..<length where index < 3000 {
                let f = Synthetic.frame(index, Synthetic.content(scenes % 5, wobble: 0.02 * Float(k % 3)))
                stages.process(StageFrame(f, attachment: Tracked(counter))) { _ in }
                index += 1
            }
            scenes += 1
        }
        stages.finish(end: 1500) { _ in }
        #expect(counter.most <= stages.heldFrames + 1, "at most the declared look-back plus the frame in flight")
        #expect(counter.live == 0)
    }
}

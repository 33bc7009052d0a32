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

    /// A 16×16 texture of its own for content `axis`, brightened by `shift` (motion within a shot).
    static func texture(_ axis: Int, shift: Int = 0) -> LumaImage {
        var state = UInt64(axis + 1) &* 0x9E37_79B9_7F4A_7C15
        let pixels = (0..<256).map { (_: Int) -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(clamping: Int(40 + (state >> 56) % 160) + shift)
        }
        return LumaImage(width: 16, height: 16, pixels: pixels)
    }

    /// `picture` moved `by` pixels to the right (wrapping round): motion.
    static func moved(_ picture: LumaImage, by offset: Int) -> LumaImage {
        let w = picture.width
        return LumaImage(width: w, height: picture.height, pixels: picture.pixels.indices.map { i in
            picture.pixels[(i / w) * w + ((i % w - offset) % w + w) % w]
        })
    }

    /// The hash of content `axis` (two contents are ~32 bits apart), `wobble` low bits flipped.
    static func hash(_ axis: Int, wobble: Int = 0) -> FrameHash {
        var seed = UInt64(axis + 1) &* 0xD1B5_4A32_D192_ED03
        seed ^= seed >> 29
        return FrameHash(perceptual: seed ^ UInt64((1 << wobble) - 1), difference: ~seed)
    }

    /// Sampled frame `index` (2 frames a second of a 24 frames-a-second stream) showing content `axis`, moved by
    /// `wobble` (0–2); `intermediate` are the frames decoded since the previous sample. A frame of low `exposure` has no
    /// edges either (sharpness 0): a blank frame.
    static func frame(_ index: Int, axis: Int, wobble: Int = 0, shift: Int? = nil, exposure: Double = 1,
                      intermediate: [IntermediateFrame] = []) -> FrameSignals {
        let vector = content(axis, wobble: 0.02 * Float(wobble))
        let grid = (0..<Embedding.gridSide * Embedding.gridSide).flatMap { _ in vector }
        let picture = texture(axis, shift: shift ?? drift(12 * index))
        return FrameSignals(
            index: index, ordinal: index * 12, timestamp: Timestamp(pts: Int64(index * 12), timeBase: Rational(1, 24)),
            seconds: Double(index) / 2, hash: hash(axis, wobble: wobble), luma: picture,
            quality: PictureQuality(sharpness: exposure < 0.2 ? 0 : 100, exposure: exposure, meanLuma: 128),
            embedding: Embedding(vector: vector, grid: grid), thumbnail: picture, intermediateFrames: intermediate)
    }

    /// A slow, steady change of brightness with the decoded frame's ordinal: motion within a shot, seen in every frame.
    static func drift(_ ordinal: Int) -> Int { abs((ordinal / 3) % 10 - 5) }

    /// Sampled frame `index` with the embedding `vector` (and content 0's pictures): for the stages after the cut
    /// detector, which judge by embeddings.
    static func frame(_ index: Int, _ vector: [Float], exposure: Double = 1, luma: LumaImage? = nil) -> FrameSignals {
        let grid = (0..<Embedding.gridSide * Embedding.gridSide).flatMap { _ in vector }
        return FrameSignals(
            index: index, ordinal: index * 12, timestamp: Timestamp(pts: Int64(index * 12), timeBase: Rational(1, 24)),
            seconds: Double(index) / 2, hash: hash(0), luma: luma ?? texture(0),
            quality: PictureQuality(sharpness: exposure < 0.2 ? 0 : 100, exposure: exposure, meanLuma: 128), embedding: Embedding(vector: vector, grid: grid))
    }

    /// Shots one after the other, `(axis, frames)` each in sampled frames, with a little motion within each;
    /// every second frame between samples is decoded (the others are skipped as non-reference frames), and each
    /// cut falls `lead` frames (of 24 a second) before the sample that first shows the new shot.
    static func shots(_ shots: [(axis: Int, frames: Int)], lead: Int = 5) -> [FrameSignals] {
        var axes: [Int] = []
        for shot in shots { axes += Array(repeating: shot.axis, count: shot.frames) }
        return axes.indices.map { k in
            let cutOrdinal = 12 * k - lead
            let ordinals = k == 0 ? [] : Array(stride(from: 12 * (k - 1) + 2, to: 12 * k, by: 2))
            let intermediate = ordinals.map { (ordinal: Int) -> IntermediateFrame in
                let axis = axes[k] != axes[k - 1] && ordinal < cutOrdinal ? axes[k - 1] : axes[k]
                return IntermediateFrame(ordinal: ordinal, timestamp: Timestamp(pts: Int64(ordinal), timeBase: Rational(1, 24)),
                                         seconds: Double(ordinal) / 24, thumbnail: texture(axis, shift: drift(ordinal)))
            }
            return frame(k, axis: axes[k], wobble: k % 3, shift: drift(12 * k), intermediate: intermediate)
        }
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
    func cutDetector(scorer: ScorerKind = .embed, method: SceneBoundaryRule.Method = .calibrated) -> CutDetector<Void, SimilarityScorer> {
        var rule = SceneBoundaryRule()
        rule.method = method
        return CutDetector<Void, SimilarityScorer>(scorer: SimilarityScorer(kind: scorer), rule: rule)
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
        #expect(records[5].cutKind == .calibrated && records[10].cutKind == .calibrated)
        let ended = events.compactMap(\.ended)
        // Each cut falls 5 frames (of 24 a second) before the sample that first shows the new shot, and every second
        // frame is decoded: the scene starts at the first decoded frame of the new shot, ordinal 56 (and 116).
        #expect(ended.map(\.start) == [0, 56.0 / 24, 116.0 / 24])
        #expect(ended.map(\.end) == [56.0 / 24, 116.0 / 24, 6.5], "a scene ends where the next begins; the last at the input's end")
        #expect(ended.map(\.frameCount) == [5, 5, 3])
        #expect(ended.map { $0.next?.index } == [5, 10, nil])
        // A scene ends before the record of the frame that opens the next one.
        let order = events.map { $0.record.map { "f\($0.index)" } ?? "end" }
        #expect(order[4...6] == ["f4", "end", "f5"])
    }

    @Test func blankFramesAreTransitionFramesNotCuts() {
        var frames = Synthetic.shots([(0, 8)])
        frames[4] = Synthetic.frame(4, axis: 0, exposure: 0.05, intermediate: frames[4].intermediateFrames)
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

    @Test func theRatioRuleWantsThePixelsToConfirmAnEmbeddingCut() {
        // With `--cut-rule ratio --scorer both`, an embedding jump on a frame whose pixels did not move (same luma,
        // SSIM 1) is no cut.
        let frames = (0..<8).map { k in
            FrameSignals(index: k, ordinal: 12 * k, timestamp: Timestamp(pts: Int64(12 * k), timeBase: Rational(1, 24)), seconds: Double(k) / 2,
                         hash: Synthetic.hash(k / 4), luma: Synthetic.texture(0),
                         quality: PictureQuality(sharpness: 100, exposure: 1, meanLuma: 128),
                         embedding: Synthetic.frame(k, Synthetic.content(k / 4)).embedding)
        }
        let both = collect(cutDetector(scorer: .both, method: .ratio), frames.map { .frame(StageFrame($0)) }, end: 4).compactMap(\.record)
        #expect(both.filter(\.cut).isEmpty)
        #expect(both[4].scores?.ssimToPrevious == 1)
        let embed = collect(cutDetector(scorer: .embed, method: .ratio), frames.map { .frame(StageFrame($0)) }, end: 4).compactMap(\.record)
        #expect(embed.filter(\.cut).map(\.index) == [4])
        #expect(embed[4].cutKind == .jump)
    }

    @Test(arguments: [ScorerKind.both, .embed, .ssim])
    func steadyMotionBetweenSamplesIsNoCut(scorer: ScorerKind) {
        // A fast pan: every sample differs from the last (the embedding turns, the picture moves 6 pixels of 16), but
        // the change is spread evenly over the frames decoded in between; then a real cut.
        let frames = (0..<10).map { k -> FrameSignals in
            let axis = k < 7 ? 0 : 1
            let intermediate = k == 0 ? [] : (1...5).map { step -> IntermediateFrame in
                let ordinal = 12 * (k - 1) + 2 * step
                return IntermediateFrame(ordinal: ordinal, timestamp: Timestamp(pts: Int64(ordinal), timeBase: Rational(1, 24)),
                                         seconds: Double(ordinal) / 24,
                                         thumbnail: Synthetic.moved(Synthetic.texture(ordinal < 80 ? 0 : 1), by: ordinal < 80 ? ordinal / 2 : 0))
            }
            let picture = Synthetic.moved(Synthetic.texture(axis), by: axis == 0 ? 6 * k : 0)
            let f = Synthetic.frame(k, axis: axis, intermediate: intermediate)
            return FrameSignals(index: k, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, hash: Synthetic.hash(axis, wobble: k % 5),
                                luma: picture, quality: f.quality,
                                embedding: axis == 0 ? Synthetic.frame(k, Synthetic.content(0, wobble: 0.6 * Float(k))).embedding : f.embedding,
                                thumbnail: picture, intermediateFrames: intermediate)
        }
        let records = collect(cutDetector(scorer: scorer), frames.map { .frame(StageFrame($0)) }, end: 5).compactMap(\.record)
        #expect(records.filter(\.cut).map(\.index) == [7], "\(records.map { $0.context?.cutProbability ?? -1 })")
    }

    @Test func aDissolveIsCutWhereTheMixPassesHalfWay() {
        // A one-second cross-dissolve from content 0 to content 1 between samples 4 and 6: every frame in it is a
        // blend of the two pictures.
        let a = Synthetic.texture(0), b = Synthetic.texture(1)
        func mix(_ t: Double) -> LumaImage {
            LumaImage(width: 16, height: 16, pixels: zip(a.pixels, b.pixels).map { UInt8((Double($0) * (1 - t) + Double($1) * t).rounded()) })
        }
        let start = 48, length = 24  // ordinals
        func picture(_ ordinal: Int) -> LumaImage { mix(min(max(Double(ordinal - start) / Double(length), 0), 1)) }
        let frames = (0..<10).map { k -> FrameSignals in
            let intermediate = k == 0 ? [] : (1...5).map { step -> IntermediateFrame in
                let ordinal = 12 * (k - 1) + 2 * step
                return IntermediateFrame(ordinal: ordinal, timestamp: Timestamp(pts: Int64(ordinal), timeBase: Rational(1, 24)),
                                         seconds: Double(ordinal) / 24, thumbnail: picture(ordinal))
            }
            let t = min(max(Double(12 * k - start) / Double(length), 0), 1)
            let vector = Synthetic.normalised(zip(Synthetic.content(0), Synthetic.content(1)).map { Float(1 - t) * $0 + Float(t) * $1 })
            return FrameSignals(index: k, ordinal: 12 * k, timestamp: Timestamp(pts: Int64(12 * k), timeBase: Rational(1, 24)), seconds: Double(k) / 2,
                                hash: Synthetic.hash(t < 0.5 ? 0 : 1), luma: picture(12 * k), quality: PictureQuality(sharpness: 100, exposure: 1, meanLuma: 128),
                                embedding: Synthetic.frame(k, vector).embedding, thumbnail: picture(12 * k), intermediateFrames: intermediate)
        }
        let events = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 5)
        let cuts = events.compactMap(\.record).filter(\.cut)
        #expect(cuts.count == 1, "one scene boundary for the whole dissolve")
        #expect(cuts.first?.cutKind == .dissolve)
        #expect(events.compactMap(\.ended).first?.end == 60.0 / 24, "the first decoded frame at least half way (ordinal 60)")
    }

    @Test func aMorphOverTwoIntervalsCutsOnceAfterItsMiddleSample() {
        // Content 0 gives way to content 1 over 1.5 s (ordinals 42 to 78), both pictures moving all the while, so no
        // frame is a clean blend of two samples, and the pictures show something of neither on the way: the samples at 2,
        // 2.5 and 3 s (ordinals 48, 60, 72) are 17%, 50% and 83% of the way, no step a cut by itself. One cut, inside it.
        let start = 42, length = 36
        func mixOf(_ ordinal: Int) -> Double { min(max(Double(ordinal - start) / Double(length), 0), 1) }
        func picture(_ ordinal: Int) -> LumaImage {
            let a = Synthetic.moved(Synthetic.texture(0), by: ordinal / 2), b = Synthetic.moved(Synthetic.texture(1), by: -ordinal / 2)
            let t = mixOf(ordinal)
            return LumaImage(width: 16, height: 16, pixels: zip(a.pixels, b.pixels).map { UInt8((Double($0) * (1 - t) + Double($1) * t).rounded()) })
        }
        let frames = (0..<10).map { k -> FrameSignals in
            let intermediate = k == 0 ? [] : (1...5).map { step -> IntermediateFrame in
                let ordinal = 12 * (k - 1) + 2 * step
                return IntermediateFrame(ordinal: ordinal, timestamp: Timestamp(pts: Int64(ordinal), timeBase: Rational(1, 24)),
                                         seconds: Double(ordinal) / 24, thumbnail: picture(ordinal))
            }
            let t = Float(mixOf(12 * k))
            // Motion within the shots; in the morph, something of neither shot (another axis at each sample).
            let wobble = 0.25 * Float(k % 3), morph: Float = t > 0 && t < 1 ? 0.6 : 0
            let vector = Synthetic.normalised(zip(zip(Synthetic.content(0, wobble: wobble), Synthetic.content(2, wobble: wobble)), Synthetic.content(4 + k % 3))
                .map { (1 - t) * $0.0 + t * $0.1 + morph * $1 })
            return FrameSignals(index: k, ordinal: 12 * k, timestamp: Timestamp(pts: Int64(12 * k), timeBase: Rational(1, 24)), seconds: Double(k) / 2,
                                hash: Synthetic.hash(0, wobble: Int(t * 12)), luma: picture(12 * k),
                                quality: PictureQuality(sharpness: 100, exposure: 1, meanLuma: 128),
                                embedding: Synthetic.frame(k, vector).embedding, thumbnail: picture(12 * k), intermediateFrames: intermediate)
        }
        let events = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 5)
        let cuts = events.compactMap(\.record).filter(\.cut)
        #expect(cuts.count == 1, "\(events.compactMap(\.record).map { ($0.index, $0.cutKind, $0.context?.cutProbability) })")
        #expect(cuts.first?.cutKind == .gradual)
        let end = events.compactMap(\.ended).first?.end ?? 0
        #expect(end >= 42.0 / 24 && end <= 78.0 / 24, "the scene after starts inside the morph: \(end)")
    }

    @Test func theFastShotAfterACutIsNoChangeOverTwoIntervals() {
        // A still shot (content along axis 0), a hard cut at 3 s to a shot that moves fast at once (0.37 in its first
        // step), then calmer. From the last still frame across the cut sample to the next one the content moved 0.6, in
        // two steps of 0.5 and 0.37: the shape of a change over two intervals, but the first step was the cut already
        // made. One cut (issue 17: twin-mirror-within-film-360p at 16.0 s, inside Sintel's fall in the snow).
        func vector(_ v: [Float]) -> [Float] { Synthetic.normalised(v + [Float](repeating: 0, count: Synthetic.dimensions - v.count)) }
        let still = (0..<6).map { k in vector([1, 0, 0, 0.1 * Float(k % 2)]) }
        let moving = [vector([0.5, 0.866, 0]), vector([0.4, 0.4965, 0.7704]), vector([0.4, 0.4965, 0.7704, 0.3]), vector([0.4, 0.4965, 0.7704, 0.25])]
        let frames = (still + moving).enumerated().map { k, v -> FrameSignals in
            let axis = k < 6 ? 0 : 1
            let picture = Synthetic.moved(Synthetic.texture(axis), by: k < 6 ? 0 : 3 * (k - 6))
            return FrameSignals(index: k, ordinal: 12 * k, timestamp: Timestamp(pts: Int64(12 * k), timeBase: Rational(1, 24)), seconds: Double(k) / 2,
                                hash: Synthetic.hash(axis, wobble: k % 2), luma: picture,
                                quality: PictureQuality(sharpness: 100, exposure: 1, meanLuma: 128),
                                embedding: Synthetic.frame(k, v).embedding, thumbnail: picture)
        }
        let events = collect(cutDetector(), frames.map { .frame(StageFrame($0)) }, end: 5)
        let cuts = events.compactMap(\.record).filter(\.cut)
        #expect(cuts.map(\.index) == [6], "\(events.compactMap(\.record).map { ($0.index, $0.cutKind, $0.context?.cutProbability) })")
    }

    @Test(arguments: SceneBoundaryRule.Method.allCases)
    func aResumedDetectorGoesOnAsTheUninterruptedOne(method: SceneBoundaryRule.Method) {
        let frames = Synthetic.shots([(0, 4), (1, 5), (2, 4), (3, 3)])
        func detector() -> CutDetector<Void, SimilarityScorer> {
            var rule = SceneBoundaryRule()
            rule.method = method
            return CutDetector<Void, SimilarityScorer>(scorer: SimilarityScorer(kind: .embed), rule: rule)
        }
        let events = collect(detector(), frames.map { .frame(StageFrame($0)) }, end: 8)
        let whole = events.compactMap(\.record)
        // Resume where scene 2 opened (frame 9), as a checkpoint would: the scene's start, the detector's recent
        // changes as they were when scene 1 ended, and the cut that opened it (the models read "the previous sample cut").
        let ended = events.compactMap(\.ended).first { $0.next?.index == 9 }!
        let restart = Restart(position: 9, transition: false, sceneID: 2, start: ended.end, cutHistory: ended.cutHistory,
                              openingCut: whole[9].cutKind)
        let resumed = collect(detector(), [.resume(ResumePoint(first: StageFrame(frames[9]), before: frames[8], restart: restart))]
                                + frames[10...].map { .frame(StageFrame($0)) }, end: 8)
        #expect(resumed.compactMap(\.record) == Array(whole[10...]))
        #expect(resumed.compactMap(\.ended).map(\.start) == events.compactMap(\.ended).dropFirst(2).map(\.start))
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

    /// The blend is one in its embedding and in its pixels (no frames decoded between the samples, so the pixels are
    /// asked too); the other is neither.
    @Test func aShortSceneBetweenItsNeighboursIsAGradualTransition() {
        let (pictureA, pictureB) = (Synthetic.texture(0), Synthetic.texture(1))
        let mixed = LumaImage(width: 16, height: 16, pixels: zip(pictureA.pixels, pictureB.pixels).map { UInt8((Int($0) + Int($1)) / 2) })
        let a = (0..<4).map { Synthetic.frame($0, Synthetic.content(0), luma: pictureA) }
        let blend = Synthetic.frame(4, Synthetic.normalised(zip(Synthetic.content(0), Synthetic.content(1)).map { $0 + $1 }), luma: mixed)
        let other = Synthetic.frame(4, Synthetic.content(2), luma: Synthetic.texture(2))
        let b = Synthetic.frame(5, Synthetic.content(1), luma: pictureB)
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
                let f = Synthetic.frame(index, axis: scenes % 5, wobble: k % 3)
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

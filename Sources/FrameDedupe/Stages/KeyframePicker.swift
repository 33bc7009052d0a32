import Decoder
import Pixels
import Similarity

/// Chooses each scene's keyframe and sums up its content: collects up to ``maximumCandidates`` frames spread
/// evenly over the scene (every `stride`-th; when full, every other one is dropped and the stride doubles, so
/// memory stays bounded however long the scene is), keeps the running mean of its content frames' embeddings and
/// 3×3 feature grids, and when the scene ends picks the keyframe among the candidates (``ExemplarChoice``).
///
/// Transition frames are candidates only when a scene has nothing else (its first ``maximumCandidates``): such a
/// scene, or one found to be a gradual transition's middle, is a transition scene — it stands for no content of
/// its own, but still gets a keyframe for the scene list. For a scene found to be a gradual transition, all its
/// frames are then added to its mean once more (its content frames count twice: kept as the earlier segmenter
/// did, so that this step of the architecture changes no result).
///
/// A keyframe comes from inside its shot, away from the gradual changes at both its ends
/// (``insideTheShot(_:opening:closingChangeStart:)``):
/// - the frame that opened the scene by a gradual change (``CutKind/isGradual``: a dissolve, a morph) and is no
///   transition frame: the detector finds where such a change was half done and where 95% of it
///   (``ChangeContext/dissolveEnd``), but with motion in it that end comes early, and the sample after it may still hold
///   the rest of the mix (the tune part's `film-tos-letterbox-sd-480p` at 2 frames a second: the face's only keyframe
///   was the sample 0.04 s before the dissolve's last mixed frame);
/// - the frames from where a gradual change that closes the scene begins (``EndedScene/closingChangeStart``: the
///   scene is closed when the keyframe is chosen, by the cut that opens the next one): they may hold the start of the
///   next mix (the sealed run of the first step: with the opening sample held out, a shot's keyframe moved to its next
///   sample, which lay in the dissolve closing it).
///
/// When nothing else is left, the opening frame is the keyframe (its change is behind it, found at least 95% done),
/// else the closing frames; either way they count in the scene's mean, and a shot of such frames alone is no transition
/// scene. Whatever the sampling rate: at 0.5 frames a second, holding out the opening sample alone moved the tune part's
/// `crossfade-720p` keyframe onto the first frame of the next crossfade; with the closing end held out too it stays.
///
/// When frames carry their analysis luma, the keyframe's local features (``LocalFeatureExtractor``) are taken
/// inside the scene's active picture — the union of its frames' content inside black bars, as ffmpeg's
/// `cropdetect` finds it over the scene — for the geometric verification of clustering and `--keep diverse`.
///
/// Emits ``SceneEvent/sceneClosed(_:)`` in place of each ``SceneEvent/sceneEnded(_:)``; forwards the rest.
public final class KeyframePicker<Attachment>: FrameStage {
    public typealias Input = SceneEvent<Attachment>
    public typealias Output = SceneEvent<Attachment>

    public var maximumCandidates = 16
    /// Also take the local features of another moment of the scene (``SceneMoments``, ``Scene/momentFeatures``), for
    /// the geometric verification of copies of a moving shot whose keyframes show other moments of it.
    public var momentPictures = true
    /// Also take the local features of the shot's first decoded frame when a hard cut opened the scene
    /// (``Scene/shotStartFeatures``) — unless the scene's samples lie more than ``SceneMoments/maximumSpacing`` apart on
    /// average (`--fps` under 1, `--decode keyframes`), where a cut missed between its first frame and its keyframe would
    /// join the scene to the copies of a shot its keyframe does not show: with key frames only, the tune part's
    /// `hardneg-regions-720p` scene from 0 to 6 s (a cut at 3 s missed) joined the revisit of its first shot by its first
    /// frame, and that content lost its only exemplar to the keyframe's, the second shot.
    public var shotStartPictures = true
    public var exemplarChoice = ExemplarChoice()
    /// The first frames of a scene kept whole in case it turns out to be a gradual transition's middle: at least
    /// ``GradualTransitionDetector/maximumFrames`` + 1.
    public var shortSceneFrameLimit = 3

    private var candidates: [StageFrame<Attachment>] = []
    private var candidateStride = 1
    private var framesInScene = 0
    private var transitionCandidates: [StageFrame<Attachment>] = []
    private var shortSceneFrames: [StageFrame<Attachment>] = []
    /// The scene's first frame when a gradual change opened it: its keyframe only when it has no other content frame.
    private var openingAfterGradualChange: StageFrame<Attachment>?
    private var embeddingSum: [Double]?
    private var gridSum: [Double]?
    private var bars = SceneBars()
    /// Where the next scene starts (the cut's time), from the scene that ended before it.
    private var nextSceneStart: Double?
    /// The first decoded frame of the open scene's shot, when a hard cut opened it there (``FrameSignals/shotStart``).
    private var shotStart: ShotStart?
    /// The last sample before the open scene, when a hard cut (no gradual change) opened it
    /// (``SceneMoments/showsNeighbour(_:neighbour:keyframe:ssim:)``).
    private var beforeScene: FrameSignals?
    /// The last sample seen.
    private var lastSample: FrameSignals?
    private let ssim = StructuralSimilarity()
    private let extractor = LocalFeatureExtractor()

    public init() {}

    public var heldFrames: Int { 2 * maximumCandidates + shortSceneFrameLimit }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        switch input {
        case .frame(let record, let frame):
            if record.startsScene {
                shortSceneFrames = [frame]
                embeddingSum = nil
                gridSum = nil
                bars = SceneBars()
                shotStart = Self.shotStart(of: frame.signals, cut: record.cutKind, sceneStart: nextSceneStart)
                beforeScene = record.cutKind.map { !$0.isGradual } == true ? lastSample : nil
            } else if shortSceneFrames.count < shortSceneFrameLimit {
                shortSceneFrames.append(frame)
            }
            bars.add(frame.signals)
            if record.transition {
                offerTransition(frame)
            } else if record.startsScene, record.cutKind?.isGradual == true {
                holdOpening(frame)
            } else {
                accumulate(frame)
            }
            lastSample = frame.signals
        case .sceneEnded(let ended):
            nextSceneStart = ended.end
            return try emit(.sceneClosed(close(ended)))
        case .resumed(let point):
            shortSceneFrames = [point.first]
            embeddingSum = nil
            gridSum = nil
            bars = SceneBars()
            shotStart = Self.shotStart(of: point.first.signals, cut: point.restart.openingCut, sceneStart: point.restart.start)
            beforeScene = point.restart.openingCut.map { !$0.isGradual } == true ? point.before : nil
            lastSample = point.first.signals
            bars.add(point.first.signals)
            if point.transition {
                offerTransition(point.first)
            } else if point.restart.openingCut?.isGradual == true {
                holdOpening(point.first)
            } else {
                accumulate(point.first)
            }
        case .sceneClosed:
            break
        }
        try emit(input)
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {}

    private func offerCandidate(_ frame: StageFrame<Attachment>) {
        defer { framesInScene += 1 }
        guard framesInScene % candidateStride == 0 else { return }
        candidates.append(frame)
        if candidates.count > maximumCandidates {
            candidates = stride(from: 0, to: candidates.count, by: 2).map { candidates[$0] }
            candidateStride *= 2
        }
    }

    /// The first frame of the shot a scene's first sample `first` opened by a `cut` at `sceneStart`: the shot start the sample
    /// carries when the cut is a hard one (no gradual change: its first frame is no mix) and lies at that very frame; for
    /// the input's first scene, its first decoded frame (``FrameSignals/openingShotStart``).
    static func shotStart(of first: FrameSignals, cut: CutKind?, sceneStart: Double?) -> ShotStart? {
        guard let cut else { return first.index == 0 ? first.openingShotStart : nil }
        guard !cut.isGradual, let start = first.shotStart, start.seconds == sceneStart else { return nil }
        return start
    }

    /// Keeps the first `maximumCandidates` transition frames of the scene, in case it has nothing else.
    private func offerTransition(_ frame: StageFrame<Attachment>) {
        if transitionCandidates.count < maximumCandidates { transitionCandidates.append(frame) }
    }

    /// The keyframe candidates of a scene away from the gradual changes at both its ends: `candidates` (content frames,
    /// the opening one held out) but those at or after `closingChangeStart` (``EndedScene/closingChangeStart``); when
    /// that leaves none, the frame a gradual change opened the scene with (`opening`), which that change's end lies
    /// before, as the detector found it; else the frames the closing change had begun to mix. Empty when the scene has
    /// no content frame.
    static func insideTheShot(_ candidates: [StageFrame<Attachment>], opening: StageFrame<Attachment>?,
                              closingChangeStart: Double?) -> [StageFrame<Attachment>] {
        let clear = closingChangeStart.map { start in candidates.filter { $0.signals.seconds < start } } ?? candidates
        if !clear.isEmpty { return clear }
        if let opening { return [opening] }
        return candidates
    }

    /// Keeps the frame a gradual change opened the scene with in the mean but out of the candidates, in case the scene
    /// has no other content frame.
    private func holdOpening(_ frame: StageFrame<Attachment>) {
        openingAfterGradualChange = frame
        addToMean(frame.signals)
    }

    private func accumulate(_ frame: StageFrame<Attachment>) {
        offerCandidate(frame)
        addToMean(frame.signals)
    }

    private func addToMean(_ frame: FrameSignals) {
        guard let embedding = frame.embedding else { return }
        let vector = embedding.vector, grid = embedding.grid
        if embeddingSum == nil { embeddingSum = [Double](repeating: 0, count: vector.count) }
        if gridSum == nil { gridSum = [Double](repeating: 0, count: grid.count) }
        for i in vector.indices { embeddingSum![i] += Double(vector[i]) }
        for i in grid.indices { gridSum![i] += Double(grid[i]) }
    }

    /// The scene whole: its mean embedding and grid, its keyframe chosen among the candidates.
    private func close(_ ended: EndedScene) -> ClosedScene<Attachment> {
        defer {
            candidates.removeAll()
            transitionCandidates.removeAll()
            shortSceneFrames.removeAll()
            openingAfterGradualChange = nil
            candidateStride = 1
            framesInScene = 0
            shotStart = nil
        }
        if !ended.gradualTransitionFrames.isEmpty {
            transitionCandidates = shortSceneFrames
            candidates = []
        } else {
            candidates = Self.insideTheShot(candidates, opening: openingAfterGradualChange, closingChangeStart: ended.closingChangeStart)
        }
        let transition = candidates.isEmpty
        if transition {
            for frame in transitionCandidates { addToMean(frame.signals) }
            candidates = transitionCandidates
        }
        let embedding = embeddingSum.map { sum in
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return sum.map { Float(norm > 0 ? $0 / norm : 0) }
        }
        let (index, centrality) = exemplarChoice.choose(candidates.map(\.signals), centre: embedding, ssim: ssim)
        let chosen = candidates[index]
        var keyframe = chosen.signals.keyframe()
        keyframe.centrality = centrality
        keyframe.sharpness = chosen.signals.quality.sharpness
        keyframe.exposure = chosen.signals.quality.exposure
        var scene = Scene(id: ended.id, start: ended.start, end: ended.end, firstFrame: ended.firstFrame, frameCount: ended.frameCount,
                          keyframe: keyframe, transition: transition)
        scene.embedding = embedding
        scene.grid = gridSum.map { FeatureGrid(sum: $0, side: Embedding.gridSide) }
        scene.keyframeLuma = chosen.signals.luma
        if let luma = chosen.signals.analysisLuma {
            scene.features = extractor.features(of: luma, active: bars.active(keyframe: chosen.signals))
            scene.activeArea = bars.activeArea(keyframe: chosen.signals)
            if momentPictures, !transition, let area = scene.features?.active {
                if let frame = SceneMoments.moment(candidates.map(\.signals), keyframe: index, stride: candidateStride,
                                                   before: beforeScene, after: ended.closingChangeStart == nil ? ended.next : nil, ssim: ssim),
                   let features = extractor.momentFeatures(of: frame, area: area) {
                    scene.momentFeatures.append(features)
                    scene.momentFrames.append(frame.index)
                }
            }
            if shotStartPictures, !transition, let area = scene.features?.active, let start = shotStart,
               ended.end - ended.start <= SceneMoments.maximumSpacing * Double(ended.frameCount),
               !SceneMoments.opensBeforeBoundary(shortSceneFrames.first?.signals, before: beforeScene, keyframe: chosen.signals, ssim: ssim) {
                if start.ordinal == chosen.signals.ordinal || SceneMoments.isStill(start.luma, like: chosen.signals, ssim: ssim) {
                    scene.shotStartIsKeyframe = true
                } else {
                    scene.shotStartFeatures = extractor.shotStartFeatures(of: start, area: area)
                }
            }
        }
        var closed = ClosedScene(scene: scene, keyframe: chosen, candidates: candidates, reclassifiedFrames: ended.gradualTransitionFrames)
        closed.cutHistory = ended.cutHistory
        return closed
    }
}

/// With `--keep diverse`: besides the keyframe, keeps every candidate farther than ``diversity`` (content distance:
/// cosine of embeddings, else 1 − SSIM) from the keyframe and from every other frame kept, in time order — and,
/// with ``geometricCheck``, not a geometric copy of any of them (``GeometricVerifier``, the earlier frame as A, its
/// features taken inside the scene's active picture): a shot that moves a little is one content however its
/// embedding drifts. With ``diversity`` nil, keeps nothing more. Either way drops the candidates, so their images
/// are released.
public final class DiversityPicker<Attachment>: FrameStage {
    public typealias Input = SceneEvent<Attachment>
    public typealias Output = SceneEvent<Attachment>

    public let diversity: Double?
    /// Leave out candidates that are geometric copies of a frame kept (when frames carry their analysis luma).
    public let geometricCheck: Bool
    /// Mirror images count as copies.
    public let mirror: Bool
    private let ssim = StructuralSimilarity()
    private let extractor = LocalFeatureExtractor()
    private let verifier = GeometricVerifier()

    public init(diversity: Double?, geometricCheck: Bool = true, mirror: Bool = true) {
        self.diversity = diversity
        self.geometricCheck = geometricCheck
        self.mirror = mirror
    }

    public var heldFrames: Int { 0 }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        guard case .sceneClosed(var closed) = input else { return try emit(input) }
        if let diversity {
            let chosen = closed.keyframe.signals
            closed.scene.keyframeVector = chosen.embedding?.vector
            if !closed.scene.transition {
                var kept = [(signals: chosen, features: closed.scene.features)]
                for candidate in closed.candidates where candidate.signals.index != chosen.index {
                    let c = candidate.signals
                    guard kept.allSatisfy({ contentDistance((c.embedding?.vector, c.luma), ($0.signals.embedding?.vector, $0.signals.luma), ssim: ssim) > diversity })
                    else { continue }
                    let features = geometricCheck ? self.features(of: c, active: closed.scene.features?.active) : nil
                    if let features, kept.contains(where: { k in
                        k.features.map { isCopy(earlier: k.signals.index < c.index ? $0 : features, later: k.signals.index < c.index ? features : $0) } ?? false
                    }) { continue }
                    kept.append((c, features))
                    closed.diverseFrames.append(candidate)
                    closed.diverseFeatures.append(features)
                }
            }
        }
        closed.candidates = []
        try emit(.sceneClosed(closed))
    }

    /// A candidate's local features inside the scene's active picture (its own content when the sizes differ).
    private func features(of frame: FrameSignals, active: PictureRect?) -> LocalFeatures? {
        guard let luma = frame.analysisLuma else { return nil }
        var rect = active ?? frame.content ?? PictureRect(width: luma.width, height: luma.height)
        if rect.x + rect.width > luma.width || rect.y + rect.height > luma.height {
            rect = frame.content ?? PictureRect(width: luma.width, height: luma.height)
        }
        return extractor.features(of: luma, active: rect)
    }

    private func isCopy(earlier: LocalFeatures, later: LocalFeatures) -> Bool {
        verifier.verify(earlier, later, mirror: mirror).isCopy
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {}
}

/// The active picture of a scene: the union of its frames' content rectangles (``FrameSignals/content``), which is
/// what one ``BlackBarDetector`` fed every frame of the scene finds — while the frames are all one size.
struct SceneBars {
    private var width = 0, height = 0
    private var union: PictureRect?
    /// The union in the decoded pictures' pixels (``FrameSignals/activeArea``).
    private var areaUnion: PictureRect?
    private var mixedSizes = false

    mutating func add(_ frame: FrameSignals) {
        guard let luma = frame.analysisLuma else { return }
        if width == 0 {
            (width, height) = (luma.width, luma.height)
        } else if (width, height) != (luma.width, luma.height) {
            mixedSizes = true
        }
        if let content = frame.content { union = union.map { $0.union(content) } ?? content }
        if let area = frame.activeArea { areaUnion = areaUnion.map { $0.union(area) } ?? area }
    }

    /// The scene's active area in the decoded pictures' pixels, as ``active(keyframe:)`` (nil without analysis luma,
    /// or when no frame had content).
    func activeArea(keyframe: FrameSignals) -> PictureRect? {
        guard let luma = keyframe.analysisLuma else { return nil }
        return !mixedSizes && (width, height) == (luma.width, luma.height) ? areaUnion : keyframe.activeArea
    }

    /// The active picture to take `keyframe`'s features from: the scene's union, or the keyframe's own when the
    /// scene's frames differ in size (a folder of pictures); the whole picture when neither has content.
    func active(keyframe: FrameSignals) -> PictureRect? {
        guard let luma = keyframe.analysisLuma else { return nil }
        let whole = PictureRect(width: luma.width, height: luma.height)
        guard !mixedSizes, (width, height) == (luma.width, luma.height) else { return keyframe.content ?? whole }
        return union ?? whole
    }
}

/// The other moment of a scene whose local features are kept besides its keyframe's (``Scene/momentFeatures``), for
/// the geometric verification of copies of a moving shot (issue 17): the end of the scene farther from the keyframe,
/// its first or its last keyframe candidate (the last on a tie), so that the scene's two pictures span it. None when
///
/// - the scene has one candidate;
/// - its frames were sampled less often than once every ``maximumSpacing`` seconds (`--fps` under 1, `--decode
///   keyframes`): cuts between such samples go unseen more often, and a scene's far end may then be another shot,
///   which would join the scene to that shot's scenes and cost the content of its keyframe its own exemplar (measured
///   on the dev set's tune part at 0.5 fps and on key frames: BENCHMARKS.md, "Copies of moving shots inside a clip");
/// - its SSIM (at the SSIM scale) to the keyframe is ``stillSimilarity`` or more: to verification it is the
///   keyframe's picture again, and its features would cost ~7 ms for nothing (a still shot).
///
/// An end candidate that still shows the scene across a hard cut (one the cut model found no gradual change at) is no
/// picture of this scene: nearer in content to the sample across the cut than to its own scene's keyframe
/// (``showsNeighbour(_:neighbour:keyframe:ssim:)``). It is left out, and the next candidate inwards is that end; the
/// shot start goes with the scene's first sample (``opensBeforeBoundary(_:before:keyframe:ssim:)``). A gradual change
/// cut as a hard cut in its first half leaves such a sample: Tears of Steel's robot hologram morphs into Celia's face
/// within one set-up over ~6 frames, and in a 12 fps copy of the tune part's `film-tos-logo-720p` the cut falls at
/// 9.0 s. The Celia scene's first sample, still mostly the robot, was its other moment: 0.27 (cosine) from the robot
/// scene's last sample, 0.51 from its own keyframe; it verified as a copy of the robot scene's keyframe (53 inliers)
/// and joined the two contents. A cut between two shots changes the content as much as two shots differ, more than a
/// shot moves from its first sample to its keyframe: of the 39 moments taken at a scene's start on the tune part at 2
/// frames a second, the nearest case is 0.37 from the scene before vs 0.33 from the keyframe (a fast sports shot), and
/// the rule leaves every tune result as it was. On 42 copies of the tune part's 14 film and copy clips re-timed to 10,
/// 12 and 15 fps it fires at 4 scenes of 4 clips and parts this wrong join (and one in `film-sintel-tos-1080p` at 15
/// fps, a hologram dissolving into a face, which 250-keypoint moments part too); nothing else changes (BENCHMARKS.md,
/// "Other moments across a morph").
/// Gradual cuts are left to the rules of the keyframe (``KeyframePicker``): there the sample across the boundary is a
/// mix of both sides, and a scene's end sample can be nearer to it than to a keyframe at the scene's other end (the
/// tune part's `crossfade-720p`).
enum SceneMoments {
    static let maximumSpacing = 1.0
    static let stillSimilarity = 0.95

    /// The moment among `candidates` (every `stride`-th content frame of the scene), the keyframe being at index
    /// `keyframe`, `before` and `after` the samples across the scene's opening and closing boundaries (nil: the input's
    /// start or end); nil when there is none.
    static func moment(_ candidates: [FrameSignals], keyframe: Int, stride: Int, before: FrameSignals?, after: FrameSignals?,
                       ssim: StructuralSimilarity) -> FrameSignals? {
        guard candidates.count > 1 else { return nil }
        let (first, last) = (candidates[0], candidates[candidates.count - 1])
        guard last.seconds - first.seconds <= maximumSpacing * Double((candidates.count - 1) * stride) else { return nil }
        let key = candidates[keyframe]
        var (lower, upper) = (0, candidates.count - 1)
        if let before {
            while lower < keyframe, showsNeighbour(candidates[lower], neighbour: before, keyframe: key, ssim: ssim) { lower += 1 }
        }
        if let after {
            while upper > keyframe, showsNeighbour(candidates[upper], neighbour: after, keyframe: key, ssim: ssim) { upper -= 1 }
        }
        guard lower < upper else { return nil }
        let moment = keyframe - lower > upper - keyframe ? candidates[lower] : candidates[upper]
        if isStill(moment.luma, key.luma, ssim: ssim) { return nil }
        return moment
    }

    /// Whether `frame` shows the scene across a boundary rather than its own: nearer in content to `neighbour` (the
    /// sample on the other side) than to its scene's `keyframe`. Cosine distance of embeddings when the three have their
    /// own, else 1 − SSIM at the SSIM scale (a stand-in embedding, ``FrameSignals/embeddingIsStandIn``, is the last
    /// embedded frame's: across a cut, often the other scene's).
    static func showsNeighbour(_ frame: FrameSignals, neighbour: FrameSignals, keyframe: FrameSignals, ssim: StructuralSimilarity) -> Bool {
        let own = [frame, neighbour, keyframe].allSatisfy { $0.embedding != nil && !$0.embeddingIsStandIn }
        func content(_ f: FrameSignals) -> (vector: [Float]?, luma: LumaImage?) { (own ? f.embedding?.vector : nil, f.luma) }
        return contentDistance(content(frame), content(neighbour), ssim: ssim) < contentDistance(content(frame), content(keyframe), ssim: ssim)
    }

    /// Whether a scene's shot start (``Scene/shotStartFeatures``) comes from before its boundary: the scene's `first`
    /// sample, which the shot start lies at or before, shows the scene before it (`before`, its last sample;
    /// ``showsNeighbour(_:neighbour:keyframe:ssim:)``). False without either.
    static func opensBeforeBoundary(_ first: FrameSignals?, before: FrameSignals?, keyframe: FrameSignals, ssim: StructuralSimilarity) -> Bool {
        guard let first, let before, first.index != keyframe.index else { return false }
        return showsNeighbour(first, neighbour: before, keyframe: keyframe, ssim: ssim)
    }
}

extension FrameSignals {
    /// The first frame of the shot this sample opens, as far as the decoder saw it: the shot start it carries
    /// (``shotStart``), or the sample itself when it is the input's first decoded frame (no cut before it, and none needed).
    var openingShotStart: ShotStart? {
        if let shotStart { return shotStart }
        guard index == 0, ordinal == 0, let analysisLuma else { return nil }
        return ShotStart(ordinal: ordinal, seconds: seconds, luma: analysisLuma, step: 0)
    }
}

extension SceneMoments {
    /// Whether two lumas at the SSIM scale are one picture to verification: SSIM at least ``stillSimilarity``.
    static func isStill(_ a: LumaImage, _ b: LumaImage, ssim: StructuralSimilarity) -> Bool {
        a.width == b.width && a.height == b.height && ssim.similarity(a, b) >= stillSimilarity
    }

    /// Whether the picture `luma` (at analysis size) is `keyframe`'s again to verification (``isStill(_:_:ssim:)`` at the
    /// SSIM scale).
    static func isStill(_ luma: LumaImage, like keyframe: FrameSignals, ssim: StructuralSimilarity) -> Bool {
        let k = keyframe.luma
        return isStill(luma.areaDownscaled(shortSide: min(k.width, k.height)), k, ssim: ssim)
    }
}

extension LocalFeatureExtractor {
    /// The most keypoints of a shot start's features, evenly thinned from the extractor's (``maximumKeypoints``): they are
    /// held for every scene a hard cut opens until the input ends (73 bytes a keypoint; at 500, 11 MB more at the peak of a
    /// 10-minute 1080p input cut every 1.7 s), and a copy at the same moment is a near-identical picture, which half of them
    /// verify (the tune twins' joins at 500: 44 inliers of 67 and 76 keypoints, 81 of 117 and 178).
    static let shotStartKeypoints = 250

    /// The local features of a scene's shot start (``Scene/shotStartFeatures``) inside `area`, as ``momentFeatures(of:area:)``,
    /// thinned to ``shotStartKeypoints``.
    func shotStartFeatures(of start: ShotStart, area: PictureRect) -> LocalFeatures? {
        let luma = start.luma
        guard area.x >= 0, area.y >= 0, area.width > 0, area.height > 0,
              area.x + area.width <= luma.width, area.y + area.height <= luma.height else { return nil }
        return features(of: luma, active: area).thinned(to: Self.shotStartKeypoints)
    }

    /// The local features of a scene's other moment (``Scene/momentFeatures``) inside `area` (its scene's keyframe's
    /// feature area), nil when the area does not fit its analysis luma (a folder of pictures of several sizes) or it has
    /// none. A resume computes them again with this same function (``KeyframeRecomputation``).
    func momentFeatures(of frame: FrameSignals, area: PictureRect) -> LocalFeatures? {
        guard let luma = frame.analysisLuma, area.x >= 0, area.y >= 0, area.width > 0, area.height > 0,
              area.x + area.width <= luma.width, area.y + area.height <= luma.height else { return nil }
        return features(of: luma, active: area).thinned(to: Self.momentKeypoints)
    }

    /// The most keypoints of an other moment's features (``Scene/momentFeatures``), evenly thinned from the extractor's, as a
    /// shot start's (``shotStartKeypoints``): a scene's keyframe state is held in memory or written to the checkpoint until
    /// the input ends (73 bytes a keypoint), and a moment only has to show that some transform maps it onto another scene's
    /// picture. At 250 instead of 500, every tune clip's `scenes.json` and `clusters.json` came out byte-identical at 2 fps,
    /// 0.5 fps and on key frames, and a 2-hour cut-heavy 1080p input (2,952 scenes) peaked at 208 MiB while decoding
    /// instead of 234, 523 MiB at its end instead of 573 (BENCHMARKS.md, "A smaller keyframe state").
    static let momentKeypoints = 250
}

extension LocalFeatures {
    /// These features evenly thinned to at most `limit` keypoints (in their order: the strongest spread over the picture).
    func thinned(to limit: Int) -> LocalFeatures {
        guard count > limit else { return self }
        return keeping { k in k * limit / count < (k + 1) * limit / count }
    }
}

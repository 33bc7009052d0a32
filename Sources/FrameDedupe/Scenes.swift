import Decoder
import Pixels
import Similarity

/// The scores of one sampled frame against its scene's reference frame and the previous frame:
/// data, not decisions. A score is nil when it was not computed (scorer off, or settled by hashes).
public struct FrameScores: Sendable, Equatable {
    /// Hamming distance of the perceptual hashes to the reference (0 = identical hashes).
    public var hashDistance: Int
    /// SSIM of the luma to the reference's; nil when the hashes were identical and SSIM was skipped.
    public var ssimToReference: Double?
    /// SSIM to the previous sampled frame; nil when skipped by identical hashes.
    public var ssimToPrevious: Double?
    /// Cosine distance (1 − cos, 0–2) of the network embeddings to the reference's.
    public var embeddingToReference: Double?
    /// Cosine distance of the network embeddings to the previous frame's.
    public var embeddingToPrevious: Double?

    public init(hashDistance: Int, ssimToReference: Double? = nil, ssimToPrevious: Double? = nil,
                embeddingToReference: Double? = nil, embeddingToPrevious: Double? = nil) {
        self.hashDistance = hashDistance
        self.ssimToReference = ssimToReference
        self.ssimToPrevious = ssimToPrevious
        self.embeddingToReference = embeddingToReference
        self.embeddingToPrevious = embeddingToPrevious
    }
}

/// Which signals score frames.
public enum ScorerKind: String, Sendable, CaseIterable {
    /// Pixels only: SSIM (and hashes).
    case ssim
    /// Content only: the network's embedding (and hashes).
    case embed
    /// Both; a cut needs both to agree (see ``SceneBoundaryRule``).
    case both

    public var usesSSIM: Bool { self != .embed }
    public var usesEmbedding: Bool { self != .ssim }
}

/// Scores a frame against its scene's reference frame and the frame before it.
public protocol FrameScorer {
    mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame, previous: AnalyzedFrame) -> FrameScores
    /// The change from one frame to another in the measure ``SceneBoundaryRule/change(_:)`` reads from
    /// the scores: embedding distance when embeddings are scored, else 1 − SSIM (0 for identical hashes).
    mutating func change(from: AnalyzedFrame, to: AnalyzedFrame) -> Double?
}

/// Hashes first, then SSIM and/or the embedding distance: a frame whose 64-bit hashes equal the
/// other frame's skips SSIM against it (the embedding distance, already paid for, is still recorded).
public struct SimilarityScorer: FrameScorer {
    private let ssim = StructuralSimilarity()
    public let kind: ScorerKind

    public init(kind: ScorerKind) { self.kind = kind }

    public mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame, previous: AnalyzedFrame) -> FrameScores {
        let distance = frame.hash.distance(to: reference.hash)
        var scores = FrameScores(hashDistance: distance)
        if kind.usesSSIM {
            scores.ssimToReference = distance == 0 ? nil : similarity(frame, reference)
            scores.ssimToPrevious = frame.hash.distance(to: previous.hash) == 0 ? nil : similarity(frame, previous)
        }
        if kind.usesEmbedding, let e = frame.embedding {
            scores.embeddingToReference = reference.embedding.map { Double(e.cosineDistance(to: $0)) }
            scores.embeddingToPrevious = previous.embedding.map { Double(e.cosineDistance(to: $0)) }
        }
        return scores
    }

    public mutating func change(from a: AnalyzedFrame, to b: AnalyzedFrame) -> Double? {
        if kind.usesEmbedding, let u = a.embedding, let v = b.embedding { return Double(u.cosineDistance(to: v)) }
        if kind.usesSSIM { return a.hash.distance(to: b.hash) == 0 ? 0 : 1 - similarity(a, b) }
        return nil
    }

    private func similarity(_ a: AnalyzedFrame, _ b: AnalyzedFrame) -> Double {
        // The picture size changed mid-stream: nothing in common by definition.
        guard a.comparisonLuma.width == b.comparisonLuma.width, a.comparisonLuma.height == b.comparisonLuma.height else { return 0 }
        return ssim.similarity(a.comparisonLuma, b.comparisonLuma)
    }
}

/// How a frame's change from the previous frame compares with the scene's recent changes and with the
/// frame after it: the context an adaptive cut rule needs besides the frame's own scores.
public struct ChangeContext: Sendable, Equatable {
    /// Mean change (see ``SceneBoundaryRule/change(_:)``) of the scene's last few non-transition frames;
    /// nil when the scene has none yet.
    public var recentLevel: Double?
    /// How many changes ``recentLevel`` averages.
    public var recentCount: Int
    /// The next sampled frame's change from this frame; nil at the end of the stream.
    public var nextChange: Double?
    /// The next sampled frame's change from the frame *before* this one: small when this frame was a
    /// flash or a brief occlusion that the picture comes back from. nil at the end of the stream.
    public var nextToPrevious: Double?

    public init(recentLevel: Double? = nil, recentCount: Int = 0, nextChange: Double? = nil, nextToPrevious: Double? = nil) {
        self.recentLevel = recentLevel
        self.recentCount = recentCount
        self.nextChange = nextChange
        self.nextToPrevious = nextToPrevious
    }
}

/// Which part of ``SceneBoundaryRule`` cut.
public enum CutKind: String, Sendable {
    /// A large change to different content (a hard cut between unrelated shots).
    case jump
    /// A change small in absolute terms but far above the scene's recent level of change, after which the
    /// picture is calm again (a cut between similar shots: two regions of one set, a variant of the shot).
    case adaptive
}

/// The decision, separate from the scores: does a frame with these scores start a new scene?
///
/// Cuts and duplicates are different questions. A cut is decided from the frame-to-frame **change**
/// (the embedding's cosine distance to the previous sampled frame; 1 − SSIM to it with `--scorer ssim`)
/// judged against the scene's **recent level** of change (the mean over its last 4 non-transition frames,
/// floored at 0.02 for embeddings and 0.05 for pixels), with one frame of lookahead. The reference frame
/// (the scene's first) only confirms that the content has left the scene; a slow pan or zoom drifts far
/// from its reference without ever changing abruptly, so it stays one scene.
///
/// With embeddings (`--scorer embed|both`) a frame cuts when
/// - **jump**: its change > `embeddingCut` (0.4) and ≥ `jumpRatio` (2) × the recent level, its distance to
///   the reference > `embeddingReference` (0.4), and the next frame does not come back (its distance to
///   the frame before this one is at least half this frame's change: not a flash or a passing occlusion); or
/// - **adaptive**: its change ≥ `minimumContentChange` (0.06) and ≥ `cutRatio` (4) × the recent level
///   (measured over at least 2 frames), and the next frame is calm (its change ≤ `calmRatio` (2) × the
///   recent level): a cut between similar pictures stands out from a still or slowly moving scene, and
///   the new shot is steady after it, while a burst of motion inside a shot keeps changing;
/// and with `--scorer both` the pixels confirm it: SSIM to the previous frame ≤ `pixelConfirmation` (0.7)
/// or SSIM to the reference < `ssimReference` (0.5). A brightness jump changes pixels but not content, and
/// is no cut; an embedding jump on a frame whose pixels have not moved is no cut either.
///
/// With pixels only (`--scorer ssim`) a frame cuts when
/// - **jump**: SSIM to the reference < `ssimReference` and SSIM to the previous frame < `ssimCut`
///   (0.25), and the next frame does not come back; or
/// - **adaptive**: its change ≥ `minimumPixelChange` (0.6) and ≥ `pixelCutRatio` (2) × the recent level,
///   and the next frame's change ≤ `pixelCalmRatio` (1.5) × the recent level.
///
/// Frames settled by identical hashes never cut. Measured on the dev set (`scripts/make-devset.py`) at
/// 2 fps: within shots the embedding change stays ≤ 0.28 and ≤ 1.9× its recent level; at cuts between
/// unrelated shots it is 0.56–0.95; between two regions of one photograph it is 0.09 (4–9× the level).
/// The ratios and floors were chosen on that set and hold over a range (ratio 3–5, calm 1.5–2, minimum
/// 0.04–0.08 give the same cuts there).
public struct SceneBoundaryRule: Sendable, Equatable {
    public var ssimReference: Double
    public var ssimCut: Double
    public var embeddingReference: Double
    public var embeddingCut: Double
    /// Adaptive cut: how many times the recent level the content change must be (`--cut-ratio`).
    public var cutRatio: Double = 4
    public var minimumContentChange: Double = 0.06
    public var calmRatio: Double = 2
    public var jumpRatio: Double = 2
    public var pixelConfirmation: Double = 0.7
    /// Adaptive cut with pixels only: the same, for 1 − SSIM (which saturates near 1, so smaller ratios).
    public var pixelCutRatio: Double = 2
    public var minimumPixelChange: Double = 0.6
    public var pixelCalmRatio: Double = 1.5
    /// Floors of the recent level, so a perfectly still scene does not make every speck a cut.
    public var contentLevelFloor: Double = 0.02
    public var pixelLevelFloor: Double = 0.05
    /// Adaptive cuts need a recent level measured over at least this many frames.
    public var minimumLevelFrames: Int = 2

    public init(ssimReference: Double = 0.5, ssimCut: Double = 0.25, embeddingReference: Double = 0.4, embeddingCut: Double = 0.4) {
        self.ssimReference = ssimReference
        self.ssimCut = ssimCut
        self.embeddingReference = embeddingReference
        self.embeddingCut = embeddingCut
    }

    /// The frame-to-frame change the rule watches: the embedding distance to the previous frame, else
    /// 1 − SSIM to it (0 when identical hashes skipped SSIM); nil when neither was scored.
    public static func change(_ s: FrameScores) -> Double? {
        if let e = s.embeddingToPrevious { return e }
        if let p = s.ssimToPrevious { return 1 - p }
        return s.ssimToReference != nil || s.hashDistance == 0 ? 0 : nil
    }

    /// Whether the frame starts a new scene, and by which part of the rule.
    public func cut(_ s: FrameScores, context c: ChangeContext) -> CutKind? {
        if s.hashDistance == 0 { return nil }
        let hasPixels = s.ssimToReference != nil || s.ssimToPrevious != nil
        func comesBack(_ change: Double) -> Bool { c.nextToPrevious.map { $0 < 0.5 * change } ?? false }
        if let change = s.embeddingToPrevious {
            let pixelsMoved = !hasPixels || (s.ssimToPrevious ?? 1) <= pixelConfirmation || (s.ssimToReference ?? 1) < ssimReference
            guard pixelsMoved else { return nil }
            let level = max(c.recentLevel ?? 0, contentLevelFloor)
            if change > embeddingCut, change >= jumpRatio * level, (s.embeddingToReference ?? change) > embeddingReference, !comesBack(change) {
                return .jump
            }
            if c.recentCount >= minimumLevelFrames, change >= minimumContentChange, change >= cutRatio * level,
               let next = c.nextChange, next <= calmRatio * level {
                return .adaptive
            }
            return nil
        }
        guard hasPixels else { return nil }
        let change = 1 - (s.ssimToPrevious ?? 1)
        if (s.ssimToReference ?? 1) < ssimReference, (s.ssimToPrevious ?? 1) < ssimCut, !comesBack(change) { return .jump }
        let level = max(c.recentLevel ?? 0, pixelLevelFloor)
        if c.recentCount >= minimumLevelFrames, change >= minimumPixelChange, change >= pixelCutRatio * level,
           let next = c.nextChange, next <= pixelCalmRatio * level {
            return .adaptive
        }
        return nil
    }
}

/// One sampled frame in the results.
public struct FrameRecord: Sendable, Equatable {
    public let index: Int
    public let ordinal: Int
    public let timestamp: Timestamp
    public let seconds: Double
    public let scene: Int
    /// nil for a scene's first frame (it is the reference).
    public let scores: FrameScores?
    /// Sharpness and exposure of the frame.
    public let quality: PictureQuality
    /// True when this frame started its scene.
    public var startsScene: Bool { scores == nil || cut }
    /// True when the rule cut here (false for the very first frame).
    public var cut: Bool { cutKind != nil }
    /// Which part of the rule cut here; nil when it did not.
    public let cutKind: CutKind?
    /// The recent level of change and the lookahead the rule judged the frame with (nil for a scene's first frame).
    public let context: ChangeContext?
    /// True for a frame in a gradual transition or a blank (near-black/white) frame: kept in its scene's
    /// span but never its keyframe and not part of its embedding (see ``TransitionRule``).
    public internal(set) var transition: Bool
}

/// Marks transition frames: a frame that did not start a scene but changed far more from the previous
/// frame than the scene's recent frames did (a crossfade or a flash passing through), or a blank one.
///
/// "Change" is the embedding distance to the previous frame (1 − SSIM without embeddings). A frame is a
/// transition when its change is at least `ratio` × the mean change of the scene's last `window`
/// non-transition frames (0.05 for embeddings, 0.2 for pixels, before there are any) and at least
/// `minimumChange`, or when its ``PictureQuality/exposure`` is below `blankExposure`.
/// Measured on the samples at 2 fps: the middle frame of a 1 s crossfade jumps 0.39 from a level of
/// 0.01; the fastest motion inside a shot (a tilted bottle) reaches 0.23, the bunny's 0.22.
public struct TransitionRule: Sendable, Equatable {
    public var ratio: Double = 4
    public var window: Int = 4
    public var minimumContentChange: Double = 0.3
    public var minimumPixelChange: Double = 0.6
    public var blankExposure: Double = 0.2

    public init() {}
}

/// A run of temporally adjacent near-duplicate frames.
public struct Scene: Sendable, Equatable {
    /// 0, 1, 2… in time order.
    public let id: Int
    /// Seconds from the stream's start to the scene's first sampled frame.
    public let start: Double
    /// Seconds to the next scene's first sampled frame, or to the end of the last decoded frame.
    public internal(set) var end: Double
    /// Index of its first sampled frame.
    public let firstFrame: Int
    /// How many sampled frames it has.
    public internal(set) var frameCount: Int
    public internal(set) var keyframe: Keyframe
    /// The scene's representative embedding: the L2-normalised mean of its non-transition frames' (nil without embeddings).
    public internal(set) var embedding: [Float]?
    /// The mean of its frames' 3×3 feature grids (``Embedding/grid``): where things are in the picture, for
    /// the spatial check before two scenes may share a cluster.
    public internal(set) var grid: FeatureGrid?
    /// True when every frame of the scene is a transition frame: such a scene never forms a cluster
    /// of its own and never gives an exemplar.
    public internal(set) var transition: Bool = false
    /// The keyframe's luma at the SSIM scale, for comparing scenes without embeddings.
    var keyframeLuma: LumaImage?
    /// The keyframe's own embedding (not the scene's mean), for `--keep diverse` (nil otherwise: 5 KB a scene).
    var keyframeVector: [Float]?
}

/// The dot product of two equally long float runs, accumulated in Double.
func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    precondition(a.count == b.count, "vectors of different lengths")
    var sum = 0.0
    for (x, y) in zip(a, b) { sum += Double(x) * Double(y) }
    return sum
}

/// How different two frames' contents are: cosine distance of their embeddings when both have one,
/// else 1 − SSIM of their lumas at the SSIM scale (1 when the sizes differ).
func contentDistance(_ a: (vector: [Float]?, luma: LumaImage?), _ b: (vector: [Float]?, luma: LumaImage?), ssim: StructuralSimilarity) -> Double {
    if let u = a.vector, let v = b.vector { return 1 - dot(u[...], v[...]) }
    if let p = a.luma, let q = b.luma, p.width == q.width, p.height == q.height { return 1 - ssim.similarity(p, q) }
    return 1
}

/// The image chosen to stand for a scene, with the scores that chose it.
public struct Keyframe: Sendable, Equatable {
    public let frameIndex: Int
    public let timestamp: Timestamp
    public let seconds: Double
    /// Path relative to the output folder, nil when images are not written.
    public internal(set) var path: String?
    /// How typical the frame is of its scene: 1 − cosine distance of its embedding to the scene's
    /// mean embedding, or (without embeddings) its mean SSIM to the other candidate frames.
    public internal(set) var centrality: Double = 1
    /// ``PictureQuality/sharpness`` of the frame.
    public internal(set) var sharpness: Double = 0
    /// ``PictureQuality/exposure`` of the frame.
    public internal(set) var exposure: Double = 1
    /// The picture's file, for a folder of images or a numbered pattern (nil for video).
    public internal(set) var source: String? = nil
}

/// Chooses a scene's keyframe among candidate frames: the most central (medoid-like), with
/// near-ties broken by sharpness × exposure, so a blurred or faded frame loses to a sharp one that
/// shows the same thing.
public struct ExemplarChoice: Sendable, Equatable {
    /// Candidates whose centrality is within this of the best are near-ties. 0.1 is the spread of one
    /// picture's own variants in embedding space: Gaussian blur of σ 1.5–3 moves a real frame's
    /// embedding 0.04–0.1 from the sharp original's (measured on `shots-360p.mp4`), so a sharp frame
    /// among blurred copies is never more than ~0.1 less central than the blurred majority.
    public var tieBand: Double = 0.1

    public init(tieBand: Double = 0.1) { self.tieBand = tieBand }

    /// - Parameters:
    ///   - candidates: frames of the scene (at least one).
    ///   - centre: the scene's mean embedding (unit length), nil without embeddings.
    /// - Returns: the index of the chosen candidate and its centrality.
    func choose(_ candidates: [AnalyzedFrame], centre: [Float]?, ssim: StructuralSimilarity) -> (index: Int, centrality: Double) {
        precondition(!candidates.isEmpty)
        var centrality = [Double](repeating: 1, count: candidates.count)
        if let centre, candidates.allSatisfy({ $0.embedding != nil }) {
            for (i, c) in candidates.enumerated() { centrality[i] = dot(c.embedding!.vector[...], centre[...]) }
        } else if candidates.count > 1 {
            for i in candidates.indices {
                var total = 0.0
                for j in candidates.indices where j != i {
                    let a = candidates[i].comparisonLuma, b = candidates[j].comparisonLuma
                    total += a.width == b.width && a.height == b.height ? ssim.similarity(a, b) : 0
                }
                centrality[i] = total / Double(candidates.count - 1)
            }
        }
        let chosen = pick(centrality: centrality, sharpness: candidates.map(\.quality.sharpness), exposure: candidates.map(\.quality.exposure))
        return (chosen, centrality[chosen])
    }

    /// The index with the highest merit (exposure × sharpness relative to the sharpest near-tie) among
    /// those whose centrality is within ``tieBand`` of the best; equal merit → more central → earlier.
    public func pick(centrality: [Double], sharpness: [Double], exposure: [Double]) -> Int {
        precondition(!centrality.isEmpty && centrality.count == sharpness.count && centrality.count == exposure.count)
        let best = centrality.max()!
        let ties = centrality.indices.filter { centrality[$0] >= best - tieBand }
        let sharpest = ties.map { sharpness[$0] }.max() ?? 0
        func merit(_ i: Int) -> Double { exposure[i] * (sharpest > 0 ? sharpness[i] / sharpest : 1) }
        return ties.max { a, b in
            let ma = merit(a), mb = merit(b)
            if ma != mb { return ma < mb }
            if centrality[a] != centrality[b] { return centrality[a] < centrality[b] }
            return a > b
        }!
    }
}

/// Groups a stream of frames into scenes in one pass, comparing each frame with its scene's
/// reference (the scene's first frame), never only with the previous frame, so slow drift cannot
/// chain a whole video into one scene.
public struct SceneSegmenter<Scorer: FrameScorer> {
    private var scorer: Scorer
    public let rule: SceneBoundaryRule
    private var reference: AnalyzedFrame?
    private var previous: AnalyzedFrame?
    private var current: Scene?

    public init(scorer: Scorer, rule: SceneBoundaryRule) {
        self.scorer = scorer
        self.rule = rule
    }

    /// What the segmenter decided about one frame: its record, and the scene it closed (with that scene's
    /// chosen keyframe) when the frame started a new one.
    public typealias Step = (record: FrameRecord, closed: (scene: Scene, keyframe: AnalyzedFrame)?)

    /// Adds the next frame. The rule looks one frame ahead, so decisions lag by one frame: returns the
    /// decision on the frame added before this one (nil for the first frame). ``finish(end:)`` decides the last.
    public mutating func add(_ frame: AnalyzedFrame) -> Step? {
        defer { pending = frame }
        guard let pending else { return nil }
        return decide(pending, next: frame)
    }

    /// The frame added last, not yet decided (it waits for the next one).
    private var pending: AnalyzedFrame?

    private mutating func decide(_ frame: AnalyzedFrame, next: AnalyzedFrame?) -> Step {
        let sample = frame.sample
        var closed: (scene: Scene, keyframe: AnalyzedFrame)? = nil
        var scores: FrameScores? = nil
        var cutKind: CutKind? = nil
        var context: ChangeContext? = nil
        var transition = frame.quality.exposure < transitionRule.blankExposure
        if let reference, let previous, var scene = current {
            let s = scorer.score(frame, reference: reference, previous: previous)
            scores = s
            var c = ChangeContext(
                recentLevel: recentChanges.isEmpty ? nil : recentChanges.reduce(0, +) / Double(recentChanges.count),
                recentCount: recentChanges.count, nextChange: next.flatMap { scorer.change(from: frame, to: $0) })
            cutKind = rule.cut(s, context: c)
            if cutKind == .jump, let next {
                // Only a jump asks whether the picture comes back: compare the next frame with the one before this.
                c.nextToPrevious = scorer.change(from: previous, to: next)
                cutKind = rule.cut(s, context: c)
            }
            context = c
            if cutKind != nil && sample.seconds - scene.start < minimumSceneLength { cutKind = nil }
            if cutKind != nil {
                scene.end = sample.seconds
                closed = close(scene, next: frame)
                current = nil
            } else {
                scene.frameCount += 1
                current = scene
                if shortSceneFrames.count <= maximumTransitionFrames { shortSceneFrames.append(frame) }
                if let change = SceneBoundaryRule.change(s) {
                    let level = recentChanges.isEmpty
                        ? (s.embeddingToPrevious != nil ? 0.05 : 0.2)
                        : recentChanges.reduce(0, +) / Double(recentChanges.count)
                    let minimum = s.embeddingToPrevious != nil ? transitionRule.minimumContentChange : transitionRule.minimumPixelChange
                    if change >= minimum && change >= transitionRule.ratio * level { transition = true }
                    if !transition {
                        recentChanges.append(change)
                        if recentChanges.count > transitionRule.window { recentChanges.removeFirst() }
                    }
                }
                if transition { offerTransition(frame) } else { accumulate(frame) }
            }
        }
        if current == nil {
            let id = nextSceneID
            nextSceneID += 1
            current = Scene(
                id: id, start: sample.seconds, end: sample.seconds, firstFrame: sample.index, frameCount: 1,
                keyframe: Keyframe(frameIndex: sample.index, timestamp: sample.timestamp, seconds: sample.seconds, path: nil, source: sample.source))
            reference = frame
            frameBeforeScene = closed != nil ? previous : nil
            shortSceneFrames = [frame]
            embeddingSum = nil
            gridSum = nil
            recentChanges.removeAll()
            if transition { offerTransition(frame) } else { accumulate(frame) }
        }
        previous = frame
        let record = FrameRecord(
            index: sample.index, ordinal: sample.ordinal, timestamp: sample.timestamp, seconds: sample.seconds,
            scene: current!.id, scores: scores, quality: frame.quality, cutKind: cutKind, context: context, transition: transition)
        return (record, closed)
    }

    private var nextSceneID = 0
    private var embeddingSum: [Double]?
    private var gridSum: [Double]?
    /// Frames the keyframe is chosen from: at most `maxCandidates`, spread evenly over the scene
    /// (every `candidateStride`-th frame; when full, every other one is dropped and the stride doubles),
    /// so memory stays bounded however long the scene is.
    private var candidates: [AnalyzedFrame] = []
    private var candidateStride = 1
    private var framesInScene = 0
    public var maxCandidates = 16
    public var exemplarChoice = ExemplarChoice()
    /// No cut within this many seconds of a scene's start (`--min-scene-length`); 0 allows every cut.
    public var minimumSceneLength: Double = 0
    /// With `--keep diverse`: a candidate farther than this from the keyframe and every other frame
    /// already kept is kept too (returned as the scene's diverse frames).
    public var diversity: Double? = nil
    public var transitionRule = TransitionRule()
    /// Recent frame-to-frame changes of the open scene's non-transition frames.
    private var recentChanges: [Double] = []
    /// Transition frames of the open scene, used as candidates only if it has nothing else.
    private var transitionCandidates: [AnalyzedFrame] = []
    private let ssimForChoice = StructuralSimilarity()

    private mutating func offerCandidate(_ frame: AnalyzedFrame) {
        defer { framesInScene += 1 }
        guard framesInScene % candidateStride == 0 else { return }
        candidates.append(frame)
        if candidates.count > maxCandidates {
            candidates = stride(from: 0, to: candidates.count, by: 2).map { candidates[$0] }
            candidateStride *= 2
        }
    }

    /// The last frame of the scene before the open one, when the open one started with a cut.
    private var frameBeforeScene: AnalyzedFrame?
    /// Every frame of the open scene while it is short enough to be a gradual transition.
    private var shortSceneFrames: [AnalyzedFrame] = []
    /// Frames of the scene closed last that turned out to be transition frames (by sample index).
    public private(set) var reclassifiedFrames: [Int] = []

    /// The diverse frames of the scene closed last (besides its keyframe), with `diversity` set.
    public private(set) var diverseFrames: [AnalyzedFrame] = []

    /// Keeps the first `maxCandidates` transition frames of the scene, in case it has nothing else.
    private mutating func offerTransition(_ frame: AnalyzedFrame) {
        if transitionCandidates.count < maxCandidates { transitionCandidates.append(frame) }
    }

    private mutating func accumulate(_ frame: AnalyzedFrame) {
        offerCandidate(frame)
        guard let embedding = frame.embedding else { return }
        let vector = embedding.vector, grid = embedding.grid
        if embeddingSum == nil { embeddingSum = [Double](repeating: 0, count: vector.count) }
        if gridSum == nil { gridSum = [Double](repeating: 0, count: grid.count) }
        for i in vector.indices { embeddingSum![i] += Double(vector[i]) }
        for i in grid.indices { gridSum![i] += Double(grid[i]) }
    }

    /// Finishes a scene: its mean embedding and its keyframe, chosen among the candidates.
    /// Returns the scene and the chosen frame (whose picture is to be written).
    /// A very short scene cut on both sides whose frames all lie between the frame before it and the frame
    /// after it is the middle of a gradual transition (a crossfade, a fade in), not content of its own.
    ///
    /// "Between" means each frame is closer to both neighbours than they are to each other (embedding
    /// distance, or 1 − SSIM without embeddings). A genuinely short shot of something else is far from both.
    public var maximumTransitionFrames = 2

    private func isGradualTransition(_ frames: [AnalyzedFrame], before: AnalyzedFrame?, after: AnalyzedFrame?) -> Bool {
        guard let before, let after, !frames.isEmpty, frames.count <= maximumTransitionFrames else { return false }
        func d(_ a: AnalyzedFrame, _ b: AnalyzedFrame) -> Double {
            contentDistance((a.embedding?.vector, a.comparisonLuma), (b.embedding?.vector, b.comparisonLuma), ssim: ssimForChoice)
        }
        let across = d(before, after)
        return frames.allSatisfy { d(before, $0) < across && d($0, after) < across }
    }

    private mutating func close(_ scene: Scene, next: AnalyzedFrame? = nil) -> (scene: Scene, keyframe: AnalyzedFrame) {
        var scene = scene
        reclassifiedFrames = []
        if scene.frameCount == shortSceneFrames.count, !candidates.isEmpty {
            // The content frames of a short scene, and the frame just before the first of them (the previous
            // scene's last frame, or a blank frame this scene starts with).
            let firstContent = shortSceneFrames.firstIndex { f in candidates.contains { $0.sample.index == f.sample.index } }!
            let before = firstContent > 0 ? shortSceneFrames[firstContent - 1] : frameBeforeScene
            if isGradualTransition(candidates, before: before, after: next) {
                reclassifiedFrames = candidates.map(\.sample.index)
                transitionCandidates = shortSceneFrames
                candidates = []
            }
        }
        if candidates.isEmpty {
            // Nothing but transition frames: the scene stands for no content of its own; its keyframe
            // is still chosen among them, for the scene list.
            scene.transition = true
            for frame in transitionCandidates { accumulate(frame) }
            candidates = transitionCandidates
        }
        if let sum = embeddingSum {
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            scene.embedding = sum.map { Float(norm > 0 ? $0 / norm : 0) }
        }
        if let sum = gridSum { scene.grid = FeatureGrid(sum: sum, side: Embedding.gridSide) }
        let (index, centrality) = exemplarChoice.choose(candidates, centre: scene.embedding, ssim: ssimForChoice)
        let chosen = candidates[index]
        let s = chosen.sample
        scene.keyframe = Keyframe(frameIndex: s.index, timestamp: s.timestamp, seconds: s.seconds, path: nil,
                                  centrality: centrality, sharpness: chosen.quality.sharpness, exposure: chosen.quality.exposure, source: s.source)
        scene.keyframeLuma = chosen.comparisonLuma
        scene.keyframeVector = diversity != nil ? chosen.embedding?.vector : nil
        diverseFrames = []
        if let diversity, !scene.transition {
            var kept = [chosen]
            for c in candidates where c.sample.index != chosen.sample.index {
                let far = kept.allSatisfy {
                    contentDistance((c.embedding?.vector, c.comparisonLuma), ($0.embedding?.vector, $0.comparisonLuma), ssim: ssimForChoice) > diversity
                }
                if far {
                    kept.append(c)
                    diverseFrames.append(c)
                }
            }
        }
        candidates.removeAll()
        transitionCandidates.removeAll()
        shortSceneFrames.removeAll()
        candidateStride = 1
        framesInScene = 0
        return (scene, chosen)
    }

    /// Puts a fresh segmenter where one was right after the step that closed scene `sceneID − 1` and
    /// opened scene `sceneID` with `first` (a resumed run, see ``Checkpoint``): `before` is the frame
    /// decided just before `first`, `transition` what that step recorded for `first`. The next ``add(_:)``
    /// takes the frame after `first`, exactly as in the run that was interrupted.
    mutating func resume(first: AnalyzedFrame, before: AnalyzedFrame, transition: Bool, sceneID: Int) {
        precondition(current == nil && pending == nil, "resume a fresh segmenter only")
        let sample = first.sample
        nextSceneID = sceneID + 1
        current = Scene(
            id: sceneID, start: sample.seconds, end: sample.seconds, firstFrame: sample.index, frameCount: 1,
            keyframe: Keyframe(frameIndex: sample.index, timestamp: sample.timestamp, seconds: sample.seconds, path: nil, source: sample.source))
        reference = first
        previous = first
        frameBeforeScene = before
        shortSceneFrames = [first]
        embeddingSum = nil
        gridSum = nil
        recentChanges.removeAll()
        if transition { offerTransition(first) } else { accumulate(first) }
    }

    /// No more frames: decides the frame still held back (`last`) and closes the open scene, ended at
    /// `end` seconds, with its keyframe (`scene`; nil if no frame came).
    public mutating func finish(end: Double) -> (last: Step?, scene: (scene: Scene, keyframe: AnalyzedFrame)?) {
        let last = pending.map { decide($0, next: nil) }
        pending = nil
        guard var scene = current else { return (last, nil) }
        scene.end = max(end, scene.start)
        current = nil
        reference = nil
        previous = nil
        defer { frameBeforeScene = nil }  // its picture is not needed any more
        return (last, close(scene))
    }

}

import Pixels
import Similarity

/// How a frame's change from the previous frame compares with the scene's recent changes and with the
/// frame after it: the context an adaptive cut rule needs besides the frame's own scores.
public struct ChangeContext: Sendable, Equatable, Codable {
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
    /// With the calibrated rule: the model's probability that a cut lies between the previous frame and this one.
    public var cutProbability: Double?
    /// A dissolve's first and last frame (seconds): the first with some of the next shot mixed in, the first with
    /// (nearly) all of it. nil for other cuts.
    public var dissolveStart: Double?, dissolveEnd: Double?
    /// A flash the picture came back from (seconds): its first frame and the first frame after it, found in the
    /// frames decoded between the previous sample and this one, or around this sample when it is the flash.
    public var flashStart: Double?, flashEnd: Double?
    /// Where the brightness of the frames decoded since the previous sample began to move steadily towards this
    /// frame's (a fade's first frame), and where a steady move that began at the previous sample stopped (the first
    /// frame at the new brightness: a fade-in's end); nil when there is no such ramp inside the interval
    /// (``CutEvidence/brightnessRamp(in:)``).
    public var rampStart: Double?, rampEnd: Double?
    /// The first blank frame (``TransitionRule/isBlank(_:)``) among those decoded since the previous sample, when a
    /// fade passed through a colour between the two samples; nil when there is none or no frames between were decoded.
    public var blankBetween: Double?

    public init(recentLevel: Double? = nil, recentCount: Int = 0, nextChange: Double? = nil, nextToPrevious: Double? = nil,
                cutProbability: Double? = nil) {
        self.recentLevel = recentLevel
        self.recentCount = recentCount
        self.nextChange = nextChange
        self.nextToPrevious = nextToPrevious
        self.cutProbability = cutProbability
    }
}

/// Which part of ``SceneBoundaryRule`` cut.
public enum CutKind: String, Sendable, Codable {
    /// A large change to different content (a hard cut between unrelated shots).
    case jump
    /// A change small in absolute terms but far above the scene's recent level of change, after which the
    /// picture is calm again (a cut between similar shots: two regions of one set, a variant of the shot).
    case adaptive
    /// The calibrated model's probability of a cut reached its threshold (``SceneBoundaryRule/Method/calibrated``).
    case calibrated
    /// The frames between two samples are a dissolve's (or a fade's) middle: blends of the two ends
    /// (``CutEvidence/isDissolve(_:contentChange:)``); the scene starts where the mix passes half way.
    case dissolve
    /// A change spread over two sampling intervals, the sampled frame in its middle: the samples on either side
    /// differ in content as much as a clear cut, each step carries a good part of it and stands far above the
    /// scene's recent level, while neither step alone made a cut (``CutEvidence/isGradualAcrossTwoIntervals``): a
    /// dissolve or morph with motion in it, whose frames are no clean blend of their ends. The scene starts where
    /// the frames decoded between the samples have changed half of their total.
    case gradual

    /// A dissolve or another gradual change: the frame that opened the scene can be in its middle.
    public var isGradual: Bool { self == .dissolve || self == .gradual }
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
    /// How cuts are decided.
    public enum Method: String, Sendable, CaseIterable {
        /// All signals together (embedding change, SSIM to the previous frame, hash distance, each against its
        /// recent level, the next frame, and the frames decoded between the two samples) in a logistic model
        /// fitted on the dev set (``CutModel``, `scripts/fit-cut-rule.py`).
        case calibrated
        /// The embedding decides against the scene's recent level and the pixels confirm (described above).
        case ratio
    }

    /// Default ``Method/calibrated``.
    public var method: Method = .calibrated
    /// With ``Method/calibrated``: the probability at which a cut is made, 0–1; nil uses the model's own
    /// threshold (the one that maximises boundary F1 on the dev set's tune part, 0.38–0.49).
    public var cutProbability: Double? = nil
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

/// Marks transition frames: a frame that did not start a scene but changed far more from the previous
/// frame than the scene's recent frames did (a crossfade or a flash passing through), or a blank one.
///
/// "Change" is the embedding distance to the previous frame (1 − SSIM without embeddings). A frame is a
/// transition when its change is at least `ratio` × the mean change of the scene's non-transition frames of the
/// last `windowSeconds` (0.05 for embeddings, 0.2 for pixels, before there are any) and at least
/// `minimumChange`, or when it is blank (``isBlank(_:)``: its ``PictureQuality/exposure`` below `blankExposure` and
/// no edges).
/// Measured on the samples at 2 fps: the middle frame of a 1 s crossfade jumps 0.39 from a level of
/// 0.01; the fastest motion inside a shot (a tilted bottle) reaches 0.23, the bunny's 0.22.
public struct TransitionRule: Sendable, Equatable {
    public var ratio: Double = 4
    /// The scene's recent level is the mean change of its non-transition frames of the last this many seconds (at
    /// least the newest): 4 changes at 2 a second, 1 at 0.5 a second. A span in seconds, so the rule means the same at
    /// every sampling rate.
    public var windowSeconds: Double = 2
    public var minimumContentChange: Double = 0.3
    public var minimumPixelChange: Double = 0.6
    public var blankExposure: Double = 0.2
    /// ... and whose sharpness (``PictureQuality/sharpness``) is below this: a uniform picture. A white slide with
    /// text, a night sky with stars, are mostly near white or near black too, but they have edges (a text slide at
    /// 720p: 745); the blank frames of the tune part's fades measure at most 0.4.
    public var blankSharpness: Double = 25

    public init() {}

    /// A blank frame (black, white, one colour): nearly all its pixels near black or near white, and no edges.
    public func isBlank(_ quality: PictureQuality) -> Bool {
        quality.exposure < blankExposure && quality.sharpness < blankSharpness
    }
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
    public func choose(_ candidates: [FrameSignals], centre: [Float]?, ssim: StructuralSimilarity) -> (index: Int, centrality: Double) {
        precondition(!candidates.isEmpty)
        var centrality = [Double](repeating: 1, count: candidates.count)
        if let centre, candidates.allSatisfy({ $0.embedding != nil }) {
            for (i, c) in candidates.enumerated() { centrality[i] = dot(c.embedding!.vector[...], centre[...]) }
        } else if candidates.count > 1 {
            for i in candidates.indices {
                var total = 0.0
                for j in candidates.indices where j != i {
                    let a = candidates[i].luma, b = candidates[j].luma
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

extension CutEvidence {
    /// How many times the scene's own recent level (``isGradualBetweenMovingShots(before:after:across:sceneLevel:)``)
    /// a change across two sampling intervals must be, and the larger of its two steps. Measured on the tune part at 2
    /// frames a second with `python3 scripts/gradual-scan.py` (every frame embedded, the decisions of main before this
    /// rule): the one labelled dissolve between two moving film shots that the recent level of
    /// ``isGradualAcrossTwoIntervals(before:after:across:level:)`` hid measures 3.2 and 2.6; the one frame without a
    /// transition in the middle of a change of that shape across at least 0.3 (a film shot's motion) measures 2.0 and
    /// 1.9. Both limits lie between. The floor of 0.5 across is what keeps still shots out: below it, a photograph's
    /// frames reach 5.6 (a change of 0.30 across from a level of 0.05).
    static let movingShotsRatio = 2.5, movingShotsStepRatio = 2.0

    /// Whether a sampled frame lies in the middle of a change spread over two sampling intervals between two *moving*
    /// shots: the shape of ``isGradualAcrossTwoIntervals(before:after:across:level:)`` (`across` at least 0.5, each
    /// step at least 35% of it and neither reaching it), judged against `sceneLevel`, the mean embedding change of the
    /// scene's own content frames of the last ``TransitionRule/windowSeconds`` before the change (at least two, none
    /// of them the cut that opened the scene): `across` at least ``movingShotsRatio`` × it and the larger step at
    /// least ``movingShotsStepRatio`` × it (each + 0.005).
    ///
    /// The recent level of the other rule is the median change over the last 3 s *whatever the cuts in them*: after a
    /// run of short shots (Sintel's fight, cut every 0.9 s) it is the level of cuts (0.36), and a dissolve from a
    /// flickering hologram to a face (steps 0.49 and 0.31, 0.59 across: the tune part's `film-sintel-tos-1080p` at
    /// 3.3 s) was no change at all; against the hologram shot's own level (0.18) it stands out. A shot that moves
    /// that much (twice its level in one step) makes smaller changes across two intervals than a cut's lower
    /// quartile (0.45): none of the tune part's does at 2 frames a second. With fewer than two changes in the window (at
    /// 0.5 frames a second and sparser, one sample every 2 s) there is no such level, and only the other rule judges.
    static func isGradualBetweenMovingShots(before: Double, after: Double, across: Double, sceneLevel: Double) -> Bool {
        let base = sceneLevel + 0.005
        return isSpreadOverTwoIntervals(before: before, after: after, across: across)
            && across >= movingShotsRatio * base && max(before, after) >= movingShotsStepRatio * base
    }
}

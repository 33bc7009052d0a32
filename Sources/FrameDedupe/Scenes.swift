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

    private func similarity(_ a: AnalyzedFrame, _ b: AnalyzedFrame) -> Double {
        // The picture size changed mid-stream: nothing in common by definition.
        guard a.comparisonLuma.width == b.comparisonLuma.width, a.comparisonLuma.height == b.comparisonLuma.height else { return 0 }
        return ssim.similarity(a.comparisonLuma, b.comparisonLuma)
    }
}

/// The decision, separate from the scores: does a frame with these scores start a new scene?
///
/// A signal says "cut" when the frame has drifted from its scene's reference *and* changed abruptly
/// from the previous frame (a pan or zoom drifts without an abrupt change; a cut does both):
/// - pixels (`--scorer ssim`): SSIM to the reference < `ssimReference` and SSIM to the previous < `ssimCut`;
/// - content (`--scorer embed`): embedding distance to the reference > `embeddingReference` and to the
///   previous > `embeddingCut`.
///
/// With both (`--scorer both`, the default) the content signal finds the cut and the pixels must
/// confirm that the frame has left the reference (SSIM to the reference < `ssimReference`): a
/// brightness jump or a flash changes pixels but not content, and is no cut; an embedding jump on a
/// frame whose pixels still match the reference is no cut either. (Measured on the samples at 2 fps:
/// embedding distance to the previous frame is 0.78–0.83 at every cut and ≤ 0.23 inside shots, while
/// SSIM to the previous frame separates them only by 0.13 vs 0.19 at its best scale.)
/// Frames settled by identical hashes never cut.
public struct SceneBoundaryRule: Sendable, Equatable {
    public var ssimReference: Double
    public var ssimCut: Double
    public var embeddingReference: Double
    public var embeddingCut: Double

    public init(ssimReference: Double = 0.5, ssimCut: Double = 0.15, embeddingReference: Double = 0.4, embeddingCut: Double = 0.4) {
        self.ssimReference = ssimReference
        self.ssimCut = ssimCut
        self.embeddingReference = embeddingReference
        self.embeddingCut = embeddingCut
    }

    public func startsNewScene(_ s: FrameScores) -> Bool {
        if s.hashDistance == 0 { return false }
        let hasPixels = s.ssimToReference != nil || s.ssimToPrevious != nil
        let pixelDrift = (s.ssimToReference ?? 1) < ssimReference
        if let toReference = s.embeddingToReference, let toPrevious = s.embeddingToPrevious {
            let contentCut = toReference > embeddingReference && toPrevious > embeddingCut
            return hasPixels ? contentCut && pixelDrift : contentCut
        }
        return hasPixels && pixelDrift && (s.ssimToPrevious ?? 1) < ssimCut
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
    public let cut: Bool
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
    /// The mean of its frames' 3×3 feature grids (``Embedding/grid``), each cell L2-normalised: where things
    /// are in the picture, for the spatial check before two scenes may share a cluster.
    public internal(set) var grid: [Float]?
    /// True when every frame of the scene is a transition frame: such a scene never forms a cluster
    /// of its own and never gives an exemplar.
    public internal(set) var transition: Bool = false
    /// The keyframe's luma at the SSIM scale, for comparing scenes without embeddings.
    var keyframeLuma: LumaImage?
    /// The keyframe's own embedding (not the scene's mean), for `--keep diverse`.
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

    /// Adds the next frame; returns its record and the scene it closed (with its keyframe), if it started a new one.
    public mutating func add(_ frame: AnalyzedFrame) -> (record: FrameRecord, closed: (scene: Scene, keyframe: AnalyzedFrame)?) {
        let sample = frame.sample
        var closed: (scene: Scene, keyframe: AnalyzedFrame)? = nil
        var scores: FrameScores? = nil
        var transition = frame.quality.exposure < transitionRule.blankExposure
        if let reference, let previous, var scene = current {
            let s = scorer.score(frame, reference: reference, previous: previous)
            scores = s
            if rule.startsNewScene(s) && sample.seconds - scene.start >= minimumSceneLength {
                scene.end = sample.seconds
                closed = close(scene, next: frame)
                current = nil
            } else {
                scene.frameCount += 1
                current = scene
                if shortSceneFrames.count <= maximumTransitionFrames { shortSceneFrames.append(frame) }
                if let change = change(s) {
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
                keyframe: Keyframe(frameIndex: sample.index, timestamp: sample.timestamp, seconds: sample.seconds, path: nil))
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
            scene: current!.id, scores: scores, quality: frame.quality, cut: closed != nil, transition: transition)
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

    /// The frame-to-frame change the transition rule watches: embedding distance, else 1 − SSIM.
    private func change(_ s: FrameScores) -> Double? {
        if let e = s.embeddingToPrevious { return e }
        if let p = s.ssimToPrevious { return 1 - p }
        return nil
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
        if let sum = gridSum {
            let cells = Embedding.gridSide * Embedding.gridSide, n = sum.count / cells
            var grid = [Float](repeating: 0, count: sum.count)
            for c in 0..<cells {
                let cell = sum[c * n..<(c + 1) * n]
                let norm = cell.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for i in 0..<n { grid[c * n + i] = Float(norm > 0 ? sum[c * n + i] / norm : 0) }
            }
            scene.grid = grid
        }
        let (index, centrality) = exemplarChoice.choose(candidates, centre: scene.embedding, ssim: ssimForChoice)
        let chosen = candidates[index]
        let s = chosen.sample
        scene.keyframe = Keyframe(frameIndex: s.index, timestamp: s.timestamp, seconds: s.seconds, path: nil,
                                  centrality: centrality, sharpness: chosen.quality.sharpness, exposure: chosen.quality.exposure)
        scene.keyframeLuma = chosen.comparisonLuma
        scene.keyframeVector = chosen.embedding?.vector
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

    /// The open scene, ended at `end` seconds, with its keyframe; nil if no frame came.
    public mutating func finish(end: Double) -> (scene: Scene, keyframe: AnalyzedFrame)? {
        guard var scene = current else { return nil }
        scene.end = max(end, scene.start)
        current = nil
        reference = nil
        previous = nil
        return close(scene)
    }

}

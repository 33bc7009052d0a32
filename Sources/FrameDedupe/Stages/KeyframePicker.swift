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
/// Emits ``SceneEvent/sceneClosed(_:)`` in place of each ``SceneEvent/sceneEnded(_:)``; forwards the rest.
public final class KeyframePicker<Attachment>: FrameStage {
    public typealias Input = SceneEvent<Attachment>
    public typealias Output = SceneEvent<Attachment>

    public var maximumCandidates = 16
    public var exemplarChoice = ExemplarChoice()
    /// The first frames of a scene kept whole in case it turns out to be a gradual transition's middle: at least
    /// ``GradualTransitionDetector/maximumFrames`` + 1.
    public var shortSceneFrameLimit = 3

    private var candidates: [StageFrame<Attachment>] = []
    private var candidateStride = 1
    private var framesInScene = 0
    private var transitionCandidates: [StageFrame<Attachment>] = []
    private var shortSceneFrames: [StageFrame<Attachment>] = []
    private var embeddingSum: [Double]?
    private var gridSum: [Double]?
    private let ssim = StructuralSimilarity()

    public init() {}

    public var heldFrames: Int { 2 * maximumCandidates + shortSceneFrameLimit }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        switch input {
        case .frame(let record, let frame):
            if record.startsScene {
                shortSceneFrames = [frame]
                embeddingSum = nil
                gridSum = nil
            } else if shortSceneFrames.count < shortSceneFrameLimit {
                shortSceneFrames.append(frame)
            }
            if record.transition { offerTransition(frame) } else { accumulate(frame) }
        case .sceneEnded(let ended):
            return try emit(.sceneClosed(close(ended)))
        case .resumed(let point):
            shortSceneFrames = [point.first]
            embeddingSum = nil
            gridSum = nil
            if point.transition { offerTransition(point.first) } else { accumulate(point.first) }
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

    /// Keeps the first `maximumCandidates` transition frames of the scene, in case it has nothing else.
    private func offerTransition(_ frame: StageFrame<Attachment>) {
        if transitionCandidates.count < maximumCandidates { transitionCandidates.append(frame) }
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
            candidateStride = 1
            framesInScene = 0
        }
        if !ended.gradualTransitionFrames.isEmpty {
            transitionCandidates = shortSceneFrames
            candidates = []
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
        var closed = ClosedScene(scene: scene, keyframe: chosen, candidates: candidates, reclassifiedFrames: ended.gradualTransitionFrames)
        closed.cutHistory = ended.cutHistory
        return closed
    }
}

/// With `--keep diverse`: besides the keyframe, keeps every candidate farther than ``diversity`` (content distance:
/// cosine of embeddings, else 1 − SSIM) from the keyframe and from every other frame kept, in time order; with
/// ``diversity`` nil, keeps nothing more. Either way drops the candidates, so their pictures are released.
public final class DiversityPicker<Attachment>: FrameStage {
    public typealias Input = SceneEvent<Attachment>
    public typealias Output = SceneEvent<Attachment>

    public let diversity: Double?
    private let ssim = StructuralSimilarity()

    public init(diversity: Double?) { self.diversity = diversity }

    public var heldFrames: Int { 0 }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        guard case .sceneClosed(var closed) = input else { return try emit(input) }
        if let diversity {
            let chosen = closed.keyframe.signals
            closed.scene.keyframeVector = chosen.embedding?.vector
            if !closed.scene.transition {
                var kept = [chosen]
                for candidate in closed.candidates where candidate.signals.index != chosen.index {
                    let c = candidate.signals
                    guard kept.allSatisfy({ contentDistance((c.embedding?.vector, c.luma), ($0.embedding?.vector, $0.luma), ssim: ssim) > diversity })
                    else { continue }
                    kept.append(c)
                    closed.diverseFrames.append(candidate)
                }
            }
        }
        closed.candidates = []
        try emit(.sceneClosed(closed))
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {}
}

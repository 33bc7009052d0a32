import Similarity

/// What goes into the first scene stage: the sampled frames in time order, or where a resumed run goes on from.
public enum StageInput<Attachment> {
    case frame(StageFrame<Attachment>)
    case resume(ResumePoint<Attachment>)
}

/// Decides where scenes begin, in one streaming pass: each frame is scored against its scene's reference frame
/// (the scene's first) and the previous frame, and its change is judged against the scene's recent level of
/// change with one frame of lookahead (``SceneBoundaryRule``); frames that change far more than the scene's recent
/// ones, or are blank, are marked as transition frames (``TransitionRule``); no cut comes within
/// ``minimumSceneLength`` of a scene's start.
///
/// These three rules are one state machine, not three stages: the recent level the cut rule judges by leaves
/// transition frames out, a frame is a transition frame only if it did not cut, and a cut the minimum length
/// holds back keeps the scene's reference frame. Comparing with the reference, not only the previous frame,
/// keeps slow drift from chaining a whole video into one scene.
///
/// Emits, per frame, ``SceneEvent/frame(_:_:)`` with its record — one frame after it arrives, as the rule looks
/// ahead — preceded by ``SceneEvent/sceneEnded(_:)`` when the frame opens a new scene. Holds one frame with its
/// attachment (the undecided one); the reference and previous frames only as signals.
public final class CutDetector<Attachment, Scorer: FrameScorer>: FrameStage {
    public typealias Input = StageInput<Attachment>
    public typealias Output = SceneEvent<Attachment>

    private var scorer: Scorer
    public let rule: SceneBoundaryRule
    public var transitionRule = TransitionRule()
    /// No cut within this many seconds of a scene's start (`--min-scene-length`); 0 allows every cut.
    public var minimumSceneLength: Double = 0

    private var pending: StageFrame<Attachment>?
    private var reference: FrameSignals?
    private var previous: FrameSignals?
    /// The open scene: id, start, first frame, frames so far.
    private var open: (id: Int, start: Double, firstFrame: Int, frameCount: Int)?
    private var nextSceneID = 0
    /// Recent frame-to-frame changes of the open scene's non-transition frames.
    private var recentChanges: [Double] = []

    public init(scorer: Scorer, rule: SceneBoundaryRule) {
        self.scorer = scorer
        self.rule = rule
    }

    public var heldFrames: Int { 1 }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        switch input {
        case .frame(let frame):
            defer { pending = frame }
            if let pending { try decide(pending, next: frame.signals, emit: emit) }
        case .resume(let point):
            resume(point)
            try emit(.resumed(point))
        }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {
        if let last = pending {
            pending = nil
            try decide(last, next: nil, emit: emit)
        }
        guard let scene = open else { return }
        open = nil
        reference = nil
        previous = nil
        try emit(.sceneEnded(EndedScene(id: scene.id, start: scene.start, end: max(end, scene.start), firstFrame: scene.firstFrame,
                                        frameCount: scene.frameCount, next: nil)))
    }

    private func decide<E: Error>(_ frame: StageFrame<Attachment>, next: FrameSignals?, emit: (Output) throws(E) -> Void) throws(E) {
        let f = frame.signals
        var scores: FrameScores? = nil
        var cutKind: CutKind? = nil
        var context: ChangeContext? = nil
        var transition = f.quality.exposure < transitionRule.blankExposure
        if let reference, let previous, var scene = open {
            let s = scorer.score(f, reference: reference, previous: previous)
            scores = s
            (cutKind, context) = judge(f, scores: s, previous: previous, next: next, sceneStart: scene.start)
            if cutKind != nil {
                open = nil
                try emit(.sceneEnded(EndedScene(id: scene.id, start: scene.start, end: f.seconds, firstFrame: scene.firstFrame,
                                                frameCount: scene.frameCount, next: f)))
            } else {
                scene.frameCount += 1
                open = scene
                if let change = SceneBoundaryRule.change(s), isTransition(change: change, embeddings: s.embeddingToPrevious != nil) {
                    transition = true
                }
                if !transition, let change = SceneBoundaryRule.change(s) {
                    recentChanges.append(change)
                    if recentChanges.count > transitionRule.window { recentChanges.removeFirst() }
                }
            }
        }
        if open == nil {
            open = (nextSceneID, f.seconds, f.index, 1)
            nextSceneID += 1
            reference = f
            recentChanges.removeAll()
        }
        previous = f
        let record = FrameRecord(index: f.index, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, scene: open!.id,
                                 scores: scores, quality: f.quality, cutKind: cutKind, context: context, transition: transition)
        try emit(.frame(record, frame))
    }

    /// The cut rule's verdict on a frame and the context it judged by; only a jump asks whether the picture
    /// comes back (the next frame compared with the one before this).
    private func judge(_ f: FrameSignals, scores s: FrameScores, previous: FrameSignals, next: FrameSignals?,
                       sceneStart: Double) -> (CutKind?, ChangeContext) {
        var c = ChangeContext(
            recentLevel: recentLevel, recentCount: recentChanges.count, nextChange: next.flatMap { scorer.change(from: f, to: $0) })
        var cut = rule.cut(s, context: c)
        if cut == .jump, let next {
            c.nextToPrevious = scorer.change(from: previous, to: next)
            cut = rule.cut(s, context: c)
        }
        if cut != nil && f.seconds - sceneStart < minimumSceneLength { cut = nil }
        return (cut, c)
    }

    /// The mean of the open scene's recent changes; nil before there are any.
    private var recentLevel: Double? { recentChanges.isEmpty ? nil : recentChanges.reduce(0, +) / Double(recentChanges.count) }

    /// Whether a frame that did not cut changed so much more than the scene's recent frames that it is passing
    /// through a transition (the level before there is any: 0.05 for embeddings, 0.2 for pixels).
    private func isTransition(change: Double, embeddings: Bool) -> Bool {
        let level = recentLevel ?? (embeddings ? 0.05 : 0.2)
        let minimum = embeddings ? transitionRule.minimumContentChange : transitionRule.minimumPixelChange
        return change >= minimum && change >= transitionRule.ratio * level
    }

    /// Puts the detector where it was right after `point.first` opened scene `point.sceneID`.
    private func resume(_ point: ResumePoint<Attachment>) {
        precondition(open == nil && pending == nil, "resume a fresh cut detector only")
        let f = point.first.signals
        nextSceneID = point.sceneID + 1
        open = (point.sceneID, f.seconds, f.index, 1)
        reference = f
        previous = f
        recentChanges.removeAll()
    }
}

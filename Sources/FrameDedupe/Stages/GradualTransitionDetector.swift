import Similarity

/// Finds the scenes that are really the middle of a gradual transition: a very short scene, cut on both sides,
/// whose content frames all lie between the frame before it and the frame after it (a crossfade, a fade in).
/// Their frames become transition frames (``EndedScene/gradualTransitionFrames``) and the scene stands for no
/// content of its own.
///
/// "Between" means each frame is closer to both neighbours than they are to each other and about on the way from one
/// to the other (``CutEvidence/blendSlack``; embedding distance, or 1 − SSIM without embeddings, ``contentDistance(_:_:ssim:)``),
/// and the scene lasts at most ``maximumSeconds``, and neither of its cuts is a hard cut in the frames decoded between
/// the samples (``CutEvidence/cutsSharply(from:to:)``). A genuinely short shot of something else is far from both. Holds the signals of the open scene's first `maximumFrames + 1` frames and of the frame before it.
public final class GradualTransitionDetector<Attachment>: FrameStage {
    public typealias Input = SceneEvent<Attachment>
    public typealias Output = SceneEvent<Attachment>

    /// Scenes of at most this many content frames can be a transition's middle.
    public var maximumFrames = 2
    /// ... and of at most this many seconds (the longest transition of the dev set, a fade, lasts 2.5 s): at a sparse
    /// rate, two samples can span a whole shot.
    public var maximumSeconds = 3.0
    /// The open scene's first frames (at most `maximumFrames + 1`) and whether each is a transition frame.
    private var shortScene: [(frame: FrameSignals, transition: Bool)] = []
    /// The last frame of the scene before the open one, when the open one started with a cut.
    private var before: FrameSignals?
    private var last: FrameSignals?
    private let ssim = StructuralSimilarity()

    public init() {}

    /// Signals only, no attachments.
    public var heldFrames: Int { 0 }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        switch input {
        case .frame(let record, let frame):
            if record.startsScene {
                shortScene = [(frame.signals, record.transition)]
            } else if shortScene.count <= maximumFrames {
                shortScene.append((frame.signals, record.transition))
            }
            last = frame.signals
        case .sceneEnded(var scene):
            scene.gradualTransitionFrames = gradualTransitionFrames(of: scene)
            before = scene.next != nil ? last : nil
            shortScene = []
            return try emit(.sceneEnded(scene))
        case .resumed(let point):
            shortScene = [(point.first.signals, point.transition)]
            before = point.before
            last = point.first.signals
        case .sceneClosed:
            break
        }
        try emit(input)
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {}

    /// The content frames of `scene` when it is the middle of a gradual transition, else none.
    private func gradualTransitionFrames(of scene: EndedScene) -> [Int] {
        guard scene.frameCount == shortScene.count, let firstContent = shortScene.firstIndex(where: { !$0.transition }) else { return [] }
        let content = shortScene.filter { !$0.transition }.map(\.frame)
        // The frame just before the first content frame: the previous scene's last, or a blank frame this scene starts with.
        let preceding = firstContent > 0 ? shortScene[firstContent - 1].frame : before
        guard let preceding, let after = scene.next, content.count <= maximumFrames else { return [] }
        func d(_ a: FrameSignals, _ b: FrameSignals) -> Double {
            contentDistance((a.embedding?.vector, a.luma), (b.embedding?.vector, b.luma), ssim: ssim)
        }
        guard scene.end - scene.start <= maximumSeconds else { return [] }
        // A hard cut on either side (the frames decoded between the samples change in one step): a short shot of its
        // own, however near the middle of its neighbours its content lies (two regions of one photograph, two views
        // of one wall); a transition's frames change step by step.
        if CutEvidence.cutsSharply(from: preceding, to: shortScene[firstContent].frame)
            || shortScene.last.map({ CutEvidence.cutsSharply(from: $0.frame, to: after) }) == true { return [] }
        // Without the frames between the samples (key frames only), the pixels say whether a sample is a mixture of its
        // neighbours, as a transition's middle is: another view of one place lies between them in embedding distance
        // but is no mixture of their pictures.
        let framesBetween = !shortScene[firstContent].frame.intermediateFrames.isEmpty || !after.intermediateFrames.isEmpty
        if !framesBetween, content.contains(where: { CutEvidence.blendResidual($0.luma, between: preceding.luma, and: after.luma) > CutEvidence.blendResidualLimit }) {
            return []
        }
        let across = d(preceding, after)
        return content.allSatisfy({ x in
            let from = d(preceding, x), to = d(x, after)
            return from < across && to < across && from + to <= CutEvidence.blendSlack * across
        }) ? content.map(\.index) : []
    }
}

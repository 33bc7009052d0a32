import Decoder
import Pixels
import Similarity

/// What the scene stages know of one sampled frame: where it is in time and what the scorers measured of it.
/// Plain values only — no decoded picture — so every rule of the pipeline can be tested without video.
public struct FrameSignals: Sendable {
    /// 0, 1, 2… in sampling order (``SampledFrame/index``).
    public let index: Int
    /// The decoded frame's ordinal from the start of the stream.
    public let ordinal: Int
    public let timestamp: Timestamp
    /// Seconds from the stream's start.
    public let seconds: Double
    /// The picture's file, for a folder of images or a numbered pattern (nil for video).
    public let source: String?
    public let hash: FrameHash
    /// The luma at the coarse scale SSIM compares at (``DedupeOptions/ssimShortSide``).
    public let luma: LumaImage
    /// Sharpness and exposure of the analysis luma, for choosing keyframes.
    public let quality: PictureQuality
    /// The network's embedding (nil when the scorer does not use it).
    public internal(set) var embedding: Embedding?
    /// The frame did not go through the network: the pixels settled its cut decisions (``NetworkGate``, `--network-frames
    /// cascade`), and `embedding` is the last embedded frame's, a stand-in for the scene's mean and the outputs. The cut
    /// rules measure no embedding change from or to it.
    public internal(set) var embeddingIsStandIn = false
    /// The luma as a tiny thumbnail (``Thumbnail``), to compare with the frames decoded before it.
    public let thumbnail: LumaImage?
    /// The frames decoded since the previous sampled frame, as thumbnails (``SampledFrame/intermediateFrames``).
    public let intermediateFrames: [IntermediateFrame]
    /// The luma at analysis size (``ReaderOptions/analysisShortSide``, 256 pixels on the short side), from which a
    /// keyframe's local features are taken for geometric verification (nil: none, and no features).
    public let analysisLuma: LumaImage?
    /// The part of `analysisLuma` inside letterbox, pillarbox or windowbox bars (``BlackBarDetector/activePicture(of:limit:)``,
    /// computed with the signals, on the decoding thread in a run); nil without `analysisLuma` or for a frame without content.
    public let content: PictureRect?
    /// `content` in the pixels of the decoded picture (of `pictureSize`): what the network sees and scenes.json records.
    public let activeArea: PictureRect?
    /// When bars surround the picture: `luma` and `hash` of the active picture alone (`content`, area-downscaled to
    /// `luma`'s shorter side), what the cut rule compares (``sharedActivePicture(_:_:)``); nil without bars.
    let activeLuma: LumaImage?
    let activeHash: FrameHash?
    /// The input's last frame, sampled off the sampling grid at the input's end (``SampledFrame/endsInput``).
    public var endsInput = false
    /// The first decoded frame of a new shot since the previous sample, when the largest thumbnail step there is at least
    /// ``ShotStart/minimumStep`` (``SampledFrame/shotStart``): a scene that a hard cut opens at its time takes its local features too
    /// (``Scene/shotStartFeatures``).
    public var shotStart: ShotStart? = nil

    /// - Parameter pictureSize: The decoded picture's size, of which `analysisLuma` is a scale (nil: `analysisLuma`'s).
    public init(index: Int, ordinal: Int, timestamp: Timestamp, seconds: Double, source: String? = nil,
                hash: FrameHash, luma: LumaImage, quality: PictureQuality, embedding: Embedding? = nil,
                thumbnail: LumaImage? = nil, intermediateFrames: [IntermediateFrame] = [], analysisLuma: LumaImage? = nil,
                pictureSize: (width: Int, height: Int)? = nil) {
        self.index = index
        self.ordinal = ordinal
        self.timestamp = timestamp
        self.seconds = seconds
        self.source = source
        self.hash = hash
        self.luma = luma
        self.quality = quality
        self.embedding = embedding
        self.thumbnail = thumbnail
        self.intermediateFrames = intermediateFrames
        self.analysisLuma = analysisLuma
        let content = analysisLuma.flatMap { BlackBarDetector.activePicture(of: $0) }
        self.content = content
        if let content, let analysisLuma, let size = pictureSize {
            activeArea = content.scaled(from: (analysisLuma.width, analysisLuma.height), toWidth: size.width, height: size.height)
        } else {
            activeArea = content
        }
        if let content, let analysisLuma, content != PictureRect(width: analysisLuma.width, height: analysisLuma.height) {
            let inside = analysisLuma.cropped(to: content)
            activeLuma = inside.areaDownscaled(shortSide: min(luma.width, luma.height))
            activeHash = FrameHash(inside)
        } else {
            activeLuma = nil
            activeHash = nil
        }
    }

    /// A keyframe naming this frame (no image path yet).
    func keyframe() -> Keyframe {
        Keyframe(frameIndex: index, timestamp: timestamp, seconds: seconds, path: nil, source: source)
    }
}

/// A frame on its way through the stages: its signals, and what the pipeline attached to it for its own use.
/// The stages carry the attachment along without reading it: in `run` it is the frame's images as they are to be
/// written (``FrameImages``: encoded when the frame was decoded, or for a picture up to 720p the decoded picture),
/// kept until the frame can no longer become a keyframe; in tests and `tune`, nothing.
public struct StageFrame<Attachment> {
    public var signals: FrameSignals
    public let attachment: Attachment

    public init(_ signals: FrameSignals, attachment: Attachment) {
        self.signals = signals
        self.attachment = attachment
    }
}

extension StageFrame: Sendable where Attachment: Sendable {}

extension StageFrame where Attachment == Void {
    public init(_ signals: FrameSignals) { self.init(signals, attachment: ()) }
}

/// One step of the scene pipeline, in the shape of PySceneDetect's detectors and swift-nio's handlers: it takes
/// its inputs in time order, emits what it has decided as soon as it can, and is told when the input ends.
///
/// A stage holds at most ``heldFrames`` frames between two calls (its look-back), so the memory of a chain is
/// bounded by the sum over its stages, whatever the input's length. Stages are classes: a chain passes each
/// output of one stage straight into the next.
public protocol FrameStage<Input, Output>: AnyObject {
    associatedtype Input
    associatedtype Output

    /// The most frames (with their attachments) the stage holds between two calls.
    var heldFrames: Int { get }

    /// Takes the next input; calls `emit` with each output it can give now, in order.
    func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E)

    /// The input ended; `end` is where, in seconds from the stream's start (the end of its last decoded frame).
    /// Emits everything still held back.
    func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E)
}

extension FrameStage {
    /// This stage, then `next`: what this one emits goes into `next`.
    public func then<Next: FrameStage>(_ next: Next) -> StageChain<Self, Next> where Next.Input == Output {
        StageChain(self, next)
    }
}

/// Two stages one after the other.
public final class StageChain<First: FrameStage, Second: FrameStage>: FrameStage where First.Output == Second.Input {
    public let first: First
    public let second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public var heldFrames: Int { first.heldFrames + second.heldFrames }

    public func process<E: Error>(_ input: First.Input, emit: (Second.Output) throws(E) -> Void) throws(E) {
        let second = second
        try first.process(input) { (output: First.Output) throws(E) in try second.process(output, emit: emit) }
    }

    public func finish<E: Error>(end: Double, emit: (Second.Output) throws(E) -> Void) throws(E) {
        let second = second
        try first.finish(end: end) { (output: First.Output) throws(E) in try second.process(output, emit: emit) }
        try second.finish(end: end, emit: emit)
    }
}

/// What the scene stages tell each other and the run, in time order.
public enum SceneEvent<Attachment> {
    /// A frame was decided: its record (scene, scores, cut, transition mark) and the frame.
    case frame(FrameRecord, StageFrame<Attachment>)
    /// The open scene ended: at a cut (before the frame that opens the next scene) or at the end of the input.
    case sceneEnded(EndedScene)
    /// A scene is final: its keyframe is chosen (``KeyframePicker``), its diverse frames too (``DiversityPicker``).
    case sceneClosed(ClosedScene<Attachment>)
    /// A resumed run goes on from a checkpoint: the stages are where they were right after `first` opened
    /// scene `sceneID` (see ``ResumePoint``). Nothing is recorded for `first` again.
    case resumed(ResumePoint<Attachment>)
}

/// A scene the cut detector has ended: its span, and what the stages after it need to judge it.
public struct EndedScene: Sendable {
    /// 0, 1, 2… in time order.
    public let id: Int
    /// Seconds from the stream's start to its first sampled frame, and to the next scene's first (or the end).
    public let start: Double
    public let end: Double
    /// Index of its first sampled frame.
    public let firstFrame: Int
    /// How many sampled frames it has.
    public let frameCount: Int
    /// The frame that opens the next scene; nil when the input ended.
    public let next: FrameSignals?
    /// Frames of the scene found to be the middle of a gradual transition (by index; ``GradualTransitionDetector``).
    public internal(set) var gradualTransitionFrames: [Int] = []
    /// The cut detector's recent changes when the scene ended at a cut: a resumed run goes on with them.
    public internal(set) var cutHistory: [CutChange] = []
    /// When a gradual change closes the scene (the next scene opened by a dissolve or another gradual change, or by a fade
    /// through a blank frame between the samples): where it begins, the frame before its first mixed frame
    /// (``ChangeContext/dissolveStart``, a frame earlier still as it may come late), from which on the scene's samples
    /// may hold the start of the mix. nil after a hard cut and at the input's end.
    public let closingChangeStart: Double?

    public init(id: Int, start: Double, end: Double, firstFrame: Int, frameCount: Int, next: FrameSignals?, closingChangeStart: Double? = nil) {
        self.id = id
        self.start = start
        self.end = end
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        self.next = next
        self.closingChangeStart = closingChangeStart
    }
}

/// A scene with its keyframe chosen, the keyframe's frame (whose image is to be written) and the frames it was
/// chosen among.
public struct ClosedScene<Attachment> {
    public internal(set) var scene: Scene
    /// The keyframe's frame.
    public let keyframe: StageFrame<Attachment>
    /// The frames the keyframe was chosen among (at most ``KeyframePicker/maximumCandidates``, spread over the
    /// scene); emptied once ``DiversityPicker`` has looked at them.
    public internal(set) var candidates: [StageFrame<Attachment>]
    /// With `--keep diverse`: candidates far enough from the keyframe and from each other to be kept as well.
    public internal(set) var diverseFrames: [StageFrame<Attachment>] = []
    /// The local features of each of `diverseFrames` (nil: no analysis luma, or no geometric check).
    public internal(set) var diverseFeatures: [LocalFeatures?] = []
    /// Frames of the scene that turned out to be transition frames (by index), after their records were emitted.
    public let reclassifiedFrames: [Int]
    /// The cut detector's recent changes when the scene ended (``EndedScene/cutHistory``).
    public internal(set) var cutHistory: [CutChange] = []
}

/// Where a resumed run goes on from, as a checkpoint recorded it: the position (0, 1, 2… among the frames handed
/// out) of the frame that opened scene `sceneID`, whether it was a transition frame, where the scene starts, and
/// the cut detector's recent changes then.
public struct Restart: Sendable, Equatable, Codable {
    public let position: Int
    public let transition: Bool
    public let sceneID: Int
    /// The scene's start in seconds (its cut's frame); nil: its first frame's time.
    public let start: Double?
    public let cutHistory: [CutChange]
    /// How the scene's opening frame cut (a dissolve that spans two pairs of samples cuts once).
    public let openingCut: CutKind?

    public init(position: Int, transition: Bool, sceneID: Int, start: Double? = nil, cutHistory: [CutChange] = [], openingCut: CutKind? = nil) {
        self.position = position
        self.transition = transition
        self.sceneID = sceneID
        self.start = start
        self.cutHistory = cutHistory
        self.openingCut = openingCut
    }
}

/// Where a resumed run goes on from: the frame that opened the scene still open when the run stopped.
public struct ResumePoint<Attachment> {
    /// The frame that opened scene `restart.sceneID`.
    public let first: StageFrame<Attachment>
    /// The frame decided just before it (the previous scene's last).
    public let before: FrameSignals
    public let restart: Restart
    /// Whether `first` was recorded as a transition frame.
    public var transition: Bool { restart.transition }

    public init(first: StageFrame<Attachment>, before: FrameSignals, restart: Restart) {
        self.first = first
        self.before = before
        self.restart = restart
    }
}

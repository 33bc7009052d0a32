import Decoder
import Pixels
import Similarity

/// One sampled frame in the results.
public struct FrameRecord: Sendable, Equatable, Codable {
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

    public init(index: Int, ordinal: Int, timestamp: Timestamp, seconds: Double, scene: Int, scores: FrameScores?,
                quality: PictureQuality, cutKind: CutKind?, context: ChangeContext?, transition: Bool) {
        self.index = index
        self.ordinal = ordinal
        self.timestamp = timestamp
        self.seconds = seconds
        self.scene = scene
        self.scores = scores
        self.quality = quality
        self.cutKind = cutKind
        self.context = context
        self.transition = transition
    }
}

/// A run of temporally adjacent near-duplicate frames.
public struct Scene: Sendable, Equatable, Codable {
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
    /// The keyframe's luma at the SSIM scale, for comparing scenes without embeddings and for a keyframe match in one
    /// patch (``CopyPictures/keyframeLuma``).
    public internal(set) var keyframeLuma: LumaImage?
    /// The keyframe's own embedding (not the scene's mean), for `--keep diverse` (nil otherwise: 5 KB a scene).
    var keyframeVector: [Float]?
    /// The keyframe's local features, taken inside the scene's active picture (the union of its frames' content
    /// inside black bars), for geometric verification (``GeometricVerifier``): 20–37 KB a scene; nil without an
    /// analysis luma.
    public internal(set) var features: LocalFeatures?
    /// The local features of another moment of the scene than its keyframe (``SceneMoments``: the end of the scene
    /// farther from the keyframe, unless sampled sparsely or still, and not a sample that still shows the scene across a
    /// hard cut), taken inside the same area as ``features``: a copy
    /// of a moving shot is verified on these too (``ClusterOptions/verifiesMoments``), since its keyframe may show
    /// another moment. Empty without ``features``, for a still, one-frame or sparsely sampled scene.
    public internal(set) var momentFeatures: [LocalFeatures] = []
    /// The sampled frames (by ``FrameRecord/index``) ``momentFeatures`` were taken from, in the same order.
    public internal(set) var momentFrames: [Int] = []
    /// The local features of the shot's first decoded frame (``ShotStart``), when a hard cut opened the scene there or the
    /// scene is the input's first, taken inside the same area as ``features``: the one picture of a shot that is the same
    /// moment in each copy of it that starts where it does, wherever the samples fell (``ClusterOptions/verifiesShotStarts``).
    /// Nil without ``features``, after a gradual cut, when the cut was not found at a decoded frame's step, when the scene
    /// was sampled sparsely (``KeyframePicker/shotStartPictures``), when the scene's first sample still shows the scene
    /// before the cut (``SceneMoments``: a morph cut in its first half), and when that frame is the keyframe's picture again
    /// (``shotStartIsKeyframe``).
    public internal(set) var shotStartFeatures: LocalFeatures?
    /// The shot's first decoded frame is the keyframe's picture again (the keyframe itself, or a frame as like it as a
    /// still's: ``SceneMoments/stillSimilarity``): ``features`` stand for its own.
    public internal(set) var shotStartIsKeyframe = false
    /// The scene's picture inside letterbox, pillarbox or windowbox bars, in the pixels of its decoded frames (and of its
    /// keyframe image): the union of its frames' (``BlackBarDetector/activePicture(of:limit:)``); the whole frame
    /// without bars; nil when unknown (no frame with content).
    public internal(set) var activeArea: PictureRect?
}

/// The image chosen to stand for a scene, with the scores that chose it.
public struct Keyframe: Sendable, Equatable, Codable {
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

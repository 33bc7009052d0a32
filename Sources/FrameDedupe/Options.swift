import Decoder
import Foundation
import Pixels
import Similarity

/// Everything that decides what one run produces.
public struct DedupeOptions: Sendable {
    public var reader = ReaderOptions()
    /// Which signals score frames.
    public var scorer: ScorerKind = .both
    /// The scene-cut thresholds.
    public var rule = SceneBoundaryRule()
    /// No cut within this many seconds of a scene's start: shorter scenes are absorbed into the one before.
    public var minimumSceneLength: Double = 0
    /// Shorter side in pixels of the luma SSIM compares (area-downscaled from the analysis luma).
    /// Coarse on purpose: at 2 fps, pans and zooms move fine detail far more than a cut moves the composition.
    public var ssimShortSide: Int = 32
    /// The embedding network's weights; nil looks in the default place (see ``EfficientNetVariant/defaultModelLocation(environment:)``).
    public var model: URL? = nil
    public var modelVariant: EfficientNetVariant = .lite0
    /// How frames are shown to the network.
    public var networkInput: NetworkInput = .whole
    /// Frames embedded together (larger batches make the network's matrix products more efficient).
    public var batchSize: Int = 8
    /// Threads for the network (the decoder has its own threads): a batch is split between them by frame
    /// (``EfficientNetLite/threads``); a single frame, and the clustering's matrix products, use this many
    /// OpenBLAS threads.
    public var linearAlgebraThreads: Int = 1
    /// Whether the network may embed two batches at once, the second on a thread of its own (with buffers of its own,
    /// ~11 MB for a batch of 8, allocated when first used), when a whole batch of frames waits for it,
    /// ``linearAlgebraThreads`` is 1 and the pictures are at most 720p (see ``Embedder``). The embeddings are the same
    /// bits either way. The command line turns it off when it analyses several inputs at once (`-j`): their own
    /// threads keep the cores busy.
    public var overlappingBatches: Bool = true
    /// A frame unchanged since the last frame the network saw takes that frame's embedding instead of a network
    /// call (``UnchangedFrameRule``); nil: every sampled frame goes through the network.
    public var unchangedFrames: UnchangedFrameRule? = UnchangedFrameRule()
    /// Which sampled frames go through the network: every one, or only those near a cut decision the pixels leave
    /// open (``NetworkFrames/cascade``, ``NetworkGate``, issue 19). Default: the cascade, whose gate keeps a fifth of
    /// the tune part's frames at 2 frames a second off the network with every scene, cluster and keyframe of the tune
    /// part unchanged (the recent levels spread the change across a run of stand-ins over its pairs, ``CutDetector``).
    /// Applies to `run` (and `tune`), not to `embed`.
    public var networkFrames: NetworkFrames = .cascade

    /// Which frames go through the network in this run: ``networkFrames``, except with key frames only
    /// (`--decode keyframes`), where no frames are decoded between the samples for the gate to read: every frame.
    var networkFramesInEffect: NetworkFrames { reader.decode == .keyframes ? .all : networkFrames }
    /// Image format of exported keyframes.
    public var imageFormat: StillImageFormat = .jpg
    /// Longest side of exported images in pixels; nil keeps the video's size.
    public var maxSide: Int? = nil
    /// JPEG quality as FFmpeg's -q:v (2 best … 31 worst).
    public var jpegQuality: Int = 3
    /// How scenes are grouped by content.
    public var clustering = ClusterOptions()
    /// Which images go to `unique/`.
    public var keep: KeepPolicy = .cluster
    /// Also write the merge tree as `dendrogram.json` and `dendrogram.svg`.
    public var dendrogram: Bool = false
    /// With `--keep diverse`: the content distance (cosine, or 1 − SSIM without embeddings) beyond which a frame is new.
    public var diversity: Double = 0.15
    /// Go on from the checkpoint an earlier run of the same input and options left in the output folder
    /// (`--resume`, see ``Checkpoint``) instead of starting afresh.
    public var resume: Bool = false
    /// Also write `report.html` (``ReportWriter``) into the output folder.
    public var report: Bool = true
    /// What the output folder may replace (`--overwrite`); the input is always protected.
    public var output = OutputPolicy()
    /// What the tests inject (fault points, the checkpoint's compaction size); nothing in normal runs.
    @_spi(Testing) public var testHooks = TestHooks()

    public init() {}
}

/// Which images go to `unique/`.
public enum KeepPolicy: String, Sendable, CaseIterable {
    /// One per cluster: its exemplar.
    case cluster
    /// One per scene: its keyframe (transition scenes excepted).
    case scene
    /// Per cluster, its exemplar and every frame farther than ``DedupeOptions/diversity`` from all frames
    /// already kept in the cluster (candidates: each scene's keyframe and up to 16 frames spread over it).
    case diverse
}

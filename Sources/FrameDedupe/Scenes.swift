import Decoder
import Pixels
import Similarity

/// The scores of one sampled frame against its scene's reference frame: data, not decisions.
public struct FrameScores: Sendable, Equatable {
    /// Hamming distance of the perceptual hashes to the reference (0 = identical hashes).
    public var hashDistance: Int
    /// SSIM of the luma to the reference's; nil when the hashes were identical and SSIM was skipped.
    public var ssimToReference: Double?

    public init(hashDistance: Int, ssimToReference: Double?) {
        self.hashDistance = hashDistance
        self.ssimToReference = ssimToReference
    }
}

/// A sampled frame with what the scorers need from it, computed once.
public struct AnalyzedFrame: Sendable {
    public let sample: SampledFrame
    public let hash: FrameHash

    public init(_ sample: SampledFrame) {
        self.sample = sample
        self.hash = FrameHash(sample.luma)
    }
}

/// Scores a frame against a reference frame.
public protocol FrameScorer {
    mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame) -> FrameScores
}

/// Hash first, SSIM second: frames whose 64-bit hashes are identical to the reference's skip SSIM.
public struct PixelScorer: FrameScorer {
    private let ssim = StructuralSimilarity()

    public init() {}

    public mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame) -> FrameScores {
        let distance = frame.hash.distance(to: reference.hash)
        if distance == 0 { return FrameScores(hashDistance: 0, ssimToReference: nil) }
        guard frame.sample.luma.width == reference.sample.luma.width, frame.sample.luma.height == reference.sample.luma.height else {
            // The picture size changed mid-stream: a new scene by definition.
            return FrameScores(hashDistance: distance, ssimToReference: 0)
        }
        return FrameScores(hashDistance: distance, ssimToReference: ssim.similarity(frame.sample.luma, reference.sample.luma))
    }
}

/// The decision step, separate from the scores: does a frame with these scores start a new scene?
public protocol SceneBoundaryRule: Sendable {
    func startsNewScene(_ scores: FrameScores) -> Bool
}

/// A frame stays in its scene while its SSIM to the scene's reference is at least `threshold`.
public struct SSIMBoundaryRule: SceneBoundaryRule {
    public var threshold: Double

    public init(threshold: Double) { self.threshold = threshold }

    public func startsNewScene(_ scores: FrameScores) -> Bool {
        guard let ssim = scores.ssimToReference else { return false }
        return ssim < threshold
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
    public let keyframe: Keyframe
}

/// The image chosen to stand for a scene.
public struct Keyframe: Sendable, Equatable {
    public let frameIndex: Int
    public let timestamp: Timestamp
    public let seconds: Double
    /// Path relative to the output folder, nil when images are not written.
    public internal(set) var path: String?
}

/// Groups a stream of frames into scenes in one pass, comparing each frame with its scene's
/// reference (the scene's first frame), never only with the previous frame, so slow drift cannot
/// chain a whole video into one scene.
public struct SceneSegmenter<Scorer: FrameScorer> {
    private var scorer: Scorer
    public let rule: any SceneBoundaryRule
    private var reference: AnalyzedFrame?
    private var current: Scene?

    public init(scorer: Scorer, rule: any SceneBoundaryRule) {
        self.scorer = scorer
        self.rule = rule
    }

    /// Adds the next frame; returns its record and the scene it closed, if it started a new one.
    public mutating func add(_ frame: AnalyzedFrame) -> (record: FrameRecord, closed: Scene?) {
        let sample = frame.sample
        var closed: Scene? = nil
        var scores: FrameScores? = nil
        if let reference, var scene = current {
            let s = scorer.score(frame, reference: reference)
            scores = s
            if rule.startsNewScene(s) {
                scene.end = sample.seconds
                closed = scene
                current = nil
            } else {
                scene.frameCount += 1
                current = scene
            }
        }
        if current == nil {
            let id = nextSceneID
            nextSceneID += 1
            current = Scene(
                id: id, start: sample.seconds, end: sample.seconds, firstFrame: sample.index, frameCount: 1,
                keyframe: Keyframe(frameIndex: sample.index, timestamp: sample.timestamp, seconds: sample.seconds, path: nil))
            reference = frame
        }
        let record = FrameRecord(
            index: sample.index, ordinal: sample.ordinal, timestamp: sample.timestamp, seconds: sample.seconds,
            scene: current!.id, scores: scores)
        return (record, closed)
    }

    private var nextSceneID = 0

    /// The open scene, ended at `end` seconds; nil if no frame came.
    public mutating func finish(end: Double) -> Scene? {
        guard var scene = current else { return nil }
        scene.end = max(end, scene.start)
        current = nil
        reference = nil
        return scene
    }

    /// The reference frame of the open scene (its keyframe for now).
    public var openSceneReference: AnalyzedFrame? { reference }
}

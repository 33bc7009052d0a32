import Decoder
import Pixels
import Similarity

/// The scores of one sampled frame against its scene's reference frame: data, not decisions.
public struct FrameScores: Sendable, Equatable {
    /// Hamming distance of the perceptual hashes to the reference (0 = identical hashes).
    public var hashDistance: Int
    /// SSIM of the luma to the reference's; nil when the hashes were identical and SSIM was skipped.
    public var ssimToReference: Double?
    /// SSIM to the previous sampled frame (the reference itself for a scene's second frame);
    /// nil when skipped by identical hashes.
    public var ssimToPrevious: Double?

    public init(hashDistance: Int, ssimToReference: Double?, ssimToPrevious: Double?) {
        self.hashDistance = hashDistance
        self.ssimToReference = ssimToReference
        self.ssimToPrevious = ssimToPrevious
    }
}

/// A sampled frame with what the scorers need from it, computed once.
public struct AnalyzedFrame: Sendable {
    public let sample: SampledFrame
    public let hash: FrameHash
    /// The luma at the coarse scale SSIM compares at.
    public let comparisonLuma: LumaImage

    /// - Parameter ssimShortSide: shorter side in pixels of the luma SSIM compares.
    public init(_ sample: SampledFrame, ssimShortSide: Int) {
        self.sample = sample
        self.hash = FrameHash(sample.luma)
        self.comparisonLuma = sample.luma.areaDownscaled(shortSide: ssimShortSide)
    }
}

/// Scores a frame against its scene's reference frame and the frame before it.
public protocol FrameScorer {
    mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame, previous: AnalyzedFrame) -> FrameScores
}

/// Hash first, SSIM second: a frame whose 64-bit hashes equal the other frame's skips that SSIM.
public struct PixelScorer: FrameScorer {
    private let ssim = StructuralSimilarity()

    public init() {}

    public mutating func score(_ frame: AnalyzedFrame, reference: AnalyzedFrame, previous: AnalyzedFrame) -> FrameScores {
        let distance = frame.hash.distance(to: reference.hash)
        return FrameScores(
            hashDistance: distance,
            ssimToReference: distance == 0 ? nil : similarity(frame, reference),
            ssimToPrevious: frame.hash.distance(to: previous.hash) == 0 ? nil : similarity(frame, previous))
    }

    private func similarity(_ a: AnalyzedFrame, _ b: AnalyzedFrame) -> Double {
        // The picture size changed mid-stream: nothing in common by definition.
        guard a.comparisonLuma.width == b.comparisonLuma.width, a.comparisonLuma.height == b.comparisonLuma.height else { return 0 }
        return ssim.similarity(a.comparisonLuma, b.comparisonLuma)
    }
}

/// The decision step, separate from the scores: does a frame with these scores start a new scene?
public protocol SceneBoundaryRule: Sendable {
    func startsNewScene(_ scores: FrameScores) -> Bool
}

/// A frame stays in its scene while its SSIM to the scene's reference is at least `reference`,
/// or while its SSIM to the previous frame is at least `cut` (continuous motion: a pan or zoom
/// drifts away from the reference without a cut). A new scene starts only when both fail.
public struct SSIMBoundaryRule: SceneBoundaryRule {
    public var reference: Double
    public var cut: Double

    public init(reference: Double, cut: Double) {
        self.reference = reference
        self.cut = cut
    }

    public func startsNewScene(_ scores: FrameScores) -> Bool {
        guard let toReference = scores.ssimToReference, let toPrevious = scores.ssimToPrevious else { return false }
        return toReference < reference && toPrevious < cut
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
    private var previous: AnalyzedFrame?
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
        defer { previous = frame }
        if let reference, let previous, var scene = current {
            let s = scorer.score(frame, reference: reference, previous: previous)
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
        previous = nil
        return scene
    }

    /// The reference frame of the open scene (its keyframe for now).
    public var openSceneReference: AnalyzedFrame? { reference }
}

import Decoder
import Foundation
import Similarity

/// `scenes.json` (schema version 1): the input, the options that made the results, every sampled frame's
/// scores, and the scenes with their keyframes and clusters.
///
/// Times are seconds from the stream's first frame (``startTime`` records where that is on the container's
/// clock, as ffprobe reports it); `pts` values are integers in ``timeBase`` units. Ids start at 0 and follow time.
/// `docs/schema/scenes.schema.json` is its JSON Schema; ``json`` gives the bytes framededupe writes, and
/// `JSONDecoder` reads the file back.
public struct ScenesFile: Codable, Sendable, Equatable {
    /// The schema version this framededupe writes and reads.
    public static let currentVersion = 1

    public var version: Int
    /// The input as named on the command line.
    public var input: String
    /// A local input's size and digest (``InputFileIdentity``): a rerun skips the input only while they are the same;
    /// nil (`null`) for standard input and URLs. Absent from files of versions before it.
    public var inputFile: InputFileIdentity?
    /// libavformat's name of the container (`mov,mp4,m4a,3gp,3g2,mj2`).
    public var container: String
    /// The video codec's name (`h264`; for a folder of mixed images, each run's, joined with `+`).
    public var codec: String
    /// The index of the analysed stream in the container.
    public var stream: Int
    public var width: Int
    public var height: Int
    /// Seconds per `pts` unit, as `numerator/denominator` (``timeBaseValue`` reads it).
    public var timeBase: String
    /// The stream's first frame on the container's clock, in seconds.
    public var startTime: Double
    /// As the container states it, in seconds; nil when unknown.
    public var duration: Double?
    /// The end of the last decoded frame, in seconds.
    public var analysedUntil: Double
    public var samplingFPS: SamplingRateEntry
    /// `all`, `key` or another decode mode (`--decode`).
    public var decode: String
    public var options: AnalysisOptionsRecord
    public var counts: DecodeCountsEntry
    public var warnings: [String]
    /// False when the run was interrupted: the lists cover the input up to ``analysedUntil`` only.
    public var complete: Bool
    /// One per sampled frame, in time order.
    public var frames: [FrameEntry]
    public var scenes: [SceneEntry]
    /// How each scene gives way to the next (cut, dissolve, fade) and the flashes inside scenes, in time order
    /// (``Transition/of(frames:scenes:)``). Absent from files of versions before it.
    public var transitions: [Transition]? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, input, inputFile = "input_file", container, codec, stream, width, height
        case timeBase = "time_base", startTime = "start_time", duration, analysedUntil = "analysed_until"
        case samplingFPS = "sampling_fps", decode, options, counts, warnings, complete, frames, scenes, transitions
    }

    /// The ``timeBase`` as a rational number (nil when it is not `numerator/denominator`).
    public var timeBaseValue: Rational? { Rational(parsing: timeBase) }
}

/// `sampling_fps`: the sampled frames per second, or `"all"` when every frame is sampled.
public enum SamplingRateEntry: Codable, Sendable, Equatable {
    case all
    /// Frames per second (0 for a rate that is not frames per second, such as key frames only).
    case perSecond(Double)

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let rate = try? value.decode(Double.self) {
            self = .perSecond(rate)
        } else if try value.decode(String.self) == "all" {
            self = .all
        } else {
            throw DecodingError.dataCorruptedError(in: value, debugDescription: "expected a number or \"all\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var value = encoder.singleValueContainer()
        switch self {
        case .all: try value.encode("all")
        case .perSecond(let rate): try value.encode(rate)
        }
    }
}

/// `scenes.json`'s `counts`: what was read and what was skipped.
public struct DecodeCountsEntry: Codable, Sendable, Equatable {
    /// Video packets read.
    public var packets: Int
    public var sampledFrames: Int
    /// Packets and frames skipped as corrupt.
    public var corruptPackets: Int
    public var corruptFrames: Int
    /// Decoded frames not sampled because their timestamps went back behind the furthest time reached.
    public var framesBehind: Int
    /// Sampled frames unchanged since the last frame the network saw (``UnchangedFrameRule``), which took its
    /// embedding instead of a network call; nil (`null`) without the network, and absent from files written before it was counted.
    public var embeddingsReused: Int? = nil
    /// Sampled frames whose cut decisions the pixels settled (`--network-frames cascade`, ``NetworkGate``): no network
    /// call, the last embedded frame's embedding as a stand-in; absent unless the cascade ran.
    public var embeddingsSkipped: Int? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case packets, sampledFrames = "sampled_frames", corruptPackets = "corrupt_packets", corruptFrames = "corrupt_frames"
        case framesBehind = "frames_behind", embeddingsReused = "embeddings_reused", embeddingsSkipped = "embeddings_skipped"
    }
}

extension DecodeCountsEntry: JSONWritingRules {
    static var membersOmittedWhenAbsent: Set<String> { ["embeddings_skipped"] }
}

/// One sampled frame in `scenes.json`'s `frames`: where it is, its scene and cluster, and every score that
/// decided them. Scores against the reference and the previous frame are nil for a scene's first frame, and
/// for a scorer that does not compute them (SSIM with `--scorer embed`, embeddings with `--scorer ssim`).
public struct FrameEntry: Codable, Sendable, Equatable {
    /// The sample number.
    public var index: Int
    /// The decoded frame's ordinal in presentation order from the stream's start.
    public var frame: Int
    public var pts: Int64
    public var time: Double
    public var scene: Int
    /// The scene's content cluster; nil for a transition scene.
    public var cluster: Int?
    public var ssimToReference: Double?
    public var ssimToPrevious: Double?
    /// The larger of the pHash and dHash Hamming distances to the reference (0–64).
    public var hashDistance: Int?
    /// Cosine distances (0–2).
    public var embeddingToReference: Double?
    public var embeddingToPrevious: Double?
    /// Variance of the Laplacian of the luma (written with 3 decimals).
    public var sharpness: Double
    public var exposure: Double
    /// True for a frame of a transition (a fade, a dissolve) between scenes.
    public var transition: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case index, frame, pts, time, scene, cluster
        case ssimToReference = "ssim_to_reference", ssimToPrevious = "ssim_to_previous", hashDistance = "hash_distance"
        case embeddingToReference = "embedding_to_reference", embeddingToPrevious = "embedding_to_previous"
        case sharpness, exposure, transition
    }
}

/// One scene in `scenes.json`'s `scenes` (and, with `input` first, a line of `--print scenes`).
public struct SceneEntry: Codable, Sendable, Equatable {
    public var id: Int
    /// The scene's content cluster; nil for a transition scene. Left out of the lines `--print scenes` streams
    /// while the input is read, before clusters are known.
    public var cluster: Int?
    /// Where it starts, in seconds: the first frame after its cut (found among the frames decoded between two
    /// samples), half way through a dissolve, or its first sampled frame when nothing tells more.
    public var start: Double
    /// The next scene's start, or the end of the last decoded frame.
    public var end: Double
    /// How many sampled frames it has.
    public var frames: Int
    /// `index` of its first sampled frame.
    public var firstFrame: Int
    /// True when every frame of it is a transition frame: it has no cluster.
    public var transition: Bool
    public var keyframe: KeyframeEntry
    /// The picture inside letterbox, pillarbox or windowbox bars, in the pixels of the decoded frames (``Scene/activeArea``):
    /// what the network embeds and geometric verification compares; null when unknown.
    public var activeArea: PictureRect?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, cluster, start, end, frames, firstFrame = "first_frame", transition, keyframe, activeArea = "active_area"
    }
}

/// A scene's keyframe: the frame that stands for it, with the scores that chose it.
public struct KeyframeEntry: Codable, Sendable, Equatable {
    /// Its `frames[].index`.
    public var index: Int
    public var pts: Int64
    public var time: Double
    /// `keyframes/scene-…` relative to the output folder (or joined to the folder as named, in `--print`); nil
    /// when no images are written.
    public var path: String?
    /// How typical the frame is of its scene (see ``Keyframe/centrality``).
    public var centrality: Double
    public var sharpness: Double
    public var exposure: Double
    /// For a folder of images or a numbered pattern: the picture's file, as the input spells it (left out for video).
    public var source: String?
}

/// `scenes.json`'s `options`: every option that decides its contents and the images beside it. Resume skips an
/// input whose recorded options equal the run's (``completeResults(in:input:options:)``).
public struct AnalysisOptionsRecord: Codable, Sendable, Equatable {
    /// `--fps` as given (`2`, `all`, `key`).
    public var fps: String
    /// `--start` and `--end`, seconds.
    public var start: Double?
    public var end: Double?
    public var stream: Int?
    public var scorer: String
    /// `--cut-rule`: `calibrated` or `ratio`.
    public var cutRule: String
    /// `--cut-probability`; nil: the calibrated model's own threshold.
    public var cutProbability: Double?
    public var minSceneLength: Double
    public var ssimThreshold: Double
    public var cutThreshold: Double
    public var embeddingThreshold: Double
    public var embeddingCutThreshold: Double
    /// The cut rule's ratio and minimum change for the scorer in use (the pixel rule's with `--scorer ssim`).
    public var cutRatio: Double
    public var minCutChange: Double
    /// `efficientnet-lite0`…; nil without embeddings, like ``networkInput`` and ``batch``.
    public var model: String?
    public var networkInput: String?
    public var batch: Int?
    public var analysisShortSide: Int
    public var ssimShortSide: Int
    public var imageFormat: String
    public var maxSide: Int?
    public var jpegQuality: Int
    /// The `--raw` description, nil for other inputs.
    public var raw: String?
    public var imageTime: String
    public var imageRate: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case fps, start, end, stream, scorer, cutRule = "cut_rule", cutProbability = "cut_probability"
        case minSceneLength = "min_scene_length", ssimThreshold = "ssim_threshold"
        case cutThreshold = "cut_threshold", embeddingThreshold = "embedding_threshold", embeddingCutThreshold = "embedding_cut_threshold"
        case cutRatio = "cut_ratio", minCutChange = "min_cut_change", model, networkInput = "network_input", batch
        case analysisShortSide = "analysis_short_side", ssimShortSide = "ssim_short_side", imageFormat = "image_format"
        case maxSide = "max_side", jpegQuality = "jpeg_quality", raw, imageTime = "image_time", imageRate = "image_rate"
    }
}

extension FrameEntry: JSONWritingRules {
    static var decimalPlaces: [String: Int] { ["sharpness": 3] }
}

extension KeyframeEntry: JSONWritingRules {
    static var decimalPlaces: [String: Int] { ["sharpness": 3] }
    static var membersOmittedWhenAbsent: Set<String> { ["source"] }
}

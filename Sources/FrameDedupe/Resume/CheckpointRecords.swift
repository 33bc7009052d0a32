import Decoder
import Foundation
import Pixels
import Similarity

/// What the log holds about one scene's close: the step of the segmenter that closed scene `scene.id` and
/// opened the next with the frame at `position`.
struct SceneCheckpoint: Codable {
    /// Position (0, 1, 2… among the frames the decoder handed out) of the frame that opened the next scene.
    let position: Int
    /// Whether that frame was a transition frame (a blank frame can open a scene).
    let transition: Bool
    /// The frames decided since the last close, the opening frame last.
    let records: [FrameRecord]
    /// Frames of the closed scene found to be transition frames (by index), marked before the opening frame was recorded.
    let reclassified: [Int]
    /// The scene; without its keyframe's luma and local features (and its other moments') when ``recomputed`` says how a resume makes them again.
    let scene: Scene
    /// Its `--keep diverse` frames.
    let diverse: [DiverseFrame]
    /// Its thumbnail for `report.html` (nil when ``recomputed`` says a resume makes it again).
    let thumbnail: [UInt8]?
    /// The cut detector's recent changes after the opening frame was decided.
    let cutHistory: [CutChange]
    /// nil: the record holds the scene's keyframe state whole. Else the record leaves it out (the run held it in
    /// memory, ``ClosedScenes``) and a resume computes it again, exactly, from the keyframe's frame as the input is
    /// decoded again (``KeyframeState/init(of:recipe:thumbnail:)``).
    let recomputed: KeyframeRecipe?

    init(position: Int, transition: Bool, records: [FrameRecord], reclassified: [Int], scene: Scene, diverse: [DiverseFrame],
         thumbnail: [UInt8]?, cutHistory: [CutChange], recomputed: KeyframeRecipe? = nil) {
        self.position = position
        self.transition = transition
        self.records = records
        self.reclassified = reclassified
        self.scene = scene
        self.diverse = diverse
        self.thumbnail = thumbnail
        self.cutHistory = cutHistory
        self.recomputed = recomputed
    }

    /// The same close without the keyframe state a resume can compute again from the keyframe's frame: the keyframe's
    /// luma, its local features (36.5 KB at 500 keypoints) and the report's thumbnail; what remains is ~18 KB a scene,
    /// mostly the mean embedding and the grid, which a resume could only make again by running the network over the
    /// whole scene.
    func withoutKeyframeState() -> SceneCheckpoint {
        var light = scene
        light.keyframeLuma = nil
        light.features = nil
        light.momentFeatures = []
        light.shotStartFeatures = nil
        return SceneCheckpoint(position: position, transition: transition, records: records, reclassified: reclassified, scene: light,
                               diverse: diverse, thumbnail: nil, cutHistory: cutHistory,
                               recomputed: KeyframeRecipe(featureArea: scene.features?.active, thumbnail: thumbnail != nil,
                                                          momentFrames: scene.momentFrames,
                                                          shotStartFrame: scene.shotStartFeatures != nil ? scene.firstFrame : nil))
    }

    /// Replays the close onto `restored`, as the pipeline made it.
    func apply(to restored: inout Restored) {
        restored.frames += records.dropLast()
        for i in reclassified where i >= 0 && i < restored.frames.count { restored.frames[i].transition = true }
        if let last = records.last { restored.frames.append(last) }
        restored.scenes.append(scene)
        restored.diverse += diverse
        if let thumbnail { restored.thumbnails[scene.id] = thumbnail }
        if let recomputed { restored.recompute[scene.keyframe.frameIndex] = (scene.id, recomputed) }
        restored.restart = Restart(position: position, transition: transition, sceneID: scene.id + 1, start: scene.end, cutHistory: cutHistory,
                                   openingCut: records.last?.cutKind)
    }

    typealias Restored = Checkpoint.Restored

    /// Reads a scene record, refusing one that cannot be a scene's close.
    static func decode(_ payload: [UInt8]) throws(CheckpointError) -> SceneCheckpoint {
        let closed = try BinaryCoding.decode(SceneCheckpoint.self, from: payload)
        guard closed.position >= 1, !closed.records.isEmpty else { throw .corrupt("bad scene record") }
        return closed
    }
}

/// How a resume computes a closed scene's keyframe state again from its keyframe's frame (``SceneCheckpoint/recomputed``).
struct KeyframeRecipe: Codable, Equatable {
    /// The part of the keyframe's analysis luma its local features were taken inside; nil: it had none.
    let featureArea: PictureRect?
    /// Whether it had a report thumbnail.
    let thumbnail: Bool
    /// The frames its other moments' local features were taken from (``Scene/momentFrames``), inside `featureArea`.
    var momentFrames: [Int] = []
    /// When it had the local features of its shot start (``Scene/shotStartFeatures``): the sampled frame that carries the
    /// shot start (``FrameSignals/shotStart``, the scene's first), from which they are taken again inside `featureArea`.
    var shotStartFrame: Int? = nil
}

/// A whole batch of network embeddings (vector and 3×3 grid, exactly as computed), by its first frame's position.
struct EmbeddingBatch: Codable {
    let first: Int
    let embeddings: [Embedding]
}

/// The log's first record: everything the checkpoint must match to be resumed (``Checkpoint/identity(input:options:)``).
struct CheckpointHeader: Codable {
    let identity: String
}

/// Reads a checkpoint log held in memory and decodes every record, as resuming does: for the fuzzer, which also
/// passes records whose checksums do not match (`verifyingChecksums` false) to reach the record decoders.
/// Returns how many records decoded; never crashes on any input.
public func decodeCheckpointLog(_ bytes: [UInt8], verifyingChecksums: Bool = true) -> Int {
    var decoded = 0
    var restored = Checkpoint.Restored()
    for (kind, payload) in CheckpointLog.records(in: bytes, verifyingChecksums: verifyingChecksums).records {
        switch kind {
        case .header: if (try? BinaryCoding.decode(CheckpointHeader.self, from: payload)) != nil { decoded += 1 }
        case .embeddings: if (try? BinaryCoding.decode(EmbeddingBatch.self, from: payload)) != nil { decoded += 1 }
        case .scene:
            if let closed = try? SceneCheckpoint.decode(payload) {
                closed.apply(to: &restored)
                decoded += 1
            }
        }
    }
    return decoded
}

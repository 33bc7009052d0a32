import Decoder
import Foundation
import Pixels
import Similarity

/// A frame kept for `--keep diverse` beyond its scene's keyframe, written while its scene closed.
struct DiverseFrame: Codable {
    let scene: Int
    let keyframe: Keyframe
    let vector: [Float]?
    let luma: LumaImage
    /// Its local features, taken inside its scene's active picture (nil: no geometric check).
    let features: LocalFeatures?
}

/// Writes a run's images as its scenes close: each keyframe into `keyframes/`, its thumbnail for `report.html`,
/// and `--keep diverse` frames into `candidates/` (from where `unique/` takes those it keeps). Large pictures were
/// encoded as the frames were decoded; smaller ones are encoded here (``FrameImages``).
final class SceneImageWriter {
    let input: String
    let output: URL
    let options: DedupeOptions
    let keyframeFolder: URL
    let candidateFolder: URL?
    /// Images written under a checkpoint go to a temporary name first (a name there always holds a whole image).
    let checkpoint: Checkpoint?

    init(input: String, output: URL, options: DedupeOptions, keyframeFolder: URL, candidateFolder: URL?, checkpoint: Checkpoint?) {
        self.input = input
        self.output = output
        self.options = options
        self.keyframeFolder = checkpoint?.keyframes ?? keyframeFolder
        self.candidateFolder = candidateFolder.map { checkpoint?.candidates ?? $0 }
        self.checkpoint = checkpoint
        encoder = FrameImageEncoder(ImageExport(options))
    }

    /// Encodes the frames held decoded (``FrameImages``).
    private let encoder: FrameImageEncoder

    /// How the frames' images are to be encoded.
    var export: ImageExport { ImageExport(options) }

    /// Writes a scene's keyframe; returns its path relative to the output folder and the report's thumbnail.
    func writeKeyframe(of scene: Scene, images: FrameImages?) throws(RunError) -> (path: String, thumbnail: [UInt8]?) {
        let name = keyframeName(scene: scene.id, seconds: scene.keyframe.seconds, format: options.imageFormat)
        let (image, thumbnail) = encoded(images)
        let bytes = try bytes(image)
        do {
            try write(bytes, to: keyframeFolder.appendingPathComponent(name))
        } catch {
            throw .output(OutputError(path: output.appendingPathComponent(ResultsLayout.keyframesFolder + "/" + name).path, reason: OutputFolder.reason(error)))
        }
        return (ResultsLayout.keyframesFolder + "/" + name, options.report ? thumbnail : nil)
    }

    /// Writes a `--keep diverse` frame of scene `scene`; returns its path relative to the output folder, nil when
    /// diverse frames are not written.
    func writeDiverseFrame(scene: Int, seconds: Double, images: FrameImages?) throws(RunError) -> String? {
        guard let candidateFolder else { return nil }
        let name = keyframeName(scene: scene, seconds: seconds, format: options.imageFormat)
        let bytes = try bytes(encoded(images).image)
        do {
            try write(bytes, to: candidateFolder.appendingPathComponent(name))
        } catch {
            throw .output(OutputError(path: output.appendingPathComponent(ResultsLayout.uniqueFolder).path, reason: OutputFolder.reason(error)))
        }
        return ResultsLayout.candidatesFolder + "/" + name
    }

    /// A frame's report thumbnail, encoded now if it was not yet (a resumed run's closed scenes, ``KeyframeRecomputation``).
    func thumbnail(of images: FrameImages?) -> [UInt8]? { images?.thumbnail(by: encoder) }

    /// A frame's image and thumbnail, encoded now if they were not yet.
    private func encoded(_ images: FrameImages?) -> (image: Result<[UInt8], LibavError>, thumbnail: [UInt8]?) {
        guard let images else { preconditionFailure("a run that writes images has every frame's") }
        return images.encoded(by: encoder)
    }

    /// The encoded image, or the encoder's error.
    private func bytes(_ image: Result<[UInt8], LibavError>) throws(RunError) -> [UInt8] {
        switch image {
        case .success(let bytes): return bytes
        case .failure(let error): throw .encoding(input, error)
        }
    }

    private func write(_ bytes: [UInt8], to url: URL) throws {
        if let checkpoint { try checkpoint.writeImage(bytes, to: url) } else { try Data(bytes).write(to: url) }
    }
}

/// Where the scene stages' results go in a run: each decided frame's record (and its `--stats` row), and each
/// closed scene with its images written (``SceneImageWriter``) and its bulky parts set aside (``ClosedScenes``)
/// until the clusters are made at the end.
final class SceneCollector {
    private(set) var frames: [FrameRecord] = []
    private(set) var diverse: [DiverseFrame] = []
    let closedScenes: ClosedScenes
    let images: SceneImageWriter?
    let statsFile: AtomicFile?
    /// Called with each scene as soon as it is final (see ``findScenes(input:options:output:network:stats:progress:interruption:note:sceneClosed:)``).
    var sceneClosed: ((Scene) throws(OutputError) -> Void)?
    /// Called after each decided frame.
    var progress: ((_ seconds: Double, _ frames: Int, _ scenes: Int) -> Void)?
    /// Called with each scene's close once the frame that opened the next scene is recorded too (for the checkpoint);
    /// returns false when the record left out the scene's keyframe state, which is then held (``ClosedScenes``).
    var logClose: ((SceneCheckpoint) throws(OutputError) -> Bool)?

    /// The scene closed last, waiting for the record of the frame that opens the next one.
    private var unlogged: (scene: Scene, thumbnail: [UInt8]?, reclassified: [Int], cutHistory: [CutChange])?
    private var loggedFrames = 0
    private var loggedDiverse = 0

    init(closedScenes: ClosedScenes, images: SceneImageWriter?, statsFile: AtomicFile?) {
        self.closedScenes = closedScenes
        self.images = images
        self.statsFile = statsFile
    }

    /// Takes what an earlier, interrupted run left (``Checkpoint/Restored``).
    func restore(frames: [FrameRecord], diverse: [DiverseFrame], scenes: [Scene], thumbnails: [Int: [UInt8]]) throws(RunError) {
        self.frames = frames
        self.diverse = diverse
        for scene in scenes {
            closedScenes.append(scene, thumbnail: thumbnails[scene.id])
            closedScenes.logged(scene.id)  // restored from the log
            do { try sceneClosed?(scene) } catch { throw .output(error) }
        }
        loggedFrames = frames.count
        loggedDiverse = diverse.count
    }

    func receive(_ event: SceneEvent<FrameImages?>) throws(RunError) {
        switch event {
        case .frame(let record, let frame):
            frames.append(record)
            do { try statsFile?.write(SceneListWriter.statsRow(record) + "\n") } catch { throw .output(error) }
            if let closed = unlogged {
                unlogged = nil
                try log(closed, opening: record)
            }
            progress?(frame.signals.seconds, frames.count, closedScenes.count + 1)
        case .sceneClosed(let closed):
            let (scene, thumbnail) = try keep(closed)
            // A short scene found to be the middle of a gradual transition: its frames are transition frames.
            for i in closed.reclassifiedFrames where i < frames.count { frames[i].transition = true }
            unlogged = (scene, thumbnail, closed.reclassifiedFrames, closed.cutHistory)
        case .sceneEnded, .resumed:
            break
        }
    }

    /// Writes a closed scene's images and keeps it; returns it whole with its thumbnail.
    private func keep(_ closed: ClosedScene<FrameImages?>) throws(RunError) -> (Scene, [UInt8]?) {
        var scene = closed.scene
        var thumbnail: [UInt8]? = nil
        if let images {
            (scene.keyframe.path, thumbnail) = try images.writeKeyframe(of: scene, images: closed.keyframe.attachment)
        }
        closedScenes.append(scene, thumbnail: thumbnail)
        do { try sceneClosed?(scene) } catch { throw .output(error) }
        for (extra, features) in zip(closed.diverseFrames, closed.diverseFeatures + repeatElement(nil, count: closed.diverseFrames.count)) {
            let s = extra.signals
            var keyframe = Keyframe(frameIndex: s.index, timestamp: s.timestamp, seconds: s.seconds, path: nil,
                                    centrality: 0, sharpness: s.quality.sharpness, exposure: s.quality.exposure)
            keyframe.path = try images?.writeDiverseFrame(scene: scene.id, seconds: s.seconds, images: extra.attachment)
            diverse.append(DiverseFrame(scene: scene.id, keyframe: keyframe, vector: s.embedding?.vector, luma: s.luma, features: features))
        }
        return (scene, thumbnail)
    }

    private func log(_ closed: (scene: Scene, thumbnail: [UInt8]?, reclassified: [Int], cutHistory: [CutChange]), opening record: FrameRecord) throws(RunError) {
        guard let logClose else { return }
        let logsKeyframe: Bool
        do {
            logsKeyframe = try logClose(SceneCheckpoint(
                position: frames.count - 1, transition: record.transition, records: Array(frames[loggedFrames...]),
                reclassified: closed.reclassified, scene: closed.scene, diverse: Array(diverse[loggedDiverse...]), thumbnail: closed.thumbnail,
                cutHistory: closed.cutHistory))
        } catch { throw .output(error) }
        closedScenes.logged(closed.scene.id, holding: logsKeyframe ? nil : KeyframeState(of: closed.scene, thumbnail: closed.thumbnail))
        loggedFrames = frames.count
        loggedDiverse = diverse.count
    }

    /// The frames of scenes that never closed (an interrupted resumed run), dropped.
    func dropFramesOfOpenScenes() {
        frames.removeAll { $0.scene >= closedScenes.count }
    }
}

import Decoder
import Foundation
import FrameDedupe
import Pixels
import Similarity

/// A file's identity for the index: its SHA-256 (libavutil's `av_sha`) and size.
public enum ContentIdentity {
    /// - Throws: ``RunError/input(_:_:)`` when `path` cannot be read, or is a folder: the index holds video files,
    ///   one digest each, and a folder given to `index add` is more likely one of videos than a photo sequence.
    public static func of(_ path: String) throws(RunError) -> (sha256: String, size: Int64) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .input(path, .notMedia("a folder; the index takes video files, e.g. 'index add \(path.hasSuffix("/") ? path : path + "/")*.mp4'"))
        }
        do { return try ContentDigest.file(at: path) } catch { throw .input(path, error) }
    }
}

/// Runs the per-video pipeline on one file for the index: its scenes, keyframes (in the index's keyframe folder),
/// mean embeddings and keyframe pHashes.
public struct VideoAnalysis: Sendable {
    public let options: DedupeOptions

    /// - Parameter options: the per-video options; the scorer must use embeddings (the index compares them).
    public init(options: DedupeOptions) {
        precondition(options.scorer.usesEmbedding, "the corpus index needs embeddings")
        self.options = options
    }

    /// The folder of a video's results under the keyframe root: the first 16 hex digits of its SHA-256.
    public static func folderName(sha256: String) -> String { String(sha256.prefix(16)) }

    /// Analyses `path` into an ``IndexedVideo`` (not yet stored): scenes that are transitions or have no
    /// embedding are left out. The results folder (`scenes.json`, `keyframes/`) is written under `keyframeRoot`.
    /// - Parameters:
    ///   - identity: the file's digest and size, when already computed.
    ///   - interruption: when requested, the analysis stops early and nothing is returned (a partial video is never indexed).
    /// - Returns: the video, nil when the analysis was interrupted.
    public func analyse(path: String, keyframeRoot: URL, network: EfficientNetLite?, identity: (sha256: String, size: Int64)? = nil,
                        interruption: Interruption? = nil) throws(RunError) -> IndexedVideo? {
        let id: (sha256: String, size: Int64)
        if let identity { id = identity } else { id = try ContentIdentity.of(path) }
        let folder = Self.folderName(sha256: id.sha256)
        let output = keyframeRoot.appendingPathComponent(folder, isDirectory: true)
        let list = try findScenes(input: path, options: options, output: output, network: network, interruption: interruption)
        guard list.complete else { return nil }
        var scenes: [IndexedScene] = []
        for scene in list.scenes where !scene.transition {
            guard let embedding = scene.embedding else { continue }
            let keyframe = scene.keyframe.path.map { folder + "/" + $0 }
            let hash = keyframe.flatMap { Self.perceptualHash(ofImage: keyframeRoot.appendingPathComponent($0).path) }
            // The scene's local features, read back one scene at a time (the list's scenes carry none).
            let pictures: CopyPictures?
            do { pictures = try list.pictures(of: scene.id) } catch { throw .output(error) }
            var indexed = IndexedScene(number: scene.id, start: scene.start, end: scene.end, keyframeTime: scene.keyframe.seconds,
                                       keyframePath: keyframe, embedding: embedding, perceptualHash: hash, features: pictures?.keyframe)
            indexed.moments = pictures?.moments ?? []
            indexed.shotStart = pictures.flatMap { $0.shotStartIsKeyframe ? nil : $0.shotStart }
            indexed.shotStartIsKeyframe = scene.shotStartIsKeyframe
            indexed.keyframeLuma = scene.keyframeLuma
            scenes.append(indexed)
        }
        return IndexedVideo(path: CorpusIndex.absolute(path), size: id.size, sha256: id.sha256, duration: list.video.duration,
                            tags: ContainerTags.read(path), folder: folder, scenes: scenes)
    }

    /// The 64-bit pHash of an image file (decoded by libav), nil when it cannot be read.
    public static func perceptualHash(ofImage path: String) -> UInt64? {
        var options = ReaderOptions()
        options.sampling = .all
        guard let reader = try? VideoReader(input: path, options: options), let frame = try? reader.next() else { return nil }
        return FrameHash(frame.luma).perceptual
    }
}

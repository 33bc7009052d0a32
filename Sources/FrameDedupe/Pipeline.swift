import Decoder
import Foundation
import Similarity

/// Everything that decides what one run produces.
public struct DedupeOptions: Sendable {
    public var reader = ReaderOptions()
    /// A frame stays in its scene while its SSIM to the scene's reference is at least this (0–1)…
    public var ssimThreshold: Double = 0.5
    /// …or while its SSIM to the previous sampled frame is at least this (0–1).
    public var cutThreshold: Double = 0.15
    /// Shorter side in pixels of the luma SSIM compares (area-downscaled from the analysis luma).
    /// Coarse on purpose: at 2 fps, pans and zooms move fine detail far more than a cut moves the composition.
    public var ssimShortSide: Int = 32
    /// Image format of exported keyframes.
    public var imageFormat: StillImageFormat = .jpg
    /// Longest side of exported images in pixels; nil keeps the video's size.
    public var maxSide: Int? = nil
    /// JPEG quality as FFmpeg's -q:v (2 best … 31 worst).
    public var jpegQuality: Int = 3

    public init() {}
}

/// Where a run is, for a progress display.
public struct RunProgress: Sendable {
    /// Seconds of input analysed so far.
    public let position: Double
    /// The input's stated duration, when known.
    public let duration: Double?
    public let sampledFrames: Int
    public let decodedFrames: Int
    public let scenes: Int
}

/// The scenes found in one input, with every sampled frame's scores.
public struct SceneList: Sendable {
    public let video: VideoInfo
    public let options: DedupeOptions
    public let frames: [FrameRecord]
    public let scenes: [Scene]
    public let counts: DecodeCounts
    public let warnings: [String]
    /// The end of the analysed span in seconds from the stream's start.
    public let end: Double
}

/// Why a run failed, sorted by who can fix it.
public enum RunError: Error, CustomStringConvertible, Sendable {
    case input(String, DecoderError)
    case output(OutputError)
    case encoding(String, LibavError)

    public var description: String {
        switch self {
        case .input(let name, let e): "\(name): \(e)"
        case .output(let e): e.description
        case .encoding(let name, let e): "\(name): cannot encode image: \(e)"
        }
    }
}

/// Finds the scenes of one input and writes them, with a keyframe image each, to `output`.
///
/// Frames stream through: only the open scene's reference frame is held, so memory does not grow
/// with the input's length (the per-frame records are small). Images are written as scenes close.
///
/// - Parameters:
///   - input: a path, a URL, or "-" for standard input.
///   - output: the folder for results; nil analyses without writing anything.
///   - progress: called after each sampled frame.
/// - Returns: the scene list, as also written to `scenes.json`.
public func findScenes(
    input: String, options: DedupeOptions, output: URL?, progress: ((RunProgress) -> Void)? = nil
) throws(RunError) -> SceneList {
    let reader: VideoReader
    do { reader = try VideoReader(input: input, options: options.reader) } catch { throw .input(input, error) }
    let folder: OutputFolder?
    let keyframeFolder: URL?
    do {
        folder = try output.map { (url: URL) throws(OutputError) in try OutputFolder(url) }
        keyframeFolder = try folder?.stagedFolder("keyframes")
    } catch { throw .output(error) }
    let encoder = StillImageEncoder(format: options.imageFormat, jpegQuality: options.jpegQuality)

    var segmenter = SceneSegmenter(scorer: PixelScorer(), rule: SSIMBoundaryRule(reference: options.ssimThreshold, cut: options.cutThreshold))
    var frames: [FrameRecord] = []
    var scenes: [Scene] = []

    func close(_ scene: Scene, reference: AnalyzedFrame?) throws(RunError) {
        var scene = scene
        if let keyframeFolder, let reference {
            let name = keyframeName(scene: scene.id, seconds: scene.keyframe.seconds, format: options.imageFormat)
            let bytes: [UInt8]
            do { bytes = try encoder.encode(reference.sample.picture, maxSide: options.maxSide) } catch { throw .encoding(input, error) }
            do {
                try Data(bytes).write(to: keyframeFolder.appendingPathComponent(name))
            } catch {
                throw .output(OutputError(path: output!.appendingPathComponent("keyframes/\(name)").path, reason: OutputFolder.reason(error)))
            }
            scene = Scene(id: scene.id, start: scene.start, end: scene.end, firstFrame: scene.firstFrame, frameCount: scene.frameCount,
                          keyframe: Keyframe(frameIndex: scene.keyframe.frameIndex, timestamp: scene.keyframe.timestamp,
                                             seconds: scene.keyframe.seconds, path: "keyframes/\(name)"))
        }
        scenes.append(scene)
    }

    while true {
        let sample: SampledFrame?
        do { sample = try reader.next() } catch { throw .input(input, error) }
        guard let sample else { break }
        let analyzed = AnalyzedFrame(sample, ssimShortSide: options.ssimShortSide)
        let reference = segmenter.openSceneReference
        let (record, closed) = segmenter.add(analyzed)
        if let closed { try close(closed, reference: reference) }
        frames.append(record)
        progress?(RunProgress(position: sample.seconds, duration: reader.info.duration, sampledFrames: frames.count,
                              decodedFrames: reader.counts.decodedFrames, scenes: scenes.count + 1))
    }
    let end = reader.endOfLastFrame ?? 0
    let reference = segmenter.openSceneReference
    if let last = segmenter.finish(end: end) { try close(last, reference: reference) }

    let list = SceneList(video: reader.info, options: options, frames: frames, scenes: scenes,
                         counts: reader.counts, warnings: reader.warnings, end: end)
    if let folder {
        do {
            try folder.write(SceneListWriter.json(list), to: "scenes.json")
            try folder.write(SceneListWriter.csv(list), to: "scenes.csv")
            try folder.commit(order: ["keyframes", "scenes.csv", "scenes.json"])
        } catch { throw .output(error) }
    }
    return list
}

/// `scene-0007_t000012.500.jpg`: scene number, then seconds from the start with millisecond precision.
func keyframeName(scene: Int, seconds: Double, format: StillImageFormat) -> String {
    String(format: "scene-%04d_t%010.3f.", scene, max(0, seconds)) + format.fileExtension
}

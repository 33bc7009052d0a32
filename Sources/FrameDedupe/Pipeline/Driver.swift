import Decoder
import Foundation
import Similarity

/// The one driver every command runs its stages with: pushes each input `next` gives through `stage` and hands
/// what comes out to `sink`; then tells the stage where the input ended (`end`, asked once the inputs are over).
func runStages<S: FrameStage, E: Error>(
    _ stage: S, inputs next: () throws(E) -> S.Input?, end: () throws(E) -> Double, into sink: (S.Output) throws(E) -> Void
) throws(E) {
    while let input = try next() { try stage.process(input, emit: sink) }
    try stage.finish(end: try end(), emit: sink)
}

/// The scene stages `run` and `tune` share: where scenes begin and which frames are transitions
/// (``CutDetector``), which short scenes are a gradual transition's middle (``GradualTransitionDetector``), each
/// scene's keyframe and mean content (``KeyframePicker``) and, with `--keep diverse`, its diverse frames
/// (``DiversityPicker``).
public func sceneStages<Attachment>(_ options: DedupeOptions, carrying: Attachment.Type = Attachment.self)
    -> some FrameStage<StageInput<Attachment>, SceneEvent<Attachment>> {
    let cuts = CutDetector<Attachment, SimilarityScorer>(scorer: SimilarityScorer(kind: options.scorer), rule: options.rule)
    cuts.minimumSceneLength = options.minimumSceneLength
    let gradual = GradualTransitionDetector<Attachment>()
    let keyframes = KeyframePicker<Attachment>()
    keyframes.shortSceneFrameLimit = gradual.maximumFrames + 1
    let diversity = DiversityPicker<Attachment>(diversity: options.keep == .diverse ? options.diversity : nil,
                                                geometricCheck: options.clustering.geometricCheck, mirror: options.clustering.mirroredMatch)
    return cuts.then(gradual).then(keyframes).then(diversity)
}

/// Opens `input` and starts decoding it on its own thread, preparing each sampled frame for the scorers (and for
/// `network`, when given) and, with `images`, encoding its images on another; `Embedder` runs the network on what
/// it hands out.
func openFrames(input: String, options: DedupeOptions, network: EfficientNetLite?, images: ImageExport? = nil,
                interruption: Interruption? = nil) throws(RunError) -> FrameSource {
    FrameSource(reader: try openReader(input, options: options, images: images, interruption: interruption), ssimShortSide: options.ssimShortSide,
                networkSize: network?.inputSize, networkInput: options.networkInput, images: images, capacity: frameQueueCapacity(options))
}

/// Whether the embedder may embed two batches at once (``Embedder/framesWaiting``, ``DedupeOptions/overlappingBatches``):
/// for pictures up to 720p. Above, decoding sets the pace on two cores, and the second thread's buffers and batch
/// (22-29 MB more at its peak, measured at 360p-480p) would take the peak memory at 1080p past 200 MB (165-190 MB).
func overlapsBatches(_ options: DedupeOptions, source: FrameSource) -> Bool {
    options.overlappingBatches && source.picturePixels <= ImageExport.heldDecodedPixels
}

/// Prepared frames the decoding thread may have handed over and not yet had taken (two batches, at least 4).
func frameQueueCapacity(_ options: DedupeOptions) -> Int { max(4, 2 * max(1, options.batchSize)) }

/// Opens `input`, its memory budget (``MemoryBudget``, `--max-memory`) counting the frames a run holds besides the
/// decoder's pictures — the frame queue, the batch the network is running (up to 720p, ``overlapsBatches(_:source:)``, also the batches ``Embedder/keptBatches``),
/// the scene stages' candidates (their `heldFrames`) and the frame between two of them — as holding what they do:
/// with `images` (a run that writes
/// them), a JPEG picture above 720p encoded (``ImageExport/heldPicture``), any other picture whole; without, no
/// picture. A requested `interruption` ends a wait for input.
func openReader(_ input: String, options: DedupeOptions, images: ImageExport?, interruption: Interruption? = nil) throws(RunError) -> VideoReader {
    var reader = options.reader
    if let interruption { reader.interrupt = { interruption.isRequested } }
    let stages = sceneStages(options, carrying: FrameImages?.self).heldFrames
    reader.memoryBudget?.framesHeld = frameQueueCapacity(options) + max(1, options.batchSize) + stages + 1
    reader.memoryBudget?.heldAs = images?.heldPicture ?? .nothing
    if options.overlappingBatches && options.scorer.usesEmbedding {
        reader.memoryBudget?.moreFramesHeld = Embedder<FrameImages?>.keptBatches * max(1, options.batchSize)
        reader.memoryBudget?.morePixelsAtMost = ImageExport.heldDecodedPixels
    }
    do { return try VideoReader(input: input, options: reader) } catch { throw .input(input, error) }
}

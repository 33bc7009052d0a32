import Decoder
import Similarity

/// Decodes and scores the sampled frames of `input` once — hashes, SSIM lumas, sharpness, embeddings — so that the
/// scene stages can be replayed under many settings without decoding again (`tune`). Holds every frame's signals
/// in memory (no pictures): for the short clips of a dev set, not for films.
///
/// - Parameter network: a loaded network to reuse across clips; nil loads one when the scorer needs it.
/// - Returns: the frames, and the end of the last decoded frame in seconds.
@_spi(Evaluation) public func analyseFrames(input: String, options: DedupeOptions, network: EfficientNetLite?) throws(RunError) -> (frames: [FrameSignals], end: Double) {
    var network = network
    if options.scorer.usesEmbedding, network == nil { network = try loadNetwork(options) }
    if !options.scorer.usesEmbedding { network = nil }
    let source = try openFrames(input: input, options: options, network: network)
    var frames: [FrameSignals] = []
    try runStages(Embedder<FrameImages?>(network: network, batchSize: options.batchSize, unchanged: options.unchangedFrames, frames: options.networkFramesInEffect), inputs: { () throws(RunError) -> NetworkFrame<FrameImages?>? in
        do throws(DecoderError) { return try source.next() } catch { throw .input(input, error) }
    }, end: { () throws(RunError) -> Double in 0 }, into: { (frame: StageFrame<FrameImages?>) throws(RunError) in frames.append(frame.signals) })
    return (frames, source.finishedReader.endOfLastFrame ?? frames.last?.seconds ?? 0)
}

/// The scenes `frames` give under `options` — the same stages `run` runs — without images: every frame's record
/// (with the transition frames found at each scene's close marked) and the scenes.
@_spi(Evaluation) public func replayScenes(_ frames: [FrameSignals], end: Double, options: DedupeOptions) -> (frames: [FrameRecord], scenes: [Scene]) {
    var records: [FrameRecord] = []
    var scenes: [Scene] = []
    var next = frames.makeIterator()
    runStages(ResumingInput<Void>().then(sceneStages(options, carrying: Void.self)), inputs: { next.next().map { StageFrame($0) } },
              end: { end }, into: { event in
        switch event {
        case .frame(let record, _): records.append(record)
        case .sceneClosed(let closed):
            scenes.append(closed.scene)
            for i in closed.reclassifiedFrames where i < records.count { records[i].transition = true }
        case .sceneEnded, .resumed: break
        }
    })
    return (records, scenes)
}

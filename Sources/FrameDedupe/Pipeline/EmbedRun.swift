import Decoder
import Foundation
import Similarity

/// One sampled frame's embedding, as `framededupe embed` writes it.
public struct EmbeddedFrame: Sendable {
    public let index: Int
    public let ordinal: Int
    public let timestamp: Timestamp
    public let seconds: Double
    public let embedding: Embedding
}

/// What an embedding run read.
public struct EmbeddingRun: Sendable {
    public let video: VideoInfo
    public let counts: DecodeCounts
    public let warnings: [String]
    public let frames: Int
}

/// Decodes `input`, embeds every sampled frame (in batches, decoding on its own thread) and hands
/// each one to `each` in time order.
///
/// - Throws: ``RunError``; an error thrown by `each` is rethrown as is (wrapped in `RunError.output`
///   when it is an ``OutputError``).
public func embedFrames(
    input: String, options: DedupeOptions, network given: EfficientNetLite? = nil,
    progress: ((RunProgress) -> Void)? = nil, each: (EmbeddedFrame) throws(OutputError) -> Void
) throws(RunError) -> EmbeddingRun {
    let network: EfficientNetLite
    if let given { network = given } else { network = try loadNetwork(options) }
    let source = try openFrames(input: input, options: options, network: network)
    let duration = source.duration
    var n = 0
    let embedder = Embedder<FrameImages?>(network: network, batchSize: options.batchSize)
    if overlapsBatches(options, source: source) { embedder.framesWaiting = { source.framesWaiting } }
    try runStages(embedder, inputs: { () throws(RunError) -> NetworkFrame<FrameImages?>? in
        do throws(DecoderError) { return try source.next() } catch { throw .input(input, error) }
    }, end: { () throws(RunError) -> Double in 0 }, into: { (frame: StageFrame<FrameImages?>) throws(RunError) in
        let s = frame.signals
        guard let embedding = s.embedding else { return }
        do throws(OutputError) {
            try each(EmbeddedFrame(index: s.index, ordinal: s.ordinal, timestamp: s.timestamp, seconds: s.seconds, embedding: embedding))
        } catch { throw .output(error) }
        n += 1
        progress?(RunProgress(position: s.seconds, duration: duration, sampledFrames: n, scenes: 0))
    })
    let finished = source.finishedReader
    return EmbeddingRun(video: finished.info, counts: finished.counts, warnings: finished.warnings, frames: n)
}

extension EmbeddedFrame {
    /// One JSON object: index, frame, pts, time and the 1280 floats (shortest round-trip text).
    public func jsonLine() -> String {
        var line = "{\"index\": \(index), \"frame\": \(ordinal), \"pts\": \(timestamp.pts), \"time\": \(formatNumber(seconds, decimals: 6)), \"embedding\": ["
        line.reserveCapacity(embedding.vector.count * 12 + 100)
        for (i, v) in embedding.vector.enumerated() {
            if i > 0 { line += ", " }
            line += v == 0 ? "0" : "\(v)"
        }
        return line + "]}"
    }
}

import Pixels
import Similarity

/// A frame with the picture the network is to see (prepared on the decoding thread).
public struct NetworkFrame<Attachment> {
    public var frame: StageFrame<Attachment>
    /// The network's input (nil when no embedding is computed).
    public let networkInput: RGBImage?

    public init(_ frame: StageFrame<Attachment>, networkInput: RGBImage?) {
        self.frame = frame
        self.networkInput = networkInput
    }
}

/// Where whole batches of embeddings are kept across runs (a checkpoint), by the position of their first frame.
protocol EmbeddingBatchStore: AnyObject {
    /// The embeddings of the whole batch starting at `first`, as an earlier run computed them.
    func embeddings(batchAt first: Int) -> [Embedding]?
    /// Keeps a whole batch's embeddings.
    func store(_ embeddings: [Embedding], batchAt first: Int)
}

/// Runs the network on frames in batches (larger batches make its matrix products more efficient) and hands the
/// frames on in order, each with its embedding; without a network it hands them on as they come.
///
/// Batches start at multiples of the batch size counted from the first frame, so a resumed run embeds exactly
/// the batches an uninterrupted one does (more OpenBLAS work per batch changes the last bits of the sums).
/// Holds one batch.
public final class Embedder<Attachment>: FrameStage {
    public typealias Input = NetworkFrame<Attachment>
    public typealias Output = StageFrame<Attachment>

    public let network: EfficientNetLite?
    public let batchSize: Int
    private var batch: [NetworkFrame<Attachment>] = []
    /// Position (0, 1, 2… among the frames received) of the batch's first frame.
    private var batchStart = 0
    /// Batches wholly before this position are not embedded (a resumed run has their results already).
    var neededFrom = 0
    /// Batches logged by an earlier run, and where this run logs its own.
    var store: EmbeddingBatchStore?

    public init(network: EfficientNetLite?, batchSize: Int) {
        self.network = network
        self.batchSize = max(1, batchSize)
    }

    public var heldFrames: Int { batchSize }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        guard network != nil else { return try emit(input.frame) }
        batch.append(input)
        if batch.count == batchSize { try flush(emit: emit) }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {
        if !batch.isEmpty { try flush(emit: emit) }
    }

    private func flush<E: Error>(emit: (Output) throws(E) -> Void) throws(E) {
        var frames = batch.map(\.frame)
        let inputs = batch.map(\.networkInput)
        batch.removeAll(keepingCapacity: true)
        defer { batchStart += frames.count }
        if let network, batchStart + frames.count > neededFrom {
            if frames.count == batchSize, let stored = store?.embeddings(batchAt: batchStart) {
                for i in frames.indices { frames[i].signals.embedding = stored[i] }
            } else {
                let embeddings = network.embed(inputs.map { $0! })
                for i in frames.indices { frames[i].signals.embedding = embeddings[i] }
                if frames.count == batchSize { store?.store(embeddings, batchAt: batchStart) }
            }
        }
        for frame in frames { try emit(frame) }
    }
}

extension NetworkFrame: Sendable where Attachment: Sendable {}

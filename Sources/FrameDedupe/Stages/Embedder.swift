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
    /// Keeps a whole batch's embeddings, of which `computed` frames went through the network (the others took an
    /// unchanged frame's): what computing the batch again would cost.
    func store(_ embeddings: [Embedding], batchAt first: Int, computed: Int)
}

/// When a frame is unchanged since the last frame the network saw, so that it takes that frame's embedding (and
/// grid) instead of a network call of its own: a still, a slide or a frozen feed costs one call.
///
/// Unchanged means: both 64-bit hashes (pHash and dHash) equal, the same active picture inside the black bars (what
/// the network is shown), and SSIM between the analysis lumas (256 pixels on the short side, Gaussian SSIM as
/// ``StructuralSimilarity``) at least ``minimumSSIM``. The comparison is with the frame whose embedding is reused,
/// not with the frame before, so a slow pan or fade cannot creep on under the threshold one frame at a time.
/// Measured on the dev set's tune part (33 clips at 2 fps), for frames with both hashes equal to their anchor's: at
/// SSIM ≥ 0.999 the cosine distance between a frame's own embedding and its anchor's was at most 0.0002 (rounding
/// and re-encoding), at 0.995 up to 0.007, at 0.96 0.027 (people walking in a still shot). The cut rule's smallest
/// unit of embedding change is 0.005, so the default stays far below it.
public struct UnchangedFrameRule: Sendable, Equatable {
    /// The least SSIM at analysis size for a frame to count as unchanged, 0 to 1.
    public var minimumSSIM: Double

    public init(minimumSSIM: Double = 0.999) { self.minimumSSIM = minimumSSIM }

    /// Whether `frame` is unchanged since `anchor` (the frame whose embedding it would take).
    public func isUnchanged(_ frame: FrameSignals, since anchor: FrameSignals) -> Bool {
        guard frame.hash == anchor.hash, frame.activeArea == anchor.activeArea,
              let a = frame.analysisLuma, let b = anchor.analysisLuma, a.width == b.width, a.height == b.height,
              min(a.width, a.height) >= 11
        else { return false }
        return StructuralSimilarity().similarity(a, b) >= minimumSSIM
    }

    /// How the rule is recorded in a checkpoint's identity.
    var description: String { "ssim \(minimumSSIM)" }
}

/// Runs the network on frames in batches (larger batches make its matrix products more efficient) and hands the
/// frames on in order, each with its embedding; without a network it hands them on as they come.
///
/// Batches start at multiples of the batch size counted from the first frame, so a resumed run embeds exactly
/// the batches an uninterrupted one does (more OpenBLAS work per batch changes the last bits of the sums).
/// With an ``UnchangedFrameRule``, a frame unchanged since the last frame the network saw (its anchor) takes the
/// anchor's embedding, and only the other frames of a batch go through the network, together. The decisions
/// are made for every frame, in a resumed run too (hashes and SSIM are cheap), so the frames that go through the
/// network together are the same in both runs; a resumed run that needs the embedding of an anchor in a batch
/// it skipped computes that batch's frames again, as they were computed together. Holds one batch (and, in a
/// resumed run, until its first needed batch, the network inputs of the anchor's batch).
public final class Embedder<Attachment>: FrameStage {
    public typealias Input = NetworkFrame<Attachment>
    public typealias Output = StageFrame<Attachment>

    public let network: EfficientNetLite?
    public let batchSize: Int
    /// When a frame takes its anchor's embedding (nil: every frame goes through the network).
    public let unchanged: UnchangedFrameRule?
    private var batch: [NetworkFrame<Attachment>] = []
    /// For each frame of `batch`: the position in `batch` of the frame whose embedding it takes (itself when it goes
    /// through the network), or -1 for the anchor of an earlier batch.
    private var sources: [Int] = []
    /// Position (0, 1, 2… among the frames received) of the batch's first frame.
    private var batchStart = 0
    /// The last frame that goes through the network (in this batch or an earlier one), and its embedding once known.
    private var anchor: FrameSignals?
    private var anchorEmbedding: Embedding?
    /// In a resumed run: the network inputs of the frames of a skipped batch that went through the network together,
    /// and which of them is the anchor, to compute the anchor's embedding exactly as the uninterrupted run did.
    private var skippedAnchorBatch: (inputs: [RGBImage], anchor: Int)?
    /// Batches wholly before this position are not embedded (a resumed run has their results already).
    var neededFrom = 0
    /// Batches logged by an earlier run, and where this run logs its own.
    var store: EmbeddingBatchStore?
    /// Frames that took their anchor's embedding instead of a network call (in a resumed run, counted from the
    /// input's start as in an uninterrupted one).
    public private(set) var reusedCount = 0
    /// Wall-clock and CPU seconds spent in the network and in the unchanged-frame checks (for a run's profile).
    public private(set) var networkSeconds = (wall: 0.0, cpu: 0.0)

    public init(network: EfficientNetLite?, batchSize: Int, unchanged: UnchangedFrameRule? = nil) {
        self.network = network
        self.batchSize = max(1, batchSize)
        self.unchanged = unchanged
    }

    public var heldFrames: Int { batchSize }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        guard network != nil else { return try emit(input.frame) }
        let start = (ThreadClock.now(), ThreadClock.threadCPU())
        let isUnchanged = unchanged.map { rule in anchor.map { rule.isUnchanged(input.frame.signals, since: $0) } ?? false } ?? false
        timed(since: start)
        if isUnchanged {
            sources.append(sources.indices.last { sources[$0] == $0 } ?? -1)
            reusedCount += 1
        } else {
            sources.append(batch.count)
            anchor = input.frame.signals
        }
        batch.append(input)
        if batch.count == batchSize { try flush(emit: emit) }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {
        if !batch.isEmpty { try flush(emit: emit) }
    }

    private func flush<E: Error>(emit: (Output) throws(E) -> Void) throws(E) {
        let start = (ThreadClock.now(), ThreadClock.threadCPU())
        var frames = batch.map(\.frame)
        let sources = sources
        let own = sources.indices.filter { sources[$0] == $0 }  // the frames that go through the network
        let inputs = own.map { batch[$0].networkInput! }
        batch.removeAll(keepingCapacity: true)
        self.sources.removeAll(keepingCapacity: true)
        defer { batchStart += frames.count }
        if let network, batchStart + frames.count > neededFrom {
            if frames.count == batchSize, let stored = store?.embeddings(batchAt: batchStart) {
                for i in frames.indices { frames[i].signals.embedding = stored[i] }
                if sources.first == -1 { anchorEmbedding = stored[0] }
            } else {
                if sources.contains(-1), anchorEmbedding == nil, let skipped = skippedAnchorBatch {
                    anchorEmbedding = network.embed(skipped.inputs)[skipped.anchor]
                }
                let embeddings = inputs.isEmpty ? [] : network.embed(inputs)
                for (k, i) in own.enumerated() { frames[i].signals.embedding = embeddings[k] }
                for i in frames.indices where sources[i] != i {
                    frames[i].signals.embedding = sources[i] < 0 ? anchorEmbedding : frames[sources[i]].signals.embedding
                }
                if frames.count == batchSize { store?.store(frames.map { $0.signals.embedding! }, batchAt: batchStart, computed: own.count) }
            }
            skippedAnchorBatch = nil
            if let last = own.last { anchorEmbedding = frames[last].signals.embedding }
        } else if network != nil, !own.isEmpty {
            // A batch a resumed run skips: its anchor's embedding is not known, but can be computed again.
            anchorEmbedding = nil
            skippedAnchorBatch = (inputs, own.count - 1)
        }
        timed(since: start)
        for frame in frames { try emit(frame) }
    }

    private func timed(since start: (wall: Double, cpu: Double)) {
        networkSeconds.wall += ThreadClock.now() - start.wall
        networkSeconds.cpu += ThreadClock.threadCPU() - start.cpu
    }
}

extension NetworkFrame: Sendable where Attachment: Sendable {}

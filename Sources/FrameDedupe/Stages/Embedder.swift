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
/// Unchanged means: each 64-bit hash (pHash and dHash) within ``maximumHashDistance`` bits of the anchor's (2: the
/// noise of re-encoding one picture), the same active picture inside the black bars (what the network is shown), and
/// SSIM between the analysis lumas (256 pixels on the short side, Gaussian SSIM as ``StructuralSimilarity``) at least
/// ``minimumSSIM``. The comparison is with the frame whose embedding is reused, not with the frame before, so a slow
/// pan or fade cannot creep on under the threshold one frame at a time.
///
/// The SSIM threshold bounds the error: measured on the dev set's tune part (33 clips at 2 fps, 1,088 sampled frames;
/// `UnchangedFramesTool`), the cosine distance between a reused frame's own embedding and its anchor's was at most
/// 0.0016 at SSIM ≥ 0.999 (rounding and re-encoding; 2 bits of hash or none), 0.0024 at 0.998, 0.007 at 0.995,
/// 0.038 at 0.98 (people walking in a still shot), while the cut rule calls a picture still under 0.002 and its
/// smallest unit of embedding change is 0.005. Looser rules spare almost nothing more, because SSIM at analysis size
/// separates still pictures from moving ones sharply: the default takes 96 of the 1,088 frames off the network
/// (8.8%; 93 with equal hashes), SSIM 0.98 with 8 bits 105 (9.7%). On issue 19's mixed benchmark set (8 clips of
/// 60 s, 966 sampled frames) the default spares 74 network calls, SSIM 0.98 with 8 bits 84.
public struct UnchangedFrameRule: Sendable, Equatable {
    /// The least SSIM at analysis size for a frame to count as unchanged, 0 to 1.
    public var minimumSSIM: Double
    /// The most bits in which each of the two hashes may differ from the anchor's, 0 to 64.
    public var maximumHashDistance: Int

    public init(minimumSSIM: Double = 0.999, maximumHashDistance: Int = 2) {
        self.minimumSSIM = minimumSSIM
        self.maximumHashDistance = maximumHashDistance
    }

    /// Whether `frame` is unchanged since `anchor` (the frame whose embedding it would take).
    public func isUnchanged(_ frame: FrameSignals, since anchor: FrameSignals) -> Bool {
        guard frame.hash.perceptualDistance(to: anchor.hash) <= maximumHashDistance,
              frame.hash.differenceDistance(to: anchor.hash) <= maximumHashDistance, frame.activeArea == anchor.activeArea,
              let a = frame.analysisLuma, let b = anchor.analysisLuma, a.width == b.width, a.height == b.height,
              min(a.width, a.height) >= 11
        else { return false }
        return StructuralSimilarity().similarity(a, b) >= minimumSSIM
    }

    /// How the rule is recorded in a checkpoint's identity.
    var description: String { "ssim \(minimumSSIM) hash bits \(maximumHashDistance)" }
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
///
/// With ``NetworkFrames/cascade`` (`--network-frames cascade`), a ``NetworkGate`` decides from the pixels,
/// ``NetworkGate/pairsAhead`` frames after each frame arrives, whether it needs the network; a frame that does not takes its anchor's embedding as a
/// stand-in (``FrameSignals/embeddingIsStandIn``, counted in ``skippedCount``) unless it is unchanged since its anchor
/// (then it counts in ``reusedCount``, its embedding no stand-in). The decisions too are made for every frame from
/// the input's start, in a resumed run as well, so its batches are the same. It then holds ``NetworkGate/pairsAhead`` frames more.
///
/// Two batches at once: with ``framesWaiting`` set and the network on one thread, a full batch goes to a second
/// thread (``NetworkWorker``) when the frames after it are already waiting (at least a batch of them) and that
/// thread is free; the next batch is then embedded here at the same time. The second thread and its buffers exist
/// only from the first batch it takes: a run whose frames never wait for the network (large pictures, where
/// decoding sets the pace) never starts it. Once it runs, while a batch of frames waits the last ``keptBatches``
/// batches (embedded, or being embedded there) are handed on only once the next batch is collected, so the scene
/// stages of a pair of batches run while the second thread embeds the next: before, a pair was handed on as soon as
/// both were embedded, and the second thread waited through their scene stages while the decoding thread, its queue
/// full, waited too. The batches are the same and each goes through the same pass, so every embedding has the same
/// bits either way, and the frames are handed on in order. It then holds up to ``keptBatches`` batches besides the
/// one it collects.
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
    /// Position (0, 1, 2… among the frames received) of the first frame of the batch being collected.
    private var collectedStart = 0
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
    /// How many prepared frames are waiting to be received (the decoder's queue): when set, a full batch may go to a
    /// second thread while the next is embedded here (see the type's discussion). nil: one batch at a time.
    var framesWaiting: (() -> Int)?
    /// Frames that took their anchor's embedding instead of a network call (in a resumed run, counted from the
    /// input's start as in an uninterrupted one).
    public private(set) var reusedCount = 0
    /// Frames the gate kept off the network (``NetworkGate``), with their anchor's embedding as a stand-in; counted
    /// like ``reusedCount`` (a frame unchanged since its anchor counts there, not here).
    public private(set) var skippedCount = 0
    /// Which frames need the network, decided from the pixels (`--network-frames cascade`); nil: every frame.
    private var gate: NetworkGate?
    /// The frames whose need is not decided yet (the gate looks ``NetworkGate/pairsAhead`` frames ahead), each with whether the pair ending
    /// at it is open.
    private var undecided: [(frame: NetworkFrame<Attachment>, open: Bool)] = []
    /// Whether the pair ending at the frame before the first undecided one is open.
    private var lastPairOpen = true
    /// The time of the last frame that needed the network.
    private var lastNeededSeconds: Double?
    /// Wall-clock and CPU seconds spent in the network and in the unchanged-frame checks on the embedder's thread
    /// (for a run's profile).
    public private(set) var networkSeconds = (wall: 0.0, cpu: 0.0)
    /// Wall-clock seconds the embedder's thread waited for the second thread's batch.
    private(set) var waitingSeconds = 0.0
    /// The second thread, from the first batch it takes; its time once the embedder finished (``workerClock``).
    private var worker: NetworkWorker?
    /// Where the second thread spent its time, after ``finish(end:emit:)``; nil if it never ran.
    private(set) var workerClock: ThreadClock?

    /// A collected batch, until it is handed on (in order).
    private struct Pending {
        var frames: [StageFrame<Attachment>]
        let sources: [Int]
        /// The positions of the frames that go through the network, and their network inputs.
        let own: [Int]
        let inputs: [RGBImage]
        let start: Int
        var embeddings: Embeddings
    }

    /// A pending batch's embeddings.
    private enum Embeddings {
        /// Not embedded: before ``neededFrom``.
        case skipped
        /// As an earlier run logged the whole batch.
        case stored([Embedding])
        /// The network's, for the frames of `own`.
        case computed([Embedding])
        /// Being computed by the second thread.
        case onWorker
    }

    /// The batches collected and not yet handed on: at most ``keptBatches`` between two calls.
    private var pending: [Pending] = []
    /// With ``framesWaiting`` set, how many batches embedded (or being embedded) are not handed on until the next
    /// batch is collected (see the type's discussion): two, so that both batches of a pair embedded at once are.
    static var keptBatches: Int { 2 }

    public init(network: EfficientNetLite?, batchSize: Int, unchanged: UnchangedFrameRule? = nil, frames: NetworkFrames = .all) {
        self.network = network
        self.batchSize = max(1, batchSize)
        self.unchanged = unchanged
        self.networkFrames = frames
        if frames == .cascade { gate = NetworkGate() }
    }

    /// Which frames go through the network.
    public let networkFrames: NetworkFrames

    deinit { worker?.stop() }

    public var heldFrames: Int { (framesWaiting == nil ? 1 : 1 + Self.keptBatches) * batchSize + (gate == nil ? 0 : NetworkGate.pairsAhead) }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        guard network != nil else { return try emit(input.frame) }
        guard gate != nil else { return try admit(input, needed: true, emit: emit) }
        let start = (ThreadClock.now(), ThreadClock.threadCPU())
        let open = gate!.isOpen(pairEndingAt: input.frame.signals)
        timed(since: start)
        undecided.append((input, open))
        if undecided.count > NetworkGate.pairsAhead { try decideFirst(emit: emit) }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {
        // The pairs after the input's last frames do not exist: they are open, so the last frames need the network.
        while !undecided.isEmpty {
            let (frame, open) = undecided.removeFirst()
            lastPairOpen = open
            lastNeededSeconds = frame.frame.signals.seconds
            try admit(frame, needed: true, emit: emit)
        }
        if !batch.isEmpty { try flush(emit: emit) }
        try handOnPending(emit: emit)
        workerClock = worker?.stop()
        worker = nil
    }

    /// Decides whether the first undecided frame needs the network (``NetworkGate``: a pair from the one ending at the
    /// frame before it to the one ending ``NetworkGate/pairsAhead`` frames after it is open, or ``NetworkGate/keepSeconds`` passed since the
    /// last frame that needed it) and passes it on.
    private func decideFirst<E: Error>(emit: (Output) throws(E) -> Void) throws(E) {
        let (frame, open) = undecided.removeFirst()
        let seconds = frame.frame.signals.seconds
        let needed = lastPairOpen || open || undecided.contains { $0.open } || frame.frame.signals.endsInput
            || lastNeededSeconds.map { seconds - $0 >= NetworkGate.keepSeconds } ?? true
        lastPairOpen = open
        if needed { lastNeededSeconds = seconds }
        try admit(frame, needed: needed, emit: emit)
    }

    /// Adds a frame to the batch: through the network when it is `needed` and changed since the last frame the network
    /// saw, else with that frame's embedding (unchanged, or a stand-in).
    private func admit<E: Error>(_ input: Input, needed: Bool, emit: (Output) throws(E) -> Void) throws(E) {
        var input = input
        let start = (ThreadClock.now(), ThreadClock.threadCPU())
        let isUnchanged = unchanged.map { rule in anchor.map { rule.isUnchanged(input.frame.signals, since: $0) } ?? false } ?? false
        timed(since: start)
        if isUnchanged || (!needed && anchor != nil) {
            sources.append(sources.indices.last { sources[$0] == $0 } ?? -1)
            if isUnchanged {
                reusedCount += 1
            } else {
                skippedCount += 1
                input.frame.signals.embeddingIsStandIn = true
            }
        } else {
            sources.append(batch.count)
            anchor = input.frame.signals
        }
        batch.append(input)
        if batch.count == batchSize { try flush(emit: emit) }
    }

    /// Starts embedding the collected batch (on the second thread, or here) and hands on what is done, but for the
    /// last ``batchesToKeep``.
    private func flush<E: Error>(emit: (Output) throws(E) -> Void) throws(E) {
        let timing = (ThreadClock.now(), ThreadClock.threadCPU())
        let own = sources.indices.filter { sources[$0] == $0 }  // the frames that go through the network
        var next = Pending(frames: batch.map(\.frame), sources: sources, own: own, inputs: own.map { batch[$0].networkInput! },
                           start: collectedStart, embeddings: .skipped)
        batch.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
        collectedStart += next.frames.count
        if next.start + next.frames.count > neededFrom {
            if next.frames.count == batchSize, let stored = store?.embeddings(batchAt: next.start) {
                next.embeddings = .stored(stored)
            } else if let network, !next.inputs.isEmpty {
                takeSecondThreadsBatch()
                if secondThreadHelps {
                    if worker == nil { worker = NetworkWorker(network: network) }
                    worker!.start(next.inputs)
                    next.embeddings = .onWorker
                } else {
                    next.embeddings = .computed(network.embed(next.inputs))
                }
            } else {
                next.embeddings = .computed([])
            }
        }
        pending.append(next)
        timed(since: timing)
        try handOnPending(keeping: batchesToKeep, emit: emit)
    }

    /// How many of the last batches to keep until the next batch is collected: none without the second thread;
    /// ``keptBatches`` while a batch of frames waits (the next is collected at once, and the second thread takes it
    /// before the scene stages run); else one, the second thread's or the last (decoding sets the pace then, and
    /// the frames held cost memory: up to 720p a batch is ~11 MB of decoded pictures; keeping two all the time, VP9
    /// 720p peaked at 176-207 MB against 150-155).
    private var batchesToKeep: Int {
        guard worker != nil, let framesWaiting else { return 0 }
        return framesWaiting() >= batchSize ? Self.keptBatches : 1
    }

    /// Whether a batch given to the second thread now would be embedded at the same time as the next one: the
    /// network runs on one thread, the second thread is free, and a whole batch of frames is waiting already (else
    /// decoding sets the pace, and a second busy thread of ours only takes CPU from it: h264-720p of the mixed set,
    /// with every batch the thread was free for going there, 3.70 s against 3.54, medians of 6 under load).
    private var secondThreadHelps: Bool {
        guard let framesWaiting, network?.threads == 1, worker?.isIdle ?? true else { return false }
        return framesWaiting() >= batchSize
    }

    /// Takes the second thread's embeddings into their pending batch if it is done with them, so that it is free.
    private func takeSecondThreadsBatch() {
        guard let worker, worker.hasFinished,
              let i = pending.firstIndex(where: { if case .onWorker = $0.embeddings { true } else { false } })
        else { return }
        let (embeddings, waited) = worker.embeddings()
        waitingSeconds += waited
        pending[i].embeddings = .computed(embeddings)
    }

    /// Completes the pending batches in order, all but the last `kept` (waiting for the second thread's), and hands
    /// their frames on.
    private func handOnPending<E: Error>(keeping kept: Int = 0, emit: (Output) throws(E) -> Void) throws(E) {
        while pending.count > kept {
            var done = pending.removeFirst()
            if case .onWorker = done.embeddings {
                let (embeddings, waited) = worker!.embeddings()
                waitingSeconds += waited
                done.embeddings = .computed(embeddings)
            }
            let timing = (ThreadClock.now(), ThreadClock.threadCPU())
            complete(&done)
            timed(since: timing)
            for frame in done.frames { try emit(frame) }
        }
    }

    /// Gives each frame of `batch` its embedding: the network's, the one an earlier run logged, or its anchor's.
    /// In order: the anchor of a batch's first frames is the last frame of the batches before that went through the
    /// network.
    private func complete(_ batch: inout Pending) {
        let sources = batch.sources, own = batch.own
        switch batch.embeddings {
        case .stored(let stored):
            for i in batch.frames.indices { batch.frames[i].signals.embedding = stored[i] }
            if sources.first == -1 { anchorEmbedding = stored[0] }
        case .computed(let embeddings):
            if sources.contains(-1), anchorEmbedding == nil, let skipped = skippedAnchorBatch, let network {
                anchorEmbedding = network.embed(skipped.inputs)[skipped.anchor]
            }
            for (k, i) in own.enumerated() { batch.frames[i].signals.embedding = embeddings[k] }
            for i in batch.frames.indices where sources[i] != i {
                batch.frames[i].signals.embedding = sources[i] < 0 ? anchorEmbedding : batch.frames[sources[i]].signals.embedding
            }
            if batch.frames.count == batchSize {
                store?.store(batch.frames.map { $0.signals.embedding! }, batchAt: batch.start, computed: own.count)
            }
        case .skipped:
            // A batch a resumed run skips: its anchor's embedding is not known, but can be computed again.
            if !own.isEmpty {
                anchorEmbedding = nil
                skippedAnchorBatch = (batch.inputs, own.count - 1)
            }
            return
        case .onWorker:
            preconditionFailure("completed before the second thread's embeddings were taken")
        }
        skippedAnchorBatch = nil
        if let last = own.last { anchorEmbedding = batch.frames[last].signals.embedding }
    }

    private func timed(since start: (wall: Double, cpu: Double)) {
        networkSeconds.wall += ThreadClock.now() - start.wall
        networkSeconds.cpu += ThreadClock.threadCPU() - start.cpu
    }
}

extension NetworkFrame: Sendable where Attachment: Sendable {}

import Foundation
import Pixels
import Similarity

/// A thread of its own that runs the network on one batch at a time for an ``Embedder``, on buffers of its own
/// (an ``EmbeddingLane``), while the embedder's thread embeds the next batch and runs the scene stages: when frames
/// wait for the network, its batches keep two cores busy. Created only when first needed, so a run the decoder
/// paces never starts the thread nor allocates its buffers.
final class NetworkWorker: @unchecked Sendable {
    // Unchecked: every field below the lock is read and written under it; the lane is used by the thread only.
    private let condition = NSCondition()
    private var waiting: [RGBImage]?
    private var finished: [Embedding]?
    private var busy = false
    private var stopping = false
    private var ended = false
    private var clock = ThreadClock()

    init(network: EfficientNetLite) {
        let lane = network.makeLane()
        let thread = Thread { [self] in run(lane) }
        thread.name = "framededupe.network"
        thread.stackSize = 4 << 20
        thread.start()
    }

    private func run(_ lane: EmbeddingLane) {
        var clock = ThreadClock()
        condition.lock()
        while true {
            clock.start()
            while waiting == nil && !stopping { condition.wait() }
            clock.lap(.waitingForBatches)
            guard let inputs = waiting else { break }
            waiting = nil
            condition.unlock()
            let embeddings = lane.embed(inputs)
            clock.lap(.network)
            condition.lock()
            finished = embeddings
            condition.broadcast()
        }
        self.clock = clock
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether a batch can be handed over now: the last one's embeddings were taken.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !busy
    }

    /// Whether the batch ``start(_:)`` handed over is embedded and waits to be taken by ``embeddings()``.
    var hasFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished != nil
    }

    /// Starts embedding `inputs` (only when ``isIdle``).
    func start(_ inputs: [RGBImage]) {
        condition.lock()
        precondition(!busy)
        busy = true
        waiting = inputs
        condition.broadcast()
        condition.unlock()
    }

    /// The embeddings of the batch ``start(_:)`` handed over, once they are computed, and the seconds spent
    /// waiting for them.
    func embeddings() -> (embeddings: [Embedding], waited: Double) {
        let begin = ThreadClock.now()
        condition.lock()
        defer { condition.unlock() }
        precondition(busy)
        while finished == nil { condition.wait() }
        let result = finished!
        finished = nil
        busy = false
        return (result, ThreadClock.now() - begin)
    }

    /// Ends the thread (after the batch it is embedding, if any) and returns where its time went.
    @discardableResult
    func stop() -> ThreadClock {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !ended { condition.wait() }
        return clock
    }
}

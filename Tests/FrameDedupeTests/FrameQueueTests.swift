@testable import FrameDedupe
import Testing

/// ``FrameQueue``, the hand-off between a run's threads: what the consumer has taken is no longer held by the
/// queue (a taken frame's images, or a decoded picture waiting for the encoder, must not stay in memory until 64
/// more have been taken; at 1080p that held ~100 MB of pictures).
@Suite("Frame queue")
struct FrameQueueTests {
    final class Payload: Sendable {}

    @Test func aTakenItemIsReleased() {
        let queue = FrameQueue<Payload>(capacity: 4)
        weak var first: Payload?
        do {
            let payload = Payload()
            first = payload
            queue.put(payload)
            queue.put(Payload())
        }
        #expect(first != nil, "held while queued")
        _ = queue.take()
        #expect(first == nil, "the queue still holds the item it handed out")
        #expect(queue.take() != nil)
        queue.close()
        #expect(queue.take() == nil)
    }
}

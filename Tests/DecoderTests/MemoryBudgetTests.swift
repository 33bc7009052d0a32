@testable import Decoder
import Testing

/// ``MemoryBudget`` (`--max-memory`): the pictures in flight counted as what they hold. The binary's refusal of an 8K
/// input within 1G, not 2G, is in SafetyTests.
@Suite("Memory budget of the pictures in flight")
struct MemoryBudgetTests {
    /// The bytes `budget` says a `width`×`height` yuv420p stream needs with 2 decoding threads.
    private func needed(_ budget: MemoryBudget, _ width: Int, _ height: Int) -> Int64? {
        do throws(DecoderError) {
            try budget.check(width: width, height: height, format: 0, decoderThreads: 2)  // 0: AV_PIX_FMT_YUV420P
            return nil
        } catch {
            guard case .pictureTooLarge(_, _, _, _, let bytes, _) = error else { return nil }
            return bytes
        }
    }

    @Test func framesCountWhatTheyHold() {
        let p1080 = Double(1920 * 1080 * 3 / 2), p720 = Double(1280 * 720 * 3 / 2)
        func budget(_ heldAs: MemoryBudget.HeldPicture) -> MemoryBudget {
            var b = MemoryBudget(bytes: 1, framesHeld: 61, heldAs: heldAs)
            (b.moreFramesHeld, b.morePixelsAtMost) = (16, 1280 * 720)
            return b
        }
        let jpeg = budget(.encoded(abovePixels: 1280 * 720, waiting: 2))
        // Above 720p: 2 threads + 17 decoder pictures + 3 at the encoder whole, 61 frames as JPEG images (a quarter).
        #expect(needed(jpeg, 1920, 1080) == Int64((22 + 61.0 / 4) * p1080))
        // Up to 720p the frames hold their pictures, and the network may hold a second batch.
        #expect(needed(jpeg, 1280, 720) == Int64((19 + 61 + 16) * p720))
        // PNG or WebP: every held frame whole; no images written: none.
        #expect(needed(budget(.decoded), 1920, 1080) == Int64((19 + 61) * p1080))
        #expect(needed(budget(.nothing), 1920, 1080) == Int64(19 * p1080))
        // Within budget: nothing thrown. The old count (every held frame a whole picture) needed 80 pictures.
        var within = jpeg
        within.bytes = Int64(40 * p1080)
        #expect(needed(within, 1920, 1080) == nil)
        // libavcodec's max_pixels follows the same count for a large picture: 21 whole and 61 quarter pictures a byte a pixel.
        #expect(within.maxPixels == Int64(40 * p1080 / (21 + 61.0 / 4)))
    }
}

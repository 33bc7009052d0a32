@testable import Decoder
import Foundation
import Testing
import _FrameDedupeTestSupport

/// ``DecoderThreads``: the automatic decoder thread count, libavcodec's choice within a memory bound that depends on
/// the picture size (the bound's figures are measured in BENCHMARKS.md, "The decoder's threads by picture size").
@Suite("Automatic decoder threads")
struct DecoderThreadsTests {
    private let yuv420p: Int32 = 0  // AV_PIX_FMT_YUV420P

    /// On a many-core machine the count falls with the picture size; on few cores it is libavcodec's (cores + 1).
    @Test func boundedByThePictureSize() {
        func threads(_ width: Int, _ height: Int, processors: Int) -> Int {
            DecoderThreads.automatic(width: width, height: height, format: yuv420p, processors: processors)
        }
        // 64 cores: libavcodec would take 16 threads everywhere.
        #expect(threads(1920, 1080, processors: 64) == 4)
        #expect(threads(1280, 720, processors: 64) == 7)
        #expect(threads(854, 480, processors: 64) == 11)
        #expect(threads(640, 360, processors: 64) == 14)
        #expect(threads(320, 240, processors: 64) == 16)
        // Never fewer than 2, however large the picture (one 4K frame thread alone is over the bound).
        #expect(threads(3840, 2160, processors: 64) == 2)
        // 2 cores: 3 threads, as libavcodec chooses; 1 core: 2.
        for (w, h) in [(1920, 1080), (1280, 720), (640, 360)] {
            #expect(threads(w, h, processors: 2) == 3)
            #expect(threads(w, h, processors: 1) == 2)
        }
        // The threads' estimated memory stays within the bound whenever the bound decides.
        for (w, h) in [(1920, 1080), (1280, 720), (854, 480), (640, 360)] {
            let n = threads(w, h, processors: 64)
            let picture = MemoryBudget.pictureBytes(width: w, height: h, format: yuv420p)
            #expect(Double(n) * DecoderThreads.threadBytes(picture: picture) <= Double(DecoderThreads.memory))
            #expect(Double(n + 1) * DecoderThreads.threadBytes(picture: picture) > Double(DecoderThreads.memory) || n == 16)
        }
    }

    /// The reader opens its decoder with the automatic count when none is asked for, and with the one asked for
    /// otherwise; the memory budget counts the same threads (a real 720p clip).
    @Test func readerAndBudgetUseTheSameCount() throws {
        let clip = Fixtures.sample("bbb-720p.mp4").path
        let automatic = DecoderThreads.automatic(width: 1280, height: 720, format: yuv420p)
        #expect(automatic == min(16, DecoderThreads.processors + 1, 7))
        for (asked, expected) in [(0, automatic), (5, 5)] {
            var options = ReaderOptions()
            options.threads = asked
            #expect(try VideoReader(input: clip, options: options).decoderThreads == expected)
            options.memoryBudget = MemoryBudget(bytes: 1)
            do throws(DecoderError) {
                _ = try VideoReader(input: clip, options: options)
                Issue.record("a 1-byte budget must refuse the input")
            } catch {
                guard case .pictureTooLarge(_, _, let pictures, _, _, _) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(pictures == expected + MemoryBudget.decoderPictures, "--threads \(asked)")
            }
        }
    }
}

import Decoder
import Foundation
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Not a timed test: prints SSIM and perceptual-hash throughput when `FRAMEDEDUPE_BENCH_KERNELS` is set, for
/// `scripts/bench-speed.py`. Its value: `rounds=5 seconds=0.5` (any subset; an empty value takes these defaults).
/// Run it alone, in release: `FRAMEDEDUPE_BENCH_KERNELS="rounds=3" swift test -c release --filter KernelBenchmark`.
///
/// The pictures are real: two frames of `samples/bbb-720p.mp4` half a second apart (what the pipeline compares at
/// `--fps 2`), decoded at full size (1280×720 luma) and area-averaged as the pipeline does to a 256, 64 and 32-pixel
/// shorter side. Per round and size, each kernel runs for about `seconds` and one line is printed:
///
///     kernel-benchmark kernel=ssim size=32 width=57 height=32 round=0 calls=… seconds=… mpix_per_s=… per_s=…
///
/// SSIM counts one picture's pixels per comparison (`width × height`); a hash is `FrameHash(luma)`, pHash and dHash
/// together, including the area average down to its 32×32 and 9×8 grids.
@Suite("KernelBenchmark", .temporaryFolders, .enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_BENCH_KERNELS"] != nil))
struct KernelBenchmark {
    @Test func throughput() throws {
        var options = ["rounds": "5", "seconds": "0.5"]
        for pair in (ProcessInfo.processInfo.environment["FRAMEDEDUPE_BENCH_KERNELS"] ?? "").split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { options[parts[0]] = parts[1] }
        }
        let rounds = max(1, Int(options["rounds"]!) ?? 5)
        let budget = max(0.01, Double(options["seconds"]!) ?? 0.5)

        var reader = ReaderOptions()
        reader.analysisShortSide = 4096  // never upscaled: the frame's own 720 lines
        let video = try VideoReader(input: Fixtures.sample("bbb-720p.mp4").path, options: reader)
        var frames: [LumaImage] = []
        while frames.count < 4, let frame = try video.next() { frames.append(frame.luma) }
        let (a, b) = (frames[2], frames[3])  // 1.0 s and 1.5 s: both inside the one shot
        #expect(a.height == 720)

        let sizes = [32, 64, 256, 720]
        let pairs = sizes.map { size in (size, a.areaDownscaled(shortSide: size), b.areaDownscaled(shortSide: size)) }
        let ssim = StructuralSimilarity()

        /// Calls `body` until `budget` seconds have passed (at least 3 times); returns calls and seconds.
        func measure(_ body: () -> Void) -> (Int, Double) {
            body()  // warm-up: scratch allocation, caches
            var calls = 0
            let start = ContinuousClock.now
            var elapsed = 0.0
            repeat {
                for _ in 0..<max(1, calls / 8) { body(); calls += 1 }
                let d = ContinuousClock.now - start
                elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            } while elapsed < budget || calls < 3
            return (calls, elapsed)
        }

        /// One line for scripts/bench-speed.py to parse.
        func report(_ kernel: String, _ size: Int, _ picture: LumaImage, round: Int, _ measured: (calls: Int, seconds: Double)) {
            let (calls, seconds) = measured
            let pixels = Double(picture.width * picture.height) * Double(calls)
            print("kernel-benchmark kernel=\(kernel) size=\(size) width=\(picture.width) height=\(picture.height) round=\(round) "
                + "calls=\(calls) seconds=\(String(format: "%.4f", seconds)) "
                + "mpix_per_s=\(String(format: "%.2f", pixels / seconds / 1e6)) per_s=\(String(format: "%.1f", Double(calls) / seconds))")
        }

        var sink = 0.0
        for round in 0..<rounds {
            for (size, x, y) in pairs { report("ssim", size, x, round: round, measure { sink += ssim.similarity(x, y) }) }
            for (size, x, _) in pairs { report("hash", size, x, round: round, measure { sink += Double(FrameHash(x).perceptual & 1) }) }
        }
        #expect(sink.isFinite)
    }
}

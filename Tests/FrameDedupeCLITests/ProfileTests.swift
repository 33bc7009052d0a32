import Foundation
import Testing
import _FrameDedupeTestSupport

/// `run --profile` (issue 19, part 3): where an input's time went, per thread and step, on stderr after it.
@Suite("Run profile", .temporaryFolders)
struct ProfileTests {
    @Test func theProfileNamesEachThreadsSteps() throws {
        let clip = try Fixtures.threeStills().path
        let out = Fixtures.temporaryFolder("profile").appendingPathComponent("out")
        let run = try Fixtures.framededupe([clip, "-o", out.path, "--batch", "2", "--profile", "--progress", "never"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("profile: ") && $0.contains(" s wall, ") && $0.contains("cores busy") }, "stderr: \(run.stderr)")
        // The decoding thread names libavcodec's own threads: the automatic count (at least 2).
        #expect(lines.contains { $0.contains("decoding thread (libavcodec: ") && $0.contains(" threads): demux+decode ")
                && $0.contains("hashes/SSIM luma") && !$0.contains("libavcodec: 0 ") && !$0.contains("libavcodec: 1 ") }, "stderr: \(run.stderr)")
        // Images are encoded on a thread of their own as frames are decoded.
        #expect(lines.contains { $0.contains("encoding thread: encode images ") }, "stderr: \(run.stderr)")
        #expect(lines.contains { $0.contains("run thread: opening ") && $0.contains("network ") && $0.contains("scene stages") && $0.contains("clustering")
                && $0.contains("results") && $0.contains("waiting for frames") }, "stderr: \(run.stderr)")
        // The report map's principal components, beside clustering and the results.
        #expect(lines.contains { $0.contains("report map thread: report map ") }, "stderr: \(run.stderr)")

        // Nothing written: no images to encode, no encoding thread; without --profile, no profile.
        let bare = try Fixtures.framededupe([clip, "--no-output", "--scorer", "ssim", "--profile", "--progress", "never", "--threads", "5"])
        #expect(bare.status == 0 && bare.stderr.contains("decoding thread (libavcodec: 5 threads): ") && !bare.stderr.contains("encoding thread")
                && !bare.stderr.contains("network ") && !bare.stderr.contains("report map"), "stderr: \(bare.stderr)")
        let quiet = try Fixtures.framededupe([clip, "--no-output", "--scorer", "ssim", "--progress", "never"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("profile"), "stderr: \(quiet.stderr)")
    }
}

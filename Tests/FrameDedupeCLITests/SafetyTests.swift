import Foundation
import Testing
import _FrameDedupeTestSupport

/// Issue 16: never lose the user's files, never hang or balloon on hostile input. Each case runs the built binary
/// and checks its status, its stderr and the files on disk before and after.
@Suite("Safety: the user's files and hostile input", .temporaryFolders)
struct SafetyTests {
    static let shots = Fixtures.sample("shots-360p.mp4").path

    /// Case 6: every number option of every subcommand is finite and in range: NaN, infinities and 10^18 are a usage
    /// error naming the option (status 2, no backtrace), where they used to trap (SIGILL, status 132).
    @Test(arguments: [
        (["run", shots, "--no-output"], "--start", "nan"), (["run", shots, "--no-output"], "--start", "inf"),
        (["run", shots, "--no-output"], "--end", "1e18"), (["run", shots, "--no-output"], "--time-scale", "inf"),
        (["run", shots, "--no-output"], "--fps", "1/9223372036854775807"), (["run", shots, "--no-output"], "--fps", "99999999999999999999.5"),
        (["run", shots, "--no-output"], "--max-side", "9223372036854775807"), (["run", shots, "--no-output"], "--threads", "100000"),
        (["run", shots, "--no-output"], "--image-rate", "1e-300"), (["run", shots, "--no-output"], "--alpha", "nan"),
        (["embed", shots, "-o", "/dev/null"], "--end", "1e18"), (["embed", shots, "-o", "/dev/null"], "--start", "nan"),
        (["index", "add", shots, "--index", "/nonexistent/x.db"], "--start", "inf"),
        (["index", "search", shots, "--index", "/nonexistent/x.db"], "--end", "nan"),
        (["index", "dedupe", "--index", "/nonexistent/x.db"], "--threshold", "nan"),
        (["tune", "--truth-dir", "/nonexistent"], "--tolerance", "inf"),
        (["eval", "--truth", "/nonexistent", "/nonexistent"], "--tolerance", "nan"),
    ])
    func numberOptionsAreFiniteAndInRange(_ command: [String], _ option: String, _ value: String) throws {
        let result = try Fixtures.framededupe(command + [option, value])
        #expect(result.status == 2, "\(option) \(value): status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains(option) && !result.stderr.contains("Fatal error"), "stderr: \(result.stderr)")
    }

    /// Case 3 (part): a --start past the end is an error (status 3, one line) and the earlier results stay, byte for byte.
    @Test func startPastTheEndKeepsEarlierResults() throws {
        let work = Fixtures.temporaryFolder("safety-start")
        do {
            let out = work.appendingPathComponent("out")
            let first = try Fixtures.framededupe([Self.shots, "-o", out.path, "--scorer", "ssim", "--progress", "never"])
            try #require(first.status == 0, "stderr: \(first.stderr)")
            let before = try OutputCheck.snapshot(out)
            let late = try Fixtures.framededupe([Self.shots, "-o", out.path, "--scorer", "ssim", "--progress", "never", "--start", "1000"])
            #expect(late.status == 3, "stderr: \(late.stderr)")
            #expect(late.stderr.split(separator: "\n").count == 1 && late.stderr.contains("no frame to sample from 1000.000 s on (the input ends at 10.000 s)"),
                    "stderr: \(late.stderr)")
            #expect(try OutputCheck.snapshot(out) == before, "the earlier results changed")
            let npy = work.appendingPathComponent("e.npy")
            let embed = try Fixtures.framededupe(["embed", Self.shots, "-o", npy.path, "--start", "100", "--progress", "never"])
            #expect(embed.status == 3 && !FileManager.default.fileExists(atPath: npy.path), "stderr: \(embed.stderr)")
        }
    }

    /// Case 9: a name with a line break cannot go into an ffconcat list (it would end the `file` line and could read as
    /// `file other.mp4`) nor into newline-ended paths: a usage error, nothing on stdout; comments escape control characters.
    @Test func listFormatsRefuseNamesThatBreakTheirLines() throws {
        let work = Fixtures.temporaryFolder("safety-ffconcat")
        let injected = work.appendingPathComponent("x\nfile other.mp4\ny.mp4").path
        try FileManager.default.copyItem(atPath: Self.shots, toPath: injected)
        for (format, extra) in [("ffconcat", ["--no-output"]), ("paths", ["-o", work.appendingPathComponent("out").path])] {
            let result = try Fixtures.framededupe([injected, "--scorer", "ssim", "-q", "--print", "unique", "--format", format] + extra)
            #expect(result.status == 2 && result.stdout.isEmpty, "\(format): status \(result.status), stdout: \(result.stdout)")
            #expect(result.stderr.contains("--format \(format) cannot carry a name with a line break (") && result.stderr.contains("x\\nfile other.mp4\\ny.mp4"),
                    "stderr: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path))
        // A tab is no line break: the list is written, its comment escapes it, and ffmpeg reads the list.
        let tab = work.appendingPathComponent("tab\there.mp4").path
        try FileManager.default.copyItem(atPath: Self.shots, toPath: tab)
        let listed = try Fixtures.framededupe([tab, "--scorer", "ssim", "-q", "--no-output", "--print", "unique", "--format", "ffconcat"])
        #expect(listed.status == 0, "stderr: \(listed.stderr)")
        #expect(listed.stdout.contains("tab\\there.mp4: scene 0, cluster 0\n") && listed.stdout.contains("file '\(tab)'\n"), "stdout: \(listed.stdout)")
        let list = work.appendingPathComponent("cut.ffconcat")
        try listed.stdout.write(to: list, atomically: true, encoding: .utf8)
        let read = try Fixtures.run("ffmpeg", ["-v", "error", "-f", "concat", "-safe", "0", "-i", list.path, "-map", "0:v", "-c", "copy", "-f", "null", "-"])
        #expect(read.status == 0, "ffmpeg: \(read.stderr)")
    }
}

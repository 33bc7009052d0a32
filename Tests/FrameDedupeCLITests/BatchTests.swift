import Foundation
import Testing
import _FrameDedupeTestSupport

/// Several inputs in one call: a folder each, partial failure, -j, resume.
@Suite("framededupe with several inputs", .temporaryFolders)
struct BatchTests {
    /// A folder holding copies of the samples under the given names.
    private func inputs(_ names: [String: String]) throws -> URL {
        let folder = Fixtures.temporaryFolder("batch")
        for (name, source) in names {
            let target = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source == "corrupt" ? Fixtures.corruptClip() : Fixtures.sample(source), to: target)
        }
        return folder
    }

    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func modified(_ url: URL) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
    }

    @Test(arguments: [1, 2])
    func oneCorruptInputIsReportedAndTheOthersFinish(jobs: Int) throws {
        let work = try inputs(["a.mp4": "shots-360p.mp4", "bad.mp4": "corrupt", "b.mp4": "revisit-360p.mp4"])
        let out = work.appendingPathComponent("out")
        let result = try Fixtures.framededupe(["-j", String(jobs), "--into", out.path] + ["a.mp4", "bad.mp4", "b.mp4"].map { work.appendingPathComponent($0).path })
        #expect(result.status == 5, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        // One line for the bad input, one per good input, the summary.
        let errors = lines.filter { $0.hasPrefix("framededupe: ") && $0.contains("bad.mp4") }
        #expect(errors.count == 1 && errors[0].contains("not a video"), "stderr: \(result.stderr)")
        #expect(lines.last?.hasPrefix("framededupe: 3 inputs: 2 analysed, 0 skipped") == true && lines.last?.contains("1 failed") == true, "stderr: \(result.stderr)")
        #expect(lines.count == 4, "stderr: \(result.stderr)")
        for (name, scenes) in [("a", 3), ("b", 3)] {
            let list = try json(out.appendingPathComponent("\(name)/scenes.json"))
            #expect(list["complete"] as? Bool == true && (list["scenes"] as? [Any])?.count == scenes)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(name)/clusters.json").path))
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("bad/scenes.json").path))
    }

    /// Concurrent inputs (one network and one OpenBLAS thread each) give the bytes one input at a time gives.
    @Test func concurrentInputsGiveTheSameResults() throws {
        let work = try inputs(["a.mp4": "shots-360p.mp4", "b.mp4": "revisit-360p.mp4", "c.mp4": "bbb-720p.mp4"])
        let names = ["a", "b", "c"]
        let paths = names.map { work.appendingPathComponent("\($0).mp4").path }
        let one = work.appendingPathComponent("one"), two = work.appendingPathComponent("two")
        #expect(try Fixtures.framededupe(["-q", "--into", one.path] + paths).status == 0)
        #expect(try Fixtures.framededupe(["-q", "-j", "2", "--into", two.path] + paths).status == 0)
        for name in names {
            for file in ["scenes.json", "clusters.json", "scenes.csv"] {
                #expect(try Data(contentsOf: one.appendingPathComponent("\(name)/\(file)")) == Data(contentsOf: two.appendingPathComponent("\(name)/\(file)")),
                        "\(name)/\(file) differs")
            }
        }
        #expect(try Fixtures.framededupe(["-j", "2", "--blas-threads", "2"] + paths).status == 2)
    }

    @Test func resumeSkipsFinishedInputsUnlessForced() throws {
        let work = try inputs(["a.mp4": "shots-360p.mp4", "b.mp4": "revisit-360p.mp4"])
        let a = work.appendingPathComponent("a.mp4").path, b = work.appendingPathComponent("b.mp4").path
        let out = work.appendingPathComponent("out")
        let scenesA = out.appendingPathComponent("a/scenes.json"), scenesB = out.appendingPathComponent("b/scenes.json")
        #expect(try Fixtures.framededupe(["--into", out.path, a, b, "-q"]).status == 0)
        let first = (try modified(scenesA), try modified(scenesB))

        let again = try Fixtures.framededupe(["--into", out.path, a, b])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(again.stderr.contains("2 inputs: 0 analysed, 2 skipped"), "stderr: \(again.stderr)")
        #expect(try modified(scenesA) == first.0 && modified(scenesB) == first.1, "skipped inputs are not rewritten")

        // Other options are other results; --force redoes finished ones.
        let otherOptions = try Fixtures.framededupe(["--into", out.path, a, b, "--fps", "1"])
        #expect(otherOptions.stderr.contains("2 analysed, 0 skipped"), "stderr: \(otherOptions.stderr)")
        #expect(try Fixtures.framededupe(["--into", out.path, a, b, "--fps", "1", "-q"]).status == 0)
        let settled = try modified(scenesA)
        let forced = try Fixtures.framededupe(["--into", out.path, a, b, "--fps", "1", "--force"])
        #expect(forced.stderr.contains("2 analysed, 0 skipped"), "stderr: \(forced.stderr)")
        #expect(try modified(scenesA) > settled)

        // A newer modification time alone changes nothing (the results record the input's size and digest)...
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: a)
        let touched = try Fixtures.framededupe(["--into", out.path, a, b, "--fps", "1"])
        #expect(touched.stderr.contains("0 analysed, 2 skipped"), "stderr: \(touched.stderr)")
        // ...other bytes do: that input is analysed again, its neighbour is not.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: a))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 16))
        try handle.close()
        let changed = try Fixtures.framededupe(["--into", out.path, a, b, "--fps", "1"])
        #expect(changed.stderr.contains("1 analysed, 1 skipped"), "stderr: \(changed.stderr)")
        // A single input resumes too.
        let single = try Fixtures.framededupe(["-o", out.appendingPathComponent("b").path, b, "--fps", "1"])
        #expect(single.status == 0 && single.stderr.contains("skipped"), "stderr: \(single.stderr)")
    }

    @Test func inputsWithTheSameNameGetTheirOwnFolders() throws {
        let work = try inputs(["x/clip.mp4": "revisit-360p.mp4", "y/clip.mp4": "revisit-360p.mp4", "clip.mkv": "revisit-360p.mp4", "other.mp4": "revisit-360p.mp4"])
        let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" --progress never --scorer ssim x/clip.mp4 y/clip.mp4 clip.mkv other.mp4 x/clip.mp4", "sh",
                                                  work.path, Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("x/clip.mp4: warning: given more than once"), "stderr: \(result.stderr)")
        for folder in ["x-clip.mp4.framededupe", "y-clip.mp4.framededupe", "clip.mkv.framededupe", "other.framededupe"] {
            let scenes = try json(work.appendingPathComponent("\(folder)/scenes.json"))
            #expect(scenes["complete"] as? Bool == true, "\(folder)")
        }
    }

    @Test func severalInputsPrintOneWellFormedList() throws {
        let work = try inputs(["a.mp4": "shots-360p.mp4", "bad.mp4": "corrupt", "b.mp4": "revisit-360p.mp4"])
        let paths = ["a.mp4", "bad.mp4", "b.mp4"].map { work.appendingPathComponent($0).path }
        let result = try Fixtures.framededupe(["-q", "-j", "2", "--no-output", "--print", "clusters", "--format", "json"] + paths)
        #expect(result.status == 5)
        // One array for all inputs, in the inputs' order whatever order they finished in.
        let clusters = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(clusters.compactMap { $0["input"] as? String } == Array(repeating: paths[0], count: 3) + Array(repeating: paths[2], count: 2))
        let timestamps = try Fixtures.framededupe(["-q", "--no-output", "--print", "unique", "--format", "timestamps"] + paths)
        #expect(timestamps.status == 2, "times of several inputs cannot share one list")
    }
}

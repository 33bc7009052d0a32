import Foundation
import Testing
import _FrameDedupeTestSupport

/// Raw video and folders of images through the built binary.
@Suite("framededupe on raw video and image folders", .temporaryFolders)
struct InputKindCommandTests {
    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func scenes(_ folder: URL) throws -> [[String: Any]] {
        try #require(try json(folder.appendingPathComponent("scenes.json"))["scenes"] as? [[String: Any]])
    }

    @Test(arguments: [("gray", true), ("yuv420p", false), ("rgb24", true)])
    func rawVideoGivesTheScenesOfTheContainer(pixelFormat: String, onStandardInput: Bool) throws {
        let work = Fixtures.temporaryFolder("raw-cli")
        let raw = work.appendingPathComponent("clip.raw")
        try Fixtures.ffmpeg(["-i", Fixtures.sample("shots-360p.mp4").path, "-f", "rawvideo", "-pix_fmt", pixelFormat, raw.path])
        let fromRaw = work.appendingPathComponent("raw"), fromFile = work.appendingPathComponent("file")
        let spec = "640x360:\(pixelFormat):25"
        let result = onStandardInput
            ? try Fixtures.framededupe(["-", "--raw", spec, "-o", fromRaw.path, "-q"], stdin: raw)
            : try Fixtures.framededupe([raw.path, "--raw", spec, "-o", fromRaw.path, "-q"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Fixtures.framededupe([Fixtures.sample("shots-360p.mp4").path, "-o", fromFile.path, "-q"]).status == 0)
        let a = try scenes(fromRaw), b = try scenes(fromFile)
        #expect(a.map { $0["start"] as? Double } == b.map { $0["start"] as? Double })
        #expect(a.map { $0["cluster"] as? Int } == b.map { $0["cluster"] as? Int })
        if pixelFormat == "yuv420p" {
            // The same pictures to the network too (gray has no colour, so its keyframe choice may differ).
            #expect(a.map { ($0["keyframe"] as? [String: Any])?["time"] as? Double } == b.map { ($0["keyframe"] as? [String: Any])?["time"] as? Double })
        }
        #expect(try json(fromRaw.appendingPathComponent("scenes.json"))["container"] as? String == "rawvideo")
    }

    @Test func aMalformedRawSpecIsAUsageError() throws {
        for bad in ["640x360", "640x360:gray", "640y360:gray:25", "640x360:nosuchformat:25", "640x360:gray:-1", "99999x360:gray:25"] {
            let result = try Fixtures.framededupe(["-", "--raw", bad, "--no-output"])
            #expect(result.status == 2, "\(bad): \(result.stderr)")
            #expect(result.stderr.contains("--raw"), "\(bad): \(result.stderr)")
        }
    }

    /// A folder of photographs with a text file and a PNG among the JPEGs: one sequence of every picture (the
    /// PNG read by its own decoder after the JPEGs), the text file reported.
    @Test func aPhotoFolderIsOneSequence() throws {
        let work = Fixtures.temporaryFolder("photos")
        let photos = work.appendingPathComponent("holiday photos")
        try FileManager.default.copyItem(at: try Fixtures.sampleFrames(), to: photos)
        try Data("shopping list".utf8).write(to: photos.appendingPathComponent("notes.txt"))
        try Fixtures.ffmpeg(["-i", photos.appendingPathComponent("frame-05.jpg").path, photos.appendingPathComponent("zz.png").path])
        let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" \"holiday photos\"", "sh", work.path, Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("framededupe: holiday photos: warning: skipped 1 file that is not an image: notes.txt"), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("zz.png"), "stderr: \(result.stderr)")
        let out = work.appendingPathComponent("holiday photos.framededupe")
        let found = try scenes(out)
        // Shots 1–6, 7–12 and 13–20 of the 20 frames (a picture a second): cuts at pictures 7 and 13 at least.
        let starts = found.compactMap { $0["start"] as? Double }
        #expect(starts.first == 0 && starts.contains(6) && starts.contains(12), "\(starts)")
        let sources = found.compactMap { ($0["keyframe"] as? [String: Any])?["source"] as? String }
        #expect(sources.count == found.count && sources.dropLast().allSatisfy { $0.hasPrefix("holiday photos/frame-") }, "\(sources)")
        // The PNG, picture 21 (a copy of picture 5 after picture 20), is a scene of its own, from its own file.
        #expect(starts.last == 20 && sources.last == "holiday photos/zz.png", "\(starts) \(sources)")
        let exemplars = try #require(try json(out.appendingPathComponent("clusters.json"))["clusters"] as? [[String: Any]])
        #expect(exemplars.allSatisfy { (($0["exemplar"] as? [String: Any])?["source"] as? String)?.hasPrefix("holiday photos/") == true })
        // unique/ holds the photographs themselves, under their own names, byte for byte (EXIF kept).
        let unique = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("unique").path).sorted()
        #expect(!unique.isEmpty && unique.allSatisfy { $0.hasPrefix("frame-") || $0 == "zz.png" }, "\(unique)")
        for name in unique {
            #expect(try Data(contentsOf: out.appendingPathComponent("unique/" + name)) == Data(contentsOf: photos.appendingPathComponent(name)), "\(name)")
        }
        // Every --print form that lists images names each one's source, also read back from the folder (skipped).
        let csv = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" -q \"holiday photos\" --print unique --format csv", "sh", work.path, Fixtures.binary.path])
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first?.hasSuffix(",path,source") == true && rows.count == unique.count + 1, "\(csv.stdout)")
        #expect(rows.dropFirst().allSatisfy { $0.contains(",holiday photos/") }, "\(csv.stdout)")
        let keyframes = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" -q \"holiday photos\" --print keyframes --format jsonl", "sh", work.path, Fixtures.binary.path])
        #expect(keyframes.stdout.split(separator: "\n").allSatisfy { $0.contains("\"source\": \"holiday photos/") }, "\(keyframes.stdout)")
        // With --keep diverse too (pictures that are no scene's keyframe), read back as the analysis printed them.
        func diverse(_ extra: String) throws -> BoundedRun {
            try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" -q \"holiday photos\" -o diverse --keep diverse --diversity 0.05 --print unique --format csv \"$3\"",
                                         "sh", work.path, Fixtures.binary.path, extra])
        }
        let analysed = try diverse("--force"), readBack = try diverse("-q")  // the second finds complete results: skipped
        #expect(analysed.status == 0 && readBack.status == 0 && analysed.stdout == readBack.stdout, "\(analysed.stdout)\n---\n\(readBack.stdout)")
        #expect(analysed.stdout.split(separator: "\n").count > unique.count + 1, "--keep diverse kept no more pictures: \(analysed.stdout)")
        let header = try json(out.appendingPathComponent("scenes.json"))
        #expect(header["sampling_fps"] as? String == "all", "every picture is sampled")
        #expect(header["codec"] as? String == "mjpeg+png" && header["duration"] as? Double == 21)
    }

    @Test func aNumberedPatternGetsAFolderNamedWithoutItsNumber() throws {
        let work = Fixtures.temporaryFolder("pattern")
        for n in 1...6 { try Data(try Fixtures.sampleFrame(n * 3)).write(to: work.appendingPathComponent(String(format: "shot%03d.jpg", n))) }
        let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" -q 'shot%03d.jpg'", "sh", work.path, Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("shot.framededupe/scenes.json").path))
        let sources = try scenes(work.appendingPathComponent("shot.framededupe")).compactMap { ($0["keyframe"] as? [String: Any])?["source"] as? String }
        #expect(!sources.isEmpty && sources.allSatisfy { $0.hasPrefix("shot0") && $0.hasSuffix(".jpg") }, "\(sources)")
    }

    /// Photographs of one view, another view, then the first view again three hours later: with capture times
    /// the time-mixed distance keeps the first and last apart; at one picture a second they join.
    @Test func exifCaptureTimesReachSceneTimesAndTheTimeDistance() throws {
        let photos = Fixtures.temporaryFolder("exif-cli")
        let plan: [(frame: Int, date: String)] = [
            (1, "2023:08:14 09:00:00"), (2, "2023:08:14 09:00:01"), (3, "2023:08:14 09:00:02"), (4, "2023:08:14 09:00:03"),
            (14, "2023:08:14 09:00:10"), (15, "2023:08:14 09:00:11"), (16, "2023:08:14 09:00:12"), (17, "2023:08:14 09:00:13"),
            (2, "2023:08:14 12:00:00"), (3, "2023:08:14 12:00:01"), (4, "2023:08:14 12:00:02"),
        ]
        for (i, p) in plan.enumerated() {
            try Data(Fixtures.withCaptureTime(try Fixtures.sampleFrame(p.frame), p.date)).write(to: photos.appendingPathComponent(String(format: "IMG_%04d.jpg", i)))
        }
        let exif = Fixtures.temporaryFolder("exif-out"), rate = Fixtures.temporaryFolder("rate-out")
        let timed = try Fixtures.framededupe([photos.path, "--image-time", "exif", "--alpha", "0.5", "-o", exif.path, "-q"])
        #expect(timed.status == 0, "stderr: \(timed.stderr)")
        let starts = try scenes(exif).compactMap { $0["start"] as? Double }
        #expect(starts == [0, 10, 10800], "\(starts)")
        let clusters = try scenes(exif).map { $0["cluster"] as? Int }
        #expect(clusters[0] != clusters[2], "three hours apart: two clusters")
        #expect(try Fixtures.framededupe([photos.path, "--alpha", "0.5", "-o", rate.path, "-q"]).status == 0)
        let atRate = try scenes(rate)
        #expect(atRate.compactMap { $0["start"] as? Double } == [0, 4, 8])
        #expect(atRate[0]["cluster"] as? Int == atRate[2]["cluster"] as? Int, "seconds apart: one cluster")
        // Without EXIF the file times stand in, with a warning.
        let plain = Fixtures.temporaryFolder("no-exif")
        try FileManager.default.copyItem(at: try Fixtures.sampleFrames().appendingPathComponent("frame-01.jpg"), to: plain.appendingPathComponent("a.jpg"))
        let fallback = try Fixtures.framededupe([plain.path, "--image-time", "exif", "--no-output", "--print", "scenes"])
        #expect(fallback.status == 0 && fallback.stderr.contains("1 of 1 images have no EXIF capture time"), "stderr: \(fallback.stderr)")
    }
}

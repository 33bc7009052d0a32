import Decoder
import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

@Suite("Scenes and keyframes, end to end through the library", .temporaryFolders)
struct ScenesTests {
    /// `samples/shots-360p.mp4`: real shots cut at 3.00 s and 6.00 s (see samples/README.md).
    @Test func threeRealShotsGiveThreeScenes() throws {
        let out = Fixtures.temporaryFolder("shots")
        let list = try findScenes(input: Fixtures.sample("shots-360p.mp4").path, options: DedupeOptions(), output: out)
        #expect(list.scenes.count == 3)
        let interval = 0.5  // one sampling interval at the default 2 fps
        #expect(list.scenes.map(\.id) == [0, 1, 2])
        #expect(abs(list.scenes[0].start) < 1e-9)
        if list.scenes.count == 3 {
            #expect(abs(list.scenes[1].start - 3.0) <= interval)
            #expect(abs(list.scenes[2].start - 6.0) <= interval)
            #expect(list.scenes[0].end == list.scenes[1].start && list.scenes[1].end == list.scenes[2].start)
            #expect(abs(list.scenes[2].end - 10.0) < 0.05)
        }
        #expect(list.frames.count == 21)  // 2 a second over 10 s, and the last frame
        #expect(list.scenes.map(\.frameCount).reduce(0, +) == list.frames.count)

        // Every keyframe exists, decodes through libav, and has the video's size.
        for scene in list.scenes {
            let path = try #require(scene.keyframe.path)
            #expect(path.hasPrefix(String(format: "keyframes/scene-%04d_t", scene.id)) && path.hasSuffix(".jpg"))
            let reader = try VideoReader(input: out.appendingPathComponent(path).path)
            let image = try #require(try reader.next())
            #expect(image.picture.width == 640 && image.picture.height == 360)
        }
        // Nothing else is left in the folder: no staging, no temporary files, no lock; the manifest of what was written.
        let entries = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(entries == [".framededupe-manifest.json", "clusters", "clusters.csv", "clusters.json", "keyframes", "report.html", "scenes.csv", "scenes.json", "unique"])
    }

    @Test func stillHeldFiveSecondsIsOneScene() throws {
        let list = try findScenes(input: Fixtures.heldStill(seconds: 5).path, options: DedupeOptions(), output: nil)
        #expect(list.scenes.count == 1)
        #expect(list.frames.count == 11)  // and the last frame
        // Identical frames are settled by the hashes: SSIM is skipped (null), the hash distance is 0.
        #expect(list.frames.dropFirst().allSatisfy { $0.scores?.hashDistance == 0 && $0.scores?.ssimToReference == nil })
    }

    @Test(arguments: [ScorerKind.both, .ssim])
    func sharpestOfBlurredCopiesIsTheKeyframe(scorer: ScorerKind) throws {
        var options = DedupeOptions()
        options.scorer = scorer
        let list = try findScenes(input: Fixtures.blurSeries().path, options: options, output: nil)
        #expect(list.frames.count == Fixtures.blurSeriesSigmas.count)
        #expect(list.scenes.count == 1)
        let keyframe = try #require(list.scenes.first?.keyframe)
        #expect(keyframe.frameIndex == Fixtures.blurSeriesSigmas.firstIndex(of: 0), "chose \(keyframe)")
        #expect(keyframe.sharpness > 0 && keyframe.exposure > 0.5 && keyframe.centrality > 0.5)
    }

    @Test func continuousMotionIsOneScene() throws {
        // bbb-720p.mp4: one continuous shot with strong motion, played forwards then backwards.
        let list = try findScenes(input: Fixtures.sample("bbb-720p.mp4").path, options: DedupeOptions(), output: nil)
        #expect(list.scenes.count == 1)
    }

    /// A 20 s zoom and pan whose end shares nothing with its start: the reference comparison alone would cut
    /// it into many scenes; judged frame to frame against its own level of change it is one shot.
    @Test(arguments: [ScorerKind.both, .embed, .ssim])
    func slowZoomAndPanIsOneScene(scorer: ScorerKind) throws {
        var options = DedupeOptions()
        options.scorer = scorer
        let list = try findScenes(input: Fixtures.slowZoomAndPan().path, options: options, output: nil)
        #expect(list.frames.count == 41)  // 2 a second over 20 s, and the last frame
        #expect(list.scenes.count == 1, "cuts at \(list.frames.filter(\.cut).map(\.seconds))")
        // The fixture does drift past the reference thresholds (otherwise this test could not fail).
        let rule = options.rule
        if scorer.usesEmbedding {
            #expect(list.frames.compactMap(\.scores?.embeddingToReference).max()! > rule.embeddingReference)
        }
        if scorer.usesSSIM {
            #expect(list.frames.compactMap(\.scores?.ssimToReference).min()! < rule.ssimReference)
        }
    }

    @Test func maxSideAndPNG() throws {
        let out = Fixtures.temporaryFolder("png")
        var options = DedupeOptions()
        options.imageFormat = .png
        options.maxSide = 320
        let list = try findScenes(input: Fixtures.sample("shots-360p.mp4").path, options: options, output: out)
        let path = try #require(list.scenes.first?.keyframe.path)
        #expect(path.hasSuffix(".png"))
        let bytes = try Data(contentsOf: out.appendingPathComponent(path))
        #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let image = try #require(try VideoReader(input: out.appendingPathComponent(path).path).next())
        #expect(image.picture.width == 320 && image.picture.height == 180)
    }

    @Test func resultsAreDeterministic() throws {
        let a = Fixtures.temporaryFolder("det-a"), b = Fixtures.temporaryFolder("det-b")
        let input = Fixtures.sample("revisit-360p.mp4").path
        var options = DedupeOptions()
        _ = try findScenes(input: input, options: options, output: a)
        options.reader.threads = 1
        _ = try findScenes(input: input, options: options, output: b)
        for name in ["scenes.json", "scenes.csv", "clusters.json", "clusters.csv"] {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)))
        }
    }

    @Test func jsonSchema() throws {
        let out = Fixtures.temporaryFolder("schema")
        let input = Fixtures.sample("shots-360p.mp4").path
        _ = try findScenes(input: input, options: DedupeOptions(), output: out)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        #expect(json["input"] as? String == input)
        #expect(json["sampling_fps"] as? Double == 2)
        #expect(json["complete"] as? Bool == true)
        let frames = try #require(json["frames"] as? [[String: Any]])
        let scenes = try #require(json["scenes"] as? [[String: Any]])
        for key in ["index", "frame", "pts", "time", "scene", "ssim_to_reference", "ssim_to_previous", "hash_distance"] {
            #expect(frames.allSatisfy { $0.keys.contains(key) }, "frames lack \(key)")
        }
        for key in ["id", "start", "end", "frames", "keyframe"] { #expect(scenes.allSatisfy { $0.keys.contains(key) }, "scenes lack \(key)") }
        // 2 fps from a 25 fps clip in time base 1/12800 (512 ticks a frame): slot k is at 6400k ticks, and the
        // sampled frame is the first at or after it; the last frame (249, 0.46 s after the last slot) is sampled too.
        let slots: [Int] = (0..<20).map { k in (k * 6400 + 511) / 512 * 512 }
        #expect(frames.map { $0["pts"] as? Int } == (slots + [249 * 512]).map { Optional($0) })
        let csv = try String(contentsOf: out.appendingPathComponent("scenes.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "scene,cluster,start,end,frames,transition,keyframe_time,keyframe_pts,keyframe_path")
        #expect(csv.count == scenes.count + 1)
    }
}

@Suite("Results appear whole or not at all", .temporaryFolders)
struct AtomicOutputTests {
    @Test func failedRunLeavesEarlierResults() throws {
        let out = Fixtures.temporaryFolder("atomic")
        _ = try findScenes(input: Fixtures.sample("shots-360p.mp4").path, options: DedupeOptions(), output: out)
        let before = try Data(contentsOf: out.appendingPathComponent("scenes.json"))
        let missing = out.appendingPathComponent("missing.mp4").path
        #expect(throws: RunError.self) { try findScenes(input: missing, options: DedupeOptions(), output: out) }
        #expect(try Data(contentsOf: out.appendingPathComponent("scenes.json")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            == [".framededupe-manifest.json", "clusters", "clusters.csv", "clusters.json", "keyframes", "report.html", "scenes.csv", "scenes.json", "unique"])
    }

    @Test func uncommittedStagingVanishes() throws {
        let out = Fixtures.temporaryFolder("staging")
        do {
            let folder = try OutputFolder(out)
            try folder.write("{}", to: "scenes.json")
            // dropped without commit, as when a run fails
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test func abandonedStagingIsCleaned() throws {
        let out = Fixtures.temporaryFolder("abandoned")
        // A staging folder left by a killed process (pid 999999 does not exist).
        let stale = out.appendingPathComponent(".framededupe-staging-999999")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: stale.appendingPathComponent("scenes.json"))
        do {
            let folder = try OutputFolder(out)
            try folder.write("{}", to: "scenes.json")
            try folder.commit(order: ["scenes.json"])
        }  // its lock file goes with it
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == [".framededupe-manifest.json", "scenes.json"])
    }

    @Test func replacesEarlierResults() throws {
        let out = Fixtures.temporaryFolder("replace")
        for text in ["first", "second"] {
            let folder = try OutputFolder(out)
            let images = try folder.stagedFolder("keyframes")
            try Data(text.utf8).write(to: images.appendingPathComponent("\(text).jpg"))
            try folder.write(text, to: "scenes.json")
            try folder.commit(order: ["keyframes", "scenes.json"])
        }
        #expect(try String(contentsOf: out.appendingPathComponent("scenes.json"), encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("keyframes").path) == ["second.jpg"])
    }
}

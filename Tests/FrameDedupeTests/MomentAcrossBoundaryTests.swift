import Decoder
import Foundation
@testable import FrameDedupe
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17: a scene's other moment (``SceneMoments``) and shot start are not taken from a sample that still shows the
/// scene across its boundary, as when the cut model cuts a morph in its first half.
@Suite("Other moments across a gradual boundary", .temporaryFolders)
struct MomentAcrossBoundaryTests {
    /// Sampled frame `index` (2 a second) with embedding `vector` and content `picture`'s texture.
    private func frame(_ index: Int, _ vector: [Float], picture: Int) -> FrameSignals {
        let grid = (0..<Embedding.gridSide * Embedding.gridSide).flatMap { _ in vector }
        return FrameSignals(index: index, ordinal: 12 * index, timestamp: Timestamp(pts: Int64(12 * index), timeBase: Rational(1, 24)),
                            seconds: Double(index) / 2, hash: Synthetic.hash(picture), luma: Synthetic.texture(picture),
                            quality: PictureQuality(sharpness: 100, exposure: 1, meanLuma: 128), embedding: Embedding(vector: vector, grid: grid))
    }

    /// The tune clip's figures: the robot (axis 0) morphs into Celia (axis 2); the sample the cut opened Celia's scene with
    /// is 0.27 from the robot's last sample and 0.51 from Celia's keyframe.
    private let robot = Synthetic.content(0), celia = Synthetic.content(2)
    private let mostlyRobot = Synthetic.normalised([0.73, 0, 0.49, 0.476, 0, 0, 0, 0])

    @Test func aFirstSampleThatStillShowsTheSceneBeforeIsNoMoment() {
        let before = frame(0, robot, picture: 0)
        let candidates = [frame(1, mostlyRobot, picture: 1), frame(2, celia, picture: 2)]
        let ssim = StructuralSimilarity()
        #expect(SceneMoments.showsNeighbour(candidates[0], neighbour: before, keyframe: candidates[1], ssim: ssim))
        // Without the sample across the boundary it would be the moment; with it, the keyframe is the scene's only picture.
        #expect(SceneMoments.moment(candidates, keyframe: 1, stride: 1, before: nil, after: nil, ssim: ssim)?.index == 1)
        #expect(SceneMoments.moment(candidates, keyframe: 1, stride: 1, before: before, after: nil, ssim: ssim) == nil)
        #expect(SceneMoments.opensBeforeBoundary(candidates[0], before: before, keyframe: candidates[1], ssim: ssim))
    }

    @Test func theNextCandidateInwardsTakesTheEndsPlace() {
        // Closing end: the last sample already shows the next scene (the robot, after Celia); the one before it is Celia
        // moving, the moment.
        let after = frame(9, robot, picture: 0)
        let moving = Synthetic.content(2, wobble: 0.6)
        let candidates = [frame(5, celia, picture: 2), frame(6, Synthetic.content(2, wobble: 0.2), picture: 3),
                          frame(7, moving, picture: 4), frame(8, mostlyRobot, picture: 1)]
        let ssim = StructuralSimilarity()
        #expect(SceneMoments.moment(candidates, keyframe: 0, stride: 1, before: nil, after: nil, ssim: ssim)?.index == 8)
        #expect(SceneMoments.moment(candidates, keyframe: 0, stride: 1, before: nil, after: after, ssim: ssim)?.index == 7)
    }

    @Test func aMovingShotAfterAHardCutKeepsItsFirstSample() {
        // A hard cut: the first sample is as far from the scene before as two shots are (1.0), nearer its own keyframe
        // (a moving shot: 0.26).
        let before = frame(0, robot, picture: 0)
        let candidates = [frame(1, Synthetic.content(4), picture: 5), frame(2, Synthetic.content(4, wobble: 0.9), picture: 6)]
        let ssim = StructuralSimilarity()
        #expect(!SceneMoments.showsNeighbour(candidates[0], neighbour: before, keyframe: candidates[1], ssim: ssim))
        #expect(SceneMoments.moment(candidates, keyframe: 1, stride: 1, before: before, after: nil, ssim: ssim)?.index == 1)
        #expect(!SceneMoments.opensBeforeBoundary(candidates[0], before: before, keyframe: candidates[1], ssim: ssim))
    }

    /// Real footage, when `DEVSET` names the dev set: the tune part's `film-tos-logo-720p` at 12 frames a second and 360p
    /// (ffmpeg's `fps` and `scale` filters, x264 defaults). The cut into Celia's face falls at 9.0 s, in the morph from the
    /// robot hologram; the Celia scene's first sample, mostly the robot, verified as a copy of the robot scene's keyframe
    /// and joined the two contents in one cluster.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DEVSET"] != nil))
    func theMorphsFarSideJoinsNoScene() throws {
        let devset = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["DEVSET"]))
        let source = devset.appendingPathComponent("film-tos-logo-720p.mp4")
        let clip = Fixtures.temporaryFolder().appendingPathComponent("tos-logo-12fps-360p.mp4")
        try Fixtures.ffmpeg(["-i", source.path, "-vf", "fps=12,scale=640:360", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", clip.path])
        let list = try findScenes(input: clip.path, options: DedupeOptions(), output: nil)
        let starts = list.scenes.map(\.start)
        #expect(starts.count == 5 && abs(starts[4] - 9) < 0.01, "the cut inside the morph: \(starts)")
        guard starts.count == 5 else { return }
        let scenes = try list.scenesWithLocalFeatures()
        let (hologram, face) = (scenes[3], scenes[4])
        #expect(hologram.keyframe.seconds < 9 && face.keyframe.seconds > 9.5)
        #expect(face.momentFrames.isEmpty, "the face's first sample (the robot's, mostly) is no moment of it: \(face.momentFrames)")
        #expect(face.shotStartFeatures == nil)
        let cluster = list.clusters.clusterOfScene
        #expect(cluster[3] != cluster[4], "the hologram and the face stay apart: \(cluster)")
        #expect(Set(cluster).count == 5, "five contents: \(cluster)")
    }
}

import Foundation
import Testing
import _FrameDedupeTestSupport

/// Issue 18: the deduplicated cut (`--print unique --format ffconcat`, re-encoded as the README shows) holds no frame
/// of a neighbouring shot at its joins: each segment's in and out points are its scene's cut frames, found among the
/// frames decoded between two samples. On shot / reverse shot (A B A B A B A, 2.2 s shots at 25 frames/s, cuts
/// between the 2 a second samples), the cut is A's first scene then B's exemplar scene: 55 frames of A, then 55 of B.
@Suite("The deduplicated cut joins at the cut frames", .temporaryFolders)
struct CutJoinTests {
    /// The frames of `video` as 32×18 grey pictures.
    private func frames(_ video: URL, in folder: URL) throws -> [[UInt8]] {
        let raw = folder.appendingPathComponent(video.lastPathComponent + ".gray")
        try Fixtures.ffmpeg(["-v", "error", "-y", "-i", video.path, "-vf", "scale=32:18,format=gray", "-f", "rawvideo", raw.path])
        let bytes = [UInt8](try Data(contentsOf: raw))
        return stride(from: 0, to: bytes.count - 575, by: 576).map { Array(bytes[$0..<$0 + 576]) }
    }

    @Test func reencodedCutHasNoFrameOfTheNeighbouringShot() throws {
        let work = Fixtures.temporaryFolder("cut-join")
        let clip = try Fixtures.alternatingShots()
        let list = try Fixtures.framededupe([clip.path, "--print", "unique", "--format", "ffconcat", "--no-output", "-q"])
        try #require(list.status == 0, "stderr: \(list.stderr)")
        let ffconcat = work.appendingPathComponent("cut.ffconcat")
        try Data(list.stdout.utf8).write(to: ffconcat)
        let cut = work.appendingPathComponent("cut.mp4")
        try Fixtures.ffmpeg(["-v", "error", "-y", "-f", "concat", "-safe", "0", "-segment_time_metadata", "1", "-i", ffconcat.path,
                             "-vf", "select=concatdec_select", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", cut.path])

        // Each frame of the cut is A or B: the content of the source frame it is nearest to.
        let source = try frames(clip, in: work)
        let shotOf = { (i: Int) in Fixtures.alternatingShotsCuts.filter { Double(i) / 25 >= $0 - 0.001 }.count }
        func content(_ picture: [UInt8]) -> String {
            var nearest = 0, best = Int.max
            for (i, frame) in source.enumerated() {
                var d = 0
                frame.withUnsafeBufferPointer { f in picture.withUnsafeBufferPointer { p in for k in 0..<576 { d += abs(Int(f[k]) - Int(p[k])) } } }
                if d < best { (nearest, best) = (i, d) }
            }
            return shotOf(nearest) % 2 == 0 ? "A" : "B"
        }
        let contents = try frames(cut, in: work).map(content)
        #expect(contents.count == 110, "\(contents.count) frames")
        #expect(contents == Array(repeating: "A", count: 55) + Array(repeating: "B", count: 55), "\(contents.joined())")
    }
}

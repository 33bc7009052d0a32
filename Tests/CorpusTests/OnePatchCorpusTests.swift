import Foundation
import FrameDedupe
import GRDB
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// Issue 17 in the corpus index: a keyframe match in one small patch is decided by the rest of the pictures, as `run`
/// decides it (``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``), on the keyframe lumas the index stores (migration
/// v5). Real footage: two moments of a fixed camera on a plain wall around a cutaway (``Fixtures/plainWallCutawayClip()``).
@Suite("Corpus: a fixed camera on a plain wall", .temporaryFolders)
struct OnePatchCorpusTests {
    @Test func twoMomentsOfThePlainWallJoinByTheirPictures() throws {
        let folder = Fixtures.temporaryFolder("wall")
        let clip = try Fixtures.plainWallCutawayClip()
        let video = try OtherPicturesTests.analysed(clip, root: folder.appendingPathComponent("keyframes"))
        #expect(video.scenes.map(\.start) == [0, 2, 4])
        guard video.scenes.count == 3 else { return }
        let luma = try #require(video.scenes[0].keyframeLuma)
        #expect(min(luma.width, luma.height) == 32, "the SSIM scale")
        let index = try CorpusIndex(path: folder.appendingPathComponent("c.db").path)
        let name = clip.lastPathComponent
        let cluster = try OtherPicturesTests.clusters([video], index: index)
        #expect(cluster["\(name)#0"] != nil && cluster["\(name)#0"] == cluster["\(name)#2"] && cluster["\(name)#0"] != cluster["\(name)#1"],
                "the two moments join, the cutaway stays apart: \(cluster)")
        // What the index stores is what the run compared: the lumas read back as they were.
        let stored = try index.scenes().map { try index.pictures(ofScene: $0.id)?.keyframeLuma }
        #expect(stored == video.scenes.map(\.keyframeLuma))
        // The join is the lumas' doing: without them (an index made before v5), the features alone keep them apart.
        try DatabaseQueue(path: folder.appendingPathComponent("c.db").path).write { db in
            try db.execute(sql: "UPDATE scene_features SET keyframe_luma = NULL")
        }
        let without = try OtherPicturesTests.clusters([], index: index)
        #expect(without["\(name)#0"] != nil && without["\(name)#0"] != without["\(name)#2"], "on features alone: \(without)")
    }

    @Test func aStoredLumaReadsBackAndNothingElseDoes() {
        let luma = LumaImage(width: 3, height: 2, pixels: [0, 1, 2, 253, 254, 255])
        let data = StoredLuma.encode(luma)
        #expect(data.map([UInt8].init) == [3, 0, 2, 0, 0, 1, 2, 253, 254, 255])
        #expect(data.flatMap(StoredLuma.decode) == luma)
        #expect(StoredLuma.decode(Data([3, 0, 2, 0, 1, 2])) == nil, "fewer pixels than its size says")
        #expect(StoredLuma.decode(Data([0, 0, 0, 0])) == nil)
        var damaged = luma
        damaged.pixels = [1]
        #expect(StoredLuma.encode(damaged) == nil)
    }
}

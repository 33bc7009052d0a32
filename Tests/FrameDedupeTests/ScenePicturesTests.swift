import Foundation
@_spi(Testing) @testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 19: at the end of a run the scenes are held without their local features, which are read back one scene at a
/// time when a verification needs them (``ScenePictures``, ``ClosedScenes/withoutLocalFeatures()``); clustering must come
/// out exactly as with the features in memory.
@Suite("Scene pictures read back on demand", .temporaryFolders)
struct ScenePicturesTests {
    /// Clips whose clustering verifies pairs on what each part of ``CopyPictures`` holds: static graphics stripped from
    /// keyframes, other moments, shot starts.
    enum Clip: String, CaseIterable, Sendable {
        case overlay, movingCopies, shotStartCopies
        func url() throws -> URL {
            switch self {
            case .overlay: try Fixtures.overlayClip()
            case .movingCopies: try Fixtures.movingCopiesClip()
            case .shotStartCopies: try Fixtures.shotStartCopiesClip()
            }
        }
    }

    /// The same distances, vetoes, joins and verifications through pictures read back from a spill file with a cache
    /// that holds one scene (every pair reads again, and the static graphics' masks are reused) as with the scenes'
    /// own features; and the same clusters as the run's.
    @Test(arguments: Clip.allCases)
    func picturesReadBackClusterAsTheScenesCarryingThem(clip: Clip) throws {
        let list = try findScenes(input: try clip.url().path, options: DedupeOptions(), output: nil)
        #expect(list.scenes.allSatisfy { $0.features == nil && $0.momentFeatures.isEmpty && $0.shotStartFeatures == nil },
                "the list's scenes carry no local features")
        let whole = try list.scenesWithLocalFeatures()
        #expect(whole.filter { $0.features != nil }.count >= 4)
        let folder = Fixtures.temporaryFolder("pictures")
        defer { try? FileManager.default.removeItem(at: folder) }
        let closed = ClosedScenes(spillingIn: folder)
        for scene in whole { closed.append(scene, thumbnail: nil) }
        let (light, pictures) = try closed.withoutLocalFeatures()
        #expect(light == list.scenes)
        #expect(light.allSatisfy { $0.grid == nil } && whole.filter { $0.grid != nil }.count >= 4, "grids are read back, not carried")
        for scene in whole {
            #expect(try pictures.grid(of: scene.id) == scene.grid && pictures.hasGrid(scene.id) == (scene.grid != nil), "scene \(scene.id)")
            #expect(try pictures.pictures(of: scene.id) == ScenePictures.carried(by: scene), "scene \(scene.id)")
            #expect(pictures.hasShotStart(scene.id) == (scene.features != nil && (scene.shotStartIsKeyframe || scene.shotStartFeatures != nil)))
        }

        let options = ClusterOptions()
        let members = whole.filter { !$0.transition }, lightMembers = light.filter { !$0.transition }
        let distances = CondensedDistances(embeddings: members.map { $0.embedding! }, spans: members.map { $0.start...max($0.start, $0.end) },
                                           alpha: options.alpha, timeScale: options.timeScale)
        // Each scene's pictures as verified, read one at a time (and read again: a cache of one byte), are those the
        // whole input's stripping of static graphics gives, all scenes at once.
        var all = CopyPictures.removingStaticGraphics(members.map { ScenePictures.carried(by: $0) }) { i, j in
            Double(distances[i, j]) > options.copyRadius
        }
        // Verification adds each keyframe's luma, which the scenes carry (for a match in one patch).
        for i in all.indices { all[i]?.keyframeLuma = lightMembers[i].keyframeLuma }
        var verified = VerifiedPictures(lightMembers, source: pictures, distances: distances, options: options, cacheBytes: 1,
                                        strippingStaticGraphics: true)
        for _ in 0..<2 {
            for i in members.indices { #expect(verified.of(i) == all[i], "scene \(members[i].id)") }
        }
        if clip == .overlay {
            #expect(members.indices.filter { all[$0] != ScenePictures.carried(by: members[$0]) }.count >= 6, "static graphics left out")
        }
        let inMemory = checkPairs(members, distances: distances, options: options)
        let readBack = checkPairs(lightMembers, pictures: pictures, distances: distances, options: options, cacheBytes: 1)
        #expect(inMemory.verified > 0 && inMemory.vetoed + inMemory.joined > 0, "\(inMemory.verified) verified, \(inMemory.vetoed) vetoed, \(inMemory.joined) joined")
        #expect(readBack.distances == inMemory.distances)
        #expect(readBack.vetoed == inMemory.vetoed && readBack.joined == inMemory.joined && readBack.verified == inMemory.verified)
        // The grids alone decide (no geometric check): every pair closer than the threshold is judged on grids read back.
        var gridsOnly = options
        gridsOnly.geometricCheck = false
        let gridsInMemory = checkPairs(members, distances: distances, options: gridsOnly)
        let gridsReadBack = checkPairs(lightMembers, pictures: pictures, distances: distances, options: gridsOnly)
        #expect(gridsReadBack.distances == gridsInMemory.distances && gridsReadBack.vetoed == gridsInMemory.vetoed)
        if clip != .shotStartCopies {  // measured: its pairs closer than the threshold all share a layout (0 vetoes)
            #expect(gridsInMemory.vetoed > 0, "\(gridsInMemory.vetoed) pairs vetoed on their grids")
        }
        #expect(pictures.readError == nil)

        let clusters = clusterScenes(light, pictures: pictures, options: options)
        for c in [clusterScenes(whole, options: options), list.clusters] {
            #expect(clusters.clusterOfScene == c.clusterOfScene && clusters.clusters == c.clusters)
            #expect(clusters.vetoedPairs == c.vetoedPairs && clusters.joinedPairs == c.joinedPairs && clusters.verifiedPairs == c.verifiedPairs)
        }
    }

    /// The cache holds at most its bytes (or the one picture asked for last), drops the least recently used first, and
    /// reads nothing again while a scene is held.
    @Test func theCacheHoldsItsBoundAndDropsTheLeastRecentlyUsed() throws {
        let list = try findScenes(input: try Clip.movingCopies.url().path, options: DedupeOptions(), output: nil)
        let scenes = try list.scenesWithLocalFeatures().compactMap { ScenePictures.carried(by: $0) }
        #expect(scenes.count >= 4)
        // Pictures of one size under every key: the bound holds two.
        let picture = scenes[0], size = PictureCache.bytes(of: picture)
        #expect(size >= 73 * 100)
        var cache = PictureCache(capacity: 2 * size)
        var made: [Int] = []
        for i in [0, 1, 0, 2, 0, 1, 3, 3, 2] {
            #expect(cache.pictures(i) { made.append(i); return picture } == picture)
            #expect(cache.bytes <= cache.capacity, "\(cache.bytes) bytes held")
        }
        // 2 drops 1 (0 was used since); 1 drops 2; 3 drops 0; 2 drops 1; hits read nothing.
        #expect(made == [0, 1, 2, 1, 3, 2], "\(made)")
        // One picture larger than the bound is held alone.
        var small = PictureCache(capacity: 1)
        #expect(small.pictures(0) { scenes[0] } == scenes[0] && small.bytes == PictureCache.bytes(of: scenes[0]))
        #expect(small.pictures(1) { scenes[1] } == scenes[1] && small.bytes == PictureCache.bytes(of: scenes[1]))
    }

    /// A run into a folder logs its scenes in its checkpoint, which it removes when its results are complete: the list's
    /// pictures are still read back, from the log opened before it went, the same as a run's that spilled them.
    @Test func aFinishedRunsPicturesOutliveItsCheckpoint() throws {
        let input = Fixtures.sample("revisit-360p.mp4").path
        let output = Fixtures.temporaryFolder("pictures-run")
        defer { try? FileManager.default.removeItem(at: output) }
        let logged = try findScenes(input: input, options: DedupeOptions(), output: output)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(".framededupe-checkpoint").path))
        let spilled = try findScenes(input: input, options: DedupeOptions(), output: nil)
        let a = try logged.scenesWithLocalFeatures(), b = try spilled.scenesWithLocalFeatures()
        #expect(a.count == b.count && a.count >= 3)
        #expect(a.filter { $0.features != nil }.count >= 3)
        #expect(a.map(\.features) == b.map(\.features))
        #expect(a.map(\.momentFeatures) == b.map(\.momentFeatures))
        #expect(a.map(\.shotStartFeatures) == b.map(\.shotStartFeatures))
    }
}

import Foundation
@_spi(Testing) @testable import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// ``ClosedScenes``: the closed scenes' embeddings, grids, lumas and thumbnails spilled to an unlinked file while a
/// run decodes, so memory does not grow with the input's length; what comes back must be exactly what went in.
@Suite("Closed scenes spilled to disk while decoding", .temporaryFolders)
struct ClosedScenesTests {
    /// Real scenes (embeddings, grids, keyframe lumas) and real JPEG keyframes standing in for the thumbnails, made
    /// once for the suite.
    static func realScenes() throws -> (scenes: [Scene], images: [Int: [UInt8]]) { try RealScenes.shared.get() }

    final class RealScenes: @unchecked Sendable {
        static let shared = RealScenes()
        private let lock = NSLock()
        private var made: (scenes: [Scene], images: [Int: [UInt8]])?
        func get() throws -> (scenes: [Scene], images: [Int: [UInt8]]) {
            try lock.withLock {
                if let made { return made }
                let fresh = try ClosedScenesTests.makeRealScenes()
                made = fresh
                return fresh
            }
        }
    }

    private static func makeRealScenes() throws -> (scenes: [Scene], images: [Int: [UInt8]]) {
        let out = Fixtures.temporaryFolder("spill-source")
        defer { try? FileManager.default.removeItem(at: out) }
        let list = try findScenes(input: Fixtures.sample("revisit-360p.mp4").path, options: DedupeOptions(), output: out)
        var images: [Int: [UInt8]] = [:]
        let scenes = try list.scenesWithLocalFeatures()
        for scene in scenes {
            if let path = scene.keyframe.path { images[scene.id] = try [UInt8](Data(contentsOf: out.appendingPathComponent(path))) }
        }
        return (scenes, images)
    }

    @Test func spilledScenesComeBackExactly() throws {
        let (scenes, images) = try Self.realScenes()
        #expect(scenes.count >= 3 && scenes.allSatisfy { $0.embedding != nil && $0.grid != nil })
        let folder = Fixtures.temporaryFolder("spill")
        defer { try? FileManager.default.removeItem(at: folder) }
        let closed = ClosedScenes(spillingIn: folder)
        for scene in scenes { closed.append(scene, thumbnail: images[scene.id]) }
        // Held in memory without their bulky parts; nothing visible left in the folder (the file is unlinked).
        #expect(closed.light.allSatisfy { $0.embedding == nil && $0.grid == nil })
        #expect(closed.light.map(\.keyframe) == scenes.map(\.keyframe))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        #expect(try closed.whole() == scenes)
        for scene in scenes {
            #expect(closed.thumbnail(scene.id) == images[scene.id], "scene \(scene.id)")
        }
        #expect(closed.thumbnail(scenes.count) == nil)
    }

    /// Without a folder, or when no file can be made there, the scenes stay in memory and come back the same.
    @Test(arguments: [false, true])
    func keptInMemoryWhenNoFileCanBeMade(hasFolder: Bool) throws {
        let (scenes, images) = try Self.realScenes()
        let missing = Fixtures.temporaryFolder("spill-gone")
        try FileManager.default.removeItem(at: missing)
        let closed = ClosedScenes(spillingIn: hasFolder ? missing : nil)
        for scene in scenes { closed.append(scene, thumbnail: images[scene.id]) }
        #expect(closed.light == scenes)
        #expect(try closed.whole() == scenes)
        #expect(closed.thumbnail(scenes.last!.id) == images[scenes.last!.id])
    }

    /// With a log that holds each scene whole (a run's checkpoint), a scene is kept whole only until it is logged,
    /// then read back from the log: nothing goes to a spill file of its own.
    @Test func loggedScenesAreReadBackFromTheLog() throws {
        let (scenes, images) = try Self.realScenes()
        let folder = Fixtures.temporaryFolder("spill-log")
        defer { try? FileManager.default.removeItem(at: folder) }
        final class Log: LoggedScenes {
            var held: [Int: (Scene, [UInt8]?)] = [:]
            func loggedScene(_ id: Int) -> (scene: Scene, thumbnail: [UInt8]?)? { held[id].map { ($0.0, $0.1) } }
        }
        let log = Log()
        let closed = ClosedScenes(spillingIn: folder)
        closed.log = log
        for scene in scenes {
            closed.append(scene, thumbnail: images[scene.id])
            #expect(closed.light.last?.embedding != nil, "whole until logged")
            log.held[scene.id] = (scene, images[scene.id])
            closed.logged(scene.id)
            #expect(closed.light.last?.embedding == nil && closed.light.last?.grid == nil, "read from the log once logged")
        }
        #expect(try closed.whole() == scenes)
        for scene in scenes { #expect(closed.thumbnail(scene.id) == images[scene.id], "scene \(scene.id)") }
        log.held[scenes[0].id] = nil  // a log that lost a scene fails the run instead of giving a scene without its parts
        #expect(throws: OutputError.self) { try closed.whole() }
    }

    /// Arrays of floats and bytes that are mostly zeros (a grid of ReLU6 features) are written as a bitmap and their
    /// non-zero elements, and read back bit for bit (-0.0 and NaN included); an array without zeros is written whole.
    @Test func sparseArraysComeBackBitForBit() throws {
        struct Arrays: Codable {
            var floats: [Float]
            var bytes: [UInt8]
            var dense: [UInt8]
        }
        let floats: [Float] = (0..<1000).map { $0 % 3 == 0 ? Float($0) * 0.37 : 0 } + [-0.0, .nan, .infinity, 0]
        let value = Arrays(floats: floats, bytes: (0..<1000).map { $0 % 4 == 0 ? UInt8($0 % 251) : 0 }, dense: (0..<1000).map { UInt8($0 % 251) | 1 })
        let encoded = try BinaryCoding.encode(value)
        let whole = 8 + 1 + 4 * floats.count + 2 * (8 + 1 + 1000)
        #expect(encoded.count < whole - 3 * floats.count, "\(encoded.count) bytes")
        let back = try BinaryCoding.decode(Arrays.self, from: encoded)
        #expect(back.floats.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(back.bytes == value.bytes && back.dense == value.dense)
        #expect(throws: CheckpointError.self) { try BinaryCoding.decode(Arrays.self, from: Array(encoded.dropLast())) }
    }

    /// A scene whose record leaves out its keyframe state (luma, local features, thumbnail: the log's writes kept small)
    /// comes back whole: the log's part and the state held in memory, put together.
    @Test func keyframeStateLeftOutOfTheLogIsHeld() throws {
        let (scenes, images) = try Self.realScenes()
        #expect(scenes.allSatisfy { $0.keyframeLuma != nil && $0.features != nil })
        #expect(scenes.contains { !$0.momentFeatures.isEmpty }, "the pans have other moments")
        final class Log: LoggedScenes {
            var held: [Int: Scene] = [:]
            func loggedScene(_ id: Int) -> (scene: Scene, thumbnail: [UInt8]?)? { held[id].map { ($0, nil) } }
        }
        let log = Log()
        let closed = ClosedScenes(spillingIn: nil)
        closed.log = log
        for scene in scenes {
            closed.append(scene, thumbnail: images[scene.id])
            let record = SceneCheckpoint(position: 1, transition: false, records: [], reclassified: [], scene: scene, diverse: [],
                                         thumbnail: images[scene.id], cutHistory: []).withoutKeyframeState()
            #expect(record.scene.features == nil && record.scene.keyframeLuma == nil && record.thumbnail == nil && record.scene.momentFeatures.isEmpty)
            #expect(record.recomputed == KeyframeRecipe(featureArea: scene.features?.active, thumbnail: true, momentFrames: scene.momentFrames))
            log.held[scene.id] = record.scene
            closed.logged(scene.id, holding: KeyframeState(of: scene, thumbnail: images[scene.id]))
        }
        #expect(closed.heldBytes == scenes.reduce(0) {
            $0 + $1.keyframeLuma!.pixels.count + 73 * ($1.features!.count + $1.momentFeatures.reduce(0) { $0 + $1.count }) + images[$1.id]!.count
        })
        #expect(try closed.whole() == scenes)
        for scene in scenes { #expect(closed.thumbnail(scene.id) == images[scene.id], "scene \(scene.id)") }
    }
}

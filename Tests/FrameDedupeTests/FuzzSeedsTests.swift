import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// The readers `scripts/fuzz.sh` fuzzes, on its seeds (real files) and on the inputs kept from its runs
/// (`scripts/fuzz/regressions/<target>/`, none yet): the seeds read back whole, every cut of a real checkpoint
/// log reads up to its last whole record, and no input crashes a reader.
@Suite("Fuzzed readers: seeds and regressions")
struct FuzzSeedsTests {
    static func files(_ target: String) -> [URL] {
        let fm = FileManager.default
        return ["scripts/fuzz/seeds/\(target)", "scripts/fuzz/regressions/\(target)"].flatMap { dir -> [URL] in
            let folder = Fixtures.packageRoot.appendingPathComponent(dir)
            return ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().map { folder.appendingPathComponent($0) }
        }
    }

    @Test func truthFiles() throws {
        let seeds = Self.files("truth")
        #expect(seeds.count >= 2)
        for url in seeds where url.path.contains("/seeds/") {
            let truth = try GroundTruth(json: try Data(contentsOf: url), name: url.lastPathComponent)
            #expect(!truth.shots.isEmpty, "\(url.lastPathComponent)")
        }
        for url in seeds where url.path.contains("/regressions/") { _ = try? GroundTruth(json: try Data(contentsOf: url), name: "regression") }
    }

    @Test func checkpointLogs() throws {
        let seeds = Self.files("checkpoint")
        #expect(seeds.count >= 2)
        for url in seeds {
            let bytes = try [UInt8](Data(contentsOf: url))
            let whole = decodeCheckpointLog(bytes)
            _ = decodeCheckpointLog(bytes, verifyingChecksums: false)
            guard url.path.contains("/seeds/") else { continue }
            #expect(whole >= 3, "\(url.lastPathComponent): \(whole) records decoded")
            // A log cut anywhere (a kill mid-write) reads back fewer records, never more, and never crashes.
            var previous = 0
            for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 200)) {
                let n = decodeCheckpointLog(Array(bytes[..<cut]))
                #expect(n >= previous && n <= whole, "cut at \(cut): \(n) records")
                previous = n
            }
            // One flipped byte in the last record: that record is dropped, the others read.
            var flipped = bytes
            flipped[flipped.count - 2] ^= 0x40
            #expect(decodeCheckpointLog(flipped) == whole - 1)
        }
    }

    @Test func resultFolders() throws {
        let seeds = Self.files("results")
        #expect(!seeds.isEmpty)
        for url in seeds {
            let bytes = try Data(contentsOf: url)
            let folder = Fixtures.temporaryFolder("fuzz-results")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("unique"), withIntermediateDirectories: true)
            let cut = bytes.firstIndex(of: 0) ?? bytes.endIndex
            try Data(bytes[..<cut]).write(to: folder.appendingPathComponent("scenes.json"))
            try Data(cut < bytes.endIndex ? bytes[(cut + 1)...] : Data()).write(to: folder.appendingPathComponent("clusters.json"))
            // Another input's results are never taken as complete; eval reads a real folder.
            #expect(!completeResults(in: folder, input: "clip.mp4", options: DedupeOptions()))
            if url.path.contains("/seeds/") {
                #expect(try ClipResult(folder: folder).sceneStarts.count >= 2)
            } else {
                _ = try? ClipResult(folder: folder)
            }
        }
    }
}

import Foundation
import FrameDedupe
import FrameDedupeEvaluation
import Testing
import _FrameDedupeTestSupport

/// The readers of truth files and result folders `scripts/fuzz.sh` fuzzes, on its seeds (real files) and on the inputs
/// kept from its runs (`scripts/fuzz/regressions/<target>/`, none yet): the seeds read back whole, and no input
/// crashes a reader.
@Suite("Fuzzed readers of truth and results: seeds and regressions", .temporaryFolders)
struct EvaluationFuzzSeedsTests {
    @Test func truthFiles() throws {
        let seeds = Fixtures.fuzzInputs("truth")
        #expect(seeds.count >= 2)
        for url in seeds where url.path.contains("/seeds/") {
            let truth = try GroundTruth(json: try Data(contentsOf: url), name: url.lastPathComponent)
            #expect(!truth.shots.isEmpty, "\(url.lastPathComponent)")
        }
        for url in seeds where url.path.contains("/regressions/") { _ = try? GroundTruth(json: try Data(contentsOf: url), name: "regression") }
    }

    @Test func resultFolders() throws {
        let seeds = Fixtures.fuzzInputs("results")
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

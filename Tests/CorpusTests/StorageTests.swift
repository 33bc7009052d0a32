import Decoder
import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

@Suite("Corpus storage", .temporaryFolders)
struct StorageTests {
    @Test func contentDigestIsSHA256AsSha256sumComputesIt() throws {
        let empty = Fixtures.temporaryFolder("digest").appendingPathComponent("empty")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        for file in [Fixtures.sample("bbb-720p.mp4"), Fixtures.sample("shots-360p.mp4"), empty] {
            let expected = try Fixtures.run("sha256sum", [file.path]).stdout.prefix(64)
            let (sha, size) = try ContentDigest.file(at: file.path)
            #expect(sha == String(expected))
            #expect(size == (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value)
        }
        #expect(throws: DecoderError.self) { try ContentDigest.file(at: "/no/such/file") }
    }

    @Test func containerTagsAreReadForGrouping() throws {
        let tagged = Fixtures.temporaryFolder("tags").appendingPathComponent("tagged.mkv")
        try Fixtures.ffmpeg(["-i", Fixtures.sample("revisit-360p.mp4").path, "-c", "copy", "-metadata", "show=Night Sky", "-metadata", "episode_id=s01e02", tagged.path])
        let tags = ContainerTags.read(tagged.path)
        // Matroska keeps tag names upper-case; grouping matches KEY case-insensitively.
        #expect(tags["SHOW"] == "Night Sky" && tags["EPISODE_ID"] == "s01e02", "\(tags)")
        #expect(ContainerTags.read("/no/such/file.mkv").isEmpty)
        let video = IndexedVideo(path: tagged.path, size: 1, sha256: String(repeating: "a", count: 64), duration: 6, tags: tags, folder: "a", scenes: [])
        #expect(CorpusGrouping(parsing: "meta:show")!.key(for: video) == "Night Sky")
        #expect(CorpusGrouping(parsing: "meta:title")!.key(for: video) != CorpusGrouping(parsing: "meta:title")!.key(for: IndexedVideo(
            path: "/b.mkv", size: 1, sha256: String(repeating: "b", count: 64), duration: 6, tags: [:], folder: "b", scenes: [])))
        #expect(CorpusGrouping(parsing: "regex:/([a-z]+)\\.mkv$")!.key(for: video) == "tagged")
        #expect(CorpusGrouping(parsing: "dir")!.key(for: video) == tagged.deletingLastPathComponent().path)
    }

    /// The float16 error on real scene embeddings (the README quotes these bounds).
    @Test func halfPrecisionErrorOnRealEmbeddings() throws {
        let network = try loadNetwork(DedupeOptions())
        var embeddings: [[Float]] = []
        for sample in ["shots-360p.mp4", "revisit-360p.mp4", "bbb-720p.mp4"] {
            let list = try findScenes(input: Fixtures.sample(sample).path, options: DedupeOptions(), output: nil, network: network)
            embeddings += list.scenes.compactMap(\.embedding)
        }
        #expect(embeddings.count >= 6)
        var maxValueError: Float = 0, sumValueError = 0.0, values = 0, maxCosineError = 0.0
        for (i, e) in embeddings.enumerated() {
            let back = normalised(EmbeddingPrecision.half.decode(EmbeddingPrecision.half.encode(e))!)
            #expect(EmbeddingPrecision.single.decode(EmbeddingPrecision.single.encode(e)) == e)
            for (x, y) in zip(e, back) { maxValueError = max(maxValueError, abs(x - y)); sumValueError += Double(abs(x - y)); values += 1 }
            for f in embeddings[i...] {
                let exact = zip(e, f).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let stored = zip(back, normalised(EmbeddingPrecision.half.decode(EmbeddingPrecision.half.encode(f))!)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                maxCosineError = max(maxCosineError, abs(exact - stored))
            }
        }
        let meanValueError = sumValueError / Double(values)
        print("float16: max value error \(maxValueError), mean \(meanValueError), max cosine-distance error \(maxCosineError)")
        #expect(maxValueError < 1e-3 && meanValueError < 1e-4 && maxCosineError < 1e-3)
    }
}

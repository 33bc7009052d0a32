import Decoder
import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// Issue 18: shot / reverse shot (A B A B A B A, 2.2 s shots) sampled sparsely. Before the calibrated cut rule, each
/// B was a lone sample between two A samples and was taken for a transition: "7 frames → 1 scene → 1 cluster", and
/// B never reached `unique/`. Every scene must now start at its cut's frame (within one frame, 0.04 s), whatever
/// the sampling: between two samples the decoded frames' thumbnails place it.
@Suite("Sparse sampling keeps every shot, cut at its frame", .temporaryFolders)
struct SparseSamplingTests {
    @Test(arguments: ["0.5", "2", "keyframes"])
    func shotReverseShotGivesTwoContentsAndExactCuts(sampling: String) throws {
        var options = DedupeOptions()
        if sampling == "keyframes" {
            options.reader.decode = .keyframes
        } else {
            options.reader.sampling = .perSecond(try #require(Rational(parsing: sampling)))
        }
        let list = try findScenes(input: Fixtures.alternatingShots().path, options: options, output: nil)
        let starts = list.scenes.map(\.start)
        #expect(starts.count == 7, "scene starts: \(starts)")
        for (start, cut) in zip(starts.dropFirst(), Fixtures.alternatingShotsCuts) {
            #expect(abs(start - cut) <= 0.041, "a scene starts at \(start) s, the cut is at \(cut) s")
        }
        #expect(list.clusters.clusterOfScene == [0, 1, 0, 1, 0, 1, 0], "\(list.clusters.clusterOfScene)")
        #expect(list.frames.allSatisfy { !$0.transition }, "no sample of these hard cuts is a transition")
        // Key frames only, one a shot 2.2 s apart: nothing tells a B from a flash, so B is kept and the run says so.
        let warned = list.warnings.contains { $0.contains("lone samples between two of one content kept as shots") }
        #expect(warned == (sampling == "keyframes"), "\(list.warnings)")
    }

    /// Three regions of one still, 3 s each, at 0.5 a second: the centre region's only sample lies between its
    /// neighbours in embedding distance, as a dissolve's middle would, and was taken for one ("scene 1: transition",
    /// no exemplar). The frames decoded between the samples show two hard cuts: a shot of its own.
    @Test func loneSampleBetweenHardCutsIsAShot() throws {
        var options = DedupeOptions()
        options.reader.sampling = .perSecond(try #require(Rational(parsing: "0.5")))
        let list = try findScenes(input: Fixtures.regionsOfOneStill().path, options: options, output: nil)
        #expect(list.scenes.map(\.start) == [0, 3, 6], "\(list.scenes.map(\.start))")
        #expect(list.scenes.allSatisfy { !$0.transition }, "\(list.scenes)")
        #expect(list.clusters.clusterOfScene.allSatisfy { $0 != nil }, "every region reaches a cluster: \(list.clusters.clusterOfScene)")
    }
}

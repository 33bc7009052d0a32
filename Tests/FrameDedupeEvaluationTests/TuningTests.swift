import Foundation
import FrameDedupe
import FrameDedupeEvaluation
import Similarity
import Testing
import _FrameDedupeTestSupport

@Suite("Threshold sweep (framededupe tune)", .temporaryFolders)
struct TuningTests {
    /// The A B A C B clip: 2 s shots, content groups 0 1 0 2 1.
    var truth: GroundTruth {
        GroundTruth(clip: "abacb.mp4", shots: zip(Fixtures.returningShotsContent.indices, Fixtures.returningShotsContent).map { i, g in
            GroundTruth.Shot(start: Double(i) * 2, end: Double(i + 1) * 2, content: g)
        })
    }

    /// The sweep re-segments and re-clusters cached frames; for the defaults it must score exactly what
    /// `eval` scores on the folder a real run writes (same scenes, clusters and exemplars).
    @Test func sweepAgreesWithEvalOnAWrittenRun() throws {
        let clip = try Fixtures.returningShots()
        let out = Fixtures.temporaryFolder("tune-run")
        var options = DedupeOptions()
        // Without the geometric joins, so that cluster threshold 0 keeps every scene apart (with them, the revisits,
        // geometric copies, would still join).
        options.clustering.geometricCheck = false
        _ = try findScenes(input: clip.path, options: options, output: out)
        let fromFolder = ClipEvaluation(clip: "abacb.mp4", truth: truth, result: try ClipResult(folder: out), tolerance: 0.5)

        let defaults = TuningSetting(options)
        var grid = TuningGrid.standard(scorer: .both)
        // The model's own threshold (the default) and 1, which never cuts.
        grid.cutProbabilities = [nil, 1]
        grid.clusterThresholds = [0, defaults.clusterThreshold]
        grid.linkages = [defaults.linkage]
        grid.alphas = [defaults.alpha]
        grid.gridThresholds = [defaults.gridThreshold]
        var sweep = ThresholdSweep(grid: grid, options: options)
        let analyzed = try AnalyzedClip(input: clip.path, options: options, network: nil)
        #expect(analyzed.frames.count == 21)  // 2 a second over 10 s, and the last frame
        sweep.add(clip: "abacb.mp4", truth: truth, analyzed: analyzed)

        let ranked = sweep.ranked(minimumCoverage: 0.98)
        #expect(ranked.count == 4)
        let atDefaults = try #require(ranked.first { $0.setting == defaults })
        #expect(atDefaults.evaluation.clips == [fromFolder])
        // The defaults find every cut and the three contents: the best objective there is.
        #expect(atDefaults.evaluation.boundaries.f1 == 1 && atDefaults.evaluation.clusters.f1 == 1 && atDefaults.coverage == 1)
        #expect(ranked.first?.objective == 1)
        // Cluster threshold 0 keeps all five scenes apart: pair recall (and F1) falls, redundancy rises.
        let apart = try #require(ranked.first { $0.setting.clusterThreshold == 0 && $0.setting.cutProbability == nil })
        #expect(apart.evaluation.clusters.f1 < 1 && apart.evaluation.exemplars.redundancy == 0.4)
        // Ranked best first; the Pareto set holds the best and nothing it dominates.
        #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.objective >= $1.objective || $0.coverage >= 0.98 && $1.coverage < 0.98 })
        let pareto = sweep.pareto(minimumCoverage: 0.98)
        #expect(pareto.first?.objective == 1)
        #expect(!pareto.contains { $0.setting == apart.setting })
    }

    @Test func settingsMapToTheCommandLine() {
        var s = TuningSetting(cutRatio: 3, minimumContentChange: 0.04, embeddingCut: 0.5, clusterThreshold: 0.25,
                              linkage: .ward, alpha: 0.2, gridThreshold: 0.3)
        let clustering = ["--cluster-threshold", "0.25", "--linkage", "ward", "--alpha", "0.2", "--grid-threshold", "0.3"]
        // The calibrated rule (the default): its own threshold needs no option; another is --cut-probability.
        #expect(s.arguments(scorer: .both) == clustering)
        s.cutProbability = 0.3
        #expect(s.arguments(scorer: .both) == ["--cut-probability", "0.3"] + clustering)
        #expect(s.applied(to: DedupeOptions()).rule.cutProbability == 0.3 && s.applied(to: DedupeOptions()).rule.method == .calibrated)
        s.method = .ratio
        s.cutProbability = nil
        #expect(s.arguments(scorer: .both) == ["--cut-rule", "ratio", "--cut-ratio", "3", "--min-cut-change", "0.04", "--embedding-cut-threshold", "0.5"] + clustering)
        #expect(s.arguments(scorer: .ssim).contains("--cut-threshold"))
        let o = s.applied(to: DedupeOptions())
        #expect(o.rule.method == .ratio && o.rule.cutRatio == 3 && o.rule.minimumContentChange == 0.04 && o.rule.embeddingCut == 0.5)
        #expect(o.clustering.threshold == 0.25 && o.clustering.linkage == .ward && o.clustering.alpha == 0.2 && o.clustering.gridThreshold == 0.3)
        #expect(TuningSetting(o) == s)
    }
}

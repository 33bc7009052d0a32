import Foundation
@_spi(Evaluation) import FrameDedupe
import Similarity

/// One setting of everything `tune` varies: the scene-cut rule and the content clustering.
public struct TuningSetting: Sendable, Equatable, Hashable {
    /// How cuts are decided; with ``SceneBoundaryRule/Method/calibrated`` the ratio rule's fields below are not used.
    public var method: SceneBoundaryRule.Method = .calibrated
    /// With ``SceneBoundaryRule/Method/calibrated``: `--cut-probability` (nil: the model's own).
    public var cutProbability: Double? = nil
    public var cutRatio: Double
    public var minimumContentChange: Double
    public var embeddingCut: Double
    public var clusterThreshold: Double
    public var linkage: Linkage
    public var alpha: Double
    public var gridThreshold: Double

    public init(cutRatio: Double, minimumContentChange: Double, embeddingCut: Double,
                clusterThreshold: Double, linkage: Linkage, alpha: Double, gridThreshold: Double) {
        self.cutRatio = cutRatio
        self.minimumContentChange = minimumContentChange
        self.embeddingCut = embeddingCut
        self.clusterThreshold = clusterThreshold
        self.linkage = linkage
        self.alpha = alpha
        self.gridThreshold = gridThreshold
    }

    /// The shipped defaults, as a setting.
    public init(_ options: DedupeOptions) {
        self.init(cutRatio: options.scorer.usesEmbedding ? options.rule.cutRatio : options.rule.pixelCutRatio,
                  minimumContentChange: options.scorer.usesEmbedding ? options.rule.minimumContentChange : options.rule.minimumPixelChange,
                  embeddingCut: options.scorer.usesEmbedding ? options.rule.embeddingCut : options.rule.ssimCut,
                  clusterThreshold: options.clustering.threshold, linkage: options.clustering.linkage,
                  alpha: options.clustering.alpha, gridThreshold: options.clustering.gridThreshold)
        cutProbability = options.rule.cutProbability
        method = options.rule.method
    }

    /// `options` with this setting applied. With `--scorer ssim` the cut fields stand for the pixel rule's
    /// ratio, minimum change and jump threshold (SSIM to the previous frame).
    public func applied(to options: DedupeOptions) -> DedupeOptions {
        var o = options
        o.rule.cutProbability = cutProbability
        o.rule.method = method
        if o.scorer.usesEmbedding {
            o.rule.cutRatio = cutRatio
            o.rule.minimumContentChange = minimumContentChange
            o.rule.embeddingCut = embeddingCut
        } else {
            o.rule.pixelCutRatio = cutRatio
            o.rule.minimumPixelChange = minimumContentChange
            o.rule.ssimCut = embeddingCut
        }
        o.clustering.threshold = clusterThreshold
        o.clustering.linkage = linkage
        o.clustering.alpha = alpha
        o.clustering.gridThreshold = gridThreshold
        return o
    }

    /// The command-line options that select this setting.
    public func arguments(scorer: ScorerKind) -> [String] {
        func n(_ v: Double) -> String { JSONValue.number(v, decimals: 3).serialized() }
        let cut = method == .calibrated ? cutProbability.map { ["--cut-probability", n($0)] } ?? []
            : ["--cut-rule", "ratio", "--cut-ratio", n(cutRatio), "--min-cut-change", n(minimumContentChange)]
                + (scorer.usesEmbedding ? ["--embedding-cut-threshold", n(embeddingCut)] : ["--cut-threshold", n(embeddingCut)])
        return cut + ["--cluster-threshold", n(clusterThreshold), "--linkage", linkage.rawValue, "--alpha", n(alpha),
                      "--grid-threshold", n(gridThreshold)]
    }
}

/// The values a tuning run tries: every combination of them.
public struct TuningGrid: Sendable, Equatable {
    /// How cuts are decided: with ``SceneBoundaryRule/Method/calibrated`` only ``cutProbabilities`` vary the cut
    /// rule; with ``SceneBoundaryRule/Method/ratio`` the ratios, minimum changes and jump thresholds.
    public var method: SceneBoundaryRule.Method = .calibrated
    /// `--cut-probability` values (nil: the model's own threshold).
    public var cutProbabilities: [Double?] = [nil, 0.3, 0.5, 0.7]
    public var cutRatios: [Double]
    public var minimumContentChanges: [Double]
    public var embeddingCuts: [Double]
    public var clusterThresholds: [Double]
    public var linkages: [Linkage]
    public var alphas: [Double]
    public var gridThresholds: [Double]

    /// Around the defaults, wide enough to show where they sit: 4 cut probabilities (3 × 3 × 3 ratio rules with
    /// ``SceneBoundaryRule/Method/ratio``) and 9 × 4 × 2 × 3 clusterings.
    public static func standard(scorer: ScorerKind, method: SceneBoundaryRule.Method = .calibrated) -> TuningGrid {
        TuningGrid(
            method: method,
            cutRatios: scorer.usesEmbedding ? [3, 4, 6] : [1.5, 2, 3],
            minimumContentChanges: scorer.usesEmbedding ? [0.04, 0.06, 0.1] : [0.5, 0.6, 0.7],
            embeddingCuts: scorer.usesEmbedding ? [0.3, 0.4, 0.5] : [0.1, 0.15, 0.25],
            clusterThresholds: [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6],
            linkages: Linkage.allCases, alphas: [0, 0.2], gridThresholds: [0.15, 0.22, 0.3])
    }

    public var cutRules: [(probability: Double?, ratio: Double, minimum: Double, jump: Double)] {
        if method == .calibrated {
            let rule = SceneBoundaryRule()
            return cutProbabilities.map { ($0, rule.cutRatio, rule.minimumContentChange, rule.embeddingCut) }
        }
        return cutRatios.flatMap { r in minimumContentChanges.flatMap { m in embeddingCuts.map { (nil, r, m, $0) } } }
    }

    public var clusterings: [(threshold: Double, linkage: Linkage, alpha: Double, grid: Double)] {
        clusterThresholds.flatMap { t in linkages.flatMap { l in alphas.flatMap { a in gridThresholds.map { (t, l, a, $0) } } } }
    }

    public var count: Int { cutRules.count * clusterings.count }
}

/// The sampled frames of one clip, decoded and scored once (hashes, SSIM lumas, embeddings), so that
/// every setting of a tuning run segments and clusters them again without decoding or running the network.
public struct AnalyzedClip {
    public let frames: [FrameSignals]
    /// The end of the last decoded frame, seconds.
    public let end: Double

    /// Decodes and scores `input` once (see ``analyseFrames(input:options:network:)``).
    /// - Parameter network: a loaded network to reuse across clips; nil loads one when the scorer needs it.
    public init(input: String, options: DedupeOptions, network: EfficientNetLite?) throws(RunError) {
        (frames, end) = try analyseFrames(input: input, options: options, network: network)
    }

    /// The scenes these frames give under `options` (the same stages `findScenes` runs), without images.
    public func scenes(options: DedupeOptions) -> (frames: [FrameRecord], scenes: [Scene]) {
        replayScenes(frames, end: end, options: options)
    }
}

extension ClipResult {
    /// What a run with `--keep cluster` would have written, from scenes and clusters in memory.
    public init(frames: [FrameRecord], scenes: [Scene], clusters: SceneClusters) {
        self.init(sceneStarts: scenes.map(\.start),
                  frames: frames.map { Frame(time: $0.seconds, cluster: clusters.clusterOfScene[$0.scene]) },
                  exemplarTimes: clusters.clusters.map(\.exemplar.keyframe.seconds))
    }
}

/// The scores of one setting over a set of clips.
public struct TunedSetting: Sendable {
    public let setting: TuningSetting
    public let evaluation: Evaluation

    /// The objective `tune` ranks by: the mean of scene-boundary F1 and cluster-pair F1 (both pooled over clips).
    public var objective: Double { (evaluation.boundaries.f1 + evaluation.clusters.f1) / 2 }
    /// Pooled exemplar coverage (covered content groups / content groups).
    public var coverage: Double { evaluation.exemplars.coverage }
}

/// A threshold sweep over a labelled set: every clip decoded and scored once, then segmented and clustered
/// again for every setting of the grid, each scored with ``Evaluation``.
public struct ThresholdSweep {
    public let grid: TuningGrid
    public let options: DedupeOptions
    public let tolerance: Double
    /// One evaluation per clip for every setting, in the grid's order (cut rules outer, clusterings inner).
    private var perSetting: [[ClipEvaluation]]
    public private(set) var clips: [String] = []

    public init(grid: TuningGrid, options: DedupeOptions, tolerance: Double = Evaluation.defaultTolerance) {
        self.grid = grid
        self.options = options
        self.tolerance = tolerance
        perSetting = Array(repeating: [], count: grid.count)
    }

    /// Every setting of the grid, in order.
    public var settings: [TuningSetting] {
        grid.cutRules.flatMap { cut in
            grid.clusterings.map { c in
                var setting = TuningSetting(cutRatio: cut.ratio, minimumContentChange: cut.minimum, embeddingCut: cut.jump,
                                            clusterThreshold: c.threshold, linkage: c.linkage, alpha: c.alpha, gridThreshold: c.grid)
                setting.cutProbability = cut.probability
                setting.method = grid.method
                return setting
            }
        }
    }

    /// Scores every setting on one clip. Only this clip's frames are held meanwhile. The clip is segmented
    /// once per cut rule (settings come cut rules outer) and clustered once per setting.
    public mutating func add(clip name: String, truth: GroundTruth, analyzed: AnalyzedClip) {
        clips.append(name)
        var segmented: (rule: SceneBoundaryRule, frames: [FrameRecord], scenes: [Scene])?
        for (index, setting) in settings.enumerated() {
            let o = setting.applied(to: options)
            if segmented?.rule != o.rule {
                let (frames, scenes) = analyzed.scenes(options: o)
                segmented = (o.rule, frames, scenes)
            }
            let (_, frames, scenes) = segmented!
            let result = ClipResult(frames: frames, scenes: scenes, clusters: clusterScenes(scenes, options: o.clustering))
            perSetting[index].append(ClipEvaluation(clip: name, truth: truth, result: result, tolerance: tolerance))
        }
    }

    /// Every setting with its scores, best objective first among those whose pooled coverage reaches
    /// `minimumCoverage`, then the others (ties: the earlier setting in the grid).
    public func ranked(minimumCoverage: Double) -> [TunedSetting] {
        let all = zip(settings, perSetting).map { TunedSetting(setting: $0, evaluation: Evaluation(tolerance: tolerance, clips: $1)) }
        return all.enumerated().sorted { a, b in
            let fa = a.element.coverage >= minimumCoverage, fb = b.element.coverage >= minimumCoverage
            if fa != fb { return fa }
            if a.element.objective != b.element.objective { return a.element.objective > b.element.objective }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// The settings no other setting beats on scene F1, cluster F1 and redundancy at once (among those at
    /// `minimumCoverage`), by objective; one setting per distinct triple of scores.
    public func pareto(minimumCoverage: Double) -> [TunedSetting] {
        let feasible = ranked(minimumCoverage: minimumCoverage).filter { $0.coverage >= minimumCoverage }
        func scores(_ t: TunedSetting) -> (Double, Double, Double) {
            (t.evaluation.boundaries.f1, t.evaluation.clusters.f1, -t.evaluation.exemplars.redundancy)
        }
        var seen: [String] = []
        return feasible.filter { t in
            let s = scores(t)
            let dominated = feasible.contains { o in
                let q = scores(o)
                return q.0 >= s.0 && q.1 >= s.1 && q.2 >= s.2 && (q.0 > s.0 || q.1 > s.1 || q.2 > s.2)
            }
            let key = "\(s.0) \(s.1) \(s.2)"
            guard !dominated, !seen.contains(key) else { return false }
            seen.append(key)
            return true
        }
    }
}

import Foundation
import Pixels
import Similarity

/// What a picture is like, measured on its luma at analysis size (shorter side 256 pixels, area-averaged from the
/// full picture), so that the numbers do not depend on the video's resolution.
public struct PictureMeasures: Sendable, Equatable {
    /// Variance of the 4-neighbour Laplacian, in squared 8-bit luma units (``PictureQuality/sharpness``).
    public var sharpness: Double
    /// Share of pixels neither near black (≤ 24) nor near white (≥ 232), 0 to 1 (``PictureQuality/exposure``).
    public var exposure: Double
    /// Mean luma, 0 to 255.
    public var brightness: Double
    /// Standard deviation of luma, 0 to 127.5: near 0 for a uniform picture (a black or white card, a flat wall).
    public var contrast: Double
    /// The picture's size in pixels as stored (the keyframe image).
    public var width: Int
    public var height: Int

    public init(sharpness: Double, exposure: Double, brightness: Double, contrast: Double, width: Int, height: Int) {
        self.sharpness = sharpness
        self.exposure = exposure
        self.brightness = brightness
        self.contrast = contrast
        self.width = width
        self.height = height
    }

    /// Measures `luma` (analysis size) of a picture of `width`×`height`.
    public init(luma: LumaImage, width: Int, height: Int) {
        let quality = PictureQuality(luma)
        var sum = 0.0, squares = 0.0
        for v in luma.pixels { let d = Double(v); sum += d; squares += d * d }
        let n = Double(max(1, luma.pixels.count))
        let mean = sum / n
        self.init(sharpness: quality.sharpness, exposure: quality.exposure, brightness: mean,
                  contrast: max(0, squares / n - mean * mean).squareRoot(), width: width, height: height)
    }
}

/// Why a candidate frame was left out of the training set.
public enum ExclusionReason: String, Sendable, CaseIterable, Comparable {
    /// Sharpness below ``QualityThresholds/minimumSharpness``.
    case blurred
    /// Mean luma below ``QualityThresholds/darkBelow``.
    case dark
    /// Mean luma above ``QualityThresholds/brightAbove``.
    case bright
    /// Luma standard deviation below ``QualityThresholds/minimumContrast``: a near-uniform picture.
    case lowInformation = "low_information"
    /// A scene that is all transition (a dissolve, a fade): the index leaves these out, the summary counts them.
    case transition
    /// Shorter side below ``QualityThresholds/minimumSide`` pixels.
    case tiny
    /// The keyframe image could not be read.
    case unreadable
    /// Within `--diversity` of an image kept in its cluster (`--keep diverse`), or not its cluster's first (`--keep cluster`).
    case duplicate
    /// Over `--per-cluster`.
    case perCluster = "per_cluster"
    /// Over `--per-minute` for its video.
    case perMinute = "per_minute"

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// True for the picture-quality filters (the others are selection).
    public var isQuality: Bool { ![.duplicate, .perCluster, .perMinute].contains(self) }
}

/// The quality filters of `framededupe dataset`, in the units of ``PictureMeasures``.
///
/// The defaults were chosen on the 181 scene keyframes of the dev set's tune clips (docs/dataset.md): they leave out
/// a defocused picture (sharpness 6.3) and would leave out black, white and uniform cards, and keep a star field
/// (mean luma 19), white slides (mean 214), a rocket against a clear sky (sharpness 12, luma deviation 12).
public struct QualityThresholds: Sendable, Equatable {
    /// Pictures less sharp than this are `blurred` (Laplacian variance at analysis size; 0 turns the filter off).
    public var minimumSharpness: Double = 10
    /// Pictures darker than this mean luma (0-255) are `dark`.
    public var darkBelow: Double = 12
    /// Pictures brighter than this mean luma (0-255) are `bright`.
    public var brightAbove: Double = 240
    /// Pictures with a luma standard deviation below this are `low_information` (0-127.5).
    public var minimumContrast: Double = 6
    /// Pictures whose shorter side is below this many pixels are `tiny`.
    public var minimumSide: Int = 64

    public init() {}

    /// The first filter `measures` fails, nil when it passes them all.
    public func failure(_ m: PictureMeasures) -> ExclusionReason? {
        if min(m.width, m.height) < minimumSide { return .tiny }
        if m.contrast < minimumContrast { return .lowInformation }
        if m.brightness < darkBelow { return .dark }
        if m.brightness > brightAbove { return .bright }
        if m.sharpness < minimumSharpness { return .blurred }
        return nil
    }
}

/// Which frames of a corpus cluster become training images.
public enum DatasetKeep: String, Sendable, CaseIterable {
    /// One per cluster: its exemplar (or, when the exemplar fails a filter, the most central scene that passes).
    case cluster
    /// The exemplar, then every scene keyframe farther than the diversity distance from all images kept in its cluster.
    case diverse
}

/// Why an image is in the set (the manifest's `kept`).
public enum KeptReason: String, Sendable, Codable {
    /// Its cluster's first image: the exemplar, or the most central scene that passed the filters.
    case exemplar
    /// Farther than `--diversity` from every other image of its cluster.
    case diverse
}

/// The selection rules of `framededupe dataset`.
public struct SelectionRules: Sendable, Equatable {
    public var keep: DatasetKeep = .cluster
    /// Cosine distance beyond which a keyframe is new to its cluster (`--keep diverse`).
    public var diversity: Double = 0.15
    /// At most this many images per cluster, earlier ones included; nil: no cap.
    public var perCluster: Int? = nil
    /// At most this many images per minute of each video (rounded up, at least 1); nil: no cap.
    public var perMinute: Double? = nil
    public var quality = QualityThresholds()

    public init() {}
}

/// A scene keyframe that may become a training image.
public struct DatasetCandidate: Sendable {
    /// The index's id of its corpus cluster.
    public var cluster: Int64
    /// Its video's SHA-256.
    public var video: String
    /// Its video's length in seconds (for `--per-minute`), nil when unknown.
    public var videoSeconds: Double?
    /// Its cosine similarity to its cluster's mean embedding.
    public var centrality: Double
    /// True for its cluster's exemplar.
    public var isExemplar: Bool
    /// Its scene's mean embedding (unit length).
    public var embedding: [Float]
    /// Nil when the image could not be read.
    public var measures: PictureMeasures?

    public init(cluster: Int64, video: String, videoSeconds: Double?, centrality: Double, isExemplar: Bool, embedding: [Float],
                measures: PictureMeasures?) {
        self.cluster = cluster
        self.video = video
        self.videoSeconds = videoSeconds
        self.centrality = centrality
        self.isExemplar = isExemplar
        self.embedding = embedding
        self.measures = measures
    }
}

/// What ``DatasetSelector/select(_:earlier:)`` chose.
public struct DatasetSelection: Sendable {
    /// Indices of the chosen candidates with why, in the order chosen.
    public var chosen: [(candidate: Int, reason: KeptReason)]
    /// Candidates left out, by reason.
    public var excluded: [ExclusionReason: Int]
}

/// Picks training images among scene keyframes, cluster by cluster.
///
/// First the quality filters. Then each cluster's candidates are ranked (the exemplar first, then by similarity to
/// the cluster's mean, highest first) and, in cluster order, each cluster takes its first candidate whose video is
/// under its `--per-minute` quota (a cluster that earlier runs gave images takes none with `--keep cluster`). With
/// `--keep diverse` a second pass takes, in rank order, every candidate farther than the diversity distance from all
/// images of its cluster, earlier and new, while caps allow. So exemplars are served before variety everywhere.
public struct DatasetSelector: Sendable {
    public let rules: SelectionRules

    public init(rules: SelectionRules) { self.rules = rules }

    /// - Parameters:
    ///   - candidates: this run's candidate keyframes.
    ///   - earlier: the embeddings of the images earlier runs kept, by cluster (they count towards diversity and the
    ///     per-cluster cap; their videos are not candidates again).
    public func select(_ candidates: [DatasetCandidate], earlier: [Int64: [[Float]]] = [:]) -> DatasetSelection {
        var excluded: [ExclusionReason: Int] = [:]
        var passing: [Int] = []
        for (i, c) in candidates.enumerated() {
            guard let m = c.measures else { excluded[.unreadable, default: 0] += 1; continue }
            if let reason = rules.quality.failure(m) { excluded[reason, default: 0] += 1 } else { passing.append(i) }
        }
        var byCluster: [Int64: [Int]] = [:]
        for i in passing { byCluster[candidates[i].cluster, default: []].append(i) }
        let clusterOrder = byCluster.keys.sorted()
        for k in clusterOrder {
            byCluster[k]!.sort { a, b in
                let (x, y) = (candidates[a], candidates[b])
                if x.isExemplar != y.isExemplar { return x.isExemplar }
                if x.centrality != y.centrality { return x.centrality > y.centrality }
                return a < b
            }
        }
        var quota: [String: Int] = [:]
        if let perMinute = rules.perMinute {
            for c in candidates where quota[c.video] == nil {
                quota[c.video] = max(1, Int((perMinute * (c.videoSeconds ?? 60) / 60).rounded(.up)))
            }
        }
        var kept: [Int64: [[Float]]] = earlier
        var chosen: [(candidate: Int, reason: KeptReason)] = []
        var taken = Set<Int>()
        func underCaps(_ i: Int) -> ExclusionReason? {
            let c = candidates[i]
            if let cap = rules.perCluster, kept[c.cluster, default: []].count >= cap { return .perCluster }
            if let q = quota[c.video], q <= 0 { return .perMinute }
            return nil
        }
        func take(_ i: Int, _ reason: KeptReason) {
            let c = candidates[i]
            kept[c.cluster, default: []].append(c.embedding)
            if quota[c.video] != nil { quota[c.video]! -= 1 }
            taken.insert(i)
            chosen.append((i, reason))
        }
        // Why each candidate passing the filters was not taken, as last found; a duplicate unless a cap stopped it.
        var why: [Int: ExclusionReason] = [:]
        // Pass 1: a first image for every cluster without one.
        for k in clusterOrder where kept[k, default: []].isEmpty {
            for i in byCluster[k]! {
                if let cap = underCaps(i) { why[i] = cap; continue }
                take(i, .exemplar)
                break
            }
        }
        // Pass 2: variety.
        if rules.keep == .diverse {
            for k in clusterOrder {
                for i in byCluster[k]! where !taken.contains(i) {
                    let c = candidates[i]
                    guard kept[c.cluster, default: []].allSatisfy({ 1 - Self.dot($0, c.embedding) > rules.diversity }) else {
                        why[i] = .duplicate
                        continue
                    }
                    if let cap = underCaps(i) { why[i] = cap; continue }
                    take(i, kept[c.cluster, default: []].isEmpty ? .exemplar : .diverse)
                }
            }
        }
        for i in passing where !taken.contains(i) { excluded[why[i] ?? .duplicate, default: 0] += 1 }
        return DatasetSelection(chosen: chosen, excluded: excluded)
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return 0 }
        var s = 0.0
        for k in a.indices { s += Double(a[k]) * Double(b[k]) }
        return s
    }
}

import Foundation

/// `clusters.json` (schema version 1): the content clusters of the scenes of ``ScenesFile`` and each one's
/// exemplar, with the options that formed them.
///
/// `docs/schema/clusters.schema.json` is its JSON Schema; ``json`` gives the bytes framededupe writes, and
/// `JSONDecoder` reads the file back.
public struct ClustersFile: Codable, Sendable, Equatable {
    /// The schema version this framededupe writes and reads (the same as ``ScenesFile/currentVersion``).
    public static let currentVersion = 1

    public var version: Int
    /// The input as named on the command line.
    public var input: String
    public var options: ClusteringOptionsRecord
    /// Pairs of scenes kept apart by the spatial check.
    public var spatialCheckVetoes: Int
    /// Pairs of scenes beyond the cluster threshold (up to the copy radius) joined as geometric copies.
    public var copyJoins: Int
    /// Principal components the embeddings were projected onto (0: none).
    public var principalComponentsUsed: Int
    /// False when the run was interrupted.
    public var complete: Bool
    /// By id: 0, 1, 2… in order of first appearance.
    public var clusters: [ClusterEntry]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, input, options, spatialCheckVetoes = "spatial_check_vetoes", copyJoins = "copy_joins"
        case principalComponentsUsed = "principal_components_used", complete, clusters
    }
}

/// One cluster in `clusters.json`'s `clusters` (and, with `input` first, a line of `--print clusters`).
public struct ClusterEntry: Codable, Sendable, Equatable {
    public var id: Int
    /// Its scenes' ids, in time order.
    public var scenes: [Int]
    /// Sampled frames in its scenes.
    public var frames: Int
    /// `[start, end]`: the earliest start and the latest end of its scenes, in seconds.
    public var span: [Double]
    /// True when it has fewer scenes than `--min-cluster-size`: reported, but not as a group (no `clusters/` folder).
    public var singleton: Bool
    public var exemplar: ExemplarEntry
}

/// A cluster's exemplar: the keyframe of one of its scenes, chosen to stand for it.
public struct ExemplarEntry: Codable, Sendable, Equatable {
    /// The scene whose keyframe it is.
    public var scene: Int
    /// Its `frames[].index` in `scenes.json`.
    public var index: Int
    public var pts: Int64
    public var time: Double
    /// `unique/cluster-…` when the image is there (``KeepPolicy/cluster``, ``KeepPolicy/diverse``); nil otherwise.
    public var path: String?
    /// The scene keyframe's path in `keyframes/`; nil when no images are written.
    public var keyframePath: String?
    /// How typical the scene is of its cluster (1 − cosine distance of the scene's embedding to the cluster's mean,
    /// or mean SSIM of keyframes without embeddings).
    public var centrality: Double
    public var sharpness: Double
    public var exposure: Double
    /// For a folder of images or a numbered pattern: the picture's file (left out for video).
    public var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case scene, index, pts, time, path, keyframePath = "keyframe_path", centrality, sharpness, exposure, source
    }
}

/// `clusters.json`'s `options`: every option that decides the clusters and the images of `unique/` and `clusters/`.
public struct ClusteringOptionsRecord: Codable, Sendable, Equatable {
    public var clusterThreshold: Double
    /// `average`, `complete`, `single` or `ward`.
    public var linkage: String
    public var alpha: Double
    /// Seconds.
    public var timeScale: Double
    /// What content distance compares: `embedding` or `ssim`.
    public var content: String
    public var spatialCheck: Bool
    /// Copy or look-alike decided by geometric verification (else by the 3×3 grids, `gridThreshold`, `shiftedMatch`).
    public var geometricCheck: Bool
    /// With `geometricCheck`: the distance up to which geometric copies join.
    public var copyRadius: Double
    public var gridThreshold: Double
    public var mirroredMatch: Bool
    public var shiftedMatch: Bool
    public var minClusterSize: Int
    /// Principal components asked for (`--pca`; 0: none).
    public var pca: Int
    /// `cluster`, `scene` or `diverse` (`--keep`).
    public var keep: String
    /// `--diversity` with `--keep diverse`; nil otherwise.
    public var diversity: Double?
    public var dendrogram: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clusterThreshold = "cluster_threshold", linkage, alpha, timeScale = "time_scale", content
        case spatialCheck = "spatial_check", geometricCheck = "geometric_check", copyRadius = "copy_radius"
        case gridThreshold = "grid_threshold", mirroredMatch = "mirrored_match"
        case shiftedMatch = "shifted_match", minClusterSize = "min_cluster_size", pca, keep, diversity, dendrogram
    }
}

extension ExemplarEntry: JSONWritingRules {
    static var decimalPlaces: [String: Int] { ["sharpness": 3] }
    static var membersOmittedWhenAbsent: Set<String> { ["source"] }
}

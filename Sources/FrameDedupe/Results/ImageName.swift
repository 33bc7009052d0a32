import Foundation

/// The names of what an output folder holds: its two JSON files, its image folders, and the layout of `clusters/`.
public enum ResultsLayout {
    /// Every sampled frame, the scenes and their keyframes (``ScenesFile``).
    public static let scenesFile = "scenes.json"
    /// The content clusters and their exemplars (``ClustersFile``).
    public static let clustersFile = "clusters.json"
    /// One image per scene (``ImageName/Kind/scene`` names).
    public static let keyframesFolder = "keyframes"
    /// The images kept as unique: hard links to (or copies of) keyframes and diverse frames.
    public static let uniqueFolder = "unique"
    /// Symbolic links to the keyframes of each cluster's scenes.
    public static let clustersFolder = "clusters"
    /// `--keep diverse` frames while a run is going (in its staging folder and checkpoint only): `unique/` takes those it keeps.
    public static let candidatesFolder = "candidates"

    /// `clusters/cluster_with_N/cluster_K`: the folder of cluster K's keyframe links, grouped by its number of scenes N
    /// (imagecluster's layout), relative to the output folder.
    public static func clusterFolder(cluster: Int, scenes: Int) -> String {
        "\(clustersFolder)/cluster_with_\(scenes)/cluster_\(cluster)"
    }

    /// `folder/path`, or `path` alone without a folder (a results path as reachable from where `folder` is named).
    public static func joined(_ folder: String?, _ path: String) -> String {
        guard let folder else { return path }
        return folder.hasSuffix("/") ? folder + path : folder + "/" + path
    }
}

/// The name of an image framededupe writes: `scene-0007_t000012.500.jpg` (a scene's keyframe in `keyframes/`,
/// and in `unique/` with `--keep scene`) or `cluster-0003_t000012.500.jpg` (an image of a cluster in `unique/`).
///
/// The number is the scene's or cluster's id, at least 4 digits; the time is the frame's, in seconds from the
/// stream's first frame with millisecond precision, zero-padded to 10 characters (longer past 999999 s). Names
/// sort by id, then by time.
public struct ImageName: Sendable, Hashable, CustomStringConvertible {
    /// What the number in the name counts.
    public enum Kind: String, Sendable, CaseIterable {
        case scene
        case cluster
    }

    public var kind: Kind
    /// The scene's or cluster's id.
    public var id: Int
    /// The frame's time in seconds (written to the millisecond; negative times are written as 0).
    public var seconds: Double
    /// `jpg` or `png`, without the dot.
    public var fileExtension: String

    public init(kind: Kind, id: Int, seconds: Double, fileExtension: String) {
        self.kind = kind
        self.id = id
        self.seconds = seconds
        self.fileExtension = fileExtension
    }

    /// Reads a name as ``description`` writes it: `scene-` or `cluster-`, digits, `_t`, a decimal number, `.`, an
    /// extension. The time read back is the name's (rounded to the millisecond).
    /// - Returns: nil for any other name.
    public init?(parsing name: String) {
        guard let dash = name.firstIndex(of: "-"), let kind = Kind(rawValue: String(name[..<dash])),
              let marker = name.range(of: "_t", range: dash..<name.endIndex), let dot = name.lastIndex(of: "."), marker.upperBound < dot
        else { return nil }
        let digits = name[name.index(after: dash)..<marker.lowerBound], number = name[marker.upperBound..<dot]
        let fileExtension = name[name.index(after: dot)...], parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let id = Int(digits), !fileExtension.isEmpty, parts.count <= 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }), let seconds = Double(number) else { return nil }
        self.init(kind: kind, id: id, seconds: seconds, fileExtension: String(fileExtension))
    }

    /// `scene-0007_t000012.500.jpg`.
    public var description: String {
        kind.rawValue + String(format: "-%04d_t%010.3f.", id, max(0, seconds)) + fileExtension
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

import Foundation
import Decoder

/// Serialises a ``SceneList`` as `scenes.json` (``ScenesFile``) and `scenes.csv`, and writes the `--stats` rows.
public enum SceneListWriter {
    /// ``ScenesFile/currentVersion``.
    public static let schemaVersion = ScenesFile.currentVersion

    /// `scenes.json` of `list` (``ScenesFile/json``), made without holding a second copy of the frames.
    public static func json(_ list: SceneList) -> String {
        var text = ""
        writeJSON(list) { text += $0 }
        return text
    }

    /// `scenes.json` in pieces, to `emit` in order: the frames (most of the file on a long input) a few hundred at
    /// a time, so the whole text is never held in memory. The same bytes as ``json(_:)``.
    static func writeJSON<E: Error>(_ list: SceneList, _ emit: (String) throws(E) -> Void) throws(E) {
        let frames = list.frames.lazy.map { FrameEntry($0, cluster: list.clusters.clusterOfScene[$0.scene]) }
        try ScenesFile(list, frames: []).write(frames: frames, emit)
    }

    /// The columns of `scenes.csv`.
    static let csvColumns = ["scene", "cluster", "start", "end", "frames", "transition", "keyframe_time", "keyframe_pts", "keyframe_path"]

    /// A scene's `scenes.csv` fields, unquoted (see ``csvColumns``).
    static func csvFields(_ s: Scene, cluster: Int?, folder: String? = nil) -> [String] {
        [
            String(s.id), cluster.map(String.init) ?? "", formatNumber(s.start, decimals: 6), formatNumber(s.end, decimals: 6), String(s.frameCount), s.transition ? "1" : "0",
            formatNumber(s.keyframe.seconds, decimals: 6), String(s.keyframe.timestamp.pts), s.keyframe.path.map { ResultsLayout.joined(folder, $0) } ?? "",
        ]
    }

    /// One row per scene: `scene,cluster,start,end,frames,transition,keyframe_time,keyframe_pts,keyframe_path`.
    public static func csv(_ list: SceneList) -> String {
        var out = csvColumns.joined(separator: ",") + "\n"
        for s in list.scenes {
            out += csvFields(s, cluster: list.clusters.clusterOfScene[s.id]).map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The header of the `--stats` CSV.
    public static let statsHeader =
        "index,frame,pts,time,scene,decision,transition,ssim_to_reference,ssim_to_previous,embedding_to_reference,embedding_to_previous,hash_distance,sharpness,exposure,mean_luma,change,change_level,next_change,cut_rule,cut_probability"

    /// One `--stats` row: every score of a frame and what the rule decided (`first`, `cut` or `same`).
    public static func statsRow(_ f: FrameRecord) -> String {
        func n(_ v: Double?, _ d: Int = 6) -> String { v.map { formatNumber($0, decimals: d) } ?? "" }
        let decision = f.scores == nil ? (f.cut ? "cut" : "first") : (f.cut ? "cut" : "same")
        return [
            String(f.index), String(f.ordinal), String(f.timestamp.pts), n(f.seconds), String(f.scene), decision, f.transition ? "1" : "0",
            n(f.scores?.ssimToReference), n(f.scores?.ssimToPrevious), n(f.scores?.embeddingToReference),
            n(f.scores?.embeddingToPrevious), f.scores.map { String($0.hashDistance) } ?? "",
            n(f.quality.sharpness, 3), n(f.quality.exposure), n(f.quality.meanLuma, 3),
            n(f.scores.flatMap(SceneBoundaryRule.change)), n(f.context?.recentLevel), n(f.context?.nextChange), f.cutKind?.rawValue ?? "",
            n(f.context?.cutProbability),
        ].joined(separator: ",")
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Serialises the clusters as `clusters.json` (``ClustersFile``) and `clusters.csv`.
public enum ClusterListWriter {
    /// `clusters.json` of `list` (``ClustersFile/json``).
    public static func json(_ list: SceneList) -> String { ClustersFile(list).json }

    /// The columns of `clusters.csv`.
    static let csvColumns = ["cluster", "scenes", "frames", "start", "end", "singleton", "exemplar_scene", "exemplar_time", "exemplar_pts", "exemplar_path"]

    /// A cluster's `clusters.csv` fields, unquoted (see ``csvColumns``).
    static func csvFields(_ c: Cluster, folder: String? = nil) -> [String] {
        [
            String(c.id), c.scenes.map(String.init).joined(separator: " "), String(c.frames),
            formatNumber(c.start, decimals: 6), formatNumber(c.end, decimals: 6), c.singleton ? "1" : "0", String(c.exemplar.scene),
            formatNumber(c.exemplar.keyframe.seconds, decimals: 6), String(c.exemplar.keyframe.timestamp.pts),
            (c.exemplar.path ?? c.exemplar.keyframe.path).map { ResultsLayout.joined(folder, $0) } ?? "",
        ]
    }

    /// One row per cluster: `cluster,scenes,frames,start,end,singleton,exemplar_scene,exemplar_time,exemplar_pts,exemplar_path`
    /// (`scenes` space-separated).
    public static func csv(_ list: SceneList) -> String {
        var out = csvColumns.joined(separator: ",") + "\n"
        for c in list.clusters.clusters {
            out += csvFields(c).map(SceneListWriter.csvField).joined(separator: ",") + "\n"
        }
        return out
    }
}

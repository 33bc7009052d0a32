import Foundation
import Decoder

/// Serialises a ``SceneList`` as `scenes.json` (schema version 1) and `scenes.csv`.
///
/// Times are seconds from the stream's first frame (`start_time` records where that is in the
/// container's clock, as ffprobe reports it); `pts` values are integers in `time_base` units.
public enum SceneListWriter {
    public static let schemaVersion = 1

    public static func json(_ list: SceneList) -> String {
        var text = ""
        writeJSON(list) { text += $0 }
        return text
    }

    /// `scenes.json` in pieces, to `emit` in order: the frames (most of the file on a long input) a few hundred at
    /// a time, so the whole text is never held in memory. The same bytes as ``json(_:)``.
    static func writeJSON<E: Error>(_ list: SceneList, _ emit: (String) throws(E) -> Void) throws(E) {
        // The frames' place in the text of the rest, marked by a string no input name holds.
        let marker = "\u{1}frames\u{1}"
        let text = root(list, frames: .string(marker)).serialized() + "\n"
        let placeholder = "\"frames\": " + JSONValue.string(marker).serialized()
        let at = text.range(of: placeholder)!
        try emit(String(text[..<at.lowerBound]) + "\"frames\": ")
        if list.frames.isEmpty {
            try emit("[]")
        } else {
            // As JSONValue writes an array of objects in the root object: one per line, indented twice.
            var chunk = "["
            for (i, f) in list.frames.enumerated() {
                chunk += i > 0 ? ",\n    " : "\n    "
                frame(f, list).write(to: &chunk, indent: 2, pretty: false)
                if chunk.utf8.count >= 1 << 16 {
                    try emit(chunk)
                    chunk = ""
                }
            }
            try emit(chunk + "\n  ]")
        }
        try emit(String(text[at.upperBound...]))
    }

    /// A frame's object in `scenes.json`'s `frames`.
    private static func frame(_ f: FrameRecord, _ list: SceneList) -> JSONValue {
        .object([
            ("index", .int(f.index)),
            ("frame", .int(f.ordinal)),
            ("pts", .int(f.timestamp.pts)),
            ("time", .seconds(f.seconds)),
            ("scene", .int(f.scene)),
            ("cluster", list.clusters.clusterOfScene[f.scene].map { .int($0) } ?? .null),
            ("ssim_to_reference", .optional(f.scores?.ssimToReference)),
            ("ssim_to_previous", .optional(f.scores?.ssimToPrevious)),
            ("hash_distance", f.scores.map { .int($0.hashDistance) } ?? .null),
            ("embedding_to_reference", .optional(f.scores?.embeddingToReference)),
            ("embedding_to_previous", .optional(f.scores?.embeddingToPrevious)),
            ("sharpness", .number(f.quality.sharpness, decimals: 3)),
            ("exposure", .number(f.quality.exposure, decimals: 6)),
            ("transition", .bool(f.transition)),
        ])
    }

    /// `scenes.json`'s root object, with `frames` as its frames' value.
    private static func root(_ list: SceneList, frames: JSONValue) -> JSONValue {
        let v = list.video
        let scenes: [JSONValue] = list.scenes.map { s in .object(sceneMembers(s, cluster: .known(list.clusters.clusterOfScene[s.id]))) }
        let o = list.options
        return .object([
            ("version", .int(schemaVersion)),
            ("input", .string(v.input)),
            ("container", .string(v.container)),
            ("codec", .string(v.codec)),
            ("stream", .int(v.streamIndex)),
            ("width", .int(v.width)),
            ("height", .int(v.height)),
            ("time_base", .string("\(v.timeBase.numerator)/\(v.timeBase.denominator)")),
            ("start_time", .seconds(v.startSeconds)),
            ("duration", .optional(v.duration)),
            ("analysed_until", .seconds(list.end)),
            ("sampling_fps", o.reader.sampling == .all ? .string("all") : .number(samplingRate(o.reader.sampling) ?? 0, decimals: 6)),
            ("decode", .string(o.reader.decode.rawValue)),
            ("options", options(o)),
            ("counts", .object([
                ("packets", .int(list.counts.packets)),
                ("sampled_frames", .int(list.counts.sampledFrames)),
                ("corrupt_packets", .int(list.counts.corruptPackets)),
                ("corrupt_frames", .int(list.counts.corruptFrames)),
                ("frames_behind", .int(list.counts.framesBehind)),
            ])),
            ("warnings", .array(list.warnings.map { .string($0) })),
            ("complete", .bool(list.complete)),
            ("frames", frames),
            ("scenes", .array(scenes)),
        ])
    }

    /// `scenes.json`'s `options`: everything that decides its contents and the images beside it (a later run
    /// with the same options may skip the input, see ``completeResults(in:input:options:)``).
    static func options(_ o: DedupeOptions) -> JSONValue {
        .object([
            ("fps", .string(o.reader.sampling.description)),
            ("start", .optional(o.reader.start)),
            ("end", .optional(o.reader.end)),
            ("stream", o.reader.stream.map { .int($0) } ?? .null),
            ("scorer", .string(o.scorer.rawValue)),
            ("min_scene_length", .number(o.minimumSceneLength, decimals: 6)),
            ("ssim_threshold", .number(o.rule.ssimReference, decimals: 6)),
            ("cut_threshold", .number(o.rule.ssimCut, decimals: 6)),
            ("embedding_threshold", .number(o.rule.embeddingReference, decimals: 6)),
            ("embedding_cut_threshold", .number(o.rule.embeddingCut, decimals: 6)),
            ("cut_ratio", .number(o.scorer.usesEmbedding ? o.rule.cutRatio : o.rule.pixelCutRatio, decimals: 6)),
            ("min_cut_change", .number(o.scorer.usesEmbedding ? o.rule.minimumContentChange : o.rule.minimumPixelChange, decimals: 6)),
            ("model", o.scorer.usesEmbedding ? .string("efficientnet-" + o.modelVariant.rawValue) : .null),
            ("network_input", o.scorer.usesEmbedding ? .string(o.networkInput.rawValue) : .null),
            // Batches change the network's sums in their last bits.
            ("batch", o.scorer.usesEmbedding ? .int(o.batchSize) : .null),
            ("analysis_short_side", .int(o.reader.analysisShortSide)),
            ("ssim_short_side", .int(o.ssimShortSide)),
            ("image_format", .string(o.imageFormat.rawValue)),
            ("max_side", o.maxSide.map { .int($0) } ?? .null),
            ("jpeg_quality", .int(o.jpegQuality)),
            ("raw", o.reader.raw.map { .string($0.description) } ?? .null),
            ("image_time", .string(o.reader.imageTime.rawValue)),
            ("image_rate", .string(o.reader.imageRate.description)),
        ])
    }

    /// A scene's cluster as a scene's record gives it: known (nil for a transition scene), or not yet known.
    enum SceneCluster {
        case known(Int?)
        case notYetKnown
    }

    /// The members of a scene's object in `scenes.json` (`cluster` left out while it is not yet known);
    /// `folder` is put before the keyframe's path (nil: relative to the output folder, as in the files).
    static func sceneMembers(_ s: Scene, cluster: SceneCluster, folder: String? = nil) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("id", .int(s.id))]
        if case .known(let c) = cluster { members.append(("cluster", c.map { .int($0) } ?? .null)) }
        members += [
            ("start", .seconds(s.start)),
            ("end", .seconds(s.end)),
            ("frames", .int(s.frameCount)),
            ("first_frame", .int(s.firstFrame)),
            ("transition", .bool(s.transition)),
            ("keyframe", .object([
                ("index", .int(s.keyframe.frameIndex)),
                ("pts", .int(s.keyframe.timestamp.pts)),
                ("time", .seconds(s.keyframe.seconds)),
                ("path", s.keyframe.path.map { .string(joined(folder, $0)) } ?? .null),
                ("centrality", .number(s.keyframe.centrality, decimals: 6)),
                ("sharpness", .number(s.keyframe.sharpness, decimals: 3)),
                ("exposure", .number(s.keyframe.exposure, decimals: 6)),
            ] + (s.keyframe.source.map { [("source", .string($0))] } ?? []))),
        ]
        return members
    }

    /// `folder/path`, or `path` alone without a folder.
    static func joined(_ folder: String?, _ path: String) -> String {
        guard let folder else { return path }
        return folder.hasSuffix("/") ? folder + path : folder + "/" + path
    }

    /// The columns of `scenes.csv`.
    static let csvColumns = ["scene", "cluster", "start", "end", "frames", "transition", "keyframe_time", "keyframe_pts", "keyframe_path"]

    /// A scene's `scenes.csv` fields, unquoted (see ``csvColumns``).
    static func csvFields(_ s: Scene, cluster: Int?, folder: String? = nil) -> [String] {
        [
            String(s.id), cluster.map(String.init) ?? "", formatNumber(s.start, decimals: 6), formatNumber(s.end, decimals: 6), String(s.frameCount), s.transition ? "1" : "0",
            formatNumber(s.keyframe.seconds, decimals: 6), String(s.keyframe.timestamp.pts), s.keyframe.path.map { joined(folder, $0) } ?? "",
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
        "index,frame,pts,time,scene,decision,transition,ssim_to_reference,ssim_to_previous,embedding_to_reference,embedding_to_previous,hash_distance,sharpness,exposure,mean_luma,change,change_level,next_change,cut_rule"

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
        ].joined(separator: ",")
    }

    static func samplingRate(_ rate: SamplingRate) -> Double? {
        if case .perSecond(let r) = rate { return r.doubleValue }
        return nil
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Serialises the clusters as `clusters.json` (schema version 1) and `clusters.csv`.
public enum ClusterListWriter {
    public static func json(_ list: SceneList) -> String {
        let clusters: [JSONValue] = list.clusters.clusters.map { .object(clusterMembers($0)) }
        let root: JSONValue = .object([
            ("version", .int(1)),
            ("input", .string(list.video.input)),
            ("options", options(list.options)),
            ("spatial_check_vetoes", .int(list.clusters.vetoedPairs)),
            ("principal_components_used", .int(list.clusters.principalComponentsUsed)),
            ("complete", .bool(list.complete)),
            ("clusters", .array(clusters)),
        ])
        return root.serialized() + "\n"
    }

    /// `clusters.json`'s `options`: everything that decides the clusters and the images of `unique/` and `clusters/`.
    static func options(_ options: DedupeOptions) -> JSONValue {
        let o = options.clustering
        return .object([
            ("cluster_threshold", .number(o.threshold, decimals: 6)),
            ("linkage", .string(o.linkage.rawValue)),
            ("alpha", .number(o.alpha, decimals: 6)),
            ("time_scale", .number(o.timeScale, decimals: 6)),
            ("content", .string(options.scorer.usesEmbedding ? "embedding" : "ssim")),
            ("spatial_check", .bool(o.spatialCheck)),
            ("grid_threshold", .number(o.gridThreshold, decimals: 6)),
            ("mirrored_match", .bool(o.mirroredMatch)),
            ("shifted_match", .bool(o.shiftedMatch)),
            ("min_cluster_size", .int(o.minimumSize)),
            ("pca", .int(o.principalComponents)),
            ("keep", .string(options.keep.rawValue)),
            ("diversity", options.keep == .diverse ? .number(options.diversity, decimals: 6) : .null),
            ("dendrogram", .bool(options.dendrogram)),
        ])
    }

    /// The members of a cluster's object in `clusters.json`; `folder` is put before image paths (nil: relative).
    static func clusterMembers(_ c: Cluster, folder: String? = nil) -> [(String, JSONValue)] {
        [
            ("id", .int(c.id)),
            ("scenes", .array(c.scenes.map { .int($0) })),
            ("frames", .int(c.frames)),
            ("span", .array([.seconds(c.start), .seconds(c.end)])),
            ("singleton", .bool(c.singleton)),
            ("exemplar", .object([
                ("scene", .int(c.exemplar.scene)),
                ("index", .int(c.exemplar.keyframe.frameIndex)),
                ("pts", .int(c.exemplar.keyframe.timestamp.pts)),
                ("time", .seconds(c.exemplar.keyframe.seconds)),
                ("path", c.exemplar.path.map { .string(SceneListWriter.joined(folder, $0)) } ?? .null),
                ("keyframe_path", c.exemplar.keyframe.path.map { .string(SceneListWriter.joined(folder, $0)) } ?? .null),
                ("centrality", .number(c.exemplar.centrality, decimals: 6)),
                ("sharpness", .number(c.exemplar.keyframe.sharpness, decimals: 3)),
                ("exposure", .number(c.exemplar.keyframe.exposure, decimals: 6)),
            ] + (c.exemplar.keyframe.source.map { [("source", .string($0))] } ?? []))),
        ]
    }

    /// The columns of `clusters.csv`.
    static let csvColumns = ["cluster", "scenes", "frames", "start", "end", "singleton", "exemplar_scene", "exemplar_time", "exemplar_pts", "exemplar_path"]

    /// A cluster's `clusters.csv` fields, unquoted (see ``csvColumns``).
    static func csvFields(_ c: Cluster, folder: String? = nil) -> [String] {
        [
            String(c.id), c.scenes.map(String.init).joined(separator: " "), String(c.frames),
            formatNumber(c.start, decimals: 6), formatNumber(c.end, decimals: 6), c.singleton ? "1" : "0", String(c.exemplar.scene),
            formatNumber(c.exemplar.keyframe.seconds, decimals: 6), String(c.exemplar.keyframe.timestamp.pts),
            (c.exemplar.path ?? c.exemplar.keyframe.path).map { SceneListWriter.joined(folder, $0) } ?? "",
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

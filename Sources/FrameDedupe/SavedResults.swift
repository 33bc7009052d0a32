import Decoder
import Foundation

/// The results an earlier run wrote into `folder` (`scenes.json`, `clusters.json`, `unique/`), read back as a
/// ``SceneList`` for `--print`, so that an input skipped by resume prints what analysing it again would.
///
/// What `--print` writes comes back whole: every scene (span, frames, keyframe with its scores, path and
/// source), every cluster (scenes, span, exemplar) and the images of `unique/` (their frames found in
/// `scenes.json` by time). Not restored: per-frame scores beyond the frame records' times and scenes, the
/// scenes' embeddings and feature grids, the merge tree.
///
/// - Parameters:
///   - video: the input as opened again (its clocks: `--print`'s times are on ffmpeg's timeline, which needs
///     the file's start time and frame rate, not all of which `scenes.json` records).
/// - Returns: nil when the files are missing, of another schema, or unreadable.
public func savedSceneList(in folder: URL, video: VideoInfo, options: DedupeOptions) -> SceneList? {
    func object(_ name: String) -> [String: Any]? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
    guard let scenesFile = object("scenes.json"), let clustersFile = object("clusters.json"),
          scenesFile["version"] as? Int == SceneListWriter.schemaVersion,
          let sceneObjects = scenesFile["scenes"] as? [[String: Any]], let clusterObjects = clustersFile["clusters"] as? [[String: Any]],
          let frameObjects = scenesFile["frames"] as? [[String: Any]] else { return nil }
    let timeBase = (scenesFile["time_base"] as? String).flatMap(Rational.init(parsing:)) ?? video.timeBase
    func double(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }
    func int(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }

    func keyframe(_ o: [String: Any]) -> Keyframe? {
        guard let index = int(o["index"]), let pts = (o["pts"] as? NSNumber)?.int64Value, let time = double(o["time"]) else { return nil }
        return Keyframe(frameIndex: index, timestamp: Timestamp(pts: pts, timeBase: timeBase), seconds: time, path: o["path"] as? String,
                        centrality: double(o["centrality"]) ?? 1, sharpness: double(o["sharpness"]) ?? 0, exposure: double(o["exposure"]) ?? 1,
                        source: o["source"] as? String)
    }
    var scenes: [Scene] = []
    var clusterOfScene: [Int?] = []
    for o in sceneObjects {
        guard let id = int(o["id"]), id == scenes.count, let start = double(o["start"]), let end = double(o["end"]),
              let frames = int(o["frames"]), let first = int(o["first_frame"]), let k = (o["keyframe"] as? [String: Any]).flatMap(keyframe) else { return nil }
        scenes.append(Scene(id: id, start: start, end: end, firstFrame: first, frameCount: frames, keyframe: k, transition: o["transition"] as? Bool ?? false))
        clusterOfScene.append(int(o["cluster"]))
    }
    var clusters: [Cluster] = []
    for o in clusterObjects {
        guard let id = int(o["id"]), let members = (o["scenes"] as? [NSNumber])?.map(\.intValue), let frames = int(o["frames"]),
              let span = (o["span"] as? [NSNumber])?.map(\.doubleValue), span.count == 2,
              let e = o["exemplar"] as? [String: Any], let scene = int(e["scene"]), scenes.indices.contains(scene) else { return nil }
        var k = scenes[scene].keyframe
        k.path = e["keyframe_path"] as? String
        let exemplar = Exemplar(scene: scene, keyframe: k, centrality: double(e["centrality"]) ?? 1, path: e["path"] as? String)
        clusters.append(Cluster(id: id, scenes: members, frames: frames, start: span[0], end: span[1], exemplar: exemplar,
                                singleton: o["singleton"] as? Bool ?? false))
    }
    // unique/: each image's frame, found by its time among the frame records (names carry the time in ms).
    var unique: [UniqueImage] = []
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("unique").path)) ?? []).sorted()
    for name in names where !name.hasPrefix(".") {
        let parts = name.split(separator: "_", maxSplits: 1)
        let pieces = parts.count == 2 ? parts[1].dropFirst().split(separator: ".") : []
        guard parts.count == 2, let id = Int(parts[0].split(separator: "-").last ?? ""), parts[1].hasPrefix("t"), pieces.count >= 2,
              let t = Double(pieces[0] + "." + pieces[1]) else { continue }
        let isCluster = name.hasPrefix("cluster-")
        guard let frame = frameObjects.min(by: { abs((double($0["time"]) ?? .infinity) - t) < abs((double($1["time"]) ?? .infinity) - t) }),
              let index = int(frame["index"]), let pts = (frame["pts"] as? NSNumber)?.int64Value, let time = double(frame["time"]),
              abs(time - t) < 0.0011, let sceneID = int(frame["scene"]), scenes.indices.contains(sceneID) else { continue }
        let cluster = isCluster ? id : clusterOfScene[sceneID]
        let exemplar = isCluster ? clusters.first { $0.id == id }.map { $0.exemplar.keyframe.frameIndex == index } ?? false : false
        var k = scenes[sceneID].keyframe
        if k.frameIndex != index {
            k = Keyframe(frameIndex: index, timestamp: Timestamp(pts: pts, timeBase: timeBase), seconds: time, path: nil)
        }
        unique.append(UniqueImage(name: name, scene: sceneID, cluster: cluster, keyframe: k, isExemplar: exemplar, path: "unique/\(name)"))
    }
    let sceneClusters = SceneClusters(clusterOfScene: clusterOfScene, clusters: clusters, tree: nil, leaves: [], vetoedPairs: int(clustersFile["spatial_check_vetoes"]) ?? 0)
    let counts = scenesFile["counts"] as? [String: Any] ?? [:]
    var decodeCounts = DecodeCounts()
    decodeCounts.packets = int(counts["packets"]) ?? 0
    decodeCounts.sampledFrames = int(counts["sampled_frames"]) ?? 0
    decodeCounts.corruptPackets = int(counts["corrupt_packets"]) ?? 0
    decodeCounts.corruptFrames = int(counts["corrupt_frames"]) ?? 0
    return SceneList(video: video, options: options, frames: [], scenes: scenes, clusters: sceneClusters, counts: decodeCounts,
                     warnings: scenesFile["warnings"] as? [String] ?? [], end: double(scenesFile["analysed_until"]) ?? 0,
                     uniqueImages: unique, complete: scenesFile["complete"] as? Bool ?? false)
}

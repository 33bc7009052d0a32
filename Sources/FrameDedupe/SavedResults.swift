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
    guard let scenesFile = try? ScenesFile(contentsOf: folder.appendingPathComponent(ResultsLayout.scenesFile)),
          let clustersFile = try? ClustersFile(contentsOf: folder.appendingPathComponent(ResultsLayout.clustersFile)),
          scenesFile.version == ScenesFile.currentVersion else { return nil }
    let timeBase = scenesFile.timeBaseValue ?? video.timeBase
    var scenes: [Scene] = []
    for entry in scenesFile.scenes {
        guard entry.id == scenes.count else { return nil }
        scenes.append(Scene(entry, timeBase: timeBase))
    }
    let clusterOfScene = scenesFile.scenes.map(\.cluster)
    var clusters: [Cluster] = []
    for entry in clustersFile.clusters {
        let e = entry.exemplar
        guard entry.span.count == 2, scenes.indices.contains(e.scene) else { return nil }
        var k = scenes[e.scene].keyframe
        k.path = e.keyframePath
        clusters.append(Cluster(id: entry.id, scenes: entry.scenes, frames: entry.frames, start: entry.span[0], end: entry.span[1],
                                exemplar: Exemplar(scene: e.scene, keyframe: k, centrality: e.centrality, path: e.path), singleton: entry.singleton))
    }
    let unique = savedUniqueImages(in: folder, frames: scenesFile.frames, scenes: scenes, clusterOfScene: clusterOfScene,
                                   clusters: clusters, timeBase: timeBase, imageFiles: video.imageFiles, keep: options.keep)
    var sceneClusters = SceneClusters(clusterOfScene: clusterOfScene, clusters: clusters, tree: nil, leaves: [], vetoedPairs: clustersFile.spatialCheckVetoes)
    sceneClusters.joinedPairs = clustersFile.copyJoins
    var counts = DecodeCounts()
    counts.packets = scenesFile.counts.packets
    counts.sampledFrames = scenesFile.counts.sampledFrames
    counts.corruptPackets = scenesFile.counts.corruptPackets
    counts.corruptFrames = scenesFile.counts.corruptFrames
    return SceneList(video: video, options: options, frames: [], scenes: scenes, clusters: sceneClusters, counts: counts,
                     warnings: scenesFile.warnings, end: scenesFile.analysedUntil, uniqueImages: unique, complete: scenesFile.complete,
                     inputFile: scenesFile.inputFile)
}

/// The images of `folder/unique/`, each with its frame, found by its time among `frames` (names carry the time in ms),
/// or for a folder of pictures (`imageFiles`, in the sequence's order) by its own name: the frame of that file.
private func savedUniqueImages(
    in folder: URL, frames: [FrameEntry], scenes: [Scene], clusterOfScene: [Int?], clusters: [Cluster], timeBase: Rational,
    imageFiles: [String]?, keep: KeepPolicy
) -> [UniqueImage] {
    var unique: [UniqueImage] = []
    let uniqueFolder = folder.appendingPathComponent(ResultsLayout.uniqueFolder)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: uniqueFolder.path)) ?? []).sorted()
    for name in names where !name.hasPrefix(".") {
        // A picture of a folder under its own name: the sampled frame of that file.
        if ImageName(parsing: name) == nil, let files = imageFiles,
           let frame = frames.first(where: { files.indices.contains($0.frame) && (FileSystemName.displayed(files[$0.frame]) as NSString).lastPathComponent == name }),
           scenes.indices.contains(frame.scene) {
            var k = scenes[frame.scene].keyframe
            if k.frameIndex != frame.index {
                k = Keyframe(frameIndex: frame.index, timestamp: Timestamp(pts: frame.pts, timeBase: timeBase), seconds: frame.time, path: nil)
                k.source = FileSystemName.displayed(files[frame.frame])
            }
            let cluster = clusterOfScene[frame.scene]
            // As chosen: with --keep scene every image stands for its scene, none for a cluster.
            let exemplar = keep != .scene && clusters.contains { $0.id == cluster && $0.exemplar.keyframe.frameIndex == frame.index }
            unique.append(UniqueImage(name: name, scene: frame.scene, cluster: cluster, keyframe: k, isExemplar: exemplar,
                                      path: ResultsLayout.uniqueFolder + "/" + name))
            continue
        }
        guard let image = ImageName(parsing: name), let frame = frames.min(by: { abs($0.time - image.seconds) < abs($1.time - image.seconds) }),
              abs(frame.time - image.seconds) < 0.0011, scenes.indices.contains(frame.scene) else { continue }
        let isCluster = image.kind == .cluster
        let exemplar = isCluster ? clusters.first { $0.id == image.id }.map { $0.exemplar.keyframe.frameIndex == frame.index } ?? false : false
        var k = scenes[frame.scene].keyframe
        if k.frameIndex != frame.index {
            k = Keyframe(frameIndex: frame.index, timestamp: Timestamp(pts: frame.pts, timeBase: timeBase), seconds: frame.time, path: nil)
        }
        unique.append(UniqueImage(name: name, scene: frame.scene, cluster: isCluster ? image.id : clusterOfScene[frame.scene], keyframe: k,
                                  isExemplar: exemplar, path: ResultsLayout.uniqueFolder + "/" + name))
    }
    return unique
}

import Decoder
import Foundation
import Pixels
import Similarity

/// `scene-0007_t000012.500.jpg`: the name of scene `scene`'s keyframe (or of one of its diverse frames).
func keyframeName(scene: Int, seconds: Double, format: StillImageFormat) -> String {
    ImageName(kind: .scene, id: scene, seconds: seconds, fileExtension: format.fileExtension).description
}

/// The images `unique/` gets, ordered by name (as `ls unique/` lists them): each cluster's exemplar, or every
/// non-transition scene's keyframe with `--keep scene`, or with `--keep diverse` per cluster the exemplar and
/// every further frame farther than `diversity` from all kept in it and, with `geometric` (``ClusterOptions/geometricCheck``),
/// no geometric copy of any of them (the earlier frame as A; mirror images with ``ClusterOptions/mirroredMatch``).
/// Chosen whether or not images are written. The scenes' keyframe features are read from `pictures` when given (a run's
/// scenes carry none: ``ScenePictures``), else taken from the scenes.
func chooseUniqueImages(
    _ clusters: SceneClusters, scenes: [Scene], keep: KeepPolicy, diversity: Double, diverse: [DiverseFrame], fileExtension ext: String,
    geometric: ClusterOptions = ClusterOptions(), pictures: ScenePictures? = nil
) -> [UniqueImage] {
    var originals = Set<String>()
    func name(_ kind: ImageName.Kind, _ id: Int, _ keyframe: Keyframe) -> String {
        // A picture of a folder or a pattern goes under its own name, once (a file of the input, readable as spelled).
        if let source = keyframe.source, FileManager.default.isReadableFile(atPath: source) {
            let own = (source as NSString).lastPathComponent
            if !own.isEmpty, !own.hasPrefix("."), originals.insert(own).inserted { return own }
        }
        return ImageName(kind: kind, id: id, seconds: keyframe.seconds, fileExtension: ext).description
    }
    var images: [UniqueImage] = []
    switch keep {
    case .cluster:
        for c in clusters.clusters {
            images.append(UniqueImage(name: name(.cluster, c.id, c.exemplar.keyframe), scene: c.exemplar.scene, cluster: c.id,
                                      keyframe: c.exemplar.keyframe, isExemplar: true))
        }
    case .scene:
        for scene in scenes where !scene.transition {
            images.append(UniqueImage(name: name(.scene, scene.id, scene.keyframe), scene: scene.id,
                                      cluster: clusters.clusterOfScene[scene.id], keyframe: scene.keyframe, isExemplar: false))
        }
    case .diverse:
        let ssim = StructuralSimilarity()
        let verifier = GeometricVerifier()
        typealias Frame = (scene: Int, keyframe: Keyframe, vector: [Float]?, luma: LumaImage?, features: LocalFeatures?)
        /// Whether one of `a` and `b` is a geometric copy of the other (the earlier as A).
        func copies(_ a: Frame, _ b: Frame) -> Bool {
            guard geometric.geometricCheck, let fa = a.features, let fb = b.features else { return false }
            let aFirst = a.keyframe.frameIndex <= b.keyframe.frameIndex
            return verifier.verify(aFirst ? fa : fb, aFirst ? fb : fa, mirror: geometric.mirroredMatch).isCopy
        }
        /// Scene `id`'s keyframe features, when a copy could be found with them (read one cluster at a time).
        func features(_ id: Int) -> LocalFeatures? {
            guard geometric.geometricCheck else { return nil }
            return pictures.map { $0.picturesIfReadable(of: id)?.keyframe } ?? scenes[id].features
        }
        for cluster in clusters.clusters {
            let exemplarScene = scenes[cluster.exemplar.scene]
            // The exemplar first, then every scene keyframe and diverse frame of the cluster in time order.
            var kept: [Frame] = [(exemplarScene.id, exemplarScene.keyframe, exemplarScene.keyframeVector, exemplarScene.keyframeLuma,
                                  features(exemplarScene.id))]
            images.append(UniqueImage(name: name(.cluster, cluster.id, cluster.exemplar.keyframe), scene: cluster.exemplar.scene,
                                      cluster: cluster.id, keyframe: cluster.exemplar.keyframe, isExemplar: true))
            var pool: [Frame] = []
            for id in cluster.scenes where id != cluster.exemplar.scene {
                pool.append((id, scenes[id].keyframe, scenes[id].keyframeVector, scenes[id].keyframeLuma, features(id)))
            }
            for d in diverse where cluster.scenes.contains(d.scene) { pool.append((d.scene, d.keyframe, d.vector, d.luma, d.features)) }
            pool.sort { $0.keyframe.frameIndex < $1.keyframe.frameIndex }
            for p in pool where kept.allSatisfy({ contentDistance((p.vector, p.luma), ($0.vector, $0.luma), ssim: ssim) > diversity }) {
                guard !kept.contains(where: { copies($0, p) }) else { continue }
                kept.append(p)
                images.append(UniqueImage(name: name(.cluster, cluster.id, p.keyframe), scene: p.scene, cluster: cluster.id,
                                          keyframe: p.keyframe, isExemplar: false))
            }
        }
    }
    return images.sorted { $0.name < $1.name }
}

/// `unique/`: hard links to (or copies of) the chosen images' keyframes; sets their paths and the exemplars' paths.
/// A picture of a folder or a numbered pattern named after its own file (``chooseUniqueImages``) is a copy of that
/// file, byte for byte (its EXIF kept), not the re-encoded keyframe: a copy, not a link, so that the results never
/// share a file with the input they replace on the next run.
func writeUniqueImages(_ images: inout [UniqueImage], clusters: inout SceneClusters, folder: OutputFolder) throws(OutputError) {
    let unique = try folder.stagedFolder(ResultsLayout.uniqueFolder)
    for i in images.indices {
        guard let path = images[i].keyframe.path else { continue }
        let name = images[i].name
        let target = unique.appendingPathComponent(name)
        if let original = images[i].keyframe.source, (original as NSString).lastPathComponent == name {
            do { try FileManager.default.copyItem(at: URL(fileURLWithPath: original), to: target) } catch {
                throw OutputError(path: folder.url.appendingPathComponent(ResultsLayout.uniqueFolder + "/" + name).path, reason: OutputFolder.reason(error))
            }
            images[i].path = ResultsLayout.uniqueFolder + "/" + name
            if images[i].isExemplar, let c = images[i].cluster, let k = clusters.clusters.firstIndex(where: { $0.id == c }) {
                clusters.clusters[k].exemplar.path = images[i].path
            }
            continue
        }
        let source = folder.staging.appendingPathComponent(path)
        if link(source.path, target.path) != 0 {
            do { try FileManager.default.copyItem(at: source, to: target) } catch {
                throw OutputError(path: folder.url.appendingPathComponent(ResultsLayout.uniqueFolder + "/" + name).path, reason: OutputFolder.reason(error))
            }
        }
        images[i].path = ResultsLayout.uniqueFolder + "/" + name
        if images[i].isExemplar, let c = images[i].cluster, let k = clusters.clusters.firstIndex(where: { $0.id == c }) {
            clusters.clusters[k].exemplar.path = images[i].path
        }
    }
}

/// `clusters/cluster_with_N/cluster_K/`: relative symlinks to the keyframes of cluster K's scenes,
/// grouped by cluster size N (the layout imagecluster users know); singletons (``ClusterOptions/minimumSize``) left out.
func writeClusterFolders(_ clusters: SceneClusters, scenes: [Scene], folder: OutputFolder) throws(OutputError) {
    _ = try folder.stagedFolder(ResultsLayout.clustersFolder)  // there even when every cluster is a singleton
    let staging = folder.staging
    for cluster in clusters.clusters where !cluster.singleton {
        let dir = staging.appendingPathComponent(ResultsLayout.clusterFolder(cluster: cluster.id, scenes: cluster.scenes.count), isDirectory: true)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw OutputError(path: folder.url.appendingPathComponent(ResultsLayout.clustersFolder).path, reason: OutputFolder.reason(error))
        }
        for id in cluster.scenes {
            guard let path = scenes[id].keyframe.path else { continue }
            let name = (path as NSString).lastPathComponent
            if symlink("../../../" + path, dir.appendingPathComponent(name).path) != 0 {
                throw OutputError(path: dir.appendingPathComponent(name).path, reason: String(cString: strerror(errno)))
            }
        }
    }
}

/// The files of a result folder besides its images.
enum ResultFiles {
    /// The order in which a finished run moves its results into place: image folders before the lists that name
    /// them, JSON last, so a `scenes.json` that exists always describes complete image folders beside it.
    static let commitOrder = [ResultsLayout.keyframesFolder, ResultsLayout.uniqueFolder, ResultsLayout.clustersFolder, "dendrogram.svg",
                              "report.html", "scenes.csv", "clusters.csv", "dendrogram.json", ResultsLayout.scenesFile, ResultsLayout.clustersFile]
}

/// Writes `scenes.json`, `scenes.csv`, `clusters.json`, `clusters.csv`, the merge tree (`--dendrogram`) and
/// `report.html` into the folder's staging area; `thumbnail` gives each scene's report thumbnail, `mapComponents` the
/// report map's principal components when they were computed beforehand (``ReportWriter/mapComponents(_:)``).
func writeResultFiles(_ list: SceneList, into folder: OutputFolder, thumbnail: (Int) -> [UInt8]?,
                      mapComponents: (() -> PrincipalComponents?)? = nil) throws(OutputError) {
    let options = list.options
    try folder.write(to: ResultsLayout.scenesFile) { (emit: (String) throws(OutputError) -> Void) throws(OutputError) in try SceneListWriter.writeJSON(list, emit) }
    try folder.write(SceneListWriter.csv(list), to: "scenes.csv")
    try folder.write(ClusterListWriter.json(list), to: ResultsLayout.clustersFile)
    try folder.write(ClusterListWriter.csv(list), to: "clusters.csv")
    let clusters = list.clusters, scenes = list.scenes
    if options.dendrogram, let tree = clusters.tree {
        let labels = clusters.leaves.map { id in "s\(id) " + formatNumber(scenes[id].start, decimals: 1) + "s" }
        let clusterOfLeaf = clusters.leaves.map { clusters.clusterOfScene[$0] ?? 0 }
        try folder.write(Dendrogram.json(tree: tree, leafLabels: labels, leafSceneIDs: clusters.leaves,
                                         threshold: options.clustering.threshold, clusterOfLeaf: clusterOfLeaf), to: "dendrogram.json")
        try folder.write(Dendrogram.svg(tree: tree, leafLabels: labels, threshold: options.clustering.threshold,
                                        clusterOfLeaf: clusterOfLeaf,
                                        title: "\(list.video.input): \(clusters.leaves.count) scenes, \(clusters.clusters.count) clusters, \(options.clustering.linkage.rawValue) linkage"),
                         to: "dendrogram.svg")
    }
    if options.report {
        try folder.write(to: "report.html") { (emit: (String) throws(OutputError) -> Void) throws(OutputError) in
            try ReportWriter.write(list, thumbnail: thumbnail, mapComponents: mapComponents, emit)
        }
    }
}

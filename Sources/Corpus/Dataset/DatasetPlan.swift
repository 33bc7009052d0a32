import Decoder
import Foundation
import FrameDedupe
import Similarity

/// What earlier runs left in a dataset folder that the next one builds on: their manifest lines (kept verbatim), the
/// videos they considered and their exclusion counts.
public struct EarlierDataset: Sendable {
    /// `manifest.jsonl`'s lines, as written.
    public var lines: [String]
    public var images: [DatasetImage]
    /// SHA-256 of every video earlier runs took candidates from (their scenes are not candidates again).
    public var videos: Set<String>
    /// Earlier runs' exclusions by reason (`dataset.json`'s `excluded`).
    public var excluded: [String: Int]
    /// The split names the dataset was made with (a rerun must use the same).
    public var splitNames: [String]?

    public static let empty = EarlierDataset(lines: [], images: [], videos: [], excluded: [:], splitNames: nil)

    public init(lines: [String], images: [DatasetImage], videos: Set<String>, excluded: [String: Int], splitNames: [String]?) {
        self.lines = lines
        self.images = images
        self.videos = videos
        self.excluded = excluded
        self.splitNames = splitNames
    }

    /// Reads `manifest.jsonl` and `dataset.json` in `folder`; ``empty`` when there is no manifest.
    public init(folder: URL) throws(DatasetError) {
        let manifest = folder.appendingPathComponent(DatasetLayout.manifest)
        guard FileManager.default.fileExists(atPath: manifest.path) else { self = .empty; return }
        guard let text = try? String(contentsOf: manifest, encoding: .utf8) else { throw DatasetError(path: manifest.path, reason: "cannot be read") }
        lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        var images: [DatasetImage] = []
        for (n, line) in lines.enumerated() {
            do { images.append(try DatasetImage(jsonLine: line)) } catch {
                throw DatasetError(path: manifest.path, reason: "line \(n + 1) is not a manifest line of this framededupe")
            }
        }
        self.images = images
        let summary = folder.appendingPathComponent(DatasetLayout.summary)
        let object = (try? Data(contentsOf: summary)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        videos = Set((object["videos_considered"] as? [String]) ?? []).union(images.map(\.sha256))
        excluded = (object["excluded"] as? [String: Int]) ?? [:]
        splitNames = (object["splits"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
    }
}

/// Why a dataset could not be made.
public struct DatasetError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The names in a dataset folder.
public enum DatasetLayout {
    public static let manifest = "manifest.jsonl"
    public static let table = "manifest.csv"
    public static let summary = "dataset.json"
    /// The corpus index the dataset is built on, hidden in the folder (framededupe's own name prefix), with its
    /// keyframes in `<index>.keyframes/`.
    public static let index = ".framededupe-corpus.db"
    /// `<split>-000000.tar`, … (`--format webdataset`).
    public static func shard(_ split: String, _ number: Int) -> String { split + "-" + String(format: "%06d", number) + ".tar" }
}

/// A new image of the plan: the manifest record and where its picture comes from.
public struct PlannedImage: Sendable {
    public var record: DatasetImage
    /// The scene's keyframe image (in the index's keyframe folder).
    public var keyframe: URL
    /// True when the image is encoded anew (another format or size); false: it is the keyframe's file (a hard link,
    /// or a copy).
    public var reencoded: Bool
}

/// What a run adds to a dataset: computed from the index (after `dedupe`) and the earlier manifest, nothing written.
public struct DatasetPlan: Sendable {
    public var earlier: EarlierDataset
    public var added: [PlannedImage]
    /// This run's exclusions by reason (transition scenes of the new videos included).
    public var excluded: [ExclusionReason: Int]
    /// Videos whose scenes were candidates this run.
    public var newVideos: [String]
    /// Corpus clusters (and `--group-by` groups) with images that earlier runs put in different splits: a new video
    /// joined clusters that were apart. Their earlier images stay where they are; new ones go where most of them are.
    public var splitConflicts: Int
    /// Corpus clusters in the index.
    public var corpusClusters: Int

    public var all: [DatasetImage] { earlier.images + added.map(\.record) }
}

/// Plans a training set over a corpus index: candidates, filters, selection, splits.
public struct DatasetPlanner {
    public let index: CorpusIndex
    public let rules: SelectionRules
    public let splits: SplitFractions
    public let seed: UInt64
    public let grouping: CorpusGrouping
    /// The format of the images as exported.
    public let format: StillImageFormat
    /// The longest side of exported images (nil: the keyframe's size).
    public let maxSide: Int?
    /// Clusters with two scenes closer than this (cosine distance of scene embeddings) go to one split too: a wider
    /// net than the corpus clusters' links against leaks of the same shot at other moments and of look-alikes
    /// that geometric verification keeps apart; 0 turns it off (``defaultSplitRadius``).
    public var splitRadius: Double = DatasetPlanner.defaultSplitRadius

    /// 0.3, chosen on the dev set's tune clips: at 0.3 four of the six pairs of clusters that hold one labelled
    /// shot (other moments of it) join, as at any radius up to 0.49; at 0.25 two. Units stay small (26 of 46
    /// clusters, the largest 6).
    public static let defaultSplitRadius = 0.3

    public init(index: CorpusIndex, rules: SelectionRules, splits: SplitFractions, seed: UInt64, grouping: CorpusGrouping,
                format: StillImageFormat, maxSide: Int?) {
        self.index = index
        self.rules = rules
        self.splits = splits
        self.seed = seed
        self.grouping = grouping
        self.format = format
        self.maxSide = maxSide
    }

    /// - Parameters:
    ///   - videos: SHA-256 of the videos of this run (those earlier runs considered are skipped).
    ///   - earlier: what earlier runs wrote.
    public func plan(videos: [String], earlier: EarlierDataset) throws(IndexError) -> DatasetPlan {
        let clusters = try index.clusters()
        let fresh = Set(videos).subtracting(earlier.videos)
        var excluded: [ExclusionReason: Int] = [:]
        // Per new video: its scenes.json (frame numbers, transition scenes).
        var sceneFiles: [String: ScenesFile] = [:]
        for v in try index.videos() where fresh.contains(v.sha256) {
            let file = try? ScenesFile(contentsOf: index.keyframeRoot.appendingPathComponent(v.folder).appendingPathComponent("scenes.json"))
            sceneFiles[v.sha256] = file
            excluded[.transition, default: 0] += file?.scenes.filter(\.transition).count ?? 0
        }
        // Where each scene is now.
        var clusterOfScene: [String: Int64] = [:]
        for c in clusters { for s in c.scenes { if let id = s.cluster { clusterOfScene[s.video.sha256 + ":\(s.scene.number)"] = id } } }
        var earlierEmbeddings: [Int64: [[Float]]] = [:]
        var embeddingOfScene: [String: [Float]] = [:]
        for c in clusters { for s in c.scenes { embeddingOfScene[s.video.sha256 + ":\(s.scene.number)"] = s.scene.embedding } }
        for image in earlier.images {
            let key = image.sha256 + ":\(image.scene)"
            if let c = clusterOfScene[key], let e = embeddingOfScene[key] { earlierEmbeddings[c, default: []].append(e) }
        }
        // Candidates: the scenes of the new videos.
        var candidates: [DatasetCandidate] = []
        var rows: [CorpusIndex.SceneRow] = []
        var measured: [PictureMeasures?] = []
        for c in clusters {
            for (i, s) in c.scenes.enumerated() where fresh.contains(s.video.sha256) {
                let measures = s.scene.keyframePath.flatMap { KeyframeImage.measure(index.keyframeRoot.appendingPathComponent($0)) }
                candidates.append(DatasetCandidate(cluster: s.cluster!, video: s.video.sha256, videoSeconds: s.video.duration,
                                                   centrality: c.centrality[i], isExemplar: i == c.exemplar, embedding: s.scene.embedding,
                                                   measures: measures))
                rows.append(s)
                measured.append(measures)
            }
        }
        let selection = DatasetSelector(rules: rules).select(candidates, earlier: earlierEmbeddings)
        for (reason, n) in selection.excluded { excluded[reason, default: 0] += n }
        // Units: clusters, joined by groups with --group-by; earlier images pull their unit into their split.
        var unitOfCluster: [Int64: Int] = [:]
        var sets = DisjointSets(count: clusters.count)
        var firstOfGroup: [String: Int] = [:]
        for (n, c) in clusters.enumerated() {
            unitOfCluster[c.scenes[0].cluster!] = n
            guard grouping != .none else { continue }
            for s in c.scenes {
                let key = grouping.key(for: s.video)
                if let f = firstOfGroup[key] { sets.union(f, n) } else { firstOfGroup[key] = n }
            }
        }
        if splitRadius > 0 { Self.joinNearClusters(clusters, radius: splitRadius, sets: &sets) }
        var units: [Int: SplitUnit] = [:]
        func unit(_ root: Int) -> SplitUnit {
            units[root] ?? SplitUnit(key: clusters[root].scenes[0].video.sha256 + ":\(clusters[root].scenes[0].scene.number)", newImages: 0)
        }
        for image in earlier.images {
            guard let c = clusterOfScene[image.sha256 + ":\(image.scene)"], let n = unitOfCluster[c] else { continue }
            let root = sets.find(n)
            var u = unit(root)
            u.earlierImages[image.split, default: 0] += 1
            units[root] = u
        }
        for chosen in selection.chosen {
            let root = sets.find(unitOfCluster[candidates[chosen.candidate].cluster]!)
            var u = unit(root)
            u.newImages += 1
            units[root] = u
        }
        let roots = units.keys.sorted()
        let assigned = SplitAssignment(splits: splits, seed: seed).assign(roots.map { units[$0]! })
        var splitOfRoot: [Int: String] = [:]
        for (r, s) in zip(roots, assigned) { splitOfRoot[r] = splits.names[s] }
        let conflicts = roots.filter { units[$0]!.earlierImages.filter { $0.value > 0 }.count > 1 }.count
        // The new images, by video (in the order added) then scene.
        var added: [PlannedImage] = []
        for chosen in selection.chosen {
            let row = rows[chosen.candidate], m = measured[chosen.candidate]!
            let split = splitOfRoot[sets.find(unitOfCluster[row.cluster!]!)]!
            let key = DatasetImage.key(sha256: row.video.sha256, scene: row.scene.number)
            let keyframe = index.keyframeRoot.appendingPathComponent(row.scene.keyframePath!)
            let reencoded = KeyframeImage.isReencoded(keyframe, width: m.width, height: m.height, format: format, maxSide: maxSide)
            let size = KeyframeImage.exportSize(width: m.width, height: m.height, maxSide: maxSide, reencoded: reencoded)
            var frame: Int? = nil
            if let file = sceneFiles[row.video.sha256], let entry = file.scenes.first(where: { $0.id == row.scene.number }) {
                let i = entry.keyframe.index
                frame = (file.frames.indices.contains(i) && file.frames[i].index == i ? file.frames[i] : file.frames.first { $0.index == i })?.frame
            }
            let record = DatasetImage(path: split + "/" + key + "." + format.fileExtension, split: split, video: row.video.path, sha256: row.video.sha256,
                                      time: row.scene.keyframeTime, frame: frame, scene: row.scene.number, cluster: row.cluster!,
                                      width: size.width, height: size.height, sharpness: m.sharpness, exposure: m.exposure, kept: chosen.reason)
            added.append(PlannedImage(record: record, keyframe: keyframe, reencoded: reencoded))
        }
        let order = Dictionary(uniqueKeysWithValues: try index.videos().enumerated().map { ($1.sha256, $0) })
        added.sort { (order[$0.record.sha256] ?? 0, $0.record.scene) < (order[$1.record.sha256] ?? 0, $1.record.scene) }
        let newVideos = try index.videos().map(\.sha256).filter(fresh.contains)
        return DatasetPlan(earlier: earlier, added: added, excluded: excluded, newVideos: newVideos, splitConflicts: conflicts,
                           corpusClusters: clusters.count)
    }

    /// Unites the clusters (by position) that hold two scenes closer than `radius`: an exact range search over all
    /// scene embeddings in blocks (OpenBLAS `sgemm`), the approximate index beyond ``CorpusIndex/approximateAbove`` scenes.
    static func joinNearClusters(_ clusters: [CorpusIndex.CorpusCluster], radius: Double, sets: inout DisjointSets) {
        guard let dimension = clusters.first?.scenes.first?.scene.embedding.count, dimension > 0 else { return }
        var owner: [Int] = []
        var values: [Float] = []
        for (n, c) in clusters.enumerated() {
            for s in c.scenes where s.scene.embedding.count == dimension {
                values += s.scene.embedding
                owner.append(n)
            }
        }
        let rows = VectorRows(dimension: dimension, values: values)
        let minimumSimilarity = Float(1 - radius).nextUp
        if rows.count > CorpusIndex.approximateAbove {
            for (i, neighbours) in InvertedFileIndex(rows: rows).within(rows, minimumSimilarity: minimumSimilarity).enumerated() {
                for n in neighbours where owner[n.index] != owner[i] { sets.union(owner[i], owner[n.index]) }
            }
            return
        }
        ExactSearch().forEachBlock(queries: rows, rows: rows) { q0, r0, qn, rn, scores in
            for i in 0..<qn {
                let a = owner[q0 + i]
                for j in 0..<rn where scores[i * rn + j] >= minimumSimilarity && owner[r0 + j] != a { sets.union(a, owner[r0 + j]) }
            }
        }
    }
}

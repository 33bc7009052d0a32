import Foundation
import FrameDedupe
import GRDB
import Similarity

/// Which videos may share a corpus cluster: all of them, or only those with the same key.
public enum CorpusGrouping: Sendable, Equatable, CustomStringConvertible {
    /// Every video with every other.
    case none
    /// Videos in the same folder.
    case directory
    /// Videos whose paths give the same match of the pattern (its first capture group when it has one, else the whole
    /// match); a path the pattern does not match is a group of its own.
    case pattern(String)
    /// Videos whose container metadata tag KEY has the same value; a video without the tag is a group of its own.
    case metadata(String)

    /// `dir`, `regex:PATTERN` or `meta:KEY`; nil for anything else.
    public init?(parsing text: String) {
        if text == "dir" { self = .directory }
        else if text.hasPrefix("regex:"), text.count > 6 { self = .pattern(String(text.dropFirst(6))) }
        else if text.hasPrefix("meta:"), text.count > 5 { self = .metadata(String(text.dropFirst(5))) }
        else { return nil }
    }

    /// As given on the command line (`""` for ``none``): what the index records with its clusters.
    public var description: String {
        switch self {
        case .none: ""
        case .directory: "dir"
        case .pattern(let p): "regex:" + p
        case .metadata(let k): "meta:" + k
        }
    }

    /// A regular expression that does not compile, described for the user; nil when it is fine.
    public var problem: String? {
        if case .pattern(let p) = self {
            do { _ = try NSRegularExpression(pattern: p) } catch { return "--group-by regex:\(p): not a regular expression" }
        }
        return nil
    }

    /// The video's group key: videos share clusters only when their keys are equal.
    public func key(for video: IndexedVideo) -> String {
        let ownGroup = "\u{1}" + video.sha256  // a group nothing else is in
        switch self {
        case .none: return ""
        case .directory: return (video.path as NSString).deletingLastPathComponent
        case .pattern(let p):
            guard let regex = try? NSRegularExpression(pattern: p) else { return ownGroup }
            let text = video.path as NSString
            guard let m = regex.firstMatch(in: video.path, range: NSRange(location: 0, length: text.length)) else { return ownGroup }
            let range = m.numberOfRanges > 1 && m.range(at: 1).location != NSNotFound ? m.range(at: 1) : m.range
            return text.substring(with: range)
        case .metadata(let k): return video.tags[k] ?? video.tags.first { $0.key.lowercased() == k.lowercased() }?.value ?? ownGroup
        }
    }
}

/// What one `dedupe` did.
public struct DedupeSummary: Sendable, Equatable {
    /// Scenes that were in no cluster before (all of them when the clusters were rebuilt).
    public var newScenes: Int
    /// True when earlier clusters were kept and only new scenes compared with them.
    public var incremental: Bool
    /// Earlier clusters whose members were read because a new scene might join them (centroid test passed).
    public var candidateClusters: Int
    /// Earlier clusters in the index before this run.
    public var earlierClusters: Int
    /// Clusters after the run.
    public var clusters: Int
}

/// Disjoint sets over 0..<n (union by size, path halving).
struct DisjointSets {
    private var parent: [Int]
    private var size: [Int]
    init(count: Int) { parent = Array(0..<count); size = Array(repeating: 1, count: count) }
    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }
    mutating func union(_ a: Int, _ b: Int) {
        var a = find(a), b = find(b)
        if a == b { return }
        if size[a] < size[b] { swap(&a, &b) }
        parent[b] = a
        size[a] += size[b]
    }
}

/// A scene taking part in `dedupe`: its row id, video, times, group key, unit embedding, earlier cluster (nil: new),
/// whether the index holds its local features and whether it holds a shot start verified (``CopyVerification/shotStarts``).
struct CorpusMember {
    let id: Int64
    let video: Int64
    /// Seconds from the video's first frame.
    let start: Double
    let end: Double
    let key: String
    let vector: [Float]
    let cluster: Int64?
    let featured: Bool
    let started: Bool
}

/// An earlier corpus cluster as the index keeps it: what the centroid test compares new scenes with.
struct EarlierCluster {
    let id: Int64
    let key: String
    let centroid: [Float]
    let radius: Double
}

/// The links of `dedupe` over its nodes (the new scenes, then the members of the earlier clusters they can reach):
/// new × new and new × member pairs within each group key closer than the link radius, each linked when it passes
/// (``CopyVerification``); members of one earlier cluster stay together. Then, with ``CopyVerification/alignedEdits``,
/// the pairs that did not pass join where their videos are copies of one edit around them.
struct CorpusLinker {
    let fresh: [CorpusMember]
    let members: [CorpusMember]
    let threshold: Double
    let verification: CopyVerification
    var sets: DisjointSets
    private var cache: FeatureCache
    private let verifier = GeometricVerifier()
    /// Candidates of which neither scene lacks features are verified up to this cosine distance (the link radius), those
    /// whose two scenes have a shot start up to ``CopyVerification/shotStartRadius`` beyond it.
    private var linkRadius = 0.0
    /// Candidate pairs that verification did not link, for the second pass.
    private var unlinked: [(Int, Int)] = []
    /// The candidate pairs the searches found (nodes and cosine distance), in the order they are considered.
    private var candidates: [(a: Int, b: Int, distance: Double)] = []

    init(fresh: [CorpusMember], members: [CorpusMember], threshold: Double, verification: CopyVerification, precision: EmbeddingPrecision) {
        self.fresh = fresh
        self.members = members
        self.threshold = threshold
        self.verification = verification
        sets = DisjointSets(count: fresh.count + members.count)
        cache = FeatureCache(moments: verification.moments, shotStarts: verification.shotStarts,
                             staticGraphicsBeyond: verification.ignoresStaticGraphics ? verification.radius : nil, precision: precision)
    }

    private func node(_ n: Int) -> CorpusMember { n < fresh.count ? fresh[n] : members[n - fresh.count] }

    /// Finds and links the pairs: scenes with features against each other up to `radius` (each pair once; pairs of
    /// scenes with shot starts up to ``CopyVerification/shotStartRadius``), every other pair up to the threshold. The
    /// pairs are found first, then each scene's nearest for the other pictures (``CopyVerification/verifiedNeighbours``)
    /// chosen, then the pairs considered in the order found.
    mutating func link(dimension: Int, radius: Double, db: Database) throws {
        linkRadius = radius
        let featuredRadius = verification.shotStarts ? max(radius, verification.shotStartRadius) : radius
        // Members of one earlier cluster stay together.
        var firstOfCluster: [Int64: Int] = [:]
        for (j, m) in members.enumerated() {
            if let f = firstOfCluster[m.cluster!] { sets.union(f, fresh.count + j) } else { firstOfCluster[m.cluster!] = fresh.count + j }
        }
        let groups = Dictionary(grouping: fresh.indices, by: { fresh[$0].key })
        let memberGroups = Dictionary(grouping: members.indices.map { fresh.count + $0 }, by: { members[$0 - fresh.count].key })
        for key in groups.keys.sorted() {
            let new = groups[key]!, old = memberGroups[key] ?? []
            let newFeatured = new.filter { node($0).featured }, newPlain = new.filter { !node($0).featured }
            let oldFeatured = old.filter { node($0).featured }, oldPlain = old.filter { !node($0).featured }
            try search(newFeatured, in: newFeatured, radius: featuredRadius, eachPairOnce: true, dimension: dimension, db: db)
            try search(newPlain, in: new, radius: threshold, dimension: dimension, db: db)
            try search(newFeatured, in: oldFeatured, radius: featuredRadius, dimension: dimension, db: db)
            try search(newFeatured, in: oldPlain, radius: threshold, dimension: dimension, db: db)
            try search(newPlain, in: old, radius: threshold, dimension: dimension, db: db)
        }
        let nearest = nearestForOtherPictures()
        for (a, b, distance) in candidates {
            try consider(a, b, distance: distance, otherPictures: nearest[a].contains(b) || nearest[b].contains(a), db: db)
        }
        if verification.alignedEdits { linkShotsOfAlignedEdits() }
    }

    /// Scene boundaries of two copies of one edit agree within this many seconds once offset (a frame at 10 fps: one
    /// frame of a copy at another rate, or a boundary placed one frame apart).
    static let boundaryTolerance = 0.1
    /// Other scene pairs of the two videos, already joined and aligned at the same offset, that make them copies of one edit.
    static let minimumAlignedShots = 2

    /// The second pass (``CopyVerification/alignedEdits``): joins each candidate that verification did not link when its
    /// two scenes sit at the same place of one edit in their two videos (see ``CopyVerification``). The evidence is the
    /// components after the first pass, fixed before any link of this one, so the order of candidates changes nothing.
    private mutating func linkShotsOfAlignedEdits() {
        guard !unlinked.isEmpty else { return }
        let count = fresh.count + members.count
        let component = (0..<count).map { sets.find($0) }
        var byVideo: [Int64: [Int]] = [:]
        for n in 0..<count { byVideo[node(n).video, default: []].append(n) }
        for video in byVideo.keys { byVideo[video]!.sort { (node($0).start, $0) < (node($1).start, $1) } }
        let tolerance = Self.boundaryTolerance
        var joined: [(Int, Int)] = []
        for (a, b) in unlinked {
            let x = node(a), y = node(b)
            guard x.video != y.video, let scenesOfX = byVideo[x.video], let scenesOfY = byVideo[y.video] else { continue }
            let offset = y.start - x.start
            guard abs(y.end - x.end - offset) <= tolerance else { continue }
            var aligned = 0
            for p in scenesOfX where p != a {
                let u = node(p)
                // The scenes of y's video that start within the tolerance of u's start moved by the offset.
                var i = Self.firstStarting(atLeast: u.start + offset - tolerance, in: scenesOfY) { node($0).start }
                while i < scenesOfY.count, node(scenesOfY[i]).start <= u.start + offset + tolerance {
                    let q = scenesOfY[i]
                    if q != b, component[p] == component[q], abs(node(q).end - u.end - offset) <= tolerance { aligned += 1; break }
                    i += 1
                }
                if aligned >= Self.minimumAlignedShots { break }
            }
            if aligned >= Self.minimumAlignedShots { joined.append((a, b)) }
        }
        for (a, b) in joined { sets.union(a, b) }
    }

    /// The first position of `sorted` (ascending by `start`) whose start is at least `time`.
    private static func firstStarting(atLeast time: Double, in sorted: [Int], start: (Int) -> Double) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if start(sorted[mid]) < time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Considers every pair of a node of `queries` and a node of `rows` closer than `radius` (exact search, or the
    /// approximate index beyond ``CorpusIndex/approximateAbove`` rows); with `eachPairOnce` (the same nodes on both
    /// sides), each pair once.
    private mutating func search(_ queries: [Int], in rows: [Int], radius: Double, eachPairOnce: Bool = false, dimension: Int, db: Database) throws {
        guard !queries.isEmpty, !rows.isEmpty else { return }
        let minimumSimilarity = Float(1 - radius).nextUp  // closer than the radius: similarity above 1 − R
        let q = VectorRows(dimension: dimension, values: queries.flatMap { node($0).vector })
        let r = eachPairOnce ? q : VectorRows(dimension: dimension, values: rows.flatMap { node($0).vector })
        let found = rows.count > CorpusIndex.approximateAbove
            ? InvertedFileIndex(rows: r).within(q, minimumSimilarity: minimumSimilarity)
            : ExactSearch().within(q, in: r, minimumSimilarity: minimumSimilarity)
        for (i, neighbours) in found.enumerated() {
            for n in neighbours where !eachPairOnce || n.index > i {
                candidates.append((queries[i], rows[n.index], 1 - Double(n.similarity)))
            }
        }
    }

    /// Whether nodes `a` and `b`, `distance` apart, are a pair that verification can link: both have features, and they
    /// lie within the link radius, or they are a far pair of two shot starts (``CopyVerification/isFarShotStartPair(_:linkRadius:bothHaveShotStarts:)``).
    private func isVerifiable(_ a: Int, _ b: Int, distance: Double) -> Bool {
        let x = node(a), y = node(b)
        guard x.featured, y.featured else { return false }
        return distance <= linkRadius || verification.isFarShotStartPair(distance, linkRadius: linkRadius, bothHaveShotStarts: x.started && y.started)
    }

    /// For each node, the nodes against which its other moments and shot start are verified: its
    /// ``CopyVerification/verifiedNeighbours`` nearest among the candidates verification can link (``nearestVerified(_:limit:)``,
    /// `run`'s rule; ties: the node found first). Empty sets when neither kind of picture is verified.
    private func nearestForOtherPictures() -> [Set<Int>] {
        let count = fresh.count + members.count
        guard verification.moments || verification.shotStarts else { return Array(repeating: [], count: count) }
        var lists = [[(d: Double, j: Int)]](repeating: [], count: count)
        for (a, b, distance) in candidates where a != b && isVerifiable(a, b, distance: distance) {
            lists[a].append((distance, b))
            lists[b].append((distance, a))
        }
        return lists.indices.map { nearestVerified(&lists[$0], limit: max(verification.verifiedNeighbours, 0)) }
    }

    /// Links nodes `a` and `b` (their embeddings `distance` apart) when the pair passes: verified as `run` verifies a
    /// pair (``verifyCopy(_:_:shotStartsOnly:verifier:mirror:)``: keyframes, then other moments, then shot starts; beyond
    /// the link radius, shot starts alone) when `otherPictures` (one is among the other's nearest), else on the keyframes.
    private mutating func consider(_ a: Int, _ b: Int, distance: Double, otherPictures: Bool, db: Database) throws {
        let (first, second) = node(a).id < node(b).id ? (node(a), node(b)) : (node(b), node(a))
        let far = distance > linkRadius
        // Beyond the link radius, only pairs of scenes with shot starts, each among the other's nearest, are candidates.
        if far, !otherPictures || !verification.isFarShotStartPair(distance, linkRadius: linkRadius, bothHaveShotStarts: first.started && second.started) { return }
        guard a != b, sets.find(a) != sets.find(b) else { return }  // connected already: a link would change nothing
        guard first.featured, second.featured, var pa = try cache.pictures(first.id, video: first.video, db: db),
              var pb = try cache.pictures(second.id, video: second.video, db: db) else {
            // Nothing to verify: linked by the threshold, as without verification (a pair with a scene without features
            // was searched within the threshold only).
            if distance < threshold || !(first.featured && second.featured) { sets.union(a, b) }
            return
        }
        if !otherPictures {
            pa = CopyPictures(keyframe: pa.keyframe, keyframeLuma: pa.keyframeLuma)
            pb = CopyPictures(keyframe: pb.keyframe, keyframeLuma: pb.keyframeLuma)
        }
        let match = verifyCopy(pa, pb, shotStartsOnly: far, verifier: verifier, mirror: verification.mirror)
        // Too few matches to decide (low texture: a flat slide, a wall): linked by the threshold, as without verification,
        // unless the keyframes are plain and laid out otherwise (as `run` keeps them apart). A far pair that fails is no
        // candidate of the second pass (its scenes were never within the link radius).
        let links = match.isDecisive ? match.isCopy
            : distance < threshold && !(verification.plainLayoutChange.map { plainPicturesDiffer(pa, pb, match: match, limit: $0, mirror: verification.mirror) } ?? false)
        if links { sets.union(a, b) } else if !far { unlinked.append((a, b)) }
    }
}

extension CorpusIndex {
    /// Scene counts above which the batch range search uses the approximate ``InvertedFileIndex`` instead of exact search.
    public static let approximateAbove = 100_000

    /// Groups near-duplicate scenes of all videos into corpus clusters: the connected components of the graph that links
    /// two scenes (of videos with the same group key) when the cosine distance of their mean embeddings is below
    /// `threshold` (single linkage) — and, with `verification` (the default), when geometric verification of their
    /// keyframes (or of their other moments or shot starts, as `run` verifies, static graphics left out, for each scene
    /// with its nearest candidates) finds them copies: then every pair up to the verification's radius (0.45; 0.6 for two
    /// scenes with shot starts) is a candidate, and a candidate links only as a copy, whatever its distance
    /// (``CopyVerification``).
    ///
    /// Incremental: when the index holds clusters made with the same threshold, grouping and verification, only scenes
    /// added since are compared: first with every cluster's centroid c and radius r (the largest distance of a member
    /// from c, in Euclidean distance of unit vectors, where cosine distance T is √(2T)): a scene x can be closer than T
    /// to a member only when ‖x − c‖ ≤ √(2T) + r (triangle inequality); then with the members of the clusters that
    /// pass, and with each other. A new scene joins the cluster it links to, merges the clusters it links together, or
    /// founds a new one. Connected components do not depend on the order scenes arrive in (a pair is verified with the
    /// scene indexed first as A, and only when its two scenes are not connected yet, which changes no component) and
    /// the centroid test never drops a link, so the partition equals a batch run's over the same scenes (up to
    /// distances within float rounding of the radius) — except where a scene has more candidates than
    /// ``CopyVerification/verifiedNeighbours``: its nearest are taken among the scenes this run compares, so a pair an
    /// earlier run linked by its other pictures stays linked, and an earlier scene's pairs with new ones may be verified
    /// on more pictures than in a batch run.
    /// - Parameters:
    ///   - threshold: cosine distance, 0 to 2.
    ///   - rebuild: forget the earlier clusters and cluster every scene again.
    ///   - verification: how copies are told from look-alikes.
    public func dedupe(threshold: Double, grouping: CorpusGrouping = .none, rebuild: Bool = false,
                       verification: CopyVerification = .standard) throws(IndexError) -> DedupeSummary {
        let precision = precision
        let linkRadius = verification.enabled ? max(threshold, verification.radius) : threshold
        return try write { db -> DedupeSummary in
            let settings = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM setting").map { ($0["key"] as String, $0["value"] as String) })
            let same = settings["threshold"].flatMap(Double.init) == threshold && (settings["group_by"] ?? "") == grouping.description
                && (settings["verification"] ?? CopyVerification.off.description) == verification.description
            if !same || rebuild {
                try db.execute(sql: "UPDATE scene SET cluster = NULL WHERE cluster IS NOT NULL")
                try db.execute(sql: "DELETE FROM cluster")
            }
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES ('threshold', ?), ('group_by', ?), ('verification', ?)",
                           arguments: [String(threshold), grouping.description, verification.description])
            var keyOfVideo: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM video") { let v = Self.video(row); keyOfVideo[v.id] = grouping.key(for: v) }
            func member(_ row: Row) -> CorpusMember {
                let stored = EmbeddingPrecision(rawValue: row["precision"]) ?? precision
                return CorpusMember(id: row["id"], video: row["video"], start: row["start"], end: row["end"], key: keyOfVideo[row["video"]] ?? "",
                                    vector: normalised(stored.decode(row["embedding"]) ?? []),
                                    cluster: row["cluster"], featured: verification.enabled && row["featured"] as Bool,
                                    started: verification.enabled && verification.shotStarts && row["started"] as Bool)
            }
            let columns = "id, video, start, \"end\", embedding, precision, cluster, EXISTS (SELECT 1 FROM scene_features f WHERE f.scene = scene.id) AS featured, "
                + "EXISTS (SELECT 1 FROM scene_features f WHERE f.scene = scene.id AND (f.shot_start IS NOT NULL OR f.shot_start_is_keyframe)) AS started"
            // The new scenes, and the earlier clusters.
            let fresh = try Row.fetchAll(db, sql: "SELECT \(columns) FROM scene WHERE cluster IS NULL ORDER BY video, number").map(member)
            let earlier = try Row.fetchAll(db, sql: "SELECT * FROM cluster ORDER BY id").map { row in
                EarlierCluster(id: row["id"], key: row["group_key"], centroid: EmbeddingPrecision.single.decode(row["centroid"]) ?? [], radius: row["radius"])
            }
            var summary = DedupeSummary(newScenes: fresh.count, incremental: !earlier.isEmpty, candidateClusters: 0, earlierClusters: earlier.count, clusters: earlier.count)
            guard !fresh.isEmpty, let dimension = fresh.first?.vector.count, dimension > 0 else { return summary }
            let startRadius = max(linkRadius, verification.shotStartRadius)
            let candidates = Self.reachableClusters(fresh, earlier: earlier, dimension: dimension,
                                                    radius: { $0.started ? startRadius : $0.featured ? linkRadius : threshold })
            summary.candidateClusters = candidates.count
            var members: [CorpusMember] = []
            let candidateList = candidates.sorted()
            for start in stride(from: 0, to: candidateList.count, by: 500) {
                let chunk = candidateList[start..<min(start + 500, candidateList.count)]
                members += try Row.fetchAll(db, sql: "SELECT \(columns) FROM scene WHERE cluster IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                            arguments: StatementArguments(Array(chunk))).map(member)
            }
            var linker = CorpusLinker(fresh: fresh, members: members, threshold: threshold, verification: verification, precision: precision)
            try linker.link(dimension: dimension, radius: linkRadius, db: db)
            try Self.storeComponents(&linker.sets, fresh: fresh, members: members, dimension: dimension, db: db)
            summary.clusters = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cluster") ?? 0
            return summary
        }
    }

    /// The centroid test: the earlier clusters (of the same group key) a new scene can be closer than its `radius` to.
    private static func reachableClusters(_ fresh: [CorpusMember], earlier: [EarlierCluster], dimension: Int,
                                          radius: (CorpusMember) -> Double) -> Set<Int64> {
        var candidates = Set<Int64>()
        let groups = Dictionary(grouping: fresh.indices, by: { fresh[$0].key })
        for (key, indices) in groups {
            let clusters = earlier.filter { $0.key == key && $0.centroid.count == dimension }
            guard !clusters.isEmpty else { continue }
            let queries = VectorRows(dimension: dimension, values: indices.flatMap { fresh[$0].vector })
            let centroids = VectorRows(dimension: dimension, values: clusters.flatMap(\.centroid))
            let squaredNorms = clusters.map { c in c.centroid.reduce(0) { $0 + Double($1) * Double($1) } }
            ExactSearch().forEachBlock(queries: queries, rows: centroids) { q0, r0, qn, rn, scores in
                for i in 0..<qn {
                    let reach = (2 * radius(fresh[indices[q0 + i]])).squareRoot()
                    for j in 0..<rn {
                        let c = clusters[r0 + j]
                        let distance = max(0, 1 - 2 * Double(scores[i * rn + j]) + squaredNorms[r0 + j]).squareRoot()
                        if distance <= reach + c.radius + 1e-4 { candidates.insert(c.id) }
                    }
                }
            }
        }
        return candidates
    }

    /// Writes the components that hold a new scene as clusters: each takes the first of the earlier clusters it holds
    /// (the others merge into it) or is a new one; its centroid and radius are recomputed.
    private static func storeComponents(_ sets: inout DisjointSets, fresh: [CorpusMember], members: [CorpusMember], dimension: Int, db: Database) throws {
        var components: [Int: [Int]] = [:]
        for node in 0..<(fresh.count + members.count) { components[sets.find(node), default: []].append(node) }
        for (_, nodes) in components.sorted(by: { $0.key < $1.key }) where nodes.contains(where: { $0 < fresh.count }) {
            let all = nodes.map { $0 < fresh.count ? fresh[$0] : members[$0 - fresh.count] }
            let earlierIDs = Set(all.compactMap(\.cluster)).sorted()
            var centroid = [Float](repeating: 0, count: dimension)
            for m in all { for k in 0..<dimension { centroid[k] += m.vector[k] } }
            for k in 0..<dimension { centroid[k] /= Float(all.count) }
            var radius = 0.0
            for m in all {
                var s = 0.0
                for k in 0..<dimension { let d = Double(m.vector[k] - centroid[k]); s += d * d }
                radius = max(radius, s.squareRoot())
            }
            let blob = EmbeddingPrecision.single.encode(centroid)
            let target: Int64
            if let first = earlierIDs.first {
                target = first
                try db.execute(sql: "UPDATE cluster SET centroid = ?, radius = ?, size = ? WHERE id = ?", arguments: [blob, radius, all.count, target])
                for other in earlierIDs.dropFirst() {
                    try db.execute(sql: "UPDATE scene SET cluster = ? WHERE cluster = ?", arguments: [target, other])
                    try db.execute(sql: "DELETE FROM cluster WHERE id = ?", arguments: [other])
                }
            } else {
                try db.execute(sql: "INSERT INTO cluster (group_key, centroid, radius, size) VALUES (?, ?, ?, ?)", arguments: [all[0].key, blob, radius, all.count])
                target = db.lastInsertedRowID
            }
            for m in all where m.cluster == nil {
                try db.execute(sql: "UPDATE scene SET cluster = ? WHERE id = ?", arguments: [target, m.id])
            }
        }
    }

    /// One corpus cluster: its scenes (by video in the order added, then time) and its exemplar.
    public struct CorpusCluster: Sendable {
        /// 0, 1, 2… in the order of each cluster's first scene.
        public let number: Int
        public let scenes: [SceneRow]
        /// Index into ``scenes``: the scene whose embedding is nearest the cluster's mean (ties: the first).
        public let exemplar: Int
        /// Each scene's cosine similarity to the cluster's mean embedding (normalised).
        public let centrality: [Double]
    }

    /// The clusters of the last ``dedupe(threshold:grouping:rebuild:)``; scenes added since are left out.
    public func clusters() throws(IndexError) -> [CorpusCluster] {
        let rows = try scenes()
        var byCluster: [Int64: [SceneRow]] = [:]
        var order: [Int64] = []
        for row in rows {
            guard let c = row.cluster else { continue }
            if byCluster[c] == nil { order.append(c) }
            byCluster[c, default: []].append(row)
        }
        return order.enumerated().map { number, id in
            let scenes = byCluster[id]!
            let d = scenes[0].scene.embedding.count
            var mean = [Float](repeating: 0, count: d)
            for s in scenes where s.scene.embedding.count == d { for k in 0..<d { mean[k] += s.scene.embedding[k] } }
            mean = normalised(mean)
            let centrality = scenes.map { s in zip(s.scene.embedding, mean).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
            var best = 0
            for i in centrality.indices where centrality[i] > centrality[best] { best = i }
            return CorpusCluster(number: number, scenes: scenes, exemplar: best, centrality: centrality)
        }
    }
}

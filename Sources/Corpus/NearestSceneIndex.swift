import Foundation
import GRDB
import Similarity

/// The approximate index the corpus index keeps for `search` (table `approximate_index`, each scene's list in
/// `scene.list`), as `index stats` reports it.
public struct StoredApproximateIndex: Sendable, Equatable {
    public var dimension: Int
    public var lists: Int
    /// Lists probed per query, as the self-tuning chose them.
    public var probes: Int
    /// True when the self-tuning found the target recall out of reach below half the lists: `search` is exact.
    public var exhaustive: Bool
    public var targetRecall: Double?
    /// Recall@10 against exact search measured on ``sampleQueries`` indexed scenes when it was built.
    public var measuredRecall: Double?
    public var sampleQueries: Int?
    /// The probes tried and the recall at each, `probes:recall` separated by spaces (`17:0.8758 34:0.9809`).
    public var tried: String
    /// Scenes it was built over.
    public var scenes: Int
    /// When it was built (ISO 8601).
    public var built: String
    /// Scenes added since it was built plus scenes removed since.
    public var changedScenes: Int

    /// More than ``CorpusIndex/staleFraction`` of its scenes changed: the next `search` (or `index add`) rebuilds it.
    public var isStale: Bool { Double(changedScenes) > CorpusIndex.staleFraction * Double(max(1, scenes)) }

    var tuning: InvertedFileIndex.Tuning? {
        guard let targetRecall, let measuredRecall, let sampleQueries else { return nil }
        let steps = tried.split(separator: " ").compactMap { step -> InvertedFileIndex.Tuning.Probe? in
            let parts = step.split(separator: ":")
            guard parts.count == 2, let p = Int(parts[0]), let r = Double(parts[1]) else { return nil }
            return .init(probes: p, recall: r)
        }
        return .init(targetRecall: targetRecall, k: 10, sampleQueries: sampleQueries, measuredRecall: measuredRecall, tried: steps)
    }
}

/// The scenes of the index and the search `index search` runs over them: exact up to
/// ``CorpusIndex/approximateAbove`` scenes, beyond through the stored approximate index (read back, or built and
/// stored when there was none or it was stale).
public struct NearestSceneIndex: Sendable {
    /// How the search was set up.
    public enum Method: Sendable, Equatable {
        /// Exact search: the index holds no more than ``CorpusIndex/approximateAbove`` scenes.
        case exact
        /// The stored approximate index, read back (scenes added since it was built put in their nearest list).
        case stored
        /// An approximate index built now (none was stored, or it was stale: the reason says which).
        case built(reason: String)
    }

    /// Every scene, in ``CorpusIndex/scenes()`` order: a neighbour's `index` is a position in this list.
    public let scenes: [CorpusIndex.SceneRow]
    /// Nil for exact search.
    public let approximate: InvertedFileIndex?
    public let method: Method
    /// Why the index built now could not be stored (a read-only index, say); nil when stored or not built.
    public let storeFailure: String?
    let rows: VectorRows

    /// The `k` nearest scenes of each query (unit vectors), best first.
    public func nearest(_ queries: VectorRows, k: Int) -> [[Neighbour]] {
        if let approximate { return approximate.nearest(queries, k: k) }
        return ExactSearch().nearest(queries, in: rows, k: k)
    }
}

extension CorpusIndex {
    /// The share of its scenes that may change (added plus removed) before the stored approximate index is rebuilt:
    /// new scenes join the nearest list of the stored centroids meanwhile, so up to 10% of the rows were not seen by
    /// its k-means nor by its recall check.
    public static let staleFraction = 0.10

    /// The stored approximate index, nil when there is none.
    public func storedApproximateIndex() throws(IndexError) -> StoredApproximateIndex? {
        try read { db in try Self.storedApproximateIndex(db) }
    }

    static func storedApproximateIndex(_ db: Database) throws -> StoredApproximateIndex? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT dimension, lists, probes, exhaustive, target_recall, measured_recall, sample_queries, tried, scenes, built
            FROM approximate_index WHERE id = 1
            """) else { return nil }
        let listed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scene WHERE list IS NOT NULL") ?? 0
        let added = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scene WHERE list IS NULL") ?? 0
        let scenes: Int = row["scenes"]
        return StoredApproximateIndex(dimension: row["dimension"], lists: row["lists"], probes: row["probes"], exhaustive: row["exhaustive"],
                                      targetRecall: row["target_recall"], measuredRecall: row["measured_recall"],
                                      sampleQueries: row["sample_queries"], tried: row["tried"], scenes: scenes, built: row["built"],
                                      changedScenes: added + max(0, scenes - listed))
    }

    /// The search `index search` runs: exact up to `approximateAbove` scenes; beyond, the stored approximate index
    /// when it is current (at most ``staleFraction`` of its scenes changed), else one built now (self-tuned to
    /// `targetRecall`, see ``InvertedFileIndex``) and stored for the next search.
    /// - Parameter store: false leaves the index file alone (a built index is then not kept).
    public func nearestSceneIndex(approximateAbove: Int = approximateAbove, targetRecall: Double = InvertedFileIndex.defaultTargetRecall,
                                  store: Bool = true) throws(IndexError) -> NearestSceneIndex {
        let scenes = try self.scenes()
        let dimension = scenes.first?.scene.embedding.count ?? 0
        let rows = VectorRows(dimension: max(1, dimension), values: dimension == 0 ? [] : scenes.flatMap(\.scene.embedding))
        guard scenes.count > approximateAbove, dimension > 0 else {
            return NearestSceneIndex(scenes: scenes, approximate: nil, method: .exact, storeFailure: nil, rows: rows)
        }
        let stored = try storedApproximateIndex()
        if let stored, !stored.isStale, stored.dimension == dimension, let ivf = try readApproximateIndex(stored, scenes: scenes, rows: rows) {
            return NearestSceneIndex(scenes: scenes, approximate: ivf, method: .stored, storeFailure: nil, rows: rows)
        }
        let reason = stored.map { s in
            s.dimension != dimension ? "the stored one is of \(s.dimension)-value embeddings"
                : "\(s.changedScenes) of its \(s.scenes) scenes changed since it was built"
        } ?? "none was stored"
        let ivf = InvertedFileIndex(rows: rows, targetRecall: targetRecall)
        var failure: String?
        if store {
            do { try storeApproximateIndex(ivf, scenes: scenes) } catch { failure = error.reason }
        }
        return NearestSceneIndex(scenes: scenes, approximate: ivf, method: .built(reason: reason), storeFailure: failure, rows: rows)
    }

    /// For `index add`: builds and stores the approximate index when the index holds more than `approximateAbove`
    /// scenes and has none, or a stale one; returns what it stored (nil when nothing was needed).
    public func refreshApproximateIndex(approximateAbove: Int = approximateAbove,
                                        targetRecall: Double = InvertedFileIndex.defaultTargetRecall) throws(IndexError) -> StoredApproximateIndex? {
        let count = try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scene") ?? 0 }
        guard count > approximateAbove else { return nil }
        if let stored = try storedApproximateIndex(), !stored.isStale { return nil }
        let search = try nearestSceneIndex(approximateAbove: approximateAbove, targetRecall: targetRecall)
        if let failure = search.storeFailure { throw IndexError(path: path, reason: failure) }
        return try storedApproximateIndex()
    }

    /// The stored index over `scenes` (nil when its centroids do not read back): stored scenes in their stored list,
    /// scenes added since in the list of their nearest centroid.
    func readApproximateIndex(_ stored: StoredApproximateIndex, scenes: [SceneRow], rows: VectorRows) throws(IndexError) -> InvertedFileIndex? {
        let (blob, lists) = try read { db in
            (try Data.fetchOne(db, sql: "SELECT centroids FROM approximate_index WHERE id = 1"),
             Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, list FROM scene WHERE list IS NOT NULL").map { ($0["id"] as Int64, $0["list"] as Int) }))
        }
        guard let blob, let values = EmbeddingPrecision.single.decode(blob), values.count == stored.lists * stored.dimension, stored.lists > 0 else { return nil }
        let centroids = VectorRows(dimension: stored.dimension, values: values)
        var assignment = scenes.map { lists[$0.id].flatMap { (0..<stored.lists).contains($0) ? $0 : nil } ?? -1 }
        let unlisted = assignment.indices.filter { assignment[$0] < 0 }
        if !unlisted.isEmpty {
            var fresh = VectorRows(dimension: stored.dimension)
            for i in unlisted { fresh.append(Array(rows.row(i))) }
            for (i, l) in zip(unlisted, InvertedFileIndex.nearestLists(of: fresh, centroids: centroids)) { assignment[i] = l }
        }
        return InvertedFileIndex(rows: rows, centroids: centroids, assignment: assignment, probes: stored.probes, exhaustive: stored.exhaustive,
                                 tuning: stored.tuning)
    }

    /// Replaces the stored approximate index with `ivf`, built over `scenes` (in their order), in one transaction.
    func storeApproximateIndex(_ ivf: InvertedFileIndex, scenes: [SceneRow]) throws(IndexError) {
        let assignment = ivf.assignment
        let tuning = ivf.tuning
        try write { db in
            try db.execute(sql: "DELETE FROM approximate_index")
            try db.execute(sql: """
                INSERT INTO approximate_index (id, dimension, lists, probes, exhaustive, target_recall, measured_recall, sample_queries, tried, scenes, built, centroids)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [ivf.dimension, ivf.listCount, ivf.probes, ivf.exhaustive, tuning?.targetRecall, tuning?.measuredRecall,
                                 tuning?.sampleQueries, tuning.map { $0.tried.map { "\($0.probes):\(String(format: "%.4f", $0.recall))" }.joined(separator: " ") } ?? "",
                                 scenes.count, ISO8601DateFormatter().string(from: Date()), EmbeddingPrecision.single.encode(ivf.centroids.values)])
            try db.execute(sql: "UPDATE scene SET list = NULL WHERE list IS NOT NULL")
            let statement = try db.makeStatement(sql: "UPDATE scene SET list = ? WHERE id = ?")
            for (scene, list) in zip(scenes, assignment) { try statement.execute(arguments: [list, scene.id]) }
        }
    }
}

import Foundation
import GRDB
import Similarity

/// How `dedupe` tells a copy from a look-alike: by geometric verification of the two scenes' keyframes
/// (``GeometricVerifier`` with ``GeometricVerifier/Rule/standard``, on the local features stored with each scene).
///
/// With verification, scenes closer than ``radius`` (cosine distance of their mean embeddings) are candidates, and a
/// candidate pair links only when one global transform explains both keyframes inside their black bars: a
/// letterboxed, windowboxed or low-bitrate copy (cosine 0.14–0.36 from its original) joins it; two camera positions
/// of one street (0.14–0.19) do not. A pair of which a scene has no features (indexed before features were stored:
/// `index add` of its file again fills them in), or with too few matches to decide (``GeometricMatch/isDecisive``: a
/// flat slide, a wall), links by the threshold alone.
///
/// Copies of one edit: a candidate pair that verification did not link still joins when its two videos are copies of
/// one edit around it (``alignedEdits``): the two scenes start and end at the same times up to one offset (within
/// ``CorpusLinker/boundaryTolerance``), and at least ``CorpusLinker/minimumAlignedShots`` other scenes of the two
/// videos, already joined, start and end at that same offset. Copies of a video then join shot for shot even where a
/// moving shot's keyframes are different moments (a frame that is a transition frame in one copy and not in another).
public struct CopyVerification: Sendable, Equatable, CustomStringConvertible {
    /// Verify candidate links geometrically (false: link by the threshold alone, as before).
    public var enabled: Bool
    /// Cosine distance up to which scenes are candidates (used when larger than the threshold).
    public var radius: Double
    /// A mirror image counts as a copy.
    public var mirror: Bool
    /// Two shots of two videos that are copies of one edit join even when their keyframes fail verification
    /// (``CorpusLinker``'s second pass): a moving shot's copies may take their keyframes at different moments.
    public var alignedEdits: Bool

    public init(enabled: Bool = true, radius: Double = 0.45, mirror: Bool = true, alignedEdits: Bool = true) {
        self.enabled = enabled
        self.radius = radius
        self.mirror = mirror
        self.alignedEdits = alignedEdits
    }

    /// Geometric verification of every candidate up to cosine distance 0.45.
    public static let standard = CopyVerification()
    /// No verification: scenes closer than the threshold link.
    public static let off = CopyVerification(enabled: false)

    /// How the index records it with its clusters (a change re-clusters every scene).
    public var description: String {
        enabled ? "geometric radius \(radius)\(mirror ? "" : " no-mirror")\(alignedEdits ? " aligned-edits" : "")" : "off"
    }
}

/// Each scene's keyframe features in the index: table `scene_features` (a scene's row id → ``LocalFeatures/encoded``,
/// 20–37 KB a scene, removed with its scene), added by migration v3. Scenes indexed before have none.
extension CorpusIndex {
    /// Registers the migration that adds `scene_features`.
    static func registerFeatureMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration(knownMigrations[2]) { db in
            try db.execute(sql: """
                CREATE TABLE scene_features (
                    scene INTEGER PRIMARY KEY REFERENCES scene(id) ON DELETE CASCADE,
                    features BLOB NOT NULL
                );
                """)
        }
    }

    /// Stores a scene's features (nothing when it has none), inside the transaction that stores the scene.
    static func storeFeatures(_ features: LocalFeatures?, scene: Int64, db: Database) throws {
        guard let features else { return }
        try db.execute(sql: "INSERT INTO scene_features (scene, features) VALUES (?, ?)", arguments: [scene, Data(features.encoded)])
    }

    /// The stored features of the scene with row id `scene`; nil when it has none or they cannot be read.
    static func storedFeatures(scene: Int64, db: Database) throws -> LocalFeatures? {
        // An index opened read-only is not migrated: one made before v3 has no such table.
        guard try db.tableExists("scene_features"),
              let data = try Data.fetchOne(db, sql: "SELECT features FROM scene_features WHERE scene = ?", arguments: [scene]) else { return nil }
        return try? LocalFeatures(encoded: [UInt8](data))
    }

    /// Whether some scene of the video with row id `video` has no stored features (indexed before they were kept).
    static func lacksFeatures(video: Int64, db: Database) throws -> Bool {
        guard try db.tableExists("scene_features") else { return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM scene WHERE video = ?)", arguments: [video]) ?? false }
        return try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM scene s WHERE s.video = ? AND NOT EXISTS (SELECT 1 FROM scene_features f WHERE f.scene = s.id))
            """, arguments: [video]) ?? false
    }

    /// Whether some scene of `video` (as the index returned it) has no local features: it was indexed before the index
    /// kept them, and `add` of the same file analyses it again to fill them in.
    public func lacksFeatures(_ video: IndexedVideo) throws(IndexError) -> Bool {
        try read { db in try Self.lacksFeatures(video: video.id, db: db) }
    }

    /// The stored features of the scene with row id `scene` (``SceneRow/id``); nil when it has none.
    public func features(ofScene scene: Int64) throws(IndexError) -> LocalFeatures? {
        try read { db in try Self.storedFeatures(scene: scene, db: db) }
    }
}

/// Reads scenes' features for `dedupe` as pairs are verified, keeping the most recent ones (at most `capacity`, about
/// 37 KB each): the pairs of one scene come together, so few are read twice.
struct FeatureCache {
    let capacity: Int
    private var stored: [Int64: LocalFeatures?] = [:]
    private var order: [Int64] = []
    private var next = 0

    init(capacity: Int = 2048) { self.capacity = capacity }

    mutating func features(_ scene: Int64, db: Database) throws -> LocalFeatures? {
        if let known = stored[scene] { return known }
        let features = try CorpusIndex.storedFeatures(scene: scene, db: db)
        if order.count < capacity {
            order.append(scene)
        } else {
            stored[order[next]] = nil
            order[next] = scene
            next = (next + 1) % capacity
        }
        stored[scene] = features
        return features
    }
}

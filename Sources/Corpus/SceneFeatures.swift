import Foundation
import GRDB
import Similarity

/// How `dedupe` tells a copy from a look-alike: by geometric verification of the two scenes' keyframes
/// (``GeometricVerifier`` with ``GeometricVerifier/Rule/standard``, on the local features stored with each scene).
///
/// With verification, scenes closer than ``radius`` (cosine distance of their mean embeddings) are candidates, and a
/// candidate pair links only when one global transform explains both keyframes inside their black bars: a
/// letterboxed, windowboxed or low-bitrate copy (cosine 0.14–0.36 from its original) joins it; two camera positions
/// of one street (0.14–0.19) do not. A pair of which a scene has no features (indexed before features were stored)
/// links by the threshold alone.
public struct CopyVerification: Sendable, Equatable, CustomStringConvertible {
    /// Verify candidate links geometrically (false: link by the threshold alone, as before).
    public var enabled: Bool
    /// Cosine distance up to which scenes are candidates (used when larger than the threshold).
    public var radius: Double
    /// A mirror image counts as a copy.
    public var mirror: Bool

    public init(enabled: Bool = true, radius: Double = 0.45, mirror: Bool = true) {
        self.enabled = enabled
        self.radius = radius
        self.mirror = mirror
    }

    /// Geometric verification of every candidate up to cosine distance 0.45.
    public static let standard = CopyVerification()
    /// No verification: scenes closer than the threshold link.
    public static let off = CopyVerification(enabled: false)

    /// How the index records it with its clusters (a change re-clusters every scene).
    public var description: String { enabled ? "geometric radius \(radius)\(mirror ? "" : " no-mirror")" : "off" }
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

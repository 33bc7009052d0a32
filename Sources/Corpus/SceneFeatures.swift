import Foundation
import FrameDedupe
import GRDB
import Pixels
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
/// As `run` (by default; ``standard``): a pair whose keyframes are no copy is verified again on the two scenes' other moments
/// (``moments``), then on the first frames of their shots (``shotStarts``), and is a copy when one of these pairs is; and
/// two scenes that both have a shot start are candidates up to ``shotStartRadius`` (0.6), verified beyond the link radius
/// on their shot starts alone. The same function decides for both (``verifyCopy(_:_:shotStartsOnly:verifier:mirror:)``). Copies of a moving
/// or fast shot whose keyframes show other moments then join (BENCHMARKS.md, "Copies in the corpus index by moments and
/// shot starts"). As in `run`, static graphics are left out of every picture first (``ignoresStaticGraphics``) and the
/// other pictures are verified only between near scenes (``verifiedNeighbours``).
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
    /// A pair whose keyframes are no copy is verified again on the scenes' other moments, as `run` does
    /// (``ClusterOptions/verifiesMoments``); scenes indexed before these were stored (migration v4) have none.
    public var moments: Bool
    /// A pair no copy on its keyframes or moments is verified on its shots' first frames, as `run` does
    /// (``ClusterOptions/verifiesShotStarts``); and pairs of scenes that both have one are candidates up to
    /// ``shotStartRadius``, verified on these alone.
    public var shotStarts: Bool
    /// With ``shotStarts``: cosine distance up to which two scenes that both have a shot start are candidates, beyond
    /// ``radius`` verified on their shot starts alone (``ClusterOptions/shotStartRadius``, 0.6: `run`'s).
    public var shotStartRadius: Double
    /// Before verifying, leave out of every picture of a video (keyframes, other moments, shot starts) the keypoints of
    /// its static graphics, as `run` does (``ClusterOptions/ignoreStaticGraphics``, ``StaticGraphics``): each video's
    /// pictures against the keyframes of that video's own scenes, two scenes farther apart than ``radius`` counting as
    /// different content. A logo or a score bug that stays on screen is then no evidence that two shots are copies.
    public var ignoresStaticGraphics: Bool
    /// With ``moments`` or ``shotStarts``: a pair is verified on these only when one of its scenes has the other among its
    /// this many nearest candidates (by cosine distance, among the pairs verification could link), as `run` bounds its
    /// verifications (``ClusterOptions/verifiedNeighbours``, 12); the other candidates up to the link radius are verified
    /// on their keyframes alone, and far pairs (beyond the link radius, on shot starts alone) are not verified. In
    /// `run` a wrong link joins two scenes of one video; in an index of many copies of one film, single linkage makes
    /// one wrong link of the extra pictures join two whole groups of copies.
    public var verifiedNeighbours: Int
    /// A pair whose verification does not decide, with a plain keyframe (fewer keypoints than a decisive verdict needs),
    /// links by the threshold only when their keyframe lumas are laid out alike, as `run` keeps such pairs apart
    /// (``ClusterOptions/plainLayoutChange``, ``plainPicturesDiffer(_:_:match:limit:mirror:)``); nil: by the threshold alone.
    /// Scenes indexed before migration v5 have no luma and link by the threshold.
    public var plainLayoutChange: Double?

    public init(enabled: Bool = true, radius: Double = 0.45, mirror: Bool = true, alignedEdits: Bool = true,
                moments: Bool = true, shotStarts: Bool = true, shotStartRadius: Double = ClusterOptions().shotStartRadius,
                ignoresStaticGraphics: Bool = ClusterOptions().ignoreStaticGraphics, verifiedNeighbours: Int = ClusterOptions().verifiedNeighbours,
                plainLayoutChange: Double? = ClusterOptions().plainLayoutChange) {
        self.enabled = enabled
        self.radius = radius
        self.mirror = mirror
        self.alignedEdits = alignedEdits
        self.moments = moments
        self.shotStarts = shotStarts
        self.shotStartRadius = shotStartRadius
        self.ignoresStaticGraphics = ignoresStaticGraphics
        self.verifiedNeighbours = verifiedNeighbours
        self.plainLayoutChange = plainLayoutChange
    }

    /// Geometric verification of every candidate up to cosine distance 0.45, as `run` verifies: keyframes, other moments,
    /// shot starts (``moments``, ``shotStarts``). On the dev set's 54-clip index that joins 4 more copies inside tune clips
    /// (29/33 → 33/33, shot pairs F1 0.649 → 0.681) and scored once on the sealed part F1 0.949 against 0.946 on keyframes
    /// alone (BENCHMARKS.md, "Other moments across a morph"). They were opt-in while they joined two different Tears of
    /// Steel shots across the film's copies (sealed F1 0.876), through an other moment taken across a morph cut as a hard
    /// cut, which a scene no longer takes (``SceneMoments``).
    public static let standard = CopyVerification()
    /// No verification: scenes closer than the threshold link.
    public static let off = CopyVerification(enabled: false)

    /// How the index records it with its clusters (a change re-clusters every scene), the verdict's thresholds
    /// (``GeometricVerifier/Rule/standard``) included: links made under other thresholds are made again.
    public var description: String {
        guard enabled else { return "off" }
        let rule = GeometricVerifier.Rule.standard
        return "geometric radius \(radius)\(mirror ? "" : " no-mirror")\(alignedEdits ? " aligned-edits" : "")\(moments ? " moments" : "")"
            + (shotStarts ? " shot-starts \(shotStartRadius)" : "") + (ignoresStaticGraphics ? " static-graphics" : "")
            + (moments || shotStarts ? " neighbours \(verifiedNeighbours)" : "")
            + " verdict \(rule.minimumInliers) \(rule.minimumInlierRatio) \(rule.minimumCoverage) \(rule.minimumSpan) \(rule.minimumCellCoverage)"
            + " motion \(GeometricVerifier.minimumMotionInliers)"
            + (rule.maximumChangedShare.map { " one-patch \($0) \(rule.maximumUnreachedCells)" } ?? "")
            + (plainLayoutChange.map { " plain-layout \($0)" } ?? "")
    }

    /// Whether a candidate pair `distance` apart (cosine) is verified on its shot starts alone: both scenes have one,
    /// and it lies beyond the link radius (`linkRadius`: the larger of ``radius`` and the threshold), up to
    /// ``shotStartRadius``.
    func isFarShotStartPair(_ distance: Double, linkRadius: Double, bothHaveShotStarts: Bool) -> Bool {
        shotStarts && bothHaveShotStarts && distance > linkRadius && distance <= shotStartRadius
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

/// Each scene's other pictures in the index, for verification as `run` makes it (``CopyVerification/moments``,
/// ``CopyVerification/shotStarts``), added by migration v4: table `scene_moment` (a scene's row id and the moment's
/// number → ``LocalFeatures/encoded`` of ``Scene/momentFeatures``, as `run` holds them: at most one a scene today, up to
/// 18.3 KB at 250 keypoints (36.5 KB at 500 in indexes added before 2bf71a0); none for a still or sparsely sampled scene) and two columns of `scene_features`:
/// `shot_start` (``Scene/shotStartFeatures``, thinned to 250 keypoints: up to 18.3 KB) and `shot_start_is_keyframe`
/// (the shot's first frame is the keyframe's picture: its features stand for it, nothing more stored). Up to ~55 KB more
/// a scene beside its keyframe's 20–37 KB. Scenes indexed before v4 have neither and are verified on their keyframes.
extension CorpusIndex {
    /// Registers the migration that adds the other moments and the shot starts.
    static func registerPictureMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration(knownMigrations[3]) { db in
            try db.execute(sql: """
                ALTER TABLE scene_features ADD COLUMN shot_start BLOB;
                ALTER TABLE scene_features ADD COLUMN shot_start_is_keyframe INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE scene_moment (
                    scene INTEGER NOT NULL REFERENCES scene(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    features BLOB NOT NULL,
                    PRIMARY KEY (scene, number)
                );
                """)
        }
    }

    /// Stores a scene's other moments and shot start (nothing without keyframe features), inside the transaction that
    /// stores the scene, after ``storeFeatures(_:scene:db:)``.
    static func storePictures(of indexed: IndexedScene, scene: Int64, db: Database) throws {
        guard indexed.features != nil else { return }
        if indexed.shotStartIsKeyframe || indexed.shotStart != nil {
            try db.execute(sql: "UPDATE scene_features SET shot_start = ?, shot_start_is_keyframe = ? WHERE scene = ?",
                           arguments: [indexed.shotStartIsKeyframe ? nil : indexed.shotStart.map { Data($0.encoded) }, indexed.shotStartIsKeyframe, scene])
        }
        for (number, moment) in indexed.moments.enumerated() {
            try db.execute(sql: "INSERT INTO scene_moment (scene, number, features) VALUES (?, ?, ?)", arguments: [scene, number, Data(moment.encoded)])
        }
        if let luma = indexed.keyframeLuma, let encoded = StoredLuma.encode(luma) {
            try db.execute(sql: "UPDATE scene_features SET keyframe_luma = ? WHERE scene = ?", arguments: [encoded, scene])
        }
    }

    /// What verification compares of the scene with row id `scene`: its keyframe's features, with its other moments
    /// and shot start when `moments` and `shotStarts`; nil when it has no keyframe features or they cannot be read. A
    /// moment or shot start that cannot be read is left out.
    static func storedPictures(scene: Int64, moments: Bool, shotStarts: Bool, db: Database) throws -> CopyPictures? {
        guard let keyframe = try storedFeatures(scene: scene, db: db) else { return nil }
        var pictures = CopyPictures(keyframe: keyframe)
        // An index opened read-only is not migrated: one made before v4 has no such table, before v5 no such column.
        guard try db.tableExists("scene_moment") else { return pictures }
        if try db.columns(in: "scene_features").contains(where: { $0.name == "keyframe_luma" }),
           let data = try Data.fetchOne(db, sql: "SELECT keyframe_luma FROM scene_features WHERE scene = ?", arguments: [scene]) {
            pictures.keyframeLuma = StoredLuma.decode(data)
        }
        if moments {
            pictures.moments = try Data.fetchAll(db, sql: "SELECT features FROM scene_moment WHERE scene = ? ORDER BY number", arguments: [scene])
                .compactMap { try? LocalFeatures(encoded: [UInt8]($0)) }
        }
        if shotStarts, let row = try Row.fetchOne(db, sql: "SELECT shot_start, shot_start_is_keyframe FROM scene_features WHERE scene = ?", arguments: [scene]) {
            pictures.shotStartIsKeyframe = row["shot_start_is_keyframe"]
            let data: Data? = row["shot_start"]
            pictures.shotStart = pictures.shotStartIsKeyframe ? keyframe : data.flatMap { try? LocalFeatures(encoded: [UInt8]($0)) }
        }
        return pictures
    }

    /// What verification compares of the scene with row id `scene` (``SceneRow/id``): its keyframe's features, other
    /// moments and shot start (``CopyPictures``); nil when it has no keyframe features.
    public func pictures(ofScene scene: Int64) throws(IndexError) -> CopyPictures? {
        try read { db in try Self.storedPictures(scene: scene, moments: true, shotStarts: true, db: db) }
    }
}

/// Each scene's keyframe luma at the SSIM scale (``IndexedScene/keyframeLuma``, 32 pixels on its shorter side: ~1.8 KB at
/// 16:9), added by migration v5 as the column `keyframe_luma` of `scene_features`: a keyframe match in one small patch (a
/// fixed camera on a plain wall, where only one object has keypoints) is then decided by the rest of the pictures, as in
/// `run` (``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``), so `index dedupe` and `run` decide such pairs alike.
/// Scenes indexed before v5 have none and are verified on their local features alone, as before.
extension CorpusIndex {
    /// Registers the migration that adds the keyframe lumas.
    static func registerLumaMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration(knownMigrations[4]) { db in
            try db.execute(sql: "ALTER TABLE scene_features ADD COLUMN keyframe_luma BLOB")
        }
    }
}

/// A luma picture as the index stores it: width and height (2 bytes each, little-endian), then the pixels row by row.
enum StoredLuma {
    static func encode(_ luma: LumaImage) -> Data? {
        guard luma.width > 0, luma.height > 0, luma.width <= 0xFFFF, luma.height <= 0xFFFF, luma.pixels.count == luma.width * luma.height else { return nil }
        var data = Data(capacity: 4 + luma.pixels.count)
        for v in [luma.width, luma.height] { data.append(UInt8(v & 0xFF)); data.append(UInt8(v >> 8)) }
        data.append(contentsOf: luma.pixels)
        return data
    }

    /// Nil when `data` is no stored luma (too short, or its size disagrees with its pixels).
    static func decode(_ data: Data) -> LumaImage? {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { return nil }
        let width = Int(bytes[0]) | Int(bytes[1]) << 8, height = Int(bytes[2]) | Int(bytes[3]) << 8
        guard width > 0, height > 0, bytes.count == 4 + width * height else { return nil }
        return LumaImage(width: width, height: height, pixels: Array(bytes[4...]))
    }
}

extension CorpusIndex {
    /// What verification compares of each scene of the video with row id `video` (its scenes' row ids, in order, and
    /// ``storedPictures(scene:moments:shotStarts:db:)`` of each), the keypoints of its static graphics left out when
    /// `staticGraphicsBeyond` is given, as `run` leaves them out of its input's pictures (``StaticGraphics``: each
    /// picture against the keyframes of the video's scenes; two scenes whose embeddings, read at `precision` when the
    /// row does not say, are farther apart than `staticGraphicsBeyond` in cosine distance show different content).
    static func videoPictures(video: Int64, moments: Bool, shotStarts: Bool, staticGraphicsBeyond: Double?,
                              precision: EmbeddingPrecision, db: Database) throws -> [(scene: Int64, pictures: CopyPictures?)] {
        let rows = try Row.fetchAll(db, sql: "SELECT id, embedding, precision FROM scene WHERE video = ? ORDER BY number", arguments: [video])
        var scenes: [(scene: Int64, pictures: CopyPictures?)] = []
        for row in rows {
            let id: Int64 = row["id"]
            scenes.append((id, try storedPictures(scene: id, moments: moments, shotStarts: shotStarts, db: db)))
        }
        guard let beyond = staticGraphicsBeyond else { return scenes }
        let vectors = rows.map { row in normalised((EmbeddingPrecision(rawValue: row["precision"]) ?? precision).decode(row["embedding"]) ?? []) }
        let different = { (i: Int, j: Int) in
            let a = vectors[i], b = vectors[j]
            guard a.count == b.count else { return true }
            var dot: Float = 0
            for k in a.indices { dot += a[k] * b[k] }
            return Double(1 - dot) > beyond
        }
        let stripped = CopyPictures.removingStaticGraphics(scenes.map(\.pictures), differentContent: different)
        for i in scenes.indices { scenes[i].pictures = stripped[i] }
        return scenes
    }
}

/// Reads scenes' pictures for `dedupe` as pairs are verified, a video at a time (static graphics are found over the
/// whole video), keeping the most recent videos' (at least one video, else at most `capacity` scenes, up to about
/// 92 KB each: keyframe, one other moment, shot start): the pairs of one scene come together, so few are read twice.
struct FeatureCache {
    let capacity: Int
    let moments: Bool
    let shotStarts: Bool
    /// Static graphics are left out (``CopyVerification/ignoresStaticGraphics``): two scenes farther apart than this show
    /// different content. Nil: the pictures as stored.
    let staticGraphicsBeyond: Double?
    let precision: EmbeddingPrecision
    private var stored: [Int64: CopyPictures?] = [:]
    /// The cached videos, oldest first, with their scenes.
    private var videos: [(video: Int64, scenes: [Int64])] = []

    init(capacity: Int = 1024, moments: Bool, shotStarts: Bool, staticGraphicsBeyond: Double?, precision: EmbeddingPrecision) {
        self.capacity = capacity
        self.moments = moments
        self.shotStarts = shotStarts
        self.staticGraphicsBeyond = staticGraphicsBeyond
        self.precision = precision
    }

    /// The pictures of the scene with row id `scene` of the video with row id `video`.
    mutating func pictures(_ scene: Int64, video: Int64, db: Database) throws -> CopyPictures? {
        if let known = stored[scene] { return known }
        let read = try CorpusIndex.videoPictures(video: video, moments: moments, shotStarts: shotStarts,
                                                 staticGraphicsBeyond: staticGraphicsBeyond, precision: precision, db: db)
        while !videos.isEmpty, stored.count + read.count > capacity {
            for s in videos.removeFirst().scenes { stored[s] = nil }
        }
        videos.append((video, read.map(\.scene)))
        for (s, p) in read { stored[s] = p }
        return stored[scene] ?? nil
    }
}

import Foundation
import FrameDedupe
import GRDB
import Pixels
import Similarity

/// One scene as the corpus index keeps it.
public struct IndexedScene: Sendable, Equatable {
    /// The scene's id in its video (`scenes.json`'s `id`).
    public var number: Int
    /// Seconds from the stream's start.
    public var start: Double
    public var end: Double
    public var keyframeTime: Double
    /// The keyframe image, relative to the index's keyframe folder (``CorpusIndex/keyframeRoot``).
    public var keyframePath: String?
    /// The scene's mean embedding, unit length (as read back: rounded to the index's precision).
    public var embedding: [Float]
    /// The 64-bit pHash of the keyframe image.
    public var perceptualHash: UInt64?
    /// The keyframe's local features, for the geometric verification of `dedupe` (stored in `scene_features`; not read back here).
    public var features: LocalFeatures? = nil
    /// The local features of the scene's other moments (``Scene/momentFeatures``), verified when the keyframes are no
    /// copy (stored with ``features`` only, in `scene_moment`; not read back here).
    public var moments: [LocalFeatures] = []
    /// The local features of the first frame of the scene's shot (``Scene/shotStartFeatures``), when a hard cut opened it
    /// and it is not the keyframe's picture (stored with ``features`` only; not read back here).
    public var shotStart: LocalFeatures? = nil
    /// The shot's first frame is the keyframe's picture (``Scene/shotStartIsKeyframe``): ``features`` stand for it.
    public var shotStartIsKeyframe = false
    /// The keyframe's luma at the SSIM scale (``CopyPictures/keyframeLuma``), which decides a keyframe match in one patch
    /// as `run` does (``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``; stored with ``features`` only; not read back here).
    public var keyframeLuma: LumaImage? = nil
}

/// One video file as the index knows it.
public struct IndexedVideo: Sendable, Equatable {
    /// Row id in the index (0 before it is stored).
    public var id: Int64 = 0
    /// The path as given when it was added, made absolute.
    public var path: String
    public var size: Int64
    /// SHA-256 of the file's bytes (64 hex digits): the same bytes under another name are the same video.
    public var sha256: String
    public var duration: Double?
    /// The container's metadata tags (title, comment, …), for `--group-by meta:KEY`.
    public var tags: [String: String]
    /// Its folder under the keyframe root (scenes.json, keyframes/), relative to the root.
    public var folder: String
    public var scenes: [IndexedScene]
}

/// Why the index could not be used.
public struct IndexError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    /// True when the file is not an index this framededupe may use (another application's, an empty or text file, a
    /// newer schema): it was left as it was.
    public var refused = false
    /// True when another process is writing the index now (its lock, ``CorpusIndex/lockFile``).
    public var inUse = false
    public var description: String { "\(path): \(reason)" }
}

/// Test hooks of ``CorpusIndex``, given when it is opened; none by default.
@_spi(Testing) public struct CorpusIndexHooks: Sendable {
    /// Called inside each video's transaction of ``CorpusIndex/add(_:)``, once half its scenes are written (for the
    /// crash test, which kills the process there).
    public var insideAddTransaction: (@Sendable () -> Void)?

    public init(insideAddTransaction: (@Sendable () -> Void)? = nil) { self.insideAddTransaction = insideAddTransaction }
}

/// A persistent index of the scenes of many videos: SQLite through GRDB, in WAL mode (readers never wait for the
/// writer), the schema versioned by GRDB migrations.
///
/// Each video is written in one transaction: a process killed while adding a video leaves the index as it was before
/// that video. Keyframe images live beside the database, in `<index>.keyframes/<first 16 hex digits of the file's
/// SHA-256>/` (the per-video results folder: `scenes.json`, `keyframes/`).
///
/// Tables: `video` (path, size, sha256, duration, tags), `scene` (video, number, span, keyframe, embedding blob, pHash,
/// cluster), `cluster` (group key, centroid, radius, size: what incremental deduplication compares new scenes with
/// first), `setting` (the threshold and grouping the clusters were made with, the embedding precision) and
/// `approximate_index` (the inverted-file index of all scenes that `search` uses beyond ``approximateAbove`` scenes:
/// centroids and tuning; each scene's list is in `scene.list`), `scene_features` (each scene's keyframe local features,
/// and its shot start's) and `scene_moment` (its other moments' local features): `SceneFeatures.swift`.
public final class CorpusIndex: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    let hooks: CorpusIndexHooks
    /// Held while the index is open for writing: one writer at a time (`<index>.lock`).
    private let lock: FolderLock?
    /// Opened with ``Access/read``: nothing is written (a search does not store the approximate index it builds).
    public let isReadOnly: Bool
    /// How new embeddings are stored (the index keeps the precision it was created with: see ``precision``).
    public let precision: EmbeddingPrecision

    /// `<index>.keyframes`, where each video's images are kept.
    public var keyframeRoot: URL { URL(fileURLWithPath: path + ".keyframes", isDirectory: true) }

    /// How a command opens the index.
    public enum Access: Sendable {
        /// Reads only (`search`, `stats`, `export`): the file is opened read-only and never migrated.
        case read
        /// Reads and writes an existing index (`dedupe`, `remove`).
        case write
        /// As `write`, and makes the index when the path names nothing (`add`).
        case create
    }

    /// `PRAGMA application_id` of a framededupe index ("FDDI"): what tells it from another application's SQLite file.
    static let applicationID: Int32 = 0x4644_4449

    /// Opens (creating when missing) the index at `path`.
    /// - Parameters:
    ///   - precision: the storage of embeddings for a new index; an existing index keeps its own.
    ///   - create: false refuses a missing index (for commands that only read).
    public convenience init(path: String, precision: EmbeddingPrecision = .half, create: Bool = true) throws(IndexError) {
        try self.init(path: path, precision: precision, access: create ? .create : .write, hooks: CorpusIndexHooks())
    }

    /// Opens the index at `path` for `access`.
    ///
    /// A file that is not a framededupe index (another application's SQLite database, an empty or a text file) or
    /// whose schema is newer than this framededupe's is refused (``IndexError/refused``) and left as it was: it is
    /// inspected read-only before anything writes to it.
    /// - Parameters:
    ///   - precision: the storage of embeddings for a new index; an existing index keeps its own.
    @_spi(Testing) public init(path: String, precision: EmbeddingPrecision = .half, access: Access, hooks: CorpusIndexHooks = CorpusIndexHooks()) throws(IndexError) {
        self.path = path
        self.hooks = hooks
        let exists = FileManager.default.fileExists(atPath: path)
        if access != .create && !exists { throw IndexError(path: path, reason: "no such index (make one with 'framededupe index add VIDEO… --index \(path)')") }
        if exists { try Self.checkIsIndex(path) }
        isReadOnly = access == .read
        if access == .read {
            lock = nil
        } else {
            do throws(OutputError) { lock = try FolderLock(URL(fileURLWithPath: path + ".lock"), guarding: path) } catch {
                throw IndexError(path: path, reason: error.reason, inUse: error.kind == .inUse)
            }
        }
        if !exists && FileManager.default.fileExists(atPath: path) { try Self.checkIsIndex(path) }  // made meanwhile
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(60)
        configuration.readonly = access == .read
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if access == .read {
                self.precision = try pool.read { db in
                    try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'precision'").flatMap(Int.init).flatMap(EmbeddingPrecision.init(rawValue:))
                } ?? precision
                return
            }
            var migrator = DatabaseMigrator()
            migrator.registerMigration(Self.knownMigrations[0]) { db in
                try db.execute(sql: """
                    CREATE TABLE video (
                        id INTEGER PRIMARY KEY,
                        path TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        sha256 TEXT NOT NULL UNIQUE,
                        duration REAL,
                        tags TEXT NOT NULL DEFAULT '{}',
                        folder TEXT NOT NULL,
                        added TEXT NOT NULL
                    );
                    CREATE TABLE cluster (
                        id INTEGER PRIMARY KEY,
                        group_key TEXT NOT NULL,
                        centroid BLOB NOT NULL,
                        radius REAL NOT NULL,
                        size INTEGER NOT NULL
                    );
                    CREATE TABLE scene (
                        id INTEGER PRIMARY KEY,
                        video INTEGER NOT NULL REFERENCES video(id) ON DELETE CASCADE,
                        number INTEGER NOT NULL,
                        start REAL NOT NULL,
                        "end" REAL NOT NULL,
                        keyframe_time REAL NOT NULL,
                        keyframe_path TEXT,
                        embedding BLOB NOT NULL,
                        precision INTEGER NOT NULL,
                        phash INTEGER,
                        cluster INTEGER REFERENCES cluster(id) ON DELETE SET NULL,
                        UNIQUE (video, number)
                    );
                    CREATE INDEX scene_cluster ON scene(cluster);
                    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
            }
            migrator.registerMigration(Self.knownMigrations[1]) { db in
                // The inverted-file index `search` uses beyond `approximateAbove` scenes (NearestSceneIndex.swift): its
                // centroids and tuning in one row, each scene's list beside the scene (NULL: added since it was built).
                try db.execute(sql: """
                    ALTER TABLE scene ADD COLUMN list INTEGER;
                    CREATE TABLE approximate_index (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        dimension INTEGER NOT NULL,
                        lists INTEGER NOT NULL,
                        probes INTEGER NOT NULL,
                        exhaustive INTEGER NOT NULL,
                        target_recall REAL,
                        measured_recall REAL,
                        sample_queries INTEGER,
                        tried TEXT NOT NULL DEFAULT '',
                        scenes INTEGER NOT NULL,
                        built TEXT NOT NULL,
                        centroids BLOB NOT NULL
                    );
                    """)
            }
            Self.registerFeatureMigration(&migrator)
            Self.registerPictureMigration(&migrator)
            Self.registerLumaMigration(&migrator)
            try migrator.migrate(pool)
            let stored = try pool.write { db -> Int? in
                try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
                if let value = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'precision'") { return Int(value) }
                try db.execute(sql: "INSERT INTO setting (key, value) VALUES ('precision', ?)", arguments: [String(precision.rawValue)])
                return nil
            }
            self.precision = stored.flatMap(EmbeddingPrecision.init(rawValue:)) ?? precision
        } catch let error as DatabaseError {
            throw IndexError(path: path, reason: error.message ?? "\(error)")
        } catch {
            throw IndexError(path: path, reason: "\(error)")
        }
    }

    /// The schema changes (GRDB migrations) this framededupe knows, in order.
    static let knownMigrations = ["v1: videos, scenes, clusters", "v2: the stored approximate index", "v3: local features of each scene's keyframe",
                                 "v4: local features of each scene's other moments and shot start",
                                 "v5: each scene's keyframe luma at the SSIM scale"]

    /// Refuses, without writing to it, a file that is not a framededupe index or that a newer framededupe made.
    static func checkIsIndex(_ path: String) throws(IndexError) {
        func refuse(_ why: String) -> IndexError {
            IndexError(path: path, reason: why + "; it was left as it was (give 'index add' a new path to make an index)", refused: true)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw IndexError(path: path, reason: "cannot be read (permission denied?)") }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if head.isEmpty { throw refuse("not a framededupe index (an empty file)") }
        guard head.elementsEqual(Array("SQLite format 3".utf8) + [0]) else { throw refuse("not a framededupe index (not an SQLite database)") }
        var configuration = Configuration()
        configuration.readonly = true
        let (application, migrations): (Int32, [String]?)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            (application, migrations) = try queue.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                 try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : nil)
            }
        } catch {
            throw refuse("not a framededupe index (\((error as? DatabaseError)?.message ?? "\(error)"))")
        }
        // Indexes made before the application id was set are known by their first migration.
        guard application == applicationID || (application == 0 && migrations?.contains(knownMigrations[0]) == true) else {
            throw refuse("not a framededupe index (an SQLite database of another application)")
        }
        if let unknown = migrations?.first(where: { !knownMigrations.contains($0) }) {
            throw refuse("made by a newer framededupe (schema change '\(unknown)' is unknown to this one): use that version")
        }
    }

    /// Runs `body` in a write transaction, mapping database errors to ``IndexError``.
    func write<T>(_ body: (Database) throws -> T) throws(IndexError) -> T {
        do { return try pool.write(body) } catch { throw failure(error) }
    }

    func read<T>(_ body: (Database) throws -> T) throws(IndexError) -> T {
        do { return try pool.read(body) } catch { throw failure(error) }
    }

    func failure(_ error: any Error) -> IndexError {
        if let e = error as? IndexError { return e }
        if let e = error as? DatabaseError { return IndexError(path: path, reason: e.message ?? "\(e)") }
        return IndexError(path: path, reason: "\(error)")
    }

    /// The video with this content, if indexed.
    public func video(sha256: String) throws(IndexError) -> IndexedVideo? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM video WHERE sha256 = ?", arguments: [sha256]).map(Self.video) }
    }

    /// Every video, in the order they were added.
    public func videos() throws(IndexError) -> [IndexedVideo] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM video ORDER BY id").map(Self.video) }
    }

    static func video(_ row: Row) -> IndexedVideo {
        let tagText: String = row["tags"]
        let tags = (try? JSONSerialization.jsonObject(with: Data(tagText.utf8))) as? [String: String] ?? [:]
        var v = IndexedVideo(path: row["path"], size: row["size"], sha256: row["sha256"], duration: row["duration"], tags: tags,
                             folder: row["folder"], scenes: [])
        v.id = row["id"]
        return v
    }

    /// What adding a video did.
    public enum AddOutcome: Sendable, Equatable {
        /// Stored with this many scenes; `replaced` names an earlier entry now gone: for the same path with other
        /// content, or for the same content indexed without local features (the same SHA-256 and keyframe folder).
        case added(scenes: Int, replaced: IndexedVideo?)
        /// The same content (SHA-256) was indexed already, under this path: nothing changed.
        case alreadyIndexed(IndexedVideo)
    }

    /// Stores a video and its scenes in one transaction. An entry with the same content is left alone (a no-op) —
    /// unless it was indexed before scenes kept their local features and `video` has them: then it is replaced,
    /// so that `dedupe` can verify its links (``AddOutcome/added(scenes:replaced:)`` names it, with the same
    /// SHA-256). An entry with the same path but other content (the file changed) is replaced in the same transaction.
    public func add(_ video: IndexedVideo) throws(IndexError) -> AddOutcome {
        let precision = precision
        let pause = hooks.insideAddTransaction
        return try write { db -> AddOutcome in
            var refreshed: IndexedVideo? = nil
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM video WHERE sha256 = ?", arguments: [video.sha256]).map(Self.video) {
                guard video.scenes.contains(where: { $0.features != nil }), try Self.lacksFeatures(video: existing.id, db: db) else {
                    return .alreadyIndexed(existing)
                }
                try Self.deleteVideo(existing.id, db: db)
                refreshed = existing
            }
            let old = try Row.fetchOne(db, sql: "SELECT * FROM video WHERE path = ?", arguments: [video.path]).map(Self.video) ?? refreshed
            if let old, old != refreshed { try Self.deleteVideo(old.id, db: db) }
            let tags = String(decoding: (try? JSONSerialization.data(withJSONObject: video.tags, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
            try db.execute(sql: "INSERT INTO video (path, size, sha256, duration, tags, folder, added) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [video.path, video.size, video.sha256, video.duration, tags, video.folder,
                                       ISO8601DateFormatter().string(from: Date())])
            let id = db.lastInsertedRowID
            let statement = try db.makeStatement(sql: """
                INSERT INTO scene (video, number, start, "end", keyframe_time, keyframe_path, embedding, precision, phash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (i, s) in video.scenes.enumerated() {
                if i == video.scenes.count / 2 { pause?() }
                try statement.execute(arguments: [id, s.number, s.start, s.end, s.keyframeTime, s.keyframePath, precision.encode(s.embedding),
                                                  precision.rawValue, s.perceptualHash.map { Int64(bitPattern: $0) }])
                let scene = db.lastInsertedRowID
                try Self.storeFeatures(s.features, scene: scene, db: db)
                try Self.storePictures(of: s, scene: scene, db: db)
            }
            if video.scenes.isEmpty { pause?() }
            return .added(scenes: video.scenes.count, replaced: old)
        }
    }

    /// Removes a video's scenes from their clusters (clusters left with fewer members are re-split on the next
    /// `dedupe`), then the video.
    static func deleteVideo(_ id: Int64, db: Database) throws {
        // Clusters that lose members may fall apart: mark them for re-clustering (their scenes lose the cluster).
        try db.execute(sql: """
            UPDATE scene SET cluster = NULL WHERE cluster IN (SELECT DISTINCT cluster FROM scene WHERE video = ? AND cluster IS NOT NULL)
            """, arguments: [id])
        try db.execute(sql: "DELETE FROM cluster WHERE id NOT IN (SELECT DISTINCT cluster FROM scene WHERE cluster IS NOT NULL)")
        try db.execute(sql: "DELETE FROM video WHERE id = ?", arguments: [id])
    }

    /// Removes the video at `path` (as added, or the same file by content); returns it, nil when it was not indexed.
    /// Its keyframe folder is deleted after the transaction commits.
    public func remove(path: String) throws(IndexError) -> IndexedVideo? {
        let absolute = Self.absolute(path)
        let sha = FileManager.default.fileExists(atPath: path) ? try? ContentIdentity.of(path).sha256 : nil
        let removed = try write { db -> IndexedVideo? in
            var row = try Row.fetchOne(db, sql: "SELECT * FROM video WHERE path = ?", arguments: [absolute])
            if row == nil, let sha { row = try Row.fetchOne(db, sql: "SELECT * FROM video WHERE sha256 = ?", arguments: [sha]) }
            guard let row else { return nil }
            let video = Self.video(row)
            try Self.deleteVideo(video.id, db: db)
            return video
        }
        if let removed { try? FileManager.default.removeItem(at: keyframeRoot.appendingPathComponent(removed.folder)) }
        return removed
    }

    /// `path` made absolute against the working directory (standardised: no `.` or `..`).
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Counts and sizes, for `index stats`.
    public struct Statistics: Sendable, Equatable {
        public var videos: Int
        public var scenes: Int
        public var clusters: Int
        /// Scenes not yet in a cluster (added since the last `dedupe`).
        public var unclustered: Int
        public var precision: EmbeddingPrecision
        /// The threshold and grouping of the clusters, when there are any.
        public var threshold: Double?
        public var groupBy: String?
        /// Bytes of the database file (and its WAL).
        public var databaseBytes: Int64
        public var embeddingBytes: Int64
        public var seconds: Double
        /// The stored approximate index, when there is one.
        public var approximateIndex: StoredApproximateIndex?
    }

    public func statistics() throws(IndexError) -> Statistics {
        let (videos, scenes, clusters, unclustered, bytes, seconds, threshold, groupBy) = try read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM video") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scene") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cluster") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scene WHERE cluster IS NULL") ?? 0,
             try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(embedding)), 0) FROM scene") ?? 0,
             try Double.fetchOne(db, sql: "SELECT COALESCE(SUM(\"end\" - start), 0) FROM scene") ?? 0,
             try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'threshold'").flatMap(Double.init),
             try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'group_by'"))
        }
        var fileBytes: Int64 = 0
        for suffix in ["", "-wal"] {
            if let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber { fileBytes += size.int64Value }
        }
        return Statistics(videos: videos, scenes: scenes, clusters: clusters, unclustered: unclustered, precision: precision,
                          threshold: clusters > 0 ? threshold : nil, groupBy: clusters > 0 ? groupBy.flatMap { $0.isEmpty ? nil : $0 } : nil,
                          databaseBytes: fileBytes, embeddingBytes: bytes, seconds: seconds, approximateIndex: try storedApproximateIndex())
    }

    /// One stored scene with its video, as listed by ``scenes()``.
    public struct SceneRow: Sendable {
        public let id: Int64
        public let video: IndexedVideo
        public let scene: IndexedScene
        public let cluster: Int64?
    }

    /// Every scene, by video (in the order added) then by number; embeddings decoded and re-normalised.
    public func scenes() throws(IndexError) -> [SceneRow] {
        let precision = precision
        return try read { db in
            var videos: [Int64: IndexedVideo] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM video") { let v = Self.video(row); videos[v.id] = v }
            return try Row.fetchAll(db, sql: "SELECT * FROM scene ORDER BY video, number").map { row in
                SceneRow(id: row["id"], video: videos[row["video"]]!, scene: Self.scene(row, precision: precision), cluster: row["cluster"])
            }
        }
    }

    static func scene(_ row: Row, precision: EmbeddingPrecision) -> IndexedScene {
        let stored = EmbeddingPrecision(rawValue: row["precision"]) ?? precision
        let data: Data = row["embedding"]
        let hash: Int64? = row["phash"]
        return IndexedScene(number: row["number"], start: row["start"], end: row["end"], keyframeTime: row["keyframe_time"],
                            keyframePath: row["keyframe_path"], embedding: normalised(stored.decode(data) ?? []),
                            perceptualHash: hash.map { UInt64(bitPattern: $0) })
    }

    /// Checks the database file (`PRAGMA integrity_check`): "ok", or SQLite's list of problems.
    public func integrityCheck() throws(IndexError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

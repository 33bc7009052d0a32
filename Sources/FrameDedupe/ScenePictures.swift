import Foundation
import Similarity

/// The pictures of a run's scenes that geometric verification compares (``CopyPictures``: each scene's keyframe, other
/// moments and shot start, as local features), given one scene at a time.
///
/// At the end of a run the scenes come back from disk without their local features (``SceneList/scenes``): these are
/// most of a scene's memory (some 36 KB for the keyframe at 500 keypoints, up to 18 KB for each other moment and
/// for the shot start; ~380 MB at the 2,952 scenes of a two-hour input), and only the scenes in a verified pair, or a
/// `--keep diverse` cluster, need them, one or two at a time. This reads them back when asked for, each time (callers
/// keep what they reuse: ``clusterScenes(_:pictures:options:)`` holds a bounded cache). What each scene has is known
/// without reading anything (``hasPictures(_:)``, ``keyframeSize(_:)``, ``hasShotStart(_:)``).
///
/// Made from scenes that carry their features (``init(scenes:)``, as tests and library users build them) it reads
/// them from the scenes themselves.
public final class ScenePictures: @unchecked Sendable {
    /// What a scene with pictures has, known without reading them.
    struct Outline: Sendable, Equatable {
        /// The picture size of its keyframe's features (``LocalFeatures/width``, ``LocalFeatures/height``).
        var width: Int
        var height: Int
        /// It has a shot start picture (its own, or the keyframe's: ``Scene/shotStartIsKeyframe``).
        var hasShotStart: Bool

        init(_ keyframe: LocalFeatures, hasShotStart: Bool) {
            width = keyframe.width
            height = keyframe.height
            self.hasShotStart = hasShotStart
        }
    }

    /// By scene id; scenes without pictures are absent.
    private let outlines: [Int: Outline]
    private let read: (Int) throws(OutputError) -> CopyPictures?
    /// The scenes with a 3×3 feature grid (``Scene/grid``), and where it is read from.
    private let gridScenes: Set<Int>
    private let readGrid: (Int) throws(OutputError) -> FeatureGrid?
    private let lock = NSLock()
    private var firstError: OutputError?

    /// Pictures read by `read` (by scene id: nil when the scene has none), for the scenes `outlines` names; grids read
    /// by `readGrid`, for the scenes `grids` names.
    init(outlines: [Int: Outline], read: @escaping (Int) throws(OutputError) -> CopyPictures?, grids: Set<Int> = [],
         readGrid: @escaping (Int) throws(OutputError) -> FeatureGrid? = { _ in nil }) {
        self.outlines = outlines
        self.read = read
        gridScenes = grids
        self.readGrid = readGrid
    }

    /// The pictures and grids of `scenes` as they carry them (``Scene/features``, ``Scene/momentFeatures``,
    /// ``Scene/shotStartFeatures``, ``Scene/grid``).
    public convenience init(scenes: [Scene]) {
        var pictures: [Int: CopyPictures] = [:]
        var grids: [Int: FeatureGrid] = [:]
        for s in scenes {
            pictures[s.id] = Self.carried(by: s)
            grids[s.id] = s.grid
        }
        self.init(outlines: pictures.mapValues { Outline($0.keyframe, hasShotStart: $0.shotStart != nil) }, read: { id in pictures[id] },
                  grids: Set(grids.keys), readGrid: { id in grids[id] })
    }

    /// The pictures a scene carries: nil without keyframe features; the shot start is the keyframe's features when it is the
    /// keyframe's picture (``Scene/shotStartIsKeyframe``).
    static func carried(by s: Scene) -> CopyPictures? {
        s.features.map { keyframe in
            CopyPictures(keyframe: keyframe, moments: s.momentFeatures, shotStart: s.shotStartIsKeyframe ? keyframe : s.shotStartFeatures,
                         shotStartIsKeyframe: s.shotStartIsKeyframe)
        }
    }

    /// Whether scene `id` has pictures (its keyframe's local features).
    public func hasPictures(_ id: Int) -> Bool { outlines[id] != nil }

    /// The picture size of scene `id`'s keyframe features; nil without features.
    public func keyframeSize(_ id: Int) -> (width: Int, height: Int)? { outlines[id].map { ($0.width, $0.height) } }

    /// Whether scene `id` has a shot start picture (``CopyPictures/shotStart``).
    public func hasShotStart(_ id: Int) -> Bool { outlines[id]?.hasShotStart ?? false }

    /// Scene `id`'s pictures, all of them (every other moment, the shot start); nil when it has none.
    /// - Throws: ``OutputError`` when they cannot be read back (a failing disk).
    public func pictures(of id: Int) throws(OutputError) -> CopyPictures? {
        guard outlines[id] != nil else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return try read(id)
    }

    /// As ``pictures(of:)``, nil when they cannot be read back, the first such failure kept in ``readError``: for
    /// clustering, which goes on and leaves the failure to its caller.
    public func picturesIfReadable(of id: Int) -> CopyPictures? { ifReadable { () throws(OutputError) in try pictures(of: id) } }

    /// What `read` gives, nil when it fails, the first failure kept in ``readError``.
    private func ifReadable<Value>(_ read: () throws(OutputError) -> Value?) -> Value? {
        do throws(OutputError) { return try read() } catch {
            lock.withLock { if firstError == nil { firstError = error } }
            return nil
        }
    }

    /// Whether scene `id` has a 3×3 feature grid (``Scene/grid``).
    public func hasGrid(_ id: Int) -> Bool { gridScenes.contains(id) }

    /// Scene `id`'s 3×3 feature grid (``Scene/grid``): a run's scenes carry none at the end either (11.5 KB a scene, 34 MB
    /// at 2,952 scenes), and clustering needs them only once its verifications are done (``clusterScenes(_:pictures:options:)``).
    /// Nil when it has none.
    /// - Throws: ``OutputError`` when it cannot be read back (a failing disk).
    public func grid(of id: Int) throws(OutputError) -> FeatureGrid? {
        guard gridScenes.contains(id) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return try readGrid(id)
    }

    /// As ``grid(of:)``, nil when it cannot be read back, the first such failure kept in ``readError``.
    func gridIfReadable(of id: Int) -> FeatureGrid? { ifReadable { () throws(OutputError) in try grid(of: id) } }

    /// The first failure of ``picturesIfReadable(of:)`` or of a grid read for clustering, if any: results made with it
    /// are wrong (a run fails with it).
    public var readError: OutputError? { lock.withLock { firstError } }
}

extension SceneList {
    /// Scene `id`'s pictures (its keyframe's, other moments' and shot start's local features), read back when asked for:
    /// ``scenes`` carry none (see ``ScenePictures``). Nil when it has none, or for results read back from a folder.
    /// - Throws: ``OutputError`` when they cannot be read back (a failing disk).
    public func pictures(of id: Int) throws(OutputError) -> CopyPictures? { try scenePictures?.pictures(of: id) }
}

/// A bounded cache of pictures by scene, the least recently used dropped first: what geometric verification keeps of the
/// scenes it read (``clusterScenes(_:pictures:options:)``).
struct PictureCache {
    /// Bytes of pictures held at most (the last one asked for is held whatever its size).
    let capacity: Int
    private var entries: [Int: (pictures: CopyPictures, bytes: Int, used: Int)] = [:]
    private var clock = 0
    /// Bytes held now.
    private(set) var bytes = 0

    init(capacity: Int) { self.capacity = capacity }

    /// The pictures of `key`, made by `make` unless held; nil when `make` gives none (not held).
    mutating func pictures(_ key: Int, make: () -> CopyPictures?) -> CopyPictures? {
        if let hit = held(key) { return hit }
        guard let made = make() else { return nil }
        insert(made, for: key)
        return made
    }

    /// The pictures held for `key`, now the most recently used; nil when not held.
    mutating func held(_ key: Int) -> CopyPictures? {
        guard let hit = entries[key] else { return nil }
        clock += 1
        entries[key]!.used = clock
        return hit.pictures
    }

    /// Holds `pictures` for `key` (not held yet), dropping the least recently used until they fit.
    mutating func insert(_ pictures: CopyPictures, for key: Int) {
        clock += 1
        let size = Self.bytes(of: pictures)
        while bytes + size > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            bytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
        entries[key] = (pictures, size, clock)
        bytes += size
    }

    /// About the memory of `p`: 73 bytes a keypoint (``LocalFeatures``), a shot start that is the keyframe counted once.
    static func bytes(of p: CopyPictures) -> Int {
        73 * (p.keyframe.count + p.moments.reduce(0) { $0 + $1.count } + (p.shotStartIsKeyframe ? 0 : p.shotStart?.count ?? 0))
    }
}

extension SceneList {
    /// Its scenes with their local features and grids put back (``pictures(of:)``, ``ScenePictures/grid(of:)``), as they
    /// closed: for tests that look at them.
    func scenesWithLocalFeatures() throws(OutputError) -> [Scene] {
        var scenes = self.scenes
        for i in scenes.indices {
            if let grid = try scenePictures?.grid(of: scenes[i].id) { scenes[i].grid = grid }
            guard let p = try pictures(of: scenes[i].id) else { continue }
            scenes[i].features = p.keyframe
            scenes[i].momentFeatures = p.moments
            scenes[i].shotStartFeatures = p.shotStartIsKeyframe ? nil : p.shotStart
        }
        return scenes
    }
}

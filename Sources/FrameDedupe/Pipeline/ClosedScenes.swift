import Foundation
import Pixels
import Similarity

/// The scenes a run has closed, while its input is still being read: in memory only what is small (span,
/// keyframe, flags); their bulky parts — the mean embedding (5 KB), the 3×3 feature grid (11.5 KB), the keyframe's
/// luma and local features (20–37 KB), the `--keep diverse` keyframe vector — and the report's thumbnail (~5 KB) go
/// to an unlinked temporary file as each scene closes. They come back only for clustering and the report, after the
/// decoder, the frame queue and the frames held for keyframes are gone, so what grows with the input's length
/// (about 55 KB a scene, some 50 MB at two hours of 720p) is not held during decoding and the peak of memory does not
/// grow with the input; and they come back without their local features (``withoutLocalFeatures()``), which are read
/// again one scene at a time for the pairs verified (``ScenePictures``).
///
/// The file is made in `folder` (the output's staging folder: the disk the results go to, not a RAM-backed
/// `/tmp`) and unlinked at once, so it disappears with the process whatever happens. Spilling is a saving, never
/// a failure: when the file cannot be made or written (a full disk), the scenes stay in memory as before.
///
/// A run with a checkpoint logs every closed scene anyway (``SceneCheckpoint``): there a scene waits in memory until
/// its record is logged (``logged(_:)``, one scene later) and is then read back from the log instead of being written
/// a second time, here. When its record leaves out the keyframe state a resume can compute again (the keyframe's
/// luma, local features and thumbnail, ``KeyframeState``: the checkpoint's writes would otherwise pass half the
/// images'), that state is held here in memory instead (``heldBytes``, bounded by the checkpoint).
@_spi(Testing) public final class ClosedScenes {
    /// The closed scenes in order, without their bulky parts when the file holds them.
    public private(set) var light: [Scene] = []
    /// Where each scene's bulky parts are in the file (nil: kept in memory, in `light` itself, or in the log).
    private var places: [Place?] = []
    /// Where scenes are logged whole (the checkpoint), and which of them are (by position in `light`).
    public var log: LoggedScenes? {
        didSet { file = log == nil ? folder.flatMap { SpillFile(in: $0) } : nil }
    }
    private var inLog: Set<Int> = []
    private struct Place {
        let offset: Int64
        let size: Int
        /// The thumbnail's bytes follow the scene's record; -1: no thumbnail.
        let thumbnailSize: Int
    }
    /// Thumbnails not spilled (no file, or a write failed), by scene id.
    private var thumbnailsInMemory: [Int: [UInt8]] = [:]
    private var file: SpillFile?
    private let folder: URL?
    /// The keyframe state of logged scenes whose records leave it out, by scene id.
    private var held: [Int: KeyframeState] = [:]
    /// Bytes of ``held``.
    public private(set) var heldBytes = 0

    /// - Parameter folder: where to make the temporary file; nil keeps everything in memory.
    public init(spillingIn folder: URL?) {
        self.folder = folder
        file = folder.flatMap { SpillFile(in: $0) }
    }

    public var count: Int { light.count }

    /// Keeps a closed scene (whole: its embedding, grid and lumas) and its report thumbnail.
    public func append(_ scene: Scene, thumbnail: [UInt8]?) {
        if log != nil {  // kept whole until logged
            light.append(scene)
            places.append(nil)
            if let thumbnail { thumbnailsInMemory[scene.id] = thumbnail }
            return
        }
        if let file, scene.embedding != nil || scene.grid != nil || scene.keyframeLuma != nil || scene.features != nil || thumbnail != nil {
            let record = (try? BinaryCoding.encode(scene)) ?? []
            let offset = file.end
            if !record.isEmpty, file.append(record), thumbnail.map({ file.append($0) }) ?? true {
                var stripped = scene
                stripped.embedding = nil
                stripped.grid = nil
                stripped.keyframeLuma = nil
                stripped.keyframeVector = nil
                stripped.features = nil
                stripped.momentFeatures = []
                stripped.shotStartFeatures = nil
                light.append(stripped)
                places.append(Place(offset: offset, size: record.count, thumbnailSize: thumbnail?.count ?? -1))
                return
            }
            self.file = nil  // cannot write (a full disk): what is spilled already stays readable through `places`
            spillFailed = file
        }
        light.append(scene)
        places.append(nil)
        if let thumbnail { thumbnailsInMemory[scene.id] = thumbnail }
    }

    /// Scene `id` is logged whole: its bulky parts and thumbnail leave memory, to be read back from the log.
    public func logged(_ id: Int) { logged(id, holding: nil) }

    /// Scene `id` is logged: its bulky parts and thumbnail leave memory, to be read back from the log, except
    /// `state` (nil: the log holds it too), which its record leaves out and which stays here.
    func logged(_ id: Int, holding state: KeyframeState?) {
        if let state { hold(state, scene: id) }
        guard log != nil, let i = light.lastIndex(where: { $0.id == id }) else { return }
        light[i].embedding = nil
        light[i].grid = nil
        light[i].keyframeLuma = nil
        light[i].keyframeVector = nil
        light[i].features = nil
        light[i].momentFeatures = []
        light[i].shotStartFeatures = nil
        thumbnailsInMemory[id] = nil
        inLog.insert(i)
    }

    /// Keeps the keyframe state of logged scene `id`, which its record leaves out (a resumed run computed it again).
    func hold(_ state: KeyframeState, scene id: Int) {
        heldBytes += state.bytes - (held[id]?.bytes ?? 0)
        held[id] = state
    }

    /// The file a failed write left: still read for the scenes spilled before.
    private var spillFailed: SpillFile?

    /// Every closed scene whole, read back from the file (written by this process a moment ago: only a failing
    /// disk makes that fail).
    public func whole() throws(OutputError) -> [Scene] {
        var scenes = light
        for i in scenes.indices {
            let s = try stored(i)
            scenes[i] = s.scene
            if let state = s.state {
                scenes[i].keyframeLuma = state.luma
                scenes[i].features = state.features
                scenes[i].momentFeatures = state.moments
                scenes[i].shotStartFeatures = state.shotStart
            }
        }
        return scenes
    }

    /// Every closed scene without its local features (``Scene/features``, ``Scene/momentFeatures``,
    /// ``Scene/shotStartFeatures``) and its 3×3 grid (``Scene/grid``; the rest read back as ``whole()`` does), and where
    /// these are read back from when asked for, one scene at a time: the local features are most of a scene's memory
    /// (~130 KB at 500 keypoints, 380 MB at the 2,952 scenes of a two-hour input), and only the scenes in a verified
    /// pair need them at the end; the grids (11.5 KB a scene, 34 MB there) are needed only once the verifications are
    /// done and their cache is gone (``checkPairs(_:pictures:distances:options:cacheBytes:)``).
    ///
    /// The pictures stay readable as long as they are held, through this object (the file, the log, the state held).
    public func withoutLocalFeatures() throws(OutputError) -> (scenes: [Scene], pictures: ScenePictures) {
        var scenes = light
        var outlines: [Int: ScenePictures.Outline] = [:]
        var grids = Set<Int>()
        for i in scenes.indices {
            var (scene, state) = try stored(i)
            if let state { scene.keyframeLuma = state.luma }
            if let grid = scene.grid {
                grids.insert(scene.id)
                if places[i] == nil, !inLog.contains(i) { gridsInMemory[scene.id] = grid }  // nowhere else
                scene.grid = nil
            }
            let features = state?.features ?? scene.features
            let shotStart = state != nil ? state!.shotStart : scene.shotStartFeatures
            if let features {
                outlines[scene.id] = ScenePictures.Outline(features, hasShotStart: scene.shotStartIsKeyframe || shotStart != nil)
                if places[i] == nil, !inLog.contains(i) { inMemory[scene.id] = ScenePictures.carried(by: scene) }  // nowhere else
            }
            scene.features = nil
            scene.momentFeatures = []
            scene.shotStartFeatures = nil
            scenes[i] = scene
            if places[i] == nil, !inLog.contains(i) { light[i] = scene }
        }
        return (scenes, ScenePictures(outlines: outlines, read: { [self] (id: Int) throws(OutputError) -> CopyPictures? in try pictures(of: id) },
                                      grids: grids, readGrid: { [self] (id: Int) throws(OutputError) -> FeatureGrid? in try grid(of: id) }))
    }

    /// The pictures of scenes kept in memory (neither spilled nor logged), by id, once their scenes are light.
    private var inMemory: [Int: CopyPictures] = [:]
    /// The grids of scenes kept in memory, by id, once their scenes are light.
    private var gridsInMemory: [Int: FeatureGrid] = [:]

    /// Scene `id`'s position in ``light`` (its id, unless scenes were dropped); nil when it is not there.
    private func position(of id: Int) -> Int? {
        id >= 0 && id < light.count && light[id].id == id ? id : light.firstIndex { $0.id == id }
    }

    /// Scene `id`'s grid (``ScenePictures/grid(of:)``), read back from where it is.
    private func grid(of id: Int) throws(OutputError) -> FeatureGrid? {
        if let g = gridsInMemory[id] { return g }
        guard let i = position(of: id) else { return nil }
        return try stored(i).scene.grid
    }

    /// Scene `id`'s pictures (``ScenePictures/pictures(of:)``), read back from where they are.
    private func pictures(of id: Int) throws(OutputError) -> CopyPictures? {
        if let p = inMemory[id] { return p }
        guard let i = position(of: id) else { return nil }
        var (scene, state) = try stored(i)
        if let state {
            scene.features = state.features
            scene.momentFeatures = state.moments
            scene.shotStartFeatures = state.shotStart
        }
        return ScenePictures.carried(by: scene)
    }

    /// Scene `i` (a position in ``light``) as stored: whole from the file or the log, else as held in ``light``; and the
    /// keyframe state its logged record leaves out, when held.
    private func stored(_ i: Int) throws(OutputError) -> (scene: Scene, state: KeyframeState?) {
        if inLog.contains(i) {
            guard let logged = log?.loggedScene(light[i].id) else {
                throw OutputError(path: folder?.path ?? "", reason: "cannot read a closed scene back from the checkpoint")
            }
            return (logged.scene, held[light[i].id])
        }
        guard let place = places[i] else { return (light[i], nil) }
        guard let bytes = (file ?? spillFailed)?.read(at: place.offset, count: place.size) else {
            throw OutputError(path: folder?.path ?? "", reason: "cannot read back a temporary file (\(String(cString: strerror(errno))))")
        }
        guard let scene = try? BinaryCoding.decode(Scene.self, from: bytes), scene.id == light[i].id else {
            throw OutputError(path: folder?.path ?? "", reason: "a temporary file changed under the run")
        }
        return (scene, nil)
    }

    /// The report thumbnail of scene `id` (read from the file when spilled).
    public func thumbnail(_ id: Int) -> [UInt8]? {
        if let t = thumbnailsInMemory[id] { return t }
        if let state = held[id] { return state.thumbnail }
        let i = id >= 0 && id < light.count && light[id].id == id ? id : light.firstIndex { $0.id == id }
        if let i, inLog.contains(i) { return log?.loggedScene(id)?.thumbnail }
        guard let i, let place = places[i], place.thumbnailSize >= 0 else { return nil }
        return (file ?? spillFailed)?.read(at: place.offset + Int64(place.size), count: place.thumbnailSize)
    }
}

/// What a closed scene's keyframe and its other moments give it: its luma at the SSIM scale (``Scene/keyframeLuma``),
/// its local features (``Scene/features``), its report thumbnail, some 37 KB at 500 keypoints, and its other moments'
/// local features (``Scene/momentFeatures``, up to 18 KB each at 250 keypoints) and its shot start's (``Scene/shotStartFeatures``), exactly
/// what a resumed run computes again from the same decoded frames.
struct KeyframeState {
    var luma: LumaImage?
    var features: LocalFeatures?
    var thumbnail: [UInt8]?
    var moments: [LocalFeatures] = []
    var shotStart: LocalFeatures?

    /// This state of a scene whole and its thumbnail.
    init(of scene: Scene, thumbnail: [UInt8]?) {
        luma = scene.keyframeLuma
        features = scene.features
        self.thumbnail = thumbnail
        moments = scene.momentFeatures
        shotStart = scene.shotStartFeatures
    }

    init(luma: LumaImage?, features: LocalFeatures?, thumbnail: [UInt8]?, moments: [LocalFeatures] = [], shotStart: LocalFeatures? = nil) {
        self.luma = luma
        self.features = features
        self.thumbnail = thumbnail
        self.moments = moments
        self.shotStart = shotStart
    }

    /// About the memory it takes: its pixels, its keypoints (73 bytes each, ``LocalFeatures``) and its thumbnail.
    var bytes: Int {
        (luma?.pixels.count ?? 0) + 73 * ((features?.count ?? 0) + moments.reduce(0) { $0 + $1.count } + (shotStart?.count ?? 0))
            + (thumbnail?.count ?? 0)
    }
}

/// Where closed scenes are logged whole (the checkpoint's log).
@_spi(Testing) public protocol LoggedScenes: AnyObject {
    /// Scene `id` whole and its report thumbnail; nil when it is not logged or cannot be read.
    func loggedScene(_ id: Int) -> (scene: Scene, thumbnail: [UInt8]?)?
}

/// An unlinked temporary file, appended to and read back at offsets; closed in `deinit`.
final class SpillFile {
    private let fd: Int32
    private(set) var end: Int64 = 0

    /// Nil when no file can be made in `folder`.
    init?(in folder: URL) {
        var template = Array(folder.appendingPathComponent(".framededupe-spill-XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends `bytes`; false when they could not all be written.
    func append(_ bytes: [UInt8]) -> Bool {
        let ok = bytes.withUnsafeBytes { p in
            Self.whole(p.count) { done in pwrite(fd, p.baseAddress! + done, p.count - done, off_t(end) + off_t(done)) }
        }
        if ok { end += Int64(bytes.count) }
        return ok
    }

    /// `count` bytes at `offset`; nil when they cannot be read.
    func read(at offset: Int64, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes { p in
            Self.whole(p.count) { done in pread(fd, p.baseAddress! + done, p.count - done, off_t(offset) + off_t(done)) }
        }
        return ok ? bytes : nil
    }

    /// Repeats `transfer` (given the bytes done so far, returns how many more it moved) until `count` bytes are
    /// done; false on an error or the end of the file.
    private static func whole(_ count: Int, _ transfer: (Int) -> Int) -> Bool {
        var done = 0
        while done < count {
            let n = transfer(done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}

import Decoder
import Foundation
import Pixels
import Similarity

/// Everything that decides what one run produces.
public struct DedupeOptions: Sendable {
    public var reader = ReaderOptions()
    /// Which signals score frames.
    public var scorer: ScorerKind = .both
    /// The scene-cut thresholds.
    public var rule = SceneBoundaryRule()
    /// No cut within this many seconds of a scene's start: shorter scenes are absorbed into the one before.
    public var minimumSceneLength: Double = 0
    /// Shorter side in pixels of the luma SSIM compares (area-downscaled from the analysis luma).
    /// Coarse on purpose: at 2 fps, pans and zooms move fine detail far more than a cut moves the composition.
    public var ssimShortSide: Int = 32
    /// The embedding network's weights; nil looks in the default place (see ``EfficientNetVariant/defaultModelLocation(environment:)``).
    public var model: URL? = nil
    public var modelVariant: EfficientNetVariant = .lite0
    /// How frames are shown to the network.
    public var networkInput: NetworkInput = .whole
    /// Frames embedded together (larger batches make the network's matrix products more efficient).
    public var batchSize: Int = 8
    /// Threads for the network (the decoder has its own threads): a batch is split between them by frame
    /// (``EfficientNetLite/threads``); a single frame, and the clustering's matrix products, use this many
    /// OpenBLAS threads.
    public var linearAlgebraThreads: Int = 1
    /// Image format of exported keyframes.
    public var imageFormat: StillImageFormat = .jpg
    /// Longest side of exported images in pixels; nil keeps the video's size.
    public var maxSide: Int? = nil
    /// JPEG quality as FFmpeg's -q:v (2 best … 31 worst).
    public var jpegQuality: Int = 3
    /// How scenes are grouped by content.
    public var clustering = ClusterOptions()
    /// Which images go to `unique/`.
    public var keep: KeepPolicy = .cluster
    /// Also write the merge tree as `dendrogram.json` and `dendrogram.svg`.
    public var dendrogram: Bool = false
    /// With `--keep diverse`: the content distance (cosine, or 1 − SSIM without embeddings) beyond which a frame is new.
    public var diversity: Double = 0.15
    /// Go on from the checkpoint an earlier run of the same input and options left in the output folder
    /// (`--resume`, see ``Checkpoint``) instead of starting afresh.
    public var resume: Bool = false
    /// Also write `report.html` (``ReportWriter``) into the output folder.
    public var report: Bool = true

    public init() {}
}

/// Which images go to `unique/`.
public enum KeepPolicy: String, Sendable, CaseIterable {
    /// One per cluster: its exemplar.
    case cluster
    /// One per scene: its keyframe (transition scenes excepted).
    case scene
    /// Per cluster, its exemplar and every frame farther than ``DedupeOptions/diversity`` from all frames
    /// already kept in the cluster (candidates: each scene's keyframe and up to 16 frames spread over it).
    case diverse
}

/// A frame kept for `--keep diverse` beyond its scene's keyframe, written while its scene closed.
struct DiverseFrame {
    let scene: Int
    let keyframe: Keyframe
    let vector: [Float]?
    let luma: LumaImage
}

/// Where a run is, for a progress display.
public struct RunProgress: Sendable {
    /// Seconds of input analysed so far.
    public let position: Double
    /// The input's stated duration, when known.
    public let duration: Double?
    public let sampledFrames: Int
    public let scenes: Int
}

/// A request to stop runs early (SIGINT, SIGTERM), safe to make from any thread: each run stops reading its
/// input, finishes the frames already decoded, and writes valid results marked incomplete.
public final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?

    public init() {}

    /// Records the request and the signal that made it; false when one had been made already.
    @discardableResult
    public func request(signal: Int32) -> Bool {
        lock.withLock {
            guard received == nil else { return false }
            received = signal
            return true
        }
    }

    /// The signal of the first request, nil while none was made.
    public var signal: Int32? { lock.withLock { received } }
    public var isRequested: Bool { signal != nil }
}

/// The scenes found in one input, with every sampled frame's scores, and their content clusters.
public struct SceneList: Sendable {
    public let video: VideoInfo
    public let options: DedupeOptions
    public let frames: [FrameRecord]
    public let scenes: [Scene]
    public let clusters: SceneClusters
    public let counts: DecodeCounts
    public let warnings: [String]
    /// The end of the analysed span in seconds from the stream's start.
    public let end: Double
    /// The images `unique/` holds (or would hold, when nothing is written), ordered by name.
    public let uniqueImages: [UniqueImage]
    /// False when the run was interrupted: the results cover the input up to ``end`` only.
    public let complete: Bool
}

/// One image of `unique/`: a cluster's exemplar, a scene's keyframe (`--keep scene`) or a further frame
/// of a cluster (`--keep diverse`).
public struct UniqueImage: Sendable, Equatable {
    /// Its name in `unique/`: `cluster-0003_t000012.500.jpg` or `scene-0007_t000012.500.jpg`.
    public let name: String
    /// The scene it comes from.
    public let scene: Int
    /// The scene's content cluster (nil only for a transition scene's keyframe, which is never chosen).
    public let cluster: Int?
    /// The frame; its `path` is where the image was written first (`keyframes/…`), relative to the output folder.
    public let keyframe: Keyframe
    /// True for a cluster's exemplar (a `cluster-…` name; with `--keep scene` every image stands for its scene).
    public let isExemplar: Bool
    /// `unique/<name>`, relative to the output folder, when written.
    public internal(set) var path: String?
}

/// Why a run failed, sorted by who can fix it.
public enum RunError: Error, CustomStringConvertible, Sendable {
    case input(String, DecoderError)
    case model(EmbeddingModelError)
    case output(OutputError)
    case encoding(String, LibavError)

    public var description: String {
        switch self {
        case .input(let name, let e): "\(name): \(e)"
        case .model(let e): e.description
        case .output(let e): e.description
        case .encoding(let name, let e): "\(name): cannot encode image: \(e)"
        }
    }
}

/// Loads the embedding network named by the options (or from its default place).
public func loadNetwork(_ options: DedupeOptions) throws(RunError) -> EfficientNetLite {
    let url = options.model ?? options.modelVariant.defaultModelLocation()
    do {
        let network = try EfficientNetLite(contentsOf: url, variant: options.modelVariant)
        network.threads = options.linearAlgebraThreads
        setLinearAlgebraThreads(options.linearAlgebraThreads)
        return network
    } catch let error as EmbeddingModelError {
        throw .model(error)
    } catch {
        throw .model(.incompatible(path: url.path, reason: "\(error)"))
    }
}

/// Frames of one input, decoded on their own thread, embedded in batches, handed out in time order.
final class ScoredFrames {
    let source: FrameSource
    let network: EfficientNetLite?
    let batchSize: Int
    private var ready: [AnalyzedFrame] = []
    private var readyIndex = 0
    private var ended = false
    /// Position (0, 1, 2… among the frames handed out) of the first frame of `ready`: batches start at multiples
    /// of the batch size, so a resumed run embeds exactly the batches an uninterrupted one does.
    private var batchStart = 0
    /// A run that checkpoints: whole batches are logged, and batches it logged before are not embedded again.
    var checkpoint: Checkpoint?
    /// Frames before this position are not needed (a resumed run restored them): they are not embedded.
    var neededFrom = 0

    init(reader: VideoReader, options: DedupeOptions, network: EfficientNetLite?) {
        self.network = network
        batchSize = max(1, options.batchSize)
        source = FrameSource(
            reader: reader, ssimShortSide: options.ssimShortSide, networkSize: network?.inputSize,
            networkInput: options.networkInput, capacity: max(4, 2 * batchSize))
    }

    func next() throws(DecoderError) -> AnalyzedFrame? {
        if readyIndex == ready.count {
            guard !ended else { return nil }
            batchStart += ready.count
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            while ready.count < batchSize, let frame = try source.next() { ready.append(frame) }
            if ready.count < batchSize { ended = true }
            if let network, !ready.isEmpty, batchStart + ready.count > neededFrom {
                if ready.count == batchSize, let stored = checkpoint?.embeddings(batchAt: batchStart) {
                    for i in ready.indices { ready[i].embedding = stored[i] }
                } else {
                    let embeddings = network.embed(ready.map { $0.networkInput! })
                    for i in ready.indices { ready[i].embedding = embeddings[i] }
                    if checkpointError == nil {
                        do { try checkpoint?.logEmbeddings(first: batchStart, embeddings) } catch { checkpointError = error }
                    }
                }
            }
            if ready.isEmpty { return nil }
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }

    /// The position of the frame ``next()`` returned last.
    var position: Int { batchStart + readyIndex - 1 }
    /// Set when the checkpoint could not be written.
    private(set) var checkpointError: OutputError?
}

/// Finds the scenes of one input and writes them, with a keyframe image each, to `output`.
///
/// Frames stream through: decoding runs on its own thread ahead of the scorers by at most two
/// batches, and only the open scene's reference and previous frames are held, so memory does not
/// grow with the input's length. Images are written as scenes close; the closed scenes' embeddings,
/// grids, lumas and report thumbnails wait on disk (``ClosedScenes``) and come back for clustering only
/// after the decoder and every picture are released (the per-frame records, ~0.25 KB each, stay in memory).
/// `report.html` and `scenes.json` are written in pieces, never held whole.
///
/// - Parameters:
///   - input: a path, a URL, or "-" for standard input.
///   - output: the folder for results; nil analyses without writing anything.
///   - network: a loaded network to reuse across inputs; nil loads one when the scorer needs it.
///   - stats: a CSV file for every frame's scores and decision (``SceneListWriter/statsHeader``), written as frames are scored.
///   - progress: called after each sampled frame.
///   - interruption: when requested, the input stops being read; the frames already decoded are finished
///     and the results (scenes so far, their clusters, images) written as usual, marked incomplete.
///   - sceneClosed: called with each scene as soon as it is final (its frames, span, keyframe and image
///     path no longer change; its cluster is known only at the end), while the input is still being read.
///     The image itself appears in the output folder when the run finishes. An error thrown here stops the run.
/// - Returns: the scene list, as also written to `scenes.json`.
public func findScenes(
    input: String, options: DedupeOptions, output: URL?, network: EfficientNetLite? = nil,
    stats: URL? = nil, progress: ((RunProgress) -> Void)? = nil, interruption: Interruption? = nil,
    sceneClosed: ((Scene) throws(OutputError) -> Void)? = nil
) throws(RunError) -> SceneList {
    var network = network
    if options.scorer.usesEmbedding, network == nil { network = try loadNetwork(options) }
    if !options.scorer.usesEmbedding { network = nil }
    var reader: VideoReader?
    do { reader = try VideoReader(input: input, options: options.reader) } catch { throw .input(input, error) }
    let duration = reader!.info.duration
    let folder: OutputFolder?
    let keyframeFolder: URL?
    do {
        folder = try output.map { (url: URL) throws(OutputError) in try OutputFolder(url) }
        keyframeFolder = try folder?.stagedFolder("keyframes")
    } catch { throw .output(error) }
    // A checkpoint next to the results, for a local file analysed into a folder (not for what is written as frames come: --stats).
    var checkpoint: Checkpoint? = nil
    if let output, folder != nil {
        if input == "-" || input.contains("://") || stats != nil {
            if options.resume {
                checkpointNote(input, input == "-" ? "standard input cannot be resumed (a pipe cannot be read again); analysed from the start"
                               : input.contains("://") ? "a URL cannot be resumed; analysed from the start" : "--stats runs cannot be resumed; analysed from the start")
            }
            Checkpoint.remove(in: output)
        } else {
            do {
                checkpoint = try Checkpoint(output: output, input: input, options: options, resume: options.resume, note: { checkpointNote(input, $0) })
            } catch { throw .output(error) }
        }
    }
    // Removed when the run fails or its results are complete; kept for --resume after an interruption.
    var keepCheckpoint = false
    defer {
        if !keepCheckpoint { checkpoint?.remove() }
        withExtendedLifetime(folder) {}  // the checkpoint goes first, so that a folder this run created can go too
    }
    let encoder = StillImageEncoder(format: options.imageFormat, jpegQuality: options.jpegQuality)
    let thumbnailEncoder = StillImageEncoder(format: .jpg, jpegQuality: 6)
    let statsFile: AtomicFile?
    do {
        statsFile = try stats.map { (url: URL) throws(OutputError) in try AtomicFile(url: url) }
        try statsFile?.write(SceneListWriter.statsHeader + "\n")
    } catch { throw .output(error) }

    var segmenter = SceneSegmenter(scorer: SimilarityScorer(kind: options.scorer), rule: options.rule)
    if options.keep == .diverse { segmenter.diversity = options.diversity }
    segmenter.minimumSceneLength = options.minimumSceneLength
    var frames: [FrameRecord] = []
    // The closed scenes, their embeddings, grids, lumas and thumbnails spilled to disk until the input is read.
    let closedScenes = ClosedScenes(spillingIn: folder?.staging ?? URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true))
    var diverse: [DiverseFrame] = []
    let candidateFolder: URL?
    do { candidateFolder = options.keep == .diverse ? try folder?.stagedFolder("candidates") : nil } catch { throw .output(error) }

    /// Writes a closed scene's images and keeps it; returns it whole with its thumbnail, for the checkpoint.
    @discardableResult
    func close(_ scene: Scene, keyframe: AnalyzedFrame) throws(RunError) -> (scene: Scene, thumbnail: [UInt8]?) {
        var scene = scene
        var thumbnail: [UInt8]? = nil
        if let keyframeFolder = checkpoint?.keyframes ?? keyframeFolder {
            let name = keyframeName(scene: scene.id, seconds: scene.keyframe.seconds, format: options.imageFormat)
            let bytes: [UInt8]
            do { bytes = try encoder.encode(keyframe.sample.picture, maxSide: options.maxSide) } catch { throw .encoding(input, error) }
            do {
                try writeImage(bytes, to: keyframeFolder.appendingPathComponent(name))
            } catch {
                throw .output(OutputError(path: output!.appendingPathComponent("keyframes/\(name)").path, reason: OutputFolder.reason(error)))
            }
            scene.keyframe.path = "keyframes/\(name)"
            if options.report { thumbnail = try? thumbnailEncoder.encode(keyframe.sample.picture, maxSide: ReportWriter.thumbnailSide) }
        }
        closedScenes.append(scene, thumbnail: thumbnail)
        do { try sceneClosed?(scene) } catch { throw .output(error) }
        for extra in segmenter.diverseFrames {
            let s = extra.sample
            var keyframe = Keyframe(frameIndex: s.index, timestamp: s.timestamp, seconds: s.seconds, path: nil,
                                    centrality: 0, sharpness: extra.quality.sharpness, exposure: extra.quality.exposure)
            if let candidateFolder = candidateFolder.map({ checkpoint?.candidates ?? $0 }) {
                let name = keyframeName(scene: scene.id, seconds: s.seconds, format: options.imageFormat)
                do {
                    let bytes = try encoder.encode(s.picture, maxSide: options.maxSide)
                    try writeImage(bytes, to: candidateFolder.appendingPathComponent(name))
                } catch let error as LibavError {
                    throw .encoding(input, error)
                } catch {
                    throw .output(OutputError(path: output!.appendingPathComponent("unique").path, reason: OutputFolder.reason(error)))
                }
                keyframe.path = "candidates/\(name)"
            }
            diverse.append(DiverseFrame(scene: scene.id, keyframe: keyframe, vector: extra.embedding?.vector, luma: extra.comparisonLuma))
        }
        return (scene, thumbnail)
    }

    /// Images under the checkpoint are written to a temporary name and renamed: a name there always holds a whole image.
    func writeImage(_ bytes: [UInt8], to url: URL) throws {
        if let checkpoint { try checkpoint.writeImage(bytes, to: url) } else { try Data(bytes).write(to: url) }
    }

    // What an earlier run left: its closed scenes, their frames and images.
    var restart = checkpoint?.restored.restart
    if let restored = checkpoint?.takeRestored(), restart != nil {
        frames = restored.frames
        diverse = restored.diverse
        for scene in restored.scenes {
            closedScenes.append(scene, thumbnail: restored.thumbnails[scene.id])
            do { try sceneClosed?(scene) } catch { throw .output(error) }
        }
    }
    var loggedFrames = frames.count, loggedDiverse = diverse.count

    /// Records a step of the segmenter; returns the scene it closed, whole, with its thumbnail.
    @discardableResult
    func record(_ step: SceneSegmenter<SimilarityScorer>.Step) throws(RunError) -> (scene: Scene, thumbnail: [UInt8]?)? {
        var closed: (scene: Scene, thumbnail: [UInt8]?)? = nil
        if let step = step.closed {
            closed = try close(step.scene, keyframe: step.keyframe)
            // A short scene found to be the middle of a gradual transition: its frames are transition frames.
            for i in segmenter.reclassifiedFrames where i < frames.count { frames[i].transition = true }
        }
        frames.append(step.record)
        do { try statsFile?.write(SceneListWriter.statsRow(step.record) + "\n") } catch { throw .output(error) }
        return closed
    }

    var interrupted = false
    let video: VideoInfo, counts: DecodeCounts, readerWarnings: [String], end: Double
    do {
        // Everything that decodes and holds pictures lives in this block only: the reader (libav's contexts and the
        // container's index), the frame queue, the segmenter's candidate frames go before the results are made.
        let stream = ScoredFrames(reader: reader!, options: options, network: network)
        reader = nil
        stream.checkpoint = checkpoint
        if let restart { stream.neededFrom = restart.position - 1 }
        var frameBeforeRestart: AnalyzedFrame? = nil
        var lastSeconds: Double? = nil
        while true {
            if !interrupted, interruption?.isRequested == true {
                interrupted = true
                stream.source.stopReading()  // frames already decoded are still handed out, then the stream ends
            }
            let frame: AnalyzedFrame?
            do { frame = try stream.next() } catch { throw .input(input, error) }
            if let error = stream.checkpointError { throw .output(error) }
            guard let frame else { break }
            lastSeconds = frame.sample.seconds
            if let r = restart {
                // Resuming: the frames of the scenes closed before are decoded again, not scored; the segmenter
                // goes on from the frame that opened the scene still open.
                if stream.position == r.position - 1 { frameBeforeRestart = frame }
                if stream.position == r.position, let before = frameBeforeRestart {
                    segmenter.resume(first: frame, before: before, transition: r.transition, sceneID: r.sceneID)
                    restart = nil
                    frameBeforeRestart = nil
                }
            } else if let step = segmenter.add(frame) {
                let closed = try record(step)
                if let closed, let checkpoint {
                    do {
                        try checkpoint.logScene(SceneCheckpoint(
                            position: stream.position - 1, transition: step.record.transition, records: Array(frames[loggedFrames...]),
                            reclassified: segmenter.reclassifiedFrames, scene: closed.scene, diverse: Array(diverse[loggedDiverse...]),
                            thumbnail: closed.thumbnail))
                    } catch { throw .output(error) }
                    loggedFrames = frames.count
                    loggedDiverse = diverse.count
                }
            }
            progress?(RunProgress(position: frame.sample.seconds, duration: duration, sampledFrames: frames.count, scenes: closedScenes.count + 1))
        }
        if restart != nil {
            // The input ended (or the run was interrupted) before the frame the checkpoint goes on from.
            guard interrupted else {
                throw .output(OutputError(path: checkpoint!.folder.path, reason: "does not match the input (it ends before the checkpoint's last scene); run again without --resume"))
            }
            frames.removeAll { $0.scene >= closedScenes.count }
        }
        let finished = stream.source.finishedReader
        var endOfAnalysis = finished.endOfLastFrame ?? 0
        if interrupted, let lastSeconds {
            // The decoder may have gone past the last frame handed out (frames dropped when reading stopped).
            let frameInterval = finished.info.averageFrameRate.map { 1 / $0.doubleValue } ?? 0
            endOfAnalysis = min(endOfAnalysis, lastSeconds + frameInterval)
        }
        (video, counts, readerWarnings, end) = (finished.info, finished.counts, finished.warnings, endOfAnalysis)
        let (last, lastScene) = segmenter.finish(end: end)
        if let last { try record(last) }
        if let lastScene { try close(lastScene.scene, keyframe: lastScene.keyframe) }
    }
    // The pictures and libav's buffers were freed above; hand the pages back to the system before the closed
    // scenes come back from disk, so the end's peak (clustering, the results) stays under the decoding's.
    releaseFreedMemory()
    let scenes: [Scene]
    do { scenes = try closedScenes.whole() } catch { throw .output(error) }

    do { try statsFile?.finish() } catch { throw .output(error) }
    var clusters = clusterScenes(scenes, options: options.clustering)
    var unique = chooseUniqueImages(clusters, scenes: scenes, keep: options.keep, diversity: options.diversity, diverse: diverse,
                                    fileExtension: options.imageFormat.fileExtension)
    if let folder {
        do {
            try checkpoint?.stageImages(scenes.compactMap(\.keyframe.path) + diverse.compactMap(\.keyframe.path), in: folder)
            try writeUniqueImages(&unique, clusters: &clusters, folder: folder)
            if candidateFolder != nil { try? FileManager.default.removeItem(at: folder.staging.appendingPathComponent("candidates")) }
            try writeClusterFolders(clusters, scenes: scenes, folder: folder)
        } catch { throw .output(error) }
    }
    var warnings = readerWarnings
    if interrupted { warnings.append(String(format: "interrupted: analysed up to %.3f s", end)) }
    let list = SceneList(video: video, options: options, frames: frames, scenes: scenes, clusters: clusters,
                         counts: counts, warnings: warnings, end: end, uniqueImages: unique, complete: !interrupted)
    if let folder {
        do {
            try folder.write(to: "scenes.json") { (emit: (String) throws(OutputError) -> Void) throws(OutputError) in try SceneListWriter.writeJSON(list, emit) }
            try folder.write(SceneListWriter.csv(list), to: "scenes.csv")
            try folder.write(ClusterListWriter.json(list), to: "clusters.json")
            try folder.write(ClusterListWriter.csv(list), to: "clusters.csv")
            if options.dendrogram, let tree = clusters.tree {
                let labels = clusters.leaves.map { id in "s\(id) " + formatNumber(scenes[id].start, decimals: 1) + "s" }
                let clusterOfLeaf = clusters.leaves.map { clusters.clusterOfScene[$0] ?? 0 }
                try folder.write(Dendrogram.json(tree: tree, leafLabels: labels, leafSceneIDs: clusters.leaves,
                                                 threshold: options.clustering.threshold, clusterOfLeaf: clusterOfLeaf), to: "dendrogram.json")
                try folder.write(Dendrogram.svg(tree: tree, leafLabels: labels, threshold: options.clustering.threshold,
                                                clusterOfLeaf: clusterOfLeaf,
                                                title: "\(video.input): \(clusters.leaves.count) scenes, \(clusters.clusters.count) clusters, \(options.clustering.linkage.rawValue) linkage"),
                                 to: "dendrogram.svg")
            }
            if options.report {
                try folder.write(to: "report.html") { (emit: (String) throws(OutputError) -> Void) throws(OutputError) in
                    try ReportWriter.write(list, thumbnail: closedScenes.thumbnail, emit)
                }
            }
            if interrupted, let checkpoint {
                try checkpoint.sync()
                keepCheckpoint = true  // --resume goes on from it
            }
            try folder.commit(order: ["keyframes", "unique", "clusters", "dendrogram.svg", "report.html", "scenes.csv", "clusters.csv", "dendrogram.json", "scenes.json", "clusters.json"])
            TestKill.point("end")
        } catch { throw .output(error) }
    }
    return list
}

/// Returns the heap's free pages to the system (glibc keeps freed memory in its arenas: the decoding thread's
/// pictures would otherwise stay counted in the process's resident memory while the results are made).
func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallocTrim(0)
    #endif
}

#if canImport(Glibc)
/// glibc's `malloc_trim(3)` (in `<malloc.h>`, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// A line on stderr about a checkpoint (the input's name on one line).
private func checkpointNote(_ input: String, _ message: String) {
    let name = input.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
    FileHandle.standardError.write(Data("framededupe: \(name): \(message)\n".utf8))
}

/// `scene-0007_t000012.500.jpg`: scene number, then seconds from the start with millisecond precision.
func keyframeName(scene: Int, seconds: Double, format: StillImageFormat) -> String {
    String(format: "scene-%04d_t%010.3f.", scene, max(0, seconds)) + format.fileExtension
}

/// The images `unique/` gets, ordered by name (as `ls unique/` lists them): each cluster's exemplar, or every
/// non-transition scene's keyframe with `--keep scene`, or with `--keep diverse` per cluster the exemplar and
/// every further frame farther than `diversity` from all kept in it. Chosen whether or not images are written.
func chooseUniqueImages(
    _ clusters: SceneClusters, scenes: [Scene], keep: KeepPolicy, diversity: Double, diverse: [DiverseFrame], fileExtension ext: String
) -> [UniqueImage] {
    func name(_ prefix: String, _ id: Int, _ keyframe: Keyframe) -> String {
        prefix + String(format: "-%04d_t%010.3f.", id, max(0, keyframe.seconds)) + ext
    }
    var images: [UniqueImage] = []
    switch keep {
    case .cluster:
        for c in clusters.clusters {
            images.append(UniqueImage(name: name("cluster", c.id, c.exemplar.keyframe), scene: c.exemplar.scene, cluster: c.id,
                                      keyframe: c.exemplar.keyframe, isExemplar: true))
        }
    case .scene:
        for scene in scenes where !scene.transition {
            images.append(UniqueImage(name: name("scene", scene.id, scene.keyframe), scene: scene.id,
                                      cluster: clusters.clusterOfScene[scene.id], keyframe: scene.keyframe, isExemplar: false))
        }
    case .diverse:
        let ssim = StructuralSimilarity()
        for cluster in clusters.clusters {
            let exemplarScene = scenes[cluster.exemplar.scene]
            // The exemplar first, then every scene keyframe and diverse frame of the cluster in time order.
            var kept: [(vector: [Float]?, luma: LumaImage?)] = [(exemplarScene.keyframeVector, exemplarScene.keyframeLuma)]
            images.append(UniqueImage(name: name("cluster", cluster.id, cluster.exemplar.keyframe), scene: cluster.exemplar.scene,
                                      cluster: cluster.id, keyframe: cluster.exemplar.keyframe, isExemplar: true))
            var pool: [(scene: Int, keyframe: Keyframe, vector: [Float]?, luma: LumaImage?)] = []
            for id in cluster.scenes where id != cluster.exemplar.scene {
                pool.append((id, scenes[id].keyframe, scenes[id].keyframeVector, scenes[id].keyframeLuma))
            }
            for d in diverse where cluster.scenes.contains(d.scene) { pool.append((d.scene, d.keyframe, d.vector, d.luma)) }
            pool.sort { $0.keyframe.frameIndex < $1.keyframe.frameIndex }
            for p in pool where kept.allSatisfy({ contentDistance((p.vector, p.luma), $0, ssim: ssim) > diversity }) {
                kept.append((p.vector, p.luma))
                images.append(UniqueImage(name: name("cluster", cluster.id, p.keyframe), scene: p.scene, cluster: cluster.id,
                                          keyframe: p.keyframe, isExemplar: false))
            }
        }
    }
    return images.sorted { $0.name < $1.name }
}

/// `unique/`: hard links to (or copies of) the chosen images' keyframes; sets their paths and the exemplars' paths.
func writeUniqueImages(_ images: inout [UniqueImage], clusters: inout SceneClusters, folder: OutputFolder) throws(OutputError) {
    let unique = try folder.stagedFolder("unique")
    for i in images.indices {
        guard let path = images[i].keyframe.path else { continue }
        let name = images[i].name
        let source = folder.staging.appendingPathComponent(path), target = unique.appendingPathComponent(name)
        if link(source.path, target.path) != 0 {
            do { try FileManager.default.copyItem(at: source, to: target) } catch {
                throw OutputError(path: folder.url.appendingPathComponent("unique/\(name)").path, reason: OutputFolder.reason(error))
            }
        }
        images[i].path = "unique/\(name)"
        if images[i].isExemplar, let c = images[i].cluster, let k = clusters.clusters.firstIndex(where: { $0.id == c }) {
            clusters.clusters[k].exemplar.path = images[i].path
        }
    }
}

/// `clusters/cluster_with_N/cluster_K/`: relative symlinks to the keyframes of cluster K's scenes,
/// grouped by cluster size N (the layout imagecluster users know); singletons (``ClusterOptions/minimumSize``) left out.
func writeClusterFolders(_ clusters: SceneClusters, scenes: [Scene], folder: OutputFolder) throws(OutputError) {
    let root = try folder.stagedFolder("clusters")
    for cluster in clusters.clusters where !cluster.singleton {
        let dir = root.appendingPathComponent("cluster_with_\(cluster.scenes.count)/cluster_\(cluster.id)", isDirectory: true)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw OutputError(path: folder.url.appendingPathComponent("clusters").path, reason: OutputFolder.reason(error))
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

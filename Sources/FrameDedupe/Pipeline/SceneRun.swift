import Decoder
import Foundation
import Pixels
import Similarity

/// Finds the scenes of one input and writes them, with a keyframe image each, to `output`.
///
/// Frames stream through the stages (``sceneStages(_:carrying:)``): decoding runs on its own thread ahead of
/// the network by at most two batches, and the images of each JPEG picture larger than 720p are encoded on another
/// as soon as it is decoded (``FrameImages``), so the frames the network and the open scene's keyframe candidates hold
/// carry encoded images at export size, not large decoded pictures, and memory does not grow with the input's
/// length. Images are written as scenes close; the closed scenes' embeddings, grids, lumas and report thumbnails wait on disk (``ClosedScenes``)
/// and come back for clustering only after the decoder is released (the per-frame records, ~0.25 KB each, stay in
/// memory).
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
///   - note: called with each line the run has for the user besides its results (a checkpoint resumed or not).
///   - sceneClosed: called with each scene as soon as it is final (its frames, span, keyframe and image
///     path no longer change; its cluster is known only at the end), while the input is still being read.
///     The image itself appears in the output folder when the run finishes. An error thrown here stops the run.
/// - Returns: the scene list, as also written to `scenes.json`.
public func findScenes(
    input: String, options: DedupeOptions, output: URL?, network: EfficientNetLite? = nil,
    stats: URL? = nil, progress: ((RunProgress) -> Void)? = nil, interruption: Interruption? = nil,
    note: ((String) -> Void)? = nil, sceneClosed: ((Scene) throws(OutputError) -> Void)? = nil
) throws(RunError) -> SceneList {
    let run = try SceneRun(input: input, options: options, output: output, network: network, stats: stats, interruption: interruption,
                           note: note ?? { _ in })
    run.collector.sceneClosed = sceneClosed
    return try run.run(progress: progress, interruption: interruption)
}

/// One input's analysis from start to results: what `findScenes` sets up, runs and writes.
private final class SceneRun {
    let input: String
    let options: DedupeOptions
    let network: EfficientNetLite?
    private var reader: VideoReader?
    let folder: OutputFolder?
    /// A checkpoint next to the results, for a local file analysed into a folder (see ``Checkpoint``).
    let checkpoint: Checkpoint?
    /// Kept for `--resume` after an interruption; removed when the run fails or its results are complete.
    private var keepCheckpoint = false
    let statsFile: AtomicFile?
    let collector: SceneCollector
    /// The input's size and digest as it was when the run began (``InputFileIdentity``), for the results.
    let inputFile: InputFileIdentity?
    private let closedScenes: ClosedScenes
    /// Restored scenes whose keyframe state is computed again as their keyframes are decoded (``KeyframeRecomputation``).
    private var keyframesToRecompute: [Int: (scene: Int, recipe: KeyframeRecipe)] = [:]
    /// When the run began (``ThreadClock/now()``), and the process's CPU time then, for its profile.
    private let started = (wall: ThreadClock.now(), cpu: RunProfile.processCPU())

    init(input: String, options: DedupeOptions, output: URL?, network: EfficientNetLite?, stats: URL?, interruption: Interruption?,
         note: (String) -> Void) throws(RunError) {
        self.input = input
        self.options = options
        var network = network
        if options.scorer.usesEmbedding, network == nil { network = try loadNetwork(options) }
        self.network = options.scorer.usesEmbedding ? network : nil
        reader = try openReader(input, options: options, images: output != nil ? ImageExport(options) : nil, interruption: interruption)
        inputFile = InputFileIdentity.of(input)
        let keyframeFolder: URL?
        do {
            var policy = options.output
            if input != "-" && !input.contains("://") {
                // The input itself, or for a numbered pattern the folder of its pictures.
                policy.protected.append(FileSystemName.status(input) != nil ? input : (input as NSString).deletingLastPathComponent)
            }
            folder = try output.map { (url: URL) throws(OutputError) in try OutputFolder(url, policy: policy, faultPoint: options.testHooks.faultPoint) }
            keyframeFolder = try folder?.stagedFolder(ResultsLayout.keyframesFolder)
        } catch { throw .output(error) }
        checkpoint = try Self.openCheckpoint(input: input, options: options, output: folder != nil ? output : nil, stats: stats, note: note)
        do {
            statsFile = try stats.map { (url: URL) throws(OutputError) in try AtomicFile(url: url) }
            try statsFile?.write(SceneListWriter.statsHeader + "\n")
        } catch { throw .output(error) }
        // The closed scenes, their embeddings, grids, lumas and thumbnails spilled to disk until the input is read.
        closedScenes = ClosedScenes(spillingIn: folder?.staging ?? URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true))
        var images: SceneImageWriter? = nil
        if let output, let folder, let keyframeFolder {
            let candidateFolder: URL?
            do { candidateFolder = options.keep == .diverse ? try folder.stagedFolder(ResultsLayout.candidatesFolder) : nil } catch { throw .output(error) }
            images = SceneImageWriter(input: input, output: output, options: options, keyframeFolder: keyframeFolder,
                                      candidateFolder: candidateFolder, checkpoint: checkpoint)
        }
        collector = SceneCollector(closedScenes: closedScenes, images: images, statsFile: statsFile)
        if let checkpoint {
            collector.logClose = { [closedScenes] (closed: SceneCheckpoint) throws(OutputError) in
                try checkpoint.logScene(closed, heldBytes: closedScenes.heldBytes)
            }
            closedScenes.log = checkpoint  // the log holds each closed scene whole: no second copy in the spill file
        }
    }

    /// The checkpoint of a local file analysed into `output`; none for standard input (or a FIFO), a URL or a `--stats` run
    /// (a `--resume` there says why and starts afresh).
    private static func openCheckpoint(input: String, options: DedupeOptions, output: URL?, stats: URL?,
                                       note: (String) -> Void) throws(RunError) -> Checkpoint? {
        guard let output else { return nil }
        let stream = input == "-" || FileSystemName.isStream(input)
        if stream || input.contains("://") || stats != nil {
            if options.resume {
                note(stream ? "\(input == "-" ? "standard input" : "a FIFO or device") cannot be resumed (a pipe cannot be read again); analysed from the start"
                     : input.contains("://") ? "a URL cannot be resumed; analysed from the start" : "--stats runs cannot be resumed; analysed from the start")
            }
            Checkpoint.remove(in: output)
            return nil
        }
        do { return try Checkpoint(output: output, input: input, options: options, resume: options.resume, note: note) } catch { throw .output(error) }
    }

    func run(progress: ((RunProgress) -> Void)?, interruption: Interruption?) throws(RunError) -> SceneList {
        // The list's pictures of logged scenes are read from the log after it is removed (``Checkpoint/remove()``).
        defer { if !keepCheckpoint { checkpoint?.remove() } }
        // What an earlier run left: its closed scenes, their frames and images.
        var restart: Restart? = nil
        if let checkpoint, let r = checkpoint.restored.restart {
            restart = r
            let restored = checkpoint.takeRestored()
            try collector.restore(frames: restored.frames, diverse: restored.diverse, scenes: restored.scenes, thumbnails: restored.thumbnails)
            keyframesToRecompute = restored.recompute
        }
        let duration = reader!.info.duration
        collector.progress = progress.map { progress in
            { seconds, frames, scenes in progress(RunProgress(position: seconds, duration: duration, sampledFrames: frames, scenes: scenes)) }
        }
        let analysis = try analyse(restart: restart, interruption: interruption)
        // The pictures and libav's buffers were freed by now, and the network's activation buffers are not needed
        // again for this input; hand the pages back to the system before the closed scenes come back from disk, so
        // the end's peak (clustering, the results) stays under the decoding's.
        network?.releaseBuffers()
        releaseFreedMemory()
        // The scenes come back without their local features, which are read again only for the pairs verified.
        let scenes: (scenes: [Scene], pictures: ScenePictures)
        do { scenes = try closedScenes.withoutLocalFeatures() } catch { throw .output(error) }
        do { try statsFile?.finish() } catch { throw .output(error) }
        return try results(scenes: scenes.scenes, pictures: scenes.pictures, analysis: analysis)
    }

    /// What the decoding part of a run found out about its input.
    private struct Analysis {
        let video: VideoInfo
        let counts: DecodeCounts
        let warnings: [String]
        /// The end of the analysed span in seconds from the stream's start.
        let end: Double
        let interrupted: Bool
        /// ``Embedder/reusedCount``, when the network ran.
        let embeddingsReused: Int?
        /// ``Embedder/skippedCount``, when the cascade ran.
        let embeddingsSkipped: Int?
        /// Where the decoding and encoding threads spent their time.
        var threads: [RunProfile.Thread] = []
        /// Where this thread spent its time while the input was read.
        var runClock = ThreadClock()
    }

    /// Decodes the input and runs the stages over it. Everything that decodes and holds frames lives in this
    /// function only — the reader (libav's contexts and the container's index), the frame queues, the stages'
    /// candidate frames — and is gone when it returns.
    private func analyse(restart: Restart?, interruption: Interruption?) throws(RunError) -> Analysis {
        // The time so far, on this thread only (the decoding thread starts next).
        let opening = (wall: ThreadClock.now() - started.wall, cpu: RunProfile.processCPU() - started.cpu)
        let source = FrameSource(reader: reader!, ssimShortSide: options.ssimShortSide, networkSize: network?.inputSize,
                                 networkInput: options.networkInput, images: collector.images?.export, capacity: frameQueueCapacity(options))
        let decoderThreads = reader!.decoderThreads
        reader = nil
        let embedder = Embedder<FrameImages?>(network: network, batchSize: options.batchSize, unchanged: options.unchangedFrames,
                                                 frames: options.networkFramesInEffect)
        embedder.store = checkpoint
        if overlapsBatches(options, source: source) { embedder.framesWaiting = { source.framesWaiting } }
        if let restart { embedder.neededFrom = restart.position - 1 }
        let feed = ResumingInput<FrameImages?>(restart: restart)
        if !keyframesToRecompute.isEmpty {
            feed.passed = KeyframeRecomputation(keyframesToRecompute, into: closedScenes, images: collector.images).offer
        }
        let stages = embedder.then(feed).then(sceneStages(options, carrying: FrameImages?.self))
        var interrupted = false
        var lastSeconds: Double? = nil
        var analysis: Analysis? = nil
        let collector = collector, checkpoint = checkpoint, input = input
        var clock = ThreadClock()
        clock.add(opening, to: .opening)
        try runStages(stages, inputs: { () throws(RunError) -> NetworkFrame<FrameImages?>? in
            clock.lap(.sceneStages)
            if !interrupted, interruption?.isRequested == true {
                interrupted = true
                source.stopReading()  // frames already decoded are still handed out, then the stream ends
            }
            let frame: NetworkFrame<FrameImages?>?
            do throws(DecoderError) { frame = try source.next() } catch { throw .input(input, error) }
            // The reader stops waiting for a slow input when interrupted: then it ended because of the request.
            if frame == nil, interruption?.isRequested == true { interrupted = true }
            if let error = checkpoint?.writeError { throw .output(error) }
            if let frame { lastSeconds = frame.frame.signals.seconds }
            clock.start()
            return frame
        }, end: { () throws(RunError) -> Double in
            clock.lap(.sceneStages)
            if let error = checkpoint?.writeError { throw .output(error) }
            if feed.isWaiting {
                // The input ended (or the run was interrupted) before the frame the checkpoint goes on from.
                guard interrupted else {
                    throw .output(OutputError(path: checkpoint!.folder.path, reason: "does not match the input (it ends before the checkpoint's last scene); run again without --resume"))
                }
                collector.dropFramesOfOpenScenes()
            }
            let finished = source.finishedReader
            var end = finished.endOfLastFrame ?? 0
            if interrupted, let lastSeconds {
                // The decoder may have gone past the last frame handed out (frames dropped when reading stopped).
                let frameInterval = finished.info.averageFrameRate.map { 1 / $0.doubleValue } ?? 0
                end = min(end, lastSeconds + frameInterval)
            }
            analysis = Analysis(video: finished.info, counts: finished.counts, warnings: finished.warnings, end: end, interrupted: interrupted,
                                embeddingsReused: network == nil ? nil : embedder.reusedCount,
                                embeddingsSkipped: network == nil || options.networkFramesInEffect == .all ? nil : embedder.skippedCount)
            collector.logClose = nil  // the scenes closed at the end are not logged: the results follow at once
            clock.start()
            return end
        }, into: { (event: SceneEvent<FrameImages?>) throws(RunError) in
            clock.lap(.sceneStages)
            try collector.receive(event)
            clock.lap(.writes)
        })
        clock.lap(.sceneStages)
        // The network ran inside the stages: its time moves from theirs to its own.
        if network != nil {
            clock.move(embedder.networkSeconds, from: .sceneStages, to: .network)
            clock.move((embedder.waitingSeconds, 0), from: .sceneStages, to: .waitingForNetwork)
        }
        let times = source.threadTimes
        clock.addWait(times.consumerWaiting, to: .waitingForFrames)
        analysis!.threads = [RunProfile.Thread(name: "decoding", clock: times.decoding, detail: "libavcodec: \(decoderThreads) threads")]
            + (times.encoding.map { [RunProfile.Thread(name: "encoding", clock: $0)] } ?? [])
            + (embedder.workerClock.map { [RunProfile.Thread(name: "network", clock: $0)] } ?? [])
        analysis!.runClock = clock
        return analysis!
    }

    /// The most scenes whose report map is computed beside clustering (see ``results(scenes:pictures:analysis:)``): its
    /// buffers are then at most ~7 MB (the centred embeddings and their Gram matrix in `Double`, 10 KB and 4 KB a
    /// scene at 500), and a 30-minute input cut every few seconds (the 360p loop's 631 scenes) already has its map
    /// after clustering.
    static let mapBesideClusteringScenes = 500

    /// Clusters the scenes, chooses the images of `unique/` and writes every result into the output folder.
    /// `pictures` gives the scenes' local features (``ScenePictures``).
    private func results(scenes: [Scene], pictures: ScenePictures, analysis a: Analysis) throws(RunError) -> SceneList {
        var clock = a.runClock
        clock.start()
        // The report map's principal components need the scenes only. With few scenes they are computed beside
        // clustering, the images and the result files: the end's memory is far under the decoding's peak, and after
        // clustering they would add their time to every short clip's (+0.07-0.10 s, ~5%, on the mixed set's 60-second
        // 360p-480p clips). With many, once clustering has freed its distances, grids and pictures, whose pages go back
        // to the system first: beside clustering, their buffers (the centred embeddings and the covariance in Double,
        // 42 MB at 2,952 scenes) and the distances' (the flattened embeddings, the matrix and a block of dot products,
        // 54 MB) made the end's peak of memory on a 2-hour 1080p input (heaptrack); after it without handing the freed
        // pages back, +29 MB for a moment above clustering's peak there.
        let makesMap = folder != nil && options.report
        func computeMap() -> ComputedAside<PrincipalComponents?> {
            ComputedAside(name: "framededupe.map", step: .reportMap) { ReportWriter.mapComponents(scenes) }
        }
        let mapBesideClustering = makesMap && scenes.count <= Self.mapBesideClusteringScenes ? computeMap() : nil
        var clusters = clusterScenes(scenes, pictures: pictures, options: options.clustering)
        clock.lap(.clustering)
        if mapBesideClustering == nil { releaseFreedMemory() }
        let mapComponents = mapBesideClustering ?? (makesMap ? computeMap() : nil)
        let diverse = collector.diverse
        var unique = chooseUniqueImages(clusters, scenes: scenes, keep: options.keep, diversity: options.diversity, diverse: diverse,
                                        fileExtension: options.imageFormat.fileExtension, geometric: options.clustering, pictures: pictures)
        if let error = pictures.readError { throw .output(error) }
        if let folder {
            do {
                try checkpoint?.stageImages(scenes.compactMap(\.keyframe.path) + diverse.compactMap(\.keyframe.path), in: folder)
                try writeUniqueImages(&unique, clusters: &clusters, folder: folder)
                if options.keep == .diverse { try? FileManager.default.removeItem(at: folder.staging.appendingPathComponent(ResultsLayout.candidatesFolder)) }
                try writeClusterFolders(clusters, scenes: scenes, folder: folder)
            } catch { throw .output(error) }
        }
        var warnings = a.warnings
        if let sparse = Transition.sparseSamplingWarning(frames: collector.frames, scenes: scenes, clusterOfScene: clusters.clusterOfScene,
                                                         framesBetweenDecoded: options.reader.decode != .keyframes) {
            warnings.append(sparse)
        }
        if a.interrupted { warnings.append(String(format: "interrupted: analysed up to %.3f s", a.end)) }
        var list = SceneList(video: a.video, options: options, frames: collector.frames, scenes: scenes, clusters: clusters,
                             counts: a.counts, warnings: warnings, end: a.end, uniqueImages: unique, complete: !a.interrupted,
                             inputFile: inputFile, embeddingsReused: a.embeddingsReused, embeddingsSkipped: a.embeddingsSkipped,
                             scenePictures: pictures)
        if let folder {
            do {
                try writeResultFiles(list, into: folder, thumbnail: closedScenes.thumbnail, mapComponents: mapComponents.map { aside in { aside.value } })
                if a.interrupted, let checkpoint {
                    try checkpoint.sync()
                    keepCheckpoint = true  // --resume goes on from it
                }
                try folder.commit(order: ResultFiles.commitOrder)
                options.testHooks.faultPoint?(.end)
            } catch { throw .output(error) }
        }
        clock.lap(.results)
        let map = mapComponents.map { [RunProfile.Thread(name: "report map", clock: $0.clock)] } ?? []
        list.profile = RunProfile(threads: a.threads + [RunProfile.Thread(name: "run", clock: clock)] + map, wall: ThreadClock.now() - started.wall,
                                  cpu: RunProfile.processCPU() - started.cpu)
        return list
    }
}

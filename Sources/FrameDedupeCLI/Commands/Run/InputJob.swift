import Decoder
import Foundation
@_spi(Testing) import FrameDedupe
import Similarity

/// What became of one input.
enum InputOutcome: Sendable {
    case analysed(frames: Int, scenes: Int, clusters: Int)
    /// Its complete results with the same options were already there.
    case skipped
    case failed(Status)
    /// Stopped by a signal: its results so far are written, marked incomplete.
    case interrupted
    /// Not started: standard output's reader had gone, or the run was stopped.
    case notStarted
}

/// How each input of a run is analysed (the same for all of them), and what is said about it on stderr.
struct InputJob: Sendable {
    let options: DedupeOptions
    /// The options given for reading (per input: a folder of images samples every picture unless --fps is given).
    let inputOptions: InputOptions
    let stats: URL?
    let selectFile: String?
    /// Whose frames `--select-file` selects.
    let selectResults: PrintedResults
    /// The bar or events, the line per input and the summary.
    let progress: ProgressReporter
    /// Set by SIGINT/SIGTERM: the inputs being analysed stop early, no other starts.
    let interruption: Interruption
    /// `--profile`: where each input's time went, on stderr after it.
    var profile = false

    /// The options of `input`'s analysis.
    func options(for input: String) -> DedupeOptions {
        var o = options
        if let reader = try? inputOptions.readerOptions(for: input) { o.reader = reader }
        o.testHooks = TestHooks.fromEnvironment()
        return o
    }

    /// Input `index` already has complete results with these options in `folder`: with `--print`, they are read
    /// back from there and printed as an analysis would print them (the input is opened for its clocks only).
    func skip(_ index: Int, input: String, folder: String?, output: BatchOutput) -> InputOutcome {
        var list: SceneList? = nil
        if output.prints, let folder {
            let options = options(for: input)
            let video: VideoInfo
            do { video = try VideoReader(input: input, options: options.reader).info } catch {
                let failure = RunError.input(input, error)
                Terminal.error(failure.description)
                progress.failed(index, input: input, status: Status(failure), message: failure.description)
                output.finished(index, list: nil, folder: folder)
                return .failed(Status(failure))
            }
            list = savedSceneList(in: URL(fileURLWithPath: folder, isDirectory: true), video: video, options: options)
            guard list != nil else {
                // Unreadable after all: analysing it again is always safe.
                return analyse(index, input: input, folder: folder, network: nil, output: output)
            }
        }
        progress.skipped(index, input: input, folder: folder)
        if let list, output.streamsScenes {
            // As an analysis streams them: each scene as it closed (without its cluster), then the rest.
            for scene in list.scenes {
                do { try output.closedScene(scene, input: input, folder: folder) } catch { return .notStarted }
            }
        }
        output.finished(index, list: list, folder: folder)
        return .skipped
    }

    /// Analyses input `index` into `folder`; a failure is reported on one line of stderr.
    ///
    /// - Parameter network: the network to use, nil to load one (when the scorer needs it).
    func analyse(_ index: Int, input: String, folder: String?, network: EfficientNetLite?, output: BatchOutput) -> InputOutcome {
        guard !output.readerGone, !interruption.isRequested else { return .notStarted }
        let began = Date()
        let list: SceneList
        progress.started(index, input: input)
        let progress = progress
        do {
            var sceneClosed: ((Scene) throws(OutputError) -> Void)? = nil
            if output.streamsScenes {
                sceneClosed = { (scene: Scene) throws(OutputError) in try output.closedScene(scene, input: input, folder: folder) }
            }
            list = try findScenes(input: input, options: options(for: input), output: folder.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                  network: network, stats: stats,
                                  progress: { progress.update($0, index: index, input: input, elapsed: Date().timeIntervalSince(began)) },
                                  interruption: interruption, note: { Terminal.note(input, $0) }, sceneClosed: sceneClosed)
        } catch {
            StatusLine.shared.clear()
            if case .output(let e) = error, e.isClosedStandardOutput { return .notStarted }  // `| head`: stop quietly
            Terminal.error(error.userDescription)
            progress.failed(index, input: input, status: Status(error), message: error.description)
            output.finished(index, list: nil, folder: folder)
            return .failed(Status(error))
        }
        StatusLine.shared.clear()
        for warning in list.warnings { Terminal.warning(input, warning) }
        if list.frames.isEmpty { Terminal.warning(input, "no frames were sampled") }
        InputJob.logDetails(list, input: input)
        if profile, let p = list.profile { for line in p.lines { Terminal.note(input, line) } }
        if let selectFile {
            do {
                try writeAtomically(ResultPrinter(results: selectResults, format: .select).selectScript(list), to: URL(fileURLWithPath: selectFile))
            } catch {
                Terminal.error(error.description)
                progress.failed(index, input: input, status: .outputUnwritable, message: error.description)
                output.finished(index, list: nil, folder: folder)
                return .failed(.outputUnwritable)
            }
        }
        output.finished(index, list: list, folder: folder)
        if !output.readerGone { progress.finished(index, input: input, list: list, seconds: Date().timeIntervalSince(began), folder: folder) }
        return list.complete ? .analysed(frames: list.frames.count, scenes: list.scenes.count, clusters: list.clusters.clusters.count) : .interrupted
    }

    /// `-v`: what the input is and what was counted; `-vv`: every scene's cut decision with its scores.
    static func logDetails(_ list: SceneList, input: String) {
        guard Log.currentLevel <= .info else { return }
        let v = list.video
        var what = "\(v.container) / \(v.codec) \(v.width)x\(v.height)"
        if let d = v.duration { what += String(format: ", %.3f s", d) }
        if let r = v.averageFrameRate { what += ", \(r) frames/s" }
        if let files = v.imageFiles { what += ", \(files.count) images" }
        Log.info(input, what)
        let c = list.counts
        let rate = list.options.reader.sampling == .all ? "every frame" : "\(list.options.reader.sampling) a second"
        Log.info(input, "\(c.packets) packets, \(c.sampledFrames) frames sampled (\(rate)), \(c.corruptPackets) corrupt packets, \(c.corruptFrames) corrupt frames, \(c.framesBehind) behind a time already reached")
        guard Log.currentLevel <= .debug else { return }
        func n(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
        for scene in list.scenes {
            let f = list.frames[scene.firstFrame]
            var why = scene.id == 0 ? "first frame" : f.cutKind.map { "\($0.rawValue) cut" } ?? "cut"
            if let s = f.scores, scene.id > 0 {
                why += ": change from the previous frame \(n(s.embeddingToPrevious ?? s.ssimToPrevious.map { 1 - $0 }))"
                why += ", recent level \(n(f.context?.recentLevel)), next change \(n(f.context?.nextChange))"
                why += ", SSIM to previous \(n(s.ssimToPrevious)), to the scene's first frame \(n(s.ssimToReference))"
                if let e = s.embeddingToReference { why += ", embedding distance to it \(n(e))" }
            }
            let cluster = list.clusters.clusterOfScene[scene.id].map { "cluster \($0)" } ?? "transition"
            var source = ""
            if let name = scene.keyframe.source { source = ", keyframe \(name)" }
            Log.debug(input, "scene \(scene.id) at \(String(format: "%.3f", scene.start)) s (\(scene.frameCount) frames, \(cluster)\(source)): \(why)")
        }
    }

    /// `jobs` threads take the inputs in order (``WorkerPool``), each with its own network (not thread-safe) and one
    /// OpenBLAS thread (OpenBLAS 0.3.21 is not safe for multi-threaded calls made concurrently).
    func analyseConcurrently(inputs: [String], folders: [String?], skip: [Bool], jobs: Int, output: BatchOutput) -> [InputOutcome] {
        let interruption = interruption
        return WorkerPool.run(
            count: inputs.count, jobs: jobs, name: "framededupe.input", notStarted: InputOutcome.notStarted,
            stop: { interruption.isRequested }, makeState: { EfficientNetLite?.none }
        ) { i, network in
            if skip[i] { return self.skip(i, input: inputs[i], folder: folders[i], output: output) }
            if network == nil && options.scorer.usesEmbedding {
                // The main thread loaded the same weights already: this cannot fail but for memory.
                do throws(RunError) { network = try loadNetwork(options) } catch {
                    Terminal.error(error.userDescription)
                    output.finished(i, list: nil, folder: folders[i])
                    return .failed(Status(error))
                }
            }
            return analyse(i, input: inputs[i], folder: folders[i], network: network, output: output)
        }
    }
}


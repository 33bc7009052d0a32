import Decoder
import Foundation
@_spi(Testing) import FrameDedupe
import Similarity

/// Where each input's results go when one call names several inputs.
enum OutputNames {
    /// One folder per input: `<name>.framededupe` in the current directory, or `DIR/<name>` with `-o DIR` and
    /// several inputs (`DIR` itself for one input); nil everywhere when no folder is written.
    ///
    /// `<name>` is the input's stem (`clip` for `dir/clip.mp4`). Inputs whose stems collide are named by their
    /// file names with extensions (`clip.mp4`, `clip.mkv`), then by as many parent folders as it takes, joined
    /// with `-` (`a-clip.mp4`, `b-clip.mp4`), then numbered (`clip.mp4-2`): names depend only on the inputs'
    /// spellings, so a rerun (resume) finds the same folders whatever the order.
    static func folders(for inputs: [String], output: String?, writesFolder: Bool) -> [String?] {
        guard writesFolder else { return inputs.map { _ in nil } }
        if inputs.count == 1 { return [output ?? RunCommand.defaultOutput(for: inputs[0])] }
        let names = distinctNames(inputs)
        return names.map { name in
            guard let output else { return name + ".framededupe" }
            return output.hasSuffix("/") ? output + name : output + "/" + name
        }
    }

    static func distinctNames(_ inputs: [String]) -> [String] {
        /// The input's path components (a URL's path), without empty ones and ".".
        func components(_ input: String) -> [String] {
            if input == "-" { return ["stdin"] }
            var path = input
            if let url = URL(string: input), url.scheme != nil { path = url.path }
            return path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        }
        var names = inputs.map { RunCommand.stem(of: $0) }
        func clashing() -> Set<Int> {
            var seen: [String: [Int]] = [:]
            for (i, n) in names.enumerated() { seen[n, default: []].append(i) }
            return Set(seen.values.filter { $0.count > 1 }.joined())
        }
        var depth = 1
        while case let clash = clashing(), !clash.isEmpty, depth <= 8 {
            for i in clash {
                let parts = components(inputs[i])
                names[i] = parts.suffix(depth).joined(separator: "-")
                if names[i].isEmpty { names[i] = RunCommand.stem(of: inputs[i]) }
            }
            depth += 1
        }
        var used: [String: Int] = [:]
        for i in names.indices {
            used[names[i], default: 0] += 1
            if used[names[i]]! > 1 { names[i] += "-\(used[names[i]]!)" }
        }
        return names
    }
}

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

/// Standard output shared by the inputs of a run: streamed lines go out at once (each names its input),
/// everything else in the inputs' order, whatever order they finish in.
final class BatchOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var printer: ResultPrinter?
    /// Finished inputs whose predecessors are not finished yet (nil: nothing to print).
    private var waiting: [Int: (list: SceneList, folder: String?)?] = [:]
    private var next = 0
    private var closedByReader = false
    private var failure: OutputError?

    init(printer: ResultPrinter?) { self.printer = printer }

    var streamsScenes: Bool { printer?.streamsScenes ?? false }

    /// `--print` asks for results on standard output.
    var prints: Bool { printer != nil }

    /// True once standard output's reader has gone (`| head`): nothing more is worth doing.
    var readerGone: Bool { lock.withLock { closedByReader } }

    /// A line for a scene that has just closed, written at once.
    func closedScene(_ scene: Scene, input: String, folder: String?) throws(OutputError) {
        guard let printer else { return }
        let line = printer.closedScene(scene, input: input, folder: folder)
        lock.lock()
        defer { lock.unlock() }
        try write(line)
    }

    /// Input `index` is done (`list` nil when it failed or was skipped): its text goes out after its predecessors'.
    func finished(_ index: Int, list: SceneList?, folder: String?) {
        lock.lock()
        defer { lock.unlock() }
        waiting.updateValue(printer == nil ? nil : list.map { ($0, folder) }, forKey: index)  // nil is a value here, not a removal
        // Formatted in order too: a JSON array's commas depend on what came before.
        while let done = waiting.removeValue(forKey: next) {
            next += 1
            if var p = printer, let done {
                let text = p.finished(done.list, folder: done.folder)
                printer = p
                try? write(text)
            }
        }
    }

    /// After the last input: closes what the format opened.
    /// - Throws: the first error writing standard output met, other than its reader going away.
    func end() throws(OutputError) {
        lock.lock()
        defer { lock.unlock() }
        if var p = printer {
            try? write(p.end())
            printer = p
        }
        if let failure { throw failure }
    }

    /// Writes unless the reader has gone; remembers why writing failed. Call with the lock held.
    private func write(_ text: String) throws(OutputError) {
        if closedByReader { throw OutputError(path: StandardOutput.name, reason: StandardOutput.closed) }
        if let failure { throw failure }
        do { try StandardOutput.write(text) } catch {
            if error.isClosedStandardOutput { closedByReader = true } else { failure = error }
            throw error
        }
    }
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
            Terminal.error(error.description)
            progress.failed(index, input: input, status: Status(error), message: error.description)
            output.finished(index, list: nil, folder: folder)
            return .failed(Status(error))
        }
        StatusLine.shared.clear()
        for warning in list.warnings { Terminal.warning(input, warning) }
        if list.frames.isEmpty { Terminal.warning(input, "no frames were sampled") }
        InputJob.logDetails(list, input: input)
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

    /// `jobs` threads take the inputs in order, each with its own network (not thread-safe) and one OpenBLAS
    /// thread (OpenBLAS 0.3.21 is not safe for multi-threaded calls made concurrently).
    func analyseConcurrently(inputs: [String], folders: [String?], skip: [Bool], jobs: Int, output: BatchOutput) -> [InputOutcome] {
        let state = SharedOutcomes(count: inputs.count)
        let done = DispatchGroup()
        for _ in 0..<jobs {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var network: EfficientNetLite? = nil
                while let i = state.take(), !interruption.isRequested {
                    if skip[i] {
                        state.set(i, self.skip(i, input: inputs[i], folder: folders[i], output: output))
                        continue
                    }
                    if network == nil && options.scorer.usesEmbedding {
                        // The main thread loaded the same weights already: this cannot fail but for memory.
                        do throws(RunError) { network = try loadNetwork(options) } catch {
                            Terminal.error(error.description)
                            output.finished(i, list: nil, folder: folders[i])
                            state.set(i, .failed(Status(error)))
                            continue
                        }
                    }
                    state.set(i, analyse(i, input: inputs[i], folder: folders[i], network: network, output: output))
                }
            }
            thread.name = "framededupe.input"
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return state.outcomes
    }
}

/// The next input to take and every input's outcome, shared by the threads of ``InputJob/analyseConcurrently``.
private final class SharedOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var results: [InputOutcome]

    init(count: Int) { results = Array(repeating: .notStarted, count: count) }

    func take() -> Int? {
        lock.withLock {
            guard next < results.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func set(_ i: Int, _ outcome: InputOutcome) { lock.withLock { results[i] = outcome } }

    var outcomes: [InputOutcome] { lock.withLock { results } }
}

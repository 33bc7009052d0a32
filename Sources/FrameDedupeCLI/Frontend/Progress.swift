import ArgumentParser
import Foundation
import FrameDedupe

/// `--progress`: how a run shows where it is, on stderr.
enum ProgressMode: String, CaseIterable, ExpressibleByArgument {
    /// A bar when stderr is a terminal; a line per input as it finishes and a batch summary in any case.
    case auto
    /// A bar even when stderr is not a terminal (a log file gets its carriage returns).
    case always
    /// Nothing but the log: no bar, no line per input, no summary.
    case never
    /// One JSON object per line on stderr (start, progress, finish, skip, error, summary events) for GUIs and wrappers.
    case jsonl
}

/// Stderr, shared by the log and the progress bar: a line written while a bar is showing clears the bar
/// first (it is drawn again by the next update), so messages never land in the middle of a bar.
final class StatusLine: @unchecked Sendable {
    static let shared = StatusLine()
    private let lock = NSLock()
    private var barShowing = false

    /// Writes `line` and a newline.
    func writeLine(_ line: String) { write(line + "\n") }

    /// Writes `text` as it is, after clearing a bar.
    func write(_ text: String) {
        lock.withLock {
            var out = barShowing ? "\r\u{1B}[K" : ""
            barShowing = false
            out += text
            FileHandle.standardError.write(Data(out.utf8))
        }
    }

    /// Replaces the bar with `bar` (no newline).
    func draw(_ bar: String) {
        lock.withLock {
            barShowing = true
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + bar).utf8))
        }
    }

    /// Removes the bar, if one is showing.
    func clear() {
        lock.withLock {
            if barShowing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            barShowing = false
        }
    }

    /// Columns of the terminal on stderr (80 when it is not one).
    static var columns: Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}

/// What a run says about its progress, for every input: a bar, JSON Lines events, or nothing; and the line per
/// finished input and the batch summary (unless `-q`). Safe to use from several inputs' threads at once.
final class ProgressReporter: @unchecked Sendable {
    enum Display { case none, bar, events }

    let display: Display
    /// The lines per input and the summary are written (not with `-q` or `never`, nor with `jsonl`, whose events say it).
    let writesLines: Bool
    /// A live bar or progress events for one input at a time (not with `-j` above 1: only lines and start/finish events).
    let live: Bool
    private let inputs: Int
    private let lock = NSLock()
    private var lastUpdate: [String: Double] = [:]
    private let began = Date()

    /// - Parameters:
    ///   - mode: `--progress`; `-q` makes it `never`.
    ///   - inputs: how many inputs the run has (a bar then names its position in the batch).
    ///   - live: false with several inputs analysed at once.
    init(mode: ProgressMode, quiet: Bool, inputs: Int, live: Bool = true, stderrIsTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        switch quiet ? .never : mode {
        case .auto: display = stderrIsTerminal ? .bar : .none
        case .always: display = .bar
        case .never: display = .none
        case .jsonl: display = .events
        }
        writesLines = !quiet && (mode == .auto || mode == .always)
        self.live = live
        self.inputs = inputs
    }

    // MARK: Events

    func started(_ index: Int, input: String) {
        emit(["event": "start", "input": input, "index": index, "inputs": inputs])
    }

    /// After each sampled frame of `input`, which began at `start`: redraws the bar, or emits a progress event,
    /// at most 10 times a second.
    func update(_ p: RunProgress, index: Int, input: String, elapsed: Double) {
        guard live, display != .none else { return }
        let now = Date().timeIntervalSince(began)
        let due: Bool = lock.withLock {
            if let last = lastUpdate[input], now - last < 0.1 { return false }
            lastUpdate[input] = now
            return true
        }
        guard due else { return }
        let fps = elapsed > 0 ? Double(p.sampledFrames) / elapsed : 0
        var eta: Double? = nil
        if let d = p.duration, d > 0, p.position > 0, elapsed > 0 {
            let fraction = min(max(p.position / d, 0), 1)
            if fraction > 0.01 { eta = max(0, elapsed / fraction - elapsed) }
        }
        switch display {
        case .none: break
        case .bar:
            StatusLine.shared.draw(ProgressReporter.bar(p, name: inputs > 1 ? "[\(index + 1)/\(inputs)] \(Terminal.oneLine(input))" : Terminal.oneLine(input),
                                                        fps: fps, eta: eta, columns: StatusLine.columns))
        case .events:
            emit(["event": "progress", "input": input, "position": round3(p.position), "duration": p.duration.map(round3) as Any,
                  "frames": p.sampledFrames, "scenes": p.scenes, "fps": round3(fps), "eta": eta.map(round3) as Any])
        }
    }

    /// Input `input` is done: its line (`N frames → S scenes → C clusters in T s; results in DIR`) or finish event.
    func finished(_ index: Int, input: String, list: SceneList, seconds: Double, folder: String?) {
        StatusLine.shared.clear()
        var written = folder.map { "results in \($0); " + ProgressReporter.unique(list.uniqueImages.count, keep: list.options.keep) } ?? "no output folder"
        if !list.complete { written = "interrupted at \(String(format: "%.1f", list.end)) s; partial " + written }
        if let skipped = list.embeddingsSkipped, skipped > 0 {
            written = "\(skipped) \(skipped == 1 ? "frame" : "frames") settled by the pixels took no network call; " + written
        }
        if let reused = list.embeddingsReused, reused > 0 {
            written = "\(reused) unchanged \(reused == 1 ? "frame" : "frames") took an earlier frame's embedding; " + written
        }
        if writesLines {
            StatusLine.shared.writeLine("\(Terminal.oneLine(input)): \(ProgressReporter.summary(frames: list.frames.count, scenes: list.scenes.count, clusters: list.clusters.clusters.count, seconds: seconds)); \(Terminal.oneLine(written))")
        }
        emit(["event": "finish", "input": input, "index": index, "frames": list.frames.count, "scenes": list.scenes.count,
              "clusters": list.clusters.clusters.count, "seconds": round3(seconds), "complete": list.complete, "output": folder as Any,
              "embeddings_reused": list.embeddingsReused as Any])
    }

    /// `framededupe embed` is done with `input`: its line (`N frames embedded in T s → FILE`) or finish event
    /// (with `frames`, `seconds`, `complete` and `output`, the file; no scenes or clusters).
    func embedded(_ index: Int, input: String, frames: Int, seconds: Double, output: String) {
        StatusLine.shared.clear()
        if writesLines {
            StatusLine.shared.writeLine("\(Terminal.oneLine(input)): \(frames) frames embedded in \(String(format: "%.1f", seconds)) s → \(Terminal.oneLine(output))")
        }
        emit(["event": "finish", "input": input, "index": index, "frames": frames, "seconds": round3(seconds), "complete": true, "output": output])
    }

    func skipped(_ index: Int, input: String, folder: String?) {
        if writesLines {
            StatusLine.shared.writeLine("\(Terminal.oneLine(input)): complete results with the same options already in \(Terminal.oneLine(folder ?? "")); skipped (--force analyses it again)")
        }
        emit(["event": "skip", "input": input, "index": index, "output": folder as Any])
    }

    /// The error itself goes to the log; this is the event.
    func failed(_ index: Int, input: String, status: Status, message: String) {
        StatusLine.shared.clear()
        emit(["event": "error", "input": input, "index": index, "status": Int(status.rawValue), "message": message])
    }

    /// The batch's summary line and event.
    func summary(line: String, counts: [String: Int], seconds: Double) {
        if writesLines { StatusLine.shared.writeLine(line) }
        var event: [String: Any] = ["event": "summary", "inputs": inputs, "seconds": round3(seconds)]
        for (k, v) in counts { event[k] = v }
        emit(event)
    }

    // MARK: Formatting

    /// `N frames → S scenes → C clusters in T s` (`1 scene`, `1 cluster`).
    static func summary(frames: Int, scenes: Int, clusters: Int, seconds: Double) -> String {
        "\(counted(frames, "frame")) → \(counted(scenes, "scene")) → \(counted(clusters, "cluster")) in \(String(format: "%.1f", seconds)) s"
    }

    /// What unique/ holds: `unique/ holds 3 pictures, one per cluster`, by --keep.
    static func unique(_ count: Int, keep: KeepPolicy) -> String {
        let which = switch keep {
        case .cluster: "one per cluster"
        case .scene: "one per scene"
        case .diverse: "each cluster's exemplar and its frames unlike it"
        }
        return "unique/ holds \(counted(count, "picture")), \(which)"
    }

    /// `1 scene`, `2 scenes`.
    static func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// `name [######..........] 12.0/40.0 s  34.2 frames/s  ETA 0:26`, cut to the terminal's width.
    static func bar(_ p: RunProgress, name: String, fps: Double, eta: Double?, columns: Int) -> String {
        var tail = ""
        var bar = ""
        if let d = p.duration, d > 0 {
            let fraction = min(max(p.position / d, 0), 1)
            let width = 20
            let filled = Int(fraction * Double(width))
            bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            tail = String(format: "%.1f/%.1f s", p.position, d)
        } else {
            tail = String(format: "%.1f s", p.position)
        }
        tail += String(format: "  %.1f frames/s  %d scenes", fps, p.scenes)
        tail += "  ETA " + (eta.map(clock) ?? "?")
        // The name gives way first: the numbers matter more.
        let room = columns - 1 - bar.count - tail.count - 2
        var shown = name
        if room < shown.count { shown = room > 3 ? "…" + String(shown.suffix(room - 1)) : "" }
        let line = (shown.isEmpty ? "" : shown + ": ") + bar + tail
        return String(line.prefix(max(10, columns - 1)))
    }

    /// `m:ss` or `h:mm:ss`.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func emit(_ object: [String: Any]) {
        guard display == .events else { return }
        /// An optional put in `Any` as its value, or null (JSONSerialization takes neither optionals nor nil).
        func unwrapped(_ value: Any) -> Any {
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .optional else { return value }
            return mirror.children.first.map { unwrapped($0.value) } ?? NSNull()
        }
        let cleaned = object.mapValues(unwrapped)
        guard let data = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        StatusLine.shared.writeLine(String(decoding: data, as: UTF8.self))
    }
}

private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

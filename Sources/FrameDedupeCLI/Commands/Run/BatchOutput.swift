import Foundation
import FrameDedupe

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

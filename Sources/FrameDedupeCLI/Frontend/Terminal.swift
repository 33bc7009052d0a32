import Decoder
import Foundation
import FrameDedupe

/// Chatter on stderr: warnings and errors through the log (``Log``), text that clears a progress bar first
/// (the bar itself is ``ProgressReporter``'s).
enum Terminal {
    /// An error line, `framededupe: <message>` (the message names the file), through the log.
    static func error(_ line: String) { Log.error(line) }
    /// A warning about `input`, `framededupe: <input>: warning: <message>`, through the log.
    static func warning(_ input: String, _ line: String) { Log.warning(input, line) }
    /// A note about `input` that is neither a warning nor an error (a checkpoint resumed or not),
    /// `framededupe: <input>: <message>`, written whatever the log level.
    static func note(_ input: String, _ line: String) { write(Log.line(level: .notice, file: input, message: line) + "\n") }

    /// `text` with control characters escaped (`\n`, `\t`, `\x1b`), so that a message naming a file whose name
    /// holds a newline stays one line.
    static func oneLine(_ text: String) -> String {
        var line = String.UnicodeScalarView()
        for scalar in FileSystemName.displayed(text).unicodeScalars {
            switch scalar {
            case "\n": line.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": line.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": line.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                line.append(contentsOf: String(format: #"\x%02x"#, scalar.value).unicodeScalars)
            default: line.append(scalar)
            }
        }
        return String(line)
    }

    /// Writes `text` to stderr as it is (clearing a progress bar first).
    static func write(_ text: String) {
        StatusLine.shared.write(text)
    }
}

extension Terminal {
    /// Turns SIGINT and SIGTERM into a request on `interruption`: runs then stop reading, finish the frames in
    /// flight and write what they found, marked incomplete. A second signal ends the process at once
    /// (status 128 + signal; the unfinished output folder's staging is removed by the next run).
    ///
    /// - Returns: the signal sources, to be kept alive for as long as signals should be handled.
    static func stopOnSignals(_ interruption: Interruption) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard interruption.request(signal: number) else { _exit(128 + number) }
                let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                Terminal.write("framededupe: \(name): finishing the frames in flight and writing what was found (again to quit at once)\n")
            }
            source.resume()
            // Delivered to the source instead; ignored only once the source listens, so a signal that comes in
            // between still ends the process (its default action) instead of being lost.
            signal(number, SIG_IGN)
            return source
        }
    }
}

/// Data on standard output, written with write(2) so a closed pipe is an error we can act on
/// (SIGPIPE is ignored at start-up), not a silent death.
enum StandardOutput {
    static let name = "<standard output>"
    static let closed = "closed by the reader"

    static func writeLine(_ line: String) throws(OutputError) {
        try write(line + "\n")
    }

    /// Writes `text` as it is (nothing when empty).
    static func write(_ text: String) throws(OutputError) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(path: name, reason: errno == EPIPE ? closed : String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}

extension OutputError {
    /// True when standard output's reader has gone (`| head`): the run then stops quietly with status 0.
    var isClosedStandardOutput: Bool { path == StandardOutput.name && reason == StandardOutput.closed }
}

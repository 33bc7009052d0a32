import Foundation
import Logging

/// The tool's log: swift-log with a stderr handler of our own, writing one line per message,
/// `framededupe: <file>: <message>` (`framededupe: <file>: warning: <message>` for warnings).
///
/// Levels: errors always; warnings by default; `-v` adds info (what was opened, how each input went),
/// `-vv` debug (every scene's cut decision with its scores); `-q` leaves errors only.
enum Log {
    /// The logger every part of the command line uses. The file a message is about goes in the `file` metadata.
    static let logger = Logger(label: "framededupe")

    private static let level = LevelBox()

    /// Installs the stderr handler; once, before any subcommand runs.
    static func bootstrap() {
        LoggingSystem.bootstrap { _ in StandardErrorLogHandler() }
    }

    /// Sets the level from `-v` (counted) and `-q`.
    static func configure(verbose: Int, quiet: Bool) {
        level.value = quiet ? .error : verbose >= 2 ? .debug : verbose == 1 ? .info : .warning
    }

    static var currentLevel: Logger.Level { level.value }

    static func error(_ message: String) { logger.error("\(message)") }
    static func warning(_ file: String, _ message: String) { logger.warning("\(message)", metadata: ["file": .string(file)]) }
    static func info(_ file: String, _ message: String) { logger.info("\(message)", metadata: ["file": .string(file)]) }
    static func debug(_ file: String, _ message: String) { logger.debug("\(message)", metadata: ["file": .string(file)]) }

    /// The line a message becomes: control characters in the file name and message escaped, so it stays one line.
    static func line(level: Logger.Level, file: String?, message: String) -> String {
        var line = "framededupe: "
        if let file { line += Terminal.oneLine(file) + ": " }
        if level == .warning { line += "warning: " }
        return line + Terminal.oneLine(message)
    }
}

/// The level shared by every handler (set after the options are parsed, read from any thread).
private final class LevelBox: @unchecked Sendable {
    private let lock = NSLock()
    private var level: Logger.Level = .warning
    var value: Logger.Level {
        get { lock.withLock { level } }
        set { lock.withLock { level = newValue } }
    }
}

/// Writes each message as one line on stderr, clearing a progress bar first (``StatusLine``).
struct StandardErrorLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level {
        get { Log.currentLevel }
        set { Log.configure(verbose: newValue <= .debug ? 2 : newValue <= .info ? 1 : 0, quiet: newValue >= .error) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var subject: String? = nil
        if case .string(let name)? = event.metadata?["file"] ?? metadata["file"] { subject = name }
        StatusLine.shared.writeLine(Log.line(level: event.level, file: subject, message: event.message.description))
    }
}

import CFFmpeg

/// How much libav writes to standard error by itself: its global log level (`av_log_set_level`).
///
/// The decoder never sets it: libav's state is global to the process, so the program decides, once (the command
/// line keeps libav quiet and reports problems in its own words; `FrameDedupe.configure(_:)` sets it).
public enum LibavLogLevel: Sendable, Equatable {
    /// Nothing at all (`AV_LOG_QUIET`).
    case quiet
    /// Errors only (`AV_LOG_ERROR`).
    case error
    /// Errors and warnings (`AV_LOG_WARNING`).
    case warning
    /// libav's own default: errors, warnings and information (`AV_LOG_INFO`).
    case info
    /// Everything libav says while debugging (`AV_LOG_DEBUG`).
    case debug

    var libavValue: Int32 {
        switch self {
        case .quiet: AV_LOG_QUIET
        case .error: AV_LOG_ERROR
        case .warning: AV_LOG_WARNING
        case .info: AV_LOG_INFO
        case .debug: AV_LOG_DEBUG
        }
    }
}

/// Sets libav's log level for the whole process (every reader and encoder shares it).
public func setLibavLogLevel(_ level: LibavLogLevel) { av_log_set_level(level.libavValue) }

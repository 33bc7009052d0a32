import ArgumentParser
import FrameDedupe

/// The documented exit codes (see docs/usage.md and the man page).
enum Status: Int32 {
    case ok = 0
    case internalError = 1
    case usage = 2
    case inputUnreadable = 3
    case outputUnwritable = 4
    case partial = 5
    /// SIGINT (128 + 2), as shells report it.
    case interrupted = 130
    /// SIGTERM (128 + 15).
    case terminated = 143

    init(_ error: RunError) {
        switch error {
        case .input, .model: self = .inputUnreadable
        case .output(let e): self = e.kind == .refused ? .usage : .outputUnwritable
        case .encoding: self = .internalError
        }
    }
}

/// A failure already reported on stderr, ending the process with `status`.
struct Failure: Error {
    let status: Status
}

import ArgumentParser
import Foundation
import FrameDedupe
import Similarity

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

extension RunError {
    /// The error in the command line's words: a missing network says how an installed framededupe gets its weights
    /// (the fetch script `make install` put beside the binary, else `make model` in the source) and that `--scorer
    /// ssim` needs none; every other error as the library says it.
    var userDescription: String {
        guard case .model(.missing(let path, let variant)) = self else { return description }
        let option = variant == .lite0 ? "" : " --variant \(variant.rawValue)"
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let script = binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/framededupe/fetch-model.py")
        let fetch = FileManager.default.fileExists(atPath: script.path)
            ? "run 'python3 \(script.path)\(option)' (it downloads and converts them)"
            : "run 'make model\(variant == .lite0 ? "" : "s")' in framededupe's source folder (it downloads and converts them; 'make install' then installs them beside the binary)"
        return "no EfficientNet-\(variant.rawValue) weights at \(path): \(fetch), or give them with --model; --scorer ssim needs no weights"
    }
}

/// A failure already reported on stderr, ending the process with `status`.
struct Failure: Error {
    let status: Status
}

import Foundation

/// Why results could not be written.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// An output folder whose new contents appear all at once, or not at all.
///
/// Everything is written into a hidden staging folder inside the destination
/// (`.framededupe-staging-<pid>`), on the same file system, and moved into place by `rename(2)`
/// when the run succeeds: JSON last, so a `scenes.json` that exists always describes complete
/// image folders beside it. A run that fails or is killed leaves the previous results untouched;
/// its staging folder is removed by the next run. A run that fails leaves no folder it created.
public final class OutputFolder {
    public let url: URL
    public let staging: URL
    private var committed = false
    /// The folder did not exist before this run.
    private let created: Bool
    /// The tests' fault point, called after each entry moved into place.
    private let faultPoint: (@Sendable (FaultPoint) -> Void)?

    public convenience init(_ url: URL) throws(OutputError) {
        try self.init(url, faultPoint: nil)
    }

    init(_ url: URL, faultPoint: (@Sendable (FaultPoint) -> Void)?) throws(OutputError) {
        self.url = url
        self.faultPoint = faultPoint
        let fm = FileManager.default
        created = !fm.fileExists(atPath: url.path)
        do {
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: url.path, reason: "cannot create folder (\(OutputFolder.reason(error)))")
        }
        guard fm.isWritableFile(atPath: url.path) else {
            throw OutputError(path: url.path, reason: "folder is not writable")
        }
        OutputFolder.removeAbandonedStaging(in: url)
        staging = url.appendingPathComponent(".framededupe-staging-\(getpid())", isDirectory: true)
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw OutputError(path: staging.path, reason: "cannot create folder (\(OutputFolder.reason(error)))")
        }
    }

    deinit {
        if !committed {
            try? FileManager.default.removeItem(at: staging)
            if created { rmdir(url.path) }  // only if empty: a folder this run made and filled with nothing
        }
    }

    /// A staged subfolder (created on first use) for images.
    public func stagedFolder(_ name: String) throws(OutputError) -> URL {
        let folder = staging.appendingPathComponent(name, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: url.appendingPathComponent(name).path, reason: "cannot create folder (\(OutputFolder.reason(error)))")
        }
        return folder
    }

    /// Writes a staged file.
    public func write(_ bytes: some Sequence<UInt8>, to relativePath: String) throws(OutputError) {
        let target = staging.appendingPathComponent(relativePath)
        do {
            try Data(bytes).write(to: target)
        } catch {
            throw OutputError(path: url.appendingPathComponent(relativePath).path, reason: OutputFolder.reason(error))
        }
    }

    public func write(_ text: String, to relativePath: String) throws(OutputError) {
        try write(Array(text.utf8), to: relativePath)
    }

    /// Writes a staged file in pieces: `body` calls its argument with each piece of text in order, so a long
    /// file is never held whole in memory.
    func write(to relativePath: String, streaming body: (_ emit: (String) throws(OutputError) -> Void) throws(OutputError) -> Void) throws(OutputError) {
        let target = staging.appendingPathComponent(relativePath)
        func failure() -> OutputError { OutputError(path: url.appendingPathComponent(relativePath).path, reason: String(cString: strerror(errno))) }
        let fd = open(target.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        try body { (text: String) throws(OutputError) in
            var text = text
            let written = text.withUTF8 { bytes in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    done += n
                }
                return true
            }
            if !written { throw failure() }
        }
    }

    /// Moves the staged entries into place in the given order (folders before the JSON that names them).
    ///
    /// An entry already in the destination is replaced: moved aside into staging first, then deleted.
    /// When a move fails, the moves made so far are undone, so the folder holds the previous results, whole.
    public func commit(order: [String]) throws(OutputError) {
        let fm = FileManager.default
        let staged = (try? fm.contentsOfDirectory(atPath: staging.path)) ?? []
        let names = order.filter(staged.contains) + staged.filter { !order.contains($0) }.sorted()
        let aside = staging.appendingPathComponent(".replaced", isDirectory: true)
        var moves: [(from: String, to: String)] = []
        func move(_ from: String, _ to: String, failure: String) throws(OutputError) {
            guard rename(from, to) != 0 else { return moves.append((from, to)) }
            let error = OutputError(path: url.appendingPathComponent((to as NSString).lastPathComponent).path,
                                    reason: "\(failure) (\(String(cString: strerror(errno))))")
            for done in moves.reversed() { rename(done.to, done.from) }
            throw error
        }
        for name in names {
            let from = staging.appendingPathComponent(name)
            let to = url.appendingPathComponent(name)
            if fm.fileExists(atPath: to.path) || (try? fm.destinationOfSymbolicLink(atPath: to.path)) != nil {
                try? fm.createDirectory(at: aside, withIntermediateDirectories: true)
                try move(to.path, aside.appendingPathComponent(name).path, failure: "cannot replace")
            }
            try move(from.path, to.path, failure: "cannot move into place")
            faultPoint?(.commit)
        }
        committed = true
        try? fm.removeItem(at: staging)
    }

    private static func removeAbandonedStaging(in folder: URL) {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        for name in entries where name.hasPrefix(".framededupe-staging-") {
            let pid = Int32(name.dropFirst(".framededupe-staging-".count)) ?? 0
            // A staging folder whose process is gone was abandoned (killed run).
            if pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH) {
                try? fm.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }

    /// Why a file operation failed, as one short phrase (`permission denied`); also what `eval` says of a folder it cannot read.
    @_spi(Evaluation)
    public static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            case NSFileWriteVolumeReadOnlyError: return "read-only file system"
            default: break
            }
        }
        // Foundation on Linux puts a Swift `POSIXError` there (EFBIG, EIO, …), which `as? NSError` does not match.
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error, (underlying as NSError).domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32((underlying as NSError).code)))
        }
        return ns.localizedDescription
    }
}

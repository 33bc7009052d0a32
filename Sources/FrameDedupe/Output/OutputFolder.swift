import Foundation

/// Why results could not be written.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public let kind: Kind
    public var description: String { "\(path): \(reason)" }

    /// What kind of failure: the file system's, a refusal to touch what is not framededupe's, or a folder in use.
    public enum Kind: Sendable, Equatable {
        /// The file system said no (permissions, a full disk, …).
        case unwritable
        /// Writing would replace or delete what framededupe did not write (a folder it did not make, an input):
        /// nothing was touched; the user must choose another place (or allow it, where that can be allowed).
        case refused
        /// Another process is writing there now (``FolderLock``).
        case inUse
    }

    public init(path: String, reason: String, kind: Kind = .unwritable) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }
}

/// What an ``OutputFolder`` may replace besides what framededupe wrote there before.
public struct OutputPolicy: Sendable {
    /// Write into a non-empty folder framededupe did not make (`--overwrite`): its entries named like the results are
    /// replaced, everything else stays. Off: such a folder is refused before anything is read.
    public var replaceForeign = false
    /// Files that must survive whatever is allowed: the inputs. An entry that is one of them, or holds one, is never
    /// replaced or removed.
    public var protected: [String] = []

    public init(replaceForeign: Bool = false, protected: [String] = []) {
        self.replaceForeign = replaceForeign
        self.protected = protected
    }
}

/// An output folder whose new contents appear all at once, or not at all, and which replaces only what
/// framededupe wrote there.
///
/// Everything is written into a hidden staging folder inside the destination
/// (`.framededupe-staging-<pid>`), on the same file system, and moved into place by `rename(2)`
/// when the run succeeds: JSON last, so a `scenes.json` that exists always describes complete
/// image folders beside it. A run that fails or is killed leaves the previous results untouched;
/// its staging folder is removed by the next run. A run that fails leaves no folder it created.
///
/// Ownership: the committed entries are listed in the folder's manifest (``Manifest``); a folder that holds
/// anything else (another program's files, files put into `keyframes/`) is refused before anything is read, unless
/// the policy allows it; an input is never replaced nor removed; what the last run wrote and this one does not is
/// removed. One writer at a time: the folder's ``FolderLock`` (`.framededupe-lock`) is held from opening to the end.
public final class OutputFolder {
    public let url: URL
    public let staging: URL
    private var committed = false
    /// Staged files written by ``write(_:to:)`` and ``write(to:streaming:)``, not yet flushed to disk.
    private var unflushed: [String] = []
    /// The folder did not exist before this run.
    private let created: Bool
    /// The tests' fault point, called after each entry moved into place.
    private let faultPoint: (@Sendable (FaultPoint) -> Void)?
    private var lock: FolderLock?
    /// What the last committed run wrote, nil when it left no manifest.
    private let manifest: Manifest?
    /// The inputs and the folders that hold them (see ``OutputPolicy/protected``).
    private let protected: Set<FileIdentity>

    public convenience init(_ url: URL, policy: OutputPolicy = OutputPolicy()) throws(OutputError) {
        try self.init(url, policy: policy, faultPoint: nil)
    }

    init(_ url: URL, policy: OutputPolicy, faultPoint: (@Sendable (FaultPoint) -> Void)?) throws(OutputError) {
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
        manifest = Manifest.read(in: url)
        protected = policy.protected.reduce(into: Set<FileIdentity>()) { $0.formUnion(FileIdentity.withAncestors(of: $1)) }
        // Before the lock file is made: a folder refused gets nothing of ours.
        if !created, !policy.replaceForeign, let foreign = Manifest.firstForeign(in: url, manifest: manifest) {
            throw OutputError(path: url.path, reason: "holds files framededupe did not write (\(foreign)); choose another folder, "
                              + "or --overwrite to replace its entries named like the results", kind: .refused)
        }
        lock = try FolderLock(url.appendingPathComponent(Manifest.ownPrefix + "-lock"), guarding: url.path)
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
            lock = nil  // removes the lock file
            if created {
                unlink(url.appendingPathComponent(Manifest.fileName).path)
                rmdir(url.path)  // only if empty: a folder this run made and filled with nothing
            }
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

    /// Writes a staged file (flushed to disk with the others by ``commit(order:)``).
    public func write(_ bytes: some Sequence<UInt8>, to relativePath: String) throws(OutputError) {
        let target = staging.appendingPathComponent(relativePath)
        do {
            try writeUnflushed(Array(bytes), to: target.path)
        } catch {
            throw OutputError(path: url.appendingPathComponent(relativePath).path, reason: OutputFolder.reason(error))
        }
        unflushed.append(target.path)
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
        unflushed.append(target.path)
        try body { (text: String) throws(OutputError) in
            var text = text
            if text.withUTF8({ writeWhole(UnsafeRawBufferPointer($0), to: fd) }) != nil { throw failure() }
        }
    }

    /// Moves the staged entries into place in the given order (folders before the JSON that names them).
    ///
    /// An entry already in the destination is replaced: moved aside into staging first, then deleted; so is an
    /// entry the last run wrote (its manifest lists it) that this run does not. When a move fails, the moves made
    /// so far are undone, so the folder holds the previous results, whole. The manifest is written before the
    /// moves (listing what was there and what comes, so a run killed half-way leaves nothing unlisted) and after
    /// them (listing what is there).
    /// - Throws: ``OutputError`` of kind `refused`, before anything moved, when an entry to replace or remove is an input
    ///   or holds one.
    public func commit(order: [String]) throws(OutputError) {
        // The files written here reach the disk before their names can: all at once (the images are the checkpoint's
        // own, flushed before they were linked here).
        if let failed = flushToDisk(unflushed) {
            throw OutputError(path: url.appendingPathComponent(String(failed.path.dropFirst(staging.path.count + 1))).path,
                              reason: OutputFolder.reason(POSIXError(POSIXErrorCode(rawValue: failed.code) ?? .EIO)))
        }
        unflushed.removeAll()
        let fm = FileManager.default
        let staged = ((try? fm.contentsOfDirectory(atPath: staging.path)) ?? []).filter { $0 != ".replaced" }
        let names = order.filter(staged.contains) + staged.filter { !order.contains($0) }.sorted()
        let stale = (manifest?.entries ?? []).filter { !$0.contains("/") && !staged.contains($0) }.sorted()
        for name in names + stale {
            guard let id = FileIdentity(url.appendingPathComponent(name).path), protected.contains(id) else { continue }
            throw OutputError(path: url.appendingPathComponent(name).path, reason: "is an input, or holds one: it is never replaced; choose another output folder",
                              kind: .refused)
        }
        let incoming = Manifest.listing(names, in: staging)
        try Manifest(entries: (manifest?.entries ?? []).union(incoming)).write(in: url)
        let aside = staging.appendingPathComponent(".replaced", isDirectory: true)
        var moves: [(from: String, to: String)] = []
        func move(_ from: String, _ to: String, failure: String) throws(OutputError) {
            guard rename(from, to) != 0 else { return moves.append((from, to)) }
            let error = OutputError(path: url.appendingPathComponent((to as NSString).lastPathComponent).path,
                                    reason: "\(failure) (\(String(cString: strerror(errno))))")
            for done in moves.reversed() { rename(done.to, done.from) }
            if let manifest { try? manifest.write(in: url) } else { unlink(url.appendingPathComponent(Manifest.fileName).path) }
            throw error
        }
        func exists(_ path: String) -> Bool { fm.fileExists(atPath: path) || (try? fm.destinationOfSymbolicLink(atPath: path)) != nil }
        for name in names {
            let from = staging.appendingPathComponent(name)
            let to = url.appendingPathComponent(name)
            if exists(to.path) {
                try? fm.createDirectory(at: aside, withIntermediateDirectories: true)
                try move(to.path, aside.appendingPathComponent(name).path, failure: "cannot replace")
            }
            try move(from.path, to.path, failure: "cannot move into place")
            faultPoint?(.commit)
        }
        for name in stale where exists(url.appendingPathComponent(name).path) {
            try? fm.createDirectory(at: aside, withIntermediateDirectories: true)
            try move(url.appendingPathComponent(name).path, aside.appendingPathComponent(name).path, failure: "cannot remove")
        }
        committed = true
        try? Manifest(entries: incoming).write(in: url)
        try? fm.removeItem(at: staging)
    }

    /// Whether a run holds `folder` now (its lock).
    public static func isInUse(_ folder: URL) -> Bool { FolderLock.isHeld(folder.appendingPathComponent(Manifest.ownPrefix + "-lock")) }

    private static func removeAbandonedStaging(in folder: URL) {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        // Whoever holds the folder's lock (this run) is its only writer: every staging folder there was abandoned.
        for name in entries where name.hasPrefix(".framededupe-staging-") {
            try? fm.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Why a file operation failed, as one short phrase (`permission denied`); also what `eval` says of a folder it cannot read.
    @_spi(Evaluation)
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError {
            switch posix.code {  // worded as Foundation's errors below
            case .ENOSPC: return "no space left on device"
            case .EACCES: return "permission denied"
            case .EROFS: return "read-only file system"
            default: return String(cString: strerror(posix.code.rawValue))
            }
        }
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

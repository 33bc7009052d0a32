import Decoder
import Foundation

/// The file a folder's writer holds an exclusive `flock(2)` on while it writes there (one per output folder, one
/// per index): a second writer is told who has it instead of sharing a checkpoint or a staging folder with it.
///
/// The file records the holder's process id, for the message, and is removed when the lock is given up; the lock
/// itself goes with the process, so a killed writer's file is no obstacle (the next writer takes it over).
public final class FolderLock {
    private let descriptor: Int32
    public let url: URL

    /// Takes the lock on `url` (created when missing), or throws naming the process that holds it.
    /// - Parameter what: the folder or index it guards, for the message.
    public init(_ url: URL, guarding what: String) throws(OutputError) {
        self.url = url
        var fd: Int32 = -1
        // A holder removes the file as it lets go: a lock taken on a file no longer at `url` is taken again.
        for _ in 0..<100 {
            fd = try Self.lock(url, guarding: what)
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(url.path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev { break }
            close(fd)
            fd = -1
        }
        guard fd >= 0 else { throw OutputError(path: url.path, reason: "cannot lock (the lock file keeps being replaced)") }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    deinit {
        unlink(url.path)
        close(descriptor)
    }

    /// Opens `url` and takes an exclusive lock on it without waiting; returns the descriptor.
    private static func lock(_ url: URL, guarding what: String) throws(OutputError) -> Int32 {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError(path: url.path, reason: "cannot create lock file (\(String(cString: strerror(errno))))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            var bytes = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &bytes, bytes.count, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: bytes[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            guard busy else { throw OutputError(path: url.path, reason: "cannot lock (\(String(cString: strerror(errno))))") }
            throw OutputError(path: what, reason: "in use by process \(holder) (another framededupe writing there); try again when it has finished",
                              kind: .inUse)
        }
        return fd
    }

    /// Whether another process holds the lock on `url` now (false when there is no such file).
    public static func isHeld(_ url: URL) -> Bool {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}

/// A file's identity on its file system (device and inode, after following symbolic links): two paths name the same
/// file exactly when their identities are equal.
public struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The identity of what `path` names, nil when it does not exist.
    public init?(_ path: String) {
        guard let info = FileSystemName.status(path) else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The identities of `path` and of every folder that holds it: replacing any of them would replace it.
    public static func withAncestors(of path: String) -> Set<FileIdentity> {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var found = Set<FileIdentity>()
        while true {
            if let id = FileIdentity(url.path) { found.insert(id) }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        return found
    }
}

/// What a result folder holds that its writer made: `.framededupe-manifest.json` lists every file, folder and link a
/// committed run moved into place (paths relative to the folder), so the next run replaces only those, leaves
/// everything else alone, and removes what it wrote before and does not write now (`report.html` after
/// `--no-report`, `dendrogram.*` without `--dendrogram`).
struct Manifest {
    static let fileName = ".framededupe-manifest.json"
    /// Entries of framededupe's own in any result folder (the manifest, the lock, staging, the checkpoint).
    static let ownPrefix = ".framededupe"

    var entries: Set<String>

    /// The manifest in `folder`, nil when there is none or it is not one of ours.
    static func read(in folder: URL) -> Manifest? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(fileName)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["version"] as? Int == 1, let entries = object["entries"] as? [String] else { return nil }
        return Manifest(entries: Set(entries))
    }

    /// Writes the manifest atomically (a temporary name, then renamed into place).
    func write(in folder: URL) throws(OutputError) {
        let list = entries.sorted().map { "    " + JSONValue.string($0).serialized() }.joined(separator: ",\n")
        let text = "{\n  \"version\": 1,\n  \"written_by\": \"framededupe\",\n  \"entries\": [\n" + list + (list.isEmpty ? "" : "\n") + "  ]\n}\n"
        try writeAtomically(text, to: folder.appendingPathComponent(Self.fileName))
    }

    /// Every file, folder and link under `folder`'s entries `names` (relative paths; links not followed).
    ///
    /// Read with `readdir` and `lstat`: Foundation's directory enumerator also looked up each entry's owner, reading
    /// /etc/passwd again and again (18 times for one small result folder, ~0.07 s of a 360p clip's 1.5 s run with
    /// `--force`, and once per file of a long input's folder of keyframes).
    static func listing(_ names: [String], in folder: URL) -> Set<String> {
        var found = Set<String>()
        func isDirectory(_ path: String) -> Bool {
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
        }
        func walk(_ path: String, _ relative: String) {
            guard let directory = opendir(path) else { return }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                guard name != ".", name != ".." else { continue }
                found.insert(relative + "/" + name)
                if isDirectory(path + "/" + name) { walk(path + "/" + name, relative + "/" + name) }
            }
        }
        for name in names {
            found.insert(name)
            let root = folder.appendingPathComponent(name).path
            if isDirectory(root) { walk(root, name) }
        }
        return found
    }

    /// The first thing in `folder` that is not framededupe's: not in `manifest` (any entry at all when there is
    /// none), besides framededupe's own hidden files. Nil when everything there was written by framededupe.
    static func firstForeign(in folder: URL, manifest: Manifest?) -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(ownPrefix) }.sorted()
        guard let manifest else { return names.first }
        return listing(names, in: folder).sorted().first { !manifest.entries.contains($0) }
    }
}

import Foundation

/// Generated fixtures, kept between test runs in `.cache/test-fixtures/` (gitignored) under a name that carries
/// the hash of their recipe: the ffmpeg command lines (or a description of the Swift code that makes them), the
/// content of every input file they name, and the version of ffmpeg. A fixture whose recipe changes gets a new
/// name, so nothing stale is ever used; `rm -rf .cache/test-fixtures` starts afresh.
///
/// A fixture is made in a folder of its own (`.partial-…`) and renamed into place whole, so tests running at
/// once in one process (one at a time makes each recipe) or in several (the sanitizer builds, two checkouts'
/// suites) never see half a file; when two make the same recipe, the first rename wins and the other's copy is
/// dropped.
enum FixtureCache {
    static let folder: URL = {
        let url = Fixtures.packageRoot.appendingPathComponent(".cache/test-fixtures", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        removeAbandonedPartials(in: url)
        return url
    }()

    /// Bumped when what the helpers add to every recipe changes (``Fixtures/ffmpeg(_:)``'s fixed flags).
    static let helperVersion = "fixtures 1: ffmpeg -nostdin -hide_banner -v error -y"

    /// `ffmpeg -version`'s first line: another ffmpeg may encode other bytes.
    static let ffmpegVersion: String = {
        let result = try? Fixtures.run("ffmpeg", ["-version"])
        return result?.stdout.split(separator: "\n").first.map(String.init) ?? "ffmpeg: not found"
    }()

    private static let lock = NSRecursiveLock()

    /// The fixture `name` of this `recipe` (each element one step: an argument list), made by `make` into the
    /// URL it is given unless the cache has it already. `make` may put scratch files beside that URL.
    static func fixture(_ name: String, recipe: [[String]], make: (URL) throws -> Void) throws -> URL {
        let url = folder.appendingPathComponent(cachedName(name, key: key(name, recipe)))
        // One maker at a time in this process (recursive: a fixture's recipe may ask for another fixture).
        lock.lock()
        defer { lock.unlock() }
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let work = folder.appendingPathComponent(".partial-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let made = work.appendingPathComponent(name)
        try make(made)
        // rename(2): atomic; over an existing file it replaces it (the same recipe's bytes), over a folder it fails
        // (another process made it first: theirs is kept).
        if rename(made.path, url.path) != 0 && !FileManager.default.fileExists(atPath: url.path) {
            throw FixtureError(command: "rename \(made.path) \(url.path)", stderr: String(cString: strerror(errno)))
        }
        return url
    }

    /// `vfr.mkv` → `vfr-<16 hex digits>.mkv`.
    static func cachedName(_ name: String, key: UInt64) -> String {
        let ext = (name as NSString).pathExtension, stem = (name as NSString).deletingPathExtension
        let hex = String(key, radix: 16)
        return stem + "-" + String(repeating: "0", count: 16 - hex.count) + hex + (ext.isEmpty ? "" : "." + ext)
    }

    /// The recipe's hash: its steps (the package's path written as `<package>`, so checkouts elsewhere share nothing
    /// but agree), the contents of the files they name, ffmpeg's version and the helpers' version.
    static func key(_ name: String, _ recipe: [[String]]) -> UInt64 {
        let root = Fixtures.packageRoot.path
        var text = [helperVersion, ffmpegVersion, name].joined(separator: "\u{0}")
        for step in recipe {
            text += "\u{1}" + step.map { $0.replacingOccurrences(of: root, with: "<package>") }.joined(separator: "\u{0}")
            for argument in step where argument.hasPrefix("/") {
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder), !isFolder.boolValue {
                    text += "\u{2}" + String(contentHash(argument), radix: 16)
                }
            }
        }
        return fnv1a(Array(text.utf8))
    }

    /// 64-bit FNV-1a of a file's bytes (memoised by path, size and modification time).
    static func contentHash(_ path: String) -> UInt64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = "\(path)|\((attributes?[.size] as? Int) ?? -1)|\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        if let known = lock.withLock({ hashes[stamp] }) { return known }
        let hash = fnv1a((try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? [])
        lock.withLock { hashes[stamp] = hash }
        return hash
    }

    nonisolated(unsafe) private static var hashes: [String: UInt64] = [:]

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// `.partial-…` folders over an hour old: left by a test process that was killed while making a fixture.
    static func removeAbandonedPartials(in folder: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(".partial-") {
            let url = folder.appendingPathComponent(name)
            let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
            if Date().timeIntervalSince(modified) > 3600 { try? fm.removeItem(at: url) }
        }
    }
}

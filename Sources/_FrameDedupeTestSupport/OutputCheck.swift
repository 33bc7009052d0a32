import Foundation
import Testing

/// Checks of an output folder.
public enum OutputCheck {
    /// The folder holds complete results: `scenes.json` and `clusters.json` parse and say complete, every image they
    /// name is a whole JPEG or PNG, `unique/` and `clusters/` point at existing images, and nothing is left half-written.
    /// - Returns: `scenes.json`.
    @discardableResult
    public static func completeResults(in folder: URL) throws -> [String: Any] {
        let fm = FileManager.default
        let scenes = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("scenes.json"))) as? [String: Any])
        _ = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("clusters.json"))) as? [String: Any])
        #expect(scenes["complete"] as? Bool == true)
        for name in ["scenes.csv", "clusters.csv"] { #expect(fm.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name) missing") }
        for scene in (scenes["scenes"] as? [[String: Any]]) ?? [] {
            guard let path = (scene["keyframe"] as? [String: Any])?["path"] as? String else { continue }
            #expect(isWholeImage(folder.appendingPathComponent(path)), "\(path) is not a whole image")
        }
        for sub in ["unique", "clusters"] {
            let root = folder.appendingPathComponent(sub)
            guard let walker = fm.enumerator(atPath: root.path) else { continue }
            for case let path as String in walker where path.hasSuffix(".jpg") || path.hasSuffix(".png") {
                #expect(isWholeImage(root.appendingPathComponent(path)), "\(sub)/\(path) is not a whole image")
            }
        }
        let leftovers = (fm.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).filter {
            $0.contains(".framededupe-staging-") || $0.contains(".tmp-") || $0.hasPrefix("partial-")
        }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
        return scenes
    }

    /// A JPEG from its start marker to its end marker, or a PNG from its signature to its IEND chunk (symlinks followed).
    public static func isWholeImage(_ url: URL) -> Bool {
        guard let bytes = try? [UInt8](Data(contentsOf: url.resolvingSymlinksInPath())), bytes.count > 8 else { return false }
        if bytes.starts(with: [0xFF, 0xD8]) { return bytes.suffix(2) == [0xFF, 0xD9] }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return bytes.suffix(8).starts(with: Array("IEND".utf8)) }
        return false
    }

    /// Every file's bytes and every symlink's target under `folder`, by relative path; but for the lock file a killed
    /// run leaves (`.framededupe-lock`, which holds that run's process id and no result).
    public static func snapshot(_ folder: URL) throws -> [String: Data] {
        let fm = FileManager.default
        var files: [String: Data] = [:]
        for case let path as String in fm.enumerator(atPath: folder.path)! where path != ".framededupe-lock" {
            let url = folder.appendingPathComponent(path)
            if let target = try? fm.destinationOfSymbolicLink(atPath: url.path) {
                files[path] = Data(("-> " + target).utf8)
            } else if let data = try? Data(contentsOf: url) {
                files[path] = data
            }
        }
        return files
    }
}

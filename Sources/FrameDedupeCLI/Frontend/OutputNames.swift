import Decoder
import Foundation
import FrameDedupe

/// Where each input's results go when one call names several inputs.
enum OutputNames {
    /// One folder per input, whatever their number: `<name>.framededupe` in the current directory, or `DIR/<name>`
    /// with `--into DIR`; `-o DIR` (`output`, one input only) is that input's folder itself. Nil everywhere when no
    /// folder is written.
    ///
    /// `<name>` is the input's stem (`clip` for `dir/clip.mp4`). Inputs whose stems collide are named by their
    /// file names with extensions (`clip.mp4`, `clip.mkv`), then by as many parent folders as it takes, joined
    /// with `-` (`a-clip.mp4`, `b-clip.mp4`), then numbered (`clip.mp4-2`): names depend only on the inputs'
    /// spellings, so a rerun (resume) finds the same folders whatever the order.
    static func folders(for inputs: [String], output: String?, into: String? = nil, writesFolder: Bool) -> [String?] {
        guard writesFolder else { return inputs.map { _ in nil } }
        // Folders are made through Foundation, which cannot name bytes that are not UTF-8: those are spelled %HH.
        if let output, inputs.count == 1 { return [FileSystemName.displayed(output, byteFormat: "%%%02X")] }
        let output = (into ?? output).map { FileSystemName.displayed($0, byteFormat: "%%%02X") }
        // Bytes of a name that are not UTF-8 become %HH in the folder's name (it is made through Foundation).
        let names = distinctNames(inputs).map { FileSystemName.displayed($0, byteFormat: "%%%02X") }
        return names.map { name in
            guard let output else { return name + ".framededupe" }
            return output.hasSuffix("/") ? output + name : output + "/" + name
        }
    }

    static func distinctNames(_ inputs: [String]) -> [String] {
        /// The input's path components (a URL's path), without empty ones and ".".
        func components(_ input: String) -> [String] {
            if input == "-" { return ["stdin"] }
            var path = input
            if let url = URL(string: input), url.scheme != nil { path = url.path }
            return path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        }
        var names = inputs.map { stem(of: $0) }
        func clashing() -> Set<Int> {
            var seen: [String: [Int]] = [:]
            for (i, n) in names.enumerated() { seen[n, default: []].append(i) }
            return Set(seen.values.filter { $0.count > 1 }.joined())
        }
        var depth = 1
        while case let clash = clashing(), !clash.isEmpty, depth <= 8 {
            for i in clash {
                let parts = components(inputs[i])
                names[i] = parts.suffix(depth).joined(separator: "-")
                if names[i].isEmpty { names[i] = stem(of: inputs[i]) }
            }
            depth += 1
        }
        var used: [String: Int] = [:]
        for i in names.indices {
            used[names[i], default: 0] += 1
            if used[names[i]]! > 1 { names[i] += "-\(used[names[i]]!)" }
        }
        return names
    }

    /// `clip.mp4` → `./clip.framededupe`; a URL uses its last path component; "-" → `stdin.framededupe`.
    static func defaultOutput(for input: String) -> String { FileSystemName.displayed(stem(of: input), byteFormat: "%%%02X") + ".framededupe" }

    /// The input's name without folder and extension: "clip" for "dir/clip.mp4" or "https://…/clip.mp4", "stdin" for "-";
    /// a folder's own name ("photos" for "trip/photos/"); for a numbered pattern the name without its number field
    /// ("shot" for "shot%03d.png", the folder's name for "frames/%04d.png").
    static func stem(of input: String) -> String {
        if input == "-" { return "stdin" }
        var name = input
        if let url = URL(string: input), url.scheme != nil, !url.lastPathComponent.isEmpty { name = url.lastPathComponent }
        if !input.contains("://"), FileSystemName.isFolder(input) {
            let folder = URL(fileURLWithPath: input).standardizedFileURL.lastPathComponent
            return folder.isEmpty || folder == "/" ? "images" : folder
        }
        var stem = (URL(fileURLWithPath: name).lastPathComponent as NSString).deletingPathExtension
        if isImageSequence(input), stem.range(of: #"%0?[0-9]*d"#, options: .regularExpression) != nil {
            stem = stem.replacingOccurrences(of: #"%0?[0-9]*d"#, with: "", options: .regularExpression)
                .trimmingCharacters(in: CharacterSet(charactersIn: "_-. "))
            if stem.isEmpty { stem = URL(fileURLWithPath: input).deletingLastPathComponent().standardizedFileURL.lastPathComponent }
            if stem.isEmpty || stem == "/" { stem = "images" }
        }
        return stem.isEmpty ? "output" : stem
    }
}

/// Files a command writes must not be the files it reads: `--stats v.mp4`, `embed v.mp4 -o v.mp4` or
/// `index export -o corpus.db` would replace them.
enum InputGuard {
    /// Fails with one line and status 2 when an output (an option and the path it names) is one of `inputs`: the same
    /// path, or the same file (device and inode, symbolic links followed); or when its name holds bytes that are not
    /// UTF-8. Standard input and output are no file.
    static func refuseOutputs(_ outputs: [(option: String, path: String?)], naming inputs: [String]) throws {
        let local = inputs.filter { $0 != "-" && !$0.contains("://") }
        // Written through Foundation, which would turn such bytes into other characters: another file's name.
        for case let (option, path?) in outputs where FileSystemName.hasRawBytes(path) {
            Terminal.error("\(Terminal.oneLine(path)): \(option) names a file with bytes that are not UTF-8, which it cannot write under that name; choose another")
            throw Failure(status: .usage)
        }
        for case let (option, path?) in outputs where path != "-" {
            let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
            let identity = FileIdentity(path)
            guard let input = local.first(where: {
                URL(fileURLWithPath: $0).standardizedFileURL.path == standardized || (identity != nil && FileIdentity($0) == identity)
            }) else { continue }
            Terminal.error("\(Terminal.oneLine(path)): \(option) names an input (\(Terminal.oneLine(input))), which it would replace; choose another file")
            throw Failure(status: .usage)
        }
    }
}

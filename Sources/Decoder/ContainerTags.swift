import CFFmpeg

/// A container's own metadata tags (`title`, `comment`, `show`, …: the format-level `AVFormatContext.metadata`,
/// as `ffprobe -show_format` lists them under TAG), for grouping videos in the corpus index (`--group-by meta:KEY`).
public enum ContainerTags {
    /// Opens `path` and reads its format-level tags; an input libavformat cannot open has none (its analysis reports why).
    public static func read(_ path: String) -> [String: String] {
        guard let format = try? FormatContext(url: path) else { return [:] }
        var tags: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let e = av_dict_get(format.pointer.pointee.metadata, "", entry, AV_DICT_IGNORE_SUFFIX) {
            if let key = e.pointee.key, let value = e.pointee.value { tags[String(cString: key)] = String(cString: value) }
            entry = e
        }
        return tags
    }
}

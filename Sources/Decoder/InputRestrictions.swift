import CFFmpeg
import Foundation

/// What libavformat may open on behalf of one input, beyond the input itself.
///
/// Some demuxers read a list of other files or URLs and open those: HLS (`.m3u8`), DASH manifests, the concat
/// demuxer (ffconcat), IMF, SDP (network streams), AviSynth and VapourSynth scripts. A local file read by one of
/// them could pull in any other file by its path, or name itself and recurse (a three-line HLS playlist that is
/// its own variant took gigabytes of memory in seconds). For a local file or standard input they are off:
/// libavformat's `format_whitelist` lists every other demuxer, and its `protocol_whitelist` only `file` (`pipe`
/// for standard input), which every file that demuxer opens inherits. `--allow-playlists` turns the playlist
/// demuxers back on for a local file, with the protocols still limited to local files (no network), and
/// ``OpenGuard`` limits what the playlist may open. URLs are left as libavformat reads them (HLS over HTTP is
/// what they are for).
public struct InputRestrictions: Sendable, Equatable {
    /// Demuxers that open further files or streams named inside the input.
    public static let playlistDemuxers: Set<String> = ["hls", "dash", "concat", "imf", "sdp", "rtsp", "avisynth", "vapoursynth"]

    /// The input is a local file or folder (not a URL, not standard input).
    let local: Bool
    /// The input is standard input (`pipe:0`).
    let standardInput: Bool
    /// `--allow-playlists`.
    let allowPlaylists: Bool

    /// The dictionary entries for `avformat_open_input` (nothing for a URL).
    var demuxerOptions: [String: String] {
        guard local || standardInput else { return [:] }
        var allowed = Self.allDemuxers
        if !(allowPlaylists && local) { allowed.removeAll(where: Self.playlistDemuxers.contains) }
        return ["format_whitelist": allowed.joined(separator: ","),
                "protocol_whitelist": standardInput ? "pipe" : allowPlaylists ? "file,crypto" : "file"]
    }

    /// With `--allow-playlists`, the first file an ffconcat list at `path` names that is a playlist itself: playlists
    /// do not nest. (The concat demuxer opens its files without `io_open`, so ``OpenGuard`` cannot see them: a list
    /// naming itself would recurse until the process runs out of file descriptors, gigabytes later.) Entries are
    /// read as the demuxer reads them: `file` lines, one token each, quoted with `'…'` or escaped with `\`.
    static func nestedPlaylist(inConcat path: String) -> String? {
        guard demuxer(of: path) == "concat" else { return nil }
        // A list longer than a MiB is read up to there.
        guard let bytes = FileSystemName.head(path, count: 1 << 20) else { return nil }
        let text = FileSystemName.string(bytes)
        let folder = (path as NSString).deletingLastPathComponent
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("file "), let name = token(trimmed.dropFirst(5)) else { continue }
            let entry = name.hasPrefix("/") || name.contains("://") ? name : (folder.isEmpty ? name : folder + "/" + name)
            if entry.contains("://") || demuxer(of: entry).map({ playlistDemuxers.contains($0) }) != false { return name }
        }
        return nil
    }

    /// One token as `av_get_token` reads it: `'…'` quoted parts and `\`-escaped characters joined.
    private static func token(_ text: Substring) -> String? {
        var out = "", quoted = false, escaped = false
        for c in text.drop(while: { $0 == " " || $0 == "\t" }) {
            if escaped { out.append(c); escaped = false; continue }
            switch c {
            case "'": quoted.toggle()
            case "\\" where !quoted: escaped = true
            case " ", "\t", "#":
                if !quoted { return out.isEmpty ? nil : out }
                out.append(c)
            default: out.append(c)
            }
        }
        return out.isEmpty ? nil : out
    }

    /// Whether the demuxer libavformat would pick for the file at `path` (from its first 4 KiB and its name) is one
    /// that opens further files: why a local input that no allowed demuxer opened was refused.
    static func isPlaylist(_ path: String) -> Bool {
        demuxer(of: path).map { playlistDemuxers.contains($0) } ?? false
    }

    /// The first name of the demuxer libavformat would pick for the file at `path`; nil when none, or unreadable.
    /// Opened without blocking, so a FIFO cannot hold it up.
    static func demuxer(of path: String) -> String? {
        guard let head = FileSystemName.head(path, count: 4096), let format = probedFormat(head, filename: path) else { return nil }
        let names = String(cString: format.pointee.name).split(separator: ",").map(String.init)
        return names.first { playlistDemuxers.contains($0) } ?? names.first
    }

    /// Every demuxer this libavformat has, by name (a name list such as `mov,mp4,m4a` counts as each of its names).
    static let allDemuxers: [String] = {
        var names: [String] = []
        var state: UnsafeMutableRawPointer? = nil
        while let format = av_demuxer_iterate(&state) {
            names += String(cString: format.pointee.name).split(separator: ",").map(String.init)
        }
        return names
    }()
}

/// The demuxer libavformat's probe picks for a file starting with `head` and named `filename` ("" to judge by the
/// bytes alone); nil when none does.
func probedFormat(_ head: [UInt8], filename: String) -> UnsafePointer<AVInputFormat>? {
    var buffer = head + [UInt8](repeating: 0, count: Int(AVPROBE_PADDING_SIZE))
    var score: Int32 = 0
    return buffer.withUnsafeMutableBufferPointer { bytes in
        FileSystemName.withPath(filename) { name in
            var probe = AVProbeData(filename: name, buf: bytes.baseAddress, buf_size: Int32(head.count), mime_type: nil)
            return av_probe_input_format2(&probe, 1, &score)
        }
    }
}

/// Why an input could not be opened or read. Each case reads as one line for the user.
public enum DecoderError: Error, CustomStringConvertible, Sendable, Equatable {
    case notFound
    case isDirectory
    case permissionDenied
    /// libavformat could not recognise the bytes as any container.
    case notMedia(String)
    /// The demuxer that claimed the file only turns arbitrary bytes into text art.
    case textArtDemuxer(String)
    case noVideoStream
    case noSuchStream(Int, available: Int)
    /// `--stream N` names a stream that is not video (`kind`: libavutil's name of its media type, "audio"…);
    /// `video` lists the input's video streams.
    case notVideoStream(Int, kind: String, video: [Int])
    case noDecoder(codec: String)
    /// An MP4/MOV whose index (moov) sits at the end, read from a pipe that cannot seek back to it.
    case indexAtEndOnPipe
    /// An MP4/MOV without its index (moov): cut short, or a recording that was never finished.
    case indexMissing
    /// The stream was read to its end but not one frame decoded: `packets` read, the decoder's first complaint.
    case undecodable(packets: Int, reason: String?)
    case libav(LibavError)
    /// A folder without a single picture libavformat recognises (`files`: how many other files it holds).
    case noImages(files: Int)
    /// A playlist (HLS, ffconcat, DASH, …) that would open further files, refused for a local input without
    /// `--allow-playlists` (``InputRestrictions``).
    case playlistRefused
    /// With `--allow-playlists`: a playlist that names another playlist (itself, say), a URL or a missing file.
    case nestedPlaylist(String)
    /// The input's pictures would take more memory than its ``MemoryBudget`` (`--max-memory`): `pictures` decoded
    /// pictures of `width`×`height` and `encodedImages` encoded images of them in flight take `bytes`, more than `budget`.
    case pictureTooLarge(width: Int, height: Int, pictures: Int, encodedImages: Int, bytes: Int64, budget: Int64)
    /// Asked to stop (``ReaderOptions/interrupt``) before the input gave anything to read (a FIFO without a writer).
    case interrupted
    /// `--start`/`--end` hold no frame to sample: the range (seconds) and where the input ends, when known.
    case nothingInRange(start: Double, end: Double?, inputEnd: Double?)

    /// `12.5 s`: seconds as the options take them.
    private static func seconds(_ x: Double) -> String { String(format: "%.3f s", x) }

    public var description: String {
        switch self {
        case .notFound: "no such file"
        case .isDirectory: "is a directory, not raw video (--raw reads one file or standard input; without it a folder is read as images)"
        case .permissionDenied: "permission denied"
        case .notMedia(let why): "not a video file (\(why))"
        case .textArtDemuxer(let name): "not a video file (only the '\(name)' text-art reader accepts these bytes)"
        case .noVideoStream: "has no video stream"
        case .noSuchStream(let n, let count): "has no video stream #\(n) (\(count) streams)"
        case .notVideoStream(let n, let kind, let video):
            "stream #\(n) is \(kind), not video (" + (video.isEmpty ? "the input has no video stream" : "video: " + video.map { "#\($0)" }.joined(separator: ", "))
                + "); --stream takes a video stream's number, as ffprobe numbers them"
        case .noDecoder(let codec): "no decoder for codec '\(codec)' in this libavcodec"
        case .indexAtEndOnPipe:
            "MP4/MOV with its index at the end cannot be read from a pipe; remux with '-movflags +faststart', or pipe NUT/Matroska ('-f nut -')"
        case .indexMissing: "MP4/MOV without its index (no 'moov' box): the file is truncated, or its recording was never finished"
        case .undecodable(0, _): "has a video stream without any frame"
        case .undecodable(let n, let why): "not one frame could be decoded from \(n) video packets" + (why.map { " (\($0))" } ?? "")
        case .libav(let e): e.description
        case .noImages(let n): "is a folder without any image" + (n > 0 ? " (\(n) other \(n == 1 ? "file" : "files"))" : "")
        case .playlistRefused:
            "a playlist that opens other files (HLS, ffconcat, DASH, …): refused for a local input; --allow-playlists reads it, with local files only"
        case .nestedPlaylist(let name):
            "a playlist naming '\(name)', which is a playlist, a URL or missing: playlists do not nest and open local files only"
        case .pictureTooLarge(let w, let h, let n, let encoded, let bytes, let budget):
            "its \(w)×\(h) pictures need about \(MemoryBudget.describe(bytes)) (\(n) decoded pictures"
                + (encoded > 0 ? " and \(encoded) encoded images" : "") + " in flight), more than --max-memory \(MemoryBudget.describe(budget)) allows"
        case .interrupted: "stopped before anything was read (no writer, or nothing written)"
        case .nothingInRange(let start, let end, let inputEnd):
            "no frame to sample from \(Self.seconds(start))" + (end.map { " to \(Self.seconds($0))" } ?? " on")
                + (inputEnd.map { " (the input ends at \(Self.seconds($0)))" } ?? "") + "; earlier results are kept"
        }
    }
}

import CFFmpeg

/// The geometry, pixel layout and rate of headerless raw video (`ffmpeg … -f rawvideo -pix_fmt gray -`), which
/// libavformat's `rawvideo` demuxer needs to be told: `WIDTHxHEIGHT:PIXFMT:RATE`, e.g. `640x360:gray:25`.
public struct RawVideoFormat: Sendable, Hashable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    /// A libavutil pixel format name (`gray`, `rgb24`, `yuv420p`, … as `ffmpeg -pix_fmts` lists them).
    public let pixelFormat: String
    /// Frames per second (`25`, `29.97`, `30000/1001`).
    public let rate: Rational

    /// Parses `WIDTHxHEIGHT:PIXFMT:RATE`.
    ///
    /// - Throws: a one-line reason when a part is missing, not a number, not a pixel format libavutil knows,
    ///   or out of range (sides 1 to 16384, a positive rate).
    public init(parsing text: String) throws(RawVideoFormatError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw RawVideoFormatError("'\(text)' is not WIDTHxHEIGHT:PIXFMT:RATE (e.g. 640x360:gray:25)") }
        let size = parts[0].lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard size.count == 2, let w = Int(size[0]), let h = Int(size[1]) else {
            throw RawVideoFormatError("'\(parts[0])' is not a picture size WIDTHxHEIGHT (e.g. 640x360)")
        }
        guard (1...16384).contains(w), (1...16384).contains(h) else {
            throw RawVideoFormatError("picture size \(w)x\(h) out of range (1 to 16384 pixels a side)")
        }
        guard !parts[1].isEmpty, av_get_pix_fmt(parts[1]) != AV_PIX_FMT_NONE else {
            throw RawVideoFormatError("'\(parts[1])' is not a pixel format libavutil knows (gray, rgb24, yuv420p, … see ffmpeg -pix_fmts)")
        }
        guard let rate = Rational(parsing: parts[2]), rate.numerator > 0, rate.numerator <= Int32.max, rate.denominator <= Int32.max else {
            throw RawVideoFormatError("'\(parts[2])' is not a positive frame rate (25, 29.97 or 30000/1001)")
        }
        width = w
        height = h
        pixelFormat = parts[1]
        self.rate = rate
    }

    public var description: String { "\(width)x\(height):\(pixelFormat):\(rate)" }

    /// The `rawvideo` demuxer's private options.
    var demuxerOptions: [String: String] {
        ["video_size": "\(width)x\(height)", "pixel_format": pixelFormat, "framerate": rate.description]
    }
}

/// Why a `--raw` description was refused.
public struct RawVideoFormatError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

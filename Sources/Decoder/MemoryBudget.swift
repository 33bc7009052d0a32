import CFFmpeg
import Foundation

/// The memory one input's decoded pictures may take (`--max-memory`), checked when the input is opened, before
/// a picture is decoded.
///
/// What grows with the picture's size is the number of decoded pictures alive at once, each as large as
/// `av_image_get_buffer_size` says for the stream's size and pixel format:
/// - the decoder's: one per decoding thread (frame threading), up to 16 reference frames (H.264/HEVC's largest
///   decoded picture buffer) and the one being handed out;
/// - the caller's: ``picturesHeld``, the pictures it keeps between decoding and its last stage (for a run: the
///   frame queue, a batch for the network and the stages' candidates).
///
/// An input whose pictures would take more than ``bytes`` is refused (``DecoderError/pictureTooLarge``). The
/// decoder is also given libavcodec's `max_pixels`, the largest picture the budget could hold even at one byte a
/// pixel, so a frame whose own header states a larger picture than the container did (a hostile file) is refused
/// by libavcodec instead of allocated.
public struct MemoryBudget: Sendable, Equatable {
    /// The most bytes the pictures in flight may take.
    public var bytes: Int64
    /// Pictures the caller holds besides the decoder's own.
    public var picturesHeld: Int

    public init(bytes: Int64, picturesHeld: Int = 0) {
        self.bytes = bytes
        self.picturesHeld = picturesHeld
    }

    /// Reference frames a decoder may hold (H.264 and HEVC keep at most 16) plus the one it hands out.
    static let decoderPictures = 17

    /// The pictures alive at once with a decoder asked for `threads` threads (0: libavcodec's choice, one more than
    /// the processors, at most 16; counted whether or not the codec has frame threading, since it is not open yet).
    func pictures(decoderThreads threads: Int) -> Int {
        (threads > 0 ? threads : min(16, ProcessInfo.processInfo.activeProcessorCount + 1)) + Self.decoderPictures + picturesHeld
    }

    /// libavcodec's `max_pixels`: the largest picture that fits with one decoding thread at one byte a pixel.
    var maxPixels: Int64 { max(1, bytes / Int64(pictures(decoderThreads: 1))) }

    /// Bytes of one decoded picture (4 a pixel when the pixel format is not known yet).
    static func pictureBytes(width: Int, height: Int, format: Int32) -> Int64 {
        let size = format >= 0 ? av_image_get_buffer_size(AVPixelFormat(rawValue: format), Int32(width), Int32(height), 1) : -1
        return size > 0 ? Int64(size) : 4 * Int64(width) * Int64(height)
    }

    /// Throws when the pictures of a `width`×`height` stream in pixel format `format` (an `AVPixelFormat`, −1
    /// when unknown) would take more than ``bytes`` with `threads` decoding threads (as `--threads` says).
    func check(width: Int, height: Int, format: Int32, decoderThreads threads: Int) throws(DecoderError) {
        let count = pictures(decoderThreads: threads)
        let (needed, overflow) = Self.pictureBytes(width: width, height: height, format: format).multipliedReportingOverflow(by: Int64(count))
        if overflow || needed > bytes {
            throw .pictureTooLarge(width: width, height: height, pictures: count, bytes: overflow ? .max : needed, budget: bytes)
        }
    }

    /// `bytes` for a message: "4.0 GiB", "512 MiB".
    public static func describe(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : "\(bytes >> 20) MiB"
    }
}

import CFFmpeg
import Foundation

/// The memory one input's decoded pictures may take (`--max-memory`), checked when the input is opened, before
/// a picture is decoded.
///
/// What grows with the picture's size is the pictures alive at once, each as large as `av_image_get_buffer_size`
/// says for the stream's size and pixel format:
/// - the decoder's: one per decoding thread (frame threading), up to 16 reference frames (H.264/HEVC's largest
///   decoded picture buffer) and the one being handed out;
/// - the caller's: ``framesHeld``, the frames it keeps between decoding and its last stage (for a run: the frame
///   queue, a batch for the network, a second one up to 720p, and the stages' candidates), each holding what ``heldAs`` says of its picture:
///   the whole decoded picture, nothing (a run that writes no images), or, for a picture encoded as soon as it is
///   decoded, its encoded image, counted at ``encodedShare`` of the decoded picture, while the pictures waiting for
///   the encoder and the one it encodes are whole.
///
/// An input whose pictures would take more than ``bytes`` is refused (``DecoderError/pictureTooLarge``). The
/// decoder is also given libavcodec's `max_pixels`, the largest picture the budget could hold even at one byte a
/// pixel, so a frame whose own header states a larger picture than the container did (a hostile file) is refused
/// by libavcodec instead of allocated.
public struct MemoryBudget: Sendable, Equatable {
    /// The most bytes the pictures in flight may take.
    public var bytes: Int64
    /// Frames the caller holds besides the decoder's own pictures.
    public var framesHeld: Int
    /// Frames it holds besides those for pictures of at most ``morePixelsAtMost`` pixels (the network batches kept while a second thread embeds).
    public var moreFramesHeld = 0
    public var morePixelsAtMost = 0
    /// What each of those frames holds of its picture.
    public var heldAs: HeldPicture

    /// What a frame the caller holds keeps of its decoded picture.
    public enum HeldPicture: Sendable, Equatable {
        /// The picture itself.
        case decoded
        /// Nothing (frames without images).
        case nothing
        /// Its image, encoded as soon as the picture is decoded when the picture has more than `abovePixels` pixels
        /// (else the picture itself), with `waiting` decoded pictures queued for the encoder besides the one it encodes.
        case encoded(abovePixels: Int, waiting: Int)
    }

    /// The share of its decoded picture an encoded image is counted at: a quarter. JPEG at quality 3 (the default)
    /// of real 1080p footage, one frame a second of the dev set's four 1080p clips, took 0.8-12.7% of the decoded
    /// (4:2:0) picture, 3.4% at the median; random noise in the luma took 43%.
    public static let encodedShare = 0.25

    public init(bytes: Int64, framesHeld: Int = 0, heldAs: HeldPicture = .decoded) {
        self.bytes = bytes
        self.framesHeld = framesHeld
        self.heldAs = heldAs
    }

    /// The pictures alive at once for a `width`×`height` stream with `threads` decoding threads (counted whether or
    /// not the codec has frame threading, since it is not open yet): how many are held decoded (whole) and how many
    /// as encoded images.
    func pictures(width: Int, height: Int, decoderThreads threads: Int) -> (decoded: Int, encoded: Int) {
        let decoder = threads + Self.decoderPictures
        let framesHeld = framesHeld + (width * height <= morePixelsAtMost ? moreFramesHeld : 0)
        switch heldAs {
        case .decoded: return (decoder + framesHeld, 0)
        case .nothing: return (decoder, 0)
        case .encoded(let above, let waiting):
            return width * height > above ? (decoder + waiting + 1, framesHeld) : (decoder + framesHeld, 0)
        }
    }

    /// Reference frames a decoder may hold (H.264 and HEVC keep at most 16) plus the one it hands out.
    static let decoderPictures = 17

    /// libavcodec's `max_pixels`: the largest picture that fits with one decoding thread at one byte a pixel (counted
    /// as a large picture is: encoded when the frames hold encoded images).
    var maxPixels: Int64 {
        let (decoded, encoded) = pictures(width: Int(Int32.max), height: 1, decoderThreads: 1)
        return max(1, Int64(Double(bytes) / (Double(decoded) + Self.encodedShare * Double(encoded))))
    }

    /// Bytes of one decoded picture (4 a pixel when the pixel format is not known yet).
    static func pictureBytes(width: Int, height: Int, format: Int32) -> Int64 {
        let size = format >= 0 ? av_image_get_buffer_size(AVPixelFormat(rawValue: format), Int32(width), Int32(height), 1) : -1
        return size > 0 ? Int64(size) : 4 * Int64(width) * Int64(height)
    }

    /// Throws when the pictures of a `width`×`height` stream in pixel format `format` (an `AVPixelFormat`, −1
    /// when unknown) would take more than ``bytes`` with `threads` decoding threads (the count the decoder is opened with).
    func check(width: Int, height: Int, format: Int32, decoderThreads threads: Int) throws(DecoderError) {
        let (decoded, encoded) = pictures(width: width, height: height, decoderThreads: threads)
        let picture = Self.pictureBytes(width: width, height: height, format: format)
        let (whole, overflow) = picture.multipliedReportingOverflow(by: Int64(decoded))
        let images = Double(picture) * Self.encodedShare * Double(encoded)
        let needed = overflow || images >= Double(Int64.max - whole) ? Int64.max : whole + Int64(images.rounded(.up))
        if needed > bytes {
            throw .pictureTooLarge(width: width, height: height, pictures: decoded, encodedImages: encoded, bytes: needed, budget: bytes)
        }
    }

    /// `bytes` for a message: "4.0 GiB", "512 MiB".
    public static func describe(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : "\(bytes >> 20) MiB"
    }
}

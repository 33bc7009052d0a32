import CFFmpeg
import Pixels

/// The file format of exported images.
public enum StillImageFormat: String, Sendable, CaseIterable {
    case jpg
    case png
    /// Lossy WebP through libavcodec's `libwebp` encoder, which a libavcodec built without libwebp lacks
    /// (``isAvailable``).
    case webp

    public var fileExtension: String { rawValue }

    /// libavcodec's encoder for the format.
    var encoderName: String {
        switch self {
        case .jpg: "mjpeg"
        case .png: "png"
        case .webp: "libwebp"
        }
    }

    /// Whether the libavcodec in use has the format's encoder.
    public var isAvailable: Bool { avcodec_find_encoder_by_name(encoderName) != nil }
}

/// Encodes pictures as JPEG (libavcodec's `mjpeg`, full-range 4:2:0), PNG (`png`, RGB24) or WebP (`libwebp`,
/// 4:2:0, quality 90 of 100).
///
/// Not thread-safe: one encoder per task. The codec context is rebuilt only when the size changes.
public final class StillImageEncoder {
    public let format: StillImageFormat
    /// JPEG quantiser scale, 2 (best) to 31; FFmpeg's `-q:v`.
    public let jpegQuality: Int
    private var context: CodecContext?
    private var contextSize: (Int, Int) = (0, 0)
    private let scaler = Scaler()
    private let frame = Frame()
    private let packet = Packet()
    /// Encoders insist on increasing pts, even for stills.
    private var nextPTS: Int64 = 0

    public init(format: StillImageFormat, jpegQuality: Int = 3) {
        self.format = format
        self.jpegQuality = min(max(jpegQuality, 2), 31)
    }

    private var pixelFormat: AVPixelFormat {
        switch format {
        case .jpg: AV_PIX_FMT_YUVJ420P
        case .png: AV_PIX_FMT_RGB24
        case .webp: AV_PIX_FMT_YUV420P
        }
    }

    /// Encodes a decoded picture, scaled (bicubic) to fit within `maxSide` pixels with square pixels.
    public func encode(_ picture: Picture, maxSide: Int? = nil) throws(LibavError) -> [UInt8] {
        let size = picture.displaySize(maxSide: maxSide)
        try prepareFrame(width: size.width, height: size.height)
        let source = picture.frame
        try scaler.scale(
            source: source.planes.map { $0.map { UnsafePointer($0) } }, sourceStrides: source.strides,
            sourceWidth: picture.width, sourceHeight: picture.height, sourceFormat: source.pixelFormat,
            destination: frame.planes, destinationStrides: frame.strides,
            width: size.width, height: size.height, format: pixelFormat,
            flags: Int32(SWS_BICUBIC) | Int32(SWS_ACCURATE_RND) | Int32(SWS_FULL_CHR_H_INT))
        return try encodeFrame(width: size.width, height: size.height)
    }

    /// Encodes an RGB image at its own size.
    public func encode(_ image: RGBImage) throws(LibavError) -> [UInt8] {
        try prepareFrame(width: image.width, height: image.height)
        try image.pixels.withUnsafeBufferPointer { (source: UnsafeBufferPointer<UInt8>) throws(LibavError) in
            try scaler.scale(
                source: [source.baseAddress], sourceStrides: [Int32(image.width * 3)],
                sourceWidth: image.width, sourceHeight: image.height, sourceFormat: AV_PIX_FMT_RGB24,
                destination: frame.planes, destinationStrides: frame.strides,
                width: image.width, height: image.height, format: pixelFormat,
                flags: Int32(SWS_POINT) | Int32(SWS_ACCURATE_RND) | Int32(SWS_FULL_CHR_H_INT))
        }
        return try encodeFrame(width: image.width, height: image.height)
    }

    private func prepareFrame(width: Int, height: Int) throws(LibavError) {
        if frame.width != width || frame.height != height || frame.pointer.pointee.data.0 == nil {
            frame.unref()
            frame.pointer.pointee.width = Int32(width)
            frame.pointer.pointee.height = Int32(height)
            frame.pointer.pointee.format = pixelFormat.rawValue
            try check(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer")
        } else {
            try check(av_frame_make_writable(frame.pointer), "av_frame_make_writable")
        }
    }

    private func encoder(width: Int, height: Int) throws(LibavError) -> CodecContext {
        if let context, contextSize == (width, height) { return context }
        context = nil
        let quality = jpegQuality
        let pixelFormat = pixelFormat
        let format = format
        let made = try CodecContext(encoder: format.encoderName) { c in
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.pix_fmt = pixelFormat
            c.pointee.time_base = AVRational(num: 1, den: 25)  // required before avcodec_open2, meaningless for stills
            // WebP's lossy pictures are limited-range 4:2:0 (what swscale makes of yuv420p).
            c.pointee.color_range = format == .webp ? AVCOL_RANGE_MPEG : AVCOL_RANGE_JPEG
            if pixelFormat == AV_PIX_FMT_YUVJ420P {
                c.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
                c.pointee.global_quality = Int32(quality) * FF_QP2LAMBDA
            } else if format == .webp {
                c.pointee.global_quality = 90 * FF_QP2LAMBDA  // libwebp's quality 0-100 (its default is 75)
            }
        }
        context = made
        contextSize = (width, height)
        return made
    }

    private func encodeFrame(width: Int, height: Int) throws(LibavError) -> [UInt8] {
        let context = try encoder(width: width, height: height)
        frame.pointer.pointee.quality = context.pointer.pointee.global_quality
        frame.pointer.pointee.pts = nextPTS
        nextPTS += 1
        try check(avcodec_send_frame(context.pointer, frame.pointer), "encode image")
        var bytes: [UInt8] = []
        while true {
            let step = try codecStep(avcodec_receive_packet(context.pointer, packet.pointer), "encode image")
            guard step == .ready else { break }
            bytes.append(contentsOf: UnsafeBufferPointer(start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size)))
            packet.unref()
            // One frame gives one packet for both mjpeg and png.
            break
        }
        if bytes.isEmpty {
            // Some encoders only emit on flush.
            _ = avcodec_send_frame(context.pointer, nil)
            while try codecStep(avcodec_receive_packet(context.pointer, packet.pointer), "encode image") == .ready {
                bytes.append(contentsOf: UnsafeBufferPointer(start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size)))
                packet.unref()
            }
            self.context = nil
        }
        return bytes
    }
}

import CFFmpeg

// Owners of libav objects: each class frees exactly what it allocated, once, in deinit.
// None of these pointers leaves the Decoder module.

/// An owned `AVPacket`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let p = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    func unref() { av_packet_unref(pointer) }
}

/// An owned `AVFrame` (its buffers are reference-counted by libav).
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() {
        guard let p = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = p
    }

    /// A new reference to the same picture buffers (no pixel copy).
    convenience init(referencing other: Frame) throws(LibavError) {
        self.init()
        try reference(other)
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    func unref() { av_frame_unref(pointer) }

    /// Makes this frame a new reference to `other`'s picture buffers (no pixel copy), dropping what it referenced.
    func reference(_ other: Frame) throws(LibavError) {
        av_frame_unref(pointer)
        let code = av_frame_ref(pointer, other.pointer)
        if code < 0 { throw LibavError(code: code, operation: "av_frame_ref") }
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }

    /// Plane pointers and strides as arrays (libav hands them over as 8-tuples).
    var planes: [UnsafeMutablePointer<UInt8>?] {
        withUnsafeBytes(of: pointer.pointee.data) { Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)) }
    }
    var strides: [Int32] {
        withUnsafeBytes(of: pointer.pointee.linesize) { Array($0.bindMemory(to: Int32.self)) }
    }
}

/// What a demuxer opens through `AVFormatContext.io_open` on the input's behalf (an HLS playlist's variants and
/// segments): each URL at most ``perURL`` times and ``total`` opens in all, so a playlist that names itself (its own
/// variant, which grew memory by gigabytes) fails at once instead of recursing. Owned by its ``FormatContext``.
final class OpenGuard {
    typealias Open = @convention(c) (UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?,
                                     UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    static let perURL = 4
    static let total = 100_000
    /// libavformat's own `io_open`, which does the opening once the guard agrees.
    let open: Open
    private var opened: [String: Int] = [:]
    private var count = 0
    /// The first URL the guard refused to open.
    private(set) var refused: String?

    init(open: @escaping Open) { self.open = open }

    /// Whether `url` may be opened once more.
    func admit(_ url: String) -> Bool {
        count += 1
        opened[url, default: 0] += 1
        let admitted = count <= Self.total && opened[url]! <= Self.perURL
        if !admitted && refused == nil { refused = url }
        return admitted
    }

    /// The `io_open` callback: asks the guard kept in the context's `opaque`, then opens with libavformat's own.
    static let callback: Open = { context, pb, url, flags, options in
        guard let context, let opaque = context.pointee.opaque, let url else { return cff_error_from_errno(EINVAL) }
        let guarding = Unmanaged<OpenGuard>.fromOpaque(opaque).takeUnretainedValue()
        guard guarding.admit(String(cString: url)) else { return cff_error_from_errno(ELOOP) }
        return guarding.open(context, pb, url, flags, options)
    }
}

/// libavformat's interrupt callback (`AVIOInterruptCB`) asking a Swift closure; owned by its ``FormatContext``.
final class InterruptCheck {
    let interrupt: @Sendable () -> Bool

    init(_ interrupt: @escaping @Sendable () -> Bool) { self.interrupt = interrupt }

    static let callback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
        guard let opaque else { return 0 }
        return Unmanaged<InterruptCheck>.fromOpaque(opaque).takeUnretainedValue().interrupt() ? 1 : 0
    }
}

/// An owned, opened `AVFormatContext`.
final class FormatContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    /// Limits what a playlist opens (kept alive with the context, whose `opaque` points to it).
    private let guarding: OpenGuard?
    /// The interrupt callback's closure, and the stream the context reads (both outlive the context).
    private let interruptCheck: InterruptCheck?
    private let stream: StreamInput?

    /// Opens `url` (a path, any URL libavformat accepts, or `pipe:0`).
    ///
    /// - Parameters:
    ///   - format: the demuxer to use (`rawvideo`, `image2`), nil to let libavformat probe.
    ///   - options: the demuxer's options (`video_size`, `framerate`, …).
    ///   - guardOpens: route what the demuxer opens through an ``OpenGuard``.
    ///   - interrupt: libavformat's interrupt callback: true stops a wait for input (`AVERROR_EXIT`).
    ///   - stream: the ``StreamInput`` whose `pipe:` URL `url` is, kept open as long as the context.
    init(url: String, format: String? = nil, options: [String: String] = [:], guardOpens: Bool = false,
         interrupt: (@Sendable () -> Bool)? = nil, stream: StreamInput? = nil) throws(LibavError) {
        guard var context = avformat_alloc_context() else { throw LibavError(code: cff_error_from_errno(ENOMEM), operation: "open") }
        var guarding: OpenGuard? = nil
        if guardOpens, let open = context.pointee.io_open {
            let g = OpenGuard(open: open)
            context.pointee.opaque = Unmanaged.passUnretained(g).toOpaque()
            context.pointee.io_open = OpenGuard.callback
            guarding = g
        }
        self.guarding = guarding
        interruptCheck = interrupt.map(InterruptCheck.init)
        if let interruptCheck {
            context.pointee.interrupt_callback = AVIOInterruptCB(callback: InterruptCheck.callback,
                                                                 opaque: Unmanaged.passUnretained(interruptCheck).toOpaque())
        }
        self.stream = stream
        var dictionary: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        let demuxer = format.flatMap { av_find_input_format($0) }
        var opened: UnsafeMutablePointer<AVFormatContext>? = context
        let code = FileSystemName.withPath(url) { avformat_open_input(&opened, $0, demuxer, &dictionary) }
        av_dict_free(&dictionary)
        // On failure avformat_open_input frees the context itself.
        guard code >= 0, let opened else { throw LibavError(code: code, operation: "open") }
        context = opened
        pointer = context
    }

    deinit {
        var p: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&p)
    }

    var formatName: String { String(cString: pointer.pointee.iformat.pointee.name) }

    /// What the demuxer tried to open too often (a playlist naming itself), nil when nothing was refused.
    var refusedOpen: String? { guarding?.refused }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        pointer.pointee.streams[index]!
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    /// Reads the next packet of any stream into `packet`; false at the end of input.
    func read(into packet: Packet) throws(LibavError) -> Bool {
        let code = av_read_frame(pointer, packet.pointer)
        if code == cff_error_eof() { return false }
        try check(code, "read")
        return true
    }
}

/// An owned, opened `AVCodecContext` for decoding one stream.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    /// - Parameters:
    ///   - threads: decoding threads, 0 for libavcodec's choice.
    ///   - maxPixels: the largest picture (width × height) the decoder may allocate, nil for libavcodec's default.
    init(decoderFor parameters: UnsafePointer<AVCodecParameters>, threads: Int, maxPixels: Int64? = nil) throws(DecoderError) {
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            throw DecoderError.noDecoder(codec: name)
        }
        guard let context = avcodec_alloc_context3(codec) else { fatalError("avcodec_alloc_context3: out of memory") }
        pointer = context
        do {
            try check(avcodec_parameters_to_context(context, parameters), "avcodec_parameters_to_context")
            context.pointee.thread_count = Int32(threads)  // 0 = automatic (frame threading where the codec has it)
            if let maxPixels { context.pointee.max_pixels = maxPixels }
            try check(avcodec_open2(context, codec, nil), "avcodec_open2")
        } catch {
            throw DecoderError.libav(error)
        }
    }

    /// An encoder context, configured by `configure` before it is opened.
    init(encoder name: String, configure: (UnsafeMutablePointer<AVCodecContext>) -> Void) throws(LibavError) {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw LibavError(code: cff_error_from_errno(ENOSYS), operation: "no \(name) encoder in this libavcodec")
        }
        guard let context = avcodec_alloc_context3(codec) else { fatalError("avcodec_alloc_context3: out of memory") }
        pointer = context
        configure(context)
        try check(avcodec_open2(context, codec, nil), "avcodec_open2(\(name))")
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&p)
    }
}

/// An owned `SwsContext` that converts/scales one geometry and format to another, rebuilt only when they change.
final class Scaler {
    private var context: OpaquePointer? = nil

    deinit { sws_freeContext(context) }

    /// Scales the planes of a picture into tightly packed destination planes.
    ///
    /// - Parameters:
    ///   - source: plane pointers and strides of the input, already offset for any crop.
    ///   - sourceSize/sourceFormat: the input geometry.
    ///   - destination: one buffer per destination plane, `destinationStrides[i] * height` bytes each.
    func scale(
        source: [UnsafePointer<UInt8>?], sourceStrides: [Int32], sourceWidth: Int, sourceHeight: Int, sourceFormat: AVPixelFormat,
        destination: [UnsafeMutablePointer<UInt8>?], destinationStrides: [Int32], width: Int, height: Int, format: AVPixelFormat,
        flags: Int32
    ) throws(LibavError) {
        context = sws_getCachedContext(
            context, Int32(sourceWidth), Int32(sourceHeight), sourceFormat,
            Int32(width), Int32(height), format, flags, nil, nil, nil)
        guard let context else {
            throw LibavError(code: cff_error_from_errno(EINVAL), operation: "sws_getCachedContext \(sourceWidth)x\(sourceHeight) → \(width)x\(height)")
        }
        var src = source + Array(repeating: nil, count: max(0, 4 - source.count))
        var srcStride = sourceStrides + Array(repeating: 0, count: max(0, 4 - sourceStrides.count))
        var dst = destination + Array(repeating: nil, count: max(0, 4 - destination.count))
        var dstStride = destinationStrides + Array(repeating: 0, count: max(0, 4 - destinationStrides.count))
        let rows = src.withUnsafeMutableBufferPointer { s in
            srcStride.withUnsafeMutableBufferPointer { ss in
                dst.withUnsafeMutableBufferPointer { d in
                    dstStride.withUnsafeMutableBufferPointer { ds in
                        sws_scale(context, s.baseAddress, ss.baseAddress, 0, Int32(sourceHeight), d.baseAddress, ds.baseAddress)
                    }
                }
            }
        }
        try check(rows, "sws_scale")
    }
}

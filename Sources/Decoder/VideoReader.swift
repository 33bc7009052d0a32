import CFFmpeg
import Foundation
import Pixels

/// Which frames the decoder decodes at all.
public enum DecodeMode: String, Sendable, CaseIterable {
    /// Every frame (non-reference frames that cannot be sampled may still be skipped).
    case all
    /// Key frames only (`skip_frame = AVDISCARD_NONKEY`): several times faster, but the sampling
    /// density follows the encoder's GOP (often one key frame every 2–10 s).
    case keyframes
}

/// How the decoder opens and samples one input.
public struct ReaderOptions: Sendable {
    /// Frames per second of presentation time to sample, or every frame.
    public var sampling: SamplingRate = .perSecond(Rational(2, 1))
    /// Seconds from the stream's start at which sampling begins (seeks when the input can seek).
    public var start: Double? = nil
    /// Seconds from the stream's start at which sampling stops (exclusive).
    public var end: Double? = nil
    public var decode: DecodeMode = .all
    /// Index of the stream to read among the container's streams; nil picks the best video stream.
    public var stream: Int? = nil
    /// The luma used for analysis is scaled so its shorter side is this many pixels (never upscaled).
    public var analysisShortSide: Int = 256
    /// In `.all` mode with sparse sampling, skip decoding non-reference frames that cannot be sampled, except those of
    /// the first ``skipWindow`` packets of each sampling slot (decided from the packets alone, so the frames decoded do
    /// not depend on the decoder's threads).
    public var skipUnsampledNonReference: Bool = true
    /// Packets after the first packet of a sampling slot whose non-reference frames are still decoded.
    public var skipWindow: Int = 8
    /// Keep the first frame of a new shot between two samples at analysis size (``SampledFrame/shotStart``).
    public var shotStarts: Bool = true
    /// In `.all` mode with sparse sampling, also sample the last decoded frame when it lies at least half a
    /// sampling interval after the last sampled one, so the end of the input is always seen: a short last shot
    /// (a dissolve ending at the last sample, then 0.46 s of a new shot to the end) would otherwise have no
    /// sample of its own, and no keyframe.
    public var sampleFinalFrame: Bool = true
    /// Decoder threads; 0 for the automatic count (``DecoderThreads/automatic(width:height:format:processors:)``:
    /// libavcodec's choice, frame threading on all cores, within a memory bound that depends on the picture size).
    public var threads: Int = 0
    /// Headerless raw video (read by libavformat's `rawvideo` demuxer); nil for any other input.
    public var raw: RawVideoFormat? = nil
    /// For a folder of images or a numbered pattern: where the pictures' times come from.
    public var imageTime: ImageTime = .rate
    /// With ``ImageTime/rate``: pictures per second.
    public var imageRate: Rational = Rational(1, 1)
    /// Let a local file be a playlist that names other local files (HLS, ffconcat, DASH; ``InputRestrictions``).
    public var allowPlaylists = false
    /// The memory the decoded pictures in flight may take (``MemoryBudget``); nil for no limit.
    public var memoryBudget: MemoryBudget? = nil
    /// Asked while waiting for input (a FIFO's writer, a slow pipe or network): true ends the wait, and the input
    /// ends there (``DecoderError/interrupted`` when nothing was read yet). libavformat's interrupt callback.
    public var interrupt: (@Sendable () -> Bool)? = nil

    public init() {}
}

/// What is known about the input once it is open.
public struct VideoInfo: Sendable {
    /// What the user named: a path, a URL or "-", as text: bytes of a name that are not UTF-8 as `\xHH`
    /// (``FileSystemName/displayed(_:byteFormat:)``), so results and messages never carry them raw.
    public let input: String
    /// The libavformat demuxer that read it (e.g. "mov,mp4,m4a,3gp,3g2,mj2").
    public let container: String
    public let codec: String
    public let streamIndex: Int
    public let width: Int
    public let height: Int
    public let timeBase: Rational
    /// The stream's first presentation time in pts units (times in results are measured from it).
    public internal(set) var startPTS: Int64
    /// The container's start time in seconds, as ffprobe reports it.
    public var startSeconds: Double { Double(startPTS) * timeBase.doubleValue }
    /// Duration in seconds when the container states it.
    public let duration: Double?
    /// The stream's average frame rate when known.
    public let averageFrameRate: Rational?
    /// The file's start time in seconds (the earliest of its streams, ffprobe's `format=start_time`), when
    /// known. ffmpeg measures `-ss`, the `select` filter's `t` and its outputs' timestamps from it.
    public let fileStartSeconds: Double?
    /// For a folder of images or a numbered pattern: the pictures in sequence order (paths as the input spells
    /// them); the frame with ordinal k is file k. Nil for video.
    public internal(set) var imageFiles: [String]? = nil
}

/// Counts of what went wrong or was skipped while decoding; none of these stop a run.
public struct DecodeCounts: Sendable, Equatable {
    /// Packets of the video stream read from the input (one per frame for nearly all codecs).
    public var packets = 0
    /// Frames that came out of the decoder (fewer than packets when unsampleable frames were
    /// skipped; how many depends on decoder threading, so results do not report it).
    public var decodedFrames = 0
    /// Packets the decoder rejected as corrupt (skipped).
    public var corruptPackets = 0
    /// Frames the decoder flagged as corrupt (skipped, never sampled).
    public var corruptFrames = 0
    /// Sampled frames handed on.
    public var sampledFrames = 0
    /// Read errors after which the rest of the input was lost.
    public var readErrors = 0
    /// Decoded frames not sampled because their timestamps went back behind the furthest time
    /// already reached (concatenated recordings, a camera clock reset).
    public var framesBehind = 0

    public init() {}
}

/// One sampled frame: when it is, which decoded frame it was, and its pixels for analysis.
public struct SampledFrame: Sendable {
    /// 0, 1, 2… in sampling order.
    public let index: Int
    /// The decoded frame's ordinal in presentation order from the start of the stream
    /// (counted over packets, so it stays exact when frames are skipped without decoding).
    public let ordinal: Int
    public let timestamp: Timestamp
    /// Seconds from the stream's start (`VideoInfo.startPTS`).
    public let seconds: Double
    /// Luma at analysis size.
    public let luma: LumaImage
    /// The full picture, for export and the embedding network.
    public let picture: Picture
    /// The picture's file, for a folder of images or a numbered pattern (as text, like ``VideoInfo/input``).
    public let source: String?
    /// The luma as a tiny thumbnail (``Thumbnail``), made as the ``intermediateFrames``' are.
    public let thumbnail: LumaImage
    /// The frames decoded since the previous sampled frame and not sampled, in presentation order, as thumbnails
    /// (at most ``VideoReader/maximumIntermediateFrames``: evenly thinned beyond). Frames the decoder skipped
    /// (non-reference frames that cannot be sampled, `--decode keyframes`) are not among them.
    public let intermediateFrames: [IntermediateFrame]
    /// The input's last decoded frame, sampled at the end of the input off the sampling grid
    /// (``ReaderOptions/sampleFinalFrame``): less than a sampling interval after the sample before it.
    public var endsInput = false
    /// The first frame of a new shot since the previous sampled frame, when the largest step of the thumbnails there is at
    /// least ``ShotStart/minimumStep`` (``ShotStart``): an in-between frame, or this one. Nil at the first sample, when the gap's frames were thinned
    /// (``VideoReader/maximumIntermediateFrames``), and with ``ReaderOptions/shotStarts`` off.
    public var shotStart: ShotStart? = nil
}

/// Reads one video input through libav and hands out sampled frames one at a time.
///
/// Memory stays bounded: one packet, the decoder's own frame queue, and the frame being handed out.
/// Not thread-safe: call ``next()`` from one task at a time.
public final class VideoReader {
    public private(set) var info: VideoInfo
    public private(set) var counts = DecodeCounts()
    /// Warnings about the input (truncation, skipped data); each a line for the user.
    public private(set) var warnings: [String] = []
    /// The threads the video's decoder was opened with (``ReaderOptions/threads``, or the automatic count).
    public private(set) var decoderThreads = 0

    private let options: ReaderOptions
    private var format: FormatContext
    private var codec: CodecContext
    private let streamIndex: Int32
    private let packet = Packet()
    private let frame = Frame()
    private let lumaScaler = Scaler()
    /// The frames decoded since the last sampled frame, as thumbnails, for the next sampled frame.
    private var intermediate: [IntermediateFrame] = []
    /// Keep every `intermediateStride`-th decoded frame of the current gap (doubles when it would hold more than the cap).
    private var intermediateStride = 1
    private var intermediateSeen = 0
    /// The most decoded frames between two sampled frames kept as thumbnails (about 460 KB at 16:9).
    public static let maximumIntermediateFrames = 1024
    private var clock: SampleClock?
    /// Which packets' frames may be left undecoded (``ReaderOptions/skipUnsampledNonReference``).
    private var unsampledSkip: UnsampledSkip
    /// The previous sampled frame's thumbnail: where the current gap's first step starts.
    private var previousSampleThumbnail: LumaImage?
    /// The current gap's largest thumbnail step so far, and the frame after it with its luma at analysis size when the step
    /// is at least ``ShotStart/minimumStep`` (scaled at once: holding a decoded picture instead would keep one more
    /// picture of the decoder's pool alive, 3 MB at 1080p; a gap of a fast shot sets a new largest step ~2 times).
    private var largestStep: (size: Double, ordinal: Int, seconds: Double, luma: LumaImage?)?
    /// The last decoded frame not sampled (``ReaderOptions/sampleFinalFrame``): where it is, and its picture in
    /// `lastUnsampledFrame` (one AVFrame for the whole input, re-referenced for each such frame).
    private var lastUnsampled: (ordinal: Int, timestamp: Timestamp, seconds: Double)?
    private let lastUnsampledFrame = Frame()
    /// The pts of the last sampled frame.
    private var lastSampledPTS: Int64?
    /// The input's last frame, sampled when the input ended, to hand out before `nil`.
    private var finalSample: SampledFrame?
    private var endPTS: Int64?
    private var draining = false
    private var finished = false
    private var lastPTS: Int64?
    /// The furthest pts decoded (timestamps can go back at a discontinuity).
    private var maxPTS: Int64?
    private var lastDuration: Int64 = 0
    /// One frame's duration at the stream's nominal rate, for frames that carry no timestamp.
    private var nominalFrameDuration: Int64 = 1
    /// A frame came out of the decoder undamaged.
    private var decodedGoodFrame = false
    /// The first decoding error, for the message when no frame decodes at all.
    private var firstDecodeError: String?
    /// Where timestamps first went back: from (pts), to (pts).
    private var firstJumpBack: (from: Int64, to: Int64)?
    private var lastOrdinal = 0
    /// pts of packets sent but not yet passed by an output frame (for exact ordinals).
    private var pendingPacketPTS: [Int64] = []
    private var passedPackets = 0
    private var sawAnyPacket = false
    private let seekable: Bool
    /// A folder of images or a numbered pattern (its temporary links live as long as the reader).
    private let images: ImageSequence?
    /// Reading ended because ``ReaderOptions/interrupt`` asked it to, not at the input's end.
    private var stoppedEarly = false
    /// The image segment being read (``ImageSequence/segments``), and its demuxer's options.
    private var segment = 0
    private var imageDemuxerOptions: [String: String] = [:]
    /// Added to the pts of every packet: the number of the current image segment's first picture.
    private var ptsOffset: Int64 = 0

    /// Opens `input`: a file path, a URL libavformat accepts, or "-" for standard input.
    ///
    /// - Throws: ``DecoderError`` naming the cause when the input cannot be read as video.
    public init(input: String, options: ReaderOptions = ReaderOptions()) throws(DecoderError) {
        self.options = options
        unsampledSkip = UnsampledSkip(window: max(0, options.skipWindow))
        var url = input == "-" ? "pipe:0" : input
        let isLocalFile = !input.contains("://") && input != "-" && !input.hasPrefix("pipe:")
        var demuxerName: String? = nil
        var demuxerOptions: [String: String] = [:]
        if let raw = options.raw {
            if isLocalFile { try VideoReader.checkLocalFile(input) }
            demuxerName = "rawvideo"
            demuxerOptions = raw.demuxerOptions
            images = nil
        } else if isLocalFile && ImageSequence.isImageSequence(input) {
            let sequence = try ImageSequence(input: input, time: options.imageTime)
            url = sequence.url
            demuxerName = "image2"
            // Times from the files: one picture per pts unit, mapped onto their capture times as frames come out.
            demuxerOptions = ["framerate": sequence.microseconds == nil ? options.imageRate.description : "1"]
            imageDemuxerOptions = demuxerOptions
            images = sequence
        } else {
            if isLocalFile { try VideoReader.checkLocalFile(input) }
            images = nil
        }
        // A FIFO (or device) named as the input is read as a stream, like standard input.
        let streamInput = isLocalFile && images == nil ? try StreamInput(opening: input, interrupt: options.interrupt) : nil
        if let streamInput { url = streamInput.url }
        let file = isLocalFile && streamInput == nil
        if file && options.allowPlaylists, let nested = InputRestrictions.nestedPlaylist(inConcat: url) {
            throw .nestedPlaylist(nested)
        }
        let restrictions = InputRestrictions(local: file, standardInput: input == "-" || streamInput != nil, allowPlaylists: options.allowPlaylists)
        demuxerOptions.merge(restrictions.demuxerOptions) { $1 }
        imageDemuxerOptions.merge(restrictions.demuxerOptions) { $1 }
        format = try VideoReader.open(url, input: input, demuxer: demuxerName, demuxerOptions: demuxerOptions, stream: streamInput, options: options)
        let demuxer = format.formatName
        if ["bin", "tty", "xbin", "idf", "adf"].contains(demuxer) { throw .textArtDemuxer(demuxer) }
        seekable = format.pointer.pointee.pb != nil && (format.pointer.pointee.pb.pointee.seekable & AVIO_SEEKABLE_NORMAL) != 0

        let findCode = VideoReader.findStreamInfo(format, maxPixels: options.memoryBudget?.maxPixels)
        // A playlist that names itself: whatever libavformat made of it, that is the error to report.
        if let refused = format.refusedOpen { throw .nestedPlaylist(refused) }
        if findCode < 0 {
            if options.interrupt?() == true { throw .interrupted }
            if demuxer.hasPrefix("mov") && !seekable { throw .indexAtEndOnPipe }
            throw .notMedia(libavMessage(findCode))
        }
        let index: Int32
        if let wanted = options.stream {
            guard wanted >= 0 && wanted < format.streamCount else { throw .noSuchStream(wanted, available: format.streamCount) }
            let type = format.stream(wanted).pointee.codecpar.pointee.codec_type
            guard type == AVMEDIA_TYPE_VIDEO else {
                var video: [Int] = []
                for i in 0..<format.streamCount where format.stream(i).pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO { video.append(i) }
                throw .notVideoStream(wanted, kind: av_get_media_type_string(type).map { String(cString: $0) } ?? "not video", video: video)
            }
            index = Int32(wanted)
        } else {
            index = av_find_best_stream(format.pointer, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            guard index >= 0 else {
                if demuxer.hasPrefix("mov") && !seekable && format.streamCount == 0 { throw .indexAtEndOnPipe }
                throw .noVideoStream
            }
        }
        streamIndex = index
        let stream = format.stream(Int(index))
        // Other streams are never decoded: let the demuxer drop their packets.
        for i in 0..<format.streamCount where i != Int(index) { format.stream(i).pointee.discard = AVDISCARD_ALL }
        let parameters = stream.pointee.codecpar!
        guard parameters.pointee.width > 0, parameters.pointee.height > 0 else {
            if demuxer.hasPrefix("mov") && !seekable { throw .indexAtEndOnPipe }
            throw .notMedia("video stream has no picture size")
        }
        let threads = DecoderThreads.resolved(options.threads, width: Int(parameters.pointee.width),
                                              height: Int(parameters.pointee.height), format: parameters.pointee.format)
        try options.memoryBudget?.check(width: Int(parameters.pointee.width), height: Int(parameters.pointee.height),
                                        format: parameters.pointee.format, decoderThreads: threads)
        codec = try CodecContext(decoderFor: parameters, threads: threads, maxPixels: options.memoryBudget?.maxPixels)
        decoderThreads = threads
        if options.decode == .keyframes { codec.pointer.pointee.skip_frame = AVDISCARD_NONKEY }

        var tb = stream.pointee.time_base
        var start = stream.pointee.start_time
        var duration: Double? = nil
        if stream.pointee.duration != cff_nopts_value && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * Double(tb.num) / Double(max(tb.den, 1))
        } else if format.pointer.pointee.duration != cff_nopts_value && format.pointer.pointee.duration > 0 {
            duration = Double(format.pointer.pointee.duration) / Double(cff_time_base)
        }
        if let times = images?.microseconds {
            // Capture times: microseconds from the first picture; the duration reaches the last picture.
            tb = AVRational(num: 1, den: 1_000_000)
            start = 0
            duration = Double(times.last ?? 0) / 1e6
        } else if let images, images.segments.count > 1 {
            // At a rate, one picture per pts unit: the first segment's stream knows only its own.
            duration = Double(images.files.count) * Double(tb.num) / Double(max(tb.den, 1))
        }
        let timeBase = Rational(Int64(tb.num), Int64(max(tb.den, 1)))
        let rate = stream.pointee.avg_frame_rate
        info = VideoInfo(
            input: FileSystemName.displayed(input), container: demuxer,
            codec: images.flatMap { $0.segments.count > 1 ? $0.codecs.joined(separator: "+") : nil }
                ?? String(cString: avcodec_get_name(parameters.pointee.codec_id)),
            streamIndex: Int(index), width: Int(parameters.pointee.width), height: Int(parameters.pointee.height),
            timeBase: timeBase, startPTS: start == cff_nopts_value ? 0 : start, duration: duration,
            averageFrameRate: rate.num > 0 && rate.den > 0 ? Rational(Int64(rate.num), Int64(rate.den)) : nil,
            fileStartSeconds: format.pointer.pointee.start_time == cff_nopts_value || images?.microseconds != nil
                ? nil : Double(format.pointer.pointee.start_time) / Double(cff_time_base))
        info.imageFiles = images?.files
        if let images { warnings += images.warnings }
        let nominal = av_guess_frame_rate(format.pointer, stream, nil)
        if nominal.num > 0 && nominal.den > 0 && tb.num > 0 {
            nominalFrameDuration = max(1, Int64(tb.den) * Int64(nominal.den) / (Int64(tb.num) * Int64(nominal.num)))
        }
        if start != cff_nopts_value { setClock(startPTS: start) }
        // (Not across the runs of a folder mixing formats: the first run's input holds only its own pictures.)
        if let s = options.start, s > 0, seekable, (images?.segments.count ?? 1) == 1 {
            // Seek to the key frame at or before the start; frames before it are decoded and dropped.
            let target = info.startPTS + VideoReader.units(s, timeBase.doubleValue, .down)
            if av_seek_frame(format.pointer, index, target, AVSEEK_FLAG_BACKWARD) < 0 {
                warnings.append("could not seek to \(s) s; decoding from the start")
            }
        }
    }

    /// Goes on with the next run of pictures of another format: its own `image2` input and decoder. One that
    /// cannot be opened is skipped with a warning (its pictures are lost, the rest are read).
    private func openImageSegment(_ index: Int, of images: ImageSequence) {
        segment = index
        let s = images.segments[index]
        do {
            let next = try FormatContext(url: s.url, format: "image2", options: imageDemuxerOptions)
            let found = VideoReader.findStreamInfo(next, maxPixels: options.memoryBudget?.maxPixels)
            guard found >= 0, next.streamCount > 0 else { throw LibavError(code: found < 0 ? found : cff_error_from_errno(EINVAL), operation: "read") }
            let parameters = next.stream(0).pointee.codecpar!
            let threads = DecoderThreads.resolved(options.threads, width: Int(parameters.pointee.width),
                                                  height: Int(parameters.pointee.height), format: parameters.pointee.format)
            let decoder = try CodecContext(decoderFor: parameters, threads: threads, maxPixels: options.memoryBudget?.maxPixels)
            if options.decode == .keyframes { decoder.pointer.pointee.skip_frame = AVDISCARD_NONKEY }
            format = next
            codec = decoder
            ptsOffset = Int64(s.pictures.lowerBound)
            draining = false
        } catch {
            let reason = (error as? LibavError)?.message ?? "\(error)"
            let names = images.files[s.pictures].map { ($0 as NSString).lastPathComponent }
            warnings.append("skipped \(names.count) \(s.codec) \(names.count == 1 ? "image" : "images") that could not be opened (\(reason)): \(ImageSequence.listed(names))")
            if index + 1 < images.segments.count { openImageSegment(index + 1, of: images) } else { finish() }
        }
    }

    private func setClock(startPTS: Int64) {
        info.startPTS = startPTS
        let tb = info.timeBase.doubleValue
        let origin = startPTS + VideoReader.units(options.start ?? 0, tb, .up)
        clock = SampleClock(origin: origin, timeBase: info.timeBase, rate: options.sampling)
        if let e = options.end { endPTS = startPTS + VideoReader.units(e, tb, .up) }
    }

    /// `seconds` in units of `timeBase` seconds, rounded, held within ±2^62 so that adding a stream's start
    /// cannot overflow: a NaN, an infinity or 10^18 s from a library caller is clamped, never a trap.
    static func units(_ seconds: Double, _ timeBase: Double, _ rounding: FloatingPointRoundingRule) -> Int64 {
        let x = (seconds / timeBase).rounded(rounding)
        let limit = Double(Int64(1) << 62)
        if x.isNaN { return 0 }
        return Int64(min(max(x, -limit), limit))
    }

    /// Seconds from the stream's start to the end of the last decoded frame (its pts plus the
    /// previous frame interval), nil before any frame.
    public var endOfLastFrame: Double? {
        maxPTS.map { Double($0 + lastDuration - info.startPTS) * info.timeBase.doubleValue }
    }

    /// The next sampled frame, or nil when the input (or `--end`) is reached.
    ///
    /// Corrupt packets and frames are skipped and counted in ``counts``; a read error after some
    /// frames ends the input with a warning rather than an error.
    /// - Throws: ``DecoderError`` only for failures that make the rest of the input unreadable before any frame,
    ///   and at the end (``DecoderError/undecodable(packets:reason:)``) when not a single frame could be decoded.
    public func next() throws(DecoderError) -> SampledFrame? {
        while !finished {
            let received = avcodec_receive_frame(codec.pointer, frame.pointer)
            let step: CodecStep
            do { step = try codecStep(received, "decode") } catch {
                // A frame the decoder could not reconstruct: skip it and go on.
                counts.corruptFrames += 1
                if firstDecodeError == nil { firstDecodeError = error.message }
                continue
            }
            switch step {
            case .ready:
                if let sampled = try handleDecodedFrame() { return sampled }
            case .again:
                try feedDecoder()
            case .endOfStream:
                if let images, segment + 1 < images.segments.count {
                    openImageSegment(segment + 1, of: images)
                } else {
                    finish()
                }
            }
        }
        if let last = finalSample {
            finalSample = nil
            return last
        }
        if !decodedGoodFrame && counts.readErrors == 0 && !(counts.packets == 0 && options.start != nil) {
            // Nothing at all could be decoded: the input is unreadable, not an empty result.
            if counts.packets == 0 && !seekable && info.container.hasPrefix("mov") { throw .indexAtEndOnPipe }
            throw .undecodable(packets: counts.packets, reason: firstDecodeError)
        }
        if counts.sampledFrames == 0 && (options.start != nil || options.end != nil) {
            // A range that holds no frame (--start past the end): an error, not an empty result over a good one.
            throw .nothingInRange(start: options.start ?? 0, end: options.end, inputEnd: endOfLastFrame ?? info.duration)
        }
        return nil
    }

    private func handleDecodedFrame() throws(DecoderError) -> SampledFrame? {
        defer { frame.unref() }
        counts.decodedFrames += 1
        var pts = captureTime(frame.pointer.pointee.best_effort_timestamp)
        if pts == cff_nopts_value {
            // No timestamp at all (raw H.264, Matroska muxed with negative times): one frame interval
            // after the previous frame, at the interval seen so far or else the stream's nominal rate.
            pts = lastPTS.map { $0 + (lastDuration > 0 ? lastDuration : nominalFrameDuration) } ?? info.startPTS
        }
        let ordinal = passOrdinal(pts)
        // One frame's interval, also when frames that cannot be sampled were skipped in between.
        if let last = lastPTS, pts > last { lastDuration = (pts - last) / Int64(max(1, ordinal - lastOrdinal)) }
        if let last = lastPTS, pts < last, firstJumpBack == nil { firstJumpBack = (last, pts) }
        let behind = maxPTS.map { pts < $0 } ?? false
        maxPTS = max(maxPTS ?? pts, pts)
        lastPTS = pts
        lastOrdinal = ordinal
        if frame.pointer.pointee.flags & cff_frame_flag_corrupt != 0 || frame.pointer.pointee.decode_error_flags != 0 {
            counts.corruptFrames += 1
            return nil
        }
        decodedGoodFrame = true
        if behind {
            // Behind a time already reached (timestamps went back): the sampling clock has passed it.
            counts.framesBehind += 1
            return nil
        }
        if clock == nil { setClock(startPTS: pts) }
        if let endPTS, pts >= endPTS {
            finish()
            return nil
        }
        let timestamp = Timestamp(pts: pts, timeBase: info.timeBase)
        let seconds = Double(pts - info.startPTS) * info.timeBase.doubleValue
        guard clock!.take(pts) else {
            keepIntermediate(ordinal: ordinal, timestamp: timestamp, seconds: seconds)
            holdAsPossiblyLast(ordinal: ordinal, timestamp: timestamp, seconds: seconds)
            return nil
        }
        if lastUnsampled != nil {
            lastUnsampled = nil
            lastUnsampledFrame.unref()
        }
        return sample(frame, ordinal: ordinal, timestamp: timestamp, seconds: seconds)
    }

    /// The sampled frame made of `source`: its luma for analysis, thumbnail and a reference to its picture, with
    /// the frames decoded since the previous sample; nil (counted as corrupt) when its pixels cannot be read.
    private func sample(_ source: Frame, ordinal: Int, timestamp: Timestamp, seconds: Double) -> SampledFrame? {
        let (w, h) = analysisSize(width: source.width, height: source.height)
        let luma: LumaImage, thumbnail: LumaImage
        let held: Frame
        do {
            luma = try Picture(frame: source).luma(width: w, height: h, scaler: lumaScaler)
            thumbnail = try Thumbnail.make(of: source, scaler: lumaScaler)
            held = try Frame(referencing: source)
        } catch {
            counts.corruptFrames += 1
            return nil
        }
        let start = shotStart(ordinal: ordinal, seconds: seconds, luma: luma, thumbnail: thumbnail)
        defer {
            counts.sampledFrames += 1
            lastSampledPTS = timestamp.pts
            intermediate.removeAll(keepingCapacity: true)
            intermediateStride = 1
            intermediateSeen = 0
            previousSampleThumbnail = thumbnail
            largestStep = nil
        }
        var sampled = SampledFrame(
            index: counts.sampledFrames, ordinal: ordinal, timestamp: timestamp, seconds: seconds,
            luma: luma, picture: Picture(frame: held),
            source: info.imageFiles.flatMap { ordinal < $0.count ? FileSystemName.displayed($0[ordinal]) : nil }, thumbnail: thumbnail,
            intermediateFrames: intermediate)
        sampled.shotStart = start
        return sampled
    }

    /// The analysis luma's size for a picture of `width`×`height`: ``ReaderOptions/analysisShortSide`` on the shorter side,
    /// never upscaled, at least 11 pixels a side.
    private func analysisSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let shortSide = min(width, height)
        let scale = shortSide > options.analysisShortSide ? Double(options.analysisShortSide) / Double(shortSide) : 1
        return (max(11, Int((Double(width) * scale).rounded())), max(11, Int((Double(height) * scale).rounded())))
    }

    /// Notes the step from the previous kept thumbnail to `thumbnail` (a frame kept between samples, in `frame`): when
    /// it is the gap's largest so far, `frame` is the possible first frame of a new shot, its luma scaled to analysis size
    /// when the step is at least ``ShotStart/minimumStep``.
    private func noteStep(to thumbnail: LumaImage, ordinal: Int, seconds: Double) {
        guard options.shotStarts, intermediateStride == 1,
              let before = intermediate.count >= 2 ? intermediate[intermediate.count - 2].thumbnail : previousSampleThumbnail else { return }
        let size = before.meanDifference(thumbnail)
        guard size > (largestStep?.size ?? -1) else { return }
        var luma: LumaImage? = nil
        if size >= ShotStart.minimumStep {
            let (w, h) = analysisSize(width: frame.width, height: frame.height)
            luma = try? Picture(frame: frame).luma(width: w, height: h, scaler: lumaScaler)
        }
        largestStep = (size, ordinal, seconds, luma)
    }

    /// The first frame of a new shot in the gap a sample closes (``ShotStart``): the sample itself when the step into it is
    /// the gap's largest, else the frame after the largest step between, scaled to the sample's analysis size; nil when
    /// that step is under ``ShotStart/minimumStep``.
    private func shotStart(ordinal: Int, seconds: Double, luma: LumaImage, thumbnail: LumaImage) -> ShotStart? {
        guard options.shotStarts, intermediateStride == 1,
              let before = intermediate.last?.thumbnail ?? previousSampleThumbnail else { return nil }
        let last = before.meanDifference(thumbnail)
        if last > (largestStep?.size ?? -1) {
            guard last >= ShotStart.minimumStep else { return nil }
            return ShotStart(ordinal: ordinal, seconds: seconds, luma: luma, step: last)
        }
        guard let step = largestStep, step.size >= ShotStart.minimumStep, let picture = step.luma,
              picture.width == luma.width, picture.height == luma.height else { return nil }
        return ShotStart(ordinal: step.ordinal, seconds: step.seconds, luma: picture, step: step.size)
    }

    /// Keeps a reference to a decoded frame that was not sampled, in case it is the input's last
    /// (``ReaderOptions/sampleFinalFrame``); one frame's buffers at most.
    private func holdAsPossiblyLast(ordinal: Int, timestamp: Timestamp, seconds: Double) {
        guard options.sampleFinalFrame, options.decode == .all, case .perSecond = options.sampling,
              let clock, timestamp.pts >= clock.origin else { return }
        do { try lastUnsampledFrame.reference(frame) } catch {
            lastUnsampled = nil
            return
        }
        lastUnsampled = (ordinal, timestamp, seconds)
    }

    /// At the input's end: the last decoded frame as a sample of its own when it lies at least half a sampling
    /// interval after the last sampled frame.
    private func sampleFinalFrame() {
        guard let last = lastUnsampled, !stoppedEarly, let clock, case .perSecond(let rate) = clock.rate else { return }
        lastUnsampled = nil
        defer { lastUnsampledFrame.unref() }
        if let sampled = lastSampledPTS {
            // (last - sampled) * tb >= 1 / (2 * rate), in integers.
            let elapsed = Int128(last.timestamp.pts - sampled) * Int128(info.timeBase.numerator) * 2 * Int128(rate.numerator)
            guard elapsed >= Int128(rate.denominator) * Int128(info.timeBase.denominator) else { return }
        }
        // It was kept as a thumbnail for the next sample too (the last one kept, if any): not a frame between.
        if intermediate.last?.ordinal == last.ordinal { intermediate.removeLast() }
        finalSample = sample(lastUnsampledFrame, ordinal: last.ordinal, timestamp: last.timestamp, seconds: last.seconds)
        finalSample?.endsInput = true
    }

    /// Keeps a decoded frame that is not sampled as a thumbnail for the next sampled frame; past the cap, every
    /// other one kept is dropped and only every `intermediateStride`-th frame after it is kept, so the gap stays
    /// evenly covered.
    private func keepIntermediate(ordinal: Int, timestamp: Timestamp, seconds: Double) {
        defer { intermediateSeen += 1 }
        guard intermediateSeen % intermediateStride == 0, let thumbnail = try? Thumbnail.make(of: frame, scaler: lumaScaler) else { return }
        intermediate.append(IntermediateFrame(ordinal: ordinal, timestamp: timestamp, seconds: seconds, thumbnail: thumbnail))
        noteStep(to: thumbnail, ordinal: ordinal, seconds: seconds)
        if intermediate.count > Self.maximumIntermediateFrames {
            intermediate = Swift.stride(from: 0, to: intermediate.count, by: 2).map { intermediate[$0] }
            intermediateStride *= 2
        }
    }

    /// For pictures timed by their files: the pts (the picture's number) as its capture time in microseconds.
    private func captureTime(_ pts: Int64) -> Int64 {
        guard let times = images?.microseconds, pts != cff_nopts_value, pts >= 0, pts < times.count else { return pts }
        return times[Int(pts)]
    }

    /// The presentation-order ordinal of a frame with this pts: how many packets came before it.
    private func passOrdinal(_ pts: Int64) -> Int {
        guard sawAnyPacket else { return counts.decodedFrames - 1 }
        // In place: this runs for every decoded frame.
        let before = pendingPacketPTS.count
        pendingPacketPTS.removeAll { $0 < pts }
        passedPackets += before - pendingPacketPTS.count
        // The frame's own packet.
        if let i = pendingPacketPTS.firstIndex(of: pts) { pendingPacketPTS.remove(at: i) }
        defer { passedPackets += 1 }
        return passedPackets
    }

    /// Sends the next packet of our stream to the decoder, or starts draining at the end of input.
    private func feedDecoder() throws(DecoderError) {
        if draining { finish(); return }
        while true {
            let more: Bool
            do { more = try format.read(into: packet) } catch {
                if options.interrupt?() == true {
                    // Asked to stop while waiting for input (a pipe's slow writer): the input ends here.
                    stoppedEarly = true
                    more = false
                } else if counts.decodedFrames == 0 && pendingPacketPTS.isEmpty {
                    // Nothing could be read at all: the input is unreadable, not truncated.
                    if info.container.hasPrefix("mov") && !seekable { throw .indexAtEndOnPipe }
                    throw .libav(error)
                } else {
                    // An I/O error mid-stream: keep what was decoded, say so.
                    counts.readErrors += 1
                    warnings.append("read error after \(counts.decodedFrames) frames: \(error.message); the rest of the input is lost")
                    more = false
                }
            }
            guard more else {
                draining = true
                _ = avcodec_send_packet(codec.pointer, nil)
                return
            }
            defer { packet.unref() }
            guard packet.pointer.pointee.stream_index == streamIndex else { continue }
            counts.packets += 1
            if ptsOffset != 0 {
                let p = packet.pointer
                if p.pointee.pts != cff_nopts_value { p.pointee.pts += ptsOffset }
                if p.pointee.dts != cff_nopts_value { p.pointee.dts += ptsOffset }
            }
            let pts = captureTime(packet.pointer.pointee.pts)
            if pts != cff_nopts_value {
                sawAnyPacket = true
                pendingPacketPTS.append(pts)
            }
            if options.decode == .all, options.skipUnsampledNonReference, case .perSecond = options.sampling {
                let skippable = unsampledSkip.mayBeSkipped(pts == cff_nopts_value ? nil : pts, clock: clock)
                codec.pointer.pointee.skip_frame = skippable ? AVDISCARD_NONREF : AVDISCARD_DEFAULT
            }
            let code = avcodec_send_packet(codec.pointer, packet.pointer)
            if code == cff_error_eagain() {
                // Not expected (we only send after the decoder asked for input); drop nothing: retry after receiving.
                warnings.append("decoder refused a packet; skipped")
                counts.corruptPackets += 1
            } else if code < 0 {
                counts.corruptPackets += 1
                if firstDecodeError == nil { firstDecodeError = libavMessage(code) }
            }
            return
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        sampleFinalFrame()
        if counts.decodedFrames == 0 && counts.readErrors == 0 && !seekable && info.container.hasPrefix("mov") {
            warnings.append("no frames: an MP4/MOV read from a pipe needs its index first ('-movflags +faststart') or NUT/Matroska")
        }
        if let jump = firstJumpBack {
            let seconds = { (pts: Int64) in String(format: "%.3f s", Double(pts - self.info.startPTS) * self.info.timeBase.doubleValue) }
            warnings.append("timestamps go back (from \(seconds(jump.from)) to \(seconds(jump.to))): frames are sampled again only past \(seconds(jump.from)); \(counts.framesBehind) decoded frames skipped")
        }
        if let duration = info.duration, let last = maxPTS, options.end == nil, options.decode == .all, !stoppedEarly {
            let reached = Double(last - info.startPTS) * info.timeBase.doubleValue
            // Some muxers state the end time (from 0) as the duration of a stream that starts later, so the
            // last frame is compared with both readings. More than a second (and 10%) short of both: probably truncated.
            let reachedFromZero = Double(last) * info.timeBase.doubleValue
            if min(duration - reached, duration - reachedFromZero) > max(1.0, 0.1 * duration) {
                warnings.append(String(format: "input ends at %.3f s but states a duration of %.3f s: truncated?", reached, duration))
            }
        }
        if counts.corruptPackets > 0 || counts.corruptFrames > 0 {
            warnings.append("skipped \(counts.corruptPackets) corrupt packets and \(counts.corruptFrames) corrupt frames")
        }
    }

    /// Opens `url` (for `input`, read through `stream` when it is a FIFO) with the demuxer's options, saying why
    /// libavformat could not.
    private static func open(_ url: String, input: String, demuxer: String?, demuxerOptions: [String: String], stream: StreamInput?,
                             options: ReaderOptions) throws(DecoderError) -> FormatContext {
        let isLocalFile = !input.contains("://") && input != "-" && !input.hasPrefix("pipe:")
        do {
            return try FormatContext(url: url, format: demuxer, options: demuxerOptions, guardOpens: isLocalFile && stream == nil && options.allowPlaylists,
                                     interrupt: options.interrupt, stream: stream)
        } catch {
            if options.interrupt?() == true { throw .interrupted }
            if isLocalFile && !options.allowPlaylists && InputRestrictions.isPlaylist(url) {
                // Only a playlist demuxer claims the file: off for local inputs.
                throw .playlistRefused
            }
            if error.isInvalidData && isLocalFile { try VideoReader.explainUnopenableFile(input) }
            if error.isInvalidData { throw .notMedia(error.message) }
            if error.code == cff_error_from_errno(ENOENT) { throw .notFound }
            if error.code == cff_error_from_errno(EACCES) { throw .permissionDenied }
            throw .libav(error)
        }
    }

    /// `avformat_find_stream_info`, whose decoders get `max_pixels` when given (it decodes a frame or more).
    private static func findStreamInfo(_ format: FormatContext, maxPixels: Int64?) -> Int32 {
        guard let maxPixels, format.streamCount > 0 else { return avformat_find_stream_info(format.pointer, nil) }
        var dictionaries = [OpaquePointer?](repeating: nil, count: format.streamCount)
        for i in dictionaries.indices { av_dict_set(&dictionaries[i], "max_pixels", String(maxPixels), 0) }
        defer { for i in dictionaries.indices { av_dict_free(&dictionaries[i]) } }
        return avformat_find_stream_info(format.pointer, &dictionaries)
    }

    private static func checkLocalFile(_ path: String) throws(DecoderError) {
        guard let info = FileSystemName.status(path) else { throw .notFound }
        if info.st_mode & S_IFMT == S_IFDIR { throw .isDirectory }
        guard FileSystemName.withPath(path, { access($0, R_OK) }) == 0 else { throw .permissionDenied }
    }

    /// Says more than "invalid data" where the file's first bytes tell why no demuxer accepts it.
    private static func explainUnopenableFile(_ path: String) throws(DecoderError) {
        guard FileSystemName.withPath(path, { access($0, R_OK) }) == 0 else { return }
        let head = FileSystemName.head(path, count: 12) ?? []
        if head.isEmpty { throw .notMedia("the file is empty") }
        // ISO base media (MP4, MOV, 3GP) starts with a box, usually 'ftyp': an MP4 that no reader opens lacks its index.
        if head.count >= 8 && (head[4..<8].elementsEqual("ftyp".utf8) || head[4..<8].elementsEqual("mdat".utf8)) { throw .indexMissing }
    }
}

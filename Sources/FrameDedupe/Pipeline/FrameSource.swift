import Decoder
import Foundation
import Pixels
import Similarity

/// How a frame is shown to the embedding network.
public enum NetworkInput: String, Sendable, CaseIterable {
    /// The whole frame resized (area filter) to the network's square input, so the edges of the picture count.
    case whole
    /// ImageNet's evaluation crop: the centred square of side ⌊7·min(W,H)/8⌋, resized (area filter) to the input.
    case center
}

/// The images a run writes of a sampled frame (the keyframe image and the report's thumbnail), as the frame is held
/// until it can no longer become a keyframe. A picture larger than ``ImageExport/heldDecodedPixels`` written as JPEG
/// is encoded as soon as it is decoded, on a thread of its own, so that no large decoded picture waits for the
/// network or for its scene to close: a 1080p keyframe candidate costs its encoded image (~0.2 MB) instead of its
/// picture (3 MB), for ~15 ms of CPU time a frame. Any other picture is held decoded and encoded only if it is
/// written: a smaller one costs little memory, and PNG and WebP cost 60-160 ms a 1080p frame to encode (PNG's bytes
/// are as large as the picture). Either way the bytes are the same: the same encoders, format, quality and size.
public struct FrameImages: Sendable {
    enum Held: Sendable {
        case decoded(Picture)
        /// The image (or why libav could not encode it: an error only if the frame is written) and the thumbnail
        /// (nil without a report, or when it could not be encoded).
        case encoded(image: Result<[UInt8], LibavError>, thumbnail: [UInt8]?)
    }

    let held: Held

    /// The image and the report's thumbnail, encoded by `encoder` if they were not yet.
    func encoded(by encoder: FrameImageEncoder) -> (image: Result<[UInt8], LibavError>, thumbnail: [UInt8]?) {
        switch held {
        case .decoded(let picture): return encoder.encode(picture)
        case .encoded(let image, let thumbnail): return (image, thumbnail)
        }
    }

    /// The report's thumbnail alone, encoded by `encoder` if it was not yet: the bytes ``encoded(by:)`` gives.
    func thumbnail(by encoder: FrameImageEncoder) -> [UInt8]? {
        switch held {
        case .decoded(let picture): return encoder.thumbnail(picture)
        case .encoded(_, let thumbnail): return thumbnail
        }
    }
}

/// How a run's images are encoded: what ``FrameImages`` holds.
struct ImageExport: Sendable {
    /// Pictures up to this size (720p) are held decoded until they are written (1.4 MB each at most).
    static let heldDecodedPixels = 1280 * 720

    /// Whether `picture`'s images are encoded as soon as it is decoded (``FrameImages``).
    func encodesAtOnce(_ picture: Picture) -> Bool { format == .jpg && picture.width * picture.height > Self.heldDecodedPixels }

    /// What a frame holds of its picture, as the memory budget counts it (``encodesAtOnce(_:)``).
    var heldPicture: MemoryBudget.HeldPicture {
        format == .jpg ? .encoded(abovePixels: Self.heldDecodedPixels, waiting: FrameSource.pictureQueueCapacity) : .decoded
    }

    let format: StillImageFormat
    let jpegQuality: Int
    let maxSide: Int?
    /// Whether the report's thumbnail is encoded too.
    let thumbnails: Bool

    init(_ options: DedupeOptions) {
        format = options.imageFormat
        jpegQuality = options.jpegQuality
        maxSide = options.maxSide
        thumbnails = options.report
    }
}

/// Encodes sampled frames' images (one per thread: encoders are not thread-safe).
final class FrameImageEncoder {
    let export: ImageExport
    private let encoder: StillImageEncoder
    private let thumbnailEncoder = StillImageEncoder(format: .jpg, jpegQuality: 6)

    init(_ export: ImageExport) {
        self.export = export
        encoder = StillImageEncoder(format: export.format, jpegQuality: export.jpegQuality)
    }

    /// `picture` as the run holds it: encoded when ``ImageExport/encodesAtOnce(_:)``, else decoded.
    func held(_ picture: Picture) -> FrameImages {
        guard export.encodesAtOnce(picture) else { return FrameImages(held: .decoded(picture)) }
        let (image, thumbnail) = encode(picture)
        return FrameImages(held: .encoded(image: image, thumbnail: thumbnail))
    }

    func encode(_ picture: Picture) -> (image: Result<[UInt8], LibavError>, thumbnail: [UInt8]?) {
        let image: Result<[UInt8], LibavError>
        do throws(LibavError) { image = .success(try encoder.encode(picture, maxSide: export.maxSide)) } catch { image = .failure(error) }
        return (image, thumbnail(picture))
    }

    /// The report's thumbnail of `picture` (nil without a report, or when it cannot be encoded).
    func thumbnail(_ picture: Picture) -> [UInt8]? {
        export.thumbnails ? try? thumbnailEncoder.encode(picture, maxSide: ReportWriter.thumbnailSide) : nil
    }
}

extension NetworkFrame where Attachment == Picture {
    /// A sampled frame with everything the scorers need, prepared on the decoding thread: its hashes, the luma
    /// SSIM compares (area-downscaled to `ssimShortSide`), its sharpness and exposure, the analysis luma and the
    /// active picture inside its black bars (for the keyframes' local features), and the network's input
    /// picture (at `networkSize`, nil for none) made of the active picture only, so that bars neither make a copy
    /// look new nor two videos with bars look alike; the decoded picture is attached, for its images.
    /// `clock` gets the time of the signals (hashes, SSIM luma, sharpness, bars) and of the network's input (scaling).
    init(_ sample: SampledFrame, ssimShortSide: Int, networkSize: Int?, networkInput mode: NetworkInput,
         clock: inout ThreadClock) throws(LibavError) {
        let p = sample.picture
        var signals = FrameSignals(
            index: sample.index, ordinal: sample.ordinal, timestamp: sample.timestamp, seconds: sample.seconds, source: sample.source,
            hash: FrameHash(sample.luma), luma: sample.luma.areaDownscaled(shortSide: ssimShortSide), quality: PictureQuality(sample.luma),
            thumbnail: sample.thumbnail, intermediateFrames: sample.intermediateFrames, analysisLuma: sample.luma, pictureSize: (p.width, p.height))
        signals.endsInput = sample.endsInput
        signals.shotStart = sample.shotStart
        clock.lap(.signals)
        var input: RGBImage? = nil
        if let size = networkSize {
            let a = signals.activeArea ?? PictureRect(width: p.width, height: p.height)
            switch mode {
            case .whole where a == PictureRect(width: p.width, height: p.height):
                input = try p.rgb(width: size, height: size, smooth: true)
            case .whole:
                input = try p.rgb(width: size, height: size, crop: (a.x, a.y, a.width, a.height), smooth: true)
            case .center:
                let side = 7 * min(a.width, a.height) / 8
                input = try p.rgb(width: size, height: size, crop: (a.x + (a.width - side) / 2, a.y + (a.height - side) / 2, side, side), smooth: true)
            }
            clock.lap(.networkInput)
        }
        self.init(StageFrame(signals, attachment: sample.picture), networkInput: input)
    }
}

extension NetworkFrame {
    /// The same frame with another attachment.
    func attaching<Other>(_ other: Other) -> NetworkFrame<Other> {
        NetworkFrame<Other>(StageFrame(frame.signals, attachment: other), networkInput: networkInput)
    }
}

/// Decodes and prepares frames on a thread of its own and, when the run writes images, encodes the large ones on
/// another (``FrameImages``), handing them over through bounded queues (back-pressure keeps memory flat), so
/// decoding and encoding overlap with the network and the writers. Of pictures larger than 720p only those between
/// the decoder and the encoder are held decoded (``pictureQueueCapacity``); what the consumer takes carries its
/// images (encoded, or for smaller pictures decoded), or nothing when no images are written.
final class FrameSource {
    typealias Item = Result<NetworkFrame<FrameImages?>, DecoderError>
    typealias Decoded = Result<NetworkFrame<Picture>, DecoderError>
    /// Decoded pictures waiting for the encoder: enough to smooth out the two threads' steps.
    static let pictureQueueCapacity = 2
    private let queue: FrameQueue<Item>
    private let pictures: FrameQueue<Decoded>?
    private let done = DispatchGroup()
    private let reader: Handoff<VideoReader>
    private let clocks: Handoff<(decoding: ThreadClock, encoding: ThreadClock)>
    private var consumerWaiting = 0.0
    private var joined = false
    /// The input's stated duration in seconds, when known.
    let duration: Double?
    /// The pixels of the input's pictures (width × height, as opened).
    let picturePixels: Int

    /// Starts decoding `reader` at once.
    /// - Parameter images: how to encode each frame's images; nil: none (the frames carry nothing).
    init(reader: VideoReader, ssimShortSide: Int, networkSize: Int?, networkInput: NetworkInput, images: ImageExport?, capacity: Int) {
        let queue = FrameQueue<Item>(capacity: capacity)
        let pictures = images.map { _ in FrameQueue<Decoded>(capacity: Self.pictureQueueCapacity) }
        let box = Handoff(reader)
        let clocks = Handoff((decoding: ThreadClock(), encoding: ThreadClock()))
        duration = reader.info.duration
        picturePixels = reader.info.width * reader.info.height
        self.queue = queue
        self.pictures = pictures
        self.reader = box
        self.clocks = clocks
        let decoding = Thread { [done] in
            defer {
                pictures?.close()
                if pictures == nil { queue.close() }
                done.leave()
            }
            var clock = ThreadClock()
            defer { clocks.value.decoding = clock }
            /// Hands `item` on; false when the consumer stopped.
            func put(_ item: Decoded) -> Bool {
                defer { clock.lap(.waitingToHandOver) }
                if let pictures { return pictures.put(item) }
                return queue.put(item.map { $0.attaching(nil) })
            }
            let reader = box.value
            while !(pictures?.isCancelled ?? queue.isCancelled) {
                clock.start()
                let sample: SampledFrame?
                do throws(DecoderError) { sample = try reader.next() } catch {
                    clock.lap(.decoding)
                    _ = put(.failure(error))
                    return
                }
                clock.lap(.decoding)
                guard let sample else { return }
                guard let frame = try? NetworkFrame(sample, ssimShortSide: ssimShortSide, networkSize: networkSize, networkInput: networkInput,
                                                    clock: &clock) else {
                    continue  // a picture libswscale cannot convert: skipped like a corrupt frame
                }
                guard put(.success(frame)) else { return }
            }
        }
        done.enter()
        decoding.name = "framededupe.decode"
        decoding.stackSize = 4 << 20
        decoding.start()
        if let pictures, let images {
            let encoding = Thread { [done] in
                defer {
                    queue.close()
                    pictures.cancel()  // the decoder stops too when the consumer did
                    done.leave()
                }
                var clock = ThreadClock()
                defer { clocks.value.encoding = clock }
                let encoder = FrameImageEncoder(images)
                clock.start()
                while let item = pictures.take() {
                    clock.lap(.waitingForPictures)
                    let encoded = item.map { $0.attaching(Optional(encoder.held($0.frame.attachment))) }
                    clock.lap(.encoding)
                    guard queue.put(encoded) else { return }
                    clock.lap(.waitingToHandOver)
                }
            }
            done.enter()
            encoding.name = "framededupe.encode"
            encoding.start()
        }
    }

    deinit { join() }

    /// The next prepared frame in time order; nil at the end.
    func next() throws(DecoderError) -> NetworkFrame<FrameImages?>? {
        let start = ThreadClock.now()
        let item = queue.take()
        consumerWaiting += ThreadClock.now() - start
        switch item {
        case .none: return nil
        case .success(let frame): return frame
        case .failure(let error): throw error
        }
    }

    /// How many prepared frames wait to be taken by ``next()`` now.
    var framesWaiting: Int { queue.count }

    /// Stops decoding without waiting: frames already prepared are still handed out by ``next()``, then it returns nil.
    func stopReading() {
        queue.cancel()
        pictures?.cancel()
    }

    /// Stops decoding early (if it has not ended) and waits for the decoding (and encoding) thread.
    func join() {
        guard !joined else { return }
        joined = true
        stopReading()
        done.wait()
    }

    /// The reader, for its counts and warnings: only after ``join()``.
    var finishedReader: VideoReader {
        join()
        return reader.value
    }

    /// Where the decoding and encoding threads spent their time, and how long ``next()`` waited: after ``join()``.
    var threadTimes: (decoding: ThreadClock, encoding: ThreadClock?, consumerWaiting: Double) {
        join()
        return (clocks.value.decoding, pictures == nil ? nil : clocks.value.encoding, consumerWaiting)
    }
}

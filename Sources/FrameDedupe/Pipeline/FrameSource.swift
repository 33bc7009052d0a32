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

extension NetworkFrame where Attachment == Picture {
    /// A sampled frame with everything the scorers need, prepared on the decoding thread: its hashes, the luma
    /// SSIM compares (area-downscaled to `ssimShortSide`), its sharpness and exposure, the analysis luma and the
    /// active picture inside its black bars (for the keyframes' local features), and the network's input
    /// picture (at `networkSize`, nil for none) made of the active picture only, so that bars neither make a copy
    /// look new nor two videos with bars look alike; the decoded picture is attached, to write its image.
    init(_ sample: SampledFrame, ssimShortSide: Int, networkSize: Int?, networkInput mode: NetworkInput) throws(LibavError) {
        let p = sample.picture
        let signals = FrameSignals(
            index: sample.index, ordinal: sample.ordinal, timestamp: sample.timestamp, seconds: sample.seconds, source: sample.source,
            hash: FrameHash(sample.luma), luma: sample.luma.areaDownscaled(shortSide: ssimShortSide), quality: PictureQuality(sample.luma),
            thumbnail: sample.thumbnail, intermediateFrames: sample.intermediateFrames, analysisLuma: sample.luma, pictureSize: (p.width, p.height))
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
        }
        self.init(StageFrame(signals, attachment: sample.picture), networkInput: input)
    }
}

/// Decodes and prepares frames on a thread of its own, handing them over through a bounded queue
/// (back-pressure keeps memory flat), so decoding overlaps with the network and the writers.
final class FrameSource {
    typealias Item = Result<NetworkFrame<Picture>, DecoderError>
    private let queue: FrameQueue<Item>
    private let done = DispatchSemaphore(value: 0)
    private let reader: Handoff<VideoReader>
    private var joined = false
    /// The input's stated duration in seconds, when known.
    let duration: Double?

    /// Starts decoding `reader` at once.
    init(reader: VideoReader, ssimShortSide: Int, networkSize: Int?, networkInput: NetworkInput, capacity: Int) {
        let queue = FrameQueue<Item>(capacity: capacity)
        let box = Handoff(reader)
        duration = reader.info.duration
        let done = done
        self.queue = queue
        self.reader = box
        let thread = Thread {
            defer {
                queue.close()
                done.signal()
            }
            let reader = box.value
            while !queue.isCancelled {
                let sample: SampledFrame?
                do throws(DecoderError) { sample = try reader.next() } catch {
                    queue.put(.failure(error))
                    return
                }
                guard let sample else { return }
                guard let frame = try? NetworkFrame(sample, ssimShortSide: ssimShortSide, networkSize: networkSize, networkInput: networkInput) else {
                    continue  // a picture libswscale cannot convert: skipped like a corrupt frame
                }
                guard queue.put(.success(frame)) else { return }
            }
        }
        thread.name = "framededupe.decode"
        thread.stackSize = 4 << 20
        thread.start()
    }

    deinit { join() }

    /// The next prepared frame in time order; nil at the end.
    func next() throws(DecoderError) -> NetworkFrame<Picture>? {
        switch queue.take() {
        case .none: return nil
        case .success(let frame): return frame
        case .failure(let error): throw error
        }
    }

    /// Stops decoding without waiting: frames already prepared are still handed out by ``next()``, then it returns nil.
    func stopReading() { queue.cancel() }

    /// Stops decoding early (if it has not ended) and waits for the decoding thread.
    func join() {
        guard !joined else { return }
        joined = true
        queue.cancel()
        done.wait()
    }

    /// The reader, for its counts and warnings: only after ``join()``.
    var finishedReader: VideoReader {
        join()
        return reader.value
    }
}

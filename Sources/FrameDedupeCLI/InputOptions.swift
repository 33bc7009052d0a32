import ArgumentParser
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// Options shared by every subcommand that reads video.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Frames sampled per second of presentation time (a number or fraction such as 0.5 or 30000/1001), or 'all' for every decoded frame.", valueName: "rate"))
    var fps: String = "2"

    @Option(help: ArgumentHelp("Start sampling this many seconds after the stream's start (seeks when the input allows). Default 0.", valueName: "seconds"))
    var start: Double?

    @Option(help: ArgumentHelp("Stop sampling this many seconds after the stream's start (exclusive). Default: the end.", valueName: "seconds"))
    var end: Double?

    @Option(help: ArgumentHelp("Decode every frame ('all') or key frames only ('keyframes': several times faster; sampling density then follows the encoder's key-frame interval).", valueName: "all|keyframes"))
    var decode: DecodeMode = .all

    @Option(help: ArgumentHelp("Index of the video stream to read (as ffprobe numbers streams). Default: the best video stream.", valueName: "n"))
    var stream: Int?

    @Option(help: ArgumentHelp("Shorter side in pixels of the luma used for hashes and as the source of the SSIM scale, 16 to 4096; smaller videos are not upscaled.", valueName: "pixels"))
    var analysisSize: Int = 256

    @Option(help: ArgumentHelp("Decoder threads, 0 = automatic.", valueName: "n"))
    var threads: Int = 0

    @Flag(help: ArgumentHelp("Also decode non-reference frames that cannot be sampled (for measuring what skipping them saves).", visibility: .hidden))
    var decodeUnsampled = false

    @Flag(name: .shortAndLong, help: "No progress line and no summary on stderr (errors and warnings are still printed).")
    var quiet = false

    func validate() throws {
        _ = try sampling()
        if let start, start < 0 { throw ValidationError("--start must be ≥ 0 seconds, got \(start)") }
        if let end, end <= (start ?? 0) { throw ValidationError("--end must be after --start") }
        if !(16...4096).contains(analysisSize) { throw ValidationError("--analysis-size must be 16 to 4096, got \(analysisSize)") }
        if threads < 0 { throw ValidationError("--threads must be ≥ 0") }
    }

    func sampling() throws -> SamplingRate {
        if fps == "all" { return .all }
        guard let rate = Rational(parsing: fps), rate.numerator > 0 else {
            throw ValidationError("--fps takes a positive number, a fraction like 30000/1001, or 'all'; got '\(fps)'")
        }
        return .perSecond(rate)
    }

    func readerOptions() throws -> ReaderOptions {
        var o = ReaderOptions()
        o.sampling = try sampling()
        o.start = start
        o.end = end
        o.decode = decode
        o.stream = stream
        o.analysisShortSide = analysisSize
        o.threads = threads
        o.skipUnsampledNonReference = !decodeUnsampled
        return o
    }
}

extension DecodeMode: ExpressibleByArgument {}

/// Options of the embedding network, shared by every subcommand that runs it.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The network's weights (a safetensors file written by scripts/fetch-model.py). Default: $FRAMEDEDUPE_MODEL, else ~/.local/share/framededupe/models/efficientnet-<variant>.safetensors.", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("EfficientNet-Lite variant of the weights: lite0 (224 px input), lite1 (240 px) or lite2 (260 px).", valueName: "variant"))
    var modelVariant: EfficientNetVariant = .lite0

    @Option(help: ArgumentHelp("How a frame is shown to the network: 'whole' (the whole frame resized to the square input) or 'center' (ImageNet's centred crop of 7/8 of the shorter side).", valueName: "whole|center"))
    var networkInput: NetworkInput = .whole

    @Option(help: ArgumentHelp("Frames embedded together, 1 to 256.", valueName: "n"))
    var batch: Int = 8

    @Option(help: ArgumentHelp("OpenBLAS threads for the network, 1 to 64 (the decoder has its own threads).", valueName: "n"))
    var blasThreads: Int = 1

    func validate() throws {
        if !(1...256).contains(batch) { throw ValidationError("--batch must be 1 to 256, got \(batch)") }
        if !(1...64).contains(blasThreads) { throw ValidationError("--blas-threads must be 1 to 64, got \(blasThreads)") }
    }

    func apply(to options: inout DedupeOptions) {
        options.model = model.map { URL(fileURLWithPath: $0) }
        options.modelVariant = modelVariant
        options.networkInput = networkInput
        options.batchSize = batch
        options.linearAlgebraThreads = blasThreads
    }
}

extension EfficientNetVariant: ExpressibleByArgument {}
extension NetworkInput: ExpressibleByArgument {}
extension ScorerKind: ExpressibleByArgument {}

import ArgumentParser
import Decoder
import Foundation
import FrameDedupe

/// How every subcommand that reads video samples and decodes it.
struct SamplingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Frames sampled per second of presentation time (a number or fraction such as 0.5 or 30000/1001, 1/86400 to 1000), or 'all' for every decoded frame. The last frame is sampled too when it lies at least half an interval after the last sample. Default: 2 (all for a folder of images or a numbered pattern).", valueName: "rate"))
    var fps: String?

    @Option(help: ArgumentHelp("Start sampling this many seconds after the stream's start (seeks when the input allows), 0 to 1000000000. Default 0.", valueName: "seconds"))
    var start: Double?

    @Option(help: ArgumentHelp("Stop sampling this many seconds after the stream's start (exclusive), after --start and up to 1000000000. Default: the end.", valueName: "seconds"))
    var end: Double?

    @Flag(help: "Let a local input be a playlist (HLS .m3u8, ffconcat, DASH .mpd) that names other local files; off by default because such a file can pull any file into the results, or name itself. With it, playlists open local files only (no network) and cannot nest.")
    var allowPlaylists = false

    @Option(help: ArgumentHelp("Memory the decoded pictures of one input may take, in bytes or with K, M or G (1G = 1024M), 64M to 1024G. Counted: the decoder's pictures (its threads + 17 reference frames) and the frames a run holds (the frame queue, a network batch, two up to 720p, and the scenes' candidates: 61, or 77 up to 720p, at the defaults) as what they keep: a JPEG picture above 720p its encoded image, counted at a quarter of the picture (3 more wait whole for the encoder), any other picture whole, none when no images are written. An input whose pictures (width x height x bytes a pixel) would need more is refused before one is decoded (status 3). Default: half the machine's memory, at most 8G (8K video fits in 5G, 16000x16000 pictures need 29G).", valueName: "bytes"))
    var maxMemory: String?

    @Option(help: ArgumentHelp("Decode every frame ('all') or the codec's intra-coded key frames only ('intra', formerly 'keyframes', still accepted: several times faster on long films; sampling density then follows the encoder's key-frame interval, often 2 to 10 s).", valueName: "all|intra"))
    var decode: DecodeMode = .all

    @Option(help: ArgumentHelp("Index of the video stream to read (as ffprobe numbers streams). Default: the best video stream.", valueName: "n"))
    var stream: Int?

    @Option(help: ArgumentHelp("Shorter side in pixels of the luma used for hashes and as the source of the SSIM scale, 16 to 4096; smaller videos are not upscaled.", valueName: "pixels"))
    var analysisSize: Int = 256

    @Option(help: ArgumentHelp("Decoder threads, 0 (automatic: the cores + 1, at most 16, and at most as many as keep their pictures within 32 MiB: 4 at 1080p, 7 at 720p, 11 at 854x480) to 64. Results are the same with any number.", valueName: "n"))
    var threads: Int = 0

    @Flag(help: ArgumentHelp("Also decode non-reference frames that cannot be sampled (for measuring what skipping them saves).", visibility: .hidden))
    var decodeUnsampled = false

    func validate() throws {
        _ = try sampling()
        try NumberRange.check(start, "--start", 0...NumberRange.maximumSeconds, unit: "seconds")
        try NumberRange.check(end, "--end", 0...NumberRange.maximumSeconds, unit: "seconds")
        if let end, end <= (start ?? 0) { throw ValidationError("--end must be after --start") }
        if !(16...4096).contains(analysisSize) { throw ValidationError("--analysis-size must be 16 to 4096, got \(analysisSize)") }
        try NumberRange.check(threads, "--threads", 0...64)
        try NumberRange.check(stream, "--stream", 0...65_535)
        _ = try memoryBudget()
    }

    /// The largest default budget, and the range --max-memory takes.
    static let defaultMemoryCap: Int64 = 8 << 30
    static let memoryRange: ClosedRange<Int64> = (64 << 20)...(1 << 40)

    /// --max-memory in bytes; by default half the physical memory, at most ``defaultMemoryCap``.
    func memoryBudget() throws -> Int64 {
        guard let maxMemory else { return min(Self.defaultMemoryCap, Int64(ProcessInfo.processInfo.physicalMemory / 2)) }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let unit = maxMemory.last.flatMap { units[Character($0.uppercased())] }
        let number = Double(unit == nil ? maxMemory : String(maxMemory.dropLast()))
        guard let number, number.isFinite, number >= 0 else {
            throw ValidationError("--max-memory takes a number of bytes, with K, M or G (such as 512M or 2G); got '\(maxMemory)'")
        }
        let bytes = number * Double(unit ?? 1)
        guard bytes >= Double(Self.memoryRange.lowerBound) && bytes <= Double(Self.memoryRange.upperBound) else {
            throw ValidationError("--max-memory must be 64M to 1024G; got '\(maxMemory)'")
        }
        return Int64(bytes)
    }

    func sampling() throws -> SamplingRate {
        guard let fps else { return .perSecond(Rational(2, 1)) }
        if fps == "all" { return .all }
        guard let rate = Rational(parsing: fps), rate.numerator > 0 else {
            throw ValidationError("--fps takes a positive number, a fraction like 30000/1001, or 'all'; got '\(fps)'")
        }
        try NumberRange.check(rate: rate, "--fps")
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
        o.allowPlaylists = allowPlaylists
        o.memoryBudget = MemoryBudget(bytes: try memoryBudget())
        return o
    }
}

/// Options of every subcommand that reads video from any source: a file, a URL, standard input, a folder of
/// pictures or a numbered pattern, raw video (`run`, `embed`).
struct InputOptions: ParsableArguments {
    @OptionGroup var sampling: SamplingOptions

    @Option(help: ArgumentHelp("The input is headerless raw video (ffmpeg ... -f rawvideo -pix_fmt gray|rgb24|yuv420p -), in a file or on standard input ('-'): its picture size, libavutil pixel format and frame rate, e.g. 640x360:gray:25 or 1280x720:yuv420p:30000/1001.", valueName: "WIDTHxHEIGHT:PIXFMT:RATE"))
    var raw: String?

    @Option(help: ArgumentHelp("For a folder of images or a numbered pattern (dir/%04d.png): the pictures' times. 'rate': --image-rate pictures a second in order of name; 'mtime': each file's modification time; 'exif': each photograph's EXIF DateTimeOriginal (the file's time when it has none). With mtime and exif the pictures are taken in time order (ties by name), and times count in scene times and in --alpha's time distance.", valueName: "rate|mtime|exif"))
    var imageTime: ImageTime = .rate

    @Option(help: ArgumentHelp("With --image-time rate: pictures per second of the sequence's time axis (a number or fraction, 1/86400 to 1000).", valueName: "rate"))
    var imageRate: String = "1"

    func validate() throws {
        if let raw {
            do { _ = try RawVideoFormat(parsing: raw) } catch { throw ValidationError("--raw: \(error)") }
        }
        guard let rate = Rational(parsing: imageRate), rate.numerator > 0 else {
            throw ValidationError("--image-rate takes a positive number or a fraction like 30000/1001; got '\(imageRate)'")
        }
        try NumberRange.check(rate: rate, "--image-rate")
    }

    func readerOptions() throws -> ReaderOptions {
        var o = try sampling.readerOptions()
        o.raw = try raw.map { try RawVideoFormat(parsing: $0) }
        o.imageTime = imageTime
        o.imageRate = Rational(parsing: imageRate) ?? Rational(1, 1)
        return o
    }

    /// ``readerOptions()`` for one input: a folder of images or a numbered pattern samples every picture unless
    /// --fps says otherwise.
    func readerOptions(for input: String) throws -> ReaderOptions {
        var o = try readerOptions()
        if sampling.fps == nil && raw == nil && isImageSequence(input) { o.sampling = .all }
        return o
    }

    /// Options that contradict each other or the inputs (for `run` and `embed`, which know their inputs):
    /// --image-time and --image-rate are for folders of pictures and numbered patterns, and --fps all with
    /// --decode intra asks for every frame of a decoder that skips all but key frames.
    func checkConflicts(inputs: [String]) throws {
        if sampling.fps == "all" && sampling.decode == .keyframes {
            throw ValidationError("--fps all samples every decoded frame and --decode intra decodes key frames only, at the encoder's interval: give a rate (--fps 2, the default) or --decode all")
        }
        let timed = imageTime != .rate ? "--image-time \(imageTime.rawValue)" : imageRate != "1" ? "--image-rate" : nil
        if let timed, let video = inputs.first(where: { raw != nil || !isImageSequence($0) }) {
            throw ValidationError("\(timed) times the pictures of a folder or a numbered pattern (frames/%04d.png); \(video == "-" ? "standard input" : "'\(video)'") is \(raw != nil ? "raw video" : "a video"), timed by its own timestamps")
        }
    }
}

/// -q and -v: how much a subcommand says on stderr.
struct LogOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Errors only on stderr: no progress, no summary, no warnings.")
    var quiet = false

    @Flag(name: .short, help: "More on stderr: -v what each input is and how it went, -vv also every scene's cut decision with its scores.")
    var verbose: Int

    func validate() throws {
        if quiet && verbose > 0 { throw ValidationError("-q and -v contradict each other") }
        // Every subcommand with these options validates them before it runs: the log's level is set here.
        configureLog()
    }

    /// Sets the log's level from -v and -q.
    func configureLog() { Log.configure(verbose: verbose, quiet: quiet) }
}

/// --progress on the subcommands that show none (`index add`, `index search`, `tune`): accepted, as it always was,
/// so that scripts passing it keep working, but not listed in their help.
struct UnlistedProgressOption: ParsableArguments {
    @Option(help: ArgumentHelp("Accepted for scripts; this subcommand shows no progress.", visibility: .private))
    var progress: ProgressMode = .auto
}

/// -q, -v and --progress, for the subcommands that show progress (`run`, `embed`).
struct MessageOptions: ParsableArguments {
    @OptionGroup var log: LogOptions

    @Option(help: ArgumentHelp("Progress on stderr: 'auto' (a bar with position, frames/s and ETA when stderr is a terminal; a line per finished input and a batch summary always), 'always' (the bar even into a file or pipe), 'never' (only warnings and errors), or 'jsonl' (one JSON event per line instead, for GUIs: start, progress, finish, skip, error, summary; their members are under PROGRESS EVENTS in man framededupe).", valueName: "auto|always|never|jsonl"))
    var progress: ProgressMode = .auto

    var quiet: Bool { log.quiet }
}

/// `--decode all|intra`: "intra" names the codec's intra-coded frames, which the library calls `keyframes` (the
/// value scenes.json records); "keyframes", the option's first spelling, is still accepted. The word keyframe is
/// otherwise the picture chosen for a scene (`keyframes/`).
extension DecodeMode: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "all": self = .all
        case "intra", "keyframes": self = .keyframes
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["all", "intra"] }
    public var defaultValueDescription: String { self == .all ? "all" : "intra" }
}
extension ImageTime: ExpressibleByArgument {}

import Decoder
import Foundation
import Testing
import _FrameDedupeTestSupport

/// Reads every sampled frame's pts.
func sampledPTS(_ input: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> [Int64] {
    try sampledFrames(input, configure).map(\.timestamp.pts)
}

func sampledFrames(_ input: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> [SampledFrame] {
    var options = ReaderOptions()
    configure(&options)
    let reader = try VideoReader(input: input, options: options)
    var frames: [SampledFrame] = []
    while let frame = try reader.next() { frames.append(frame) }
    return frames
}

/// The sampling rule written out independently: for slot k, the first frame with pts ≥ origin + k/R.
func expectedSamples(_ all: [Int64], originMs: Int64, stepMs: Int64) -> [Int64] {
    var out: [Int64] = []
    var target = originMs
    for p in all where p >= target {
        out.append(p)
        while target <= p { target += stepMs }
    }
    return out
}

@Suite("Sampling by presentation timestamp", .temporaryFolders)
struct SamplingTests {
    /// libav quiet, as the command line keeps it: the decoder leaves libav's (global) log level to the program.
    init() { setLibavLogLevel(.quiet) }
    @Test func clipIsWhatWeBuilt() throws {
        let clip = try Fixtures.variableRateClip()
        #expect(try Fixtures.probeFramePTS(clip) == Fixtures.variableRateClipPTS)
        let stream = try Fixtures.probeStream(clip)
        #expect(stream.timeBase == "1/1000")
        #expect(abs(stream.startTime - 11.4) < 1e-9)
    }

    @Test func everyFrame() throws {
        let clip = try Fixtures.variableRateClip()
        #expect(try sampledPTS(clip.path) { $0.sampling = .all } == Fixtures.variableRateClipPTS)
    }

    @Test func twoPerSecondOnVariableRate() throws {
        let clip = try Fixtures.variableRateClip()
        let got = try sampledPTS(clip.path) { $0.sampling = .perSecond(Rational(2, 1)) }
        // The last frame (17200) is 0.2 s after the last sample: less than half an interval, not sampled.
        #expect(got == [11400, 11900, 12400, 12900, 13400, 13920, 14400, 14920, 15400, 16000, 16400, 17000])
        #expect(got == expectedSamples(Fixtures.variableRateClipPTS, originMs: 11400, stepMs: 500))
    }

    @Test func oneEveryTwoSeconds() throws {
        let clip = try Fixtures.variableRateClip()
        let got = try sampledPTS(clip.path) { $0.sampling = .perSecond(Rational(parsing: "0.5")!) }
        // The last frame, 1.8 s after the last sample (at least half an interval), is sampled too: the end is seen.
        #expect(got == [11400, 13400, 15400, 17200])
        let grid = try sampledPTS(clip.path) { $0.sampling = .perSecond(Rational(parsing: "0.5")!); $0.sampleFinalFrame = false }
        #expect(grid == [11400, 13400, 15400])
    }

    @Test func skippingNonReferenceFramesChangesNothing() throws {
        let clip = try Fixtures.variableRateClip()
        let skipping = try sampledPTS(clip.path) { $0.skipUnsampledNonReference = true }
        let decodingAll = try sampledPTS(clip.path) { $0.skipUnsampledNonReference = false }
        #expect(skipping == decodingAll)
    }

    /// Which frames between samples are decoded (the frames that place cuts and dissolves exactly) must not depend on
    /// the decoder's thread count, which by default grows with the machine's cores: a rule judged against the frames the
    /// decoder had returned decoded more of them with more threads (`--threads 1` and the default gave different scene
    /// boundaries on `film-sintel-tos-1080p.mp4`). Real footage with B-frames (x264 `-preset slow`, 25 fps, 2 fps sampled).
    @Test(arguments: ["bbb-720p.mp4", "shots-360p.mp4"])
    func framesDecodedDoNotDependOnThreads(_ name: String) throws {
        let clip = Fixtures.sample(name).path
        func decoded(_ threads: Int) throws -> [[Int]] {
            try sampledFrames(clip) { $0.threads = threads }.map { [$0.ordinal] + $0.intermediateFrames.map(\.ordinal) }
        }
        let one = try decoded(1)
        // Some non-reference frames are skipped, so the check is not vacuous: fewer frames than the clip holds.
        let frameCount = try Fixtures.probeFramePTS(URL(fileURLWithPath: clip)).count
        #expect(one.joined().count < frameCount - 20)
        for threads in [2, 5, 16] {
            #expect(try decoded(threads) == one, "--threads \(threads) against 1")
        }
    }

    @Test func timesAndOrdinals() throws {
        let clip = try Fixtures.variableRateClip()
        let reader = try VideoReader(input: clip.path, options: ReaderOptions())
        #expect(reader.info.startPTS == 11400)
        #expect(abs(reader.info.startSeconds - 11.4) < 1e-9)
        var frames: [SampledFrame] = []
        while let f = try reader.next() { frames.append(f) }
        // seconds are measured from the stream's start; ordinals count every frame before it.
        for f in frames {
            #expect(abs(f.seconds - Double(f.timestamp.pts - 11400) / 1000) < 1e-9)
            #expect(f.ordinal == Fixtures.variableRateClipPTS.firstIndex(of: f.timestamp.pts))
        }
        #expect(frames.map(\.index) == Array(0..<frames.count))
        #expect(frames[0].luma.width == 320 && frames[0].luma.height == 240)  // smaller than the 256 short side: not upscaled
    }

    @Test func startAndEndSeek() throws {
        let clip = try Fixtures.variableRateClip()
        let got = try sampledPTS(clip.path) { $0.start = 2.5; $0.end = 4.5 }
        // origin 13900: slots at 13900, 14400, 14900, 15400; end (exclusive) 15900; the range's last frame, 15800, is
        // 0.4 s after the last sample (at least half an interval): sampled too.
        #expect(got == [13920, 14400, 14920, 15400, 15800])
    }

    @Test func keyframesOnly() throws {
        let clip = try Fixtures.variableRateClip()
        let got = try sampledPTS(clip.path) { $0.decode = .keyframes; $0.sampling = .all }
        // -g 12 → a key frame at least every 12 frames; each segment starts with one (scene-cut detection may add more).
        #expect(got.first == 11400)
        #expect(got.count >= 80 / 12 && got.count < 20)
        #expect(Set(got).isSubset(of: Set(Fixtures.variableRateClipPTS)))
    }

    @Test func pipeGivesTheSameFrames() throws {
        let nut = try Fixtures.variableRateClipNUT()
        let fromFile = try sampledFrames(nut.path).map(\.seconds)
        let piped = try PipedFile(nut)
        let fromPipe = try sampledFrames(piped.url).map(\.seconds)
        // NUT has its own time base and ffmpeg's remux moves the start to 0: compare seconds from the start.
        #expect(fromPipe == fromFile)
        let expected = expectedSamples(Fixtures.variableRateClipPTS, originMs: 11400, stepMs: 500).map { Double($0 - 11400) / 1000 }
        #expect(fromPipe.count == expected.count)
        #expect(zip(fromPipe, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(fromPipe) vs \(expected)")
    }
}

@Suite("Rational and the sample clock", .temporaryFolders)
struct ClockTests {
    @Test func parsing() {
        #expect(Rational(parsing: "2") == Rational(2, 1))
        #expect(Rational(parsing: "0.5") == Rational(5, 10))
        #expect(Rational(parsing: "30000/1001") == Rational(30000, 1001))
        #expect(Rational(parsing: "abc") == nil)
        #expect(Rational(parsing: "1/0") == nil)
    }

    @Test func slotsAreExact() {
        // NTSC time base; 3 fps: slot k at pts k * 30000 / 3 = 10000k exactly.
        var clock = SampleClock(origin: 0, timeBase: Rational(1, 30000), rate: .perSecond(Rational(3, 1)))
        let taken = [0, 9999, 10000].map { clock.take($0) }
        #expect(taken == [true, false, true])
        #expect(clock.nextTarget == 20000)
        let jump = clock.take(45000)  // fills slots 2, 3 and 4 at once
        #expect(jump)
        #expect(clock.nextTarget == 50000)
    }
}

@Suite("Raw video and image sequences", .temporaryFolders)
struct InputKindTests {
    /// libav quiet, as the command line keeps it: the decoder leaves libav's (global) log level to the program.
    init() { setLibavLogLevel(.quiet) }
    @Test(arguments: ["gray", "rgb24", "yuv420p"])
    func rawVideoDecodesLikeTheContainer(pixelFormat: String) throws {
        let raw = Fixtures.temporaryFolder("raw").appendingPathComponent("clip.raw")
        try Fixtures.ffmpeg(["-i", Fixtures.sample("shots-360p.mp4").path, "-f", "rawvideo", "-pix_fmt", pixelFormat, raw.path])
        let fromRaw = try sampledFrames(raw.path) { $0.raw = try! RawVideoFormat(parsing: "640x360:\(pixelFormat):25") }
        let fromFile = try sampledFrames(Fixtures.sample("shots-360p.mp4").path)
        #expect(fromRaw.map(\.seconds) == fromFile.map(\.seconds))
        #expect(fromRaw.map(\.ordinal) == fromFile.map(\.ordinal))
        // The same pictures: ffmpeg's conversion to gray or RGB maps limited-range luma onto full range, so the
        // levels differ by a linear map; their correlation is all but 1.
        for (a, b) in zip(fromRaw, fromFile) {
            #expect(a.luma.width == b.luma.width && a.luma.height == b.luma.height)
            let x = a.luma.pixels.map(Double.init), y = b.luma.pixels.map(Double.init)
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
            #expect(sxy / (sxx * syy).squareRoot() > 0.99)
        }
    }

    @Test func rawFormatsAreChecked() {
        for bad in ["640x360:gray", "640:gray:25", "0x360:gray:25", "640x360:grey:25", "640x360:gray:0", "640x360:gray:fast", "x:gray:25"] {
            #expect(throws: RawVideoFormatError.self, "\(bad)") { try RawVideoFormat(parsing: bad) }
        }
        let ok = try? RawVideoFormat(parsing: "1280x720:yuv420p:30000/1001")
        #expect(ok?.width == 1280 && ok?.height == 720 && ok?.rate == Rational(30000, 1001))
    }

    @Test func captureTimesFromExif() {
        let cases: [([UInt8], Double)] = [
            (Fixtures.exifTIFF(date: "2024:05:01 12:00:00"), 1_714_564_800),
            (Fixtures.exifTIFF(date: "2024:05:01 12:00:00", bigEndian: true), 1_714_564_800),
            (Fixtures.exifTIFF(date: "2024:05:01 12:00:00", subSeconds: "25"), 1_714_564_800.25),
            (Fixtures.exifTIFF(date: "2024:05:01 14:00:00", offset: "+02:00"), 1_714_564_800),
            (Fixtures.exifTIFF(date: "1999:12:31 23:59:59", offset: "-05:30"), 946_684_799 + 5.5 * 3600),
        ]
        for (tiff, expected) in cases { #expect(CaptureTime.read(bytes: tiff) == expected) }
        #expect(CaptureTime.read(bytes: Fixtures.exifTIFF(date: "0000:00:00 00:00:00")) == nil)
        #expect(CaptureTime.read(bytes: Array("not a picture".utf8)) == nil)
    }

    @Test func captureTimeOfARealJPEGAgreesWithLibavcodec() throws {
        let folder = Fixtures.temporaryFolder("exif")
        let photo = folder.appendingPathComponent("photo.jpg")
        try Data(Fixtures.withCaptureTime(try Fixtures.sampleFrame(3), "2023:08:14 09:30:15", subSeconds: "5")).write(to: photo)
        #expect(CaptureTime.read(path: photo.path) == 1_692_005_415.5)
        // libavcodec's mjpeg decoder reads the same tag from the same bytes.
        let probe = try Fixtures.run("ffprobe", ["-v", "error", "-show_entries", "frame_tags=DateTimeOriginal", "-of", "csv=p=0", photo.path])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2023:08:14 09:30:15")
        // A JPEG without EXIF (as ffmpeg writes it) has none.
        #expect(CaptureTime.read(path: try Fixtures.sampleFrames().appendingPathComponent("frame-01.jpg").path) == nil)
    }

    @Test func aFolderIsReadInNameOrderAndSkipsWhatIsNoImage() throws {
        let folder = Fixtures.temporaryFolder("folder")
        for n in [1, 7, 13] { try Data(try Fixtures.sampleFrame(n)).write(to: folder.appendingPathComponent(String(format: "b-%02d.jpg", n))) }
        try Data("notes".utf8).write(to: folder.appendingPathComponent("a-notes.txt"))
        let frames = try sampledFrames(folder.path) { $0.sampling = .all; $0.imageRate = Rational(2, 1) }
        #expect(frames.map(\.source) == ["b-01.jpg", "b-07.jpg", "b-13.jpg"].map { folder.path + "/" + $0 })
        #expect(frames.map(\.seconds) == [0, 0.5, 1])
        let reader = try VideoReader(input: folder.path)
        #expect(reader.warnings.contains { $0.contains("1 file that is not an image: a-notes.txt") })
        #expect(reader.info.imageFiles?.count == 3)
    }

    /// JPEGs and PNGs (one of another size) interleaved: every picture, in order, each run of one format read
    /// by its own decoder; also when capture times reorder them.
    @Test func aFolderMixingFormatsIsReadWhole() throws {
        let folder = Fixtures.temporaryFolder("mixed")
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for (i, n) in [1, 7, 13, 19].enumerated() {
            let jpeg = folder.appendingPathComponent("p\(i).jpg")
            try Data(try Fixtures.sampleFrame(n)).write(to: jpeg)
            if i % 2 == 1 {
                let png = folder.appendingPathComponent("p\(i).png")
                try Fixtures.ffmpeg(["-i", jpeg.path] + (i == 3 ? ["-vf", "scale=160:90"] : []) + [png.path])
                try FileManager.default.removeItem(at: jpeg)
            }
            let name = "p\(i)." + (i % 2 == 1 ? "png" : "jpg")
            // Times: p0 and p1 swapped, so the runs are png, jpg, jpg, png.
            let seconds = [10.0, 0, 20, 30][i]
            try FileManager.default.setAttributes([.modificationDate: base.addingTimeInterval(seconds)], ofItemAtPath: folder.appendingPathComponent(name).path)
        }
        let frames = try sampledFrames(folder.path) { $0.sampling = .all }
        #expect(frames.map { ($0.source! as NSString).lastPathComponent } == ["p0.jpg", "p1.png", "p2.jpg", "p3.png"])
        #expect(frames.map(\.seconds) == [0, 1, 2, 3])
        #expect(frames.map(\.ordinal) == [0, 1, 2, 3])
        #expect(frames.map { $0.picture.width } == [640, 640, 640, 160])
        let reader = try VideoReader(input: folder.path)
        #expect(reader.info.codec == "mjpeg+png" && reader.info.duration == 4 && reader.warnings.isEmpty, "\(reader.info) \(reader.warnings)")

        let timed = try sampledFrames(folder.path) { $0.sampling = .all; $0.imageTime = .mtime }
        #expect(timed.map { ($0.source! as NSString).lastPathComponent } == ["p1.png", "p0.jpg", "p2.jpg", "p3.png"])
        #expect(timed.map(\.seconds) == [0, 10, 20, 30])
    }

    @Test func modificationTimesOrderAndTimeThePictures() throws {
        let folder = Fixtures.temporaryFolder("mtime")
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        // Names in one order, times in the other: 30 s apart.
        for (i, n) in [1, 7, 13].enumerated() {
            let url = folder.appendingPathComponent(String(format: "p%d.jpg", i))
            try Data(try Fixtures.sampleFrame(n)).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: base.addingTimeInterval(Double(2 - i) * 30)], ofItemAtPath: url.path)
        }
        let frames = try sampledFrames(folder.path) { $0.sampling = .all; $0.imageTime = .mtime }
        #expect(frames.map { ($0.source! as NSString).lastPathComponent } == ["p2.jpg", "p1.jpg", "p0.jpg"])
        #expect(frames.map(\.seconds) == [0, 30, 60])
    }
}

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

@Suite("Sampling by presentation timestamp")
struct SamplingTests {
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
        #expect(got == [11400, 11900, 12400, 12900, 13400, 13920, 14400, 14920, 15400, 16000, 16400, 17000])
        #expect(got == expectedSamples(Fixtures.variableRateClipPTS, originMs: 11400, stepMs: 500))
    }

    @Test func oneEveryTwoSeconds() throws {
        let clip = try Fixtures.variableRateClip()
        let got = try sampledPTS(clip.path) { $0.sampling = .perSecond(Rational(parsing: "0.5")!) }
        #expect(got == [11400, 13400, 15400])
    }

    @Test func skippingNonReferenceFramesChangesNothing() throws {
        let clip = try Fixtures.variableRateClip()
        let skipping = try sampledPTS(clip.path) { $0.skipUnsampledNonReference = true }
        let decodingAll = try sampledPTS(clip.path) { $0.skipUnsampledNonReference = false }
        #expect(skipping == decodingAll)
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
        // origin 13900: slots at 13900, 14400, 14900, 15400; end (exclusive) 15900.
        #expect(got == [13920, 14400, 14920, 15400])
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

@Suite("Rational and the sample clock")
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

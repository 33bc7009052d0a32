import Decoder
import Foundation
import Testing
import _FrameDedupeTestSupport

/// The first frame of a new shot between two samples (``ShotStart``, issue 17): the decoder keeps it at analysis size, so
/// that two copies of a shot that start at the same frame have the same picture whatever the sampling phase.
@Suite("Shot starts between samples")
struct ShotStartTests {
    init() { setLibavLogLevel(.quiet) }

    /// `shots-360p.mp4` cuts at frames 75 (3.00 s) and 150 (6.00 s); at 0.8 frames a second the samples are 1.25 s apart
    /// (0, 1.25, 2.5, 3.75, 5, 6.25…), so both cuts lie between two samples. Elsewhere only the bottle's tilt (4.5–6 s)
    /// moves enough between two frames to be kept, at a far smaller step.
    @Test func eachShotsFirstFrameComesWithTheSampleAfterItPixelForPixel() throws {
        let clip = Fixtures.sample("shots-360p.mp4").path
        let sparse = try sampledFrames(clip) { $0.sampling = .perSecond(Rational(4, 5)) }
        let starts = sparse.compactMap { sample in sample.shotStart.map { (sample: sample.ordinal, start: $0) } }
        let cuts = starts.filter { $0.start.step >= 0.1 }
        #expect(cuts.map(\.start.ordinal) == [75, 150], "\(starts.map { ($0.sample, $0.start.ordinal, $0.start.step) })")
        #expect(cuts.map(\.sample) == [94, 157], "the samples after the cuts, at 3.76 s and 6.28 s")
        let motion = starts.filter { $0.start.step < 0.1 }
        #expect(motion.allSatisfy { (100..<150).contains($0.start.ordinal) && $0.start.step < 0.05 }, "the tilt only: \(motion.map { ($0.start.ordinal, $0.start.step) })")
        // The very frame, scaled as a sample of it is: every frame decoded and sampled gives the same luma.
        let every = try sampledFrames(clip) { $0.sampling = .all }
        for (_, start) in starts {
            let frame = try #require(every.first { $0.ordinal == start.ordinal })
            #expect(start.luma == frame.luma, "frame \(start.ordinal)")
            #expect(abs(start.seconds - frame.seconds) < 1e-9)
        }
        // Off: none.
        #expect(try sampledFrames(clip) { $0.sampling = .perSecond(Rational(4, 5)); $0.shotStarts = false }.allSatisfy { $0.shotStart == nil })
    }

    /// A cut on a sample: the sample itself is the shot's first frame (at 2 frames a second the cuts fall on samples).
    @Test func aCutOnASampleIsThatSample() throws {
        let frames = try sampledFrames(Fixtures.sample("shots-360p.mp4").path)
        let cuts = frames.filter { ($0.shotStart?.step ?? 0) >= 0.1 }
        #expect(cuts.map(\.ordinal) == [75, 150])
        #expect(cuts.allSatisfy { $0.shotStart!.ordinal == $0.ordinal && $0.shotStart!.luma == $0.luma })
        #expect(frames.first?.shotStart == nil, "the first sample has no gap before it")
    }
}

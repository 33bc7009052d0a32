import Decoder
import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// Issue 18: `scenes.json`'s `transitions`, typed and spanned, on real footage made into known transitions.
@Suite("Typed transitions with their spans", .temporaryFolders)
struct TransitionsTests {
    private func transitions(_ input: URL, options: DedupeOptions = DedupeOptions()) throws -> [Transition] {
        try scenesAndTransitions(input, options: options).transitions
    }

    private func scenesAndTransitions(_ input: URL, options: DedupeOptions = DedupeOptions()) throws -> (scenes: Int, transitions: [Transition]) {
        let list = try findScenes(input: input.path, options: options, output: nil)
        return (list.scenes.count, try #require(ScenesFile(list).transitions))
    }

    @Test func hardCutsAreCutsAtTheirFrame() throws {
        let found = try transitions(Fixtures.returningShots())
        #expect(found.map(\.kind) == [.cut, .cut, .cut, .cut])
        for (t, cut) in zip(found, Fixtures.returningShotsCuts) {
            #expect(abs(t.start - cut) <= 0.041 && t.end == t.start, "\(t) for the cut at \(cut) s")
        }
        #expect(found.map(\.before) == [0, 1, 2, 3] && found.map(\.after) == [1, 2, 3, 4])
    }

    /// xfade from 2 to 3 s: the first frame with some of the rocket is 2.04 s, the first wholly of it 3 s.
    @Test func crossfadeIsADissolveWithItsSpan() throws {
        let found = try transitions(Fixtures.crossfade())
        #expect(found.count == 1, "\(found)")
        let t = try #require(found.first)
        #expect(t.kind == .dissolve && t.before == 0 && t.after == 1)
        #expect((2.0...2.2).contains(t.start) && (2.9...3.05).contains(t.end), "\(t)")
    }

    /// A fades out from 2 to 3 s, black to 5 s, a cut to B: one fade from A's scene to B's, ending at B's first frame.
    @Test func fadeThroughBlackIsOneFade() throws {
        let found = try transitions(Fixtures.fadeToBlack())
        #expect(found.count == 1, "\(found)")
        let t = try #require(found.first)
        // Its first darker frame is 2.04 s, found in the frames decoded between the samples.
        #expect(t.kind == .fade && t.before == 0 && abs(t.start - 2.04) <= 0.041, "\(t)")
        #expect(abs(t.end - 5) <= 0.041, "\(t)")
    }

    /// A 1 s dip to black whose blank frames all fall between two samples: the frames decoded between them pass through
    /// black step by step, so it is a fade (it was typed a cut at 2.12 s), from A's first darker frame (2.04 s) to B's
    /// first whole frame (3 s), at 2 and at 0.5 a second.
    @Test(arguments: ["2", "0.5"])
    func dipToBlackBetweenSamplesIsAFadeWithItsSpan(rate: String) throws {
        var options = DedupeOptions()
        options.reader.sampling = .perSecond(try #require(Rational(parsing: rate)))
        let found = try transitions(Fixtures.dipToBlack(), options: options)
        #expect(found.count == 1, "\(found)")
        let t = try #require(found.first)
        #expect(t.kind == .fade && t.before == 0 && t.after == 1, "\(t)")
        #expect(abs(t.start - 2.04) <= 0.041 && abs(t.end - 3) <= 0.041, "\(t)")
    }

    /// A white slide and its next build: two shots cut at the build's frame. The slides are mostly white but have edges,
    /// so no frame is blank (every frame was a transition frame: no cluster, nothing in `unique/`), and the build moves
    /// the embedding too little for the model, yet the picture went from one still picture to another.
    @Test func slideBuildIsACutBetweenStills() throws {
        let list = try findScenes(input: Fixtures.slideBuild().path, options: DedupeOptions(), output: nil)
        #expect(list.scenes.count == 2 && abs((list.scenes.last?.start ?? 0) - 3) <= 0.041, "\(list.scenes.map(\.start))")
        #expect(list.frames.allSatisfy { !$0.transition }, "no frame of a slide is blank")
        #expect(list.clusters.clusterOfScene.allSatisfy { $0 != nil }, "\(list.clusters.clusterOfScene)")
    }

    /// Three white frames at 1.44–1.56 s inside shot A: a flash back to the same content, then the cut at 3 s.
    /// The sample at 1.5 s is white: it is the flash, and neither it nor the return to A is a cut (two scenes, not four).
    @Test func whiteFlashIsAFlashNotACut() throws {
        let (scenes, found) = try scenesAndTransitions(Fixtures.whiteFlash())
        #expect(found.map(\.kind) == [.flash, .cut], "\(found)")
        let flash = try #require(found.first)
        #expect(abs(flash.start - 1.44) <= 0.041 && abs(flash.end - 1.6) <= 0.041, "\(flash)")
        #expect(abs(found[1].start - 3) <= 0.041)
        #expect(scenes == 2, "the flash cut the scene: \(found)")
    }

    /// A sample on a passing occlusion (a dark box over most of the picture for two frames, like a car in front of a
    /// static camera) next to a real cut: the picture does not come back at the next sample, the cut being on the
    /// other side, but the frames decoded around the sample show the shot on both sides of the occlusion. One cut,
    /// at its frame, whichever side of the occlusion it lies on; main before made a second, at the occlusion.
    @Test(arguments: [("0.84", 0.84), ("1.16", 1.16)])
    func occlusionOnASampleNextToACutIsNoCut(cut: String, at time: Double) throws {
        let list = try findScenes(input: Fixtures.occlusionNextToCut(cut: cut).path, options: DedupeOptions(), output: nil)
        let found = try #require(ScenesFile(list).transitions)
        #expect(list.scenes.count == 2, "\(list.scenes.map { ($0.start, $0.end) })")
        #expect(found.map(\.kind) == [.cut] && abs((found.first?.start ?? 0) - time) <= 0.041, "\(found)")
        // Before the cut, the occluded sample is a transition frame of the old shot (a flash); after it, the new
        // shot's scene goes on past the occlusion.
        let occluded = try #require(list.frames.first { abs($0.seconds - 1) < 0.03 })
        #expect(occluded.transition == (time > 1), "\(occluded)")
    }

    /// Three white frames at 1.2–1.28 s fall between the samples at 1 and 1.5 s (2 a second), and between those at 0
    /// and 2 s (0.5 a second), whose model without the frames between sees no cut: found in the frames decoded between them, with its frames, at
    /// either rate; the picture comes back within a flash's length in seconds, so it is no shot.
    @Test(arguments: ["2", "0.5"])
    func flashBetweenSamplesIsFoundWithItsFrames(fps: String) throws {
        var options = DedupeOptions()
        options.reader.sampling = .perSecond(try #require(Rational(parsing: fps)))
        let (scenes, found) = try scenesAndTransitions(Fixtures.whiteFlash(from: "1.2", to: "1.28"), options: options)
        // At 0.5 a second the cut at 3 s is seen by the clip's last frame (3.96 s), sampled at the end of the input.
        #expect(found.map(\.kind) == [.flash, .cut], "\(found)")
        let flash = try #require(found.first)
        #expect(abs(flash.start - 1.2) <= 0.041 && abs(flash.end - 1.32) <= 0.041, "\(flash)")
        #expect(abs(found[1].start - 3) <= 0.041, "\(found)")
        #expect(scenes == 2, "\(found)")
    }
}

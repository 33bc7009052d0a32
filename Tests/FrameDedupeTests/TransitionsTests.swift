import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// Issue 18: `scenes.json`'s `transitions`, typed and spanned, on real footage made into known transitions.
@Suite("Typed transitions with their spans", .temporaryFolders)
struct TransitionsTests {
    private func transitions(_ input: URL) throws -> [Transition] {
        let list = try findScenes(input: input.path, options: DedupeOptions(), output: nil)
        return try #require(ScenesFile(list).transitions)
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
        #expect(t.kind == .fade && t.before == 0 && t.start >= 2 && t.start <= 3, "\(t)")
        #expect(abs(t.end - 5) <= 0.041, "\(t)")
    }

    /// Three white frames at 1.44–1.56 s inside shot A: a flash back to the same content, then the cut at 3 s.
    @Test func whiteFlashIsAFlashNotACut() throws {
        let found = try transitions(Fixtures.whiteFlash())
        #expect(found.map(\.kind) == [.flash, .cut], "\(found)")
        let flash = try #require(found.first)
        #expect(abs(flash.start - 1.44) <= 0.041 && abs(flash.end - 1.6) <= 0.041, "\(flash)")
        #expect(abs(found[1].start - 3) <= 0.041)
    }
}

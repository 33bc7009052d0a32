import Decoder
import Foundation
@_spi(Evaluation) import FrameDedupe
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

/// The cut rule's pixel signals between two real pictures do not depend on the black bars around them (issue 17: bars
/// must not make a copy look new). The pictures are the dev set's tune cut "same place, other camera" in Sintel (the
/// bandits by the rocks, then Sintel crouched; `Tests/SimilarityTests/Fixtures/geometry/`, CC BY 3.0): with the
/// film's own bars (42 rows of 360), letterboxed into SD as the tune part's SD copy is (102 rows of 480), and cut to
/// the picture alone. Whole frames compared, the bars hid this cut's change: the SD copy's 1 − SSIM was 0.19 below the
/// bare picture's and its thumbnails' step 0.14 below (the film's own bars: 0.06 and 0.08), and the cut model missed
/// three such cuts in the tune part's SD copy.
@Suite("Pixel signals inside black bars", .temporaryFolders)
struct BlackBarSignalsTests {
    static let framings: [(name: String, filter: String)] = [
        ("film", "null"),
        ("sd-letterbox", "scale=640:360,pad=640:480:0:60"),
        ("no-bars", "crop=640:272:0:44"),
    ]

    /// The signals of one picture as the decoder hands them to the scene stages: the analysis luma, the luma at the
    /// SSIM scale and the hashes of the whole frame, and a 16-pixel thumbnail.
    static func signals(_ file: String, framing: (name: String, filter: String), index: Int) throws -> FrameSignals {
        let source = Fixtures.packageRoot.appendingPathComponent("Tests/SimilarityTests/Fixtures/geometry/\(file)")
        let url = try Fixtures.ffmpegFixture("bars-\(framing.name)-\(file).png", [
            ["-i", source.path, "-frames:v", "1", "-vf", "\(framing.filter),format=gray", "-f", "image2", "-c:v", "png", "{out}"]])
        let reader = try VideoReader(input: url.path)
        let analysis = try #require(try reader.next()).luma
        return FrameSignals(index: index, ordinal: index, timestamp: Timestamp(pts: Int64(index), timeBase: Rational(1, 2)),
                            seconds: Double(index) / 2, hash: FrameHash(analysis), luma: analysis.areaDownscaled(shortSide: 32),
                            quality: PictureQuality(analysis), thumbnail: analysis.areaDownscaled(shortSide: Thumbnail.shortSide),
                            analysisLuma: analysis)
    }

    /// 1 − SSIM to the previous frame, the hash distance and the thumbnails' step from one set-up to the other.
    static func change(_ framing: (name: String, filter: String)) throws -> (pixels: Double, hash: Int, step: Double) {
        let a = try signals("sintel-rocks-a.jpg", framing: framing, index: 0), b = try signals("sintel-rocks-b.jpg", framing: framing, index: 1)
        var scorer = SimilarityScorer(kind: .ssim)
        let scores = scorer.score(b, reference: a, previous: a)
        let chain = FrameSignals.comparableThumbnails([(a.seconds, try #require(a.thumbnail)), (b.seconds, try #require(b.thumbnail))],
                                                      between: a, and: b)
        return (1 - (try #require(scores.ssimToPrevious)), scores.hashDistance, try #require(CutEvidence.steps(chain).first).size)
    }

    @Test func barsDoNotDiluteTheChangeAtACut() throws {
        let film = try Self.change(Self.framings[0]), sd = try Self.change(Self.framings[1]), bare = try Self.change(Self.framings[2])
        // Without bars the frames are compared whole, as before.
        #expect(bare.pixels > 0.5, "the cut between two set-ups changes the picture: \(bare)")
        for (name, framed) in [("film", film), ("sd-letterbox", sd)] {
            #expect(abs(framed.pixels - bare.pixels) <= 0.05, "\(name): 1 − SSIM \(framed.pixels), without bars \(bare.pixels)")
            #expect(abs(framed.hash - bare.hash) <= 6, "\(name): hash distance \(framed.hash), without bars \(bare.hash)")
            #expect(abs(framed.step - bare.step) <= 0.2 * bare.step, "\(name): thumbnail step \(framed.step), without bars \(bare.step)")
        }
    }

    /// A frame without bars is compared whole: the shared active picture of a picture with bars and one without is none.
    @Test func framesWithoutBarsAreComparedWhole() throws {
        let bare = try Self.signals("sintel-rocks-a.jpg", framing: Self.framings[2], index: 0)
        let film = try Self.signals("sintel-rocks-b.jpg", framing: Self.framings[0], index: 1)
        #expect(FrameSignals.sharedActivePicture(bare, bare) == nil)
        #expect(FrameSignals.sharedActivePicture(film, film) != nil)
        let (p, q) = FrameSignals.comparableLuma(bare, bare)
        #expect(p == bare.luma && q == bare.luma)
    }
}

@testable import FrameDedupe
import Testing

/// The calibrated cut rule on evidence measured at 2 frames a second on the dev set's tune part and on a fixture
/// (`CutSignalsTool` dumps; `scripts/fit-cut-rule.py` computes the levels): each value as the detector computes it.
@Suite("Calibrated cut rule")
struct CutModelTests {
    /// `twin-scroll-text-720p` at 7.0 s: the LGPL scrolling in a dark window cuts to the MPL in the same theme. The
    /// pixels move as much inside the shots as at the cut, and the thumbnails show no step; only the embedding stands out.
    static let scrollingTextCut = CutEvidence(
        embedding: 0.125917, pixels: 0.430118, hash: 30, embeddingLevel: 0.019079, pixelLevel: 0.437547, hashLevel: 14.5,
        nextEmbedding: 0.014244, nextPixels: 0.401431, acrossEmbedding: 0.116312, acrossPixels: 0.527564,
        gapPeak: 0.017708, gapSecond: 0.013594, gapTotal: 0.084296, gapSteps: 8, gapPeakTime: 7.0, previousEmbedding: 0.013426)
    /// `film-intercut-360p` at 11.5 s, no cut: a burst of the embedding (0.18) after moving frames (level 0.064).
    static let burstInsideShot = CutEvidence(
        embedding: 0.183291, pixels: 0.023489, hash: 2, embeddingLevel: 0.064355, pixelLevel: 0.403220, hashLevel: 8,
        nextEmbedding: 0.004912, nextPixels: 0.002531, acrossEmbedding: 0.199095, acrossPixels: 0.025869,
        gapPeak: 0.001724, gapSecond: 0.000972, gapTotal: 0.004972, gapSteps: 8, previousEmbedding: 0.007513)
    /// ``Fixtures/crossfade()`` at 3.52 s, no cut: the first sample after the crossfade into a still picture (2–3 s) changes
    /// 0.066 against a still level of 0.012 and none after, but 0.618 just before.
    static let afterADissolve = CutEvidence(
        embedding: 0.066169, pixels: 0.072185, hash: 16, embeddingLevel: 0.012342, pixelLevel: 0.053347, hashLevel: 3,
        nextEmbedding: 0, nextPixels: 0.000610, acrossEmbedding: 0.066169, acrossPixels: 0.072262,
        gapPeak: 0.002661, gapSecond: 0.002363, gapTotal: 0.016343, gapSteps: 10, previousEmbedding: 0.617872)

    /// `twin-mirror-within-film-360p` at 7.0 s, no cut: the pair right after the cut into Sintel falling down the snow
    /// slope (the cut at 6.5 s), against the calm Caminandes shot's levels (embedding 0.085, hash 2).
    static let fastShotAfterACut = CutEvidence(
        embedding: 0.427576, pixels: 0.867536, hash: 34, embeddingLevel: 0.085150, pixelLevel: 0.031325, hashLevel: 2,
        nextEmbedding: 0.325219, nextPixels: 0.849790, acrossEmbedding: 0.478548, acrossPixels: 0.843758,
        gapPeak: 0.188492, gapSecond: 0.119246, gapTotal: 0.879120, gapSteps: 9, gapPeakTime: 6.541667, previousEmbedding: 0.652864)
    /// `twin-mirror-within-film-480p` at 7.5 s: a labelled cut right after another (7.0 s), between two fast shots.
    static let cutAfterACut = CutEvidence(
        embedding: 0.387062, pixels: 0.946195, hash: 36, embeddingLevel: 0.510190, pixelLevel: 0.875337, hashLevel: 32,
        nextEmbedding: 0.510685, nextPixels: 0.954879, acrossEmbedding: 0.604842, acrossPixels: 0.911873,
        gapPeak: 0.246137, gapSecond: 0.137267, gapTotal: 0.778361, gapSteps: 12, gapPeakTime: 7.5, previousEmbedding: 0.548041)

    @Test func aFastShotRightAfterACutIsNoCutButACutRightAfterACutIs() {
        let model = CutModel.fitted(for: .both, withGap: true)
        func probability(_ e: CutEvidence, afterCut: Bool) -> Double {
            var e = e
            e.afterCut = afterCut
            return model.probability(e.features(scorer: .both, withGap: true))
        }
        // Judged as if no cut came before, the fast shot's first motion is a cut; after the cut it is not.
        #expect(probability(Self.fastShotAfterACut, afterCut: false) >= model.threshold)
        #expect(probability(Self.fastShotAfterACut, afterCut: true) < model.threshold)
        // One step standing out among the frames between the samples (1.8 times the second) still cuts after a cut.
        #expect(probability(Self.cutAfterACut, afterCut: true) >= model.threshold)
        // Every model of samples at most 1 s apart reads the flag, no sparse model does; each gets as many features as it
        // has weights.
        let e = Self.cutAfterACut
        var after = e
        after.afterCut = true
        for scorer in [ScorerKind.both, .embed, .ssim] {
            for withGap in [true, false] {
                for sparse in [false, true] {
                    let plain = e.features(scorer: scorer, withGap: withGap, sparse: sparse)
                    #expect((after.features(scorer: scorer, withGap: withGap, sparse: sparse) != plain) == !sparse)
                    #expect(CutModel.fitted(for: scorer, withGap: withGap, sparse: sparse).weights.count == plain.count)
                }
            }
        }
    }

    @Test func aCutBetweenTwoScrollingWindowsOfOneThemeIsACutThoughTheModelMissesIt() {
        let e = Self.scrollingTextCut
        let model = CutModel.fitted(for: .both, withGap: true)
        #expect(model.probability(e.features(scorer: .both, withGap: true)) < model.threshold)
        #expect(e.standsOut)
    }

    @Test func aBurstOfMotionOrADissolveDoesNotStandOut() {
        #expect(!Self.burstInsideShot.standsOut)
        #expect(!Self.afterADissolve.standsOut)
        var stillBefore = Self.afterADissolve
        stillBefore.previousEmbedding = 0.010
        #expect(stillBefore.standsOut, "the same change after a calm frame stands out")
        // The same change as the scrolling cut, but through frames that each blend the ends: the dissolve rules decide.
        var dissolve = Self.scrollingTextCut
        dissolve.gapBlends = true
        #expect(!dissolve.standsOut)
        // Without embeddings (`--scorer ssim`) nothing stands out.
        var pixelsOnly = Self.scrollingTextCut
        pixelsOnly.embedding = nil
        #expect(!pixelsOnly.standsOut)
    }
}

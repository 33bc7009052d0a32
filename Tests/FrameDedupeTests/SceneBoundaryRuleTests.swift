import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// The cut rule on hand-made scores, each case one of the situations its documentation names
/// (the figures are of the kind measured on the dev set at 2 fps).
@Suite("Scene boundary rule: adaptive cuts with one frame of lookahead", .temporaryFolders)
struct SceneBoundaryRuleTests {
    let rule = SceneBoundaryRule()

    /// Scores with embeddings and pixels (`--scorer both`).
    func both(change: Double, toReference: Double, ssimPrevious: Double, ssimReference: Double = 0.3) -> FrameScores {
        FrameScores(hashDistance: 12, ssimToReference: ssimReference, ssimToPrevious: ssimPrevious,
                    embeddingToReference: toReference, embeddingToPrevious: change)
    }

    @Test func hardCutBetweenUnrelatedShotsIsAJump() {
        let s = both(change: 0.8, toReference: 0.82, ssimPrevious: 0.1)
        let c = ChangeContext(recentLevel: 0.03, recentCount: 4, nextChange: 0.02, nextToPrevious: 0.79)
        #expect(rule.cut(s, context: c) == .jump)
        // Right after another cut (no level yet) a jump still cuts.
        #expect(rule.cut(s, context: ChangeContext(nextChange: 0.02)) == .jump)
    }

    @Test func slowDriftFarFromTheReferenceIsNoCut() {
        // A slow pan: 0.6 from the scene's first frame, SSIM to it 0.05, but each step is like the last.
        let s = both(change: 0.06, toReference: 0.6, ssimPrevious: 0.55, ssimReference: 0.05)
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.05, recentCount: 4, nextChange: 0.07)) == nil)
    }

    @Test func smallChangeThatStandsOutIsAnAdaptiveCut() {
        // Two regions of one photograph: only 0.09 apart in content, but 6× a still scene's level, and
        // the new shot is calm after it.
        let s = both(change: 0.09, toReference: 0.1, ssimPrevious: 0.26, ssimReference: 0.25)
        let calm = ChangeContext(recentLevel: 0.015, recentCount: 4, nextChange: 0.01)
        #expect(rule.cut(s, context: calm) == .adaptive)
        // Not calm after it: a burst of motion that goes on is no cut.
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.015, recentCount: 4, nextChange: 0.08)) == nil)
        // The level must have been measured over two frames at least.
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.015, recentCount: 1, nextChange: 0.01)) == nil)
        // The last frame of a stream (nothing after it) makes no adaptive cut.
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.015, recentCount: 4)) == nil)
        // Below the minimum change (0.06), however still the scene: no cut.
        #expect(rule.cut(both(change: 0.05, toReference: 0.05, ssimPrevious: 0.5), context: calm) == nil)
        // Pixels that did not move do not confirm it (SSIM to previous and reference above their thresholds).
        #expect(rule.cut(both(change: 0.09, toReference: 0.1, ssimPrevious: 0.9, ssimReference: 0.9), context: calm) == nil)
    }

    @Test func motionBurstInsideAShotIsNoCut() {
        // The box video: 0.28 after a level of 0.04, and the next frame still moves (0.12).
        let s = both(change: 0.28, toReference: 0.35, ssimPrevious: 0.31)
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.04, recentCount: 4, nextChange: 0.12)) == nil)
    }

    @Test func jumpMustStandOutFromFastMotion() {
        // A shot whose frames change by 0.3 each: 0.45 is within its motion, 0.7 is a cut.
        let fast = ChangeContext(recentLevel: 0.3, recentCount: 4, nextChange: 0.3, nextToPrevious: 0.7)
        #expect(rule.cut(both(change: 0.45, toReference: 0.6, ssimPrevious: 0.1), context: fast) == nil)
        #expect(rule.cut(both(change: 0.7, toReference: 0.7, ssimPrevious: 0.1), context: fast) == .jump)
    }

    @Test func flashThatComesBackIsNoCut() {
        let s = both(change: 0.7, toReference: 0.7, ssimPrevious: 0.1)
        // The frame after is close to the frame before the flash again.
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.02, recentCount: 4, nextChange: 0.7, nextToPrevious: 0.05)) == nil)
        // At the end of the stream there is nothing to come back to.
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.02, recentCount: 4)) == .jump)
    }

    @Test func brightnessJumpWithoutContentChangeIsNoCut() {
        let s = both(change: 0.03, toReference: 0.04, ssimPrevious: 0.2, ssimReference: 0.2)
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.02, recentCount: 4, nextChange: 0.01)) == nil)
    }

    @Test func identicalHashesNeverCut() {
        let s = FrameScores(hashDistance: 0, embeddingToReference: 0.9, embeddingToPrevious: 0.9)
        #expect(rule.cut(s, context: ChangeContext(recentLevel: 0.01, recentCount: 4, nextChange: 0)) == nil)
    }

    @Test func pixelsOnly() {
        func pixels(previous: Double, reference: Double) -> FrameScores {
            FrameScores(hashDistance: 20, ssimToReference: reference, ssimToPrevious: previous)
        }
        let still = ChangeContext(recentLevel: 0.1, recentCount: 4, nextChange: 0.1, nextToPrevious: 0.9)
        // Jump: SSIM to the reference < 0.5 and to the previous < 0.25.
        #expect(rule.cut(pixels(previous: 0.1, reference: 0.1), context: still) == .jump)
        // Adaptive: change 0.65 ≥ 0.6 and ≥ 2 × 0.1, next calm (≤ 1.5 × 0.1).
        #expect(rule.cut(pixels(previous: 0.35, reference: 0.3), context: still) == .adaptive)
        // A moving shot whose frames change by 0.4 each: 0.65 does not stand out.
        let moving = ChangeContext(recentLevel: 0.4, recentCount: 4, nextChange: 0.4, nextToPrevious: 0.9)
        #expect(rule.cut(pixels(previous: 0.35, reference: 0.3), context: moving) == nil)
        #expect(SceneBoundaryRule.change(pixels(previous: 0.35, reference: 0.3)) == 0.65)
    }
}

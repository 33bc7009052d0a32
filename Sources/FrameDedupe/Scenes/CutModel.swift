import Foundation
import Pixels

/// What the signals say about the change from one sampled frame to the next, for the calibrated cut rule: each
/// change, its recent level, the next frame's change, whether the picture comes back, and where in the frames
/// decoded between the two samples the picture changed.
///
/// Every value but ``afterCut`` is a function of the signals alone — nothing depends on where earlier cuts were — so
/// `scripts/fit-cut-rule.py` computes the same numbers from the dev set that the detector computes at run time;
/// ``afterCut`` is the detector's own verdict on the pair before, which the script reads from the labels.
public struct CutEvidence: Sendable, Equatable, Codable {
    /// Embedding cosine distance from the previous sampled frame (nil without embeddings).
    public var embedding: Double?
    /// 1 − SSIM to the previous frame at the SSIM scale (0 for identical hashes, 1 when the sizes differ), inside the
    /// frames' black bars (``FrameSignals/comparableLuma(_:_:)``).
    public var pixels: Double
    /// Perceptual-hash distance to the previous frame, 0–64, inside the frames' black bars.
    public var hash: Double
    /// The medians of the same changes over the previous ``levelSeconds`` (at least the last 2; 0 before any).
    public var embeddingLevel: Double, pixelLevel: Double, hashLevel: Double
    /// The next frame's changes from this one (this frame's own at the end of the stream).
    public var nextEmbedding: Double?, nextPixels: Double
    /// The previous frame's embedding change (from the frame before it; nil for the first change or without embeddings).
    public var previousEmbedding: Double?
    /// The next frame's changes from the frame before this one: small when the picture comes back (a flash).
    public var acrossEmbedding: Double?, acrossPixels: Double
    /// The steps between consecutive thumbnails from the previous sample through the frames decoded between to
    /// this one: the largest, the second largest, their sum, how many; and the time of the frame after the largest.
    public var gapPeak: Double, gapSecond: Double, gapTotal: Double, gapSteps: Int, gapPeakTime: Double?
    /// The frames decoded between the samples (at least two) are each a blend of the two ends, the mix rising in small
    /// steps (``blend(_:)``: residual ≤ 0.12, largest step ≤ 0.35, the shape ``isDissolve(_:contentChange:)`` asks for).
    public var gapBlends = false
    /// The pair of samples before this one holds a cut (the detector opened a scene at the previous sample, by any
    /// rule; `scripts/fit-cut-rule.py` fits on the labelled cuts). Right after a cut the recent levels are the previous
    /// shot's, so a new shot that moves fast at once changes as much as a cut against them: on the tune part at 2
    /// frames a second, every pair the models gave ≥ 0.3 without a labelled cut was the first or second pair of a fast
    /// Sintel shot (issue 17). The models read it as a flag and, with the frames between samples, as the flag times how
    /// far the largest step between their thumbnails stands out from the second largest (a cut is one step, a shot's
    /// first motion many alike); refitted with them, cross-validation over whole tune clips gave the 2 frames a second
    /// models' F1 0.975 → 0.982 (both), 0.969 → 0.981 (embed), 0.972 → 0.988 (ssim) and 0.874–0.878 → 0.886–0.909
    /// without the frames between. The models of samples more than ``CutModel/sparseInterval`` apart do not read it
    /// (two seconds after a cut the levels hold the new shot's changes; with it their cross-validated F1 moved by at
    /// most 0.004).
    public var afterCut = false

    /// Seconds over which the recent levels are taken.
    public static let levelSeconds = 3.0
    /// A frame is judged with the frames between it and the previous sample when at least two were decoded (3 steps).
    public static let minimumGapSteps = 3

    public init(embedding: Double?, pixels: Double, hash: Double, embeddingLevel: Double = 0, pixelLevel: Double = 0, hashLevel: Double = 0,
                nextEmbedding: Double?, nextPixels: Double, acrossEmbedding: Double?, acrossPixels: Double,
                gapPeak: Double = 0, gapSecond: Double = 0, gapTotal: Double = 0, gapSteps: Int = 0, gapPeakTime: Double? = nil,
                previousEmbedding: Double? = nil) {
        self.embedding = embedding
        self.pixels = pixels
        self.hash = hash
        self.embeddingLevel = embeddingLevel
        self.pixelLevel = pixelLevel
        self.hashLevel = hashLevel
        self.nextEmbedding = nextEmbedding
        self.nextPixels = nextPixels
        self.acrossEmbedding = acrossEmbedding
        self.acrossPixels = acrossPixels
        self.gapPeak = gapPeak
        self.gapSecond = gapSecond
        self.gapTotal = gapTotal
        self.gapSteps = gapSteps
        self.gapPeakTime = gapPeakTime
        self.previousEmbedding = previousEmbedding
    }

    public var hasGap: Bool { gapSteps >= Self.minimumGapSteps }

    /// A frame on the way from one neighbour to the other is about as far from both together as they are from each
    /// other: at most this many times (1.0–1.5 for the sampled frames inside the dev set's tune part's labelled
    /// transitions, about 2 for a frame of unrelated content). A lone sample of another shot between two of one is
    /// content, not a transition.
    public static let blendSlack = 1.6

    /// A still picture changes by at least this many bits of the perceptual hash to another still picture: a cut
    /// (or a dissolve) between slides, photographs of a slideshow, a screen's pages. On the tune part, every such
    /// change (10 at 2 frames/s, 6 at 0.5) is a labelled cut or dissolve; the embedding moves only 0.01–0.015
    /// between two text slides of one template, too little for the model however still the picture was before.
    public static let stillChangeBits = 4
    /// Seconds of the frames decoded next to a sample that must be unchanged for its picture to count as still when
    /// the samples around it are not (at sparse rates), and the largest step between their thumbnails (mean absolute
    /// difference, 0–1) that is no change: the tune part's still slides step at most 0.00013, its static camera's
    /// passers-by 0.0012–0.0036.
    public static let stillSeconds = 0.5
    public static let stillStep = 0.0005

    /// A hard cut between two samples changes the picture in one step at least this many times larger than every other
    /// step between them, and of at least ``sharpCutMinimum`` (mean absolute thumbnail difference, 0–1); a dissolve, a
    /// fade or motion changes it step by step. On the dev set's tune part (the signals `CutSignalsTool` dumps at 2 and 0.5 frames/s
    /// and of key frames), none of 847 intervals without a labelled transition passes, and the labelled hard cuts between
    /// still pictures and between film shots do (their largest step is 16 to 2000 times the second).
    public static let sharpCutRatio = 3.0
    public static let sharpCutMinimum = 0.02

    /// Whether the frames decoded from `a` to `b` (at least two between them) show a hard cut: one step ``sharpCutRatio``
    /// times larger than every other and at least ``sharpCutMinimum``.
    static func cutsSharply(from a: FrameSignals, to b: FrameSignals) -> Bool {
        guard let chain = thumbnails(from: a, to: b, minimumBetween: minimumGapSteps - 1) else { return false }
        let sizes = steps(chain).map(\.size).sorted(by: >)
        return isSharpCut(peak: sizes[0], second: sizes[1])
    }

    /// A change of the embedding this many times its recent level, the previous frame's change and the next
    /// frame's (each + 0.005), and at least ``standsOutMinimum``, is a cut whatever the pixels say (``standsOut``):
    /// the ratio rule's adaptive ratio and minimum (4, 0.06), with "the next frame is calm" made part of the ratio.
    public static let standsOutRatio = 4.0
    public static let standsOutMinimum = 0.06

    /// Whether the embedding's change stands out from its recent level and from the changes just before and after it
    /// (``standsOutRatio``, ``standsOutMinimum``). The model misses such a cut when the pixels move all the time and
    /// the thumbnails cannot tell the pictures apart: between two windows of one text theme, each scrolling (the tune
    /// twin `twin-scroll-text-720p`), 1 − SSIM is 0.43 at the cut and 0.42–0.44 inside the shots, no step between
    /// the 16-px thumbnails stands out (0.017 against 0.011–0.014), and the model, whose weight on the largest step
    /// is the heaviest, says under 0.001; the embedding moves 0.086–0.126 there against 0.009–0.019 before and after
    /// (5.4×). The change just before counts too: the last step of a dissolve into a still picture stands out from
    /// the still level and the calm after it, not from the dissolve before it. A linear model cannot give this "both
    /// sides calm" its weight (refitted with the feature log(e / max(level, next)) in, cross-validation kept those
    /// cuts below 0.2). On the tune part's signals at 2 and 0.5 frames a second and of key frames
    /// (`scripts/fit-cut-rule.py` prints the count), no pair without a cut reaches it outside labelled transitions;
    /// inside them, where the frames between the samples are each a blend of their ends as a dissolve's are
    /// (``gapBlends``), it is left to the dissolve rules. The detector applies it to samples at most
    /// ``CutModel/sparseInterval`` apart: further apart, a whole crossfade between two samples, with still frames
    /// around it, is no blend of them and was taken for a cut. An unmeasured change (a stand-in embedding) before
    /// counts as calm; after, as the change itself (nothing stands out).
    public var standsOut: Bool {
        guard let e = embedding, e >= Self.standsOutMinimum, !gapBlends else { return false }
        return e + 0.005 >= Self.standsOutRatio * (max(embeddingLevel, previousEmbedding ?? 0, nextEmbedding ?? e) + 0.005)
    }

    /// The same of this evidence's frames between the samples.
    var cutsSharply: Bool { hasGap && Self.isSharpCut(peak: gapPeak, second: gapSecond) }

    private static func isSharpCut(peak: Double, second: Double) -> Bool { peak >= sharpCutMinimum && peak >= sharpCutRatio * second }

    /// The thumbnails from `a` through the frames decoded after it to `b` (at least `minimumBetween` of them), inside
    /// the black bars of `a` and `b` (``FrameSignals/comparableThumbnails(_:between:and:)``); nil without.
    static func thumbnails(from a: FrameSignals, to b: FrameSignals, minimumBetween: Int = 2) -> [(seconds: Double, thumbnail: LumaImage)]? {
        guard let first = a.thumbnail, let last = b.thumbnail, b.intermediateFrames.count >= minimumBetween else { return nil }
        return FrameSignals.comparableThumbnails([(a.seconds, first)] + b.intermediateFrames.map { ($0.seconds, $0.thumbnail) } + [(b.seconds, last)],
                                                 between: a, and: b)
    }

    /// The same evidence without the frames between the samples: what the samples alone say.
    var withoutGap: CutEvidence {
        var e = self
        (e.gapPeak, e.gapSecond, e.gapTotal, e.gapSteps, e.gapPeakTime) = (0, 0, 0, 0, nil)
        return e
    }

    /// The model's inputs, in the order `scripts/fit-cut-rule.py` fits them; ``afterCut``'s only for the models of
    /// samples at most ``CutModel/sparseInterval`` apart (`sparse` false).
    func features(scorer: ScorerKind, withGap: Bool, sparse: Bool = false) -> [Double] {
        let eE = 0.005, eP = 0.01, eH = 1.0, eG = 0.01
        var x: [Double] = []
        if scorer.usesEmbedding {
            let e = embedding ?? 0
            x += [log(e + eE), log((e + eE) / (embeddingLevel + eE)), log(((nextEmbedding ?? e) + eE) / (e + eE)),
                  log(((acrossEmbedding ?? e) + eE) / (e + eE))]
        }
        if scorer.usesSSIM {
            x += [pixels, log((pixels + eP) / (pixelLevel + eP)), log((nextPixels + eP) / (pixels + eP)), log((acrossPixels + eP) / (pixels + eP))]
        }
        x += [hash / 64, log((hash + eH) / (hashLevel + eH))]
        if withGap { x += [log(gapPeak + eG), log((gapPeak + eG) / (gapSecond + eG)), gapPeak / (gapTotal + eG)] }
        if !sparse {
            x.append(afterCut ? 1 : 0)
            if withGap { x.append(afterCut ? log((gapPeak + eG) / (gapSecond + eG)) : 0) }
        }
        return x
    }

    /// How far `x` is from the nearest mixture `a + m·(b − a)` of two pictures (`m` clamped to 0–1, least squares), as a
    /// share of `|b − a|` (L2): near 0 for a frame inside a dissolve from `a` to `b`, large for a picture of its own.
    /// 1 when the sizes differ or `a` and `b` are the same.
    static func blendResidual(_ x: LumaImage, between a: LumaImage, and b: LumaImage) -> Double {
        guard a.width == b.width, a.height == b.height, x.width == a.width, x.height == a.height else { return 1 }
        let ab = a.pixels.indices.map { Double(b.pixels[$0]) - Double(a.pixels[$0]) }
        let norm = ab.reduce(0) { $0 + $1 * $1 }
        return norm > 0 ? mixture(x, from: a, difference: ab, norm: norm).residual : 1
    }

    /// The least-squares fit of `t` as `a + mix·ab` (`mix` clamped to 0–1; `norm` = `|ab|²` > 0) and its residual
    /// `|t − fit| / |ab|`.
    private static func mixture(_ t: LumaImage, from a: LumaImage, difference ab: [Double], norm: Double) -> (mix: Double, residual: Double) {
        let n = a.pixels.count
        var dot = 0.0
        for i in 0..<n { dot += (Double(t.pixels[i]) - Double(a.pixels[i])) * ab[i] }
        let mix = min(max(dot / norm, 0), 1)
        var error = 0.0
        for i in 0..<n {
            let d = Double(t.pixels[i]) - Double(a.pixels[i]) - mix * ab[i]
            error += d * d
        }
        return (mix, (error / norm).squareRoot())
    }

    /// A sample farther than this from every mixture of its neighbours (``blendResidual(_:between:and:)``) is no
    /// transition's middle. On the tune part, the thumbnails inside clean crossfades measure at most 0.1 at 2 frames/s and
    /// Tears of Steel's morph 0.53–0.64; with key frames only, the lone samples at cuts measure 0.26 (two regions of
    /// one photograph of galaxies, which mix like any two star fields) to 58, other views of one wall 0.61–0.79.
    public static let blendResidualLimit = 0.5

    /// How well the frames between the two ends of `chain` are blends of its ends, as a dissolve's are:
    /// each middle thumbnail `T` is fitted as `A + a·(B − A)` (`a` clamped to 0–1, least squares);
    /// - `residual`: the mean over middle frames of `|T − fit| / |B − A|` (L2): small for a dissolve (and a cut),
    ///   large for motion, whose frames are no mixture of the ends;
    /// - `largestStep`: the largest rise of `a` from one frame to the next (the ends at 0 and 1): near 1 at a cut,
    ///   small through a dissolve;
    /// - `distance`: `|B − A|`, the root mean square difference of the ends, 0–1;
    /// - `halfway`: the index in `chain` of the first frame whose `a` is at least 0.5 (the last end if none);
    /// - `firstMixed`, `firstWhole`: the indices of the first frame with `a` above 0.05 and of the first after it with
    ///   `a` at least 0.95 (the last end if none): a dissolve's first and last frame.
    /// nil with fewer than 2 middle frames or thumbnails of different sizes.
    @_spi(Evaluation) public static func blend(_ chain: [LumaImage]) -> Blend? {
        guard chain.count >= 4, let a = chain.first, let b = chain.last,
              chain.allSatisfy({ $0.width == a.width && $0.height == a.height }) else { return nil }
        let n = a.pixels.count
        var ab = [Double](repeating: 0, count: n)
        var abNorm = 0.0
        for i in 0..<n {
            ab[i] = Double(b.pixels[i]) - Double(a.pixels[i])
            abNorm += ab[i] * ab[i]
        }
        let last = chain.count - 1
        guard abNorm > 0 else { return Blend(residual: 1, largestStep: 1, distance: 0, halfway: last, firstMixed: last, firstWhole: last) }
        var residual = 0.0, previous = 0.0, largest = 0.0, halfway = last, firstMixed = last, firstWhole = last
        for k in 1..<chain.count - 1 {
            let (mix, error) = mixture(chain[k], from: a, difference: ab, norm: abNorm)
            residual += error
            largest = max(largest, mix - previous)
            if mix >= 0.5 && halfway == last { halfway = k }
            if mix > 0.05 && firstMixed == last { firstMixed = k }
            if mix >= 0.95 && firstWhole == last && firstMixed <= k { firstWhole = k }
            previous = mix
        }
        largest = max(largest, 1 - previous)
        return Blend(residual: residual / Double(chain.count - 2), largestStep: largest, distance: (abNorm / Double(n)).squareRoot() / 255,
                     halfway: halfway, firstMixed: firstMixed, firstWhole: firstWhole)
    }

    /// How the frames between two ends are blends of them (``blend(_:)``).
    @_spi(Evaluation) public struct Blend: Sendable, Equatable {
        public var residual: Double, largestStep: Double, distance: Double
        public var halfway: Int, firstMixed: Int, firstWhole: Int

        /// Each frame between is a blend of the ends (`residual` ≤ 0.12) and the mix rises in small steps
        /// (`largestStep` ≤ 0.35): a dissolve's or a fade's shape, whatever the ends' distance.
        var isBlendShaped: Bool { residual <= 0.12 && largestStep <= 0.35 }
    }

    /// Whether the frames between two samples are a dissolve's (or a fade's) middle: the ends clearly differ
    /// (`distance` ≥ 0.06) and so do their contents (`contentChange` ≥ 0.15: embedding distance, else 1 − SSIM),
    /// at least two frames were decoded between them, each is a blend of the ends (`residual` ≤ 0.12) and the mix
    /// rises in small steps (`largestStep` ≤ 0.35, where a cut's is near 1). Chosen on the dev set's tune pairs,
    /// where it marks no pair without a transition; motion, whose frames are no mixture of the ends, stays above
    /// the residual limit (median 0.25, 10th percentile 0.13).
    static func isDissolve(_ blend: Blend, contentChange: Double) -> Bool {
        blend.distance >= 0.06 && contentChange >= 0.15 && blend.isBlendShaped
    }

    /// The median of `values`, 0 when there are none: the recent levels of the cut rules and of the network gate.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let v = values.sorted(), n = v.count
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])
    }

    /// Whether a sampled frame lies in the middle of a change spread over two sampling intervals
    /// (``CutKind/gradual``), from embedding distances: `across` from the sample before it to the one after it,
    /// `before` and `after` its own steps, `level` the recent level (``embeddingLevel``). Holds when `across` is at
    /// least 0.5 (a clear change of content: a cut's embedding change in the dev set's tune part has median 0.66 and
    /// lower quartile 0.45) and 4× the level (+0.005), each step is at least 2× the level and at least 35% of `across`,
    /// and neither alone reaches `across` (the frame lies between its neighbours). On the tune part, among the frames
    /// the model did not cut at or after, it marks 7, each in a labelled transition, and no other.
    static func isGradualAcrossTwoIntervals(before: Double, after: Double, across: Double, level: Double) -> Bool {
        let base = level + 0.005
        return isSpreadOverTwoIntervals(before: before, after: after, across: across)
            && across >= 4 * base && before >= 2 * base && after >= 2 * base
    }

    /// The shape both two-interval rules ask for, whatever level they judge it against: a change of at least 0.5 across
    /// the two intervals, each step at least 35% of it and neither alone reaching it (the middle frame lies between
    /// its neighbours).
    static func isSpreadOverTwoIntervals(before: Double, after: Double, across: Double) -> Bool {
        across >= 0.5 && before < across && after < across && min(before, after) >= 0.35 * across
    }

    /// The time of the first frame of `chain` (time, thumbnail) by which the steps between thumbnails have added up to
    /// `fraction` of their total; nil for a chain of fewer than two frames or without change.
    static func time(ofCumulativeChange fraction: Double, in chain: [(seconds: Double, thumbnail: LumaImage)]) -> Double? {
        let steps = self.steps(chain)
        let total = steps.reduce(0) { $0 + $1.size }
        guard total > 0 else { return nil }
        var sum = 0.0
        for step in steps {
            sum += step.size
            if sum >= fraction * total { return step.after }
        }
        return steps.last?.after
    }

    /// The run of frames around `index` in `chain` (time, thumbnail) that differ from both ends: each differs from
    /// the first and from the last thumbnail by at least half as much as `chain[index]` does (mean absolute
    /// difference). Returns the time of the run's first frame and of the first frame after it; nil when
    /// `chain[index]` is an end, equals one, or the run reaches an end.
    static func awayRun(in chain: [(seconds: Double, thumbnail: LumaImage)], around index: Int) -> ClosedRange<Double>? {
        awayRunIndices(in: chain, around: index).map { chain[$0.lowerBound].seconds...chain[$0.upperBound + 1].seconds }
    }

    /// ``awayRun(in:around:)``'s run as indices into `chain`: its first and last frame (never an end of the chain).
    static func awayRunIndices(in chain: [(seconds: Double, thumbnail: LumaImage)], around index: Int) -> ClosedRange<Int>? {
        guard chain.count >= 3, index > 0, index < chain.count - 1 else { return nil }
        let a = chain[0].thumbnail, b = chain[chain.count - 1].thumbnail
        func away(_ k: Int) -> Double { min(chain[k].thumbnail.meanDifference(a), chain[k].thumbnail.meanDifference(b)) }
        let threshold = 0.5 * away(index)
        guard threshold > 0 else { return nil }
        var low = index, high = index
        while low > 1, away(low - 1) >= threshold { low -= 1 }
        while high < chain.count - 2, away(high + 1) >= threshold { high += 1 }
        return low...high
    }

    /// A sampled frame on a brief transient (``transient(at:next:)``): where its run of frames lies, and the pictures
    /// around it.
    struct Transient {
        /// The run's first frame and the first frame after it (seconds).
        let span: ClosedRange<Double>
        /// The frame right before the run.
        let before: LumaImage
        /// The frames from the first after the run to the next sample (its last), time and thumbnail.
        let rest: ArraySlice<(seconds: Double, thumbnail: LumaImage)>
        /// The chain's first frame: the one decoded right after the sample before.
        let start: LumaImage
        /// How far the sample is from the chain's ends (mean absolute difference, 0–1).
        let away: Double
        /// The frame right after the run.
        var after: LumaImage { rest[rest.startIndex].thumbnail }
    }

    /// A sample on a brief transient — a car passing in front of a static camera, a flash — told by the frames decoded
    /// around it rather than by the samples on either side, which a real cut next to it makes differ: in the chain of
    /// the frames decoded since the sample before `f`, `f`, and those decoded up to `next` (the sample after it), `f`'s
    /// run of frames that differ from both ends (``awayRunIndices(in:around:)``) lasts at most ``Transition/longestFlash``
    /// seconds, `f` differs from the ends by at least 0.05 (mean absolute difference of the thumbnails, 0–1), and the
    /// frames right before and right after the run are alike (they differ by at most half as much): the picture around
    /// the run is one. The chain starts after the sample before `f`, not at it, so that the verdict depends on `f` and
    /// `next` alone (a resumed run reaches it the same way). Needs frames decoded on both sides (not with key frames only).
    static func transient(at f: FrameSignals, next: FrameSignals) -> Transient? {
        guard let sample = f.thumbnail, let last = next.thumbnail, !f.intermediateFrames.isEmpty, !next.intermediateFrames.isEmpty else { return nil }
        let chain = FrameSignals.comparableThumbnails(
            f.intermediateFrames.map { ($0.seconds, $0.thumbnail) } + [(f.seconds, sample)] + next.intermediateFrames.map { ($0.seconds, $0.thumbnail) }
                + [(next.seconds, last)], between: f, and: next)
        let index = f.intermediateFrames.count
        guard let run = awayRunIndices(in: chain, around: index) else { return nil }
        let a = chain[0].thumbnail, b = chain[chain.count - 1].thumbnail, x = chain[index].thumbnail
        let away = min(x.meanDifference(a), x.meanDifference(b))
        let before = chain[run.lowerBound - 1], after = chain[run.upperBound + 1]
        guard away >= 0.05, after.seconds - chain[run.lowerBound].seconds <= Transition.longestFlash,
              before.thumbnail.meanDifference(after.thumbnail) <= 0.5 * away else { return nil }
        return Transient(span: chain[run.lowerBound].seconds...after.seconds, before: before.thumbnail,
                         rest: chain[(run.upperBound + 1)...], start: a, away: away)
    }

    /// A flash inside `chain` (time, thumbnail) that the picture comes back from: the frame farthest from both ends
    /// differs from each by at least 0.25 (mean absolute difference, 0–1: a white flash reaches 0.57, the flicker of the
    /// hologram in the dev set's tune part's Tears of Steel shot 0.16), the ends
    /// differ by at most half as much, and the run of frames around it (``awayRun(in:around:)``) does not reach an end.
    /// Returns the run's first frame and the first frame after it.
    static func flash(in chain: [(seconds: Double, thumbnail: LumaImage)]) -> ClosedRange<Double>? {
        guard chain.count >= 3 else { return nil }
        let a = chain[0].thumbnail, b = chain[chain.count - 1].thumbnail
        var peak = 0.0, peakIndex = 0
        for k in 1..<chain.count - 1 {
            let away = min(chain[k].thumbnail.meanDifference(a), chain[k].thumbnail.meanDifference(b))
            if away > peak { (peak, peakIndex) = (away, k) }
        }
        guard peak >= 0.25, a.meanDifference(b) <= 0.5 * peak else { return nil }
        return awayRun(in: chain, around: peakIndex)
    }

    /// A steady change of brightness in `chain` (time, thumbnail), from the thumbnails' means (0–255): when its ends
    /// differ by at least 4, the steps of at least 0.75 a frame the same way as the ends' difference that lead into the
    /// last frame (`start`: the first frame of that run after the first frame, nil when there is none) and out of the first (`end`: the first frame after that run stops, nil when there is none or it goes on
    /// to the last frame). A fade-out's first frame, a fade-in's end; a 1 s fade from mid-grey moves 4 a frame.
    static func brightnessRamp(in chain: [(seconds: Double, thumbnail: LumaImage)]) -> (start: Double?, end: Double?) {
        guard chain.count >= 3 else { return (nil, nil) }
        let means = chain.map { c in c.thumbnail.pixels.isEmpty ? 0 : Double(c.thumbnail.pixels.reduce(0) { $0 + Int($1) }) / Double(c.thumbnail.pixels.count) }
        let last = means.count - 1, total = means[last] - means[0]
        guard abs(total) >= 4 else { return (nil, nil) }
        func steady(_ k: Int) -> Bool { (means[k] - means[k - 1]) * (total > 0 ? 1 : -1) >= 0.75 }
        var k = last
        while k >= 1, steady(k) { k -= 1 }
        var j = 0
        while j < last, steady(j + 1) { j += 1 }
        return (k < last ? chain[k + 1].seconds : nil, j > 0 && j < last ? chain[j].seconds : nil)
    }

    /// The steps between consecutive thumbnails of `chain` (time, thumbnail): the mean absolute difference, 0–1
    /// (1 when the sizes differ).
    @_spi(Evaluation) public static func steps(_ chain: [(seconds: Double, thumbnail: LumaImage)]) -> [(size: Double, after: Double)] {
        guard chain.count > 1 else { return [] }
        return (1..<chain.count).map { j in (chain[j - 1].thumbnail.meanDifference(chain[j].thumbnail), chain[j].seconds) }
    }
}

/// The change between two consecutive sampled frames, kept for the recent levels of ``CutEvidence``: the later
/// frame's time, the embedding, pixel and hash changes.
public struct CutChange: Sendable, Equatable, Codable {
    public let seconds: Double
    public let embedding: Double?
    public let pixels: Double
    public let hash: Double

    public init(seconds: Double, embedding: Double?, pixels: Double, hash: Double) {
        self.seconds = seconds
        self.embedding = embedding
        self.pixels = pixels
        self.hash = hash
    }
}

/// A logistic model of "a cut lies between these two samples": `p = 1 / (1 + exp(−(w·x + b)))` over
/// ``CutEvidence/features(scorer:withGap:sparse:)``, a cut when `p ≥ threshold`. Fitted by `scripts/fit-cut-rule.py`
/// on the TUNE part of the dev set (``CutModelCoefficients.swift``, generated).
public struct CutModel: Sendable, Equatable {
    public let weights: [Double]
    public let bias: Double
    /// The probability at which it cuts (the one that maximises boundary F1 on the tune part).
    public let threshold: Double

    public func probability(_ features: [Double]) -> Double {
        precondition(features.count == weights.count, "\(features.count) features for \(weights.count) weights")
        var z = bias
        for (w, x) in zip(weights, features) { z += w * x }
        return 1 / (1 + exp(-z))
    }

    /// The model for a scorer, with or without the frames between samples, for samples at most or more than
    /// ``sparseInterval`` apart.
    public static func fitted(for scorer: ScorerKind, withGap: Bool, sparse: Bool = false) -> CutModel {
        switch (scorer, withGap, sparse) {
        case (.both, true, false): both
        case (.both, false, false): bothWithoutGap
        case (.embed, true, false): embed
        case (.embed, false, false): embedWithoutGap
        case (.ssim, true, false): ssim
        case (.ssim, false, false): ssimWithoutGap
        case (.both, true, true): bothSparse
        case (.both, false, true): bothSparseWithoutGap
        case (.embed, true, true): embedSparse
        case (.embed, false, true): embedSparseWithoutGap
        case (.ssim, true, true): ssimSparse
        case (.ssim, false, true): ssimSparseWithoutGap
        }
    }

    /// Samples farther apart than this (seconds) are judged by the models fitted on sparse sampling (signals at 0.5
    /// frames a second and of key frames only, `CutModelCoefficientsSparse.swift`): two seconds of motion between
    /// samples look otherwise than half a second's, and the models of 2 frames a second, fitted on those, missed
    /// look-alike cuts and slide changes at 0.5 (issue 18).
    public static let sparseInterval = 1.0

    /// FNV-1a over the coefficients of every model a scorer may use (with and without the frames between samples,
    /// dense and sparse) and the stand-out rule's constants: named in a checkpoint's identity, so a run interrupted
    /// under other cut models starts again instead of mixing their decisions with these.
    static func fingerprint(for scorer: ScorerKind) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: Double) {
            var bits = value.bitPattern
            for _ in 0..<8 { hash = (hash ^ (bits & 0xff)) &* 0x100_0000_01b3; bits >>= 8 }
        }
        for sparse in [false, true] {
            for withGap in [true, false] {
                let model = fitted(for: scorer, withGap: withGap, sparse: sparse)
                model.weights.forEach(mix)
                mix(model.bias)
                mix(model.threshold)
            }
        }
        [sparseInterval, CutEvidence.standsOutRatio, CutEvidence.standsOutMinimum].forEach(mix)
        return String(hash, radix: 16)
    }
}

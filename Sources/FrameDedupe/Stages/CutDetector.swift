import Pixels
import Similarity

/// What goes into the first scene stage: the sampled frames in time order, or where a resumed run goes on from.
public enum StageInput<Attachment> {
    case frame(StageFrame<Attachment>)
    case resume(ResumePoint<Attachment>)
}

/// Decides where scenes begin, in one streaming pass: each frame is scored against its scene's reference frame
/// (the scene's first) and the previous frame, and its change is judged against the scene's recent level of
/// change with one frame of lookahead (``SceneBoundaryRule``); frames that change far more than the scene's recent
/// ones, or are blank, are marked as transition frames (``TransitionRule``); no cut comes within
/// ``minimumSceneLength`` of a scene's start.
///
/// These three rules are one state machine, not three stages: the recent level the cut rule judges by leaves
/// transition frames out, a frame is a transition frame only if it did not cut, and a cut the minimum length
/// holds back keeps the scene's reference frame. Comparing with the reference, not only the previous frame,
/// keeps slow drift from chaining a whole video into one scene.
///
/// Emits, per frame, ``SceneEvent/frame(_:_:)`` with its record — one frame after it arrives, as the rule looks
/// ahead — preceded by ``SceneEvent/sceneEnded(_:)`` when the frame opens a new scene. Holds one frame with its
/// attachment (the undecided one); the reference and previous frames only as signals.
public final class CutDetector<Attachment, Scorer: FrameScorer>: FrameStage {
    public typealias Input = StageInput<Attachment>
    public typealias Output = SceneEvent<Attachment>

    private var scorer: Scorer
    public let rule: SceneBoundaryRule
    public var transitionRule = TransitionRule()
    /// No cut within this many seconds of a scene's start (`--min-scene-length`); 0 allows every cut.
    public var minimumSceneLength: Double = 0

    private var pending: StageFrame<Attachment>?
    private var reference: FrameSignals?
    private var previous: FrameSignals?
    /// The open scene: id, start, first frame, frames so far.
    private var open: (id: Int, start: Double, firstFrame: Int, frameCount: Int)?
    private var nextSceneID = 0
    /// Recent frame-to-frame changes of the open scene's non-transition frames.
    private var recentChanges: [(seconds: Double, change: Double)] = []
    /// The changes between consecutive frames decided so far (the later frame's time), the last few seconds: the
    /// calibrated rule's recent levels, which do not depend on where earlier cuts were.
    private var history: [CutChange] = []
    private let ssim = StructuralSimilarity()

    public init(scorer: Scorer, rule: SceneBoundaryRule) {
        self.scorer = scorer
        self.rule = rule
    }

    public var heldFrames: Int { 1 }

    public func process<E: Error>(_ input: Input, emit: (Output) throws(E) -> Void) throws(E) {
        switch input {
        case .frame(let frame):
            defer { pending = frame }
            // The input's last frame, sampled off the grid, is no look-ahead for the frame before it: the rules read the
            // next frame's change as one a sampling interval long (a bottle tilting over 0.44 s before the end of
            // a tune fixture read as a gradual cut).
            if let pending { try decide(pending, next: frame.signals.endsInput ? nil : frame.signals, emit: emit) }
        case .resume(let point):
            resume(point)
            try emit(.resumed(point))
        }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {
        if let last = pending {
            pending = nil
            try decide(last, next: nil, emit: emit)
        }
        guard let scene = open else { return }
        open = nil
        reference = nil
        previous = nil
        try emit(.sceneEnded(EndedScene(id: scene.id, start: scene.start, end: max(end, scene.start), firstFrame: scene.firstFrame,
                                        frameCount: scene.frameCount, next: nil)))
    }

    private func decide<E: Error>(_ frame: StageFrame<Attachment>, next: FrameSignals?, emit: (Output) throws(E) -> Void) throws(E) {
        let f = frame.signals
        var scores: FrameScores? = nil
        var cutKind: CutKind? = nil
        var context: ChangeContext? = nil
        var transition = transitionRule.isBlank(f.quality)
        var start = f.seconds
        var skipsLevel = false
        var isFlash = false
        var afterTransient = false
        if let reference, let previous, var scene = open {
            let s = scorer.score(f, reference: reference, previous: previous)
            scores = s
            switch rule.method {
            case .ratio: (cutKind, context) = judge(f, scores: s, previous: previous, next: next, sceneStart: scene.start)
            case .calibrated:
                var evidence = self.evidence(f, previous: previous, next: next)
                evidence.afterCut = lastCut != nil
                (cutKind, context) = judge(evidence, scores: s, sceneStart: scene.start, seconds: f.seconds, interval: modelInterval(f, previous: previous))
                let ramp = Self.brightnessRamp(from: previous, to: f)
                context?.rampStart = ramp.start
                context?.rampEnd = ramp.end
                context?.blankBetween = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1)?.dropFirst().dropLast()
                    .first { transitionRule.isBlank(PictureQuality($0.thumbnail)) }?.seconds
                if let next, context?.blankBetween != nil || previous.thumbnail.map({ transitionRule.isBlank(PictureQuality($0)) }) == true,
                   Self.isInsideFadeIn(f, previous: previous, next: next, rule: transitionRule) { transition = true }
                if cutKind == .calibrated, let next, let span = flash(at: f, previous: previous, next: next, evidence: evidence) {
                    // The picture comes back within a flash's length: f is the flash, neither it nor the return is a cut.
                    cutKind = nil
                    transition = true
                    isFlash = true
                    context?.flashStart = span.lowerBound
                    context?.flashEnd = span.upperBound
                }
                // A sample on a passing car or a flash with a real cut on its far side, so that the picture does not come
                // back at the next sample: the frames decoded around it do (``CutEvidence/transient(at:next:)``), and the
                // frame before its run shows the picture the frames after the previous sample began with. It is a flash of
                // the previous shot; the next sample is judged against the previous one.
                if cutKind == .calibrated, !isFlash, let next, let t = CutEvidence.transient(at: f, next: next),
                   t.before.meanDifference(t.start) <= 0.5 * t.away {
                    cutKind = nil
                    transition = true
                    isFlash = true
                    context?.flashStart = t.span.lowerBound
                    context?.flashEnd = t.span.upperBound
                }
                // The cut after such a sample when a real cut came before it (and opened its scene there): the frames after
                // its run already show this sample's picture (or come back to it from a flash of their own), so the
                // change from the sample is the transient's, not a cut; it is left out of the recent levels.
                if cutKind == .calibrated || cutKind == .jump, lastCut != nil, !lastWasFlash, let t = CutEvidence.transient(at: previous, next: f),
                   let last = t.rest.last?.thumbnail,
                   t.after.meanDifference(last) <= 0.5 * t.away || (t.rest.count >= 3 && CutEvidence.flash(in: Array(t.rest)) != nil) {
                    cutKind = nil
                    afterTransient = true
                    skipsLevel = true
                }
                // A flash between the samples that the picture came back from: its steps are no cut, so the samples are
                // judged alone (the model without the frames between).
                if !lastWasFlash, let span = Self.flash(between: previous, and: f),
                   cutKind == nil || judge(evidence.withoutGap, scores: s, sceneStart: scene.start, seconds: f.seconds,
                                                interval: modelInterval(f, previous: previous)).0 == nil {
                    cutKind = nil
                    context?.flashStart = span.lowerBound
                    context?.flashEnd = span.upperBound
                }
                // The return from a sampled flash: the frames between hold the flash itself, which the picture came back
                // from, so the samples are judged alone here too (with the flash's steps, the model's verdict on a white
                // flash of the sample clip's coffee cup, 1 − SSIM 0.16 across it, depended on its coefficients).
                if lastWasFlash, cutKind == .calibrated,
                   judge(evidence.withoutGap, scores: s, sceneStart: scene.start, seconds: f.seconds, interval: modelInterval(f, previous: previous)).0 == nil {
                    cutKind = nil
                }
                // A frame that passes for a transition (far more change than the scene's recent frames) and that the picture
                // comes back from within a flash's length is a flash, like one the model took for a cut.
                if cutKind == nil, !isFlash, context?.flashStart == nil, let next, let change = measuredChange(s),
                   isTransition(change: change, embeddings: s.embeddingToPrevious != nil),
                   let span = flash(at: f, previous: previous, next: next, evidence: evidence) {
                    transition = true
                    isFlash = true
                    context?.flashStart = span.lowerBound
                    context?.flashEnd = span.upperBound
                }
                // A jump the model did not call a cut that is no transition passing through: the picture stays where it
                // took it, or the frame is no blend of its neighbours (at a sparse rate a whole dissolve fits between two
                // samples, and a lone sample of another shot is content). After a transition frame it is the content the
                // transition led to; else the next shot, reached at the largest step between the samples (one step
                // carrying half of them: a cut) or where half of their change was done. Only against a recent level
                // of the scene: right after a cut, fast motion is no evidence of anything.
                if cutKind == nil, !isFlash, !skipsLevel, lastCut?.isGradual != true, next != nil, recentLevel != nil, let change = measuredChange(s),
                   isTransition(change: change, embeddings: s.embeddingToPrevious != nil), Self.settles(evidence) || Self.isNoBlend(evidence) {
                    if previousTransition {
                        skipsLevel = true
                    } else if f.seconds - scene.start >= minimumSceneLength {
                        let change = Self.gradualChange(from: previous, to: f)
                        if evidence.hasGap, evidence.gapPeak >= 0.5 * evidence.gapTotal, let time = evidence.gapPeakTime {
                            cutKind = .jump
                            start = max(scene.start, time)
                        } else {
                            cutKind = .gradual
                            start = max(scene.start, change.halfway ?? f.seconds)
                            context?.dissolveStart = change.span?.lowerBound
                            context?.dissolveEnd = change.span?.upperBound
                        }
                    }
                }
                if cutKind == .calibrated, let time = evidence.gapPeakTime { start = max(scene.start, time) }
                // A cut the frames between the samples show passing through a blank frame step by step: a fade through
                // a colour, sampled, which begins where the picture began to move steadily towards the blank frame.
                if cutKind == .calibrated || cutKind == .jump, context?.blankBetween != nil, !evidence.cutsSharply,
                   let span = Self.fadeThroughBlank(from: previous, to: f, rule: transitionRule) {
                    context?.dissolveStart = span.start
                    context?.dissolveEnd = span.end
                }
                skipsLevel = insideDissolve || afterTransient
                if cutKind == nil, lastCut?.isGradual != true, let found = dissolve(f, previous: previous, next: next, evidence: evidence),
                   f.seconds - scene.start >= minimumSceneLength {
                    cutKind = .dissolve
                    start = max(scene.start, found.halfway)
                    // A frame in the middle of the dissolve opens the new scene but is a blend of both: a transition.
                    transition = transition || found.goesOn
                    context?.dissolveStart = found.span.lowerBound
                    context?.dissolveEnd = found.span.upperBound
                }
                // Not right after a cut of any kind: the change into `previous` then opened its scene, and the change across
                // both intervals holds that cut and the new shot's first motion, no transition (issue 17: inside the fast
                // Sintel shot of twin-mirror-within-film-360p at 16.0 s, 0.53 into the cut sample, 0.37 out of it).
                if cutKind == nil, lastCut == nil, !lastWasFlash, let before = beforePrevious,
                   let found = gradual(f, previous: previous, before: before, level: previousLevel, sceneLevel: previousSceneLevel, evidence: evidence),
                   f.seconds - scene.start >= minimumSceneLength {
                    cutKind = .gradual
                    start = max(scene.start, found.start)
                    context?.dissolveStart = found.span.lowerBound
                    context?.dissolveEnd = found.span.upperBound
                }
                if cutKind == nil, !isFlash, let next, f.seconds - scene.start >= minimumSceneLength,
                   let found = changeBetweenStills(f, previous: previous, next: next, evidence: evidence) {
                    cutKind = found.kind
                    start = max(scene.start, found.start)
                    context?.dissolveStart = found.span?.lowerBound
                    context?.dissolveEnd = found.span?.upperBound
                }
                lastCut = cutKind
                if !isFlash {
                    previousLevel = evidence.embeddingLevel
                    previousSceneLevel = cutKind == nil && recentChanges.count >= rule.minimumLevelFrames ? recentLevel : nil
                }
            }
            if cutKind != nil {
                open = nil
                var ended = EndedScene(id: scene.id, start: scene.start, end: start, firstFrame: scene.firstFrame,
                                       frameCount: scene.frameCount, next: f,
                                       closingChangeStart: context?.dissolveStart.map { Self.frame(before: $0, upTo: f, previous: previous) })
                ended.cutHistory = history
                try emit(.sceneEnded(ended))
            } else {
                scene.frameCount += 1
                open = scene
                // The frame that ends a dissolve spread over two pairs of samples changed from a blend: no transition, no level.
                if !skipsLevel, let change = measuredChange(s), isTransition(change: change, embeddings: s.embeddingToPrevious != nil) {
                    transition = true
                }
                if !transition, !skipsLevel, let change = measuredChange(s) {
                    record(change, at: f.seconds)
                }
            }
        }
        if open == nil {
            open = (nextSceneID, start, f.index, 1)
            nextSceneID += 1
            reference = f
            recentChanges.removeAll()
        }
        // A flash frame is judged but not compared with: the next frame is compared with the picture before the flash,
        // and its change leaves the recent levels.
        if isFlash {
            if !history.isEmpty { history.removeLast() }
        } else {
            beforePrevious = previous
            previous = f
        }
        lastWasFlash = isFlash
        if !isFlash { previousTransition = transition }
        insideDissolve = cutKind?.isGradual == true && transition
        let record = FrameRecord(index: f.index, ordinal: f.ordinal, timestamp: f.timestamp, seconds: f.seconds, scene: open!.id,
                                 scores: scores, quality: f.quality, cutKind: cutKind, context: context, transition: transition)
        try emit(.frame(record, frame))
    }

    /// The cut rule's verdict on a frame and the context it judged by; only a jump asks whether the picture
    /// comes back (the next frame compared with the one before this).
    private func judge(_ f: FrameSignals, scores s: FrameScores, previous: FrameSignals, next: FrameSignals?,
                       sceneStart: Double) -> (CutKind?, ChangeContext) {
        var c = ChangeContext(
            recentLevel: recentLevel, recentCount: recentChanges.count, nextChange: next.flatMap { scorer.change(from: f, to: $0) })
        var cut = rule.cut(s, context: c)
        if cut == .jump, let next {
            c.nextToPrevious = scorer.change(from: previous, to: next)
            cut = rule.cut(s, context: c)
        }
        if cut != nil && f.seconds - sceneStart < minimumSceneLength { cut = nil }
        return (cut, c)
    }

    /// The interval whose model judges the change from `previous` to `f`: the time between them, except for the input's
    /// last frame (sampled at the end of the input, however soon after the last sample: ``ReaderOptions/sampleFinalFrame``)
    /// after a shorter interval than the one before, which is judged at the rate of the samples before it. At 0.5
    /// frames a second, the 2 frames a second model judged a last frame 0.8 s after a sample against the recent levels of
    /// 2 s intervals: a false cut on the tune part's static camera.
    private func modelInterval(_ f: FrameSignals, previous: FrameSignals) -> Double {
        let interval = f.seconds - previous.seconds
        guard f.endsInput, let beforePrevious else { return interval }
        return max(interval, previous.seconds - beforePrevious.seconds)
    }

    /// The calibrated rule's verdict: the model for the scorer (with the frames between the samples when at least
    /// two were decoded) and its probability against the threshold.
    private func judge(_ evidence: CutEvidence, scores s: FrameScores, sceneStart: Double, seconds: Double, interval: Double) -> (CutKind?, ChangeContext) {
        let sparse = interval > CutModel.sparseInterval
        let model = CutModel.fitted(for: scorer.kind, withGap: evidence.hasGap, sparse: sparse)
        let probability = model.probability(evidence.features(scorer: scorer.kind, withGap: evidence.hasGap, sparse: sparse))
        let context = ChangeContext(recentLevel: recentLevel, recentCount: recentChanges.count,
                                    nextChange: evidence.nextEmbedding ?? (scorer.kind.usesSSIM ? evidence.nextPixels : nil),
                                    nextToPrevious: evidence.acrossEmbedding ?? (scorer.kind.usesSSIM ? evidence.acrossPixels : nil),
                                    cutProbability: probability)
        // Samples further apart hold whole dissolves between them, which the stand-out test would take for cuts.
        let standsOut = evidence.standsOut && interval <= CutModel.sparseInterval
        let cut = (probability >= (rule.cutProbability ?? model.threshold) || standsOut) && seconds - sceneStart >= minimumSceneLength
        return (cut ? .calibrated : nil, context)
    }

    /// What the signals say about the change from `previous` to `f` (see ``CutEvidence``); records the change for
    /// the next frames' recent levels.
    private func evidence(_ f: FrameSignals, previous: FrameSignals, next: FrameSignals?) -> CutEvidence {
        let e = embeddingChange(previous, f), p = pixelChange(previous, f), h = Double(FrameSignals.hashDistance(previous, f))
        let spread = e == nil ? spreadStandInChange(to: f, previous: previous) : nil
        let window = history.indices.filter { f.seconds - history[$0].seconds <= CutEvidence.levelSeconds || history.count - $0 <= 2 }
        let median = CutEvidence.median
        var evidence = CutEvidence(
            embedding: e, pixels: p, hash: h,
            embeddingLevel: median(window.compactMap { history[$0].embedding }), pixelLevel: median(window.map { history[$0].pixels }),
            hashLevel: median(window.map { history[$0].hash }),
            nextEmbedding: next.flatMap { embeddingChange(f, $0) }, nextPixels: next.map { pixelChange(f, $0) } ?? p,
            acrossEmbedding: next.flatMap { embeddingChange(previous, $0) }, acrossPixels: next.map { pixelChange(previous, $0) } ?? p,
            previousEmbedding: history.last?.embedding)
        if let chain = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 0) {
            let steps = CutEvidence.steps(chain)
            let sizes = steps.map(\.size).sorted(by: >)
            let peak = steps.max { $0.size < $1.size }
            evidence.gapPeak = sizes.first ?? 0
            evidence.gapSecond = sizes.count > 1 ? sizes[1] : 0
            evidence.gapTotal = sizes.reduce(0, +)
            evidence.gapSteps = steps.count
            evidence.gapPeakTime = peak?.after
            evidence.gapBlends = CutEvidence.blend(chain.map(\.thumbnail))?.isBlendShaped ?? false
        }
        history.append(CutChange(seconds: f.seconds, embedding: e ?? spread, pixels: p, hash: h))
        while let oldest = history.first, f.seconds - oldest.seconds > CutEvidence.levelSeconds, history.count > 2 { history.removeFirst() }
        return evidence
    }

    /// At the first frame with an embedding of its own after stand-ins (``FrameSignals/embeddingIsStandIn``, the
    /// cascade's frames kept off the network): the change of each pair of the run, from the last frame whose change was
    /// measured to `f`, none of them measured, as the distance across the run over √n for its n pairs. Written into
    /// the recent changes (the levels read them) for the run's earlier pairs; returned for the pair ending at `f`, whose
    /// own evidence stays unmeasured (the pixels settled it). Without it the levels of the cascade leave out the calm
    /// pairs the pixels settled and keep the open ones, near cuts: a level of 0.063 where every frame's embedding gives
    /// 0.012 hid a cut of the tune part (`variants-1080p`, 16.8 s) from the cut model. √n: across two pairs the tune
    /// part's embedding changes at 2 frames a second measure a median 1.45 times a pair's (√2 = 1.41); they grow
    /// slower than their sum (motion's steps partly cancel, noise adds in squares).
    private func spreadStandInChange(to f: FrameSignals, previous: FrameSignals) -> Double? {
        guard scorer.kind.usesEmbedding, previous.embeddingIsStandIn, !f.embeddingIsStandIn, let u = previous.embedding, let v = f.embedding
        else { return nil }
        let unmeasured = history.reversed().prefix { $0.embedding == nil }.count
        let each = Double(u.cosineDistance(to: v)) / Double(unmeasured + 1).squareRoot()
        for i in history.indices.suffix(unmeasured) {
            history[i] = CutChange(seconds: history[i].seconds, embedding: each, pixels: history[i].pixels, hash: history[i].hash)
        }
        return each
    }

    private func embeddingChange(_ a: FrameSignals, _ b: FrameSignals) -> Double? {
        guard scorer.kind.usesEmbedding, let u = a.embedding, let v = b.embedding, !a.embeddingIsStandIn, !b.embeddingIsStandIn else { return nil }
        return Double(u.cosineDistance(to: v))
    }

    /// The frame's change from the previous one (``SceneBoundaryRule/change(_:)``), nil when embeddings are scored
    /// and one of the two frames' is a stand-in (``FrameSignals/embeddingIsStandIn``): then the change is not measured
    /// on the scale of the scene's others.
    private func measuredChange(_ s: FrameScores) -> Double? {
        guard !scorer.kind.usesEmbedding || s.embeddingToPrevious != nil else { return nil }
        return SceneBoundaryRule.change(s)
    }

    /// 1 − SSIM at the SSIM scale inside the frames' black bars (``FrameSignals/comparableLuma(_:_:)``): 0 for
    /// identical hashes, 1 when the sizes differ, 0 when pixels are not scored.
    private func pixelChange(_ a: FrameSignals, _ b: FrameSignals) -> Double {
        guard scorer.kind.usesSSIM else { return 0 }
        if FrameSignals.hashDistance(a, b) == 0 { return 0 }
        let (p, q) = FrameSignals.comparableLuma(a, b)
        guard p.width == q.width, p.height == q.height else { return 1 }
        return 1 - ssim.similarity(p, q)
    }

    /// The last frame was a flash (``flash(at:previous:next:evidence:)``): `previous` is the frame before it, and the
    /// frames decoded before this one are the flash's return, not a flash of their own.
    private var lastWasFlash = false
    /// The sampled frame before `previous` (flashes skipped), for changes spread over two intervals.
    private var beforePrevious: FrameSignals?
    /// The previous frame (flashes skipped) was a transition frame.
    private var previousTransition = false
    /// The recent embedding level the previous frame was judged by (``CutEvidence/embeddingLevel``).
    private var previousLevel = 0.0
    /// The open scene's own recent level (``recentLevel``, over at least ``SceneBoundaryRule/minimumLevelFrames`` changes)
    /// as the previous frame was judged, when that frame opened no scene; else nil.
    private var previousSceneLevel: Double?

    /// The kind of the last decision (the calibrated rule): a dissolve spread over two pairs of samples cuts once.
    private var lastCut: CutKind?

    /// When the frames between `previous` and `f` are a dissolve's middle: the time of the first frame past its half
    /// way — of the whole dissolve when it goes on to `next` (at most `f`'s own time: `f` opens the new scene).
    /// `goesOn`: the dissolve goes on to `next`, so `f` is in its middle.
    private func dissolve(_ f: FrameSignals, previous: FrameSignals, next: FrameSignals?, evidence: CutEvidence)
        -> (halfway: Double, goesOn: Bool, span: ClosedRange<Double>)? {
        guard let chain = CutEvidence.thumbnails(from: previous, to: f), let blend = CutEvidence.blend(chain.map(\.thumbnail)),
              CutEvidence.isDissolve(blend, contentChange: evidence.embedding ?? evidence.pixels) else { return nil }
        if let next, let rest = CutEvidence.thumbnails(from: f, to: next) {
            let whole = chain + rest.dropFirst()
            if let longer = CutEvidence.blend(whole.map(\.thumbnail)), CutEvidence.isDissolve(longer, contentChange: evidence.embedding ?? evidence.pixels) {
                return (min(whole[longer.halfway].seconds, f.seconds), true, whole[longer.firstMixed].seconds...whole[longer.firstWhole].seconds)
            }
        }
        return (chain[blend.halfway].seconds, false, chain[blend.firstMixed].seconds...chain[blend.firstWhole].seconds)
    }

    /// Keeps `change` for the recent level: the changes of the last ``TransitionRule/windowSeconds`` (4 at 2 a second),
    /// at least the newest, a span in seconds. (Apart from `decide`: a closure there, in a function of typed throws,
    /// crashes Swift 6.3's optimiser.)
    private func record(_ change: Double, at seconds: Double) {
        recentChanges.append((seconds, change))
        let window = transitionRule.windowSeconds
        recentChanges.removeAll { seconds - $0.seconds >= window }
    }

    /// The steady change of brightness from `previous` through the frames decoded after it to `f`
    /// (``CutEvidence/brightnessRamp(in:)``); nils without them.
    private static func brightnessRamp(from previous: FrameSignals, to f: FrameSignals) -> (start: Double?, end: Double?) {
        guard let chain = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1) else { return (nil, nil) }
        return CutEvidence.brightnessRamp(in: chain)
    }

    /// Two samples show one still picture: equal hashes, SSIM at least 0.98 and the embedding within 0.002 (each when
    /// scored). Equal hashes alone are not enough: a static camera's small passers-by leave the hash unchanged for
    /// a second while the embedding moves 0.026–0.05 (the tune part's surveillance clips); a still picture's frames,
    /// unchanged, share one embedding (``UnchangedFrameRule``).
    private static func isStill(_ change: CutChange) -> Bool { change.hash == 0 && change.pixels < 0.02 && (change.embedding ?? 0) < 0.002 }

    /// A change from one still picture to another that the model did not cut at: the picture did not change over the
    /// interval before (or, for a change spread over two intervals, the interval before that) nor changes from `f` to
    /// `next` (``isStill(_:)``), and changed by ``CutEvidence/stillChangeBits`` or more between. A cut at the largest step between
    /// the samples when it is a hard cut (``CutEvidence/cutsSharply(from:to:)``), else a gradual change, where it was
    /// half done (after `previous`, which stays in its scene). Judged at `f` from the recorded changes (`history`,
    /// whose last entry is `f`'s own).
    private func changeBetweenStills(_ f: FrameSignals, previous: FrameSignals, next: FrameSignals, evidence: CutEvidence)
        -> (kind: CutKind, start: Double, span: ClosedRange<Double>?)? {
        let still = CutChange(seconds: next.seconds, embedding: embeddingChange(f, next), pixels: pixelChange(f, next),
                              hash: Double(FrameSignals.hashDistance(f, next)))
        guard Self.isStill(still) || Self.staysStill(after: f, until: next), history.count >= 2, let into = history.last else { return nil }
        let bits = Double(CutEvidence.stillChangeBits)
        if Self.isStill(history[history.count - 2]) || Self.wasStill(before: previous), into.hash >= bits {
            if evidence.cutsSharply, let time = evidence.gapPeakTime { return (.jump, time, nil) }
            let change = Self.gradualChange(from: previous, to: f)
            return (.gradual, change.halfway ?? f.seconds, change.span)
        }
        guard lastCut == nil, history.count >= 3, let before = beforePrevious, Self.isStill(history[history.count - 3]) || Self.wasStill(before: before),
              !Self.isStill(history[history.count - 2]), !Self.isStill(into), Double(FrameSignals.hashDistance(before, f)) >= bits,
              let first = CutEvidence.thumbnails(from: before, to: previous, minimumBetween: 0),
              let second = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 0)
        else { return nil }
        let chain = first + second.dropFirst()
        let afterPrevious = f.intermediateFrames.first?.seconds ?? f.seconds
        let low = CutEvidence.time(ofCumulativeChange: 0.05, in: chain), high = CutEvidence.time(ofCumulativeChange: 0.95, in: chain)
        return (.gradual, max(afterPrevious, CutEvidence.time(ofCumulativeChange: 0.5, in: chain) ?? f.seconds),
                low.flatMap { l in high.map { min(l, $0)...max(l, $0) } })
    }

    /// Between samples far apart (a slide shown for less than two intervals at 0.5 a second), the frames decoded
    /// around a sample say whether its picture was still: for ``CutEvidence/stillSeconds`` after `f` (before `next`) or
    /// before `previous`, every step between their thumbnails under ``CutEvidence/stillStep``.
    private static func staysStill(after f: FrameSignals, until next: FrameSignals) -> Bool {
        guard let chain = CutEvidence.thumbnails(from: f, to: next, minimumBetween: 1) else { return false }
        let within = chain.dropLast().prefix { $0.seconds <= f.seconds + CutEvidence.stillSeconds }
        guard let last = within.last, last.seconds >= f.seconds + CutEvidence.stillSeconds - 0.05 else { return false }
        return isUnchanged(Array(within))
    }

    private static func wasStill(before previous: FrameSignals) -> Bool {
        guard let last = previous.thumbnail else { return false }
        let within = previous.intermediateFrames.drop { $0.seconds < previous.seconds - CutEvidence.stillSeconds }
        guard let first = within.first, first.seconds <= previous.seconds - CutEvidence.stillSeconds + 0.05 else { return false }
        return isUnchanged(FrameSignals.comparableThumbnails(within.map { ($0.seconds, $0.thumbnail) } + [(previous.seconds, last)],
                                                             between: previous, and: previous))
    }

    /// Every step between consecutive thumbnails of `chain` under ``CutEvidence/stillStep``.
    private static func isUnchanged(_ chain: [(seconds: Double, thumbnail: LumaImage)]) -> Bool {
        CutEvidence.steps(chain).allSatisfy { $0.size < CutEvidence.stillStep }
    }

    /// A fade through a colour between two samples: where the frames decoded after `previous` began to move steadily
    /// towards the first blank one among them (else the first of them), and where their steady move away from the last
    /// blank one stopped (else `f`: the fade in goes on past it, and ``Transition`` takes its end from the next sample's
    /// ramp, ``ChangeContext/rampEnd``). nil when no frame between them is blank.
    private static func fadeThroughBlank(from previous: FrameSignals, to f: FrameSignals, rule: TransitionRule) -> (start: Double, end: Double)? {
        guard let chain = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1) else { return nil }
        let blank = chain.indices.filter { rule.isBlank(PictureQuality(chain[$0].thumbnail)) }
        guard let first = blank.first, let last = blank.last, first > 0 else { return nil }
        let start = CutEvidence.brightnessRamp(in: Array(chain[...first])).start ?? chain[1].seconds
        let end = CutEvidence.brightnessRamp(in: Array(chain[last...])).end ?? f.seconds
        return (start, end)
    }

    /// `f` is the middle of a fade in, sampled: the frames decoded since `previous` pass through a blank one and brighten
    /// (or darken) steadily from the last blank one into `f` (or `f` comes right after it), and those after `f` go on the same way and stop before
    /// `next`. Such a sample is neither the colour nor the shot (not blank enough to be a transition frame): the
    /// shot's keyframe is taken after it, and the next sample's change from it is the fade's, not the scene's.
    private static func isInsideFadeIn(_ f: FrameSignals, previous: FrameSignals, next: FrameSignals, rule: TransitionRule) -> Bool {
        guard let into = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1),
              let blank = into.lastIndex(where: { rule.isBlank(PictureQuality($0.thumbnail)) }), blank < into.count - 1,
              into.count - blank == 2 || CutEvidence.brightnessRamp(in: Array(into[blank...])).start != nil,
              let after = CutEvidence.thumbnails(from: f, to: next, minimumBetween: 1), CutEvidence.brightnessRamp(in: after).end != nil
        else { return false }
        let before = PictureQuality(into[blank].thumbnail).meanLuma, at = f.quality.meanLuma, later = next.quality.meanLuma
        return (at - before) * (later - at) > 0
    }

    /// Where a gradual change whose first mixed frame was found at `seconds` (``ChangeContext/dissolveStart``) begins, as
    /// the dev set labels a transition's start (the frame before its first mixed one): among `previous`, `f` and the frames
    /// decoded before each, the second frame before `seconds`, since the first mixed frame, found where 5% of the change
    /// is done, comes a frame late when the mix begins faintly (the crossfade fixture: found at 2.08 s, first mixed 2.04 s;
    /// the tune part's `crossfade-720p`: 6.08 s for 6.04 s). The earliest frame when fewer come before; `seconds` when none.
    private static func frame(before seconds: Double, upTo f: FrameSignals, previous: FrameSignals) -> Double {
        let times = previous.intermediateFrames.map(\.seconds) + [previous.seconds] + f.intermediateFrames.map(\.seconds) + [f.seconds]
        guard let last = times.lastIndex(where: { $0 < seconds }) else { return seconds }
        return times[max(last - 1, 0)]
    }

    /// Where the frames decoded from `previous` to `f` changed half of their total, and 5% and 95% of it (nil without them).
    private static func gradualChange(from previous: FrameSignals, to f: FrameSignals) -> (halfway: Double?, span: ClosedRange<Double>?) {
        guard let chain = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1) else { return (nil, nil) }
        let low = CutEvidence.time(ofCumulativeChange: 0.05, in: chain), high = CutEvidence.time(ofCumulativeChange: 0.95, in: chain)
        return (CutEvidence.time(ofCumulativeChange: 0.5, in: chain), low.flatMap { l in high.map { min(l, $0)...max(l, $0) } })
    }

    /// The picture stays where the change to this frame took it: the next frame changes at most half as much, and is
    /// at least half as far from the frame before this one (embedding distances, else 1 − SSIM).
    private static func settles(_ evidence: CutEvidence) -> Bool {
        let into = evidence.embedding ?? evidence.pixels, out = evidence.nextEmbedding ?? evidence.nextPixels
        let across = evidence.acrossEmbedding ?? evidence.acrossPixels
        return out <= 0.5 * into && across >= 0.5 * into
    }

    /// The frame is far from on the way from the frame before it to the one after it: its two changes together are more
    /// than ``CutEvidence/blendSlack`` times the change across it, in embedding distance (1 − SSIM saturates under
    /// motion, where two steps of a pan look as far apart as one, so pixels alone never say this).
    private static func isNoBlend(_ evidence: CutEvidence) -> Bool {
        guard let into = evidence.embedding, let out = evidence.nextEmbedding, let across = evidence.acrossEmbedding else { return false }
        return into + out > CutEvidence.blendSlack * across
    }

    /// When the change from `before` through `previous` to `f` is spread over both intervals, `previous` in its middle
    /// (``CutEvidence/isGradualAcrossTwoIntervals(before:after:across:level:)``, or between two moving shots against
    /// the scene's own level, ``CutEvidence/isGradualBetweenMovingShots(before:after:across:sceneLevel:)``; embeddings
    /// only), and with the frames
    /// between, no single step carries half of either interval's change (a hard cut is the cut rule's, and a burst of
    /// motion before one is no transition): where `f`'s scene starts — the frame by which the frames decoded from
    /// `before` to `f` changed half of their total, but after `previous`, which stays in the scene before — and the
    /// frames by which they changed 5% and 95% of it. Judged at `f`, once the model did not cut there, so a hard cut
    /// right after `previous` is found as such; `level` and `sceneLevel` are the recent levels as `previous` was judged.
    private func gradual(_ f: FrameSignals, previous: FrameSignals, before: FrameSignals, level: Double, sceneLevel: Double?, evidence: CutEvidence)
        -> (start: Double, span: ClosedRange<Double>)? {
        guard let into = embeddingChange(before, previous), let out = evidence.embedding, let across = embeddingChange(before, f),
              CutEvidence.isGradualAcrossTwoIntervals(before: into, after: out, across: across, level: level)
                || sceneLevel.map({ CutEvidence.isGradualBetweenMovingShots(before: into, after: out, across: across, sceneLevel: $0) }) == true
        else { return nil }
        let afterPrevious = f.intermediateFrames.first?.seconds ?? f.seconds
        guard let first = CutEvidence.thumbnails(from: before, to: previous), let rest = CutEvidence.thumbnails(from: previous, to: f) else {
            return (afterPrevious, before.seconds...f.seconds)
        }
        for part in [first, rest] {
            let steps = CutEvidence.steps(part).map(\.size)
            let total = steps.reduce(0, +)
            guard total > 0, (steps.max() ?? 0) <= 0.5 * total else { return nil }
        }
        let chain = first + rest.dropFirst()
        let halfway = CutEvidence.time(ofCumulativeChange: 0.5, in: chain) ?? f.seconds
        let low = CutEvidence.time(ofCumulativeChange: 0.05, in: chain) ?? before.seconds
        let high = CutEvidence.time(ofCumulativeChange: 0.95, in: chain) ?? f.seconds
        return (max(halfway, afterPrevious), min(low, high)...max(low, high))
    }

    /// When the sampled frame `f` is a flash the picture comes back from: the next frame is closer to the one before `f`
    /// than to `f` by half (embedding distance, else 1 − SSIM), and the frames that differ from both (from the frames
    /// decoded between the samples; without them, all between `previous` and `next`) last at most
    /// ``Transition/longestFlash`` seconds — in seconds, whatever the sampling rate, so at a sparse rate a lone sample
    /// of another shot between two of one stays content. Returns the flash's first frame and the first frame after it.
    private func flash(at f: FrameSignals, previous: FrameSignals, next: FrameSignals, evidence: CutEvidence) -> ClosedRange<Double>? {
        let into = evidence.embedding ?? evidence.pixels, out = evidence.nextEmbedding ?? evidence.nextPixels
        let across = evidence.acrossEmbedding ?? evidence.acrossPixels
        guard across <= 0.5 * min(into, out) else { return nil }
        guard let first = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 0), let rest = CutEvidence.thumbnails(from: f, to: next, minimumBetween: 0),
              let span = CutEvidence.awayRun(in: first + rest.dropFirst(), around: first.count - 1) else {
            return next.seconds - previous.seconds <= Transition.longestFlash ? f.seconds...next.seconds : nil
        }
        return span.upperBound - span.lowerBound <= Transition.longestFlash ? span : nil
    }

    /// A flash inside the frames decoded between two samples that the picture came back from before the later one
    /// (``CutEvidence/flash(in:)``): its first frame and the first frame after it.
    private static func flash(between previous: FrameSignals, and f: FrameSignals) -> ClosedRange<Double>? {
        guard let chain = CutEvidence.thumbnails(from: previous, to: f, minimumBetween: 1), let span = CutEvidence.flash(in: chain),
              span.upperBound - span.lowerBound <= Transition.longestFlash else { return nil }
        return span
    }

    /// The last frame opened a scene by a dissolve and is a transition frame: in the middle of a dissolve that goes on
    /// to the next frame (or blank). Derived from its record alone, so a resumed run sets it the same way.
    private var insideDissolve = false

    /// The mean of the open scene's recent changes; nil before there are any.
    private var recentLevel: Double? { recentChanges.isEmpty ? nil : recentChanges.reduce(0) { $0 + $1.change } / Double(recentChanges.count) }

    /// Whether a frame that did not cut changed so much more than the scene's recent frames that it is passing
    /// through a transition (the level before there is any: 0.05 for embeddings, 0.2 for pixels).
    private func isTransition(change: Double, embeddings: Bool) -> Bool {
        let level = recentLevel ?? (embeddings ? 0.05 : 0.2)
        let minimum = embeddings ? transitionRule.minimumContentChange : transitionRule.minimumPixelChange
        return change >= minimum && change >= transitionRule.ratio * level
    }

    /// Puts the detector where it was right after `point.first` opened scene `point.sceneID`.
    private func resume(_ point: ResumePoint<Attachment>) {
        precondition(open == nil && pending == nil, "resume a fresh cut detector only")
        let f = point.first.signals
        nextSceneID = point.restart.sceneID + 1
        open = (point.restart.sceneID, point.restart.start ?? f.seconds, f.index, 1)
        reference = f
        previous = f
        recentChanges.removeAll()
        history = point.restart.cutHistory
        lastCut = point.restart.openingCut
        previousSceneLevel = nil
        lastWasFlash = false
        beforePrevious = nil
        previousTransition = point.restart.transition
        insideDissolve = point.restart.openingCut?.isGradual == true && point.restart.transition
    }
}

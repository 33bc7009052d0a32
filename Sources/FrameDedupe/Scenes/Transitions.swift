/// How one shot gives way to the next, or to itself again (a flash).
public enum TransitionKind: String, Sendable, Codable, CaseIterable {
    /// From one frame to the next.
    case cut
    /// The next shot mixed in over several frames, each a blend of the two.
    case dissolve
    /// To or from a uniform colour (black, white): blank frames at the boundary.
    case fade
    /// A brief change inside a shot that the picture comes back from (a flash, a passing occlusion): at most
    /// ``Transition/longestFlash`` seconds, whatever the sampling rate.
    case flash
}

/// One transition in `scenes.json`: its kind, its first and last frame (seconds), and the scenes on either side
/// (the same scene for a flash).
public struct Transition: Sendable, Equatable, Codable {
    public var kind: TransitionKind
    /// The first frame that belongs to the transition (for a cut: the new shot's first frame).
    public var start: Double
    /// The first frame after it that belongs wholly to the next shot (for a cut: the same as `start`).
    public var end: Double
    /// The scene before it and the scene after it (for a flash inside a scene, that scene twice; for a flash the
    /// cut rule took for two cuts, the scenes on either side, of one cluster).
    public var before: Int
    public var after: Int

    /// A change that lasts longer than this is no flash.
    public static let longestFlash = 1.0

    enum CodingKeys: String, CodingKey, CaseIterable { case kind = "type", start, end, before, after }

    public init(kind: TransitionKind, start: Double, end: Double, before: Int, after: Int) {
        self.kind = kind
        self.start = start
        self.end = end
        self.before = before
        self.after = after
    }

    /// The transitions of a run, in time order, from its frames' records and its scenes:
    /// - between two scenes: a `dissolve` when the cut rule found one (with its span), a `fade` when blank frames
    ///   end the scene before or open the scene after (the span covers them), or when a gradual change passed through a
    ///   blank frame decoded between two samples (``ChangeContext/blankBetween``), a `cut` otherwise; a transition
    ///   scene between two scenes (the middle of a gradual transition) is folded into the transition it is part of;
    /// - inside a scene: a `flash` for each run of transition frames after its first frame that the picture comes
    ///   back from within ``longestFlash`` seconds.
    ///
    /// A transition scene of at most ``longestFlash`` seconds between two scenes of one content cluster
    /// (`clusterOfScene`) is a `flash` too: the picture came back.
    public static func of(frames: [FrameRecord], scenes: [Scene], clusterOfScene: [Int?] = []) -> [Transition] {
        let blank: (FrameRecord) -> Bool = { TransitionRule().isBlank($0.quality) }
        func records(of scene: Scene) -> ArraySlice<FrameRecord> {
            let first = min(scene.firstFrame, frames.count), last = min(scene.firstFrame + scene.frameCount, frames.count)
            return frames[first..<last]
        }
        var found: [Transition] = []
        var before: Scene?
        var between: (start: Double, blank: Bool)?
        for scene in scenes {
            let own = records(of: scene)
            if scene.transition, before != nil {
                // Where the transition scene's own cut began (a dissolve into it), and whether it is blank or passes
                // through a blank frame between its samples (a fade).
                let start = min(scene.start, own.first?.context?.dissolveStart ?? scene.start)
                let throughBlank = own.allSatisfy(blank) || own.contains { $0.context?.blankBetween != nil }
                between = (min(between?.start ?? start, start), (between?.blank ?? true) && throughBlank)
                continue
            }
            defer { before = scene; between = nil }
            if let previous = before {
                var transition = boundary(from: previous, to: scene, own: own, ending: records(of: previous), between: between, blank: blank)
                let cluster = { (id: Int) in id < clusterOfScene.count ? clusterOfScene[id] : nil }
                if between != nil, transition.end - transition.start <= longestFlash, let c = cluster(previous.id), c == cluster(scene.id) {
                    transition.kind = .flash
                }
                found.append(transition)
            }
            found += flashes(in: scene, own: own)
        }
        return found
    }

    /// The warning for a run sampled too sparsely to tell a flash from a shot, or nil: without the frames between the
    /// samples (`framesBetweenDecoded` false: key frames only), a lone sample that differs from the samples on either
    /// side, which show one content, may be a shot or a flash, and when the samples lie more than ``longestFlash``
    /// apart nothing says which. Such samples are kept as shots (content is not lost); the warning counts them.
    public static func sparseSamplingWarning(frames: [FrameRecord], scenes: [Scene], clusterOfScene: [Int?],
                                             framesBetweenDecoded: Bool) -> String? {
        guard !framesBetweenDecoded, scenes.count >= 3, frames.count >= 3 else { return nil }
        var intervals = zip(frames.dropFirst(), frames).map { $0.seconds - $1.seconds }
        intervals.sort()
        let median = intervals[intervals.count / 2]
        guard median > longestFlash else { return nil }
        var lone = 0
        for i in 1..<scenes.count - 1 where scenes[i].frameCount == 1 && !scenes[i].transition {
            if let before = clusterOfScene[i - 1], before == clusterOfScene[i + 1], clusterOfScene[i] != before { lone += 1 }
        }
        guard lone > 0 else { return nil }
        return String(format: "sampled about every %.1f s without the frames between (key frames only): %d lone sample%@ between two of one content kept as shot%@, though a flash shorter than that looks the same; sample every frame's thumbnails (decode all frames) to tell them apart",
                      median, lone, lone == 1 ? "" : "s", lone == 1 ? "" : "s")
    }

    /// The transition from `previous` to `scene`; `between`: where transition scenes between them began, and
    /// whether they are all blank.
    private static func boundary(from previous: Scene, to scene: Scene, own: ArraySlice<FrameRecord>, ending: ArraySlice<FrameRecord>,
                                 between: (start: Double, blank: Bool)?, blank: (FrameRecord) -> Bool) -> Transition {
        let opening = own.first
        var kind: TransitionKind = between.map { $0.blank ? .fade : .dissolve } ?? (opening?.cutKind?.isGradual == true ? .dissolve : .cut)
        // A gradual change, or a cut that was no single step, that passed through a blank frame between two samples: a
        // fade through a colour, sampled.
        if kind != .fade, let c = opening?.context, c.blankBetween != nil, kind == .dissolve || c.dissolveStart != nil { kind = .fade }
        var start = between?.start ?? opening?.context?.dissolveStart ?? scene.start
        var end = between != nil ? scene.start : opening?.context?.dissolveEnd ?? scene.start
        // Blank frames ending the scene before, or opening this one: a fade out, a fade in.
        let fadingOut = ending.reversed().prefix { blank($0) && $0.transition }
        if let first = fadingOut.last, first.index != previous.firstFrame {
            kind = .fade
            start = min(start, first.seconds)
        }
        let fadingIn = own.prefix { blank($0) }
        if !fadingIn.isEmpty {
            kind = .fade
            end = max(end, own.dropFirst(fadingIn.count).first?.seconds ?? scene.end)
        }
        if kind == .fade {
            start = min(start, fadeStart(ending.filter { !blank($0) }) ?? start)
            // The first frame at the shot's brightness: where the frames decoded before the first or second sample after
            // the blank ones stopped changing brightness steadily.
            // Through a blank frame between two samples, the opening sample's own ramp is the fade out's: the next one's
            // says where the fade in ended, and still moving steadily into the next sample, it ends there at the earliest.
            let throughBlank = opening?.context?.blankBetween != nil
            let next = own.dropFirst(fadingIn.count + 1).first
            if let settled = own.dropFirst(fadingIn.count + (throughBlank ? 1 : 0)).prefix(throughBlank ? 1 : 2).lazy.compactMap({ $0.context?.rampEnd }).first {
                end = max(end, settled)
            } else if throughBlank, let opening, let next, end >= opening.seconds, next.context?.rampStart != nil {
                end = max(end, next.seconds)
            }
        }
        return Transition(kind: kind, start: start, end: max(start, end), before: previous.id, after: scene.id)
    }

    /// Where a fade out began: the earliest of the last samples before the blank whose brightness falls (or rises)
    /// towards it by more than 4 of 255 a sample, each step the same way — at the frame decoded before it where the
    /// brightness began to move steadily (``ChangeContext/rampStart``), else at that sample.
    private static func fadeStart(_ before: [FrameRecord]) -> Double? {
        var start: FrameRecord?
        var direction = 0.0
        for (later, earlier) in zip(before.reversed(), before.reversed().dropFirst()) {
            let step = later.quality.meanLuma - earlier.quality.meanLuma
            guard abs(step) > 4, direction == 0 || step.sign == direction.sign else { break }
            direction = step
            start = later
        }
        return start.map { $0.context?.rampStart ?? $0.seconds }
    }

    /// The flashes inside `scene` (after its first frame) that the cut detector verified (``ChangeContext/flashStart``):
    /// a run of transition frames whose first frame the picture came back from within ``longestFlash`` seconds, with
    /// the flash's frames found around it, and a flash found between two samples that both show the scene. A run of
    /// transition frames without that (a burst of motion) is no flash.
    private static func flashes(in scene: Scene, own: ArraySlice<FrameRecord>) -> [Transition] {
        var found: [Transition] = []
        var run: (start: Double, span: (start: Double, end: Double)?)?
        for record in own.dropFirst() {
            let span = record.context.flatMap { c in c.flashStart.flatMap { start in c.flashEnd.map { (start, $0) } } }
            if record.transition {
                run = run ?? (record.seconds, span)
            } else {
                if let open = run, let span = open.span, record.seconds - open.start <= longestFlash {
                    found.append(Transition(kind: .flash, start: span.start, end: span.end, before: scene.id, after: scene.id))
                }
                run = nil
                if let span { found.append(Transition(kind: .flash, start: span.0, end: span.1, before: scene.id, after: scene.id)) }
            }
        }
        return found.sorted { $0.start < $1.start }
    }
}

import FrameDedupe

/// How the typed transitions of `scenes.json` agree with the truth's typed events (issue 18), kind by kind:
/// cuts, dissolves, fades and flashes.
///
/// Each labelled event spans its first to its last frame; its *end* is the first frame after it, `last + 1/fps`
/// (the truth's `fps`; `last` itself without one), except for a cut, whose end is its first frame, as
/// `scenes.json` writes a cut with `start = end`. A detected transition is within reach of an event when its
/// span `[start, end]` meets the event's `[first − tolerance, end + tolerance]`. Pairs are taken closest first
/// by `|start − first|` (ties by event, then detection, in time order), one to one, whatever their kinds:
/// - the same kind: **found**; its start error `|start − first|` and end error `|end − event end|` are kept;
/// - another kind: **mistyped**, counted under the event's kind and in ``confusions`` ("dissolve→cut");
/// - an event left unmatched: **missed**; a detection left unmatched: a **false** detection of its own kind.
///
/// Sums (``+``) add the counts and pool the errors, whose medians are reported.
public struct TransitionScore: Sendable, Equatable {
    /// The counts of one kind.
    public struct Counts: Sendable, Equatable {
        public var labelled = 0
        public var found = 0
        public var mistyped = 0
        public var missed = 0
        public var falseDetections = 0
        /// Detections of this kind matched to an event of another kind.
        public var detectedForOtherKinds = 0
        /// Seconds, one per found transition.
        public var startErrors: [Double] = []
        public var endErrors: [Double] = []

        public init() {}

        /// Found / labelled (1 when nothing is labelled).
        public var recall: Double { labelled == 0 ? 1 : Double(found) / Double(labelled) }
        /// Found / detections of this kind (found, false, and those matched to an event of another kind); 1 when none.
        public var precision: Double {
            let detections = found + falseDetections + detectedForOtherKinds
            return detections == 0 ? 1 : Double(found) / Double(detections)
        }
        public var medianStartError: Double? { median(startErrors) }
        public var medianEndError: Double? { median(endErrors) }

        static func + (a: Counts, b: Counts) -> Counts {
            var s = Counts()
            s.labelled = a.labelled + b.labelled
            s.found = a.found + b.found
            s.mistyped = a.mistyped + b.mistyped
            s.missed = a.missed + b.missed
            s.falseDetections = a.falseDetections + b.falseDetections
            s.detectedForOtherKinds = a.detectedForOtherKinds + b.detectedForOtherKinds
            s.startErrors = a.startErrors + b.startErrors
            s.endErrors = a.endErrors + b.endErrors
            return s
        }
    }

    /// Counts per kind; every kind is present.
    public var byKind: [TransitionKind: Counts]
    /// Mistyped events by "labelled→detected" kind names.
    public var confusions: [String: Int]

    public init() {
        byKind = Dictionary(uniqueKeysWithValues: TransitionKind.allCases.map { ($0, Counts()) })
        confusions = [:]
    }

    /// Scores `detected` transitions against `events` as described above.
    /// - Parameters:
    ///   - events: the truth's typed events.
    ///   - fps: the clip's nominal frame rate (for events' ends), if known.
    ///   - detected: the transitions of `scenes.json`.
    ///   - tolerance: seconds, ≥ 0.
    public init(events: [GroundTruth.Event], fps: Double?, detected: [Transition], tolerance: Double) {
        self.init()
        let slack = Evaluation.timeSlack
        let frame = fps.map { 1 / $0 } ?? 0
        func end(of event: GroundTruth.Event) -> Double { event.kind == .cut ? event.first : event.last + frame }
        var candidates: [(distance: Double, event: Int, detected: Int)] = []
        for (i, event) in events.enumerated() {
            let low = event.first - tolerance - slack, high = end(of: event) + tolerance + slack
            for (j, d) in detected.enumerated() where d.end >= low && d.start <= high {
                candidates.append((abs(d.start - event.first), i, j))
            }
        }
        candidates.sort { ($0.distance, $0.event, $0.detected) < ($1.distance, $1.event, $1.detected) }
        var eventUsed = [Bool](repeating: false, count: events.count), detectedUsed = [Bool](repeating: false, count: detected.count)
        for c in candidates where !eventUsed[c.event] && !detectedUsed[c.detected] {
            eventUsed[c.event] = true
            detectedUsed[c.detected] = true
            let event = events[c.event], d = detected[c.detected]
            if d.kind == event.kind {
                byKind[event.kind]!.found += 1
                byKind[event.kind]!.startErrors.append(abs(d.start - event.first))
                byKind[event.kind]!.endErrors.append(abs(d.end - end(of: event)))
            } else {
                byKind[event.kind]!.mistyped += 1
                byKind[d.kind]!.detectedForOtherKinds += 1
                confusions["\(event.kind.rawValue)→\(d.kind.rawValue)", default: 0] += 1
            }
        }
        for (i, event) in events.enumerated() {
            byKind[event.kind]!.labelled += 1
            if !eventUsed[i] { byKind[event.kind]!.missed += 1 }
        }
        for (j, d) in detected.enumerated() where !detectedUsed[j] { byKind[d.kind]!.falseDetections += 1 }
    }

    public subscript(kind: TransitionKind) -> Counts { byKind[kind] ?? Counts() }

    /// Pooled: counts added, errors pooled.
    public static func + (a: TransitionScore, b: TransitionScore) -> TransitionScore {
        var s = TransitionScore()
        for kind in TransitionKind.allCases { s.byKind[kind] = a[kind] + b[kind] }
        s.confusions = a.confusions.merging(b.confusions, uniquingKeysWith: +)
        return s
    }
}

/// The median of `values` (the mean of the middle two for an even count), nil when empty.
private func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted(), mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

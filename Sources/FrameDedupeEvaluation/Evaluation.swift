import Foundation
@_spi(Evaluation) import FrameDedupe

// `framededupe eval`: scores a result folder against a clip's ground truth (issue 6).
//
// Times are seconds from the clip's first frame on both sides (scenes.json's convention and the
// truth's), compared with ``Evaluation/timeSlack`` of slack: both files carry 6 decimals.

// MARK: - Ground truth

/// What a clip really contains: its shots (time spans, each showing one content group) and the
/// transitions between them. Schema version 1, as `scripts/make-devset.py` writes it:
///
/// ```json
/// {"version": 1, "clip": "abacb-360p.mp4",
///  "shots": [{"id": 0, "start": 0.0, "end": 2.48, "content": 0, ...}, ...],
///  "transitions": [{"start": 2.0, "end": 3.0, "kind": "crossfade"}, ...], ...}
/// ```
///
/// Only `version`, `shots[].start`, `shots[].end` and `shots[].content` are required; `clip`
/// names the clip (and its result folder under `eval --truth-dir`); `transitions` defaults to none;
/// `fps` (the nominal frame rate) is what `eval --tolerance-frames` counts in; `events` (each
/// `{"type": "cut"|"dissolve"|"fade"|"flash", "first", "last"}`, the change's first and last frame) is
/// what the per-type transition report is scored against; other members are ignored. Shots must be in time order without overlapping (gaps are allowed: a
/// time in a gap belongs to no shot).
public struct GroundTruth: Sendable, Equatable {
    public static let schemaVersion = 1

    /// A span of the clip showing one content group.
    public struct Shot: Sendable, Equatable {
        /// Seconds from the clip's first frame; the shot holds `start ≤ t < end`.
        public var start: Double
        public var end: Double
        /// The content-group id: shots showing the same thing (near-duplicate variants, a shot that
        /// comes back) share it.
        public var content: Int

        public init(start: Double, end: Double, content: Int) {
            self.start = start
            self.end = end
            self.content = content
        }
    }

    /// A labelled crossfade, fade or other gradual change, in seconds: "don't care" for frames, and where
    /// a boundary inside it may be detected.
    ///
    /// Its frames are those at `start ≤ t < end`, like a shot's: `scripts/make-devset.py` puts `end` at the
    /// first frame after the mix (xfade and fade leave the frame at `offset + duration` untouched), a clean
    /// frame of the next shot.
    public struct Transition: Sendable, Equatable {
        public var start: Double
        public var end: Double

        public init(start: Double, end: Double) {
            self.start = start
            self.end = end
        }

        /// True when a frame at `time` is one of the transition's: `start ≤ time < end`.
        public func contains(_ time: Double) -> Bool {
            start - Evaluation.timeSlack <= time && time < end - Evaluation.timeSlack
        }

        /// True when a boundary at `time` lies in the transition widened by `widening` on both sides:
        /// `start − widening ≤ time ≤ end + widening` (closed).
        public func reaches(_ time: Double, widenedBy widening: Double) -> Bool {
            start - widening - Evaluation.timeSlack <= time && time <= end + widening + Evaluation.timeSlack
        }
    }

    /// One labelled change from shot to shot (or a flash inside a shot), typed: the truth's `events`.
    public struct Event: Sendable, Equatable {
        public var kind: TransitionKind
        /// The first frame of the change (for a cut, the new shot's first frame), seconds.
        public var first: Double
        /// The last frame of the change (for a cut, the same as `first`), seconds.
        public var last: Double

        public init(kind: TransitionKind, first: Double, last: Double) {
            self.kind = kind
            self.first = first
            self.last = last
        }
    }

    /// The clip's file name (the truth's `clip`), if given.
    public var clip: String?
    public var shots: [Shot]
    public var transitions: [Transition]
    /// The clip's nominal frame rate (the truth's `fps`), if given: what a tolerance in frames is counted in.
    public var fps: Double?
    /// Every shot boundary and every flash, typed (the truth's `events`); empty when the truth has none.
    public var events: [Event]

    /// A truth made by hand; not validated (``init(json:name:)`` validates what it reads).
    public init(clip: String? = nil, shots: [Shot], transitions: [Transition] = [], fps: Double? = nil, events: [Event] = []) {
        self.clip = clip
        self.shots = shots
        self.transitions = transitions
        self.fps = fps
        self.events = events
    }

    /// True boundaries: each shot's start except the first.
    public var boundaries: [Double] { shots.dropFirst().map(\.start) }

    /// The distinct content groups of the clip's shots, ascending.
    public var contentGroups: [Int] { Array(Set(shots.map(\.content))).sorted() }

    /// True when a frame at `time` lies in a labelled transition (``Transition/contains(_:)``).
    public func isInTransition(_ time: Double) -> Bool {
        transitions.contains { $0.contains(time) }
    }

    /// The shot holding `time` (`start ≤ time < end`; the last shot also holds its end), or nil in a gap
    /// or outside the clip. A time within ``Evaluation/timeSlack`` of a boundary belongs to the later shot.
    public func shot(at time: Double) -> Shot? {
        let slack = Evaluation.timeSlack
        for (i, shot) in shots.enumerated() where shot.start - slack <= time {
            if time < shot.end - slack || (i == shots.count - 1 && time <= shot.end + slack) { return shot }
        }
        return nil
    }
}

/// Why a truth file or a result folder cannot be evaluated: the file or folder and the cause.
public struct EvaluationInputError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

extension GroundTruth {
    /// Reads and validates a truth file.
    /// - Throws: ``EvaluationInputError`` naming the file: unreadable, not JSON, another schema version,
    ///   a missing or mistyped member, shots out of order or overlapping, a span ending before it starts.
    public init(contentsOf url: URL) throws(EvaluationInputError) {
        try self.init(json: try readInput(url), name: url.path)
    }

    /// The truth files of a folder: every `*.truth.json` (hidden files aside), sorted by name.
    /// - Throws: ``EvaluationInputError`` naming the folder when it is missing, unreadable, or has none.
    public static func files(in folder: URL) throws(EvaluationInputError) -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw EvaluationInputError(path: folder.path, reason: FileManager.default.fileExists(atPath: folder.path) ? "not a readable folder" : "no such folder")
        }
        let files = names.filter { $0.hasSuffix(".truth.json") && !$0.hasPrefix(".") }.sorted()
        guard !files.isEmpty else { throw EvaluationInputError(path: folder.path, reason: "no *.truth.json files") }
        return files.map { folder.appendingPathComponent($0) }
    }

    /// Parses and validates truth JSON; `name` names it in errors.
    public init(json: Data, name: String) throws(EvaluationInputError) {
        func fail(_ reason: String) -> EvaluationInputError { EvaluationInputError(path: name, reason: reason) }
        let record = try decodeVersioned(TruthRecord.self, from: json, version: GroundTruth.schemaVersion, kind: "truth", name: name)
        guard !record.shots.isEmpty else { throw fail("shots: empty (a truth needs at least one shot)") }
        for (i, shot) in record.shots.enumerated() {
            guard shot.start.isFinite, shot.end.isFinite, shot.start < shot.end else {
                throw fail("shots[\(i)]: end (\(shot.end)) must be after start (\(shot.start))")
            }
            if i > 0, shot.start < record.shots[i - 1].end - Evaluation.timeSlack {
                throw fail("shots[\(i)]: starts at \(shot.start), before shots[\(i - 1)] ends (\(record.shots[i - 1].end)); shots must be in time order without overlap")
            }
        }
        let transitions = record.transitions ?? []
        for (i, t) in transitions.enumerated() where !(t.start.isFinite && t.end.isFinite && t.start <= t.end) {
            throw fail("transitions[\(i)]: end (\(t.end)) must not be before start (\(t.start))")
        }
        if let fps = record.fps, !(fps.isFinite && fps > 0) { throw fail("fps: must be a positive number, got \(fps)") }
        var events: [Event] = []
        for (i, e) in (record.events ?? []).enumerated() {
            guard let kind = TransitionKind(rawValue: e.type) else {
                throw fail("events[\(i)].type: \"\(e.type)\" (expected one of \(TransitionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard e.first.isFinite, e.last.isFinite, e.first <= e.last else {
                throw fail("events[\(i)]: last (\(e.last)) must not be before first (\(e.first))")
            }
            events.append(Event(kind: kind, first: e.first, last: e.last))
        }
        self.init(
            clip: record.clip,
            shots: record.shots.map { Shot(start: $0.start, end: $0.end, content: $0.content) },
            transitions: transitions.map { Transition(start: $0.start, end: $0.end) },
            fps: record.fps, events: events.sorted { $0.first < $1.first })
    }
}

private struct VersionRecord: Decodable { let version: Int }

/// Decodes `type` from JSON whose `version` must be `version` (checked first, so another version is
/// reported as such rather than as a missing member).
/// - Throws: ``EvaluationInputError`` naming `name`, with one line on what is wrong.
private func decodeVersioned<T: Decodable>(
    _ type: T.Type, from json: Data, version: Int, kind: String, name: String
) throws(EvaluationInputError) -> T {
    let decoder = JSONDecoder()
    let found: Int
    do { found = try decoder.decode(VersionRecord.self, from: json).version } catch {
        throw EvaluationInputError(path: name, reason: describe(error))
    }
    guard found == version else {
        throw EvaluationInputError(path: name, reason: "\(kind) schema version \(found); this framededupe reads version \(version)")
    }
    do { return try decoder.decode(type, from: json) } catch {
        throw EvaluationInputError(path: name, reason: describe(error))
    }
}

private struct TruthRecord: Decodable {
    struct ShotRecord: Decodable { let start: Double, end: Double, content: Int }
    struct TransitionRecord: Decodable { let start: Double, end: Double }
    struct EventRecord: Decodable { let type: String, first: Double, last: Double }
    let clip: String?
    let shots: [ShotRecord]
    let transitions: [TransitionRecord]?
    let fps: Double?
    let events: [EventRecord]?
}

// MARK: - What framededupe wrote

/// The parts of a result folder that eval scores: scene starts and sampled frames' clusters from
/// `scenes.json`, and the exemplar images of `unique/`.
public struct ClipResult: Sendable, Equatable {
    /// A sampled frame: its time and content cluster (nil for a transition frame, which has no cluster).
    public struct Frame: Sendable, Equatable {
        public var time: Double
        public var cluster: Int?

        public init(time: Double, cluster: Int?) {
            self.time = time
            self.cluster = cluster
        }
    }

    /// Each scene's start in seconds, in time order (`scenes[].start`).
    public var sceneStarts: [Double]
    public var frames: [Frame]
    /// Times of the images in `unique/`, in seconds, one per image.
    public var exemplarTimes: [Double]
    /// The typed transitions of `scenes.json` (empty for files written before they were).
    public var transitions: [Transition]

    public init(sceneStarts: [Double], frames: [Frame], exemplarTimes: [Double], transitions: [Transition] = []) {
        self.sceneStarts = sceneStarts
        self.frames = frames
        self.exemplarTimes = exemplarTimes
        self.transitions = transitions
    }

    /// Detected boundaries: each scene's start except the first.
    public var boundaries: [Double] { Array(sceneStarts.sorted().dropFirst()) }

    /// Reads `folder/scenes.json` (schema version 1) and the names of the images in `folder/unique/`.
    ///
    /// An image's time comes from its name (``exemplarTime(fileName:)``), rounded there to the
    /// millisecond; it is replaced by the time of the sampled frame it names (the nearest `frames[]`
    /// time within half a millisecond), so the rounding cannot move it across a shot boundary.
    /// Hidden files (`.name`) in `unique/` are ignored.
    /// - Throws: ``EvaluationInputError`` naming the folder or file: missing, unreadable, not JSON, another
    ///   schema version, a missing member, an image name without a time.
    public init(folder: URL) throws(EvaluationInputError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw EvaluationInputError(path: folder.path, reason: "no such folder")
        }
        guard isFolder.boolValue else { throw EvaluationInputError(path: folder.path, reason: "not a folder") }
        let scenesURL = folder.appendingPathComponent(ResultsLayout.scenesFile)
        guard FileManager.default.fileExists(atPath: scenesURL.path) else {
            throw EvaluationInputError(path: scenesURL.path, reason: "missing (not a framededupe result folder?)")
        }
        let timeline = try decodeVersioned(ScenesFile.Timeline.self, from: try readInput(scenesURL), version: ScenesFile.currentVersion,
                                           kind: "scenes.json", name: scenesURL.path)
        let frames = timeline.frames.map { Frame(time: $0.time, cluster: $0.cluster) }

        let unique = folder.appendingPathComponent(ResultsLayout.uniqueFolder)
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: unique.path) } catch {
            let missing = !FileManager.default.fileExists(atPath: unique.path)
            throw EvaluationInputError(path: unique.path, reason: missing ? "missing (not a framededupe result folder?)" : OutputFolder.reason(error))
        }
        let frameTimes = frames.map(\.time).sorted()
        var exemplarTimes: [Double] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            guard let named = ClipResult.exemplarTime(fileName: name) else {
                throw EvaluationInputError(path: unique.appendingPathComponent(name).path,
                                           reason: "no time in the name (expected a name like cluster-0003_t000012.520.jpg)")
            }
            exemplarTimes.append(nearest(named, in: frameTimes, within: 0.0005 + Evaluation.timeSlack) ?? named)
        }
        self.init(sceneStarts: timeline.sceneStarts, frames: frames, exemplarTimes: exemplarTimes, transitions: timeline.transitions)
    }

    /// The time in the name of an image of `unique/` (``ImageName``): `cluster-0003_t000012.500.jpg` (`--keep cluster`,
    /// and every image of a cluster with `--keep diverse`) or `scene-0007_t000012.500.png` (`--keep scene`).
    /// - Returns: the seconds, or nil for a name of another form.
    public static func exemplarTime(fileName: String) -> Double? { ImageName(parsing: fileName)?.seconds }
}

/// The element of sorted `values` nearest to `x`, if it is within `distance`.
private func nearest(_ x: Double, in values: [Double], within distance: Double) -> Double? {
    let i = firstIndex(in: values, notBelow: x)
    let candidates = [i - 1, i].filter { values.indices.contains($0) }.map { values[$0] }
    guard let best = candidates.min(by: { abs($0 - x) < abs($1 - x) }), abs(best - x) <= distance else { return nil }
    return best
}

/// The first index of sorted `values` whose element is ≥ `x` (`values.count` if none).
private func firstIndex(in values: [Double], notBelow x: Double) -> Int {
    var low = 0, high = values.count
    while low < high {
        let mid = (low + high) / 2
        if values[mid] < x { low = mid + 1 } else { high = mid }
    }
    return low
}

private func readInput(_ url: URL) throws(EvaluationInputError) -> Data {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
        throw EvaluationInputError(path: url.path, reason: "no such file")
    }
    guard !isFolder.boolValue else { throw EvaluationInputError(path: url.path, reason: "a folder, not a file") }
    do { return try Data(contentsOf: url) } catch {
        throw EvaluationInputError(path: url.path, reason: OutputFolder.reason(error))
    }
}

/// One line for a JSON decoding failure: where in the document, and what was wrong.
private func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "not valid JSON (\(error.localizedDescription))" }
    func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "the document" : out
    }
    func kind(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
    switch error {
    case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
    case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(kind(type))"
    case .valueNotFound(let type, let context): return "\(path(context.codingPath)): null where \(kind(type)) was expected"
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
        }
        return "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default: return "not valid JSON (\(error))"
    }
}

// MARK: - Scores

/// Precision and recall with the conventions every score here uses: a ratio with an empty
/// denominator is 1 (nothing was claimed, so nothing claimed is wrong; nothing was there to find,
/// so nothing was missed), and F1 = 2PR / (P + R) is 0 when P + R is 0. So when both sets are
/// empty P = R = F1 = 1, and a detector that claims nothing where something is true gets P = 1,
/// R = 0, F1 = 0.
private func ratio(_ hits: Int, of total: Int) -> Double { total == 0 ? 1 : Double(hits) / Double(total) }
private func harmonicMean(_ p: Double, _ r: Double) -> Double { p + r == 0 ? 0 : 2 * p * r / (p + r) }

/// Scene boundaries against the truth's: true and false positives, misses.
///
/// Matching is greedy and one-to-one: every (true, detected) pair within reach is a candidate,
/// candidates are taken closest first (ties by true, then detected, time order) and each boundary
/// is used at most once. A detected boundary is within reach of a true boundary `t` when it lies in
/// `[t − tolerance, t + tolerance]` (closed), or, when `t` lies in a labelled transition (closed here:
/// `start ≤ t ≤ end`), anywhere in
/// the transition widened by `tolerance` on both sides (a crossfade's cut may be put anywhere in it).
/// A detected boundary that matches nothing but lies in a transition widened by `tolerance` is
/// neither right nor wrong: it is counted in ``ignoredDetections``, not ``falsePositives``.
///
/// Precision = TP / (TP + FP), recall = TP / (TP + FN); an empty denominator gives 1 and
/// F1 = 2PR / (P + R) (0 when P + R = 0), so P = R = F1 = 1 when there is nothing to find and
/// nothing was claimed. Sums (``+``) are micro-averages: counts add up, ratios follow from them.
public struct BoundaryScore: Sendable, Equatable {
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    /// Unmatched detections inside a labelled transition widened by the tolerance.
    public var ignoredDetections: Int

    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int, ignoredDetections: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.ignoredDetections = ignoredDetections
    }

    /// Matches `detected` boundaries to `truth` boundaries (seconds) as described above.
    /// - Parameters:
    ///   - truth: true boundaries, in any order.
    ///   - detected: detected boundaries, in any order.
    ///   - transitions: labelled transitions.
    ///   - tolerance: seconds, ≥ 0.
    public init(truth: [Double], detected: [Double], transitions: [GroundTruth.Transition], tolerance: Double) {
        let slack = Evaluation.timeSlack
        let truth = truth.sorted(), detected = detected.sorted()
        var candidates: [(distance: Double, truth: Int, detected: Int)] = []
        for (i, t) in truth.enumerated() {
            var low = t - tolerance, high = t + tolerance
            for transition in transitions where transition.reaches(t, widenedBy: 0) {
                low = min(low, transition.start - tolerance)
                high = max(high, transition.end + tolerance)
            }
            var j = firstIndex(in: detected, notBelow: low - slack)
            while j < detected.count, detected[j] <= high + slack {
                candidates.append((abs(detected[j] - t), i, j))
                j += 1
            }
        }
        candidates.sort { ($0.distance, $0.truth, $0.detected) < ($1.distance, $1.truth, $1.detected) }
        var truthUsed = [Bool](repeating: false, count: truth.count), detectedUsed = [Bool](repeating: false, count: detected.count)
        var matched = 0
        for c in candidates where !truthUsed[c.truth] && !detectedUsed[c.detected] {
            truthUsed[c.truth] = true
            detectedUsed[c.detected] = true
            matched += 1
        }
        var ignored = 0, falsePositives = 0
        for (j, d) in detected.enumerated() where !detectedUsed[j] {
            if transitions.contains(where: { $0.reaches(d, widenedBy: tolerance) }) { ignored += 1 } else { falsePositives += 1 }
        }
        self.init(truePositives: matched, falsePositives: falsePositives, falseNegatives: truth.count - matched, ignoredDetections: ignored)
    }

    public var precision: Double { ratio(truePositives, of: truePositives + falsePositives) }
    public var recall: Double { ratio(truePositives, of: truePositives + falseNegatives) }
    public var f1: Double { harmonicMean(precision, recall) }

    /// Micro-average: the counts summed.
    public static func + (a: BoundaryScore, b: BoundaryScore) -> BoundaryScore {
        BoundaryScore(truePositives: a.truePositives + b.truePositives, falsePositives: a.falsePositives + b.falsePositives,
                      falseNegatives: a.falseNegatives + b.falseNegatives, ignoredDetections: a.ignoredDetections + b.ignoredDetections)
    }

    public static let zero = BoundaryScore(truePositives: 0, falsePositives: 0, falseNegatives: 0)
}

/// How well the content clusters of sampled frames agree with the true content groups, by pairs of
/// frames.
///
/// From the contingency table `n_ij` (frames in cluster i and group j) with row sums `a_i`, column
/// sums `b_j` and `n` frames, in O(n + cells), never over all pairs:
/// - pairs in both the same cluster and the same group `Σ C(n_ij, 2)`, in the same cluster
///   `Σ C(a_i, 2)`, in the same group `Σ C(b_j, 2)`;
/// - pairwise precision = both / same cluster, recall = both / same group, F1 their harmonic mean
///   (an empty denominator gives 1, as for ``BoundaryScore``);
/// - the adjusted Rand index (Hubert & Arabie 1985): `(index − expected) / (max − expected)` with
///   `index = Σ C(n_ij, 2)`, `expected = Σ C(a_i, 2) · Σ C(b_j, 2) / C(n, 2)` and
///   `max = (Σ C(a_i, 2) + Σ C(b_j, 2)) / 2`; 1 when `max = expected` (fewer than two frames, or both
///   partitions all singletons or both one block: identical partitions), as scikit-learn's
///   `adjusted_rand_score` does.
///
/// Sums (``+``) pool the pair counts of several clips: pairs are only ever formed within a clip, and
/// the pooled ARI is the ARI of all the clips' frames as one set in which clusters and groups never
/// span two clips.
public struct ClusterAgreement: Sendable, Equatable {
    /// Frames scored.
    public var frames: Int = 0
    /// Frames left out because they lie in a labelled transition.
    public var framesInTransitions: Int = 0
    /// Frames left out because they lie in no shot (a gap in the truth, or past its end).
    public var framesOutsideShots: Int = 0
    /// Scored frames without a cluster (framededupe's transition frames outside a labelled transition),
    /// each counted as a cluster of its own.
    public var unclusteredFrames: Int = 0
    /// Clusters among the scored frames (each unclustered frame counted as one).
    public var clusters: Int = 0
    /// Content groups among the scored frames.
    public var groups: Int = 0
    public var pairsInSameCluster: Int = 0
    public var pairsInSameGroup: Int = 0
    public var pairsInBoth: Int = 0

    public init() {}

    /// Agreement of a predicted clustering with true groups, frame by frame.
    /// - Parameters:
    ///   - clusters: each frame's cluster; nil is a singleton cluster of its own.
    ///   - groups: each frame's true group (same count as `clusters`).
    public init(clusters: [Int?], groups: [Int]) {
        precondition(clusters.count == groups.count, "one group per frame")
        struct Cell: Hashable { let cluster: Int, group: Int }
        var cells: [Cell: Int] = [:], clusterSizes: [Int: Int] = [:], groupSizes: [Int: Int] = [:]
        for (cluster, group) in zip(clusters, groups) {
            groupSizes[group, default: 0] += 1
            // A nil cluster is a singleton: it adds no pair to its row or cell.
            guard let cluster else { unclusteredFrames += 1; continue }
            clusterSizes[cluster, default: 0] += 1
            cells[Cell(cluster: cluster, group: group), default: 0] += 1
        }
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        frames = clusters.count
        self.clusters = clusterSizes.count + unclusteredFrames
        self.groups = groupSizes.count
        pairsInBoth = cells.values.reduce(0) { $0 + pairs($1) }
        pairsInSameCluster = clusterSizes.values.reduce(0) { $0 + pairs($1) }
        pairsInSameGroup = groupSizes.values.reduce(0) { $0 + pairs($1) }
    }

    /// Agreement of a result's sampled frames with a truth's content groups.
    ///
    /// Frames in a labelled transition (``GroundTruth/Transition/contains(_:)``) and frames in no shot are left out (and
    /// counted); every other frame's group is the content of the shot holding its time; a frame
    /// without a cluster counts as its own singleton cluster, so nulling frames cannot hide a mistake.
    public init(truth: GroundTruth, frames: [ClipResult.Frame]) {
        var clusters: [Int?] = [], groups: [Int] = []
        var inTransitions = 0, outside = 0
        for frame in frames {
            if truth.isInTransition(frame.time) { inTransitions += 1; continue }
            guard let shot = truth.shot(at: frame.time) else { outside += 1; continue }
            clusters.append(frame.cluster)
            groups.append(shot.content)
        }
        self.init(clusters: clusters, groups: groups)
        framesInTransitions = inTransitions
        framesOutsideShots = outside
    }

    public var precision: Double { ratio(pairsInBoth, of: pairsInSameCluster) }
    public var recall: Double { ratio(pairsInBoth, of: pairsInSameGroup) }
    public var f1: Double { harmonicMean(precision, recall) }

    /// The adjusted Rand index, −0.5 to 1 (1: identical partitions; about 0: chance agreement).
    public var adjustedRandIndex: Double {
        let n = Double(frames)
        let all = n * (n - 1) / 2
        let sameCluster = Double(pairsInSameCluster), sameGroup = Double(pairsInSameGroup)
        guard all > 0 else { return 1 }
        let expected = sameCluster * sameGroup / all
        let maximum = (sameCluster + sameGroup) / 2
        guard maximum != expected else { return 1 }
        return (Double(pairsInBoth) - expected) / (maximum - expected)
    }

    /// Pooled: every count summed (see the type's discussion for what the pooled ARI means).
    public static func + (a: ClusterAgreement, b: ClusterAgreement) -> ClusterAgreement {
        var s = ClusterAgreement()
        s.frames = a.frames + b.frames
        s.framesInTransitions = a.framesInTransitions + b.framesInTransitions
        s.framesOutsideShots = a.framesOutsideShots + b.framesOutsideShots
        s.unclusteredFrames = a.unclusteredFrames + b.unclusteredFrames
        s.clusters = a.clusters + b.clusters
        s.groups = a.groups + b.groups
        s.pairsInSameCluster = a.pairsInSameCluster + b.pairsInSameCluster
        s.pairsInSameGroup = a.pairsInSameGroup + b.pairsInSameGroup
        s.pairsInBoth = a.pairsInBoth + b.pairsInBoth
        return s
    }
}

/// How well the exemplars (the images in `unique/`) cover the clip's content groups, and how many
/// are surplus.
///
/// An exemplar covers the content group of the shot holding its time; one inside a labelled
/// transition (``GroundTruth/Transition/contains(_:)``) or in no shot covers nothing. Coverage = groups covered / groups of the
/// clip; redundancy = (exemplars − groups covered) / exemplars, i.e. every exemplar beyond the first of
/// its group, and every exemplar that covers nothing, is redundant (0 when there are no exemplars).
/// Sums (``+``) pool the counts: covered / groups and redundant / exemplars over all clips.
public struct ExemplarScore: Sendable, Equatable {
    public var exemplars: Int
    public var groups: Int
    public var coveredGroups: Int
    /// Content groups no exemplar covers, ascending (empty in sums).
    public var uncoveredGroups: [Int]

    public init(exemplars: Int, groups: Int, coveredGroups: Int, uncoveredGroups: [Int] = []) {
        self.exemplars = exemplars
        self.groups = groups
        self.coveredGroups = coveredGroups
        self.uncoveredGroups = uncoveredGroups
    }

    /// Scores exemplars at `exemplarTimes` (seconds) against `truth`.
    public init(truth: GroundTruth, exemplarTimes: [Double]) {
        var covered = Set<Int>()
        for time in exemplarTimes where !truth.isInTransition(time) {
            if let shot = truth.shot(at: time) { covered.insert(shot.content) }
        }
        let groups = truth.contentGroups
        self.init(exemplars: exemplarTimes.count, groups: groups.count, coveredGroups: covered.count,
                  uncoveredGroups: groups.filter { !covered.contains($0) })
    }

    public var redundant: Int { exemplars - coveredGroups }
    /// Groups covered / groups (1 when there are no groups).
    public var coverage: Double { ratio(coveredGroups, of: groups) }
    /// Redundant / exemplars (0 when there are no exemplars).
    public var redundancy: Double { exemplars == 0 ? 0 : Double(redundant) / Double(exemplars) }

    /// Pooled: counts summed.
    public static func + (a: ExemplarScore, b: ExemplarScore) -> ExemplarScore {
        ExemplarScore(exemplars: a.exemplars + b.exemplars, groups: a.groups + b.groups, coveredGroups: a.coveredGroups + b.coveredGroups)
    }

    public static let zero = ExemplarScore(exemplars: 0, groups: 0, coveredGroups: 0)
}

// MARK: - Clips and totals

/// Every score of one clip.
public struct ClipEvaluation: Sendable, Equatable {
    /// The clip's name (the truth's `clip`, else the truth file's name).
    public var clip: String
    public var boundaries: BoundaryScore
    public var clusters: ClusterAgreement
    public var exemplars: ExemplarScore
    /// The typed transitions against the truth's events; nil when the truth has none.
    public var transitions: TransitionScore?
    /// The boundary tolerance this clip was scored with, seconds.
    public var tolerance: Double

    /// Scores one clip; `tolerance` in seconds (``Evaluation/tolerance(frames:truth:)`` turns frames into this clip's seconds).
    public init(clip: String, truth: GroundTruth, result: ClipResult, tolerance: Double) {
        self.clip = clip
        self.tolerance = tolerance
        boundaries = BoundaryScore(truth: truth.boundaries, detected: result.boundaries, transitions: truth.transitions, tolerance: tolerance)
        clusters = ClusterAgreement(truth: truth, frames: result.frames)
        exemplars = ExemplarScore(truth: truth, exemplarTimes: result.exemplarTimes)
        transitions = truth.events.isEmpty ? nil
            : TransitionScore(events: truth.events, fps: truth.fps, detected: result.transitions, tolerance: tolerance)
    }
}

/// The scores of a set of clips and their totals.
///
/// Totals: boundaries micro-averaged (TP, FP, FN summed); cluster pairs summed for pairwise
/// precision, recall and F1; the ARI, coverage and redundancy both pooled (ARI over all clips'
/// frames as one set; covered groups / groups and redundant / exemplars summed over clips) and as the
/// unweighted mean over clips.
public struct Evaluation: Sendable, Equatable {
    /// Slack in every comparison of times, in seconds: scenes.json and truth files carry 6 decimals.
    public static let timeSlack = 1e-6
    /// The default boundary tolerance, seconds.
    public static let defaultTolerance = 0.5
    public static let reportVersion = 1

    /// Boundary tolerance, seconds (with ``toleranceFrames``: the largest clip's, for the record).
    public var tolerance: Double
    /// The tolerance in frames of each clip's frame rate, when it was given so (`eval --tolerance-frames`).
    public var toleranceFrames: Double?
    public var clips: [ClipEvaluation]
    /// Clips left out because their result folder was missing.
    public var skipped: [String]

    public init(tolerance: Double, toleranceFrames: Double? = nil, clips: [ClipEvaluation], skipped: [String] = []) {
        self.tolerance = tolerance
        self.toleranceFrames = toleranceFrames
        self.clips = clips
        self.skipped = skipped
    }

    /// A tolerance of `frames` frames of `truth`'s frame rate, in seconds, plus the time slack.
    /// - Throws: ``EvaluationInputError`` naming `name` when the truth has no `fps`.
    public static func tolerance(frames: Double, truth: GroundTruth, name: String) throws(EvaluationInputError) -> Double {
        guard let fps = truth.fps else {
            throw EvaluationInputError(path: name, reason: "fps: missing (variable frame rate?): a tolerance in frames needs the clip's frame rate; give --tolerance in seconds for such clips")
        }
        return frames / fps
    }

    /// The typed transitions of every clip whose truth has events, pooled; nil when none has.
    public var transitions: TransitionScore? {
        let scored = clips.compactMap(\.transitions)
        return scored.isEmpty ? nil : scored.reduce(TransitionScore(), +)
    }

    public var boundaries: BoundaryScore { clips.reduce(.zero) { $0 + $1.boundaries } }
    public var clusters: ClusterAgreement { clips.reduce(ClusterAgreement()) { $0 + $1.clusters } }
    public var exemplars: ExemplarScore { clips.reduce(.zero) { $0 + $1.exemplars } }
    /// Mean over clips (nil without clips).
    public var meanAdjustedRandIndex: Double? { mean(\.clusters.adjustedRandIndex) }
    public var meanCoverage: Double? { mean(\.exemplars.coverage) }
    public var meanRedundancy: Double? { mean(\.exemplars.redundancy) }

    private func mean(_ value: KeyPath<ClipEvaluation, Double>) -> Double? {
        clips.isEmpty ? nil : clips.reduce(0) { $0 + $1[keyPath: value] } / Double(clips.count)
    }

    /// The report (version 1): `{"version": 1, "tolerance", "clips": [...], "skipped": [...], "total": {...}}`,
    /// every count and ratio of every clip, and the totals with their kind of average in the key names.
    public func reportJSON() -> String {
        func score(_ v: Double) -> JSONValue { .number(v, decimals: 6) }
        func boundaryMembers(_ b: BoundaryScore) -> [(String, JSONValue)] {
            [("true", .int(b.truePositives + b.falseNegatives)), ("detected", .int(b.truePositives + b.falsePositives + b.ignoredDetections)),
             ("true_positives", .int(b.truePositives)), ("false_positives", .int(b.falsePositives)),
             ("false_negatives", .int(b.falseNegatives)), ("ignored_detections", .int(b.ignoredDetections)),
             ("precision", score(b.precision)), ("recall", score(b.recall)), ("f1", score(b.f1))]
        }
        func clusterMembers(_ c: ClusterAgreement) -> [(String, JSONValue)] {
            [("frames", .int(c.frames)), ("frames_in_transitions", .int(c.framesInTransitions)),
             ("frames_outside_shots", .int(c.framesOutsideShots)), ("unclustered_frames", .int(c.unclusteredFrames)),
             ("clusters", .int(c.clusters)), ("groups", .int(c.groups)),
             ("pairs_same_cluster", .int(c.pairsInSameCluster)), ("pairs_same_group", .int(c.pairsInSameGroup)),
             ("pairs_both", .int(c.pairsInBoth)),
             ("precision", score(c.precision)), ("recall", score(c.recall)), ("f1", score(c.f1))]
        }
        func exemplarMembers(_ e: ExemplarScore) -> [(String, JSONValue)] {
            [("exemplars", .int(e.exemplars)), ("groups", .int(e.groups)), ("covered_groups", .int(e.coveredGroups)),
             ("redundant", .int(e.redundant))]
        }
        func transitionMembers(_ t: TransitionScore) -> [(String, JSONValue)] {
            TransitionKind.allCases.map { kind in
                let c = t[kind]
                return (kind.rawValue, .object([
                    ("labelled", .int(c.labelled)), ("found", .int(c.found)), ("mistyped", .int(c.mistyped)),
                    ("missed", .int(c.missed)), ("false", .int(c.falseDetections)),
                    ("detected_for_other_kinds", .int(c.detectedForOtherKinds)),
                    ("precision", score(c.precision)), ("recall", score(c.recall)),
                    ("median_start_error", .optional(c.medianStartError)), ("median_end_error", .optional(c.medianEndError)),
                ]))
            } + [("confusions", .object(t.confusions.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))]
        }
        let clipValues: [JSONValue] = clips.map { clip in
            .object([
                ("clip", .string(clip.clip)),
                ("tolerance", .seconds(clip.tolerance)),
                ("transitions", clip.transitions.map { .object(transitionMembers($0)) } ?? .null),
                ("boundaries", .object(boundaryMembers(clip.boundaries))),
                ("clusters", .object(clusterMembers(clip.clusters) + [("adjusted_rand_index", score(clip.clusters.adjustedRandIndex))])),
                ("exemplars", .object(exemplarMembers(clip.exemplars) + [
                    ("uncovered_groups", .array(clip.exemplars.uncoveredGroups.map { .int($0) })),
                    ("coverage", score(clip.exemplars.coverage)), ("redundancy", score(clip.exemplars.redundancy)),
                ])),
            ])
        }
        let pooled = self.clusters, covered = self.exemplars
        let root: JSONValue = .object([
            ("version", .int(Evaluation.reportVersion)),
            ("tolerance", .seconds(tolerance)),
            ("tolerance_frames", .optional(toleranceFrames)),
            ("clips", .array(clipValues)),
            ("skipped", .array(skipped.map { .string($0) })),
            ("total", .object([
                ("clips", .int(clips.count)),
                ("averaging", .object([
                    ("boundaries", .string("micro: true/false positives and false negatives summed over clips")),
                    ("clusters", .string("pair counts summed over clips; adjusted_rand_index_pooled over all clips' frames as one set, _mean over clips")),
                    ("exemplars", .string("_pooled: covered groups / groups and redundant / exemplars summed over clips; _mean: mean over clips")),
                ])),
                ("boundaries", .object(boundaryMembers(self.boundaries))),
                ("clusters", .object(clusterMembers(pooled) + [
                    ("adjusted_rand_index_pooled", score(pooled.adjustedRandIndex)),
                    ("adjusted_rand_index_mean", .optional(meanAdjustedRandIndex)),
                ])),
                ("exemplars", .object(exemplarMembers(covered) + [
                    ("coverage_pooled", score(covered.coverage)), ("coverage_mean", .optional(meanCoverage)),
                    ("redundancy_pooled", score(covered.redundancy)), ("redundancy_mean", .optional(meanRedundancy)),
                ])),
                ("transitions", transitions.map { .object(transitionMembers($0)) } ?? .null),
            ])),
        ])
        return root.serialized() + "\n"
    }
}

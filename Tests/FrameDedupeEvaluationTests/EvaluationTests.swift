import Foundation
import FrameDedupe
import FrameDedupeEvaluation
import Testing
import _FrameDedupeTestSupport

/// `framededupe eval`'s scores on tiny hand-made truths and results: every expected value is worked out
/// by hand in the comments.
@Suite("Evaluation against ground truth", .temporaryFolders)
struct EvaluationTests {
    /// Equal within floating-point rounding.
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    // MARK: Scene boundaries

    @Test func boundariesMatchWithinTheToleranceInclusive() {
        // Truth 2.0, 5.0, 8.0; detected 2.5 (exactly +0.5: matches), 5.6 (0.6 off: no), 7.9 (matches 8.0).
        // TP 2, FP 1 (5.6), FN 1 (5.0): P = 2/3, R = 2/3, F1 = 2/3.
        let s = BoundaryScore(truth: [2, 5, 8], detected: [2.5, 5.6, 7.9], transitions: [], tolerance: 0.5)
        #expect(s == BoundaryScore(truePositives: 2, falsePositives: 1, falseNegatives: 1))
        #expect(close(s.precision, 2.0 / 3) && close(s.recall, 2.0 / 3) && close(s.f1, 2.0 / 3))
        // 2.98 − 2.48 is 0.5000000000000002 in binary floating point: still "within 0.5" (1 µs of slack).
        #expect(BoundaryScore(truth: [2.48], detected: [2.98], transitions: [], tolerance: 0.5).truePositives == 1)
        // 0.501 off is out of reach: TP 0, FP 1, FN 1 → P = R = F1 = 0.
        let miss = BoundaryScore(truth: [2], detected: [2.501], transitions: [], tolerance: 0.5)
        #expect(miss == BoundaryScore(truePositives: 0, falsePositives: 1, falseNegatives: 1))
        #expect(miss.precision == 0 && miss.recall == 0 && miss.f1 == 0)
        // Tolerance 0: only the exact time.
        #expect(BoundaryScore(truth: [3], detected: [3], transitions: [], tolerance: 0).truePositives == 1)
        #expect(BoundaryScore(truth: [3], detected: [3.04], transitions: [], tolerance: 0).truePositives == 0)
    }

    @Test func matchingIsOneToOneClosestFirst() {
        // Truth 3.0 and 3.4, one detection at 3.3: 3.4 is closer (0.1 < 0.3), so it takes the detection and
        // 3.0 is missed. TP 1, FP 0, FN 1: P = 1, R = 1/2, F1 = 2·1·0.5/1.5 = 2/3.
        let s = BoundaryScore(truth: [3.4, 3.0], detected: [3.3], transitions: [], tolerance: 0.5)
        #expect(s == BoundaryScore(truePositives: 1, falsePositives: 0, falseNegatives: 1))
        #expect(close(s.f1, 2.0 / 3))
        // Two detections near one true boundary 4.0: 4.1 (0.1 off) matches, 3.8 is a false positive.
        // TP 1, FP 1, FN 0: P = 1/2, R = 1, F1 = 2/3.
        let twice = BoundaryScore(truth: [4], detected: [3.8, 4.1], transitions: [], tolerance: 0.5)
        #expect(twice == BoundaryScore(truePositives: 1, falsePositives: 1, falseNegatives: 0))
        #expect(close(twice.precision, 0.5) && twice.recall == 1 && close(twice.f1, 2.0 / 3))
    }

    @Test func boundariesInsideTransitions() {
        // A fade [3.24, 5.76] with the true boundary at its middle, 4.5; tolerance 0.5 widens it to [2.74, 6.26].
        let fade = [GroundTruth.Transition(start: 3.24, end: 5.76)]
        // 2.8 is 1.7 s from 4.5 but inside the widened fade: TP 1.
        #expect(BoundaryScore(truth: [4.5], detected: [2.8], transitions: fade, tolerance: 0.5)
                == BoundaryScore(truePositives: 1, falsePositives: 0, falseNegatives: 0))
        // 2.9 and 6.2: 2.9 is closer to 4.5 (1.6 < 1.7) and matches; 6.2, unmatched but inside the widened fade,
        // is ignored, not false. TP 1, FP 0, FN 0, ignored 1: P = R = F1 = 1.
        let both = BoundaryScore(truth: [4.5], detected: [2.9, 6.2], transitions: fade, tolerance: 0.5)
        #expect(both == BoundaryScore(truePositives: 1, falsePositives: 0, falseNegatives: 0, ignoredDetections: 1))
        #expect(both.f1 == 1)
        // 6.3 is outside the widened fade (6.26): TP 0, FP 1, FN 1.
        #expect(BoundaryScore(truth: [4.5], detected: [6.3], transitions: fade, tolerance: 0.5)
                == BoundaryScore(truePositives: 0, falsePositives: 1, falseNegatives: 1))
        // Truth 1.0 and 4.5, detected 1.0, 3.0, 8.0: 1.0 ↔ 1.0, 4.5 ↔ 3.0 (in the widened fade), 8.0 is false.
        // TP 2, FP 1, FN 0: P = 2/3, R = 1, F1 = 2·(2/3)/(5/3) = 0.8.
        let s = BoundaryScore(truth: [1, 4.5], detected: [1, 3, 8], transitions: fade, tolerance: 0.5)
        #expect(s == BoundaryScore(truePositives: 2, falsePositives: 1, falseNegatives: 0))
        #expect(close(s.f1, 0.8))
        // A true boundary outside the transition keeps the plain tolerance: 1.0 does not reach 2.8, which, inside
        // the fade, is ignored rather than false. TP 0, FP 0, FN 1, ignored 1.
        #expect(BoundaryScore(truth: [1], detected: [2.8], transitions: fade, tolerance: 0.5)
                == BoundaryScore(truePositives: 0, falsePositives: 0, falseNegatives: 1, ignoredDetections: 1))
    }

    @Test func emptySetsFollowTheStatedConventions() {
        // Nothing to find and nothing claimed: P = R = F1 = 1.
        let none = BoundaryScore(truth: [], detected: [], transitions: [], tolerance: 0.5)
        #expect(none.precision == 1 && none.recall == 1 && none.f1 == 1)
        // Something to find, nothing claimed: P = 1 (no false claim), R = 0, F1 = 0.
        let silent = BoundaryScore(truth: [1], detected: [], transitions: [], tolerance: 0.5)
        #expect(silent.precision == 1 && silent.recall == 0 && silent.f1 == 0)
        // Nothing to find, one false claim: P = 0, R = 1, F1 = 0.
        let eager = BoundaryScore(truth: [], detected: [1], transitions: [], tolerance: 0.5)
        #expect(eager.precision == 0 && eager.recall == 1 && eager.f1 == 0)
    }

    @Test func totalsAreMicroAveraged() {
        // (TP 2, FP 1, FN 1) + (TP 0, FP 0, FN 3) = (TP 2, FP 1, FN 4): P = 2/3, R = 2/6 = 1/3,
        // F1 = 2·(2/3)(1/3) / (2/3 + 1/3) = 4/9. (The mean of the clips' F1s would be (2/3 + 0)/2 = 1/3.)
        let sum = BoundaryScore(truePositives: 2, falsePositives: 1, falseNegatives: 1) + BoundaryScore(truePositives: 0, falsePositives: 0, falseNegatives: 3)
        #expect(sum == BoundaryScore(truePositives: 2, falsePositives: 1, falseNegatives: 4))
        #expect(close(sum.precision, 2.0 / 3) && close(sum.recall, 1.0 / 3) && close(sum.f1, 4.0 / 9))
    }

    // MARK: Content clusters

    @Test func pairCountsAndAdjustedRandIndexByHand() {
        // Six frames, clusters 0 0 0 1 1 1, groups 0 0 1 1 1 1.
        // Contingency: (c0,g0) = 2, (c0,g1) = 1, (c1,g1) = 3; cluster sizes 3, 3; group sizes 2, 4.
        // Pairs in both: C(2,2) + C(1,2) + C(3,2) = 1 + 0 + 3 = 4; same cluster: 3 + 3 = 6; same group: 1 + 6 = 7.
        // P = 4/6, R = 4/7, F1 = 2·4 / (6 + 7) = 8/13.
        // ARI: C(6,2) = 15 pairs; expected = 6·7/15 = 2.8; max = (6 + 7)/2 = 6.5;
        // (4 − 2.8) / (6.5 − 2.8) = 1.2/3.7 = 12/37 = 0.324324… (scikit-learn agrees: 0.32432432432432434).
        let a = ClusterAgreement(clusters: [0, 0, 0, 1, 1, 1], groups: [0, 0, 1, 1, 1, 1])
        #expect(a.frames == 6 && a.clusters == 2 && a.groups == 2)
        #expect(a.pairsInBoth == 4 && a.pairsInSameCluster == 6 && a.pairsInSameGroup == 7)
        #expect(close(a.precision, 4.0 / 6) && close(a.recall, 4.0 / 7) && close(a.f1, 8.0 / 13))
        #expect(close(a.adjustedRandIndex, 12.0 / 37))
    }

    @Test func adjustedRandIndexAgreesWithScikitLearn() {
        // 20 frames drawn with Python's random.Random(6) (truth: randrange(4), prediction: randrange(5)), and
        // the value computed once with scikit-learn 1.9.1 (Python 3.11.7):
        //   from sklearn.metrics import adjusted_rand_score
        //   adjusted_rand_score(truth, prediction)  # -0.1071490694033745
        // A negative ARI: worse than chance.
        let truth = [0, 3, 2, 0, 0, 1, 3, 2, 2, 0, 2, 3, 1, 3, 0, 1, 2, 0, 3, 2]
        let prediction: [Int?] = [0, 2, 3, 2, 3, 0, 1, 2, 0, 0, 4, 1, 2, 3, 1, 4, 4, 4, 0, 2]
        let a = ClusterAgreement(clusters: prediction, groups: truth)
        #expect(abs(a.adjustedRandIndex - -0.1071490694033745) < 1e-12)
    }

    @Test func unclusteredFramesAreSingletonsAndIdenticalPartitionsScoreOne() {
        // Three frames of one group with no cluster: three singleton clusters. Same cluster 0 pairs, same group
        // C(3,2) = 3, both 0: P = 1 (nothing claimed), R = 0, F1 = 0. ARI: expected = 0·3/3 = 0, max = 1.5,
        // (0 − 0)/1.5 = 0. Nulling frames does not escape the score.
        let nulled = ClusterAgreement(clusters: [nil, nil, nil], groups: [7, 7, 7])
        #expect(nulled.unclusteredFrames == 3 && nulled.clusters == 3)
        #expect(nulled.precision == 1 && nulled.recall == 0 && nulled.f1 == 0 && nulled.adjustedRandIndex == 0)
        // The same frames in one cluster: 3 pairs everywhere; expected = 3·3/3 = 3 = max: identical partitions, ARI 1.
        let together = ClusterAgreement(clusters: [4, 4, 4], groups: [7, 7, 7])
        #expect(together.f1 == 1 && together.adjustedRandIndex == 1)
        // All singletons on both sides (no pairs anywhere), and a single frame: identical, ARI 1, P = R = F1 = 1.
        let singletons = ClusterAgreement(clusters: [0, 1, 2], groups: [0, 1, 2])
        #expect(singletons.adjustedRandIndex == 1 && singletons.f1 == 1)
        #expect(ClusterAgreement(clusters: [0], groups: [0]).adjustedRandIndex == 1)
    }

    /// Shots [0,2) group 0, [2,4) group 1, [4,6] group 0; a labelled transition from 1.8 to 2.2 (its frames: 1.8 ≤ t < 2.2).
    let threeShots = GroundTruth(
        clip: "abc.mp4",
        shots: [.init(start: 0, end: 2, content: 0), .init(start: 2, end: 4, content: 1), .init(start: 4, end: 6, content: 0)],
        transitions: [.init(start: 1.8, end: 2.2)])

    @Test func framesAreGroupedByTheShotHoldingThem() {
        let frames: [ClipResult.Frame] = [
            .init(time: 0, cluster: 0), .init(time: 1, cluster: 0),
            .init(time: 1.8, cluster: nil),  // in the transition (its start): left out
            .init(time: 2.1, cluster: 5),  // in the transition: left out
            .init(time: 3, cluster: 1),
            .init(time: 3.9, cluster: nil),  // no cluster outside a transition: a singleton, group 1
            .init(time: 4, cluster: 0),  // a boundary time belongs to the later shot: group 0
            .init(time: 5, cluster: 1),  // wrong: group 0
            .init(time: 6, cluster: 0),  // the last shot holds its end: group 0
            .init(time: 6.5, cluster: 0),  // in no shot: left out
        ]
        // Scored (cluster, group): (0,0) (0,0) (1,1) (nil,1) (0,0) (1,0) (0,0): 7 frames.
        // Clusters: c0 = 4 frames, c1 = 2, one singleton → 3 clusters; groups: g0 = 5, g1 = 2.
        // Cells: (c0,g0) = 4, (c1,g1) = 1, (c1,g0) = 1. Both: C(4,2) = 6; same cluster: 6 + 1 = 7;
        // same group: C(5,2) + C(2,2) = 10 + 1 = 11. P = 6/7, R = 6/11, F1 = 12/18 = 2/3.
        // ARI: C(7,2) = 21; expected = 7·11/21 = 11/3; max = 9; (6 − 11/3)/(9 − 11/3) = (7/3)/(16/3) = 7/16
        // (scikit-learn: adjusted_rand_score([0,0,1,1,0,0,0], [0,0,1,9,0,1,0]) = 0.4375).
        let a = ClusterAgreement(truth: threeShots, frames: frames)
        #expect(a.frames == 7 && a.framesInTransitions == 2 && a.framesOutsideShots == 1 && a.unclusteredFrames == 1)
        #expect(a.clusters == 3 && a.groups == 2)
        #expect(a.pairsInBoth == 6 && a.pairsInSameCluster == 7 && a.pairsInSameGroup == 11)
        #expect(close(a.precision, 6.0 / 7) && close(a.recall, 6.0 / 11) && close(a.f1, 2.0 / 3))
        #expect(close(a.adjustedRandIndex, 7.0 / 16))
    }

    // MARK: Exemplars

    @Test func coverageAndRedundancy() {
        // Shots [0,2) g0, [2,4) g1, [4,6) g0, [6,8] g2; a transition [3.5, 4.5].
        let truth = GroundTruth(
            shots: [.init(start: 0, end: 2, content: 0), .init(start: 2, end: 4, content: 1),
                    .init(start: 4, end: 6, content: 0), .init(start: 6, end: 8, content: 2)],
            transitions: [.init(start: 3.5, end: 4.5)])
        // 1.0 covers g0; 2.0 (a boundary: the later shot) covers g1; 5.0 is g0 again; 4.2 is in the transition
        // and 9.0 in no shot: they cover nothing. 5 exemplars, 2 of 3 groups covered (g2 is not):
        // coverage 2/3; redundant 5 − 2 = 3, redundancy 3/5.
        let s = ExemplarScore(truth: truth, exemplarTimes: [1, 5, 4.2, 9, 2])
        #expect(s == ExemplarScore(exemplars: 5, groups: 3, coveredGroups: 2, uncoveredGroups: [2]))
        #expect(s.redundant == 3 && close(s.coverage, 2.0 / 3) && close(s.redundancy, 0.6))
        // One exemplar per group: coverage 1, redundancy 0. None: coverage 0, redundancy 0 (no exemplars).
        let perfect = ExemplarScore(truth: truth, exemplarTimes: [0.5, 3, 7])
        #expect(perfect.coverage == 1 && perfect.redundancy == 0)
        // A transition's frames are start ≤ t < end: 3.5 covers nothing, 4.5 (the first clean frame after it) covers g0.
        #expect(ExemplarScore(truth: truth, exemplarTimes: [3.5]).coveredGroups == 0)
        #expect(ExemplarScore(truth: truth, exemplarTimes: [4.5]) == ExemplarScore(exemplars: 1, groups: 3, coveredGroups: 1, uncoveredGroups: [1, 2]))
        let empty = ExemplarScore(truth: truth, exemplarTimes: [])
        #expect(empty.coverage == 0 && empty.redundancy == 0 && empty.uncoveredGroups == [0, 1, 2])
    }

    @Test func exemplarTimesFromEveryKeepModesNames() {
        // The names Pipeline.swift gives unique/ images: --keep cluster and --keep diverse ("cluster-%04d_t%010.3f."),
        // --keep scene ("scene-%04d_t%010.3f."), jpg or png.
        #expect(ClipResult.exemplarTime(fileName: String(format: "cluster-%04d_t%010.3f.", 3, 12.52) + "jpg") == 12.52)
        #expect(ClipResult.exemplarTime(fileName: String(format: "scene-%04d_t%010.3f.", 7, 0.0) + "png") == 0)
        #expect(ClipResult.exemplarTime(fileName: "cluster-0003_t000012.520.jpg") == 12.52)
        #expect(ClipResult.exemplarTime(fileName: "cluster-12345_t1234567.250.jpg") == 1_234_567.25)
        for bad in ["notes.txt", "cluster-0001_t.jpg", "cluster-0001_t12a.jpg", "cluster-0001.jpg", "t000001.000"] {
            #expect(ClipResult.exemplarTime(fileName: bad) == nil, "\(bad)")
        }
    }

    // MARK: Typed transitions

    @Test func transitionsAreMatchedByKindWithTheirErrors() {
        // 25 fps. Events: a cut at 2.0; a dissolve 4.04–4.96 (its end, the first frame after it, 5.0); a flash
        // 7.0–7.08 (end 7.12); a fade 9.0–9.96 (end 10.0).
        let events: [GroundTruth.Event] = [
            .init(kind: .cut, first: 2, last: 2), .init(kind: .dissolve, first: 4.04, last: 4.96),
            .init(kind: .flash, first: 7, last: 7.08), .init(kind: .fade, first: 9, last: 9.96),
        ]
        // Detected: the cut one frame late (2.04: within 0.05); the dissolve 4.08–5.0 (start error 0.04, end 0);
        // a cut at 7.04 where the flash is (reaches it: mistyped flash→cut); nothing at the fade (missed); a flash at
        // 12 matching nothing (false).
        let detected = [
            Transition(kind: .cut, start: 2.04, end: 2.04, before: 0, after: 1),
            Transition(kind: .dissolve, start: 4.08, end: 5.0, before: 1, after: 2),
            Transition(kind: .cut, start: 7.04, end: 7.04, before: 2, after: 3),
            Transition(kind: .flash, start: 12, end: 12.08, before: 3, after: 3),
        ]
        let t = TransitionScore(events: events, fps: 25, detected: detected, tolerance: 0.05)
        #expect(t[.cut].labelled == 1 && t[.cut].found == 1 && t[.cut].detectedForOtherKinds == 1)
        #expect(close(t[.cut].medianStartError!, 0.04) && close(t[.cut].medianEndError!, 0.04))
        #expect(t[.dissolve].found == 1 && close(t[.dissolve].medianStartError!, 0.04) && close(t[.dissolve].medianEndError!, 0))
        #expect(t[.flash].labelled == 1 && t[.flash].mistyped == 1 && t[.flash].found == 0 && t[.flash].falseDetections == 1)
        #expect(t[.fade].labelled == 1 && t[.fade].missed == 1)
        #expect(t.confusions == ["flash→cut": 1])
        // Precision of cuts: 1 found of 2 cut detections (the other was the flash's); flashes 0 of 1.
        #expect(close(t[.cut].precision, 0.5) && close(t[.flash].precision, 0) && close(t[.flash].recall, 0))
        // One frame early or late is within a tolerance of 1 frame (0.04 s), two are not.
        let late = [Transition(kind: .cut, start: 2.08, end: 2.08, before: 0, after: 1)]
        #expect(TransitionScore(events: [events[0]], fps: 25, detected: late, tolerance: 0.04 + 1e-9)[.cut].missed == 1)
        // Pooled: counts add up, errors pool.
        let twice = t + t
        #expect(twice[.cut].found == 2 && twice[.cut].startErrors.count == 2 && twice.confusions == ["flash→cut": 2])
    }

    @Test func toleranceInFramesNeedsTheFrameRate() throws {
        let truth = GroundTruth(shots: [.init(start: 0, end: 1, content: 0)], fps: 24)
        #expect(close(try Evaluation.tolerance(frames: 1, truth: truth, name: "t"), 1.0 / 24))
        #expect(throws: EvaluationInputError.self) {
            try Evaluation.tolerance(frames: 1, truth: GroundTruth(shots: truth.shots), name: "t")
        }
    }

    // MARK: Files

    @Test func truthFileIsReadAndValidated() throws {
        let json = """
            {"version": 1, "clip": "a.mp4", "fps": 25, "sources": [],
             "shots": [{"id": 0, "start": 0.0, "end": 2.48, "content": 0, "transform": "none"},
                       {"id": 1, "start": 2.48, "end": 5, "content": 1}],
             "content_groups": {"0": "x", "1": "y"}}
            """
        let truth = try GroundTruth(json: Data(json.utf8), name: "a.truth.json")
        #expect(truth == GroundTruth(clip: "a.mp4", shots: [.init(start: 0, end: 2.48, content: 0), .init(start: 2.48, end: 5, content: 1)], fps: 25))
        #expect(truth.boundaries == [2.48] && truth.contentGroups == [0, 1])

        let shot = #"{"start": 0, "end": 1, "content": 0}"#
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            (#"{"version": 2, "shots": []}"#, "version 2"),
            (#"{"shots": []}"#, "version: missing"),
            (#"{"version": 1, "shots": []}"#, "shots: empty"),
            (#"{"version": 1, "shots": [\#(shot), {"start": 1, "content": 1}]}"#, "shots[1].end: missing"),
            (#"{"version": 1, "shots": [{"start": 0, "end": 1, "content": "a"}]}"#, "shots[0].content: expected an integer"),
            (#"{"version": 1, "shots": [{"start": 0, "end": 2, "content": 0}, {"start": 1, "end": 3, "content": 1}]}"#, "shots[1]: starts at 1.0, before shots[0] ends"),
            (#"{"version": 1, "shots": [{"start": 2, "end": 1, "content": 0}]}"#, "shots[0]: end (1.0) must be after start (2.0)"),
            (#"{"version": 1, "shots": [\#(shot)], "transitions": [{"start": 3, "end": 2}]}"#, "transitions[0]"),
            (#"{"version": 1, "shots": [\#(shot)], "fps": 0}"#, "fps: must be a positive number"),
            (#"{"version": 1, "shots": [\#(shot)], "events": [{"type": "wipe", "first": 1, "last": 1}]}"#, "events[0].type: \"wipe\""),
            (#"{"version": 1, "shots": [\#(shot)], "events": [{"type": "cut", "first": 2, "last": 1}]}"#, "events[0]: last (1.0) must not be before first (2.0)"),
        ]
        for (text, cause) in cases {
            #expect(throws: EvaluationInputError.self, "\(text)") { try GroundTruth(json: Data(text.utf8), name: "t.json") }
            do {
                _ = try GroundTruth(json: Data(text.utf8), name: "t.json")
            } catch {
                #expect(error.path == "t.json" && error.reason.contains(cause), "\(text): \(error)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func truthFilesOfAFolder() throws {
        let folder = Fixtures.temporaryFolder("eval-truths")
        for name in ["b.mp4.truth.json", "a.mkv.truth.json", ".hidden.truth.json", "index.json"] {
            try Data("{}".utf8).write(to: folder.appendingPathComponent(name))
        }
        #expect(try GroundTruth.files(in: folder).map(\.lastPathComponent) == ["a.mkv.truth.json", "b.mp4.truth.json"])
        let empty = Fixtures.temporaryFolder("eval-no-truths")
        #expect(throws: EvaluationInputError(path: empty.path, reason: "no *.truth.json files")) { try GroundTruth.files(in: empty) }
        let missing = empty.appendingPathComponent("nothing")
        #expect(throws: EvaluationInputError(path: missing.path, reason: "no such folder")) { try GroundTruth.files(in: missing) }
    }

    @Test func resultFolderIsRead() throws {
        let folder = Fixtures.temporaryFolder("eval-result")
        let scenes = """
            {"version": 1, "input": "x.mp4",
             "frames": [{"index": 0, "time": 0, "cluster": 0}, {"index": 1, "time": 2.4804, "cluster": null},
                        {"index": 2, "time": 3, "cluster": 1}],
             "scenes": [{"id": 0, "start": 0}, {"id": 1, "start": 2.4804}, {"id": 2, "start": 3}]}
            """
        try Data(scenes.utf8).write(to: folder.appendingPathComponent("scenes.json"))
        let unique = folder.appendingPathComponent("unique")
        try FileManager.default.createDirectory(at: unique, withIntermediateDirectories: true)
        for name in ["cluster-0000_t000000.000.jpg", "cluster-0001_t000002.480.jpg", "scene-0002_t000007.000.png", ".DS_Store"] {
            try Data().write(to: unique.appendingPathComponent(name))
        }
        let result = try ClipResult(folder: folder)
        #expect(result.sceneStarts == [0, 2.4804, 3] && result.boundaries == [2.4804, 3])
        #expect(result.frames == [.init(time: 0, cluster: 0), .init(time: 2.4804, cluster: nil), .init(time: 3, cluster: 1)])
        // 2.480 in the name is the sampled frame at 2.4804; 7.000 names no sampled frame and is kept as it is.
        #expect(result.exemplarTimes == [0, 2.4804, 7])

        try Data().write(to: unique.appendingPathComponent("notes.txt"))
        #expect(throws: EvaluationInputError(path: unique.appendingPathComponent("notes.txt").path,
                                             reason: "no time in the name (expected a name like cluster-0003_t000012.520.jpg)")) {
            try ClipResult(folder: folder)
        }
        #expect(throws: EvaluationInputError(path: folder.appendingPathComponent("nothing").path, reason: "no such folder")) {
            try ClipResult(folder: folder.appendingPathComponent("nothing"))
        }
        try FileManager.default.removeItem(at: unique)
        #expect(throws: EvaluationInputError.self) { try ClipResult(folder: folder) }
        try Data(#"{"version": 1, "frames": [{"time": 0}]}"#.utf8).write(to: folder.appendingPathComponent("scenes.json"))
        #expect(throws: EvaluationInputError(path: folder.appendingPathComponent("scenes.json").path, reason: "scenes: missing")) {
            try ClipResult(folder: folder)
        }
    }

    // MARK: Totals

    @Test func totalsPoolAndAverageOverClips() throws {
        // Clip 1: the six frames of pairCountsAndAdjustedRandIndexByHand (both 4, same cluster 6, same group 7,
        // ARI 12/37) on a 2-shot truth. Clip 2: framesAreGroupedByTheShotHoldingThem (both 6, same cluster 7,
        // same group 11, ARI 7/16).
        let twoShots = GroundTruth(clip: "two.mp4", shots: [.init(start: 0, end: 2, content: 0), .init(start: 2, end: 6, content: 1)])
        let clip1 = ClipResult(sceneStarts: [0, 2], frames: [0, 1, 2, 3, 4, 5].map { .init(time: Double($0), cluster: $0 < 3 ? 0 : 1) },
                               exemplarTimes: [0.5, 1.5])  // both in group 0: coverage 1/2, redundancy 1/2
        let clip2 = ClipResult(sceneStarts: [0, 2.1, 4, 9], frames: [
            .init(time: 0, cluster: 0), .init(time: 1, cluster: 0), .init(time: 1.8, cluster: nil), .init(time: 2.1, cluster: 5),
            .init(time: 3, cluster: 1), .init(time: 3.9, cluster: nil), .init(time: 4, cluster: 0), .init(time: 5, cluster: 1),
            .init(time: 6, cluster: 0), .init(time: 6.5, cluster: 0),
        ], exemplarTimes: [1, 3])  // both groups: coverage 1, redundancy 0
        let e = Evaluation(tolerance: 0.5, clips: [
            ClipEvaluation(clip: "two.mp4", truth: twoShots, result: clip1, tolerance: 0.5),
            ClipEvaluation(clip: "abc.mp4", truth: threeShots, result: clip2, tolerance: 0.5),
        ])
        // Boundaries: clip 1 truth 2 ↔ 2 (TP 1); clip 2 truth 2 (in [1.8, 2.2]) ↔ 2.1, 4 ↔ 4, 9 false: TP 2, FP 1.
        // Micro: TP 3, FP 1, FN 0: P = 3/4, R = 1, F1 = 6/7.
        #expect(e.boundaries == BoundaryScore(truePositives: 3, falsePositives: 1, falseNegatives: 0))
        #expect(close(e.boundaries.f1, 6.0 / 7))
        // Pairs summed: both 4 + 6 = 10, same cluster 6 + 7 = 13, same group 7 + 11 = 18, 13 frames.
        // Pooled ARI: C(13,2) = 78; expected = 13·18/78 = 3; max = 15.5; (10 − 3)/(15.5 − 3) = 0.56
        // (scikit-learn, the two clips' labels kept apart by an offset of 100: 0.56).
        // Mean ARI: (12/37 + 7/16)/2.
        let c = e.clusters
        #expect(c.pairsInBoth == 10 && c.pairsInSameCluster == 13 && c.pairsInSameGroup == 18 && c.frames == 13)
        #expect(close(c.precision, 10.0 / 13) && close(c.recall, 10.0 / 18))
        #expect(close(c.adjustedRandIndex, 0.56))
        #expect(close(try #require(e.meanAdjustedRandIndex), (12.0 / 37 + 7.0 / 16) / 2))
        // Exemplars pooled: 4 exemplars, 4 groups, 3 covered: coverage 3/4, redundancy 1/4;
        // mean: coverage (1/2 + 1)/2 = 3/4, redundancy (1/2 + 0)/2 = 1/4.
        #expect(e.exemplars == ExemplarScore(exemplars: 4, groups: 4, coveredGroups: 3))
        #expect(close(e.exemplars.coverage, 0.75) && close(e.exemplars.redundancy, 0.25))
        let meanCoverage = try #require(e.meanCoverage), meanRedundancy = try #require(e.meanRedundancy)
        #expect(close(meanCoverage, 0.75) && close(meanRedundancy, 0.25))

        // The report carries the same figures and says how totals are formed.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(e.reportJSON().utf8)) as? [String: Any])
        #expect(report["version"] as? Int == 1 && report["tolerance"] as? Double == 0.5)
        #expect((report["clips"] as? [[String: Any]])?.map { $0["clip"] as? String } == ["two.mp4", "abc.mp4"])
        let total = try #require(report["total"] as? [String: Any])
        let clusters = try #require(total["clusters"] as? [String: Any])
        #expect(clusters["adjusted_rand_index_pooled"] as? Double == 0.56)
        #expect(clusters["adjusted_rand_index_mean"] as? Double == 0.380912)
        #expect((total["boundaries"] as? [String: Any])?["f1"] as? Double == 0.857143)
        #expect(total["averaging"] is [String: String])
    }
}

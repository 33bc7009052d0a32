@testable import FrameDedupe
import Testing

/// The cascade's rule is part of a checkpoint's identity: a run interrupted without it (or with another rule) starts
/// again instead of mixing stand-in embeddings with its own.
@Suite("Checkpoint identity: the cascade and the cut models")
struct NetworkGateTests {
    @Test func theCheckpointIdentityNamesTheRule() {
        var options = DedupeOptions()
        #expect(options.networkFrames == .cascade, "the default: the cascade (issue 19)")
        options.networkFrames = .all
        let all = Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options)
        options.networkFrames = .cascade
        let cascade = Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options)
        #expect(all != cascade && cascade.contains("network frames cascade model") && !all.contains("network frames"))
        options.reader.decode = .keyframes
        #expect(!Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("network frames"), "key frames only: every frame")
        options.reader.decode = .all
        options.scorer = .ssim
        #expect(!Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("network frames"), "no network: nothing to name")
    }

    /// The cut models are named too (a fingerprint of their coefficients): a run interrupted before the models were
    /// refitted starts again rather than mixing the old models' cuts with the new ones'.
    @Test func theCheckpointIdentityNamesTheCutModels() {
        var options = DedupeOptions()
        let both = CutModel.fingerprint(for: .both)
        #expect(both == CutModel.fingerprint(for: .both), "the same coefficients, the same name")
        #expect(Set([both, CutModel.fingerprint(for: .embed), CutModel.fingerprint(for: .ssim)]).count == 3)
        #expect(Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("cut models \(both)"))
        #expect(Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("scene rules \(Checkpoint.sceneRulesRevision)"), "the rules outside the models too")
        options.scorer = .ssim
        #expect(Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("cut models \(CutModel.fingerprint(for: .ssim))"))
    }

    /// The cut rules' recent levels under the cascade: the pairs around frames kept off the network (stand-ins, which
    /// carry the last embedded frame's embedding) take the change across the run, from the last frame measured to the
    /// next frame embedded, over √n for its n pairs, instead of leaving the levels to the open pairs near cuts
    /// (`variants-1080p`, tune: a level of 0.063 where every frame's embedding gives 0.012 hid a cut).
    @Test func theLevelsSpreadTheChangeAcrossARunOfStandIns() {
        var frames = Synthetic.shots([(0, 7), (1, 4)])  // the cut at frame 7
        frames[5].embedding = Synthetic.frame(5, Synthetic.content(0, wobble: 0.2)).embedding  // moved on from frame 2
        for k in [3, 4] {
            frames[k].embedding = frames[2].embedding
            frames[k].embeddingIsStandIn = true
        }
        var rule = SceneBoundaryRule()
        rule.method = .calibrated
        let events = collect(CutDetector<Void, SimilarityScorer>(scorer: SimilarityScorer(kind: .embed), rule: rule),
                             frames.map { .frame(StageFrame($0)) }, end: 5.5)
        #expect(events.compactMap(\.record).filter(\.cut).map(\.index) == [7])
        let history = events.compactMap(\.ended).first?.cutHistory ?? []
        let across = Double(frames[2].embedding!.cosineDistance(to: frames[5].embedding!))
        // The pairs into frames 3, 4 and 5 (at 1.5, 2 and 2.5 s), none measured.
        #expect(history.filter { (1.5...2.5).contains($0.seconds) }.count == 3 && across > 0.005)
        for change in history where (1.5...2.5).contains(change.seconds) {
            #expect(abs((change.embedding ?? -1) - across / 3.0.squareRoot()) < 1e-12, "\(change.seconds): \(String(describing: change.embedding))")
        }
        #expect(history.first { $0.seconds == 3.0 }?.embedding == Double(frames[5].embedding!.cosineDistance(to: frames[6].embedding!)))
    }
}

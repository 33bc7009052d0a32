@testable import FrameDedupe
import Testing

/// The cascade's rule is part of a checkpoint's identity: a run interrupted without it (or with another rule) starts
/// again instead of mixing stand-in embeddings with its own.
@Suite("Checkpoint identity: the cascade and the cut models")
struct NetworkGateTests {
    @Test func theCheckpointIdentityNamesTheRule() {
        var options = DedupeOptions()
        #expect(options.networkFrames == .all, "the default: every frame (the cascade is opt-in)")
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
        options.scorer = .ssim
        #expect(Checkpoint.identity(input: "/nonexistent/clip.mp4", options: options).contains("cut models \(CutModel.fingerprint(for: .ssim))"))
    }
}

@testable import FrameDedupe
import Testing

/// The cascade's rule is part of a checkpoint's identity: a run interrupted without it (or with another rule) starts
/// again instead of mixing stand-in embeddings with its own.
@Suite("Pixels-first cascade: checkpoint identity")
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
}

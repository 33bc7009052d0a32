import Foundation
@_spi(Testing) import FrameDedupe

extension TestHooks {
    /// The hooks the resume tests ask for through the environment (the library never reads it):
    /// `FRAMEDEDUPE_TEST_KILL=EVENT:N` kills the process with SIGKILL at the N-th ``FaultPoint`` named EVENT
    /// (`image`, `record`, `commit`, `end`); `FRAMEDEDUPE_CHECKPOINT_COMPACT=BYTES` compacts the checkpoint log
    /// past that many dead bytes; `FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=N` logs the open scene's embeddings once a resume
    /// would have to compute more than N frames again (0: every batch); `FRAMEDEDUPE_CHECKPOINT_HELD=BYTES` logs the
    /// closed scenes' keyframe state once that much is held in memory (0: every scene's). Unset, nothing happens.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> TestHooks {
        var hooks = TestHooks()
        hooks.checkpointCompactionBytes = environment["FRAMEDEDUPE_CHECKPOINT_COMPACT"].flatMap { Int($0) }
        hooks.checkpointRecomputeBudget = environment["FRAMEDEDUPE_CHECKPOINT_RECOMPUTE"].flatMap { Int($0) }
        hooks.checkpointHeldKeyframeBytes = environment["FRAMEDEDUPE_CHECKPOINT_HELD"].flatMap { Int($0) }
        let parts = (environment["FRAMEDEDUPE_TEST_KILL"] ?? "").split(separator: ":")
        if parts.count == 2, let point = FaultPoint(rawValue: String(parts[0])), let count = Int(parts[1]) {
            let counter = FaultCounter()
            hooks.faultPoint = { reached in
                if reached == point, counter.increment() == count { kill(getpid(), SIGKILL) }
            }
        }
        return hooks
    }
}

/// How many times the planned fault point was reached (from any thread).
private final class FaultCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = 0
    func increment() -> Int { lock.withLock { seen += 1; return seen } }
}

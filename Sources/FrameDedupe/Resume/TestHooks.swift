/// Where the resume tests make a run die, to show that a run killed at any point goes on with `--resume` to the
/// same results as a run never stopped.
@_spi(Testing) public enum FaultPoint: String, Sendable, CaseIterable {
    /// An image written under its temporary name, not yet renamed.
    case image
    /// Half of a checkpoint record written (a torn record).
    case record
    /// A result moved into place, the others not.
    case commit
    /// The results complete, the checkpoint not yet removed.
    case end
}

/// Values the tests inject into a run (the executable reads them from its environment; the library never does).
@_spi(Testing) public struct TestHooks: Sendable {
    /// Called at each ``FaultPoint`` the run passes; the resume tests' hook kills the process at one of them.
    /// When set, a checkpoint record is written in two halves around its call at ``FaultPoint/record``.
    public var faultPoint: (@Sendable (FaultPoint) -> Void)?
    /// Bytes of checkpoint records no longer needed above which the log is compacted (default 64 MiB).
    public var checkpointCompactionBytes: Int?
    /// Network calls of the open scene a resume may make again before the checkpoint logs its embeddings
    /// (``Checkpoint/recomputeBudget``; 0 logs every batch).
    public var checkpointRecomputeBudget: Int?
    /// Bytes of closed scenes' keyframe state the run may hold in memory before the checkpoint logs it whatever it
    /// writes (``Checkpoint/heldLimit``; 0 logs every scene's).
    public var checkpointHeldKeyframeBytes: Int?

    public init(faultPoint: (@Sendable (FaultPoint) -> Void)? = nil, checkpointCompactionBytes: Int? = nil, checkpointRecomputeBudget: Int? = nil,
                checkpointHeldKeyframeBytes: Int? = nil) {
        self.faultPoint = faultPoint
        self.checkpointCompactionBytes = checkpointCompactionBytes
        self.checkpointRecomputeBudget = checkpointRecomputeBudget
        self.checkpointHeldKeyframeBytes = checkpointHeldKeyframeBytes
    }
}

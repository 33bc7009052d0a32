/// The first scene stage's feed: hands each frame on as ``StageInput/frame(_:)``. In a run resumed from a
/// checkpoint it drops the frames before the point the run goes on from (their scenes were restored, see
/// ``Checkpoint``) and turns the frame at that point into ``StageInput/resume(_:)``, so no stage after it needs
/// to know about resuming.
public final class ResumingInput<Attachment>: FrameStage {
    public typealias Input = StageFrame<Attachment>
    public typealias Output = StageInput<Attachment>

    private let restart: Restart?
    private var reached = false
    private var position = -1
    private var before: FrameSignals?
    /// Called with each frame dropped before the point the run goes on from.
    public var passed: ((Input) -> Void)?

    /// - Parameter restart: nil for a run from the start.
    public init(restart: Restart? = nil) { self.restart = restart }

    /// True while the frame the run goes on from has not come (the input ended or the run stopped before it).
    public var isWaiting: Bool { restart != nil && !reached }

    public var heldFrames: Int { 0 }

    public func process<E: Error>(_ frame: Input, emit: (Output) throws(E) -> Void) throws(E) {
        position += 1
        guard let restart, !reached else { return try emit(.frame(frame)) }
        if position < restart.position { passed?(frame) }
        if position == restart.position - 1 { before = frame.signals }
        if position == restart.position, let before {
            reached = true
            self.before = nil
            try emit(.resume(ResumePoint(first: frame, before: before, restart: restart)))
        }
    }

    public func finish<E: Error>(end: Double, emit: (Output) throws(E) -> Void) throws(E) {}
}

/// Which packets may be sent with `skip_frame = AVDISCARD_NONREF`: frames that can never be sampled and that no other
/// frame refers to need not be decoded at all.
///
/// Decided from the packets alone (their pts and their order), never from the frames the decoder has returned, so the
/// frames decoded, hence every result, are the same whatever the decoder's thread count (the machine's cores, by
/// default): frame threading holds more packets in flight, and a rule judged against the frames returned so far
/// (the first form) decoded more of them on a machine with more cores.
///
/// A packet may be skipped when its frame cannot be sampled: it lies before the sampling origin, or a frame of its
/// sampling slot with an earlier pts was sent before it (only the earliest frame of a slot is sampled) and it comes
/// more than ``window`` packets after the first packet of its slot. The frames of that window, just after a sample,
/// are decoded: with none of them (or 4 packets' worth), the thumbnails between samples step further and the dev set's
/// tune part gets 3 false cuts at 2 fps; with 8 (about a third of a second at 25 fps, what frame threading with 3
/// threads kept in flight), every tune score is the first form's, at 2 and 0.5 fps, for the same time. Nothing is
/// skipped in the first ``warmUp`` packets: the sampling origin is the first decoded frame, which comes back later
/// with more threads, and no packet is judged before any thread count up to 64 (the most `--threads` takes; libavcodec's
/// automatic count is at most 16) has returned it, allowing up to 16 frames of reordering and 16 more.
struct UnsampledSkip {
    /// Packets after the first packet of a slot whose non-reference frames are still decoded.
    var window: Int
    /// Packets sent before any is skipped.
    static let warmUp = 96

    private var sent = 0
    /// The pts of the first ``warmUp`` packets, judged only once the origin is known.
    private var early: [Int64] = []
    /// Per slot: the earliest pts sent, and the index of the slot's first packet.
    private var slots: [Int64: (earliest: Int64, first: Int)] = [:]

    init(window: Int) { self.window = window }

    /// Whether the packet at `pts` (nil: none) may be skipped if its frame is not a reference, judged on the sampling
    /// `clock` (nil until the first frame is decoded). Call once for every packet of the stream, in order.
    mutating func mayBeSkipped(_ pts: Int64?, clock: SampleClock?) -> Bool {
        defer { sent += 1 }
        if sent < Self.warmUp {
            early.append(pts ?? Int64.min)
            return false
        }
        guard let clock else { return false }
        if !early.isEmpty {
            for (i, p) in early.enumerated() where p != Int64.min { _ = note(p, index: i, clock: clock) }
            early = []
        }
        guard let pts else { return false }
        return note(pts, index: sent, clock: clock)
    }

    /// Records the packet and says whether it may be skipped.
    private mutating func note(_ pts: Int64, index: Int, clock: SampleClock) -> Bool {
        // Before the origin: never sampled.
        guard let slot = clock.slot(of: pts) else { return pts < clock.origin }
        guard let seen = slots[slot] else {
            slots[slot] = (pts, index)
            if slots.count > 256 { slots = slots.filter { $0.key > slot - 128 } }
            return false
        }
        if pts < seen.earliest { slots[slot] = (pts, seen.first) }
        return seen.earliest < pts && index - seen.first > window
    }
}

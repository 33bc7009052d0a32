@testable import Decoder
import Testing

/// The skip of unsampled non-reference frames by its definition, on packet sequences with known answers: 25 frames a
/// second (pts in frames, time base 1/25) sampled at 2 a second, so slot k holds the pts from 12.5 k up to 12.5 (k + 1).
@Suite("Which frames may be left undecoded")
struct UnsampledSkipTests {
    let clock = SampleClock(origin: 0, timeBase: Rational(1, 25), rate: .perSecond(Rational(2, 1)))

    /// Sends the warm-up's packets, pts 0 to 95 in order, with no clock for the first 10 (as before the first frame
    /// comes back); none may be skipped. The numbers of the tests below assume the warm-up is 96 packets.
    func warmedUp(window: Int = 8) -> UnsampledSkip {
        #expect(UnsampledSkip.warmUp == 96)
        var skip = UnsampledSkip(window: window)
        for pts in 0..<Int64(UnsampledSkip.warmUp) {
            let skipped = skip.mayBeSkipped(pts, clock: pts < 10 ? nil : clock)
            #expect(!skipped, "warm-up packet \(pts)")
        }
        return skip
    }

    @Test func theSlotsFirstPacketsAreDecodedAndTheRestMayBeSkipped() {
        var skip = warmedUp()
        // Slot 7 is 87.5..<100; its earliest packet, 88, was sent in the warm-up (index 88).
        var skipped: [Int64] = []
        for pts in Int64(96)..<125 where skip.mayBeSkipped(pts, clock: clock) { skipped.append(pts) }
        // Slot 7: 96 within 8 packets of 88, 97...99 after. Slot 8 (100..<112.5): first 100, skipped 109...112.
        // Slot 9 (112.5..<125): first 113, skipped 122...124.
        #expect(skipped == [97, 98, 99, 109, 110, 111, 112, 122, 123, 124])
    }

    @Test func aFrameEarlierThanItsSlotsPacketsSoFarMayBeTheSample() {
        var skip = warmedUp(window: 0)
        // Decode order of a P frame and the B-frames before it: 120, then 116 (earlier than every packet of its slot
        // so far: it could be the sample), 113; then 117, which cannot be sampled since 113 was sent (slot 9 is
        // 112.5..<125).
        let verdicts = [Int64(120), 116, 113, 117].map { skip.mayBeSkipped($0, clock: clock) }
        #expect(verdicts == [false, false, false, true])
    }

    @Test func nothingIsSkippedWithoutAClockOrATime() {
        var skip = warmedUp(window: 0)
        let verdicts = [skip.mayBeSkipped(101, clock: clock), skip.mayBeSkipped(102, clock: nil), skip.mayBeSkipped(nil, clock: clock),
                        skip.mayBeSkipped(103, clock: clock)]
        // 101 is its slot's first packet; 102 comes with no clock, the next with no time; 103 follows 101 in its slot.
        #expect(verdicts == [false, false, false, true])
    }

    @Test func framesBeforeTheOriginAreNeverSampled() {
        let late = SampleClock(origin: 200, timeBase: Rational(1, 25), rate: .perSecond(Rational(2, 1)))
        var skip = UnsampledSkip(window: 8)
        for pts in 0..<Int64(UnsampledSkip.warmUp) { _ = skip.mayBeSkipped(pts, clock: late) }
        let verdicts = [skip.mayBeSkipped(150, clock: late), skip.mayBeSkipped(200, clock: late)]
        #expect(verdicts == [true, false])
    }
}

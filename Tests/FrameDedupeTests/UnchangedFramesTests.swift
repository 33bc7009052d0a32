import Decoder
import Foundation
@testable import FrameDedupe
import Pixels
import Similarity
import Testing

/// The embedder's reuse of an unchanged frame's embedding (``UnchangedFrameRule``), on synthetic pictures shown to
/// the real network: which frames go through it, what the others get, and that a resumed run that skips batches
/// gives every later frame the bits an uninterrupted run gives.
@Suite struct UnchangedFramesTests {
    let network: EfficientNetLite

    init() throws { network = try EfficientNetLite(contentsOf: EfficientNetVariant.lite0.defaultModelLocation()) }

    /// Picture `content` (its analysis luma and network input, random from a seed), frame `index`; `noise` changes
    /// one analysis pixel by that much (the network input stays the same); `flipped` flips these bits of both hashes.
    static func frame(_ index: Int, content: Int, noise: Int = 0, flipped: UInt64 = 0) -> NetworkFrame<Void> {
        var state = UInt64(content + 1) &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: 40 + (state >> 56) % 160)
        }
        var luma = (0..<64 * 36).map { _ in next() }
        luma[64 * 18 + 32] = UInt8(clamping: Int(luma[64 * 18 + 32]) + noise)
        let analysis = LumaImage(width: 64, height: 36, pixels: luma)
        let input = RGBImage(width: 224, height: 224, pixels: (0..<224 * 224 * 3).map { _ in next() })
        let signals = FrameSignals(
            index: index, ordinal: index, timestamp: Timestamp(pts: Int64(index), timeBase: Rational(1, 2)), seconds: Double(index) / 2,
            hash: FrameHash(perceptual: UInt64(content) ^ flipped, difference: UInt64(content) ^ flipped), luma: analysis,
            quality: PictureQuality(sharpness: 1, exposure: 1, meanLuma: 128), analysisLuma: analysis)
        return NetworkFrame(StageFrame(signals), networkInput: input)
    }

    /// The embeddings `frames` get, in the order the embedder hands them on; `overlapping`: as if frames were always
    /// waiting, so that every other batch goes to the network's second thread.
    func embed(_ frames: [NetworkFrame<Void>], batch: Int, rule: UnchangedFrameRule?, neededFrom: Int = 0,
               overlapping: Bool = false) throws -> (embeddings: [Embedding?], reused: Int, order: [Int], secondThread: Bool, mostHeld: Int, heldFrames: Int) {
        let embedder = Embedder<Void>(network: network, batchSize: batch, unchanged: rule)
        embedder.neededFrom = neededFrom
        if overlapping { embedder.framesWaiting = { 1_000 } }
        var out: [Embedding?] = [], order: [Int] = []
        var mostHeld = 0  // frames received and not yet handed on, after each call
        for (i, f) in frames.enumerated() {
            embedder.process(f) {
                out.append($0.signals.embedding)
                order.append($0.signals.index)
            }
            mostHeld = max(mostHeld, i + 1 - out.count)
        }
        embedder.finish(end: 0) {
            out.append($0.signals.embedding)
            order.append($0.signals.index)
        }
        return (out, embedder.reusedCount, order, embedder.workerClock != nil, mostHeld, embedder.heldFrames)
    }

    /// A A A A A B B B B A': A' is A with one analysis pixel changed by 100 (its hashes kept): changed.
    static let frames = (0..<5).map { frame($0, content: 0) } + (5..<9).map { frame($0, content: 1) } + [frame(9, content: 0, noise: 100)]

    @Test func unchangedFramesTakeTheirAnchorsEmbedding() throws {
        let plain = try embed(Self.frames, batch: 2, rule: nil)
        let reusing = try embed(Self.frames, batch: 2, rule: UnchangedFrameRule())
        #expect(plain.reused == 0 && reusing.reused == 7, "A×4 and B×3 unchanged; A' changed")
        for i in 1..<5 {
            let same = reusing.embeddings[i] == reusing.embeddings[0]
            #expect(same, "frame \(i) takes frame 0's embedding")
        }
        for i in 6..<9 {
            let same = reusing.embeddings[i] == reusing.embeddings[5]
            #expect(same, "frame \(i) takes frame 5's embedding")
        }
        // The frames that went through the network get what they get without the rule, to rounding (their batches differ).
        for i in [0, 5, 9] {
            let a = try #require(reusing.embeddings[i]), b = try #require(plain.embeddings[i])
            #expect(a.cosineDistance(to: b) < 1e-5)
        }
    }

    /// A picture whose hashes differ from its anchor's in as many bits as the rule allows, the pictures themselves the
    /// same, is unchanged; one more bit, and it goes through the network.
    @Test func hashesMayDifferInAsManyBitsAsTheRuleAllows() throws {
        // Hashes 2 bits from frame 0's, then 4 from frame 0's and 6 from frame 1's.
        let frames = [Self.frame(0, content: 0), Self.frame(1, content: 0, flipped: 0b11), Self.frame(2, content: 0, flipped: 0b11_1100)]
        for (bits, reused) in [(0, 0), (1, 0), (2, 1), (4, 2)] {
            let run = try embed(frames, batch: 2, rule: UnchangedFrameRule(maximumHashDistance: bits))
            #expect(run.reused == reused, "\(bits) bits allowed")
        }
    }

    @Test func aResumedRunGivesTheSameBitsAfterTheBatchesItSkips() throws {
        let rule = UnchangedFrameRule()
        let whole = try embed(Self.frames, batch: 2, rule: rule)
        for neededFrom in [2, 4, 6, 8] {
            // Frame 4 takes frame 0's embedding from a batch a run needing frames from 4 on never embeds.
            let resumed = try embed(Self.frames, batch: 2, rule: rule, neededFrom: neededFrom)
            #expect(resumed.reused == whole.reused)
            let from = neededFrom / 2 * 2
            let same = Array(resumed.embeddings[from...]) == Array(whole.embeddings[from...])
            #expect(same, "needed from \(neededFrom): the same bits as the whole run")
            let skipped = resumed.embeddings[..<from].allSatisfy { $0 == nil }
            #expect(skipped, "needed from \(neededFrom): the batches before are not embedded")
        }
    }

    /// Two batches at once (issue 19, part 3): the batches the second thread embeds get the bits the embedder's own
    /// thread gives them, the frames come out in order, and the anchors across batches (one on each thread) and a
    /// resumed run's skipped batches are followed as with one thread.
    @Test func twoBatchesAtOnceGiveTheSameBitsInOrder() throws {
        // Batches of 2: A's anchor (frame 0) is on the second thread and frames 2-4 take it on the run's thread; of 3, with
        // the first batch skipped, the anchor's batch is computed again. Without the rule every frame is embedded.
        for (batch, rule, neededFrom) in [(2, UnchangedFrameRule(), 0), (3, UnchangedFrameRule(), 4), (3, nil, 0)] {
            let one = try embed(Self.frames, batch: batch, rule: rule, neededFrom: neededFrom)
            let two = try embed(Self.frames, batch: batch, rule: rule, neededFrom: neededFrom, overlapping: true)
            let context = "batch \(batch), rule \(rule.map { $0.description } ?? "none"), needed from \(neededFrom)"
            #expect(!one.secondThread && two.secondThread, "\(context): the second thread ran only when frames waited")
            #expect(two.order == Array(0..<Self.frames.count), "\(context): in order")
            #expect(two.reused == one.reused, "\(context)")
            let same = two.embeddings == one.embeddings
            #expect(same, "\(context): the same bits")
            #expect(two.embeddings.compactMap { $0 }.count >= Self.frames.count - neededFrom / batch * batch, "\(context): embedded")
            // Batches kept while the second thread embeds (their scene stages run beside it: more than the one
            // collected and the one on the second thread), within what the embedder declares for the memory budget;
            // one batch collected at a time otherwise.
            #expect(one.mostHeld == batch - 1 && two.mostHeld >= 2 * batch, "\(context): \(one.mostHeld), \(two.mostHeld) held")
            #expect(one.mostHeld < one.heldFrames && two.mostHeld < two.heldFrames, "\(context): within heldFrames")
        }
    }
}

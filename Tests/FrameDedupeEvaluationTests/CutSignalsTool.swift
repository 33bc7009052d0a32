import Decoder
import Foundation
@_spi(Evaluation) import FrameDedupe
import Similarity
import Testing

/// Writes the changes between sampled frames of every dev-set clip, for `scripts/fit-cut-rule.py` (issue 17: the
/// cut rule fitted on all signals together). A tool, not a test: it runs only when `FRAMEDEDUPE_CUT_SIGNALS`
/// names the folder to write into (and `DEVSET` the dev set, default `.cache/devset`):
///
///     FRAMEDEDUPE_CUT_SIGNALS=/tmp/signals DEVSET=/work/devset swift test --filter CutSignalsTool
///
/// `FRAMEDEDUPE_CUT_SIGNALS_SAMPLING` samples otherwise than at the default 2 frames a second: `fps=0.5` (any rate),
/// or `intra` (key frames only, no frames decoded between them), so the rule can be fitted on sparse sampling too.
/// Only the dev set's tune clips are read (the models are fitted on them alone, and the sealed part is scored once,
/// end to end); `FRAMEDEDUPE_CUT_SIGNALS_SPLIT=sealed` or `all` reads the others.
///
/// One `<clip>.signals.csv` per clip, a row per frame k ≥ 1: time, previous_time, exposure, then the changes from
/// frame k−1 to k (`e` embedding cosine distance, `p` 1 − SSIM at the SSIM scale, 0 for identical hashes, `h`
/// hash distance) and from k−1 to k+1 (`e2`, `p2`, `h2`; empty for the last frame).
@Suite("Cut signals tool (runs only with FRAMEDEDUPE_CUT_SIGNALS)")
struct CutSignalsTool {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_CUT_SIGNALS"] != nil))
    func writeSignals() throws {
        let environment = ProcessInfo.processInfo.environment
        let out = URL(fileURLWithPath: environment["FRAMEDEDUPE_CUT_SIGNALS"]!, isDirectory: true)
        let devset = URL(fileURLWithPath: environment["DEVSET"] ?? ".cache/devset", isDirectory: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: devset.appendingPathComponent("index.json"))) as! [String: Any]
        var options = DedupeOptions()
        // Every frame's own embedding (no stand-ins of the cascade): the cut models are fitted on real changes.
        options.networkFrames = .all
        guard try options.sample(asToolVariableSays: "FRAMEDEDUPE_CUT_SIGNALS_SAMPLING") else { return }
        let network = try loadNetwork(options)
        let ssim = StructuralSimilarity()
        let split = environment["FRAMEDEDUPE_CUT_SIGNALS_SPLIT"] ?? "tune"
        let clips = (index["clips"] as! [[String: Any]]).filter { split == "all" || $0["split"] as? String == split }
        try #require(!clips.isEmpty, "no clip of the split \(split) in \(devset.path)")
        for clip in clips.map({ $0["clip"] as! String }) {
            let (frames, _) = try analyseFrames(input: devset.appendingPathComponent(clip).path, options: options, network: network)
            func changes(_ a: FrameSignals, _ b: FrameSignals) -> [String] {
                // Inside the frames' black bars, as the detector compares them.
                let h = FrameSignals.hashDistance(a, b), (u, v) = FrameSignals.comparableLuma(a, b)
                let p = h == 0 || u.width != v.width || u.height != v.height ? (h == 0 ? 0 : 1) : 1 - ssim.similarity(u, v)
                let e = a.embedding.flatMap { u in b.embedding.map { Double(u.cosineDistance(to: $0)) } }
                return [e.map { String($0) } ?? "", String(p), String(h)]
            }
            /// The steps between consecutive thumbnails from frame a to b through the frames decoded between them:
            /// the largest step, the sum of all, the second largest, how many, and the time of the frame after the largest.
            func gap(_ a: FrameSignals, _ b: FrameSignals) -> [String] {
                guard let first = a.thumbnail, let last = b.thumbnail else { return ["", "", "", "", "", "", "", ""] }
                let chain = FrameSignals.comparableThumbnails([(a.seconds, first)] + b.intermediateFrames.map { ($0.seconds, $0.thumbnail) } + [(b.seconds, last)],
                                                              between: a, and: b).map { ($0.seconds, $0.thumbnail) }
                // The detector's own measure of each step (CutEvidence.steps), so the fit sees what the rule sees.
                let steps = CutEvidence.steps(chain.map { (seconds: $0.0, thumbnail: $0.1) }).map { ($0.size, $0.after) }
                let sorted = steps.map(\.0).sorted(by: >)
                let peak = steps.max { $0.0 < $1.0 }!
                let blend = CutEvidence.blend(chain.map(\.1))
                return [String(peak.0), String(sorted.reduce(0, +)), String(sorted.count > 1 ? sorted[1] : 0), String(steps.count), String(peak.1),
                        blend.map { String($0.residual) } ?? "", blend.map { String($0.largestStep) } ?? "", blend.map { String($0.distance) } ?? ""]
            }
            var text = "time,previous_time,exposure,e,p,h,e2,p2,h2,g_peak,g_total,g_second,g_steps,g_peak_time,b_residual,b_step,b_distance\n"
            for k in frames.indices.dropFirst() {
                let f = frames[k], before = frames[k - 1]
                let skip = k + 1 < frames.count ? changes(before, frames[k + 1]) : ["", "", ""]
                text += ([String(f.seconds), String(before.seconds), String(f.quality.exposure)] + changes(before, f) + skip + gap(before, f)).joined(separator: ",") + "\n"
            }
            try text.write(to: out.appendingPathComponent(clip + ".signals.csv"), atomically: true, encoding: .utf8)
        }
    }
}

extension DedupeOptions {
    /// Samples as the tool's environment variable `name` says: unset or empty, the default 2 frames a second;
    /// `fps=RATE`; `intra` (key frames only). False, with an issue recorded, for any other value.
    mutating func sample(asToolVariableSays name: String) throws -> Bool {
        switch ProcessInfo.processInfo.environment[name] {
        case nil, "": break
        case "intra": reader.decode = .keyframes
        case let value? where value.hasPrefix("fps="):
            reader.sampling = .perSecond(try #require(Rational(parsing: String(value.dropFirst(4)))))
        case let value?: Issue.record("\(name)=\(value): expected fps=RATE or intra"); return false
        }
        return true
    }
}

import Foundation
@_spi(Evaluation) import FrameDedupe
import Similarity
import Testing

/// Measures candidate unchanged-frame rules (``UnchangedFrameRule``) on the dev set's tune part (issue 19 part 2):
/// for each rule, how many sampled frames would take their anchor's embedding, and how far each such frame's own
/// embedding is from the one it would take. A tool, not a test: it runs only when `FRAMEDEDUPE_UNCHANGED_FRAMES`
/// names the file to write (and `DEVSET` the dev set, default `.cache/devset`); the tune part only, never the sealed:
///
///     FRAMEDEDUPE_UNCHANGED_FRAMES=/tmp/unchanged.csv DEVSET=/work/devset swift test --filter UnchangedFramesTool
///
/// `FRAMEDEDUPE_UNCHANGED_FRAMES_SAMPLING` as `FRAMEDEDUPE_CUT_SIGNALS_SAMPLING` (``CutSignalsTool``). One row per clip
/// and rule: clip, frames, bits, ssim, reused, then the reused frames' cosine distances to their anchor's embedding
/// (largest, how many at least 0.002, how many at least 0.005).
@Suite("Unchanged frames tool (runs only with FRAMEDEDUPE_UNCHANGED_FRAMES)")
struct UnchangedFramesTool {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_UNCHANGED_FRAMES"] != nil))
    func measureRules() throws {
        let environment = ProcessInfo.processInfo.environment
        let out = URL(fileURLWithPath: environment["FRAMEDEDUPE_UNCHANGED_FRAMES"]!)
        let devset = URL(fileURLWithPath: environment["DEVSET"] ?? ".cache/devset", isDirectory: true)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: devset.appendingPathComponent("index.json"))) as! [String: Any]
        var options = DedupeOptions()
        options.unchangedFrames = nil  // every frame's own embedding
        options.networkFrames = .all
        guard try options.sample(asToolVariableSays: "FRAMEDEDUPE_UNCHANGED_FRAMES_SAMPLING") else { return }
        let network = try loadNetwork(options)
        let ssim = StructuralSimilarity()
        var text = "clip,frames,bits,ssim,reused,max_distance,over_0.002,over_0.005\n"
        let clips = (index["clips"] as! [[String: Any]]).filter { ($0["split"] as? String ?? "tune") == "tune" }.map { $0["clip"] as! String }
        for clip in clips {
            let (frames, _) = try analyseFrames(input: devset.appendingPathComponent(clip).path, options: options, network: network)
            var similarities: [Int: [Int: Double]] = [:]  // by frame, by anchor
            func similarity(_ i: Int, _ j: Int) -> Double {
                if let s = similarities[i]?[j] { return s }
                guard let a = frames[i].analysisLuma, let b = frames[j].analysisLuma, a.width == b.width, a.height == b.height,
                      min(a.width, a.height) >= 11 else { return -1 }
                let s = ssim.similarity(a, b)
                similarities[i, default: [:]][j] = s
                return s
            }
            for bits in [0, 1, 2, 4, 8] {
                for minimum in [0.999, 0.998, 0.997, 0.995, 0.99, 0.98] {
                    var anchor = 0, reused: [Double] = []
                    for i in frames.indices.dropFirst() {
                        let f = frames[i], a = frames[anchor]
                        let close = f.hash.perceptualDistance(to: a.hash) <= bits && f.hash.differenceDistance(to: a.hash) <= bits
                        if close, f.activeArea == a.activeArea, similarity(i, anchor) >= minimum, let u = f.embedding, let v = a.embedding {
                            reused.append(Double(u.cosineDistance(to: v)))
                        } else {
                            anchor = i
                        }
                    }
                    text += "\(clip),\(frames.count),\(bits),\(minimum),\(reused.count),\(reused.max() ?? 0),"
                        + "\(reused.filter { $0 >= 0.002 }.count),\(reused.filter { $0 >= 0.005 }.count)\n"
                }
            }
        }
        try text.write(to: out, atomically: true, encoding: .utf8)
    }
}

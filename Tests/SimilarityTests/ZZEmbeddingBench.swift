import Foundation
import Pixels
@_spi(Testing) import Similarity
import Testing

@Suite struct ZZEmbeddingBench {
    @Test func figures() throws {
        let url = EfficientNetVariant.lite0.defaultModelLocation()
        let model = try EfficientNetLite(contentsOf: url)
        let fx = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("embedding")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.appendingPathComponent("golden.json"))) as! [String: Any]
        let images = json["images"] as! [String: Any]
        for name in ["chelsea", "coffee"] {
            let g = images[name] as! [String: Any]
            let img = RGBImage(width: 224, height: 224, pixels: [UInt8](try Data(contentsOf: fx.appendingPathComponent("\(name).rgb"))))
            let e = model.embed([img])[0]
            let emb = (g["embedding"] as! [Double])
            let cos = zip(e.vector, emb).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let logits = model.classify(img)
            let gl = g["logits"] as! [Double]
            let md = zip(logits, gl).map { abs(Double($0) - $1) }.max()!
            let layers = g["layers"] as! [[String: Any]]
            let s = model.layerSummaries(img)
            var worstMean = 0.0, worstMax = 0.0
            for (a, b) in zip(s, layers) {
                let m = b["maxAbs"] as! Double
                worstMean = max(worstMean, abs(a.mean - (b["mean"] as! Double)) / max(m, 1))
                worstMax = max(worstMax, abs(a.maxAbs - m) / max(m, 1))
            }
            let grid = g["grid"] as! [Double]
            var worstCell = 1.0
            for c in 0..<9 { worstCell = min(worstCell, (0..<1280).reduce(0.0) { $0 + Double(e.grid[c*1280+$1]) * grid[c*1280+$1] }) }
            print("FIG \(name): 1-cos \(1 - cos), max logit diff \(md), worst rel mean \(worstMean), worst rel max \(worstMax), worst cell cos 1-\(1 - worstCell)")
            let flipped = RGBImage(width: 224, height: 224, pixels: { var p = img.pixels; for y in 0..<224 { for x in 0..<224 { for c in 0..<3 { p[(y*224+x)*3+c] = img.pixels[(y*224+223-x)*3+c] } } }; return p }())
            let f = model.embed([flipped])[0]
            print("FIG \(name) mirror: global \(e.cosineDistance(to: f)) cells \(e.cellDistances(to: f))")
        }
    }

    @Test func bench() throws {
        let env = ProcessInfo.processInfo.environment
        guard let threads = env["BENCH_THREADS"].flatMap(Int.init) else { return }
        setLinearAlgebraThreads(threads)
        let model = try EfficientNetLite(contentsOf: EfficientNetVariant.lite0.defaultModelLocation())
        if let rows = env["BENCH_ROWS"].flatMap(Int.init) { model.batchingRows = rows }
        let fx = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("embedding")
        let img = RGBImage(width: 224, height: 224, pixels: [UInt8](try Data(contentsOf: fx.appendingPathComponent("chelsea.rgb"))))
        for batch in (env["BENCH_BATCHES"] ?? "1,16").split(separator: ",").map({ Int($0)! }) {
            let images = [RGBImage](repeating: img, count: batch)
            _ = model.embed(images)
            var best = Double.infinity
            let reps = max(3, 48 / batch)
            for _ in 0..<reps {
                let t = ContinuousClock.now
                _ = model.embed(images)
                let d = ContinuousClock.now - t
                best = min(best, (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) * 1000 / Double(batch))
            }
            print("BENCH threads \(threads) batch \(batch): \(String(format: "%.2f", best)) ms/image (best of \(reps))")
        }
    }
}

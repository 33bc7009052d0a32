import Foundation
import Pixels
import Similarity
import Testing

@Test func tmpBenchSSIM() {
    let w = 455, h = 256
    let a = noisePicture(width: w, height: h, seed: 1)
    let b = noisePicture(width: w, height: h, seed: 2)
    let ssim = StructuralSimilarity()
    var s = 0.0
    s += ssim.similarity(a, b)
    let n = 200
    let t0 = Date()
    for _ in 0..<n { s += ssim.similarity(a, b) }
    let dt = Date().timeIntervalSince(t0)
    print("SSIM \(w)x\(h): \(dt / Double(n) * 1e3) ms/call, \(Double(w * h * n) / dt / 1e6) MPix/s (\(s))")
    let hw = 1280, hh = 720
    let c = noisePicture(width: hw, height: hh, seed: 3)
    let t1 = Date()
    var x: UInt64 = 0
    for _ in 0..<50 { x ^= FrameHash(c).perceptual }
    let dt1 = Date().timeIntervalSince(t1)
    print("FrameHash \(hw)x\(hh): \(dt1 / 50 * 1e3) ms/call (\(x))")
    #expect(s > 0)
}

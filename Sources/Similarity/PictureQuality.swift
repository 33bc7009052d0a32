import Pixels

/// How usable a frame is as an exemplar: its sharpness and its exposure, measured on luma.
public struct PictureQuality: Sendable, Equatable, Codable {
    /// Variance of the 4-neighbour Laplacian (`[0 1 0; 1 −4 1; 0 1 0]`) over the interior pixels, in
    /// squared 8-bit luma units. Blur lowers it; it is the classic focus measure (Pech-Pacheco et al. 2000).
    public let sharpness: Double
    /// 1 minus the share of pixels that are near black (≤ 24) or near white (≥ 232): 1 for a
    /// well-exposed frame, near 0 for a fade to black or a blown-out flash. (Video luma is usually
    /// limited range, black at 16 and white at 235, hence the margins.)
    public let exposure: Double
    /// Mean luma, 0–255.
    public let meanLuma: Double

    public init(sharpness: Double, exposure: Double, meanLuma: Double) {
        self.sharpness = sharpness
        self.exposure = exposure
        self.meanLuma = meanLuma
    }

    /// Measures `luma` (at least 3×3) in one pass; O(1) extra memory.
    public init(_ luma: LumaImage) {
        let w = luma.width, h = luma.height
        var sum = 0.0, sumSquares = 0.0, clipped = 0, total = 0
        luma.pixels.withUnsafeBufferPointer { p in
            for v in p {
                total += Int(v)
                if v <= 24 || v >= 232 { clipped += 1 }
            }
            guard w >= 3, h >= 3 else { return }
            for y in 1..<(h - 1) {
                let row = y * w
                var rowSum = 0, rowSquares = 0
                for x in 1..<(w - 1) {
                    let i = row + x
                    let l = Int(p[i - w]) + Int(p[i + w]) + Int(p[i - 1]) + Int(p[i + 1]) - 4 * Int(p[i])
                    rowSum += l
                    rowSquares += l * l
                }
                sum += Double(rowSum)
                sumSquares += Double(rowSquares)
            }
        }
        let n = Double(max(1, (w - 2) * (h - 2)))
        let mean = sum / n
        sharpness = w >= 3 && h >= 3 ? max(0, sumSquares / n - mean * mean) : 0
        exposure = 1 - Double(clipped) / Double(w * h)
        meanLuma = Double(total) / Double(w * h)
    }
}

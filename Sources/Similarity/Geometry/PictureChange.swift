import Pixels

/// How much of one picture differs from another where a verified transform lays the first on the second: the test of
/// a copy whose matched points all sit in one small patch (``GeometricVerifier/Rule/isOnePatch(_:)``).
///
/// A fixed camera on a plain wall where a hand brings and takes bottles gives keypoints only on the bottles: two
/// moments of that shot match on the one bottle that stayed, in one small patch, exactly as two different pictures
/// that share a logo or a score bug do. What tells them apart is the rest of the picture, which has no keypoints but
/// has brightness: under the transform it is the same wall in the first case, other content in the second.
///
/// The measure, exactly: each picture's luma at the SSIM scale (its whole decoded frame, bars included, scaled to the
/// keypoints' picture by the ratio of the sizes); of A's luma pixels whose centre lies inside A's active picture, and
/// which the transform (through the mirror first when `mirrored`) maps inside B's active picture, both shrunk by one
/// luma pixel, B's luma there (bilinear); B's values matched to A's mean and standard deviation over those pixels (a
/// brighter or lower-contrast copy); the fraction of those pixels whose difference exceeds ``differenceLevel``.
public enum PictureChange {
    /// Grey levels (of 255) above which a pixel counts as changed: a re-encoded or brightened copy's lumas at the SSIM
    /// scale differ by far less; an object brought into a plain room, a person, another picture, by more.
    public static let differenceLevel = 32.0
    /// Fewer compared pixels than this measure nothing (nil).
    public static let minimumPixels = 16

    /// The fraction (0–1) of the picture A shares with B under `transform` whose luma differs by more than
    /// ``differenceLevel`` (see the type's documentation); nil when they share fewer than ``minimumPixels`` pixels.
    ///
    /// - Parameters:
    ///   - lumaA: Picture A's luma at the SSIM scale, of the same aspect as `a`'s picture.
    ///   - a: A's local features: the picture the transform's coordinates are in, its size and active rectangle.
    ///   - transform: From A (mirrored first when `mirrored`) to B, in the features' pixels.
    ///   - level: The grey levels above which a pixel counts as changed (``differenceLevel`` unless measuring).
    public static func changedShare(_ lumaA: LumaImage, _ a: LocalFeatures, _ lumaB: LumaImage, _ b: LocalFeatures,
                                    transform t: SimilarityTransform, mirrored: Bool, level: Double = differenceLevel) -> Double? {
        guard lumaA.width > 1, lumaA.height > 1, lumaB.width > 1, lumaB.height > 1 else { return nil }
        let sax = Double(lumaA.width) / Double(a.width), say = Double(lumaA.height) / Double(a.height)
        let sbx = Double(lumaB.width) / Double(b.width), sby = Double(lumaB.height) / Double(b.height)
        func inside(_ x: Double, _ y: Double, _ r: PictureRect, marginX: Double, marginY: Double) -> Bool {
            x >= Double(r.x) - 0.5 + marginX && x <= Double(r.x + r.width) - 0.5 - marginX
                && y >= Double(r.y) - 0.5 + marginY && y <= Double(r.y + r.height) - 0.5 - marginY
        }
        var valuesA: [Double] = [], valuesB: [Double] = []
        for v in 0..<lumaA.height {
            for u in 0..<lumaA.width {
                let px = (Double(u) + 0.5) / sax - 0.5, py = (Double(v) + 0.5) / say - 0.5
                guard inside(px, py, a.active, marginX: 1 / sax, marginY: 1 / say) else { continue }
                let q = t.apply(mirrored ? Double(a.width - 1) - px : px, py)
                guard inside(q.x, q.y, b.active, marginX: 1 / sbx, marginY: 1 / sby) else { continue }
                valuesA.append(Double(lumaA.pixels[v * lumaA.width + u]))
                valuesB.append(bilinear(lumaB, x: (q.x + 0.5) * sbx - 0.5, y: (q.y + 0.5) * sby - 0.5))
            }
        }
        guard valuesA.count >= minimumPixels else { return nil }
        let n = Double(valuesA.count)
        let meanA = valuesA.reduce(0, +) / n, meanB = valuesB.reduce(0, +) / n
        let deviationA = (valuesA.reduce(0) { $0 + ($1 - meanA) * ($1 - meanA) } / n).squareRoot()
        let deviationB = (valuesB.reduce(0) { $0 + ($1 - meanB) * ($1 - meanB) } / n).squareRoot()
        let gain = deviationB > 1 ? deviationA / deviationB : 1
        var changed = 0
        for (x, y) in zip(valuesA, valuesB) where abs(x - ((y - meanB) * gain + meanA)) > level { changed += 1 }
        return Double(changed) / n
    }

    /// `luma` at (x, y) in its pixels (centres at whole numbers), bilinear, clamped to the picture.
    private static func bilinear(_ luma: LumaImage, x: Double, y: Double) -> Double {
        let x0 = max(0, min(luma.width - 2, Int(x.rounded(.down)))), y0 = max(0, min(luma.height - 2, Int(y.rounded(.down))))
        let fx = min(1, max(0, x - Double(x0))), fy = min(1, max(0, y - Double(y0)))
        func at(_ i: Int, _ j: Int) -> Double { Double(luma.pixels[j * luma.width + i]) }
        return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
    }
}

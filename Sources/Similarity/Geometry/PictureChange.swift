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

    /// How much two pictures differ in layout when nothing local says how one lies on the other: the smallest
    /// ``changedShare(_:_:_:_:transform:mirrored:level:)`` of A against B over the ways a copy could lay one on the other
    /// — A's active picture centred on B's, scaled so that their widths agree or their heights agree (a copy cropped to
    /// other bars, or scaled into them), directly and (when `mirrored`) mirrored, shifted by up to `shifts` steps of 1/12
    /// of B's active picture each way (measuring only: a pan moves a plain picture's flat areas as another view does) —
    /// and the same of B against A, the larger of the two: each way matches one picture's brightness to the other's
    /// mean and deviation, so one direction alone depends on which picture comes first (two views of one render, 0.21
    /// one way and 0.10 the other). Nil when no way shares ``minimumPixels`` pixels.
    public static func layoutChange(_ lumaA: LumaImage, _ a: LocalFeatures, _ lumaB: LumaImage, _ b: LocalFeatures,
                                    mirrored allowMirror: Bool = true, shifts: Int = 0, level: Double = differenceLevel) -> Double? {
        let ab = layoutChangeOneWay(lumaA, a, lumaB, b, mirrored: allowMirror, shifts: shifts, level: level)
        let ba = layoutChangeOneWay(lumaB, b, lumaA, a, mirrored: allowMirror, shifts: shifts, level: level)
        guard let ab, let ba else { return ab ?? ba }
        return max(ab, ba)
    }

    /// ``layoutChange(_:_:_:_:mirrored:shifts:level:)`` of A laid on B only.
    static func layoutChangeOneWay(_ lumaA: LumaImage, _ a: LocalFeatures, _ lumaB: LumaImage, _ b: LocalFeatures,
                                   mirrored allowMirror: Bool, shifts: Int, level: Double) -> Double? {
        let ra = a.active, rb = b.active
        guard ra.width > 0, ra.height > 0, rb.width > 0, rb.height > 0 else { return nil }
        let scales = Set([Double(rb.width) / Double(ra.width), Double(rb.height) / Double(ra.height)]).sorted()
        let cbx = Double(rb.x) + Double(rb.width - 1) / 2, cby = Double(rb.y) + Double(rb.height - 1) / 2
        var best: Double?
        for mirrored in allowMirror ? [false, true] : [false] {
            let cax0 = Double(ra.x) + Double(ra.width - 1) / 2, cay = Double(ra.y) + Double(ra.height - 1) / 2
            let cax = mirrored ? Double(a.width - 1) - cax0 : cax0
            for s in scales {
                for dy in -shifts...shifts {
                    for dx in -shifts...shifts {
                        let t = SimilarityTransform(a: s, b: 0, tx: cbx - s * cax + Double(dx) * Double(rb.width) / 12,
                                                    ty: cby - s * cay + Double(dy) * Double(rb.height) / 12)
                        if let c = changedShare(lumaA, a, lumaB, b, transform: t, mirrored: mirrored, level: level) {
                            best = min(best ?? c, c)
                        }
                    }
                }
            }
        }
        return best
    }

    /// `luma` at (x, y) in its pixels (centres at whole numbers), bilinear, clamped to the picture.
    private static func bilinear(_ luma: LumaImage, x: Double, y: Double) -> Double {
        let x0 = max(0, min(luma.width - 2, Int(x.rounded(.down)))), y0 = max(0, min(luma.height - 2, Int(y.rounded(.down))))
        let fx = min(1, max(0, x - Double(x0))), fy = min(1, max(0, y - Double(y0)))
        func at(_ i: Int, _ j: Int) -> Double { Double(luma.pixels[j * luma.width + i]) }
        return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
    }
}

import Foundation
import Pixels

/// Mean structural similarity (SSIM) of two 8-bit luma pictures: the Gaussian-window original of Wang et al. (2004).
///
/// The variant, exactly:
/// - plane: the 8-bit luma (`LumaImage`) as given, values 0–255, no colour conversion and no downscaling;
/// - window: 11×11 Gaussian, σ = 1.5, applied as two 11-tap passes with weights `exp(−k²/(2σ²))`, k = −5…5,
///   normalised to sum 1 (scipy.ndimage's kernel with `truncate = 3.5`);
/// - constants: K1 = 0.01, K2 = 0.03, L = 255, so C1 = (K1·L)², C2 = (K2·L)²;
/// - population (weighted, not sample) variances and covariance;
/// - SSIM map evaluated only where the whole window lies inside the picture (5 pixels dropped on every side);
///   the result is the arithmetic mean of that map.
///
/// This is what `skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=255)` computes; the tests hold the two within 1e-4 on real photographs
/// (measured: at most 1e-7). It is *not* FFmpeg's `vf_ssim` (x264's 8×8 windows with uniform weights on a 4-pixel grid),
/// whose numbers differ.
///
/// The five moments (μa, μb, σa², σb², σab) are filtered separably in `Float` (a vertical pass giving each column's
/// weighted mean and centred second moments, then a horizontal pass combining the columns by the law of total
/// variance). Both passes accumulate deviations from the window's centre sample or centre column, never raw squares,
/// so a bright flat area (a white slide, say) does not lose its small variance to cancellation against μ²: rounding is
/// amplified by at most 1 + 1/w₀ ≈ 4.8, w₀ ≈ 0.27 being the centre tap's weight. The map is summed per row in `Float` and across
/// rows in `Double`. The result stays within 1e-5 of a direct `Double` evaluation on adversarial inputs (tested).
///
/// An instance owns O(width) scratch rows, allocated on first use and again only when a wider picture arrives; after
/// that ``similarity(_:_:)`` allocates nothing. Instances are not safe to share between tasks: give each worker its own.
public final class StructuralSimilarity {
    /// Half the window side: the window is `2 * windowRadius + 1` = 11 pixels square.
    public static let windowRadius = 5
    /// Standard deviation of the Gaussian window, in pixels.
    public static let sigma = 1.5
    /// Luminance stabiliser constant K1 of Wang et al.
    public static let k1 = 0.01
    /// Contrast stabiliser constant K2 of Wang et al.
    public static let k2 = 0.03
    /// Dynamic range L of the samples (8-bit).
    public static let dynamicRange = 255.0

    /// The 11 normalised one-dimensional Gaussian weights, computed as scipy.ndimage does.
    static let gaussianWeights: [Double] = {
        let r = windowRadius
        let raw = (-r...r).map { k in exp(-0.5 * Double(k * k) / (sigma * sigma)) }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }()

    private typealias Lanes = SIMD8<Float>
    private static let taps = 2 * windowRadius + 1

    /// The Gaussian weights as `Float`, one per tap.
    private let weights: UnsafeMutablePointer<Float>
    /// Widest picture the scratch rows can hold.
    private var capacity = 0
    /// Floats per scratch row: at least `capacity` plus one vector of zero padding, a multiple of the vector width.
    private var rowStride = 0
    /// Ring of the last 11 input rows of each picture, as `Float(sample)`: `2 * taps` rows.
    private var ring: UnsafeMutablePointer<Float>?
    /// The five vertically filtered rows: weighted column means of a and b, column variances of a and b, and their
    /// column covariance.
    private var moments: UnsafeMutablePointer<Float>?

    /// Creates a comparer; scratch memory is allocated by the first comparison.
    public init() {
        weights = .allocate(capacity: Self.taps)
        for (k, w) in Self.gaussianWeights.enumerated() { weights[k] = Float(w) }
    }

    deinit {
        weights.deallocate()
        ring?.deallocate()
        moments?.deallocate()
    }

    /// Makes sure the scratch rows can hold pictures `width` pixels wide.
    private func reserve(width: Int) {
        guard width > capacity else { return }
        ring?.deallocate()
        moments?.deallocate()
        let lanes = Lanes.scalarCount
        rowStride = (width + lanes + lanes - 1) / lanes * lanes
        let ringCount = 2 * Self.taps * rowStride
        let momentCount = 5 * rowStride
        let newRing = UnsafeMutablePointer<Float>.allocate(capacity: ringCount)
        newRing.initialize(repeating: 0, count: ringCount)
        let newMoments = UnsafeMutablePointer<Float>.allocate(capacity: momentCount)
        newMoments.initialize(repeating: 0, count: momentCount)
        ring = newRing
        moments = newMoments
        capacity = width
    }

    /// Mean SSIM of two luma pictures of the same size.
    ///
    /// Symmetric in its arguments; 1 for identical pictures (within rounding), lower for less similar ones, and
    /// possibly negative for anti-correlated ones. See the type's documentation for the exact definition.
    ///
    /// - Parameters:
    ///   - a: The first picture, at least 11×11 pixels.
    ///   - b: The second picture, the same size as `a`.
    /// - Returns: The mean of the SSIM map over the pixels whose 11×11 window lies inside the pictures, in −1…1.
    public func similarity(_ a: LumaImage, _ b: LumaImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM needs pictures of the same size")
        let taps = Self.taps
        precondition(a.width >= taps && a.height >= taps, "SSIM needs pictures of at least \(taps)x\(taps) pixels")
        let width = a.width
        let height = a.height
        let radius = Self.windowRadius
        reserve(width: width)
        guard let ring, let moments else { preconditionFailure("scratch rows not allocated") }
        let stride = rowStride
        let weights = self.weights

        let c1 = Float((Self.k1 * Self.dynamicRange) * (Self.k1 * Self.dynamicRange))
        let c2 = Float((Self.k2 * Self.dynamicRange) * (Self.k2 * Self.dynamicRange))
        let lanes = Lanes.scalarCount
        let outWidth = width - 2 * radius
        var laneIndex = Lanes.MaskStorage()
        for i in 0..<lanes { laneIndex[i] = Int32(i) }

        let ringA = ring
        let ringB = ring + taps * stride
        let meanA = moments
        let meanB = moments + stride
        let varA = moments + 2 * stride
        let varB = moments + 3 * stride
        let covAB = moments + 4 * stride

        return a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                guard let pa = pa.baseAddress, let pb = pb.baseAddress else { return 1 }

                /// Converts input row `y` of both pictures into its ring slot.
                func load(row y: Int) {
                    let slot = (y % taps) * stride
                    let srcA = pa + y * width
                    let srcB = pb + y * width
                    let dstA = ringA + slot
                    let dstB = ringB + slot
                    for x in 0..<width {
                        dstA[x] = Float(srcA[x])
                        dstB[x] = Float(srcB[x])
                    }
                }

                for y in 0..<(taps - 1) { load(row: y) }

                return withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { slots in
                    var total = 0.0
                    for y in radius..<(height - radius) {
                        load(row: y + radius)
                        for k in 0..<taps { slots[k] = ((y - radius + k) % taps) * stride }
                        let centre = slots[radius]

                        // Vertical pass over the whole width (padding lanes read zeros and are never used): per
                        // column, the weighted mean and the centred second moments of its 11 samples, accumulated
                        // as deviations from the centre sample (exact small integers).
                        var x = 0
                        while x < width {
                            let ca = UnsafeRawPointer(ringA + centre + x).loadUnaligned(as: Lanes.self)
                            let cb = UnsafeRawPointer(ringB + centre + x).loadUnaligned(as: Lanes.self)
                            var sa = Lanes(), sb = Lanes(), saa = Lanes(), sbb = Lanes(), sab = Lanes()
                            for k in 0..<taps where k != radius {
                                let w = Lanes(repeating: weights[k])
                                let da = UnsafeRawPointer(ringA + slots[k] + x).loadUnaligned(as: Lanes.self) - ca
                                let db = UnsafeRawPointer(ringB + slots[k] + x).loadUnaligned(as: Lanes.self) - cb
                                let wa = w * da
                                let wb = w * db
                                sa += wa
                                sb += wb
                                saa += wa * da
                                sbb += wb * db
                                sab += wa * db
                            }
                            UnsafeMutableRawPointer(meanA + x).storeBytes(of: ca + sa, as: Lanes.self)
                            UnsafeMutableRawPointer(meanB + x).storeBytes(of: cb + sb, as: Lanes.self)
                            UnsafeMutableRawPointer(varA + x).storeBytes(of: saa - sa * sa, as: Lanes.self)
                            UnsafeMutableRawPointer(varB + x).storeBytes(of: sbb - sb * sb, as: Lanes.self)
                            UnsafeMutableRawPointer(covAB + x).storeBytes(of: sab - sa * sb, as: Lanes.self)
                            x += lanes
                        }

                        // Horizontal pass and the SSIM map over the valid columns; output o is input column o + radius.
                        // Window variance = Σ w·(column variance) + Σ w·(column mean − window mean)², the second
                        // term again accumulated as deviations from the centre column's mean.
                        var rowSum = Lanes()
                        var o = 0
                        while o < outWidth {
                            var qa = Lanes(), qb = Lanes(), qab = Lanes()
                            for t in 0..<taps {
                                let w = Lanes(repeating: weights[t])
                                qa += w * UnsafeRawPointer(varA + o + t).loadUnaligned(as: Lanes.self)
                                qb += w * UnsafeRawPointer(varB + o + t).loadUnaligned(as: Lanes.self)
                                qab += w * UnsafeRawPointer(covAB + o + t).loadUnaligned(as: Lanes.self)
                            }
                            let ca = UnsafeRawPointer(meanA + o + radius).loadUnaligned(as: Lanes.self)
                            let cb = UnsafeRawPointer(meanB + o + radius).loadUnaligned(as: Lanes.self)
                            var sa = Lanes(), sb = Lanes(), saa = Lanes(), sbb = Lanes(), sab = Lanes()
                            for t in 0..<taps where t != radius {
                                let w = Lanes(repeating: weights[t])
                                let da = UnsafeRawPointer(meanA + o + t).loadUnaligned(as: Lanes.self) - ca
                                let db = UnsafeRawPointer(meanB + o + t).loadUnaligned(as: Lanes.self) - cb
                                let wa = w * da
                                let wb = w * db
                                sa += wa
                                sb += wb
                                saa += wa * da
                                sbb += wb * db
                                sab += wa * db
                            }
                            let muA = ca + sa
                            let muB = cb + sb
                            let sigmaA = qa + (saa - sa * sa)
                            let sigmaB = qb + (sbb - sb * sb)
                            let sigmaAB = qab + (sab - sa * sb)
                            let numerator = (2 * muA * muB + c1) * (2 * sigmaAB + c2)
                            let denominator = (muA * muA + muB * muB + c1) * (sigmaA + sigmaB + c2)
                            var s = numerator / denominator
                            if o + lanes > outWidth {
                                s.replace(with: 0, where: laneIndex .>= Lanes.MaskStorage(repeating: Int32(outWidth - o)))
                            }
                            rowSum += s
                            o += lanes
                        }
                        total += Double(rowSum.sum())
                    }
                    return total / Double(outWidth * (height - 2 * radius))
                }
            }
        }
    }

    /// Mean SSIM by direct summation over each 11×11 window in `Double`: slow, obviously correct, for tests.
    ///
    /// Same definition as ``similarity(_:_:)``, with the two-dimensional weight of offset (dx, dy) taken as the
    /// product of the one-dimensional Gaussian weights and the moments of the raw (unshifted) samples.
    ///
    /// - Parameters:
    ///   - a: The first picture, at least 11×11 pixels.
    ///   - b: The second picture, the same size as `a`.
    /// - Returns: The mean of the SSIM map over the valid region.
    @_spi(Testing) public static func referenceSimilarity(_ a: LumaImage, _ b: LumaImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM needs pictures of the same size")
        let r = windowRadius
        precondition(a.width > 2 * r && a.height > 2 * r, "SSIM needs pictures of at least 11x11 pixels")
        let g = gaussianWeights
        let c1 = (k1 * dynamicRange) * (k1 * dynamicRange)
        let c2 = (k2 * dynamicRange) * (k2 * dynamicRange)
        var total = 0.0
        var count = 0
        for y in r..<(a.height - r) {
            for x in r..<(a.width - r) {
                var muA = 0.0, muB = 0.0, eAA = 0.0, eBB = 0.0, eAB = 0.0
                for dy in -r...r {
                    for dx in -r...r {
                        let w = g[dy + r] * g[dx + r]
                        let va = Double(a[x + dx, y + dy])
                        let vb = Double(b[x + dx, y + dy])
                        muA += w * va
                        muB += w * vb
                        eAA += w * va * va
                        eBB += w * vb * vb
                        eAB += w * va * vb
                    }
                }
                let varA = eAA - muA * muA
                let varB = eBB - muB * muB
                let cov = eAB - muA * muB
                total += ((2 * muA * muB + c1) * (2 * cov + c2)) / ((muA * muA + muB * muB + c1) * (varA + varB + c2))
                count += 1
            }
        }
        return total / Double(count)
    }
}

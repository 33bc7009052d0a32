import Foundation
import Pixels

/// A rectangle of a picture in whole pixels: columns `x..<x + width`, rows `y..<y + height`.
public struct PictureRect: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole of a `width × height` picture.
    public init(width: Int, height: Int) { self.init(x: 0, y: 0, width: width, height: height) }

    public var area: Int { width * height }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// Keypoints and binary descriptors of one picture, for ``GeometricVerifier``.
///
/// Made by ``LocalFeatureExtractor``; see there for the exact variant. Coordinates are in the pixels of the
/// picture given (the pyramid's level 0), with pixel centres at whole numbers. Each keypoint has two
/// 256-bit descriptors: one of the picture as it is, and one of its mirror image (left–right) at the same
/// place, so that a mirrored copy is matched without extracting anything again.
///
/// Memory: 73 bytes a keypoint (two descriptors of 32 bytes, two coordinates, a level), 36 KB at the
/// default cap of 500.
public struct LocalFeatures: Sendable, Equatable {
    /// The picture's size.
    public let width: Int
    public let height: Int
    /// The part of the picture keypoints were taken from (the whole picture, or the active picture inside bars).
    public let active: PictureRect
    /// Keypoint positions (pixel centres at whole numbers, level-0 pixels).
    public internal(set) var x: [Float] = []
    public internal(set) var y: [Float] = []
    /// The pyramid level each keypoint was found at (0: the picture as given).
    public internal(set) var level: [UInt8] = []
    /// Four 64-bit words per keypoint: the descriptor of the picture as it is.
    var descriptors: [UInt64] = []
    /// Four 64-bit words per keypoint: the descriptor of the mirror image at the mirrored position.
    var mirroredDescriptors: [UInt64] = []

    public var count: Int { x.count }

    init(width: Int, height: Int, active: PictureRect) {
        self.width = width
        self.height = height
        self.active = active
    }
}

/// Finds keypoints and computes their binary descriptors: FAST-9 corners ranked by Harris response on a
/// small pyramid, spread over a grid, with BRIEF-style descriptors on a smoothed picture.
///
/// The variant, exactly (constants are the static members below):
/// - pyramid: `levels` = 3 levels, each `scaleFactor` = 1.3 times smaller than the one before (sizes rounded),
///   made by area averaging (each output pixel the mean of the source area it covers, in `Float`, rounded);
/// - keypoints per level: ``FastCorners`` at threshold `fastThreshold` = 12 with non-maximum suppression,
///   within the active rectangle shrunk by `margin` = 16 pixels (at that level's scale); ranked by the Harris
///   response (``harrisResponse(_:width:x:y:)``, OpenCV's `cornerHarris` with a 7×7 block), ties by position;
///   at most max(2, ⌈2·quota / cells⌉) of them in each `cellSide` = 32 pixel square cell of the level, then the
///   best `quota` of those, the level's quota being its share of `maximumKeypoints` = 500 in proportion to 1,
///   1/1.3, 1/1.3²;
/// - descriptors: the level smoothed by a 9×9 binomial kernel (1 8 28 56 70 56 28 8 1)/256 in each direction
///   (σ ≈ 1.41 px; integer arithmetic, borders replicated); 256 tests `I(p) < I(q)` with the 256 point pairs
///   in a 25×25 patch drawn once from an isotropic Gaussian of σ = 5 px (BRIEF's "G II" pattern; xorshift64*
///   (`SeededGenerator`) seeded with 2007, Box–Muller, rounded and clamped to ±12); no orientation (upright: copies in video are
///   not rotated, and steering costs distinctiveness); the mirrored descriptor uses the pattern with x negated;
/// - coordinates: pixel `i` of level `l` is at `(i + 0.5)·(W / Wₗ) − 0.5` in level 0.
///
/// An instance owns its scratch (pyramid, smoothed level, FAST scores, candidate lists), allocated on first
/// use and again only when a larger picture arrives; extraction then allocates only the result's arrays.
/// Deterministic. Not safe to share between tasks: give each worker its own.
public final class LocalFeatureExtractor {
    public static let levels = 3
    public static let scaleFactor = 1.3
    public static let fastThreshold = 12
    public static let maximumKeypoints = 500
    public static let margin = 16
    public static let cellSide = 32
    public static let patchRadius = 12
    /// The 256 test pairs (x1, y1, x2, y2), BRIEF's G II pattern, fixed.
    static let pattern: [Int8] = {
        var generator = SeededGenerator(seed: 2007)
        var points: [Int8] = []
        points.reserveCapacity(1024)
        while points.count < 1024 {
            let value = (generator.gaussian() * 5).rounded()
            points.append(Int8(max(-Double(patchRadius), min(Double(patchRadius), value))))
        }
        return points
    }()

    private var planes: [[UInt8]] = []
    private var smoothed: [UInt8] = []
    private var rowSums: [UInt16] = []
    private var scores: [UInt8] = []
    private var corners: [FastCorners.Corner] = []
    private var ranked: [(harris: Double, x: Int32, y: Int32)] = []
    private var cellCounts: [Int] = []
    private var resampleRows: [Float] = []

    public init() {}

    /// Keypoints and descriptors of `picture`, taken inside `active` (default: the whole picture).
    ///
    /// - Parameters:
    ///   - picture: The luma (any size; the analysis luma of 256 pixels on the short side is what it is tuned on).
    ///   - active: The part to take keypoints from, e.g. the picture inside black bars (``BlackBarDetector``).
    /// - Returns: At most ``maximumKeypoints`` keypoints with their descriptors.
    public func features(of picture: LumaImage, active: PictureRect? = nil) -> LocalFeatures {
        let active = active ?? PictureRect(width: picture.width, height: picture.height)
        precondition(active.x >= 0 && active.y >= 0 && active.width > 0 && active.height > 0
            && active.x + active.width <= picture.width && active.y + active.height <= picture.height, "active rectangle outside the picture")
        var result = LocalFeatures(width: picture.width, height: picture.height, active: active)
        result.x.reserveCapacity(Self.maximumKeypoints)
        result.y.reserveCapacity(Self.maximumKeypoints)
        result.level.reserveCapacity(Self.maximumKeypoints)
        result.descriptors.reserveCapacity(4 * Self.maximumKeypoints)
        result.mirroredDescriptors.reserveCapacity(4 * Self.maximumKeypoints)
        let shares = (0..<Self.levels).map { 1 / pow(Self.scaleFactor, Double($0)) }
        let total = shares.reduce(0, +)
        var assigned = 0
        for level in 0..<Self.levels {
            let quota = level == Self.levels - 1
                ? Self.maximumKeypoints - assigned : Int((Double(Self.maximumKeypoints) * shares[level] / total).rounded())
            assigned += quota
            let scale = pow(Self.scaleFactor, Double(level))
            let w = max(1, Int((Double(picture.width) / scale).rounded())), h = max(1, Int((Double(picture.height) / scale).rounded()))
            guard w > 2 * Self.margin, h > 2 * Self.margin else { break }
            if level == 0 {
                picture.pixels.withUnsafeBufferPointer { extract(level: 0, $0.baseAddress!, width: w, height: h, from: picture, active: active, quota: quota, into: &result) }
            } else {
                if planes.count < level { planes.append([]) }
                ensure(&planes[level - 1], w * h)
                var plane = planes[level - 1]
                planes[level - 1] = []
                plane.withUnsafeMutableBufferPointer { out in
                    picture.pixels.withUnsafeBufferPointer { src in
                        Self.areaResample(src.baseAddress!, width: picture.width, height: picture.height, into: out.baseAddress!, width: w, height: h, rows: &resampleRows)
                    }
                    extract(level: level, out.baseAddress!, width: w, height: h, from: picture, active: active, quota: quota, into: &result)
                }
                planes[level - 1] = plane
            }
        }
        return result
    }

    /// One level: corners, ranking, the grid cap, descriptors.
    private func extract(
        level: Int, _ p: UnsafePointer<UInt8>, width w: Int, height h: Int, from picture: LumaImage, active: PictureRect,
        quota: Int, into result: inout LocalFeatures
    ) {
        let fx = Double(picture.width) / Double(w), fy = Double(picture.height) / Double(h)
        // The active rectangle in this level's pixels, shrunk by the margin.
        let m = Self.margin
        let x0 = Int((Double(active.x) / fx).rounded(.up)) + m, x1 = Int((Double(active.x + active.width) / fx).rounded(.down)) - m
        let y0 = Int((Double(active.y) / fy).rounded(.up)) + m, y1 = Int((Double(active.y + active.height) / fy).rounded(.down)) - m
        guard x0 < x1, y0 < y1 else { return }
        ensure(&scores, w * h)
        scores.withUnsafeMutableBufferPointer { s in
            FastCorners.detect(p, width: w, height: h, threshold: Self.fastThreshold, region: (x0, y0, x1, y1), scores: s.baseAddress!, into: &corners)
        }
        ranked.removeAll(keepingCapacity: true)
        for c in corners { ranked.append((harrisResponse(p, width: w, x: Int(c.x), y: Int(c.y)), c.x, c.y)) }
        ranked.sort { a, b in a.harris != b.harris ? a.harris > b.harris : (a.y != b.y ? a.y < b.y : a.x < b.x) }
        // At most perCell a cell, best first; then the best `quota` of those (the list stays in rank order).
        let columns = (w + Self.cellSide - 1) / Self.cellSide, rows = (h + Self.cellSide - 1) / Self.cellSide
        let perCell = max(2, (2 * quota + columns * rows - 1) / (columns * rows))
        cellCounts.removeAll(keepingCapacity: true)
        cellCounts.append(contentsOf: repeatElement(0, count: columns * rows))
        var kept = 0
        var write = 0
        for i in ranked.indices where kept < quota {
            let cell = Int(ranked[i].y) / Self.cellSide * columns + Int(ranked[i].x) / Self.cellSide
            guard cellCounts[cell] < perCell else { continue }
            cellCounts[cell] += 1
            ranked[write] = ranked[i]
            write += 1
            kept += 1
        }
        guard kept > 0 else { return }
        ensure(&smoothed, w * h)
        ensure16(&rowSums, w * h)
        smoothed.withUnsafeMutableBufferPointer { out in
            rowSums.withUnsafeMutableBufferPointer { sums in Self.binomialSmooth(p, width: w, height: h, sums: sums.baseAddress!, into: out.baseAddress!) }
        }
        smoothed.withUnsafeBufferPointer { s in
            Self.pattern.withUnsafeBufferPointer { pattern in
                for i in 0..<kept {
                    let x = Int(ranked[i].x), y = Int(ranked[i].y)
                    let centre = s.baseAddress! + y * w + x
                    for word in 0..<4 {
                        var bits: UInt64 = 0, mirroredBits: UInt64 = 0
                        for bit in 0..<64 {
                            let t = (word * 64 + bit) * 4
                            let x1 = Int(pattern[t]), y1 = Int(pattern[t + 1]) * w, x2 = Int(pattern[t + 2]), y2 = Int(pattern[t + 3]) * w
                            if centre[y1 + x1] < centre[y2 + x2] { bits |= 1 << UInt64(bit) }
                            if centre[y1 - x1] < centre[y2 - x2] { mirroredBits |= 1 << UInt64(bit) }
                        }
                        result.descriptors.append(bits)
                        result.mirroredDescriptors.append(mirroredBits)
                    }
                    result.x.append(Float((Double(x) + 0.5) * fx - 0.5))
                    result.y.append(Float((Double(y) + 0.5) * fy - 0.5))
                    result.level.append(UInt8(level))
                }
            }
        }
    }

    private func ensure(_ buffer: inout [UInt8], _ count: Int) {
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
    }

    private func ensure16(_ buffer: inout [UInt16], _ count: Int) {
        if buffer.count < count { buffer = [UInt16](repeating: 0, count: count) }
    }

    /// Area-average resampling of a `width × height` picture to `w × h` (smaller): each output pixel is the mean
    /// of the source rectangle it covers, partial source pixels weighted by the part inside; `Float`, rounded.
    /// `rows` is scratch (grown to `w × (height + 1)` floats).
    static func areaResample(
        _ src: UnsafePointer<UInt8>, width: Int, height: Int, into out: UnsafeMutablePointer<UInt8>, width w: Int, height h: Int,
        rows: inout [Float]
    ) {
        if rows.count < w * (height + 1) { rows = [Float](repeating: 0, count: w * (height + 1)) }
        let sx = Double(width) / Double(w), sy = Double(height) / Double(h)
        rows.withUnsafeMutableBufferPointer { buffer in
            let r = buffer.baseAddress!, sums = r + w * height
            // Horizontal: every source row into w column means.
            for j in 0..<w {
                let start = Double(j) * sx, end = min(Double(j + 1) * sx, Double(width))
                for y in 0..<height { r[y * w + j] = 0 }
                var u = Int(start)
                while Double(u) < end {
                    let weight = Float((min(end, Double(u + 1)) - max(start, Double(u))) / sx)
                    if weight > 0 { for y in 0..<height { r[y * w + j] += weight * Float(src[y * width + u]) } }
                    u += 1
                }
            }
            // Vertical.
            for i in 0..<h {
                let start = Double(i) * sy, end = min(Double(i + 1) * sy, Double(height))
                sums.update(repeating: 0, count: w)
                var v = Int(start)
                while Double(v) < end {
                    let weight = Float((min(end, Double(v + 1)) - max(start, Double(v))) / sy)
                    if weight > 0 { for x in 0..<w { sums[x] += weight * r[v * w + x] } }
                    v += 1
                }
                for x in 0..<w { out[i * w + x] = UInt8(max(0, min(255, sums[x].rounded()))) }
            }
        }
    }

    static let binomialTaps = [1, 8, 28, 56, 70, 56, 28, 8, 1]

    /// The 9×9 binomial filter (1 8 28 56 70 56 28 8 1)/256 per direction, integer, borders replicated.
    static func binomialSmooth(_ src: UnsafePointer<UInt8>, width w: Int, height h: Int, sums: UnsafeMutablePointer<UInt16>, into out: UnsafeMutablePointer<UInt8>) {
        // The same integer sums as clamping every tap, with the clamps only where a tap can fall outside (the 4
        // pixels at each border): the interior, in straight lines the compiler vectorises.
        let taps = binomialTaps
        for y in 0..<h {
            let row = src + y * w, sumRow = sums + y * w
            func clamped(_ x: Int) {
                var s = 0
                for k in 0..<9 { s += taps[k] * Int(row[min(max(x + k - 4, 0), w - 1)]) }
                sumRow[x] = UInt16(s)
            }
            for x in 0..<min(4, w) { clamped(x) }
            for x in stride(from: max(4, w - 4), to: w, by: 1) { clamped(x) }
            guard w > 8 else { continue }
            for x in 4..<(w - 4) {
                let a = UInt32(row[x - 4]) + UInt32(row[x + 4]), b = UInt32(row[x - 3]) + UInt32(row[x + 3])
                let c = UInt32(row[x - 2]) + UInt32(row[x + 2]), d = UInt32(row[x - 1]) + UInt32(row[x + 1])
                sumRow[x] = UInt16(truncatingIfNeeded: a &+ 8 &* b &+ 28 &* c &+ 56 &* d &+ 70 &* UInt32(row[x]))
            }
        }
        for y in 0..<h {
            func sumsRow(_ k: Int) -> UnsafePointer<UInt16> { UnsafePointer(sums + min(max(y + k - 4, 0), h - 1) * w) }
            let r0 = sumsRow(0), r1 = sumsRow(1), r2 = sumsRow(2), r3 = sumsRow(3), r4 = sumsRow(4)
            let r5 = sumsRow(5), r6 = sumsRow(6), r7 = sumsRow(7), r8 = sumsRow(8)
            let outRow = out + y * w
            for x in 0..<w {
                let a = UInt32(r0[x]) + UInt32(r8[x]), b = UInt32(r1[x]) + UInt32(r7[x])
                let c = UInt32(r2[x]) + UInt32(r6[x]), d = UInt32(r3[x]) + UInt32(r5[x])
                let s = a &+ 8 &* b &+ 28 &* c &+ 56 &* d &+ 70 &* UInt32(r4[x])
                outRow[x] = UInt8(truncatingIfNeeded: (s &+ 32768) >> 16)
            }
        }
    }
}

extension SeededGenerator {
    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in 0..<n (by remainder: the bias, below 2⁻⁵⁰ for the sizes used here, does not matter).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Standard normal (Box–Muller, first of the pair).
    mutating func gaussian() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

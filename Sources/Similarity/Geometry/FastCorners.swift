// FAST-9 corners and their Harris responses: the keypoint detector of the geometric verification.
//
// The detector has a scalar reference beside it (`FastCorners.reference`), written from the definition; the
// tests hold both to each other and to OpenCV's `FastFeatureDetector` (golden keypoints written by
// scripts/geometry-golden.py), and the Harris response to `cv2.cornerHarris`.

/// FAST-9 corners (Rosten & Drummond, 2006) with non-maximum suppression, exactly as OpenCV's
/// `FastFeatureDetector` (type `TYPE_9_16`) finds them.
///
/// The variant, exactly:
/// - the circle: the 16 pixels at distance 3 in OpenCV's order, starting below the centre, (0, 3), (1, 3),
///   (2, 2), (3, 1), (3, 0), … (`circle`);
/// - a pixel of value `v` at (x, y), 3 ≤ x < width − 3, 3 ≤ y < height − 3, is a corner when 9 contiguous
///   circle pixels (cyclically) are all brighter than `v + t` or all darker than `v − t` (strictly);
/// - its score is OpenCV's `cornerScore<16>`: the largest `t'` for which it is still a corner, i.e. the best,
///   over the 16 arcs of 9 and both polarities, of the arc's smallest absolute difference, minus 1;
/// - non-maximum suppression: a corner is kept when its score is strictly larger than each of its 8
///   neighbours' (0 for pixels that are not corners);
/// - corners are reported in row-major order.
enum FastCorners {
    /// (dx, dy) of the 16 circle pixels, in OpenCV's order.
    static let circle: [(x: Int, y: Int)] = [
        (0, 3), (1, 3), (2, 2), (3, 1), (3, 0), (3, -1), (2, -2), (1, -3),
        (0, -3), (-1, -3), (-2, -2), (-3, -1), (-3, 0), (-3, 1), (-2, 2), (-1, 3),
    ]

    /// A corner: its position and FAST score.
    struct Corner: Equatable {
        var x: Int32
        var y: Int32
        var score: Int32
    }

    /// The score of a pixel by the definition: the best arc minimum, minus 1, or −1 when it is not a corner
    /// at threshold `t`.
    static func referenceScore(_ p: UnsafePointer<UInt8>, width: Int, x: Int, y: Int, threshold t: Int) -> Int {
        let v = Int(p[y * width + x])
        var best = Int.min
        for start in 0..<16 {
            var brighter = Int.max, darker = Int.max
            for k in 0..<9 {
                let (dx, dy) = circle[(start + k) % 16]
                let d = Int(p[(y + dy) * width + x + dx]) - v
                brighter = min(brighter, d)
                darker = min(darker, -d)
            }
            best = max(best, brighter, darker)
        }
        return best > t ? best - 1 : -1
    }

    /// Corners by the definition, pixel by pixel: slow, obviously correct, for tests.
    static func reference(_ picture: UnsafePointer<UInt8>, width: Int, height: Int, threshold: Int) -> [Corner] {
        guard width > 6, height > 6 else { return [] }
        var scores = [Int](repeating: 0, count: width * height)
        for y in 3..<(height - 3) {
            for x in 3..<(width - 3) {
                scores[y * width + x] = max(0, referenceScore(picture, width: width, x: x, y: y, threshold: threshold))
            }
        }
        var corners: [Corner] = []
        for y in 3..<(height - 3) {
            for x in 3..<(width - 3) {
                let s = scores[y * width + x]
                var isMaximum = s > 0
                for dy in -1...1 {
                    for dx in -1...1 where (dx != 0 || dy != 0) && s <= scores[(y + dy) * width + x + dx] { isMaximum = false }
                }
                if isMaximum { corners.append(Corner(x: Int32(x), y: Int32(y), score: Int32(s))) }
            }
        }
        return corners
    }

    /// Corners with the same result as ``reference(_:width:height:threshold:)``, fast: opposite circle pixels
    /// reject most pixels before any arc is examined (at least one of each opposite pair lies on any arc of
    /// 9), sixteen pixels at a time, and the score is computed for corners only.
    ///
    /// - Parameters:
    ///   - picture: `width × height` samples, row-major.
    ///   - region: Corners are looked for only at x in `region.x0..<region.x1`, y in `region.y0..<region.y1`
    ///     (clipped to the 3-pixel border).
    ///   - scores: Scratch of `width × height` bytes; overwritten.
    ///   - corners: Receives the corners (emptied first, capacity kept).
    static func detect(
        _ picture: UnsafePointer<UInt8>, width: Int, height: Int, threshold t: Int,
        region: (x0: Int, y0: Int, x1: Int, y1: Int), scores: UnsafeMutablePointer<UInt8>, into corners: inout [Corner]
    ) {
        corners.removeAll(keepingCapacity: true)
        let x0 = max(region.x0, 3), x1 = min(region.x1, width - 3)
        let y0 = max(region.y0, 3), y1 = min(region.y1, height - 3)
        guard x0 < x1, y0 < y1 else { return }
        // Scores of the rows around the region (one more on every side, for the suppression), zero elsewhere.
        for y in max(y0 - 1, 0)..<min(y1 + 1, height) {
            (scores + y * width + max(x0 - 1, 0)).update(repeating: 0, count: min(x1 + 1, width) - max(x0 - 1, 0))
        }
        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &offsets) { raw in
            let o = raw.bindMemory(to: Int.self)
            for k in 0..<16 { o[k] = circle[k].y * width + circle[k].x }
        }
        let threshold = SIMD16<UInt8>(repeating: UInt8(clamping: t))
        withUnsafeBytes(of: offsets) { raw in
            let o = raw.bindMemory(to: Int.self)
            for y in y0..<y1 {
                var x = x0
                while x < x1 {
                    // Sixteen pixels at a time: none of them can be a corner unless, for each of the 8 pairs of
                    // opposite circle pixels, one of the pair is on the same side of it (every arc of 9 holds one
                    // of each pair), which most pixels are not; only those that are go through the test below.
                    // These are its comparisons, saturated at 0 and 255, where no sample can pass them anyway.
                    if x + 16 <= x1 {
                        let centre = picture + y * width + x
                        let v = UnsafeRawPointer(centre).loadUnaligned(as: SIMD16<UInt8>.self)
                        let hi = v &+ threshold, lo = v &- threshold
                        let hiSaturated = hi .< v, loSaturated = lo .> v
                        var dark = .!loSaturated, bright = .!hiSaturated
                        for k in 0..<8 {
                            let a = UnsafeRawPointer(centre + o[k]).loadUnaligned(as: SIMD16<UInt8>.self)
                            let b = UnsafeRawPointer(centre + o[k + 8]).loadUnaligned(as: SIMD16<UInt8>.self)
                            dark .&= (a .< lo) .| (b .< lo)
                            bright .&= (a .> hi) .| (b .> hi)
                        }
                        let candidates = dark .| bright
                        if any(candidates) {
                            for lane in 0..<16 where candidates[lane] { examine(x + lane, y) }
                        }
                        x += 16
                    } else {
                        examine(x, y)
                        x += 1
                    }
                }
            }

            /// Whether the pixel at (x, y) is a corner, and its score if it is.
            @inline(__always) func examine(_ x: Int, _ y: Int) {
                let c = picture + y * width + x
                let v = Int(c[0])
                let hi = v + t, lo = v - t
                /// Bit 1: darker than lo; bit 2: brighter than hi.
                @inline(__always) func kind(_ k: Int) -> Int {
                    let s = Int(c[o[k]])
                    return (s < lo ? 1 : 0) | (s > hi ? 2 : 0)
                }
                var d = kind(0) | kind(8)
                if d == 0 { return }
                d &= kind(2) | kind(10)
                d &= kind(4) | kind(12)
                d &= kind(6) | kind(14)
                if d == 0 { return }
                d &= kind(1) | kind(9)
                d &= kind(3) | kind(11)
                d &= kind(5) | kind(13)
                d &= kind(7) | kind(15)
                if d == 0 { return }
                // An arc of 9 of the flagged polarity (25 steps cover every cyclic run).
                var isCorner = false
                var polarity = 1
                while polarity <= 2 && !isCorner {
                    if d & polarity != 0 {
                        var run = 0
                        for k in 0..<25 {
                            if kind(k & 15) & polarity != 0 {
                                run += 1
                                if run >= 9 { isCorner = true; break }
                            } else {
                                run = 0
                            }
                        }
                    }
                    polarity += 1
                }
                if isCorner { scores[y * width + x] = UInt8(score(c, offsets: o, threshold: t)) }
            }
        }
        for y in y0..<y1 {
            let row = scores + y * width
            for x in x0..<x1 {
                let s = row[x]
                guard s > 0 else { continue }  // a corner scoring 0 (threshold 0) cannot beat a zero neighbour
                if s > row[x - 1] && s > row[x + 1] && s > row[x - width - 1] && s > row[x - width] && s > row[x - width + 1]
                    && s > row[x + width - 1] && s > row[x + width] && s > row[x + width + 1] {
                    corners.append(Corner(x: Int32(x), y: Int32(y), score: Int32(s)))
                }
            }
        }
    }

    /// OpenCV's `cornerScore<16>` for the pixel at `c`.
    @inline(__always) static func score(_ c: UnsafePointer<UInt8>, offsets o: UnsafeBufferPointer<Int>, threshold: Int) -> Int {
        let v = Int(c[0])
        var d = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &d) { raw in
            let d = raw.bindMemory(to: Int.self)
            for k in 0..<25 { d[k] = v - Int(c[o[k & 15]]) }
            var a0 = threshold
            for k in stride(from: 0, to: 16, by: 2) {
                var a = min(d[k + 1], d[k + 2], d[k + 3])
                if a <= a0 { continue }
                a = min(a, d[k + 4], d[k + 5], d[k + 6], d[k + 7], d[k + 8])
                a0 = max(a0, min(a, d[k]), min(a, d[k + 9]))
            }
            var b0 = -a0
            for k in stride(from: 0, to: 16, by: 2) {
                var b = max(d[k + 1], d[k + 2], d[k + 3], d[k + 4], d[k + 5])
                if b >= b0 { continue }
                b = max(b, d[k + 6], d[k + 7], d[k + 8])
                b0 = min(b0, max(b, d[k]), max(b, d[k + 9]))
            }
            return -b0 - 1
        }
    }
}

/// The Harris corner response of OpenCV's `cornerHarris(src, blockSize: 7, ksize: 3, k: 0.04)` at one pixel.
///
/// Sobel 3×3 derivatives, each scaled by 1 / (4 · 7 · 255); their products summed (unweighted) over the 7×7
/// block centred on the pixel; `R = det(M) − 0.04 · trace(M)²`. Sums are exact integers, the response is
/// computed from them in `Double`. The pixel must be at least 4 pixels from every border (no border rule).
@inline(__always) func harrisResponse(_ p: UnsafePointer<UInt8>, width: Int, x: Int, y: Int) -> Double {
    var sxx = 0, syy = 0, sxy = 0
    for v in (y - 3)...(y + 3) {
        let row = p + v * width
        for u in (x - 3)...(x + 3) {
            let above = row + u - width, here = row + u, below = row + u + width
            let dx = (Int(above[1]) - Int(above[-1])) + 2 * (Int(here[1]) - Int(here[-1])) + (Int(below[1]) - Int(below[-1]))
            let dy = (Int(below[-1]) - Int(above[-1])) + 2 * (Int(below[0]) - Int(above[0])) + (Int(below[1]) - Int(above[1]))
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
        }
    }
    let scale = 1.0 / (4.0 * 7.0 * 255.0)
    let s2 = scale * scale
    let a = Double(sxx) * s2, b = Double(syy) * s2, c = Double(sxy) * s2
    return a * b - c * c - 0.04 * (a + b) * (a + b)
}

import Foundation
import Pixels

/// Two 64-bit perceptual fingerprints of a luma picture: a DCT hash (pHash) and a gradient hash (dHash).
///
/// Both start from an *area average* of the luma onto a small grid: output cell (i, j) of an `n`×`m` grid is the mean
/// of the source over the rectangle `[j·W/n, (j+1)·W/n) × [i·H/m, (i+1)·H/m)`, source pixels that straddle a cell
/// border counting in proportion to the part inside (OpenCV's `INTER_AREA`, Pillow's `BOX`). The averages are kept
/// as exact integers scaled by `W·H`, so the grid and every comparison made on it are reproducible bit for bit.
///
/// - ``perceptual`` (pHash): the 32×32 grid, its two-dimensional DCT-II (`X[u][v] = Σᵢ Σⱼ x[i][j]·cos(π(2i+1)u/64)·
///   cos(π(2j+1)v/64)`, u vertical and v horizontal frequency; the scale is irrelevant), the 8×8 block of lowest
///   frequencies (u, v < 8). The threshold is the median of the 63 AC coefficients (the DC term, X[0][0], is left
///   out because it measures brightness, not structure; 63 values have an exact middle one). Bit `8·u + v` (bit 0 the
///   least significant) is set when `X[u][v]` > that median, for all 64 coefficients: the DC bit is therefore 1 for
///   every picture that is not entirely black, and the median coefficient's own bit is 0, so a typical hash has 32
///   bits set. AC coefficients of magnitude ≤ 1e-10·Σ|x − mean| are first set to exactly 0: they are zero in exact
///   arithmetic (symmetric or flat pictures) and otherwise rounding noise, so this keeps such pictures' hashes
///   meaningful and the same on every platform. This follows `imagehash.phash`, except that its median includes the DC term and it resizes with
///   Lanczos instead of an area average. A uniform picture hashes to 1 (only the DC bit), a black one to 0.
/// - ``difference`` (dHash): the 9×8 grid (9 columns, 8 rows); bit `8·r + c` is set when cell (r, c) is strictly
///   brighter than its right neighbour (r, c + 1). `imagehash.dhash` sets its bits the other way round (right > left).
///
/// Distances are Hamming distances: the number of differing bits, 0–64 per hash.
public struct FrameHash: Sendable, Equatable, Hashable {
    /// The 64-bit DCT hash (pHash) of the 32×32 area average.
    public let perceptual: UInt64
    /// The 64-bit horizontal-gradient hash (dHash) of the 9×8 area average.
    public let difference: UInt64

    /// Wraps two precomputed hashes.
    ///
    /// - Parameters:
    ///   - perceptual: A pHash as computed by ``init(_:)``.
    ///   - difference: A dHash as computed by ``init(_:)``.
    public init(perceptual: UInt64, difference: UInt64) {
        self.perceptual = perceptual
        self.difference = difference
    }

    /// Hashes a luma picture.
    ///
    /// Works on any size, including pictures smaller than the hash grids (cells then share source pixels).
    /// Allocates only fixed-size scratch on the stack.
    ///
    /// - Parameter luma: The picture to hash.
    public init(_ luma: LumaImage) {
        perceptual = Self.perceptualHash(luma)
        difference = Self.differenceHash(luma)
    }

    /// Number of bits in which two 64-bit hashes differ.
    ///
    /// - Parameters:
    ///   - a: A hash.
    ///   - b: Another hash.
    /// - Returns: The Hamming distance, 0–64.
    @inlinable public static func hammingDistance(_ a: UInt64, _ b: UInt64) -> Int {
        (a ^ b).nonzeroBitCount
    }

    /// Hamming distance between the pHashes, 0–64.
    ///
    /// - Parameter other: The hash to compare with.
    /// - Returns: The number of pHash bits that differ.
    public func perceptualDistance(to other: FrameHash) -> Int {
        Self.hammingDistance(perceptual, other.perceptual)
    }

    /// Hamming distance between the dHashes, 0–64.
    ///
    /// - Parameter other: The hash to compare with.
    /// - Returns: The number of dHash bits that differ.
    public func differenceDistance(to other: FrameHash) -> Int {
        Self.hammingDistance(difference, other.difference)
    }

    /// Distance between two frames' hashes: the larger of the pHash and dHash Hamming distances.
    ///
    /// Taking the maximum keeps the unit (bits out of 64) and calls two frames near only when both fingerprints
    /// agree: the DCT hash is blind to some local changes the gradient hash sees, and the other way round.
    ///
    /// - Parameter other: The hash to compare with.
    /// - Returns: `max(perceptualDistance(to:), differenceDistance(to:))`, 0–64.
    public func distance(to other: FrameHash) -> Int {
        max(perceptualDistance(to: other), differenceDistance(to: other))
    }
}

extension FrameHash {
    /// Side of the pHash grid.
    static let perceptualGrid = 32
    /// Side of the kept low-frequency block.
    static let perceptualBlock = 8
    /// AC coefficients smaller than this fraction of Σ|x − mean| (on the same scale) are taken as exactly zero.
    static let snapFraction = 1e-10

    /// `cos(π(2n+1)k/64)` for k < 8 (rows) and n < 32 (columns): the DCT-II basis restricted to the kept frequencies.
    static let cosineTable: [Double] = {
        var table = [Double](repeating: 0, count: perceptualBlock * perceptualGrid)
        for k in 0..<perceptualBlock {
            for n in 0..<perceptualGrid {
                table[k * perceptualGrid + n] = cos(Double.pi * Double((2 * n + 1) * k) / Double(2 * perceptualGrid))
            }
        }
        return table
    }()

    /// Area-average numerators of `luma` on a `columns`×`rows` grid.
    ///
    /// Writes `sum over source pixels of overlapX · overlapY · sample` for each cell, row-major, into `cells`, where
    /// overlaps are measured in units of 1/columns (1/rows) of a source pixel. Every cell's weights sum to
    /// `width · height`, so `cells[i] / (width · height)` is the cell's mean; all values are exact integers.
    ///
    /// - Parameters:
    ///   - luma: The source picture.
    ///   - columns: Grid width, ≤ 32.
    ///   - rows: Grid height, ≤ 32.
    ///   - cells: Receives `columns * rows` numerators.
    static func areaAverage(_ luma: LumaImage, columns: Int, rows: Int, into cells: UnsafeMutableBufferPointer<Int>) {
        precondition(columns <= 32 && rows <= 32 && cells.count >= columns * rows)
        let width = luma.width
        let height = luma.height
        for i in 0..<(columns * rows) { cells[i] = 0 }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 32) { rowCells in
            luma.pixels.withUnsafeBufferPointer { pixels in
                for y in 0..<height {
                    // Horizontal: source pixel x covers [x·columns, (x+1)·columns), cell j covers [j·width, (j+1)·width).
                    // Pixels strictly inside a cell weigh `columns`; the (at most two) straddling ones their overlap.
                    let row = y * width
                    for j in 0..<columns {
                        let cellStart = j * width
                        let cellEnd = cellStart + width
                        let first = cellStart / columns
                        let last = (cellEnd - 1) / columns
                        var sum = 0
                        if first == last {
                            sum = width * Int(pixels[row + first])
                        } else {
                            sum = ((first + 1) * columns - cellStart) * Int(pixels[row + first])
                            sum += (cellEnd - last * columns) * Int(pixels[row + last])
                            var inner = 0
                            for x in (first + 1)..<last { inner += Int(pixels[row + x]) }
                            sum += columns * inner
                        }
                        rowCells[j] = sum
                    }
                    // Vertical: the same with rows.
                    let start = y * rows
                    let end = start + rows
                    var i = start / height
                    while i * height < end {
                        let overlap = min(end, (i + 1) * height) - max(start, i * height)
                        for j in 0..<columns { cells[i * columns + j] += overlap * rowCells[j] }
                        i += 1
                    }
                }
            }
        }
    }

    /// The pHash of `luma`; see ``FrameHash``.
    static func perceptualHash(_ luma: LumaImage) -> UInt64 {
        let n = perceptualGrid
        let k = perceptualBlock
        let cosines = cosineTable
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: n * n) { cells in
            areaAverage(luma, columns: n, rows: n, into: cells)
            // Centre exactly in integers (x·n² − Σx): the AC terms are unchanged up to scale, and vanish exactly for a
            // uniform picture instead of being rounding noise.
            let total = cells.reduce(0, +)
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: n * k + k * k) { scratch in
                // rowPass[i][v] = Σⱼ centred[i][j]·cos(v, j), then coefficients[u][v] = Σᵢ cos(u, i)·rowPass[i][v].
                let rowPass = UnsafeMutableBufferPointer(rebasing: scratch[0..<(n * k)])
                let coefficients = UnsafeMutableBufferPointer(rebasing: scratch[(n * k)...])
                for i in 0..<n {
                    for v in 0..<k {
                        var sum = 0.0
                        for j in 0..<n { sum += Double(cells[i * n + j] * n * n - total) * cosines[v * n + j] }
                        rowPass[i * k + v] = sum
                    }
                }
                for u in 0..<k {
                    for v in 0..<k {
                        var sum = 0.0
                        for i in 0..<n { sum += cosines[u * n + i] * rowPass[i * k + v] }
                        coefficients[u * k + v] = sum
                    }
                }
                // Coefficients that are zero in exact arithmetic (symmetric or flat pictures) come out as rounding
                // noise whose sign depends on summation order: snap anything below 1e-10 of the largest possible
                // magnitude, Σ|centred|, to exactly zero. Real structure is many orders of magnitude above that.
                var absoluteSum = 0
                for i in 0..<(n * n) { absoluteSum += abs(cells[i] * n * n - total) }
                let noiseFloor = Double(absoluteSum) * snapFraction
                for i in 1..<(k * k) where abs(coefficients[i]) <= noiseFloor { coefficients[i] = 0 }
                // The DC term of the uncentred grid on the same scale: n²·Σx.
                coefficients[0] = Double(total * n * n)
                let median = medianOfAC(coefficients)
                var hash: UInt64 = 0
                for bit in 0..<(k * k) where coefficients[bit] > median { hash |= 1 << UInt64(bit) }
                return hash
            }
        }
    }

    /// The median of `coefficients[1...63]` (the 32nd smallest of 63), found without allocating.
    static func medianOfAC(_ coefficients: UnsafeMutableBufferPointer<Double>) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 63) { ac in
            for i in 0..<63 { ac[i] = coefficients[i + 1] }
            // Insertion sort: 63 values, once per frame.
            for i in 1..<63 {
                let value = ac[i]
                var j = i - 1
                while j >= 0 && ac[j] > value {
                    ac[j + 1] = ac[j]
                    j -= 1
                }
                ac[j + 1] = value
            }
            return ac[31]
        }
    }

    /// The dHash of `luma`; see ``FrameHash``.
    static func differenceHash(_ luma: LumaImage) -> UInt64 {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 9 * 8) { cells in
            areaAverage(luma, columns: 9, rows: 8, into: cells)
            var hash: UInt64 = 0
            for r in 0..<8 {
                for c in 0..<8 where cells[r * 9 + c] > cells[r * 9 + c + 1] {
                    hash |= 1 << UInt64(r * 8 + c)
                }
            }
            return hash
        }
    }
}

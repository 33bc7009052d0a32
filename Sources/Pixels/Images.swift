/// An 8-bit single-plane picture: the luma (Y') of a video frame at analysis size.
///
/// Rows are tightly packed (`pixels.count == width * height`), top row first.
public struct LumaImage: Sendable, Equatable, Codable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// The mean absolute difference of two pictures' pixels, 0–1 (1 when their sizes differ): how far the picture
    /// moved between two thumbnails of consecutive decoded frames (a cut's step is the largest).
    public func meanDifference(_ other: LumaImage) -> Double {
        guard width == other.width, height == other.height, !pixels.isEmpty else { return 1 }
        var total = 0
        for i in pixels.indices { total += abs(Int(pixels[i]) - Int(other.pixels[i])) }
        return Double(total) / Double(pixels.count) / 255
    }

    private enum CodingKeys: String, CodingKey { case width, height, pixels }

    /// Reads a picture back, refusing one whose pixels do not fill `width × height` (at most 65536 on a side).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let width = try c.decode(Int.self, forKey: .width), height = try c.decode(Int.self, forKey: .height)
        let pixels = try c.decode([UInt8].self, forKey: .pixels)
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16, pixels.count == width * height else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "luma buffer does not match \(width)x\(height)"))
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height, "luma buffer does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    @inlinable public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }
}

/// An 8-bit interleaved RGB picture (RGB24: R, G, B per pixel), tightly packed, top row first.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGB buffer does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

extension LumaImage {
    /// The picture box-filtered (exact area average, rounded) so its shorter side is `shortSide`
    /// pixels; returned unchanged when it is already that small.
    public func areaDownscaled(shortSide: Int) -> LumaImage {
        let short = min(width, height)
        guard shortSide > 0, short > shortSide else { return self }
        let w = max(1, Int((Double(width) * Double(shortSide) / Double(short)).rounded()))
        let h = max(1, Int((Double(height) * Double(shortSide) / Double(short)).rounded()))
        // Separable, in integers (so the result is exact and platform-independent): source pixel x covers
        // [x·w, (x+1)·w) and output column j covers [j·width, (j+1)·width), in units of 1/(w·width) of the picture's
        // width, so a source pixel overlaps at most two output columns (w ≤ width); rows likewise. Each source row is
        // first summed into w column sums weighted by their overlaps, which are then added to the (at most two)
        // output rows it overlaps, weighted by those overlaps: the same integer sums as weighting each pixel by the
        // product of its two overlaps.
        var out = [UInt8](repeating: 0, count: w * h)
        var sums = [Int](repeating: 0, count: w * h)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * width + w + 1) { scratch in
            let first = scratch.baseAddress!, firstWeight = first + width, rowSums = first + 3 * width
            for x in 0..<width {
                let xStart = x * w
                let j = xStart / width
                first[x] = j
                firstWeight[x] = min(xStart + w, (j + 1) * width) - xStart
                firstWeight[width + x] = w - firstWeight[x]  // to column j + 1 (0 when it is not overlapped)
            }
            pixels.withUnsafeBufferPointer { src in
                sums.withUnsafeMutableBufferPointer { sums in
                    for y in 0..<height {
                        let row = src.baseAddress! + y * width
                        for j in 0...w { rowSums[j] = 0 }
                        for x in 0..<width {
                            let sample = Int(row[x]), j = first[x]
                            rowSums[j] += firstWeight[x] * sample
                            rowSums[j + 1] += firstWeight[width + x] * sample
                        }
                        let yStart = y * h
                        let i = yStart / height
                        let upper = min(yStart + h, (i + 1) * height) - yStart, lower = h - upper
                        let top = sums.baseAddress! + i * w
                        for j in 0..<w { top[j] += upper * rowSums[j] }
                        if lower > 0 {
                            let bottom = top + w
                            for j in 0..<w { bottom[j] += lower * rowSums[j] }
                        }
                    }
                }
            }
        }
        let area = width * height
        for i in 0..<(w * h) { out[i] = UInt8(min(255, (sums[i] + area / 2) / area)) }
        return LumaImage(width: w, height: h, pixels: out)
    }
}

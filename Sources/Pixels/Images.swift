/// An 8-bit single-plane picture: the luma (Y') of a video frame at analysis size.
///
/// Rows are tightly packed (`pixels.count == width * height`), top row first.
public struct LumaImage: Sendable, Equatable, Codable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

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
        // Separable: columns first into a row buffer of w sums (weights in units of 1/w of a source pixel),
        // then rows. Integer arithmetic throughout, so the result is exact and platform-independent.
        var out = [UInt8](repeating: 0, count: w * h)
        var columnSums = [Int](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            columnSums.withUnsafeMutableBufferPointer { sums in
                for y in 0..<height {
                    let row = y * width
                    let yStart = y * h, yEnd = yStart + h
                    var i = yStart / height
                    while i * height < yEnd {
                        let yOverlap = min(yEnd, (i + 1) * height) - max(yStart, i * height)
                        for x in 0..<width {
                            let sample = Int(src[row + x]) * yOverlap
                            let xStart = x * w, xEnd = xStart + w
                            var j = xStart / width
                            while j * width < xEnd {
                                sums[i * w + j] += (min(xEnd, (j + 1) * width) - max(xStart, j * width)) * sample
                                j += 1
                            }
                        }
                        i += 1
                    }
                }
            }
        }
        let area = width * height
        for i in 0..<(w * h) { out[i] = UInt8(min(255, (columnSums[i] + area / 2) / area)) }
        return LumaImage(width: w, height: h, pixels: out)
    }
}

import CFFmpeg
import Pixels

/// A decoded frame between two sampled frames, kept only as a tiny luma thumbnail: enough to find where in the
/// gap the picture changed (a cut between two samples, to the frame), at a few hundred bytes a frame.
public struct IntermediateFrame: Sendable, Equatable, Codable {
    /// The decoded frame's ordinal in presentation order (as ``SampledFrame/ordinal``).
    public let ordinal: Int
    public let timestamp: Timestamp
    /// Seconds from the stream's start.
    public let seconds: Double
    /// The luma at ``Thumbnail/shortSide`` pixels on its shorter side (``Thumbnail/make(of:)``).
    public let thumbnail: LumaImage

    public init(ordinal: Int, timestamp: Timestamp, seconds: Double, thumbnail: LumaImage) {
        self.ordinal = ordinal
        self.timestamp = timestamp
        self.seconds = seconds
        self.thumbnail = thumbnail
    }
}

/// Tiny luma thumbnails of decoded frames, made for every decoded frame (sampled or not), so they must be cheap.
public enum Thumbnail {
    /// Pixels on the shorter side (16: 28×16 for 16:9, 448 bytes).
    public static let shortSide = 16
    /// Samples per cell along each axis at most: a cell's value is the mean of a grid of at most 8×8 of its pixels.
    static let samplesPerSide = 8

    /// The thumbnail's size for a picture of `width`×`height`: `shortSide` on the shorter side, the other side in
    /// proportion (at least 1).
    public static func size(width: Int, height: Int) -> (width: Int, height: Int) {
        if width <= height { return (shortSide, max(1, Int((Double(height) * Double(shortSide) / Double(max(width, 1))).rounded()))) }
        return (max(1, Int((Double(width) * Double(shortSide) / Double(max(height, 1))).rounded())), shortSide)
    }

    /// The thumbnail of `frame`: read straight from the Y plane of 8-bit planar YUV (each pixel the mean of an even
    /// grid of at most 8×8 samples of its cell), through `scaler` (area filter) for other pixel formats.
    static func make(of frame: Frame, scaler: Scaler) throws(LibavError) -> LumaImage {
        let (w, h) = size(width: frame.width, height: frame.height)
        guard Picture.hasEightBitLumaPlane(frame.pixelFormat), let plane = frame.planes[0] else {
            return try Picture(frame: frame).luma(width: w, height: h, scaler: scaler)
        }
        return sampled(plane: UnsafePointer(plane), stride: Int(frame.strides[0]), width: frame.width, height: frame.height, to: (w, h))
    }

    /// The sampled means of an 8-bit plane (scalar: it reads at most 64 pixels a cell).
    static func sampled(plane: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int, to size: (width: Int, height: Int)) -> LumaImage {
        var pixels = [UInt8](repeating: 0, count: size.width * size.height)
        for cy in 0..<size.height {
            let y0 = cy * height / size.height, y1 = max(y0 + 1, (cy + 1) * height / size.height)
            let ys = Swift.stride(from: y0, to: y1, by: max(1, (y1 - y0) / samplesPerSide))
            for cx in 0..<size.width {
                let x0 = cx * width / size.width, x1 = max(x0 + 1, (cx + 1) * width / size.width)
                let step = max(1, (x1 - x0) / samplesPerSide)
                var sum = 0, count = 0
                for y in ys {
                    let row = plane + y * stride
                    for x in Swift.stride(from: x0, to: x1, by: step) {
                        sum += Int(row[x])
                        count += 1
                    }
                }
                pixels[cy * size.width + cx] = UInt8((sum + count / 2) / max(count, 1))
            }
        }
        return LumaImage(width: size.width, height: size.height, pixels: pixels)
    }
}

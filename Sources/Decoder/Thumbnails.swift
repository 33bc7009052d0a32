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

/// The first decoded frame of a new shot between two sampled frames, at analysis size: the frame right after the largest
/// step of the thumbnails since the previous sample (``Thumbnail``, the mean absolute difference of consecutive
/// decoded frames' thumbnails, as the cut detector measures it: where it puts a hard cut between two samples), kept when
/// that step is at least ``minimumStep`` — or the sampled frame itself, when the step into it is the largest.
///
/// Samples fall where the sampling clock puts them, so two copies of one shot cut into different places of a video (a
/// recap, a replay, a mirrored copy) are sampled at different moments of it; in a fast shot no sample of one is then
/// the same picture as any of the other's, and no transform maps them onto each other. A shot's first frame is the
/// same moment in every copy that starts where it does (issue 17).
public struct ShotStart: Sendable {
    /// The decoded frame's ordinal in presentation order (as ``SampledFrame/ordinal``).
    public let ordinal: Int
    /// Seconds from the stream's start (the time the cut detector puts the cut at: ``IntermediateFrame/seconds``).
    public let seconds: Double
    /// Its luma at the sample's analysis size.
    public let luma: LumaImage
    /// The step into it: the thumbnails' mean absolute difference, 0–1.
    public let step: Double

    /// The least step kept: a cut between two shots of like brightness measures 0.06–0.3 at 28×16. Only a cost bound (one
    /// scaled frame a gap at most): the cut detector decides where cuts are, and a scene takes the shot start only when its
    /// cut lies at that very frame. No dominance over the gap's other steps is asked: in a fast shot whose non-reference
    /// frames the decoder skips, the steps around a cut measure two frames' motion each (`twin-mirror-within-film-480p`).
    public static let minimumStep = 0.03

    public init(ordinal: Int, seconds: Double, luma: LumaImage, step: Double) {
        self.ordinal = ordinal
        self.seconds = seconds
        self.luma = luma
        self.step = step
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

import CFFmpeg
import Pixels

/// A decoded video picture at its full size, held by reference (no pixel copy) so that it can be
/// converted later: to RGB for export or for the embedding network.
///
/// A `Picture` is never mutated after it is made, so it may be read from any thread; each
/// conversion uses its own scaler.
public final class Picture: @unchecked Sendable {
    let frame: Frame
    /// Width and height of the stored picture in pixels.
    public let width: Int
    public let height: Int
    /// The pixel aspect ratio (`sample_aspect_ratio`), 1 when unknown.
    public let pixelAspect: Double

    init(frame: Frame) {
        self.frame = frame
        width = frame.width
        height = frame.height
        let sar = frame.pointer.pointee.sample_aspect_ratio
        pixelAspect = (sar.num > 0 && sar.den > 0) ? Double(sar.num) / Double(sar.den) : 1
    }

    /// The size that shows the picture with square pixels and fits within `maxSide` (no upscaling).
    public func displaySize(maxSide: Int? = nil) -> (width: Int, height: Int) {
        var w = Double(width) * max(pixelAspect, 1)
        var h = Double(height) / min(pixelAspect, 1)
        if let maxSide, max(w, h) > Double(maxSide) {
            let s = Double(maxSide) / max(w, h)
            w *= s
            h *= s
        }
        return (max(2, Int(w.rounded()) & ~1), max(2, Int(h.rounded()) & ~1))
    }

    /// The picture converted to 8-bit luma at `width`×`height` with an area (box-average) filter.
    ///
    /// For 8-bit planar YUV input only the Y plane is read (chroma is never touched), in its own range.
    func luma(width w: Int, height h: Int, scaler: Scaler) throws(LibavError) -> LumaImage {
        var pixels = [UInt8](repeating: 0, count: w * h)
        let sourcePlanes = frame.planes
        let strides = frame.strides
        let yOnly = Picture.hasEightBitLumaPlane(frame.pixelFormat)
        try pixels.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<UInt8>) throws(LibavError) in
            try scaler.scale(
                source: yOnly ? [constPointer(sourcePlanes[0])] : sourcePlanes.map(constPointer),
                sourceStrides: yOnly ? [strides[0]] : strides,
                sourceWidth: width, sourceHeight: height,
                sourceFormat: yOnly ? AV_PIX_FMT_GRAY8 : frame.pixelFormat,
                destination: [out.baseAddress], destinationStrides: [Int32(w)],
                width: w, height: h, format: AV_PIX_FMT_GRAY8, flags: Int32(SWS_AREA))
        }
        return LumaImage(width: w, height: h, pixels: pixels)
    }

    /// The picture as RGB24 at `width`×`height`.
    ///
    /// - Parameters:
    ///   - crop: an optional region of the stored picture (x, y, width, height) to convert instead of the whole.
    ///   - smooth: true for an area/triangle-style antialiased downscale (for analysis), false for bicubic (for export).
    public func rgb(width w: Int, height h: Int, crop: (x: Int, y: Int, width: Int, height: Int)? = nil, smooth: Bool = false) throws(LibavError) -> RGBImage {
        try rgb(width: w, height: h, crop: crop, smooth: smooth, scaler: Scaler())
    }

    func rgb(width w: Int, height h: Int, crop: (x: Int, y: Int, width: Int, height: Int)?, smooth: Bool, scaler: Scaler) throws(LibavError) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var planes = frame.planes.map(constPointer)
        var sw = width, sh = height
        if let crop, let desc = av_pix_fmt_desc_get(frame.pixelFormat) {
            // Offset each plane's pointer to the crop origin (chroma planes subsampled).
            let strides = frame.strides
            let components = Int(desc.pointee.nb_components)
            let isPlanar = desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0
            let bytesPerPixel = isPlanar ? max(1, (Int(desc.pointee.comp.0.depth) + 7) / 8) : Int(desc.pointee.comp.0.step)
            let cw = Int(desc.pointee.log2_chroma_w), ch = Int(desc.pointee.log2_chroma_h)
            let cx = crop.x & ~((1 << cw) - 1), cy = crop.y & ~((1 << ch) - 1)
            for i in 0..<planes.count where planes[i] != nil {
                let chroma = isPlanar && (i == 1 || i == 2) && components >= 3
                let x = chroma ? cx >> cw : cx, y = chroma ? cy >> ch : cy
                planes[i] = planes[i]! + y * Int(strides[i]) + x * bytesPerPixel
            }
            sw = crop.width
            sh = crop.height
        }
        let flags = smooth ? Int32(SWS_AREA) : Int32(SWS_BICUBIC) | Int32(SWS_ACCURATE_RND) | Int32(SWS_FULL_CHR_H_INT)
        try pixels.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<UInt8>) throws(LibavError) in
            try scaler.scale(
                source: planes, sourceStrides: frame.strides, sourceWidth: sw, sourceHeight: sh, sourceFormat: frame.pixelFormat,
                destination: [out.baseAddress], destinationStrides: [Int32(w * 3)],
                width: w, height: h, format: AV_PIX_FMT_RGB24, flags: flags)
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// True when plane 0 of `format` is 8-bit luma that can be scaled on its own as GRAY8.
    static func hasEightBitLumaPlane(_ format: AVPixelFormat) -> Bool {
        guard let desc = av_pix_fmt_desc_get(format) else { return false }
        let d = desc.pointee
        let planar = d.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0
        let rgb = d.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
        let pal = d.flags & UInt64(AV_PIX_FMT_FLAG_PAL) != 0
        return planar && !rgb && !pal && d.comp.0.depth == 8 && d.comp.0.plane == 0 && d.comp.0.step == 1
            || format == AV_PIX_FMT_GRAY8
    }
}

private func constPointer(_ p: UnsafeMutablePointer<UInt8>?) -> UnsafePointer<UInt8>? { p.map { UnsafePointer($0) } }

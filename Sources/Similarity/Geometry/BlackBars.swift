import Pixels

/// Letterbox, pillarbox and windowbox bars: the active picture inside them, found as ffmpeg's `cropdetect`
/// finds it (libavfilter `vf_cropdetect.c`, mode `black`).
///
/// The rule, exactly: a row (column) is content when the integer mean of its samples over the whole width
/// (height), `Σ v / n` rounded down, is greater than `limit` (default 24, cropdetect's 24/255 of the 8-bit
/// range; samples are the luma as decoded, black being 16 in limited-range video). The active picture runs
/// from the first to the last content row and column. Over several frames (``add(_:)`` each), it is the union
/// of the frames' — cropdetect with `reset_count` 0 and `max_outliers` 0 — so one bright frame of a scene is
/// enough to show the full picture, and a frame without content (black) changes nothing. Nothing else (no
/// skipped first frames, no rounding) unless asked with ``cropdetectRectangle(round:)``.
///
/// Constant memory; ``add(_:)`` allocates nothing.
public struct BlackBarDetector: Sendable, Equatable {
    /// Rows and columns whose mean is at most this are bars.
    public let limit: Int
    /// The size of the pictures seen (all the same size).
    public private(set) var width = 0
    public private(set) var height = 0
    /// Frames added.
    public private(set) var frames = 0
    // The union of content so far, inclusive; empty while x1 > x2.
    private var x1 = Int.max, y1 = Int.max, x2 = -1, y2 = -1

    public init(limit: Int = 24) {
        self.limit = limit
    }

    /// Adds a frame of the scene.
    ///
    /// - Parameter luma: The frame's luma; every frame of one detector has the same size.
    public mutating func add(_ luma: LumaImage) {
        if frames == 0 {
            width = luma.width
            height = luma.height
        }
        precondition(luma.width == width && luma.height == height, "frames of different sizes")
        frames += 1
        let w = width, h = height, limit = self.limit
        luma.pixels.withUnsafeBufferPointer { p in
            func rowIsContent(_ y: Int) -> Bool {
                var total = 0
                for x in 0..<w { total += Int(p[y * w + x]) }
                return total / w > limit
            }
            func columnIsContent(_ x: Int) -> Bool {
                var total = 0
                for y in 0..<h { total += Int(p[y * w + x]) }
                return total / h > limit
            }
            // As cropdetect: look only where the union can still grow.
            var y = 0
            while y < min(y1, h) && !rowIsContent(y) { y += 1 }
            guard y < min(y1, h) || y1 < h else { return }  // no content in this frame, none before
            y1 = min(y1, y)
            y = h - 1
            while y > max(y2, y1) && !rowIsContent(y) { y -= 1 }
            y2 = max(y2, y)
            var x = 0
            while x < min(x1, w) && !columnIsContent(x) { x += 1 }
            x1 = min(x1, x)
            x = w - 1
            while x > max(x2, x1) && !columnIsContent(x) { x -= 1 }
            x2 = max(x2, x)
        }
    }

    /// The active picture of one frame alone (nil: no row is content); the union of these over frames is what
    /// ``active`` gives for the same frames.
    public static func content(of luma: LumaImage, limit: Int = 24) -> PictureRect? {
        var detector = BlackBarDetector(limit: limit)
        detector.add(luma)
        return detector.active
    }

    /// The picture of one frame inside its letterbox, pillarbox or windowbox bars: ``content(of:limit:)`` kept on an
    /// axis only where the dark bands it leaves out on both sides look like bars — each at least 2% of the side (2
    /// pixels at the least) and of about one size (within 15% of the larger, or 2 pixels) — and the whole extent of
    /// that axis otherwise, so that a dark sky or floor, or a dark side of a night shot, is never cut off. nil for a
    /// frame without content (black).
    public static func activePicture(of luma: LumaImage, limit: Int = 24) -> PictureRect? {
        guard let c = content(of: luma, limit: limit) else { return nil }
        func axis(_ start: Int, _ length: Int, side: Int) -> (start: Int, length: Int) {
            let before = start, after = side - start - length
            let barLike = min(before, after) >= max(2, side / 50) && abs(before - after) <= max(2, max(before, after) * 15 / 100)
            return barLike ? (start, length) : (0, side)
        }
        let x = axis(c.x, c.width, side: luma.width), y = axis(c.y, c.height, side: luma.height)
        return PictureRect(x: x.start, y: y.start, width: x.length, height: y.length)
    }

    /// The active picture: the union of the content rows and columns seen; nil before any frame with content.
    public var active: PictureRect? {
        guard x1 <= x2, y1 <= y2 else { return nil }
        return PictureRect(x: x1, y: y1, width: x2 - x1 + 1, height: y2 - y1 + 1)
    }

    /// The active picture, or the whole picture when no frame had content.
    public var activeOrWhole: PictureRect { active ?? PictureRect(width: max(width, 1), height: max(height, 1)) }

    /// What `cropdetect=round=R` prints as `crop=w:h:x:y` for the same frames (with `skip=0`): the corner
    /// rounded up to even coordinates and the size shrunk to a multiple of `round` (16 when `round` ≤ 1,
    /// doubled when odd), half the shrink, rounded to even, added to the corner.
    public func cropdetectRectangle(round: Int) -> PictureRect? {
        guard x1 <= x2, y1 <= y2 else { return nil }
        var r = round <= 1 ? 16 : round
        if r % 2 != 0 { r *= 2 }
        var x = (x1 + 1) & ~1, y = (y1 + 1) & ~1
        var w = x2 - x + 1, h = y2 - y + 1
        var shrink = w % r
        w -= shrink
        x += (shrink / 2 + 1) & ~1
        shrink = h % r
        h -= shrink
        y += (shrink / 2 + 1) & ~1
        return PictureRect(x: x, y: y, width: w, height: h)
    }
}

extension PictureRect {
    /// The same part of a picture of `width` × `height` pixels, for this rectangle of a picture of `from`'s size
    /// (another scale of it), with edges rounded inwards, so that no row or column of the result reaches outside
    /// this rectangle (a cell of a thumbnail half bar, half picture is left out); nil when that leaves fewer than
    /// 2 rows or columns.
    public func inside(scaledFrom from: (width: Int, height: Int), toWidth width: Int, height: Int) -> PictureRect? {
        let sx = Double(width) / Double(max(from.width, 1)), sy = Double(height) / Double(max(from.height, 1))
        let x0 = max(0, Int((Double(x) * sx).rounded(.up))), y0 = max(0, Int((Double(y) * sy).rounded(.up)))
        let x1 = min(width, Int((Double(x + self.width) * sx).rounded(.down)))
        let y1 = min(height, Int((Double(y + self.height) * sy).rounded(.down)))
        guard x1 - x0 >= 2, y1 - y0 >= 2 else { return nil }
        return PictureRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}

extension LumaImage {
    /// The pixels of `rect` (which must lie inside the picture).
    public func cropped(to rect: PictureRect) -> LumaImage {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.width > 0 && rect.height > 0 && rect.x + rect.width <= width
                     && rect.y + rect.height <= height, "crop \(rect) outside \(width)x\(height)")
        if rect == PictureRect(width: width, height: height) { return self }
        var out = [UInt8]()
        out.reserveCapacity(rect.area)
        for y in rect.y..<(rect.y + rect.height) {
            let row = y * width + rect.x
            out.append(contentsOf: pixels[row..<(row + rect.width)])
        }
        return LumaImage(width: rect.width, height: rect.height, pixels: out)
    }
}

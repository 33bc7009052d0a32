import Foundation

/// Photographs for the image-folder tests: real frames (of `samples/shots-360p.mp4`, encoded as JPEG by ffmpeg)
/// with EXIF capture times written by a minimal TIFF writer below. libavcodec's own EXIF reader (the `mjpeg`
/// decoder's frame metadata, shown by `ffprobe -show_frames`) confirms what is written, so the tool's reader is
/// not only checked against its mirror image.
extension Fixtures {
    /// The 20 frames of `shots-360p.mp4` at 2 fps as JPEG files `frame-01.jpg` … `frame-20.jpg` (shots: 1–6, 7–12, 13–20).
    public static func sampleFrames() throws -> URL {
        try ffmpegFixture("sample-frames", folder: true, [["-i", sample("shots-360p.mp4").path, "-vf", "fps=2", "-q:v", "3", "{out}/frame-%02d.jpg"]])
    }

    /// The bytes of frame `n` (1 … 20) of ``sampleFrames()``.
    public static func sampleFrame(_ n: Int) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: sampleFrames().appendingPathComponent(String(format: "frame-%02d.jpg", n))))
    }

    /// `jpeg` with an EXIF APP1 segment inserted after its SOI marker, recording `date` (`YYYY:MM:DD HH:MM:SS`)
    /// as DateTimeOriginal, with SubSecTimeOriginal and OffsetTimeOriginal when given.
    public static func withCaptureTime(_ jpeg: [UInt8], _ date: String, subSeconds: String? = nil, offset: String? = nil, bigEndian: Bool = false) -> [UInt8] {
        let tiff = exifTIFF(date: date, subSeconds: subSeconds, offset: offset, bigEndian: bigEndian)
        let body = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body + Array(jpeg[2...])
    }

    /// A TIFF structure: IFD0 with one entry (the Exif IFD pointer), the Exif IFD with DateTimeOriginal (0x9003)
    /// and optionally OffsetTimeOriginal (0x9011) and SubSecTimeOriginal (0x9291), values after the IFDs.
    public static func exifTIFF(date: String, subSeconds: String? = nil, offset: String? = nil, bigEndian: Bool = false) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        var ascii: [(tag: Int, bytes: [UInt8])] = [(0x9003, Array(date.utf8) + [0])]
        if let offset { ascii.append((0x9011, Array(offset.utf8) + [0])) }
        if let subSeconds { ascii.append((0x9291, Array(subSeconds.utf8) + [0])) }
        let exifIFD = 8 + 2 + 12 + 4
        var data = exifIFD + 2 + 12 * ascii.count + 4
        var out: [UInt8] = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(8)
        out += u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(exifIFD) + u32(0)
        var values: [UInt8] = []
        out += u16(ascii.count)
        for entry in ascii {
            out += u16(entry.tag) + u16(2) + u32(entry.bytes.count)
            if entry.bytes.count <= 4 {
                out += entry.bytes + [UInt8](repeating: 0, count: 4 - entry.bytes.count)
            } else {
                out += u32(data)
                values += entry.bytes
                data += entry.bytes.count
            }
        }
        return out + u32(0) + values
    }
}

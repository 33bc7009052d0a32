import CFFmpeg
import Foundation

/// Where the times of a folder of images (or a numbered pattern) come from.
public enum ImageTime: String, Sendable, CaseIterable {
    /// One image every 1/R seconds (`--image-rate R`), in order of name.
    case rate
    /// Each file's modification time; images in that order (ties by name).
    case mtime
    /// Each image's EXIF `DateTimeOriginal` (with `SubSecTimeOriginal` and `OffsetTimeOriginal` when present),
    /// else `DateTimeDigitized`, else `DateTime`, else its modification time (with a warning); in that order.
    case exif
}

/// True for a local folder (read as a sequence of images) and for a numbered pattern such as `shot%03d.png`
/// that is not itself a file.
public func isImageSequence(_ input: String) -> Bool {
    input != "-" && !input.contains("://") && ImageSequence.isImageSequence(input)
}

/// The pictures of a folder, or of a numbered pattern (`shot%03d.png`), read as one sequence by libavformat's
/// `image2` demuxer.
///
/// A folder's files are probed by libavformat (the `*_pipe` image readers); files that are not pictures are
/// skipped and reported. The pictures are then presented to `image2` as `%06d.<ext>` through a temporary
/// folder of symbolic links (removed in `deinit`), in the sequence's order: by name, or by capture time. One
/// `image2` stream has one decoder, so a folder that mixes formats (JPEG photographs and PNG screenshots) is
/// read as consecutive ``Segment``s of one format each, one after the other. A pattern read at a rate goes to
/// `image2` as it is.
final class ImageSequence {
    /// Consecutive pictures of one format: one `image2` input.
    struct Segment {
        /// What `image2` opens: the pattern itself or `<links>/<k>/%06d.<ext>`.
        let url: String
        /// Its pictures' positions in ``ImageSequence/files`` (their numbers in its input start at 0).
        let pictures: Range<Int>
        /// The codec of its pictures (`mjpeg`, `png`, …).
        let codec: String
    }

    /// The pictures in sequence order, as the user would spell their paths (frame ordinal k is file k).
    let files: [String]
    /// Each picture's time in microseconds from the first, or nil at `image2`'s rate.
    let microseconds: [Int64]?
    /// The sequence's runs of one format, in order; at least one.
    let segments: [Segment]
    /// What `image2` opens first: ``segments``' first URL.
    var url: String { segments[0].url }
    /// The pictures' codecs, each once, in order of first appearance.
    var codecs: [String] {
        var seen = Set<String>()
        return segments.map(\.codec).filter { seen.insert($0).inserted }
    }
    /// Files skipped and images without a capture time, each a line for the user.
    let warnings: [String]
    private let links: URL?

    /// - Parameters:
    ///   - input: a folder, or a pattern with a printf-style `%d` (`%03d`).
    ///   - time: where times come from.
    /// - Throws: ``DecoderError`` when the folder holds no picture at all, or cannot be listed.
    init(input: String, time: ImageTime) throws(DecoderError) {
        let fm = FileManager.default
        let folder = FileSystemName.isFolder(input)
        var warnings: [String] = []
        var files: [String]
        var codecOf: [String: AVCodecID] = [:]  // by path; filled for a folder's pictures
        if folder {
            guard let names = FileSystemName.contents(ofFolder: input) else { throw .permissionDenied }
            let base = input.hasSuffix("/") ? input : input + "/"
            var candidates: [(path: String, codec: AVCodecID)] = []
            var notImages: [String] = [], special: [String] = []
            // Byte order, as `ls` sorts in the C locale.
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where !name.hasPrefix(".") {
                let path = base + name
                guard let info = FileSystemName.status(path), (info.st_mode & S_IFMT) != S_IFDIR else { continue }
                // Only regular files are read: opening a FIFO would wait for a writer for ever, a device could be anything.
                guard (info.st_mode & S_IFMT) == S_IFREG else { special.append(name); continue }
                if let codec = ImageSequence.imageCodec(path) { candidates.append((path, codec)) } else { notImages.append(name) }
            }
            guard !candidates.isEmpty else { throw .noImages(files: notImages.count + special.count) }
            files = candidates.map(\.path)
            for c in candidates { codecOf[c.path] = c.codec }
            if !notImages.isEmpty {
                warnings.append("skipped \(notImages.count) \(notImages.count == 1 ? "file that is not an image" : "files that are not images"): \(ImageSequence.listed(notImages))")
            }
            if !special.isEmpty {
                warnings.append("skipped \(special.count) \(special.count == 1 ? "entry that is not a regular file" : "entries that are not regular files") (FIFOs, sockets, devices): \(ImageSequence.listed(special))")
            }
        } else {
            files = ImageSequence.numberedFiles(input)
            guard !files.isEmpty else { throw .notFound }
        }
        var microseconds: [Int64]? = nil
        if time != .rate {
            var seconds: [Double] = []
            var withoutCapture = 0
            for path in files {
                if time == .exif, let t = CaptureTime.read(path: path) { seconds.append(t); continue }
                if time == .exif { withoutCapture += 1 }
                let modified = FileSystemName.status(path).map { Double($0.st_mtim.tv_sec) + Double($0.st_mtim.tv_nsec) / 1e9 }
                seconds.append(modified ?? 0)
            }
            if withoutCapture > 0 {
                warnings.append("\(withoutCapture) of \(files.count) images have no EXIF capture time: their file modification times are used")
            }
            let order = files.indices.sorted { seconds[$0] != seconds[$1] ? seconds[$0] < seconds[$1] : $0 < $1 }
            files = order.map { files[$0] }
            let first = seconds[order[0]]
            microseconds = order.map { Int64(((seconds[$0] - first) * 1e6).rounded()) }
        }
        self.files = files
        self.microseconds = microseconds
        self.warnings = warnings
        if !folder && time == .rate {
            let codec = ImageSequence.imageCodec(files[0]).map { String(cString: avcodec_get_name($0)) } ?? "?"
            segments = [Segment(url: input, pictures: files.indices, codec: codec)]
            links = nil
            return
        }
        // Runs of one codec, in sequence order (a pattern's files all go to one decoder, as `image2` reads them).
        var runs: [Range<Int>] = []
        for i in files.indices {
            if let last = runs.last, codecOf[files[i]] == codecOf[files[last.lowerBound]] {
                runs[runs.count - 1] = last.lowerBound..<i + 1
            } else {
                runs.append(i..<i + 1)
            }
        }
        // Folders of links named 000000.<ext>, 000001.<ext>, … in sequence order, one per run.
        let links = fm.temporaryDirectory.appendingPathComponent("framededupe-images-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        self.links = links
        var segments: [Segment] = []
        for (k, run) in runs.enumerated() {
            let folder = runs.count == 1 ? links : links.appendingPathComponent("\(k)", isDirectory: true)
            do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw .libav(LibavError(code: cff_error_from_errno(EACCES), operation: "create \(folder.path)"))
            }
            let codec = codecOf[files[run.lowerBound]] ?? ImageSequence.imageCodec(files[run.lowerBound])
            let codecName = codec.map { String(cString: avcodec_get_name($0)) } ?? "?"
            // `image2` takes the decoder from the pattern's extension: the first file's own when it has one.
            var ext = (files[run.lowerBound] as NSString).pathExtension.lowercased()
            if ext.isEmpty || runs.count > 1, codec != nil { ext = codecName == "mjpeg" ? "jpg" : codecName }
            for (i, path) in files[run].enumerated() {
                let target = path.hasPrefix("/") ? path : fm.currentDirectoryPath + "/" + path
                FileSystemName.withPath(target) { _ = symlink($0, folder.appendingPathComponent(String(format: "%06d.", i) + ext).path) }
            }
            segments.append(Segment(url: folder.path + "/%06d." + ext, pictures: run, codec: codecName))
        }
        self.segments = segments
    }

    deinit {
        if let links { try? FileManager.default.removeItem(at: links) }
    }

    /// True for a folder, and for a pattern with a printf-style `%d` that is not itself a file.
    static func isImageSequence(_ path: String) -> Bool {
        if let info = FileSystemName.status(path) { return info.st_mode & S_IFMT == S_IFDIR }
        return path.range(of: #"%0?[0-9]*d"#, options: .regularExpression) != nil
    }

    /// The files `image2` reads for a pattern: from the first number of 0 to 4 that exists (its
    /// `start_number_range`), then each following number until one is missing.
    static func numberedFiles(_ pattern: String) -> [String] {
        func name(_ n: Int) -> String? {
            var buffer = [CChar](repeating: 0, count: 4096)
            let made = FileSystemName.withPath(pattern) { av_get_frame_filename2(&buffer, Int32(buffer.count), $0, Int32(n), 0) }
            guard made == 0 else { return nil }
            return FileSystemName.string(buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
        }
        guard var n = (0..<5).first(where: { name($0).map { FileSystemName.status($0) != nil } == true }) else { return [] }
        var files: [String] = []
        // Regular files only: `image2` would wait for ever on a FIFO among them.
        while let path = name(n), FileSystemName.isRegularFile(path) {
            files.append(path)
            n += 1
        }
        return files
    }

    /// The codec of a picture file as libavformat's image readers (`jpeg_pipe`, `png_pipe`, …) recognise its
    /// first bytes; nil when none does.
    static func imageCodec(_ path: String) -> AVCodecID? {
        // Without blocking: a FIFO named by a pattern must not hold the run up.
        guard let head = FileSystemName.head(path, count: 4096), let format = probedFormat(head, filename: "") else { return nil }
        guard String(cString: format.pointee.name).hasSuffix("_pipe"), format.pointee.raw_codec_id != 0 else { return nil }
        return AVCodecID(rawValue: UInt32(format.pointee.raw_codec_id))
    }

    /// Up to three names, then how many more.
    static func listed(_ names: [String]) -> String {
        names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
    }
}

/// The capture time a photograph records in its EXIF data (JPEG APP1 `Exif`, or a TIFF file's own IFDs).
///
/// Our own small reader, used before any picture is decoded (libavcodec's `mjpeg` decoder exports the same
/// tags as frame metadata, but only while decoding, and the sequence's order and time axis are needed
/// first). It reads IFD0 and the Exif sub-IFD: `DateTimeOriginal` (0x9003), else `DateTimeDigitized`
/// (0x9004), else IFD0's `DateTime` (0x0132); `SubSecTimeOriginal` (0x9291) adds the fraction and
/// `OffsetTimeOriginal` (0x9011) the time zone. Without a zone the time is read as UTC: only differences
/// between the pictures of one camera matter.
public enum CaptureTime {
    /// Seconds since 1970 of the picture at `path`, nil when it records none (or is not JPEG/TIFF).
    public static func read(path: String) -> Double? {
        // EXIF sits in the first 64 KB of a JPEG (an APP segment is at most 64 KB).
        FileSystemName.head(path, count: 1 << 17).flatMap(read(bytes:))
    }

    public static func read(bytes: [UInt8]) -> Double? {
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 { return jpeg(bytes) }
        if bytes.count >= 8, (bytes[0] == 0x49 && bytes[1] == 0x49) || (bytes[0] == 0x4D && bytes[1] == 0x4D) { return tiff(bytes[...]) }
        return nil
    }

    /// Walks the JPEG's marker segments up to the start of scan, looking for APP1 `Exif\0\0`.
    private static func jpeg(_ b: [UInt8]) -> Double? {
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan, end of image: no EXIF before them
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2 else { return nil }
            let body = i + 4, end = min(b.count, i + 2 + length)
            if marker == 0xE1, end - body > 6, b[body..<body + 6].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                return tiff(b[(body + 6)..<end])
            }
            i += 2 + length
        }
        return nil
    }

    /// Reads the capture time from a TIFF structure (byte order mark, 42, offset of IFD0).
    static func tiff(_ t: ArraySlice<UInt8>) -> Double? {
        let t = Array(t)
        guard t.count >= 8 else { return nil }
        let little = t[0] == 0x49
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd0 = u32(4) else { return nil }
        /// Tag → (type, count, value offset or inline position) of one IFD.
        func entries(_ offset: Int) -> [Int: (type: Int, count: Int, at: Int)] {
            guard let n = u16(offset), n < 1000 else { return [:] }
            var out: [Int: (Int, Int, Int)] = [:]
            for k in 0..<n {
                let e = offset + 2 + 12 * k
                guard let tag = u16(e), let type = u16(e + 2), let count = u32(e + 4) else { break }
                let size = [1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8][type, default: 1] * count
                let at = size <= 4 ? e + 8 : (u32(e + 8) ?? -1)
                out[tag] = (type, count, at)
            }
            return out
        }
        func ascii(_ entry: (type: Int, count: Int, at: Int)?) -> String? {
            guard let entry, entry.type == 2, entry.at >= 0, entry.count > 0, entry.at + entry.count <= t.count else { return nil }
            let bytes = t[entry.at..<(entry.at + entry.count)].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        let first = entries(ifd0)
        var exif: [Int: (type: Int, count: Int, at: Int)] = [:]
        if let pointer = first[0x8769], let offset = u32(pointer.at) { exif = entries(offset) }
        let candidates: [(String?, String?, String?)] = [
            (ascii(exif[0x9003]), ascii(exif[0x9291]), ascii(exif[0x9011])),
            (ascii(exif[0x9004]), ascii(exif[0x9292]), ascii(exif[0x9012])),
            (ascii(first[0x0132]), ascii(exif[0x9290]), ascii(exif[0x9010])),
        ]
        for (date, fraction, zone) in candidates {
            if let date, var seconds = parse(date) {
                if let fraction, !fraction.isEmpty, fraction.allSatisfy(\.isNumber), let f = Double("0." + fraction) { seconds += f }
                if let zone, let offset = zoneOffset(zone) { seconds -= offset }
                return seconds
            }
        }
        return nil
    }

    /// `YYYY:MM:DD HH:MM:SS` as seconds since 1970 (UTC); nil when malformed or blank (`0000:00:00 …`).
    static func parse(_ text: String) -> Double? {
        let fields = text.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "-" || $0 == "T" }).compactMap { Int($0) }
        guard fields.count == 6 else { return nil }
        let (y, m, d, hh, mm, ss) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5])
        guard y >= 1, (1...12).contains(m), (1...31).contains(d), (0...23).contains(hh), (0...59).contains(mm), (0...60).contains(ss) else { return nil }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Double(days * 86400 + hh * 3600 + mm * 60 + ss)
    }

    /// `+02:00` → 7200 seconds.
    static func zoneOffset(_ text: String) -> Double? {
        guard text.count == 6, let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let parts = text.dropFirst().split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        return Double(sign == "-" ? -1 : 1) * Double(parts[0] * 3600 + parts[1] * 60)
    }
}

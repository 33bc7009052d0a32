import Decoder
import Foundation
@_spi(Evaluation) import FrameDedupe

/// Reading, measuring and exporting a keyframe image (decoded and encoded by libav).
public enum KeyframeImage {
    /// The image's measures (``PictureMeasures``), nil when libav cannot read it.
    public static func measure(_ url: URL) -> PictureMeasures? {
        guard let frame = decode(url) else { return nil }
        return PictureMeasures(luma: frame.luma, width: frame.picture.width, height: frame.picture.height)
    }

    static func decode(_ url: URL) -> SampledFrame? {
        var options = ReaderOptions()
        options.sampling = .all
        guard let reader = try? VideoReader(input: url.path, options: options), let frame = try? reader.next() else { return nil }
        return frame
    }

    /// Whether a keyframe of `width`×`height` stored as `keyframe` is re-encoded for export (another format, or
    /// larger than `maxSide`); when not, the exported image is the keyframe's file itself (a hard link).
    public static func isReencoded(_ keyframe: URL, width: Int, height: Int, format: StillImageFormat, maxSide: Int?) -> Bool {
        let ext = keyframe.pathExtension.lowercased()
        let same = ext == format.fileExtension || (ext == "jpeg" && format == .jpg)
        return !same || maxSide.map { max(width, height) > $0 } == true
    }

    /// The size a keyframe of `width`×`height` is exported at: its own, or, re-encoded, within `maxSide` (no upscaling)
    /// with even sides (as ``Picture/displaySize(maxSide:)`` makes it).
    public static func exportSize(width: Int, height: Int, maxSide: Int?, reencoded: Bool) -> (width: Int, height: Int) {
        guard reencoded else { return (width, height) }
        var (w, h) = (Double(width), Double(height))
        if let maxSide, max(w, h) > Double(maxSide) {
            let s = Double(maxSide) / max(w, h)
            w *= s
            h *= s
        }
        return (max(2, Int(w.rounded()) & ~1), max(2, Int(h.rounded()) & ~1))
    }
}

/// Writes a planned dataset into its folder: images per split, `manifest.jsonl`, `manifest.csv`, WebDataset shards,
/// `dataset.json`; all staged, then moved into place at once (``OutputFolder``), the JSON last.
///
/// Earlier images are hard-linked (or copied) from the folder into the staging area, so the committed split folders
/// hold every earlier image and the new ones; earlier manifest lines are written back byte for byte.
public struct DatasetWriter {
    public let folder: OutputFolder
    public let format: StillImageFormat
    public let jpegQuality: Int
    public let maxSide: Int?
    /// Also write WebDataset tar shards, this many samples each at most.
    public let shardSize: Int?

    public init(folder: OutputFolder, format: StillImageFormat, jpegQuality: Int, maxSide: Int?, shardSize: Int?) {
        self.folder = folder
        self.format = format
        self.jpegQuality = jpegQuality
        self.maxSide = maxSide
        self.shardSize = shardSize
    }

    /// Stages everything and commits; `summary` is `dataset.json`'s object. `progress` is called after each new image.
    public func write(_ plan: DatasetPlan, splits: SplitFractions, summary: JSONValue, progress: (Int) -> Void = { _ in }) throws(DatasetError) {
        let fm = FileManager.default
        do throws(OutputError) {
            for name in splits.names { _ = try folder.stagedFolder(name) }
        } catch { throw DatasetError(path: error.path, reason: error.reason) }
        for image in plan.earlier.images {
            let from = folder.url.appendingPathComponent(image.path), to = folder.staging.appendingPathComponent(image.path)
            try? fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            if link(from.path, to.path) != 0 {
                do { try fm.copyItem(at: from, to: to) } catch {
                    throw DatasetError(path: from.path, reason: "an image of the manifest is missing or unreadable (\(OutputFolder.reason(error))); "
                                       + "the dataset folder was changed by hand: make a new one")
                }
            }
        }
        let encoder = StillImageEncoder(format: format, jpegQuality: jpegQuality)
        for (n, image) in plan.added.enumerated() {
            let target = folder.staging.appendingPathComponent(image.record.path)
            if image.reencoded || link(image.keyframe.path, target.path) != 0 {
                guard let frame = KeyframeImage.decode(image.keyframe) else {
                    throw DatasetError(path: image.keyframe.path, reason: "keyframe image cannot be read")
                }
                let bytes: [UInt8]
                do { bytes = try encoder.encode(frame.picture, maxSide: maxSide) } catch {
                    throw DatasetError(path: folder.url.appendingPathComponent(image.record.path).path, reason: "cannot encode (\(error))")
                }
                do { try Data(bytes).write(to: target) } catch {
                    throw DatasetError(path: folder.url.appendingPathComponent(image.record.path).path, reason: OutputFolder.reason(error))
                }
            }
            progress(n + 1)
        }
        var order = splits.names
        let lines = plan.earlier.lines + plan.added.map(\.record.jsonLine)
        try stage(lines.map { $0 + "\n" }.joined(), DatasetLayout.manifest)
        try stage(([DatasetImage.csvHeader] + plan.all.map(\.csvRow)).map { $0 + "\r\n" }.joined(), DatasetLayout.table)
        if let shardSize { order += try writeShards(plan.all, splits: splits, size: shardSize) }
        order += [DatasetLayout.table, DatasetLayout.manifest]
        try stage(summary.serialized() + "\n", DatasetLayout.summary)
        order.append(DatasetLayout.summary)
        do throws(OutputError) { try folder.commit(order: order) } catch { throw DatasetError(path: error.path, reason: error.reason) }
    }

    private func stage(_ text: String, _ name: String) throws(DatasetError) {
        do throws(OutputError) { try folder.write(text, to: name) } catch { throw DatasetError(path: error.path, reason: error.reason) }
    }

    /// `<split>-000000.tar`, …: per image `<key>.<ext>` (its bytes) and `<key>.json` (its manifest line), written out
    /// sample by sample (one image in memory at a time); returns the names.
    private func writeShards(_ images: [DatasetImage], splits: SplitFractions, size: Int) throws(DatasetError) -> [String] {
        var names: [String] = []
        for split in splits.names {
            let members = images.filter { $0.split == split }
            for (number, start) in stride(from: 0, to: members.count, by: size).enumerated() {
                let name = DatasetLayout.shard(split, number)
                let target = folder.staging.appendingPathComponent(name)
                func failure(_ reason: String) -> DatasetError { DatasetError(path: folder.url.appendingPathComponent(name).path, reason: reason) }
                guard FileManager.default.createFile(atPath: target.path, contents: nil), let file = FileHandle(forWritingAtPath: target.path) else {
                    throw failure("cannot create")
                }
                defer { try? file.close() }
                var tar = TarArchiveWriter()
                do {
                    for image in members[start..<min(start + size, members.count)] {
                        let ext = (image.path as NSString).pathExtension
                        guard let bytes = FileManager.default.contents(atPath: folder.staging.appendingPathComponent(image.path).path) else {
                            throw DatasetError(path: folder.url.appendingPathComponent(image.path).path, reason: "cannot be read for its shard")
                        }
                        do throws(TarArchiveWriter.NameError) {
                            try tar.append(name: image.key + "." + ext, contents: Array(bytes))
                            try tar.append(name: image.key + ".json", contents: Array((image.jsonLine + "\n").utf8))
                        } catch { throw DatasetError(path: image.path, reason: error.description) }
                        try file.write(contentsOf: tar.takeBytes())
                    }
                    try file.write(contentsOf: TarArchiveWriter.end)
                } catch let error as DatasetError {
                    throw error
                } catch {
                    throw failure(OutputFolder.reason(error))
                }
                names.append(name)
            }
        }
        return names
    }
}

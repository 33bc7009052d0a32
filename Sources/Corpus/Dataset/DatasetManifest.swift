import Foundation
import FrameDedupe

/// One image of a training set: a line of `manifest.jsonl` and a row of `manifest.csv` (docs/dataset.md).
public struct DatasetImage: Codable, Sendable, Equatable {
    /// The image file, relative to the dataset folder: `<split>/<key>.<ext>`.
    public var path: String
    public var split: String
    /// The video's path (absolute, as indexed).
    public var video: String
    /// SHA-256 of the video file's bytes, 64 hex digits.
    public var sha256: String
    /// The frame's time, seconds from the stream's start.
    public var time: Double
    /// The frame's number in the stream (presentation order from 0); nil when unknown.
    public var frame: Int?
    /// The scene's number in its video (`scenes.json`'s `id`).
    public var scene: Int
    /// The corpus cluster (the index's id) when the image was added.
    public var cluster: Int64
    /// The image's size in pixels as written.
    public var width: Int
    public var height: Int
    /// Variance of the Laplacian of luma at analysis size (shorter side 256), squared 8-bit units.
    public var sharpness: Double
    /// Share of pixels neither near black nor near white, 0 to 1.
    public var exposure: Double
    /// Why it was kept: `exemplar` or `diverse`.
    public var kept: KeptReason

    public init(path: String, split: String, video: String, sha256: String, time: Double, frame: Int?, scene: Int, cluster: Int64,
                width: Int, height: Int, sharpness: Double, exposure: Double, kept: KeptReason) {
        self.path = path
        self.split = split
        self.video = video
        self.sha256 = sha256
        self.time = time
        self.frame = frame
        self.scene = scene
        self.cluster = cluster
        self.width = width
        self.height = height
        self.sharpness = sharpness
        self.exposure = exposure
        self.kept = kept
    }

    /// The sample's name in the WebDataset shards and the image's file name without extension: the first 16 hex
    /// digits of the video's SHA-256 and the scene, e.g. `1264569225f54d11_s0007` (no dots: WebDataset splits a
    /// member's name at its first dot into key and extension).
    public static func key(sha256: String, scene: Int) -> String { String(sha256.prefix(16)) + "_s" + String(format: "%04d", scene) }

    public var key: String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    /// The JSON object, keys in the documented order.
    public var json: JSONValue {
        .object([
            ("path", .string(path)), ("split", .string(split)), ("video", .string(video)), ("sha256", .string(sha256)),
            ("time", .seconds(time)), ("frame", frame.map { .int($0) } ?? .null), ("scene", .int(scene)), ("cluster", .int(cluster)),
            ("width", .int(width)), ("height", .int(height)), ("sharpness", .number(sharpness, decimals: 2)),
            ("exposure", .number(exposure, decimals: 4)), ("kept", .string(kept.rawValue)),
        ])
    }

    /// The `manifest.jsonl` line (without its newline).
    public var jsonLine: String { json.serialized(pretty: false) }

    /// Reads a `manifest.jsonl` line back.
    public init(jsonLine: String) throws {
        self = try JSONDecoder().decode(DatasetImage.self, from: Data(jsonLine.utf8))
    }

    public static let csvHeader = "path,split,video,sha256,time,frame,scene,cluster,width,height,sharpness,exposure,kept"

    /// The `manifest.csv` row (RFC 4180 quoting where a field needs it).
    public var csvRow: String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func number(_ value: JSONValue) -> String { value.serialized(pretty: false) }
        return [field(path), field(split), field(video), sha256, number(.seconds(time)), frame.map(String.init) ?? "", String(scene), String(cluster),
                String(width), String(height), number(.number(sharpness, decimals: 2)), number(.number(exposure, decimals: 4)), kept.rawValue]
            .joined(separator: ",")
    }
}

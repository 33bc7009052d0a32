import Decoder
import Foundation

// Reading results files back: whole, or (for scoring other tools' results too) only their times.

extension ScenesFile {
    /// Reads a `scenes.json`. Check ``version`` against ``currentVersion`` before relying on the rest.
    /// - Throws: the file's reading error, or a `DecodingError` when it is not a `scenes.json` of this schema.
    public init(contentsOf url: URL) throws {
        self = try JSONDecoder().decode(ScenesFile.self, from: Data(contentsOf: url))
    }

    /// What scoring results needs of a `scenes.json`: each sampled frame's time and cluster, and each scene's start.
    ///
    /// Only `frames[].time`, `frames[].cluster` (absent or `null`: no cluster) and `scenes[].start` are read, so the
    /// results of other tools converted to this shape (`scripts/bench-peers.py`) are read too.
    public struct Timeline: Decodable, Sendable, Equatable {
        public struct Frame: Sendable, Equatable {
            public var time: Double
            public var cluster: Int?
        }

        public var frames: [Frame]
        /// Each scene's start, in the file's order.
        public var sceneStarts: [Double]
        /// The typed transitions (empty in files written before they were).
        public var transitions: [Transition]

        public init(from decoder: any Decoder) throws {
            let file = try decoder.container(keyedBy: ScenesFile.CodingKeys.self)
            var frames = try file.nestedUnkeyedContainer(forKey: .frames), scenes = try file.nestedUnkeyedContainer(forKey: .scenes)
            self.frames = []
            sceneStarts = []
            while !frames.isAtEnd {
                let frame = try frames.nestedContainer(keyedBy: FrameEntry.CodingKeys.self)
                self.frames.append(Frame(time: try frame.decode(Double.self, forKey: .time),
                                         cluster: try frame.decodeIfPresent(Int.self, forKey: .cluster)))
            }
            while !scenes.isAtEnd {
                sceneStarts.append(try scenes.nestedContainer(keyedBy: SceneEntry.CodingKeys.self).decode(Double.self, forKey: .start))
            }
            transitions = try file.decodeIfPresent([Transition].self, forKey: .transitions) ?? []
        }
    }
}

extension ClustersFile {
    /// Reads a `clusters.json`. Check ``version`` against ``currentVersion`` before relying on the rest.
    /// - Throws: the file's reading error, or a `DecodingError` when it is not a `clusters.json` of this schema.
    public init(contentsOf url: URL) throws {
        self = try JSONDecoder().decode(ClustersFile.self, from: Data(contentsOf: url))
    }
}

extension Keyframe {
    /// A keyframe as its entry records it; pts in `timeBase` units.
    init(_ e: KeyframeEntry, timeBase: Rational) {
        self.init(frameIndex: e.index, timestamp: Timestamp(pts: e.pts, timeBase: timeBase), seconds: e.time, path: e.path,
                  centrality: e.centrality, sharpness: e.sharpness, exposure: e.exposure, source: e.source)
    }
}

extension Scene {
    /// A scene as its entry records it (without embedding, feature grid or keyframe luma).
    init(_ e: SceneEntry, timeBase: Rational) {
        self.init(id: e.id, start: e.start, end: e.end, firstFrame: e.firstFrame, frameCount: e.frames,
                  keyframe: Keyframe(e.keyframe, timeBase: timeBase), transition: e.transition)
        activeArea = e.activeArea
    }
}

import Decoder
import Foundation

// The results files of a run, made from its ``SceneList``, and their text as framededupe writes it.

extension ScenesFile {
    /// `scenes.json` of `list`, with every frame.
    public init(_ list: SceneList) {
        self.init(list, frames: list.frames.map { FrameEntry($0, cluster: list.clusters.clusterOfScene[$0.scene]) })
    }

    /// `scenes.json` of `list` with `frames` as its frames (none, when they are written from the list as they go).
    init(_ list: SceneList, frames: [FrameEntry]) {
        let v = list.video, sampling = list.options.reader.sampling
        let rate: SamplingRateEntry
        switch sampling {
        case .all: rate = .all
        case .perSecond(let r): rate = .perSecond(r.doubleValue)
        }
        self.init(
            version: ScenesFile.currentVersion, input: v.input, inputFile: list.inputFile, container: v.container, codec: v.codec, stream: v.streamIndex,
            width: v.width, height: v.height, timeBase: "\(v.timeBase.numerator)/\(v.timeBase.denominator)",
            startTime: v.startSeconds, duration: v.duration, analysedUntil: list.end, samplingFPS: rate,
            decode: list.options.reader.decode.rawValue, options: AnalysisOptionsRecord(list.options),
            counts: DecodeCountsEntry(list.counts, embeddingsReused: list.embeddingsReused, embeddingsSkipped: list.embeddingsSkipped), warnings: list.warnings, complete: list.complete, frames: frames,
            scenes: list.scenes.map { SceneEntry($0, cluster: list.clusters.clusterOfScene[$0.id]) },
            transitions: Transition.of(frames: list.frames, scenes: list.scenes, clusterOfScene: list.clusters.clusterOfScene))
    }

    /// The text framededupe writes: members in the schema's order, one frame and one scene per line.
    public var json: String {
        var text = ""
        write(frames: frames) { text += $0 }
        return text
    }

    /// The text of the file with `frames` as its frames, in pieces to `emit` in order: the frames (most of the file
    /// on a long input) a few hundred at a time, so the whole text is never held in memory.
    func write<Frames: Sequence<FrameEntry>, E: Error>(frames: Frames, _ emit: (String) throws(E) -> Void) throws(E) {
        // The frames' place in the text of the rest, marked by a string no input name holds.
        let marker = "\u{1}frames\u{1}"
        let root = JSONValue.object(JSONValue(encoding: self).members.map { ($0.0, $0.0 == "frames" ? .string(marker) : $0.1) })
        let text = root.serialized() + "\n"
        let placeholder = "\"frames\": " + JSONValue.string(marker).serialized()
        let at = text.range(of: placeholder)!
        try emit(String(text[..<at.lowerBound]) + "\"frames\": ")
        var chunk = "[", first = true
        for frame in frames {
            // As JSONValue writes an array of objects in the root object: one per line, indented twice.
            chunk += first ? "\n    " : ",\n    "
            first = false
            JSONValue(encoding: frame).write(to: &chunk, indent: 2, pretty: false)
            if chunk.utf8.count >= 1 << 16 {
                try emit(chunk)
                chunk = ""
            }
        }
        try emit(first ? "[]" : chunk + "\n  ]")
        try emit(String(text[at.upperBound...]))
    }
}

extension DecodeCountsEntry {
    public init(_ counts: DecodeCounts, embeddingsReused: Int? = nil, embeddingsSkipped: Int? = nil) {
        self.init(packets: counts.packets, sampledFrames: counts.sampledFrames, corruptPackets: counts.corruptPackets,
                  corruptFrames: counts.corruptFrames, framesBehind: counts.framesBehind, embeddingsReused: embeddingsReused,
                  embeddingsSkipped: embeddingsSkipped)
    }
}

extension FrameEntry {
    /// A frame's entry; `cluster` is its scene's.
    public init(_ f: FrameRecord, cluster: Int?) {
        self.init(
            index: f.index, frame: f.ordinal, pts: f.timestamp.pts, time: f.seconds, scene: f.scene, cluster: cluster,
            ssimToReference: f.scores?.ssimToReference, ssimToPrevious: f.scores?.ssimToPrevious, hashDistance: f.scores?.hashDistance,
            embeddingToReference: f.scores?.embeddingToReference, embeddingToPrevious: f.scores?.embeddingToPrevious,
            sharpness: f.quality.sharpness, exposure: f.quality.exposure, transition: f.transition)
    }
}

extension SceneEntry {
    /// A scene's entry; `folder` is put before the keyframe's path (nil: relative to the output folder, as in the files).
    public init(_ s: Scene, cluster: Int?, folder: String? = nil) {
        self.init(id: s.id, cluster: cluster, start: s.start, end: s.end, frames: s.frameCount, firstFrame: s.firstFrame,
                  transition: s.transition, keyframe: KeyframeEntry(s.keyframe, folder: folder), activeArea: s.activeArea)
    }
}

extension KeyframeEntry {
    /// A keyframe's entry; `folder` is put before its path (nil: relative to the output folder).
    public init(_ k: Keyframe, folder: String? = nil) {
        self.init(index: k.frameIndex, pts: k.timestamp.pts, time: k.seconds, path: k.path.map { ResultsLayout.joined(folder, $0) },
                  centrality: k.centrality, sharpness: k.sharpness, exposure: k.exposure, source: k.source)
    }
}

extension AnalysisOptionsRecord {
    /// What `options` records in `scenes.json`.
    public init(_ o: DedupeOptions) {
        let embedding = o.scorer.usesEmbedding
        self.init(
            fps: o.reader.sampling.description, start: o.reader.start, end: o.reader.end, stream: o.reader.stream,
            scorer: o.scorer.rawValue, cutRule: o.rule.method.rawValue, cutProbability: o.rule.cutProbability, minSceneLength: o.minimumSceneLength, ssimThreshold: o.rule.ssimReference,
            cutThreshold: o.rule.ssimCut, embeddingThreshold: o.rule.embeddingReference, embeddingCutThreshold: o.rule.embeddingCut,
            cutRatio: embedding ? o.rule.cutRatio : o.rule.pixelCutRatio,
            minCutChange: embedding ? o.rule.minimumContentChange : o.rule.minimumPixelChange,
            model: embedding ? "efficientnet-" + o.modelVariant.rawValue : nil, networkInput: embedding ? o.networkInput.rawValue : nil,
            // Batches change the network's sums in their last bits.
            batch: embedding ? o.batchSize : nil,
            analysisShortSide: o.reader.analysisShortSide, ssimShortSide: o.ssimShortSide, imageFormat: o.imageFormat.rawValue,
            maxSide: o.maxSide, jpegQuality: o.jpegQuality, raw: o.reader.raw?.description, imageTime: o.reader.imageTime.rawValue,
            imageRate: o.reader.imageRate.description)
    }
}

extension AnalysisOptionsRecord {
    /// The record on one line, as `scenes.json` writes its numbers: what a checkpoint records of the options.
    public var jsonLine: String { JSONValue(encoding: self).serialized(pretty: false) }
}

extension ClusteringOptionsRecord {
    /// The record on one line, as `clusters.json` writes its numbers: what a checkpoint records of the options.
    public var jsonLine: String { JSONValue(encoding: self).serialized(pretty: false) }
}

extension ClustersFile {
    /// `clusters.json` of `list`.
    public init(_ list: SceneList) {
        self.init(version: ClustersFile.currentVersion, input: list.video.input, options: ClusteringOptionsRecord(list.options),
                  spatialCheckVetoes: list.clusters.vetoedPairs, copyJoins: list.clusters.joinedPairs, principalComponentsUsed: list.clusters.principalComponentsUsed,
                  complete: list.complete, clusters: list.clusters.clusters.map { ClusterEntry($0) })
    }

    /// The text framededupe writes: members in the schema's order, one cluster per line.
    public var json: String { JSONValue(encoding: self).serialized() + "\n" }
}

extension ClusterEntry {
    /// A cluster's entry; `folder` is put before image paths (nil: relative to the output folder).
    public init(_ c: Cluster, folder: String? = nil) {
        let k = c.exemplar.keyframe
        let exemplar = ExemplarEntry(
            scene: c.exemplar.scene, index: k.frameIndex, pts: k.timestamp.pts, time: k.seconds,
            path: c.exemplar.path.map { ResultsLayout.joined(folder, $0) }, keyframePath: k.path.map { ResultsLayout.joined(folder, $0) },
            centrality: c.exemplar.centrality, sharpness: k.sharpness, exposure: k.exposure, source: k.source)
        self.init(id: c.id, scenes: c.scenes, frames: c.frames, span: [c.start, c.end], singleton: c.singleton, exemplar: exemplar)
    }
}

extension ClusteringOptionsRecord {
    /// What `options` records in `clusters.json`.
    public init(_ options: DedupeOptions) {
        let o = options.clustering
        self.init(
            clusterThreshold: o.threshold, linkage: o.linkage.rawValue, alpha: o.alpha, timeScale: o.timeScale,
            content: options.scorer.usesEmbedding ? "embedding" : "ssim", spatialCheck: o.spatialCheck, geometricCheck: o.geometricCheck,
            copyRadius: o.copyRadius, gridThreshold: o.gridThreshold,
            mirroredMatch: o.mirroredMatch, shiftedMatch: o.shiftedMatch, minClusterSize: o.minimumSize, pca: o.principalComponents,
            keep: options.keep.rawValue, diversity: options.keep == .diverse ? options.diversity : nil, dendrogram: options.dendrogram)
    }
}

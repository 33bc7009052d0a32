import Decoder
import Foundation
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Not a test: the Swift half of `scripts/geometry-pairs.py`, run when `FRAMEDEDUPE_GEOMETRY_PAIRS` names a request
/// file (JSON, written by that script):
///
///     {"clips": [{"path", "frames": [{"id", "index", "shot_indices": [...]}]}], "pairs": [[id, id], ...],
///      "out": "results.json", "timing_pairs": 200, "analysis_short_side": 256}
///
/// Each clip is decoded as `framededupe embed` decodes it (2 frames a second, luma at 256 pixels on the short
/// side); `index` is the sampled frame's row in the embed output, `shot_indices` the rows of its shot (the black
/// bars are detected over those, as over a scene's frames). Per frame it computes the network's embedding and
/// 3×3 grid (the network's input as the pipeline makes it: the whole picture scaled to 224×224, smoothed), the
/// bars and the local features inside them; per pair the embedding's cosine distance, the grid distance of the
/// spatial check (`sameLayout` in Sources/FrameDedupe/Clusters.swift: the smallest mean cell cosine distance
/// over direct, mirrored, and shifted by one cell; here on the Float grids, not the 8-bit ones, which moves it
/// by about 1e-4) and the geometric measures. Timing: the median over `timing_pairs` pairs (repeated 5 times
/// each) of one `verify`, and the median of one `features(of:)`, in wall-clock and in the thread's CPU time.
///
///     FRAMEDEDUPE_GEOMETRY_PAIRS=/tmp/request.json swift test -c release --filter GeometryPairsTool
@Suite("GeometryPairsTool", .temporaryFolders, .enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_GEOMETRY_PAIRS"] != nil))
struct GeometryPairsTool {
    struct Request: Decodable {
        struct Frame: Decodable {
            var id: String
            var index: Int
            var shot_indices: [Int]
        }

        struct Clip: Decodable {
            var path: String
            var frames: [Frame]
        }

        var clips: [Clip]
        var pairs: [[String]]
        var out: String
        var timing_pairs: Int?
        /// The luma's shorter side for the geometry (default 256, the analysis luma).
        var analysis_short_side: Int?
    }

    struct Prepared {
        var embedding: Embedding
        var features: LocalFeatures
        var active: PictureRect
        var luma: LumaImage
    }

    @Test func run() throws {
        let path = try #require(ProcessInfo.processInfo.environment["FRAMEDEDUPE_GEOMETRY_PAIRS"])
        let request = try JSONDecoder().decode(Request.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let network = try EfficientNetLite(contentsOf: EfficientNetVariant.lite0.defaultModelLocation())
        let extractor = LocalFeatureExtractor()
        var prepared: [String: Prepared] = [:]
        var extractionSeconds: [Double] = [], extractionCPU: [Double] = []
        for clip in request.clips {
            var options = ReaderOptions()
            if let side = request.analysis_short_side { options.analysisShortSide = side }
            let reader = try VideoReader(input: clip.path, options: options)
            var frames: [SampledFrame] = []
            while let frame = try reader.next() { frames.append(frame) }
            for wanted in clip.frames {
                let frame = frames[min(wanted.index, frames.count - 1)]
                var bars = BlackBarDetector()
                for i in wanted.shot_indices where i < frames.count { bars.add(frames[i].luma) }
                let active = bars.activeOrWhole
                let input = try frame.picture.rgb(width: network.inputSize, height: network.inputSize, smooth: true)
                let start = ContinuousClock.now, cpu = threadCPUSeconds()
                let features = extractor.features(of: frame.luma, active: active)
                extractionSeconds.append(seconds(ContinuousClock.now - start))
                extractionCPU.append(threadCPUSeconds() - cpu)
                prepared[wanted.id] = Prepared(embedding: network.embed([input])[0], features: features, active: active, luma: frame.luma)
            }
        }
        let verifier = GeometricVerifier()
        var rows: [[String: Any]] = []
        for pair in request.pairs {
            guard let a = prepared[pair[0]], let b = prepared[pair[1]] else { continue }
            let result = verifier.verify(a.features, b.features)
            var row: [String: Any] = [
                "a": pair[0], "b": pair[1],
                "cosine": Double(a.embedding.cosineDistance(to: b.embedding)),
                "grid": Self.gridDistance(a.embedding, b.embedding),
                "grid_direct": Double(a.embedding.cellDistances(to: b.embedding).reduce(0, +)) / 9,
                "keypoints_a": a.features.count, "keypoints_b": b.features.count,
                "active_a": [a.active.x, a.active.y, a.active.width, a.active.height],
                "active_b": [b.active.x, b.active.y, b.active.width, b.active.height],
                "size_a": [a.luma.width, a.luma.height], "size_b": [b.luma.width, b.luma.height],
                "matches": result.matches, "inliers": result.inliers, "inlier_ratio": result.inlierRatio,
                "coverage_a": result.coverageA, "coverage_b": result.coverageB, "coverage": result.coverage,
                "span_a": result.spanA, "span_b": result.spanB, "span": min(result.spanA, result.spanB),
                "cell_coverage": result.cellCoverage, "inlier_distance": result.inlierDistance,
                "motion_inliers": result.motionInliers, "cell_coverage_motion": result.cellCoverageWithMotion,
                "mirrored": result.mirrored, "is_copy": result.isCopy,
            ]
            for g in [3, 5, 6, 8] {
                let probe = GeometricVerifier()
                probe.cellGrid = g
                row["cell_coverage_\(g)"] = probe.verify(a.features, b.features).cellCoverage
            }
            if let t = result.transform { row["scale"] = t.scale; row["rotation_degrees"] = t.rotation * 180 / Double.pi }
            rows.append(row)
        }
        // Timing: one verification of a prepared pair, and one extraction.
        var verifySeconds: [Double] = [], verifyCPU: [Double] = []
        let timed = request.pairs.prefix(request.timing_pairs ?? 200).compactMap { p in prepared[p[0]].flatMap { a in prepared[p[1]].map { (a, $0) } } }
        for (a, b) in timed {
            for _ in 0..<5 {
                let start = ContinuousClock.now, cpu = threadCPUSeconds()
                _ = verifier.verify(a.features, b.features)
                verifySeconds.append(seconds(ContinuousClock.now - start))
                verifyCPU.append(threadCPUSeconds() - cpu)
            }
        }
        let summary: [String: Any] = [
            "pairs": rows,
            "verify_median_ms": median(verifySeconds) * 1000, "verify_samples": verifySeconds.count,
            "verify_cpu_median_ms": median(verifyCPU) * 1000,
            "features_median_ms": median(extractionSeconds) * 1000, "features_samples": extractionSeconds.count,
            "features_cpu_median_ms": median(extractionCPU) * 1000,
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: request.out))
    }

    /// The spatial check's distance: the smallest mean cell cosine distance of the 3×3 grids over b direct and
    /// mirrored, shifted by −1…1 cells each way (mean over the overlapping cells), as `sameLayout` computes it.
    static func gridDistance(_ a: Embedding, _ b: Embedding) -> Double {
        let side = Embedding.gridSide, n = a.vector.count
        func cosine(_ i: Int, _ j: Int) -> Double {
            var dot = 0.0, na = 0.0, nb = 0.0
            for k in 0..<n {
                let x = Double(a.grid[i * n + k]), y = Double(b.grid[j * n + k])
                dot += x * y; na += x * x; nb += y * y
            }
            return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : 0
        }
        var best = Double.infinity
        for mirror in [false, true] {
            for dy in -1...1 {
                for dx in -1...1 {
                    var total = 0.0, cells = 0
                    for row in 0..<side {
                        for column in 0..<side {
                            let r = row + dy, c = column + dx
                            guard r >= 0, r < side, c >= 0, c < side else { continue }
                            total += 1 - cosine(row * side + column, r * side + (mirror ? side - 1 - c : c))
                            cells += 1
                        }
                    }
                    best = min(best, total / Double(cells))
                }
            }
        }
        return best
    }
}

/// CPU time of the calling thread (leaves out the time other processes take the core: the machine is shared).
private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

private func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

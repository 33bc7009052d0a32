import Foundation
import Pixels
@_spi(Testing) import Similarity
import Testing
import _FrameDedupeTestSupport

// The network is checked against golden files written by `scripts/reference-forward.py` (an independent
// float64 numpy forward pass) from scikit-image's `chelsea` and `coffee` after the ImageNet crop. The
// weights are not in the repository: `python3 scripts/fetch-model.py` writes them (CI runs it first).

/// Loads EfficientNet-Lite0 from `$FRAMEDEDUPE_MODEL` or the default location; a missing file fails the
/// test with the command to run.
private func loadModel(_ variant: EfficientNetVariant = .lite0) throws -> EfficientNetLite {
    let url = variant.defaultModelLocation()
    guard FileManager.default.fileExists(atPath: url.path) else {
        let option = variant == .lite0 ? "" : " --variant \(variant.rawValue)"
        Issue.record("no model at \(url.path): run `python3 scripts/fetch-model.py\(option)` first (it downloads and converts the weights)")
        throw EmbeddingModelError.missing(path: url.path, variant: variant)
    }
    return try EfficientNetLite(contentsOf: url, variant: variant)
}

/// The reference's files for a variant: `Fixtures/embedding` (lite0), `Fixtures/embedding-lite1`, `…-lite2`,
/// written by `scripts/reference-forward.py [--variant V --fixtures DIR]`.
private func fixtures(_ variant: EfficientNetVariant) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        .appendingPathComponent(variant == .lite0 ? "embedding" : "embedding-\(variant.rawValue)")
}

/// One image's entry in `golden.json`.
private struct Golden: Decodable {
    struct Layer: Decodable {
        let name: String
        let mean: Double
        let maxAbs: Double
    }

    let input: String
    let top5: [Int]
    let layers: [Layer]
    let embedding: [Float]
    let logits: [Float]
    let grid: [Float]

    static func load(_ name: String, variant: EfficientNetVariant = .lite0) throws -> (golden: Golden, image: RGBImage) {
        struct File: Decodable {
            let variant: String
            let inputSize: Int
            let images: [String: Golden]
        }
        let folder = fixtures(variant)
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: folder.appendingPathComponent("golden.json")))
        #expect(file.variant == variant.rawValue && file.inputSize == variant.inputSize)
        let golden = try #require(file.images[name])
        let bytes = try Data(contentsOf: folder.appendingPathComponent(golden.input))
        return (golden, RGBImage(width: file.inputSize, height: file.inputSize, pixels: [UInt8](bytes)))
    }
}

private func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

private func top(_ k: Int, _ logits: [Float]) -> [Int] {
    Array(logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }.prefix(k))
}

private func mirrored(_ image: RGBImage) -> RGBImage {
    var pixels = image.pixels
    for y in 0..<image.height {
        for x in 0..<image.width {
            for c in 0..<3 { pixels[(y * image.width + x) * 3 + c] = image.pixels[(y * image.width + image.width - 1 - x) * 3 + c] }
        }
    }
    return RGBImage(width: image.width, height: image.height, pixels: pixels)
}

@Suite("EfficientNet-Lite0, -Lite1 and -Lite2 against the numpy reference", .temporaryFolders)
struct EmbeddingGoldenTests {
    /// The embedding, grid, logits and top-5 classes agree with the float64 reference.
    /// Budget: float32 against float64 gives ~1e-6 in the logits; anything above 1e-3 is a bug.
    @Test(arguments: EfficientNetVariant.allCases, ["chelsea", "coffee"])
    func matchesReference(variant: EfficientNetVariant, name: String) throws {
        let model = try loadModel(variant)
        let (golden, image) = try Golden.load(name, variant: variant)
        let embedding = try #require(model.embed([image]).first)
        let logits = try model.classify(image)

        let cosine = dot(embedding.vector[...], golden.embedding[...])
        #expect(cosine >= 0.9999, "embedding cosine \(cosine)")
        let logitError = zip(logits, golden.logits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(logits.count == 1000)
        #expect(logitError <= 1e-2, "max |logit difference| \(logitError)")
        #expect(top(5, logits) == golden.top5)
        let n = model.featureCount
        for cell in 0..<9 {
            let range = cell * n..<(cell + 1) * n
            let cellCosine = dot(embedding.grid[range], golden.grid[range])
            #expect(cellCosine >= 0.9999, "grid cell \(cell) cosine \(cellCosine)")
        }
    }

    /// Each layer's mean and max |x| agree with the reference, so a padding or layout mistake shows at the
    /// first layer where it happens. Tolerance: 1e-4 relative to the layer's max |x| (float32 rounding
    /// through 16 blocks is ~1e-6 of it).
    @Test(arguments: EfficientNetVariant.allCases, ["chelsea", "coffee"])
    func layersMatchReference(variant: EfficientNetVariant, name: String) throws {
        let model = try loadModel(variant)
        let (golden, image) = try Golden.load(name, variant: variant)
        let summaries = model.layerSummaries(image)
        #expect(summaries.map(\.name) == golden.layers.map(\.name))
        for (ours, theirs) in zip(summaries, golden.layers) {
            let tolerance = 1e-4 * max(theirs.maxAbs, 1)
            #expect(abs(ours.mean - theirs.mean) <= tolerance, "\(ours.name) mean \(ours.mean), reference \(theirs.mean)")
            #expect(abs(ours.maxAbs - theirs.maxAbs) <= tolerance, "\(ours.name) max |x| \(ours.maxAbs), reference \(theirs.maxAbs)")
        }
    }
}

// Serialized: two of its tests split batches between threads, which holds OpenBLAS's global thread count at 1 while
// they run and restores it after (``EfficientNetLite/threads``: two networks must not split at the same time); run
// together, one read the other's held count as its own and failed (1 run in 1 here, with three targets' suites at once).
@Suite("EfficientNet-Lite0 behaviour", .temporaryFolders, .serialized)
struct EmbeddingBehaviourTests {
    /// A batch gives each image the result it gets alone (to float rounding of OpenBLAS's blocking), also
    /// once the workspace has grown and is reused for a smaller batch.
    @Test func batchEqualsSingles() throws {
        let model = try loadModel()
        let chelsea = try Golden.load("chelsea").image, coffee = try Golden.load("coffee").image
        let pair = model.embed([chelsea, coffee])
        let again = model.embed([coffee])
        let single = model.embed([chelsea]) + again
        #expect(pair.count == 2)
        for (a, b) in zip(pair, single) {
            #expect(a.cosineDistance(to: b) <= 1e-6)
            let worst = zip(a.grid, b.grid).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5)
        }
        #expect(pair[0].cosineDistance(to: pair[1]) > 0.3, "a cat and a coffee cup are far apart")
    }

    /// A batch takes each image through the blocks run image by image before the next image (issue 19: peak memory at
    /// 1080p), so only block 4's output is held for the whole batch, not block 0's 112×112×16 per image: a batch of 8
    /// runs on about 11 MB, not 20 MB, one of 16 on about 16 MB, not 35 MB. Each image gets what it gets alone, also
    /// the last images of a batch of 16 (whose outputs sit at the end of the batch's buffer), and a lane the same bits.
    @Test func leadingBlocksRunImageByImage() throws {
        let model = try loadModel()
        #expect(model.leadingImageBlocks(batch: 8) == 5)
        #expect(model.leadingImageBlocks(batch: 16) == 5)
        #expect(model.leadingImageBlocks(batch: 1) == 16, "one image runs through all 16 blocks alone")
        let eight = model.workspaceBytes(batch: 8), sixteen = model.workspaceBytes(batch: 16)
        #expect(eight < 13 << 20 && eight > 8 << 20, "\(eight) bytes")
        #expect(sixteen < 20 << 20 && sixteen > 12 << 20, "\(sixteen) bytes")
        let chelsea = try Golden.load("chelsea").image, coffee = try Golden.load("coffee").image
        let batch = (0..<16).map { $0 % 3 == 0 ? coffee : $0 % 3 == 1 ? mirrored(chelsea) : chelsea }
        let together = model.embed(batch)
        let lane = model.makeLane()
        #expect(lane.embed(batch) == together)
        for index in [0, 1, 14, 15] {
            let alone = model.embed([batch[index]])[0]
            #expect(together[index].cosineDistance(to: alone) <= 1e-6)
        }
    }

    /// The activation buffers freed when embedding is done for a while (`run` frees them once its input is read,
    /// ``EfficientNetLite/releaseBuffers()``) are made again by the next batch, on one thread or split between two,
    /// which gets the same bits as before they were freed.
    @Test func buffersFreedAreMadeAgain() throws {
        let model = try loadModel()
        let chelsea = try Golden.load("chelsea").image, coffee = try Golden.load("coffee").image
        let batch = [chelsea, coffee, mirrored(chelsea)]
        let before = model.embed(batch)
        model.releaseBuffers()
        #expect(model.embed(batch) == before)
        model.threads = 2
        let split = model.embed(batch)
        model.releaseBuffers()
        #expect(model.embed(batch) == split)
    }

    /// A batch split between threads (uneven shares, then a single image, which is not split) gives what one
    /// thread gives, to float rounding, and OpenBLAS's thread count (held at 1 during the split) is restored.
    @Test func threadsEqualOneThread() throws {
        let model = try loadModel()
        let chelsea = try Golden.load("chelsea").image, coffee = try Golden.load("coffee").image
        let batch = [chelsea, coffee, mirrored(chelsea), mirrored(coffee), coffee]
        let alone = model.embed(batch)
        let blasThreads = linearAlgebraThreadCount
        model.threads = 3
        let split = model.embed(batch)
        #expect(linearAlgebraThreadCount == blasThreads)
        let single = model.embed([coffee])
        #expect(split.count == batch.count)
        for (a, b) in zip(alone, split) + [(alone[1], single[0])] {
            #expect(a.cosineDistance(to: b) <= 1e-6)
            let worst = zip(a.grid, b.grid).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5)
        }
    }

    /// Mirroring left-right keeps the global descriptor close but moves content between grid columns:
    /// the mirrored image's left column matches the original's right column better than its own left one.
    @Test func mirroredImage() throws {
        let model = try loadModel()
        let image = try Golden.load("chelsea").image
        let result = model.embed([image, mirrored(image)])
        let (original, flipped) = (result[0], result[1])
        let global = original.cosineDistance(to: flipped)
        #expect(global < 0.05, "global distance \(global)")
        let cells = original.cellDistances(to: flipped)
        // Corner cells (0, 2, 6, 8) see different content after the flip; the centre column less so.
        #expect(cells[0] > global && cells[2] > global && cells[6] > global && cells[8] > global, "\(cells), global \(global)")
        let n = model.featureCount
        func cell(_ e: Embedding, _ i: Int) -> ArraySlice<Float> { e.grid[i * n..<(i + 1) * n] }
        for row in 0..<3 {
            let swapped = Float(1 - dot(cell(original, row * 3), cell(flipped, row * 3 + 2)))
            #expect(swapped < cells[row * 3], "row \(row): left vs mirrored right \(swapped), left vs left \(cells[row * 3])")
        }
    }

    @Test func missingModelSaysWhatToRun() throws {
        let url = URL(fileURLWithPath: "/nonexistent/efficientnet-lite0.safetensors")
        #expect {
            _ = try EfficientNetLite(contentsOf: url)
        } throws: { error in
            "\(error)".contains("python3 scripts/fetch-model.py")
        }
        let lite2 = EfficientNetVariant.lite2.defaultModelLocation(environment: ["HOME": "/home/u", "FRAMEDEDUPE_MODEL": "/x"])
        #expect(lite2.path == "/home/u/.local/share/framededupe/models/efficientnet-lite2.safetensors")
        #expect(EfficientNetVariant.lite0.defaultModelLocation(environment: ["FRAMEDEDUPE_MODEL": "/x/m.safetensors"]).path == "/x/m.safetensors")
        #expect(EfficientNetVariant.lite0.defaultModelLocation(environment: ["XDG_DATA_HOME": "/d"]).path
            == "/d/framededupe/models/efficientnet-lite0.safetensors")
    }
}

@Suite("SafeTensors reader", .temporaryFolders)
struct SafeTensorsTests {
    private func write(_ bytes: [UInt8]) throws -> URL {
        let url = Fixtures.temporaryFolder("safetensors").appendingPathComponent("model.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    private func file(header: String, data: [Float]) -> [UInt8] {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
        for v in data { bytes += withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        return bytes
    }

    @Test func readsTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"k":"v"}}"#
        let url = try write(file(header: header, data: [1, 2, 3, 4, -0.5]))
        defer { try? FileManager.default.removeItem(at: url) }
        let tensors = try SafeTensors(contentsOf: url)
        #expect(try tensors.floats("a", shape: [2, 2]) == [1, 2, 3, 4])
        #expect(try tensors.floats("b") == [-0.5])
        #expect(tensors.metadata == ["k": "v"])
        #expect(throws: SafeTensorsError.missingTensor(name: "c")) { try tensors.floats("c") }
        #expect(throws: SafeTensorsError.shapeMismatch(name: "a", expected: [4], actual: [2, 2])) {
            try tensors.floats("a", shape: [4])
        }
    }

    @Test func rejectsBadFiles() throws {
        #expect(throws: SafeTensorsError.missing(path: "/nonexistent.safetensors")) {
            try SafeTensors(contentsOf: URL(fileURLWithPath: "/nonexistent.safetensors"))
        }
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let cases: [(bytes: [UInt8], truncated: Bool)] = [
            ([1, 2, 3], true),  // shorter than the length prefix
            (Array(file(header: header, data: [1, 2, 3, 4]).prefix(40)), true),  // data cut short
            (file(header: header, data: [1, 2, 3, 4]).dropLast(4) + [], true),
            (file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, data: [1, 2, 3, 4]), false),
            (file(header: "not json", data: []), false),
            (file(header: #"{"a":{"dtype":"F32"}}"#, data: []), false),
        ]
        for (bytes, truncated) in cases {
            let url = try write(bytes)
            defer { try? FileManager.default.removeItem(at: url) }
            #expect {
                _ = try SafeTensors(contentsOf: url)
            } throws: { error in
                switch error as? SafeTensorsError {
                case .truncated: truncated
                case .corrupt: !truncated
                default: false
                }
            }
        }
    }
}

@Suite("Embedding kernels", .temporaryFolders)
struct EmbeddingKernelTests {
    /// TF "SAME": stride 2 on even sizes pads one more after than before.
    @Test func samePadding() {
        let stem = SamePadding(height: 224, width: 224, kernel: 3, stride: 2)
        #expect((stem.outputHeight, stem.top, stem.left, stem.paddedWidth) == (112, 0, 0, 225))
        let k5 = SamePadding(height: 56, width: 56, kernel: 5, stride: 2)
        #expect((k5.outputHeight, k5.top, k5.paddedWidth) == (28, 1, 59))
        let odd = SamePadding(height: 15, width: 15, kernel: 5, stride: 2)
        #expect((odd.outputHeight, odd.top, odd.paddedWidth) == (8, 2, 19))
        let flat = SamePadding(height: 7, width: 7, kernel: 5, stride: 1)
        #expect((flat.outputHeight, flat.top, flat.paddedWidth) == (7, 2, 11))
        #expect(adaptiveCell(0, of: 3, along: 7) == 0..<3)
        #expect(adaptiveCell(1, of: 3, along: 7) == 2..<5)
        #expect(adaptiveCell(2, of: 3, along: 7) == 4..<7)
        #expect(adaptiveCell(1, of: 3, along: 9) == 3..<6)
    }

    /// The vectorised depthwise loop equals the scalar `Double` reference to float rounding, on inputs
    /// (plus their producer's bias) that exercise ReLU6 on both sides, every padding case and the last,
    /// partial group of four pixels; with 24 channels (8-lane vectors), 32 and 48 (16-lane vectors where
    /// the build has AVX-512), and a 7×7 kernel (the loop for kernel sizes without a specialisation).
    @Test(arguments: [
        (3, 1, 7, 9, 24), (3, 2, 8, 8, 24), (5, 2, 15, 13, 24), (5, 1, 6, 11, 24), (5, 2, 28, 28, 24), (3, 2, 1, 3, 24),
        (3, 1, 7, 9, 32), (3, 2, 8, 8, 48), (5, 2, 15, 13, 32), (5, 1, 7, 7, 48), (5, 1, 14, 14, 16), (7, 1, 9, 6, 16),
        (7, 2, 9, 9, 24),
    ])
    func depthwiseMatchesReference(kernel: Int, stride: Int, height: Int, width: Int, channels: Int) {
        let g = SamePadding(height: height, width: width, kernel: kernel, stride: stride)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ scale: Float) -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
        let input = (0..<height * width * channels).map { _ in random(8) }
        let weights = (0..<kernel * kernel * channels).map { _ in random(1) }
        let bias = (0..<channels).map { _ in random(2) }
        let inputBias = (0..<channels).map { _ in random(3) }
        let expected = depthwiseConvolutionReference(
            input: input, inputBias: inputBias, channels: channels, geometry: g, weights: weights, bias: bias)
        var output = [Float](repeating: .nan, count: g.outputHeight * g.outputWidth * channels)
        var scratch = [Float](repeating: .nan, count: depthwiseScratchCount(channels: channels, geometry: g))
        input.withUnsafeBufferPointer { i in
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    inputBias.withUnsafeBufferPointer { ib in
                        output.withUnsafeMutableBufferPointer { o in
                            scratch.withUnsafeMutableBufferPointer { s in
                                depthwiseConvolution(
                                    input: i.baseAddress!, inputBias: ib.baseAddress!, output: o.baseAddress!, channels: channels,
                                    geometry: g, weights: w.baseAddress!, bias: b.baseAddress!, scratch: s.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        #expect(!output.contains { $0.isNaN }, "an output left unwritten")
        let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |difference| \(worst)")
    }
}

/// CPU time used by all of the process's threads, in seconds. Unlike the wall clock it leaves out the time
/// the hypervisor gives to other guests (steal), which on this shared machine moves single figures by 10–20%.
private func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Not a timed test: prints ms per image (wall clock and process CPU time) when `FRAMEDEDUPE_BENCH_EMBEDDING` is set, for
/// `scripts/bench-embedding.py`. Its value: `threads=1 batches=1,16 rounds=10` (any subset). OpenBLAS picks its
/// kernels for the CPU unless `OPENBLAS_CORETYPE` says otherwise; the output names it. Run it alone, in release:
/// `FRAMEDEDUPE_BENCH_EMBEDDING="threads=1" swift test -c release --filter EmbeddingBenchmark`.
@Suite("EmbeddingBenchmark", .temporaryFolders, .enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_BENCH_EMBEDDING"] != nil))
struct EmbeddingBenchmark {
    @Test func timePerImage() throws {
        var options = ["threads": "1", "batches": "1,16", "rounds": "10"]
        for pair in (ProcessInfo.processInfo.environment["FRAMEDEDUPE_BENCH_EMBEDDING"] ?? "").split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { options[parts[0]] = parts[1] }
        }
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil
        let kernels = linearAlgebraKernels + (forced ? "(OPENBLAS_CORETYPE)" : "(auto)")
        let threads = Int(options["threads"]!) ?? 1
        setLinearAlgebraThreads(threads)
        let model = try loadModel()
        model.threads = threads
        let image = try Golden.load("chelsea").image
        for batch in options["batches"]!.split(separator: ",").compactMap({ Int($0) }) {
            let images = [RGBImage](repeating: image, count: batch)
            _ = model.embed(images)
            var best = Duration.seconds(1000), bestCPU = Double.infinity
            for _ in 0..<max(1, Int(options["rounds"]!) ?? 10) {
                let start = ContinuousClock.now, startCPU = processCPUSeconds()
                _ = model.embed(images)
                bestCPU = min(bestCPU, processCPUSeconds() - startCPU)
                best = min(best, ContinuousClock.now - start)
            }
            let ms = (Double(best.components.seconds) * 1e3 + Double(best.components.attoseconds) * 1e-15) / Double(batch)
            let cpuMS = bestCPU * 1e3 / Double(batch)
            print("embedding-benchmark threads=\(threads) batch=\(batch) kernels=\(kernels) ms_per_image=\(String(format: "%.2f", ms))"
                + " cpu_ms_per_image=\(String(format: "%.2f", cpuMS))")
        }
    }
}

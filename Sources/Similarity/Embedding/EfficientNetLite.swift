import COpenBLAS
import Dispatch
import Foundation
import Pixels

/// EfficientNet-Lite (ImageNet-trained), run on the CPU with OpenBLAS: image embeddings and, for
/// verification, ImageNet class logits.
///
/// The network, with the conventions of the TensorFlow original that the weights come from:
/// - Input: a `inputSize × inputSize` 8-bit RGB image, each value mapped to `(x − 127) / 128`
///   (not torchvision's ImageNet mean and standard deviation).
/// - Stem: 3×3 convolution, stride 2, 32 channels; blocks (MBConv without squeeze-excite): 1×1 expand
///   (absent in block 0), k×k depthwise, 1×1 project, residual add when the stride is 1 and the input and
///   output widths are equal; head: 1×1 convolution to 1280 channels; ReLU6 after the stem, expand,
///   depthwise and head convolutions, none after project. Kernels, widths and the number of blocks are
///   read from the weights; strides are the stage table (1, 2, 2, 2, 1, 2, 1), a stage starting where the
///   output width changes.
/// - Padding: TensorFlow "SAME" (asymmetric on stride 2: one more row/column on the bottom/right for
///   even sizes), see ``SamePadding``.
/// - BatchNorm: inference form with epsilon 1e-3, folded into the convolution weights and biases at load
///   time (in `Double`, rounded once to `Float`).
///
/// Implementation: tensors are channels-last (NHWC), so every 1×1 convolution is one `cblas_sgemm` of
/// `(N·H·W × Cin)` by `(Cin × Cout)`; the stem is an im2col plus `cblas_sgemm`; the depthwise convolution is
/// a vectorised loop (``DepthwiseRing``) that also applies its producer's bias and ReLU6, specialised for each
/// kernel size and stride. The expand and stem GEMMs therefore run with β = 0, and so does the head, whose
/// bias and ReLU6 are applied in the pass that averages it; the projections' biases (and the residual) are
/// their GEMMs' initial `C` (β = 1), which costs what OpenBLAS's own zeroing of `C` would.
/// Blocks at 56×56 and above (and block 0, which computes the stem) run image by image in strips of output
/// rows: the expand GEMM (or the stem) writes a few rows ahead of the depthwise loop into a small rolling
/// buffer, and each strip of depthwise output is projected at once, so the largest tensors never leave the
/// cache. Smaller blocks run their projections over several images at once so that those GEMMs have
/// enough rows. Buffers are allocated for the largest batch seen and reused: no allocation per image except
/// the returned arrays.
///
/// Threads: ``threads`` splits a batch of several images between threads, each running the whole network
/// on its share with single-threaded OpenBLAS; a single image uses OpenBLAS's own threads, whose count is
/// global (``setLinearAlgebraThreads(_:)``).
///
/// - Important: Not thread-safe. An instance owns its activation buffers, so it must be used by one task
///   at a time; it is deliberately not `Sendable`. To run several inferences in parallel, create one
///   instance per task (each loads its own copy of the weights, ~19 MB for Lite0).
public final class EfficientNetLite {
    /// Which network this is.
    public let variant: EfficientNetVariant
    /// The side of the square input images, in pixels (224, 240 or 260).
    public var inputSize: Int { variant.inputSize }
    /// The length of ``Embedding/vector`` (1280 for all Lite variants).
    public let featureCount: Int
    /// The number of classes ``classify(_:)`` scores (1000, ImageNet-1k order).
    public let classCount: Int

    private let weights = FloatAllocations()
    private let stem: StemLayer
    private let blocks: [Block]
    private let head: PointwiseLayer
    private let classifierWeights: UnsafeMutablePointer<Float>  // classCount × featureCount, row-major
    private let classifierBias: UnsafeMutablePointer<Float>
    private let featureHeight: Int
    private let featureWidth: Int
    /// Workspaces for the shares of a batch split between ``threads``: one per thread.
    private var workspaces: [Workspace?] = [nil]

    /// Threads that embed a batch of several images together, each a contiguous share of the images
    /// (1 to 64; default 1). While they run OpenBLAS is held to one thread (its count is global, and
    /// restored afterwards), so they do not compete with its threads. Splitting by image keeps the cores busy
    /// through the depthwise loops, which OpenBLAS's threads do not share, and through the small matrix
    /// products of the late layers, where they mostly wait for each other. A single image runs on
    /// OpenBLAS's threads as set by ``setLinearAlgebraThreads(_:)``. Because that count is global, two
    /// networks should not split batches at the same time (the command line runs one thread per network
    /// when it runs several).
    public var threads = 1 {
        didSet { threads = min(max(threads, 1), 64) }
    }

    /// Blocks whose output has at least this many pixels per image run image by image (in strips); smaller
    /// ones are batched so each GEMM has at least about this many rows. Chosen by measurement.
    var minimumGEMMRows = 1024

    /// Blocks run image by image go through in strips of about this many output pixels (whole rows).
    var stripPixels = 512

    /// Loads the weights of an EfficientNet-Lite network from a safetensors file.
    ///
    /// The file is the one `scripts/fetch-model.py` writes: float32 tensors in PyTorch's logical layout
    /// (convolutions OIHW, `_fc.weight` (1000, 1280)), named as lukemelas' EfficientNet-PyTorch
    /// (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv|_bn0|_depthwise_conv|_bn1|_project_conv|_bn2`,
    /// `_conv_head`, `_bn1`, `_fc`), BatchNorm not folded.
    ///
    /// - Parameters:
    ///   - url: The safetensors file, e.g. ``EfficientNetVariant/defaultModelLocation(environment:)``.
    ///   - variant: Which network the file holds; it sets the input size.
    /// - Throws: ``EmbeddingModelError/missing(path:variant:)`` (whose message says to run
    ///   `python3 scripts/fetch-model.py`), ``EmbeddingModelError/unreadable(_:)`` for a short or corrupt file,
    ///   ``EmbeddingModelError/incompatible(path:reason:)`` when the tensors do not form the network.
    public init(contentsOf url: URL, variant: EfficientNetVariant = .lite0) throws {
        let file: SafeTensors
        do {
            file = try SafeTensors(contentsOf: url)
        } catch SafeTensorsError.missing(let path) {
            throw EmbeddingModelError.missing(path: path, variant: variant)
        } catch let error as SafeTensorsError {
            throw EmbeddingModelError.unreadable(error)
        }
        do {
            let loader = Loader(file: file, store: weights)
            let size = variant.inputSize
            stem = try loader.stem(inputSize: size)
            var height = stem.geometry.outputHeight, width = stem.geometry.outputWidth
            blocks = try loader.blocks(inputHeight: &height, inputWidth: &width, inputChannels: stem.outputs)
            featureHeight = height
            featureWidth = width
            head = try loader.pointwise("_conv_head.weight", batchNorm: "_bn1", inputs: blocks.last?.outputs ?? stem.outputs)
            featureCount = head.outputs
            let fc = try loader.require("_fc.weight")
            guard fc.count == 2, fc[1] == featureCount else {
                throw EmbeddingModelError.incompatible(path: file.path, reason: "_fc.weight has shape \(fc)")
            }
            classCount = fc[0]
            classifierWeights = weights.make(try file.floats("_fc.weight"))
            classifierBias = weights.make(try file.floats("_fc.bias", shape: [classCount]))
        } catch let error as SafeTensorsError {
            throw EmbeddingModelError.incompatible(path: file.path, reason: error.description)
        }
        self.variant = variant
    }

    /// Embeds a batch of images.
    ///
    /// - Parameter batch: Images of exactly ``inputSize`` × ``inputSize`` pixels (a precondition), already
    ///   resized by the caller. Batches of 8–16 make the GEMMs of the late layers efficient; results do not
    ///   depend on the batch size (beyond float rounding in OpenBLAS's blocking).
    /// - Returns: One ``Embedding`` per image, in order.
    public func embed(_ batch: [RGBImage]) -> [Embedding] {
        guard !batch.isEmpty else { return [] }
        let parts = min(threads, batch.count)
        guard parts > 1 else {
            let w = forward(batch, probe: nil, in: workspace(for: batch.count, part: 0))
            return (0..<batch.count).map { embedding(of: $0, in: w) }
        }
        let shares = (0..<parts).map { p in batch.count * p / parts..<batch.count * (p + 1) / parts }
        let spaces = shares.indices.map { workspace(for: shares[$0].count, part: $0) }  // before the threads start
        let blasThreads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(blasThreads) }
        var results = [[Embedding]](repeating: [], count: parts)
        results.withUnsafeMutableBufferPointer { out in
            let shared = SharedBatch(network: self, workspaces: spaces, results: out)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let images = Array(batch[shares[p]])
                let w = shared.network.forward(images, probe: nil, in: shared.workspaces[p])
                shared.results[p] = (0..<images.count).map { shared.network.embedding(of: $0, in: w) }
            }
        }
        return results.flatMap { $0 }
    }

    /// What the threads of ``embed(_:)`` share. Unchecked: during the split the network is only read (its
    /// weights and scheduling parameters), and each thread writes only its own workspace and its own
    /// element of `results`.
    private struct SharedBatch: @unchecked Sendable {
        let network: EfficientNetLite
        let workspaces: [Workspace]
        let results: UnsafeMutableBufferPointer<[Embedding]>
    }

    /// The ImageNet-1k logits (before softmax) for one image, for verification.
    ///
    /// - Parameter image: An image of exactly ``inputSize`` × ``inputSize`` pixels.
    /// - Returns: ``classCount`` logits, `_fc.weight · average(head) + _fc.bias`, in ImageNet class order.
    public func classify(_ image: RGBImage) -> [Float] {
        let w = forward([image], probe: nil, in: workspace(for: 1, part: 0))
        return [Float](unsafeUninitializedCapacity: classCount) { logits, initialised in
            logits.baseAddress!.initialize(from: classifierBias, count: classCount)
            cblas_sgemv(
                CblasRowMajor, CblasNoTrans, Int32(classCount), Int32(featureCount), 1, classifierWeights,
                Int32(featureCount), w.pooled, 1, 1, logits.baseAddress!, 1)
            initialised = classCount
        }
    }

    // MARK: - Forward pass

    /// A callback that sees a layer's output: its name, the NHWC values and whether ReLU6 is still to be
    /// applied to them (the stem's output is stored before its activation, which the next layer fuses).
    typealias Probe = (_ name: String, _ values: UnsafeBufferPointer<Float>, _ pendingReLU6: Bool) -> Void

    /// Runs the network on `batch`, leaving the head's activated output and its averages in `w`, which
    /// holds at least `batch.count` images. Reads nothing of `self` that changes, so calls on separate
    /// workspaces may run at once.
    private func forward(_ batch: [RGBImage], probe: Probe?, in w: Workspace) -> Workspace {
        for image in batch {
            precondition(
                image.width == inputSize && image.height == inputSize,
                "EfficientNet-\(variant.rawValue) needs \(inputSize)×\(inputSize) images, got \(image.width)×\(image.height)")
        }
        let n = batch.count
        precondition(w.capacity >= n)
        var current = w.activations.0, next = w.activations.1

        // The stem is computed inside block 0, a strip at a time; the test hook gets it whole.
        if let probe {
            let g = stem.geometry
            let count = g.outputHeight * g.outputWidth * stem.outputs
            var values = [Float](repeating: 0, count: n * count)
            values.withUnsafeMutableBufferPointer { buffer in
                for (index, image) in batch.enumerated() {
                    produceStem(image: image, rows: 0..<g.outputHeight, into: buffer.baseAddress! + index * count, in: w)
                }
                for i in buffer.indices { buffer[i] += stem.bias[i % stem.outputs] }
                probe("stem", UnsafeBufferPointer(buffer), true)
            }
        }

        for block in blocks {
            let d = block.depthwise.geometry
            let inPixels = d.inputHeight * d.inputWidth, outPixels = d.outputHeight * d.outputWidth
            let chunk = block.chunk(batch: n, minimumRows: minimumGEMMRows)
            var start = 0
            while start < n {
                let m = min(chunk, n - start)
                let input = current + start * inPixels * block.inputs
                let output = next + start * outPixels * block.outputs
                if block.expand == nil {
                    runInStrips(block, producer: .stem(batch[start]), input: input, output: output, in: w)
                } else if m == 1 {
                    runInStrips(block, producer: .expand(input), input: input, output: output, in: w)
                } else {
                    runWhole(block, images: m, input: input, output: output, in: w)
                }
                start += m
            }
            swap(&current, &next)
            probe?("block\(block.index)", UnsafeBufferPointer(start: current, count: n * outPixels * block.outputs), false)
        }

        // Head over the whole batch, then its bias and ReLU6 with the averages.
        let pixels = featureHeight * featureWidth
        gemm(rows: n * pixels, inputs: head.inputs, outputs: head.outputs, a: current, b: head.weights, c: w.head, beta: 0)
        for image in 0..<n { activateHeadAndPool(image: image, in: w) }
        probe?("head", UnsafeBufferPointer(start: w.head, count: n * pixels * head.outputs), false)
        return w
    }

    /// What computes the depthwise input of a block run in strips.
    private enum Producer {
        /// The block's expand convolution of its input.
        case expand(UnsafePointer<Float>)
        /// The stem convolution of the image (for block 0, which has no expand convolution).
        case stem(RGBImage)
    }

    /// Runs a block on one image a strip of output rows at a time, so that its depthwise input (the
    /// expanded tensor, the largest, or the stem's output) is produced into a small rolling buffer just
    /// ahead of the depthwise loop and consumed while it is in cache, and the depthwise output is projected
    /// while it is in cache too.
    ///
    /// - Parameters:
    ///   - producer: What computes the depthwise input.
    ///   - input: The block's input, for the residual (not read for block 0).
    ///   - output: The block's output for this image.
    private func runInStrips(
        _ block: Block, producer: Producer, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, in w: Workspace
    ) {
        let d = block.depthwise.geometry
        let mid = block.depthwise.channels
        let strip = block.stripRows(pixels: stripPixels)
        let capacity = block.expandedRowCapacity(stripRows: strip)
        let ring = DepthwiseRing(scratch: w.ring, held: w.held, channels: mid, geometry: d)
        let expandedRow = d.inputWidth * mid
        let outputRow = d.outputWidth * block.outputs
        var expanded = 0  // input rows produced so far
        var oy = 0
        while oy < d.outputHeight {
            let end = min(oy + strip, d.outputHeight)
            let needed = min(d.inputHeight, (end - 1) * d.stride - d.top + d.kernel)
            while expanded < needed {  // rows expanded..<needed, split where the rolling buffer wraps
                let slot = expanded % capacity
                let rows = min(needed - expanded, capacity - slot)
                let c = w.expanded + slot * expandedRow
                switch producer {
                case .expand(let source):
                    let expand = block.expand!
                    gemm(
                        rows: rows * d.inputWidth, inputs: expand.inputs, outputs: mid,
                        a: source + expanded * d.inputWidth * expand.inputs, b: expand.weights, c: c, beta: 0)
                case .stem(let image):
                    produceStem(image: image, rows: expanded..<expanded + rows, into: c, in: w)
                }
                expanded += rows
            }
            ring.run(
                rows: oy..<end, input: w.expanded, inputRowCapacity: capacity, inputBias: block.expand?.bias ?? stem.bias,
                output: w.depthwise, weights: block.depthwise.weights, bias: block.depthwise.bias)
            project(block, pixels: (end - oy) * d.outputWidth, input: input + oy * outputRow, output: output + oy * outputRow, in: w)
            oy = end
        }
    }

    /// Stem output rows `rows` of `image` before its bias and ReLU6 (which the depthwise loop adds): im2col
    /// into `w.columns`, then the GEMM into `output`.
    private func produceStem(image: RGBImage, rows: Range<Int>, into output: UnsafeMutablePointer<Float>, in w: Workspace) {
        let g = stem.geometry
        let pixels = rows.count * g.outputWidth
        image.pixels.withUnsafeBufferPointer { stemColumns(pixels: $0.baseAddress!, geometry: g, rows: rows, columns: w.columns) }
        gemm(rows: pixels, inputs: stem.columns, outputs: stem.outputs, a: w.columns, b: stem.weights, c: output, beta: 0)
    }

    /// Runs a block on `images` images at once, for the late blocks whose images are small: the expand GEMM
    /// image by image (its output, the widest tensor, then stays in cache for the depthwise loop), the
    /// projection as one GEMM over all the images, so that it has enough rows. (Expanding several images per
    /// GEMM, which repacks the expand weights less often, measured no different: 0.997–1.010 of this.)
    private func runWhole(_ block: Block, images m: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, in w: Workspace) {
        let d = block.depthwise.geometry
        let mid = block.depthwise.channels
        let inPixels = d.inputHeight * d.inputWidth, outPixels = d.outputHeight * d.outputWidth
        let expand = block.expand!  // only block 0 has none, and it runs in strips
        for i in 0..<m {
            gemm(
                rows: inPixels, inputs: expand.inputs, outputs: mid, a: input + i * inPixels * block.inputs, b: expand.weights,
                c: w.expanded, beta: 0)
            DepthwiseRing(scratch: w.ring, held: w.held, channels: mid, geometry: d).run(
                rows: 0..<d.outputHeight, input: w.expanded, inputRowCapacity: d.inputHeight, inputBias: expand.bias,
                output: w.depthwise + i * outPixels * mid, weights: block.depthwise.weights, bias: block.depthwise.bias)
        }
        project(block, pixels: m * outPixels, input: input, output: output, in: w)
    }

    /// The projection of `pixels` depthwise outputs (in `w.depthwise`) onto the bias, plus the block's input
    /// when the block is residual (then input and output pixels correspond one to one).
    private func project(_ block: Block, pixels: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, in w: Workspace) {
        let project = block.project
        if block.residual {
            addBiasRows(input, project.bias, count: project.outputs, rows: pixels, into: output)
        } else {
            broadcastRows(project.bias, count: project.outputs, rows: pixels, into: output)
        }
        gemm(rows: pixels, inputs: project.inputs, outputs: project.outputs, a: w.depthwise, b: project.weights, c: output)
    }

    /// `C = A·B + β·C` (row-major, no transposes): `A` is `rows × inputs`, `B` is `inputs × outputs`; β is 1
    /// (`C` holds the bias) or 0.
    private func gemm(
        rows: Int, inputs: Int, outputs: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        beta: Float = 1
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(outputs), Int32(inputs), 1, a, Int32(inputs),
            b, Int32(outputs), beta, c, Int32(outputs))
    }

    /// Adds the head's bias to image `image`'s head output and applies ReLU6, in place, summing it as it goes
    /// (into `pooled`); then averages it globally and over the 3×3 grid (into `cells`).
    private func activateHeadAndPool(image: Int, in w: Workspace) {
        let c = head.outputs
        let map = w.head + image * featureHeight * featureWidth * c
        let side = Embedding.gridSide
        let total = w.pooled + image * c
        total.initialize(repeating: 0, count: c)
        for pixel in 0..<featureHeight * featureWidth {
            let v = map + pixel * c
            var ch = 0
            while ch < c {
                let activated = relu6(load(v + ch) + load(head.bias + ch))
                store(activated, v + ch)
                store(load(total + ch) + activated, total + ch)
                ch += Vector.scalarCount
            }
        }
        for cell in 0..<side * side {
            let rows = adaptiveCell(cell / side, of: side, along: featureHeight)
            let columns = adaptiveCell(cell % side, of: side, along: featureWidth)
            let sum = w.cells + (image * side * side + cell) * c
            sum.initialize(repeating: 0, count: c)
            for y in rows {
                for x in columns {
                    let v = map + (y * featureWidth + x) * c
                    var ch = 0
                    while ch < c {
                        store(load(sum + ch) + load(v + ch), sum + ch)
                        ch += Vector.scalarCount
                    }
                }
            }
        }
        let scale = 1 / Float(featureHeight * featureWidth)
        for ch in 0..<c { total[ch] *= scale }
    }

    /// Copies image `image`'s averages out of the workspace, L2-normalised.
    private func embedding(of image: Int, in w: Workspace) -> Embedding {
        let c = featureCount
        let cells = Embedding.gridSide * Embedding.gridSide
        let vector = normalised(w.pooled + image * c, count: c)
        var grid = [Float]()
        grid.reserveCapacity(cells * c)
        for cell in 0..<cells { grid += normalised(w.cells + (image * cells + cell) * c, count: c) }
        return Embedding(vector: vector, grid: grid)
    }

    private func normalised(_ values: UnsafePointer<Float>, count: Int) -> [Float] {
        var squares = 0.0
        for i in 0..<count { squares += Double(values[i]) * Double(values[i]) }
        let scale = squares > 0 ? Float(1 / squares.squareRoot()) : 0
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            for i in 0..<count { buffer[i] = values[i] * scale }
            initialised = count
        }
    }

    /// The workspace of share `part` for `n` images, reallocated only when `n` exceeds every share seen before.
    private func workspace(for n: Int, part: Int) -> Workspace {
        while workspaces.count <= part { workspaces.append(nil) }
        if let workspace = workspaces[part], workspace.capacity >= n { return workspace }
        let g = stem.geometry
        var activations = 0, expanded = 0, depthwise = 0, ring = 0, kernel = 1, columns = 0
        for block in blocks {
            let d = block.depthwise.geometry
            let mid = block.depthwise.channels
            let m = block.chunk(batch: n, minimumRows: minimumGEMMRows)
            activations = max(activations, n * d.outputHeight * d.outputWidth * block.outputs)
            if m == 1 {
                let strip = block.stripRows(pixels: stripPixels)
                let capacity = block.expandedRowCapacity(stripRows: strip)
                expanded = max(expanded, capacity * d.inputWidth * mid)
                depthwise = max(depthwise, strip * d.outputWidth * mid)
                if block.expand == nil { columns = capacity * g.outputWidth * stem.columns }
            } else {
                expanded = max(expanded, d.inputHeight * d.inputWidth * mid)  // expanded one image at a time
                depthwise = max(depthwise, m * d.outputHeight * d.outputWidth * mid)
            }
            ring = max(ring, depthwiseScratchCount(channels: mid, geometry: d))
            kernel = max(kernel, d.kernel)
        }
        let created = Workspace(
            capacity: n, activations: activations, expanded: expanded, depthwise: depthwise, ring: ring, kernel: kernel,
            columns: max(columns, g.outputHeight * g.outputWidth * stem.columns), head: n * featureHeight * featureWidth * head.outputs,
            features: head.outputs, cells: Embedding.gridSide * Embedding.gridSide)
        workspaces[part] = created
        return created
    }
}

// MARK: - Test hooks

/// Mean and largest magnitude of one layer's output, for locating a discrepancy with the reference.
@_spi(Testing) public struct LayerSummary: Sendable, Equatable {
    /// `stem`, `block0` … `blockN`, `head`.
    public let name: String
    /// The mean of all values (batch, rows, columns, channels), accumulated in `Double`.
    public let mean: Double
    /// The largest absolute value.
    public let maxAbs: Double
}

extension EfficientNetLite {
    /// Summaries of the activation after the stem (after ReLU6), after each block (after the residual
    /// add) and after the head (after ReLU6), as `scripts/reference-forward.py` records them.
    @_spi(Testing) public func layerSummaries(_ image: RGBImage) -> [LayerSummary] {
        var summaries: [LayerSummary] = []
        let probe: Probe = { name, values, pendingReLU6 in
            var sum = 0.0, largest = 0.0
            for v in values {
                let x = pendingReLU6 ? min(max(Double(v), 0), 6) : Double(v)
                sum += x
                largest = max(largest, abs(x))
            }
            summaries.append(LayerSummary(name: name, mean: sum / Double(values.count), maxAbs: largest))
        }
        _ = forward([image], probe: probe, in: workspace(for: 1, part: 0))
        return summaries
    }

    /// Sets the scheduling parameters (see `minimumGEMMRows` and `stripPixels`); for benchmarks.
    @_spi(Testing) public func tune(batchingRows: Int? = nil, stripPixels: Int? = nil) {
        if let batchingRows { minimumGEMMRows = max(1, batchingRows) }
        if let stripPixels { self.stripPixels = max(1, stripPixels) }
        workspaces = [nil]
    }
}

// MARK: - Layers and buffers

/// A 1×1 convolution with BatchNorm folded in: `out = in · weights + bias`.
struct PointwiseLayer {
    let inputs: Int
    let outputs: Int
    /// `inputs × outputs`, row-major (the transpose of PyTorch's `(O, I, 1, 1)`).
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
}

/// A k×k depthwise convolution with BatchNorm folded in.
struct DepthwiseLayer {
    let channels: Int
    let geometry: SamePadding
    /// `k × k × channels`, `[i][j][c]`.
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
}

/// The stem: a 3×3 stride-2 convolution of the normalised RGB input, BN folded, as a GEMM on im2col rows.
struct StemLayer {
    let geometry: SamePadding
    let outputs: Int
    /// `k·k·3`: the im2col row length.
    let columns: Int
    /// `columns × outputs`, rows ordered `[i][j][rgb]` as ``stemColumns(pixels:geometry:columns:)``.
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
}

/// One MBConv block (no squeeze-excite).
struct Block {
    let index: Int
    let expand: PointwiseLayer?
    let depthwise: DepthwiseLayer
    let project: PointwiseLayer
    let residual: Bool
    var inputs: Int { expand?.inputs ?? depthwise.channels }
    var outputs: Int { project.outputs }

    /// How many images of a batch of `batch` go through this block together: 1 while an image's output
    /// alone has `minimumRows` pixels, else enough images to reach it (capped at the batch).
    func chunk(batch: Int, minimumRows: Int) -> Int {
        if expand == nil { return 1 }  // block 0 computes the stem itself, image by image
        let pixels = depthwise.geometry.outputHeight * depthwise.geometry.outputWidth
        return min(batch, max(1, minimumRows / pixels))
    }

    /// Output rows per strip when run image by image: about `pixels` output pixels, at least one row.
    func stripRows(pixels: Int) -> Int {
        min(depthwise.geometry.outputHeight, max(1, pixels / depthwise.geometry.outputWidth))
    }

    /// Rows the rolling expanded buffer needs for strips of `stripRows` output rows: the input rows one strip
    /// reads, `(stripRows − 1)·stride + k`, at most the image.
    func expandedRowCapacity(stripRows: Int) -> Int {
        let g = depthwise.geometry
        return min(g.inputHeight, (stripRows - 1) * g.stride + g.kernel)
    }
}

/// Owns float allocations and frees them with itself.
final class FloatAllocations {
    private var pointers: [UnsafeMutablePointer<Float>] = []

    func make(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let p = make(count: values.count)
        p.update(from: values, count: values.count)
        return p
    }

    func make(count: Int) -> UnsafeMutablePointer<Float> {
        // 64-byte aligned so vector loads and OpenBLAS see cache-line-aligned rows.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let p = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        pointers.append(p)
        return p
    }

    deinit {
        for p in pointers { UnsafeMutableRawPointer(p).deallocate() }
    }
}

/// Activation buffers for batches of up to `capacity` images.
final class Workspace {
    let capacity: Int
    private let store = FloatAllocations()
    let activations: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    let expanded: UnsafeMutablePointer<Float>
    let depthwise: UnsafeMutablePointer<Float>
    let ring: UnsafeMutablePointer<Float>
    /// The input row each slot of the depthwise ring holds.
    let held: UnsafeMutablePointer<Int>
    let columns: UnsafeMutablePointer<Float>
    let head: UnsafeMutablePointer<Float>
    /// `capacity × features`: global averages, not normalised.
    let pooled: UnsafeMutablePointer<Float>
    /// `capacity × cells × features`: grid cell averages (sums until normalised; the scale cancels).
    let cells: UnsafeMutablePointer<Float>

    init(
        capacity: Int, activations: Int, expanded: Int, depthwise: Int, ring: Int, kernel: Int, columns: Int, head: Int,
        features: Int, cells: Int
    ) {
        self.capacity = capacity
        self.held = .allocate(capacity: kernel)
        self.activations = (store.make(count: activations), store.make(count: activations))
        self.expanded = store.make(count: expanded)
        self.depthwise = store.make(count: depthwise)
        self.ring = store.make(count: ring)
        self.columns = store.make(count: columns)
        self.head = store.make(count: head)
        self.pooled = store.make(count: capacity * features)
        self.cells = store.make(count: capacity * cells * features)
    }

    deinit { held.deallocate() }
}

/// Reads the tensors of one file into folded, rearranged layers.
private struct Loader {
    static let stageStrides = [1, 2, 2, 2, 1, 2, 1]
    static let batchNormEpsilon = 1e-3

    let file: SafeTensors
    let store: FloatAllocations

    func require(_ name: String) throws -> [Int] {
        guard let shape = file.shape(of: name) else { throw SafeTensorsError.missingTensor(name: name) }
        return shape
    }

    func incompatible(_ reason: String) -> EmbeddingModelError {
        EmbeddingModelError.incompatible(path: file.path, reason: reason)
    }

    /// A convolution's weights (OIHW, flattened) scaled per output channel by its BatchNorm, and the bias:
    /// `scale = γ / sqrt(var + 1e-3)`, `w' = w · scale`, `b' = β − mean · scale`, computed in `Double`.
    func folded(_ weightName: String, batchNorm prefix: String, shape: [Int]) throws -> (weights: [Float], bias: [Float]) {
        let weights = try file.floats(weightName, shape: shape)
        let o = shape[0]
        let gamma = try file.floats(prefix + ".weight", shape: [o])
        let beta = try file.floats(prefix + ".bias", shape: [o])
        let mean = try file.floats(prefix + ".running_mean", shape: [o])
        let variance = try file.floats(prefix + ".running_var", shape: [o])
        let perOutput = weights.count / o
        var scaled = [Float](repeating: 0, count: weights.count)
        var bias = [Float](repeating: 0, count: o)
        for k in 0..<o {
            let scale = Double(gamma[k]) / (Double(variance[k]) + Self.batchNormEpsilon).squareRoot()
            for i in 0..<perOutput { scaled[k * perOutput + i] = Float(Double(weights[k * perOutput + i]) * scale) }
            bias[k] = Float(Double(beta[k]) - Double(mean[k]) * scale)
        }
        return (scaled, bias)
    }

    func stem(inputSize: Int) throws -> StemLayer {
        let shape = try require("_conv_stem.weight")
        guard shape.count == 4, shape[1] == 3, shape[2] == shape[3], shape[0] % Vector.scalarCount == 0 else {
            throw incompatible("_conv_stem.weight has shape \(shape)")
        }
        let (o, k) = (shape[0], shape[2])
        let (w, b) = try folded("_conv_stem.weight", batchNorm: "_bn0", shape: shape)
        var rows = [Float](repeating: 0, count: k * k * 3 * o)
        for out in 0..<o {
            for ci in 0..<3 {
                for i in 0..<k {
                    for j in 0..<k { rows[((i * k + j) * 3 + ci) * o + out] = w[((out * 3 + ci) * k + i) * k + j] }
                }
            }
        }
        return StemLayer(
            geometry: SamePadding(height: inputSize, width: inputSize, kernel: k, stride: 2), outputs: o,
            columns: k * k * 3, weights: store.make(rows), bias: store.make(b))
    }

    func pointwise(_ name: String, batchNorm: String, inputs: Int) throws -> PointwiseLayer {
        let shape = try require(name)
        guard shape.count == 4, shape[1] == inputs, shape[2] == 1, shape[3] == 1, shape[0] % Vector.scalarCount == 0 else {
            throw incompatible("\(name) has shape \(shape), expected (·, \(inputs), 1, 1) with a multiple of 8 outputs")
        }
        let o = shape[0]
        let (w, b) = try folded(name, batchNorm: batchNorm, shape: shape)
        var transposed = [Float](repeating: 0, count: w.count)
        for out in 0..<o {
            for i in 0..<inputs { transposed[i * o + out] = w[out * inputs + i] }
        }
        return PointwiseLayer(inputs: inputs, outputs: o, weights: store.make(transposed), bias: store.make(b))
    }

    func depthwise(_ name: String, batchNorm: String, channels: Int, stride: Int, height: Int, width: Int) throws -> DepthwiseLayer {
        let shape = try require(name)
        guard shape.count == 4, shape[0] == channels, shape[1] == 1, shape[2] == shape[3] else {
            throw incompatible("\(name) has shape \(shape), expected (\(channels), 1, k, k)")
        }
        let k = shape[2]
        let (w, b) = try folded(name, batchNorm: batchNorm, shape: shape)
        var taps = [Float](repeating: 0, count: w.count)
        for c in 0..<channels {
            for t in 0..<k * k { taps[t * channels + c] = w[c * k * k + t] }
        }
        return DepthwiseLayer(
            channels: channels, geometry: SamePadding(height: height, width: width, kernel: k, stride: stride),
            weights: store.make(taps), bias: store.make(b))
    }

    /// The blocks, from `_blocks.0` while they exist; updates the spatial size through them.
    func blocks(inputHeight height: inout Int, inputWidth width: inout Int, inputChannels: Int) throws -> [Block] {
        var blocks: [Block] = []
        var channels = inputChannels
        var stage = -1
        var previousOutputs = -1
        while file.shape(of: "_blocks.\(blocks.count)._depthwise_conv.weight") != nil {
            let index = blocks.count
            let prefix = "_blocks.\(index)."
            let outputs = try require(prefix + "_project_conv.weight")[0]
            if outputs != previousOutputs { stage += 1 }
            guard stage < Self.stageStrides.count else { throw incompatible("more than 7 stages at block \(index)") }
            let stride = outputs != previousOutputs ? Self.stageStrides[stage] : 1
            previousOutputs = outputs
            var expand: PointwiseLayer?
            if file.shape(of: prefix + "_expand_conv.weight") != nil {
                expand = try pointwise(prefix + "_expand_conv.weight", batchNorm: prefix + "_bn0", inputs: channels)
            } else if index != 0 || (stride == 1 && channels == outputs) {
                // Only block 0 may lack an expand convolution: it computes the stem itself, and the depthwise
                // loop applies ReLU6 to its input, right only for the stem's or an expand's output.
                throw incompatible("block \(index) has no expand convolution")
            }
            let mid = expand?.outputs ?? channels
            guard mid % Vector.scalarCount == 0 else { throw incompatible("block \(index) has \(mid) channels") }
            let depthwise = try depthwise(
                prefix + "_depthwise_conv.weight", batchNorm: prefix + "_bn1", channels: mid, stride: stride,
                height: height, width: width)
            let project = try pointwise(prefix + "_project_conv.weight", batchNorm: prefix + "_bn2", inputs: mid)
            blocks.append(Block(
                index: index, expand: expand, depthwise: depthwise, project: project,
                residual: stride == 1 && channels == outputs))
            channels = outputs
            height = depthwise.geometry.outputHeight
            width = depthwise.geometry.outputWidth
        }
        guard stage == Self.stageStrides.count - 1 else { throw incompatible("\(stage + 1) stages, expected 7") }
        return blocks
    }
}

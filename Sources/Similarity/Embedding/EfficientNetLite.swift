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
/// The code: this file (loading, ``embed(_:)``, ``classify(_:)``, test hooks), `ForwardPass.swift` (the pass through
/// the layers), `Layers.swift` (what each layer holds), `Workspace.swift` (the activation buffers and their sizes),
/// `WeightLoading.swift` (safetensors to folded layers), `Kernels.swift` (the depthwise loops and vector helpers).
///
/// - Important: Not thread-safe. An instance owns its activation buffers, so it must be used by one task
///   at a time; it is deliberately not `Sendable`. To run several inferences in parallel, create one
///   instance per task (each loads its own copy of the weights, ~14 MB for Lite0), or give a second thread an
///   ``EmbeddingLane`` (``makeLane()``: buffers of its own over the same weights).
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
    // Read by the forward pass (ForwardPass.swift) and the workspace sizing (Workspace.swift).
    let stem: StemLayer
    let blocks: [Block]
    let head: PointwiseLayer
    /// The weights file, read again by ``classify(_:)`` for the classifier's weights (`_fc.weight`, 5 MB for 1000
    /// classes), which embedding never reads: held from loading on, they were 5 MB of a run's peak memory.
    private let url: URL
    private let classifierBias: UnsafeMutablePointer<Float>
    let featureHeight: Int
    let featureWidth: Int
    /// Workspaces for the shares of a batch split between ``threads``: one per thread.
    var workspaces: [Workspace?] = [nil]

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
            let loader = WeightLoader(file: file, store: weights)
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
            classifierBias = weights.make(try file.floats("_fc.bias", shape: [classCount]))
        } catch let error as SafeTensorsError {
            throw EmbeddingModelError.incompatible(path: file.path, reason: error.description)
        }
        self.variant = variant
        self.url = url
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

    /// A second set of activation buffers for this network, for a batch on another thread while this network's own
    /// ``embed(_:)`` runs a different one (see ``EmbeddingLane``).
    public func makeLane() -> EmbeddingLane { EmbeddingLane(self) }

    /// The ImageNet-1k logits (before softmax) for one image, for verification.
    ///
    /// - Parameter image: An image of exactly ``inputSize`` × ``inputSize`` pixels.
    /// - Returns: ``classCount`` logits, `_fc.weight · average(head) + _fc.bias`, in ImageNet class order.
    /// - Throws: ``SafeTensorsError`` when the weights file, read again for `_fc.weight`, is gone or changed.
    public func classify(_ image: RGBImage) throws -> [Float] {
        let classifierWeights = try SafeTensors(contentsOf: url).floats("_fc.weight", shape: [classCount, featureCount])
        let w = forward([image], probe: nil, in: workspace(for: 1, part: 0))
        return [Float](unsafeUninitializedCapacity: classCount) { logits, initialised in
            logits.baseAddress!.initialize(from: classifierBias, count: classCount)
            cblas_sgemv(
                CblasRowMajor, CblasNoTrans, Int32(classCount), Int32(featureCount), 1, classifierWeights,
                Int32(featureCount), w.pooled, 1, 1, logits.baseAddress!, 1)
            initialised = classCount
        }
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

    /// Frees the activation buffers the network's own ``embed(_:)`` keeps between batches (about 11 MB for a batch of 8
    /// of Lite0, more with ``threads``); the next ``embed(_:)`` allocates them again. For a caller done embedding for a
    /// while: `run` calls it when its input is read, so that clustering and the results do not hold them. Not while
    /// another thread embeds with this network.
    public func releaseBuffers() { workspaces = [nil] }

    /// Sets the scheduling parameters (see `minimumGEMMRows` and `stripPixels`); for benchmarks.
    @_spi(Testing) public func tune(batchingRows: Int? = nil, stripPixels: Int? = nil) {
        if let batchingRows { minimumGEMMRows = max(1, batchingRows) }
        if let stripPixels { self.stripPixels = max(1, stripPixels) }
        releaseBuffers()
    }
}

/// One batch at a time through an ``EfficientNetLite`` on activation buffers of its own, so that two threads can embed
/// two batches at once with one set of weights: the lane's user thread calls ``embed(_:)`` while another calls the
/// network's own ``EfficientNetLite/embed(_:)`` (or another lane's). Both only read the network (its weights and
/// scheduling parameters, which only the test hook ``EfficientNetLite/tune(batchingRows:stripPixels:)`` changes; not
/// while a lane runs).
///
/// A batch gets the same bits as from the network's ``EfficientNetLite/embed(_:)`` with ``EfficientNetLite/threads``
/// at 1: the same pass over the same shapes, with OpenBLAS's thread count as set (one thread, for two lanes to use two
/// cores). The buffers (about 11 MB for a batch of 8 of Lite0) are allocated by the first ``embed(_:)``, not before.
///
/// Unchecked `Sendable`: it is handed to the one thread that uses it; its buffers are its own, and what it reads of
/// the network does not change.
public final class EmbeddingLane: @unchecked Sendable {
    private let network: EfficientNetLite
    private var workspace: Workspace?

    init(_ network: EfficientNetLite) { self.network = network }

    /// Embeds a batch of images of ``EfficientNetLite/inputSize`` square (a precondition), in order.
    public func embed(_ batch: [RGBImage]) -> [Embedding] {
        guard !batch.isEmpty else { return [] }
        let w: Workspace
        if let workspace, workspace.capacity >= batch.count {
            w = workspace
        } else {
            workspace = nil  // freed before the larger one is made: never both at once
            w = network.makeWorkspace(for: batch.count)
            workspace = w
        }
        _ = network.forward(batch, probe: nil, in: w)
        return (0..<batch.count).map { network.embedding(of: $0, in: w) }
    }
}

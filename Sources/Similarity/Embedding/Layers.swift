/// The layers of ``EfficientNetLite`` as the forward pass reads them: weights rearranged and BatchNorm folded in at
/// load time (``WeightLoader``), in memory owned by the network (``FloatAllocations``).

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
    /// The values of one image's output.
    var outputCount: Int { depthwise.geometry.outputHeight * depthwise.geometry.outputWidth * outputs }

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

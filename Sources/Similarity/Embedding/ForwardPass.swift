import COpenBLAS
import Pixels

/// The forward pass of ``EfficientNetLite``: the stem, the blocks (in strips or batched), the head and its pooling.
extension EfficientNetLite {
    /// A callback that sees a layer's output: its name, the NHWC values and whether ReLU6 is still to be
    /// applied to them (the stem's output is stored before its activation, which the next layer fuses).
    typealias Probe = (_ name: String, _ values: UnsafeBufferPointer<Float>, _ pendingReLU6: Bool) -> Void

    /// Runs the network on `batch`, leaving the head's activated output and its averages in `w`, which
    /// holds at least `batch.count` images. Reads nothing of `self` that changes, so calls on separate
    /// workspaces may run at once.
    func forward(_ batch: [RGBImage], probe: Probe?, in w: Workspace) -> Workspace {
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

        // The leading blocks, which run image by image, take one image at a time through all of them, so that only
        // the last one's output is held for the whole batch (see ``leadingImageBlocks(batch:)``).
        let leading = leadingImageBlocks(batch: n)
        var probed = probe == nil ? [] : blocks[..<leading].map { [Float](repeating: 0, count: n * $0.outputCount) }
        for image in 0..<n {
            var input = w.image.1, output = w.image.0
            for block in blocks[..<leading] {
                if block.index == leading - 1 { output = next + image * block.outputCount }
                if block.expand == nil {
                    runInStrips(block, producer: .stem(batch[image]), input: input, output: output, in: w)
                } else {
                    runInStrips(block, producer: .expand(input), input: input, output: output, in: w)
                }
                if probe != nil {
                    probed[block.index].withUnsafeMutableBufferPointer {
                        ($0.baseAddress! + image * block.outputCount).update(from: output, count: block.outputCount)
                    }
                }
                swap(&input, &output)
            }
        }
        swap(&current, &next)
        if let probe {
            for (index, values) in probed.enumerated() {
                values.withUnsafeBufferPointer { probe("block\(index)", $0, false) }
            }
        }

        for block in blocks[leading...] {
            let d = block.depthwise.geometry
            let inPixels = d.inputHeight * d.inputWidth, outPixels = d.outputHeight * d.outputWidth
            let chunk = block.chunk(batch: n, minimumRows: minimumGEMMRows)
            var start = 0
            while start < n {
                let m = min(chunk, n - start)
                let input = current + start * inPixels * block.inputs
                let output = next + start * outPixels * block.outputs
                if m == 1 {
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

    /// How many blocks, from the first, run image by image for a batch of `n` (at least block 0, which computes the
    /// stem itself; all of them for one image). The forward pass takes each image through all of these before the
    /// next image, so their outputs need buffers for one image only (``Workspace/image``) and only the last one's is
    /// held for the whole batch: for Lite0 at 224×224, block 4's 28×28×40 instead of block 0's 112×112×16 per image,
    /// which cuts the workspace of a batch of 8 (the command line's default) from about 20 MB to 11 MB (16: 35 MB to
    /// 16 MB), about 10 MB of a 1080p run's peak. Each block runs the same matrix products on the same values as when
    /// it ran on every image before the next block, so every embedding has the same bits.
    @_spi(Testing) public func leadingImageBlocks(batch n: Int) -> Int {
        blocks.firstIndex { $0.chunk(batch: n, minimumRows: minimumGEMMRows) > 1 } ?? blocks.count
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
    func embedding(of image: Int, in w: Workspace) -> Embedding {
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
}

import Foundation

/// Reads the tensors of one safetensors file into the network's layers: BatchNorm folded in, weights rearranged
/// for the forward pass, stored in the network's ``FloatAllocations``.
struct WeightLoader {
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

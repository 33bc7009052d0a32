// The network's hand-written kernels, on NHWC (channels-last) float32 tensors.
//
// The depthwise loop has a scalar reference beside it (`depthwiseConvolutionReference`), tested against
// each other; the rest is covered by the network's comparison with the numpy reference.
// Channel counts handled by the vectorised loops are multiples of 8 (EfficientNet rounds every width
// to a multiple of 8; the loader checks it).

/// Geometry of a k×k convolution with TensorFlow "SAME" padding.
///
/// Per axis: `out = ceil(n / s)`, `pad_total = max((out − 1)·s + k − n, 0)`, `pad_before = pad_total / 2`
/// (integer division) and the rest after — so a stride-2 convolution on an even size pads one more on
/// the bottom/right than on the top/left. Padding values are zeros (of the convolution's input, i.e.
/// after normalisation or activation).
@_spi(Testing) public struct SamePadding: Equatable, Sendable {
    public let inputHeight: Int
    public let inputWidth: Int
    public let kernel: Int
    public let stride: Int
    public let outputHeight: Int
    public let outputWidth: Int
    public let top: Int
    public let left: Int

    public init(height: Int, width: Int, kernel: Int, stride: Int) {
        func axis(_ n: Int) -> (out: Int, before: Int) {
            let out = (n + stride - 1) / stride
            let total = max((out - 1) * stride + kernel - n, 0)
            return (out, total / 2)
        }
        let vertical = axis(height), horizontal = axis(width)
        self.inputHeight = height
        self.inputWidth = width
        self.kernel = kernel
        self.stride = stride
        self.outputHeight = vertical.out
        self.outputWidth = horizontal.out
        self.top = vertical.before
        self.left = horizontal.before
    }

    /// Width in pixels of an input row padded on both sides: the span the output row reads.
    public var paddedWidth: Int { (outputWidth - 1) * stride + kernel }
}

typealias Vector = SIMD8<Float>

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always) func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// `a + w · x` per lane: one fused multiply-add instruction where the build targets a CPU that has them
/// (`FUSED_MULTIPLY_ADD`, set by Package.swift on x86-64 hosts with AVX2 and FMA, and on arm64); a
/// multiply and an add otherwise — `addingProduct` without hardware FMA would call `fmaf` per lane.
@inline(__always) func multiplyAdd(_ a: Vector, _ w: Vector, _ x: Vector) -> Vector {
    #if FUSED_MULTIPLY_ADD
    a.addingProduct(w, x)
    #else
    a + w * x
    #endif
}

/// `min(max(v, 0), 6)` per lane. Written with masks: `clamped(lowerBound:upperBound:)` and `pointwiseMax`
/// compile to out-of-line scalar loops (NaN-aware), which made this the hottest function of the network.
@inline(__always) func relu6(_ v: Vector) -> Vector {
    var r = v
    r.replace(with: 0, where: v .< 0)
    r.replace(with: 6, where: r .> 6)
    return r
}

/// Scratch floats a ``DepthwiseRing`` needs: `k` padded input rows.
@_spi(Testing) public func depthwiseScratchCount(channels: Int, geometry g: SamePadding) -> Int {
    g.kernel * g.paddedWidth * channels
}

/// Depthwise k×k convolution of one image with ReLU6 on its input and BN-folded bias and ReLU6 on its
/// output: `out[y, x, c] = relu6(bias[c] + Σ_{i,j} w[i, j, c] · relu6(in[y·s − top + i, x·s − left + j, c]))`,
/// with TF "SAME" zero padding (see ``SamePadding``), computed a group of output rows at a time.
///
/// The ReLU6 on the input is the producer's activation (expand or stem convolution), fused here so the
/// expanded tensor is not read and written once more. Input rows are activated into a ring of `k`
/// zero-bordered rows (O(width) memory) as the output rows need them, so the inner loop has no bounds
/// checks; it runs over 8-channel vectors, four output pixels at a time. The ring remembers which input
/// rows it holds between calls of ``run(rows:input:inputRowCapacity:output:weights:bias:)``, which must
/// come in increasing row order, so a producer can compute the input a strip at a time just ahead of it.
@_spi(Testing) public struct DepthwiseRing {
    let scratch: UnsafeMutablePointer<Float>
    let held: UnsafeMutablePointer<Int>
    let channels: Int
    let geometry: SamePadding

    /// Starts one image: zeroes the padding columns and forgets the rows held.
    ///
    /// - Parameters:
    ///   - scratch: ``depthwiseScratchCount(channels:geometry:)`` floats.
    ///   - held: `k` integers (the input row each ring slot holds).
    ///   - channels: `C`, a multiple of 8.
    ///   - geometry: Sizes, kernel, stride and padding.
    public init(scratch: UnsafeMutablePointer<Float>, held: UnsafeMutablePointer<Int>, channels: Int, geometry g: SamePadding) {
        precondition(channels % Vector.scalarCount == 0, "depthwise channels must be a multiple of 8")
        self.scratch = scratch
        self.held = held
        self.channels = channels
        self.geometry = g
        let c = channels
        let rowFloats = g.paddedWidth * c
        let leftFloats = g.left * c
        let rightStart = (g.left + min(g.inputWidth, g.paddedWidth - g.left)) * c
        for slot in 0..<g.kernel {
            let row = scratch + slot * rowFloats
            row.initialize(repeating: 0, count: leftFloats)
            (row + rightStart).initialize(repeating: 0, count: rowFloats - rightStart)
        }
        held.initialize(repeating: -1, count: g.kernel)
    }

    /// Computes output rows `rows`.
    ///
    /// - Parameters:
    ///   - rows: Output rows, after those of the previous call.
    ///   - input: The producer's output before its activation, rows of `W × C` floats; input row `y` is at
    ///     row `y % inputRowCapacity` (a rolling buffer; pass `H` for a whole image).
    ///   - inputRowCapacity: The number of rows `input` holds.
    ///   - output: Where output row `rows.lowerBound` goes; rows of `Wo × C` floats follow.
    ///   - weights: `k × k × C` floats, `[i][j][c]` (BN-folded).
    ///   - bias: `C` floats (BN-folded).
    public func run(
        rows: Range<Int>, input: UnsafePointer<Float>, inputRowCapacity: Int, output: UnsafeMutablePointer<Float>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    ) {
        let g = geometry
        let k = g.kernel, s = g.stride, c = channels
        let rowFloats = g.paddedWidth * c
        let copied = min(g.inputWidth, g.paddedWidth - g.left)  // input columns the padded row holds
        let leftFloats = g.left * c
        withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { tapsBuffer in
            let taps = tapsBuffer.baseAddress!  // kernel rows of the current output row inside the input
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: k) { rowsBuffer in
                let rowPointers = rowsBuffer.baseAddress!
                for oy in rows {
                    let base = oy * s - g.top
                    var valid = 0
                    for i in max(0, -base)..<min(k, g.inputHeight - base) {
                        let iy = base + i
                        let slot = iy % k
                        let row = scratch + slot * rowFloats
                        if held[slot] != iy {
                            held[slot] = iy
                            let source = input + (iy % inputRowCapacity) &* g.inputWidth &* c
                            let destination = row + leftFloats
                            var p = 0
                            let n = copied &* c
                            while p < n {
                                store(relu6(load(source + p)), destination + p)
                                p &+= Vector.scalarCount
                            }
                        }
                        rowPointers[valid] = UnsafePointer(row)
                        taps[valid] = i
                        valid += 1
                    }
                    let outRow = output + (oy &- rows.lowerBound) &* g.outputWidth &* c
                    // Constant kernel sizes let the compiler unroll the tap loop.
                    switch k {
                    case 3: depthwiseRow(kernel: 3, stride: s, channels: c, width: g.outputWidth, rows: rowPointers, taps: taps, count: valid, weights: weights, bias: bias, output: outRow)
                    case 5: depthwiseRow(kernel: 5, stride: s, channels: c, width: g.outputWidth, rows: rowPointers, taps: taps, count: valid, weights: weights, bias: bias, output: outRow)
                    default: depthwiseRow(kernel: k, stride: s, channels: c, width: g.outputWidth, rows: rowPointers, taps: taps, count: valid, weights: weights, bias: bias, output: outRow)
                    }
                }
            }
        }
    }
}

/// One output row of ``DepthwiseRing``: for each 8-channel vector, four output pixels at a time, the taps
/// of the `count` kernel rows `taps[0..<count]` read from the padded ring rows `rows[0..<count]`.
/// Wrapping arithmetic and walking pointers keep overflow checks out of the loop.
@inline(__always)
private func depthwiseRow(
    kernel k: Int, stride s: Int, channels c: Int, width: Int, rows: UnsafeMutablePointer<UnsafePointer<Float>>,
    taps: UnsafeMutablePointer<Int>, count: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
) {
    let step = s &* c, step2 = 2 &* s &* c, step3 = 3 &* s &* c, tile = 4 &* step
    let c2 = 2 &* c, c3 = 3 &* c
    var ch = 0
    while ch < c {
        let b = load(bias + ch)
        var ox = 0
        var o = output + ch
        var origin = ch  // offset of the current output's first input column in a ring row
        while ox &+ 4 <= width {
            var a0 = b, a1 = b, a2 = b, a3 = b
            for t in 0..<count {
                var w = weights + (taps[t] &* k &* c &+ ch)
                var p = rows[t] + origin
                for _ in 0..<k {
                    let wv = load(w)
                    a0 = multiplyAdd(a0, wv, load(p))
                    a1 = multiplyAdd(a1, wv, load(p + step))
                    a2 = multiplyAdd(a2, wv, load(p + step2))
                    a3 = multiplyAdd(a3, wv, load(p + step3))
                    w += c
                    p += c
                }
            }
            store(relu6(a0), o)
            store(relu6(a1), o + c)
            store(relu6(a2), o + c2)
            store(relu6(a3), o + c3)
            ox &+= 4
            o += 4 &* c
            origin &+= tile
        }
        while ox < width {
            var a = b
            for t in 0..<count {
                var w = weights + (taps[t] &* k &* c &+ ch)
                var p = rows[t] + origin
                for _ in 0..<k {
                    a = multiplyAdd(a, load(w), load(p))
                    w += c
                    p += c
                }
            }
            store(relu6(a), o)
            ox &+= 1
            o += c
            origin &+= step
        }
        ch &+= Vector.scalarCount
    }
}

/// ``DepthwiseRing`` over a whole image.
///
/// - Parameters:
///   - input: `H × W × C` floats, the producer's output before its activation.
///   - output: `Ho × Wo × C` floats.
///   - channels: `C`, a multiple of 8.
///   - geometry: Sizes, kernel, stride and padding.
///   - weights: `k × k × C` floats, `[i][j][c]` (BN-folded).
///   - bias: `C` floats (BN-folded).
///   - scratch: ``depthwiseScratchCount(channels:geometry:)`` floats.
@_spi(Testing) public func depthwiseConvolution(
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, geometry g: SamePadding,
    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
    withUnsafeTemporaryAllocation(of: Int.self, capacity: g.kernel) { held in
        DepthwiseRing(scratch: scratch, held: held.baseAddress!, channels: channels, geometry: g).run(
            rows: 0..<g.outputHeight, input: input, inputRowCapacity: g.inputHeight, output: output,
            weights: weights, bias: bias)
    }
}

/// Scalar reference for ``depthwiseConvolution(input:output:channels:geometry:weights:bias:scratch:)``,
/// accumulating in `Double`: same definition, no ring, no vectors.
@_spi(Testing) public func depthwiseConvolutionReference(
    input: [Float], channels c: Int, geometry g: SamePadding, weights: [Float], bias: [Float]
) -> [Float] {
    var output = [Float](repeating: 0, count: g.outputHeight * g.outputWidth * c)
    for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
            for ch in 0..<c {
                var sum = Double(bias[ch])
                for i in 0..<g.kernel {
                    for j in 0..<g.kernel {
                        let iy = oy * g.stride - g.top + i, ix = ox * g.stride - g.left + j
                        guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                        let x = min(max(Double(input[(iy * g.inputWidth + ix) * c + ch]), 0), 6)
                        sum += Double(weights[(i * g.kernel + j) * c + ch]) * x
                    }
                }
                output[(oy * g.outputWidth + ox) * c + ch] = Float(min(max(sum, 0), 6))
            }
        }
    }
    return output
}

/// The stem's im2col on 8-bit RGB: one row of `k·k·3` values per output pixel, ordered `[i][j][rgb]`,
/// each `(x − 127) / 128` (exact in float32), zeros where the TF "SAME" window leaves the image.
///
/// - Parameters:
///   - pixels: `H × W × 3` bytes.
///   - geometry: The stem's geometry.
///   - rows: The output rows to lay out.
///   - columns: `rows.count·Wo × k·k·3` floats.
func stemColumns(pixels: UnsafePointer<UInt8>, geometry g: SamePadding, rows: Range<Int>, columns: UnsafeMutablePointer<Float>) {
    let k = g.kernel
    let width = k &* k &* 3, span = k &* 3
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { table in
        for v in 0..<256 { table[v] = (Float(v) - 127) / 128 }
        let lut = table.baseAddress!
        for oy in rows {
            let rowBase = columns + (oy &- rows.lowerBound) &* g.outputWidth &* width
            for i in 0..<k {
                let iy = oy &* g.stride &- g.top &+ i
                let inside = iy >= 0 && iy < g.inputHeight
                let source = pixels + (inside ? iy &* g.inputWidth &* 3 : 0)
                for ox in 0..<g.outputWidth {
                    let d = rowBase + (ox &* width &+ i &* span)
                    let ix = ox &* g.stride &- g.left
                    if !inside {
                        d.update(repeating: 0, count: span)
                    } else if ix >= 0 && ix &+ k <= g.inputWidth {
                        let s = source + ix &* 3
                        for q in 0..<span { d[q] = lut[Int(s[q])] }
                    } else {
                        for j in 0..<k {
                            let x = ix &+ j
                            let e = d + j &* 3
                            if x >= 0 && x < g.inputWidth {
                                let s = source + x &* 3
                                e[0] = lut[Int(s[0])]
                                e[1] = lut[Int(s[1])]
                                e[2] = lut[Int(s[2])]
                            } else {
                                e[0] = 0
                                e[1] = 0
                                e[2] = 0
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Fills `rows` rows of `count` floats with copies of `bias` (the initial value of a GEMM with β = 1),
/// by doubling copies.
func broadcastRows(_ bias: UnsafePointer<Float>, count: Int, rows: Int, into destination: UnsafeMutablePointer<Float>) {
    guard rows > 0 else { return }
    destination.update(from: bias, count: count)
    var filled = 1
    while filled < rows {
        let n = min(filled, rows - filled)
        (destination + filled * count).update(from: destination, count: n * count)
        filled += n
    }
}

/// `destination[r][c] = source[r][c] + bias[c]` over `rows` rows of `count` floats (`count` a multiple of 8):
/// the initial value of a projection GEMM with β = 1 that adds a residual.
func addBiasRows(
    _ source: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, count: Int, rows: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    for r in 0..<rows {
        let s = source + r * count, d = destination + r * count
        var c = 0
        while c < count {
            store(load(s + c) + load(bias + c), d + c)
            c += Vector.scalarCount
        }
    }
}

/// Bounds of cell `i` of `cells` along an axis of `n`, as PyTorch's `AdaptiveAvgPool2d`:
/// `floor(i·n / cells) ..< ceil((i + 1)·n / cells)` (cells overlap when `n` is not a multiple of `cells`).
@_spi(Testing) public func adaptiveCell(_ i: Int, of cells: Int, along n: Int) -> Range<Int> {
    (i * n / cells)..<(((i + 1) * n + cells - 1) / cells)
}

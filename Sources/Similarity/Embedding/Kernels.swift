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

#if WIDE_VECTORS
/// The depthwise loops' vector where the build targets AVX-512 (`WIDE_VECTORS`, set by Package.swift on
/// x86-64 hosts that have it): 16 lanes, and 32 registers to hold a 5×5 kernel's weights.
typealias WideVector = SIMD16<Float>
#else
typealias WideVector = SIMD8<Float>
#endif

@inline(__always) func loadLanes<V: KernelVector>(_ p: UnsafePointer<Float>, as _: V.Type) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

@inline(__always) func storeLanes<V: KernelVector>(_ v: V, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
}

/// The vector types the depthwise loops run on. Their arithmetic is written per concrete type: the
/// standard library's generic comparisons and `addingProduct`, specialised for a generic `SIMD` type,
/// compile to a loop over the lanes, where on the concrete types they are single instructions.
protocol KernelVector: SIMD where Scalar == Float {
    /// ``multiplyAdd(_:_:_:)``.
    static func multiplyAdd(_ a: Self, _ w: Self, _ x: Self) -> Self
    /// ``relu6(_:)``.
    static func relu6(_ v: Self) -> Self
}

extension SIMD8: KernelVector where Scalar == Float {
    @inline(__always) static func multiplyAdd(_ a: Self, _ w: Self, _ x: Self) -> Self { Similarity.multiplyAdd(a, w, x) }
    @inline(__always) static func relu6(_ v: Self) -> Self { Similarity.relu6(v) }
}

extension SIMD16: KernelVector where Scalar == Float {
    @inline(__always) static func multiplyAdd(_ a: Self, _ w: Self, _ x: Self) -> Self {
        #if FUSED_MULTIPLY_ADD
        a.addingProduct(w, x)
        #else
        a + w * x
        #endif
    }

    @inline(__always) static func relu6(_ v: Self) -> Self {
        unsafeBitCast(clampedToSix(unsafeBitCast(v, to: SIMD16<Int32>.self)), to: Self.self)
    }
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

/// `min(max(v, 0), 6)` per lane (a NaN becomes 0 or 6, by its sign).
///
/// Computed on the bit patterns (``clampedToSix(_:)``), with no comparison mask. The float forms all
/// misbehave somewhere: `clamped(lowerBound:upperBound:)` and `pointwiseMax` compile to out-of-line scalar
/// loops (NaN-aware), and `replace(with:where:)` selects lane by lane, which LLVM turns into one
/// `vmaxps`/`vminps` pair in some places and, for 16 lanes, in others into a comparison mask rebuilt four
/// lanes at a time (~20 instructions instead of 2; it was most of the depthwise loop's stores).
@inline(__always) func relu6(_ v: Vector) -> Vector {
    unsafeBitCast(clampedToSix(unsafeBitCast(v, to: SIMD8<Int32>.self)), to: Vector.self)
}

/// ReLU6 on IEEE-754 single bit patterns, as integers: a float with its sign bit set is negative as an
/// `Int32` (so `max(x, 0)` clears it to +0.0), and non-negative floats order as their bit patterns (so
/// `min(x, 6.0)` is an integer minimum). Both are written with shifts and masks, which LLVM recognises as
/// `vpmaxsd`/`vpminsd` in every context. Exact: every result is the input or 0 or 6.
@inline(__always) func clampedToSix<V: SIMD>(_ x: V) -> V where V.Scalar == Int32 {
    let positive = x & ~(x &>> 31)
    let six = V(repeating: 0x40C0_0000)  // 6.0
    let over = positive &- six
    return six &+ (over & (over &>> 31))
}

/// Scratch floats a ``DepthwiseRing`` needs: `k` padded input rows and one row of zeros, each row
/// ``DepthwiseRing/rowPixels(_:)`` pixels long.
@_spi(Testing) public func depthwiseScratchCount(channels: Int, geometry g: SamePadding) -> Int {
    (g.kernel + 1) * DepthwiseRing.rowPixels(g) * channels
}

/// Depthwise k×k convolution of one image with its producer's bias and ReLU6 on its input and BN-folded
/// bias and ReLU6 on its output:
/// `out[y, x, c] = relu6(bias[c] + Σ_{i,j} w[i, j, c] · relu6(in[y·s − top + i, x·s − left + j, c] + inputBias[c]))`,
/// with TF "SAME" zero padding (see ``SamePadding``), computed a group of output rows at a time.
///
/// The input bias and ReLU6 are the producer's (expand or stem convolution), fused here so the expanded
/// tensor, the network's largest, is written once (by its GEMM, with β = 0) and read once, instead of
/// being filled with the bias first and activated in place. Input rows are activated into a ring of `k`
/// zero-bordered rows (O(width) memory) as the output rows need them; kernel rows above or below the image
/// read a row of zeros, so the inner loop has no bounds checks and no cases. It runs over pairs of vectors
/// of 8 channels (16 with AVX-512, when the width is a multiple of 16), four output pixels at a time, with
/// the vectors' k×k weights loaded once per row (into registers where they fit);
/// a row whose width is not a multiple of four ends with one more group of four, read from zero columns
/// past the padding, of which only the real pixels are stored. Every output is the same sum in the same
/// order (bias, then the taps row by row), so results do not depend on where a pixel falls in its group.
/// The ring remembers which input rows it holds between calls of
/// ``run(rows:input:inputRowCapacity:output:weights:bias:)``, which must come in increasing row order, so a
/// producer can compute the input a strip at a time just ahead of it.
@_spi(Testing) public struct DepthwiseRing {
    let scratch: UnsafeMutablePointer<Float>
    let held: UnsafeMutablePointer<Int>
    let channels: Int
    let geometry: SamePadding

    /// Pixels in one ring row: the padded row the outputs read, plus the columns a last group of four
    /// outputs reads past it (three more outputs' strides).
    static func rowPixels(_ g: SamePadding) -> Int { g.paddedWidth + 3 * g.stride }

    /// Starts one image: zeroes the padding columns and the zero row, and forgets the rows held.
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
        let rowFloats = Self.rowPixels(g) * c
        let leftFloats = g.left * c
        let rightStart = (g.left + min(g.inputWidth, g.paddedWidth - g.left)) * c
        for slot in 0..<g.kernel {
            let row = scratch + slot * rowFloats
            row.initialize(repeating: 0, count: leftFloats)
            (row + rightStart).initialize(repeating: 0, count: rowFloats - rightStart)
        }
        (scratch + g.kernel * rowFloats).initialize(repeating: 0, count: rowFloats)
        held.initialize(repeating: -1, count: g.kernel)
    }

    /// Computes output rows `rows`.
    ///
    /// - Parameters:
    ///   - rows: Output rows, after those of the previous call.
    ///   - input: The producer's output before its bias and activation, rows of `W × C` floats; input row
    ///     `y` is at row `y % inputRowCapacity` (a rolling buffer; pass `H` for a whole image).
    ///   - inputRowCapacity: The number of rows `input` holds.
    ///   - inputBias: `C` floats, the producer's bias (BN-folded), added to `input` before the ReLU6.
    ///   - output: Where output row `rows.lowerBound` goes; rows of `Wo × C` floats follow.
    ///   - weights: `k × k × C` floats, `[i][j][c]` (BN-folded).
    ///   - bias: `C` floats (BN-folded).
    public func run(
        rows: Range<Int>, input: UnsafePointer<Float>, inputRowCapacity: Int, inputBias: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    ) {
        let g = geometry
        let k = g.kernel, s = g.stride, c = channels
        let rowFloats = Self.rowPixels(g) * c
        let copied = min(g.inputWidth, g.paddedWidth - g.left)  // input columns the padded row holds
        let leftFloats = g.left * c
        let zeros = UnsafePointer(scratch + k * rowFloats)
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: k) { rowsBuffer in
            let rowPointers = rowsBuffer.baseAddress!
            for oy in rows {
                let base = oy * s - g.top
                for i in 0..<k {
                    let iy = base + i
                    guard iy >= 0 && iy < g.inputHeight else {
                        rowPointers[i] = zeros
                        continue
                    }
                    let slot = iy % k
                    let row = scratch + slot * rowFloats
                    if held[slot] != iy {
                        held[slot] = iy
                        let source = input + (iy % inputRowCapacity) &* g.inputWidth &* c
                        if c % WideVector.scalarCount == 0 {
                            activateRow(WideVector.self, source, bias: inputBias, channels: c, pixels: copied, into: row + leftFloats)
                        } else {
                            activateRow(Vector.self, source, bias: inputBias, channels: c, pixels: copied, into: row + leftFloats)
                        }
                    }
                    rowPointers[i] = UnsafePointer(row)
                }
                let outRow = output + (oy &- rows.lowerBound) &* g.outputWidth &* c
                let rows = UnsafePointer(rowPointers)
                // The kernel size and stride as constants, so the tap loops unroll and the weights stay in
                // registers.
                if c % WideVector.scalarCount == 0 {
                    depthwiseRow(kernel: k, stride: s, vector: WideVector.self, channels: c, width: g.outputWidth, rows: rows, weights: weights, bias: bias, output: outRow)
                } else {
                    depthwiseRow(kernel: k, stride: s, vector: Vector.self, channels: c, width: g.outputWidth, rows: rows, weights: weights, bias: bias, output: outRow)
                }
            }
        }
    }
}

/// `relu6(source + bias)` for `pixels` pixels of `channels` floats (a multiple of `V`'s lanes).
@inline(__always)
private func activateRow<V: KernelVector>(
    _: V.Type, _ source: UnsafePointer<Float>, bias: UnsafePointer<Float>, channels c: Int, pixels: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    var p = 0
    let n = pixels &* c
    while p < n {
        var ch = 0
        while ch < c {
            storeLanes(V.relu6(loadLanes(source + (p &+ ch), as: V.self) + loadLanes(bias + ch, as: V.self)), destination + (p &+ ch))
            ch &+= V.scalarCount
        }
        p &+= c
    }
}

/// A depthwise kernel size and stride known at compile time.
enum DepthwiseShape<let kernel: Int, let stride: Int> {}

/// One output row of ``DepthwiseRing``, on vectors of `V`: the kernel size and stride made constants, so
/// the tap loops unroll and the weights stay in registers.
@inline(__always)
private func depthwiseRow<V: KernelVector>(
    kernel k: Int, stride s: Int, vector: V.Type, channels c: Int, width: Int, rows: UnsafePointer<UnsafePointer<Float>>,
    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
) {
    switch (k, s) {
    case (3, 1): depthwiseRow(DepthwiseShape<3, 1>.self, V.self, channels: c, width: width, rows: rows, weights: weights, bias: bias, output: output)
    case (3, 2): depthwiseRow(DepthwiseShape<3, 2>.self, V.self, channels: c, width: width, rows: rows, weights: weights, bias: bias, output: output)
    case (5, 1): depthwiseRow(DepthwiseShape<5, 1>.self, V.self, channels: c, width: width, rows: rows, weights: weights, bias: bias, output: output)
    case (5, 2): depthwiseRow(DepthwiseShape<5, 2>.self, V.self, channels: c, width: width, rows: rows, weights: weights, bias: bias, output: output)
    default: depthwiseRow(kernel: k, stride: s, channels: c, width: width, rows: rows, weights: weights, bias: bias, output: output)
    }
}

/// One output row of ``DepthwiseRing`` for a kernel size and stride fixed at compile time: two vectors of
/// channels at a time, then one for an odd count; for each, its `k×k` weights loaded once, then four output
/// pixels at a time (see ``DepthwiseRing`` for the last group).
///
/// Two vectors of four pixels make eight independent sums: a fused multiply-add takes 4 cycles and a core
/// starts two a cycle, so four sums (one vector) keep the units half busy at best. Two vectors measured
/// 1.1–1.6× faster per layer (Lite0's depthwise layers, ring copy included; 1.0–1.1× at 7×7).
@inline(__always)
private func depthwiseRow<let k: Int, let s: Int, V: KernelVector>(
    _: DepthwiseShape<k, s>.Type, _: V.Type, channels c: Int, width: Int, rows: UnsafePointer<UnsafePointer<Float>>,
    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
) {
    let step = s &* c, step2 = 2 &* s &* c, step3 = 3 &* s &* c, tile = 4 &* step
    let n = V.scalarCount
    var ch = 0
    while ch &+ 2 &* n <= c {
        var w = InlineArray<k, InlineArray<k, V>>(repeating: InlineArray(repeating: .zero))
        var u = InlineArray<k, InlineArray<k, V>>(repeating: InlineArray(repeating: .zero))
        for i in 0..<k {
            for j in 0..<k {
                w[i][j] = loadLanes(weights + ((i &* k &+ j) &* c &+ ch), as: V.self)
                u[i][j] = loadLanes(weights + ((i &* k &+ j) &* c &+ ch &+ n), as: V.self)
            }
        }
        let b = loadLanes(bias + ch, as: V.self), e = loadLanes(bias + (ch &+ n), as: V.self)
        var o = output + ch
        var origin = ch  // offset of the current group's first input column in a ring row
        var ox = 0
        while ox < width {
            var a0 = b, a1 = b, a2 = b, a3 = b
            var b0 = e, b1 = e, b2 = e, b3 = e
            for i in 0..<k {
                var p = rows[i] + origin
                for j in 0..<k {
                    let wv = w[i][j], uv = u[i][j]
                    a0 = V.multiplyAdd(a0, wv, loadLanes(p, as: V.self))
                    b0 = V.multiplyAdd(b0, uv, loadLanes(p + n, as: V.self))
                    a1 = V.multiplyAdd(a1, wv, loadLanes(p + step, as: V.self))
                    b1 = V.multiplyAdd(b1, uv, loadLanes(p + (step &+ n), as: V.self))
                    a2 = V.multiplyAdd(a2, wv, loadLanes(p + step2, as: V.self))
                    b2 = V.multiplyAdd(b2, uv, loadLanes(p + (step2 &+ n), as: V.self))
                    a3 = V.multiplyAdd(a3, wv, loadLanes(p + step3, as: V.self))
                    b3 = V.multiplyAdd(b3, uv, loadLanes(p + (step3 &+ n), as: V.self))
                    p += c
                }
            }
            let r0 = V.relu6(a0), r1 = V.relu6(a1), r2 = V.relu6(a2), r3 = V.relu6(a3)
            let q0 = V.relu6(b0), q1 = V.relu6(b1), q2 = V.relu6(b2), q3 = V.relu6(b3)
            storeLanes(r0, o)
            storeLanes(q0, o + n)
            let left = width &- ox
            if left > 1 {
                storeLanes(r1, o + c)
                storeLanes(q1, o + (c &+ n))
            }
            if left > 2 {
                storeLanes(r2, o + 2 &* c)
                storeLanes(q2, o + (2 &* c &+ n))
            }
            if left > 3 {
                storeLanes(r3, o + 3 &* c)
                storeLanes(q3, o + (3 &* c &+ n))
            }
            ox &+= 4
            o += 4 &* c
            origin &+= tile
        }
        ch &+= 2 &* n
    }
    while ch < c {
        var w = InlineArray<k, InlineArray<k, V>>(repeating: InlineArray(repeating: .zero))
        for i in 0..<k {
            for j in 0..<k { w[i][j] = loadLanes(weights + ((i &* k &+ j) &* c &+ ch), as: V.self) }
        }
        let b = loadLanes(bias + ch, as: V.self)
        var o = output + ch
        var origin = ch  // offset of the current group's first input column in a ring row
        var ox = 0
        while ox < width {
            var a0 = b, a1 = b, a2 = b, a3 = b
            for i in 0..<k {
                var p = rows[i] + origin
                for j in 0..<k {
                    let wv = w[i][j]
                    a0 = V.multiplyAdd(a0, wv, loadLanes(p, as: V.self))
                    a1 = V.multiplyAdd(a1, wv, loadLanes(p + step, as: V.self))
                    a2 = V.multiplyAdd(a2, wv, loadLanes(p + step2, as: V.self))
                    a3 = V.multiplyAdd(a3, wv, loadLanes(p + step3, as: V.self))
                    p += c
                }
            }
            storeLanes(V.relu6(a0), o)
            let left = width &- ox
            if left >= 4 {
                storeLanes(V.relu6(a1), o + c)
                storeLanes(V.relu6(a2), o + 2 &* c)
                storeLanes(V.relu6(a3), o + 3 &* c)
            } else {
                if left > 1 { storeLanes(V.relu6(a1), o + c) }
                if left > 2 { storeLanes(V.relu6(a2), o + 2 &* c) }
            }
            ox &+= 4
            o += 4 &* c
            origin &+= tile
        }
        ch &+= V.scalarCount
    }
}

/// ``depthwiseRow(kernel:stride:vector:channels:width:rows:weights:bias:output:)`` for any other kernel size and stride (not used by
/// the EfficientNet-Lite variants, whose kernels are 3 and 5 with strides 1 and 2).
private func depthwiseRow(
    kernel k: Int, stride s: Int, channels c: Int, width: Int, rows: UnsafePointer<UnsafePointer<Float>>,
    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
) {
    var ch = 0
    while ch < c {
        let b = load(bias + ch)
        for ox in 0..<width {
            var a = b
            for i in 0..<k {
                var p = rows[i] + (ox &* s &* c &+ ch)
                var w = weights + (i &* k &* c &+ ch)
                for _ in 0..<k {
                    a = multiplyAdd(a, load(w), load(p))
                    p += c
                    w += c
                }
            }
            store(relu6(a), output + (ox &* c &+ ch))
        }
        ch &+= Vector.scalarCount
    }
}

/// ``DepthwiseRing`` over a whole image.
///
/// - Parameters:
///   - input: `H × W × C` floats, the producer's output before its bias and activation.
///   - inputBias: `C` floats, the producer's bias.
///   - output: `Ho × Wo × C` floats.
///   - channels: `C`, a multiple of 8.
///   - geometry: Sizes, kernel, stride and padding.
///   - weights: `k × k × C` floats, `[i][j][c]` (BN-folded).
///   - bias: `C` floats (BN-folded).
///   - scratch: ``depthwiseScratchCount(channels:geometry:)`` floats.
@_spi(Testing) public func depthwiseConvolution(
    input: UnsafePointer<Float>, inputBias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int,
    geometry g: SamePadding, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
    withUnsafeTemporaryAllocation(of: Int.self, capacity: g.kernel) { held in
        DepthwiseRing(scratch: scratch, held: held.baseAddress!, channels: channels, geometry: g).run(
            rows: 0..<g.outputHeight, input: input, inputRowCapacity: g.inputHeight, inputBias: inputBias, output: output,
            weights: weights, bias: bias)
    }
}

/// Scalar reference for ``depthwiseConvolution(input:inputBias:output:channels:geometry:weights:bias:scratch:)``,
/// accumulating in `Double`: same definition, no ring, no vectors.
@_spi(Testing) public func depthwiseConvolutionReference(
    input: [Float], inputBias: [Float], channels c: Int, geometry g: SamePadding, weights: [Float], bias: [Float]
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
                        let x = min(max(Double(input[(iy * g.inputWidth + ix) * c + ch] + inputBias[ch]), 0), 6)
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

import COpenBLAS

/// Scene distances: content (cosine distance of embeddings) mixed with time (the gap between the scenes' spans).
extension CondensedDistances {
    /// The distance between scenes used to cluster them, for every pair.
    ///
    /// For scenes i and j, `d = (1 − alpha)·d_content + alpha·d_time`, in [0, 1], where
    /// - `d_content = clamp(1 − cos(uᵢ, uⱼ), 0, 1)`, the cosine distance of their embeddings (each row is divided by its
    ///   length, so rows need not be unit vectors; a zero row has cosine 0, so content distance 1, to every other);
    /// - `d_time = min(gap / timeScale, 1)`, `gap` being the time between the two spans (0 when they overlap or touch).
    ///
    /// Both scales are absolute: nothing is normalised by the data's largest distance or longest gap.
    ///
    /// The dot products come from OpenBLAS `cblas_sgemm` on blocks of rows (each block against itself and all later
    /// rows), so besides the result only one block of `≈ 4M` floats is allocated; the rest of the formula is evaluated
    /// in `Double` and rounded once to `Float`. Error budget: 1e-6 from the exact value, for the `Float` dot products
    /// (tested against numpy in `Double` and against ``referenceSceneDistances(embeddings:dimension:spans:alpha:timeScale:)``;
    /// measured ≤ 2.7e-7 on the golden data and 4.4e-7 for near-duplicates in 1280 dimensions, where cosines near 1 lose
    /// the most). Time: about `n²·dimension/2` multiply–adds, on all of OpenBLAS's threads. On Linux the result's memory
    /// is advised for transparent huge pages before it is written, which makes the clustering's column reads about
    /// 30 % faster.
    ///
    /// - Parameters:
    ///   - embeddings: `count × dimension` floats, row-major: scene i's embedding is
    ///     `embeddings[i·dimension ..< (i + 1)·dimension]`. Must be finite.
    ///   - dimension: The length of one embedding, ≥ 1.
    ///   - spans: Each scene's time span in seconds, `count` of them (any origin, as long as it is common).
    ///   - alpha: The weight of time, 0–1: 0 compares content only, 1 time only.
    ///   - timeScale: The gap, in seconds, at which `d_time` reaches 1; > 0.
    public init(embeddings: [Float], dimension: Int, spans: [ClosedRange<Double>], alpha: Double, timeScale: Double) {
        precondition(dimension >= 1 && embeddings.count % dimension == 0, "embeddings must hold count × dimension floats")
        let count = embeddings.count / dimension
        precondition(spans.count == count, "one span per embedding")
        precondition(alpha >= 0 && alpha <= 1, "alpha must be within 0–1")
        precondition(timeScale > 0, "the time scale must be positive")
        self.init(count: count, uncheckedValues: Self.sceneDistances(
            embeddings: embeddings, dimension: dimension, spans: spans, alpha: alpha, timeScale: timeScale))
    }

    /// The cosine distance, `clamp(1 − cos, 0, 1)`, between every pair of embeddings: content only (`alpha` 0).
    ///
    /// - Parameters:
    ///   - embeddings: `count × dimension` floats, row-major; finite.
    ///   - dimension: The length of one embedding, ≥ 1.
    public init(embeddings: [Float], dimension: Int) {
        precondition(dimension >= 1 && embeddings.count % dimension == 0, "embeddings must hold count × dimension floats")
        let count = embeddings.count / dimension
        self.init(count: count, uncheckedValues: Self.sceneDistances(
            embeddings: embeddings, dimension: dimension, spans: [], alpha: 0, timeScale: 1))
    }

    /// Scene distances from one embedding array per scene; see ``init(embeddings:dimension:spans:alpha:timeScale:)``.
    ///
    /// - Parameters:
    ///   - embeddings: One embedding per scene, all of the same length ≥ 1 (at least one scene).
    ///   - spans: Each scene's time span in seconds.
    ///   - alpha: The weight of time, 0–1.
    ///   - timeScale: The gap in seconds at which the time distance reaches 1; > 0.
    public init(embeddings: [[Float]], spans: [ClosedRange<Double>], alpha: Double, timeScale: Double) {
        let dimension = embeddings.first?.count ?? 1
        precondition(embeddings.allSatisfy { $0.count == dimension }, "embeddings of different lengths")
        self.init(embeddings: embeddings.flatMap { $0 }, dimension: dimension, spans: spans, alpha: alpha, timeScale: timeScale)
    }

    /// Wraps values known to be valid.
    init(count: Int, uncheckedValues values: [Float]) {
        self.count = count
        self.values = values
    }

    /// Content distance from a cosine: `clamp(1 − cosine, 0, 1)`.
    ///
    /// - Parameter cosine: The cosine of the angle between two embeddings.
    /// - Returns: 0 for the same direction, 1 for orthogonal or opposite ones.
    @inlinable public static func contentDistance(cosine: Double) -> Double {
        min(max(1 - cosine, 0), 1)
    }

    /// Time distance between two spans: `min(gap / timeScale, 1)`.
    ///
    /// - Parameters:
    ///   - a: One span, in seconds.
    ///   - b: Another span, in seconds.
    ///   - timeScale: The gap in seconds at which the distance reaches 1; > 0.
    /// - Returns: 0 when the spans overlap or touch, growing linearly with the gap between them up to 1.
    @inlinable public static func timeDistance(_ a: ClosedRange<Double>, _ b: ClosedRange<Double>, timeScale: Double) -> Double {
        min(max(max(a.lowerBound, b.lowerBound) - min(a.upperBound, b.upperBound), 0) / timeScale, 1)
    }

    /// The scene distance, straightforwardly in `Double` (pair by pair dot products): the reference the fast
    /// construction is tested against.
    @_spi(Testing) public static func referenceSceneDistances(
        embeddings: [Float], dimension: Int, spans: [ClosedRange<Double>], alpha: Double, timeScale: Double
    ) -> [Double] {
        let count = embeddings.count / dimension
        let lengths = (0..<count).map { i in
            embeddings[i * dimension..<(i + 1) * dimension].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        var values: [Double] = []
        values.reserveCapacity(pairCount(count))
        for i in 0..<count {
            for j in (i + 1)..<count {
                var dot = 0.0
                for k in 0..<dimension { dot += Double(embeddings[i * dimension + k]) * Double(embeddings[j * dimension + k]) }
                let cosine = lengths[i] > 0 && lengths[j] > 0 ? dot / (lengths[i] * lengths[j]) : 0
                let time = alpha > 0 ? timeDistance(spans[i], spans[j], timeScale: timeScale) : 0
                values.append((1 - alpha) * contentDistance(cosine: cosine) + alpha * time)
            }
        }
        return values
    }

    /// The blocked construction behind the initialisers.
    private static func sceneDistances(
        embeddings: [Float], dimension: Int, spans: [ClosedRange<Double>], alpha: Double, timeScale: Double
    ) -> [Float] {
        let n = embeddings.count / dimension
        precondition(embeddings.allSatisfy { $0.isFinite }, "embeddings must be finite")
        guard n >= 2 else { return [] }
        let pairs = pairCount(n)
        // 1 / length of every row in Double; 0 for a zero row, whose cosines then come out 0.
        let inverseLengths = embeddings.withUnsafeBufferPointer { e in
            (0..<n).map { i -> Double in
                var sum = 0.0
                for k in 0..<dimension { sum += Double(e[i * dimension + k]) * Double(e[i * dimension + k]) }
                return sum > 0 ? 1 / sum.squareRoot() : 0
            }
        }
        let starts = alpha > 0 ? spans.map(\.lowerBound) : []
        let ends = alpha > 0 ? spans.map(\.upperBound) : []
        // Rows per block: the block's products against all later rows take ≤ 4M floats (16 MB).
        let blockRows = max(1, min(n, (1 << 22) / n))
        let usesContent = alpha < 1
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: usesContent ? blockRows * n : 0)
        defer { scratch.deallocate() }

        return [Float](unsafeUninitializedCapacity: pairs) { out, initialized in
            adviseHugePages(out.baseAddress!, byteCount: pairs * MemoryLayout<Float>.stride)
            embeddings.withUnsafeBufferPointer { e in
                inverseLengths.withUnsafeBufferPointer { inverse in
                    starts.withUnsafeBufferPointer { starts in
                        ends.withUnsafeBufferPointer { ends in
                            var first = 0
                            while first < n - 1 {
                                let rows = min(blockRows, n - 1 - first)
                                let columns = n - first
                                if usesContent {
                                    // scratch[r][c] = row (first + r) · row (first + c), for rows × columns.
                                    let block = e.baseAddress! + first * dimension
                                    cblas_sgemm(
                                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(columns), Int32(dimension),
                                        1, block, Int32(dimension), block, Int32(dimension), 0, scratch, Int32(columns))
                                }
                                let block = DistanceBlock(
                                    out: out.baseAddress!, products: scratch, inverseLengths: inverse.baseAddress!,
                                    starts: starts.baseAddress, ends: ends.baseAddress, count: n, first: first, columns: columns,
                                    alpha: alpha, inverseTimeScale: 1 / timeScale)
                                // Single-threaded: this is about 5 % of the time, cblas_sgemm the rest.
                                for r in 0..<rows { block.writeRow(r) }
                                first += rows
                            }
                        }
                    }
                }
            }
            initialized = pairs
        }
    }
}

/// One block of rows of the scene-distance construction: turns the block's dot products into condensed distances.
///
/// Each row writes its own range of `out` and only reads the rest.
private struct DistanceBlock {
    let out: UnsafeMutablePointer<Float>
    let products: UnsafePointer<Float>
    let inverseLengths: UnsafePointer<Double>
    /// Span bounds, nil when `alpha` is 0.
    let starts: UnsafePointer<Double>?
    let ends: UnsafePointer<Double>?
    let count: Int
    let first: Int
    let columns: Int
    let alpha: Double
    let inverseTimeScale: Double

    /// Writes the distances from item `first + r` to every later item.
    func writeRow(_ r: Int) {
        let i = first + r
        let row = out + CondensedDistances.index(i, i + 1, count: count) - (i + 1)
        let dots = products + r * columns - first
        let inverse = inverseLengths
        let inverseI = inverse[i]
        let contentWeight = 1 - alpha
        if alpha == 0 {
            for j in (i + 1)..<count {
                let content = 1 - Double(dots[j]) * inverseI * inverse[j]
                row[j] = Float(content < 0 ? 0 : content > 1 ? 1 : content)
            }
        } else if let starts, let ends {
            let (startI, endI) = (starts[i], ends[i])
            let usesContent = alpha < 1
            for j in (i + 1)..<count {
                var value = 0.0
                if usesContent {
                    let content = 1 - Double(dots[j]) * inverseI * inverse[j]
                    value = contentWeight * (content < 0 ? 0 : content > 1 ? 1 : content)
                }
                let gap = max(max(startI, starts[j]) - min(endI, ends[j]), 0)
                row[j] = Float(value + alpha * min(gap * inverseTimeScale, 1))
            }
        }
    }
}

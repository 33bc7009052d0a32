import COpenBLAS

/// The leading principal components of a set of vectors, for projecting embeddings onto them
/// before clustering (as imagecluster offers) and for the report's map of scenes.
///
/// With `n` centred rows of dimension `d` as the columns of `A` (d × n), the components are the leading
/// eigenvectors of the covariance `A Aᵀ / (n − 1)`. When there are no more rows than dimensions (a video's scenes
/// against EfficientNet's 1280: nearly always) they are found from the n × n Gram matrix `Aᵀ A / (n − 1)` instead,
/// which has the same nonzero eigenvalues: for its eigenvector `u`, `A u` is the covariance's, normalised here.
/// That costs `n² d + n³` instead of `n d² + d³`: for 35 scenes microseconds instead of the ~0.1 s the
/// eigen-decomposition of a 1280 × 1280 covariance took whatever the number of scenes. Either matrix is formed with
/// `cblas_dsyrk` and its largest eigenvalues and eigenvectors taken with LAPACK `dsyevr` (both from OpenBLAS), in
/// `Double`. Components are ordered by decreasing variance; each eigenvector's sign is fixed so that its
/// largest-magnitude entry is positive, so projections are deterministic.
public struct PrincipalComponents: Sendable {
    /// The mean that is subtracted before projecting.
    public let mean: [Double]
    /// `count` unit vectors of the input dimension, row-major, by decreasing variance.
    public let components: [[Double]]
    /// The variance along each component, decreasing.
    public let variances: [Double]

    /// Which matrix the components are taken from.
    enum Method {
        /// The d × d covariance of the centred rows.
        case covariance
        /// The n × n Gram matrix of the centred rows (for n ≤ d).
        case gram
    }

    /// - Parameters:
    ///   - rows: at least two vectors of one dimension.
    ///   - count: how many components, 1 … min(rows − 1, dimension).
    /// - Returns: nil when there are too few rows for `count` components or LAPACK fails.
    public init?(rows: [[Float]], count: Int) {
        self.init(rows: rows, count: count, method: nil)
    }

    /// `method` nil: the Gram matrix when there are no more rows than dimensions, else the covariance. When the
    /// Gram matrix cannot give a component (its eigenvalue zero up to rounding, under 1e-12 of the largest: the rows
    /// span fewer directions than `count`), all are taken from the covariance instead.
    init?(rows: [[Float]], count: Int, method: Method?) {
        let n = rows.count
        guard n >= 2, let d = rows.first?.count, d > 0, count >= 1, count <= min(n - 1, d) else { return nil }
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += Double(r[j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        // Row i centred at i·d: column-major, this is A (d × n, leading dimension d).
        var centred = [Double](repeating: 0, count: n * d)
        for (i, r) in rows.enumerated() { for j in 0..<d { centred[i * d + j] = Double(r[j]) - mean[j] } }
        var components: [[Double]] = []
        var variances: [Double] = []
        switch method ?? (n <= d ? .gram : .covariance) {
        case .covariance:
            // A Aᵀ / (n − 1), upper triangle in column-major: d × d.
            var covariance = [Double](repeating: 0, count: d * d)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(d), Int32(n), 1 / Double(n - 1), centred, Int32(d), 0, &covariance, Int32(d))
            guard let (values, vectors) = Self.largestEigenpairs(&covariance, size: d, count: count) else { return nil }
            for k in stride(from: count - 1, through: 0, by: -1) {
                components.append(Self.signFixed(Array(vectors[(k * d)..<((k + 1) * d)])))
                variances.append(max(0, values[k]))
            }
        case .gram:
            // Aᵀ A / (n − 1), upper triangle in column-major: n × n.
            var gram = [Double](repeating: 0, count: n * n)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(n), Int32(d), 1 / Double(n - 1), centred, Int32(d), 0, &gram, Int32(n))
            guard let (values, vectors) = Self.largestEigenpairs(&gram, size: n, count: count) else { return nil }
            for k in stride(from: count - 1, through: 0, by: -1) {
                // A u: the covariance's eigenvector for the same eigenvalue, of length √((n − 1) λ).
                var v = [Double](repeating: 0, count: d)
                Array(vectors[(k * n)..<((k + 1) * n)]).withUnsafeBufferPointer { u in
                    cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(d), Int32(n), 1, centred, Int32(d), u.baseAddress, 1, 0, &v, 1)
                }
                let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard length > 0, length.isFinite, values[k] > 1e-12 * values[count - 1] else {
                    guard let whole = PrincipalComponents(rows: rows, count: count, method: .covariance) else { return nil }
                    self = whole
                    return
                }
                components.append(Self.signFixed(v.map { $0 / length }))
                variances.append(values[k])
            }
        }
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// The `count` largest eigenvalues (ascending) of the symmetric `size` × `size` matrix whose upper triangle
    /// `matrix` holds in column-major order, and their eigenvectors (column k at k·size); nil when LAPACK fails.
    /// `matrix` is overwritten.
    private static func largestEigenpairs(_ matrix: inout [Double], size: Int, count: Int) -> (values: [Double], vectors: [Double])? {
        var found: Int32 = 0, info: Int32 = 0
        var values = [Double](repeating: 0, count: size)
        var vectors = [Double](repeating: 0, count: size * count)
        var support = [Int32](repeating: 0, count: 2 * count)
        var nn = Int32(size), lda = Int32(size), il = Int32(size - count + 1), iu = Int32(size), ldz = Int32(size)
        var vl = 0.0, vu = 0.0, tolerance = 0.0
        // Workspace query, then the real call.
        var lwork: Int32 = -1, liwork: Int32 = -1, workSize = 0.0, iworkSize: Int32 = 0
        "V".withCString { jobz in "I".withCString { range in "U".withCString { uplo in
            dsyevr_(jobz, range, uplo, &nn, &matrix, &lda, &vl, &vu, &il, &iu, &tolerance, &found, &values, &vectors, &ldz,
                    &support, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1, 1)
            lwork = Int32(workSize)
            liwork = iworkSize
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Int(liwork))
            dsyevr_(jobz, range, uplo, &nn, &matrix, &lda, &vl, &vu, &il, &iu, &tolerance, &found, &values, &vectors, &ldz,
                    &support, &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        } } }
        // dsyevr returns ascending eigenvalues; eigenvector k is column k (contiguous in column-major).
        guard info == 0, Int(found) == count else { return nil }
        return (Array(values.prefix(count)), vectors)
    }

    /// `v`, negated if needed so that its largest-magnitude entry is positive.
    private static func signFixed(_ v: [Double]) -> [Double] {
        let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
        return v[largest] < 0 ? v.map { -$0 } : v
    }

    /// `v` minus the mean, projected onto the components: `count` coordinates.
    public func project(_ v: [Float]) -> [Float] {
        components.map { c in
            var s = 0.0
            for j in c.indices { s += (Double(v[j]) - mean[j]) * c[j] }
            return Float(s)
        }
    }
}

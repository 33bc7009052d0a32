import COpenBLAS

/// The leading principal components of a set of vectors, for projecting embeddings onto them
/// before clustering (as imagecluster offers).
///
/// The covariance `Cᵀ C / (n − 1)` of the centred rows is formed with `cblas_dsyrk` and its largest
/// eigenvalues and eigenvectors are taken with LAPACK `dsyevr` (both from OpenBLAS), in `Double`.
/// Components are ordered by decreasing variance; each eigenvector's sign is fixed so that its
/// largest-magnitude entry is positive, so projections are deterministic.
public struct PrincipalComponents: Sendable {
    /// The mean that is subtracted before projecting.
    public let mean: [Double]
    /// `count` unit vectors of the input dimension, row-major, by decreasing variance.
    public let components: [[Double]]
    /// The variance along each component, decreasing.
    public let variances: [Double]

    /// - Parameters:
    ///   - rows: at least two vectors of one dimension.
    ///   - count: how many components, 1 … min(rows − 1, dimension).
    /// - Returns: nil when there are too few rows for `count` components or LAPACK fails.
    public init?(rows: [[Float]], count: Int) {
        let n = rows.count
        guard n >= 2, let d = rows.first?.count, d > 0, count >= 1, count <= min(n - 1, d) else { return nil }
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += Double(r[j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = [Double](repeating: 0, count: n * d)
        for (i, r) in rows.enumerated() { for j in 0..<d { centred[i * d + j] = Double(r[j]) - mean[j] } }
        // Covariance, upper triangle in column-major (= lower in row-major): d × d.
        var covariance = [Double](repeating: 0, count: d * d)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(d), Int32(n), 1 / Double(n - 1), centred, Int32(d), 0, &covariance, Int32(d))
        var found: Int32 = 0, info: Int32 = 0
        var values = [Double](repeating: 0, count: d)
        var vectors = [Double](repeating: 0, count: d * count)
        var support = [Int32](repeating: 0, count: 2 * count)
        var nn = Int32(d), lda = Int32(d), il = Int32(d - count + 1), iu = Int32(d), ldz = Int32(d)
        var vl = 0.0, vu = 0.0, tolerance = 0.0
        // Workspace query, then the real call.
        var lwork: Int32 = -1, liwork: Int32 = -1, workSize = 0.0, iworkSize: Int32 = 0
        "V".withCString { jobz in "I".withCString { range in "U".withCString { uplo in
            dsyevr_(jobz, range, uplo, &nn, &covariance, &lda, &vl, &vu, &il, &iu, &tolerance, &found, &values, &vectors, &ldz,
                    &support, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1, 1)
            lwork = Int32(workSize)
            liwork = iworkSize
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Int(liwork))
            dsyevr_(jobz, range, uplo, &nn, &covariance, &lda, &vl, &vu, &il, &iu, &tolerance, &found, &values, &vectors, &ldz,
                    &support, &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        } } }
        guard info == 0, Int(found) == count else { return nil }
        // dsyevr returns ascending eigenvalues; eigenvector k is column k (contiguous in column-major).
        var components: [[Double]] = []
        var variances: [Double] = []
        for k in stride(from: count - 1, through: 0, by: -1) {
            var v = Array(vectors[(k * d)..<((k + 1) * d)])
            let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
            if v[largest] < 0 { v = v.map { -$0 } }
            components.append(v)
            variances.append(max(0, values[k]))
        }
        self.mean = mean
        self.components = components
        self.variances = variances
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

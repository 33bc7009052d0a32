import Foundation
@testable import Similarity
import Testing
import _FrameDedupeTestSupport

@Suite("Principal components", .temporaryFolders)
struct PrincipalComponentsTests {
    /// Points spread along e0 (standard deviation 10) and e1 (3), with small noise (0.1) in 30 dimensions:
    /// the components are ±e0 and ±e1 by construction, with variances 100 and 9.
    @Test func recoversTheDirectionsOfSpread() throws {
        var generator = SplitMix64(state: 42)
        func normal() -> Double {
            let u = max(Double.ulpOfOne, Double(generator.next() >> 11) / Double(1 << 53)), v = Double(generator.next() >> 11) / Double(1 << 53)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let rows: [[Float]] = (0..<4000).map { _ in
            (0..<30).map { j in Float(j == 0 ? 10 * normal() + 5 : j == 1 ? 3 * normal() - 2 : 0.1 * normal()) }
        }
        let pca = try #require(PrincipalComponents(rows: rows, count: 3))
        #expect(abs(pca.components[0][0]) > 0.999 && abs(pca.components[1][1]) > 0.999)
        #expect(abs(pca.variances[0] - 100) < 6 && abs(pca.variances[1] - 9) < 0.6 && pca.variances[2] < 0.02)
        #expect(pca.variances == pca.variances.sorted(by: >))
        // Orthonormal components; a deterministic sign (largest entry positive).
        for (a, u) in pca.components.enumerated() {
            for (b, v) in pca.components.enumerated() {
                let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-9)
            }
            #expect(u.max()! >= -u.min()!)
        }
        // The mean projects to the origin; a point one unit along e0 from the mean projects to (±1, 0, 0).
        let mean = pca.mean.map(Float.init)
        #expect(pca.project(mean).allSatisfy { abs($0) < 1e-4 })
        var moved = mean
        moved[0] += 1
        let p = pca.project(moved)
        #expect(abs(abs(p[0]) - 1) < 1e-3 && abs(p[1]) < 0.05)  // component 1 is e1 only up to sampling noise
    }

    /// Fewer rows than dimensions (a video's scenes against the network's 1280): the Gram matrix gives the
    /// covariance's components and variances, in either form of data: spread along a few random directions, and
    /// 12 real-looking clusters (rows near 12 centres, as scenes of a few contents).
    @Test(arguments: [(40, 300), (3, 1280), (200, 1280)])
    func gramMatrixGivesTheCovariancesComponents(_ n: Int, _ d: Int) throws {
        var generator = SplitMix64(state: UInt64(n * 7919 + d))
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) - 0.5 }
        let directions = (0..<4).map { _ in (0..<d).map { _ in uniform() } }
        let centres = (0..<12).map { _ in (0..<d).map { _ in Float(uniform()) } }
        for form in 0..<2 {
            let rows: [[Float]] = (0..<n).map { i in
                if form == 0 {
                    let weights = [8, 4, 2, 1].map { $0 * uniform() }
                    return (0..<d).map { j in Float((0..<4).reduce(0.01 * uniform()) { $0 + weights[$1] * directions[$1][j] }) }
                }
                return centres[i % 12].map { $0 + Float(0.05 * uniform()) }
            }
            let count = min(3, n - 1)
            let gram = try #require(PrincipalComponents(rows: rows, count: count, method: .gram))
            let covariance = try #require(PrincipalComponents(rows: rows, count: count, method: .covariance))
            #expect(gram.mean == covariance.mean)
            for k in 0..<count {
                #expect(abs(gram.variances[k] - covariance.variances[k]) <= 1e-9 * covariance.variances[0], "variance \(k), form \(form)")
                let difference = zip(gram.components[k], covariance.components[k]).map { abs($0 - $1) }.max()!
                #expect(difference < 1e-7, "component \(k), form \(form): \(difference)")
            }
            // The automatic choice takes the Gram matrix here: the same components.
            let automatic = try #require(PrincipalComponents(rows: rows, count: count))
            #expect(automatic.components == gram.components && automatic.variances == gram.variances)
        }
    }

    /// Rows that span fewer directions than asked for: the Gram matrix has a zero eigenvalue, and the covariance
    /// gives all the components (unit vectors, the last of zero variance).
    @Test func degenerateRowsFallBackToTheCovariance() throws {
        let rows: [[Float]] = (0..<5).map { i in (0..<20).map { j in j == 0 ? Float(i) : 0 } }
        let pca = try #require(PrincipalComponents(rows: rows, count: 2))
        let covariance = try #require(PrincipalComponents(rows: rows, count: 2, method: .covariance))
        #expect(pca.components == covariance.components && pca.variances == covariance.variances)
        #expect(abs(pca.variances[0] - 2.5) < 1e-12 && abs(pca.variances[1]) < 1e-12)
        for c in pca.components { #expect(abs(c.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9) }
    }

    @Test func refusesTooFewRows() {
        #expect(PrincipalComponents(rows: [[1, 2, 3]], count: 1) == nil)
        #expect(PrincipalComponents(rows: [[1, 2], [3, 4]], count: 2) == nil)
        #expect(PrincipalComponents(rows: [[1, 2], [3, 4]], count: 1) != nil)
    }
}

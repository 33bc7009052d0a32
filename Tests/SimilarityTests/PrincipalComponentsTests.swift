import Foundation
import Similarity
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

    @Test func refusesTooFewRows() {
        #expect(PrincipalComponents(rows: [[1, 2, 3]], count: 1) == nil)
        #expect(PrincipalComponents(rows: [[1, 2], [3, 4]], count: 2) == nil)
        #expect(PrincipalComponents(rows: [[1, 2], [3, 4]], count: 1) != nil)
    }
}

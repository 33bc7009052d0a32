import Foundation
import Similarity
import Testing
import _FrameDedupeTestSupport

@Suite("Feature grids held at 8 bits", .temporaryFolders)
struct FeatureGridTests {
    /// Cell cosines of the byte grids against the exact cosines of the Double sums they came from, on
    /// sparse non-negative vectors like the network's (ReLU6 features, many near zero).
    @Test func cosinesMatchTheExactOnesWithinAThousandth() {
        var random = SplitMix64(state: 7)
        let side = 3, n = 1280
        func features() -> [Double] {
            (0..<side * side * n).map { _ in
                let u = Double(random.next() % 1_000_000) / 1_000_000
                return u < 0.6 ? 0 : -log(1 - u) * 2  // 60% zeros, an exponential tail
            }
        }
        let a = features(), b = features()
        let mixed = zip(a, b).map { 0.7 * $0 + 0.3 * $1 }  // correlated with a
        let ga = FeatureGrid(sum: a, side: side), gb = FeatureGrid(sum: b, side: side), gm = FeatureGrid(sum: mixed, side: side)
        func exact(_ x: [Double], _ i: Int, _ y: [Double], _ j: Int) -> Double {
            let u = x[i * n..<(i + 1) * n], v = y[j * n..<(j + 1) * n]
            let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
            return d / (u.reduce(0) { $0 + $1 * $1 }.squareRoot() * v.reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        var worst = 0.0
        for i in 0..<side * side {
            for j in 0..<side * side {
                worst = max(worst, abs(ga.cosine(cell: i, gb, cell: j) - exact(a, i, b, j)))
                worst = max(worst, abs(ga.cosine(cell: i, gm, cell: j) - exact(a, i, mixed, j)))
            }
            #expect(abs(ga.cosine(cell: i, ga, cell: i) - 1) < 1e-12)
        }
        #expect(worst < 1e-3, "largest cosine error \(worst)")
        // An empty cell is similar to nothing.
        let empty = FeatureGrid(sum: [Double](repeating: 0, count: side * side * n), side: side)
        #expect(empty.cosine(cell: 0, ga, cell: 0) == 0)
    }
}

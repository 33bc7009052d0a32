// Clustering benchmark: scene-distance construction and agglomerative clustering of random unit vectors.
// Compiled together with the clustering sources by scripts/bench-clustering.sh (not part of the package).
//
// Usage: bench-clustering N [DIMENSION] [LINKAGE]
// Prints one line: n, dimension, linkage, seconds to build the condensed matrix, seconds to cluster, peak RSS after
// each phase (MB), and the number of clusters at a few thresholds (so the work cannot be optimised away).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Bench {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let n = Int(arguments[1]) else {
            print("usage: bench-clustering N [DIMENSION] [LINKAGE]")
            exit(2)
        }
        let dimension = arguments.count > 2 ? Int(arguments[2])! : 1280
        let linkage = arguments.count > 3 ? Linkage(rawValue: arguments[3])! : .average

        // Gaussian rows (Box–Muller) scaled to unit length: uniformly random directions. Consecutive 1–10 s spans.
        var generator = SplitMix64(state: 20_000)
        var embeddings = [Float](repeating: 0, count: n * dimension)
        for i in 0..<n {
            var sum = 0.0
            for k in 0..<dimension {
                let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
                let v = Double.random(in: 0..<1, using: &generator)
                let g = (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
                embeddings[i * dimension + k] = Float(g)
                sum += g * g
            }
            let scale = Float(1 / sum.squareRoot())
            for k in 0..<dimension { embeddings[i * dimension + k] *= scale }
        }
        var spans: [ClosedRange<Double>] = []
        var time = 0.0
        for _ in 0..<n {
            let length = Double.random(in: 1...10, using: &generator)
            spans.append(time...(time + length))
            time += length
        }
        let inputs = peakMegabytes()

        let start = now()
        let distances = CondensedDistances(embeddings: embeddings, dimension: dimension, spans: spans, alpha: 0.3, timeScale: 120)
        let built = now()
        let afterBuild = peakMegabytes()
        let tree = cluster(distances: consume distances, linkage: linkage)
        let clustered = now()
        let afterCluster = peakMegabytes()

        let counts = [0.5, 0.68, 0.7].map { t in (tree.clusters(cutAt: t).max() ?? -1) + 1 }
        let line = [
            "n=\(n)", "dim=\(dimension)", "linkage=\(linkage.rawValue)",
            "build_s=\(rounded(built - start))", "cluster_s=\(rounded(clustered - built))",
            "rss_inputs_MB=\(Int(inputs))", "rss_build_MB=\(Int(afterBuild))", "rss_cluster_MB=\(Int(afterCluster))",
            "clusters@0.5/0.68/0.7=\(counts.map(String.init).joined(separator: "/"))",
        ]
        print(line.joined(separator: " "))
    }

    static func rounded(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return "\(scaled)"
    }
}

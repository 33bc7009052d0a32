import Foundation
@_spi(Testing) import Similarity
import Testing
import _FrameDedupeTestSupport

/// The SciPy golden files of `Fixtures/clustering`, written by `scripts/clustering-golden.py`.
struct ClusteringFixtures {
    struct Golden: Decodable {
        var comment: String
        var datasets: [Dataset]
    }

    struct Dataset: Decodable {
        var name: String
        var count: Int
        var dimension: Int?
        var embeddings: String?
        var spans: [[Double]]?
        var timeScale: Double?
        var matrices: [Matrix]
    }

    struct Matrix: Decodable {
        var alpha: Double
        var file: String
        var linkages: [LinkageGolden]
    }

    struct LinkageGolden: Decodable {
        var method: String
        /// SciPy's linkage matrix rows: left, right, height, size.
        var merges: [[Double]]
        var cuts: [Cut]
    }

    struct Cut: Decodable {
        var threshold: Double
        /// `fcluster`'s labels, 1-based in SciPy's own order.
        var labels: [Int]
    }

    let directory: URL
    let golden: Golden

    static func load() throws -> ClusteringFixtures {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("clustering")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
        return ClusteringFixtures(directory: directory, golden: golden)
    }

    /// A little-endian float32 (`.f32`) or float16 (`.f16`) file, as `Float`s.
    func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            if name.hasSuffix(".f16") {
                return (0..<data.count / 2).map { halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            }
            return (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// Every (dataset, matrix, linkage) triple, with the matrix's values.
    func cases() throws -> [(label: String, values: [Float], count: Int, linkage: Linkage, golden: LinkageGolden)] {
        var result: [(label: String, values: [Float], count: Int, linkage: Linkage, golden: LinkageGolden)] = []
        for dataset in golden.datasets {
            for matrix in dataset.matrices {
                let values = try floats(matrix.file)
                for golden in matrix.linkages {
                    let linkage = try #require(Linkage(rawValue: golden.method))
                    result.append(("\(matrix.file) \(golden.method)", values, dataset.count, linkage, golden))
                }
            }
        }
        return result
    }
}

/// IEEE binary16 to `Float`, exactly (written out so the tests do not need `Float16`, missing on Intel Macs).
private func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = Float(h & 0x3FF)
    switch exponent {
    case 0: return sign * mantissa * 0x1p-24
    case 31: return mantissa == 0 ? sign * .infinity : .nan
    default: return sign * (1 + mantissa * 0x1p-10) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}

/// Whether two labelings describe the same partition, whatever the label values.
private func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
    guard a.count == b.count else { return false }
    var forward: [Int: Int] = [:]
    var backward: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        if forward[x, default: y] != y || backward[y, default: x] != x { return false }
        forward[x] = y
        backward[y] = x
    }
    return true
}

/// Whether labels are numbered by first appearance: item 0 has 0, and each new label is one more than the largest so far.
private func numberedByFirstAppearance(_ labels: [Int]) -> Bool {
    var next = 0
    for label in labels {
        if label == next {
            next += 1
        } else if label > next || label < 0 {
            return false
        }
    }
    return true
}

/// Connected components of the graph joining items at distance ≤ `threshold`, numbered by first appearance.
private func components(_ d: CondensedDistances, threshold: Double) -> [Int] {
    var labels = [Int](repeating: -1, count: d.count)
    var next = 0
    for start in 0..<d.count where labels[start] < 0 {
        labels[start] = next
        var stack = [start]
        while let i = stack.popLast() {
            for j in 0..<d.count where labels[j] < 0 && Double(d[i, j]) <= threshold {
                labels[j] = next
                stack.append(j)
            }
        }
        next += 1
    }
    return labels
}

/// Agglomeration the slow, obvious way: merge the globally closest pair of clusters (O(n³)), with SciPy's
/// Lance–Williams formulas. For distances without ties it must build the same tree as the nearest-neighbour chain.
private func naiveAgglomeration(_ values: [Double], count n: Int, linkage: Linkage) -> [(members: Set<Int>, height: Double)] {
    var d = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    var k = 0
    for i in 0..<n {
        for j in (i + 1)..<n {
            d[i][j] = values[k]
            d[j][i] = values[k]
            k += 1
        }
    }
    var members = (0..<n).map { Set([$0]) }
    var active = Set(0..<n)
    var result: [(members: Set<Int>, height: Double)] = []
    while active.count > 1 {
        var best = (x: -1, y: -1, distance: Double.infinity)
        for x in active {
            for y in active where x < y && d[x][y] < best.distance { best = (x, y, d[x][y]) }
        }
        let (x, y, dxy) = best
        let nx = Double(members[x].count)
        let ny = Double(members[y].count)
        for i in active where i != x && i != y {
            let ni = Double(members[i].count)
            let (dxi, dyi) = (d[i][x], d[i][y])
            let value: Double
            switch linkage {
            case .single: value = min(dxi, dyi)
            case .complete: value = max(dxi, dyi)
            case .average: value = (nx * dxi + ny * dyi) / (nx + ny)
            case .ward: value = (((ni + nx) * dxi * dxi + (ni + ny) * dyi * dyi - ni * dxy * dxy) / (nx + ny + ni)).squareRoot()
            }
            d[i][y] = value
            d[y][i] = value
        }
        members[y].formUnion(members[x])
        active.remove(x)
        result.append((members[y], dxy))
    }
    return result
}

/// The set of items under every merge of a tree, with its height.
private func clustersOfMerges(_ tree: MergeTree) -> [(members: Set<Int>, height: Double)] {
    var sets = (0..<tree.leafCount).map { Set([$0]) }
    return tree.merges.map { merge in
        sets.append(sets[merge.left].union(sets[merge.right]))
        return (sets[sets.count - 1], merge.height)
    }
}

private func randomMatrix(count: Int, seed: UInt64, _ value: (inout SplitMix64) -> Float) -> CondensedDistances {
    var generator = SplitMix64(state: seed)
    return CondensedDistances(count: count, values: (0..<(count * (count - 1) / 2)).map { _ in value(&generator) })
}

@Suite("Agglomerative clustering", .temporaryFolders)
struct ClusteringTests {
    /// Largest difference allowed between our scene distances (Float dot products from `cblas_sgemm`) and numpy's
    /// (float64, rounded to float32). Measured: ≤ 2.7e-7 on the fixtures, 4.4e-7 for near-duplicates in 1280-d.
    static let distanceTolerance: Float = 1e-6
    /// Largest difference allowed between our merge heights (Float storage, Double arithmetic) and SciPy's
    /// (Double throughout). Measured: ≤ 7.8e-7 (Ward), ≤ 1.2e-7 (average), 0 (single, complete: heights are inputs).
    static let heightTolerance = 1e-5

    @Test("the golden files are the generator's")
    func goldenHeader() throws {
        let fixtures = try ClusteringFixtures.load()
        #expect(fixtures.golden.comment == "generated by scripts/clustering-golden.py, do not edit")
        #expect(fixtures.golden.datasets.map(\.name) == ["random-60x32", "blobs-300x32", "random-200x1280", "ties-40"])
    }

    @Test("scene distances from embeddings and spans equal numpy's")
    func sceneDistancesMatchNumpy() throws {
        let fixtures = try ClusteringFixtures.load()
        var compared = 0
        for dataset in fixtures.golden.datasets {
            guard let file = dataset.embeddings, let dimension = dataset.dimension, let spanPairs = dataset.spans,
                let timeScale = dataset.timeScale
            else { continue }
            let embeddings = try fixtures.floats(file)
            #expect(embeddings.count == dataset.count * dimension)
            let spans = spanPairs.map { $0[0]...$0[1] }
            for matrix in dataset.matrices {
                let expected = try fixtures.floats(matrix.file)
                let ours = CondensedDistances(embeddings: embeddings, dimension: dimension, spans: spans, alpha: matrix.alpha, timeScale: timeScale)
                #expect(ours.count == dataset.count)
                let fastError = zip(ours.values, expected).map { abs($0 - $1) }.max() ?? .infinity
                #expect(fastError <= Self.distanceTolerance, "\(matrix.file): \(fastError)")
                // The straightforward Double evaluation of the same formula rounds to numpy's float32 values (within
                // one unit in the last place of values ≤ 1), which checks the formula independently of BLAS.
                let reference = CondensedDistances.referenceSceneDistances(
                    embeddings: embeddings, dimension: dimension, spans: spans, alpha: matrix.alpha, timeScale: timeScale)
                let referenceError = zip(reference, expected).map { abs(Float($0) - $1) }.max() ?? .infinity
                #expect(referenceError <= 0x1p-23, "\(matrix.file) reference: \(referenceError)")
                if matrix.alpha == 0 {
                    #expect(CondensedDistances(embeddings: embeddings, dimension: dimension) == ours)
                }
                compared += 1
            }
        }
        #expect(compared == 6)
    }

    @Test("near-duplicate 1280-d embeddings: the BLAS construction stays within the error budget of the Double one")
    func nearDuplicateAccuracy() {
        // Cosines near 1 are where Float dot products lose the most: 96 vectors around 4 directions, noise 0.02–0.2.
        var generator = SplitMix64(state: 1280)
        let dimension = 1280
        let directions = (0..<4).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
        var embeddings: [Float] = []
        for i in 0..<96 {
            let noise = Float(0.02 + 0.18 * Double(i % 8) / 7)
            embeddings += directions[i % 4].map { $0 + noise * Float.random(in: -1...1, using: &generator) }
        }
        let spans = (0..<96).map { Double($0)...Double($0) + 0.5 }
        for alpha in [0, 0.3] {
            let fast = CondensedDistances(embeddings: embeddings, dimension: dimension, spans: spans, alpha: alpha, timeScale: 10)
            let reference = CondensedDistances.referenceSceneDistances(
                embeddings: embeddings, dimension: dimension, spans: spans, alpha: alpha, timeScale: 10)
            let error = zip(fast.values, reference).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(error <= Double(Self.distanceTolerance), "alpha \(alpha): \(error)")
        }
    }

    @Test("the [[Float]] initialiser, the subscript and the pair formulas agree with the flat construction")
    func sceneDistanceConveniences() {
        var generator = SplitMix64(state: 7)
        let rows = (0..<9).map { _ in (0..<5).map { _ in Float.random(in: -1...1, using: &generator) } }
        let spans = (0..<9).map { i in Double(i * 10)...Double(i * 10 + 4) }
        let flat = CondensedDistances(embeddings: rows.flatMap { $0 }, dimension: 5, spans: spans, alpha: 0.4, timeScale: 25)
        #expect(CondensedDistances(embeddings: rows, spans: spans, alpha: 0.4, timeScale: 25) == flat)
        for i in 0..<9 {
            #expect(flat[i, i] == 0)
            for j in 0..<9 where i != j {
                #expect(flat[i, j] == flat[j, i])
                let dot = zip(rows[i], rows[j]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let lengths = [rows[i], rows[j]].map { $0.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
                let expected = 0.6 * CondensedDistances.contentDistance(cosine: dot / (lengths[0] * lengths[1]))
                    + 0.4 * CondensedDistances.timeDistance(spans[i], spans[j], timeScale: 25)
                #expect(abs(Double(flat[i, j]) - expected) <= 1e-6, "\(i), \(j)")
            }
        }
        // Gap 6 s at scale 25 s, overlapping and touching spans 0, far apart 1; cosine clamped to [0, 1].
        #expect(CondensedDistances.timeDistance(0...4, 10...14, timeScale: 25) == 6.0 / 25)
        #expect(CondensedDistances.timeDistance(10...14, 0...4, timeScale: 25) == 6.0 / 25)
        #expect(CondensedDistances.timeDistance(0...10, 5...6, timeScale: 25) == 0)
        #expect(CondensedDistances.timeDistance(0...4, 4...9, timeScale: 25) == 0)
        #expect(CondensedDistances.timeDistance(0...4, 1000...1001, timeScale: 25) == 1)
        #expect(CondensedDistances.contentDistance(cosine: 1.0000001) == 0)
        #expect(CondensedDistances.contentDistance(cosine: -0.5) == 1)
        #expect(CondensedDistances.contentDistance(cosine: 0.75) == 0.25)
        // alpha 1: time only; a zero embedding is at content distance 1 from everything.
        let timeOnly = CondensedDistances(embeddings: rows.flatMap { $0 }, dimension: 5, spans: spans, alpha: 1, timeScale: 25)
        #expect(timeOnly[0, 1] == Float(6.0 / 25) && timeOnly[0, 8] == 1)
        let withZero = CondensedDistances(embeddings: [1, 0, 0, 0, 2, 0], dimension: 2)
        #expect(withZero.values == [1, 0, 1])
    }

    @Test("merge trees equal SciPy's: heights within 1e-5, and with Double storage bit for bit")
    func mergeTreesMatchSciPy() throws {
        let fixtures = try ClusteringFixtures.load()
        let cases = try fixtures.cases()
        #expect(cases.count == 28)
        var largestDifference = 0.0
        for (label, values, count, linkage, golden) in cases {
            #expect(golden.merges.count == count - 1, "\(label)")
            let tree = cluster(distances: CondensedDistances(count: count, values: values), linkage: linkage)
            #expect(tree.leafCount == count && tree.merges.count == count - 1, "\(label)")
            for (merge, row) in zip(tree.merges, golden.merges) {
                largestDifference = max(largestDifference, abs(merge.height - row[2]))
            }
            #expect(zip(tree.merges, golden.merges).allSatisfy { abs($0.height - $1[2]) <= Self.heightTolerance }, "\(label)")

            let exact = clusterInDoublePrecision(values.map(Double.init), count: count, linkage: linkage)
            let expected = golden.merges.map { MergeTree.Merge(left: Int($0[0]), right: Int($0[1]), height: $0[2], size: Int($0[3])) }
            #expect(exact.merges == expected, "\(label): Double storage differs from SciPy")
            // With Float storage the same merges in the same order: the fixtures have no near-ties.
            #expect(tree.merges.map { [$0.left, $0.right, $0.size] } == expected.map { [$0.left, $0.right, $0.size] }, "\(label)")
        }
        #expect(largestDifference <= Self.heightTolerance)
    }

    @Test("flat clusters equal SciPy's fcluster partitions, numbered by first appearance")
    func partitionsMatchSciPy() throws {
        let fixtures = try ClusteringFixtures.load()
        var compared = 0
        for (label, values, count, linkage, golden) in try fixtures.cases() {
            let tree = cluster(distances: CondensedDistances(count: count, values: values), linkage: linkage)
            let exact = clusterInDoublePrecision(values.map(Double.init), count: count, linkage: linkage)
            for cut in golden.cuts {
                let labels = tree.clusters(cutAt: cut.threshold)
                #expect(samePartition(labels, cut.labels), "\(label) at \(cut.threshold)")
                #expect(numberedByFirstAppearance(labels), "\(label) at \(cut.threshold)")
                #expect(Set(labels).count == Set(cut.labels).count)
                #expect(exact.clusters(cutAt: cut.threshold) == labels, "\(label) at \(cut.threshold)")
                compared += 1
            }
        }
        #expect(compared == 109)
    }

    @Test("nearest-neighbour chain builds the tree of the obvious O(n³) algorithm", arguments: [Linkage.average, .complete, .ward, .single])
    func matchesNaiveAgglomeration(linkage: Linkage) {
        let count = 150
        var generator = SplitMix64(state: 1_000 + UInt64(Linkage.allCases.firstIndex(of: linkage)!))
        let values = (0..<(count * (count - 1) / 2)).map { _ in Double.random(in: 0.1...1, using: &generator) }
        let naive = naiveAgglomeration(values, count: count, linkage: linkage).sorted { $0.height < $1.height }
        let ours = clustersOfMerges(clusterInDoublePrecision(values, count: count, linkage: linkage))
        #expect(ours.count == naive.count)
        for (a, b) in zip(ours, naive) {
            #expect(a.members == b.members && abs(a.height - b.height) <= 1e-12)
        }
        // The Float-stored run makes the same merges (random distances this far apart have no near-ties).
        let floatTree = cluster(distances: CondensedDistances(count: count, values: values.map { Float($0) }), linkage: linkage)
        #expect(zip(clustersOfMerges(floatTree), naive).allSatisfy { $0.members == $1.members && abs($0.height - $1.height) <= 1e-6 })
    }

    @Test("hand-made cases: no item, one, two, identical items, points on a line")
    func handMade() {
        for linkage in Linkage.allCases {
            let none = cluster(distances: CondensedDistances(count: 0, values: []), linkage: linkage)
            #expect(none.merges.isEmpty && none.clusters(cutAt: 1) == [])
            let one = cluster(distances: CondensedDistances(count: 1, values: []), linkage: linkage)
            #expect(one.merges.isEmpty && one.clusters(cutAt: 0) == [0])

            let two = cluster(distances: CondensedDistances(count: 2, values: [0.5]), linkage: linkage)
            #expect(two.merges == [MergeTree.Merge(left: 0, right: 1, height: 0.5, size: 2)])
            #expect(two.clusters(cutAt: 0.49) == [0, 1])
            #expect(two.clusters(cutAt: 0.5) == [0, 0])

            // Identical items: every merge at height 0, so a cut at 0 already joins them all.
            let same = cluster(distances: CondensedDistances(count: 6, values: [Float](repeating: 0, count: 15)), linkage: linkage)
            #expect(same.merges.allSatisfy { $0.height == 0 })
            #expect(same.clusters(cutAt: 0) == [0, 0, 0, 0, 0, 0])
            #expect(same.clusters(cutAt: -1) == [0, 1, 2, 3, 4, 5])
        }

        // Points 0, 1, 3, 7 on a line, distances |a − b|: each linkage's merges by hand.
        let line: [Float] = [0, 1, 3, 7]
        let distances = CondensedDistances(count: 4) { Double(abs(line[$0] - line[$1])) }
        #expect(distances.values == [1, 3, 7, 2, 6, 4])
        func heights(_ linkage: Linkage) -> [Double] { cluster(distances: distances, linkage: linkage).merges.map(\.height) }
        let tree = cluster(distances: distances, linkage: .average)
        #expect(tree.merges.map { [$0.left, $0.right, $0.size] } == [[0, 1, 2], [2, 4, 3], [3, 5, 4]])
        #expect(heights(.single) == [1, 2, 4])
        #expect(heights(.complete) == [1, 3, 7])
        #expect(zip(heights(.average), [1, 2.5, 17.0 / 3]).allSatisfy { abs($0 - $1) < 1e-6 })
        // Ward on Euclidean points: sqrt(2·nₐ·n_b/(nₐ + n_b))·|centroid difference|: 1, √(4/3)·2.5, √1.5·17/3.
        #expect(zip(heights(.ward), [1, (4.0 / 3).squareRoot() * 2.5, 1.5.squareRoot() * 17 / 3]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(tree.clusters(cutAt: 0) == [0, 1, 2, 3])
        #expect(tree.clusters(cutAt: 2.5) == [0, 0, 0, 1])
        #expect(tree.clusters(cutAt: 100) == [0, 0, 0, 0])
    }

    @Test("labels are numbered by first appearance, not by SciPy's order", arguments: Linkage.allCases)
    func firstAppearance(linkage: Linkage) {
        // Items alternate between two places, the second place is visited first in SciPy's numbering terms.
        let places: [Float] = [10, 0, 10.1, 0.1, 0.2, 20, 10.2]
        let tree = cluster(distances: CondensedDistances(count: places.count) { Double(abs(places[$0] - places[$1])) }, linkage: linkage)
        #expect(tree.clusters(cutAt: 1) == [0, 1, 0, 1, 1, 2, 0])
    }

    @Test("threshold below every distance gives singletons, at or above the top merge one cluster", arguments: Linkage.allCases)
    func extremes(linkage: Linkage) {
        let distances = randomMatrix(count: 40, seed: 99) { Float.random(in: 0.05...1, using: &$0) }
        let tree = cluster(distances: distances, linkage: linkage)
        #expect(tree.clusters(cutAt: 0) == Array(0..<40))
        let top = tree.merges.last!.height
        #expect(tree.clusters(cutAt: top) == [Int](repeating: 0, count: 40))
        #expect(tree.clusters(cutAt: top.nextDown).max() == 1)
        #expect(zip(tree.merges, tree.merges.dropFirst()).allSatisfy { $0.height <= $1.height })
    }

    @Test("single linkage clusters are the connected components of the graph d ≤ t, ties included")
    func singleLinkageIsConnectivity() throws {
        // Integer distances 0–9: many ties, so this also checks the tie handling cannot change the partition.
        for (seed, count) in [(1, 30), (2, 57), (3, 80), (4, 150)] as [(UInt64, Int)] {
            let distances = randomMatrix(count: count, seed: seed) { Float(Int.random(in: 0...9, using: &$0)) }
            let tree = cluster(distances: distances, linkage: .single)
            for t in [-1, 0, 0.5, 1, 2, 3, 9] as [Double] {
                #expect(tree.clusters(cutAt: t) == components(distances, threshold: t), "n \(count) t \(t)")
            }
        }
        let fixtures = try ClusteringFixtures.load()
        for (label, values, count, linkage, golden) in try fixtures.cases() where linkage == .single {
            let distances = CondensedDistances(count: count, values: values)
            let tree = cluster(distances: distances, linkage: .single)
            for cut in golden.cuts {
                #expect(tree.clusters(cutAt: cut.threshold) == components(distances, threshold: cut.threshold), "\(label)")
            }
        }
    }

    @Test("clustering leaves a copy of the matrix that is still in use untouched")
    func valueSemantics() {
        let distances = randomMatrix(count: 50, seed: 5) { Float.random(in: 0...1, using: &$0) }
        let copy = distances
        let tree = cluster(distances: distances, linkage: .average)
        #expect(distances == copy)
        #expect(cluster(distances: distances, linkage: .average) == tree)
    }

    @Test("a hand-built MergeTree is accepted, and a merge exactly at the threshold joins")
    func mergeTreeValidation() {
        let tree = MergeTree(leafCount: 3, merges: [
            MergeTree.Merge(left: 0, right: 2, height: 0.5, size: 2),
            MergeTree.Merge(left: 1, right: 3, height: 0.5, size: 3),
        ])
        #expect(tree.clusters(cutAt: 0.5) == [0, 0, 0])
        #expect(tree.clusters(cutAt: 0.4) == [0, 1, 2])
    }
}

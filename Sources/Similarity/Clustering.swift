/// How the distance between two clusters follows from the distances between their items.
///
/// Every linkage is applied to the distances it is given, whatever they measure: ``ward`` in particular is the
/// Lance–Williams Ward update on those distances (SciPy's `linkage(condensed, method="ward")`), which is Ward's
/// minimum-variance criterion only when the distances are Euclidean.
public enum Linkage: String, CaseIterable, Sendable {
    /// The mean of the distances over all pairs of items, one from each cluster (UPGMA).
    case average
    /// The largest distance between an item of one cluster and an item of the other (farthest neighbour).
    case complete
    /// The smallest distance between an item of one cluster and an item of the other (nearest neighbour).
    case single
    /// Ward's update: merging x and y, the new cluster's distance to i is
    /// `sqrt(((nᵢ + nₓ)·d(i, x)² + (nᵢ + n_y)·d(i, y)² − nᵢ·d(x, y)²) / (nᵢ + nₓ + n_y))`, n being cluster sizes.
    case ward
}

/// The distances between every pair of `count` items: the upper triangle of the distance matrix, row by row.
///
/// The layout is SciPy's condensed form (`scipy.spatial.distance.pdist`): `d(0, 1), d(0, 2), …, d(0, n−1), d(1, 2), …,
/// d(n−2, n−1)`, `n·(n − 1)/2` values; the distance between items `i < j` is at `n·i − i·(i + 1)/2 + j − i − 1`.
///
/// Values are stored as `Float` so that 20,000 items fit in 800 MB (as `Double` they would take 1.6 GB); the
/// clustering does its arithmetic in `Double` and rounds each updated cluster distance to `Float` once (relative
/// error ≤ 2⁻²⁴ per update). Every value must be finite; distances are not required to be metric.
public struct CondensedDistances: Sendable, Equatable {
    /// The number of items.
    public let count: Int
    /// The `count·(count − 1)/2` pairwise distances in condensed (row-major upper triangle) order.
    public internal(set) var values: [Float]

    /// Wraps distances already in condensed order.
    ///
    /// - Parameters:
    ///   - count: The number of items, ≥ 0.
    ///   - values: `count·(count − 1)/2` finite distances, `d(0, 1), d(0, 2), …` as `pdist` orders them.
    public init(count: Int, values: [Float]) {
        precondition(count >= 0 && values.count == Self.pairCount(count), "a condensed matrix of \(count) items holds \(Self.pairCount(max(count, 0))) values, not \(values.count)")
        precondition(values.allSatisfy { $0.isFinite }, "distances must be finite")
        self.count = count
        self.values = values
    }

    /// Computes the distance of every pair of items with a function.
    ///
    /// - Parameters:
    ///   - count: The number of items, ≥ 0.
    ///   - distance: The distance between items `i < j`; called once per pair, in condensed order.
    public init(count: Int, distance: (_ i: Int, _ j: Int) -> Double) {
        precondition(count >= 0, "negative item count")
        var values: [Float] = []
        values.reserveCapacity(Self.pairCount(count))
        for i in 0..<count {
            for j in (i + 1)..<count { values.append(Float(distance(i, j))) }
        }
        self.init(count: count, values: values)
    }

    /// The distance between items `i` and `j` (0 when `i == j`).
    public subscript(i: Int, j: Int) -> Float {
        precondition(i >= 0 && i < count && j >= 0 && j < count, "item index out of range")
        if i == j { return 0 }
        return values[Self.index(min(i, j), max(i, j), count: count)]
    }

    /// The number of pairs of `count` items.
    static func pairCount(_ count: Int) -> Int { count * (count - 1) / 2 }

    /// The position of pair `i < j` in the condensed order for `count` items.
    @inline(__always) static func index(_ i: Int, _ j: Int, count: Int) -> Int {
        count * i - i * (i + 1) / 2 + j - i - 1
    }
}

/// The result of agglomerative clustering: which clusters merged, in order, and at what distance.
///
/// This is SciPy's linkage matrix (`scipy.cluster.hierarchy.linkage`): `leafCount − 1` merges; items are clusters
/// `0..<leafCount` and the cluster formed by `merges[k]` is `leafCount + k`. Merges are sorted by height (ties keep
/// the order in which the algorithm made them), each merge's `left` is the smaller of its two cluster ids, and every
/// merge refers only to clusters formed before it.
public struct MergeTree: Sendable, Equatable {
    /// One merge of two clusters into a new one.
    public struct Merge: Sendable, Equatable, Hashable {
        /// The smaller of the two merged cluster ids.
        public let left: Int
        /// The larger of the two merged cluster ids.
        public let right: Int
        /// The linkage distance between the two clusters when they merged.
        public let height: Double
        /// The number of items in the new cluster.
        public let size: Int

        /// Describes a merge.
        ///
        /// - Parameters:
        ///   - left: The smaller cluster id.
        ///   - right: The larger cluster id.
        ///   - height: The distance at which they merged.
        ///   - size: The number of items in the merged cluster.
        public init(left: Int, right: Int, height: Double, size: Int) {
            self.left = left
            self.right = right
            self.height = height
            self.size = size
        }
    }

    /// The number of items (the leaves of the tree).
    public let leafCount: Int
    /// The `leafCount − 1` merges (none for 0 or 1 item), in nondecreasing order of height.
    public let merges: [Merge]

    /// Wraps a list of merges, checking that it forms a tree in SciPy's linkage-matrix order.
    ///
    /// - Parameters:
    ///   - leafCount: The number of items.
    ///   - merges: `max(leafCount − 1, 0)` merges; merge `k` forms cluster `leafCount + k` from two distinct clusters
    ///     formed before it (`left < right`), each used once, with `size` the sum of theirs, heights nondecreasing.
    public init(leafCount: Int, merges: [Merge]) {
        precondition(leafCount >= 0 && merges.count == max(leafCount - 1, 0), "\(leafCount) items need \(max(leafCount - 1, 0)) merges")
        var sizes = [Int](repeating: 1, count: leafCount + merges.count)
        var used = [Bool](repeating: false, count: leafCount + merges.count)
        var previous = -Double.infinity
        for (k, merge) in merges.enumerated() {
            precondition(merge.left >= 0 && merge.left < merge.right && merge.right < leafCount + k, "merge \(k) refers to a cluster not yet formed")
            precondition(!used[merge.left] && !used[merge.right], "merge \(k) reuses a merged cluster")
            precondition(merge.size == sizes[merge.left] + sizes[merge.right], "merge \(k) has the wrong size")
            precondition(merge.height >= previous, "merges must be sorted by height")
            used[merge.left] = true
            used[merge.right] = true
            sizes[leafCount + k] = merge.size
            previous = merge.height
        }
        self.leafCount = leafCount
        self.merges = merges
    }

    /// Wraps merges known to be valid (built by the clustering).
    init(uncheckedLeafCount leafCount: Int, merges: [Merge]) {
        self.leafCount = leafCount
        self.merges = merges
    }

    /// Flat clusters: items end up together when merges of height ≤ `threshold` join them.
    ///
    /// The partition is SciPy's `fcluster(Z, threshold, criterion="distance")`: a subtree forms one cluster when the
    /// largest merge height inside it is ≤ `threshold` (heights being sorted, that is every merge up to the threshold). Only the numbering differs: cluster 0 is item 0's, and the others are numbered in order of their
    /// smallest item, so items given in time order give clusters numbered by first appearance. O(n) time.
    ///
    /// - Parameter threshold: The largest merge height (in the distances' units) that still joins two clusters;
    ///   below the smallest height every item is alone, at or above the largest all are together.
    /// - Returns: One label per item, `0..<k` for `k` clusters.
    public func clusters(cutAt threshold: Double) -> [Int] {
        // Union–find over the items, with a representative item for each cluster id. Heights are sorted and every
        // merge comes after those that formed its two clusters, so a merge's height is the largest in its subtree.
        var parent = Array(0..<leafCount)
        var representative = Array(0..<leafCount)
        representative.reserveCapacity(leafCount + merges.count)
        func root(_ item: Int) -> Int {
            var r = item
            while parent[r] != r { r = parent[r] }
            var i = item
            while parent[i] != r {
                let next = parent[i]
                parent[i] = r
                i = next
            }
            return r
        }
        for merge in merges {
            representative.append(representative[merge.left])
            if merge.height <= threshold {
                parent[root(representative[merge.right])] = root(representative[merge.left])
            }
        }
        var labels = [Int](repeating: -1, count: leafCount)
        var labelOfRoot = [Int](repeating: -1, count: leafCount)
        var next = 0
        for item in 0..<leafCount {
            let r = root(item)
            if labelOfRoot[r] < 0 {
                labelOfRoot[r] = next
                next += 1
            }
            labels[item] = labelOfRoot[r]
        }
        return labels
    }
}

/// Agglomerative (hierarchical) clustering of items from their pairwise distances.
///
/// Single linkage builds a minimum spanning tree with Prim's algorithm over the condensed matrix, O(n²) time, O(n)
/// extra memory, without modifying the matrix. The other linkages use the nearest-neighbour chain (Müllner 2011,
/// "Modern hierarchical, agglomerative clustering algorithms", arXiv:1109.2378): follow nearest neighbours until two
/// clusters are each other's nearest, merge them, and update the new cluster's distances with the Lance–Williams
/// formula in place; O(n²) time (about three scans of a row per merge), O(n) extra memory. Both are bound by memory
/// latency: a row of the condensed matrix is half contiguous, half a column read one element per row. For 20,000 items
/// (800 MB) average linkage takes about 3 s; see `scripts/bench-clustering.sh`.
///
/// The algorithms, the tie rules and the arithmetic are those of SciPy 1.17's `linkage(condensed, method)`
/// (`mst_single_linkage` and `nn_chain`), so the merge tree is SciPy's linkage matrix:
/// - Ties: a chain looks for the nearest neighbour of its last cluster preferring, among equal distances, the
///   cluster before it in the chain, then the lowest index (a merged cluster takes the higher index of its two
///   parts); a new chain starts at the lowest-indexed cluster; Prim's algorithm starts from item 0 and picks the
///   lowest-indexed item among equally near ones. Merges are then sorted stably by height.
/// - Precision: SciPy computes in `Double`; this computes the same expressions in `Double` but stores updated
///   distances as `Float`, so heights agree to about 1e-7 relative and merge order can differ from SciPy's only
///   between distances that agree to about 7 significant digits. Given exactly the same `Double` inputs the tree
///   would be identical bit for bit (tested through the `Testing` SPI).
///
/// - Parameters:
///   - distances: The items' pairwise distances. The matrix is the working storage, overwritten in place, so pass
///     the last copy (a variable not used afterwards, or `consume d`): if another copy is still alive, the matrix is
///     copied first (single linkage only reads it and never copies).
///   - linkage: How cluster distances follow from item distances.
/// - Returns: The merge tree; cut it with ``MergeTree/clusters(cutAt:)``.
public func cluster(distances: consuming CondensedDistances, linkage: Linkage) -> MergeTree {
    let count = distances.count
    var values = distances.values
    _ = consume distances
    let raw: [RawMerge]
    if linkage == .single {
        raw = values.withUnsafeBufferPointer { primMinimumSpanningTree($0, count: count) }
    } else {
        raw = values.withUnsafeMutableBufferPointer { nearestNeighborChain($0, count: count, linkage: linkage) }
    }
    return MergeTree(sortingAndLabelling: raw, leafCount: count)
}

/// Clusters `Double` distances with `Double` storage throughout: SciPy's arithmetic exactly, for the golden tests.
///
/// - Parameters:
///   - values: `count·(count − 1)/2` finite distances in condensed order.
///   - count: The number of items.
///   - linkage: How cluster distances follow from item distances.
/// - Returns: The merge tree, bit for bit SciPy's `linkage(values, method)`.
@_spi(Testing) public func clusterInDoublePrecision(_ values: [Double], count: Int, linkage: Linkage) -> MergeTree {
    precondition(count >= 0 && values.count == CondensedDistances.pairCount(count) && values.allSatisfy { $0.isFinite })
    var values = values
    let raw: [RawMerge]
    if linkage == .single {
        raw = values.withUnsafeBufferPointer { primMinimumSpanningTree($0, count: count) }
    } else {
        raw = values.withUnsafeMutableBufferPointer { nearestNeighborChain($0, count: count, linkage: linkage) }
    }
    return MergeTree(sortingAndLabelling: raw, leafCount: count)
}

// The two clustering algorithms behind `cluster(distances:linkage:)`, written to make the same choices as SciPy's
// `_hierarchy.pyx` (`nn_chain`, `mst_single_linkage`, `label`), generic over the storage precision.

/// A merge as the algorithms record it, before sorting: the two merged clusters named by their slots (a cluster lives
/// in the slot of the highest-numbered item it contains) and the linkage distance between them.
struct RawMerge {
    var a: Int
    var b: Int
    var height: Double
}

extension MergeTree {
    /// Sorts raw merges stably by height and names the clusters as SciPy's `label` does.
    ///
    /// The union–find gives each merge the ids of the clusters that currently contain its two slots' items, so the
    /// tree stays consistent with the sorted order even where rounding made a merge lower than an earlier one.
    init(sortingAndLabelling raw: [RawMerge], leafCount n: Int) {
        guard n >= 2 else {
            self.init(uncheckedLeafCount: n, merges: [])
            return
        }
        let order = raw.indices.sorted { (raw[$0].height, $0) < (raw[$1].height, $1) }
        var parent = Array(0..<(2 * n - 1))
        var size = [Int](repeating: 1, count: 2 * n - 1)
        func find(_ x: Int) -> Int {
            var root = x
            while parent[root] != root { root = parent[root] }
            var p = x
            while parent[p] != root {
                let next = parent[p]
                parent[p] = root
                p = next
            }
            return root
        }
        var merges: [Merge] = []
        merges.reserveCapacity(n - 1)
        var next = n
        for k in order {
            let rootA = find(raw[k].a)
            let rootB = find(raw[k].b)
            parent[rootA] = next
            parent[rootB] = next
            size[next] = size[rootA] + size[rootB]
            merges.append(Merge(left: min(rootA, rootB), right: max(rootA, rootB), height: raw[k].height, size: size[next]))
            next += 1
        }
        self.init(uncheckedLeafCount: n, merges: merges)
    }
}

/// A Lance–Williams update: the distance from cluster i to the union of x and y, from `d(i, x)`, `d(i, y)`, `d(x, y)`
/// and the three sizes. The expressions are SciPy's (`_hierarchy_distance_update.pxi`), term for term, so that in
/// `Double` they round identically.
protocol LanceWilliams {
    static func distance(_ dxi: Double, _ dyi: Double, _ dxy: Double, _ nx: Int, _ ny: Int, _ ni: Int) -> Double
}

enum AverageUpdate: LanceWilliams {
    @inline(__always) static func distance(_ dxi: Double, _ dyi: Double, _ dxy: Double, _ nx: Int, _ ny: Int, _ ni: Int) -> Double {
        (Double(nx) * dxi + Double(ny) * dyi) / Double(nx + ny)
    }
}

enum CompleteUpdate: LanceWilliams {
    @inline(__always) static func distance(_ dxi: Double, _ dyi: Double, _ dxy: Double, _ nx: Int, _ ny: Int, _ ni: Int) -> Double {
        dxi > dyi ? dxi : dyi
    }
}

enum WardUpdate: LanceWilliams {
    @inline(__always) static func distance(_ dxi: Double, _ dyi: Double, _ dxy: Double, _ nx: Int, _ ny: Int, _ ni: Int) -> Double {
        // x and y are reciprocal nearest neighbours, so d(x, y) ≤ d(i, x), d(i, y) and the sum is ≥ 0.
        let t = 1.0 / Double(nx + ny + ni)
        return (Double(ni + nx) * t * dxi * dxi + Double(ni + ny) * t * dyi * dyi - Double(ni) * t * dxy * dxy).squareRoot()
    }
}

/// Position of `value` in the ascending `list[0..<count]`, which contains it.
@inline(__always) private func position(of value: Int, in list: UnsafeMutablePointer<Int>, count: Int) -> Int {
    var low = 0
    var high = count
    while low < high {
        let mid = (low + high) / 2
        if list[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
}

/// Nearest-neighbour-chain agglomeration (average, complete, Ward) on a condensed matrix, overwritten in place.
///
/// Mirrors SciPy's `nn_chain`: a chain starts at the lowest active slot; the nearest neighbour of the chain's last
/// cluster is searched in slot order with `<`, starting from the previous chain element's distance, so ties go to the
/// previous element, then to the lowest slot. Merging x < y empties slot x and puts the new cluster in slot y, whose
/// distances are updated with the linkage's Lance–Williams formula. The one difference from SciPy, which does not
/// change any result: only active slots are scanned (a sorted list of them is kept), not all `n`.
///
/// - Returns: The `count − 1` merges in the order they were made, slots as SciPy numbers them.
func nearestNeighborChain(_ matrix: UnsafeMutableBufferPointer<Float>, count n: Int, linkage: Linkage) -> [RawMerge] {
    // Concrete entry points in this file, so that the generic code is specialised even without whole-module
    // optimisation (unspecialised, every element access goes through value witnesses: 10× slower).
    switch linkage {
    case .average: return nearestNeighborChain(matrix, count: n, update: AverageUpdate.self)
    case .complete: return nearestNeighborChain(matrix, count: n, update: CompleteUpdate.self)
    case .ward: return nearestNeighborChain(matrix, count: n, update: WardUpdate.self)
    case .single: preconditionFailure("single linkage uses the minimum spanning tree")
    }
}

/// ``nearestNeighborChain(_:count:linkage:)`` with `Double` storage: SciPy's arithmetic exactly.
func nearestNeighborChain(_ matrix: UnsafeMutableBufferPointer<Double>, count n: Int, linkage: Linkage) -> [RawMerge] {
    switch linkage {
    case .average: return nearestNeighborChain(matrix, count: n, update: AverageUpdate.self)
    case .complete: return nearestNeighborChain(matrix, count: n, update: CompleteUpdate.self)
    case .ward: return nearestNeighborChain(matrix, count: n, update: WardUpdate.self)
    case .single: preconditionFailure("single linkage uses the minimum spanning tree")
    }
}

private func nearestNeighborChain<Element: BinaryFloatingPoint, Update: LanceWilliams>(
    _ matrix: UnsafeMutableBufferPointer<Element>, count n: Int, update: Update.Type
) -> [RawMerge] {
    guard n >= 2, let d = matrix.baseAddress else { return [] }
    precondition(matrix.count == CondensedDistances.pairCount(n))
    // Pair (r, j > r) is at rowBase[r] + j. Then the size of each slot's cluster (0 once merged away), the active
    // slots in ascending order, and the chain.
    let rowBase = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let size = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let active = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let chain = UnsafeMutablePointer<Int>.allocate(capacity: n)
    defer {
        rowBase.deallocate()
        size.deallocate()
        active.deallocate()
        chain.deallocate()
    }
    for r in 0..<n {
        rowBase[r] = n * r - r * (r + 1) / 2 - r - 1
        size[r] = 1
        active[r] = r
    }
    var activeCount = n
    var chainLength = 0
    @inline(__always) func at(_ i: Int, _ j: Int) -> Int { i < j ? rowBase[i] + j : rowBase[j] + i }

    var merges: [RawMerge] = []
    merges.reserveCapacity(n - 1)
    for _ in 0..<(n - 1) {
        if chainLength == 0 {
            chain[0] = active[0]
            chainLength = 1
        }
        var x = 0
        var y = 0
        var nearest = Element.infinity
        while true {
            x = chain[chainLength - 1]
            if chainLength > 1 {
                y = chain[chainLength - 2]
                nearest = d[at(x, y)]
            } else {
                nearest = .infinity
            }
            // Rows before x hold d(i, x) in column x (strided); row x holds d(x, i) for i > x (contiguous).
            let p = position(of: x, in: active, count: activeCount)
            for q in 0..<p {
                let i = active[q]
                let v = d[rowBase[i] + x]
                if v < nearest {
                    nearest = v
                    y = i
                }
            }
            let base = rowBase[x]
            for q in (p + 1)..<activeCount {
                let i = active[q]
                let v = d[base + i]
                if v < nearest {
                    nearest = v
                    y = i
                }
            }
            if chainLength > 1 && y == chain[chainLength - 2] { break }
            chain[chainLength] = y
            chainLength += 1
        }
        chainLength -= 2
        if x > y { swap(&x, &y) }
        let nx = size[x]
        let ny = size[y]
        let height = Double(nearest)
        merges.append(RawMerge(a: x, b: y, height: height))
        size[x] = 0
        size[y] = nx + ny
        let px = position(of: x, in: active, count: activeCount)
        (active + px).update(from: active + px + 1, count: activeCount - px - 1)
        activeCount -= 1

        // d(i, y) ← update(d(i, x), d(i, y)) for every other active i, in three ranges of i.
        let baseX = rowBase[x]
        let baseY = rowBase[y]
        for q in 0..<activeCount {
            let i = active[q]
            let ix: Int
            let iy: Int
            if i < x {
                ix = rowBase[i] + x
                iy = rowBase[i] + y
            } else if i < y {
                ix = baseX + i
                iy = rowBase[i] + y
            } else if i > y {
                ix = baseX + i
                iy = baseY + i
            } else {
                continue
            }
            d[iy] = Element(Update.distance(Double(d[ix]), Double(d[iy]), height, nx, ny, size[i]))
        }
    }
    return merges
}

/// Single linkage by Prim's algorithm on a condensed matrix, read only.
///
/// Mirrors SciPy's `mst_single_linkage`: start from item 0; after adding item x, lower every remaining item's distance
/// to the tree by its distance to x, and add the remaining item with the smallest (the lowest index among equals).
/// Only the remaining items are visited (a sorted list of them is kept).
///
/// - Returns: The `count − 1` tree edges in the order they were added, as merges of their two items.
func primMinimumSpanningTree(_ matrix: UnsafeBufferPointer<Float>, count n: Int) -> [RawMerge] {
    primMinimumSpanningTree(generic: matrix, count: n)
}

/// ``primMinimumSpanningTree(_:count:)`` on `Double` distances.
func primMinimumSpanningTree(_ matrix: UnsafeBufferPointer<Double>, count n: Int) -> [RawMerge] {
    primMinimumSpanningTree(generic: matrix, count: n)
}

private func primMinimumSpanningTree<Element: BinaryFloatingPoint>(generic matrix: UnsafeBufferPointer<Element>, count n: Int) -> [RawMerge] {
    guard n >= 2, let d = matrix.baseAddress else { return [] }
    precondition(matrix.count == CondensedDistances.pairCount(n))
    let rowBase = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let remaining = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let toTree = UnsafeMutablePointer<Element>.allocate(capacity: n)
    defer {
        rowBase.deallocate()
        remaining.deallocate()
        toTree.deallocate()
    }
    for r in 0..<n {
        rowBase[r] = n * r - r * (r + 1) / 2 - r - 1
        remaining[r] = r
        toTree[r] = .infinity
    }
    var remainingCount = n
    var merges: [RawMerge] = []
    merges.reserveCapacity(n - 1)
    var x = 0
    for _ in 0..<(n - 1) {
        let p = position(of: x, in: remaining, count: remainingCount)
        (remaining + p).update(from: remaining + p + 1, count: remainingCount - p - 1)
        remainingCount -= 1
        var nearest = Element.infinity
        var y = 0
        for q in 0..<p {
            let i = remaining[q]
            let v = d[rowBase[i] + x]
            if toTree[i] > v { toTree[i] = v }
            if toTree[i] < nearest {
                nearest = toTree[i]
                y = i
            }
        }
        let base = rowBase[x]
        for q in p..<remainingCount {
            let i = remaining[q]
            let v = d[base + i]
            if toTree[i] > v { toTree[i] = v }
            if toTree[i] < nearest {
                nearest = toTree[i]
                y = i
            }
        }
        merges.append(RawMerge(a: x, b: y, height: Double(nearest)))
        x = y
    }
    return merges
}

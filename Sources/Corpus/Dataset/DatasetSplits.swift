import Foundation

/// The splits of a training set and the share of images each should get: `--split train=0.8,val=0.1,test=0.1`.
public struct SplitFractions: Sendable, Equatable, CustomStringConvertible {
    /// Split names in the order given (each a folder name: letters, digits, `-` and `_`).
    public let names: [String]
    /// Each split's share, summing to 1 (normalised when the given values do not).
    public let fractions: [Double]

    public static let standard = SplitFractions(names: ["train", "val", "test"], fractions: [0.8, 0.1, 0.1])

    public init(names: [String], fractions: [Double]) {
        precondition(names.count == fractions.count && !names.isEmpty)
        let total = fractions.reduce(0, +)
        self.names = names
        self.fractions = fractions.map { total > 0 ? $0 / total : 1 / Double(fractions.count) }
    }

    /// Parses `name=fraction,…` (fractions adding up to 1, or to 100 as percentages).
    public init(parsing text: String) throws(SplitSpecificationError) {
        var names: [String] = [], fractions: [Double] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let value = Double(pair[1]), value.isFinite, value >= 0 else {
                throw SplitSpecificationError(reason: "'\(part)' is not NAME=FRACTION (e.g. train=0.8,val=0.1,test=0.1)")
            }
            let name = pair[0]
            guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw SplitSpecificationError(reason: "split name '\(name)' must be 1 to 32 letters, digits, '-' or '_'")
            }
            guard !names.contains(name) else { throw SplitSpecificationError(reason: "split '\(name)' is named twice") }
            names.append(name)
            fractions.append(value)
        }
        let total = fractions.reduce(0, +)
        guard total > 0 else { throw SplitSpecificationError(reason: "the fractions add up to 0") }
        guard abs(total - 1) <= 0.01 || abs(total - 100) <= 1 else {
            throw SplitSpecificationError(reason: "the fractions add up to \(total), not 1 (or 100)")
        }
        self.init(names: names, fractions: fractions)
    }

    /// `train=0.8,val=0.1,test=0.1`.
    public var description: String {
        zip(names, fractions).map { "\($0)=\(formatFraction($1))" }.joined(separator: ",")
    }
}

public struct SplitSpecificationError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "--split: \(reason)" }
}

private func formatFraction(_ value: Double) -> String {
    var text = String(format: "%.4f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// A set of images that must stay in one split: a corpus cluster, or (with `--group-by`) every cluster of a group.
public struct SplitUnit: Sendable, Equatable {
    /// What the seeded tie-break hashes: a stable name of the unit (its first video's SHA-256 and scene, say).
    public var key: String
    /// Images of this run's selection in the unit.
    public var newImages: Int
    /// Images earlier runs put in each split (a unit that grew): they stay there.
    public var earlierImages: [String: Int]

    public init(key: String, newImages: Int, earlierImages: [String: Int] = [:]) {
        self.key = key
        self.newImages = newImages
        self.earlierImages = earlierImages
    }
}

/// Assigns whole units (corpus clusters, groups) to splits, balanced by image count and deterministic from a seed.
///
/// Units that earlier runs placed keep their split (one that earlier runs placed in two splits, because a new video
/// joined two clusters, goes where most of its earlier images are). The others go largest first, each into the split
/// furthest below its target (target share × all images, earlier and new), ties broken by a hash of the seed and the
/// unit's key; so the result does not depend on the order units are given in, and a different seed shuffles
/// equal-sized units between splits.
public struct SplitAssignment: Sendable {
    public let splits: SplitFractions
    public let seed: UInt64

    public init(splits: SplitFractions, seed: UInt64) {
        self.splits = splits
        self.seed = seed
    }

    /// The split of each unit (indices into ``SplitFractions/names``), in the order given.
    public func assign(_ units: [SplitUnit]) -> [Int] {
        let names = splits.names
        var counts = [Double](repeating: 0, count: names.count)
        var result = [Int](repeating: -1, count: units.count)
        for (i, unit) in units.enumerated() {
            for (name, n) in unit.earlierImages { if let s = names.firstIndex(of: name) { counts[s] += Double(n) } }
            guard let placed = earlierSplit(unit) else { continue }
            result[i] = placed
            counts[placed] += Double(unit.newImages)
        }
        let total = counts.reduce(0, +) + Double(units.indices.filter { result[$0] < 0 }.reduce(0) { $0 + units[$1].newImages })
        let hashes = units.map { Self.hash(seed: seed, $0.key) }
        let free = units.indices.filter { result[$0] < 0 }.sorted {
            (units[$0].newImages, hashes[$0], units[$0].key) > (units[$1].newImages, hashes[$1], units[$1].key)
        }
        for i in free {
            var best = 0, bestGap = -Double.infinity
            for s in names.indices {
                let gap = splits.fractions[s] * total - counts[s]
                // Ties (equal gaps, as at the start): the split with the larger share, then a seeded choice.
                if gap > bestGap + 1e-9 || (abs(gap - bestGap) <= 1e-9 && tieBreak(s, best, unit: hashes[i])) {
                    best = s
                    bestGap = gap
                }
            }
            result[i] = best
            counts[best] += Double(units[i].newImages)
        }
        return result
    }

    /// The split earlier runs gave the unit: where most of its earlier images are (ties: the first split named); nil
    /// when it has none (earlier images in splits not named now count towards nothing: the caller keeps the names).
    private func earlierSplit(_ unit: SplitUnit) -> Int? {
        var best: Int? = nil
        for (s, name) in splits.names.enumerated() {
            guard let n = unit.earlierImages[name], n > 0 else { continue }
            if best == nil || n > unit.earlierImages[splits.names[best!]]! { best = s }
        }
        return best
    }

    private func tieBreak(_ candidate: Int, _ current: Int, unit: UInt64) -> Bool {
        let f = splits.fractions
        if f[candidate] != f[current] { return f[candidate] > f[current] }
        return Self.hash(seed: unit, String(candidate)) > Self.hash(seed: unit, String(current))
    }

    /// FNV-1a (64-bit) of the seed's bytes then the text's: stable across runs, platforms and Swift versions (unlike
    /// `Hasher`).
    public static func hash(seed: UInt64, _ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { h ^= UInt64(byte); h &*= 0x100_0000_01b3 }
        for k in 0..<8 { mix(UInt8(truncatingIfNeeded: seed >> (8 * UInt64(k)))) }
        for b in text.utf8 { mix(b) }
        // A final avalanche (splitmix64's), so that nearby seeds give unrelated orders.
        h ^= h >> 30; h &*= 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h &*= 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }
}

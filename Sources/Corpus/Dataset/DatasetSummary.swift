import Foundation
import FrameDedupe

/// `dataset.json`: what the dataset holds (per split), what was left out and why (all runs, and this run), the options.
public struct DatasetSummary: Sendable {
    public let plan: DatasetPlan
    public let splits: SplitFractions
    public let options: JSONValue

    public init(plan: DatasetPlan, splits: SplitFractions, options: JSONValue) {
        self.plan = plan
        self.splits = splits
        self.options = options
    }

    /// Images per split (all runs), in the order of ``splits``.
    public var imagesPerSplit: [Int] {
        let all = plan.all
        return splits.names.map { name in all.filter { $0.split == name }.count }
    }

    /// Exclusions of all runs by reason.
    public var excludedInAll: [String: Int] {
        var total = plan.earlier.excluded
        for (reason, n) in plan.excluded { total[reason.rawValue, default: 0] += n }
        return total
    }

    public var json: JSONValue {
        let all = plan.all
        let counts = imagesPerSplit
        let total = max(1, all.count)
        func reasons(_ counts: [String: Int]) -> JSONValue {
            .object(ExclusionReason.allCases.map { ($0.rawValue, .int(counts[$0.rawValue] ?? 0)) })
        }
        return .object([
            ("version", .int(1)), ("images", .int(all.count)),
            ("splits", .array(splits.names.indices.map { s in
                let members = all.filter { $0.split == splits.names[s] }
                return .object([
                    ("name", .string(splits.names[s])), ("target", .number(splits.fractions[s], decimals: 4)), ("images", .int(counts[s])),
                    ("fraction", .number(Double(counts[s]) / Double(total), decimals: 4)),
                    ("clusters", .int(Set(members.map(\.cluster)).count)), ("videos", .int(Set(members.map(\.sha256)).count)),
                ])
            })),
            ("clusters", .int(Set(all.map(\.cluster)).count)), ("corpus_clusters", .int(plan.corpusClusters)),
            ("videos", .int(plan.earlier.videos.union(plan.newVideos).count)),
            ("excluded", reasons(excludedInAll)),
            ("last_run", .object([
                ("videos_added", .int(plan.newVideos.count)), ("images_added", .int(plan.added.count)),
                ("excluded", reasons(Dictionary(uniqueKeysWithValues: plan.excluded.map { ($0.key.rawValue, $0.value) }))),
                ("split_conflicts", .int(plan.splitConflicts)),
            ])),
            ("options", options),
            ("videos_considered", .array(plan.earlier.videos.union(plan.newVideos).sorted().map { .string($0) })),
        ])
    }

    /// The lines `framededupe dataset` prints on stderr.
    public func text(folder: String, seconds: Double, dryRun: Bool) -> String {
        let counts = imagesPerSplit
        let total = counts.reduce(0, +)
        let perSplit = splits.names.indices.map { s in
            "\(splits.names[s]) \(counts[s]) (\(String(format: "%.1f", total > 0 ? 100 * Double(counts[s]) / Double(total) : 0))%)"
        }.joined(separator: ", ")
        let excluded = plan.excluded.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        var lines = ["framededupe: \(folder): \(dryRun ? "would add" : "added") \(count(plan.added.count, "image")) from \(count(plan.newVideos.count, "new video"))"
                     + (plan.earlier.images.isEmpty ? "" : " to \(count(plan.earlier.images.count, "earlier image"))")
                     + String(format: " in %.1f s", seconds)]
        lines.append("framededupe: \(folder): \(count(total, "image")) in \(count(Set(plan.all.map(\.cluster)).count, "cluster")) (of \(plan.corpusClusters) corpus clusters): \(perSplit)")
        lines.append("framededupe: \(folder): left out this run: " + (excluded.isEmpty ? "nothing" : excluded))
        if plan.splitConflicts > 0 {
            lines.append("framededupe: \(folder): \(count(plan.splitConflicts, "group")) of clusters now \(plan.splitConflicts == 1 ? "joins" : "join") images that earlier runs put in different splits (a new video linked them); those stay where they are, new images go where most of theirs are")
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

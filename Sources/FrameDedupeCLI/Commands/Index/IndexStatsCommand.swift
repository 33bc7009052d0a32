import ArgumentParser
import Corpus
import Foundation
import FrameDedupe

struct IndexStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "What the index holds: videos, scenes, clusters, sizes (one 'name: value' a line, or JSON).",
        discussion: """
            search_index says how 'index search' finds neighbours: 'exact' (up to 100,000 scenes, whatever is stored), 'approximate' (the \
            stored inverted-file index), 'approximate, stale' (more than 10% of its scenes added or removed since it \
            was built: the next search or 'index add' rebuilds it), 'exact (self-tuned)' (the stored index found recall \
            0.95 out of reach below half its lists, so search is exact) or 'none stored' (the next search builds it). \
            With a stored index: ann_lists, ann_probes (lists probed a query, chosen by the self-check), \
            ann_target_recall, ann_measured_recall (recall@10 against exact search on ann_sample_queries indexed scenes, \
            each leaving itself out), ann_tried (probes:recall of each step), ann_scenes (scenes it was built over), \
            ann_changed_scenes (added plus removed since), ann_built.
            """)

    @OptionGroup var location: IndexLocation

    @Flag(help: "Write one JSON object instead of lines.")
    var json = false

    func run() throws {
        let index = try location.open(.read)
        let s = try reporting(.inputUnreadable) { () throws(IndexError) in try index.statistics() }
        let values: [(String, JSONValue)] = [
            ("videos", .int(s.videos)), ("scenes", .int(s.scenes)), ("seconds", .number(s.seconds, decimals: 3)),
            ("clusters", .int(s.clusters)), ("unclustered_scenes", .int(s.unclustered)),
            ("threshold", s.threshold.map { .number($0, decimals: 6) } ?? .null), ("group_by", s.groupBy.map { .string($0) } ?? .null),
            ("embedding_precision", .string(s.precision == .half ? "float16" : "float32")),
            ("embedding_bytes", .int(Int(s.embeddingBytes))), ("database_bytes", .int(Int(s.databaseBytes))),
        ] + Self.approximateIndexValues(s.approximateIndex, scenes: s.scenes)
        let text = json ? JSONValue.object(values).serialized() + "\n"
            : values.map { key, value in "\(key): \(value.serialized(pretty: false).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))\n" }.joined()
        do { try StandardOutput.write(text) } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
    }
}

extension IndexStatsCommand {
    /// "0.95" (the recall a self-tuning aimed at), or "the target" when unknown.
    static func targetText(_ target: Double?) -> String {
        target.map { String(format: "%.2f", $0) } ?? "the target"
    }

    static func approximateIndexValues(_ a: StoredApproximateIndex?, scenes: Int) -> [(String, JSONValue)] {
        guard let a else { return [("search_index", .string(scenes > CorpusIndex.approximateAbove ? "none stored" : "exact"))] }
        let state = scenes <= CorpusIndex.approximateAbove ? "exact" : a.exhaustive ? "exact (self-tuned)" : "approximate"
        return [
            ("search_index", .string(a.isStale ? state + ", stale" : state)),
            ("ann_lists", .int(a.lists)), ("ann_probes", .int(a.probes)),
            ("ann_target_recall", a.targetRecall.map { .number($0, decimals: 4) } ?? .null),
            ("ann_measured_recall", a.measuredRecall.map { .number($0, decimals: 4) } ?? .null),
            ("ann_sample_queries", a.sampleQueries.map { .int($0) } ?? .null), ("ann_tried", .string(a.tried)),
            ("ann_scenes", .int(a.scenes)), ("ann_changed_scenes", .int(a.changedScenes)), ("ann_built", .string(a.built)),
        ]
    }
}

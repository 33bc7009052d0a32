import ArgumentParser
import Corpus
import Decoder
import Foundation
import FrameDedupe

struct IndexDedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedupe",
        abstract: "Group near-duplicate scenes of all indexed videos into corpus clusters; write corpus-clusters.json.",
        discussion: """
            Two scenes are linked when the cosine distance of their mean embeddings is below --threshold (and their \
            videos share a --group-by key); corpus clusters are the connected components of these links (single \
            linkage). With --geometric-check (the default), every pair up to --copy-radius is a candidate and links \
            only when geometric verification of the two keyframes finds a copy (one scale-and-shift transform, mirror \
            tried, that explains both pictures inside their black bars), or, as in 'run', of the scenes' other moments or \
            of their shots' first frames (pairs of scenes with a first frame up to 0.6 on those alone; not with \
            --no-other-pictures): a letterboxed or low-bitrate copy joins its original, and so does a copy of a moving \
            or fast shot sampled at other moments; two views of one place stay apart. As in 'run', static graphics \
            (logos, score bugs) are left out of a video's pictures before verifying. Scenes indexed without local \
            features link by --threshold. The index keeps each cluster's centroid and radius: a later run with the same threshold and \
            grouping compares only the scenes added since with the centroids, then with the members of the clusters \
            they can reach, and gives the same clusters as clustering everything again (as long as no scene has more than 12 \
            candidates, or always with --no-other-pictures).

            corpus-clusters.json: {"version": 1, "index", "threshold", "group_by", "copy_radius", "videos", "scenes", "clusters": \
            [{"id", "size", "videos", "exemplar": {scene}, "scenes": [{"file", "sha256", "scene", "start", "end", \
            "keyframe", "keyframe_time", "similarity"}]}]}; ids follow the order of each cluster's first scene \
            (videos in the order added, then time).
            """)

    @OptionGroup var location: IndexLocation

    @Option(help: ArgumentHelp("Scenes closer than this (cosine distance of their mean embeddings, 0 to 2) are linked; clusters are the linked groups.", valueName: "distance"))
    var threshold: Double = 0.15

    @Option(help: ArgumentHelp("Only link scenes of videos that share a key: 'dir' (the same folder), 'regex:PATTERN' (the same match of PATTERN in the path, or of its first group), 'meta:KEY' (the same value of the container's metadata tag KEY). A change of key re-clusters everything.", valueName: "dir|regex:PATTERN|meta:KEY"))
    var groupBy: String?

    @Flag(inversion: .prefixedNo, help: "Link candidate scenes only when geometric verification of their keyframes finds them copies (see above); without, scenes closer than --threshold link.")
    var geometricCheck = true

    @Option(help: ArgumentHelp("With --geometric-check: scenes up to this cosine distance are candidates, 0 to 2 (letterboxed and low-bitrate copies sit at 0.14-0.36 from their originals).", valueName: "distance"))
    var copyRadius: Double = 0.45

    @Flag(inversion: .prefixedNo, help: "With --geometric-check: a pair whose keyframes are no copy is verified again, as in 'run', on the scenes' other moments and their shots' first frames (pairs of scenes with a first frame up to 0.6 on those alone), each scene against its 12 nearest; copies of moving and fast shots join. --no-other-pictures verifies keyframes only.")
    var otherPictures = CopyVerification.standard.moments

    @Flag(help: "Forget the clusters the index keeps and cluster every scene again.")
    var rebuild = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the clusters ('-' for standard output).", valueName: "file"))
    var output: String = "corpus-clusters.json"

    @Option(help: ArgumentHelp("Also write one exemplar image per corpus cluster into this folder (cluster-000000.jpg, cluster-000001.jpg and so on): the deduplicated set.", valueName: "dir"))
    var export: String?

    @Flag(help: "Export into a folder that holds files framededupe did not write: its cluster-* images are replaced, everything else stays. Without it such a folder is refused (status 2).")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "No summary on stderr.")
    var quiet = false

    var grouping: CorpusGrouping { groupBy.flatMap(CorpusGrouping.init(parsing:)) ?? .none }
    var verification: CopyVerification {
        geometricCheck ? CopyVerification(radius: copyRadius, moments: otherPictures, shotStarts: otherPictures) : .off
    }

    func validate() throws {
        if !(0...2).contains(threshold) { throw ValidationError("--threshold must be 0 to 2, got \(threshold)") }
        if !(0...2).contains(copyRadius) { throw ValidationError("--copy-radius must be 0 to 2, got \(copyRadius)") }
        if let groupBy {
            guard let g = CorpusGrouping(parsing: groupBy) else { throw ValidationError("--group-by takes dir, regex:PATTERN or meta:KEY; got '\(groupBy)'") }
            if let problem = g.problem { throw ValidationError(problem) }
        }
    }

    func run() throws {
        let began = Date()
        try InputGuard.refuseOutputs([("-o", output)], naming: location.files)
        let index = try location.open(.write)
        let summary = try reporting(.outputUnwritable) { () throws(IndexError) in try index.dedupe(threshold: threshold, grouping: grouping, rebuild: rebuild, verification: verification) }
        let clusters = try reporting(.inputUnreadable) { () throws(IndexError) in try index.clusters() }
        let stats = try reporting(.inputUnreadable) { () throws(IndexError) in try index.statistics() }
        var exported: [Int: String] = [:]
        if let export { exported = try exportImages(clusters, index: index, folder: export) }
        let json = CorpusClustersJSON.document(clusters, index: index, threshold: threshold, grouping: grouping, verification: verification,
                                               statistics: stats, exported: exported)
        do {
            if output == "-" {
                try StandardOutput.write(json.serialized() + "\n")
            } else {
                let file = try AtomicFile(url: URL(fileURLWithPath: output))
                try file.write(json.serialized() + "\n")
                try file.finish()
            }
        } catch {
            if error.isClosedStandardOutput { return }
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        if !quiet {
            let how = summary.incremental
                ? "\(summary.newScenes) new scenes compared with \(summary.candidateClusters) of \(summary.earlierClusters) earlier clusters"
                : "\(summary.newScenes) scenes clustered"
            Terminal.write("framededupe: \(location.index): \(how): \(clusters.count) corpus clusters of \(stats.scenes) scenes from \(stats.videos) videos"
                           + String(format: " in %.1f s\n", Date().timeIntervalSince(began)))
        }
    }

    /// One exemplar image per cluster into `folder` (staged, then moved into place); returns each cluster's image path.
    func exportImages(_ clusters: [CorpusIndex.CorpusCluster], index: CorpusIndex, folder: String) throws -> [Int: String] {
        var paths: [Int: String] = [:]
        do throws(OutputError) {
            let out = try OutputFolder(URL(fileURLWithPath: folder, isDirectory: true), policy: OutputPolicy(replaceForeign: overwrite, protected: [location.index]))
            var names: [String] = []
            for c in clusters {
                guard let keyframe = c.scenes[c.exemplar].scene.keyframePath else { continue }
                let source = index.keyframeRoot.appendingPathComponent(keyframe)
                let ext = source.pathExtension.isEmpty ? "jpg" : source.pathExtension
                let name = String(format: "cluster-%06d.", c.number) + ext
                let target = out.staging.appendingPathComponent(name)
                if link(source.path, target.path) != 0 {
                    do { try FileManager.default.copyItem(at: source, to: target) } catch {
                        throw OutputError(path: (folder as NSString).appendingPathComponent(name), reason: "cannot copy \(source.path) (\(error))")
                    }
                }
                names.append(name)
                paths[c.number] = (folder as NSString).appendingPathComponent(name)
            }
            // Images of an earlier, larger export that this one does not replace are stale: the commit removes them.
            try out.commit(order: names)
        } catch {
            Terminal.error(error.description)
            throw Failure(status: error.kind == .refused ? .usage : .outputUnwritable)
        }
        return paths
    }
}

/// `corpus-clusters.json`.
enum CorpusClustersJSON {
    static func scene(_ row: CorpusIndex.SceneRow, index: CorpusIndex, similarity: Double?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("file", .string(FileSystemName.displayed(row.video.path))), ("sha256", .string(row.video.sha256)), ("scene", .int(row.scene.number)),
            ("start", .seconds(row.scene.start)), ("end", .seconds(row.scene.end)), ("keyframe_time", .seconds(row.scene.keyframeTime)),
            ("keyframe", row.scene.keyframePath.map { .string(index.keyframeRoot.appendingPathComponent($0).path) } ?? .null),
        ]
        if let similarity { members.append(("similarity", .number(similarity, decimals: 4))) }
        return .object(members)
    }

    static func document(_ clusters: [CorpusIndex.CorpusCluster], index: CorpusIndex, threshold: Double, grouping: CorpusGrouping,
                         verification: CopyVerification, statistics: CorpusIndex.Statistics, exported: [Int: String]) -> JSONValue {
        .object([
            ("version", .int(1)), ("index", .string(CorpusIndex.absolute(index.path))), ("threshold", .number(threshold, decimals: 6)),
            ("group_by", grouping == .none ? .null : .string(grouping.description)),
            ("copy_radius", verification.enabled ? .number(verification.radius, decimals: 6) : .null),
            ("videos", .int(statistics.videos)), ("scenes", .int(statistics.scenes)),
            ("clusters", .array(clusters.map { c in
                var members: [(String, JSONValue)] = [
                    ("id", .int(c.number)), ("size", .int(c.scenes.count)), ("videos", .int(Set(c.scenes.map(\.video.id)).count)),
                    ("exemplar", scene(c.scenes[c.exemplar], index: index, similarity: nil)),
                ]
                if let image = exported[c.number] { members.append(("image", .string(image))) }
                members.append(("scenes", .array(c.scenes.indices.map { scene(c.scenes[$0], index: index, similarity: c.centrality[$0]) })))
                return .object(members)
            })),
        ])
    }
}

import ArgumentParser
@_spi(Testing) import Corpus
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// `framededupe dataset VIDEO… -o DIR`: a deduplicated training set, split without leaks, from a folder of videos.
struct DatasetCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build a deduplicated training set split without leaks: one image per corpus cluster (or a diverse few), filtered for quality, whole clusters per split.",
        discussion: """
            Each video is analysed into a corpus index kept in DIR (DIR/.framededupe-corpus.db, with its keyframes), \
            near-duplicate scenes of all videos are grouped into corpus clusters (as 'index dedupe'), and each cluster \
            gives its exemplar's keyframe (--keep cluster) or also the keyframes farther than --diversity from the \
            images kept (--keep diverse). Keyframes that fail a quality filter are left out and counted: blurred \
            (variance of the Laplacian of luma at a shorter side of 256 pixels below --min-sharpness), dark or bright \
            (mean luma below --dark-below or above --bright-above, 0-255), low information (luma standard deviation \
            below --min-contrast), tiny (shorter side below --min-side pixels); transition scenes (dissolves, fades) \
            are never candidates. Whole clusters go to one split (with --group-by, whole groups), largest first into \
            the split furthest below its share of the images, ties broken by --seed: a cluster never spans two splits, \
            nor do clusters with scenes closer than --split-radius (other moments of a shot, look-alikes).

            DIR gets <split>/<key>.jpg images, manifest.jsonl (one line per image: path, split, video, sha256, time, \
            frame, scene, cluster, width, height, sharpness, exposure, kept), manifest.csv, dataset.json (counts per \
            split, exclusions by reason, the options) and, with --format webdataset, <split>-000000.tar shards \
            (key.jpg + key.json per image). A rerun with more videos analyses only the new ones and keeps every \
            earlier image and manifest line as it was: a new video joining an earlier cluster goes to that \
            cluster's split. Everything is written under a temporary name and moved into place at the end; a folder \
            holding files framededupe did not write is refused. An interrupted run keeps the videos it analysed in \
            the index: the next run does not analyse them again.

            EXAMPLES:
              A training set split 80/10/10 by whole clusters of copies:
                framededupe dataset videos/*.mp4 -o set/ --seed 7
              Next week: only the new videos are analysed, earlier images stay:
                framededupe dataset videos/*.mp4 new/*.mp4 -o set/ --seed 7
              WebDataset shards of varied frames, at most 6 a minute, 512 px:
                framededupe dataset videos/*.mp4 -o shards/ --format webdataset \\
                  --keep diverse --per-minute 6 --max-side 512
            """)

    @Argument(help: ArgumentHelp("Video files.", valueName: "video"))
    var videos: [String]

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The dataset folder (made when missing; a rerun adds to it).", valueName: "dir"))
    var output: String

    @Option(help: ArgumentHelp("Splits and their shares of the images, NAME=FRACTION separated by commas.", valueName: "splits"))
    var split: String = "train=0.8,val=0.1,test=0.1"

    @Option(help: ArgumentHelp("Seed of the split assignment's tie-breaks: the same seed and videos give the same splits.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Images per corpus cluster: 'cluster' (its exemplar) or 'diverse' (also every keyframe farther than --diversity from the images kept in it).", valueName: "cluster|diverse"))
    var keep: String = "cluster"

    @Option(help: ArgumentHelp("With --keep diverse: the cosine distance of scene embeddings beyond which a keyframe is new to its cluster, 0 to 2.", valueName: "distance"))
    var diversity: Double = 0.15

    @Option(help: ArgumentHelp("At most N images per corpus cluster.", valueName: "n"))
    var perCluster: Int?

    @Option(help: ArgumentHelp("At most N images per minute of each video (rounded up, at least 1 a video).", valueName: "n"))
    var perMinute: Double?

    @Option(help: ArgumentHelp("Leave out blurred keyframes: variance of the Laplacian of luma at a shorter side of 256 pixels below this (0 keeps all).", valueName: "variance"))
    var minSharpness: Double = QualityThresholds().minimumSharpness

    @Option(help: ArgumentHelp("Leave out keyframes darker than this mean luma, 0-255.", valueName: "luma"))
    var darkBelow: Double = QualityThresholds().darkBelow

    @Option(help: ArgumentHelp("Leave out keyframes brighter than this mean luma, 0-255.", valueName: "luma"))
    var brightAbove: Double = QualityThresholds().brightAbove

    @Option(help: ArgumentHelp("Leave out near-uniform keyframes: standard deviation of luma below this, 0-127.", valueName: "luma"))
    var minContrast: Double = QualityThresholds().minimumContrast

    @Option(help: ArgumentHelp("Leave out keyframes whose shorter side is below this many pixels.", valueName: "pixels"))
    var minSide: Int = QualityThresholds().minimumSide

    @Option(help: ArgumentHelp("Scale exported images down to fit this many pixels on their longer side (default: the video's size).", valueName: "pixels"))
    var maxSide: Int?

    @Option(help: ArgumentHelp("Image format, as libav encodes it: jpg, png or webp (with a libavcodec built with libwebp).", valueName: "jpg|png|webp"))
    var imageFormat: String = "jpg"

    @Option(help: ArgumentHelp("JPEG quality of re-encoded images as FFmpeg's -q:v, 2 (best) to 31.", valueName: "q"))
    var jpegQuality: Int = 3

    @Option(help: ArgumentHelp("'images' (split folders and manifests) or 'webdataset' (also <split>-000000.tar shards of key.jpg + key.json).", valueName: "images|webdataset"))
    var format: String = "images"

    @Option(help: ArgumentHelp("Samples per WebDataset shard.", valueName: "n"))
    var shardSize: Int = 1000

    @Option(help: ArgumentHelp("Corpus clusters: scenes closer than this (cosine distance of their mean embeddings) are linked, as 'index dedupe --threshold'.", valueName: "distance"))
    var threshold: Double = 0.15

    @Option(help: ArgumentHelp("Keep whole groups in one split and link scenes only within a group: 'dir', 'regex:PATTERN' or 'meta:KEY', as 'index dedupe --group-by'.", valueName: "dir|regex:PATTERN|meta:KEY"))
    var groupBy: String?

    @Flag(inversion: .prefixedNo, help: "Link candidate scenes only when geometric verification of their keyframes finds copies, as 'index dedupe'.")
    var geometricCheck = true

    @Option(help: ArgumentHelp("With --geometric-check: scenes up to this cosine distance are candidates, as 'index dedupe --copy-radius'.", valueName: "distance"))
    var copyRadius: Double = 0.45

    @Option(help: ArgumentHelp("Also keep in one split the clusters that hold two scenes closer than this (cosine distance of scene embeddings, 0 to 2; 0: whole clusters only): other moments of one shot, look-alikes.", valueName: "distance"))
    var splitRadius: Double = DatasetPlanner.defaultSplitRadius

    @Flag(help: "Print the counts (per split, excluded by reason) without writing the dataset; new videos are still analysed into DIR's index, so the real run does not analyse them again.")
    var dryRun = false

    @Flag(help: "Write into a folder that holds files framededupe did not write (entries named like the results are replaced). Without it such a folder is refused (status 2).")
    var overwrite = false

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Videos analysed at once, 1 to 64.", valueName: "n"))
    var jobs: Int = 1

    @OptionGroup(title: "Sampling")
    var inputOptions: SamplingOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Messages")
    var log: LogOptions

    var grouping: CorpusGrouping { groupBy.flatMap(CorpusGrouping.init(parsing:)) ?? .none }
    var verification: CopyVerification { geometricCheck ? CopyVerification(radius: copyRadius) : .off }

    func validate() throws {
        do { _ = try SplitFractions(parsing: split) } catch { throw ValidationError(error.description) }
        guard DatasetKeep(rawValue: keep) != nil else { throw ValidationError("--keep takes cluster or diverse, got '\(keep)'") }
        guard let still = StillImageFormat(rawValue: imageFormat) else { throw ValidationError("--image-format takes jpg, png or webp, got '\(imageFormat)'") }
        if !still.isAvailable { throw ValidationError("--image-format \(imageFormat): this libavcodec has no \(imageFormat) encoder (libwebp); choose jpg or png") }
        guard ["images", "webdataset"].contains(format) else { throw ValidationError("--format takes images or webdataset, got '\(format)'") }
        try NumberRange.check(diversity, "--diversity", 0...2, unit: "cosine distance")
        try NumberRange.check(threshold, "--threshold", 0...2, unit: "cosine distance")
        try NumberRange.check(copyRadius, "--copy-radius", 0...2, unit: "cosine distance")
        try NumberRange.check(splitRadius, "--split-radius", 0...2, unit: "cosine distance")
        try NumberRange.check(minSharpness, "--min-sharpness", 0...1_000_000, unit: "Laplacian variance")
        try NumberRange.check(darkBelow, "--dark-below", 0...255, unit: "luma")
        try NumberRange.check(brightAbove, "--bright-above", 0...255, unit: "luma")
        try NumberRange.check(minContrast, "--min-contrast", 0...128, unit: "luma")
        try NumberRange.check(perMinute, "--per-minute", 0.001...100_000, unit: "images")
        if let perCluster, perCluster < 1 { throw ValidationError("--per-cluster must be at least 1, got \(perCluster)") }
        if minSide < 0 || minSide > 100_000 { throw ValidationError("--min-side must be 0 to 100000 pixels, got \(minSide)") }
        if let maxSide, !(16...100_000).contains(maxSide) { throw ValidationError("--max-side must be 16 to 100000 pixels, got \(maxSide)") }
        if !(2...31).contains(jpegQuality) { throw ValidationError("--jpeg-quality must be 2 to 31, got \(jpegQuality)") }
        if !(1...1_000_000).contains(shardSize) { throw ValidationError("--shard-size must be 1 to 1000000, got \(shardSize)") }
        if !(1...64).contains(jobs) { throw ValidationError("-j must be 1 to 64, got \(jobs)") }
        if jobs > 1 && networkOptions.blasThreads > 1 { throw ValidationError("-j \(jobs) runs one OpenBLAS thread per video: leave --blas-threads at 1") }
        if let groupBy {
            guard let g = CorpusGrouping(parsing: groupBy) else { throw ValidationError("--group-by takes dir, regex:PATTERN or meta:KEY; got '\(groupBy)'") }
            if let problem = g.problem { throw ValidationError(problem) }
        }
        if videos.contains("-") { throw ValidationError("the dataset needs video files (their content hash names them): standard input cannot be used") }
        if keep != "diverse" && diversity != 0.15 { throw ValidationError("--diversity is for --keep diverse") }
    }

    var rules: SelectionRules {
        var rules = SelectionRules()
        rules.keep = DatasetKeep(rawValue: keep)!
        rules.diversity = diversity
        rules.perCluster = perCluster
        rules.perMinute = perMinute
        rules.quality.minimumSharpness = minSharpness
        rules.quality.darkBelow = darkBelow
        rules.quality.brightAbove = brightAbove
        rules.quality.minimumContrast = minContrast
        rules.quality.minimumSide = minSide
        return rules
    }

    func run() throws {
        let began = Date()
        let splits = try SplitFractions(parsing: split)
        let folderURL = URL(fileURLWithPath: output, isDirectory: true)
        try InputGuard.refuseOutputs([("-o", output)], naming: videos)
        // The folder first: a folder that is not framededupe's is refused before an index is put in it.
        let folder: OutputFolder
        do throws(OutputError) {
            folder = try OutputFolder(folderURL, policy: OutputPolicy(replaceForeign: overwrite, protected: videos))
        } catch {
            Terminal.error(error.description)
            throw Failure(status: error.kind == .refused ? .usage : .outputUnwritable)
        }
        let earlier: EarlierDataset
        do throws(DatasetError) { earlier = try EarlierDataset(folder: folderURL) } catch {
            Terminal.error(error.description)
            throw Failure(status: .inputUnreadable)
        }
        if let names = earlier.splitNames, !earlier.images.isEmpty, Set(names) != Set(splits.names) {
            Terminal.error("\(Terminal.oneLine(output)): its images are in the splits \(names.joined(separator: ", ")); a rerun adds to the same splits (give --split with these names)")
            throw Failure(status: .usage)
        }
        let indexPath = folderURL.appendingPathComponent(DatasetLayout.index).path
        let index: CorpusIndex
        do { index = try CorpusIndex(path: indexPath, precision: .half, access: .create) } catch {
            Terminal.error(error.description)
            throw Failure(status: error.refused ? .inputUnreadable : .outputUnwritable)
        }
        // Analysis: only videos the index does not hold.
        var unique: [String] = []
        for v in videos where !unique.contains(v) { unique.append(v) }
        let (analysed, failures, interrupted) = try analyse(unique, index: index)
        if let interrupted { throw Failure(status: interrupted) }
        _ = try reporting(.outputUnwritable) { () throws(IndexError) in
            try index.dedupe(threshold: threshold, grouping: grouping, verification: verification)
        }
        var planner = DatasetPlanner(index: index, rules: rules, splits: splits, seed: seed, grouping: grouping,
                                     format: StillImageFormat(rawValue: imageFormat)!, maxSide: maxSide)
        planner.splitRadius = splitRadius
        let plan = try reporting(.inputUnreadable) { () throws(IndexError) in try planner.plan(videos: analysed, earlier: earlier) }
        let summary = DatasetSummary(plan: plan, splits: splits, options: optionsRecord(splits))
        if !log.quiet {
            Terminal.write(summary.text(folder: output, seconds: Date().timeIntervalSince(began), dryRun: dryRun))
        }
        if dryRun {
            if !log.quiet { Terminal.write("framededupe: \(Terminal.oneLine(output)): dry run: nothing written besides the index\n") }
        } else {
            let writer = DatasetWriter(folder: folder, format: StillImageFormat(rawValue: imageFormat)!, jpegQuality: jpegQuality, maxSide: maxSide,
                                       shardSize: format == "webdataset" ? shardSize : nil)
            do throws(DatasetError) { try writer.write(plan, splits: splits, summary: summary.json) } catch {
                Terminal.error(error.description)
                throw Failure(status: .outputUnwritable)
            }
        }
        if failures.isEmpty { return }
        throw Failure(status: failures.count == unique.count ? failures[0] : .partial)
    }

    /// Adds the videos to the index (those it holds already are skipped); returns the SHA-256 of every video
    /// that is in the index now, the failures' statuses, and the status to stop with when interrupted.
    private func analyse(_ videos: [String], index: CorpusIndex) throws -> (analysed: [String], failures: [Status], interrupted: Status?) {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        options.overlappingBatches = jobs == 1  // with -j, the other videos' threads keep the cores busy
        networkOptions.apply(to: &options)
        var network: EfficientNetLite?
        do { network = try loadNetwork(options) } catch {
            Terminal.error(error.userDescription)
            throw Failure(status: Status(error))
        }
        let interruption = Interruption()
        let signals = Terminal.stopOnSignals(interruption)
        defer { withExtendedLifetime(signals) {} }
        var quietAdder = VideoAdder(index: index, analysis: VideoAnalysis(options: options), quiet: log.quiet, interruption: interruption)
        quietAdder.announceSkips = false  // counted below: a rerun names every earlier video again
        let adder = quietAdder
        let results = adder.addAll(videos, jobs: jobs, network: &network, options: options, threadName: "framededupe.dataset")
        let failures = results.compactMap { if case .failed(let s) = $0 { s } else { nil } }
        let skipped = results.filter { if case .skipped = $0 { true } else { false } }.count
        if skipped > 0 && !log.quiet {
            Terminal.write("framededupe: \(Terminal.oneLine(output)): \(skipped) video\(skipped == 1 ? "" : "s") analysed already (in its index), not again\n")
        }
        if let signal = interruption.signal { return ([], failures, signal == SIGTERM ? .terminated : .interrupted) }
        // Their contents: by path from the index (read back, not hashed again), by hashing for a file indexed under
        // another name.
        let indexed = Dictionary((try? index.videos())?.map { ($0.path, $0.sha256) } ?? [], uniquingKeysWith: { a, _ in a })
        var shas: [String] = []
        for (v, result) in zip(videos, results) {
            if case .failed = result { continue }
            if let sha = indexed[CorpusIndex.absolute(v)] { shas.append(sha) } else if let identity = try? ContentIdentity.of(v) { shas.append(identity.sha256) }
        }
        return (shas, failures, nil)
    }

    func optionsRecord(_ splits: SplitFractions) -> JSONValue {
        .object([
            ("split", .string(splits.description)), ("seed", .int(Int64(bitPattern: seed))), ("keep", .string(keep)),
            ("diversity", keep == "diverse" ? .number(diversity, decimals: 6) : .null),
            ("per_cluster", perCluster.map { .int($0) } ?? .null), ("per_minute", perMinute.map { .number($0, decimals: 6) } ?? .null),
            ("min_sharpness", .number(minSharpness, decimals: 6)), ("dark_below", .number(darkBelow, decimals: 6)),
            ("bright_above", .number(brightAbove, decimals: 6)), ("min_contrast", .number(minContrast, decimals: 6)),
            ("min_side", .int(minSide)), ("max_side", maxSide.map { .int($0) } ?? .null), ("image_format", .string(imageFormat)),
            ("jpeg_quality", .int(jpegQuality)), ("format", .string(format)), ("shard_size", format == "webdataset" ? .int(shardSize) : .null),
            ("threshold", .number(threshold, decimals: 6)), ("group_by", groupBy.map { .string($0) } ?? .null),
            ("copy_radius", geometricCheck ? .number(copyRadius, decimals: 6) : .null), ("split_radius", .number(splitRadius, decimals: 6)),
        ])
    }
}

import ArgumentParser
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// The main job: scenes and keyframes of one video.
struct RunCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Find the unique frames of each input: scenes, content clusters, one picture per cluster (the default subcommand).",
        discussion: """
            Each input is sampled (--fps), cut into scenes of near-identical frames (Scene cuts), and its scenes \
            grouped by content into clusters (Clusters). Its folder gets unique/ (the pictures to keep: one per \
            cluster, or see --keep), keyframes/ (one picture per scene), clusters/ (links by cluster), \
            scenes.json and scenes.csv (every frame's scores, the scenes), clusters.json and clusters.csv, and \
            report.html. Files appear only when the run succeeds; a failed run leaves earlier results as they \
            were. SIGINT (Ctrl-C) or SIGTERM stops reading and writes valid partial results marked \
            "complete": false (status 130 or 143); a second signal quits at once.

            Where results go, whatever the number of inputs: each input gets a folder of its own, \
            <name>.framededupe/ in the current folder, or DIR/<name>/ with --into DIR; -o DIR names the folder of \
            exactly one input (refused with several). <name> is the input's file name without its extension; \
            inputs with the same stem are told apart by extension, then by parent folders. An input that fails \
            is reported on one line and the others finish (status 5). An input whose folder holds complete \
            results made with the same options is skipped unless --force.

            --print also writes results to standard output, which then carries nothing else: JSON Lines (scenes \
            streamed as each becomes final), JSON, CSV, TSV, image paths, timestamps, or lists ffmpeg reads back \
            (an ffconcat script, a select expression, chapters). A reader that closes the pipe early (| head) \
            ends the run quietly with status 0.

            EXAMPLES:
              Every video of a folder, two at a time, in results/<name>/:
                framededupe -j 2 --into results videos/*.mp4
              The unique pictures, copied for a script:
                framededupe clip.mp4 --print0 | xargs -0 cp -t dataset/
              The times of the unique frames, from ffmpeg:
                ffmpeg -i in.avi -f nut - |
                  framededupe - --print unique --format timestamps
              The deduplicated cut (one segment per cluster):
                framededupe clip.mp4 --print unique --format ffconcat > cut.ffconcat
                ffmpeg -f concat -safe 0 -i cut.ffconcat -c copy cut.mp4
              A chapter per scene:
                framededupe --no-output film.mkv --print scenes \\
                  --format chapters > chapters.txt
                ffmpeg -i film.mkv -i chapters.txt -map_metadata 1 \\
                  -c copy film-chapters.mkv
              Scenes as JSON Lines while the video is read, and no folder:
                framededupe clip.mp4 -o -
            """)

    @Argument(help: ArgumentHelp("Video files, URLs libavformat can open, or '-' for standard input (e.g. ffmpeg ... -f nut -), each with its own output folder.", valueName: "input"))
    var inputs: [String]

    @OptionGroup(title: "Input and sampling")
    var inputOptions: InputOptions

    @OptionGroup(title: "Scene cuts")
    var cuts: CutOptions

    @OptionGroup(title: "Clusters")
    var clusters: ClusterArguments

    @OptionGroup(title: "Output folder")
    var folder: FolderOptions

    @OptionGroup(title: "Results on standard output")
    var printOptions: PrintOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Jobs and messages")
    var jobsOption: JobsOption

    @OptionGroup(title: "Jobs and messages")
    var messages: MessageOptions

    // The groups' options under their own names, for the code below.
    var jobs: Int { jobsOption.jobs }
    var profile: Bool { jobsOption.profile }
    var scorer: ScorerKind { cuts.scorer }
    var cutRule: SceneBoundaryRule.Method { cuts.cutRule }
    var cutProbability: Double? { cuts.cutProbability }
    var ssimThreshold: Double { cuts.ssimThreshold }
    var cutThreshold: Double { cuts.cutThreshold }
    var embeddingThreshold: Double? { cuts.embeddingThreshold }
    var embeddingCutThreshold: Double? { cuts.embeddingCutThreshold }
    var cutRatio: Double? { cuts.cutRatio }
    var minCutChange: Double? { cuts.minCutChange }
    var ssimSize: Int { cuts.ssimSize }
    var minSceneLength: Double { cuts.minSceneLength }
    var clusterThreshold: Double? { clusters.clusterThreshold }
    var linkage: Linkage { clusters.linkage }
    var alpha: Double { clusters.alpha }
    var timeScale: Double { clusters.timeScale }
    var spatialCheck: Bool { clusters.spatialCheck }
    var geometricCheck: Bool { clusters.geometricCheck }
    var copyRadius: Double { clusters.copyRadius }
    var gridThreshold: Double { clusters.gridThreshold }
    var mirroredMatch: Bool { clusters.mirroredMatch }
    var shiftedMatch: Bool { clusters.shiftedMatch }
    var pca: Int { clusters.pca }
    var minClusterSize: Int { clusters.minClusterSize }
    var dendrogram: Bool { clusters.dendrogram }
    var output: String? { folder.output }
    var into: String? { folder.into }
    var noOutput: Bool { folder.noOutput }
    var noReport: Bool { folder.noReport }
    var force: Bool { folder.force }
    var overwrite: Bool { folder.overwrite }
    var resumeOptions: ResumeOptions { folder.resumeOptions }
    var keep: KeepPolicy { folder.keep }
    var diversity: Double? { folder.diversity }
    var imageFormat: StillImageFormat { folder.imageFormat }
    var maxSide: Int? { folder.maxSide }
    var jpegQuality: Int { folder.jpegQuality }
    var stats: String? { folder.stats }

    var linearAlgebraThreads: Int? { scorer.usesEmbedding ? networkOptions.blasThreads : nil }

    func validate() throws {
        if !(0...1).contains(ssimThreshold) { throw ValidationError("--ssim-threshold must be 0 to 1, got \(ssimThreshold)") }
        if !(11...4096).contains(ssimSize) { throw ValidationError("--ssim-size must be 11 to 4096, got \(ssimSize)") }
        if !(0...1).contains(cutThreshold) { throw ValidationError("--cut-threshold must be 0 to 1, got \(cutThreshold)") }
        if let clusterThreshold, !(0...1).contains(clusterThreshold) { throw ValidationError("--cluster-threshold must be 0 to 1, got \(clusterThreshold)") }
        if !(0...1280).contains(pca) { throw ValidationError("--pca must be 0 to 1280, got \(pca)") }
        if !(0...3600).contains(minSceneLength) { throw ValidationError("--min-scene-length must be 0 to 3600 seconds, got \(minSceneLength)") }
        try NumberRange.check(diversity, "--diversity", 0...2)
        if !(1...1000).contains(minClusterSize) { throw ValidationError("--min-cluster-size must be 1 to 1000, got \(minClusterSize)") }
        if !(0...1).contains(alpha) { throw ValidationError("--alpha must be 0 to 1, got \(alpha)") }
        if !(timeScale > 0) || !timeScale.isFinite { throw ValidationError("--time-scale must be a positive number of seconds, got \(timeScale)") }
        try NumberRange.check(timeScale, "--time-scale", 0...NumberRange.maximumSeconds, unit: "seconds")
        if !(0...1).contains(copyRadius) { throw ValidationError("--copy-radius must be 0 to 1, got \(copyRadius)") }
        if !(0...2).contains(gridThreshold) { throw ValidationError("--grid-threshold must be 0 to 2, got \(gridThreshold)") }
        try NumberRange.check(embeddingThreshold, "--embedding-threshold", 0...2)
        try NumberRange.check(embeddingCutThreshold, "--embedding-cut-threshold", 0...2)
        if let cutRatio, !(1...100).contains(cutRatio) { throw ValidationError("--cut-ratio must be 1 to 100, got \(cutRatio)") }
        if let minCutChange, !(0...2).contains(minCutChange) { throw ValidationError("--min-cut-change must be 0 to 2, got \(minCutChange)") }
        if let cutProbability, !(0...1).contains(cutProbability) { throw ValidationError("--cut-probability must be 0 to 1, got \(cutProbability)") }
        if cutProbability != nil && cutRule != .calibrated { throw ValidationError("--cut-probability is for --cut-rule calibrated") }
        try NumberRange.check(maxSide, "--max-side", 16...16_384, unit: "pixels")
        if !(2...31).contains(jpegQuality) { throw ValidationError("--jpeg-quality must be 2 to 31") }
        if noOutput, let output, output != "-" { throw ValidationError("--no-output writes no folder, yet -o names one (\(output))") }
        if let into {
            if output != nil { throw ValidationError("-o names one input's folder and --into a folder of folders: give one") }
            if noOutput { throw ValidationError("--no-output writes no folder, yet --into names one (\(into))") }
            if into == "-" { throw ValidationError("--into takes a folder; for results on standard output use -o - or --print") }
        }
        if let output, output != "-", Set(inputs).count > 1 {
            throw ValidationError("-o names the folder of one input's results, and \(Set(inputs).count) inputs were given: --into \(output) puts each input's in \(output)/<name>/ (for one input too)")
        }
        try checkConflicts()
        if pipeToPipe, printOptions.printer(outputIsStandardOutput: false)?.format == .paths {
            throw ValidationError("--format paths lists image files, and reading standard input to standard output framededupe writes none: give -o DIR for a folder of them")
        }
        try printOptions.validate(inputs: inputs, writesImages: writesFolder, outputIsStandardOutput: output == "-", output: output ?? into)
        if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input ('-') can be read only once") }
        if !(1...64).contains(jobs) { throw ValidationError("-j must be 1 to 64, got \(jobs)") }
        if jobs > 1 && networkOptions.blasThreads > 1 {
            // OpenBLAS 0.3.21 is not safe for multi-threaded calls made concurrently.
            throw ValidationError("-j \(jobs) runs one OpenBLAS thread per input: leave --blas-threads at 1")
        }
        if stats != nil && inputs.count > 1 { throw ValidationError("--stats writes one input's frames; give one input") }
    }

    /// Options given together that cannot both apply: a usage error naming both and the rule, rather than one of
    /// them silently ignored.
    func checkConflicts() throws {
        if scorer == .ssim {
            for (name, value) in [("--embedding-threshold", embeddingThreshold), ("--embedding-cut-threshold", embeddingCutThreshold)] where value != nil {
                throw ValidationError("\(name) judges the network's embedding, which --scorer ssim does not compute: leave it out, or use --scorer both")
            }
        }
        if diversity != nil && keep != .diverse {
            throw ValidationError("--diversity is for --keep diverse (which keeps frames that far from the others); --keep \(keep.rawValue) does not use it")
        }
        if !imageFormat.isAvailable {
            throw ValidationError("--image-format \(imageFormat.rawValue): this libavcodec has no \(imageFormat.rawValue) encoder (libwebp); choose jpg or png")
        }
        try inputOptions.checkConflicts(inputs: inputs)
    }

    /// False with `--no-output` or `-o -`, and for a pipe to a pipe: standard input the only input, results printed,
    /// and neither -o nor --into naming a folder (a ./stdin.framededupe/ that each such run replaced was nobody's).
    var writesFolder: Bool { !noOutput && output != "-" && !pipeToPipe }

    /// `ffmpeg ... | framededupe - --print ...` without -o or --into.
    var pipeToPipe: Bool {
        inputs.allSatisfy { $0 == "-" } && output == nil && into == nil && printOptions.printer(outputIsStandardOutput: false) != nil
    }

    /// The options of every input's analysis.
    func dedupeOptions() throws -> DedupeOptions {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        options.scorer = scorer
        options.rule = SceneBoundaryRule(
            ssimReference: ssimThreshold, ssimCut: cutThreshold,
            embeddingReference: embeddingThreshold ?? 0.4, embeddingCut: embeddingCutThreshold ?? 0.4)
        options.rule.method = cutRule
        options.rule.cutProbability = cutProbability
        if let cutRatio {
            options.rule.cutRatio = cutRatio
            options.rule.pixelCutRatio = cutRatio
        }
        if let minCutChange {
            options.rule.minimumContentChange = minCutChange
            options.rule.minimumPixelChange = minCutChange
        }
        networkOptions.apply(to: &options)
        resumeOptions.apply(to: &options)
        options.clustering.threshold = clusterThreshold ?? ClusterOptions.defaultThreshold(scorer: scorer)
        options.clustering.linkage = linkage
        options.clustering.alpha = alpha
        options.clustering.timeScale = timeScale
        options.clustering.spatialCheck = spatialCheck
        options.clustering.geometricCheck = geometricCheck
        options.clustering.copyRadius = copyRadius
        options.clustering.gridThreshold = gridThreshold
        options.clustering.mirroredMatch = mirroredMatch
        options.clustering.shiftedMatch = shiftedMatch
        options.clustering.minimumSize = minClusterSize
        options.keep = keep
        options.diversity = diversity ?? 0.15
        options.minimumSceneLength = minSceneLength
        options.clustering.principalComponents = pca
        options.dendrogram = dendrogram
        options.report = !noReport
        options.output.replaceForeign = overwrite
        options.ssimShortSide = ssimSize
        options.imageFormat = imageFormat
        options.maxSide = maxSide
        options.jpegQuality = jpegQuality
        options.overlappingBatches = jobs == 1  // with -j, the other inputs' threads keep the cores busy
        return options
    }

    func run() throws {
        messages.log.configureLog()
        if scorer != .ssim { KernelChoice.report() }
        try InputGuard.refuseOutputs([("--stats", stats), ("--select-file", printOptions.selectFile)], naming: inputs)
        let options = try dedupeOptions()
        let began = Date()
        var inputs: [String] = []
        for input in self.inputs {
            if inputs.contains(input) { Terminal.warning(input, "given more than once; analysed once") } else { inputs.append(input) }
        }
        let folders = OutputNames.folders(for: inputs, output: output, into: into, writesFolder: writesFolder)
        let printer = printOptions.printer(outputIsStandardOutput: output == "-")
        let out = BatchOutput(printer: printer)
        let interruption = Interruption()
        let signals = Terminal.stopOnSignals(interruption)
        defer { withExtendedLifetime(signals) {} }
        let progress = ProgressReporter(mode: messages.progress, quiet: messages.quiet, inputs: inputs.count, live: jobs == 1)
        let job = InputJob(options: options, inputOptions: inputOptions, stats: stats.map { URL(fileURLWithPath: $0) }, selectFile: printOptions.selectFile,
                           selectResults: printer?.results ?? .unique, progress: progress, interruption: interruption, profile: profile)
        // Resume: --select-file and --stats need the analysis; --print reads a skipped input's results back from its folder.
        let resumable = !force && printOptions.selectFile == nil && stats == nil
        let skip = inputs.indices.map { i in
            resumable && folders[i].map { completeResults(in: URL(fileURLWithPath: $0, isDirectory: true), input: inputs[i], options: job.options(for: inputs[i])) } == true
        }

        // One network per concurrent input, loaded before any input so that missing weights stop the run at once.
        let analysed = inputs.indices.filter { !skip[$0] }
        var network: EfficientNetLite? = nil
        if options.scorer.usesEmbedding && !analysed.isEmpty {
            do { network = try loadNetwork(options) } catch {
                Terminal.error(error.userDescription)
                throw Failure(status: Status(error))
            }
        }
        var outcomes = [InputOutcome](repeating: .notStarted, count: inputs.count)
        let jobs = min(self.jobs, max(1, analysed.count))
        if jobs == 1 {
            for i in inputs.indices {
                outcomes[i] = skip[i] ? job.skip(i, input: inputs[i], folder: folders[i], output: out)
                    : job.analyse(i, input: inputs[i], folder: folders[i], network: network, output: out)
            }
        } else {
            network = nil
            outcomes = job.analyseConcurrently(inputs: inputs, folders: folders, skip: skip, jobs: jobs, output: out)
        }

        do { try out.end() } catch {
            Terminal.error(error.description)
            throw Failure(status: .outputUnwritable)
        }
        let failures = outcomes.compactMap { if case .failed(let status) = $0 { status } else { nil } }
        if inputs.count > 1 && !out.readerGone {
            let done = outcomes.filter { if case .analysed = $0 { true } else { false } }.count
            let skipped = skip.filter { $0 }.count
            var line = "framededupe: \(inputs.count) inputs: \(done) analysed, \(skipped) skipped (complete results already there), \(failures.count) failed"
            let interrupted = outcomes.filter { if case .interrupted = $0 { true } else { false } }.count
            if interrupted > 0 { line += ", \(interrupted) interrupted (partial results)" }
            let stopped = outcomes.filter { if case .notStarted = $0 { true } else { false } }.count
            if stopped > 0 { line += ", \(stopped) not started (\(interruption.isRequested ? "stopped by a signal" : "standard output closed"))" }
            let seconds = Date().timeIntervalSince(began)
            progress.summary(line: line + String(format: " in %.1f s", seconds),
                             counts: ["analysed": done, "skipped": skipped, "failed": failures.count, "interrupted": interrupted, "not_started": stopped],
                             seconds: seconds)
        }
        if let signal = interruption.signal { throw Failure(status: signal == SIGTERM ? .terminated : .interrupted) }
        if failures.isEmpty { return }
        // Every input failed: say how; some did: partial.
        throw Failure(status: failures.count == inputs.count ? failures[0] : .partial)
    }
}

extension StillImageFormat: ExpressibleByArgument {}
extension Linkage: ExpressibleByArgument {}
extension KeepPolicy: ExpressibleByArgument {}
extension ScorerKind: ExpressibleByArgument {}
extension SceneBoundaryRule.Method: ExpressibleByArgument {}

import ArgumentParser
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// The main job: scenes and keyframes of one video.
struct RunCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Find the scenes of a video and write one keyframe image per scene (the default subcommand).",
        discussion: """
            Writes scenes.json, scenes.csv, keyframes/ (one image per scene), clusters.json, clusters.csv, \
            unique/ (one exemplar per content cluster) and clusters/ (symlinks by cluster) into the output folder. Files appear only when the \
            run succeeds; a failed run leaves earlier results untouched. SIGINT (Ctrl-C) or SIGTERM stops reading, finishes the \
            frames in flight and writes valid partial results marked "complete": false (exit 130, or 143 for SIGTERM); a second \
            signal quits at once.

            --print also writes results to standard output, which then carries nothing else: as JSON Lines (scenes \
            streamed as each becomes final), JSON, CSV, TSV, image paths, timestamps, or lists ffmpeg reads back: an \
            ffconcat script of the kept scenes, a select expression, FFMETADATA1 chapters. The output folder is still \
            written (first, so printed paths exist) unless --no-output or -o -. A reader that closes the pipe early \
            (| head) ends the run quietly with status 0.

            Where results go, whatever the number of inputs: each input gets a folder of its own, \
            <name>.framededupe/ in the current folder, or DIR/<name>/ with --into DIR; -o DIR names the folder of \
            exactly one input (several with -o are refused: a glob that matches one file or many puts results in \
            the same places with --into). <name> is the input's file name without its extension; inputs with the \
            same stem are told apart by extension, then by parent folders. An input that fails is \
            reported on one line and the others finish (status 5). An input whose folder already holds complete \
            results made with the same options (recorded in scenes.json) is skipped unless --force; with --print, \
            --select-file or --stats every input is analysed.

            EXAMPLES:
              Every video of a folder, two at a time, a folder each in results/ (a rerun skips finished ones):
                framededupe -j 2 --into results videos/*.mp4
              A training set from a folder of videos, varied frames of each in train/<name>/unique/:
                framededupe -j 2 --keep diverse --into train videos/*.mkv
              The unique images, for a script:
                framededupe clip.mp4 --print0 | xargs -0 cp -t dataset/
              The times of the unique frames, from ffmpeg:
                ffmpeg -i in.avi -f nut - | framededupe - --print unique --format timestamps
              The deduplicated cut (one segment per cluster):
                framededupe clip.mp4 --print unique --format ffconcat > cut.ffconcat
                ffmpeg -f concat -safe 0 -i cut.ffconcat -c copy cut.mp4
              The unique frames, extracted by ffmpeg:
                ffmpeg -i clip.mp4 -vf "select='$(framededupe -q --no-output clip.mp4 --print unique --format select)',setpts=N/FRAME_RATE/TB" u%03d.png
              A chapter per scene:
                framededupe --no-output film.mkv --print scenes --format chapters > chapters.txt
                ffmpeg -i film.mkv -i chapters.txt -map_metadata 1 -c copy film-chapters.mkv
              Scenes as JSON Lines while the video is read, and no folder:
                framededupe clip.mp4 -o -
            """)

    @Argument(help: ArgumentHelp("Video files, URLs libavformat can open, or '-' for standard input (e.g. ffmpeg ... -f nut -), each with its own output folder.", valueName: "input"))
    var inputs: [String]

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Inputs analysed at once, 1 to 64, each with its own network and decoder (~100 MB more memory per job at 720p) and one OpenBLAS thread.", valueName: "n"))
    var jobs: Int = 1

    @Flag(help: "Analyse inputs again even when their output folder already holds complete results made with the same options.")
    var force = false

    @Flag(help: "Write into an output folder that holds files framededupe did not write (no manifest of its own, or files added to it): its entries named like the results (keyframes/, unique/, clusters/, scenes.*, clusters.*, report.html, dendrogram.*) are replaced, everything else stays. Without it such a folder is refused (status 2). An input is never replaced.")
    var overwrite = false

    @OptionGroup var resumeOptions: ResumeOptions

    @OptionGroup(title: "Input and sampling")
    var inputOptions: InputOptions

    @Option(help: ArgumentHelp("Signals that score frames: 'ssim' (pixels), 'embed' (the network's content embedding) or 'both' (the embedding finds cuts, the pixels confirm them).", valueName: "ssim|embed|both"))
    var scorer: ScorerKind = .both

    @Option(help: ArgumentHelp("How scenes are cut: 'calibrated' (every signal together in a model fitted on the labelled dev set: embedding, SSIM and hash changes against their recent levels, the next frame, and the frames decoded between two samples, which place the cut at its frame; dissolves found as blends of their ends) or 'ratio' (the embedding against the scene's recent level, the pixels confirming: the rule before 0.2; the threshold and ratio options below are its).", valueName: "calibrated|ratio"))
    var cutRule: SceneBoundaryRule.Method = .calibrated

    @Option(help: ArgumentHelp("With --cut-rule calibrated: cut where the model's probability of a cut is at least this, 0 to 1 (lower: more cuts). Default: the model's own, 0.38 to 0.49 by scorer, the best boundary F1 on the dev set's tune part.", valueName: "p"))
    var cutProbability: Double?

    @Option(help: ArgumentHelp("A frame has left its scene in pixels when its SSIM to the scene's first frame is below this (confirms content cuts; with --scorer ssim, part of a jump cut), 0 to 1.", valueName: "ssim"))
    var ssimThreshold: Double = 0.5

    @Option(help: ArgumentHelp("With --scorer ssim, a jump cut also needs SSIM to the previous sampled frame below this, 0 to 1.", valueName: "ssim"))
    var cutThreshold: Double = 0.25

    @Option(help: ArgumentHelp("A jump cut needs the frame's embedding cosine distance to its scene's first frame above this (the content has left the scene), 0 to 2. Default: 0.4. Not with --scorer ssim.", valueName: "distance"))
    var embeddingThreshold: Double?

    @Option(help: ArgumentHelp("...and its distance to the previous sampled frame above this and at least twice the scene's recent level of change, 0 to 2. Default: 0.4. Not with --scorer ssim.", valueName: "distance"))
    var embeddingCutThreshold: Double?

    @Option(help: ArgumentHelp("Adaptive cuts: a smaller change cuts when it is at least this many times the scene's recent level of change (the mean over its last 4 frames) and the next frame is calm again, 1 to 100. Default: 4 with embeddings, 2 with --scorer ssim.", valueName: "ratio"))
    var cutRatio: Double?

    @Option(help: ArgumentHelp("Adaptive cuts: the smallest change that can cut (embedding cosine distance; 1 - SSIM with --scorer ssim), 0 to 2. Default: 0.06 with embeddings, 0.6 with --scorer ssim.", valueName: "change"))
    var minCutChange: Double?

    @Option(help: ArgumentHelp("Shorter side in pixels at which SSIM compares frames (an area-average of the analysis luma), 11 to 4096. Coarse is robust to motion.", valueName: "pixels"))
    var ssimSize: Int = 32

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The folder of one input's results (with several inputs, use --into). Default: ./<input name>.framededupe/ ('stdin.framededupe' for '-'). '-': no folder, results on standard output (--no-output, and --print scenes unless --print says otherwise).", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("A folder of results folders: each input's go in DIR/<name>/ (the input's file name without its extension), for one input as for many, so a glob that matches one file puts its results where it would among several.", valueName: "dir"))
    var into: String?

    @Flag(help: "Write no output folder: only what --print, --stats and --select-file ask for (no images, so image paths are null).")
    var noOutput = false

    @Flag(help: "Do not write report.html into the output folder (one self-contained page: the scenes on a timeline coloured by cluster, each cluster's thumbnails, every frame's scores with the thresholds and cuts, a PCA map of the scenes' embeddings).")
    var noReport = false

    @OptionGroup(title: "Results on standard output")
    var printOptions: PrintOptions

    @Option(help: ArgumentHelp("Image format of keyframes: jpg or png.", valueName: "jpg|png"))
    var imageFormat: StillImageFormat = .jpg

    @Option(help: ArgumentHelp("Longest side of keyframe images in pixels, 16 to 16384 (never upscaled). Default: the video's size.", valueName: "pixels"))
    var maxSide: Int?

    @Option(help: ArgumentHelp("JPEG quality as ffmpeg's -q:v, 2 (best) to 31.", valueName: "q"))
    var jpegQuality: Int = 3

    @Option(help: ArgumentHelp("Scenes closer than this join one content cluster: the distance d = (1 - alpha) * content + alpha * time, 0 to 1, where content is the cosine distance of the scenes' mean embeddings (1 - SSIM of their keyframes with --scorer ssim). Default: 0.35 (0.7 with --scorer ssim).", valueName: "distance"))
    var clusterThreshold: Double?

    @Option(help: ArgumentHelp("How cluster distances follow from scene distances: average, complete, single or ward.", valueName: "linkage"))
    var linkage: Linkage = .average

    @Option(help: ArgumentHelp("Weight of time in the scene distance, 0 (content only) to 1 (time only).", valueName: "alpha"))
    var alpha: Double = 0

    @Option(help: ArgumentHelp("Seconds of gap between two scenes at which their time distance reaches 1 (an absolute scale, never the video's length), above 0 and up to 1000000000.", valueName: "seconds"))
    var timeScale: Double = 60

    @Flag(inversion: .prefixedNo, help: "Check where things are in the picture before two scenes may share a cluster, so look-alikes (two halves of one photograph, two set-ups of one set) stay apart: by geometric verification of their keyframes (--geometric-check), else by 3x3 feature grids.")
    var spatialCheck = true

    @Flag(inversion: .prefixedNo, help: "Decide copy or look-alike by geometric verification of the scenes' keyframes (one scale-and-shift transform, mirror tried, that explains both pictures inside their black bars) instead of the 3x3 grids; copies farther apart than --cluster-threshold, up to --copy-radius, join.")
    var geometricCheck = true

    @Option(help: ArgumentHelp("With --geometric-check: scenes farther apart than --cluster-threshold, up to this distance, share a cluster when geometric verification finds them copies (letterboxed, windowboxed, low-bitrate), 0 to 1.", valueName: "distance"))
    var copyRadius: Double = 0.45

    @Option(help: ArgumentHelp("Mean per-cell cosine distance of the feature grids above which the spatial check keeps two scenes apart, 0 to 2.", valueName: "distance"))
    var gridThreshold: Double = 0.22

    @Flag(inversion: .prefixedNo, help: "Count mirrored (left-right flipped) copies as the same content in the spatial check.")
    var mirroredMatch = true

    @Flag(inversion: .prefixedNo, help: "Let the spatial check compare grids shifted by one cell too, so the same view further along a pan still matches.")
    var shiftedMatch = true

    @Option(help: ArgumentHelp("Project the scenes' embeddings onto their first N principal components (OpenBLAS/LAPACK) before clustering, 0 (off) to 1280; capped at the number of scenes - 1.", valueName: "n"))
    var pca: Int = 0

    @Option(help: ArgumentHelp("No cut within this many seconds of a scene's start: shorter scenes are absorbed into the scene before, 0 to 3600.", valueName: "seconds"))
    var minSceneLength: Double = 0

    @Option(help: ArgumentHelp("Clusters with fewer scenes than this are reported as singletons: they keep their scenes and exemplar but get no folder in clusters/ and are flagged in clusters.json, 1 to 1000.", valueName: "scenes"))
    var minClusterSize: Int = 1

    @Flag(help: "Also write the merge tree over the scenes as dendrogram.json (SciPy linkage-matrix rows) and dendrogram.svg (merge heights, the threshold, leaves labelled by scene and time).")
    var dendrogram = false

    @Option(help: ArgumentHelp("Which images go to unique/: 'cluster' (one exemplar per content cluster), 'scene' (every scene's keyframe) or 'diverse' (per cluster, the exemplar and every frame farther than --diversity from all frames kept in it: variety for training sets).", valueName: "cluster|scene|diverse"))
    var keep: KeepPolicy = .cluster

    @Option(help: ArgumentHelp("With --keep diverse: the content distance (embedding cosine distance, or 1 - SSIM with --scorer ssim) beyond which a frame counts as new, 0 to 2. Default: 0.15.", valueName: "distance"))
    var diversity: Double?

    @Option(help: ArgumentHelp("Also write every sampled frame's scores and the rule's decision to this CSV file (index, frame, pts, time, scene, decision, SSIM and embedding distances to the reference and previous frame, hash distance, sharpness, exposure, mean luma), for choosing thresholds.", valueName: "file"))
    var stats: String?

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

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
        try inputOptions.checkConflicts(inputs: inputs)
    }

    /// False with `--no-output` or `-o -`.
    var writesFolder: Bool { !noOutput && output != "-" }

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
        return options
    }

    func run() throws {
        inputOptions.configureLog()
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
        let progress = ProgressReporter(mode: inputOptions.progress, quiet: inputOptions.quiet, inputs: inputs.count, live: jobs == 1)
        let job = InputJob(options: options, inputOptions: inputOptions, stats: stats.map { URL(fileURLWithPath: $0) }, selectFile: printOptions.selectFile,
                           selectResults: printer?.results ?? .unique, progress: progress, interruption: interruption)
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
                Terminal.error(error.description)
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

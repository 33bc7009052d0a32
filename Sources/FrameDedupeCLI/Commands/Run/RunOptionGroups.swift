import ArgumentParser
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// `-j`: how many of `run`'s inputs are analysed at once.
struct JobsOption: ParsableArguments {
    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Inputs analysed at once, 1 to 64, each with its own network and decoder (~100 MB more memory per job at 720p) and one OpenBLAS thread.", valueName: "n"))
    var jobs: Int = 1

    @Flag(help: "After each input, write where its time went on stderr: per thread (decoding, encoding images, the network's second when it runs, the run's own: network, scene stages, writes, clustering, results) the seconds of each step and of the waits between threads, with the wall-clock and CPU time.")
    var profile = false
}

/// How `run` scores frames and cuts scenes.
struct CutOptions: ParsableArguments {
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

    @Option(help: ArgumentHelp("No cut within this many seconds of a scene's start: shorter scenes are absorbed into the scene before, 0 to 3600.", valueName: "seconds"))
    var minSceneLength: Double = 0
}

/// How `run` groups scenes into content clusters.
struct ClusterArguments: ParsableArguments {
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

    @Option(help: ArgumentHelp("Clusters with fewer scenes than this are reported as singletons: they keep their scenes and exemplar but get no folder in clusters/ and are flagged in clusters.json, 1 to 1000.", valueName: "scenes"))
    var minClusterSize: Int = 1

    @Flag(help: "Also write the merge tree over the scenes as dendrogram.json (SciPy linkage-matrix rows) and dendrogram.svg (merge heights, the threshold, leaves labelled by scene and time).")
    var dendrogram = false
}

/// Where `run` writes its results, and which images.
struct FolderOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The folder of one input's results (with several inputs, use --into). Default: ./<input name>.framededupe/ ('stdin.framededupe' for '-'). '-': no folder, results on standard output (--no-output, and --print scenes unless --print says otherwise).", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("A folder of results folders: each input's go in DIR/<name>/ (the input's file name without its extension), for one input as for many, so a glob that matches one file puts its results where it would among several.", valueName: "dir"))
    var into: String?

    @Flag(help: "Write no output folder: only what --print, --stats and --select-file ask for (no images, so image paths are null).")
    var noOutput = false

    @Flag(help: "Do not write report.html into the output folder (one self-contained page: the scenes on a timeline coloured by cluster, each cluster's thumbnails, every frame's scores with the thresholds and cuts, a PCA map of the scenes' embeddings).")
    var noReport = false

    @Flag(help: "Analyse inputs again even when their output folder already holds complete results made with the same options.")
    var force = false

    @Flag(help: "Write into an output folder that holds files framededupe did not write (no manifest of its own, or files added to it): its entries named like the results (keyframes/, unique/, clusters/, scenes.*, clusters.*, report.html, dendrogram.*) are replaced, everything else stays. Without it such a folder is refused (status 2). An input is never replaced.")
    var overwrite = false

    @OptionGroup var resumeOptions: ResumeOptions

    @Option(help: ArgumentHelp("Which images go to unique/: 'cluster' (one exemplar per content cluster), 'scene' (every scene's keyframe) or 'diverse' (per cluster, the exemplar and every frame farther than --diversity from all frames kept in it: variety for training sets).", valueName: "cluster|scene|diverse"))
    var keep: KeepPolicy = .cluster

    @Option(help: ArgumentHelp("With --keep diverse: the content distance (embedding cosine distance, or 1 - SSIM with --scorer ssim) beyond which a frame counts as new, 0 to 2. Default: 0.15.", valueName: "distance"))
    var diversity: Double?

    @Option(help: ArgumentHelp("Image format of keyframes: jpg, png or webp (with a libavcodec built with libwebp).", valueName: "jpg|png|webp"))
    var imageFormat: StillImageFormat = .jpg

    @Option(help: ArgumentHelp("Longest side of keyframe images in pixels, 16 to 16384 (never upscaled). Default: the video's size.", valueName: "pixels"))
    var maxSide: Int?

    @Option(help: ArgumentHelp("JPEG quality as ffmpeg's -q:v, 2 (best) to 31.", valueName: "q"))
    var jpegQuality: Int = 3

    @Option(help: ArgumentHelp("Also write every sampled frame's scores and the rule's decision to this CSV file (index, frame, pts, time, scene, decision, SSIM and embedding distances to the reference and previous frame, hash distance, sharpness, exposure, mean luma), for choosing thresholds.", valueName: "file"))
    var stats: String?
}

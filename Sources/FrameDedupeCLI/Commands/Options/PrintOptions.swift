import ArgumentParser
import FrameDedupe

/// `--print`, `--format`, `--print0`, `--select-file`: results on standard output, in forms ffmpeg and scripts read.
struct PrintOptions: ParsableArguments {
    @Option(name: .customLong("print"), help: ArgumentHelp("Also write these results to standard output: scenes, clusters, keyframes (one image per scene) or unique (the images of unique/). stdout then carries only that; progress and warnings stay on stderr.", valueName: "scenes|clusters|keyframes|unique"))
    var printed: PrintedResults?

    @Option(help: ArgumentHelp("How --print writes: json (one array), jsonl (an object per line; scenes as each becomes final, before the input ends), csv, tsv, timestamps (seconds for ffmpeg -ss, one per line), paths (image files), ffconcat (a list for ffmpeg -f concat -safe 0 -i: the kept scenes' segments), select (an expression for ffmpeg's select filter) or chapters (FFMETADATA1, scenes only). Default: jsonl for scenes and clusters, paths for keyframes and unique.", valueName: "format"))
    var format: ListFormat?

    @Flag(name: .customLong("print0"), help: "Image paths end with NUL instead of a newline (for xargs -0); implies --format paths, and --print unique unless --print says otherwise.")
    var nulTerminated = false

    @Option(help: ArgumentHelp("Also write a filter script selecting the frames of --print's results (default: unique) to this file, for ffmpeg -filter_script:v FILE: select='...',setpts=N/FRAME_RATE/TB. For long lists, where -vf \"select='...'\" would pass the limit of a command-line argument.", valueName: "file"))
    var selectFile: String?

    /// What `--print` prints, if anything: `--print0` alone means `--print unique`, and `-o -` alone `--print scenes`.
    func printer(outputIsStandardOutput: Bool) -> ResultPrinter? {
        let results = printed ?? (nulTerminated ? .unique : outputIsStandardOutput ? .scenes : nil)
        guard let results else { return nil }
        return ResultPrinter(results: results, format: format ?? (nulTerminated ? .paths : results.defaultFormat), nulTerminated: nulTerminated)
    }

    func validate(inputs: [String], writesImages: Bool, outputIsStandardOutput: Bool, output: String? = nil) throws {
        if format != nil && printed == nil && !nulTerminated {
            throw ValidationError("--format says how --print writes: add --print scenes|clusters|keyframes|unique")
        }
        if let printer = printer(outputIsStandardOutput: outputIsStandardOutput),
           let problem = printer.format.problem(printing: printer.results, inputs: inputs, writesImages: writesImages, nulTerminated: nulTerminated,
                                                         output: output) {
            throw ValidationError(problem)
        }
        if selectFile != nil && inputs.count > 1 { throw ValidationError("--select-file selects the frames of one input; give one input") }
        if selectFile == "-" { throw ValidationError("--select-file takes a file; for standard output use --format select") }
    }
}

extension PrintedResults: ExpressibleByArgument {}
extension ListFormat: ExpressibleByArgument {}

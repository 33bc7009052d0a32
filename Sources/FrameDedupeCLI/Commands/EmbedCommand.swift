import ArgumentParser
import Decoder
import Foundation
import FrameDedupe
import Similarity

/// `framededupe embed`: per-sampled-frame embeddings for users who do their own analysis.
struct EmbedCommand: ParsableCommand, RunsNetwork {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write the network's embedding of every sampled frame (.npy with a JSON sidecar, or JSON Lines).",
        discussion: """
            npy: an N x 1280 float32 array (L2-normalised EfficientNet-Lite global-average-pool features, one row per \
            sampled frame) and FILE.json beside it with each row's index, frame ordinal, pts and time. \
            jsonl: one object per frame, {"index", "frame", "pts", "time", "embedding": [...]}, written as frames are \
            embedded; '-o -' streams them to standard output.
            """)

    @Argument(help: ArgumentHelp("A video file, a URL libavformat can open, or '-' for standard input.", valueName: "input"))
    var input: String

    @OptionGroup(title: "Input and sampling")
    var inputOptions: InputOptions

    @OptionGroup(title: "Embedding network")
    var networkOptions: NetworkOptions

    @OptionGroup(title: "Messages")
    var messages: MessageOptions

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or '-' for standard output (jsonl only). Default: <input name>.embeddings.npy or .jsonl.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("npy (with a .json sidecar) or jsonl. Default: from the output's extension (.npy or .jsonl; an output with the other one is refused), else npy.", valueName: "npy|jsonl"))
    var format: EmbeddingFormat?

    enum EmbeddingFormat: String, ExpressibleByArgument, CaseIterable {
        case npy, jsonl
    }

    var resolvedFormat: EmbeddingFormat {
        if let format { return format }
        if output == "-" || output?.hasSuffix(".jsonl") == true { return .jsonl }
        return .npy
    }

    func validate() throws {
        if output == "-" && resolvedFormat == .npy { throw ValidationError("--format npy cannot go to standard output; use --format jsonl or a file") }
        if let format, let output, let named = EmbeddingFormat(rawValue: (output as NSString).pathExtension.lowercased()), named != format {
            throw ValidationError("--format \(format.rawValue) would write \(format == .npy ? "a NumPy array" : "JSON Lines") into '\(output)', whose extension says \(named.rawValue): leave --format out (it follows the extension) or name the file .\(format.rawValue)")
        }
        try inputOptions.checkConflicts(inputs: [input])
    }

    func run() throws {
        var options = DedupeOptions()
        options.reader = try inputOptions.readerOptions()
        networkOptions.apply(to: &options)
        let format = resolvedFormat
        let path = output ?? (OutputNames.stem(of: input) + ".embeddings." + format.rawValue)
        try InputGuard.refuseOutputs([("-o", path), ("-o", format == .npy ? path + ".json" : nil)], naming: [input])
        let progress = ProgressReporter(mode: messages.progress, quiet: messages.quiet, inputs: 1)
        let began = Date()
        let input = input
        let show: (RunProgress) -> Void = { progress.update($0, index: 0, input: input, elapsed: Date().timeIntervalSince(began)) }
        progress.started(0, input: input)
        do {
            let result: EmbeddingRun
            switch format {
            case .jsonl where path == "-":
                result = try embedFrames(input: input, options: options, progress: show) { (frame: EmbeddedFrame) throws(OutputError) in
                    try StandardOutput.writeLine(frame.jsonLine())
                }
            case .jsonl:
                let file = try AtomicFile(url: URL(fileURLWithPath: path))
                result = try embedFrames(input: input, options: options, progress: show) { (frame: EmbeddedFrame) throws(OutputError) in
                    try file.write(frame.jsonLine() + "\n")
                }
                try file.finish()
            case .npy:
                let url = URL(fileURLWithPath: path)
                let writer = try NPYWriter(url: url, columns: 1280)
                var rows: [JSONValue] = []
                result = try embedFrames(input: input, options: options, progress: show) { (frame: EmbeddedFrame) throws(OutputError) in
                    try writer.append(frame.embedding.vector)
                    rows.append(.object([
                        ("index", .int(frame.index)), ("frame", .int(frame.ordinal)), ("pts", .int(frame.timestamp.pts)),
                        ("time", .seconds(frame.seconds)),
                    ]))
                }
                try writer.finish()
                let v = result.video
                let sidecar: JSONValue = .object([
                    ("version", .int(1)),
                    ("input", .string(v.input)),
                    ("array", .string(url.lastPathComponent)),
                    ("shape", .array([.int(rows.count), .int(1280)])),
                    ("model", .string("efficientnet-" + options.modelVariant.rawValue)),
                    ("network_input", .string(options.networkInput.rawValue)),
                    ("time_base", .string("\(v.timeBase.numerator)/\(v.timeBase.denominator)")),
                    ("start_time", .seconds(v.startSeconds)),
                    ("sampling_fps", .string(options.reader.sampling.description)),
                    ("frames", .array(rows)),
                ])
                try writeAtomically(sidecar.serialized() + "\n", to: URL(fileURLWithPath: path + ".json"))
            }
            StatusLine.shared.clear()
            for warning in result.warnings { Terminal.warning(input, warning) }
            progress.embedded(0, input: input, frames: result.frames, seconds: Date().timeIntervalSince(began), output: path)
        } catch let error as RunError {
            StatusLine.shared.clear()
            if case .output(let e) = error, e.path == StandardOutput.name, e.reason == StandardOutput.closed {
                throw Failure(status: .ok)  // the reader of our output went away (e.g. `| head`): stop quietly
            }
            Terminal.error(error.userDescription)
            progress.failed(0, input: input, status: Status(error), message: error.userDescription)
            throw Failure(status: Status(error))
        } catch let error as OutputError {
            Terminal.error(error.description)
            progress.failed(0, input: input, status: .outputUnwritable, message: error.description)
            throw Failure(status: .outputUnwritable)
        }
    }
}

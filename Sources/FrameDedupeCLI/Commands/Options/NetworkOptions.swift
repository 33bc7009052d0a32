import ArgumentParser
import Foundation
import FrameDedupe
import Similarity

/// Options of the embedding network, shared by every subcommand that runs it.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The network's weights (a safetensors file written by 'make model'). Default: $FRAMEDEDUPE_MODEL, else efficientnet-<variant>.safetensors in ~/.local/share/framededupe/models/ ($XDG_DATA_HOME), else in the share/framededupe/models/ folder beside the binary's bin/ (where make install puts them).", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("EfficientNet-Lite variant of the weights: lite0 (224 px input), lite1 (240 px) or lite2 (260 px).", valueName: "variant"))
    var modelVariant: EfficientNetVariant = .lite0

    @Option(help: ArgumentHelp("How a frame is shown to the network: 'whole' (the whole frame resized to the square input) or 'center' (ImageNet's centred crop of 7/8 of the shorter side).", valueName: "whole|center"))
    var networkInput: NetworkInput = .whole

    @Option(help: ArgumentHelp("Frames embedded together, 1 to 256.", valueName: "n"))
    var batch: Int = 8

    @Option(help: ArgumentHelp(
        "Threads for the network, 1 to 64: a batch's frames are split between them (a single frame uses as many OpenBLAS threads). The decoder has its own threads.",
        valueName: "n"))
    var blasThreads: Int = 1

    @Option(help: ArgumentHelp(
        "When a sampled frame takes the embedding of the last frame the network saw instead of a call of its own: 'SSIM[,BITS]' (the least SSIM at analysis size, the most bits either hash may differ) or 'off' (for measuring other rules than the default).",
        valueName: "ssim[,bits]|off", visibility: .hidden))
    var unchangedFrames: String?

    @Option(help: ArgumentHelp(
        "Which sampled frames go through the network: 'cascade' (the default: only those near a cut decision the pixels leave open; the others take the last embedded frame's embedding) or 'all'.",
        valueName: "cascade|all", visibility: .hidden))
    var networkFrames: NetworkFrames = .cascade

    /// ``unchangedFrames`` read: nil when not given, `.some(nil)` for off.
    private var unchangedFrameRule: UnchangedFrameRule?? {
        get throws {
            guard let unchangedFrames else { return nil }
            if unchangedFrames == "off" { return .some(nil) }
            let parts = unchangedFrames.split(separator: ",", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let ssim = Double(parts[0]), (0...1).contains(ssim),
                  let bits = parts.count == 2 ? Int(parts[1]) : 0, (0...64).contains(bits) else {
                throw ValidationError("--unchanged-frames must be SSIM[,BITS] (0 to 1, 0 to 64) or off, got \(unchangedFrames)")
            }
            return UnchangedFrameRule(minimumSSIM: ssim, maximumHashDistance: bits)
        }
    }

    func validate() throws {
        _ = try unchangedFrameRule
        if !(1...256).contains(batch) { throw ValidationError("--batch must be 1 to 256, got \(batch)") }
        if !(1...64).contains(blasThreads) { throw ValidationError("--blas-threads must be 1 to 64, got \(blasThreads)") }
    }

    func apply(to options: inout DedupeOptions) {
        options.model = model.map { URL(fileURLWithPath: $0) } ?? Self.installedModel(modelVariant)
        options.modelVariant = modelVariant
        options.networkInput = networkInput
        options.batchSize = batch
        options.linearAlgebraThreads = blasThreads
        if let rule = try? unchangedFrameRule { options.unchangedFrames = rule }
        options.networkFrames = networkFrames
    }
}

extension NetworkOptions {
    /// The weights `make install` put beside the binary, `PREFIX/share/framededupe/models/<file>` for the binary
    /// `PREFIX/bin/framededupe`, when neither `$FRAMEDEDUPE_MODEL` nor the user's data folder has them (the
    /// user's own weights come first, as XDG data folders do); nil otherwise, for the library's default place.
    static func installedModel(_ variant: EfficientNetVariant,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let own = variant.defaultModelLocation(environment: environment)
        if FileManager.default.fileExists(atPath: own.path) { return nil }
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let installed = binary.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/framededupe/models/\(variant.fileName)")
        return FileManager.default.fileExists(atPath: installed.path) ? installed : nil
    }
}

extension EfficientNetVariant: ExpressibleByArgument {}
extension NetworkInput: ExpressibleByArgument {}
extension NetworkFrames: ExpressibleByArgument {}

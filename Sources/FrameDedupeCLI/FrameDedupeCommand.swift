import ArgumentParser
import Decoder
import Foundation
import FrameDedupe

/// `framededupe`: the root command. `framededupe <input>` runs ``RunCommand``.
@main
struct FrameDedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framededupe",
        abstract: "Find the unique frames in video: scenes, content clusters and one picture per cluster.",
        discussion: """
            'framededupe INPUT...' runs the 'run' subcommand. It samples each input by presentation time, scores \
            every sampled frame by its pixels (SSIM) and its content (an EfficientNet-Lite0 embedding), cuts the \
            input into scenes of near-identical frames, groups the scenes that show the same thing into clusters, \
            and writes a folder per input: unique/ (the pictures to keep, one per cluster), keyframes/ (one per \
            scene), scenes.json, clusters.json, their CSV files and report.html. Inputs are video files, URLs, \
            '-' for standard input, folders of pictures and numbered patterns (frames/%04d.png).

            Where results go, however many inputs a glob yields: each input gets a folder of its own, \
            <name>.framededupe/ in the current folder, or DIR/<name>/ with --into DIR (<name>: the input's file \
            name without its extension). -o DIR names the folder of exactly one input. 'framededupe run --help' \
            lists every option.

            EXAMPLES (each runs as it stands beside clip.mp4, videos/ and photos/):
              The unique frames of a clip: one picture per kind of content
                framededupe clip.mp4
                ls clip.framededupe/unique/
              A folder of videos, two at a time: varied frames of each in train/<name>/
                framededupe -j 2 --keep diverse --into train videos/*.mp4
              A folder of photos on their capture times: photos hours apart stay apart
                framededupe photos --image-time exif --alpha 0.3 --time-scale 3600
              From ffmpeg to a script: the times of the unique frames, one a line
                ffmpeg -v error -i clip.mp4 -f nut - |
                  framededupe - --print unique --format timestamps
              The deduplicated cut: one segment per cluster, in time order
                framededupe clip.mp4 --print unique --format ffconcat > cut.ffconcat
                ffmpeg -v error -f concat -safe 0 -i cut.ffconcat -c copy cut.mp4

            EXIT STATUS:
              0    success
              1    internal error
              2    usage error, before anything is read or written: a bad value,
                   options that conflict, an output that names an input, a folder
                   holding files framededupe did not write (without --overwrite)
              3    an input cannot be read (missing, not a video, a playlist without
                   --allow-playlists, over --max-memory, no frame in --start/--end),
                   or the network's weights are missing or unreadable
              4    an output cannot be written (disk full, permissions), or another
                   run is writing the same folder or index
              5    some inputs failed, the others finished
              130  interrupted by SIGINT (Ctrl-C): valid partial results, marked
                   "complete": false
              143  terminated by SIGTERM: the same
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, EmbedCommand.self, EvalCommand.self, TuneCommand.self, IndexCommand.self, DatasetCommand.self, DoctorCommand.self],
        defaultSubcommand: RunCommand.self)

    static func main() {
        // OpenBLAS chose its kernels while it loaded: when it took this CPU for an older one, start again with the
        // right ones (before anything is read, any thread started or any signal changed).
        KernelChoice.correctAtStartUp()
        // A standard stream the caller closed (`<&-`) would be taken by the next file opened: '-' would then
        // read, or --print write, an unrelated file. Each is held open on /dev/null instead.
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 {
            _ = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY)  // the lowest free descriptor: fd
        }
        signal(SIGPIPE, SIG_IGN)  // a closed stdout is handled where data is written
        signal(SIGXFSZ, SIG_IGN)  // a file-size limit (ulimit -f) fails the write (EFBIG, status 4) instead of killing us
        Log.bootstrap()
        let arguments = FileSystemName.arguments()
        if arguments.isEmpty {
            // Not the whole help, which would scroll the one line that matters out of sight.
            Terminal.write("""
                framededupe: no input given
                Usage: framededupe [run] <input>... [-o DIR | --into DIR] [options]
                  'framededupe --help' says more, with examples; 'man framededupe' has the manual.

                """)
            Foundation.exit(Status.usage.rawValue)
        }
        do {
            // Arguments as bytes: a file name that is not UTF-8 still names its file (FileSystemName).
            var command = try parseAsRoot(negativeValuesAttached(arguments))
            configure(libraryConfiguration(for: command))
            try command.run()
        } catch let failure as Failure {
            Foundation.exit(failure.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: print and succeed.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if code == .validationFailure {
                Terminal.write(fullMessage(for: error) + "\n")
                Foundation.exit(Status.usage.rawValue)
            }
            Terminal.error("\(error)")
            Foundation.exit(Status.internalError.rawValue)
        }
    }
}

/// `--fps -1` as `--fps=-1`: the parser takes a word that starts with `-` for an option, so a negative value
/// would be "missing" and never reach the option's range check; attached, it does, and the error names the
/// option and its range. `-j -2` becomes `--jobs=-2` likewise.
func negativeValuesAttached(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var i = 0
    while i < arguments.count {
        let word = arguments[i]
        if word == "--" { return result + arguments[i...] }
        let next = i + 1 < arguments.count ? arguments[i + 1] : ""
        let negative = next.wholeMatch(of: /-(\.?[0-9].*|inf(inity)?|nan)/.ignoresCase()) != nil
        if negative, word == "-j" || (word.hasPrefix("--") && word.count > 2 && !word.contains("=")) {
            result.append((word == "-j" ? "--jobs" : word) + "=" + next)
            i += 2
        } else {
            result.append(word)
            i += 1
        }
    }
    return result
}

/// A subcommand that runs the network: how many threads OpenBLAS gets (nil when this run never uses it).
protocol RunsNetwork {
    var networkOptions: NetworkOptions { get }
    var linearAlgebraThreads: Int? { get }
}

extension RunsNetwork {
    /// --blas-threads: the subcommand always runs the network.
    var linearAlgebraThreads: Int? { networkOptions.blasThreads }
}

/// The process-wide settings of libav and OpenBLAS for `command`: libav quiet (the tool reports problems in its
/// own words) unless FRAMEDEDUPE_LIBAV_LOG is set, for looking into a file libav does not like; OpenBLAS's threads
/// from the subcommand's --blas-threads when it runs the network.
func libraryConfiguration(for command: ParsableCommand, environment: [String: String] = ProcessInfo.processInfo.environment) -> LibraryConfiguration {
    LibraryConfiguration(libavLog: environment["FRAMEDEDUPE_LIBAV_LOG"] == nil ? .quiet : .info,
                         linearAlgebraThreads: (command as? RunsNetwork)?.linearAlgebraThreads)
}

import ArgumentParser
import Decoder
import Foundation
import FrameDedupe

/// `framededupe`: the root command. `framededupe <input>` runs ``RunCommand``.
@main
struct FrameDedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framededupe",
        abstract: "Find the unique frames in video: scenes, keyframes and near-duplicate groups, decoded with libav.",
        discussion: """
            'framededupe INPUT' runs the 'run' subcommand: it samples the video by presentation time, groups \
            near-duplicate frames into scenes (SSIM against the scene's first frame and the previous frame, \
            perceptual hashes first), and writes scenes.json, scenes.csv and one keyframe image per scene.

            EXAMPLES (each runs as it stands beside clip.mp4, videos/ and photos/; README.md has the same):
              Unique frames from a clip: one image per kind of content, in clip.framededupe/unique/
                framededupe clip.mp4
                ls clip.framededupe/unique/
              A training set from a folder of videos: varied frames of each in train/<name>/unique/
                framededupe -j 2 --keep diverse -o train videos/*.mp4
              Piping from ffmpeg: any container on standard input, or raw frames with --raw
                ffmpeg -v error -i clip.mp4 -f nut - | framededupe - --print unique --format timestamps
                ffmpeg -v error -i clip.mp4 -f rawvideo -pix_fmt gray - | framededupe - --raw 640x360:gray:25 -o from-raw
              Cutting a deduplicated video: one segment per cluster, in time order
                framededupe clip.mp4 --print unique --format ffconcat > cut.ffconcat
                ffmpeg -v error -f concat -safe 0 -i cut.ffconcat -c copy cut.mp4
              JSON for scripts: each cluster's exemplar, its time and its image, with jq
                framededupe -q clip.mp4 --print clusters --format json | jq -r '.[] | "\\(.id) \\(.exemplar.time) \\(.exemplar.path)"'
              Tuning thresholds from --stats: time, change, recent level and rule of each cut; then a stricter cut ratio
                framededupe -q clip.mp4 --no-output --stats stats.csv
                awk -F, 'NR == 1 || $6 == "cut"' stats.csv | cut -d, -f4,16,17,19
                framededupe clip.mp4 --cut-ratio 6 -o stricter
              A photo folder on its capture times (EXIF DateTimeOriginal): photos hours apart do not share a cluster
                framededupe photos --image-time exif --alpha 0.3 --time-scale 3600

            EXIT STATUS: 0 ok; 1 internal error; 2 usage error, nothing read or written (a bad or non-finite value, an \
            output naming an input or the index, an output folder holding files framededupe did not write without \
            --overwrite, a name --format ffconcat or paths cannot carry); 3 input unreadable (also a local playlist \
            without --allow-playlists, pictures over --max-memory, a --start/--end range without frames, an index \
            that is not framededupe's or is newer); 4 output unwritable (also a folder or index in use by another \
            run); 5 partial (some inputs failed); 130 interrupted (SIGINT); 143 terminated (SIGTERM). Both signals \
            leave valid partial results marked "complete": false; an input still waiting for its first bytes (a FIFO \
            without a writer) ends at once. A run that fails leaves earlier results and the user's files as they were.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, EmbedCommand.self, EvalCommand.self, TuneCommand.self, IndexCommand.self, DoctorCommand.self],
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
        do {
            // Arguments as bytes: a file name that is not UTF-8 still names its file (FileSystemName).
            var command = try parseAsRoot(FileSystemName.arguments())
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

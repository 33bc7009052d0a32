import ArgumentParser
import Foundation

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

            EXAMPLES:
              Scenes and keyframes of a clip, into ./clip.framededupe/:
                framededupe clip.mp4
              One frame a second, results in out/:
                framededupe --fps 1 -o out talk.mkv
              Key frames only, several times faster on long films:
                framededupe --decode keyframes film.mkv
              From a pipe:
                ffmpeg -i in.avi -f nut - | framededupe - -o out
              The keyframe images, for scripts:
                jq -r '.scenes[].keyframe.path' out/scenes.json

            EXIT STATUS: 0 ok; 1 internal error; 2 usage error; 3 input unreadable; 4 output unwritable; \
            5 partial (some inputs failed); 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, EmbedCommand.self, EvalCommand.self, TuneCommand.self, IndexCommand.self],
        defaultSubcommand: RunCommand.self)

    static func main() {
        // A standard stream the caller closed (`<&-`) would be taken by the next file opened: '-' would then
        // read, or --print write, an unrelated file. Each is held open on /dev/null instead.
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 {
            _ = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY)  // the lowest free descriptor: fd
        }
        signal(SIGPIPE, SIG_IGN)  // a closed stdout is handled where data is written
        signal(SIGXFSZ, SIG_IGN)  // a file-size limit (ulimit -f) fails the write (EFBIG, status 4) instead of killing us
        Log.bootstrap()
        do {
            var command = try parseAsRoot()
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

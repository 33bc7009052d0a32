import ArgumentParser
import Foundation

/// `framededupe`: the root command. `framededupe <input>` runs ``RunCommand``.
@main
struct FrameDedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framededupe",
        abstract: "Find the unique frames in video: scenes, keyframes and near-duplicate groups, decoded with libav.",
        discussion: """
            EXIT STATUS: 0 ok; 1 internal error; 2 usage error; 3 input unreadable; 4 output unwritable; \
            5 partial (some inputs failed); 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self],
        defaultSubcommand: RunCommand.self)

    static func main() {
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

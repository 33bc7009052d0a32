import Foundation
import Testing
import _FrameDedupeTestSupport

/// man/framededupe.1 is generated (`make man`) from the command-line definitions; this fails when it is stale.
@Suite("Man page is in sync", .temporaryFolders)
struct ManualTests {
    @Test func everyOptionAndItsHelpIsInTheManPage() throws {
        let manual = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("man/framededupe.1"), encoding: .utf8)
        let dump = try Fixtures.framededupe(["--experimental-dump-help"])
        #expect(dump.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var commands = [try #require(root["command"] as? [String: Any])]
        var checked = 0
        while let command = commands.popLast() {
            commands += (command["subcommands"] as? [[String: Any]]) ?? []
            for argument in (command["arguments"] as? [[String: Any]]) ?? [] {
                guard (argument["shouldDisplay"] as? Bool) ?? true, let abstract = argument["abstract"] as? String else { continue }
                for name in (argument["names"] as? [[String: Any]]) ?? [] where name["kind"] as? String == "long" {
                    let long = try #require(name["name"] as? String)
                    guard long != "help" && long != "version" && long != "experimental-dump-help" else { continue }
                    #expect(manual.contains("Fl -\(long)") || manual.contains(" , -\(long)"), "man page lacks --\(long): run 'make man'")
                }
                #expect(manual.contains(mdocEscaped(abstract)), "man page lacks or has stale help '\(abstract)': run 'make man'")
                checked += 1
            }
        }
        #expect(checked > 10)
    }

    /// The generator writes `\` as `\\` in running text, and drops `…` (U+2026) from option help.
    private func mdocEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "…", with: "")
    }
}

/// README's examples run as they stand (scripts/check-examples.sh), and the man page carries the same commands.
@Suite("README and man page examples", .temporaryFolders)
struct ExamplesTests {
    private var readme: String { (try? String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? "" }

    /// The command lines of README's examples block.
    private var commands: [String] {
        guard let start = readme.range(of: "<!-- examples:begin -->"), let end = readme.range(of: "<!-- examples:end -->") else { return [] }
        return readme[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.hasPrefix("```") && !$0.isEmpty }
    }

    @Test func theManPageHasEveryReadmeExample() throws {
        let manual = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("man/framededupe.1"), encoding: .utf8)
        #expect(commands.count >= 10)
        for command in commands {
            // The generator writes a backslash in a discussion as mdoc's `\e`.
            #expect(manual.contains(command.replacingOccurrences(of: "\\", with: "\\e")), "man page lacks '\(command)': update FrameDedupeCommand's discussion and run 'make man'")
        }
        #expect(manual.contains("143 terminated (SIGTERM)"))
    }

    @Test func everyReadmeExampleRuns() throws {
        let result = try Fixtures.run("bash", [Fixtures.packageRoot.appendingPathComponent("scripts/check-examples.sh").path],
                                      environment: ["FRAMEDEDUPE": Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("check-examples: \(commands.count) commands ran"), "stdout: \(result.stdout)")
    }
}

import Foundation
import Testing
import _FrameDedupeTestSupport

/// man/framededupe.1 is generated (`make man`) from the command-line definitions; this fails when it is stale.
@Suite("Man page is in sync")
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

    /// The generator writes `\` as `\\` in running text.
    private func mdocEscaped(_ text: String) -> String { text.replacingOccurrences(of: "\\", with: "\\\\") }
}

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

    /// The generator writes `\` as `\\` in running text, and drops `…` (U+2026) from option help; `make man`
    /// writes `-` as `\-` (scripts/man-postprocess.py).
    private func mdocEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "…", with: "").replacingOccurrences(of: "-", with: "\\-")
    }

    /// The page as `man` shows it, at 80 columns, without bold and underline.
    static func rendered() throws -> BoundedRun {
        try Fixtures.run("groff", ["-mdoc", "-ww", "-Tutf8", "-P-cbou", "-rLL=80n", Fixtures.packageRoot.appendingPathComponent("man/framededupe.1").path])
    }

    /// Rendered by groff with every warning on, the page has none, no U+2010 hyphen where a command needs `-`, and the
    /// sections a man page owes its reader: every exit status, the output folder, the jsonl events, files, environment.
    @Test func theManPageRendersCleanWithEverySection() throws {
        let man = try Self.rendered()
        #expect(man.status == 0 && man.stderr.isEmpty, "groff warns: \(man.stderr)")
        #expect(!man.stdout.contains("\u{2010}"), "a hyphen where a command needs '-'")
        let lines = man.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func section(_ name: String) -> [String] {
            guard let start = lines.firstIndex(of: name) else { return [] }
            let end = lines[(start + 1)...].firstIndex { $0.first?.isUppercase == true } ?? lines.endIndex
            return Array(lines[(start + 1)..<end])
        }
        let status = section("EXIT STATUS").compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }
        #expect(status == [0, 1, 2, 3, 4, 5, 130, 143], "EXIT STATUS lists \(status)")
        #expect(!man.stdout.contains(">0 if an error occurs"))
        let events = section("PROGRESS EVENTS").joined(separator: "\n")
        for event in ["start", "progress", "finish", "skip", "error", "summary"] {
            #expect(events.contains("\n     \(event)"), "PROGRESS EVENTS lacks \(event)")
        }
        for name in ["OUTPUT", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"] { #expect(!section(name).isEmpty, "no \(name) section") }
        for group in ["INPUT AND SAMPLING", "SCENE CUTS", "CLUSTERS", "OUTPUT FOLDER", "JOBS AND MESSAGES"] {
            #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces) == group }, "run's options lack the group \(group)")
        }
    }
}

/// The examples of README.md and docs/usage.md run as they stand (scripts/check-examples.sh); `framededupe --help`
/// and the man page show README's, line for line; docs/usage.md's option table is `run`'s options.
@Suite("README and man page examples", .temporaryFolders)
struct ExamplesTests {
    private static func text(_ path: String) -> String {
        (try? String(contentsOf: Fixtures.packageRoot.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    /// The lines of a document's examples block: commands, and continuation lines (indented) of the one before.
    private static func exampleLines(_ path: String) -> [String] {
        let text = text(path)
        guard let start = text.range(of: "<!-- examples:begin -->"), let end = text.range(of: "<!-- examples:end -->") else { return [] }
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.hasPrefix("```") && !$0.isEmpty }
    }

    private static func commandCount(_ lines: [String]) -> Int { lines.filter { !$0.hasPrefix(" ") }.count }

    @Test func helpAndTheManPageHaveEveryReadmeExample() throws {
        let manualLines = try ManualTests.rendered().stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let lines = Self.exampleLines("README.md")
        #expect(Self.commandCount(lines) >= 5)
        let help = try Fixtures.run(Fixtures.binary.path, ["--help"], environment: ["COLUMNS": "80"])
        #expect(help.status == 0)
        let helpLines = help.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for line in lines {
            let command = line.trimmingCharacters(in: .whitespaces)
            #expect(manualLines.contains(command), "the man page lacks the line '\(command)': update FrameDedupeCommand's discussion and run 'make man'")
            #expect(helpLines.contains(command), "--help at 80 columns lacks the line '\(command)'")
        }
        // Nothing of the help wraps mid-command at 80 columns: every line fits.
        for text in [help.stdout] {
            for line in text.split(separator: "\n") { #expect(line.count <= 80, "longer than 80 columns: \(line)") }
        }
    }

    /// Help written for people: every subcommand's examples survive 80 columns (no line of them wrapped to the
    /// margin), `run`'s options come in the groups of the man page with nothing left in a catch-all OPTIONS, the
    /// index subcommands list no option they do not use, and a bare `framededupe` is a short usage and a hint.
    @Test func helpFitsEightyColumnsAndGroupsItsOptions() throws {
        let commands = [[], ["run"], ["embed"], ["eval"], ["tune"], ["index"], ["index", "add"], ["index", "dedupe"], ["index", "search"],
                        ["index", "stats"], ["index", "remove"], ["index", "export"], ["dataset"]]
        var helps: [String: String] = [:]
        for command in commands {
            let help = try Fixtures.run(Fixtures.binary.path, command + ["--help"], environment: ["COLUMNS": "80"])
            #expect(help.status == 0)
            helps[command.joined(separator: " ")] = help.stdout
            var inExamples = false
            for line in help.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("EXAMPLES") { inExamples = true; continue }
                if line.isEmpty { inExamples = false }
                #expect(!inExamples || line.hasPrefix("  "), "'\(command.joined(separator: " "))' --help wraps an example at 80 columns: \(line)")
            }
        }
        let run = try #require(helps["run"])
        let sections = run.split(separator: "\n").filter { $0.first?.isUppercase == true && $0.hasSuffix(":") }.map(String.init)
        #expect(sections == ["EXAMPLES:", "ARGUMENTS:", "INPUT AND SAMPLING:", "SCENE CUTS:", "CLUSTERS:", "OUTPUT FOLDER:", "RESULTS ON STANDARD OUTPUT:",
                             "EMBEDDING NETWORK:", "JOBS AND MESSAGES:", "OPTIONS:"], "\(sections)")
        let catchAll = try #require(run.components(separatedBy: "\nOPTIONS:\n").last)
        #expect(catchAll.split(separator: "\n").filter { $0.hasPrefix("  -") }.count == 2, "run's OPTIONS holds more than --version and --help:\n\(catchAll)")
        let messages = try #require(run.components(separatedBy: "JOBS AND MESSAGES:").last?.components(separatedBy: "OPTIONS:").first)
        for option in ["-j, --jobs", "-q, --quiet", "-v ", "--progress"] { #expect(messages.contains(option), "JOBS AND MESSAGES lacks \(option)") }
        for command in ["index add", "index search"] {
            for option in ["--raw", "--image-time", "--image-rate", "--progress"] {
                #expect(helps[command]?.contains(option) == false, "'\(command) --help' lists \(option), which it does not use")
            }
        }
        let bare = try Fixtures.framededupe([])
        #expect(bare.status == 2 && bare.stdout.isEmpty)
        #expect(bare.stderr.split(separator: "\n").count <= 4 && bare.stderr.contains("Usage: framededupe") && bare.stderr.contains("--help"),
                "stderr: \(bare.stderr)")
    }

    @Test func everyExampleRuns() throws {
        let result = try Fixtures.run("bash", [Fixtures.packageRoot.appendingPathComponent("scripts/check-examples.sh").path],
                                      environment: ["FRAMEDEDUPE": Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let count = Self.commandCount(Self.exampleLines("README.md")) + Self.commandCount(Self.exampleLines("docs/usage.md"))
        #expect(result.stdout.contains("check-examples: \(count) commands ran"), "stdout: \(result.stdout)")
    }

    /// docs/usage.md's table of `run`'s options names every option `run --help` shows, and no other.
    @Test func theUsageOptionTableIsRunsOptions() throws {
        let dump = try Fixtures.framededupe(["run", "--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        var options = Set<String>()
        for argument in (command["arguments"] as? [[String: Any]]) ?? [] where (argument["shouldDisplay"] as? Bool) ?? true {
            for name in (argument["names"] as? [[String: Any]]) ?? [] {
                let text = try #require(name["name"] as? String)
                options.insert((name["kind"] as? String) == "long" ? "--" + text : "-" + text)
            }
        }
        options.subtract(["--help", "-h", "--version"])
        let usage = Self.text("docs/usage.md")
        let table = try #require(usage.components(separatedBy: "\n## Options").dropFirst().first?.components(separatedBy: "\n## ").first)
        var documented = Set<String>()
        for row in table.split(separator: "\n") where row.hasPrefix("| `") {
            let first = row.split(separator: "|").first.map(String.init) ?? ""
            for match in first.matches(of: /(?:^|[`\s,])(--(?:\[no-\])?[a-z0-9][a-z0-9-]*|-[a-z0-9](?![a-z0-9-]))/) {
                let name = String(match.1)
                if name.hasPrefix("--[no-]") {
                    documented.insert("--" + name.dropFirst(7))
                    documented.insert("--no-" + name.dropFirst(7))
                } else {
                    documented.insert(name)
                }
            }
        }
        #expect(options.subtracting(documented).isEmpty, "docs/usage.md's option table lacks \(options.subtracting(documented).sorted())")
        #expect(documented.subtracting(options).isEmpty, "docs/usage.md's option table names what run has not: \(documented.subtracting(options).sorted())")
    }
}

import ArgumentParser
import Corpus

struct IndexRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove videos (by the path they were added with, or by content) and their keyframes from the index.",
        discussion: "Clusters that held their scenes are taken apart; the next 'index dedupe' re-clusters their other scenes. Status 3 when a file was not in the index (the others are still removed).")

    @Argument(help: ArgumentHelp("Files to remove.", valueName: "file"))
    var files: [String]

    @OptionGroup var location: IndexLocation

    @Flag(name: .shortAndLong, help: "Say nothing about removed files.")
    var quiet = false

    func run() throws {
        let index = try location.open(.write)
        var missing = 0
        for file in files {
            if let removed = try reporting(.outputUnwritable, { () throws(IndexError) in try index.remove(path: file) }) {
                if !quiet { Terminal.write("framededupe: \(Terminal.oneLine(removed.path)): removed from the index\n") }
            } else {
                Terminal.error("\(file): not in the index")
                missing += 1
            }
        }
        if missing > 0 { throw Failure(status: missing == files.count ? .inputUnreadable : .partial) }
    }
}

import ArgumentParser
@_spi(Testing) import Corpus

/// `framededupe index …`: cross-video deduplication over a persistent index of scenes (SQLite).
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Deduplicate across many videos: a persistent index of their scenes (SQLite), grown one video at a time.",
        discussion: """
            'index add' runs the per-video analysis on each file and stores its scenes (span, keyframe, mean embedding, \
            pHash) in the index, one transaction per video; 'index dedupe' groups near-duplicate scenes of all videos \
            into corpus clusters, comparing only scenes added since its last run with the clusters it keeps. \
            Keyframes are kept beside the index, in INDEX.keyframes/.

            EXAMPLES:
              Index a folder of videos two at a time, then group the copies across them:
                framededupe index add -j 2 videos/*.mp4 --index corpus.db
                framededupe index dedupe --index corpus.db --export dataset/
              Where did this frame come from?
                framededupe index search frame.jpg --index corpus.db --top 5
            """,
        subcommands: [IndexAddCommand.self, IndexDedupeCommand.self, IndexSearchCommand.self, IndexStatsCommand.self,
                      IndexRemoveCommand.self, IndexExportCommand.self])
}

/// `--index FILE`, shared by every `index` subcommand.
struct IndexLocation: ParsableArguments {
    @Option(help: ArgumentHelp("The index: an SQLite file (created by 'index add' when missing); keyframes go in FILE.keyframes/ beside it.", valueName: "file"))
    var index: String

    /// The index's files: the database and SQLite's files beside it (an output must not replace any of them).
    var files: [String] { [index, index + "-wal", index + "-shm"] }

    /// Opens the index, reporting a failure on one line: status 3 when it cannot be read or is not an index this
    /// framededupe may use (left as it was), 4 when another process is writing it or it cannot be made.
    func open(_ access: CorpusIndex.Access, precision: EmbeddingPrecision = .half, hooks: CorpusIndexHooks = CorpusIndexHooks()) throws -> CorpusIndex {
        do { return try CorpusIndex(path: index, precision: precision, access: access, hooks: hooks) } catch {
            Terminal.error(error.description)
            throw Failure(status: error.refused ? .inputUnreadable : error.inUse || access == .create ? .outputUnwritable : .inputUnreadable)
        }
    }
}

/// Runs `body`, reporting an index error on one line with `status`.
func reporting<T>(_ status: Status, _ body: () throws(IndexError) -> T) throws -> T {
    do { return try body() } catch {
        Terminal.error(error.description)
        throw Failure(status: status)
    }
}

import Foundation
import Testing
import _FrameDedupeTestSupport

/// Issue 16: never lose the user's files, never hang or balloon on hostile input. Each case runs the built binary
/// and checks its status, its stderr and the files on disk before and after.
@Suite("Safety: the user's files and hostile input", .temporaryFolders)
struct SafetyTests {
    static let shots = Fixtures.sample("shots-360p.mp4").path

    /// Case 6: every number option of every subcommand is finite and in range: NaN, infinities and 10^18 are a usage
    /// error naming the option (status 2, no backtrace), where they used to trap (SIGILL, status 132).
    @Test(arguments: [
        (["run", shots, "--no-output"], "--start", "nan"), (["run", shots, "--no-output"], "--start", "inf"),
        (["run", shots, "--no-output"], "--end", "1e18"), (["run", shots, "--no-output"], "--time-scale", "inf"),
        (["run", shots, "--no-output"], "--fps", "1/9223372036854775807"), (["run", shots, "--no-output"], "--fps", "99999999999999999999.5"),
        (["run", shots, "--no-output"], "--max-side", "9223372036854775807"), (["run", shots, "--no-output"], "--threads", "100000"),
        (["run", shots, "--no-output"], "--image-rate", "1e-300"), (["run", shots, "--no-output"], "--alpha", "nan"),
        (["embed", shots, "-o", "/dev/null"], "--end", "1e18"), (["embed", shots, "-o", "/dev/null"], "--start", "nan"),
        (["index", "add", shots, "--index", "/nonexistent/x.db"], "--start", "inf"),
        (["index", "search", shots, "--index", "/nonexistent/x.db"], "--end", "nan"),
        (["index", "dedupe", "--index", "/nonexistent/x.db"], "--threshold", "nan"),
        (["tune", "--truth-dir", "/nonexistent"], "--tolerance", "inf"),
        (["eval", "--truth", "/nonexistent", "/nonexistent"], "--tolerance", "nan"),
    ])
    func numberOptionsAreFiniteAndInRange(_ command: [String], _ option: String, _ value: String) throws {
        let result = try Fixtures.framededupe(command + [option, value])
        #expect(result.status == 2, "\(option) \(value): status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains(option) && !result.stderr.contains("Fatal error"), "stderr: \(result.stderr)")
    }

    /// Case 3 (part): a --start past the end is an error (status 3, one line) and the earlier results stay, byte for byte.
    @Test func startPastTheEndKeepsEarlierResults() throws {
        let work = Fixtures.temporaryFolder("safety-start")
        do {
            let out = work.appendingPathComponent("out")
            let first = try Fixtures.framededupe([Self.shots, "-o", out.path, "--scorer", "ssim", "--progress", "never"])
            try #require(first.status == 0, "stderr: \(first.stderr)")
            let before = try OutputCheck.snapshot(out)
            let late = try Fixtures.framededupe([Self.shots, "-o", out.path, "--scorer", "ssim", "--progress", "never", "--start", "1000"])
            #expect(late.status == 3, "stderr: \(late.stderr)")
            #expect(late.stderr.split(separator: "\n").count == 1 && late.stderr.contains("no frame to sample from 1000.000 s on (the input ends at 10.000 s)"),
                    "stderr: \(late.stderr)")
            #expect(try OutputCheck.snapshot(out) == before, "the earlier results changed")
            let npy = work.appendingPathComponent("e.npy")
            let embed = try Fixtures.framededupe(["embed", Self.shots, "-o", npy.path, "--start", "100", "--progress", "never"])
            #expect(embed.status == 3 && !FileManager.default.fileExists(atPath: npy.path), "stderr: \(embed.stderr)")
        }
    }

    /// Case 2: an output option naming an input (the same path, another spelling, or a symbolic link to it) is a usage
    /// error on one line, and the input stays byte for byte: --stats, --select-file, embed -o, index dedupe/export -o.
    @Test func outputsThatNameAnInputAreRefused() throws {
        let work = Fixtures.temporaryFolder("safety-names-input")
        let video = work.appendingPathComponent("v.mp4").path
        try FileManager.default.copyItem(atPath: Self.shots, toPath: video)
        try FileManager.default.createSymbolicLink(atPath: work.appendingPathComponent("link.mp4").path, withDestinationPath: "v.mp4")
        let index = work.appendingPathComponent("corpus.db").path
        let add = try Self.run(["index", "add", video, "--index", index, "--progress", "never"])
        try #require(add.status == 0, "stderr: \(add.stderr)")
        let before = (try Data(contentsOf: URL(fileURLWithPath: video)), try Data(contentsOf: URL(fileURLWithPath: index)))
        let cases: [([String], String)] = [
            ([video, "--no-output", "--scorer", "ssim", "--stats", video], "--stats names an input"),
            ([video, "--no-output", "--scorer", "ssim", "--select-file", work.appendingPathComponent("link.mp4").path], "--select-file names an input"),
            (["embed", video, "-o", work.path + "/./v.mp4"], "-o names an input"),
            (["index", "dedupe", "--index", index, "-o", index], "-o names an input"),
            (["index", "export", "--index", index, "-o", index], "-o names an input"),
        ]
        for (arguments, message) in cases {
            let run = try Self.run(arguments + ["--progress", "never"].filter { _ in arguments[0] != "index" })
            #expect(run.status == 2 && run.stderrLines.count == 1 && run.stderr.contains(message), "\(arguments): stderr: \(run.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: video)) == before.0 && Data(contentsOf: URL(fileURLWithPath: index)) == before.1)
    }

    /// Case 3: a rerun skips an input only while it is the same bytes (size and digest in `scenes.json`), not by
    /// modification time: another video copied over it with an older date (`cp -p`) is analysed again.
    @Test func aReplacedInputIsAnalysedAgain() throws {
        let work = Fixtures.temporaryFolder("safety-identity")
        let input = work.appendingPathComponent("v.mp4"), out = work.appendingPathComponent("out")
        try FileManager.default.copyItem(atPath: Self.shots, toPath: input.path)
        let arguments = [input.path, "-o", out.path, "--scorer", "ssim"]
        let first = try Self.run(arguments)
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let recorded = try #require(try OutputCheck.completeResults(in: out)["input_file"] as? [String: Any])
        #expect(recorded["size"] as? Int == 166_899 && (recorded["sha256"] as? String)?.hasPrefix("1264569225f54d11") == true, "\(recorded)")
        let again = try Self.run(arguments)
        #expect(again.status == 0 && again.stderr.contains("; skipped (--force analyses it again)"), "stderr: \(again.stderr)")
        // Another clip, dated 2000, copied over the input keeping its date.
        try FileManager.default.removeItem(at: input)
        try FileManager.default.copyItem(atPath: Fixtures.sample("revisit-360p.mp4").path, toPath: input.path)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 946_684_800)], ofItemAtPath: input.path)
        let replaced = try Self.run(arguments)
        #expect(replaced.status == 0 && !replaced.stderr.contains("; skipped"), "stderr: \(replaced.stderr)")
        let scenes = try OutputCheck.completeResults(in: out)
        #expect((scenes["input_file"] as? [String: Any])?["size"] as? Int != 166_899 && scenes["analysed_until"] as? Double != 10, "the old clip's results")
    }

    /// Case 9: a name with a line break cannot go into an ffconcat list (it would end the `file` line and could read as
    /// `file other.mp4`) nor into newline-ended paths: a usage error, nothing on stdout; comments escape control characters.
    @Test func listFormatsRefuseNamesThatBreakTheirLines() throws {
        let work = Fixtures.temporaryFolder("safety-ffconcat")
        let injected = work.appendingPathComponent("x\nfile other.mp4\ny.mp4").path
        try FileManager.default.copyItem(atPath: Self.shots, toPath: injected)
        for (format, extra) in [("ffconcat", ["--no-output"]), ("paths", ["-o", work.appendingPathComponent("out").path])] {
            let result = try Fixtures.framededupe([injected, "--scorer", "ssim", "-q", "--print", "unique", "--format", format] + extra)
            #expect(result.status == 2 && result.stdout.isEmpty, "\(format): status \(result.status), stdout: \(result.stdout)")
            #expect(result.stderr.contains("--format \(format) cannot carry a name with a line break (") && result.stderr.contains("x\\nfile other.mp4\\ny.mp4"),
                    "stderr: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path))
        // A tab is no line break: the list is written, its comment escapes it, and ffmpeg reads the list.
        let tab = work.appendingPathComponent("tab\there.mp4").path
        try FileManager.default.copyItem(atPath: Self.shots, toPath: tab)
        let listed = try Fixtures.framededupe([tab, "--scorer", "ssim", "-q", "--no-output", "--print", "unique", "--format", "ffconcat"])
        #expect(listed.status == 0, "stderr: \(listed.stderr)")
        #expect(listed.stdout.contains("tab\\there.mp4: scene 0, cluster 0\n") && listed.stdout.contains("file '\(tab)'\n"), "stdout: \(listed.stdout)")
        let list = work.appendingPathComponent("cut.ffconcat")
        try listed.stdout.write(to: list, atomically: true, encoding: .utf8)
        let read = try Fixtures.run("ffmpeg", ["-v", "error", "-f", "concat", "-safe", "0", "-i", list.path, "-map", "0:v", "-c", "copy", "-f", "null", "-"])
        #expect(read.status == 0, "ffmpeg: \(read.stderr)")
    }

    /// Runs the built binary (bounded in time) and fails the test on a hang or a crash.
    static func run(_ arguments: [String], timeLimit: Double = BoundedRun.defaultTimeLimit) throws -> BoundedRun {
        let run = try BoundedRun(Fixtures.binary.path, arguments, timeLimit: timeLimit)
        try #require(!run.timedOut && run.signal == nil, "hung or crashed: \(arguments)\nstderr: \(run.stderr)")
        return run
    }

    /// Case 1: an output folder holding files framededupe did not write is refused before anything is read (status 2,
    /// nothing changed); its own folder is replaced entry by entry as its manifest lists, files added to it make it
    /// foreign again, and optional outputs the last run wrote and this one does not are removed.
    @Test func outputFoldersReplaceOnlyWhatFramededupeWrote() throws {
        let work = Fixtures.temporaryFolder("safety-folders")
        let foreign = work.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign.appendingPathComponent("keyframes"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: foreign.appendingPathComponent("keyframes/my-notes.txt"))
        try Data("mine".utf8).write(to: foreign.appendingPathComponent("report.html"))
        let before = try OutputCheck.snapshot(foreign)
        let refused = try Self.run([Self.shots, "-o", foreign.path, "--scorer", "ssim", "--progress", "never"])
        #expect(refused.status == 2 && refused.stderrLines.count == 1, "stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("holds files framededupe did not write (keyframes)") && refused.stderr.contains("--overwrite"), "stderr: \(refused.stderr)")
        #expect(try OutputCheck.snapshot(foreign) == before, "a refused folder changed")
        // --overwrite replaces the entries named like results, and only those.
        try Data("other".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let allowed = try Self.run([Self.shots, "-o", foreign.path, "--scorer", "ssim", "--progress", "never", "--overwrite"])
        #expect(allowed.status == 0, "stderr: \(allowed.stderr)")
        #expect(FileManager.default.fileExists(atPath: foreign.appendingPathComponent("notes.txt").path))
        #expect(!FileManager.default.fileExists(atPath: foreign.appendingPathComponent("keyframes/my-notes.txt").path))

        let own = work.appendingPathComponent("own")
        let first = try Self.run([Self.shots, "-o", own.path, "--scorer", "ssim", "--progress", "never", "--dendrogram"])
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let manifest = try String(contentsOf: own.appendingPathComponent(".framededupe-manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"report.html\"") && manifest.contains("\"keyframes/scene-0000_t000000.520.jpg\"") && manifest.contains("\"dendrogram.svg\""))
        // Without --dendrogram and with --no-report: the earlier dendrogram and report go; nothing else of ours is left over.
        let second = try Self.run([Self.shots, "-o", own.path, "--scorer", "ssim", "--progress", "never", "--force", "--no-report"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        for gone in ["dendrogram.json", "dendrogram.svg", "report.html"] {
            #expect(!FileManager.default.fileExists(atPath: own.appendingPathComponent(gone).path), "\(gone) is stale")
        }
        try OutputCheck.completeResults(in: own)
        // A file put into the results' keyframes/ makes the folder foreign again: refused, kept.
        try Data("mine".utf8).write(to: own.appendingPathComponent("keyframes/added.txt"))
        let third = try Self.run([Self.shots, "-o", own.path, "--scorer", "ssim", "--progress", "never", "--force"])
        #expect(third.status == 2 && third.stderr.contains("(keyframes/added.txt)"), "stderr: \(third.stderr)")
        #expect(FileManager.default.fileExists(atPath: own.appendingPathComponent("keyframes/added.txt").path))
    }

    /// Case 1: `framededupe shoot/keyframes -o shoot` must not delete the photos it read, even with --overwrite.
    @Test func anInputIsNeverReplaced() throws {
        let shoot = Fixtures.temporaryFolder("safety-shoot").appendingPathComponent("shoot")
        let photos = shoot.appendingPathComponent("keyframes")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        try Fixtures.ffmpeg(["-i", Self.shots, "-vf", "fps=1,scale=160:90", photos.appendingPathComponent("IMG_%04d.jpg").path])
        let before = try OutputCheck.snapshot(shoot)
        for extra in [[], ["--overwrite"]] {
            let run = try Self.run([photos.path, "-o", shoot.path, "--scorer", "ssim", "--progress", "never"] + extra)
            #expect(run.status == 2 && run.stderrLines.count == 1, "\(extra): stderr: \(run.stderr)")
            #expect(run.stderr.contains(extra.isEmpty ? "holds files framededupe did not write" : "keyframes: is an input, or holds one"), "stderr: \(run.stderr)")
            #expect(try OutputCheck.snapshot(shoot) == before, "\(extra): the photos changed")
        }
    }

    /// Case 4: two runs writing one folder: the second is told who holds it (status 4, one line) and the first
    /// finishes with complete results; byte-identical files given to `index add -j 2` are analysed once.
    @Test func oneWriterPerFolderAndPerIndex() throws {
        let work = Fixtures.temporaryFolder("safety-lock")
        let out = work.appendingPathComponent("out")
        let stderr = work.appendingPathComponent("first.err")
        let first = try Fixtures.startFramededupe([Fixtures.sample("bbb-720p.mp4").path, "-o", out.path, "--progress", "never", "--fps", "10"], stderr: stderr)
        Fixtures.wait { FileManager.default.fileExists(atPath: out.appendingPathComponent(".framededupe-lock").path) }
        let second = try Self.run([Self.shots, "-o", out.path, "--scorer", "ssim", "--progress", "never", "--force"])
        #expect(second.status == 4 && second.stderrLines.count == 1 && second.stderr.contains("in use by process \(first.processIdentifier)"),
                "stderr: \(second.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0, "first: \((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")")
        try OutputCheck.completeResults(in: out)

        let copy = work.appendingPathComponent("a-copy.mp4")
        try FileManager.default.copyItem(atPath: Self.shots, toPath: copy.path)
        let index = work.appendingPathComponent("corpus.db").path
        let add = try Self.run(["index", "add", "-j", "2", Self.shots, copy.path, "--index", index, "--progress", "never"], timeLimit: 120)
        #expect(add.status == 0, "stderr: \(add.stderr)")
        // Whichever thread claims the content first analyses it; the other waits and finds it indexed.
        #expect(add.stderr.contains(": already indexed (same content as ") && add.stderr.contains("1 added (3 scenes), 1 already indexed, 0 failed"),
                "stderr: \(add.stderr)")
    }

    /// Case 10: a file that is not a framededupe index, or is one of a newer schema, is refused by every index
    /// subcommand (status 3, one line) and left byte for byte; read-only subcommands leave a real index byte for byte.
    @Test func foreignAndNewerIndexesAreRefusedAndLeftAlone() throws {
        let work = Fixtures.temporaryFolder("safety-index")
        let other = work.appendingPathComponent("other.db").path
        let made = try Fixtures.run("python3", ["-c", "import sqlite3,sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE notes(t TEXT)'); c.execute(\"INSERT INTO notes VALUES ('hello')\"); c.commit()", other])
        try #require(made.status == 0, "python3: \(made.stderr)")
        let text = work.appendingPathComponent("text.db"), empty = work.appendingPathComponent("empty.db")
        try Data("some text\n".utf8).write(to: text)
        try Data().write(to: empty)
        let index = work.appendingPathComponent("c.db").path
        let add = try Self.run(["index", "add", Self.shots, "--index", index, "--progress", "never"])
        try #require(add.status == 0, "stderr: \(add.stderr)")
        let newer = work.appendingPathComponent("newer.db").path
        try FileManager.default.copyItem(atPath: index, toPath: newer)
        let future = try Fixtures.run("python3", ["-c", "import sqlite3,sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v9: the future')\"); c.commit()", newer])
        try #require(future.status == 0, "python3: \(future.stderr)")
        let cases: [(String, String)] = [(other, "an SQLite database of another application"), (text.path, "not an SQLite database"),
                                         (empty.path, "an empty file"), (newer, "made by a newer framededupe (schema change 'v9: the future'")]
        for (file, cause) in cases {
            let before = try Data(contentsOf: URL(fileURLWithPath: file))
            for command in [["index", "stats"], ["index", "export"], ["index", "dedupe", "-o", "-"], ["index", "remove", "x.mp4"],
                            ["index", "add", Self.shots, "--progress", "never"], ["index", "search", Self.shots, "--progress", "never"]] {
                let run = try Self.run(command + ["--index", file])
                #expect(run.status == 3 && run.stderrLines.count == 1 && run.stderr.contains(cause), "\(command) on \(file): stderr: \(run.stderr)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before, "\(file) changed")
            #expect(!FileManager.default.fileExists(atPath: file + ".keyframes"))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: index))
        for command in [["index", "stats"], ["index", "export", "--no-embeddings"], ["index", "search", Self.shots, "--progress", "never"]] {
            let run = try Self.run(command + ["--index", index])
            #expect(run.status == 0, "\(command): stderr: \(run.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before, "a read-only subcommand changed the index")
    }

    /// Case 5: a local playlist is refused by default (status 3, one line, within seconds, under 300 MB); with
    /// --allow-playlists one that names itself fails at once instead of recursing, and one that names a local file is read.
    @Test func playlistsAreOffForLocalInputsAndCannotNest() throws {
        let corpus = try BadInputCorpus.folder()
        for (name, allowed) in [("self-variant.m3u8", "self-variant.m3u8', which is a playlist"), ("self-include.ffconcat", "playlists do not nest"),
                                ("pull-absolute.m3u8", nil)] {
            let input = corpus.appendingPathComponent(name).path
            let refused = try BoundedRun(Fixtures.binary.path, [input, "--no-output", "--scorer", "ssim", "--progress", "never"], timeLimit: 20)
            try refused.expectFinished()
            #expect(refused.status == 3 && refused.stderrLines.count == 1 && refused.stderr.contains("refused for a local input; --allow-playlists"),
                    "\(name): stderr: \(refused.stderr)")
            #expect(refused.seconds < 10 && refused.maxRSSKiB < 300_000, "\(name): \(refused.seconds) s, \(refused.maxRSSKiB) KiB")
            let run = try BoundedRun(Fixtures.binary.path, [input, "--no-output", "--scorer", "ssim", "--progress", "never", "--allow-playlists"], timeLimit: 20)
            try run.expectFinished()
            #expect(run.seconds < 10 && run.maxRSSKiB < 300_000, "\(name) allowed: \(run.seconds) s, \(run.maxRSSKiB) KiB")
            if let allowed {
                #expect(run.status == 3 && run.stderr.contains(allowed), "\(name) allowed: stderr: \(run.stderr)")
            } else {
                #expect(run.status == 0, "\(name) allowed: stderr: \(run.stderr)")
            }
        }
    }

    /// Case 7: a FIFO in a photo folder is skipped and named, never opened (which waited for a writer for ever).
    @Test func aFIFOAmongPicturesIsSkipped() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("safety-fifo").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [corpus.appendingPathComponent("images-with-fifo").path, "-o", out.path, "--scorer", "ssim",
                                                        "--progress", "never"], timeLimit: 30)
        try run.expectFinished()
        #expect(run.status == 0 && run.stderr.contains("skipped 1 entry that is not a regular file (FIFOs, sockets, devices): zz-fifo"), "stderr: \(run.stderr)")
        #expect((try OutputCheck.completeResults(in: out)["frames"] as? [Any])?.count == 3)
    }

    /// Case 8: a name that is not UTF-8 works as an argument (the file is read, messages show its bytes as \xHH, the
    /// default folder spells them %HH) and inside a photo folder (the picture is read, not dropped).
    @Test func namesThatAreNotUTF8() throws {
        let corpus = try BadInputCorpus.folder()
        let work = Fixtures.temporaryFolder("safety-bytes")
        // bash passes the bytes as they are (a Swift String would not hold them).
        let script = #"cd "$1" && exec "$2" "$3/$(printf 'latin1-\351-\377.mp4')" --scorer ssim --progress never "${@:4}""#
        let run = try BoundedRun(["/bin/bash", "-c", script, "bash", work.path, Fixtures.binary.path, corpus.path], timeLimit: 60)
        try run.expectFinished()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let scenes = try OutputCheck.completeResults(in: work.appendingPathComponent("latin1-%E9-%FF.framededupe"))
        #expect((scenes["frames"] as? [Any])?.count == 21)
        #expect((scenes["input"] as? String)?.hasSuffix("/latin1-\\xE9-\\xFF.mp4") == true, "JSON states the name as text: \(scenes["input"] ?? "")")
        // A rerun finds its complete results (the skip check compares the name as JSON states it); a list of paths
        // cannot carry the name (status 2).
        let written = { try FileManager.default.attributesOfItem(atPath: work.path + "/latin1-%E9-%FF.framededupe/scenes.json")[.modificationDate] as? Date }
        let first = try written()
        let again = try BoundedRun(["/bin/bash", "-c", script, "bash", work.path, Fixtures.binary.path, corpus.path], timeLimit: 60)
        let second = try written()
        #expect(again.status == 0 && second == first, "analysed again; stderr: \(again.stderr)")
        let paths = try BoundedRun(["/bin/bash", "-c", script, "bash", work.path, Fixtures.binary.path, corpus.path, "--print", "unique", "--format", "paths"])
        #expect(paths.status == 2 && paths.stderr.contains("cannot carry a name that is not UTF-8 (") && paths.stdout.isEmpty, "stderr: \(paths.stderr)")
        // An output folder named with such bytes spells them %HH; an output file is refused (status 2).
        let outputs = #"cd "$1" && "$2" "$3" --scorer ssim --progress never -o "$(printf 'out-\351')" && exec "$2" "$3" --no-output --stats "$(printf 's-\351.csv')""#
        let named = try BoundedRun(["/bin/bash", "-c", outputs, "bash", work.path, Fixtures.binary.path, Fixtures.sample("shots-360p.mp4").path], timeLimit: 60)
        #expect(named.status == 2 && named.stderr.contains("s-\\xE9.csv: --stats names a file with bytes that are not UTF-8"), "stderr: \(named.stderr)")
        _ = try OutputCheck.completeResults(in: work.appendingPathComponent("out-%E9"))
        // The index takes the file too, and its JSON states the name as text.
        let indexScript = #"cd "$1" && "$2" index add --index x.db --progress never "$3/$(printf 'latin1-\351-\377.mp4')" && exec "$2" index export --index x.db"#
        let index = try BoundedRun(["/bin/bash", "-c", indexScript, "bash", work.path, Fixtures.binary.path, corpus.path], timeLimit: 60)
        #expect(index.status == 0 && index.stdout.contains(#"/latin1-\\xE9-\\xFF.mp4", "sha256""#), "stdout: \(index.stdout.prefix(300)); stderr: \(index.stderr)")
        let missing = try BoundedRun(["/bin/bash", "-c", #"exec "$1" "$(printf 'nothing-\351.mp4')" --progress never"#, "bash", Fixtures.binary.path])
        #expect(missing.status == 3 && missing.stderr.contains("nothing-\\xE9.mp4: no such file"), "stderr: \(missing.stderr)")
        let out = work.appendingPathComponent("photos")
        let photos = try Self.run([corpus.appendingPathComponent("photos-not-utf8").path, "-o", out.path, "--scorer", "ssim", "--progress", "never"])
        #expect(photos.status == 0 && photos.stderr.isEmpty, "stderr: \(photos.stderr)")
        #expect((try OutputCheck.completeResults(in: out)["frames"] as? [Any])?.count == 2, "a picture was dropped")
    }

    /// --max-memory: pictures that would not fit are refused before one is decoded (status 3, one line, within
    /// seconds, under 300 MB), and earlier results stay; a budget out of range is a usage error. (--threads 2: the count of
    /// pictures in flight, so the message, depends on the decoder's threads.) The frames a run holds past the encoder
    /// count as their JPEG images (a quarter of a picture), not as decoded pictures: 8K fits in 2G (counted whole, its
    /// 80 pictures needed 3.7 GiB).
    @Test func picturesOverTheMemoryBudgetAreRefused() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("safety-memory").appendingPathComponent("out")
        let eightK = corpus.appendingPathComponent("8k-black.mp4").path
        let first = try Self.run([eightK, "-o", out.path, "--scorer", "ssim", "--progress", "never", "--threads", "2", "--max-memory", "2G"])
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let before = try OutputCheck.snapshot(out)
        let refused = try Self.run([eightK, "-o", out.path, "--scorer", "ssim", "--progress", "never", "--force", "--threads", "2", "--max-memory", "1G"])
        #expect(refused.status == 3 && refused.stderrLines.count == 1
                && refused.stderr.contains("its 7680×4320 pictures need about 1.7 GiB (22 decoded pictures and 61 encoded images in flight), more than --max-memory 1.0 GiB"),
                "stderr: \(refused.stderr)")
        #expect(refused.seconds < 10 && refused.maxRSSKiB < 300_000, "\(refused.seconds) s, \(refused.maxRSSKiB) KiB")
        #expect(try OutputCheck.snapshot(out) == before, "the earlier results changed")
        // Without images written, frames hold no picture: 19 pictures at 16000x16000 need 6.8 GiB, over 4G.
        let huge = try Self.run([corpus.appendingPathComponent("huge-16000x16000.y4m").path, "--no-output", "--progress", "never", "--threads", "2", "--max-memory", "4G"])
        #expect(huge.status == 3 && huge.stderr.contains("its 16000×16000 pictures need about 6.8 GiB (19 decoded pictures in flight)") && huge.seconds < 10 && huge.maxRSSKiB < 300_000,
                "\(huge.seconds) s, \(huge.maxRSSKiB) KiB; stderr: \(huge.stderr)")
        for bad in ["10", "2000G", "nan", "-1G", "lots"] {
            let usage = try Self.run([eightK, "--no-output", "--max-memory", bad])
            #expect(usage.status == 2 && usage.stderr.contains("--max-memory"), "\(bad): stderr: \(usage.stderr)")
        }
    }

    /// Case 7: a FIFO named as the input is read as a stream. The first SIGTERM ends a run still waiting for a writer
    /// at once (status 143, one error line, nothing written), and one whose writer stalls mid-stream with its partial
    /// results (`complete: false`); neither waits for the second signal.
    @Test func aFIFOInputEndsOnTheFirstSIGTERM() throws {
        let work = Fixtures.temporaryFolder("safety-fifo-input")
        let fifo = work.appendingPathComponent("stream")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        for writes in [false, true] {
            let out = work.appendingPathComponent("out-\(writes)"), log = work.appendingPathComponent("stderr-\(writes)")
            let run = try Fixtures.startFramededupe([fifo.path, "-o", out.path, "--scorer", "ssim", "--progress", "jsonl"], stderr: log)
            let stderr = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
            var writer: FileHandle? = nil
            if writes {
                // The whole clip, then the writer stalls with the FIFO open (it opens once the reader has: ENXIO before).
                var fd: Int32 = -1
                Fixtures.wait { fd = open(fifo.path, O_WRONLY | O_NONBLOCK); return fd >= 0 || !run.isRunning }
                try #require(fd >= 0, "the run never opened the FIFO: \(stderr())")
                _ = fcntl(fd, F_SETFL, 0)
                writer = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                try writer?.write(contentsOf: Data(contentsOf: Fixtures.sample("shots-360p.mp4")))
                Fixtures.wait { stderr().contains(#""event":"progress""#) }
            } else {
                // The run has its signal handling once it says it started (a signal before that is not a test of it).
                Fixtures.wait { stderr().contains(#""event":"start""#) }
            }
            let signalled = Date()
            run.terminate()
            while run.isRunning && Date().timeIntervalSince(signalled) < 30 { usleep(20_000) }
            let seconds = Date().timeIntervalSince(signalled)
            if run.isRunning { kill(run.processIdentifier, SIGKILL) }
            run.waitUntilExit()
            try writer?.close()
            #expect(seconds < 5, "\(seconds) s after SIGTERM; stderr: \(stderr())")
            #expect(run.terminationReason == .exit && run.terminationStatus == 143, "stderr: \(stderr())")
            if writes {
                let data = try Data(contentsOf: out.appendingPathComponent("scenes.json"))
                let scenes = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                #expect(scenes["complete"] as? Bool == false && !stderr().contains("truncated?"), "stderr: \(stderr())")
            } else {
                #expect(stderr().contains("stream: stopped before anything was read"), "stderr: \(stderr())")
                #expect(!FileManager.default.fileExists(atPath: out.path))
            }
        }
    }
}

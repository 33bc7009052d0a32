import Decoder
import Foundation
import Testing
import _FrameDedupeTestSupport

/// Opens `input` and reads it to the end; returns the error thrown, if any.
func openError(_ input: String) -> DecoderError? {
    do {
        let reader = try VideoReader(input: input)
        while try reader.next() != nil {}
        return nil
    } catch {
        return error
    }
}

/// Feeds `file` to the reader through a real pipe (non-seekable), as `cat file | framededupe -` would.
func readThroughPipe(_ file: URL) throws -> (frames: Int, warnings: [String]) {
    let piped = try PipedFile(file)
    let reader = try VideoReader(input: piped.url)
    var n = 0
    while try reader.next() != nil { n += 1 }
    return (n, reader.warnings)
}

@Suite("Bad inputs fail with a clear cause", .temporaryFolders)
struct BadInputTests {
    /// libav quiet, as the command line keeps it: the decoder leaves libav's (global) log level to the program.
    init() { setLibavLogLevel(.quiet) }
    let folder = Fixtures.temporaryFolder("bad")

    @Test func missingFile() {
        #expect(openError(folder.appendingPathComponent("nope.mp4").path) == .notFound)
    }

    @Test func directory() {
        // A folder is read as a sequence of images: an empty one has none.
        #expect(openError(folder.path) == .noImages(files: 0))
    }

    @Test func randomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for name in ["noise.mp4", "noise.bin", "noise.dat"] {
            let url = folder.appendingPathComponent(name)
            try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
            let error = openError(url.path)
            let rejected: Bool
            switch error {
            // Now and then a demuxer's probe claims random bytes (a "video" stream of one packet): nothing decodes.
            case .notMedia, .textArtDemuxer, .noVideoStream, .undecodable: rejected = true
            default: rejected = false
            }
            #expect(rejected, "random bytes in \(name) gave \(String(describing: error))")
        }
    }

    @Test func textFile() throws {
        let url = folder.appendingPathComponent("notes.txt")
        try Data(String(repeating: "just some text, not a video\n", count: 200).utf8).write(to: url)
        let error = openError(url.path)
        #expect(error != nil)
        if case .notMedia = error {} else if case .textArtDemuxer = error {} else { Issue.record("text file gave \(String(describing: error))") }
    }

    @Test func emptyFile() throws {
        let url = folder.appendingPathComponent("empty.mp4")
        try Data().write(to: url)
        if case .notMedia = openError(url.path) {} else { Issue.record("empty file accepted") }
    }

    @Test func audioOnly() throws {
        let url = folder.appendingPathComponent("tone.m4a")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", url.path])
        #expect(openError(url.path) == .noVideoStream)
    }

    @Test func indexAtEndThroughPipe() throws {
        let url = folder.appendingPathComponent("moov-at-end.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=10", "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv420p", url.path])
        do {
            let result = try readThroughPipe(url)
            // Either it refuses to open, or it opens and yields nothing and says why.
            #expect(result.frames == 0)
            #expect(result.warnings.contains { $0.contains("faststart") })
        } catch let error as DecoderError {
            #expect(error == .indexAtEndOnPipe)
        }
        // The same file with its index first works through a pipe.
        let fast = folder.appendingPathComponent("faststart.mp4")
        try Fixtures.ffmpeg(["-i", url.path, "-c", "copy", "-movflags", "+faststart", fast.path])
        #expect(try readThroughPipe(fast).frames == 21)
    }

    @Test func truncatedFileWarns() throws {
        let url = folder.appendingPathComponent("long.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=20", "-c:v", "libx264", "-pix_fmt", "yuv420p", url.path])
        let bytes = try Data(contentsOf: url)
        let cut = folder.appendingPathComponent("cut.mkv")
        try bytes.prefix(bytes.count / 3).write(to: cut)
        let reader = try VideoReader(input: cut.path)
        var n = 0
        while try reader.next() != nil { n += 1 }
        #expect(n > 0 && n < 40)
        #expect(reader.warnings.contains { $0.contains("truncated") }, "warnings: \(reader.warnings)")
    }

    @Test func lateStartIsNotTruncation() throws {
        // Matroska states the end time (from 0) as the duration when the stream starts at 5 s.
        let url = folder.appendingPathComponent("late.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=6", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                             "-output_ts_offset", "5", url.path])
        let reader = try VideoReader(input: url.path)
        while try reader.next() != nil {}
        #expect(abs(reader.info.startSeconds - 5) < 0.01)
        #expect(!reader.warnings.contains { $0.contains("truncated") }, "\(reader.warnings)")
    }

    @Test func noSuchStream() throws {
        let clip = try Fixtures.variableRateClip()
        var options = ReaderOptions()
        options.stream = 5
        #expect(throws: DecoderError.noSuchStream(5, available: 1)) { try VideoReader(input: clip.path, options: options) }
    }

    @Test func corruptPacketsAreSkippedAndCounted() throws {
        // Flip bytes in the middle of a raw H.264 stream: decoding goes on, damage is counted.
        let url = folder.appendingPathComponent("clean.h264")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8", "-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", url.path])
        var bytes = [UInt8](try Data(contentsOf: url))
        var generator = SplitMix64(state: 7)
        let middle = bytes.count / 2
        for i in stride(from: middle, to: middle + 4000, by: 3) { bytes[i] ^= UInt8(truncatingIfNeeded: generator.next()) | 1 }
        let damaged = folder.appendingPathComponent("damaged.h264")
        try Data(bytes).write(to: damaged)
        var options = ReaderOptions()
        options.sampling = .all
        let reader = try VideoReader(input: damaged.path, options: options)
        var n = 0
        while try reader.next() != nil { n += 1 }
        #expect(n > 100, "decoding stopped at the damage: \(n) frames")
        #expect(reader.counts.corruptPackets + reader.counts.corruptFrames > 0)
        #expect(reader.warnings.contains { $0.contains("corrupt") })
    }
}

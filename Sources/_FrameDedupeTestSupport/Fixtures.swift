import Foundation

/// Test fixtures made with the real `ffmpeg`, so the right answer is known by construction.
/// Not part of the library's API.
public enum Fixtures {
    /// The package's root folder (found from this file's path).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// A committed sample clip under `samples/`.
    public static func sample(_ name: String) -> URL { packageRoot.appendingPathComponent("samples/\(name)") }

    /// A fresh temporary folder, removed at process exit by the OS's tmp cleaning, not by us.
    public static func temporaryFolder(_ label: String = "test") -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("framededupe-\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Fixtures shared by all tests of a process are built once into this folder.
    public static let cache: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("framededupe-fixtures-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Builds `name` in the shared cache with `make` unless it is already there.
    public static func cached(_ name: String, make: (URL) throws -> Void) throws -> URL {
        let url = cache.appendingPathComponent(name)
        lock.lock()
        defer { lock.unlock() }
        if !FileManager.default.fileExists(atPath: url.path) {
            let partial = cache.appendingPathComponent("partial-" + name)
            try make(partial)
            try FileManager.default.moveItem(at: partial, to: url)
        }
        return url
    }

    private static let lock = NSLock()

    /// A clip whose every pts is known: H.264 with B-frames in Matroska (time base 1/1000), starting at
    /// 11.4 s, made of three segments at 10, 25 and 5 fps, 2 s each (variable frame rate).
    /// Frame pts in ms: 11400 + 100k (k < 20), 13400 + 40k (k < 50), 15400 + 200k (k < 10).
    public static func variableRateClip() throws -> URL {
        try cached("vfr.mkv") { url in
            try ffmpeg([
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=5:duration=2",
                "-filter_complex", "[0:v]settb=1/1000[a];[1:v]settb=1/1000[b];[2:v]settb=1/1000[c];[a][b][c]concat=n=3:v=1[v]",
                "-map", "[v]", "-fps_mode", "passthrough", "-c:v", "libx264", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p",
                "-output_ts_offset", "11.4", "-f", "matroska", url.path,
            ])
        }
    }

    /// The pts (ms) of every frame of ``variableRateClip()``, by construction.
    public static let variableRateClipPTS: [Int64] =
        (0..<20).map { 11400 + 100 * Int64($0) } + (0..<50).map { 13400 + 40 * Int64($0) } + (0..<10).map { 15400 + 200 * Int64($0) }

    /// The same clip remuxed to NUT (what `ffmpeg ... -f nut -` sends down a pipe).
    public static func variableRateClipNUT() throws -> URL {
        let source = try variableRateClip()
        return try cached("vfr.nut") { url in try ffmpeg(["-i", source.path, "-c", "copy", "-f", "nut", url.path]) }
    }

    /// Runs `ffmpeg -nostdin -v error -y …`; throws with its stderr when it fails.
    public static func ffmpeg(_ arguments: [String]) throws {
        let result = try run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments)
        guard result.status == 0 else { throw FixtureError(command: "ffmpeg " + arguments.joined(separator: " "), stderr: result.stderr) }
    }

    /// The `pts` of every frame of the first video stream, as ffprobe reports them (presentation order).
    public static func probeFramePTS(_ url: URL) throws -> [Int64] {
        let result = try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp",
                                         "-of", "csv=p=0", url.path])
        guard result.status == 0 else { throw FixtureError(command: "ffprobe", stderr: result.stderr) }
        return result.stdout.split(whereSeparator: \.isNewline).compactMap { line in
            line.split(separator: ",").first.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    /// `time_base` and `start_time` of the first video stream, as ffprobe reports them.
    public static func probeStream(_ url: URL) throws -> (timeBase: String, startTime: Double) {
        let result = try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=time_base,start_time",
                                         "-of", "csv=p=0", url.path])
        let parts = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        guard result.status == 0, parts.count == 2, let start = Double(parts[1]) else {
            throw FixtureError(command: "ffprobe", stderr: result.stderr + result.stdout)
        }
        return (String(parts[0]), start)
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a program found on PATH (or at an absolute path), optionally feeding `stdin` from a file.
    public static func run(_ program: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        if program.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) } else { process.standardInput = FileHandle.nullDevice }
        try process.run()
        // Read both pipes concurrently so neither fills up and blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let command: String
    public let stderr: String
    public var description: String { "\(command) failed: \(stderr)" }
}

extension Fixtures {
    /// The built `framededupe` executable beside the test bundle.
    public static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [beside.appendingPathComponent("framededupe"), packageRoot.appendingPathComponent(".build/debug/framededupe")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return beside.appendingPathComponent("framededupe")
    }

    /// Runs the built `framededupe` with `arguments`.
    public static func framededupe(_ arguments: [String], stdin: URL? = nil) throws -> Result {
        try run(binary.path, arguments, stdin: stdin)
    }

    /// A real still (a frame of the rocket shot of `shots-360p.mp4`) held for `seconds` at 25 fps.
    public static func heldStill(seconds: Int = 5) throws -> URL {
        try cached("still-\(seconds)s.mp4") { url in
            try ffmpeg(["-ss", "7.5", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", url.path + ".png"])
            try ffmpeg(["-loop", "1", "-framerate", "25", "-i", url.path + ".png", "-t", "\(seconds)", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-f", "mp4", url.path])
        }
    }
}

extension Fixtures {
    /// Gaussian blur σ of each frame of ``blurSeries()``: the sharp original is frame 3.
    public static let blurSeriesSigmas: [Double] = [4, 3, 2, 0, 1.5, 2.5, 3.5]

    /// A real still (the coffee cup of `shots-360p.mp4`) shown at 2 fps as progressively blurred copies,
    /// with the sharp original in the middle: one scene whose right keyframe is known by construction.
    public static func blurSeries() throws -> URL {
        try cached("blur-series.mkv") { url in
            let folder = url.deletingLastPathComponent().appendingPathComponent("blur-series-frames")
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (i, sigma) in blurSeriesSigmas.enumerated() {
                let filter = sigma > 0 ? "gblur=sigma=\(sigma)" : "null"
                try ffmpeg(["-ss", "1", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-vf", filter,
                            "-f", "image2", "-c:v", "png", folder.appendingPathComponent(String(format: "f%02d.png", i)).path])
            }
            try ffmpeg(["-framerate", "2", "-i", folder.appendingPathComponent("f%02d.png").path, "-c:v", "ffv1", "-f", "matroska", url.path])
        }
    }
}

extension Fixtures {
    /// Real shots from `shots-360p.mp4` in the order A B A C B, 2 s each, cuts at 2, 4, 6, 8 s:
    /// A = the coffee cup (0.2–2.2 s, then 0.8–2.8 s: the same shot, a little later in its zoom),
    /// B = the bottle (3.2–5.2 s, then 3.6–5.6 s), C = the rocket (6.5–8.5 s).
    public static let returningShotsCuts: [Double] = [2, 4, 6, 8]
    public static let returningShotsContent = [0, 1, 0, 2, 1]

    public static func returningShots() throws -> URL {
        try cached("abacb.mp4") { url in
            let segments: [(Double, Double)] = [(0.2, 2.2), (3.2, 5.2), (0.8, 2.8), (6.5, 8.5), (3.6, 5.6)]
            let inputs = segments.flatMap { ["-ss", "\($0.0)", "-t", "2", "-i", sample("shots-360p.mp4").path] }
            let graph = (0..<segments.count).map { "[\($0):v]fps=25,setpts=PTS-STARTPTS[v\($0)]" }.joined(separator: ";")
                + ";" + (0..<segments.count).map { "[v\($0)]" }.joined() + "concat=n=\(segments.count):v=1[out]"
            try ffmpeg(inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", url.path])
        }
    }

    /// Shot A (the coffee cup, 3 s) crossfading over 1 s into shot B (the rocket, 3 s): 5 s in all,
    /// the crossfade from 2 to 3 s.
    public static func crossfade() throws -> URL {
        try cached("crossfade.mp4") { url in
            try ffmpeg(["-ss", "0", "-t", "3", "-i", sample("shots-360p.mp4").path, "-ss", "6.5", "-t", "3", "-i", sample("shots-360p.mp4").path,
                        "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[a][b]xfade=transition=fade:duration=1:offset=2[out]",
                        "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", url.path])
        }
    }
}

extension Fixtures {
    /// What each 2 s still of ``variantsClip()`` shows; the same name before the first "/" is the same content.
    public static let variantsClipScenes = ["X", "L/left half", "X/crop 5%", "R/right half", "X/brightness +15%", "C", "X/mirrored", "D", "X/re-encoded"]

    /// Nine 2 s stills with hard cuts: a real frame X (the coffee cup) and four near-duplicate variants of it,
    /// separated by the left and right halves of another photograph (the rocket: look-alikes, not copies)
    /// and two other shots (the bottle, the astronaut).
    public static func variantsClip() throws -> URL {
        try cached("variants.mkv") { url in
            let folder = url.deletingLastPathComponent().appendingPathComponent("variants-frames")
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            func still(_ name: String, _ input: URL, at seconds: Double, _ filter: String) throws {
                try ffmpeg(["-ss", "\(seconds)", "-i", input.path, "-frames:v", "1", "-vf", filter + ",scale=640:360,setsar=1",
                            "-f", "image2", "-c:v", "png", folder.appendingPathComponent(name + ".png").path])
            }
            let shots = sample("shots-360p.mp4"), revisit = sample("revisit-360p.mp4")
            try still("X", shots, at: 1, "null")
            try still("L", shots, at: 7.5, "crop=iw/2:ih:0:0")
            try still("Xc", shots, at: 1, "crop=iw*0.95:ih*0.95")
            try still("R", shots, at: 7.5, "crop=iw/2:ih:iw/2:0")
            try still("Xb", shots, at: 1, "lutyuv=y=clip(val*1.15\\,0\\,255)")
            try still("C", shots, at: 4, "null")
            try still("Xm", shots, at: 1, "hflip")
            try still("D", revisit, at: 1, "null")
            // Re-encoded at a very low bitrate, then decoded again.
            let lowRate = folder.appendingPathComponent("low.mp4")
            try ffmpeg(["-loop", "1", "-i", folder.appendingPathComponent("X.png").path, "-t", "1", "-c:v", "libx264", "-crf", "45",
                        "-pix_fmt", "yuv420p", lowRate.path])
            try still("Xr", lowRate, at: 0.5, "null")
            let names = ["X", "L", "Xc", "R", "Xb", "C", "Xm", "D", "Xr"]
            var inputs: [String] = []
            for name in names { inputs += ["-loop", "1", "-framerate", "25", "-t", "2", "-i", folder.appendingPathComponent(name + ".png").path] }
            let graph = names.indices.map { "[\($0):v]format=yuv420p[v\($0)]" }.joined(separator: ";") + ";"
                + names.indices.map { "[v\($0)]" }.joined() + "concat=n=\(names.count):v=1[out]"
            try ffmpeg(inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "ffv1", "-f", "matroska", url.path])
        }
    }
}

/// A small seeded generator (SplitMix64), so random test data is the same on every run.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The bytes of a file offered on a real pipe (non-seekable), as `cat file | framededupe -` would:
/// open ``url`` with libavformat; a thread writes the bytes, and the pipe is closed when this is dropped.
public final class PipedFile {
    private let pipe = Pipe()
    /// `pipe:N`, the libavformat URL of the pipe's reading end.
    public var url: String { "pipe:\(pipe.fileHandleForReading.fileDescriptor)" }

    public init(_ file: URL) throws {
        let bytes = try Data(contentsOf: file)
        let writing = pipe.fileHandleForWriting
        Thread {
            try? writing.write(contentsOf: bytes)
            try? writing.close()
        }.start()
    }

    deinit { try? pipe.fileHandleForReading.close() }
}

extension Fixtures {
    /// Shot A (the coffee cup) fading to black over 1 s, 2 s of black, then a cut to shot B (the rocket):
    /// 0–2 s A, 2–3 s fade, 3–5 s black, 5–7 s B.
    public static func fadeToBlack() throws -> URL {
        try cached("fade-to-black.mp4") { url in
            try ffmpeg(["-ss", "0", "-t", "3", "-i", sample("shots-360p.mp4").path, "-ss", "6.5", "-t", "2", "-i", sample("shots-360p.mp4").path,
                        "-f", "lavfi", "-t", "2", "-i", "color=black:size=640x360:rate=25",
                        "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS,fade=t=out:st=2:d=1[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[2:v]format=yuv420p[k];[a][k][b]concat=n=3:v=1[out]",
                        "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", url.path])
        }
    }
}

extension Fixtures {
    /// One continuous 20 s camera move over a real frame (`bbb-720p.mp4` at 5 s): a zoom from 1× to 3×
    /// while panning from the top-left corner to the bottom-right, 640×360 at 25 fps. Its last frames
    /// share nothing with its first (SSIM to the first frame falls to ~0.05, the embedding distance
    /// passes 0.55), yet no two frames 0.5 s apart differ much: one shot that drifts past every fixed
    /// threshold a reference-only rule could use.
    public static func slowZoomAndPan() throws -> URL {
        try cached("slow-zoom-pan.mp4") { url in
            try ffmpeg(["-ss", "5", "-i", sample("bbb-720p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", url.path + ".png"])
            try ffmpeg(["-loop", "1", "-framerate", "25", "-i", url.path + ".png", "-vf",
                        "zoompan=z='1+0.004*on':x='on*(iw-iw/zoom)/500':y='on*(ih-ih/zoom)/500':d=500:s=640x360:fps=25,format=yuv420p",
                        "-frames:v", "500", "-c:v", "libx264", "-f", "mp4", url.path])
        }
    }
}

extension Fixtures {
    /// ``returningShots()`` (cuts at 2, 4, 6, 8 s) with its video starting 1.5 s after a silent audio track, in
    /// Matroska: the file starts at 0 while the video's first frame is at 1.521 s (Matroska's millisecond
    /// clock), so times from the video's first frame and ffmpeg's timeline (from the file's start) differ.
    public static func lateVideo() throws -> URL {
        let shots = try returningShots()
        return try cached("late-video.mkv") { url in
            try ffmpeg(["-f", "lavfi", "-t", "11", "-i", "anullsrc=r=48000:cl=mono", "-itsoffset", "1.5", "-i", shots.path,
                        "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-c:a", "aac", "-shortest", "-f", "matroska", url.path])
        }
    }
}

extension Fixtures {
    /// `shots-360p.mp4` with its first 4 KiB (the `ftyp` and `moov` boxes: the index) zeroed: a file named
    /// like a video that no demuxer can open.
    public static func corruptClip() throws -> URL {
        try cached("corrupt.mp4") { url in
            var bytes = try Data(contentsOf: sample("shots-360p.mp4"))
            bytes.replaceSubrange(0..<4096, with: Data(count: 4096))
            try bytes.write(to: url)
        }
    }
}

extension Fixtures {
    /// `shots-360p.mp4` played 12 times (120 s, stream copy): long enough to interrupt a run midway.
    public static func longClip() throws -> URL {
        try cached("long-120s.mp4") { url in
            try ffmpeg(["-stream_loop", "11", "-i", sample("shots-360p.mp4").path, "-c", "copy", "-f", "mp4", url.path])
        }
    }
}

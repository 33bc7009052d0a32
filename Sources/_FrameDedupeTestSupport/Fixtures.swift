import Foundation
import Testing

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

    /// A fresh folder `LABEL-XXXXXXXX` in the current test's temporary folder, removed with it when the test ends
    /// (``TemporaryFolderScope``: the suite needs the `.temporaryFolders` trait).
    public static func temporaryFolder(_ label: String = "test", sourceLocation: SourceLocation = #_sourceLocation) -> URL {
        let url = TemporaryFolders.parent(sourceLocation: sourceLocation)
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A generated fixture, `name`, made by `make` (given the URL to write) unless the fixture cache holds one of
    /// the same `recipe` (``FixtureCache``): `recipe` lists what `make` does, one step a line, naming every input
    /// file; change it whenever `make` changes.
    public static func cached(_ name: String, recipe: [[String]], make: (URL) throws -> Void) throws -> URL {
        try FixtureCache.fixture(name, recipe: recipe, make: make)
    }

    /// A fixture made by ffmpeg alone: each step is one ffmpeg command line (after ``ffmpeg(_:)``'s fixed flags)
    /// in which `{out}` stands for the fixture being made and `{work}` for a scratch folder of its own (for
    /// intermediate files). With `folder`, the fixture is a folder, made empty before the first step.
    public static func ffmpegFixture(_ name: String, folder: Bool = false, _ steps: [[String]]) throws -> URL {
        try cached(name, recipe: steps) { url in
            if folder { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
            let work = url.deletingLastPathComponent().path
            for step in steps {
                try ffmpeg(step.map { $0.replacingOccurrences(of: "{out}", with: url.path).replacingOccurrences(of: "{work}", with: work) })
            }
        }
    }

    /// A clip whose every pts is known: H.264 with B-frames in Matroska (time base 1/1000), starting at
    /// 11.4 s, made of three segments at 10, 25 and 5 fps, 2 s each (variable frame rate).
    /// Frame pts in ms: 11400 + 100k (k < 20), 13400 + 40k (k < 50), 15400 + 200k (k < 10).
    public static func variableRateClip() throws -> URL {
        try ffmpegFixture("vfr.mkv", [[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=5:duration=2",
            "-filter_complex", "[0:v]settb=1/1000[a];[1:v]settb=1/1000[b];[2:v]settb=1/1000[c];[a][b][c]concat=n=3:v=1[v]",
            "-map", "[v]", "-fps_mode", "passthrough", "-c:v", "libx264", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p",
            "-output_ts_offset", "11.4", "-f", "matroska", "{out}",
        ]])
    }

    /// The pts (ms) of every frame of ``variableRateClip()``, by construction.
    public static let variableRateClipPTS: [Int64] =
        (0..<20).map { 11400 + 100 * Int64($0) } + (0..<50).map { 13400 + 40 * Int64($0) } + (0..<10).map { 15400 + 200 * Int64($0) }

    /// The same clip remuxed to NUT (what `ffmpeg ... -f nut -` sends down a pipe).
    public static func variableRateClipNUT() throws -> URL {
        let source = try variableRateClip()
        return try ffmpegFixture("vfr.nut", [["-i", source.path, "-c", "copy", "-f", "nut", "{out}"]])
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

    public typealias Result = BoundedRun

    /// Runs a program found on PATH (or at an absolute path) to its end, at most `timeLimit` seconds (then it is
    /// killed and the result says so), optionally feeding `stdin` from a file, with `environment` added.
    public static func run(_ program: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String]? = nil,
                           timeLimit: Double = 600) throws -> Result {
        try BoundedRun(program, arguments, stdin: stdin.map { .file($0) } ?? .null, environment: environment ?? [:], timeLimit: timeLimit)
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
        try ffmpegFixture("still-\(seconds)s.mp4", [
            ["-ss", "7.5", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/still.png"],
            ["-loop", "1", "-framerate", "25", "-i", "{work}/still.png", "-t", "\(seconds)", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}"],
        ])
    }
}

extension Fixtures {
    /// Three real stills, 4 s each at 25 fps (H.264): the coffee cup, the rocket, the coffee cup again (frames of
    /// `shots-360p.mp4` at 1 s and 7.5 s), cuts at 4 and 8 s. Nearly every sampled frame is unchanged since the
    /// first of its still.
    public static func threeStills() throws -> URL {
        try ffmpegFixture("three-stills.mp4", [
            ["-ss", "1", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/a.png"],
            ["-ss", "7.5", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/b.png"],
            ["-loop", "1", "-framerate", "25", "-t", "4", "-i", "{work}/a.png", "-loop", "1", "-framerate", "25", "-t", "4", "-i", "{work}/b.png",
             "-filter_complex", "[0:v]split[a1][a2];[a1][1:v][a2]concat=n=3:v=1[out]", "-map", "[out]",
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}"],
        ])
    }
}

extension Fixtures {
    /// Gaussian blur σ of each frame of ``blurSeries()``: the sharp original is frame 3.
    public static let blurSeriesSigmas: [Double] = [4, 3, 2, 0, 1.5, 2.5, 3.5]

    /// A real still (the coffee cup of `shots-360p.mp4`) shown at 2 fps as progressively blurred copies,
    /// with the sharp original in the middle: one scene whose right keyframe is known by construction.
    public static func blurSeries() throws -> URL {
        let frames = blurSeriesSigmas.enumerated().map { i, sigma in
            ["-ss", "1", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-vf", sigma > 0 ? "gblur=sigma=\(sigma)" : "null",
             "-f", "image2", "-c:v", "png", "{work}/" + String(format: "f%02d.png", i)]
        }
        return try ffmpegFixture("blur-series.mkv", frames + [["-framerate", "2", "-i", "{work}/f%02d.png", "-c:v", "ffv1", "-f", "matroska", "{out}"]])
    }
}

extension Fixtures {
    /// Real shots from `shots-360p.mp4` in the order A B A C B, 2 s each, cuts at 2, 4, 6, 8 s:
    /// A = the coffee cup (0.2–2.2 s, then 0.8–2.8 s: the same shot, a little later in its zoom),
    /// B = the bottle (3.2–5.2 s, then 3.6–5.6 s), C = the rocket (6.5–8.5 s).
    public static let returningShotsCuts: [Double] = [2, 4, 6, 8]
    public static let returningShotsContent = [0, 1, 0, 2, 1]

    public static func returningShots() throws -> URL {
        let segments: [(Double, Double)] = [(0.2, 2.2), (3.2, 5.2), (0.8, 2.8), (6.5, 8.5), (3.6, 5.6)]
        let inputs = segments.flatMap { ["-ss", "\($0.0)", "-t", "2", "-i", sample("shots-360p.mp4").path] }
        let graph = (0..<segments.count).map { "[\($0):v]fps=25,setpts=PTS-STARTPTS[v\($0)]" }.joined(separator: ";")
            + ";" + (0..<segments.count).map { "[v\($0)]" }.joined() + "concat=n=\(segments.count):v=1[out]"
        return try ffmpegFixture("abacb.mp4", [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}"]])
    }

    /// Shot A (the coffee cup), 4 s, with a white flash of 3 frames at 1.44–1.56 s (frames 36–38), and the cut
    /// to the next shot of the sample at 3 s.
    /// - Parameters: `from`, `to`: the first and last white frame, seconds (multiples of 0.04).
    public static func whiteFlash(from: String = "1.44", to: String = "1.56") throws -> URL {
        try ffmpegFixture(from == "1.44" && to == "1.56" ? "white-flash.mp4" : "white-flash-\(from)-\(to).mp4", [[
            "-ss", "0", "-t", "4", "-i", sample("shots-360p.mp4").path,
            "-vf", "fps=25,setpts=PTS-STARTPTS,drawbox=c=white:t=fill:enable='between(t,\(from),\(to))'",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }

    /// A dark box over most of the picture for two frames (0.96 and 1.0 s: the sample at 1 s, at 2 a second), like a car
    /// passing in front of a static camera, next to a real cut: shot A (the coffee cup) until `cut` seconds, then the
    /// rocket shot (from 6.5 s of the sample) to 4 s. With the cut at 0.84 s the occlusion is the new shot's first
    /// sample; at 1.16 s it is the old shot's last.
    public static func occlusionNextToCut(cut: String) throws -> URL {
        let shots = sample("shots-360p.mp4").path
        return try ffmpegFixture("occlusion-cut-\(cut).mp4", [[
            "-ss", "0", "-t", cut, "-i", shots, "-ss", "6.5", "-t", "4", "-i", shots,
            "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1,trim=end=4[c];"
                + "[c]drawbox=x=40:y=20:w=560:h=320:c=0x303030:t=fill:enable='between(t,0.955,1.005)'[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }

    /// Shot / reverse shot: A B A B A B A, 2.2 s each (A = the coffee cup from 0 s, B = the rocket from 6.5 s, each
    /// restarting), cuts at 2.2, 4.4, 6.6, 8.8, 11 and 13.2 s: between the samples at 0.5 and at 2 a second.
    public static let alternatingShotsCuts: [Double] = [2.2, 4.4, 6.6, 8.8, 11, 13.2]

    public static func alternatingShots() throws -> URL {
        let shots = sample("shots-360p.mp4").path
        return try ffmpegFixture("alternating.mp4", [[
            "-ss", "0", "-t", "2.2", "-i", shots, "-ss", "6.5", "-t", "2.2", "-i", shots, "-filter_complex",
            "[0:v]fps=25,setpts=PTS-STARTPTS,split=4[a1][a2][a3][a4];[1:v]fps=25,setpts=PTS-STARTPTS,split=3[b1][b2][b3];"
                + "[a1][b1][a2][b2][a3][b3][a4]concat=n=7:v=1[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }

    /// Shot A (the coffee cup, 3 s) dipping to black into shot B (the rocket, 3 s) over 1 s (xfade `fadeblack`): A
    /// darkens from 2.04 s, black at 2.5 s, B wholly from 3 s; 5 s in all. No sample at 2 or 0.5 a second is blank.
    public static func dipToBlack() throws -> URL {
        try ffmpegFixture("dip-to-black.mp4", [[
            "-ss", "0", "-t", "3", "-i", sample("shots-360p.mp4").path, "-ss", "6.5", "-t", "3", "-i", sample("shots-360p.mp4").path,
            "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[a][b]xfade=transition=fadeblack:duration=1:offset=2[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }

    /// A slide and its next build: a white 720p slide (a title bar and three lines of "text" as black bars), 3 s, then
    /// the same slide with a fourth line, 3 s, at 25 fps. Mostly white (it passed for a blank frame), and the build
    /// moves the network's embedding only 0.028: a cut between two still pictures at 3 s.
    public static func slideBuild() throws -> URL {
        let slide = "drawbox=x=80:y=60:w=1120:h=90:c=0x1f4e79:t=fill,drawbox=x=120:y=220:w=700:h=24:c=black:t=fill,"
            + "drawbox=x=120:y=280:w=820:h=24:c=black:t=fill,drawbox=x=120:y=340:w=560:h=24:c=black:t=fill"
        return try ffmpegFixture("slide-build.mp4", [[
            "-f", "lavfi", "-i", "color=white:size=1280x720:rate=25:duration=6",
            "-vf", slide + ",drawbox=x=120:y=400:w=600:h=24:c=black:t=fill:enable='gte(t,3)'",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }

    /// Three regions of one real still (`bbb-720p.mp4` at 5 s, 1280×720), 640×360 each, 3 s each at 25 fps, hard cuts
    /// at 3 and 6 s: the top-left quarter, the centre, the bottom-right quarter. The centre overlaps both others, so in
    /// embedding distance it lies about on the way from one to the other, as a dissolve's middle would.
    public static func regionsOfOneStill() throws -> URL {
        try ffmpegFixture("regions-of-one-still.mp4", [
            ["-ss", "5", "-i", sample("bbb-720p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/still.png"],
            ["-loop", "1", "-framerate", "25", "-t", "9", "-i", "{work}/still.png", "-filter_complex",
             "[0:v]split=3[a][b][c];[a]trim=0:3,crop=640:360:0:0[ra];[b]trim=3:6,setpts=PTS-STARTPTS,crop=640:360:320:180[rb];"
                + "[c]trim=6:9,setpts=PTS-STARTPTS,crop=640:360:640:360[rc];[ra][rb][rc]concat=n=3:v=1[out]",
             "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}"],
        ])
    }

    /// Shot A (the coffee cup, 3 s) crossfading over 1 s into shot B (the rocket, 3 s): 5 s in all,
    /// the crossfade from 2 to 3 s.
    public static func crossfade() throws -> URL {
        try ffmpegFixture("crossfade.mp4", [[
            "-ss", "0", "-t", "3", "-i", sample("shots-360p.mp4").path, "-ss", "6.5", "-t", "3", "-i", sample("shots-360p.mp4").path,
            "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[a][b]xfade=transition=fade:duration=1:offset=2[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }
}

extension Fixtures {
    /// What each 2 s still of ``variantsClip()`` shows; the same name before the first "/" is the same content.
    public static let variantsClipScenes = ["X", "L/left half", "X/crop 5%", "R/right half", "X/brightness +15%", "C", "X/mirrored", "D", "X/re-encoded"]

    /// Nine 2 s stills with hard cuts: a real frame X (the coffee cup) and four near-duplicate variants of it,
    /// separated by the left and right halves of another photograph (the rocket: look-alikes, not copies)
    /// and two other shots (the bottle, the astronaut).
    public static func variantsClip() throws -> URL {
        // Each still as a PNG in the scratch folder, then the nine joined.
        func still(_ name: String, _ input: String, at seconds: Double, _ filter: String) -> [String] {
            ["-ss", "\(seconds)", "-i", input, "-frames:v", "1", "-vf", filter + ",scale=640:360,setsar=1", "-f", "image2", "-c:v", "png",
             "{work}/\(name).png"]
        }
        let shots = sample("shots-360p.mp4").path, revisit = sample("revisit-360p.mp4").path
        let stills = [
            still("X", shots, at: 1, "null"), still("L", shots, at: 7.5, "crop=iw/2:ih:0:0"), still("Xc", shots, at: 1, "crop=iw*0.95:ih*0.95"),
            still("R", shots, at: 7.5, "crop=iw/2:ih:iw/2:0"), still("Xb", shots, at: 1, "lutyuv=y=clip(val*1.15\\,0\\,255)"),
            still("C", shots, at: 4, "null"), still("Xm", shots, at: 1, "hflip"), still("D", revisit, at: 1, "null"),
            // Re-encoded at a very low bitrate, then decoded again.
            ["-loop", "1", "-i", "{work}/X.png", "-t", "1", "-c:v", "libx264", "-crf", "45", "-pix_fmt", "yuv420p", "{work}/low.mp4"],
            still("Xr", "{work}/low.mp4", at: 0.5, "null"),
        ]
        let names = ["X", "L", "Xc", "R", "Xb", "C", "Xm", "D", "Xr"]
        let inputs = names.flatMap { ["-loop", "1", "-framerate", "25", "-t", "2", "-i", "{work}/\($0).png"] }
        let graph = names.indices.map { "[\($0):v]format=yuv420p[v\($0)]" }.joined(separator: ";") + ";"
            + names.indices.map { "[v\($0)]" }.joined() + "concat=n=\(names.count):v=1[out]"
        return try ffmpegFixture("variants.mkv", stills + [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "ffv1", "-f", "matroska", "{out}"]])
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
        try ffmpegFixture("fade-to-black.mp4", [[
            "-ss", "0", "-t", "3", "-i", sample("shots-360p.mp4").path, "-ss", "6.5", "-t", "2", "-i", sample("shots-360p.mp4").path,
            "-f", "lavfi", "-t", "2", "-i", "color=black:size=640x360:rate=25",
            "-filter_complex", "[0:v]fps=25,setpts=PTS-STARTPTS,fade=t=out:st=2:d=1[a];[1:v]fps=25,setpts=PTS-STARTPTS[b];[2:v]format=yuv420p[k];[a][k][b]concat=n=3:v=1[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
        ]])
    }
}

extension Fixtures {
    /// One continuous 20 s camera move over a real frame (`bbb-720p.mp4` at 5 s): a zoom from 1× to 3×
    /// while panning from the top-left corner to the bottom-right, 640×360 at 25 fps. Its last frames
    /// share nothing with its first (SSIM to the first frame falls to ~0.05, the embedding distance
    /// passes 0.55), yet no two frames 0.5 s apart differ much: one shot that drifts past every fixed
    /// threshold a reference-only rule could use.
    public static func slowZoomAndPan() throws -> URL {
        try ffmpegFixture("slow-zoom-pan.mp4", [
            ["-ss", "5", "-i", sample("bbb-720p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/still.png"],
            ["-loop", "1", "-framerate", "25", "-i", "{work}/still.png", "-vf",
             "zoompan=z='1+0.004*on':x='on*(iw-iw/zoom)/500':y='on*(ih-ih/zoom)/500':d=500:s=640x360:fps=25,format=yuv420p",
             "-frames:v", "500", "-c:v", "libx264", "-f", "mp4", "{out}"],
        ])
    }
}

extension Fixtures {
    /// ``returningShots()`` (cuts at 2, 4, 6, 8 s) with its video starting 1.5 s after a silent audio track, in
    /// Matroska: the file starts at 0 while the video's first frame is at 1.521 s (Matroska's millisecond
    /// clock), so times from the video's first frame and ffmpeg's timeline (from the file's start) differ.
    public static func lateVideo() throws -> URL {
        let shots = try returningShots()
        return try ffmpegFixture("late-video.mkv", [[
            "-f", "lavfi", "-t", "11", "-i", "anullsrc=r=48000:cl=mono", "-itsoffset", "1.5", "-i", shots.path,
            "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-c:a", "aac", "-shortest", "-f", "matroska", "{out}",
        ]])
    }
}

extension Fixtures {
    /// `shots-360p.mp4` with its first 4 KiB (the `ftyp` and `moov` boxes: the index) zeroed: a file named
    /// like a video that no demuxer can open.
    public static func corruptClip() throws -> URL {
        let shots = sample("shots-360p.mp4").path
        return try cached("corrupt.mp4", recipe: [["zero the first 4096 bytes of", shots]]) { url in
            var bytes = try Data(contentsOf: sample("shots-360p.mp4"))
            bytes.replaceSubrange(0..<4096, with: Data(count: 4096))
            try bytes.write(to: url)
        }
    }
}

extension Fixtures {
    /// `shots-360p.mp4` played 12 times (120 s, stream copy): long enough to interrupt a run midway.
    public static func longClip() throws -> URL {
        try ffmpegFixture("long-120s.mp4", [["-stream_loop", "11", "-i", sample("shots-360p.mp4").path, "-c", "copy", "-f", "mp4", "{out}"]])
    }
}

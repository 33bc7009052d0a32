import Foundation

/// Copies and look-alikes of one real picture, for the geometric check and the black bars (issue 17): the coffee cup
/// of `shots-360p.mp4` (at 1 s) and copies of it with bars, and look-alikes that share content with it or with
/// each other but are not copies (regions of the rocket photograph at 7.5 s, a 2× zoom on the cup's corner).
extension Fixtures {
    /// What each 1.5 s still of ``copiesClip()`` shows; the same name before the first "/" is the same content.
    public static let copiesClipScenes = ["X", "L/rocket, left 60%", "X/windowbox", "R/rocket, right 60%", "X/pillarbox, 4:3 crop",
                                          "Z/2x zoom on X's top-left quarter", "X/letterbox, 2.35:1 crop"]
    /// The active area each still of ``copiesClip()`` has inside its bars (x, y, width, height in 640×360).
    public static let copiesClipActiveAreas = [(0, 0, 640, 360), (0, 0, 640, 360), (80, 45, 480, 270), (0, 0, 640, 360), (80, 0, 480, 360),
                                               (0, 0, 640, 360), (0, 44, 640, 272)]

    /// ffmpeg's video filter for each still of ``copiesClip()``, and the time of `shots-360p.mp4` it is taken at.
    static let copiesClipStills: [(name: String, seconds: Double, filter: String)] = [
        ("X", 1, "null"), ("L", 7.5, "crop=iw*0.6:ih:0:0,scale=640:360"), ("Xw", 1, "scale=480:270,pad=640:360:80:45"),
        ("R", 7.5, "crop=iw*0.6:ih:iw*0.4:0,scale=640:360"), ("Xp", 1, "crop=480:360,pad=640:360:80:0"),
        ("Z", 1, "crop=iw/2:ih/2:0:0,scale=640:360"), ("Xl", 1, "crop=640:272,pad=640:360:0:44"),
    ]

    /// The steps that write each still of ``copiesClipStills`` as `{work}/NAME.png`.
    static func copiesStillSteps() -> [[String]] {
        copiesClipStills.map { s in
            ["-ss", "\(s.seconds)", "-i", sample("shots-360p.mp4").path, "-frames:v", "1", "-vf", s.filter + ",setsar=1", "-f", "image2",
             "-c:v", "png", "{work}/\(s.name).png"]
        }
    }

    /// The seven stills of ``copiesClipScenes``, 1.5 s each with hard cuts, 640×360, lossless (FFV1).
    public static func copiesClip() throws -> URL {
        let names = copiesClipStills.map(\.name)
        let inputs = names.flatMap { ["-loop", "1", "-framerate", "25", "-t", "1.5", "-i", "{work}/\($0).png"] }
        let graph = names.indices.map { "[\($0):v]format=yuv420p[v\($0)]" }.joined(separator: ";") + ";"
            + names.indices.map { "[v\($0)]" }.joined() + "concat=n=\(names.count):v=1[out]"
        return try ffmpegFixture("copies.mkv", copiesStillSteps() + [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "ffv1", "-f", "matroska", "{out}"]])
    }

    /// Files of one still each (1.5 s, H.264), for `index dedupe`: `original.mp4` (the cup at 1280×720, HD),
    /// `letterbox-sd.mp4` (it at 640×360 in a 640×480 frame: an SD copy with bars above and below),
    /// `pillarbox.mp4` (its 4:3 crop in a 640×360 frame, bars left and right), `mirror.mp4` (mirrored, 15% brighter);
    /// and the look-alikes `left.mp4`, `right.mp4` (two regions of the rocket photograph that share a fifth of their
    /// width) and `zoom.mp4` (a 2× zoom on the cup picture's top-left quarter).
    public static func copiesCorpus() throws -> [String: URL] {
        let shots = sample("shots-360p.mp4").path
        func clip(_ name: String, _ seconds: Double, _ filter: String) throws -> URL {
            try ffmpegFixture("copies-\(name).mp4", [[
                "-ss", "\(seconds)", "-t", "1.5", "-i", shots, "-vf", filter + ",setsar=1", "-c:v", "libx264", "-crf", "23",
                "-pix_fmt", "yuv420p", "-f", "mp4", "{out}",
            ]])
        }
        return [
            "original": try clip("original", 1, "scale=1280:720"),
            "letterbox-sd": try clip("letterbox-sd", 1, "pad=640:480:0:60"),
            "pillarbox": try clip("pillarbox", 1, "crop=480:360,pad=640:360:80:0"),
            "mirror": try clip("mirror", 1, "hflip,lutyuv=y=clip(val*1.15\\,0\\,255)"),
            "left": try clip("left", 7.5, "crop=iw*0.6:ih:0:0,scale=640:360"),
            "right": try clip("right", 7.5, "crop=iw*0.6:ih:iw*0.4:0,scale=640:360"),
            "zoom": try clip("zoom", 1, "crop=iw/2:ih/2:0:0,scale=640:360"),
        ]
    }
}

/// Copies of a moving shot at other moments (issue 17): a fast pan (128 pixels a second across a 320×180 window,
/// scaled to 640×360) over the coffee cup photograph of `shots-360p.mp4` (slowly zooming, from 0 s), and its mirror
/// image along the same path a second later, so that their keyframes may show views far apart on the path while the
/// end of one and the start of the other show the same view; with the same pan over the photograph's top and bottom
/// halves as look-alikes that never overlap, and the bottle and the rocket between them.
extension Fixtures {
    /// What each 1.5 s shot of ``movingCopiesClip()`` shows; the same name before the first "/" is the same content.
    public static let movingCopiesClipScenes = ["P/pan over the middle band, 0-1.5 s", "Y/bottle", "U/pan over the top half", "R/rocket",
                                                "D/pan over the bottom half", "Y/bottle", "P/pan over the middle band, 1-2.5 s, mirrored"]
    /// (start in `shots-360p.mp4`, filter) of each shot of ``movingCopiesClip()``, 1.5 s each.
    static let movingCopiesClipShots: [(seconds: Double, filter: String)] = [
        (0, pan(y: 90, delay: 0)), (3, "null"), (0, pan(y: 0, delay: 0)), (6.5, "null"), (0, pan(y: 180, delay: 0)), (3, "null"),
        (0, pan(y: 90, delay: 1) + ",hflip"),
    ]

    /// A 320×180 window at height `y` moving right 128 pixels a second, `delay` seconds along its path at the start.
    static func pan(y: Int, delay: Double) -> String { "crop=320:180:x=128*(t+\(delay)):y=\(y),scale=640:360" }

    /// The seven shots of ``movingCopiesClipScenes``, 1.5 s each with hard cuts, 640×360, lossless (FFV1), 25 fps.
    public static func movingCopiesClip() throws -> URL { try movingCopiesClip(shots: Array(movingCopiesClipShots.indices), name: "moving-copies.mkv") }

    /// The pan, the bottle and the pan's mirrored copy only (shots 0, 3 and 6 of ``movingCopiesClipScenes``): a shorter
    /// clip for runs of the binary.
    public static func movingCopyClip() throws -> URL { try movingCopiesClip(shots: [0, 3, 6], name: "moving-copy.mkv") }

    static func movingCopiesClip(shots indices: [Int], name: String) throws -> URL {
        let shots = sample("shots-360p.mp4").path
        let chosen = indices.map { movingCopiesClipShots[$0] }
        let inputs = chosen.flatMap { ["-ss", "\($0.seconds)", "-t", "1.5", "-i", shots] }
        let graph = chosen.enumerated().map { "[\($0.offset):v]setpts=PTS-STARTPTS,\($0.element.filter),setsar=1,format=yuv420p[v\($0.offset)]" }
            .joined(separator: ";") + ";" + chosen.indices.map { "[v\($0)]" }.joined() + "concat=n=\(chosen.count):v=1[out]"
        return try ffmpegFixture(name, [inputs + ["-filter_complex", graph, "-map", "[out]", "-r", "25", "-c:v", "ffv1", "-f", "matroska", "{out}"]])
    }
}

/// Static graphics (issue 17): the same broadcast graphics (a lower third of blocks, a bottom strip and a station mark
/// cut from a photograph) on different real pictures, and one picture with and without them.
extension Fixtures {
    /// What each 1.5 s still of ``overlayClip()`` shows; the same name before the first "/" is the same content.
    public static let overlayClipScenes = ["L/rocket, left 60%, graphics", "X/cup, graphics", "R/rocket, right 60%, graphics",
                                           "A/astronaut, graphics", "X/cup, no graphics", "K/cat, graphics", "B/bunny, graphics"]

    /// The graphics: a dark blue lower third with a red edge and white blocks for words, a dark strip along the bottom,
    /// and a station mark (the astronaut's face, 96×54, white frame) at the top right. Input 0 is the picture, input 1
    /// the mark's source (revisit-360p.mp4 at 0.5 s).
    static func graphics(_ picture: String) -> String {
        var blocks: [String] = []
        var x = 26
        for (k, w) in [34, 18, 52, 26, 40, 14, 46, 30, 22, 38].enumerated() {
            blocks.append("drawbox=x=\(x):y=\(k % 3 == 0 ? 274 : 276):w=\(w):h=\(k % 2 == 0 ? 18 : 14):color=white@1:t=fill")
            x += w + 10
        }
        return "[1:v]crop=220:124:210:40,scale=96:54[mark];[0:v]\(picture),scale=640:360,"
            + "drawbox=x=0:y=262:w=440:h=46:color=0x10306e@0.9:t=fill,drawbox=x=0:y=262:w=10:h=46:color=0xd02020@1:t=fill,"
            + blocks.joined(separator: ",")
            + ",drawbox=x=0:y=326:w=640:h=34:color=black@0.85:t=fill,drawbox=x=514:y=12:w=108:h=66:color=white@1:t=fill[bg];"
            + "[bg][mark]overlay=520:18,setsar=1[out]"
    }

    /// (name, sample, seconds, filter, with graphics) of each still of ``overlayClip()``.
    static let overlayClipStills: [(name: String, input: String, seconds: Double, filter: String, graphics: Bool)] = [
        ("Lg", "shots-360p.mp4", 7.5, "crop=iw*0.6:ih:0:0", true), ("Xg", "shots-360p.mp4", 1, "null", true),
        ("Rg", "shots-360p.mp4", 7.5, "crop=iw*0.6:ih:iw*0.4:0", true), ("Ag", "revisit-360p.mp4", 0.5, "null", true),
        ("X", "shots-360p.mp4", 1, "null", false), ("Kg", "revisit-360p.mp4", 3, "null", true),
        ("Bg", "bbb-720p.mp4", 2, "null", true),
    ]

    /// The seven stills of ``overlayClipScenes``, 1.5 s each with hard cuts, 640×360, lossless (FFV1).
    public static func overlayClip() throws -> URL {
        let steps: [[String]] = overlayClipStills.map { s in
            let graph = s.graphics ? graphics(s.filter) : "[0:v]\(s.filter),scale=640:360,setsar=1[out]"
            return ["-ss", "\(s.seconds)", "-i", sample(s.input).path, "-ss", "0.5", "-i", sample("revisit-360p.mp4").path,
                    "-filter_complex", graph, "-map", "[out]", "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/overlay-\(s.name).png"]
        }
        let names = overlayClipStills.map(\.name)
        let inputs = names.flatMap { ["-loop", "1", "-framerate", "25", "-t", "1.5", "-i", "{work}/overlay-\($0).png"] }
        let graph = names.indices.map { "[\($0):v]format=yuv420p[v\($0)]" }.joined(separator: ";") + ";"
            + names.indices.map { "[v\($0)]" }.joined() + "concat=n=\(names.count):v=1[out]"
        return try ffmpegFixture("overlay.mkv", steps + [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "ffv1", "-f", "matroska", "{out}"]])
    }
}

/// Copies of a fast shot that start at the same frame of it, sampled at other moments (issue 17, ``ShotStart``): a fast pan
/// (600 pixels a second across a 320×180 window, scaled to 640×360) over a still of Big Buck Bunny's meadow
/// (`bbb-720p.mp4` at 2 s, 1280×720), and its mirror image from the same first frame 5.28 s later, so that at 2 frames a
/// second its samples fall 0.22 s along the pan from the first's (a shift of 41% of the window: no transform maps any
/// sample of one onto any of the other's), while the first frames of the two shots are the same picture; with the same
/// pan over the band above (no overlap with the first) as a look-alike, and the bottle and the rocket between them.
extension Fixtures {
    /// What each shot of ``shotStartCopiesClip()`` shows; the same name before the first "/" is the same content.
    public static let shotStartCopiesClipScenes = ["P/fast pan over the meadow's middle band", "Y/bottle", "T/fast pan over the band above the middle one",
                                                   "R/rocket", "P/the middle band's pan again, mirrored"]
    /// Each shot's first frame (25 frames a second): 38, 31, 38, 25 and 38 frames.
    public static let shotStartCopiesClipCuts = [0, 38, 69, 107, 132]

    /// The five shots of ``shotStartCopiesClipScenes`` with hard cuts, 640×360, lossless (FFV1), 25 fps, 170 frames.
    public static func shotStartCopiesClip() throws -> URL {
        let pan = { (y: Int) in "crop=320:180:x=600*t:y=\(y),scale=640:360" }
        // Input 0 the still (looped), 1 the bottle, 2 the rocket; the still feeds three shots.
        let shots: [(source: String, frames: Int, filter: String)] = [
            ("p0", 38, pan(270)), ("1:v", 31, "scale=640:360"), ("p1", 38, pan(90)), ("2:v", 25, "scale=640:360"), ("p2", 38, pan(270) + ",hflip"),
        ]
        let graph = "[0:v]split=3[p0][p1][p2];"
            + shots.enumerated().map { k, s in "[\(s.source)]trim=end_frame=\(s.frames),setpts=PTS-STARTPTS,\(s.filter),setsar=1,format=yuv420p[v\(k)]" }
                .joined(separator: ";")
            + ";" + shots.indices.map { "[v\($0)]" }.joined() + "concat=n=\(shots.count):v=1[out]"
        let still = ["-ss", "2", "-i", sample("bbb-720p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/shot-start-still.png"]
        let inputs = ["-loop", "1", "-framerate", "25", "-i", "{work}/shot-start-still.png", "-ss", "3", "-i", sample("shots-360p.mp4").path,
                      "-ss", "6.5", "-i", sample("shots-360p.mp4").path]
        return try ffmpegFixture("shot-start-copies.mkv", [still, inputs + ["-filter_complex", graph, "-map", "[out]", "-r", "25", "-c:v", "ffv1",
                                                                             "-f", "matroska", "{out}"]])
    }
}

extension Fixtures {
    /// Two views of one plain object and a copy (issue 17, ``ClusterOptions/plainLayoutChange``): view A of a flat-coloured
    /// box and ball (`flat-view-a.png`, zoomed 1.05×), a cutaway (Sintel's rocks), view D, 18° round (`flat-view-d.png`,
    /// zoomed 1.03×), another cutaway, view A zoomed `copyZoom`× (a copy; 1.05: the first picture again); 2 s each,
    /// 640×360. Too plain for local features to decide, and alike to the 3×3 grids.
    public static func plainViewsClip(copyZoom: Double = 1.1) throws -> URL {
        let geometry = packageRoot.appendingPathComponent("Tests/SimilarityTests/Fixtures/geometry")
        let stills = [("flat-view-a.png", 1.05), ("sintel-rocks-a.jpg", 1.0), ("flat-view-d.png", 1.03), ("sintel-rocks-b.jpg", 1.0), ("flat-view-a.png", copyZoom)]
        let inputs = stills.flatMap { ["-loop", "1", "-t", "2", "-i", geometry.appendingPathComponent($0.0).path] }
        let graph = stills.enumerated().map { i, s in "[\(i):v]crop=iw/\(s.1):ih/\(s.1),scale=640:360,setsar=1,fps=25,format=yuv420p[v\(i)]" }
            .joined(separator: ";") + ";[v0][v1][v2][v3][v4]concat=n=5:v=1[out]"
        return try ffmpegFixture("flat-views-copy-\(copyZoom).mp4", [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264",
                                                                   "-crf", "18", "-preset", "veryfast", "-f", "mp4", "{out}"]])
    }

    /// Issue 17: two moments of a fixed camera on a plain wall (Intel's `bottle-detection.mp4`, CC BY 4.0;
    /// `Tests/SimilarityTests/Fixtures/geometry/`), one bottle and then that bottle and another, around a cutaway (a
    /// Sintel still), 2 s each with hard cuts, 640×360, 25 fps: their keyframes match on the bottle that stayed, in one
    /// small patch, and the rest of the two pictures agrees.
    public static func plainWallCutawayClip() throws -> URL {
        let geometry = packageRoot.appendingPathComponent("Tests/SimilarityTests/Fixtures/geometry")
        let stills = ["bottle-20.5s.jpg", "sintel-rocks-a.jpg", "bottle-25.5s.jpg"]
        let inputs = stills.flatMap { ["-loop", "1", "-t", "2", "-i", geometry.appendingPathComponent($0).path] }
        let graph = (0..<3).map { "[\($0):v]scale=640:360,setsar=1,fps=25,format=yuv420p[v\($0)]" }.joined(separator: ";") + ";[v0][v1][v2]concat=n=3:v=1[out]"
        return try ffmpegFixture("bottle-wall-cutaway.mp4", [inputs + ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264",
                                                                      "-crf", "18", "-preset", "veryfast", "-f", "mp4", "{out}"]])
    }
}

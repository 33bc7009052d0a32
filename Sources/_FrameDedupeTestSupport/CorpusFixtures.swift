import Foundation

extension Fixtures {
    /// Five files with known cross-file duplicates, made from the samples with the real ffmpeg (corpus tests):
    /// - `original.mp4`: `shots-360p.mp4` as it is (cup 0–3 s, bottle 3–6 s, rocket 6–10 s: 3 scenes);
    /// - `reencoded.mkv`: the same shots re-encoded at 480×270, CRF 35, in Matroska (other bytes, same content);
    /// - `trimmed.mp4`: the same shots from 3 s on (bottle, rocket), re-encoded;
    /// - `revisit.mp4`: `revisit-360p.mp4` (astronaut, cat, astronaut again): nothing in common with the others;
    /// - `bunny.mp4`: `bbb-720p.mp4` (one scene): nothing in common with the others.
    /// Cross-file groups: cup {original, reencoded}, bottle and rocket {original, reencoded, trimmed}.
    public static func corpusClips() throws -> (original: URL, reencoded: URL, trimmed: URL, revisit: URL, bunny: URL) {
        let shots = sample("shots-360p.mp4").path
        func copy(_ name: String, _ path: String) throws -> URL {
            try cached(name, recipe: [["copy", path]]) { url in try FileManager.default.copyItem(atPath: path, toPath: url.path) }
        }
        let original = try copy("corpus-original.mp4", shots)
        let reencoded = try ffmpegFixture("corpus-reencoded.mkv", [["-i", shots, "-vf", "scale=480:270", "-c:v", "libx264", "-crf", "35", "-f", "matroska", "{out}"]])
        let trimmed = try ffmpegFixture("corpus-trimmed.mp4", [["-ss", "3", "-i", shots, "-c:v", "libx264", "-crf", "26", "-f", "mp4", "{out}"]])
        let revisit = try copy("corpus-revisit.mp4", sample("revisit-360p.mp4").path)
        let bunny = try copy("corpus-bunny.mp4", sample("bbb-720p.mp4").path)
        return (original, reencoded, trimmed, revisit, bunny)
    }

    /// A 30 s clip (the three shots of `shots-360p.mp4` played three times, re-encoded): long enough to kill
    /// `framededupe index add` while it decodes.
    public static func corpusLongClip() throws -> URL {
        try ffmpegFixture("corpus-long.mp4", [["-stream_loop", "2", "-i", sample("shots-360p.mp4").path, "-c:v", "libx264", "-preset", "ultrafast", "-f", "mp4", "{out}"]])
    }
}

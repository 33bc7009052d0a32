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
        let original = try cached("corpus-original.mp4") { url in try FileManager.default.copyItem(atPath: shots, toPath: url.path) }
        let reencoded = try cached("corpus-reencoded.mkv") { url in
            try ffmpeg(["-i", shots, "-vf", "scale=480:270", "-c:v", "libx264", "-crf", "35", "-f", "matroska", url.path])
        }
        let trimmed = try cached("corpus-trimmed.mp4") { url in
            try ffmpeg(["-ss", "3", "-i", shots, "-c:v", "libx264", "-crf", "26", "-f", "mp4", url.path])
        }
        let revisit = try cached("corpus-revisit.mp4") { url in
            try FileManager.default.copyItem(atPath: sample("revisit-360p.mp4").path, toPath: url.path)
        }
        let bunny = try cached("corpus-bunny.mp4") { url in
            try FileManager.default.copyItem(atPath: sample("bbb-720p.mp4").path, toPath: url.path)
        }
        return (original, reencoded, trimmed, revisit, bunny)
    }

    /// A 30 s clip (the three shots of `shots-360p.mp4` played three times, re-encoded): long enough to kill
    /// `framededupe index add` while it decodes.
    public static func corpusLongClip() throws -> URL {
        try cached("corpus-long.mp4") { url in
            try ffmpeg(["-stream_loop", "2", "-i", sample("shots-360p.mp4").path, "-c:v", "libx264", "-preset", "ultrafast", "-f", "mp4", url.path])
        }
    }
}

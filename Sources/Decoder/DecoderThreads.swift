import CFFmpeg

/// How many threads decode a stream when the caller leaves it to the reader (``ReaderOptions/threads`` 0,
/// `--threads 0`): libavcodec's own choice — one more than the processors this process may run on, at most 16 —
/// but no more than keep the frame threads' own memory within ``memory``.
///
/// With frame threading each thread decodes a picture of its own and keeps its own copy of the decoder's state, so
/// memory grows with the thread count, which by default grows with the machine. Measured on the mixed benchmark set
/// (peak RSS of a default run by `--threads` 1 to 17, AMD EPYC Zen 4; BENCHMARKS.md "The decoder's threads by
/// picture size"): H.264 took 8.1 MB more a thread at 1080p, 4.5 MB at 720p and 2.2 MB at 360p (VP9 at 720p 2.2 MB),
/// about two pictures and 1.5 MiB each (``threadBytes(picture:)``). Within 32 MiB that is 4 threads at 1080p, 7 at
/// 720p, 11 at 854×480 and 14 at 640×360 (4:2:0): a 1080p run stays near 180 MiB on a many-core machine instead of 270 MiB at 17
/// threads. What that may cost in speed is bounded by the rest of the run: above 4 decoder threads at 1080p, the
/// network (one BLAS thread by default) and the image encoder take longer per sampled frame than the decoder does.
/// At least 2 threads, as on a one-core machine, whatever the picture size. Results do not depend on the count.
public enum DecoderThreads {
    /// The frame threads' own memory the automatic count stays within.
    public static let memory: Int64 = 32 << 20

    /// The processors this process may run on, as libavutil counts them for its own automatic thread count (the
    /// CPU affinity mask).
    public static var processors: Int { Int(av_cpu_count()) }

    /// The threads to decode `width`×`height` pictures in pixel format `format` (an `AVPixelFormat`, −1 when
    /// unknown) with `processors` available (libavutil's count: the process's CPU affinity).
    public static func automatic(width: Int, height: Int, format: Int32, processors: Int = DecoderThreads.processors) -> Int {
        let libavChoice = min(16, max(1, processors) + 1)
        let picture = MemoryBudget.pictureBytes(width: width, height: height, format: format)
        let fitting = Int(min(16, (Double(memory) / threadBytes(picture: picture)).rounded(.down)))
        return min(libavChoice, max(2, fitting))
    }

    /// The memory one frame thread adds, estimated from its picture's bytes: two pictures and 1.5 MiB.
    static func threadBytes(picture: Int64) -> Double { 2 * Double(picture) + Double(3 << 19) }

    /// The count to decode with: `requested` when it is set (above 0), else ``automatic(width:height:format:processors:)``.
    static func resolved(_ requested: Int, width: Int, height: Int, format: Int32) -> Int {
        requested > 0 ? requested : automatic(width: width, height: height, format: format)
    }
}

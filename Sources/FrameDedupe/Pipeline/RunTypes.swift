import Decoder
import Foundation
import Pixels
import Similarity

/// Where a run is, for a progress display.
public struct RunProgress: Sendable {
    /// Seconds of input analysed so far.
    public let position: Double
    /// The input's stated duration, when known.
    public let duration: Double?
    public let sampledFrames: Int
    public let scenes: Int
}

/// A request to stop runs early (SIGINT, SIGTERM), safe to make from any thread: each run stops reading its
/// input, finishes the frames already decoded, and writes valid results marked incomplete.
public final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?

    public init() {}

    /// Records the request and the signal that made it; false when one had been made already.
    @discardableResult
    public func request(signal: Int32) -> Bool {
        lock.withLock {
            guard received == nil else { return false }
            received = signal
            return true
        }
    }

    /// The signal of the first request, nil while none was made.
    public var signal: Int32? { lock.withLock { received } }
    public var isRequested: Bool { signal != nil }
}

/// The scenes found in one input, with every sampled frame's scores, and their content clusters.
///
/// Its ``scenes`` carry no local features (``Scene/features``, ``Scene/momentFeatures``, ``Scene/shotStartFeatures``):
/// ``pictures(of:)`` reads a scene's back when asked for (see ``ScenePictures``).
public struct SceneList: Sendable {
    public let video: VideoInfo
    public let options: DedupeOptions
    public let frames: [FrameRecord]
    public let scenes: [Scene]
    public let clusters: SceneClusters
    public let counts: DecodeCounts
    public let warnings: [String]
    /// The end of the analysed span in seconds from the stream's start.
    public let end: Double
    /// The images `unique/` holds (or would hold, when nothing is written), ordered by name.
    public let uniqueImages: [UniqueImage]
    /// False when the run was interrupted: the results cover the input up to ``end`` only.
    public let complete: Bool
    /// The local input's size and digest when it was read (nil for standard input and URLs).
    public var inputFile: InputFileIdentity? = nil
    /// Sampled frames that took the embedding of an unchanged frame before them instead of a network call
    /// (``UnchangedFrameRule``); nil when the network did not run.
    public var embeddingsReused: Int? = nil
    /// Sampled frames the pixels-first cascade kept off the network (``Embedder/skippedCount``); nil unless it ran.
    public var embeddingsSkipped: Int? = nil
    /// Where the run's time went, per thread and step (nil for results read back from a folder).
    public var profile: RunProfile? = nil
    /// Where the scenes' local features are read back from (``pictures(of:)``); nil for results read back from a folder.
    var scenePictures: ScenePictures? = nil
}

/// One image of `unique/`: a cluster's exemplar, a scene's keyframe (`--keep scene`) or a further frame
/// of a cluster (`--keep diverse`).
public struct UniqueImage: Sendable, Equatable {
    /// Its name in `unique/`: `cluster-0003_t000012.500.jpg` or `scene-0007_t000012.500.jpg`.
    public let name: String
    /// The scene it comes from.
    public let scene: Int
    /// The scene's content cluster (nil only for a transition scene's keyframe, which is never chosen).
    public let cluster: Int?
    /// The frame; its `path` is where the image was written first (`keyframes/…`), relative to the output folder.
    public let keyframe: Keyframe
    /// True for a cluster's exemplar (a `cluster-…` name; with `--keep scene` every image stands for its scene).
    public let isExemplar: Bool
    /// `unique/<name>`, relative to the output folder, when written.
    public internal(set) var path: String?
}

/// Why a run failed, sorted by who can fix it.
public enum RunError: Error, CustomStringConvertible, Sendable {
    case input(String, DecoderError)
    case model(EmbeddingModelError)
    case output(OutputError)
    case encoding(String, LibavError)

    public var description: String {
        switch self {
        case .input(let name, let e): "\(name): \(e)"
        case .model(let e): e.description
        case .output(let e): e.description
        case .encoding(let name, let e): "\(name): cannot encode image: \(e)"
        }
    }
}

/// Loads the embedding network named by the options (or from its default place); a batch is split between
/// ``DedupeOptions/linearAlgebraThreads`` threads. OpenBLAS's own thread count is global, set once by the
/// program (``configure(_:)``), not here.
public func loadNetwork(_ options: DedupeOptions) throws(RunError) -> EfficientNetLite {
    let url = options.model ?? options.modelVariant.defaultModelLocation()
    do {
        let network = try EfficientNetLite(contentsOf: url, variant: options.modelVariant)
        network.threads = options.linearAlgebraThreads
        return network
    } catch let error as EmbeddingModelError {
        throw .model(error)
    } catch {
        throw .model(.incompatible(path: url.path, reason: "\(error)"))
    }
}

/// Returns the heap's free pages to the system (glibc keeps freed memory in its arenas: the decoding thread's
/// pictures would otherwise stay counted in the process's resident memory while the results are made).
func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallocTrim(0)
    #endif
}

#if canImport(Glibc)
/// glibc's `malloc_trim(3)` (in `<malloc.h>`, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

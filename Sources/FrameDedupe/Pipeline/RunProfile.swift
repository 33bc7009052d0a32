import Foundation

/// Where one thread of a run spent its time, step by step: each ``lap(_:)`` adds the wall-clock time and the
/// thread's CPU time since the previous lap (or ``start()``) to a step. A value owned by its thread; the run reads
/// it once the thread ended. (libavcodec's own decoding threads are not counted in the decoding thread's CPU time.)
public struct ThreadClock: Sendable {
    /// The steps of a run's threads, in the order a profile lists them.
    public enum Step: String, Sendable, CaseIterable {
        /// Opening the input, the output folder and the checkpoint, and loading the network when the run was given
        /// none (the run's thread, before the others start).
        case opening = "opening"
        /// Reading and decoding the input up to the next sampled frame, with the sampler's lumas and thumbnails.
        case decoding = "demux+decode"
        /// Hashes, the SSIM luma, sharpness, exposure and black bars of a sampled frame.
        case signals = "hashes/SSIM luma"
        /// Scaling the picture to the network's input.
        case networkInput = "scale for network"
        /// Encoding a frame's images (``FrameImages``).
        case encoding = "encode images"
        /// The embedding network, and the unchanged-frame checks that spare it.
        case network = "network"
        /// Cut and transition detection, keyframe choice and local features.
        case sceneStages = "scene stages"
        /// Writing images, the checkpoint and `--stats` as scenes close.
        case writes = "writes"
        /// Clustering the scenes at the end.
        case clustering = "clustering"
        /// Writing the results (`unique/`, `scenes.json`, the report) at the end.
        case results = "results"
        /// The report map's principal components, at the end (a thread of its own, after clustering, beside the results).
        case reportMap = "report map"
        /// A wait for the decoding thread's pictures (encoding thread).
        case waitingForPictures = "waiting for pictures"
        /// A wait for the next batch to embed (the network's second thread, ``NetworkWorker``).
        case waitingForBatches = "waiting for batches"
        /// A wait for the next thread to take what this one made (its queue full).
        case waitingToHandOver = "waiting to hand over"
        /// A wait for the next prepared frame (the run's own thread).
        case waitingForFrames = "waiting for frames"
        /// A wait for the batch the network's second thread embeds (the run's own thread).
        case waitingForNetwork = "waiting for network"
    }

    /// Wall-clock seconds per step.
    public private(set) var seconds: [Step: Double] = [:]
    /// The thread's CPU seconds per step.
    public private(set) var cpuSeconds: [Step: Double] = [:]
    private var last = ThreadClock.now()
    private var lastCPU = ThreadClock.threadCPU()

    public init() {}

    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The calling thread's CPU seconds.
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Starts timing from now (the time since the last lap counts for nothing).
    mutating func start() {
        last = Self.now()
        lastCPU = Self.threadCPU()
    }

    /// Adds the time since the last lap (or start) to `step`.
    mutating func lap(_ step: Step) {
        let t = Self.now(), c = Self.threadCPU()
        seconds[step, default: 0] += t - last
        cpuSeconds[step, default: 0] += c - lastCPU
        last = t
        lastCPU = c
    }

    /// Moves `seconds` (wall-clock and CPU) of `from`'s time to `to`: a step timed inside another.
    mutating func move(_ seconds: (wall: Double, cpu: Double), from: Step, to: Step) {
        self.seconds[from, default: 0] -= seconds.wall
        self.seconds[to, default: 0] += seconds.wall
        cpuSeconds[from, default: 0] -= seconds.cpu
        cpuSeconds[to, default: 0] += seconds.cpu
    }

    /// Adds `seconds` to `step`.
    mutating func add(_ seconds: (wall: Double, cpu: Double), to step: Step) {
        self.seconds[step, default: 0] += seconds.wall
        cpuSeconds[step, default: 0] += seconds.cpu
    }

    /// Adds `seconds` of waiting to `step` (a wait takes no CPU time).
    mutating func addWait(_ seconds: Double, to step: Step) { self.seconds[step, default: 0] += seconds }
}

/// Where a run's time went, per thread and step (`framededupe run --profile`). The threads run at the same time:
/// a step on one thread is hidden by another's as long as neither waits; the waits show where they do not overlap.
public struct RunProfile: Sendable {
    /// One thread's steps.
    public struct Thread: Sendable {
        /// "decoding", "encoding", "run" (the thread that runs the network, the scene stages and the writes),
        /// "network" (the network's second thread, when it ran: see ``Embedder``) or "report map" (with a report).
        public let name: String
        public let clock: ThreadClock
        /// What the line says of the thread besides its steps: for "decoding", libavcodec's own threads.
        public var detail: String? = nil
    }

    public let threads: [Thread]
    /// The run's wall-clock time, from opening the input to the results written.
    public let wall: Double
    /// The process's CPU time (all threads, user and system) over the same span.
    public let cpu: Double

    /// Lines for the user, one a thread: its steps in ``ThreadClock/Step`` order with their wall-clock seconds, their
    /// share of the run's wall-clock time and (for work, not waits) the thread's CPU seconds.
    public var lines: [String] {
        var lines = [String(format: "profile: %.2f s wall, %.2f s CPU in all threads (%.2f cores busy)", wall, cpu, wall > 0 ? cpu / wall : 0)]
        for thread in threads {
            let steps = ThreadClock.Step.allCases.compactMap { step -> String? in
                guard let seconds = thread.clock.seconds[step] else { return nil }
                var text = String(format: "%@ %.2f s (%.0f%%", step.rawValue, seconds, wall > 0 ? 100 * seconds / wall : 0)
                if let cpu = thread.clock.cpuSeconds[step], cpu >= 0.005 { text += String(format: ", CPU %.2f s", cpu) }
                return text + ")"
            }
            lines.append("  \(thread.name) thread" + (thread.detail.map { " (\($0))" } ?? "") + ": " + steps.joined(separator: ", "))
        }
        return lines
    }

    /// CPU seconds used by the process so far (all threads).
    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

import Foundation

/// The threads of `run -j N` and `index add -j N`: up to `jobs` threads take items 0, 1, 2, … in order, one at a
/// time, until none is left or `stop()` holds when one is taken (that item and the rest stay `notStarted`).
///
/// Each thread keeps a state of its own, made on the thread by `makeState` (the network: an instance must be used
/// by one thread at a time), and passes it to `work` for each item it takes. Threads get 8 MiB of stack, as the main
/// thread has.
///
/// - Returns: every item's result, in item order whatever order they finished in.
enum WorkerPool {
    static func run<Result: Sendable, State>(
        count: Int, jobs: Int, name: String, notStarted: Result, stop: @escaping @Sendable () -> Bool,
        makeState: @escaping @Sendable () -> State, work: @escaping @Sendable (_ item: Int, _ state: inout State) -> Result
    ) -> [Result] {
        let shared = SharedResults(count: count, notStarted: notStarted)
        let done = DispatchGroup()
        for _ in 0..<min(jobs, count) {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var state = makeState()
                while let i = shared.take(), !stop() { shared.set(i, work(i, &state)) }
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return shared.results
    }
}

/// The next item to take and every item's result, shared by the threads of ``WorkerPool``.
private final class SharedResults<Result: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var values: [Result]

    init(count: Int, notStarted: Result) { values = Array(repeating: notStarted, count: count) }

    func take() -> Int? {
        lock.withLock {
            guard next < values.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func set(_ i: Int, _ result: Result) { lock.withLock { values[i] = result } }

    var results: [Result] { lock.withLock { values } }
}

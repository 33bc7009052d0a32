import Foundation

/// A bounded first-in-first-out hand-off between two threads, with back-pressure: `put` waits while
/// the queue is full, `take` waits while it is empty. Closing it wakes both sides.
///
/// The lock makes it safe to share (`@unchecked Sendable`); items must be `Sendable`.
final class FrameQueue<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken items are set to nil at once (a taken frame's picture must not stay referenced here), and the taken
    /// prefix is dropped from time to time.
    private var items: [Item?] = []
    private var head = 0
    private var closed = false
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Appends `item`, waiting for room; false if the consumer has cancelled (the item is dropped).
    @discardableResult
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, waiting for one; nil once the producer has closed the queue and it is drained.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// The producer is done.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops early: a waiting producer returns at once.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The items put and not yet taken.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}

/// Hands a value that is not `Sendable` to one other thread, which becomes its only user until the
/// hand-off is joined. The caller promises not to touch the value meanwhile.
final class Handoff<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A value computed on a thread of its own from the moment it is made, for a step that needs it later: the step
/// waits (``value``) only if the thread has not finished. For work at the end of an input, when the decoding and
/// network threads have stopped and a core would otherwise be idle.
final class ComputedAside<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Value?
    private var threadClock = ThreadClock()
    /// Whether the consumer waited already (only the consumer reads or writes it).
    private var waited = false

    /// - Parameter step: the step the thread's time is counted in (``clock``).
    init(name: String, step: ThreadClock.Step, _ compute: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            var clock = ThreadClock()
            result = compute()
            clock.lap(step)
            threadClock = clock
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// The value, once computed (waits for the thread the first time). From one thread only.
    var value: Value {
        if !waited {
            done.wait()  // the thread wrote `result` and its clock before signalling
            waited = true
        }
        return result!
    }

    /// The thread's time (waits for it, as ``value``).
    var clock: ThreadClock {
        _ = value
        return threadClock
    }
}

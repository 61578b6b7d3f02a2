/// Identifies one scheduled event, so that it can be cancelled before it runs.
///
/// It carries the event's time and insertion sequence number: because events run in
/// (time, sequence) order, the queue can tell whether an event has already run without
/// keeping a record of it.
public struct EventID: Hashable, Sendable {
    public let time: SimTime
    public let sequence: UInt64

    @inlinable init(time: SimTime, sequence: UInt64) {
        self.time = time
        self.sequence = sequence
    }
}

/// A priority queue of pending events ordered by (time, insertion sequence).
///
/// Equal-time events come out in the order they were scheduled, which makes every run
/// reproducible. The heap is a 4-ary implicit heap over a contiguous array: each entry holds its
/// event inline, so a push or pop touches a few cache lines and allocates nothing.
///
/// Cancellation is lazy: a cancelled event stays in the heap and is skipped when it reaches the
/// top. The set of cancelled sequence numbers holds only events that are still in the heap, so it
/// never grows beyond the number pending.
public struct EventQueue<Event> {
    @usableFromInline
    struct Entry {
        @usableFromInline var time: SimTime
        @usableFromInline var sequence: UInt64
        @usableFromInline var event: Event

        @inlinable init(time: SimTime, sequence: UInt64, event: Event) {
            self.time = time
            self.sequence = sequence
            self.event = event
        }

        /// (time, sequence) order as one 128-bit comparison (a compare and a subtract with borrow,
        /// no branch: heap comparisons are unpredictable). Flipping the sign bit maps signed times
        /// onto unsigned order.
        @inlinable var key: UInt128 {
            UInt128(UInt64(bitPattern: time) ^ (1 << 63)) << 64 | UInt128(sequence)
        }

        @inlinable func precedes(_ other: Entry) -> Bool { key < other.key }
    }

    @usableFromInline var heap: ContiguousArray<Entry> = []
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var cancelled: Set<UInt64> = []

    public init() {}

    /// Number of events that will still run (cancelled ones excluded).
    @inlinable public var count: Int { heap.count - cancelled.count }
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The time of the earliest event that will run, if any.
    @inlinable public mutating func peekTime() -> SimTime? {
        dropCancelledTop()
        return heap.first?.time
    }

    @inlinable @discardableResult
    public mutating func push(_ event: Event, at time: SimTime) -> EventID {
        let sequence = nextSequence
        nextSequence &+= 1
        heap.append(Entry(time: time, sequence: sequence, event: event))
        siftUp(heap.count - 1)
        return EventID(time: time, sequence: sequence)
    }

    /// Removes and returns the earliest event that has not been cancelled.
    @inlinable
    public mutating func pop() -> (time: SimTime, sequence: UInt64, event: Event)? {
        while let top = removeTop() {
            if !cancelled.isEmpty, cancelled.remove(top.sequence) != nil { continue }
            return (top.time, top.sequence, top.event)
        }
        return nil
    }

    /// Marks a pending event as cancelled. `lastRun` is the (time, sequence) of the event that ran
    /// most recently: anything at or before it has already run, and cancelling it does nothing.
    /// Returns whether the event was pending.
    @inlinable
    public mutating func cancel(_ id: EventID, lastRun: (time: SimTime, sequence: UInt64)?) -> Bool {
        guard id.sequence < nextSequence else { return false }
        if let last = lastRun,
           id.time < last.time || (id.time == last.time && id.sequence <= last.sequence) {
            return false
        }
        return cancelled.insert(id.sequence).inserted
    }

    @inlinable mutating func dropCancelledTop() {
        while !cancelled.isEmpty, let top = heap.first, cancelled.contains(top.sequence) {
            cancelled.remove(top.sequence)
            _ = removeTop()
        }
    }

    @inlinable mutating func removeTop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        siftDownFromRoot(last)
        return top
    }

    @inlinable mutating func siftUp(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { h in
            var child = start
            let moving = h[child]
            while child > 0 {
                let parent = (child - 1) >> 2
                guard moving.precedes(h[parent]) else { break }
                h[child] = h[parent]
                child = parent
            }
            h[child] = moving
        }
    }

    /// Places `moving` at the root position and restores heap order below it.
    @inlinable mutating func siftDownFromRoot(_ moving: Entry) {
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var hole = 0
            while true {
                let first = 4 * hole + 1
                if first + 3 < n {
                    // Full node: a small tournament keeps the comparison chain short.
                    let a = h[first].precedes(h[first + 1]) ? first : first + 1
                    let b = h[first + 2].precedes(h[first + 3]) ? first + 2 : first + 3
                    let best = h[a].precedes(h[b]) ? a : b
                    guard h[best].precedes(moving) else { break }
                    h[hole] = h[best]
                    hole = best
                    continue
                }
                if first >= n { break }
                var best = first
                var c = first + 1
                while c < n {
                    if h[c].precedes(h[best]) { best = c }
                    c += 1
                }
                guard h[best].precedes(moving) else { break }
                h[hole] = h[best]
                hole = best
            }
            h[hole] = moving
        }
    }
}

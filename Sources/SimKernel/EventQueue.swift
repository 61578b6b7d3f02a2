import CPrefetch

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
/// reproducible.
///
/// Layout, chosen for the cache: the heap is a 4-ary implicit heap of 16-byte keys, and a node's
/// four children sit in one 64-byte line (the keys are stored three places in from a 64-byte
/// aligned start, so each group of children begins on a line). A key is (time, sequence, slot):
/// the event itself waits in `events[slot]`, so sifting moves keys only, and a level of the
/// heap costs one line where keys with their events inline spanned two or three. With a million
/// events pending that halves the lines a pop reads. Once a few thousand events are held, the
/// next event's slot is asked for as soon as it reaches the root.
///
/// Limits, checked: 2^24 (16,777,216) events held at once (a cancelled event holds its slot until
/// it reaches the top), and 2^40 scheduled in one run. A freed slot keeps its old event until it
/// is reused: an `Event` holding references keeps them alive that long.
///
/// Cancellation is lazy: a cancelled event stays in the heap and is skipped when it reaches the
/// top. The set of cancelled sequence numbers holds only events that are still in the heap, so it
/// never grows beyond the number pending.
public struct EventQueue<Event> {
    @usableFromInline var heap = KeyHeap()
    @usableFromInline var events: ContiguousArray<Event> = []
    @usableFromInline var freeSlots: ContiguousArray<Int32> = []
    /// The slot freed by the last pop (-1: none), kept apart from `freeSlots`: a handler usually
    /// schedules one event after each it handles, and takes it back without touching the list.
    @usableFromInline var lastFreed = -1
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var cancelled: Set<UInt64> = []
    /// Set when a push found the queue at one of its limits (2^24 events pending, 2^40 scheduled
    /// in one run); that event was not queued, and the run cannot go on (`StopReason.queueLimit`).
    public private(set) var limitReached: String?

    /// Most events pending at once, and most scheduled in one run: a key holds a slot in 24 bits
    /// and a sequence number in 40 (`KeyHeap.slotBits`).
    @inlinable public static var maxPending: Int { 1 << KeyHeap.slotBits }
    @inlinable public static var maxScheduled: UInt64 { 1 << (64 - UInt64(KeyHeap.slotBits)) }

    /// The most events pending at once: `maxPending`, or fewer (a test's small queue).
    @usableFromInline let capacity: Int

    public init(maxPending: Int = EventQueue.maxPending) {
        capacity = min(max(1, maxPending), EventQueue.maxPending)
    }

    /// Number of events that will still run (cancelled ones excluded).
    @inlinable public var count: Int { heap.count - cancelled.count }
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The time of the earliest event that will run, if any.
    @inlinable public mutating func peekTime() -> SimTime? {
        if !cancelled.isEmpty { dropCancelledTop() }
        return heap.count > 0 ? KeyHeap.time(heap.root) : nil
    }

    /// The earliest pending event, possibly one that was cancelled (see `EventHandler.prefetch`),
    /// with its time.
    @inlinable public var nextWithTime: (Event, SimTime)? {
        heap.count > 0 ? (events[KeyHeap.slot(heap.root)], KeyHeap.time(heap.root)) : nil
    }

    @inlinable @discardableResult
    public mutating func push(_ event: Event, at time: SimTime) -> EventID {
        let sequence = nextSequence
        guard sequence < Self.maxScheduled else { return refuse("more than 2^40 events scheduled in one run", time: time) }
        nextSequence &+= 1
        let slot: Int
        if lastFreed >= 0 {
            slot = lastFreed
            lastFreed = -1
            events.withUnsafeMutableBufferPointer { $0[slot] = event }
        } else if let free = freeSlots.popLast() {
            slot = Int(free)
            events[slot] = event
        } else {
            guard events.count < capacity else {
                nextSequence &-= 1
                return refuse("more than \(capacity) events pending at once (cancelled ones count until they reach the top)", time: time)
            }
            slot = events.count
            events.append(event)
        }
        heap.push(KeyHeap.key(time: time, sequence: sequence, slot: slot))
        return EventID(time: time, sequence: sequence)
    }

    @usableFromInline mutating func refuse(_ limit: String, time: SimTime) -> EventID {
        if limitReached == nil { limitReached = "the event queue is full: \(limit)" }
        return EventID(time: time, sequence: .max)
    }

    /// Removes and returns the earliest event that has not been cancelled.
    @inlinable
    public mutating func pop() -> (time: SimTime, sequence: UInt64, event: Event)? {
        while heap.count > 0 {
            let top = heap.popRoot()
            let slot = KeyHeap.slot(top)
            free(slot)
            if heap.count > 0 && events.count > 4096 {
                // (A few thousand events stay in cache.) Mutable access: a read-only one retains the array.
                // The next event is read as soon as this pop returns (the scheduler's look at the next
                // event for `EventHandler.prefetch`), too soon for a prefetch issued now to help; so the
                // one likely to follow it, the least of the root's children, is asked for as well, one
                // event ahead of that read.
                let next = KeyHeap.slot(heap.root)
                let after = heap.count > 4 ? KeyHeap.slot(heap.leastChildOfRoot()) : next
                events.withUnsafeMutableBufferPointer {
                    arsim_prefetch($0.baseAddress! + next)
                    arsim_prefetch($0.baseAddress! + after)
                }
            }
            let sequence = KeyHeap.sequence(top)
            if !cancelled.isEmpty, cancelled.remove(sequence) != nil { continue }
            return (KeyHeap.time(top), sequence, events[slot])
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
        while !cancelled.isEmpty, heap.count > 0, cancelled.contains(KeyHeap.sequence(heap.root)) {
            cancelled.remove(KeyHeap.sequence(heap.root))
            free(KeyHeap.slot(heap.popRoot()))
        }
    }

    /// A popped event's slot: kept as `lastFreed` for the next push, the one before it listed.
    @inlinable mutating func free(_ slot: Int) {
        if lastFreed >= 0 { freeSlots.append(Int32(lastFreed)) }
        lastFreed = slot
    }
}

/// The 4-ary heap of `EventQueue`'s keys. Key `i` is stored at `keys[pad + i]`, `pad` chosen when
/// the array is allocated so that index 1 (the root's first child), and with it every group of
/// four children, starts on a 64-byte line (an array promises only 16-byte alignment). Only
/// speed depends on that alignment: an array copied on write may lose it, and stays correct.
@usableFromInline struct KeyHeap {
    /// `UInt128`: (time with its sign bit flipped, so that signed times compare as unsigned) in
    /// the high half; (sequence << 24 | slot) in the low half. Sequences are unique, so the slot
    /// never decides an order.
    @usableFromInline typealias Key = UInt128
    @inlinable static var slotBits: Int { 24 }

    /// Its length is the capacity (plus the padding); the keys past `count` mean nothing.
    @usableFromInline var keys: ContiguousArray<Key> = []
    @usableFromInline var pad = 0
    @usableFromInline var count = 0

    @inlinable init() {}

    @inlinable var root: Key { keys[pad] }

    @inlinable static func key(time: SimTime, sequence: UInt64, slot: Int) -> Key {
        Key(UInt64(bitPattern: time) ^ (1 << 63)) << 64 | Key(sequence << UInt64(slotBits) | UInt64(slot))
    }
    @inlinable static func time(_ key: Key) -> SimTime { SimTime(bitPattern: UInt64(truncatingIfNeeded: key >> 64) ^ (1 << 63)) }
    @inlinable static func sequence(_ key: Key) -> UInt64 { UInt64(truncatingIfNeeded: key) >> UInt64(slotBits) }
    @inlinable static func slot(_ key: Key) -> Int { Int(UInt64(truncatingIfNeeded: key) & ((1 << UInt64(slotBits)) - 1)) }

    /// Twice the room, with the padding worked out for the new array's address.
    @inlinable mutating func grow() {
        let capacity = max(64, count * 2)
        var fresh = ContiguousArray<Key>(repeating: 0, count: capacity + 3)
        let newPad = fresh.withUnsafeBufferPointer { b in
            let first = Int(bitPattern: b.baseAddress! + 1)
            return ((64 - first % 64) % 64) / MemoryLayout<Key>.stride
        }
        for i in 0..<count { fresh[newPad + i] = keys[pad + i] }
        keys = fresh
        pad = newPad
    }

    @inlinable mutating func push(_ key: Key) {
        if pad + count == keys.count { grow() }
        let start = count
        count += 1
        let pad = self.pad
        keys.withUnsafeMutableBufferPointer { b in
            let h = b.baseAddress! + pad
            var child = start
            while child > 0 {
                let parent = (child - 1) >> 2
                guard key < h[parent] else { break }
                h[child] = h[parent]
                child = parent
            }
            h[child] = key
        }
    }

    /// The least of the root's four children (the heap must hold at least five keys): the next
    /// root, unless a key pushed before the next pop, or the one the pop moves up, comes first.
    @inlinable mutating func leastChildOfRoot() -> Key {
        let pad = self.pad
        return keys.withUnsafeMutableBufferPointer { b in
            let h = b.baseAddress! + pad
            return h[KeyHeap.leastOfGroup(in: h, from: 1)]
        }
    }

    /// The index of the least of the four keys from `first` (a full group of children, one line).
    /// A small tournament keeps the comparison chain short.
    @inlinable @inline(__always) static func leastOfGroup(in h: UnsafeMutablePointer<Key>, from first: Int) -> Int {
        let a = h[first] < h[first + 1] ? first : first + 1
        let b = h[first + 2] < h[first + 3] ? first + 2 : first + 3
        return h[a] < h[b] ? a : b
    }

    /// Removes the root (the heap must not be empty) and returns it.
    @inlinable mutating func popRoot() -> Key {
        count -= 1
        let n = count, pad = self.pad
        return keys.withUnsafeMutableBufferPointer { b in
            let h = b.baseAddress! + pad
            let top = h[0]
            if n > 0 { KeyHeap.siftDownFromRoot(h[n], in: h, count: n) }
            return top
        }
    }

    /// Places `moving` at the root and restores heap order below it.
    @inlinable static func siftDownFromRoot(_ moving: Key, in h: UnsafeMutablePointer<Key>, count n: Int) {
        var hole = 0
        while true {
            let first = 4 * hole + 1
            if first + 3 < n {
                // A full group: one line. Its children's four groups, four lines in a row, are
                // asked for before it is compared, so that the next level is on its way.
                // (Not near the root, whose levels stay in cache.)
                let grandchildren = 4 * first + 1
                if grandchildren >= 1024 && grandchildren < n {
                    arsim_prefetch_range(h + grandchildren, 16 * MemoryLayout<Key>.stride)
                }
                let best = leastOfGroup(in: h, from: first)
                guard h[best] < moving else { break }
                h[hole] = h[best]
                hole = best
                continue
            }
            if first >= n { break }
            var best = first
            var c = first + 1
            while c < n {
                if h[c] < h[best] { best = c }
                c += 1
            }
            guard h[best] < moving else { break }
            h[hole] = h[best]
            hole = best
        }
        h[hole] = moving
    }
}

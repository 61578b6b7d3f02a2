/// A model of some system: it reacts to one event at a time and may schedule or cancel others.
///
/// Events are plain values of the model's own type (usually an enum), so the kernel stores them
/// inline and dispatches with a `switch`, with no closures or allocation per event.
public protocol EventHandler {
    associatedtype Event
    mutating func handle(_ event: Event, scheduler: inout Scheduler<Event>)
    /// A hint, before `handle` runs the current event, that `next` is the earliest still pending
    /// (or a cancelled one, which will not run), due at `time`: a model whose state does not fit
    /// in cache can ask for what `next` will touch, so that fetching it overlaps the current
    /// event's work. It must change nothing.
    func prefetch(_ next: Event, at time: SimTime)
}

extension EventHandler {
    @inlinable public func prefetch(_ next: Event, at time: SimTime) {}
}

/// What a handler sees of the kernel: the current time, and the means to schedule and cancel.
public struct Scheduler<Event> {
    @usableFromInline var clock: SimTime = 0

    /// The current simulated time.
    @inlinable public var now: SimTime { clock }
    @usableFromInline var queue = EventQueue<Event>()
    @usableFromInline var lastRun: (time: SimTime, sequence: UInt64)?

    /// `maxPending`: the most events pending at once (at most `EventQueue.maxPending`).
    public init(maxPending: Int = EventQueue<Event>.maxPending) {
        queue = EventQueue(maxPending: maxPending)
    }

    /// Number of pending events (cancelled ones excluded).
    @inlinable public var pendingCount: Int { queue.count }

    /// Why the queue refused an event, if it did (`StopReason.queueLimit`).
    public var queueLimitReached: String? { queue.limitReached }

    /// Schedules `event` at absolute time `time`, which must not lie in the past.
    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, at time: SimTime) -> EventID {
        precondition(time >= now, "an event cannot be scheduled in the past")
        return queue.push(event, at: time)
    }

    /// Schedules `event` `delay` nanoseconds from now.
    @inlinable @discardableResult
    public mutating func schedule(_ event: Event, after delay: SimTime) -> EventID {
        precondition(delay >= 0, "an event cannot be scheduled in the past")
        return queue.push(event, at: now &+ delay)
    }

    /// Cancels a pending event. Returns false if it has already run or was already cancelled.
    @inlinable @discardableResult
    public mutating func cancel(_ id: EventID) -> Bool {
        queue.cancel(id, lastRun: lastRun)
    }

    @inlinable mutating func next(notAfter end: SimTime) -> Event? {
        guard let t = queue.peekTime(), t <= end, let entry = queue.pop() else { return nil }
        clock = entry.time
        lastRun = (entry.time, entry.sequence)
        return entry.event
    }

    @inlinable mutating func advance(to time: SimTime) {
        if time > clock { clock = time }
    }
}

/// Why `Simulation.run` returned.
public enum StopReason: Sendable, Equatable {
    /// No events were left.
    case queueEmpty
    /// The next event lies after the end time; the clock now reads the end time.
    case reachedEndTime
    /// The event budget of this call was used up; call `run` again to continue.
    case eventBudget
    /// An event could not be queued (`EventQueue.limitReached` says which limit): the run
    /// cannot go on.
    case queueLimit
}

/// The run loop: pops events in (time, sequence) order and hands them to the model.
public struct Simulation<Model: EventHandler> {
    public var model: Model
    public var scheduler = Scheduler<Model.Event>()
    @usableFromInline var processed: UInt64 = 0

    /// Events handled so far, over all calls to `run`.
    @inlinable public var eventsProcessed: UInt64 { processed }

    public init(model: Model) {
        self.model = model
    }

    @inlinable public var now: SimTime { scheduler.now }

    /// Runs events whose time is at most `end`, and at most `maxEvents` of them.
    /// Calling again continues where the last call stopped, so a driver can run in slices and
    /// check for interruption or flush results between them.
    @inlinable
    public mutating func run(until end: SimTime = .max, maxEvents: UInt64 = .max) -> StopReason {
        var budget = maxEvents
        // Once an event was refused the run cannot go on, whoever calls again.
        if scheduler.queue.limitReached != nil { return .queueLimit }
        while budget > 0 {
            guard let event = scheduler.next(notAfter: end) else {
                if scheduler.queue.isEmpty { return .queueEmpty }
                scheduler.advance(to: end)
                return .reachedEndTime
            }
            if let (upcoming, time) = scheduler.queue.nextWithTime { model.prefetch(upcoming, at: time) }
            model.handle(event, scheduler: &scheduler)
            budget &-= 1
            processed &+= 1
            if scheduler.queue.limitReached != nil { return .queueLimit }
        }
        return .eventBudget
    }
}

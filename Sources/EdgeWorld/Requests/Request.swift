import SimKernel

/// One inference request: a task of one frame from a client, run through its model along its
/// route (device, edge, cloud, pipeline stages).
///
/// It lives in the `RequestTable` from the moment the client captures the frame until its result
/// is back (or it is dropped); each stage stamps its time here, and the `Recorder` turns the
/// finished request into a `RequestRecord`.
public struct Request: Sendable {
    /// Global creation order; the row key in the results.
    public var id: UInt64
    public var client: Int32
    public var task: Int32
    public var model: Int32
    /// Index of the client's frame this request carries.
    public var frame: Int64
    /// Redundant copies share `group` (the id of the first); `copy` is 0 for the original.
    public var group: UInt64
    public var copy: Int16 = 0
    /// A tag the client's policy gave it (`ClientPolicy.tag`), which servers' queues show.
    public var tag: Int32 = 0
    /// The client's session (its index) where it has one, else -1.
    public var session: Int32 = -1
    /// Bytes of the current stage's input (the frame, then each stage's activations), worked
    /// out once when the stage begins.
    public var inputBytes = 0
    /// Bytes of its result, copied from its task when it is born: the result leaves a GPU long
    /// after the client's state was last in cache.
    public var resultBytes = 0
    /// The route (an index into the world's routes) and the stage the request is at.
    public var route: Int32 = 0
    public var stage: Int16 = 0
    /// The server of the current (or last) GPU stage, -1 before one.
    public var server: Int32 = -1
    /// The layers of the current stage, [firstLayer, endLayer).
    public var firstLayer: Int32 = 0
    public var endLayer: Int32 = 0
    public var created: SimTime
    /// Absolute time by which the result must be back at the client.
    public var deadline: SimTime
    public var deviceStart: SimTime = -1
    public var deviceEnd: SimTime = -1
    /// When the first transfer of the request started (the frame or the device stage's output).
    public var sent: SimTime = -1
    /// Arrival and queueing at the first GPU stage.
    public var arrived: SimTime = -1
    public var queued: SimTime = -1
    public var batch: Int64 = -1
    public var batchSize: Int32 = 0
    public var gpu: Int32 = -1
    /// Start of the first GPU batch and end of the last.
    public var batchStart: SimTime = -1
    public var batchEnd: SimTime = -1
    public var completed: SimTime = -1

    public init(id: UInt64, client: Int32, task: Int32 = 0, model: Int32, frame: Int64, created: SimTime, deadline: SimTime) {
        self.id = id
        self.client = client
        self.task = task
        self.model = model
        self.frame = frame
        self.group = id
        self.created = created
        self.deadline = deadline
    }
}

/// Why a request ended without a result.
public enum DropReason: String, Sendable, CaseIterable {
    /// The server's queue was at capacity when the request arrived.
    case queueFull = "queue_full"
    /// The request's deadline passed while it waited in the server's queue (with `drop_expired`).
    case expiredInQueue = "expired_in_queue"
    /// No server of the site it reached hosts its model.
    case noServer = "no_server"
    /// The server's policy dropped it: it could no longer meet its deadline.
    case cannotMeetDeadline = "cannot_meet_deadline"
    /// The server's policy dropped it to shed load.
    case shed = "shed"
}

/// How a request ended.
public enum RequestOutcome: Sendable, Equatable {
    case completed
    case dropped(DropReason)
    /// A redundant copy whose sibling finished first: taken out of its queue, or its result discarded.
    case cancelled
    /// Still in flight when the run stopped.
    case unfinished
}

/// A slab of values whose slots are reused, so that memory follows the number alive and not the
/// length of the run.
public struct Slab<Element: Sendable>: Sendable {
    private var slots: [Element] = []
    private var live: [Bool] = []
    private var free: [Int32] = []
    public private(set) var count = 0

    public init() {}

    public mutating func insert(_ element: Element) -> Int32 {
        count += 1
        if let slot = free.popLast() {
            slots[Int(slot)] = element
            live[Int(slot)] = true
            return slot
        }
        slots.append(element)
        live.append(true)
        return Int32(slots.count - 1)
    }

    public subscript(slot: Int32) -> Element {
        get { slots[Int(slot)] }
        _modify { yield &slots[Int(slot)] }
    }

    public func contains(_ slot: Int32) -> Bool { slot >= 0 && Int(slot) < live.count && live[Int(slot)] }

    public mutating func remove(_ slot: Int32) -> Element {
        precondition(live[Int(slot)], "slot \(slot) is not in use")
        count -= 1
        live[Int(slot)] = false
        free.append(slot)
        return slots[Int(slot)]
    }

    /// Asks the cache for every line of a slot (see `World.prefetch`): a request spans three or
    /// four, and its handlers read fields all over it.
    @inline(__always) func prefetch(_ slot: Int32) { slots.prefetch(Int(slot)) }

    /// The slots in use, in slot order.
    public var occupied: [Int32] { (0..<Int32(slots.count)).filter { live[Int($0)] } }
}

/// The requests in flight.
public typealias RequestTable = Slab<Request>

import SimKernel

/// One inference request: a frame from a client, to be run through one model on a server.
///
/// It lives in the `RequestTable` from the moment the client captures the frame until its result
/// is back (or it is dropped); each stage stamps its time here, and the `Recorder` turns the
/// finished request into a `RequestRecord`.
public struct Request: Sendable {
    /// Global creation order; the row key in the results.
    public var id: UInt64
    public var client: Int32
    public var server: Int32
    public var model: Int32
    /// Index of the client's frame this request carries.
    public var frame: Int64
    /// The layers still to run, [firstLayer, endLayer): the whole model for now; a split or a
    /// pipeline stage narrows it, and execution charges exactly these layers.
    public var firstLayer: Int32 = 0
    public var endLayer: Int32 = 0
    public var created: SimTime
    /// Absolute time by which the result must be back at the client.
    public var deadline: SimTime
    public var sent: SimTime = -1
    public var arrived: SimTime = -1
    public var queued: SimTime = -1
    public var batch: Int64 = -1
    public var batchSize: Int32 = 0
    public var gpu: Int32 = -1
    public var batchStart: SimTime = -1
    public var batchEnd: SimTime = -1
    public var completed: SimTime = -1

    public init(id: UInt64, client: Int32, server: Int32, model: Int32, frame: Int64, created: SimTime, deadline: SimTime) {
        self.id = id
        self.client = client
        self.server = server
        self.model = model
        self.frame = frame
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
}

/// How a request ended.
public enum RequestOutcome: Sendable, Equatable {
    case completed
    case dropped(DropReason)
    /// Still in flight when the run stopped.
    case unfinished
}

/// The in-flight requests, in a slab whose slots are reused, so that memory follows the number in
/// flight and not the length of the run.
public struct RequestTable: Sendable {
    private var slots: [Request] = []
    private var free: [Int32] = []
    public private(set) var count = 0

    public init() {}

    public mutating func insert(_ request: Request) -> Int32 {
        count += 1
        if let slot = free.popLast() {
            slots[Int(slot)] = request
            return slot
        }
        slots.append(request)
        return Int32(slots.count - 1)
    }

    public subscript(slot: Int32) -> Request {
        get { slots[Int(slot)] }
        _modify { yield &slots[Int(slot)] }
    }

    public mutating func remove(_ slot: Int32) -> Request {
        count -= 1
        free.append(slot)
        return slots[Int(slot)]
    }

    /// The requests still in flight, in creation order.
    public func inFlight() -> [Int32] {
        let freeSet = Set(free)
        return (0..<Int32(slots.count)).filter { !freeSet.contains($0) }.sorted { slots[Int($0)].id < slots[Int($1)].id }
    }
}

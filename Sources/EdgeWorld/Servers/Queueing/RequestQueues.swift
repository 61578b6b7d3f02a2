import DequeModule
import SimKernel

/// A request waiting at a server, with what a scheduler may look at without touching the
/// request table.
public struct QueuedRequest: Sendable, Equatable {
    public let slot: Int32
    /// Who sent it and for which task (as a real request's metadata carries them).
    public let client: Int32
    public let task: Int32
    /// The client's session (its index) where it has one, else -1.
    public let session: Int32
    /// Bytes of its input to this stage (the frame, or the previous stage's activations).
    public let bytes: Int32
    /// A tag the client's policy put on it (`ClientPolicy.tag`; 0 by default).
    public let tag: Int32
    public let queuedAt: SimTime
    /// Absolute deadline, as carried in the request's metadata.
    public let deadline: SimTime
}

/// A server's waiting requests: one FIFO per model and layer range (a batch runs one model
/// through one range of layers; whole-model serving has one queue per model).
///
/// Policies read it to decide the next batch; only the server's mechanism adds and removes.
public struct RequestQueues: Sendable {
    public private(set) var queues: [Deque<QueuedRequest>] = []
    /// The model and layer range of each queue.
    public private(set) var models: [Int] = []
    public private(set) var layers: [Range<Int>] = []
    public private(set) var totalCount = 0

    init() {}

    public var queueCount: Int { queues.count }
    public func count(queue: Int) -> Int { queues[queue].count }
    public func head(queue: Int) -> QueuedRequest? { queues[queue].first }
    public func model(ofQueue queue: Int) -> Int { models[queue] }

    /// The queue whose first waiting request has waited longest (ties go to the lower index),
    /// among those with at least `minimum` waiting.
    public func oldestQueue(withAtLeast minimum: Int = 1) -> Int? {
        var best: Int?
        for q in queues.indices where queues[q].count >= max(minimum, 1) {
            if best == nil || queues[q].first!.queuedAt < queues[best!].first!.queuedAt { best = q }
        }
        return best
    }

    /// The queue of `model` through `layers`, made on first use.
    mutating func queue(model: Int, layers range: Range<Int>) -> Int {
        for q in models.indices where models[q] == model && layers[q] == range { return q }
        queues.append(Deque())
        models.append(model)
        layers.append(range)
        return queues.count - 1
    }

    mutating func append(_ entry: QueuedRequest, queue: Int) {
        queues[queue].append(entry)
        totalCount += 1
    }

    mutating func removeFirst(queue: Int) -> QueuedRequest {
        totalCount -= 1
        return queues[queue].removeFirst()
    }

    /// Takes a waiting request out (a cancelled redundant copy); false if it is not waiting here.
    mutating func remove(slot: Int32) -> Bool {
        for q in queues.indices {
            if let i = queues[q].firstIndex(where: { $0.slot == slot }) {
                queues[q].remove(at: i)
                totalCount -= 1
                return true
            }
        }
        return false
    }
}

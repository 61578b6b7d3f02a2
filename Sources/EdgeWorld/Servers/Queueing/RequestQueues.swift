import DequeModule
import SimKernel

/// A request waiting at a server, with what a scheduler may look at without touching the
/// request table.
public struct QueuedRequest: Sendable {
    public let slot: Int32
    public let queuedAt: SimTime
    /// Absolute deadline, as carried in the request's metadata.
    public let deadline: SimTime
}

/// A server's waiting requests: one FIFO per model, since a batch holds one model only.
///
/// Policies read it to decide the next batch; only the server's mechanism adds and removes.
public struct RequestQueues: Sendable {
    public private(set) var byModel: [Deque<QueuedRequest>]
    public private(set) var totalCount = 0

    init(models: Int) {
        byModel = Array(repeating: Deque(), count: models)
    }

    public var modelCount: Int { byModel.count }
    public func count(model: Int) -> Int { byModel[model].count }
    public func head(model: Int) -> QueuedRequest? { byModel[model].first }

    /// The model whose first waiting request has waited longest (ties go to the lower index), among
    /// those with at least `minimum` waiting.
    public func oldestModel(withAtLeast minimum: Int = 1) -> Int? {
        var best: Int?
        for m in byModel.indices where byModel[m].count >= max(minimum, 1) {
            if best == nil || byModel[m].first!.queuedAt < byModel[best!].first!.queuedAt { best = m }
        }
        return best
    }

    mutating func append(_ entry: QueuedRequest, model: Int) {
        byModel[model].append(entry)
        totalCount += 1
    }

    mutating func removeFirst(model: Int) -> QueuedRequest {
        totalCount -= 1
        return byModel[model].removeFirst()
    }
}

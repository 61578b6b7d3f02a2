import SimKernel

/// Collects what the run measures: a `Tally` for the whole run, each server, client group and
/// model; GPU busy time; and, at the `requests` detail level, rows for the results store.
///
/// Only requests created inside the measurement window [warmup, duration) enter the tallies;
/// every request still goes to the outbox, so the raw rows are complete.
public struct Recorder: Sendable {
    public let windowStart: SimTime
    public let windowEnd: SimTime
    public let detail: DetailLevel
    public private(set) var run = Tally()
    public private(set) var byServer: [Tally]
    public private(set) var byGroup: [Tally]
    public private(set) var byModel: [Tally]
    /// Busy time inside the window, per server and GPU.
    public private(set) var gpuBusy: [[SimTime]]
    public private(set) var gpuBatches: [[Int]]
    let clientGroup: [Int]
    public var outbox = Outbox()

    init(spec: WorldSpec) {
        windowStart = spec.warmup
        windowEnd = spec.duration
        detail = spec.detail
        byServer = Array(repeating: Tally(), count: spec.servers.count)
        byGroup = Array(repeating: Tally(), count: spec.clientGroups.count)
        byModel = Array(repeating: Tally(), count: spec.models.count)
        gpuBusy = spec.servers.map { Array(repeating: 0, count: $0.gpus) }
        gpuBatches = spec.servers.map { Array(repeating: 0, count: $0.gpus) }
        clientGroup = spec.clients.map(\.group)
    }

    mutating func finished(_ request: Request, outcome: RequestOutcome) {
        let record = RequestRecord(request: request, outcome: outcome)
        if detail == .requests { outbox.requests.append(record) }
        guard request.created >= windowStart, request.created < windowEnd else { return }
        run.add(record)
        byServer[Int(request.server)].add(record)
        byGroup[clientGroup[Int(request.client)]].add(record)
        byModel[Int(request.model)].add(record)
    }

    mutating func batch(_ record: BatchRecord) {
        if detail == .requests { outbox.batches.append(record) }
        busy(server: Int(record.server), gpu: Int(record.gpu), from: record.start, to: record.end)
        if record.start >= windowStart && record.start < windowEnd {
            gpuBatches[Int(record.server)][Int(record.gpu)] += 1
        }
    }

    /// Adds the part of [from, to) that lies inside the window to a GPU's busy time.
    mutating func busy(server: Int, gpu: Int, from: SimTime, to: SimTime) {
        let busy = min(to, windowEnd) - max(from, windowStart)
        if busy > 0 { gpuBusy[server][gpu] += busy }
    }

    /// Window length in seconds.
    public var windowSeconds: Double { Time.toSeconds(windowEnd - windowStart) }
}

import EdgeWorld
import SimKernel

/// ARISE's server: one launch per tick, `offset` after it (the upload budget and the slack). At
/// launch j it runs, one batch per model, oldest queue first, the waiting requests meant for
/// tick j or earlier (clients tag each request with its tick); then the GPU waits for the next
/// launch. Before the planner's clock arrives it runs requests as they come.
public struct ARISEServer: ServerPolicy {
    let tables: [LatencyTable?]
    var launches: ARISELaunches?
    var open = true
    var tick = Int.max
    /// Where the plan's figures came from and, over the current cycle of ticks, how it drifted.
    var planner: Endpoint?
    var arrivals = 0, late = 0, overrun = 1.0, ticksSinceReport = 0
    var counting = false

    public init(tables: [LatencyTable?]) { self.tables = tables }

    /// Drift is measured from every arrival (did it come after its tick's launch?) and every batch
    /// (did it run past its worst case?), and reported every 12 ticks (whatever the plan's cycle)
    /// when it is there.
    public var notices: PolicyNotices { [.arrivals, .batches] }

    public mutating func messageArrived(_ message: ControlMessage, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        guard let l = message.payload as? ARISELaunches else { return }
        let first = launches == nil
        launches = l
        planner = message.from
        if first { open = false }
        // Drift is measured afresh from the first launch at the new offset (a request arriving
        // between the old launch and the new one is not late).
        (arrivals, late, overrun, ticksSinceReport) = (0, 0, 1, 0)
        counting = false
        effects.setTimer(token: 0, at: launch(next(after: now, l), l))
    }

    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime,
                                        effects: inout PolicyEffects) {
        guard let l = launches, counting else { return }
        arrivals += 1
        if now > launch(Int(request.tag), l) { late += 1 }
    }

    public mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) {
        guard let actual = batch.actual, !batch.aborted, batch.worstCase > 0 else { return }
        overrun = max(overrun, Double(actual) / Double(batch.worstCase))
    }

    mutating func reportDrift(effects: inout PolicyEffects) {
        ticksSinceReport += 1
        guard ticksSinceReport >= 12 else { return }
        let share = arrivals > 0 ? Double(late) / Double(arrivals) : 0
        if let planner, share > 0.02 || overrun > 1 {
            effects.send(to: planner, bytes: 64, payload: ARISEDrift(lateShare: share, overrun: overrun))
        }
        ticksSinceReport = 0
        arrivals = 0
        late = 0
        overrun = 1
    }

    /// The first tick whose launch is after `now`.
    func next(after now: SimTime, _ l: ARISELaunches) -> Int {
        let first = l.start + l.offset
        guard now >= first else { return 0 }
        return Int((now - first) / l.frameTime) + 1
    }

    func launch(_ j: Int, _ l: ARISELaunches) -> SimTime { l.start + l.offset + SimTime(j) * l.frameTime }

    public mutating func timerFired(token: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        guard let l = launches else { return }
        open = true
        tick = Int(((now - l.start - l.offset) + l.frameTime / 2) / l.frameTime)
        effects.setTimer(token: 0, at: launch(tick + 1, l))
        if counting { reportDrift(effects: &effects) }
        counting = true
    }

    public mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard open else { return .idle }
        var best: Int?, size = 0
        for q in 0..<queues.queueCount {
            // The head requests meant for this launch or an earlier one.
            let due = queues.queues[q].prefix { Int($0.tag) <= tick }.count
            guard due > 0 else { continue }
            if best == nil || queues.head(queue: q)!.queuedAt < queues.head(queue: best!)!.queuedAt { best = q; size = due }
        }
        guard let q = best else {
            if launches != nil { open = false }
            return .idle
        }
        return .run(queue: q, size: tables[queues.model(ofQueue: q)]?.largestBatch(notAbove: size) ?? 1)
    }
}

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

    public init(tables: [LatencyTable?]) { self.tables = tables }

    public mutating func messageArrived(_ message: ControlMessage, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        guard let l = message.payload as? ARISELaunches else { return }
        launches = l
        open = false
        effects.setTimer(token: 0, at: launch(next(after: now, l), l))
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

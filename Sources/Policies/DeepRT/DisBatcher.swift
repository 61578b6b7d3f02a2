import EdgeWorld
import SimKernel

/// DeepRT's DisBatcher, Worker and Adaptation Module as one server policy for one GPU (Yang et
/// al., SEC 2021; docs/policies/deeprt.md).
///
/// Each category (model) has back-to-back windows of the length its admission plan gives. The
/// frames that arrive in one window become one batch job when it ends, due one window later;
/// jobs run one at a time, non-preemptively, earliest deadline first, never idling while one is
/// released. A job larger than the largest profiled batch runs as consecutive batches.
///
/// Adaptation: a batch that runs past its worst case is an overrun; its category's penalty grows
/// by the excess, and the category's next jobs shed their oldest frames, as few as pay the
/// penalty back in worst-case time saved, until it is paid (the paper lowers the input
/// resolution instead; arsim has no profile per resolution). The overrun is also reported to
/// the admission controller (`DeepRTOverrun`).
public struct DisBatcher: ServerPolicy {
    struct Job: Sendable {
        var queue: Int
        var count: Int
        var release: SimTime
        var deadline: SimTime
    }

    let tables: [LatencyTable?]
    /// Flush the frames collected so far when the GPU would otherwise idle (the paper's
    /// optimisation; off by default, since two partial batches cost more than the one the
    /// admission test counted).
    let earlyFlush: Bool
    let adapt: Bool
    var windows: [SimTime]
    var windowEnd: [SimTime]
    /// Frames that arrived in each queue's current window.
    var open: [Int] = []
    var released: [Job] = []
    var penalty: [SimTime]
    /// Frames to drop at the next decision, by queue.
    var shedding: [(queue: Int, slot: Int32)] = []
    var frontEnd: Endpoint?

    public init(tables: [LatencyTable?], earlyFlush: Bool, adapt: Bool) {
        self.tables = tables
        self.earlyFlush = earlyFlush
        self.adapt = adapt
        windows = Array(repeating: 0, count: tables.count)
        windowEnd = Array(repeating: 0, count: tables.count)
        penalty = Array(repeating: 0, count: tables.count)
    }

    public var notices: PolicyNotices { [.arrivals, .batches] }

    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime,
                                        effects: inout PolicyEffects) {
        while open.count <= queue { open.append(0) }
        while models.count < queues.queueCount { models.append(queues.model(ofQueue: models.count)) }
        // A model not (yet) planned runs its frames one by one, each by its own deadline.
        let model = models[queue]
        guard windows[model] > 0 else {
            released.append(Job(queue: queue, count: 1, release: now, deadline: request.deadline))
            return
        }
        open[queue] += 1
    }

    public mutating func messageArrived(_ message: ControlMessage, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        guard let plan = message.payload as? DeepRTPlan, plan.windows.count == windows.count else { return }
        frontEnd = message.from
        for m in windows.indices {
            // A category whose last stream left: what its open window collected goes now.
            if windows[m] > 0 && plan.windows[m] == 0 {
                for q in open.indices where queueModel(q) == m && open[q] > 0 {
                    release(queue: q, model: m, count: open[q], now: now, deadline: now + windows[m], queues: queues)
                    open[q] = 0
                }
                effects.cancelTimer(token: m)
            }
            let starting = windows[m] == 0 && plan.windows[m] > 0
            windows[m] = plan.windows[m]
            // A new category's first window starts now. An open window ends no later than one
            // new window from now (a stream with a shorter deadline joined); one that is longer
            // keeps its end, and the next has the new length.
            if starting || (windows[m] > 0 && windowEnd[m] > now + windows[m]) {
                windowEnd[m] = now + windows[m]
                effects.setTimer(token: m, at: windowEnd[m])
            }
        }
    }

    /// The model of each queue, as last seen (queues are made on first use and never removed).
    var models: [Int] = []

    func queueModel(_ q: Int) -> Int? { models.indices.contains(q) ? models[q] : nil }

    public mutating func timerFired(token m: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        guard windows.indices.contains(m), windows[m] > 0 else { return }
        for q in open.indices where queueModel(q) == m && open[q] > 0 {
            release(queue: q, model: m, count: open[q], now: now, deadline: now + windows[m], queues: queues)
            open[q] = 0
        }
        windowEnd[m] = now + windows[m]
        effects.setTimer(token: m, at: windowEnd[m])
    }

    mutating func release(queue q: Int, model m: Int, count: Int, now: SimTime, deadline: SimTime, queues: RequestQueues) {
        var count = count
        if adapt, penalty[m] > 0, let table = tables[m] {
            // The fewest frames whose worst-case time pays the penalty back (all, if none do).
            let full = worstCaseCost(frames: count, table: table) ?? 0
            var shed = 1, saved: SimTime = 0
            while true {
                saved = full - (worstCaseCost(frames: count - shed, table: table) ?? 0)
                if saved >= penalty[m] || shed == count { break }
                shed += 1
            }
            penalty[m] = max(0, penalty[m] - max(saved, 1))
            // The job's frames follow those of this queue's released jobs and those already marked
            // to shed (which wait at the head until the next decision drops them).
            let before = released.filter { $0.queue == q }.reduce(0) { $0 + $1.count } + shedding.filter { $0.queue == q }.count
            let waiting = queues.queues[q]
            let from = min(before, waiting.count), to = min(before + shed, waiting.count)
            shedding += waiting[waiting.index(waiting.startIndex, offsetBy: from)..<waiting.index(waiting.startIndex, offsetBy: to)]
                .map { (queue: q, slot: $0.slot) }
            count -= shed
        }
        if count > 0 { released.append(Job(queue: q, count: count, release: now, deadline: deadline)) }
    }

    public mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        if !shedding.isEmpty {
            defer { shedding.removeAll() }
            return .drop(requests: shedding.map(\.slot), reason: .shed)
        }
        if released.isEmpty, earlyFlush { flush(now: now) }
        // Earliest deadline first among the first job of each queue (a queue's jobs run in order).
        var best: Int?
        for k in released.indices where !released[..<k].contains(where: { $0.queue == released[k].queue }) {
            if best == nil || (released[k].deadline, released[k].release) < (released[best!].deadline, released[best!].release) { best = k }
        }
        guard let k = best else { return .idle }
        let q = released[k].queue
        let waiting = queues.count(queue: q)
        guard waiting > 0 else {
            released.remove(at: k)
            return nextBatch(queues: queues, gpu: gpu, now: now)
        }
        let want = min(released[k].count, waiting)
        let size = tables[queues.model(ofQueue: q)]?.largestBatch(notAbove: want) ?? 1
        released[k].count -= size
        if released[k].count <= 0 || waiting == size { released.remove(at: k) }
        return .run(queue: q, size: size)
    }

    /// The paper's early flush: the collected frames of the category whose window ends first
    /// become a job now, due when that window's job would have been.
    mutating func flush(now: SimTime) {
        var pick: Int?
        for q in open.indices where open[q] > 0 {
            guard let m = queueModel(q) else { continue }
            if pick == nil || windowEnd[m] < windowEnd[queueModel(pick!)!] { pick = q }
        }
        guard let q = pick, let m = queueModel(q) else { return }
        released.append(Job(queue: q, count: open[q], release: now, deadline: windowEnd[m] + windows[m]))
        open[q] = 0
    }

    public mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) {
        guard adapt, let actual = batch.actual, !batch.aborted, actual > batch.worstCase else { return }
        penalty[batch.model] += actual - batch.worstCase
        if let frontEnd {
            effects.send(to: frontEnd, bytes: 64, payload: DeepRTOverrun(model: batch.model, ratio: Double(actual) / Double(batch.worstCase)))
        }
    }
}

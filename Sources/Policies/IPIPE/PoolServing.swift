import SimKernel

/// IPIPE's data plane (the artifact's `ReservationSlaLoadBalancer`) and the "Reactive" ablation
/// (`SlaAwareLoadBalancer`), serving a plan's pipelines on the workers it lays out.
///
/// A worker is one MPS instance of a stage. Workers run the batches handed to them in the order
/// they arrive, each as soon as the worker is free. A server's NIC is shared by the `gpusPerServer
/// × mps` instances of one stage, as the planner's NIC constraint assumes; a transfer between
/// stages holds the sender's uplink and the receiver's downlink for batch × bytes · 8 / bandwidth.
/// Requests arrive at a front end per model. A request is late when its result leaves the last
/// stage after its deadline (the artifact's parser misses those of multi-stage pipelines; see
/// docs/policies/ipipe.md).
public enum PoolDataPlane: String, Sendable, CaseIterable {
    /// Reservations through every stage, batch sizes near the plan's, drops at the front end.
    case reservation
    /// An SLO-aware load balancer at every stage, re-batching there, without reservations.
    case reactive
}

/// Which instances share a NIC.
public enum PoolNICLayout: String, Sendable, CaseIterable {
    /// A stage's instances, `gpusPerServer × mps` to a server and its NIC, as the planner's NIC
    /// constraint assumes (the default).
    case server
    /// As the artifact's simulator groups them: a non-final stage's instances `max(gpusPerServer
    /// of this stage, of the next) × mps` to a NIC, and each last-stage instance a NIC of its own
    /// (so last-stage instances never share a downlink).
    case artifact
}

/// What one run serves: models, the cluster's GPU types, and each model's planned pipelines.
public struct PoolServingSetup: Sendable {
    public var models: [PipelineModel]
    public var cluster: [PoolGPUType]
    public var nicGbps: Double
    /// pipelines[model]: as `PoolPlan.pipelines`.
    public var pipelines: [[PlannedPipeline]]
    public var dataPlane: PoolDataPlane
    public var nicLayout: PoolNICLayout

    public init(models: [PipelineModel], cluster: [PoolGPUType], nicGbps: Double, pipelines: [[PlannedPipeline]], dataPlane: PoolDataPlane,
                nicLayout: PoolNICLayout = .server) {
        self.models = models
        self.cluster = cluster
        self.nicGbps = nicGbps
        self.pipelines = pipelines
        self.dataPlane = dataPlane
        self.nicLayout = nicLayout
    }
}

/// How requests of one model arrive.
public enum PoolArrivals: Sendable, Equatable {
    /// Poisson at this many per second, from time 0 until the run's duration.
    case poisson(perSecond: Double)
    /// At these times (sorted), for hand-worked tests.
    case times([SimTime])
}

public struct PoolModelOutcome: Sendable, Equatable {
    public var arrivals = 0
    public var dropped = 0
    public var late = 0
    /// Of the late, those served by a pipeline of more than one stage: the artifact's result
    /// parser does not count these (docs/policies/ipipe.md).
    public var lateAfterPipelining = 0
    public var onTime = 0
    /// GPU-seconds of work per GPU type: each batch's time over its instance's MPS level (an
    /// instance at level m holds 1/m of a GPU), summed as the artifact's utilisation does.
    public var busyGPUSeconds: [Double]
    /// Dropped or late, over arrivals.
    public var loss: Double { arrivals == 0 ? 0 : Double(dropped + late) / Double(arrivals) }
    /// The loss as the artifact's parser reports it, without the late requests of multi-stage pipelines.
    public var lossAsArtifactParses: Double { arrivals == 0 ? 0 : Double(dropped + late - lateAfterPipelining) / Double(arrivals) }
}

/// One request's fate, kept only when asked (`keepRequests`).
public struct PoolRequestOutcome: Sendable, Equatable {
    public var model: Int
    public var arrival: SimTime
    public var deadline: SimTime
    /// When its result left the last stage; nil when it was dropped.
    public var completed: SimTime?
}

public struct PoolServingOutcome: Sendable, Equatable {
    public var models: [PoolModelOutcome]
    public var requests: [PoolRequestOutcome]
    public var events: UInt64
}

public enum PoolServing {
    /// Serves `arrivals` (one per model) until every request has left, on a fresh cluster.
    public static func run(_ setup: PoolServingSetup, arrivals: [PoolArrivals], duration: SimTime, seed: UInt64,
                           keepRequests: Bool = false) -> PoolServingOutcome {
        precondition(arrivals.count == setup.models.count, "one arrival process per model")
        var sim = Simulation(model: PoolCluster(setup, arrivals: arrivals, duration: duration, seed: seed, keepRequests: keepRequests))
        for d in setup.models.indices { sim.model.scheduleFirstArrival(d, scheduler: &sim.scheduler) }
        // A pool keeps one arrival per model and a few events per running batch pending: far
        // below the queue's limit.
        let reason = sim.run()
        precondition(reason != .queueLimit, sim.scheduler.queueLimitReached ?? "")
        return PoolServingOutcome(models: sim.model.outcomes, requests: sim.model.kept, events: sim.eventsProcessed)
    }

    /// Java's Math.round (halves up), which the artifact's balancers apply to 0.95 · the planned batch.
    static func nearBatch(_ planned: Int) -> Int { max(1, Int((0.95 * Double(planned)).rounded(.toNearestOrAwayFromZero))) }
}

/// A stage of a pipeline as the data plane runs it.
struct StageRun {
    var workers: [Int32]
    /// Nanoseconds a batch of b takes, at index b − 1 (up to the planned batch).
    var latency: [SimTime]
    /// Nanoseconds to send one sample's output to the next stage (0 at the last stage).
    var outPerSample: SimTime
    /// Planned time of the later stages, their transfers included (the reactive balancer's slack).
    var slack: SimTime
    var type: Int
    var mps: Int
}

struct PipelineRun {
    var model: Int
    var batch: Int
    var stages: [StageRun]
}

/// A queue of requests in deadline order at a front end, or (reactive) before a later stage.
struct Balancer {
    var model: Int
    /// The pipeline and stage it feeds; pipeline −1: the model's front end.
    var pipeline: Int32
    var stage: Int
    /// The workers it may choose (reactive).
    var workers: [Int32]
    var queue: [Int32] = []
    var head = 0
    var wake: EventID?
    /// The reactive balancer's head it already waits on (not dropped for a small batch again).
    var waitingOn: Int32 = -1
    var count: Int { queue.count - head }

    mutating func insert(_ r: Int32, deadlines: [SimTime]) {
        var i = queue.count
        while i > head && deadlines[Int(queue[i - 1])] > deadlines[Int(r)] { i -= 1 }
        queue.insert(r, at: i)
    }

    mutating func take(_ n: Int) -> [Int32] {
        let out = Array(queue[head..<(head + n)])
        head += n
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return out
    }
}

struct BatchRun {
    var requests: [Int32]
    var pipeline: Int32
    var stage: Int
    var worker: Int32
    /// The worker reserved at each stage (reservation plane).
    var route: [Int32]
}

/// A reservation through every stage of a pipeline at one batch size.
struct Offer {
    var batch: Int
    var completion: SimTime
    var queuing: SimTime
    var workers: [Int32]
    var inferenceEnd: [SimTime]
    var transferEnd: [SimTime]
}

enum PoolEvent {
    case arrival(model: Int32)
    case wake(balancer: Int32)
    case stageDone(batch: Int32)
    case transferDone(batch: Int32)
}

struct PoolCluster: EventHandler {
    let dataPlane: PoolDataPlane
    let duration: SimTime
    let slo: [SimTime]
    var pipelines: [PipelineRun] = []
    /// Pipelines of each model, in plan order.
    var pipelinesOf: [[Int]]
    // Workers, flat by index: actual busy-until, reserved-until, NIC, pipeline and stage.
    var workerBusy: [SimTime] = []
    var workerReserved: [SimTime] = []
    var workerNIC: [Int32] = []
    var workerPipeline: [Int32] = []
    var workerStage: [Int32] = []
    // NICs: actual and reserved ends of uplink and downlink use.
    var uplinkBusy: [SimTime] = []
    var downlinkBusy: [SimTime] = []
    var uplinkReserved: [SimTime] = []
    var downlinkReserved: [SimTime] = []
    var balancers: [Balancer] = []
    /// The balancer before stage s of pipeline p (reactive; index into `balancers`, −1 at stage 0).
    var stageBalancer: [[Int32]] = []
    // Requests, flat by id.
    var deadline: [SimTime] = []
    var requestModel: [Int32] = []
    var admitted: [Bool] = []
    var arrivedAt: [SimTime] = []
    var batches: [BatchRun] = []
    var freeBatches: [Int32] = []
    var arrivals: [PoolArrivals]
    var nextArrival: [Int]
    var streams: [RandomStream]
    var outcomes: [PoolModelOutcome]
    let keepRequests: Bool
    var kept: [PoolRequestOutcome] = []

    init(_ setup: PoolServingSetup, arrivals: [PoolArrivals], duration: SimTime, seed: UInt64, keepRequests: Bool) {
        dataPlane = setup.dataPlane
        self.duration = duration
        self.arrivals = arrivals
        self.keepRequests = keepRequests
        slo = setup.models.map { SimTime(($0.slo * 1000).rounded()) }
        nextArrival = Array(repeating: 0, count: setup.models.count)
        streams = setup.models.map { RandomStream(seed: seed, name: "ipipe/arrivals/\($0.name)") }
        outcomes = setup.models.map { _ in PoolModelOutcome(busyGPUSeconds: Array(repeating: 0, count: setup.cluster.count)) }
        pipelinesOf = Array(repeating: [], count: setup.models.count)
        // Front ends first: model d's is balancer d.
        balancers = setup.models.indices.map { Balancer(model: $0, pipeline: -1, stage: 0, workers: []) }
        for (d, model) in setup.models.enumerated() {
            for planned in setup.pipelines[d] { layOut(planned, model: model, index: d, setup: setup) }
        }
    }

    /// Workers and NICs of one planned pipeline, each stage's instances grouped on NICs by the layout.
    mutating func layOut(_ planned: PlannedPipeline, model: PipelineModel, index d: Int, setup: PoolServingSetup) {
        let p = Int32(pipelines.count)
        var run = PipelineRun(model: d, batch: planned.batch, stages: [])
        for (s, st) in planned.stages.enumerated() {
            let c = st.choice
            let latency = (1...planned.batch).map { b in
                SimTime((PoolPlanner.stageLatency(model, type: c.type, mps: c.mps, batch: b, first: c.firstBlock, end: c.endBlock) * 1000).rounded())
            }
            let last = s == planned.stages.count - 1
            let out = last ? 0 : SimTime((model.cutBytes[c.endBlock - 1] * 8 / setup.nicGbps).rounded())
            let own = setup.cluster[c.type].gpusPerServer
            let perNIC: Int
            switch setup.nicLayout {
            case .server: perNIC = own * c.mps
            case .artifact: perNIC = last ? 1 : max(own, setup.cluster[planned.stages[s + 1].choice.type].gpusPerServer) * c.mps
            }
            var workers: [Int32] = []
            for i in 0..<st.instances {
                if i % perNIC == 0 {
                    uplinkBusy.append(0); downlinkBusy.append(0)
                    uplinkReserved.append(0); downlinkReserved.append(0)
                }
                workers.append(Int32(workerBusy.count))
                workerBusy.append(0)
                workerReserved.append(0)
                workerNIC.append(Int32(uplinkBusy.count - 1))
                workerPipeline.append(p)
                workerStage.append(Int32(s))
            }
            run.stages.append(StageRun(workers: workers, latency: latency, outPerSample: out, slack: 0, type: c.type, mps: c.mps))
        }
        // Slack: the planned batch's time through every later stage and its transfer out (the
        // artifact sums later partitions' lat_infer + lat_trans, lat_trans a partition's output);
        // a stage's own output transfer is counted with its batch.
        var later: SimTime = 0
        for s in run.stages.indices.reversed() {
            run.stages[s].slack = later
            later += run.stages[s].latency[planned.batch - 1] + SimTime(planned.batch) * run.stages[s].outPerSample
        }
        var feeders: [Int32] = [-1]
        for s in 1..<max(1, run.stages.count) {
            feeders.append(Int32(balancers.count))
            balancers.append(Balancer(model: d, pipeline: p, stage: s, workers: run.stages[s].workers))
        }
        balancers[d].workers += run.stages.first?.workers ?? []
        stageBalancer.append(feeders)
        pipelines.append(run)
        pipelinesOf[d].append(Int(p))
    }

    // MARK: Events

    mutating func handle(_ event: PoolEvent, scheduler: inout Scheduler<PoolEvent>) {
        switch event {
        case .arrival(let d): arrive(Int(d), scheduler: &scheduler)
        case .wake(let b):
            balancers[Int(b)].wake = nil
            execute(Int(b), scheduler: &scheduler)
        case .stageDone(let b): stageDone(b, scheduler: &scheduler)
        case .transferDone(let b): transferDone(b, scheduler: &scheduler)
        }
    }

    mutating func scheduleFirstArrival(_ d: Int, scheduler: inout Scheduler<PoolEvent>) {
        if let t = nextArrivalTime(d, after: 0) { scheduler.schedule(.arrival(model: Int32(d)), at: t) }
    }

    mutating func nextArrivalTime(_ d: Int, after now: SimTime) -> SimTime? {
        switch arrivals[d] {
        case .poisson(let rate):
            guard rate > 0 else { return nil }
            let t = now + SimTime(Distribution.exponential(mean: 1e9 / rate).sample(&streams[d]).rounded())
            return t < duration ? t : nil
        case .times(let times):
            guard nextArrival[d] < times.count else { return nil }
            nextArrival[d] += 1
            return times[nextArrival[d] - 1]
        }
    }

    mutating func arrive(_ d: Int, scheduler: inout Scheduler<PoolEvent>) {
        let now = scheduler.now
        let r = Int32(deadline.count)
        deadline.append(now + slo[d])
        requestModel.append(Int32(d))
        admitted.append(false)
        arrivedAt.append(now)
        outcomes[d].arrivals += 1
        if let t = nextArrivalTime(d, after: now) { scheduler.schedule(.arrival(model: Int32(d)), at: t) }
        balancers[d].insert(r, deadlines: deadline)
        if let w = balancers[d].wake { scheduler.cancel(w); balancers[d].wake = nil }
        execute(d, scheduler: &scheduler)
    }

    mutating func execute(_ b: Int, scheduler: inout Scheduler<PoolEvent>) {
        switch dataPlane {
        case .reservation: executeReservation(b, scheduler: &scheduler)
        case .reactive: executeReactive(b, scheduler: &scheduler)
        }
    }

    mutating func drop(_ b: Int) {
        let r = balancers[b].take(1)[0]
        outcomes[Int(requestModel[Int(r)])].dropped += 1
        if keepRequests { keep(r, completed: nil) }
    }

    mutating func keep(_ r: Int32, completed: SimTime?) {
        kept.append(PoolRequestOutcome(model: Int(requestModel[Int(r)]), arrival: arrivedAt[Int(r)], deadline: deadline[Int(r)], completed: completed))
    }

    // MARK: Reservation data plane

    /// The earliest finish of a batch of `batch` through pipeline p, reserving greedily stage by
    /// stage the worker that finishes first, counting NIC reservations on both ends of each hop.
    func reserve(_ p: Int, batch: Int, now: SimTime) -> Offer {
        let stages = pipelines[p].stages
        var offer = Offer(batch: batch, completion: now, queuing: 0, workers: [], inferenceEnd: [], transferEnd: [])
        var ready = now, work: SimTime = 0
        for (k, st) in stages.enumerated() {
            let inference = st.latency[batch - 1]
            let transfer = k > 0 ? SimTime(batch) * stages[k - 1].outPerSample : 0
            work += inference + transfer
            let sender = k > 0 ? Int(workerNIC[Int(offer.workers[k - 1])]) : -1
            var best: (worker: Int32, score: SimTime, end: SimTime, sent: SimTime) = (-1, .max, 0, 0)
            for w in st.workers {
                let nic = Int(workerNIC[Int(w)])
                let sent = k > 0 ? max(uplinkReserved[sender], downlinkReserved[nic], ready) + transfer : ready
                let end = max(workerReserved[Int(w)], sent) + inference
                let score = k < stages.count - 1 ? max(end, uplinkReserved[nic]) : end
                if score < best.score { best = (w, score, end, sent) }
            }
            offer.workers.append(best.worker)
            offer.inferenceEnd.append(best.end)
            offer.transferEnd.append(best.sent)
            ready = best.end
        }
        offer.completion = ready
        offer.queuing = ready - now - work
        return offer
    }

    mutating func commit(_ offer: Offer) {
        for k in offer.workers.indices {
            workerReserved[Int(offer.workers[k])] = offer.inferenceEnd[k]
            guard k > 0 else { continue }
            uplinkReserved[Int(workerNIC[Int(offer.workers[k - 1])])] = offer.transferEnd[k]
            downlinkReserved[Int(workerNIC[Int(offer.workers[k])])] = offer.transferEnd[k]
        }
    }

    /// The front end of model `b` (the artifact's `ReservationSlaLoadBalancer.execute`).
    mutating func executeReservation(_ b: Int, scheduler: inout Scheduler<PoolEvent>) {
        let d = balancers[b].model
        let now = scheduler.now
        guard !pipelinesOf[d].isEmpty else {
            while balancers[b].count > 0 { drop(b) }
            return
        }
        while balancers[b].count > 0 {
            let r = balancers[b].queue[balancers[b].head]
            let due = deadline[Int(r)]
            // The pipeline with the least queueing at its planned batch; a batch-1 pipeline that
            // would miss pays one SLO.
            var p = -1, planned = 0, best: SimTime = .max, plannedOffer: Offer?
            for q in pipelinesOf[d] {
                let o = reserve(q, batch: pipelines[q].batch, now: now)
                let score = o.queuing + (o.batch == 1 && o.completion > due ? slo[d] : 0)
                if score < best { (p, planned, best, plannedOffer) = (q, o.batch, score, o) }
            }
            if !admitted[Int(r)] {
                // First look: admit only if a batch near the planned one still meets the deadline.
                var fits = plannedOffer!.completion <= due
                var bs = planned - 1
                while !fits && bs >= PoolServing.nearBatch(planned) {
                    fits = reserve(p, batch: bs, now: now).completion <= due
                    bs -= 1
                }
                if fits { admitted[Int(r)] = true } else { drop(b) }
                continue
            }
            var chosen: Offer?
            for bs in stride(from: planned, through: 1, by: -1) {
                let o = bs == planned ? plannedOffer! : reserve(p, batch: bs, now: now)
                if o.completion <= due { chosen = o; break }
            }
            guard let offer = chosen else { drop(b); continue }
            if balancers[b].count >= offer.batch {
                commit(offer)
                let slot = newBatch(BatchRun(requests: balancers[b].take(offer.batch), pipeline: Int32(p), stage: 0,
                                             worker: offer.workers[0], route: offer.workers))
                startBatch(slot, scheduler: &scheduler)
                continue
            }
            // Wait for more requests: until just after the last moment a batch one larger than
            // the queue could start and still meet the head's deadline.
            let larger = reserve(p, batch: balancers[b].count + 1, now: now)
            if larger.completion > due { drop(b); continue }
            let wait = due - larger.completion + larger.queuing + 1
            balancers[b].wake = scheduler.schedule(.wake(balancer: Int32(b)), at: now + wait)
            return
        }
    }

    // MARK: Reactive data plane

    /// A balancer without reservations (the artifact's `SlaAwareLoadBalancer`): the worker free
    /// first takes the largest batch that meets the head's deadline after the later stages' slack.
    mutating func executeReactive(_ b: Int, scheduler: inout Scheduler<PoolEvent>) {
        let now = scheduler.now
        guard !balancers[b].workers.isEmpty else {
            while balancers[b].count > 0 { drop(b) }
            return
        }
        while balancers[b].count > 0 {
            let r = balancers[b].queue[balancers[b].head]
            var w: Int32 = -1, free: SimTime = .max
            for x in balancers[b].workers where max(workerBusy[Int(x)], now) < free { (w, free) = (x, max(workerBusy[Int(x)], now)) }
            let p = Int(workerPipeline[Int(w)]), st = pipelines[p].stages[Int(workerStage[Int(w)])]
            let planned = pipelines[p].batch
            let room = deadline[Int(r)] - st.slack - free
            var bs = planned
            while bs > 0 && st.latency[bs - 1] + SimTime(bs) * st.outPerSample > room { bs -= 1 }
            if bs <= 0 || (bs < PoolServing.nearBatch(planned) && r != balancers[b].waitingOn) { drop(b); continue }
            if balancers[b].count >= bs {
                let slot = newBatch(BatchRun(requests: balancers[b].take(bs), pipeline: Int32(p), stage: Int(workerStage[Int(w)]),
                                             worker: w, route: []))
                startBatch(slot, scheduler: &scheduler)
                continue
            }
            balancers[b].waitingOn = r
            // As the artifact's balancer: the wake leaves out the stage's own output transfer,
            // which the batch check above counts (kept for fidelity; docs/policies/ipipe.md).
            let wake = deadline[Int(r)] - st.slack - st.latency[balancers[b].count] + 1
            balancers[b].wake = scheduler.schedule(.wake(balancer: Int32(b)), at: max(wake, now + 1))
            return
        }
    }

    // MARK: Workers and transfers

    mutating func newBatch(_ batch: BatchRun) -> Int32 {
        if let slot = freeBatches.popLast() {
            batches[Int(slot)] = batch
            return slot
        }
        batches.append(batch)
        return Int32(batches.count - 1)
    }

    /// The batch joins its worker's queue: it runs when the worker is free.
    mutating func startBatch(_ slot: Int32, scheduler: inout Scheduler<PoolEvent>) {
        let batch = batches[Int(slot)]
        let w = Int(batch.worker)
        let st = pipelines[Int(batch.pipeline)].stages[batch.stage]
        let time = st.latency[batch.requests.count - 1]
        let end = max(scheduler.now, workerBusy[w]) + time
        workerBusy[w] = end
        outcomes[pipelines[Int(batch.pipeline)].model].busyGPUSeconds[st.type] += Double(time) / 1e9 / Double(st.mps)
        scheduler.schedule(.stageDone(batch: slot), at: end)
    }

    mutating func stageDone(_ slot: Int32, scheduler: inout Scheduler<PoolEvent>) {
        let batch = batches[Int(slot)]
        let run = pipelines[Int(batch.pipeline)]
        let now = scheduler.now
        guard batch.stage == run.stages.count - 1 else {
            // To the next stage: over the sender's uplink (and, with reservations, the receiving
            // worker's downlink), in the order the batches finish.
            let sender = Int(workerNIC[Int(batch.worker)])
            let bytesTime = SimTime(batch.requests.count) * run.stages[batch.stage].outPerSample
            var start = max(now, uplinkBusy[sender])
            if dataPlane == .reservation {
                let receiver = Int(workerNIC[Int(batch.route[batch.stage + 1])])
                start = max(start, downlinkBusy[receiver])
                downlinkBusy[receiver] = start + bytesTime
            }
            uplinkBusy[sender] = start + bytesTime
            scheduler.schedule(.transferDone(batch: slot), at: start + bytesTime)
            return
        }
        var outcome = outcomes[run.model]
        for r in batch.requests {
            if now > deadline[Int(r)] {
                outcome.late += 1
                if run.stages.count > 1 { outcome.lateAfterPipelining += 1 }
            } else {
                outcome.onTime += 1
            }
            if keepRequests { keep(r, completed: now) }
        }
        outcomes[run.model] = outcome
        freeBatches.append(slot)
    }

    mutating func transferDone(_ slot: Int32, scheduler: inout Scheduler<PoolEvent>) {
        let next = batches[Int(slot)].stage + 1
        switch dataPlane {
        case .reservation:
            batches[Int(slot)].stage = next
            batches[Int(slot)].worker = batches[Int(slot)].route[next]
            startBatch(slot, scheduler: &scheduler)
        case .reactive:
            let b = Int(stageBalancer[Int(batches[Int(slot)].pipeline)][next])
            for r in batches[Int(slot)].requests { balancers[b].insert(r, deadlines: deadline) }
            freeBatches.append(slot)
            if let w = balancers[b].wake { scheduler.cancel(w); balancers[b].wake = nil }
            executeReactive(b, scheduler: &scheduler)
        }
    }
}

/// The largest load each model sustains: PPipe's sweep (the artifact's `run_sim_in_batch.py`).
public struct PoolCapacity: Sendable {
    /// Per model, the first load factor from 100 % down that loses at most the threshold; nil
    /// when none down to the lowest step did.
    public var loadFactor: [Double?]
    /// Per model, its outcome at that load factor.
    public var atAnswer: [PoolModelOutcome?]
    /// Every load factor run (percent) and each model's outcome there (nil: not run, already answered).
    public var probes: [(percent: Int, outcomes: [PoolModelOutcome?])]
}

extension PoolServing {
    /// Runs each model at load factor × `reference` requests per second (Poisson, `duration`),
    /// from 100 % down in `stepPercent` steps, until drops plus late requests are at most
    /// `threshold` of arrivals. Models share no worker, so one run serves every model that has
    /// no answer yet, each as if alone; a model answered is not run again.
    /// `loss` is what must stay within the threshold: by default drops plus every late request;
    /// `\.lossAsArtifactParses` reproduces the artifact's parser.
    public static func stepDown(_ setup: PoolServingSetup, reference: [Double], duration: SimTime, seed: UInt64,
                                stepPercent: Int = 5, threshold: Double = 0.01,
                                loss: (PoolModelOutcome) -> Double = { $0.loss }) -> PoolCapacity {
        var result = PoolCapacity(loadFactor: Array(repeating: nil, count: reference.count),
                                  atAnswer: Array(repeating: nil, count: reference.count), probes: [])
        var percent = 100
        // A model planned at no throughput is never run: it has no load to sustain.
        let open = { (d: Int) in result.atAnswer[d] == nil && reference[d] > 0 }
        while percent > 0 && reference.indices.contains(where: open) {
            let arrivals = reference.indices.map { d in
                PoolArrivals.poisson(perSecond: open(d) ? reference[d] * Double(percent) / 100 : 0)
            }
            let outcome = run(setup, arrivals: arrivals, duration: duration, seed: seed)
            var outcomes: [PoolModelOutcome?] = Array(repeating: nil, count: reference.count)
            for d in reference.indices where open(d) {
                outcomes[d] = outcome.models[d]
                // A probe that saw no request says nothing about the load it sustains.
                if outcome.models[d].arrivals > 0 && loss(outcome.models[d]) <= threshold {
                    result.loadFactor[d] = Double(percent) / 100
                    result.atAnswer[d] = outcome.models[d]
                }
            }
            result.probes.append((percent, outcomes))
            percent -= stepPercent
        }
        return result
    }
}

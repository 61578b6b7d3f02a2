import SimKernel

/// A server: GPUs of one type, fed from one set of queues by one policy, at one site. A machine
/// whose GPUs are split into pools (each with its own queues and policy) is one `ServerSpec` per
/// pool; the pools after the first name the first in `machine` and share its NIC and interconnect.
public struct ServerSpec: Sendable {
    public var name: String
    /// Index of its site.
    public var site: Int
    /// The GPU type, as profiles name it ("T4", "H100"); "generic" when only scenario tables are used.
    public var gpuType: String
    /// Physical GPUs.
    public var gpus: Int
    /// MPS level: each GPU split into this many equal shares, each running its own batches
    /// (with the latency profiled at that share).
    public var mps: Int
    /// Unequal MPS shares of each GPU (fractions of its SMs, adding up to at most 1), replacing
    /// `mps`: each share runs its own batches at the whole-GPU latency divided by its share.
    public var mpsShares: [Double]?
    /// The server index of the first pool of this machine, whose NIC and interconnect this pool
    /// uses; nil for a machine of its own (or the first pool).
    public var machine: Int?
    public var policy: any ServerPolicy
    public var variability: ServiceVariability
    /// Requests that find this many already waiting are dropped; nil for no limit.
    public var queueCapacity: Int?
    /// Drop a request from the head of the queue once its deadline has passed.
    public var dropExpired: Bool
    /// Latency tables from profiles for this server's GPU type, by model (nil where none is used).
    public var profiled: [LatencyTable?]
    /// The models loaded on every GPU here (nil: every model it has a table for).
    public var hosted: [Int]?
    /// How fast weights load onto a GPU at the start of the run (bytes/s; nil: instantly).
    public var loadBytesPerSecond: Double?
    /// The server's network interface, shared by its GPUs (in and out), and the link between its
    /// GPUs (PCIe or NVLink) for pipeline stages on the same server.
    public var nicIn: LinkSpec?
    public var nicOut: LinkSpec?
    public var interconnect: LinkSpec?
    /// Price of one GPU for one hour, for the run's operating cost.
    public var costPerGPUHour: Double?
    /// Memory of one GPU, for models the control plane loads during the run (nil: unchecked).
    public var memoryBytes: Int?
    /// Worst case (p99) where no p99 was measured: mean × (1 + p99Margin).
    public var p99Margin = 0.1
    /// Slow-downs from other work on the GPUs (co-located jobs, thermal throttling), varying over time.
    public var interference: Interference?

    public init(name: String, site: Int = 0, gpuType: String = "generic", gpus: Int, mps: Int = 1, policy: any ServerPolicy,
                variability: ServiceVariability = .deterministic, queueCapacity: Int? = nil, dropExpired: Bool = false,
                profiled: [LatencyTable?] = [], hosted: [Int]? = nil, loadBytesPerSecond: Double? = nil,
                nicIn: LinkSpec? = nil, nicOut: LinkSpec? = nil, interconnect: LinkSpec? = nil, costPerGPUHour: Double? = nil) {
        self.name = name
        self.site = site
        self.gpuType = gpuType
        self.gpus = gpus
        self.mps = mps
        self.policy = policy
        self.variability = variability
        self.queueCapacity = queueCapacity
        self.dropExpired = dropExpired
        self.profiled = profiled
        self.hosted = hosted
        self.loadBytesPerSecond = loadBytesPerSecond
        self.nicIn = nicIn
        self.nicOut = nicOut
        self.interconnect = interconnect
        self.costPerGPUHour = costPerGPUHour
    }

    /// Executors: every MPS share of every GPU runs batches on its own.
    public var executors: Int { gpus * sharesPerGPU }

    /// Executors per physical GPU (copies of each model's weights per GPU).
    public var sharesPerGPU: Int { mpsShares?.count ?? mps }

    /// The smallest MPS share of a GPU: below it a batch's time would leave any run's range.
    public static let minimumMPSShare = 0.01

    /// Whether unequal MPS shares can divide one GPU: each at least `minimumMPSShare`, all
    /// together at most the whole GPU. The scenario reader and the control plane both ask this.
    public static func sharesFit(_ shares: [Double]) -> Bool {
        shares.allSatisfy { $0 >= minimumMPSShare && $0.isFinite } && shares.reduce(0, +) <= 1 + 1e-9
    }

    /// The physical GPU an executor is a share of, and the fraction of it the executor has.
    public func physicalGPU(ofExecutor g: Int) -> Int { g / sharesPerGPU }
    /// The machine this server (pool) is on, as a server index: `machine`, else its own index.
    public func machineIndex(_ selfIndex: Int) -> Int { machine ?? selfIndex }
    public func share(ofExecutor g: Int) -> Double {
        mpsShares.map { $0[g % $0.count] } ?? 1 / Double(mps)
    }
}

/// A factor on every batch's service time that changes every `step`: lognormal with the given
/// mean and coefficient of variation, drawn per executor from its own stream. Drawn step by step
/// as simulated time passes (a batch at time t sees the draw of step ⌊t/step⌋, however many
/// batches ran before), so memory does not grow with the run.
public struct Interference: Sendable, Equatable {
    public var mean: Double
    public var cv: Double
    public var step: SimTime

    public init(mean: Double, cv: Double, step: SimTime) {
        self.mean = mean
        self.cv = cv
        self.step = step
    }
}

/// One executor (a GPU, or an MPS share of one) during the run: the batch it is running, if any.
struct GPUState: Sendable {
    var rng: RandomStream
    /// The interference factor now in force, when it next changes, and its stream.
    var interference = 1.0
    var interferenceUntil: SimTime = 0
    var interferenceRNG: RandomStream
    var busy = false
    /// The running batch's end, so that a cancelled redundant copy running alone can be aborted.
    var finishEvent: EventID?
    /// Service-time multiplier of an unequal MPS share (1 / share); 1 where the latency table
    /// already is the share's. A change by the control plane applies from the next batch.
    var slowdown = 1.0
    var batch: Int64 = -1
    var queue = 0
    var started: SimTime = 0
    var members: [Int32] = []
    /// The members' clients, in the same order: the batch's end sends each a result, and asks
    /// for their path ids before it runs (`World.prefetch`).
    var memberClients: [Int32] = []
    /// The running batch's profiled latency and worst case, for `BatchNotice`.
    var profiled: SimTime = 0
    var worstCase: SimTime = 0
}

/// A server during the run.
struct ServerState: Sendable {
    var queues = RequestQueues()
    var gpus: [GPUState]
    var policy: any ServerPolicy
    /// `policy.notices` and `policy.answersDependOnGPU`, read once for the hot path.
    let notices: PolicyNotices
    let perGPU: Bool
    var variability: ServiceVariability
    var serviceFactor: Distribution
    /// The latency table of each model here (nil for models it cannot run).
    var tables: [LatencyTable?]
    /// Per model, the layers of its table here (0: no table). Kept apart so that the hot path
    /// asks a flat array instead of copying an optional table (which retains its arrays).
    let layerCounts: [Int]
    /// When each model's weights are on the GPUs (Int64.max: not hosted here).
    var readyAt: [SimTime]
    /// When the weights being loaded now are all in (loads queue one after another).
    var loadingUntil: SimTime = 0
    /// The pending wake-up the policy asked for, if any.
    var wakeup: EventID?
    let interference: Interference?
    let interferenceFactor: Distribution?

    init(spec: ServerSpec, index: Int, world: WorldSpec) {
        let seed = world.seed
        var tables = world.models.indices.map { world.table(model: $0, server: index) }
        for m in tables.indices { tables[m]?.worstCaseMargin = spec.p99Margin }
        self.tables = tables
        layerCounts = tables.map { $0?.layerCount ?? 0 }
        interference = spec.interference
        interferenceFactor = spec.interference.map { Distribution.lognormal(mean: $0.mean, cv: $0.cv) }
        variability = spec.variability
        gpus = (0..<spec.executors).map {
            var gpu = GPUState(rng: RandomStream(seed: seed, name: "server/\(spec.name)/gpu/\($0)/service"),
                               interferenceRNG: RandomStream(seed: seed, name: "server/\(spec.name)/gpu/\($0)/interference"))
            if spec.mpsShares != nil { gpu.slowdown = 1 / spec.share(ofExecutor: $0) }
            return gpu
        }
        policy = spec.policy
        notices = spec.policy.notices
        perGPU = spec.policy.answersDependOnGPU
        serviceFactor = spec.variability.factor()
        let hosted = world.hostedModels(server: index)
        // Weights load one model after another, on all GPUs at once, from the start of the run.
        var ready = [SimTime](repeating: .max, count: world.models.count)
        var t: SimTime = 0
        for m in hosted {
            if let rate = spec.loadBytesPerSecond, rate > 0 {
                t += SimTime((Double(world.models[m].weightBytes) / rate * 1e9).rounded(.up))
            }
            ready[m] = t
        }
        readyAt = ready
        loadingUntil = t
    }

}

extension World {
    /// Whether server `s` has model `m`'s weights (loaded or loading) and a table for it. Fields
    /// are read through the array: calling a method on `servers[s]` copied the whole server state.
    @inline(__always)
    static func hosts(_ servers: [ServerState], server s: Int, model m: Int) -> Bool {
        servers[s].readyAt[m] != .max && servers[s].layerCounts[m] > 0
    }

    /// A request reaches a server: it is admitted to the queue of its model and layers (or
    /// dropped), and idle GPUs are offered work.
    mutating func requestArrived(request slot: Int32, server s: Int, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        requests[slot].server = Int32(s)
        if requests[slot].arrived < 0 { requests[slot].arrived = now }
        if isDecidedCopy(slot) {
            // Its group was decided while it travelled: it never queues.
            finish(slot, outcome: .cancelled, at: now)
            return
        }
        outstanding[s] += 1
        guard World.hosts(servers, server: s, model: Int(requests[slot].model)) else {
            outstanding[s] -= 1
            drop(slot, reason: .noServer, at: now)
            return
        }
        if let capacity = spec.servers[s].queueCapacity, servers[s].queues.totalCount >= capacity {
            outstanding[s] -= 1
            drop(slot, reason: .queueFull, at: now)
            return
        }
        let layers = stageLayers(slot, stage: Int(requests[slot].stage), server: s)
        requests[slot].firstLayer = Int32(layers.lowerBound)
        requests[slot].endLayer = Int32(layers.upperBound)
        if requests[slot].queued < 0 { requests[slot].queued = now }
        let q = servers[s].queues.queue(model: Int(requests[slot].model), layers: layers)
        let entry = QueuedRequest(slot: slot, client: requests[slot].client, task: requests[slot].task,
                                  session: requests[slot].session, bytes: Int32(clamping: requests[slot].inputBytes), tag: requests[slot].tag,
                                  queuedAt: now, deadline: requests[slot].deadline)
        servers[s].queues.append(entry, queue: q)
        queueChanged(server: s, at: now)
        if servers[s].notices.contains(.arrivals) {
            var effects = PolicyEffects()
            servers[s].policy.requestArrived(entry, queue: q, queues: servers[s].queues, now: now, effects: &effects)
            if !effects.isEmpty { apply(effects, owner: .server(Int32(s)), scheduler: &scheduler) }
        }
        dispatch(server: s, scheduler: &scheduler)
    }

    /// The wake-up a policy asked for.
    mutating func serverWakeup(server s: Int32, scheduler: inout Scheduler<WorldEvent>) {
        servers[Int(s)].wakeup = nil
        dispatch(server: Int(s), scheduler: &scheduler)
    }

    /// Offers every idle GPU, lowest index first, to the policy until it has nothing to run (or,
    /// for a policy whose answer depends on the GPU, asks every idle GPU in turn and keeps the
    /// earliest wake-up).
    mutating func dispatch(server s: Int, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        if spec.servers[s].dropExpired { dropExpired(server: s, now: now) }
        let perGPU = servers[s].perGPU
        var g = 0
        while g < servers[s].gpus.count {
            if servers[s].gpus[g].busy { g += 1; continue }
            let decision: BatchDecision
            if servers[s].notices.contains(.decisionEffects) {
                var effects = PolicyEffects()
                decision = servers[s].policy.nextBatch(queues: servers[s].queues, gpu: g, now: now, effects: &effects)
                if !effects.isEmpty { apply(effects, owner: .server(Int32(s)), scheduler: &scheduler) }
            } else {
                decision = servers[s].policy.nextBatch(queues: servers[s].queues, gpu: g, now: now)
            }
            switch decision {
            case .run(let queue, let size):
                guard queue >= 0, queue < servers[s].queues.queueCount else {
                    return policyError("server \(spec.servers[s].name): its policy \(type(of: servers[s].policy)) chose queue \(queue) of \(servers[s].queues.queueCount)")
                }
                let ready = servers[s].readyAt[servers[s].queues.model(ofQueue: queue)]
                if ready > now {
                    // The model's weights are still loading.
                    requestWakeup(server: s, at: ready, scheduler: &scheduler)
                    return
                }
                guard startBatch(server: s, gpu: g, queue: queue, size: size, scheduler: &scheduler) else { return }
                g += 1
            case .drop(let slots, let reason):
                for slot in slots {
                    guard servers[s].queues.remove(slot: slot) else {
                        return policyError("server \(spec.servers[s].name): its policy \(type(of: servers[s].policy)) dropped request slot \(slot), which is not waiting there")
                    }
                    outstanding[s] -= 1
                    drop(slot, reason: reason, at: now)
                }
                queueChanged(server: s, at: now)
                if slots.isEmpty { g += 1 }   // an empty drop moves on, so a confused policy cannot loop
            case .wait(let time):
                requestWakeup(server: s, at: max(time, now), scheduler: &scheduler)
                if !perGPU { return }
                g += 1
            case .idle:
                if !perGPU { return }
                g += 1
            }
        }
    }

    private mutating func requestWakeup(server s: Int, at time: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        if let pending = servers[s].wakeup {
            if pending.time <= time { return }
            scheduler.cancel(pending)
        }
        servers[s].wakeup = scheduler.schedule(.serverWakeup(server: Int32(s)), at: time)
    }

    private mutating func dropExpired(server s: Int, now: SimTime) {
        for q in 0..<servers[s].queues.queueCount {
            while let head = servers[s].queues.head(queue: q), head.deadline < now {
                _ = servers[s].queues.removeFirst(queue: q)
                outstanding[s] -= 1
                drop(head.slot, reason: .expiredInQueue, at: now)
                queueChanged(server: s, at: now)
            }
        }
    }

    /// Tells the recorder a server's waiting requests changed (it keeps them only for traces).
    @inline(__always)
    mutating func queueChanged(server s: Int, at now: SimTime) {
        if recorder.recordTransfers { recorder.queued(server: s, at: now, count: servers[s].queues.totalCount) }
    }
}

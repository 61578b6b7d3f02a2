import SimKernel

/// An edge server: identical GPUs fed from one set of queues by one policy.
public struct ServerSpec: Sendable {
    public var name: String
    /// The GPU type, as profiles name it ("T4", "H100"); "generic" when only scenario tables are used.
    public var gpuType: String
    public var gpus: Int
    public var policy: any ServerPolicy
    public var variability: ServiceVariability
    /// Requests that find this many already waiting are dropped; nil for no limit.
    public var queueCapacity: Int?
    /// Drop a request from the head of the queue once its deadline has passed.
    public var dropExpired: Bool
    /// Latency tables from profiles for this server's GPU type, by model (nil where none is used).
    public var profiled: [LatencyTable?]

    public init(name: String, gpuType: String = "generic", gpus: Int, policy: any ServerPolicy,
                variability: ServiceVariability = .deterministic, queueCapacity: Int? = nil, dropExpired: Bool = false,
                profiled: [LatencyTable?] = []) {
        self.name = name
        self.gpuType = gpuType
        self.profiled = profiled
        self.gpus = gpus
        self.policy = policy
        self.variability = variability
        self.queueCapacity = queueCapacity
        self.dropExpired = dropExpired
    }
}

/// One GPU during the run: the batch it is running, if any.
struct GPUState: Sendable {
    var rng: RandomStream
    var busy = false
    var batch: Int64 = -1
    var model = 0
    var started: SimTime = 0
    var members: [Int32] = []
}

/// A server during the run.
struct ServerState: Sendable {
    var queues: RequestQueues
    var gpus: [GPUState]
    var policy: any ServerPolicy
    var variability: ServiceVariability
    var serviceFactor: Distribution
    /// The latency table of each model here (nil for models no client sends here).
    var tables: [LatencyTable?]
    /// The pending wake-up the policy asked for, if any.
    var wakeup: EventID?

    init(spec: ServerSpec, index: Int, world: WorldSpec) {
        let seed = world.seed
        queues = RequestQueues(models: world.models.count)
        tables = world.models.indices.map { world.table(model: $0, server: index) }
        variability = spec.variability
        gpus = (0..<spec.gpus).map { GPUState(rng: RandomStream(seed: seed, name: "server/\(spec.name)/gpu/\($0)/service")) }
        policy = spec.policy
        serviceFactor = spec.variability.factor()
    }
}

extension World {
    /// A request reaches its server: it is admitted to the queue (or dropped), and idle GPUs are
    /// offered work.
    mutating func requestArrived(request slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        requests[slot].arrived = now
        let s = Int(requests[slot].server)
        if let capacity = spec.servers[s].queueCapacity, servers[s].queues.totalCount >= capacity {
            recorder.finished(requests.remove(slot), outcome: .dropped(.queueFull))
            return
        }
        requests[slot].queued = now
        let entry = QueuedRequest(slot: slot, queuedAt: now, deadline: requests[slot].deadline)
        servers[s].queues.append(entry, model: Int(requests[slot].model))
        dispatch(server: s, scheduler: &scheduler)
    }

    /// The wake-up a policy asked for.
    mutating func serverWakeup(server s: Int32, scheduler: inout Scheduler<WorldEvent>) {
        servers[Int(s)].wakeup = nil
        dispatch(server: Int(s), scheduler: &scheduler)
    }

    /// Offers every idle GPU, lowest index first, to the policy until it has nothing to run.
    mutating func dispatch(server s: Int, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        if spec.servers[s].dropExpired { dropExpired(server: s, now: now) }
        for g in servers[s].gpus.indices where !servers[s].gpus[g].busy {
            switch servers[s].policy.nextBatch(queues: servers[s].queues, gpu: g, now: now) {
            case .run(let model, let size):
                startBatch(server: s, gpu: g, model: model, size: size, scheduler: &scheduler)
            case .wait(let time):
                requestWakeup(server: s, at: max(time, now), scheduler: &scheduler)
                return
            case .idle:
                return
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
        for m in 0..<servers[s].queues.modelCount {
            while let head = servers[s].queues.head(model: m), head.deadline < now {
                _ = servers[s].queues.removeFirst(model: m)
                recorder.finished(requests.remove(head.slot), outcome: .dropped(.expiredInQueue))
            }
        }
    }
}

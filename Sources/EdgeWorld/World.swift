import SimKernel

/// Everything that happens in the world, as the kernel's events. Each case is handled in the
/// folder of the stage it belongs to: `Clients/` (capture, result back), `Servers/` (arrival,
/// wake-up), `Servers/Execution/` (batch done).
public enum WorldEvent: Sendable {
    case frameCaptured(client: Int32)
    case requestArrived(request: Int32)
    case serverWakeup(server: Int32)
    case batchFinished(server: Int32, gpu: Int32)
    case resultDelivered(request: Int32)
}

/// The first edge world: clients send frames over their links to edge servers, whose GPUs run
/// batches chosen by the server's policy; results travel back; the recorder measures it all.
public struct World: EventHandler, Sendable {
    public let spec: WorldSpec
    var clients: [ClientState]
    var servers: [ServerState]
    var requests = RequestTable()
    var nextRequestID: UInt64 = 0
    var nextBatchID: Int64 = 0
    public internal(set) var recorder: Recorder

    public init(spec: WorldSpec) {
        self.spec = spec
        clients = spec.clients.map { ClientState(spec: $0, seed: spec.seed) }
        servers = spec.servers.enumerated().map { ServerState(spec: $1, index: $0, world: spec) }
        recorder = Recorder(spec: spec)
    }

    /// A simulation of `spec` with every client's first frame scheduled.
    public static func simulation(_ spec: WorldSpec) -> Simulation<World> {
        var sim = Simulation(model: World(spec: spec))
        for c in spec.clients.indices {
            sim.model.scheduleNextFrame(client: Int32(c), after: nil, scheduler: &sim.scheduler)
        }
        return sim
    }

    public mutating func handle(_ event: WorldEvent, scheduler: inout Scheduler<WorldEvent>) {
        switch event {
        case .frameCaptured(let c): frameCaptured(client: c, scheduler: &scheduler)
        case .requestArrived(let r): requestArrived(request: r, scheduler: &scheduler)
        case .serverWakeup(let s): serverWakeup(server: s, scheduler: &scheduler)
        case .batchFinished(let s, let g): batchFinished(server: s, gpu: g, scheduler: &scheduler)
        case .resultDelivered(let r): resultDelivered(request: r, scheduler: &scheduler)
        }
    }

    /// The rows produced since the last call, for the results store.
    public mutating func takeOutbox() -> Outbox { recorder.outbox.take() }

    /// Requests in flight right now.
    public var requestsInFlight: Int { requests.count }

    /// Ends the run at `now`: requests still in flight are recorded as unfinished, batches still
    /// running count as busy up to `now`, and the summary is computed. A run that was `interrupted`
    /// measures up to `now`; otherwise the window is the scenario's, even when the last event came
    /// earlier.
    public mutating func finish(at now: SimTime, interrupted: Bool = false) -> RunSummary {
        for slot in requests.inFlight() {
            recorder.finished(requests.remove(slot), outcome: .unfinished)
        }
        for s in servers.indices {
            for g in servers[s].gpus.indices where servers[s].gpus[g].busy {
                recorder.busy(server: s, gpu: g, from: servers[s].gpus[g].started, to: now)
            }
        }
        return RunSummary(spec: spec, recorder: recorder, measuredUntil: interrupted ? now : spec.duration)
    }
}

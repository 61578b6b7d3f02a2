import SimKernel

/// Everything that happens in the world, as the kernel's events. Each case is handled in the
/// folder of the stage it belongs to: `Clients/` (capture, the device, moves), `Network/`
/// (a transfer's hops), `Servers/` (wake-up), `Servers/Execution/` (batch done).
public enum WorldEvent: Sendable {
    case frameCaptured(client: Int32)
    case hopArrived(transfer: Int32, delivers: ArrivalHint)
    case serverWakeup(server: Int32)
    case batchFinished(server: Int32, gpu: Int32)
    case deviceDone(client: Int32)
    case handover(client: Int32)
    /// A timer a policy set (`PolicyEffects.setTimer`); the slot names the policy and token.
    case policyTimer(slot: Int32)
    /// A client's session starts (it asks to be admitted) or ends.
    case sessionStart(client: Int32)
    case sessionEnd(client: Int32)
    /// A redundant request's delayed copies are due; `group` is the low 32 bits of its group id,
    /// so that a slot reused since is not mistaken for it.
    case copiesDue(request: Int32, group: UInt32)
}

/// What a transfer's arrival will touch when it delivers: the request it carries and, for a
/// result, its client (-1: none). Carried in the event so that `World.prefetch` can ask for them
/// without reading the transfer, which at 10,000 clients is a miss of its own.
public struct ArrivalHint: Sendable {
    var request: Int32
    var client: Int32

    static let none = ArrivalHint(request: -1, client: -1)
}

/// Link indices of a site's access point and wide-area link.
struct SiteLinks: Sendable {
    var accessPointUp: Int32?
    var accessPointDown: Int32?
    var wanUp: Int32?
    var wanDown: Int32?
}

/// Link indices of a server's network interface and GPU interconnect.
struct ServerLinks: Sendable {
    var nicIn: Int32?
    var nicOut: Int32?
    var interconnect: Int32?
}

/// The AR world: clients capture frames and decide per task what to offload; frames and
/// activations cross links (client radio, shared access points, wide-area links, server NICs,
/// GPU interconnects) hop by hop; site front ends dispatch to servers, whose GPUs run batches
/// chosen by the server's policy; results travel back; the recorder measures it all.
public struct World: EventHandler, Sendable {
    public let spec: WorldSpec
    var clients: [ClientState]
    var servers: [ServerState]
    /// The end of the open time bin (`.max` without bins): checked before every event.
    var nextBinEnd: SimTime = .max
    /// Per link: what every hop reads (`LinkState`), and the rest, for links with a trace, jitter or loss.
    var links: [LinkState] = []
    var linkModels: [LinkModel] = []
    var siteLinks: [SiteLinks] = []
    var serverLinks: [ServerLinks] = []
    /// Servers of each site that host each model, in index order: a front end's candidates.
    var siteCandidates: [[[Int]]]
    var frontEnds: [any ClusterPolicy]
    /// Requests each server has queued or running, as front ends count them.
    var outstanding: [Int]
    var requests = RequestTable()
    var transfers = Slab<Transfer>()
    /// The fifth and later requests of uploads that carry more than four (`UploadSlots`).
    var uploadSpill = Slab<[Int32]>()
    var paths = PathTable()
    /// Each client's latest results, a row of `resultStride` tasks per client: one flat array,
    /// so that the row of the next event's client can be asked for by its address alone.
    var taskResults: [TaskResults]
    let resultStride: Int
    var lookups: ClientLookupTable
    var pathIndex: [PathKey: Int32] = [:]
    /// Every client's cached blocks of generated motion (`MotionBlocks`).
    var motionBlocks: MotionBlocks
    /// Per server, its front end's path into it (`pathIntoServer`), -1 until first used: asked
    /// for on every dispatch, where hashing a `PathKey` showed in profiles.
    var ingressPaths: [Int32]
    var routes: [Route] = []
    /// Whether any client measures its uplink (most worlds: none, and uploads skip the check).
    var uplinkObservers = false
    /// Whether the prefetch hints run (`prefetch`, `prefetchUpload`, `prefetchWayBack`): by
    /// default only in worlds of `hintsFromClients` clients or more. Below that the clients' state
    /// stays in cache and asking for it is work for nothing. They change nothing, which a test
    /// checks by turning them on in small worlds.
    public var hints: Bool
    /// Measured on ar-10k, whole processes A B A B (tools/ab.sh, six or eight pairs, of `arsim
    /// bench --only world --scenario Workloads/bench/ar-10k.json` with the client counts set;
    /// docs/performance.md): without the hints 1,000 clients over 10 s took 0.966 of the time
    /// and 2,000 over 6 s 0.978, while 4,000 over 4 s took 1.153 times as long.
    public static let hintsFromClients = 3_000
    /// Per route: the accuracy its wire formats cost a result (parallel to `routes`).
    var routeLoss: [Double] = []
    var routeIndex: [Route: Int32] = [:]
    var groups: [UInt64: CopyGroup] = [:]
    var nextRequestID: UInt64 = 0
    var nextBatchID: Int64 = 0
    var timers = PolicyTimers()
    /// Control messages on their way.
    var messages = Slab<ControlMessage>()
    var controlPlane: (any ControlPlane)?
    /// Each site's admission control, and each client's session (meaningful where it has one).
    var admission: [any AdmissionPolicy]
    var sessions: [SessionState]
    public internal(set) var recorder: Recorder
    /// Set when a policy breaks its contract; the world then ignores further events and the
    /// runner fails the run with this message.
    public internal(set) var failure: String?

    public init(spec: WorldSpec) {
        self.spec = spec
        // Links are numbered in the order of World.linkSpecs: clients, sites, servers.
        var next: Int32 = 0
        func add(_ link: LinkSpec?) -> Int32? {
            guard link != nil else { return nil }
            defer { next += 1 }
            return next
        }
        var clientLinks: [(Int32, Int32)] = []
        for c in spec.clients {
            clientLinks.append((add(c.uplink)!, add(c.downlink)!))
        }
        siteLinks = spec.sites.map { SiteLinks(accessPointUp: add($0.accessPointUp), accessPointDown: add($0.accessPointDown),
                                               wanUp: add($0.wanUp), wanDown: add($0.wanDown)) }
        var serverLinks: [ServerLinks] = []
        for v in spec.servers {
            // A pool uses its machine's NIC and interconnect (the reader gives it none of its own).
            if let first = v.machine { serverLinks.append(serverLinks[first]); continue }
            serverLinks.append(ServerLinks(nicIn: add(v.nicIn), nicOut: add(v.nicOut), interconnect: add(v.interconnect)))
        }
        self.serverLinks = serverLinks
        ingressPaths = Array(repeating: -1, count: spec.servers.count)
        let links = World.linkSpecs(spec)
        precondition(links.count == Int(next))
        self.links = links.map { LinkState(spec: $0) }
        linkModels = links.map { LinkModel(spec: $0, seed: spec.seed) }
        let motionBlocks = MotionBlocks(motion: spec.clients.map(\.generatedMotionInUse))
        clients = zip(spec.clients, clientLinks).enumerated().map { c, pair in
            ClientState(spec: pair.0, seed: spec.seed, uplink: pair.1.0, downlink: pair.1.1, duration: spec.duration,
                        motionBlocksAt: motionBlocks.base(client: c) ?? -1)
        }
        self.motionBlocks = motionBlocks
        let maxTasks = spec.clients.map(\.tasks.count).max() ?? 0
        lookups = ClientLookupTable(clients: clients.count, sites: spec.sites.count, servers: spec.servers.count, maxTasks: maxTasks)
        resultStride = maxTasks
        taskResults = Array(repeating: TaskResults(), count: clients.count * maxTasks)
        // Clients expanded from one group have equal task tables: one shared array is read from
        // cache by all of them, where 10,000 copies would each be a miss.
        for c in clients.indices.dropFirst() where clients[c].tasks == clients[c - 1].tasks {
            clients[c].tasks = clients[c - 1].tasks
            clients[c].hasFallback = clients[c - 1].hasFallback
        }
        servers = spec.servers.enumerated().map { ServerState(spec: $1, index: $0, world: spec) }
        let servers = self.servers
        siteCandidates = spec.sites.indices.map { x in
            spec.models.indices.map { m in World.candidates(spec: spec, servers: servers, site: x, model: m) }
        }
        frontEnds = spec.sites.map(\.dispatch)
        admission = spec.sites.map(\.admission)
        uplinkObservers = clients.contains { $0.observesUplink }
        hints = clients.count >= Self.hintsFromClients
        sessions = Array(repeating: SessionState(), count: spec.clients.count)
        outstanding = Array(repeating: 0, count: spec.servers.count)
        recorder = Recorder(spec: spec, links: links)
        controlPlane = spec.controlPlane
        if spec.binWidth > 0 { nextBinEnd = spec.binWidth }
    }

    /// The servers of a site that host a model, in index order: its front end's candidates.
    static func candidates(spec: WorldSpec, servers: [ServerState], site x: Int, model m: Int) -> [Int] {
        spec.servers.indices.filter { spec.servers[$0].site == x && World.hosts(servers, server: $0, model: m) }
    }

    /// A simulation of `spec` with every client's first frame and first move scheduled.
    public static func simulation(_ spec: WorldSpec) -> Simulation<World> {
        var sim = Simulation(model: World(spec: spec))
        sim.model.startControlPlane(scheduler: &sim.scheduler)
        for c in spec.clients.indices {
            if let session = spec.clients[c].session {
                // The client captures only once admitted.
                if session.start < spec.duration { sim.scheduler.schedule(.sessionStart(client: Int32(c)), at: session.start) }
            } else {
                sim.model.scheduleNextFrame(client: Int32(c), after: nil, scheduler: &sim.scheduler)
            }
            sim.model.scheduleNextHandover(client: Int32(c), scheduler: &sim.scheduler)
        }
        return sim
    }

    /// Closes every bin that ended by `now`. Called before an event changes anything, so the state
    /// it reads (running batches, queues, links' horizons) is the state at each bin's end: no event
    /// of its own, so a run ends, and counts its events, as it would without bins.
    mutating func closeBins(upTo now: SimTime) {
        while now >= nextBinEnd {
            closeBin(at: nextBinEnd)
            nextBinEnd += spec.binWidth
        }
    }

    mutating func closeBin(at end: SimTime) {
        let servers = self.servers, links = self.links
        recorder.closeBin(at: end, running: { s, g in servers[s].gpus[g].busy ? servers[s].gpus[g].started : nil },
                          queued: { s in servers[s].queues.totalCount },
                          linkBusyAfter: { l in max(0, links[l].busyUntil - end) })
    }

    public mutating func handle(_ event: WorldEvent, scheduler: inout Scheduler<WorldEvent>) {
        if failure != nil { return }
        if scheduler.now >= nextBinEnd { closeBins(upTo: scheduler.now) }
        switch event {
        case .frameCaptured(let c): frameCaptured(client: c, scheduler: &scheduler)
        case .hopArrived(let t, _): hopArrived(transfer: t, scheduler: &scheduler)
        case .serverWakeup(let s): serverWakeup(server: s, scheduler: &scheduler)
        case .batchFinished(let s, let g): batchFinished(server: s, gpu: g, scheduler: &scheduler)
        case .deviceDone(let c): deviceDone(client: c, scheduler: &scheduler)
        case .handover(let c): handover(client: c, scheduler: &scheduler)
        case .policyTimer(let slot): policyTimer(slot: slot, scheduler: &scheduler)
        case .sessionStart(let c): sessionStart(client: c, scheduler: &scheduler)
        case .sessionEnd(let c): sessionEnd(client: c, scheduler: &scheduler)
        case .copiesDue(let slot, let group): copiesDue(request: slot, group: group, scheduler: &scheduler)
        }
    }

    /// With thousands of clients their state is not in cache when their next frame comes round:
    /// the lines of the next event's client, transfer or batch members are asked for while the
    /// current event runs.
    public func prefetch(_ next: WorldEvent, at time: SimTime) {
        guard hints else { return }
        switch next {
        case .frameCaptured(let c):
            lookups.prefetch(client: Int(c))
            prefetchClient(Int(c))
            // The motion steps its frame's accuracy reads.
            motionBlocks.prefetch(client: Int(c), at: time)
        case .deviceDone(let c):
            lookups.prefetch(client: Int(c))
            prefetchClient(Int(c))
        case .hopArrived(let t, let hint):
            transfers.prefetch(t)
            if hint.request >= 0 { requests.prefetch(hint.request) }
            // Of the client's record, only what a result's delivery reads (not all ten lines).
            if hint.client >= 0 { prefetchClient(Int(hint.client), fields: ClientState.resultFields) }
        case .batchFinished(let s, let g):
            // Each member's request, and its client's path back from this server.
            guard Int(s) < servers.count, Int(g) < servers[Int(s)].gpus.count else { return }
            // Indexed through the arrays: binding them to locals would retain them.
            for i in servers[Int(s)].gpus[Int(g)].members.indices {
                requests.prefetch(servers[Int(s)].gpus[Int(g)].members[i])
                lookups.prefetch(client: Int(servers[Int(s)].gpus[Int(g)].memberClients[i]), pathFromServer: Int(s))
            }
        default:
            break
        }
    }

    /// Asks for a client's state (the lines holding `fields` of its record: all of it unless
    /// said), its counts in the recorder and its row of latest results.
    func prefetchClient(_ c: Int, fields: Range<Int> = ClientState.allFields) {
        clients.prefetch(c, bytes: fields)
        recorder.clientCounts.prefetch(c)
        taskResults.prefetch(c * resultStride ..< (c + 1) * resultStride)
    }

    /// Frames captured so far by all clients (a measure of the work done, for `arsim bench`).
    public var framesCaptured: Int64 { clients.reduce(0) { $0 + $1.nextFrame } }

    /// Uploads of more than four requests whose spilled array is still held (0 once all are delivered).
    public var spilledUploads: Int { uploadSpill.count }

    /// The rows produced since the last call, for the results store.
    public mutating func takeOutbox() -> Outbox { recorder.outbox.take() }

    /// Ends the run at `now`: requests still in flight are recorded as unfinished, batches still
    /// running count as busy up to `now`, and the summary is computed. A run that was `interrupted`
    /// measures up to `now`; otherwise the window is the scenario's, even when the last event came
    /// earlier.
    public mutating func finish(at now: SimTime, interrupted: Bool = false) -> RunSummary {
        for slot in requests.occupied.sorted(by: { requests[$0].id < requests[$1].id }) {
            // Only the copy that stands for its request counts as unfinished: the winner, or, with
            // no winner, the last copy out.
            if !groups.isEmpty, let g = groups[requests[slot].group], g.standsAside(slot) {
                finish(slot, outcome: .cancelled, at: now)
            } else {
                finish(slot, outcome: .unfinished, at: now)
            }
        }
        // The last, partial bin closes before running batches are counted busy to the end.
        if spec.binWidth > 0 {
            closeBins(upTo: now)
            if now > nextBinEnd - spec.binWidth { closeBin(at: now) }
        }
        for s in servers.indices {
            for g in servers[s].gpus.indices where servers[s].gpus[g].busy {
                recorder.busy(server: s, gpu: g, from: servers[s].gpus[g].started, to: now)
            }
        }
        recorder.rollUp()
        var summary = RunSummary(spec: spec, recorder: recorder, measuredUntil: interrupted ? now : spec.duration)
        summary.sessions = sessionRows()
        return summary
    }
}

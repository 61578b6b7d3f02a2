import SimKernel

/// Collects what the run measures: `Tally`s for the whole run and each site, server, client
/// group, model and task; per-client counts; GPU and link busy time; and, at the `requests`
/// detail level, rows for the results store.
///
/// Only requests and frames inside the measurement window [warmup, duration) enter the tallies;
/// every request still goes to the outbox, so the raw rows are complete.
public struct Recorder: Sendable {
    public let windowStart: SimTime
    public let windowEnd: SimTime
    public let detail: DetailLevel
    public private(set) var run = Tally()
    public private(set) var bySite: [Tally]
    public private(set) var byServer: [Tally]
    public private(set) var byGroup: [Tally]
    public private(set) var byModel: [Tally]
    /// By task name (tasks of different clients with the same name pool).
    public private(set) var byTask: [Tally]
    public let taskNames: [String]
    /// The pooled task of each (client, task), `taskStride` per client: one flat array, because
    /// an array per client cost a cache miss on its header for every finished request.
    let taskOfClientTask: [Int32]
    let taskStride: Int
    /// Per client, what its row in the clients table needs: a small record rather than a `Tally`,
    /// because every frame and request of a client updates it and 10,000 clients' tallies do
    /// not stay in cache.
    public private(set) var clientCounts: [ClientCounts]
    /// Busy time inside the window, per server and executor.
    public private(set) var gpuBusy: [[SimTime]]
    public private(set) var gpuBatches: [[Int]]
    /// Per link, in one record so that a hop updates one cache line.
    public private(set) var links: [LinkCounters]
    public private(set) var redundantCopies = 0
    /// The open time bin: what ended in it so far, and every GPU's and link's busy time up to its
    /// start (cumulative over the whole run, so that a bin's share is a difference).
    var bin = OpenBin()
    var gpuBusyAll: [[SimTime]]
    /// Links whose bins are written: the shared ones (a client's own radio links would be one
    /// row per client per bin).
    let binnedLinks: [Int32]
    let recordTransfers: Bool
    let binNames: (run: String, servers: [String], gpus: [[String]], links: [String])
    let clientGroup: [Int]
    let serverSite: [Int]
    public var outbox = Outbox()

    /// Requests are tallied once, in the cell of their (server, client group, model, task), the
    /// finest scope, and rolled up into the run, site, server, group, model and task tallies at
    /// the end (`rollUp`): one histogram update per request instead of six, on memory that stays
    /// in cache. Worlds with more possible cells than `maxCellSlots` tally every scope directly.
    private var cells: [Tally] = []
    private var cellScopes: [(server: Int, group: Int, model: Int, task: Int)] = []
    /// Cell of each packed (server + 1, group, model, task), -1 before its first request.
    private var cellOfKey: [Int32]
    private let dimensions: (groups: Int, models: Int, tasks: Int)
    private static let maxCellSlots = 1 << 16
    private static let maxCells = 512

    /// A link's busy time inside the window, and the bytes and transfers started in it.
    public struct LinkCounters: Sendable {
        public var busy: SimTime = 0
        public var bytes: Int64 = 0
        public var transfers = 0
        /// Busy time over the whole run, window or not (time bins read it); kept in the same
        /// record so that a hop updates one line.
        var busyAll: SimTime = 0
    }

    /// What a client did, counted over the window: frames with the sum of their accuracy, and
    /// logical requests (`Tally`'s counts: a losing redundant copy is not one) with those that
    /// completed, met their deadline, and the sum of the completed ones' latency in nanoseconds.
    public struct ClientCounts: Sendable {
        public var frames = 0
        public var requests = 0
        public var completed = 0
        public var met = 0
        public var latencySum: Double = 0
        public var accuracySum: Double = 0
        public var offloads: Int32 = 0
        public var localRuns: Int32 = 0
        public var handovers: Int32 = 0
        public var migrations: Int32 = 0

        mutating func add(_ record: RequestRecord) {
            switch record.outcome {
            case .cancelled:
                return
            case .completed:
                completed += 1
                if record.metDeadline { met += 1 }
                latencySum += Double(record.request.completed - record.request.created)
            case .dropped, .unfinished:
                break
            }
            requests += 1
        }
    }

    init(spec: WorldSpec, links: [LinkSpec]) {
        windowStart = spec.warmup
        windowEnd = spec.duration
        detail = spec.detail
        var names: [String] = []
        for c in spec.clients { for t in c.tasks where !names.contains(t.name) { names.append(t.name) } }
        taskNames = names
        taskStride = spec.clients.map(\.tasks.count).max() ?? 0
        var pooled = [Int32](repeating: -1, count: spec.clients.count * taskStride)
        for (c, client) in spec.clients.enumerated() {
            for (t, task) in client.tasks.enumerated() { pooled[c * taskStride + t] = Int32(names.firstIndex(of: task.name)!) }
        }
        taskOfClientTask = pooled
        bySite = Array(repeating: Tally(), count: spec.sites.count)
        byServer = Array(repeating: Tally(), count: spec.servers.count)
        byGroup = Array(repeating: Tally(), count: spec.clientGroups.count)
        byModel = Array(repeating: Tally(), count: spec.models.count)
        byTask = Array(repeating: Tally(), count: names.count)
        clientCounts = Array(repeating: ClientCounts(), count: spec.clients.count)
        gpuBusy = spec.servers.map { Array(repeating: 0, count: $0.executors) }
        gpuBatches = spec.servers.map { Array(repeating: 0, count: $0.executors) }
        self.links = Array(repeating: LinkCounters(), count: links.count)
        gpuBusyAll = spec.servers.map { Array(repeating: 0, count: $0.executors) }
        recordTransfers = spec.recordTransfers
        binnedLinks = links.indices.filter { !links[$0].kind.hasPrefix("client") }.map(Int32.init)
        binNames = (spec.name, spec.servers.map(\.name), spec.servers.map { v in (0..<v.executors).map { "\(v.name)/\($0)" } }, links.map(\.name))
        bin.frames = Array(repeating: 0, count: names.count)
        bin.accuracySum = Array(repeating: 0, count: names.count)
        bin.gpuBusyAtStart = gpuBusyAll
        bin.linkBusyAtStart = Array(repeating: 0, count: links.count)
        clientGroup = spec.clients.map(\.group)
        serverSite = spec.servers.map(\.site)
        dimensions = (spec.clientGroups.count, spec.models.count, names.count)
        let slots = (spec.servers.count + 1) * dimensions.groups * dimensions.models * dimensions.tasks
        cellOfKey = slots <= Self.maxCellSlots ? Array(repeating: -1, count: slots) : []
    }

    func inWindow(_ t: SimTime) -> Bool { t >= windowStart && t < windowEnd }

    mutating func finished(_ request: Request, outcome: RequestOutcome, route: Route? = nil) {
        let record = RequestRecord(request: request, outcome: outcome, route: route)
        bin.add(record)
        if detail == .requests { outbox.requests.append(record) }
        guard inWindow(request.created) else { return }
        let c = Int(request.client)
        clientCounts[c].add(record)
        let group = clientGroup[c], model = Int(request.model), task = pooledTask(client: c, task: Int(request.task))
        if !cellOfKey.isEmpty {
            let key = ((Int(request.server) + 1) * dimensions.groups + group) * dimensions.models * dimensions.tasks
                + model * dimensions.tasks + task
            var cell = Int(cellOfKey[key])
            if cell < 0 && cells.count < Self.maxCells {
                cell = cells.count
                cellOfKey[key] = Int32(cell)
                cells.append(Tally())
                cellScopes.append((Int(request.server), group, model, task))
            }
            if cell >= 0 {
                cells[cell].add(record)
                return
            }
        }
        forEachScope(server: Int(request.server), group: group, model: model, task: task) { $0.add(record) }
    }

    /// The scope tallies a request of (server, group, model, task) counts in: the run, its server
    /// and site (if it reached one), its client group, model and task.
    private mutating func forEachScope(server: Int, group: Int, model: Int, task: Int, _ body: (inout Tally) -> Void) {
        body(&run)
        if server >= 0 {
            body(&byServer[server])
            body(&bySite[serverSite[server]])
        }
        body(&byGroup[group])
        body(&byModel[model])
        body(&byTask[task])
    }

    /// Adds every cell into the scopes it belongs to, once, when the run ends.
    mutating func rollUp() {
        for (i, scope) in cellScopes.enumerated() {
            let cell = cells[i]
            forEachScope(server: scope.server, group: scope.group, model: scope.model, task: scope.task) { $0.addRequests(of: cell) }
        }
        cells = []
        cellScopes = []
        for i in cellOfKey.indices { cellOfKey[i] = -1 }
    }

    func pooledTask(client c: Int, task t: Int) -> Int { Int(taskOfClientTask[c * taskStride + t]) }

    mutating func frame(_ record: FrameRecord) {
        if detail == .requests { outbox.frames.append(record) }
        let task = pooledTask(client: Int(record.client), task: Int(record.task))
        bin.frames[task] += 1
        bin.accuracySum[task] += record.accuracy
        guard inWindow(record.time) else { return }
        let c = Int(record.client)
        run.add(frame: record)
        byGroup[clientGroup[c]].add(frame: record)
        byTask[task].add(frame: record)
        clientCounts[c].frames += 1
        clientCounts[c].accuracySum += record.accuracy
    }

    mutating func plan(_ record: PlanRecord) { outbox.plans.append(record) }

    mutating func batch(_ record: BatchRecord) {
        if detail == .requests { outbox.batches.append(record) }
        busy(server: Int(record.server), gpu: Int(record.gpu), from: record.start, to: record.end)
        if inWindow(record.start) { gpuBatches[Int(record.server)][Int(record.gpu)] += 1 }
    }

    /// Adds the part of [from, to) that lies inside the window to a GPU's busy time.
    mutating func busy(server: Int, gpu: Int, from: SimTime, to: SimTime) {
        gpuBusyAll[server][gpu] += to - from
        let busy = min(to, windowEnd) - max(from, windowStart)
        if busy > 0 { gpuBusy[server][gpu] += busy }
    }

    mutating func linkBusy(link: Int, from: SimTime, to: SimTime, bytes: Int) {
        links[link].busyAll += to - from
        if recordTransfers { outbox.transfers.append(TransferRecord(link: Int32(link), start: from, end: to, bytes: bytes)) }
        let busy = min(to, windowEnd) - max(from, windowStart)
        if busy > 0 { links[link].busy += busy }
        if inWindow(from) {
            links[link].bytes += Int64(bytes)
            links[link].transfers += 1
        }
    }

    /// A server's waiting requests changed (asked only when `recordTransfers`: traces).
    mutating func queued(server s: Int, at t: SimTime, count: Int) {
        outbox.queues.append(QueueRecord(server: Int32(s), time: t, queued: Int32(count)))
    }

    mutating func offload(client c: Int32, at t: SimTime) { if inWindow(t) { clientCounts[Int(c)].offloads += 1 } }
    mutating func localRun(client c: Int32, at t: SimTime) { if inWindow(t) { clientCounts[Int(c)].localRuns += 1 } }
    mutating func handover(client c: Int32) { clientCounts[Int(c)].handovers += 1 }
    mutating func migration(client c: Int32) { clientCounts[Int(c)].migrations += 1 }
    mutating func copies(_ n: Int) { redundantCopies += n }

    /// Closes the bin [bin.start, end) into the outbox. `running(s, g)` is the start of the batch a
    /// GPU is running (nil when idle), whose time so far counts in this bin; `queued(s)` a server's
    /// waiting requests now; `linkBusyAfter(l)` how much of a link's scheduled transfers lies after
    /// `end` (a link sends in order, so that is one stretch up to its horizon).
    mutating func closeBin(at end: SimTime, running: (Int, Int) -> SimTime?, queued: (Int) -> Int, linkBusyAfter: (Int) -> SimTime) {
        let start = bin.start, width = Double(end - start)
        guard width > 0 else { return }
        func row(_ scope: BinRecord.Scope, _ index: Int, _ metric: BinRecord.Metric, _ value: Double, sub: Int = 0) {
            let name: String
            switch scope {
            case .run: name = binNames.run
            case .server: name = binNames.servers[index]
            case .gpu: name = binNames.gpus[index][sub]
            case .link: name = binNames.links[index]
            case .task: name = taskNames[index]
            }
            outbox.bins.append(BinRecord(start: start, end: end, scope: scope, name: name, metric: metric, value: value))
        }
        row(.run, 0, .completed, Double(bin.completed))
        row(.run, 0, .met, Double(bin.met))
        row(.run, 0, .dropped, Double(bin.dropped))
        if bin.completed > 0 { row(.run, 0, .latencyMeanMs, bin.latencySum / Double(bin.completed) / 1e6) }
        for s in gpuBusyAll.indices {
            for g in gpuBusyAll[s].indices {
                let total = gpuBusyAll[s][g] + (running(s, g).map { end - $0 } ?? 0)
                row(.gpu, s, .utilization, Double(total - bin.gpuBusyAtStart[s][g]) / width, sub: g)
                bin.gpuBusyAtStart[s][g] = total
            }
            row(.server, s, .queued, Double(queued(s)))
        }
        for l in binnedLinks {
            let total = links[Int(l)].busyAll - linkBusyAfter(Int(l))
            row(.link, Int(l), .utilization, Double(total - bin.linkBusyAtStart[Int(l)]) / width)
            bin.linkBusyAtStart[Int(l)] = total
        }
        for t in bin.frames.indices where bin.frames[t] > 0 {
            row(.task, t, .frames, Double(bin.frames[t]))
            row(.task, t, .accuracyMean, bin.accuracySum[t] / Double(bin.frames[t]))
        }
        bin.reopen(at: end)
    }

    /// The open bin: counts since its start.
    struct OpenBin: Sendable {
        var start: SimTime = 0
        var completed = 0, met = 0, dropped = 0
        var latencySum = 0.0
        var frames: [Int] = []
        var accuracySum: [Double] = []
        var gpuBusyAtStart: [[SimTime]] = []
        var linkBusyAtStart: [SimTime] = []

        mutating func add(_ record: RequestRecord) {
            switch record.outcome {
            case .completed:
                completed += 1
                if record.metDeadline { met += 1 }
                latencySum += Double(record.request.completed - record.request.created)
            case .dropped: dropped += 1
            case .cancelled, .unfinished: break
            }
        }

        mutating func reopen(at t: SimTime) {
            start = t
            (completed, met, dropped, latencySum) = (0, 0, 0, 0)
            for i in frames.indices { frames[i] = 0; accuracySum[i] = 0 }
        }
    }

    /// Window length in seconds.
    public var windowSeconds: Double { Time.toSeconds(windowEnd - windowStart) }
}

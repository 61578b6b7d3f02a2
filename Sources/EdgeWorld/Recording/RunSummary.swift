import SimKernel

/// The figures a researcher reads first, for one scope (the whole run, a site, a server, a
/// client group, a model or a task). Latencies are end to end: frame capture to result back.
public struct SummaryRow: Sendable, Equatable {
    public var scope: String
    public var name: String
    public var requests: Int
    public var completed: Int
    public var metDeadline: Int
    public var dropped: Int
    public var unfinished: Int
    /// Redundant copies that lost (not counted in `requests`).
    public var cancelled: Int
    /// Completed requests per second of the measurement window.
    public var throughput: Double
    /// Requests that met their deadline, per second.
    public var goodput: Double
    public var latencyMeanMs: Double?
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyP99Ms: Double?
    public var latencyP999Ms: Double?
    public var latencyMaxMs: Double?
    public var queueWaitMeanMs: Double?
    public var serviceMeanMs: Double?
    public var networkMeanMs: Double?
    /// Share of requests that did not have their result by the deadline (dropped and unfinished
    /// ones included).
    public var deadlineMissRate: Double?
    /// Busy share of the GPUs in the window, for the run, site and server scopes.
    public var gpuUtilization: Double?
    /// Per-frame accuracy the app saw (frames × tasks in the window).
    public var frames: Int
    public var accuracyMean: Double?
    public var accuracyP5: Double?
    public var accuracyP50: Double?
    /// Mean frames between a shown result's frame and the frame it is shown on (frames with a
    /// result), and the share of frames that showed the local fallback's result.
    public var stalenessMeanFrames: Double?
    /// The latency distribution of completed requests, in ms at each of `cdfFractions` (empty
    /// where none completed, and for site and server scopes: `RunSummary.cdfScopes`).
    public var latencyCDFMs: [Double] = []

    /// Fractions of completed requests at which the CDF is kept: every percent, then the tail.
    public static let cdfFractions: [Double] = (0...99).map { Double($0) / 100 } + [0.995, 0.999, 0.9999, 1]
    public var fallbackShare: Double?
    /// Operating cost of the GPUs over the scenario's duration (up to the interruption, for an
    /// interrupted run), for the run, site and server scopes.
    public var costUSD: Double?

    init(scope: String, name: String, tally t: Tally, windowSeconds: Double, utilization: Double?, cost: Double? = nil) {
        self.scope = scope
        self.name = name
        requests = t.requests
        completed = t.completed
        metDeadline = t.met
        dropped = t.droppedTotal
        unfinished = t.unfinished
        cancelled = t.cancelled
        throughput = windowSeconds > 0 ? Double(t.completed) / windowSeconds : 0
        goodput = windowSeconds > 0 ? Double(t.met) / windowSeconds : 0
        gpuUtilization = utilization
        costUSD = cost
        deadlineMissRate = t.requests > 0 ? 1 - Double(t.met) / Double(t.requests) : nil
        frames = t.frames
        if t.frames > 0 {
            accuracyMean = t.accuracySum / Double(t.frames)
            accuracyP5 = t.accuracyQuantile(0.05)
            accuracyP50 = t.accuracyQuantile(0.5)
            fallbackShare = Double(t.fallbackFrames) / Double(t.frames)
        }
        if t.framesWithResult > 0 { stalenessMeanFrames = Double(t.stalenessSum) / Double(t.framesWithResult) }
        guard t.completed > 0 else { return }
        let n = Double(t.completed)
        func ms(_ ns: Double) -> Double { ns / 1e6 }
        func percentile(_ p: Double) -> Double? { t.keepsPercentiles ? Double(t.latency.valueAtPercentile(p)) / 1e6 : nil }
        latencyMeanMs = ms(t.latencySum / n)
        latencyP50Ms = percentile(50)
        latencyP95Ms = percentile(95)
        latencyP99Ms = percentile(99)
        latencyP999Ms = percentile(99.9)
        latencyMaxMs = t.keepsPercentiles ? Double(t.latency.max) / 1e6 : nil
        if t.keepsPercentiles && RunSummary.cdfScopes.contains(scope) {
            latencyCDFMs = t.latencyQuantiles(Self.cdfFractions).map { Double($0) / 1e6 }
        }
        queueWaitMeanMs = ms(t.queueWaitSum / n)
        serviceMeanMs = ms(t.serviceSum / n)
        networkMeanMs = ms(t.networkSum / n)
    }
}

/// One executor's (GPU's, or MPS share's) work in the measurement window.
public struct GPURow: Sendable, Equatable {
    public var server: String
    public var gpu: Int
    public var gpuType: String
    /// The physical GPU this executor is (a share of).
    public var physical: Int
    public var mpsShare: Double
    public var batches: Int
    public var busySeconds: Double
    public var utilization: Double
    /// Bytes of weights loaded (per executor).
    public var memoryBytes: Int
}

/// One link's use in the measurement window.
public struct LinkRow: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var bytes: Int64
    public var transfers: Int
    public var busySeconds: Double
    public var utilization: Double
    public var meanMbps: Double
}

/// One client's experience in the measurement window.
public struct ClientRow: Sendable, Equatable {
    public var name: String
    public var group: String
    public var frames: Int
    public var offloads: Int
    public var localRuns: Int
    public var requests: Int
    public var metDeadline: Int
    public var deadlineMissRate: Double?
    public var latencyMeanMs: Double?
    public var accuracyMean: Double?
    public var handovers: Int
    public var migrations: Int
}

/// The summary of a run: one row per scope, GPU, link and client.
public struct RunSummary: Sendable {
    /// Scopes whose summary rows keep a latency CDF: sites and servers can be hundreds, and
    /// their requests are already in the run's.
    public static let cdfScopes: Set<String> = ["run", "client_group", "model", "task"]

    public var rows: [SummaryRow]
    public var gpus: [GPURow]
    public var links: [LinkRow]
    public var clients: [ClientRow]
    /// One row per client with a session: its admission and its end.
    public var sessions: [SessionRow] = []
    public var windowSeconds: Double
    public var redundantCopies: Int

    init(spec: WorldSpec, recorder r: Recorder, measuredUntil end: SimTime) {
        let windowEnd = max(min(r.windowEnd, end), r.windowStart)
        let window = Time.toSeconds(windowEnd - r.windowStart)
        windowSeconds = window
        redundantCopies = r.redundantCopies
        func utilization(_ busy: [SimTime]) -> Double? {
            guard window > 0, !busy.isEmpty else { return nil }
            return Time.toSeconds(busy.reduce(0, +)) / (window * Double(busy.count))
        }
        // The GPUs are paid for over the time simulated: all of the scenario, or up to an interruption.
        let hours = Time.toSeconds(min(spec.duration, end)) / 3600
        func cost(_ servers: [ServerSpec]) -> Double? {
            let priced = servers.compactMap { s in s.costPerGPUHour.map { Double(s.gpus) * $0 * hours } }
            return priced.isEmpty ? nil : priced.reduce(0, +)
        }
        rows = [SummaryRow(scope: "run", name: spec.name, tally: r.run, windowSeconds: window,
                           utilization: utilization(r.gpuBusy.flatMap { $0 }), cost: cost(spec.servers))]
        if spec.sites.count > 1 {
            for (x, site) in spec.sites.enumerated() {
                let members = spec.servers.indices.filter { spec.servers[$0].site == x }
                rows.append(SummaryRow(scope: "site", name: site.name, tally: r.bySite[x], windowSeconds: window,
                                       utilization: utilization(members.flatMap { r.gpuBusy[$0] }),
                                       cost: cost(members.map { spec.servers[$0] })))
            }
        }
        for (s, server) in spec.servers.enumerated() {
            rows.append(SummaryRow(scope: "server", name: server.name, tally: r.byServer[s], windowSeconds: window,
                                   utilization: utilization(r.gpuBusy[s]), cost: cost([server])))
        }
        for (g, group) in spec.clientGroups.enumerated() {
            rows.append(SummaryRow(scope: "client_group", name: group, tally: r.byGroup[g], windowSeconds: window, utilization: nil))
        }
        for (m, model) in spec.models.enumerated() {
            rows.append(SummaryRow(scope: "model", name: model.name, tally: r.byModel[m], windowSeconds: window, utilization: nil))
        }
        if r.taskNames.count > 1 || spec.clients.contains(where: { $0.tasks.count > 1 }) {
            for (t, task) in r.taskNames.enumerated() {
                rows.append(SummaryRow(scope: "task", name: task, tally: r.byTask[t], windowSeconds: window, utilization: nil))
            }
        }
        gpus = []
        for (s, server) in spec.servers.enumerated() {
            let memory = spec.hostedModels(server: s).reduce(0) { $0 + spec.models[$1].weightBytes }
            for g in 0..<server.executors {
                let busy = Time.toSeconds(r.gpuBusy[s][g])
                gpus.append(GPURow(server: server.name, gpu: g, gpuType: server.gpuType, physical: server.physicalGPU(ofExecutor: g),
                                   mpsShare: server.share(ofExecutor: g), batches: r.gpuBatches[s][g], busySeconds: busy,
                                   utilization: window > 0 ? busy / window : 0, memoryBytes: memory))
            }
        }
        links = []
        let linkSpecs = World.linkSpecs(spec)
        for (l, link) in linkSpecs.enumerated() {
            let busy = Time.toSeconds(r.links[l].busy)
            links.append(LinkRow(name: link.name, kind: link.kind, bytes: r.links[l].bytes, transfers: r.links[l].transfers,
                                 busySeconds: busy, utilization: window > 0 ? busy / window : 0,
                                 meanMbps: link.capacity.meanBitsPerSecond / 1e6))
        }
        clients = spec.clients.enumerated().map { c, client in
            let t = r.clientCounts[c]
            return ClientRow(name: client.name, group: spec.clientGroups[client.group], frames: t.frames,
                             offloads: Int(t.offloads), localRuns: Int(t.localRuns), requests: t.requests, metDeadline: t.met,
                             deadlineMissRate: t.requests > 0 ? 1 - Double(t.met) / Double(t.requests) : nil,
                             latencyMeanMs: t.completed > 0 ? t.latencySum / Double(t.completed) / 1e6 : nil,
                             accuracyMean: t.frames > 0 ? t.accuracySum / Double(t.frames) : nil,
                             handovers: Int(t.handovers), migrations: Int(t.migrations))
        }
    }

    /// The row for the whole run.
    public var run: SummaryRow { rows[0] }
}

extension World {
    /// Every link of the world in index order: each client's uplink and downlink, each site's
    /// access point and wide-area links, each server's NIC and interconnect (absent ones skipped).
    public static func linkSpecs(_ spec: WorldSpec) -> [LinkSpec] {
        var links: [LinkSpec] = []
        for c in spec.clients { links += [c.uplink, c.downlink] }
        for s in spec.sites { links += [s.accessPointUp, s.accessPointDown, s.wanUp, s.wanDown].compactMap { $0 } }
        for v in spec.servers where v.machine == nil { links += [v.nicIn, v.nicOut, v.interconnect].compactMap { $0 } }
        return links
    }
}

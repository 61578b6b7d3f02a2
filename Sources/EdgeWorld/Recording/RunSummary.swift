import SimKernel

/// The figures a researcher reads first, for one scope (the whole run, a server, a client
/// group or a model). Latencies are end to end: frame capture to result back at the client.
public struct SummaryRow: Sendable, Equatable {
    public var scope: String
    public var name: String
    public var requests: Int
    public var completed: Int
    public var metDeadline: Int
    public var dropped: Int
    public var unfinished: Int
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
    /// Busy share of the GPUs in the window, for the run and server scopes.
    public var gpuUtilization: Double?

    init(scope: String, name: String, tally t: Tally, windowSeconds: Double, utilization: Double?) {
        self.scope = scope
        self.name = name
        requests = t.requests
        completed = t.completed
        metDeadline = t.met
        dropped = t.droppedTotal
        unfinished = t.unfinished
        throughput = windowSeconds > 0 ? Double(t.completed) / windowSeconds : 0
        goodput = windowSeconds > 0 ? Double(t.met) / windowSeconds : 0
        gpuUtilization = utilization
        deadlineMissRate = t.requests > 0 ? 1 - Double(t.met) / Double(t.requests) : nil
        guard t.completed > 0 else { return }
        let n = Double(t.completed)
        func ms(_ ns: Double) -> Double { ns / 1e6 }
        func percentile(_ p: Double) -> Double { Double(t.latency.valueAtPercentile(p)) / 1e6 }
        latencyMeanMs = ms(t.latencySum / n)
        latencyP50Ms = percentile(50)
        latencyP95Ms = percentile(95)
        latencyP99Ms = percentile(99)
        latencyP999Ms = percentile(99.9)
        latencyMaxMs = Double(t.latency.max) / 1e6
        queueWaitMeanMs = ms(t.queueWaitSum / n)
        serviceMeanMs = ms(t.serviceSum / n)
        networkMeanMs = ms(t.networkSum / n)
    }
}

/// One GPU's share of the work in the measurement window.
public struct GPURow: Sendable, Equatable {
    public var server: String
    public var gpu: Int
    public var batches: Int
    public var busySeconds: Double
    public var utilization: Double
}

/// The summary of a run: one row per scope and one per GPU.
public struct RunSummary: Sendable {
    public var rows: [SummaryRow]
    public var gpus: [GPURow]
    public var windowSeconds: Double

    init(spec: WorldSpec, recorder r: Recorder, measuredUntil end: SimTime) {
        let windowEnd = max(min(r.windowEnd, end), r.windowStart)
        let window = Time.toSeconds(windowEnd - r.windowStart)
        windowSeconds = window
        func utilization(_ busy: [SimTime]) -> Double? {
            guard window > 0, !busy.isEmpty else { return nil }
            return Time.toSeconds(busy.reduce(0, +)) / (window * Double(busy.count))
        }
        rows = [SummaryRow(scope: "run", name: spec.name, tally: r.run, windowSeconds: window,
                           utilization: utilization(r.gpuBusy.flatMap { $0 }))]
        for (s, server) in spec.servers.enumerated() {
            rows.append(SummaryRow(scope: "server", name: server.name, tally: r.byServer[s], windowSeconds: window,
                                   utilization: utilization(r.gpuBusy[s])))
        }
        for (g, group) in spec.clientGroups.enumerated() {
            rows.append(SummaryRow(scope: "client_group", name: group, tally: r.byGroup[g], windowSeconds: window, utilization: nil))
        }
        for (m, model) in spec.models.enumerated() {
            rows.append(SummaryRow(scope: "model", name: model.name, tally: r.byModel[m], windowSeconds: window, utilization: nil))
        }
        gpus = []
        for (s, server) in spec.servers.enumerated() {
            for g in 0..<server.gpus {
                let busy = Time.toSeconds(r.gpuBusy[s][g])
                gpus.append(GPURow(server: server.name, gpu: g, batches: r.gpuBatches[s][g], busySeconds: busy,
                                   utilization: window > 0 ? busy / window : 0))
            }
        }
    }

    /// The row for the whole run.
    public var run: SummaryRow { rows[0] }
}

import SimKernel

/// Everything a run of the world needs, as plain data: built from a scenario file by the
/// `Scenario` module, or directly by tests and benchmarks.
public struct WorldSpec: Sendable {
    public var name: String
    public var seed: UInt64
    /// Clients capture frames during [0, duration).
    public var duration: SimTime
    /// Requests created before this time are simulated but left out of the summary.
    public var warmup: SimTime
    /// After `duration`, the run continues at most this long to let requests in flight finish.
    public var drain: SimTime
    public var detail: DetailLevel
    public var models: [ModelSpec]
    public var servers: [ServerSpec]
    /// One entry per client (groups with a count are already expanded).
    public var clients: [ClientSpec]
    /// Names of the client groups that `ClientSpec.group` indexes.
    public var clientGroups: [String]
    /// Where each server's latencies come from, for the record of the run.
    public var latencySources: [LatencySource] = []

    public init(name: String, seed: UInt64, duration: SimTime, warmup: SimTime = 0, drain: SimTime, detail: DetailLevel,
                models: [ModelSpec], servers: [ServerSpec], clients: [ClientSpec], clientGroups: [String]) {
        self.name = name
        self.seed = seed
        self.duration = duration
        self.warmup = warmup
        self.drain = drain
        self.detail = detail
        self.models = models
        self.servers = servers
        self.clients = clients
        self.clientGroups = clientGroups
    }

    /// The latency table of `model` on server `server`: the scenario's own table if it gave one,
    /// else the one from the profile for the server's GPU type.
    public func table(model: Int, server: Int) -> LatencyTable? {
        models[model].latency ?? servers[server].profiled[model]
    }

    /// The simulated time at which the run stops at the latest.
    public var endTime: SimTime { duration + drain }
}

/// Where the latencies of one model on one server come from: a table in the scenario, or a
/// measured or derived profile (with its file and citation).
public struct LatencySource: Sendable, Equatable {
    public var server: String
    public var model: String
    public var gpu: String
    public var precision: String
    /// "scenario", "measured" or "derived".
    public var kind: String
    /// The profile file, or "scenario" for a `latency_ms` table.
    public var source: String
    /// Who measured it or how it was derived.
    public var reference: String
    public var batchSizes: String
    /// RMS residual of the per-layer batch-size fit, microseconds per layer, where there was one.
    public var fitResidualUs: Double?

    public init(server: String, model: String, gpu: String, precision: String, kind: String, source: String,
                reference: String, batchSizes: String, fitResidualUs: Double?) {
        self.server = server
        self.model = model
        self.gpu = gpu
        self.precision = precision
        self.kind = kind
        self.source = source
        self.reference = reference
        self.batchSizes = batchSizes
        self.fitResidualUs = fitResidualUs
    }
}

/// How much a run writes: the summary only, or also one row per request and per batch.
public enum DetailLevel: String, Sendable, CaseIterable {
    case summary
    case requests
}

/// A DNN model as the servers know it: its name and, when the scenario gives one, a whole-model
/// latency table that holds on every GPU (otherwise each server has a profile-based table).
public struct ModelSpec: Sendable {
    public var name: String
    public var latency: LatencyTable?

    public init(name: String, latency: LatencyTable?) {
        self.name = name
        self.latency = latency
    }
}

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

    /// The simulated time at which the run stops at the latest.
    public var endTime: SimTime { duration + drain }
}

/// How much a run writes: the summary only, or also one row per request and per batch.
public enum DetailLevel: String, Sendable, CaseIterable {
    case summary
    case requests
}

/// A DNN model as the servers know it: its name and how long a batch of it takes.
public struct ModelSpec: Sendable {
    public var name: String
    public var latency: LatencyTable

    public init(name: String, latency: LatencyTable) {
        self.name = name
        self.latency = latency
    }
}

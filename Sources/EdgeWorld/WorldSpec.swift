import SimKernel

/// Everything a run of the world needs, as plain data: built from a scenario file by the
/// `Scenario` module, or directly by tests and benchmarks.
public struct WorldSpec: Sendable {
    public var name: String
    public var seed: UInt64
    /// Clients capture frames during [0, duration).
    public var duration: SimTime
    /// Requests and frames before this time are simulated but left out of the summary.
    public var warmup: SimTime
    /// After `duration`, the run continues at most this long to let requests in flight finish.
    public var drain: SimTime
    public var detail: DetailLevel
    /// Width of the time bins the run records as it goes (`bins` table); 0: none.
    public var binWidth: SimTime = 1_000_000_000
    /// Whether every transfer's time on every link is kept in the outbox (for a trace).
    public var recordTransfers = false
    public var models: [ModelSpec]
    /// Edge sites and the cloud. Every server belongs to one; clients attach to one at a time.
    public var sites: [SiteSpec]
    public var servers: [ServerSpec]
    /// One entry per client (groups with a count are already expanded).
    public var clients: [ClientSpec]
    /// Names of the client groups that `ClientSpec.group` indexes.
    public var clientGroups: [String]
    /// Where each server's latencies come from, for the record of the run.
    public var latencySources: [LatencySource] = []
    /// The cluster-wide planner, if any, and the site it runs at (its messages leave from there).
    public var controlPlane: (any ControlPlane)?
    public var controlSite = 0

    public init(name: String, seed: UInt64, duration: SimTime, warmup: SimTime = 0, drain: SimTime, detail: DetailLevel,
                models: [ModelSpec], sites: [SiteSpec] = [SiteSpec(name: "edge")], servers: [ServerSpec],
                clients: [ClientSpec], clientGroups: [String]) {
        self.name = name
        self.seed = seed
        self.duration = duration
        self.warmup = warmup
        self.drain = drain
        self.detail = detail
        self.models = models
        self.sites = sites
        self.servers = servers
        self.clients = clients
        self.clientGroups = clientGroups
    }

    /// The latency table of `model` on server `server`: the scenario's own table if it gave one,
    /// else the one from the profile for the server's GPU type.
    public func table(model: Int, server: Int) -> LatencyTable? {
        models[model].latency ?? (servers[server].profiled.indices.contains(model) ? servers[server].profiled[model] : nil)
    }

    /// The models loaded on a server's GPUs: those it names, else every model it has a table for.
    public func hostedModels(server s: Int) -> [Int] {
        servers[s].hosted ?? models.indices.filter { table(model: $0, server: s) != nil }
    }

    /// The simulated time at which the run stops at the latest.
    public var endTime: SimTime { duration + drain }

    /// The cloud site, if there is one.
    public var cloud: Int? { sites.firstIndex { $0.isCloud } }
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
    /// Where the worst-case (p99) latency policies see comes from: "measured p99" or
    /// "mean × (1 + margin)" with the server's margin.
    public var worstCase = ""
    /// For a derived profile, its stated error against measurements ("whole model median 4.0 %,
    /// p90 10.0 %"), so that no summary shows a derived latency as if it were measured.
    public var derivedError: String?

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

/// How much a run writes: the summary only, or also one row per request, batch and frame.
public enum DetailLevel: String, Sendable, CaseIterable {
    case summary
    case requests
}

/// A DNN model as the servers know it: its name and, when the scenario gives one, a whole-model
/// latency table that holds on every GPU (otherwise each server has a profile-based table).
public struct ModelSpec: Sendable {
    public var name: String
    public var latency: LatencyTable?
    /// Bytes of the weights, which a GPU must hold to serve the model (0 where unknown).
    public var weightBytes: Int
    /// Bytes of the activations after each layer (one sample), for splits; empty for a
    /// whole-model table.
    public var layerOutputBytes: [Int]

    public init(name: String, latency: LatencyTable?, weightBytes: Int = 0, layerOutputBytes: [Int] = []) {
        self.name = name
        self.latency = latency
        self.weightBytes = weightBytes
        self.layerOutputBytes = layerOutputBytes
    }
}

/// An edge site or the cloud: its servers' front end, the wireless access point its clients
/// share, and its wide-area link to the core (where the cloud is).
public struct SiteSpec: Sendable {
    public var name: String
    public var isCloud: Bool
    /// How the front end picks a server for a request.
    public var dispatch: any ClusterPolicy
    /// Whether the front end admits a client's session (clients with a `session` ask).
    public var admission: any AdmissionPolicy = AdmitAll()
    /// The shared wireless access point of clients attached here (nil: none modelled).
    public var accessPointUp: LinkSpec?
    public var accessPointDown: LinkSpec?
    /// Site → core and core → site (nil: the site is the core, or has no wide-area link).
    public var wanUp: LinkSpec?
    public var wanDown: LinkSpec?

    public init(name: String, isCloud: Bool = false, dispatch: any ClusterPolicy = RoundRobinDispatch(),
                accessPointUp: LinkSpec? = nil, accessPointDown: LinkSpec? = nil, wanUp: LinkSpec? = nil, wanDown: LinkSpec? = nil) {
        self.name = name
        self.isCloud = isCloud
        self.dispatch = dispatch
        self.accessPointUp = accessPointUp
        self.accessPointDown = accessPointDown
        self.wanUp = wanUp
        self.wanDown = wanDown
    }
}

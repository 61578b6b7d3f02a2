import EdgeWorld
import JSONConfig
import SimKernel

/// A policy a scenario can name: its parameters, its help, and how to build it from them.
public struct PolicyEntry<Policy, Context>: Sendable {
    public let name: String
    public let summary: String
    /// Parameter keys besides "name": what each holds, its range and a one-line description.
    public let parameters: [Field]
    public let make: @Sendable (ConfigObject, Context) throws(ConfigError) -> Policy

    public init(name: String, summary: String, parameters: [Field],
                make: @escaping @Sendable (ConfigObject, Context) throws(ConfigError) -> Policy) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.make = make
    }

    /// The object a scenario writes for this policy: its name and its parameters. `point`
    /// ("server_policy", …) keeps the definitions of policies of one name at two points apart.
    public func format(point: String) -> ObjectFormat {
        ObjectFormat("\(point)_\(name)", [Field("name", .schema(JSONOutput.object([("const", .string(name))]).compactText()), required: true)] + parameters)
    }
}

/// The policies of one of the four points (client, server, cluster, split), by the name a
/// scenario uses. Adding a policy means adding its file and one entry to its registry.
public struct PolicyRegistry<Policy, Context>: Sendable {
    /// "client policy", "server policy", …: for error messages.
    public let kind: String
    public let entries: [PolicyEntry<Policy, Context>]
    public let defaultName: String

    public var names: [String] { entries.map(\.name) }

    /// Each policy's parameters, as a definition named "<kind>_<name>" ("server_policy_fifo").
    public var formats: [ObjectFormat] { entries.map(format) }

    public func format(_ entry: PolicyEntry<Policy, Context>) -> ObjectFormat {
        entry.format(point: kind.replacingOccurrences(of: " ", with: "_"))
    }

    /// Builds the policy a scenario names, either as a bare string ("fifo") or as an object
    /// {"name": "fixed_batch", "batch_size": 4} whose other keys are that policy's parameters.
    public func make(from node: ConfigNode, context: Context) throws(ConfigError) -> Policy {
        let nameNode: ConfigNode
        if case .string = node.value.kind {
            nameNode = node
        } else {
            guard case .object = node.value.kind else {
                throw node.error("expected a policy name or an object with a \"name\", got \(node.value.typeDescription)")
            }
            guard let n = node.peek("name") else {
                throw node.error("missing required key \"name\" (one of \(names.joined(separator: ", ")))")
            }
            nameNode = n
        }
        let name = try nameNode.string()
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw nameNode.error(Suggestion.unknownName(name, kind: kind, valid: names))
        }
        let parameters = nameNode.path == node.path
            ? node.emptyObject(format(entry))
            : try node.object(format(entry))
        return try entry.make(parameters, context)
    }

    /// The policy at `node` if the scenario gives one, else the default, named at `parent`'s place.
    public func make(_ node: ConfigNode?, orDefaultAt parent: ConfigNode, key: String, context: Context) throws(ConfigError) -> Policy {
        if let node { return try make(from: node, context: context) }
        return try makeDefault(at: parent, path: parent.path.isEmpty ? key : parent.path + "." + key, context: context)
    }

    /// The default policy, as if the scenario had named it at `node`'s place.
    public func makeDefault(at node: ConfigNode, path: String, context: Context) throws(ConfigError) -> Policy {
        try make(from: ConfigNode(JSONValue(.string(defaultName), at: node.value.position), path: path, file: node.file), context: context)
    }
}

// MARK: Server

/// What a server policy's factory may look at.
public struct ServerPolicyContext: Sendable {
    /// The model catalogue, indexed as the world indexes it.
    public let models: [ModelSpec]
    /// This server's latency table of each model (nil for models it does not serve).
    public let tables: [LatencyTable?]
    /// The models that clients send to this server.
    public let modelsServed: [Int]
    /// Per model, what to add when its table lacks a batch size, given that size (nil: nothing):
    /// a measured profile holds only the sizes that were measured, and where a derived one would
    /// serve, the note says how to use it. Worked out only when the error is raised.
    public let batchSizeNotes: [(@Sendable (Int) -> String)?]

    public init(models: [ModelSpec], tables: [LatencyTable?], modelsServed: [Int],
                batchSizeNotes: [(@Sendable (Int) -> String)?] = []) {
        self.models = models
        self.tables = tables
        self.modelsServed = modelsServed
        self.batchSizeNotes = batchSizeNotes
    }

    /// Fails, naming the model and its table, if a model served lacks a latency for `size`.
    public func requireBatchSize(_ size: Int, at node: ConfigNode) throws(ConfigError) {
        for m in modelsServed {
            guard let table = tables[m], table.latency(batchSize: size) == nil else { continue }
            let sizes = Self.describe(table.batchSizes)
            let note = m < batchSizeNotes.count ? batchSizeNotes[m].map { "; " + $0(size) } ?? "" : ""
            throw node.error("batch size \(size) is not in the latency table of model \"\(models[m].name)\" (it has \(sizes))\(note)")
        }
    }

    /// "1, 2, 4" or, for a run of consecutive sizes, "1 to 64".
    public static func describe(_ sizes: [Int]) -> String {
        if sizes.count > 3, sizes.last! - sizes.first! == sizes.count - 1 { return "\(sizes.first!) to \(sizes.last!)" }
        return sizes.map(String.init).joined(separator: ", ")
    }
}

public enum ServerPolicies {
    public static let registry = PolicyRegistry<any ServerPolicy, ServerPolicyContext>(
        kind: "server policy",
        entries: [
            PolicyEntry(
                name: "fifo",
                summary: "first come, first served; one request per batch (batching off)",
                parameters: [],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return FIFOPolicy()
                }),
            PolicyEntry(
                name: "fixed_batch",
                summary: "batches of exactly batch_size requests of one model; a GPU waits until that many are queued",
                parameters: [Field("batch_size", .number(.positiveInteger), required: true,
                                          help: "requests per batch (the model's latency table must have it)")],
                make: { object, context throws(ConfigError) in
                    let node = try object.required("batch_size")
                    let size = try object.requiredInt("batch_size")
                    try context.requireBatchSize(size, at: node)
                    return FixedBatchPolicy(batchSize: size)
                }),
            PolicyEntry(
                name: "dynamic_batch",
                summary: "Triton-style dynamic batching: run at max_batch, or when the oldest request has waited max_queue_delay_ms",
                parameters: [Field("max_batch", .number(.positiveInteger), required: true,
                                   help: "largest batch (must be in the latency table, as must 1)"),
                             Field("max_queue_delay_ms", .number(.time(.milliseconds, positive: false)), required: true,
                                   help: "longest a request waits for a batch to fill")],
                make: { object, context throws(ConfigError) in
                    let maxNode = try object.required("max_batch")
                    let maxBatch = try object.requiredInt("max_batch")
                    try context.requireBatchSize(maxBatch, at: maxNode)
                    try context.requireBatchSize(1, at: maxNode)
                    let delay = try object.requiredTime("max_queue_delay_ms")
                    return DynamicBatchPolicy(maxBatch: maxBatch, maxQueueDelay: delay, tables: context.tables)
                }),
            PolicyEntry(
                name: "edf",
                summary: "earliest deadline first, one request per batch: the queue whose head is due first",
                parameters: [],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return EDFPolicy()
                }),
            PolicyEntry(
                name: "aimd_batch",
                summary: "Clipper's adaptive batching: per model, the batch limit grows by step after a batch within the objective and shrinks by 10 % after one past it",
                parameters: [Field("step", .number(.integer(1...1024)), help: "additive increase of the batch limit", default: "1"),
                             Field("slo_ms", .number(.time(.milliseconds, positive: true)),
                                   help: "the latency objective of a batch (default: the least time a request has left on arrival, per model)")],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return AIMDBatchPolicy(tables: context.tables, step: try object.int("step") ?? 1, slo: try object.time("slo_ms"))
                }),
            PolicyEntry(
                name: "slo_batch",
                summary: "Nexus's batch size: per model the largest batch whose latency, doubled, fits the objective; run at once",
                parameters: [Field("slo_ms", .number(.time(.milliseconds, positive: true)),
                                   help: "the latency objective (default: the least time a request has left on arrival, per model)")],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return SLOBatchPolicy(tables: context.tables, slo: try object.time("slo_ms"))
                }),
            PolicyEntry(
                name: "arise",
                summary: "ARISE's server: at each planned launch, run every model's waiting requests as one batch each (needs admission arise)",
                parameters: [],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return ARISEServer(tables: context.tables)
                }),
            PolicyEntry(
                name: "deeprt",
                summary: "DeepRT's DisBatcher: per model, frames of one window form one batch, run non-preemptively EDF; overruns shed frames (needs admission deeprt)",
                parameters: [Field("early_flush", .boolean, help: "batch collected frames early when the GPU would idle (the paper's optimisation; voids the admission guarantee)",
                                   default: "false"),
                             Field("adapt", .boolean, help: "the Adaptation Module: after an overrun, shed frames of that model until the excess is paid back",
                                   default: "true")],
                make: { object, context throws(ConfigError) in
                    try context.requireBatchSize(1, at: object.node)
                    return DisBatcher(tables: context.tables, earlyFlush: try object.optional("early_flush")?.bool() ?? false,
                                      adapt: try object.optional("adapt")?.bool() ?? true)
                }),
        ],
        defaultName: "fifo")
}

// MARK: Client

/// What a client policy's factory may look at: the client's frame rate and its tasks.
public struct ClientPolicyContext: Sendable {
    /// Frames per second (the mean rate for Poisson arrivals).
    public let fps: Double
    /// Per task: its deadline and how its accuracy decays with staleness.
    public let deadlines: [SimTime]
    public let accuracy: [AccuracyModel]

    public init(fps: Double, deadlines: [SimTime], accuracy: [AccuracyModel]) {
        self.fps = fps
        self.deadlines = deadlines
        self.accuracy = accuracy
    }
}

public enum ClientPolicies {
    public static let registry = PolicyRegistry<any ClientPolicy, ClientPolicyContext>(
        kind: "client policy",
        entries: [
            PolicyEntry(name: "offload_every_frame",
                        summary: "offload every task of every frame while max_offloads_in_flight allows; else the local fallback",
                        parameters: [], make: { _, _ in OffloadEveryFrame() }),
            PolicyEntry(name: "fixed_interval",
                        summary: "offload every interval_frames-th frame; the local fallback on the frames between",
                        parameters: [Field("interval_frames", .number(.positiveInteger), required: true,
                                           help: "offload one frame in this many")],
                        make: { object, _ throws(ConfigError) in
                            FixedIntervalOffload(interval: try object.requiredInt("interval_frames"))
                        }),
            PolicyEntry(name: "sla_interval",
                        summary: "offload every k-th frame, k the longest interval whose predicted accuracy meets sla at the latency the client measures",
                        parameters: [Field("sla", .number(.real(0...1)), required: true, help: "the mean accuracy each task must keep"),
                                     Field("max_interval", .number(.integer(1...10_000)), help: "the longest interval in frames", default: "30"),
                                     Field("motion_deg_s", .number(.real(0...1e5)), help: "the camera rotation the prediction assumes", default: "0"),
                                     Field("margin", .number(.real(0...1)), help: "accuracy the prediction keeps above sla", default: "0")],
                        make: { object, context throws(ConfigError) in
                            SLAIntervalOffload(sla: try object.requiredNumber("sla"), maxInterval: try object.int("max_interval") ?? 30,
                                               fps: context.fps, deadlines: context.deadlines, accuracy: context.accuracy,
                                               degreesPerSecond: try object.number("motion_deg_s") ?? 0, margin: try object.number("margin") ?? 0)
                        }),
            PolicyEntry(name: "accumo",
                        summary: "AccuMO for a depth task (first) and a visual-odometry task (second): one offload in flight; mpc picks the task, round_robin and parallel are the paper's baselines; depth falls back to its on-device model when its predicted drop passes the cap",
                        parameters: [Field("mode", .choice(AccuMOClient.Mode.allCases.map(\.rawValue)), help: "mpc (AccuMO), round_robin or parallel", default: #""mpc""#),
                                     Field("pattern", .array(.number(.integer(0...1)), minItems: 1),
                                           help: "round_robin: the tasks in turn, 0 depth and 1 VO ([0, 0, 0, 1] is 3:1)", default: "[0, 1]"),
                                     Field("fallback", .boolean, help: "use depth's local fallback when its predicted loss passes C_depth", default: "true"),
                                     Field("weight", .number(.real(0...1000)), help: "w: the VO drop rate's weight against depth's", default: "2.5"),
                                     Field("turnaround_frames", .array(.number(.integer(1...1000)), minItems: 2),
                                           help: "depth's and VO's turnaround before the first results are measured", default: "[5, 4]"),
                                     Field("stride_limit_frames", .array(.number(.integer(1...10_000)), minItems: 2),
                                           help: "the most frames a task may go without a fresh result (S)", default: "[25, 26]"),
                                     Field("horizon_frames", .number(.integer(1...120)), help: "the MPC's horizon", default: "30"),
                                     Field("fallback_margin", .number(.real(0...1)), help: "C_depth is the fallback's gap to the server less this (the code's 0.04)", default: "0.04")],
                        make: { object, context throws(ConfigError) in
                            guard context.accuracy.count == 2 else {
                                throw object.node.error("AccuMO schedules two tasks, depth then visual odometry; this client has \(context.accuracy.count)")
                            }
                            func ints(_ key: String, _ range: ClosedRange<Int>, count: Int?) throws(ConfigError) -> [Int]? {
                                guard let n = object.optional(key) else { return nil }
                                let values = try n.array().map { v throws(ConfigError) in try v.int(in: range) }
                                if let count, values.count != count { throw n.error("expected \(count) values (depth, VO), got \(values.count)") }
                                if values.isEmpty { throw n.error("expected at least one value") }
                                return values
                            }
                            let mode = try object.optional("mode").map { n throws(ConfigError) in
                                AccuMOClient.Mode(rawValue: try n.choice(AccuMOClient.Mode.allCases.map(\.rawValue)))!
                            } ?? .mpc
                            return AccuMOClient(mode: mode, pattern: try ints("pattern", 0...1, count: nil) ?? [0, 1],
                                                fallback: try object.optional("fallback")?.bool() ?? true, weight: try object.number("weight") ?? 2.5,
                                                turnaround: try ints("turnaround_frames", 1...1000, count: 2) ?? [5, 4],
                                                strideLimit: try ints("stride_limit_frames", 1...10_000, count: 2) ?? [25, 26],
                                                horizon: try object.int("horizon_frames") ?? 30, fps: context.fps, accuracy: context.accuracy,
                                                fallbackMargin: try object.number("fallback_margin") ?? 0.04)
                        }),
            PolicyEntry(name: "arise",
                        summary: "ARISE's client: offload the frames the edge server's schedule names (needs admission arise)",
                        parameters: [], make: { _, _ in ARISEClient() }),
        ],
        defaultName: "offload_every_frame")
}

// MARK: Cluster

public enum ClusterPolicies {
    public static let registry = PolicyRegistry<any ClusterPolicy, Void>(
        kind: "dispatch policy",
        entries: [
            PolicyEntry(name: "round_robin", summary: "each request to the next server in turn",
                        parameters: [], make: { _, _ in RoundRobinDispatch() }),
            PolicyEntry(name: "least_loaded", summary: "each request to the server with the fewest outstanding",
                        parameters: [], make: { _, _ in LeastLoadedDispatch() }),
            PolicyEntry(name: "redundant",
                        summary: "each request to the `copies` least-loaded servers at once; the first to finish (or, with cancel on_start, to start) wins and the other copies are cancelled, running ones aborted",
                        parameters: [Field("copies", .number(.integer(1...1024)), required: true,
                                           help: "how many servers get a copy (at least 1, at most the site's servers)"),
                                     Field("cancel", .choice(CopyCancellation.allCases.map(\.rawValue)),
                                           help: "\"on_finish\" (default): when the first copy finishes; \"on_start\": when the first starts service",
                                           default: #""on_finish""#),
                                     Field("needed", .number(.integer(1...1024)),
                                           help: "k of r: the request is done when this many copies have finished (at most copies)", default: "1"),
                                     Field("delay_ms", .number(.time(.milliseconds, positive: false)),
                                           help: "send the copies beyond the first only if the first has not finished after this long (0: all at once)",
                                           default: "0")],
                        make: { object, _ throws(ConfigError) in
                            let rule = try object.optional("cancel").map { n throws(ConfigError) in
                                CopyCancellation(rawValue: try n.choice(CopyCancellation.allCases.map(\.rawValue)))!
                            } ?? .onFinish
                            let copies = try object.requiredInt("copies")
                            let needed = try object.optional("needed")?.int(in: 1...copies, what: " (at most copies)") ?? 1
                            if needed > 1, rule == .onStart, let n = object.optional("needed") {
                                throw n.error("k of r needs k copies to finish: it cannot cancel on start")
                            }
                            let delay = try object.time("delay_ms") ?? 0
                            return RedundantDispatch(copies: copies, cancellation: rule, needed: needed, delay: delay)
                        }),
        ],
        defaultName: "round_robin")
}

// MARK: Control plane

public enum ControlPlanes {
    public static let registry = PolicyRegistry<any ControlPlane, Void>(
        kind: "control plane",
        entries: [
            PolicyEntry(name: "balance",
                        summary: "route each client's tasks to the server of its site with the least load per executor (frame rates routed there), at time 0 and every period_ms",
                        parameters: [Field("period_ms", .number(.time(.milliseconds, positive: true)),
                                           help: "re-plan this often, starting from each server's outstanding requests (default: plan once)")],
                        make: { object, _ throws(ConfigError) in BalancePlane(period: try object.time("period_ms")) }),
        ],
        defaultName: "balance")
}

// MARK: Admission

/// What an admission policy's factory may look at: its site's servers and what they can run.
public struct AdmissionPolicyContext: Sendable {
    public struct SiteServer: Sendable {
        public let index: Int
        public let name: String
        public let gpus: Int
        public let executors: Int
        /// Its latency table per model (nil: not served there), with its worst-case margin.
        public let tables: [LatencyTable?]
        public init(index: Int, name: String, gpus: Int, executors: Int, tables: [LatencyTable?]) {
            self.index = index
            self.name = name
            self.gpus = gpus
            self.executors = executors
            self.tables = tables
        }
    }
    public let site: Int
    public let models: [ModelSpec]
    public let servers: [SiteServer]

    public init(site: Int, models: [ModelSpec], servers: [SiteServer]) {
        self.site = site
        self.models = models
        self.servers = servers
    }
}

public enum AdmissionPolicies {
    public static let registry = PolicyRegistry<any AdmissionPolicy, AdmissionPolicyContext>(
        kind: "admission policy",
        entries: [
            PolicyEntry(name: "admit_all", summary: "every session is admitted",
                        parameters: [], make: { _, _ in AdmitAll() }),
            PolicyEntry(name: "max_sessions",
                        summary: "admit while fewer than `limit` admitted sessions have not ended; reject the rest",
                        parameters: [Field("limit", .number(.nonNegativeInteger), required: true, help: "most sessions admitted at once")],
                        make: { object, _ throws(ConfigError) in
                            MaxSessionsAdmission(limit: try object.requiredInt("limit"))
                        }),
            PolicyEntry(name: "arise",
                        summary: "ARISE's planner: admit a client only while a plan of offloading intervals, phases and batch launches keeps every client within the accuracy SLA",
                        parameters: [Field("sla", .number(.real(0...1)), required: true, help: "the mean accuracy every task of every client must keep"),
                                     Field("fps", .number(.rate), help: "the clients' frame rate (all the same)", default: "30"),
                                     Field("cycle_frames", .number(.integer(1...240)), help: "the plan's cycle; intervals divide it", default: "12"),
                                     Field("upload_ms", .number(.time(.milliseconds, positive: false)), help: "time kept for a frame's upload before each launch", default: "10"),
                                     Field("download_ms", .number(.time(.milliseconds, positive: false)), help: "time kept for a result's return", default: "5"),
                                     Field("slack_ms", .number(.time(.milliseconds, positive: false)), help: "time each tick leaves for jitter and variable service", default: "3"),
                                     Field("motion_deg_s", .number(.real(0...1e5)), help: "the camera rotation the plan assumes, for tasks whose accuracy depends on it", default: "0"),
                                     Field("margin", .number(.real(0...1)), help: "accuracy the prediction keeps above sla", default: "0")],
                        make: { object, context throws(ConfigError) in
                            guard context.servers.count == 1, context.servers[0].executors == 1 else {
                                let gpus = context.servers.map(\.executors).reduce(0, +)
                                throw object.node.error("ARISE plans one GPU: the site needs exactly one server with one GPU (it has \(context.servers.count) server\(context.servers.count == 1 ? "" : "s"), \(gpus) GPU\(gpus == 1 ? "" : "s") or shares)")
                            }
                            let fps = try object.number("fps") ?? 30
                            let planner = ARISEPlanner(tables: context.servers[0].tables, frameTime: SimTime((1e9 / fps).rounded()),
                                                       cycle: try object.int("cycle_frames") ?? 12, sla: try object.requiredNumber("sla"),
                                                       upload: try object.time("upload_ms") ?? 10_000_000, download: try object.time("download_ms") ?? 5_000_000,
                                                       slack: try object.time("slack_ms") ?? 3_000_000, degreesPerSecond: try object.number("motion_deg_s") ?? 0,
                                                       margin: try object.number("margin") ?? 0)
                            return ARISEAdmission(server: context.servers[0].index, planner: planner, fps: fps)
                        }),
            PolicyEntry(name: "deeprt",
                        summary: "DeepRT's admission control: admit a session's streams only if the site's one GPU can still meet every admitted deadline (non-preemptive EDF test of the DisBatcher windows)",
                        parameters: [Field("network_ms", .number(.time(.milliseconds, positive: false)),
                                           help: "part of every deadline kept for the network (upload and result)", default: "0"),
                                     Field("jitter_ms", .number(.time(.milliseconds, positive: false)),
                                           help: "how much a frame's arrival at the server may vary from periodic", default: "0"),
                                     Field("enforce", .boolean, help: "false: admit every session, still planning its windows", default: "true"),
                                     Field("test", .choice(DeepRTAdmission.Test.allCases.map(\.rawValue)),
                                           help: "imitator: the paper's utilisation check and EDF imitator; demand: the non-preemptive EDF demand test, a guarantee whatever the phases",
                                           default: #""imitator""#),
                                     Field("horizon_ms", .number(.time(.milliseconds, positive: true)),
                                           help: "how far ahead the imitator plays the schedule", default: "2000"),
                                     Field("learn_overruns", .boolean,
                                           help: "test later sessions with the worst actual/worst-case ratio the server reported per model (not in the paper)",
                                           default: "false")],
                        make: { object, context throws(ConfigError) in
                            guard context.servers.count == 1, context.servers[0].executors == 1 else {
                                let n = context.servers.reduce(0) { $0 + $1.executors }
                                throw object.node.error("DeepRT schedules one GPU: the site needs exactly one server with one GPU (it has \(context.servers.count) servers, \(n) GPUs or shares)")
                            }
                            return DeepRTAdmission(server: context.servers[0].index, tables: context.servers[0].tables,
                                                   networkBudget: try object.time("network_ms") ?? 0, jitter: try object.time("jitter_ms") ?? 0,
                                                   enforce: try object.optional("enforce")?.bool() ?? true,
                                                   test: try object.optional("test").map { n throws(ConfigError) in
                                                       DeepRTAdmission.Test(rawValue: try n.choice(DeepRTAdmission.Test.allCases.map(\.rawValue)))!
                                                   } ?? .imitator,
                                                   horizon: try object.time("horizon_ms") ?? 2_000_000_000,
                                                   learn: try object.optional("learn_overruns")?.bool() ?? false)
                        }),
        ],
        defaultName: "admit_all")
}

// MARK: Split

/// What a split policy's factory may look at: the places a task's model can run.
public struct SplitPolicyContext: Sendable {
    public var siteNames: [String]
    public var serverNames: [String]
    public var cloud: Int?
    /// The number of layers of the task's model where it runs remotely (nil: a whole-model table,
    /// which cannot be split), and whether the device has a latency for it.
    public var layerCount: Int?
    public var deviceCanRun: Bool
    /// A server the client names directly (the first world's clients), if any.
    public var namedServer: Int?
    /// For policies that predict a split's latency (JALAD, Neurosurgeon): the model's FP32 output
    /// bytes per layer, the client's encoded frame, the device's per-layer latency at batch 1
    /// (µs), the same on every GPU type with a profile of the model, and the model zoo's
    /// compression data for it.
    public var layerOutputBytes: [Int] = []
    public var frameBytes = 0
    public var deviceLayerMicros: [Double]?
    public var layerMicros: [String: [Double]] = [:]
    public var layerNames: [String] = []
    public var compression: CompressionZoo.Entry?

    public init(siteNames: [String], serverNames: [String], cloud: Int?, layerCount: Int?, deviceCanRun: Bool, namedServer: Int?) {
        self.siteNames = siteNames
        self.serverNames = serverNames
        self.cloud = cloud
        self.layerCount = layerCount
        self.deviceCanRun = deviceCanRun
        self.namedServer = namedServer
    }

    /// The decoupling a JALAD or Neurosurgeon entry predicts with, from the entry's parameters.
    func decoupling(_ object: ConfigObject, compressed: Bool, epsilon: Double = 0) throws(ConfigError) -> (Decoupling, remote: Int?) {
        try requireDevice(object.node)
        let n = try requireLayers(object.node)
        guard let device = deviceLayerMicros, device.count == n, layerOutputBytes.count == n else {
            throw object.error("the device needs an fp32 per-layer profile of this model at batch 1 listing its \(n) layers")
        }
        let gpuNode = try object.required("remote_gpu")
        let gpu = try gpuNode.string()
        guard let remote = layerMicros[gpu] else {
            throw gpuNode.error(Suggestion.unknownName(gpu, kind: "GPU type with a profile of this model", valid: layerMicros.keys.sorted()))
        }
        guard remote.count == n else { throw gpuNode.error("the \(gpu) profile of this model has \(remote.count) layers, the model \(n)") }
        let site = try object.optional("remote")?.choice(["edge", "cloud"]) ?? "cloud"
        var compression: FeatureCompression?
        if compressed {
            guard let zoo = self.compression else {
                throw object.error("the model zoo (Workloads/models/compression.json) has no compression data for this model")
            }
            compression = FeatureCompression(sparsity: try object.number("sparsity") ?? zoo.sparsity, losses: zoo.losses,
                                             encodeValuesPerSecond: (try object.number("encode_mvalues_s") ?? 100) * 1e6,
                                             decodeValuesPerSecond: (try object.number("decode_mvalues_s") ?? 1000) * 1e6)
        }
        var d = Decoupling(deviceMicros: device, remoteMicros: remote, outputBytes: layerOutputBytes, frameBytes: frameBytes,
                           compression: compression, epsilon: try object.number("epsilon") ?? epsilon,
                           rttSeconds: Double(try object.time("rtt_ms") ?? 0) / 1e9)
        d.layerNames = layerNames
        return (d, site == "cloud" ? try requireCloud(object.node) : nil)
    }

    func requireCloud(_ node: ConfigNode) throws(ConfigError) -> Int {
        guard let cloud else { throw node.error("there is no cloud site; add a site with \"kind\": \"cloud\"") }
        return cloud
    }

    func requireDevice(_ node: ConfigNode) throws(ConfigError) {
        if !deviceCanRun {
            throw node.error("the device has no latency for this model: give the client a \"device\" GPU type with a profile of it")
        }
    }

    func requireLayers(_ node: ConfigNode) throws(ConfigError) -> Int {
        guard let n = layerCount, n > 1 else {
            throw node.error("the model has a whole-model latency table, which cannot be cut; use per-layer profiles")
        }
        return n
    }
}

public enum SplitPolicies {
    /// The entries whose factories predict latency from every GPU's profile (`SplitPolicyContext`).
    public static let predicting: Set<String> = ["jalad", "neurosurgeon", "scission"]

    /// Parameters JALAD and Neurosurgeon share.
    static let decouplingFields = [
        Field("remote_gpu", .name, required: true, help: "the GPU type whose profile predicts the remote part's time"),
        Field("remote", .choice(["edge", "cloud"]), help: "where the layers after the cut run", default: #""cloud""#),
        Field("initial_mbps", .number(.megabitsPerSecond), help: "the uplink assumed before the first upload is measured", default: "10"),
        Field("probe_ms", .number(.time(.milliseconds, positive: false)), help: "while on the device alone, one request in this long uploads to measure the uplink (0: never)", default: "5000"),
        Field("rtt_ms", .number(.time(.milliseconds, positive: false)), help: "a round trip added to every remote prediction", default: "0"),
    ]

    public static let registry = PolicyRegistry<any SplitPolicy, SplitPolicyContext>(
        kind: "split policy",
        entries: [
            PolicyEntry(name: "edge", summary: "the whole model at the site that serves the client",
                        parameters: [], make: { _, context in
                            context.namedServer.map { WholeModelOnServer(server: $0) as any SplitPolicy } ?? WholeModelAtEdge()
                        }),
            PolicyEntry(name: "cloud", summary: "the whole model in the cloud",
                        parameters: [], make: { object, context throws(ConfigError) in
                            WholeModelInCloud(cloud: try context.requireCloud(object.node))
                        }),
            PolicyEntry(name: "device", summary: "the whole model on the client's device",
                        parameters: [], make: { object, context throws(ConfigError) in
                            try context.requireDevice(object.node)
                            return WholeModelOnDevice()
                        }),
            PolicyEntry(name: "split",
                        summary: "layers [0, layer) on the device, the rest at the edge (or in the cloud with \"remote\": \"cloud\")",
                        parameters: [Field("layer", .number(.positiveInteger), required: true, help: "the first layer that runs remotely"),
                                     Field("remote", .choice(["edge", "cloud"]), help: "where the layers from `layer` on run", default: #""edge""#)],
                        make: { object, context throws(ConfigError) in
                            try context.requireDevice(object.node)
                            let layerNode = try object.required("layer")
                            let n = try context.requireLayers(layerNode)
                            let k = try object.requiredInt("layer")
                            if k >= n { throw layerNode.error("must be between 1 and \(n - 1) (the model has \(n) layers)") }
                            let remote = try object.optional("remote")?.choice(["edge", "cloud"]) ?? "edge"
                            return SplitAtLayer(layer: k, layerCount: n,
                                                cloud: remote == "cloud" ? try context.requireCloud(object.node) : nil)
                        }),
            PolicyEntry(name: "jalad",
                        summary: "JALAD: per request, the cut and bit width that minimise predicted latency within an accuracy-loss bound, re-decided as the measured uplink drifts",
                        parameters: decouplingFields + [
                            Field("epsilon", .number(.real(0...1)), help: "the bound on accuracy loss (absolute)", default: "0.01"),
                            Field("threshold", .number(.real(0...100)), help: "re-decide when the measured uplink moves by more than this share", default: "0.2"),
                            Field("switch_ms", .number(.time(.milliseconds, positive: false)), help: "a new decision takes effect this much later (moving the partition)", default: "50"),
                            Field("sparsity", .number(.real(0...1)), help: "share of zeros in the feature map (default: the model zoo's)"),
                            Field("encode_mvalues_s", .number(.positiveReal), help: "device encoding speed, million values per second", default: "100"),
                            Field("decode_mvalues_s", .number(.positiveReal), help: "remote decoding speed, million values per second", default: "1000")],
                        make: { object, context throws(ConfigError) in
                            let (d, remote) = try context.decoupling(object, compressed: true, epsilon: 0.01)
                            return AdaptiveDecoupling(decoupling: d, remoteSite: remote, threshold: try object.number("threshold") ?? 0.2,
                                                      switchDelay: try object.time("switch_ms") ?? 50_000_000,
                                                      initialBitsPerSecond: try object.number("initial_mbps") ?? 10e6,
                                                      probeInterval: try object.time("probe_ms") ?? 5_000_000_000)
                        }),
            PolicyEntry(name: "neurosurgeon",
                        summary: "Neurosurgeon (a baseline): per request, the uncompressed cut that minimises predicted latency at the measured uplink",
                        parameters: decouplingFields + [
                            Field("threshold", .number(.real(0...100)), help: "re-decide when the measured uplink moves by more than this share", default: "0")],
                        make: { object, context throws(ConfigError) in
                            let (d, remote) = try context.decoupling(object, compressed: false)
                            return AdaptiveDecoupling(decoupling: d, remoteSite: remote, threshold: try object.number("threshold") ?? 0,
                                                      switchDelay: 0, initialBitsPerSecond: try object.number("initial_mbps") ?? 10e6,
                                                      probeInterval: try object.time("probe_ms") ?? 5_000_000_000)
                        }),
            PolicyEntry(name: "scission",
                        summary: "Scission (a baseline): the fastest device / edge / cloud split, searched once from the profiles and the given bandwidths, then fixed",
                        parameters: [
                            Field("edge_gpu", .name, help: "the edge's GPU type (omit: no edge tier)"),
                            Field("cloud_gpu", .name, help: "the cloud's GPU type (omit: no cloud tier)"),
                            Field("uplink_mbps", .number(.megabitsPerSecond), required: true, help: "the device's uplink the search assumes"),
                            Field("uplink_ping_ms", .number(.time(.milliseconds, positive: false)), help: "one hop's latency from the device", default: "0"),
                            Field("wan_mbps", .number(.megabitsPerSecond), help: "edge to cloud", default: "1000"),
                            Field("wan_ping_ms", .number(.time(.milliseconds, positive: false)), help: "one hop's latency from the edge to the cloud", default: "0")],
                        make: { object, context throws(ConfigError) in
                            try context.requireDevice(object.node)
                            let n = try context.requireLayers(object.node)
                            guard let device = context.deviceLayerMicros, device.count == n, context.layerOutputBytes.count == n else {
                                throw object.error("the device's profile of this model does not list the model's \(n) layers")
                            }
                            func profile(_ key: String) throws(ConfigError) -> [Double]? {
                                guard let node = object.optional(key) else { return nil }
                                let gpu = try node.string()
                                guard let p = context.layerMicros[gpu], p.count == n else {
                                    throw node.error(Suggestion.unknownName(gpu, kind: "GPU type with a profile of this model's \(n) layers",
                                                                            valid: context.layerMicros.keys.sorted()))
                                }
                                return p
                            }
                            let edge = try profile("edge_gpu"), cloudProfile = try profile("cloud_gpu")
                            let cloud = cloudProfile == nil ? nil : try context.requireCloud(object.node)
                            // Mbit/s keys read as bits per second.
                            let up = try object.requiredNumber("uplink_mbps") / 8
                            let upPing = Double(try object.time("uplink_ping_ms") ?? 0) / 1e9
                            let wan = (try object.number("wan_mbps") ?? 1e9) / 8, wanPing = Double(try object.time("wan_ping_ms") ?? 0) / 1e9
                            let links = ["device>edge": Scission.Link(pingSeconds: upPing, bytesPerSecond: up),
                                         "edge>cloud": Scission.Link(pingSeconds: wanPing, bytesPerSecond: wan),
                                         "device>cloud": Scission.Link(pingSeconds: upPing + wanPing, bytesPerSecond: min(up, wan))]
                            let hosts = ScissionSplit.hosts(device: device, edge: edge, cloud: cloudProfile, outputBytes: context.layerOutputBytes)
                            guard let best = Scission.search(hosts: hosts, links: links, inputBytes: Double(context.frameBytes), count: 1).first else {
                                throw object.error("no split of the model's \(n) layers is possible")
                            }
                            return ScissionSplit(choice: best, cloud: cloud)
                        }),
            PolicyEntry(name: "pipeline",
                        summary: "contiguous layer ranges on named servers, in order: [{\"server\": …, \"layers\": [a, b]}, …]",
                        parameters: [Field("stages", .array(.schema(PipelineStages.stageSchema), minItems: 1), required: true,
                                           help: "the stages, covering the model's layers from 0 to the last, in order")],
                        make: { object, context throws(ConfigError) in
                            let stagesNode = try object.required("stages")
                            let n = try context.requireLayers(stagesNode)
                            var stages: [(Int, Range<Int>)] = []
                            var next = 0
                            for item in try stagesNode.array() {
                                let o = try item.object(keys: PipelineStages.stageKeys)
                                let serverNode = try o.required("server")
                                let name = try serverNode.string()
                                guard let v = context.serverNames.firstIndex(of: name) else {
                                    throw serverNode.error(Suggestion.unknownName(name, kind: "server", valid: context.serverNames))
                                }
                                let layersNode = try o.required("layers")
                                let bounds = try layersNode.array().map { b throws(ConfigError) in try b.nonNegativeInt() }
                                guard bounds.count == 2, bounds[0] == next, bounds[1] > bounds[0], bounds[1] <= n else {
                                    throw layersNode.error("expected [\(next), b] with \(next) < b ≤ \(n): stages must cover the layers in order")
                                }
                                stages.append((v, bounds[0]..<bounds[1]))
                                next = bounds[1]
                            }
                            if next != n { throw stagesNode.error("the stages end at layer \(next); the model has \(n) layers") }
                            return PipelineStages(stages: stages)
                        }),
        ],
        defaultName: "edge")
}

import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Profiles
import SimKernel

/// The keys of each object in a scenario file. docs/scenario.md describes them and
/// docs/scenario.schema.json mirrors them; a test keeps the three in step.
public enum ScenarioFormat {
    public static let rootKeys = ["name", "description", "seed", "duration_s", "warmup_s", "drain_s", "detail",
                                  "profiles", "models", "servers", "clients"]
    public static let modelKeys = ["name", "latency_ms", "profile", "source"]
    public static let serverKeys = ["name", "gpu", "gpus", "precision", "policy", "variability", "queue_capacity", "drop_expired"]
    public static let variabilityKeys = ["kind", "cv"]
    public static let clientKeys = ["name", "count", "server", "model", "arrivals", "fps", "jitter_ms", "phase_ms",
                                    "deadline_ms", "frame_bytes", "result_bytes", "network"]
    public static let networkKeys = ["uplink_mbps", "downlink_mbps", "delay_ms"]

    /// Each object type by the name of its definition in the JSON Schema.
    public static let objects: [(definition: String, keys: [String])] = [
        ("scenario", rootKeys), ("model", modelKeys), ("server", serverKeys),
        ("variability", variabilityKeys), ("client", clientKeys), ("network", networkKeys),
    ]
}

/// Turns the JSON tree of a scenario into a `WorldSpec`, one object type at a time.
struct ScenarioReader {
    var description: String?
    /// Folders searched for profiles after the scenario's own `profiles`.
    var defaultProfileRoots: [String]
    var library = ProfileLibrary(roots: [])

    mutating func world(_ root: ConfigNode) throws(ConfigError) -> WorldSpec {
        let o = try root.object(keys: ScenarioFormat.rootKeys)
        let name = try nonEmptyName(o.required("name"))
        description = try o.optional("description")?.string()
        var seed: UInt64 = 1
        if let n = o.optional("seed") {
            seed = try n.uint64()
            if seed > UInt64(Int64.max) { throw n.error("must be at most 2^63-1 (9223372036854775807), got \(seed)") }
        }
        let duration = try o.required("duration_s").positiveDouble()
        let warmup = try o.optional("warmup_s")?.nonNegativeDouble() ?? 0
        if warmup >= duration {
            throw try o.required("warmup_s").error("must be less than duration_s (\(Suggestion.format(duration)))")
        }
        let drain = try o.optional("drain_s")?.nonNegativeDouble() ?? 10
        let detail = try o.optional("detail").map { n throws(ConfigError) in
            DetailLevel(rawValue: try n.choice(DetailLevel.allCases.map(\.rawValue)))!
        } ?? .summary

        var roots: [String] = []
        if let n = o.optional("profiles") {
            let base = (root.file as NSString).deletingLastPathComponent
            for item in try n.array() {
                let dir = try item.string()
                let resolved = dir.hasPrefix("/") ? dir : (base.isEmpty ? dir : (base as NSString).appendingPathComponent(dir))
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir), isDir.boolValue else {
                    throw item.error("no folder at \(resolved)")
                }
                roots.append(resolved)
            }
        }
        library = ProfileLibrary(roots: roots + defaultProfileRoots)

        let modelNodes = try nonEmpty(o.required("models"))
        let models = try modelNodes.map { n throws(ConfigError) in try model(n) }
        try unique(models.map(\.spec.name), in: o.required("models"))
        let modelNames = models.map(\.spec.name)

        let serverNodes = try nonEmpty(o.required("servers"))
        let clientNodes = try nonEmpty(o.required("clients"))
        let serverNames = try serverNodes.map { n throws(ConfigError) in
            try nonEmptyName(n.object(keys: ScenarioFormat.serverKeys).required("name"))
        }
        try unique(serverNames, in: o.required("servers"))

        var clients: [ClientSpec] = []
        var groups: [String] = []
        for node in clientNodes {
            let group = try clientGroup(node, index: groups.count, servers: serverNames, models: modelNames)
            groups.append(group.name)
            clients += group.clients
        }
        try uniqueClientNames(clients, groups: groups, nodes: clientNodes)

        var servers: [ServerSpec] = []
        var sources: [LatencySource] = []
        for (s, node) in serverNodes.enumerated() {
            let served = Array(Set(clients.filter { $0.server == s }.map(\.model))).sorted()
            let (server, used) = try self.server(node, models: models, modelNodes: modelNodes, served: served)
            servers.append(server)
            sources += used
        }

        var spec = WorldSpec(name: name, seed: seed, duration: Time.seconds(duration), warmup: Time.seconds(warmup),
                             drain: Time.seconds(drain), detail: detail, models: models.map(\.spec), servers: servers,
                             clients: clients, clientGroups: groups)
        spec.latencySources = sources
        return spec
    }

    // MARK: Models

    /// A model of the catalogue, with the name its profiles go by.
    struct Model {
        var spec: ModelSpec
        var profileName: String
        var source: String?
    }

    func model(_ node: ConfigNode) throws(ConfigError) -> Model {
        let o = try node.object(keys: ScenarioFormat.modelKeys)
        let name = try nonEmptyName(o.required("name"))
        let source = try o.optional("source")?.string()
        let profileName = try o.optional("profile").map { n throws(ConfigError) in try nonEmptyName(n) } ?? name
        guard let tableNode = o.optional("latency_ms") else {
            return Model(spec: ModelSpec(name: name, latency: nil), profileName: profileName, source: source)
        }
        if let p = o.optional("profile") { throw p.error("give either latency_ms or profile, not both") }
        let members = try tableNode.map()
        if members.isEmpty { throw tableNode.error("expected at least one batch size, as {\"1\": 5.2, \"4\": 11.0}") }
        var entries: [(batchSize: Int, latency: SimTime)] = []
        for (key, value) in members {
            guard let size = Int(key), size >= 1, String(size) == key else {
                throw value.error("batch sizes are written as positive integers, as \"1\" or \"8\"; got \"\(key)\"")
            }
            let ms = try value.positiveDouble()
            entries.append((size, Time.milliseconds(ms)))
        }
        return Model(spec: ModelSpec(name: name, latency: LatencyTable(entries)), profileName: profileName, source: source)
    }

    // MARK: Servers

    func server(_ node: ConfigNode, models: [Model], modelNodes: [ConfigNode], served: [Int]) throws(ConfigError)
        -> (ServerSpec, [LatencySource]) {
        let o = try node.object(keys: ScenarioFormat.serverKeys)
        let name = try o.required("name").string()
        let gpuNode = o.optional("gpu")
        let gpu = try gpuNode.map { n throws(ConfigError) in try nonEmptyName(n) } ?? "generic"
        let precision = try o.optional("precision").map { n throws(ConfigError) in try nonEmptyName(n) } ?? "fp32"
        let gpus = try o.optional("gpus")?.positiveInt() ?? 1

        // Each model served here needs a latency table: the scenario's, or a profile for this GPU.
        var profiled = [LatencyTable?](repeating: nil, count: models.count)
        var sources: [LatencySource] = []
        for m in served {
            let model = models[m]
            if let table = model.spec.latency {
                sources.append(LatencySource(server: name, model: model.spec.name, gpu: gpu, precision: precision, kind: "scenario",
                                             source: "scenario", reference: model.source ?? "latency_ms in the scenario (no source given)",
                                             batchSizes: ServerPolicyContext.describe(table.batchSizes), fitResidualUs: nil))
                continue
            }
            let (table, source) = try profileTable(model: model, server: name, gpu: gpu, gpuNode: gpuNode ?? o.node,
                                                   precision: precision, modelNode: modelNodes[m])
            profiled[m] = table
            sources.append(source)
        }
        let tables = models.indices.map { models[$0].spec.latency ?? profiled[$0] }
        let context = ServerPolicyContext(models: models.map(\.spec), tables: tables, modelsServed: served)
        let policyNode = o.optional("policy")
            ?? ConfigNode(JSONValue(.string("fifo"), at: node.value.position), path: node.path + ".policy", file: node.file)
        let policy = try ServerPolicies.make(from: policyNode, context: context)
        let variability = try o.optional("variability").map { n throws(ConfigError) in try self.variability(n) } ?? .deterministic
        if variability == .measured {
            for m in served where tables[m]?.spread(batchSize: tables[m]!.batchSizes[0]) == nil {
                throw try o.required("variability").error(
                    "\"measured\" needs a measured spread (std_us in the profile) for every model served; model \"\(models[m].spec.name)\" on \(gpu) has none")
            }
        }
        let capacity = try o.optional("queue_capacity")?.positiveInt()
        let dropExpired = try o.optional("drop_expired")?.bool() ?? false
        let spec = ServerSpec(name: name, gpuType: gpu, gpus: gpus, policy: policy, variability: variability,
                              queueCapacity: capacity, dropExpired: dropExpired, profiled: profiled)
        return (spec, sources)
    }

    /// The latency table of `model` on this server's GPU type, from the profile library; an error
    /// naming the GPU and the model where there is no profile for the pair.
    func profileTable(model: Model, server: String, gpu: String, gpuNode: ConfigNode, precision: String,
                      modelNode: ConfigNode) throws(ConfigError) -> (LatencyTable, LatencySource) {
        let name = model.spec.name
        if gpu == "generic" {
            throw gpuNode.error("server \"\(server)\" serves model \"\(name)\", which has no latency_ms table; "
                                + "name the server's GPU type (\"gpu\": \"T4\") to use a profile, or give the model a latency_ms table")
        }
        let key = ProfileLibrary.Key(gpu: gpu, model: model.profileName, precision: precision)
        guard let profile = try library.load(key) else {
            let others = library.gpus(for: model.profileName, precision: precision)
            let hint = others.isEmpty
                ? "no GPU has a \(precision) profile of \(model.profileName)"
                : "\(model.profileName) (\(precision)) is profiled on \(others.joined(separator: ", "))"
            throw gpuNode.error("no profile for model \"\(model.profileName)\" on GPU \"\(gpu)\" (\(precision)); \(hint); see `arsim profiles list`")
        }
        let latency: ProfileLatency
        do {
            latency = try ProfileLatency(profile: profile)
        } catch {
            throw ConfigError(file: library.entry(key)!.path, position: nil, path: "layers", message: "cannot fit batch sizes: \(error)")
        }
        let source = LatencySource(server: server, model: name, gpu: gpu, precision: precision, kind: profile.provenance.kind,
                                   source: library.entry(key)!.path, reference: profile.provenance.summary,
                                   batchSizes: ServerPolicyContext.describe(latency.table.batchSizes),
                                   fitResidualUs: latency.fitResidualUs)
        return (latency.table, source)
    }

    func variability(_ node: ConfigNode) throws(ConfigError) -> ServiceVariability {
        let kinds = ["deterministic", "exponential", "lognormal", "measured"]
        if case .string = node.value.kind {
            switch try node.choice(kinds) {
            case "deterministic": return .deterministic
            case "exponential": return .exponential
            case "measured": return .measured
            default: throw node.error("lognormal needs a coefficient of variation: {\"kind\": \"lognormal\", \"cv\": 0.1}")
            }
        }
        let o = try node.object(keys: ScenarioFormat.variabilityKeys)
        let kind = try o.required("kind").choice(kinds)
        if kind != "lognormal", let cv = o.optional("cv") { throw cv.error("only the lognormal kind takes a cv") }
        switch kind {
        case "deterministic": return .deterministic
        case "exponential": return .exponential
        case "measured": return .measured
        default: return .lognormal(cv: try o.required("cv").positiveDouble())
        }
    }

    // MARK: Clients

    struct ClientGroup {
        var name: String
        var clients: [ClientSpec]
    }

    func clientGroup(_ node: ConfigNode, index: Int, servers: [String], models: [String]) throws(ConfigError) -> ClientGroup {
        let o = try node.object(keys: ScenarioFormat.clientKeys)
        let name = try nonEmptyName(o.required("name"))
        let count = try o.optional("count")?.positiveInt() ?? 1
        let server: Int
        if let n = o.optional("server") {
            server = try lookup(n, in: servers, kind: "server")
        } else if servers.count == 1 {
            server = 0
        } else {
            throw o.error("missing required key \"server\": the scenario has \(servers.count) servers (\(servers.joined(separator: ", ")))")
        }
        let model = try lookup(o.required("model"), in: models, kind: "model")

        let fpsNode = try o.required("fps")
        let fps = try fpsNode.positiveDouble()
        let period = 1000 / fps
        let kind = try o.optional("arrivals")?.choice(["periodic", "poisson"]) ?? "periodic"
        let arrivals: ArrivalProcess
        if kind == "poisson" {
            for key in ["jitter_ms", "phase_ms"] {
                if let n = o.optional(key) { throw n.error("only periodic arrivals take \(key); Poisson arrivals have no period") }
            }
            arrivals = .poisson(rate: fps)
        } else {
            let jitter = try o.optional("jitter_ms")?.nonNegativeDouble() ?? 0
            if jitter >= period {
                throw try o.required("jitter_ms").error("must be less than the frame interval (\(Suggestion.format(period)) ms at \(Suggestion.format(fps)) fps), so frames stay in order")
            }
            var phase: SimTime?
            if let n = o.optional("phase_ms") {
                let p = try n.nonNegativeDouble()
                if p >= period { throw n.error("must be less than the frame interval (\(Suggestion.format(period)) ms)") }
                phase = Time.milliseconds(p)
            }
            arrivals = .periodic(fps: fps, jitter: Time.milliseconds(jitter), phase: phase)
        }
        let deadline = try o.required("deadline_ms").positiveDouble()
        let frameBytes = try o.optional("frame_bytes")?.nonNegativeInt() ?? 0
        let resultBytes = try o.optional("result_bytes")?.nonNegativeInt() ?? 0
        let (uplink, downlink) = try network(o.required("network"))

        let clients = (0..<count).map { i in
            ClientSpec(name: count == 1 ? name : "\(name)-\(i)", group: index, server: server, model: model,
                       arrivals: arrivals, deadline: Time.milliseconds(deadline), frameBytes: frameBytes,
                       resultBytes: resultBytes, uplink: uplink, downlink: downlink)
        }
        return ClientGroup(name: name, clients: clients)
    }

    func network(_ node: ConfigNode) throws(ConfigError) -> (LinkSpec, LinkSpec) {
        let o = try node.object(keys: ScenarioFormat.networkKeys)
        let up = try o.required("uplink_mbps").positiveDouble()
        let down = try o.required("downlink_mbps").positiveDouble()
        let delay = Time.milliseconds(try o.optional("delay_ms")?.nonNegativeDouble() ?? 0)
        return (LinkSpec(bitsPerSecond: up * 1e6, propagationDelay: delay),
                LinkSpec(bitsPerSecond: down * 1e6, propagationDelay: delay))
    }

    // MARK: Helpers

    func nonEmpty(_ node: ConfigNode) throws(ConfigError) -> [ConfigNode] {
        let items = try node.array()
        if items.isEmpty { throw node.error("expected at least one entry") }
        return items
    }

    func nonEmptyName(_ node: ConfigNode) throws(ConfigError) -> String {
        let s = try node.string()
        if s.trimmingCharacters(in: .whitespaces).isEmpty { throw node.error("must not be empty") }
        return s
    }

    func lookup(_ node: ConfigNode, in names: [String], kind: String) throws(ConfigError) -> Int {
        let name = try node.string()
        guard let i = names.firstIndex(of: name) else { throw node.error(Suggestion.unknownName(name, kind: kind, valid: names)) }
        return i
    }

    func unique(_ names: [String], in node: ConfigNode) throws(ConfigError) {
        let items = try node.array()
        for (i, name) in names.enumerated() {
            if let first = names[..<i].firstIndex(of: name) {
                throw (items[i].peek("name") ?? items[i]).error("duplicate name \"\(name)\" (also \(node.path)[\(first)])")
            }
        }
    }

    func uniqueClientNames(_ clients: [ClientSpec], groups: [String], nodes: [ConfigNode]) throws(ConfigError) {
        var seen: [String: Int] = [:]
        for c in clients {
            if let other = seen[c.name] {
                let n = nodes[c.group]
                throw (n.peek("name") ?? n).error("client name \"\(c.name)\" is also produced by the entry \"\(groups[other])\"; names must be unique after expanding count")
            }
            seen[c.name] = c.group
        }
    }
}

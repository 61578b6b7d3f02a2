import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Profiles
import SimKernel

/// One server of the world as the scenario gives it: a server object, or one pool of one.
struct ServerUnit {
    var node: ConfigNode
    var pool: ConfigNode?
    /// "edge", or "edge/fast" for a pool.
    var name: String
    /// The server index of the machine's first pool, for the pools after it.
    var machine: Int?
}

/// The files a scenario read besides itself (profiles, the GPU catalogue, traces, trajectories),
/// in the order first read, each with a digest of its text: part of the scenario's digest, so
/// that a changed profile or trace is a different scenario to a resumed sweep. A reference type
/// so that readers that do not otherwise mutate can note what they read.
final class InputLog: @unchecked Sendable {
    private(set) var files: [(path: String, digest: String)] = []
    /// Steps of every generated capacity trace so far (each client's links have their own).
    var generatedTraceSteps = 0.0
    /// Steps of every client's generated camera motion so far (drawn as the run goes).
    var generatedMotionSteps = 0.0
    /// Trace files already read, by path and reading options: every client of a group reads its
    /// network again, and a file of 10^7 bins must be parsed and held once, not once a link.
    /// Looked up by key, never iterated.
    var fileTraces: [String: CapacityTrace] = [:]

    func note(_ path: String, text: String? = nil) {
        guard !files.contains(where: { $0.path == path }) else { return }
        let content = text ?? (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        files.append((path, Digest.hex(content)))
    }
}

/// Turns the JSON tree of a scenario into a `WorldSpec`, one object type at a time.
struct ScenarioReader {
    let inputs = InputLog()
    var description: String?
    /// Folders searched for profiles after the scenario's own `profiles`.
    var defaultProfileRoots: [String]
    var library = ProfileLibrary(roots: [])
    var catalog: GPUCatalog?
    var seed: UInt64 = 1
    var duration: SimTime = 0
    /// The scenario file, against whose folder relative paths resolve.
    var scenarioFile = ""
    var models: [Model] = []
    var siteNames: [String] = []
    var cloud: Int?
    var servers: [ServerSpec] = []
    var serverNames: [String] = []
    var latencySources: [LatencySource] = []
    /// Each server's latency table per model, with its worst-case margin (what its policy sees).
    var serverTables: [[LatencyTable?]] = []
    /// What the reader filled in or left out that a person should know (printed by run and validate).
    var notes: [String] = []
    /// Clients of the groups read so far (`MemoryBudget`).
    var clientTotal = 0
    var catalogPath: String?
    /// Profiles already read and fitted, by key: a cluster of many servers of one GPU type reads
    /// each profile file once (looked up by key, never iterated).
    var fitted: [ProfileLibrary.Key: (LatencyTable, Profile, String, Double?)] = [:]
    /// The bundled model zoo's compression data (read once, by the first split that needs it).
    var compressionZoo: [String: CompressionZoo.Entry]?
    /// Per model index: its batch-1 per-layer latency on every GPU type with a profile, and its
    /// layer names (read once, for the splits that predict latency).
    var predictedLayers: [Int: (micros: [String: [Double]], names: [String])] = [:]

    /// What a scenario's `profiles` folder may hold, everything under it counted.
    static let maxProfileFolderEntries = 100_000

    /// The largest batch a latency table may name (tables hold every size up to their largest).
    static let maxBatchSize = 65_536

    init(defaultProfileRoots: [String]) {
        self.defaultProfileRoots = defaultProfileRoots
    }

    mutating func world(_ root: ConfigNode) throws(ConfigError) -> WorldSpec {
        try Self.rejectNull(root)
        let o = try root.object(ScenarioFormat.scenario)
        scenarioFile = root.file
        let name = try nonEmptyName(o.required("name"))
        description = try o.optional("description")?.string()
        if let n = o.optional("seed") {
            seed = try n.uint64()
            if seed > UInt64(Int64.max) { throw n.error("must be at most 2^63-1 (9223372036854775807), got \(seed)") }
        }
        let durationNode = try o.required("duration_s")
        duration = try o.requiredTime("duration_s")
        let warmup = try o.time("warmup_s") ?? 0
        if warmup >= duration {
            throw try o.required("warmup_s").error("must be less than duration_s (\(Suggestion.format(try durationNode.double())))")
        }
        let drain = try o.time("drain_s") ?? 10_000_000_000
        let detail = try o.optional("detail").map { n throws(ConfigError) in
            DetailLevel(rawValue: try n.choice(DetailLevel.allCases.map(\.rawValue)))!
        } ?? .summary

        var roots: [String] = []
        if let n = o.optional("profiles") {
            for item in try n.array() {
                let dir = resolve(try item.string())
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                    throw item.error("no folder at \(dir)")
                }
                // Every file under it is looked at: a folder such as / or a home would take minutes.
                if let walker = FileManager.default.enumerator(atPath: dir) {
                    var seen = 0
                    while walker.nextObject() != nil {
                        seen += 1
                        if seen > Self.maxProfileFolderEntries {
                            throw item.error("more than \(Self.maxProfileFolderEntries) files and folders under \(dir); name the folder that holds the profiles")
                        }
                    }
                }
                roots.append(dir)
            }
        }
        library = ProfileLibrary(roots: roots + defaultProfileRoots)
        if let (found, path) = try Self.loadCatalog(near: roots + defaultProfileRoots) {
            catalog = found
            catalogPath = path
            inputs.note(path)
        }

        let modelNodes = try nonEmpty(o.required("models"))
        models = try modelNodes.map { n throws(ConfigError) in try model(n) }
        try unique(models.map(\.spec.name), in: o.required("models"))

        var sites = try self.sites(o.optional("sites"))
        let units = try serverUnits(nonEmpty(o.required("servers")))
        let serverNames = units.map(\.name)
        try unique(serverNames, in: o.required("servers"))
        self.serverNames = serverNames
        let serverSites = try units.map { u throws(ConfigError) in try siteOf(server: u.node) }
        // Redundancy cannot send more copies than the site has servers to take them.
        if let siteNodes = o.optional("sites") {
            for (x, item) in try siteNodes.array().enumerated() {
                guard let r = sites[x].dispatch as? RedundantDispatch else { continue }
                let count = serverSites.filter { $0 == x }.count
                if r.copies > count, let n = try item.object(ScenarioFormat.site).optional("dispatch") {
                    throw (n.peek("copies") ?? n).error("\(r.copies) copies, but site \"\(sites[x].name)\" has \(count) server\(count == 1 ? "" : "s")")
                }
            }
        }

        var clients: [ClientSpec] = []
        var groups: [String] = []
        let clientNodes = try nonEmpty(o.required("clients"))
        for node in clientNodes {
            let group = try clientGroup(node, index: groups.count, serverNames: serverNames, serverSites: serverSites)
            groups.append(group.name)
            clients += group.clients
        }
        try uniqueClientNames(clients, groups: groups, nodes: clientNodes)

        for (s, unit) in units.enumerated() {
            let served = modelsServed(by: s, site: serverSites[s], clients: clients)
            servers.append(try server(unit, site: serverSites[s], served: served, modelNodes: modelNodes))
        }
        try checkEveryTaskHasAServer(clients: clients, groupNodes: clientNodes)

        // Admission control is made last: a policy such as DeepRT's tests schedulability
        // against the latency tables of the servers it admits for.
        let siteItems = try o.optional("sites")?.array()
        for x in sites.indices {
            let context = AdmissionPolicyContext(
                site: x, models: models.map(\.spec),
                servers: servers.indices.filter { servers[$0].site == x }.map { v in
                    AdmissionPolicyContext.SiteServer(index: v, name: servers[v].name, gpus: servers[v].gpus,
                                                      executors: servers[v].executors, tables: serverTables[v])
                })
            guard let item = siteItems?[x] else {
                sites[x].admission = try AdmissionPolicies.registry.makeDefault(at: root, path: "sites[\(x)].admission", context: context)
                continue
            }
            let so = try item.object(ScenarioFormat.site)
            sites[x].admission = try AdmissionPolicies.registry.make(so.optional("admission"), orDefaultAt: item, key: "admission", context: context)
        }

        try checkPolicyPairs(sites: sites, units: units, clients: clients, groupNodes: clientNodes)

        var spec = WorldSpec(name: name, seed: seed, duration: duration, warmup: warmup,
                             drain: drain, detail: detail, models: models.map(\.spec), sites: sites,
                             servers: servers, clients: clients, clientGroups: groups)
        spec.latencySources = latencySources
        if let n = o.optional("bin_s") {
            spec.binWidth = try o.time("bin_s")!
            if spec.binWidth != 0 && (spec.binWidth < 1_000_000 || (spec.endTime + spec.binWidth - 1) / spec.binWidth > 100_000) {
                throw n.error("expected 0 (no bins) or a width of at least 0.001 s giving at most 100,000 bins over the run")
            }
        } else if (spec.endTime + spec.binWidth - 1) / spec.binWidth > 100_000 {
            spec.binWidth = (spec.endTime + 99_999) / 100_000
        }
        if let n = o.optional("control_plane") { spec.controlPlane = try ControlPlanes.registry.make(from: n, context: ()) }
        if let n = o.optional("control_site") { spec.controlSite = try lookup(n, in: siteNames, kind: "site") }
        return spec
    }

    /// Workloads/gpus.json beside the first profile folder that has one, or the bundled one.
    static func loadCatalog(near roots: [String]) throws(ConfigError) -> (GPUCatalog, String)? {
        for root in roots {
            let candidate = (FilePath.folder(of: root) as NSString).appendingPathComponent("gpus.json")
            if FileManager.default.fileExists(atPath: candidate) { return (try GPUCatalog.load(path: candidate), candidate) }
        }
        return nil
    }

    func resolve(_ path: String) -> String {
        InputFile.resolve(path, relativeTo: scenarioFile)
    }

    // MARK: Models

    /// A model of the catalogue, with the name its profiles go by.
    struct Model {
        var spec: ModelSpec
        var profileName: String
        var source: String?
        /// The profile that gave the model its layers (and so the layer ranges splits name).
        var layersFrom: String?
    }

    func model(_ node: ConfigNode) throws(ConfigError) -> Model {
        let o = try node.object(ScenarioFormat.model)
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
            guard let size = Int(key), size >= 1, size <= Self.maxBatchSize, String(size) == key else {
                throw value.error("batch sizes are written as integers from 1 to \(Self.maxBatchSize), as \"1\" or \"8\"; got \"\(Suggestion.shorten(key))\"")
            }
            entries.append((size, try value.time(.milliseconds, positive: true)))
        }
        return Model(spec: ModelSpec(name: name, latency: LatencyTable(entries)), profileName: profileName, source: source)
    }

    /// The latency table of a model on a GPU type from the profile library, or an error naming
    /// the GPU and the model. Also fills in the model's weights and cut sizes from the profile.
    mutating func profileTable(model m: Int, gpu: String, precision: String, mps: Int, at node: ConfigNode)
        throws(ConfigError) -> (LatencyTable, Profile, String, Double?) {
        let model = models[m]
        let key = ProfileLibrary.Key(gpu: gpu, model: model.profileName, precision: precision, mpsLevel: mps)
        if let done = fitted[key] {
            try fillLayers(model: m, from: done.1, path: done.2, at: node)
            return done
        }
        guard let profile = try library.load(key) else {
            if library.roots.isEmpty {
                throw node.error("model \"\(model.profileName)\" needs a profile, and no profile folder was found: arsim looks for "
                                 + "Workloads/profiles above the working directory and above its executable, or under $ARSIM_HOME; "
                                 + "set ARSIM_HOME to the arsim checkout, ARSIM_PROFILES to your folders, or give the scenario \"profiles\"")
            }
            let hint = library.availability(of: model.profileName, precision: precision)
            let share = mps > 1 ? ", MPS 1/\(mps)" : ""
            // A near miss of a name the library has (GPU, model or precision) is the likely mistake.
            let entries = library.entries.map(\.key)
            var nearMiss = ""
            for (given, kind, known) in [(gpu, "GPU", entries.map(\.gpu)), (model.profileName, "model", entries.map(\.model)),
                                         (precision, "precision", entries.map(\.precision))]
            where !known.contains(given) && !(kind == "GPU" && catalog?.gpu(named: given) != nil) {
                if let match = Suggestion.nearest(given, in: Array(Set(known)).sorted()) { nearMiss = "; did you mean \(kind) \"\(match)\"?"; break }
            }
            throw node.error("no profile for model \"\(model.profileName)\" on GPU \"\(gpu)\" (\(precision)\(share)); \(hint)\(nearMiss); see `arsim profiles list`")
        }
        inputs.note(library.entry(key)!.path)
        let latency: ProfileLatency
        do {
            latency = try ProfileLatency(profile: profile)
        } catch {
            throw ConfigError(file: library.entry(key)!.path, position: nil, path: "layers", message: "cannot fit batch sizes: \(error)")
        }
        try fillLayers(model: m, from: profile, path: library.entry(key)!.path, at: node)
        let done = (latency.table, profile, library.entry(key)!.path, latency.fitResidualUs)
        fitted[key] = done
        return done
    }

    /// Gives the model its layers from the first profile used; every later profile of it must have
    /// as many layers, or layer ranges (splits, pipelines) would mean different things on
    /// different GPUs: two profile folders with a model of the same name but other layers
    /// (the bundled resnet50's 174 layers, an imported one's 24 blocks) are an error naming both.
    mutating func fillLayers(model m: Int, from profile: Profile, path: String, at node: ConfigNode) throws(ConfigError) {
        if models[m].spec.layerOutputBytes.isEmpty {
            models[m].spec.layerOutputBytes = profile.layers.map(\.outputBytes)
            models[m].spec.weightBytes = profile.weightBytes ?? 0
            models[m].layersFrom = path
        } else if profile.layers.count != models[m].spec.layerOutputBytes.count {
            throw node.error("model \"\(models[m].spec.name)\": \(path) has \(profile.layers.count) \(profile.granularity)s, but "
                             + "\(models[m].layersFrom ?? "its first profile") has \(models[m].spec.layerOutputBytes.count); layer ranges would differ "
                             + "between them. Keep one folder with the model, or give one a model entry of its own with \"profile\"")
        }
    }

    // MARK: Helpers

    /// A scenario has no use for null: a key left out takes its default, and a null that silently
    /// did the same would read as a value (the JSON Schema says so too).
    static func rejectNull(_ node: ConfigNode) throws(ConfigError) {
        if node.isNull { throw node.error("null is not a value in a scenario; leave the key out to take its default") }
        switch node.value.kind {
        case .object: for item in try node.map() { try rejectNull(item.node) }
        case .array: for item in try node.array() { try rejectNull(item) }
        default: break
        }
    }

    func nonEmpty(_ node: ConfigNode) throws(ConfigError) -> [ConfigNode] {
        let items = try node.array()
        if items.isEmpty { throw node.error("expected at least one entry") }
        return items
    }

    func nonEmptyName(_ node: ConfigNode) throws(ConfigError) -> String { try node.name() }

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

import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Profiles
import Traces
import SimKernel

extension ScenarioReader {
    // MARK: Sites

    mutating func sites(_ node: ConfigNode?) throws(ConfigError) -> [SiteSpec] {
        guard let node else {
            siteNames = ["edge"]
            return [SiteSpec(name: "edge")]
        }
        let items = try nonEmpty(node)
        siteNames = try items.map { n throws(ConfigError) in try nonEmptyName(n.object(ScenarioFormat.site).required("name")) }
        try unique(siteNames, in: node)
        var sites: [SiteSpec] = []
        for (x, item) in items.enumerated() {
            let o = try item.object(ScenarioFormat.site)
            let name = siteNames[x]
            let isCloud = try o.optional("kind")?.choice(["edge", "cloud"]) == "cloud"
            if isCloud {
                if let other = cloud { throw try o.required("kind").error("only one site can be the cloud (\(siteNames[other]) is)") }
                cloud = x
            }
            let dispatch = try ClusterPolicies.registry.make(o.optional("dispatch"), orDefaultAt: item, key: "dispatch", context: ())
            var site = SiteSpec(name: name, isCloud: isCloud, dispatch: dispatch)
            if let ap = o.optional("access_point") {
                if isCloud { throw ap.error("the cloud has no access point; clients attach at edge sites") }
                (site.accessPointUp, site.accessPointDown) = try linkPair(ap, name: "ap/\(name)", kinds: ("ap_up", "ap_down"))
            }
            if let wan = o.optional("wan") {
                if isCloud { throw wan.error("the cloud is the core: give the wide-area links on the edge sites") }
                (site.wanUp, site.wanDown) = try linkPair(wan, name: "wan/\(name)", kinds: ("wan_up", "wan_down"))
            }
            sites.append(site)
        }
        // With several sites, traffic between them crosses the edge sites' wide-area links.
        if sites.count > 1 {
            for (x, site) in sites.enumerated() where !site.isCloud && site.wanUp == nil {
                throw items[x].error("site \"\(site.name)\" needs a \"wan\" (uplink_mbps, downlink_mbps, delay_ms): with several sites, traffic between them crosses it")
            }
        }
        return sites
    }

    /// The servers of the world: each server object, or each of its pools ("edge/fast"), in
    /// order. A pool after the first points at the first, whose NIC and interconnect it shares.
    func serverUnits(_ nodes: [ConfigNode]) throws(ConfigError) -> [ServerUnit] {
        var units: [ServerUnit] = []
        for node in nodes {
            let o = try node.object(ScenarioFormat.server)
            let name = try nonEmptyName(o.required("name"))
            guard let poolsNode = o.optional("pools") else {
                units.append(ServerUnit(node: node, pool: nil, name: name, machine: nil))
                continue
            }
            let pools = try nonEmpty(poolsNode)
            let first = units.count
            var names: [String] = []
            var poolGPUs = 0
            for (i, pool) in pools.enumerated() {
                let po = try pool.object(ScenarioFormat.pool)
                let poolName = try nonEmptyName(po.required("name"))
                names.append(poolName)
                poolGPUs += try po.int("gpus") ?? 1
                units.append(ServerUnit(node: node, pool: pool, name: "\(name)/\(poolName)", machine: i == 0 ? nil : first))
            }
            try unique(names, in: poolsNode)
            // Pools split the machine: its `gpus`, where given, is their total, never a count each.
            if let total = try o.int("gpus"), total != poolGPUs {
                throw try o.required("gpus").error(
                    "\(total) GPUs, but the pools have \(poolGPUs) (a pool without \"gpus\" has 1); with pools, give each pool its \"gpus\" and the server's as their sum, or leave it out")
            }
        }
        return units
    }

    func siteOf(server node: ConfigNode) throws(ConfigError) -> Int {
        let o = try node.object(ScenarioFormat.server)
        if let n = o.optional("site") { return try lookup(n, in: siteNames, kind: "site") }
        if siteNames.count == 1 { return 0 }
        throw o.error("missing required key \"site\": the scenario has \(siteNames.count) sites (\(siteNames.joined(separator: ", ")))")
    }

    /// The models that some task can send to server `s`, trying every site its client may be
    /// served from.
    func modelsServed(by s: Int, site: Int, clients: [ClientSpec]) -> [Int] {
        var served = Set<Int>()
        for client in clients {
            for task in client.tasks {
                for x in servingSites(client) {
                    for stage in task.split.route(servingSite: x, cloud: cloud).stages {
                        switch stage.placement {
                        case .site(let y) where y == site: served.insert(task.model)
                        case .server(let v) where v == s: served.insert(task.model)
                        default: break
                        }
                    }
                }
            }
        }
        return served.sorted()
    }

    // MARK: Servers

    mutating func server(_ unit: ServerUnit, site: Int, served: [Int], modelNodes: [ConfigNode]) throws(ConfigError) -> ServerSpec {
        let node = unit.pool ?? unit.node
        let o = try unit.node.object(ScenarioFormat.server)
        let p = try unit.pool?.object(ScenarioFormat.pool)
        /// A pool's own value, else the server's (which pools inherit).
        func opt(_ key: String) -> ConfigNode? { p?.optional(key) ?? o.optional(key) }
        /// The pool's number at `key` if it gives one, else the server's, each as declared.
        func number(_ key: String) throws(ConfigError) -> Double? {
            if let p, p.has(key) { return try p.number(key) }
            return try o.number(key)
        }
        func int(_ key: String) throws(ConfigError) -> Int? {
            if let p, p.has(key) { return try p.int(key) }
            return try o.int(key)
        }
        let name = unit.name
        let machineName = try o.required("name").string()
        let gpuNode = o.optional("gpu")
        let gpu = try gpuNode.map { n throws(ConfigError) in try nonEmptyName(n) } ?? "generic"
        // GPU types are case-sensitive names ("T4"): a near miss would silently lose its profiles or cost.
        if let gpuNode, catalog?.gpu(named: gpu) == nil, !library.entries.contains(where: { $0.key.gpu == gpu }) {
            let known = Set((catalog?.gpus.map(\.name) ?? []) + library.entries.map(\.key.gpu))
            if let match = known.sorted().first(where: { $0.lowercased() == gpu.lowercased() }) {
                throw gpuNode.error("unknown GPU type \"\(gpu)\"; did you mean \"\(match)\"?")
            }
        }
        let precision = try opt("precision").map { n throws(ConfigError) in try nonEmptyName(n) } ?? "fp32"
        // A pool's GPUs are its own share of the machine (1 unless it says), never the server's total.
        let gpus = try (p == nil ? o.int("gpus") : p!.int("gpus")) ?? 1
        // A pool that gives either form of MPS replaces the server's, whichever form that was.
        let mpsFrom = p.map { $0.has("mps") || $0.has("mps_shares") } == true ? p! : o
        let mps = try mpsFrom.int("mps") ?? 1
        let shares = try mpsFrom.optional("mps_shares").map { n throws(ConfigError) in try mpsShares(n, mps: mpsFrom.optional("mps")) }
        let copies = shares?.count ?? mps
        let spec = catalog?.gpu(named: gpu)
        if gpu != "generic", spec == nil, unit.pool == nil || unit.machine == nil {
            notes.append(catalog == nil
                ? "no GPU catalogue (gpus.json beside a profile folder) was found: server \"\(name)\" has no cost and no GPU memory check "
                  + "unless the scenario gives cost_per_gpu_hour and memory_gb"
                : "GPU type \"\(gpu)\" of server \"\(name)\" is not in \(catalogPath ?? "the GPU catalogue"): no cost or memory check unless the scenario gives them")
        }

        var hosted = served
        if let list = opt("models") {
            hosted = try list.array().map { n throws(ConfigError) in try lookup(n, in: models.map(\.spec.name), kind: "model") }
        }
        // Each hosted model needs a latency table: the scenario's, or a profile for this GPU.
        var profiled = [LatencyTable?](repeating: nil, count: models.count)
        var batchSizeNotes = [(@Sendable (Int) -> String)?](repeating: nil, count: models.count)
        for m in hosted {
            let model = models[m]
            if let table = model.spec.latency {
                if mps > 1 { throw mpsFrom.optional("mps")!.error("MPS shares need per-share profiles; model \"\(model.spec.name)\" has a latency_ms table") }
                latencySources.append(LatencySource(server: name, model: model.spec.name, gpu: gpu, precision: precision, kind: "scenario",
                                                    source: "scenario", reference: model.source ?? "latency_ms in the scenario (no source given)",
                                                    batchSizes: ServerPolicyContext.describe(table.batchSizes), fitResidualUs: nil))
                continue
            }
            if gpu == "generic" {
                throw (gpuNode ?? o.node).error("server \"\(name)\" serves model \"\(model.spec.name)\", which has no latency_ms table; "
                    + "name the server's GPU type (\"gpu\": \"T4\") to use a profile, or give the model a latency_ms table")
            }
            let (table, profile, path, residual) = try profileTable(model: m, gpu: gpu, precision: precision, mps: shares == nil ? mps : 1, at: gpuNode ?? o.node)
            profiled[m] = table
            latencySources.append(LatencySource(server: name, model: model.spec.name, gpu: gpu, precision: precision,
                                                kind: profile.provenance.kind, source: path, reference: profile.provenance.summary,
                                                batchSizes: ServerPolicyContext.describe(table.batchSizes), fitResidualUs: residual))
            if profile.provenance.kind == "measured" {
                let key = ProfileLibrary.Key(gpu: gpu, model: model.profileName, precision: precision, mpsLevel: shares == nil ? mps : 1)
                let (library, defaults) = (library, defaultProfileRoots)
                batchSizeNotes[m] = { size in Self.measuredSizesNote(path: path, key: key, size: size, library: library, defaultRoots: defaults) }
            }
            if case .derived(let d) = profile.provenance {
                latencySources[latencySources.count - 1].derivedError = d.error.map {
                    String(format: "whole model median %.1f %%, p90 %.1f %%", 100 * $0.wholeModelMedian, 100 * $0.wholeModelP90)
                } ?? "not stated"
            }
        }
        let margin = try number("p99_margin") ?? 0.1
        var tables = models.indices.map { models[$0].spec.latency ?? profiled[$0] }
        for m in tables.indices { tables[m]?.worstCaseMargin = margin }
        // Record, per model served here, where the worst case that policies see comes from.
        for k in latencySources.indices where latencySources[k].server == name {
            guard let m = models.firstIndex(where: { $0.spec.name == latencySources[k].model }), let t = tables[m] else { continue }
            latencySources[k].worstCase = t.hasMeasuredP99 ? "measured p99 (sum over layers); mean × \(Suggestion.format(1 + margin)) at fitted sizes"
                                                           : "mean × \(Suggestion.format(1 + margin))"
        }

        // The weights of every hosted model must fit on each GPU (each MPS share holds its own copy).
        let memory = try o.number("memory_gb").map { $0 * 1e9 } ?? spec?.memoryBytes
        let weights = hosted.reduce(0) { $0 + models[$1].spec.weightBytes } * copies
        if let memory, Double(weights) > memory {
            throw (opt("models") ?? gpuNode ?? o.node).error(
                "the models hosted need \(Self.gigabytes(weights)) GB of weights per GPU"
                + (copies > 1 ? " (\(copies) MPS shares, a copy each)" : "") + " but a \(gpu) has \(Self.gigabytes(Int(memory))) GB")
        }
        let context = ServerPolicyContext(models: models.map(\.spec), tables: tables, modelsServed: hosted, batchSizeNotes: batchSizeNotes)
        serverTables.append(tables)
        let policy = try ServerPolicies.registry.make(opt("policy"), orDefaultAt: node, key: "policy", context: context)
        let variability = try opt("variability").map { n throws(ConfigError) in try self.variability(n) } ?? .deterministic
        if variability == .measured {
            for m in hosted where tables[m]?.spread(batchSize: tables[m]!.batchSizes[0]) == nil {
                throw opt("variability")!.error(
                    "\"measured\" needs a measured spread (std_us in the profile) for every model served; model \"\(models[m].spec.name)\" on \(gpu) has none")
            }
        }
        var server = ServerSpec(name: name, site: site, gpuType: gpu, gpus: gpus, mps: mps, policy: policy, variability: variability,
                                queueCapacity: try int("queue_capacity"),
                                dropExpired: try opt("drop_expired")?.bool() ?? false,
                                profiled: profiled, hosted: hosted)
        server.mpsShares = shares
        server.machine = unit.machine
        server.loadBytesPerSecond = try o.number("load_gbps").map { $0 / 8 }
        if unit.machine == nil, let bps = try o.number("nic_gbps") {
            server.nicIn = LinkSpec(name: "nic/\(machineName)/in", kind: "nic_in", capacity: .constant(bitsPerSecond: bps), propagationDelay: 0)
            server.nicOut = LinkSpec(name: "nic/\(machineName)/out", kind: "nic_out", capacity: .constant(bitsPerSecond: bps), propagationDelay: 0)
        }
        if unit.machine == nil, let n = o.optional("interconnect") {
            let ic = try n.object(ScenarioFormat.interconnect)
            let kind = try ic.required("kind").choice(["pcie", "nvlink"])
            let gbps = try ic.requiredNumber("gbps") / 1e9
            server.interconnect = LinkSpec(name: "\(kind)/\(machineName)", kind: "interconnect", capacity: .constant(bitsPerSecond: gbps * 1e9),
                                           propagationDelay: 0)
        }
        server.costPerGPUHour = try o.number("cost_per_gpu_hour") ?? spec?.costPerHour
        server.p99Margin = margin
        server.memoryBytes = memory.map { Int($0) }
        if let n = opt("interference") {
            let io = try n.object(ScenarioFormat.interference)
            let stepNode = io.optional("step_ms")
            let step = try io.time("step_ms") ?? 100_000_000
            if step < 1_000, let stepNode { throw stepNode.error("must be at least 0.001 (1 µs), got \(Suggestion.format(try stepNode.double()))") }
            server.interference = Interference(mean: try io.requiredNumber("mean"),
                                               cv: try io.number("cv") ?? 0,
                                               step: step)
        }
        return server
    }

    /// Unequal MPS shares: fractions of a GPU, each above 0, adding up to at most 1.
    func mpsShares(_ node: ConfigNode, mps: ConfigNode?) throws(ConfigError) -> [Double] {
        if let mps { throw mps.error("give either \"mps\" (equal shares) or \"mps_shares\", not both") }
        let shares = try nonEmpty(node).map { n throws(ConfigError) in try n.positiveDouble() }
        if let tiny = shares.first(where: { $0 < ServerSpec.minimumMPSShare }) {
            throw node.error("each MPS share must be at least \(ServerSpec.minimumMPSShare) of the GPU, got \(Suggestion.format(tiny))")
        }
        if !ServerSpec.sharesFit(shares) {
            throw node.error("MPS shares add up to \(Suggestion.format(shares.reduce(0, +))); a GPU has 1")
        }
        return shares
    }

    /// What an error about a batch size missing from a measured profile adds: the profile holds
    /// the sizes that were measured; and where a derived profile of the same key has `size` and
    /// would be taken with its folder first in ARSIM_PROFILES (checked by searching that way, so
    /// that the advice works), how to run on it.
    static func measuredSizesNote(path: String, key: ProfileLibrary.Key, size: Int, library: ProfileLibrary,
                                  defaultRoots: [String]) -> String {
        let head = "that is the measured profile \(path), which holds the sizes measured"
        guard let derived = library.derivedAlternative(to: key) else {
            return head + ", and no derived profile of \(key.description) exists to use instead"
        }
        guard let largest = (try? ProfileFile.load(path: derived.path))?.batchSizes.last else {
            return head + "; the derived \(derived.path) cannot be read (`arsim profiles show` says why)"
        }
        guard largest >= size else {
            return head + "; the derived \(derived.path) goes to batch \(largest) only"
        }
        let scenarioRoots = Array(library.roots.dropLast(defaultRoots.count))
        let trial = ProfileLibrary(roots: scenarioRoots + [derived.folder] + defaultRoots)
        guard trial.entry(key)?.path == derived.path else {
            return head + "; the derived \(derived.path) has it, but a folder searched before it (the scenario's own "
                + "profiles, or a measured file beside it) would still be taken"
        }
        let current = ProcessInfo.processInfo.environment["ARSIM_PROFILES"].flatMap { $0.isEmpty ? nil : ":" + $0 } ?? ""
        return head + "; to use the derived \(derived.path) instead (it has batch \(size)), search its folder first: "
            + "ARSIM_PROFILES=\(derived.folder)\(current), which puts it first for every model and GPU of the run"
    }

    static func gigabytes(_ bytes: Int) -> String { String(format: "%.2f", Double(bytes) / 1e9) }

    func variability(_ node: ConfigNode) throws(ConfigError) -> ServiceVariability {
        let kinds = ["deterministic", "exponential", "lognormal", "measured", "shifted_exponential", "pareto", "empirical"]
        let parameter = ["lognormal": "cv", "shifted_exponential": "shift", "pareto": "shape", "empirical": "file"]
        if case .string = node.value.kind {
            let kind = try node.choice(kinds)
            switch kind {
            case "deterministic": return .deterministic
            case "exponential": return .exponential
            case "measured": return .measured
            default: throw node.error("\(kind) needs \"\(parameter[kind]!)\": {\"kind\": \"\(kind)\", \"\(parameter[kind]!)\": …}")
            }
        }
        let o = try node.object(ScenarioFormat.variability)
        let kind = try o.required("kind").choice(kinds)
        for (other, key) in parameter.sorted(by: { $0.key < $1.key }) where other != kind {
            if let n = o.optional(key) { throw n.error("only the \(other) kind takes \(key)") }
        }
        switch kind {
        case "deterministic": return .deterministic
        case "exponential": return .exponential
        case "measured": return .measured
        case "shifted_exponential": return .shiftedExponential(shift: try o.requiredNumber("shift"))
        case "pareto": return .pareto(shape: try o.requiredNumber("shape"))
        case "empirical": return .empirical(factors: try empiricalFactors(o.required("file")))
        default: return .lognormal(cv: try o.requiredNumber("cv"))
        }
    }

    /// Measured service times, one per line (any unit, '#' comments), as factors of mean 1.
    func empiricalFactors(_ fileNode: ConfigNode) throws(ConfigError) -> [Double] {
        let path = resolve(try fileNode.string())
        let text: String
        do { text = try InputFile.text(path, what: "the service times") } catch { throw fileNode.error("in \(error.description)") }
        inputs.note(path, text: text)
        var values: [Double] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let v = Double(line), v.isFinite, v > 0 else {
                throw fileNode.error("in \(path):\(i + 1):1: expected a positive service time, got \"\(Suggestion.shorten(line))\"")
            }
            values.append(v)
            if values.count > NetworkTraces.maxSegments { throw fileNode.error("in \(path): more than \(NetworkTraces.maxSegments) values") }
        }
        guard !values.isEmpty else { throw fileNode.error("in \(path): no service times") }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.map { $0 / mean }
    }
}

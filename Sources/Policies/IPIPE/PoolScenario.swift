import Foundation
import JSONConfig
import Profiles
import SimKernel

/// A cluster of pools and the models it serves, as plain data (docs/policies/ipipe.md, "Your own
/// cluster"): GPU types with counts, servers, MPS levels and cost, a NIC bandwidth, and models
/// whose per-layer profiles (arsim profile files) are cut into blocks by IPIPE's pre-partition.
public struct PoolScenario: Sendable {
    public struct GPU: Sendable {
        public var type: String
        public var count: Int
        public var gpusPerServer: Int
        public var mpsLevels: Int
        /// Dollars per GPU-hour; 0 where not given.
        public var costPerHour: Double
    }

    public struct Model: Sendable {
        public var model: String
        /// Where the model is named, for errors about its profiles.
        public var node: ConfigNode?
        public var weight: Double
        /// Milliseconds; nil: 5 × the whole model's batch-1 latency on the first GPU type (the
        /// artifact's SLO multiplier).
        public var sloMs: Double?
    }

    public static let keys = ["description", "nic_gbps", "gpus", "models", "profiles", "precision", "blocks", "systems",
                              "duration_s", "seed", "step_percent", "node_limit", "nic_layout"]
    public static let systems = ["ipipe", "np", "dart-r", "reactive"]

    public var name: String
    public var file: String
    public var nicGbps: Double
    public var gpus: [GPU]
    public var models: [Model]
    /// Folder of profile files, `<folder>/<GPU>/<model>.<precision>.json`.
    public var profiles: String
    public var precision: String
    public var blocks: Int
    public var systems: [String]
    public var durationSeconds: Double
    public var seed: UInt64
    public var stepPercent: Int
    public var nodeLimit: Int
    public var nicLayout: PoolNICLayout

    public static func load(path: String) throws(ConfigError) -> PoolScenario {
        let o = try InputFile.json(path, what: "the pool scenario").object(keys: keys)
        _ = try o.optional("description")?.string()
        let gpuNodes = try o.required("gpus").array()
        if gpuNodes.isEmpty { throw try o.required("gpus").error("expected at least one GPU type") }
        var gpus: [GPU] = []
        for n in gpuNodes {
            let g = try n.object(keys: ["type", "count", "gpus_per_server", "mps_levels", "cost_per_hour"])
            let type = try g.required("type").string()
            if gpus.contains(where: { $0.type == type }) { throw try g.required("type").error("GPU type \"\(type)\" is listed twice") }
            let mps = try g.optional("mps_levels")?.positiveInt() ?? 1
            if mps > 4 { throw try g.required("mps_levels").error("expected 1 to 4 MPS levels, got \(mps)") }
            let count = try g.required("count").positiveInt()
            if count > 10_000 { throw try g.required("count").error("expected at most 10,000 GPUs of a type, got \(count)") }
            gpus.append(GPU(type: type, count: count, gpusPerServer: try g.optional("gpus_per_server")?.positiveInt() ?? 1,
                            mpsLevels: mps, costPerHour: try g.optional("cost_per_hour")?.nonNegativeDouble() ?? 0))
        }
        let modelNodes = try o.required("models").array()
        if modelNodes.isEmpty { throw try o.required("models").error("expected at least one model") }
        var models: [Model] = []
        for n in modelNodes {
            let m = try n.object(keys: ["model", "weight", "slo_ms"])
            let name = try m.required("model").string()
            if models.contains(where: { $0.model == name }) { throw try m.required("model").error("model \"\(name)\" is listed twice") }
            let weight = try m.optional("weight")?.positiveDouble() ?? 1
            if weight < 1e-6 || weight > 1e6 { throw try m.required("weight").error("expected a weight between 1e-6 and 1e6, got \(Suggestion.format(weight))") }
            let slo = try m.optional("slo_ms")?.positiveDouble()
            if let slo, slo > 1e6 || slo < 1e-3 { throw try m.required("slo_ms").error("expected an objective between 0.001 and 1,000,000 ms, got \(Suggestion.format(slo))") }
            models.append(Model(model: name, node: try m.required("model"), weight: weight, sloMs: slo))
        }
        // DART-r pairs a high-class with a low-class type: offered by default only with two types.
        var systems = PoolScenario.systems.filter { $0 != "dart-r" || gpuNodes.count == 2 }
        if let s = o.optional("systems") {
            systems = try s.array().map { n throws(ConfigError) in try n.choice(PoolScenario.systems) }
            if systems.isEmpty { throw s.error("expected at least one of \(PoolScenario.systems.joined(separator: ", "))") }
        }
        if systems.contains("dart-r") && gpus.count != 2 {
            throw try o.required("gpus").error("dart-r pairs a high-class GPU with a low-class one: expected two GPU types, got \(gpus.count)")
        }
        let blocks = try o.optional("blocks")?.positiveInt() ?? 10
        if blocks > 20 { throw try o.required("blocks").error("expected at most 20 blocks, got \(blocks)") }
        let duration = try o.optional("duration_s")?.positiveDouble() ?? 30
        if duration < 0.001 { throw try o.required("duration_s").error("expected at least 0.001 simulated seconds") }
        if duration > 3600 { throw try o.required("duration_s").error("expected at most 3600 simulated seconds, got \(Suggestion.format(duration))") }
        let step = try o.optional("step_percent")?.positiveInt() ?? 5
        if step >= 100 { throw try o.required("step_percent").error("expected a percent below 100, got \(step)") }
        let layout = try o.optional("nic_layout")?.choice(PoolNICLayout.allCases.map(\.rawValue)) ?? PoolNICLayout.server.rawValue
        return PoolScenario(name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension, file: path,
                            nicGbps: try o.required("nic_gbps").positiveDouble(), gpus: gpus, models: models,
                            profiles: InputFile.resolve(try o.optional("profiles")?.string() ?? "../../profiles/derived", relativeTo: path),
                            precision: try o.optional("precision")?.string() ?? "fp32", blocks: blocks, systems: systems,
                            durationSeconds: duration, seed: try o.optional("seed")?.uint64() ?? 1, stepPercent: step,
                            nodeLimit: try o.optional("node_limit")?.positiveInt() ?? 50_000, nicLayout: PoolNICLayout(rawValue: layout)!)
    }

    /// Names a regression spec may check: `<system>.<figure>`, figure one of objective,
    /// load_factor (the mean over models), load_factor.<model>, utilisation.<GPU type>,
    /// served_rps and usd_per_million.
    public var figureNames: [String] {
        systems.flatMap { s in
            ["objective", "load_factor"].map { "\(s).\($0)" } + models.map { "\(s).load_factor.\($0.model)" }
                + gpus.map { "\(s).utilisation.\($0.type)" } + ["served_rps", "usd_per_million"].map { "\(s).\($0)" }
        }
    }

    public var cluster: [PoolGPUType] {
        gpus.map { PoolGPUType(name: $0.type, count: $0.count, gpusPerServer: $0.gpusPerServer, mpsLevels: $0.mpsLevels) }
    }
}

/// A model's blocks from per-layer profiles, one per GPU type.
public enum PoolModelBuilder {
    /// Largest batch per MPS level (the artifact's caps: 8, 4, 2, 2).
    public static func batchCap(mps: Int) -> Int { [8, 4, 2, 2][min(mps, 4) - 1] }

    /// Cuts the profiled layers into `blocks` blocks with `Prepartition` (layers a runtime fuses,
    /// 0 µs on every type, join the layer before them), and derives each MPS level's latencies:
    /// m instances sharing a GPU each run a batch b in about the time the whole GPU takes for
    /// m · b (interpolated between profiled batch sizes). That is a derivation, not a measurement.
    public static func build(_ name: String, profiles: [Profile], mpsLevels: [Int], blocks: Int, slo: Double?, weight: Double,
                             file: String) throws(ConfigError) -> PipelineModel {
        let first = profiles[0]
        for p in profiles.dropFirst() where p.layers.map(\.name) != first.layers.map(\.name) {
            throw ConfigError(file: file, position: nil, path: "models",
                              message: "the profiles of \(name) on \(first.gpu) and \(p.gpu) list different layers")
        }
        // Nodes: runs of layers that start at a layer with time on some GPU.
        var starts: [Int] = [0]
        for i in 1..<max(1, first.layers.count) where profiles.contains(where: { $0.layers[i].meanUs[0] > 0 }) { starts.append(i) }
        let ends = Array(starts.dropFirst()) + [first.layers.count]
        func nodeLatency(_ p: Profile, batch: Double) -> [Double] {
            zip(starts, ends).map { s, e in (s..<e).reduce(0.0) { $0 + interpolate(p.layers[$1].meanUs, at: batch, sizes: p.batchSizes) } }
        }
        let nodeBytes = ends.dropLast().map { Double(first.layers[$0 - 1].outputBytes) }
        let one = profiles.map { nodeLatency($0, batch: 1) }
        // Where no cut into `blocks` keeps every block within the artifact's bounds (a model of few
        // layers, one of them a large share), fewer blocks are tried; the blocks column says how many.
        var found: Prepartition.Result?
        for b in stride(from: blocks, through: min(blocks, 2), by: -1) {
            found = Prepartition.solve(latencies: one, cutBytes: nodeBytes, blocks: b)
            if found != nil { break }
        }
        guard let cut = found else {
            throw ConfigError(file: file, position: nil, path: "models", message: "\(name): no pre-partition into \(blocks) or fewer blocks exists")
        }
        let blockEnds = Array(cut.blockStarts.dropFirst()) + [starts.count]
        var latency: [[[[Double]]]] = []
        for (g, p) in profiles.enumerated() {
            var levels: [[[Double]]] = []
            for m in 1...mpsLevels[g] {
                levels.append((1...batchCap(mps: m)).map { b in
                    let nodes = nodeLatency(p, batch: Double(m * b))
                    return zip(cut.blockStarts, blockEnds).map { s, e in nodes[s..<e].reduce(0, +) }
                })
            }
            latency.append(levels)
        }
        let cutBytes = blockEnds.dropLast().map { nodeBytes[$0 - 1] }
        let whole = one[0].reduce(0, +)
        return PipelineModel(name: name, latency: latency, cutBytes: cutBytes, slo: slo.map { $0 * 1000 } ?? 5 * whole, weight: weight,
                             estimatedThroughput: nil)
    }

    /// Piecewise-linear in the batch size between profiled sizes (flat beyond the last one's per-sample time).
    static func interpolate(_ values: [Double], at batch: Double, sizes: [Int]) -> Double {
        if let i = sizes.firstIndex(where: { Double($0) >= batch }) {
            if Double(sizes[i]) == batch || i == 0 { return values[i] * (i == 0 ? batch / Double(sizes[0]) : 1) }
            let (x0, x1) = (Double(sizes[i - 1]), Double(sizes[i]))
            return values[i - 1] + (values[i] - values[i - 1]) * (batch - x0) / (x1 - x0)
        }
        return values[sizes.count - 1] * batch / Double(sizes[sizes.count - 1])
    }
}

/// What a pool scenario's systems plan and sustain.
public struct PoolReport: Sendable {
    public struct System: Sendable {
        public var name: String
        /// Planned min over models of throughput / weight.
        public var objective: Double
        public var solveSeconds: Double
        /// The solver's status and relative MIP gap (DART-r: of its NP plan; its units are tiny).
        public var status: String
        public var gap: Double?
        public var pipelines: [[PlannedPipeline]]
        /// Whole GPUs of each type the plan takes.
        public var gpusUsed: [Int]
        public var loadFactor: [Double?]
        /// Per GPU type: busy GPU-time at each model's sustained load over the type's GPUs × duration.
        public var utilisation: [Double]
        /// Requests per second served on time at the sustained loads.
        public var served: Double
        /// Dollars per million requests served on time, counting the GPUs the plan takes.
        public var usdPerMillion: Double?
        public var meanLoadFactor: Double { loadFactor.reduce(0) { $0 + ($1 ?? 0) } / Double(max(loadFactor.count, 1)) }
    }

    public var models: [PipelineModel]
    /// IPIPE's planned throughput per model: every system's reference load.
    public var reference: [Double]
    public var systems: [System]

    /// One system's plan and what it sustained, as JSON text for the `plans` table.
    public func planJSON(_ s: System, types: [String]) -> String {
        let models: [JSONOutput] = self.models.indices.map { d in
            .object([("model", .string(self.models[d].name)), ("planned_rps", .double(s.pipelines[d].reduce(0) { $0 + $1.throughput })),
                     ("load_factor", .optional(s.loadFactor[d])),
                     ("pipelines", .array(s.pipelines[d].map { p in
                         .object([("batch", .int(p.batch)), ("throughput_rps", .double(p.throughput)),
                                  ("stages", .array(p.stages.map { st in
                                      .object([("gpu", .string(types[st.choice.type])), ("mps", .int(st.choice.mps)),
                                               ("blocks", .integers([st.choice.firstBlock, st.choice.endBlock])),
                                               ("instances", .int(st.instances)), ("latency_us", .double(st.choice.latency))])
                                  }))])
                     }))])
        }
        return JSONOutput.object([
            ("system", .string(s.name)), ("status", .string(s.status)), ("mip_gap", .optional(s.gap)), ("objective", .double(s.objective)),
            ("gpus", .object(zip(types, s.gpusUsed).map { ($0, .int($1)) })), ("load_factor", .double(s.meanLoadFactor)),
            ("utilisation", .object(zip(types, s.utilisation).map { ($0, .double($1)) })), ("served_rps", .double(s.served)),
            ("usd_per_million", .optional(s.usdPerMillion)), ("models", .array(models)),
        ]).compactText()
    }

    /// The figure `name` (`PoolScenario.figureNames`); nil when it has no value (a model that
    /// sustained no load, a cluster without costs).
    public func figure(_ name: String, types: [String]) -> Double? {
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count >= 2, let s = systems.first(where: { $0.name == parts[0] }) else { return nil }
        switch (parts[1], parts.count == 3 ? parts[2] : nil) {
        case ("objective", nil): return s.objective
        case ("load_factor", nil): return s.meanLoadFactor
        case ("load_factor", let m?): return models.firstIndex { $0.name == m }.flatMap { s.loadFactor[$0] }
        case ("utilisation", let g?): return types.firstIndex(of: g).map { s.utilisation[$0] }
        case ("served_rps", nil): return s.served
        case ("usd_per_million", nil): return s.usdPerMillion
        default: return nil
        }
    }
}

extension PoolScenario {
    /// The models from the profile folder, cut into blocks.
    public func pipelineModels() throws(ConfigError) -> [PipelineModel] {
        var out: [PipelineModel] = []
        for (i, m) in models.enumerated() {
            var found: [Profile] = []
            for g in gpus {
                let path = "\(self.profiles)/\(ProfileFile.directoryName(gpu: g.type))/\(m.model).\(precision).json"
                guard FileManager.default.fileExists(atPath: path) else {
                    let message = "no \(precision) profile of \(m.model) on \(g.type) (expected \(path))"
                    throw m.node?.error(message) ?? ConfigError(file: file, position: nil, path: "models[\(i)].model", message: message)
                }
                found.append(try ProfileFile.load(path: path))
            }
            out.append(try PoolModelBuilder.build(m.model, profiles: found, mpsLevels: gpus.map(\.mpsLevels), blocks: blocks,
                                                  slo: m.sloMs, weight: m.weight, file: file))
        }
        return out
    }

    /// Plans every system, then finds the load each sustains (PPipe's step-down) and what it costs.
    public func run() throws(ConfigError) -> PoolReport {
        var models = try pipelineModels()
        let cluster = self.cluster
        let single = cluster.map { PoolGPUType(name: $0.name, count: $0.count, gpusPerServer: $0.gpusPerServer, mpsLevels: 1) }
        // The batch-filling estimate is a whole-model plan's throughput without it (the artifact's
        // est_xput); then NP and IPIPE are both planned with it, as the artifact's plans are.
        let npOptions = PlannerOptions(maxStages: 1, nicGbps: nicGbps, nodeLimit: nodeLimit)
        let first = PoolPlanner.plan(models, cluster: single, options: npOptions)
        for d in models.indices { models[d].estimatedThroughput = first.throughput[d] > 0 ? first.throughput[d] : nil }
        let np = PoolPlanner.plan(models, cluster: single, options: npOptions)
        let options = PlannerOptions(maxStages: 2, nicGbps: nicGbps, nodeLimit: nodeLimit)
        let ipipe = PoolPlanner.plan(models, cluster: cluster, options: options)
        // Every probe simulates about this many requests: keep a run finite in time and memory.
        let perProbe = ipipe.throughput.reduce(0, +) * durationSeconds
        if perProbe > 5_000_000 {
            throw ConfigError(file: file, position: nil, path: "duration_s",
                              message: "IPIPE's plan serves \(Int(perProbe)) requests in \(Suggestion.format(durationSeconds)) s, above the 5,000,000 a probe may simulate: shorten duration_s")
        }
        var report = PoolReport(models: models, reference: ipipe.throughput, systems: [])
        let duration = SimTime((durationSeconds * 1e9).rounded())
        for system in systems {
            let pipelines: [[PlannedPipeline]], plan: PoolPlan?
            switch system {
            case "np": (pipelines, plan) = (np.pipelines, np)
            case "dart-r": (pipelines, plan) = (DARTr.plan(models, cluster: cluster, np: np.pipelines, options: options), nil)
            default: (pipelines, plan) = (ipipe.pipelines, ipipe)
            }
            let setup = PoolServingSetup(models: models, cluster: cluster, nicGbps: nicGbps, pipelines: pipelines,
                                         dataPlane: system == "reactive" ? .reactive : .reservation, nicLayout: nicLayout)
            let capacity = PoolServing.stepDown(setup, reference: ipipe.throughput, duration: duration, seed: seed, stepPercent: stepPercent)
            let used = plan?.gpus ?? pipelines.reduce(Array(repeating: 0, count: cluster.count)) {
                zip($0, PoolPlanner.wholeGPUs($1, types: cluster.count)).map(+)
            }
            var busy = Array(repeating: 0.0, count: cluster.count), served = 0.0
            for d in models.indices {
                guard let o = capacity.atAnswer[d] else { continue }
                for g in busy.indices { busy[g] += o.busyGPUSeconds[g] }
                served += Double(o.onTime) / durationSeconds
            }
            let dollarsPerSecond = zip(used, gpus).reduce(0.0) { $0 + Double($1.0) * $1.1.costPerHour } / 3600
            let objective = plan?.objective ?? zip(pipelines, models).map { p, m in p.reduce(0) { $0 + $1.throughput } / m.weight }.min() ?? 0
            let solved = plan ?? np
            report.systems.append(PoolReport.System(
                name: system, objective: objective, solveSeconds: plan?.seconds ?? 0, status: solved.status.rawValue, gap: solved.gap,
                pipelines: pipelines, gpusUsed: used, loadFactor: capacity.loadFactor,
                utilisation: busy.indices.map { busy[$0] / (Double(cluster[$0].count) * durationSeconds) }, served: served,
                usdPerMillion: served > 0 && dollarsPerSecond > 0 ? 1e6 * dollarsPerSecond / served : nil))
        }
        return report
    }
}

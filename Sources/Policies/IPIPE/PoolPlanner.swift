/// IPIPE's control plane: which pipelines serve each model, over pools of GPUs of several types
/// (PPipe's main MILP, the artifact's `milp_solver/ilp_v4.py`, reformulated for GLPK as
/// docs/policies/ipipe.md describes).
///
/// A pipeline follows a template, a sequence of GPU types of up to `maxStages` stages; it runs one
/// configuration: a batch size shared by its stages and, per stage, an MPS level and a block range;
/// each stage runs as a number of MPS instances. Each model may use one configuration per template.

/// A GPU type of the cluster as the planner sees it.
public struct PoolGPUType: Sendable, Equatable {
    public var name: String
    public var count: Int
    public var gpusPerServer: Int
    public var mpsLevels: Int

    public init(name: String, count: Int, gpusPerServer: Int, mpsLevels: Int) {
        self.name = name
        self.count = count
        self.gpusPerServer = gpusPerServer
        self.mpsLevels = mpsLevels
    }
}

/// One model to serve, cut into blocks (`Prepartition`).
public struct PipelineModel: Sendable {
    public var name: String
    /// latency[type][mps − 1][batch − 1][block], microseconds, per GPU type of the cluster in order.
    /// A level's largest batch is its row's length (the artifact's caps: 8, 4, 2, 2).
    public var latency: [[[[Double]]]]
    /// Bytes per sample crossing the cut after each block but the last.
    public var cutBytes: [Double]
    /// The latency objective, microseconds.
    public var slo: Double
    /// Its share of the workload: the plan maximises min over models of throughput / weight.
    public var weight: Double
    /// Throughput (per second) of the model's whole-model plan, from which the planner estimates
    /// the time a batch takes to fill; nil: no such estimate (the NP plan that provides it).
    public var estimatedThroughput: Double?

    public var blocks: Int { cutBytes.count + 1 }

    public init(name: String, latency: [[[[Double]]]], cutBytes: [Double], slo: Double, weight: Double, estimatedThroughput: Double?) {
        self.name = name
        self.latency = latency
        self.cutBytes = cutBytes
        self.slo = slo
        self.weight = weight
        self.estimatedThroughput = estimatedThroughput
    }
}

public struct PlannerOptions: Sendable {
    /// Stages per pipeline: 1 is the NP baseline (whole models, no pipelining), 2 is IPIPE.
    public var maxStages: Int
    /// Bandwidth of each server's NIC, shared by every instance on the server.
    public var nicGbps: Double
    /// The batch-filling estimate: factor · (batch − 1) / estimated throughput.
    public var batchBuildFactor: Double
    /// The share of the objective held back for queueing (the artifact's `hist_adjustment`).
    public var sloReserve: Double
    /// Branch-and-bound nodes after which the solver stops with its best plan (nil: to optimality).
    /// A count, unlike a time limit, stops at the same plan on every machine.
    public var nodeLimit: Int?

    public init(maxStages: Int = 2, nicGbps: Double, batchBuildFactor: Double = 1.3, sloReserve: Double = 0.4, nodeLimit: Int? = nil) {
        self.maxStages = maxStages
        self.nicGbps = nicGbps
        self.batchBuildFactor = batchBuildFactor
        self.sloReserve = sloReserve
        self.nodeLimit = nodeLimit
    }
}

/// One stage of a configuration: blocks [firstBlock, endBlock) on a GPU type at an MPS level.
public struct StageChoice: Sendable, Equatable {
    public var type: Int
    public var mps: Int
    public var firstBlock: Int
    public var endBlock: Int
    /// Microseconds one batch takes on it.
    public var latency: Double
    /// Requests per second one MPS instance sustains: the least of its batches' rate and what its
    /// server's NIC carries in and out, shared by the server's GPUs and their instances.
    public var throughputPerInstance: Double
}

/// A way to run a model along a template: one batch size, a stage per part.
public struct PipelineConfiguration: Sendable, Equatable {
    public var template: Int
    public var batch: Int
    public var stages: [StageChoice]
    /// Inference, transfers between stages, batch filling and the reserve, microseconds.
    public var latency: Double
}

/// A planned stage: its choice and how many instances run it.
public struct PlannedStage: Sendable, Equatable {
    public var choice: StageChoice
    public var instances: Int
    public var gpus: Double { Double(instances) / Double(choice.mps) }

    public init(choice: StageChoice, instances: Int) {
        self.choice = choice
        self.instances = instances
    }
}

public struct PlannedPipeline: Sendable, Equatable {
    public var batch: Int
    public var stages: [PlannedStage]
    public var throughput: Double
    public var latency: Double

    public init(batch: Int, stages: [PlannedStage], throughput: Double, latency: Double) {
        self.batch = batch
        self.stages = stages
        self.throughput = throughput
        self.latency = latency
    }
}

/// What the planner chose.
public struct PoolPlan: Sendable {
    public var status: MILPSolution.Status
    /// min over models of throughput / weight.
    public var objective: Double
    public var pipelines: [[PlannedPipeline]]
    public var throughput: [Double]
    /// Whole GPUs of each type the plan takes (the per-stage sums rounded up, as the artifact does).
    public var gpus: [Int]
    public var seconds: Double
    public var configurations: Int
    /// The solver's relative MIP gap (0: proven optimal; nil: unknown).
    public var gap: Double?
}

public enum PoolPlanner {
    /// Templates: every sequence of `stages` GPU types, in lexicographic order (the artifact's
    /// `itertools.product`).
    static func templates(types: Int, stages: Int) -> [[Int]] {
        var out: [[Int]] = [[]]
        for _ in 0..<stages { out = out.flatMap { t in (0..<types).map { t + [$0] } } }
        return out
    }

    /// Microseconds to send one sample's bytes across a cut over the NIC.
    static func transferTime(_ bytes: Double, nicGbps: Double) -> Double { bytes * 8 / (nicGbps * 1e9) * 1e6 }

    /// Latency of blocks [first, end) at a batch size; each block at least 1 µs (the artifact clips
    /// for numerical stability).
    static func stageLatency(_ model: PipelineModel, type: Int, mps: Int, batch: Int, first: Int, end: Int) -> Double {
        var sum = 0.0
        for b in first..<end { sum += max(model.latency[type][mps - 1][batch - 1][b], 1) }
        return sum
    }

    static func stage(_ model: PipelineModel, cluster: [PoolGPUType], options: PlannerOptions, type: Int, mps: Int, batch: Int,
                      first: Int, end: Int) -> StageChoice {
        let blocks = model.blocks
        let inTime = first > 0 && first < blocks ? transferTime(model.cutBytes[first - 1], nicGbps: options.nicGbps) : 1
        let outTime = end > 0 && end < blocks ? transferTime(model.cutBytes[end - 1], nicGbps: options.nicGbps) : 1
        let share = Double(mps * cluster[type].gpusPerServer)
        let latency = stageLatency(model, type: type, mps: mps, batch: batch, first: first, end: end)
        let rate = min(1e6 * Double(batch) / latency, 1e6 / inTime / share, 1e6 / outTime / share)
        return StageChoice(type: type, mps: mps, firstBlock: first, endBlock: end, latency: latency, throughputPerInstance: rate)
    }

    /// Every configuration of `model` that meets its objective, with those another configuration
    /// of the same template, cut and MPS levels beats on every stage's throughput removed (they
    /// use the same GPUs for no more throughput, so no plan needs them).
    public static func configurations(_ model: PipelineModel, cluster: [PoolGPUType], options: PlannerOptions) -> [PipelineConfiguration] {
        precondition((1...3).contains(options.maxStages), "pipelines of one to three stages")
        let blocks = model.blocks
        let reserve = options.sloReserve * model.slo
        func fill(_ batch: Int) -> Double {
            guard let x = model.estimatedThroughput, x > 0 else { return 0 }
            return options.batchBuildFactor * 1e6 * Double(batch - 1) / x
        }
        func maxBatch(_ type: Int, _ mps: Int) -> Int { model.latency[type][mps - 1].count }
        var out: [PipelineConfiguration] = []
        for (t, template) in templates(types: cluster.count, stages: options.maxStages).enumerated() {
            // Whole model on the template's first type (later stages unused).
            let g = template[0]
            for m in 1...cluster[g].mpsLevels {
                var group: [PipelineConfiguration] = []
                for batch in 1...maxBatch(g, m) {
                    let s = stage(model, cluster: cluster, options: options, type: g, mps: m, batch: batch, first: 0, end: blocks)
                    let latency = s.latency + fill(batch) + reserve
                    if latency <= model.slo { group.append(PipelineConfiguration(template: t, batch: batch, stages: [s], latency: latency)) }
                }
                out += paretoFront(group)
            }
            guard template.count >= 2 else { continue }
            let (g1, g2) = (template[0], template[1])
            for cut in 1..<blocks {
                let transfer = transferTime(model.cutBytes[cut - 1], nicGbps: options.nicGbps)
                for m1 in 1...cluster[g1].mpsLevels {
                    for m2 in 1...cluster[g2].mpsLevels {
                        var group: [PipelineConfiguration] = []
                        for batch in 1...min(maxBatch(g1, m1), maxBatch(g2, m2)) {
                            let a = stage(model, cluster: cluster, options: options, type: g1, mps: m1, batch: batch, first: 0, end: cut)
                            let b = stage(model, cluster: cluster, options: options, type: g2, mps: m2, batch: batch, first: cut, end: blocks)
                            let latency = a.latency + b.latency + Double(batch) * transfer + fill(batch) + reserve
                            if latency <= model.slo {
                                group.append(PipelineConfiguration(template: t, batch: batch, stages: [a, b], latency: latency))
                            }
                        }
                        out += paretoFront(group)
                    }
                }
            }
            guard template.count == 3 else { continue }
            out += threeStages(model, template: template, index: t, cluster: cluster, options: options, fill: fill)
        }
        return out
    }

    /// The three-stage configurations of a template (the artifact's ablation): cuts c1 < c2, an MPS
    /// level per stage, one batch size, pruned as the two-stage ones are.
    static func threeStages(_ model: PipelineModel, template: [Int], index t: Int, cluster: [PoolGPUType], options: PlannerOptions,
                            fill: (Int) -> Double) -> [PipelineConfiguration] {
        let blocks = model.blocks, reserve = options.sloReserve * model.slo
        func maxBatch(_ type: Int, _ mps: Int) -> Int { model.latency[type][mps - 1].count }
        var out: [PipelineConfiguration] = []
        for c1 in 1..<blocks {
            for c2 in (c1 + 1)..<max(c1 + 1, blocks) {
                let transfers = transferTime(model.cutBytes[c1 - 1], nicGbps: options.nicGbps) + transferTime(model.cutBytes[c2 - 1], nicGbps: options.nicGbps)
                for m1 in 1...cluster[template[0]].mpsLevels {
                    for m2 in 1...cluster[template[1]].mpsLevels {
                        for m3 in 1...cluster[template[2]].mpsLevels {
                            var group: [PipelineConfiguration] = []
                            let most = min(maxBatch(template[0], m1), maxBatch(template[1], m2), maxBatch(template[2], m3))
                            for batch in 1...most {
                                let stages = [(template[0], m1, 0, c1), (template[1], m2, c1, c2), (template[2], m3, c2, blocks)].map {
                                    stage(model, cluster: cluster, options: options, type: $0.0, mps: $0.1, batch: batch, first: $0.2, end: $0.3)
                                }
                                let latency = stages.reduce(0) { $0 + $1.latency } + Double(batch) * transfers + fill(batch) + reserve
                                if latency <= model.slo { group.append(PipelineConfiguration(template: t, batch: batch, stages: stages, latency: latency)) }
                            }
                            out += paretoFront(group)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The configurations no other in the group matches or beats on every stage's throughput (of
    /// two equal ones, the smaller batch stays).
    static func paretoFront(_ group: [PipelineConfiguration]) -> [PipelineConfiguration] {
        var kept: [PipelineConfiguration] = []
        for (i, c) in group.enumerated() {
            var dominated = false
            for (j, d) in group.enumerated() where j != i {
                let atLeast = zip(d.stages, c.stages).allSatisfy { $0.throughputPerInstance >= $1.throughputPerInstance }
                let better = zip(d.stages, c.stages).contains { $0.throughputPerInstance > $1.throughputPerInstance }
                if atLeast && (better || j < i) { dominated = true; break }
            }
            if !dominated { kept.append(c) }
        }
        return kept
    }

    /// Plans `models` on `cluster`: the MILP, solved by GLPK.
    public static func plan(_ models: [PipelineModel], cluster: [PoolGPUType], options: PlannerOptions) -> PoolPlan {
        let configs = models.map { configurations($0, cluster: cluster, options: options) }
        var lp = LinearProgram(maximize: true)
        let z = lp.add(.continuous, lower: 0, objective: 1)
        let templateCount = templates(types: cluster.count, stages: options.maxStages).count
        // Per model and configuration: the instance count variable of each stage.
        var instances: [[[Int]]] = []
        // Per model, stage position and type: whole GPUs (the artifact's per-partition ceiling).
        var wholeGPUs: [[[Int]]] = []
        for (d, model) in models.enumerated() {
            var n: [[Int]] = [], t: [Int] = []
            var perTemplate = Array(repeating: [(Int, Double)](), count: templateCount)
            var gpuTerms = Array(repeating: Array(repeating: [(Int, Double)](), count: cluster.count), count: options.maxStages)
            for c in configs[d] {
                let yc = lp.add(.binary)
                let tc = lp.add(.continuous, lower: 0)
                var nc: [Int] = []
                for (s, st) in c.stages.enumerated() {
                    let cap = Double(cluster[st.type].count * st.mps)
                    let ns = lp.add(.integer, lower: 0, upper: cap)
                    lp.constrain([(tc, 1), (ns, -st.throughputPerInstance)], upper: 0)
                    lp.constrain([(ns, 1), (yc, -cap)], upper: 0)
                    gpuTerms[s][st.type].append((ns, 1 / Double(st.mps)))
                    nc.append(ns)
                }
                perTemplate[c.template].append((yc, 1))
                t.append(tc)
                n.append(nc)
            }
            for terms in perTemplate where !terms.isEmpty { lp.constrain(terms, upper: 1) }
            var whole: [[Int]] = []
            for s in 0..<options.maxStages {
                var row: [Int] = []
                for g in cluster.indices {
                    let w = lp.add(.integer, lower: 0, upper: Double(cluster[g].count))
                    if !gpuTerms[s][g].isEmpty { lp.constrain(gpuTerms[s][g] + [(w, -1)], upper: 0) }
                    row.append(w)
                }
                whole.append(row)
            }
            // z · weight ≤ the model's throughput.
            lp.constrain([(z, model.weight)] + t.map { ($0, -1.0) }, upper: 0)
            instances.append(n)
            wholeGPUs.append(whole)
        }
        for g in cluster.indices {
            var terms: [(Int, Double)] = []
            for d in models.indices { for s in 0..<options.maxStages { terms.append((wholeGPUs[d][s][g], 1)) } }
            lp.constrain(terms, upper: Double(cluster[g].count))
        }
        let solution = GLPKSolver.solve(lp, nodeLimit: options.nodeLimit)
        var plan = PoolPlan(status: solution.status, objective: 0, pipelines: Array(repeating: [], count: models.count),
                            throughput: Array(repeating: 0, count: models.count), gpus: Array(repeating: 0, count: cluster.count),
                            seconds: solution.seconds, configurations: configs.reduce(0) { $0 + $1.count }, gap: solution.gap)
        guard solution.status == .optimal || solution.status == .feasible else { return plan }
        let v = solution.values
        plan.objective = solution.objective
        for d in models.indices {
            for (i, c) in configs[d].enumerated() {
                let counts = instances[d][i].map { Int(v[$0].rounded()) }
                guard counts.allSatisfy({ $0 > 0 }) else { continue }
                // The pipeline carries what its slowest stage sustains.
                let throughput = zip(c.stages, counts).map { $0.throughputPerInstance * Double($1) }.min()!
                plan.pipelines[d].append(PlannedPipeline(batch: c.batch, stages: zip(c.stages, counts).map { PlannedStage(choice: $0, instances: $1) },
                                                         throughput: throughput, latency: c.latency))
                plan.throughput[d] += throughput
            }
            // The MILP's own whole-GPU variables may sit above the rounding where nothing presses them.
            plan.gpus = zip(plan.gpus, Self.wholeGPUs(plan.pipelines[d], types: cluster.count)).map(+)
        }
        return plan
    }

    /// One model's whole GPUs per type: its instances' GPUs summed per stage position and type
    /// and rounded up, as the artifact's `force_sum_gpu_integer_per_partition` does.
    public static func wholeGPUs(_ pipelines: [PlannedPipeline], types: Int) -> [Int] {
        var fractional: [[Double]] = []
        for p in pipelines {
            for (s, st) in p.stages.enumerated() {
                while fractional.count <= s { fractional.append(Array(repeating: 0, count: types)) }
                fractional[s][st.choice.type] += st.gpus
            }
        }
        var out = Array(repeating: 0, count: types)
        for row in fractional { for (g, x) in row.enumerated() { out[g] += Int((x - 1e-9).rounded(.up)) } }
        return out
    }
}

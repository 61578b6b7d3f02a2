/// DART-r, the PPipe paper's pipelining baseline, planned as the artifact's
/// `milp_solver/run_ilp_v4_in_batch.py` does: the NP plan splits the GPUs among the models, the
/// GPUs it leaves idle are shared evenly, and each model then runs replicas of one fixed unit, a
/// pipeline over one high-class and one low-class GPU, plus whole-model replicas on its excess
/// GPUs of one class. Units are planned by the same MILP on one or two GPUs without MPS.
public enum DARTr {
    /// Each model's GPUs of each type (type 0 the high class, type 1 the low class) as DART-r
    /// gives them: the NP plan's whole GPUs plus an even share of those it leaves idle.
    public static func limits(cluster: [PoolGPUType], np: [[PlannedPipeline]]) -> [[Int]] {
        let models = np.count
        let used = np.map { pipelines -> [Int] in
            var fractional = Array(repeating: 0.0, count: cluster.count)
            for p in pipelines { for st in p.stages { fractional[st.choice.type] += st.gpus } }
            return fractional.map { Int(($0 - 1e-9).rounded(.up)) }
        }
        let share = cluster.indices.map { g in max(0, cluster[g].count - used.reduce(0) { $0 + $1[g] }) / max(models, 1) }
        return used.map { row in row.indices.map { row[$0] + share[$0] } }
    }

    /// The pipelines of every model: `min(high, low)` replicas of the 1 + 1 unit and
    /// `max − min` of the single-GPU unit on the more plentiful class.
    /// `np`: the NP plan's pipelines per model. Its max-min objective leaves the split of GPUs
    /// among models that are not the minimum open, so two optimal NP plans can give DART-r
    /// different limits.
    public static func plan(_ models: [PipelineModel], cluster: [PoolGPUType], np: [[PlannedPipeline]], options: PlannerOptions) -> [[PlannedPipeline]] {
        precondition(cluster.count == 2, "DART-r pairs a high-class GPU with a low-class one")
        let perModel = limits(cluster: cluster, np: np)
        return models.indices.map { d in
            let (high, low) = (perModel[d][0], perModel[d][1])
            var model = models[d]
            model.weight = 1
            var out: [PlannedPipeline] = []
            // One high-class and one low-class GPU, no MPS, up to the plan's stages.
            let pair = cluster.map { PoolGPUType(name: $0.name, count: 1, gpusPerServer: $0.gpusPerServer, mpsLevels: 1) }
            var pairOptions = options
            pairOptions.maxStages = 2
            let unit = PoolPlanner.plan([model], cluster: pair, options: pairOptions)
            out += replicate(unit.pipelines.first ?? [], min(high, low), types: [0, 1])
            // One GPU of the class with more, whole model.
            let g = high >= low ? 0 : 1
            var single = model
            single.latency = [model.latency[g]]
            var singleOptions = options
            singleOptions.maxStages = 1
            let alone = PoolPlanner.plan([single], cluster: [pair[g]], options: singleOptions)
            out += replicate(alone.pipelines.first ?? [], max(high, low) - min(high, low), types: [g])
            return out
        }
    }

    /// A unit's pipelines scaled to `count` replicas, their GPU types mapped back to the cluster's.
    static func replicate(_ pipelines: [PlannedPipeline], _ count: Int, types: [Int]) -> [PlannedPipeline] {
        guard count > 0 else { return [] }
        return pipelines.map { p in
            var q = p
            q.throughput *= Double(count)
            for s in q.stages.indices {
                q.stages[s].instances *= count
                q.stages[s].choice.type = types[q.stages[s].choice.type]
            }
            return q
        }
    }
}

import Foundation
import IPIPE
import SimKernel
import XCTest

final class PoolPlannerTests: XCTestCase {
    /// Two GPU types, a model of `blocks` blocks with latencies drawn from `rng`.
    static func randomModel(_ rng: inout RandomStream, blocks: Int, types: Int, mps: Int, batches: Int) -> PipelineModel {
        var latency: [[[[Double]]]] = []
        for g in 0..<types {
            var levels: [[[Double]]] = []
            for m in 1...mps {
                let base = (0..<blocks).map { _ in (200 + 800 * rng.nextUnit()) * Double(g + 1) * Double(m) }
                // Sub-linear in the batch, as GPUs are.
                levels.append((1...max(1, batches / m)).map { bs in base.map { $0 * (1 + 0.6 * Double(bs - 1)) } })
            }
            latency.append(levels)
        }
        let cuts = (0..<(blocks - 1)).map { _ in 2e5 + 4e6 * rng.nextUnit() }
        let whole = latency[0][0][0].reduce(0, +)
        return PipelineModel(name: "m", latency: latency, cutBytes: cuts, slo: whole * (3 + 3 * rng.nextUnit()), weight: 1,
                             estimatedThroughput: 200 + 400 * rng.nextUnit())
    }

    func testConfigurationByHand() {
        // One block each side of the cut: 1,000 and 3,000 µs at batch 1 on type 0, 500 and 1,500 on type 1.
        let model = PipelineModel(name: "m", latency: [[[[1000, 3000]]], [[[500, 1500]]]], cutBytes: [1_250_000], slo: 20_000,
                                  weight: 1, estimatedThroughput: 100)
        let cluster = [PoolGPUType(name: "a", count: 2, gpusPerServer: 2, mpsLevels: 1),
                       PoolGPUType(name: "b", count: 4, gpusPerServer: 4, mpsLevels: 1)]
        let options = PlannerOptions(maxStages: 2, nicGbps: 10)
        let configs = PoolPlanner.configurations(model, cluster: cluster, options: options)
        // Template (a, b) = 1; split after block 0: 1,000 µs on a, 1,250,000 B · 8 / 10 Gb/s = 1,000 µs
        // across, 1,500 µs on b, plus 0.4 · 20,000 reserve = 11,500 µs.
        let split = configs.first { $0.template == 1 && $0.stages.count == 2 }!
        XCTAssertEqual(split.latency, 1000 + 1000 + 1500 + 8000, accuracy: 1e-6)
        // Stage a: 1e6 / 1,000 µs = 1,000/s, but its NIC out carries 1e6 / 1,000 µs / (1 · 2) = 500/s.
        XCTAssertEqual(split.stages[0].throughputPerInstance, 500, accuracy: 1e-9)
        // Stage b: 1e6 / 1,500 = 666.7/s; NIC in 1e6 / 1,000 / 4 = 250/s.
        XCTAssertEqual(split.stages[1].throughputPerInstance, 250, accuracy: 1e-9)
        // Whole model on a: 4,000 µs + reserve; its NIC is not used between stages (1 µs each way).
        let whole = configs.first { $0.template == 0 && $0.stages.count == 1 }!
        XCTAssertEqual(whole.latency, 4000 + 8000, accuracy: 1e-6)
        XCTAssertEqual(whole.stages[0].throughputPerInstance, 250, accuracy: 1e-9)
    }

    /// The MILP's plan equals the best of every assignment of configurations and instance counts,
    /// enumerated, on small random instances (one model, two GPU types with one or two GPUs each,
    /// MPS levels 1–2, batches 1–2, three blocks), including configurations the planner prunes.
    func testMILPMatchesBruteForce() {
        var rng = RandomStream(seed: 7, name: "ipipe-brute-force")
        for trial in 0..<25 {
            let cluster = [PoolGPUType(name: "a", count: 1 + Int(rng.nextUnit() * 2), gpusPerServer: 1, mpsLevels: 2),
                           PoolGPUType(name: "b", count: 1 + Int(rng.nextUnit() * 2), gpusPerServer: 2, mpsLevels: 1)]
            let model = Self.randomModel(&rng, blocks: 3, types: 2, mps: 2, batches: 2)
            let options = PlannerOptions(maxStages: 2, nicGbps: 1 + 9 * rng.nextUnit())
            let plan = PoolPlanner.plan([model], cluster: cluster, options: options)
            XCTAssertEqual(plan.status, .optimal)
            let best = Self.bruteForce(model, cluster: cluster, options: options)
            XCTAssertEqual(plan.objective, best, accuracy: 1e-6 * max(1, best), "trial \(trial)")
            XCTAssertEqual(plan.throughput[0], best, accuracy: 1e-6 * max(1, best), "trial \(trial)")
            XCTAssertTrue(zip(plan.gpus, cluster).allSatisfy { $0 <= $1.count }, "trial \(trial)")
            // The same program gives the same plan.
            let again = PoolPlanner.plan([model], cluster: cluster, options: options)
            XCTAssertEqual(again.pipelines, plan.pipelines, "trial \(trial)")
            XCTAssertEqual(again.objective, plan.objective, "trial \(trial)")
        }
    }

    /// Every latency-feasible configuration (no pruning) per template, every choice of at most one
    /// per template and of instance counts; GPUs per stage position and type rounded up.
    static func bruteForce(_ model: PipelineModel, cluster: [PoolGPUType], options: PlannerOptions) -> Double {
        var all: [[(stages: [(type: Int, mps: Int, rate: Double)], template: Int)]] = Array(repeating: [], count: 4)
        let reserve = options.sloReserve * model.slo
        for (t, tpl) in [[0, 0], [0, 1], [1, 0], [1, 1]].enumerated() {
            func lat(_ g: Int, _ m: Int, _ bs: Int, _ a: Int, _ b: Int) -> Double { (a..<b).reduce(0) { $0 + max(model.latency[g][m - 1][bs - 1][$1], 1) } }
            func fill(_ bs: Int) -> Double { options.batchBuildFactor * 1e6 * Double(bs - 1) / model.estimatedThroughput! }
            func rate(_ g: Int, _ m: Int, _ bs: Int, _ a: Int, _ b: Int) -> Double {
                let t = { (k: Int) -> Double in k > 0 && k < model.blocks ? model.cutBytes[k - 1] * 8 / (options.nicGbps * 1e9) * 1e6 : 1 }
                let share = Double(m * cluster[g].gpusPerServer)
                return min(1e6 * Double(bs) / lat(g, m, bs, a, b), 1e6 / t(a) / share, 1e6 / t(b) / share)
            }
            for m in 1...cluster[tpl[0]].mpsLevels {
                for bs in 1...model.latency[tpl[0]][m - 1].count where lat(tpl[0], m, bs, 0, model.blocks) + fill(bs) + reserve <= model.slo {
                    all[t].append(([(tpl[0], m, rate(tpl[0], m, bs, 0, model.blocks))], t))
                }
            }
            for cut in 1..<model.blocks {
                let transfer = model.cutBytes[cut - 1] * 8 / (options.nicGbps * 1e9) * 1e6
                for m1 in 1...cluster[tpl[0]].mpsLevels {
                    for m2 in 1...cluster[tpl[1]].mpsLevels {
                        for bs in 1...min(model.latency[tpl[0]][m1 - 1].count, model.latency[tpl[1]][m2 - 1].count) {
                            let l = lat(tpl[0], m1, bs, 0, cut) + lat(tpl[1], m2, bs, cut, model.blocks) + Double(bs) * transfer + fill(bs) + reserve
                            if l <= model.slo {
                                all[t].append(([(tpl[0], m1, rate(tpl[0], m1, bs, 0, cut)), (tpl[1], m2, rate(tpl[1], m2, bs, cut, model.blocks))], t))
                            }
                        }
                    }
                }
            }
        }
        var best = 0.0
        // gpus[s][g]: fractional GPUs at stage position s on type g.
        func search(_ t: Int, _ gpus: [[Double]], _ total: Double) {
            if t == all.count {
                for g in 0..<2 {
                    let used = (0..<2).reduce(0) { $0 + Int((gpus[$1][g] - 1e-9).rounded(.up)) }
                    if used > cluster[g].count { return }
                }
                best = max(best, total)
                return
            }
            search(t + 1, gpus, total)
            for c in all[t] {
                let caps = c.stages.map { cluster[$0.type].count * $0.mps }
                func counts(_ s: Int, _ chosen: [Int]) {
                    if s == c.stages.count {
                        var g2 = gpus
                        for (i, st) in c.stages.enumerated() { g2[i][st.type] += Double(chosen[i]) / Double(st.mps) }
                        let x = zip(c.stages, chosen).map { $0.rate * Double($1) }.min()!
                        search(t + 1, g2, total + x)
                        return
                    }
                    for n in 1...caps[s] { counts(s + 1, chosen + [n]) }
                }
                counts(0, [])
            }
        }
        search(0, [[0, 0], [0, 0]], 0)
        return best
    }

    /// Three-stage templates (the artifact's ablation): on small random instances the MILP's plan
    /// equals the best of every assignment, enumerated with no pruning, over templates of up to
    /// three stages, each running its first one, two or three stages.
    func testThreeStagesMatchBruteForce() {
        var rng = RandomStream(seed: 9, name: "ipipe-three-stages")
        var threeStagePlans = 0
        for trial in 0..<15 {
            let cluster = [PoolGPUType(name: "a", count: 2, gpusPerServer: 1, mpsLevels: 1),
                           PoolGPUType(name: "b", count: 1 + Int(rng.nextUnit() * 2), gpusPerServer: 1, mpsLevels: 2)]
            // Blocks whose speed on each type differs (the first and last fast on a, the middle on b),
            // so that a → b → a pipelines can pay.
            var model = Self.randomModel(&rng, blocks: 3, types: 2, mps: 2, batches: 2)
            let slow: [[Double]] = [[1, 3 + 3 * rng.nextUnit(), 1], [3 + 3 * rng.nextUnit(), 1, 3 + 3 * rng.nextUnit()]]
            for g in 0..<2 {
                model.latency[g] = model.latency[g].map { level in level.map { row in row.enumerated().map { $0.element * slow[g][$0.offset] } } }
            }
            model.cutBytes = model.cutBytes.map { $0 / 20 }
            let options = PlannerOptions(maxStages: 3, nicGbps: 10)
            let plan = PoolPlanner.plan([model], cluster: cluster, options: options)
            XCTAssertEqual(plan.status, .optimal)
            let best = Self.bruteForce(model, cluster: cluster, options: options, stages: 3)
            XCTAssertEqual(plan.objective, best, accuracy: 1e-6 * max(1, best), "trial \(trial)")
            XCTAssertTrue(zip(plan.gpus, cluster).allSatisfy { $0 <= $1.count }, "trial \(trial)")
            if plan.pipelines[0].contains(where: { $0.stages.count == 3 }) { threeStagePlans += 1 }
        }
        XCTAssertGreaterThan(threeStagePlans, 0, "some best plans use three stages")
    }

    /// Like `bruteForce`, for templates of `stages` GPU types, enumerating cut points generally.
    static func bruteForce(_ model: PipelineModel, cluster: [PoolGPUType], options: PlannerOptions, stages: Int) -> Double {
        var templates: [[Int]] = [[]]
        for _ in 0..<stages { templates = templates.flatMap { t in (0..<cluster.count).map { t + [$0] } } }
        let reserve = options.sloReserve * model.slo
        func lat(_ g: Int, _ m: Int, _ bs: Int, _ a: Int, _ b: Int) -> Double { (a..<b).reduce(0) { $0 + max(model.latency[g][m - 1][bs - 1][$1], 1) } }
        func fill(_ bs: Int) -> Double { options.batchBuildFactor * 1e6 * Double(bs - 1) / model.estimatedThroughput! }
        func t(_ k: Int) -> Double { k > 0 && k < model.blocks ? model.cutBytes[k - 1] * 8 / (options.nicGbps * 1e9) * 1e6 : 1 }
        func rate(_ g: Int, _ m: Int, _ bs: Int, _ a: Int, _ b: Int) -> Double {
            let share = Double(m * cluster[g].gpusPerServer)
            return min(1e6 * Double(bs) / lat(g, m, bs, a, b), 1e6 / t(a) / share, 1e6 / t(b) / share)
        }
        typealias Config = [(type: Int, mps: Int, rate: Double)]
        var all: [[Config]] = []
        for tpl in templates {
            var configs: [Config] = []
            for used in 1...stages {
                // Cut points 0 = b0 < b1 < … < b_used = blocks.
                var bounds: [[Int]] = [[0]]
                for _ in 1..<used { bounds = bounds.flatMap { b in ((b.last! + 1)..<model.blocks).map { b + [$0] } } }
                for b in bounds.map({ $0 + [model.blocks] }) where b.count == used + 1 {
                    var levels: [[Int]] = [[]]
                    for s in 0..<used { levels = levels.flatMap { l in (1...cluster[tpl[s]].mpsLevels).map { l + [$0] } } }
                    for ms in levels {
                        let most = (0..<used).map { model.latency[tpl[$0]][ms[$0] - 1].count }.min()!
                        for bs in 1...most {
                            var l = fill(bs) + reserve
                            for s in 0..<used { l += lat(tpl[s], ms[s], bs, b[s], b[s + 1]) }
                            for k in b.dropFirst().dropLast() { l += Double(bs) * t(k) }
                            guard l <= model.slo else { continue }
                            configs.append((0..<used).map { (tpl[$0], ms[$0], rate(tpl[$0], ms[$0], bs, b[$0], b[$0 + 1])) })
                        }
                    }
                }
            }
            all.append(configs)
        }
        var best = 0.0
        func fits(_ gpus: [[Double]]) -> Bool {
            (0..<cluster.count).allSatisfy { g in gpus.reduce(0) { $0 + Int(($1[g] - 1e-9).rounded(.up)) } <= cluster[g].count }
        }
        func search(_ i: Int, _ gpus: [[Double]], _ total: Double) {
            guard fits(gpus) else { return }
            if i == all.count { best = max(best, total); return }
            search(i + 1, gpus, total)
            for c in all[i] {
                func counts(_ s: Int, _ chosen: [Int]) {
                    if s == c.count {
                        var g2 = gpus
                        for (k, st) in c.enumerated() { g2[k][st.type] += Double(chosen[k]) / Double(st.mps) }
                        search(i + 1, g2, total + zip(c, chosen).map { $0.rate * Double($1) }.min()!)
                        return
                    }
                    for n in 1...(cluster[c[s].type].count * c[s].mps) { counts(s + 1, chosen + [n]) }
                }
                counts(0, [])
            }
        }
        search(0, Array(repeating: Array(repeating: 0, count: cluster.count), count: stages), 0)
        return best
    }

    /// The artifact's first L4 + T4 group (apcnet, atss, gcnet; 25 L4 + 75 T4, 10 Gb/s), from its
    /// own measured block latencies: our planned objective equals its reference plan's, for IPIPE
    /// (two stages, MPS) and for the NP baseline (whole models, no MPS).
    func testReferenceGroupAgainstArtifactPlans() throws {
        let root = "../shared/reference-data/ppipe"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/ppipe is absent") }
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(root)/plans/maf19").sorted()
        for kind in ["_v4.json", "_bl.json"] {
            let file = files.first { $0.hasPrefix("apcnet") && $0.contains("_L4-T4_") && $0.hasSuffix(kind) }!
            let instance = try PPipeReference.instance("\(root)/plans/maf19/\(file)", root: root, nodeLimit: 2000)
            XCTAssertEqual(instance.options.maxStages, kind == "_v4.json" ? 2 : 1)
            let plan = PoolPlanner.plan(instance.models, cluster: instance.cluster, options: instance.options)
            XCTAssertTrue(plan.status == .optimal || plan.status == .feasible)
            XCTAssertEqual(plan.objective, instance.artifactObjective, accuracy: 1e-6 * instance.artifactObjective, file)
            XCTAssertTrue(zip(plan.gpus, instance.cluster).allSatisfy { $0 <= $1.count }, file)
            // Every pipeline meets the objective with its reserve.
            for (d, pipelines) in plan.pipelines.enumerated() {
                XCTAssertTrue(pipelines.allSatisfy { $0.latency <= instance.models[d].slo }, file)
            }
        }
    }
}

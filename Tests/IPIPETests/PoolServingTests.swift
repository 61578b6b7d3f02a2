import Foundation
import IPIPE
import SimKernel
import XCTest

final class PoolServingTests: XCTestCase {
    static let ms: SimTime = 1_000_000

    /// One model of two blocks: block 0 takes 1 ms at batch 1 and 1.5 ms at batch 2 on type 0,
    /// block 1 takes 2 and 3 ms on type 1; the cut carries 625,000 B (0.5 ms a sample at 10 Gb/s).
    static func twoStage(slo: Double = 20_000, dataPlane: PoolDataPlane, instances: (Int, Int) = (1, 1)) -> PoolServingSetup {
        var model = PipelineModel(name: "m", latency: [[[[1000, 7000], [1500, 9000]]], [[[5000, 2000], [6000, 3000]]]], cutBytes: [625_000],
                                  slo: 20_000, weight: 1, estimatedThroughput: nil)
        let cluster = [PoolGPUType(name: "hi", count: 1, gpusPerServer: 1, mpsLevels: 1),
                       PoolGPUType(name: "lo", count: 1, gpusPerServer: 1, mpsLevels: 1)]
        let options = PlannerOptions(maxStages: 2, nicGbps: 10)
        let split = PoolPlanner.configurations(model, cluster: cluster, options: options).first {
            $0.batch == 2 && $0.stages.count == 2 && $0.stages[0].type == 0 && $0.stages[0].endBlock == 1 && $0.stages[1].type == 1
        }!
        // Planned at 20 ms, served at `slo` (stage choices have no public initialiser).
        model.slo = slo
        let pipeline = PlannedPipeline(batch: 2, stages: [PlannedStage(choice: split.stages[0], instances: instances.0),
                                                          PlannedStage(choice: split.stages[1], instances: instances.1)],
                                       throughput: 0, latency: split.latency)
        return PoolServingSetup(models: [model], cluster: cluster, nicGbps: 10, pipelines: [[pipeline]], dataPlane: dataPlane)
    }

    func testReservationByHand() {
        let setup = Self.twoStage(dataPlane: .reservation)
        let ms = Self.ms
        let out = PoolServing.run(setup, arrivals: [.times([0, 1 * ms, 30 * ms])], duration: 100 * ms, seed: 1, keepRequests: true)
        // At 0 the head is admitted (a batch of 2 would finish at 1.5 + 1 + 3 = 5.5 ms ≤ 20 ms) and
        // waits for a second request. At 1 ms the second comes: the batch of 2 runs 1–2.5 ms on
        // stage 0, crosses the NIC in 2 × 0.5 ms and runs 3.5–6.5 ms on stage 1.
        XCTAssertEqual(out.requests.map(\.completed), [6_500_000, 6_500_000, 48 * ms + 1])
        // The third, alone at 30 ms: a batch of 2 would finish at 35.5 ms, so the front end waits
        // until 1 ns past the last start that still meets 50 ms (44.5 ms); then only a batch of 1
        // fits: 1 + 0.5 + 2 ms, done at 48 ms + 1 ns.
        XCTAssertEqual(out.models[0].onTime, 3)
        XCTAssertEqual(out.models[0].dropped + out.models[0].late, 0)
        // GPU time: 1.5 + 1 ms on the high-class GPU, 3 + 2 ms on the low-class one.
        XCTAssertEqual(out.models[0].busyGPUSeconds[0], 0.0025, accuracy: 1e-12)
        XCTAssertEqual(out.models[0].busyGPUSeconds[1], 0.005, accuracy: 1e-12)
    }

    func testReservationDropsWhatCannotMeetItsDeadline() {
        // SLO 5 ms: a batch of 2 (5.5 ms) never fits, so the first look drops every request (the
        // planned batch is 2, and round(0.95 · 2) = 2: no smaller batch is tried then).
        let setup = Self.twoStage(slo: 5_000, dataPlane: .reservation)
        let out = PoolServing.run(setup, arrivals: [.times([0, 10 * Self.ms])], duration: 100 * Self.ms, seed: 1, keepRequests: true)
        XCTAssertEqual(out.models[0].dropped, 2)
        XCTAssertEqual(out.requests.map(\.completed), [nil, nil])
    }

    func testLastStageDownlinkByLayout() {
        // Four stage-0 workers (servers of one GPU), two stage-1 workers on one server of two GPUs.
        // Four requests at 0 make two batches of 2, on two stage-0 workers with NICs of their own,
        // both done at 1.5 ms. (In the artifact's layout stage-0 workers share NICs in twos, as
        // many as the next stage's servers hold, and the second batch takes worker 2, on the other NIC.)
        var setup = Self.twoStage(dataPlane: .reservation, instances: (4, 2))
        setup.cluster[0].count = 4
        setup.cluster[1] = PoolGPUType(name: "lo", count: 2, gpusPerServer: 2, mpsLevels: 1)
        let arrivals = [PoolArrivals.times([0, 0, 0, 0])]
        let shared = PoolServing.run(setup, arrivals: arrivals, duration: Self.ms, seed: 1, keepRequests: true)
        // Server layout: the two transfers of 1 ms share the stage-1 server's downlink: 1.5–2.5
        // and 2.5–3.5 ms, then 3 ms on either stage-1 worker.
        XCTAssertEqual(shared.requests.map(\.completed), [5_500_000, 5_500_000, 6_500_000, 6_500_000])
        setup.nicLayout = .artifact
        let own = PoolServing.run(setup, arrivals: arrivals, duration: Self.ms, seed: 1, keepRequests: true)
        // Artifact layout: each last-stage instance has its own NIC, so both transfers run 1.5–2.5 ms.
        XCTAssertEqual(own.requests.map(\.completed), [5_500_000, 5_500_000, 5_500_000, 5_500_000])
    }

    func testReactiveByHand() {
        let setup = Self.twoStage(dataPlane: .reactive)
        let ms = Self.ms
        let out = PoolServing.run(setup, arrivals: [.times([0, 1 * ms])], duration: 100 * ms, seed: 1, keepRequests: true)
        // Stage 0's balancer: slack = stage 1's 3 ms + 2 × 0.5 ms = 4 ms; at 0 a batch of 2 fits
        // (1.5 + 2 × 0.5 ≤ 20 − 4), one request waits. At 1 ms the batch of 2 runs 1–2.5 ms, crosses
        // 2.5–3.5 ms; stage 1's balancer (slack 0) runs it at once, 3.5–6.5 ms.
        XCTAssertEqual(out.requests.map(\.completed), [6_500_000, 6_500_000])
    }

    /// One stage, one worker, batch 1 and a loose objective: the reservation plane admits every
    /// request and the worker is an M/D/1 queue, mean response s + ρ s / (2 (1 − ρ)).
    func testOneWorkerIsMD1() {
        let s = 2000.0 // µs
        let model = PipelineModel(name: "m", latency: [[[[s]]]], cutBytes: [], slo: 1e9, weight: 1, estimatedThroughput: nil)
        let cluster = [PoolGPUType(name: "g", count: 1, gpusPerServer: 1, mpsLevels: 1)]
        let choice = PoolPlanner.configurations(model, cluster: cluster, options: PlannerOptions(maxStages: 1, nicGbps: 10))[0].stages[0]
        let setup = PoolServingSetup(models: [model], cluster: cluster, nicGbps: 10,
                                     pipelines: [[PlannedPipeline(batch: 1, stages: [PlannedStage(choice: choice, instances: 1)], throughput: 500, latency: s)]],
                                     dataPlane: .reservation)
        let rate = 350.0, rho = rate * s / 1e6
        let out = PoolServing.run(setup, arrivals: [.poisson(perSecond: rate)], duration: 400 * 1_000_000_000, seed: 7, keepRequests: true)
        XCTAssertEqual(out.models[0].dropped, 0)
        let responses: [Double] = out.requests.map { r in Double(r.completed! - r.arrival) / 1000 }
        let mean = responses.reduce(0, +) / Double(responses.count)
        let expected = s + rho * s / (2 * (1 - rho))
        XCTAssertEqual(mean, expected, accuracy: 0.03 * expected, "mean response \(mean) µs, M/D/1 gives \(expected) µs")
    }

    /// Random small worlds: every arrival is dropped, late or on time; the same seed gives the
    /// same outcome, another seed another; with reservations nothing admitted finishes late
    /// when every stage has one worker (the reservation is exactly what happens).
    func testRandomWorlds() {
        var rng = RandomStream(seed: 11, name: "pool-serving-worlds")
        for trial in 0..<30 {
            let model = PoolPlannerTests.randomModel(&rng, blocks: 4, types: 2, mps: 2, batches: 4)
            let cluster = [PoolGPUType(name: "a", count: 3, gpusPerServer: 2, mpsLevels: 2),
                           PoolGPUType(name: "b", count: 6, gpusPerServer: 4, mpsLevels: 2)]
            let plan = PoolPlanner.plan([model], cluster: cluster, options: PlannerOptions(maxStages: 2, nicGbps: 10))
            guard plan.throughput[0] > 0 else { continue }
            for dataPlane in PoolDataPlane.allCases {
                let setup = PoolServingSetup(models: [model], cluster: cluster, nicGbps: 10, pipelines: plan.pipelines, dataPlane: dataPlane)
                let load = [PoolArrivals.poisson(perSecond: plan.throughput[0] * (0.5 + rng.nextUnit()))]
                let a = PoolServing.run(setup, arrivals: load, duration: 2_000_000_000, seed: 3)
                let o = a.models[0]
                XCTAssertEqual(o.arrivals, o.dropped + o.late + o.onTime, "trial \(trial) \(dataPlane)")
                XCTAssertGreaterThan(o.arrivals, 0)
                XCTAssertEqual(a, PoolServing.run(setup, arrivals: load, duration: 2_000_000_000, seed: 3))
                XCTAssertNotEqual(a.models, PoolServing.run(setup, arrivals: load, duration: 2_000_000_000, seed: 4).models)
                guard dataPlane == .reservation else { continue }
                // One worker per stage: the reservation is exactly what happens, so nothing admitted is late.
                var one = plan.pipelines[0][0]
                for s in one.stages.indices { one.stages[s].instances = 1 }
                let alone = PoolServingSetup(models: [model], cluster: cluster, nicGbps: 10, pipelines: [[one]], dataPlane: .reservation)
                let r = PoolServing.run(alone, arrivals: load, duration: 2_000_000_000, seed: 3).models[0]
                XCTAssertGreaterThan(r.onTime, 0, "trial \(trial)")
                XCTAssertEqual(r.late, 0, "trial \(trial)")
            }
        }
    }

    /// DART-r's GPUs per model: the NP plan's whole GPUs plus an even share of the idle ones;
    /// then min(high, low) pairs and the rest as single GPUs of the class with more.
    func testDARTrByHand() {
        let setup = Self.twoStage(dataPlane: .reservation)
        var cluster = setup.cluster
        cluster[0].count = 4
        cluster[1].count = 10
        let configs = PoolPlanner.configurations(setup.models[0], cluster: cluster, options: PlannerOptions(maxStages: 2, nicGbps: 10))
        let wholeHigh = configs.first { $0.stages.count == 1 && $0.stages[0].type == 0 }!
        let wholeLow = configs.first { $0.stages.count == 1 && $0.stages[0].type == 1 }!
        // Model 0 on 3 high-class GPUs, model 1 on 5.5 low-class ones (6 whole): idle 1 high and 4
        // low, shared evenly in whole GPUs: 0 high and 2 low each.
        let np = [[PlannedPipeline(batch: wholeHigh.batch, stages: [PlannedStage(choice: wholeHigh.stages[0], instances: 3)], throughput: 1, latency: 0)],
                  [PlannedPipeline(batch: wholeLow.batch, stages: [PlannedStage(choice: wholeLow.stages[0], instances: 11)], throughput: 1, latency: 0)]]
        var lowHalf = np
        lowHalf[1][0].stages[0].choice.mps = 2
        XCTAssertEqual(DARTr.limits(cluster: cluster, np: lowHalf), [[3, 2], [0, 8]])
        let models = [setup.models[0], setup.models[0]]
        let plan = DARTr.plan(models, cluster: cluster, np: lowHalf, options: PlannerOptions(maxStages: 2, nicGbps: 10))
        // Model 0: 2 pairs (1 high + 1 low each) and 1 single high-class GPU; model 1: 8 single low-class GPUs.
        func gpus(_ p: [PlannedPipeline], _ type: Int) -> Double {
            p.flatMap(\.stages).filter { $0.choice.type == type }.reduce(0) { $0 + $1.gpus }
        }
        XCTAssertEqual(gpus(plan[0], 0), 3, accuracy: 1e-9)
        XCTAssertEqual(gpus(plan[0], 1), 2, accuracy: 1e-9)
        XCTAssertEqual(gpus(plan[1], 0), 0, accuracy: 1e-9)
        XCTAssertEqual(gpus(plan[1], 1), 8, accuracy: 1e-9)
        XCTAssertTrue(plan[1].allSatisfy { $0.stages.count == 1 })
    }

    func testStepDown() {
        // One worker of 2 ms, batch 1, objective 10 ms: at 100 % of 500/s the queue grows without
        // bound and drops; well below it, nothing is lost.
        let s = 2000.0
        let model = PipelineModel(name: "m", latency: [[[[s]]]], cutBytes: [], slo: 10_000, weight: 1, estimatedThroughput: nil)
        let cluster = [PoolGPUType(name: "g", count: 1, gpusPerServer: 1, mpsLevels: 1)]
        let choice = PoolPlanner.configurations(model, cluster: cluster, options: PlannerOptions(maxStages: 1, nicGbps: 10, sloReserve: 0))[0].stages[0]
        let setup = PoolServingSetup(models: [model, model], cluster: cluster, nicGbps: 10,
                                     pipelines: Array(repeating: [PlannedPipeline(batch: 1, stages: [PlannedStage(choice: choice, instances: 1)],
                                                                                  throughput: 500, latency: s)], count: 2),
                                     dataPlane: .reservation)
        let c = PoolServing.stepDown(setup, reference: [500, 100], duration: 20_000_000_000, seed: 5)
        // The second model runs at 100/s (ρ = 0.2): it passes at once and is not run again.
        XCTAssertEqual(c.loadFactor[1], 1.0)
        XCTAssertEqual(c.probes.dropFirst().map { $0.outcomes[1] }, Array(repeating: nil, count: c.probes.count - 1))
        let lf = try! XCTUnwrap(c.loadFactor[0])
        XCTAssertLessThan(lf, 1.0)
        XCTAssertGreaterThan(lf, 0.3)
        XCTAssertLessThanOrEqual(c.atAnswer[0]!.loss, 0.01)
        // Each probe above the answer lost more than 1 %.
        for p in c.probes where Double(p.percent) / 100 > lf { XCTAssertGreaterThan(p.outcomes[0]!.loss, 0.01) }
    }
}

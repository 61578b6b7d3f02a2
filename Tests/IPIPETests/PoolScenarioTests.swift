import Foundation
import IPIPE
import Profiles
import XCTest

final class PoolScenarioTests: XCTestCase {
    /// Blocks from the bundled derived profiles of resnet50 on L4 and T4: the blocks sum to the
    /// profiled model at every batch size, MPS level m at batch b takes the whole GPU's time at
    /// m · b (interpolated between profiled sizes), and each cut carries a profiled layer's output bytes.
    func testBlocksFromProfiles() throws {
        let profiles = try ["L4", "T4"].map { g in try ProfileFile.load(path: "Workloads/profiles/derived/\(g)/resnet50.fp32.json") }
        let model = try PoolModelBuilder.build("resnet50", profiles: profiles, mpsLevels: [3, 1], blocks: 10, slo: nil, weight: 1, file: "test")
        XCTAssertEqual(model.blocks, 10)
        for (g, p) in profiles.enumerated() {
            for (i, b) in p.batchSizes.enumerated() where b <= 8 {
                XCTAssertEqual(model.latency[g][0][b - 1].reduce(0, +), p.totalMeanUs(at: i), accuracy: 1e-6)
            }
        }
        // L4 at level 2, batch 4: the profile at batch 8; level 3, batch 1: halfway between 2 and 4.
        let l4 = profiles[0]
        XCTAssertEqual(model.latency[0][1][3].reduce(0, +), l4.totalMeanUs(at: l4.batchSizes.firstIndex(of: 8)!), accuracy: 1e-6)
        let two = l4.totalMeanUs(at: l4.batchSizes.firstIndex(of: 2)!), four = l4.totalMeanUs(at: l4.batchSizes.firstIndex(of: 4)!)
        XCTAssertEqual(model.latency[0][2][0].reduce(0, +), (two + four) / 2, accuracy: 1e-6)
        XCTAssertEqual(model.latency[0].map(\.count), [8, 4, 2])
        // The SLO: 5 × batch-1 latency on the first type.
        XCTAssertEqual(model.slo, 5 * l4.totalMeanUs(at: 0), accuracy: 1e-6)
        let outputs = Set(l4.layers.map { Double($0.outputBytes) })
        XCTAssertTrue(model.cutBytes.allSatisfy { outputs.contains($0) })
    }

    func testBundledScenarioTwice() throws {
        let pool = try PoolScenario.load(path: "Workloads/papers/ipipe/l4-t4-small.json")
        var small = pool
        small.durationSeconds = 2
        small.systems = ["ipipe", "np"]
        let a = try small.run(), b = try small.run()
        XCTAssertEqual(a.systems.map(\.loadFactor), b.systems.map(\.loadFactor))
        XCTAssertEqual(a.systems.map(\.utilisation), b.systems.map(\.utilisation))
        // Whole GPUs within the cluster; IPIPE's objective at least NP's (its templates include NP's plans).
        for s in a.systems { XCTAssertTrue(zip(s.gpusUsed, pool.gpus).allSatisfy { $0 <= $1.count }) }
        XCTAssertGreaterThanOrEqual(a.systems[0].objective, a.systems[1].objective * (1 - 1e-9))
        XCTAssertEqual(a.figure("ipipe.utilisation.T4", types: ["L4", "T4"]), a.systems[0].utilisation[1])
        XCTAssertNil(a.figure("ipipe.utilisation.A100", types: ["L4", "T4"]))
    }
}

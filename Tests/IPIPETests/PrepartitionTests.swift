import Foundation
import IPIPE
import JSONConfig
import Profiles
import SimKernel
import XCTest

/// The MILP solver and IPIPE's pre-partitioning (docs/policies/ipipe.md).
final class PrepartitionTests: XCTestCase {
    /// A 0–1 knapsack worked by hand: values 10, 13, 7, 8; weights 3, 4, 2, 3; capacity 7. Items 0
    /// and 1 (weight 7, value 23) beat every other set that fits.
    func testGLPKSolvesASmallKnapsack() {
        var p = LinearProgram(maximize: true)
        let values = [10.0, 13, 7, 8], weights = [3.0, 4, 2, 3]
        let x = values.map { p.add(.binary, objective: $0) }
        p.constrain(zip(x, weights).map { ($0, $1) }, upper: 7)
        let s = GLPKSolver.solve(p)
        XCTAssertEqual(s.status, .optimal)
        XCTAssertEqual(s.objective, 23, accuracy: 1e-9)
        XCTAssertEqual(s.values.map { Int($0.rounded()) }, [1, 1, 0, 0])
        // A variable named twice in one constraint counts once with the summed coefficient.
        var twice = LinearProgram(maximize: true)
        let a = twice.add(.integer, upper: 10, objective: 1)
        twice.constrain([(a, 1), (a, 2)], upper: 9)
        XCTAssertEqual(GLPKSolver.solve(twice).objective, 3, accuracy: 1e-9)
        // Fewer layers than blocks: every layer a block of its own.
        XCTAssertEqual(Prepartition.solve(latencies: [[1, 1, 1]], cutBytes: [100, 100], blocks: 10)?.blockStarts, [0, 1, 2])
        var infeasible = LinearProgram()
        let y = infeasible.add(.binary)
        infeasible.constrain([(y, 1)], lower: 2)
        XCTAssertEqual(GLPKSolver.solve(infeasible).status, .infeasible)
    }

    /// Every cut of random 9-layer models into 3 blocks, enumerated: the MILP finds the least bytes
    /// among those whose blocks keep within the latency bounds on both GPU types, at the first
    /// relaxation where any does, and none where none does.
    func testPrepartitionMatchesBruteForce() {
        var rng = RandomStream(seed: 5, name: "prepartition")
        var solved = 0
        for _ in 0..<60 {
            let n = 9, k = 3
            let latencies = (0..<2).map { _ in (0..<n).map { _ in 0.1 + rng.nextUnit() * 3 } }
            let bytes = (0..<(n - 1)).map { _ in Double(1 + Int(rng.nextUnit() * 1000)) }
            var expected: (bytes: Double, lb: Double)?
            for r in Prepartition.relaxations where expected == nil {
                var best: Double?
                for a in 1..<(n - 1) {
                    for b in (a + 1)..<n {
                        let blocks = [0..<a, a..<b, b..<n]
                        let fits = latencies.allSatisfy { row in
                            let total = row.reduce(0, +)
                            return blocks.allSatisfy { block in
                                let share = row[block].reduce(0, +) / total
                                return share >= r.lb / Double(k) - 1e-9 && share <= r.ub / Double(k) + 1e-9
                            }
                        }
                        if fits { best = min(best ?? .infinity, bytes[a - 1] + bytes[b - 1]) }
                    }
                }
                if let best { expected = (best, r.lb) }
            }
            // Fewer layers than requested blocks is not this test's case: ask for 3 of 9.
            let result = Prepartition.solve(latencies: latencies, cutBytes: bytes, blocks: k)
            XCTAssertEqual(result?.bytes, expected?.bytes)
            XCTAssertEqual(result?.lb, expected?.lb)
            if let result {
                solved += 1
                XCTAssertEqual(result.blockStarts.count, 3)
                XCTAssertEqual(result.blockStarts.first, 0)
            }
        }
        XCTAssertGreaterThan(solved, 40)
    }

    /// Two of the artifact's models (PPipe, in ../shared/reference-data/ppipe): our pre-partition
    /// succeeds at the same relaxation as the artifact's mapping and crosses as few bytes.
    func testPrepartitionOfTwoArtifactModels() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/reference-data/ppipe").path
        guard FileManager.default.fileExists(atPath: root) else {
            throw XCTSkip("../shared/reference-data/ppipe is absent: the artifact comparison is skipped")
        }
        let artifact = try PPipeArtifact(root: root)
        for model in ["colorization-v2", "repvgg-b3"] {
            let gpus = ["V100", "L4", "T4", "P4"]
            let nodes = try gpus.map { g throws(ConfigError) in try artifact.nodeLatencies(model: model, gpu: g) }
            let cuts = try artifact.cutBytes(model: model)
            let sizes = cuts[1..<(cuts.count - 2)].map { Double($0.bytes) }
            XCTAssertEqual(sizes.count, nodes[0].count - 1, model)
            let result = try XCTUnwrap(Prepartition.solve(latencies: nodes.map { $0.map(\.us) }, cutBytes: sizes), model)
            // The artifact's mapping: layer name → block, in a file named by its (lb, ub).
            let dir = (root as NSString).appendingPathComponent("prepartition_mappings/\(model)")
            let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("contraction_mapping") })
            let tag = file.replacingOccurrences(of: "contraction_mapping_ilpprepart10-", with: "").replacingOccurrences(of: ".csv", with: "")
            XCTAssertEqual("\(result.lb)-\(result.ub)", tag, model)
            let rows = try String(contentsOfFile: (dir as NSString).appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
            let block = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], Int($0[1])!) })
            var theirs = 0.0
            for i in 0..<(nodes[0].count - 1) where block[nodes[0][i].node] != block[nodes[0][i + 1].node] { theirs += sizes[i] }
            let imported = try XCTUnwrap(Prepartition.artifactMapping(root: root, model: model, nodes: nodes[0].map(\.node), cutBytes: sizes))
            XCTAssertEqual(imported.bytes, theirs, model)
            XCTAssertEqual(imported.blockStarts.count, 10, model)
            XCTAssertEqual("\(imported.lb)-\(imported.ub)", tag, model)
            print("prepartition \(model): ours \(result.bytes) bytes across the cuts at (\(result.lb), \(result.ub)), the artifact's \(theirs)")
            XCTAssertLessThanOrEqual(result.bytes, theirs + 1e-6, model)
        }
    }
}

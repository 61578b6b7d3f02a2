import Foundation

/// IPIPE's pre-partitioning (the PPipe artifact's milp_solver/prepartition_ilp.py, as an open
/// MILP; docs/policies/ipipe.md): cut a model's n layers into K contiguous blocks so that the bytes
/// crossing the cuts are least, while on every GPU type each block takes between lb/K and ub/K of
/// the model's latency; where no cut satisfies the bounds, relax them along `relaxations`.
///
/// Formulation (no indicator constraints, which GLPK lacks): z[i][k] = 1 when layer i lies in one
/// of the blocks 0…k (k < K − 1). z is non-increasing along the layers and non-decreasing along
/// the blocks; layer i is in block k exactly when z[i][k] − z[i][k−1] = 1 (z[i][−1] = 0,
/// z[i][K−1] = 1). The first layer is in block 0 and the last in block K − 1; the latency bounds
/// keep the blocks between non-empty. The cut after layer i carries Σ_k (z[i][k] − z[i+1][k]),
/// which is 1 at a block boundary and 0 elsewhere, so the bytes crossing are linear in z.
public enum Prepartition {
    /// The artifact's schedule of (lb, ub), tried in order.
    public static let relaxations: [(lb: Double, ub: Double)] = [
        (0.7, 1.3), (0.5, 1.5), (0.5, 2.0), (0.5, 2.5), (0.5, 3.0), (0.5, 3.5), (0.5, 4.0), (0.4, 4.0),
    ]

    public struct Result: Sendable, Equatable {
        /// The first layer of each block (the first is 0).
        public var blockStarts: [Int]
        /// Bytes crossing the K − 1 cuts.
        public var bytes: Double
        public var lb: Double
        public var ub: Double
    }

    /// `latencies[g][i]`: layer i's latency on GPU type g; `cutBytes[i]`: bytes from layer i to
    /// layer i + 1 (n − 1 of them). Nil if no relaxation admits a partition.
    public static func solve(latencies: [[Double]], cutBytes: [Double], blocks: Int = 10) -> Result? {
        for r in relaxations {
            if let result = solve(latencies: latencies, cutBytes: cutBytes, blocks: blocks, lb: r.lb, ub: r.ub) { return result }
        }
        return nil
    }

    public static func solve(latencies: [[Double]], cutBytes: [Double], blocks requested: Int, lb: Double, ub: Double) -> Result? {
        let n = cutBytes.count + 1
        // No more blocks than layers: then every layer is a block of its own.
        if n <= requested { return Result(blockStarts: Array(0..<n), bytes: cutBytes.reduce(0, +), lb: lb, ub: ub) }
        let k = requested
        guard k > 1 else { return Result(blockStarts: [0], bytes: 0, lb: lb, ub: ub) }
        var p = LinearProgram()
        // z[i][c] for c in 0..<k-1.
        var z: [[Int]] = []
        for _ in 0..<n { z.append((0..<(k - 1)).map { _ in p.add(.binary) }) }
        for i in 0..<n {
            for c in 0..<(k - 1) {
                if i + 1 < n { p.constrain([(z[i][c], 1), (z[i + 1][c], -1)], lower: 0) }
                if c + 1 < k - 1 { p.constrain([(z[i][c + 1], 1), (z[i][c], -1)], lower: 0) }
            }
        }
        p.constrain([(z[0][0], 1)], lower: 1, upper: 1)
        p.constrain([(z[n - 1][k - 2], 1)], lower: 0, upper: 0)
        // Every block has a layer (the latency bounds would say so too, unless latencies are 0).
        for c in 1..<(k - 1) {
            p.constrain((0..<n).flatMap { i in [(z[i][c], 1.0), (z[i][c - 1], -1.0)] }, lower: 1)
        }
        // Block c's share of the model's latency on each GPU type.
        do {
            for row in latencies {
                let total = row.reduce(0, +)
                guard total > 0 else { continue }
                for c in 0..<k {
                    var terms: [(Int, Double)] = []
                    for i in 0..<n {
                        let share = row[i] / total
                        if c < k - 1 { terms.append((z[i][c], share)) }
                        if c > 0 { terms.append((z[i][c - 1], -share)) }
                    }
                    // The last block is what the others leave: Σ share − Σ_i share·z[i][k−2].
                    let constant = c == k - 1 ? 1.0 : 0
                    p.constrain(terms, lower: lb / Double(k) - constant, upper: ub / Double(k) - constant)
                }
            }
        }
        // Bytes crossing: Σ_i bytes_i Σ_c (z[i][c] − z[i+1][c]).
        for i in 0..<(n - 1) {
            for c in 0..<(k - 1) {
                p.variables[z[i][c]].objective += cutBytes[i]
                p.variables[z[i + 1][c]].objective -= cutBytes[i]
            }
        }
        let solution = GLPKSolver.solve(p)
        guard solution.status == .optimal else { return nil }
        var starts = [0]
        for c in 0..<(k - 1) {
            // Block c + 1 starts at the first layer no longer in blocks 0…c.
            let first = (0..<n).first { solution.values[z[$0][c]] < 0.5 } ?? n
            starts.append(first)
        }
        let bytes = starts.dropFirst().map { cutBytes[$0 - 1] }.reduce(0, +)
        return Result(blockStarts: starts, bytes: bytes, lb: lb, ub: ub)
    }
}

extension Prepartition {
    /// The artifact's own pre-partition of `model` (prepartition_mappings/<model>/
    /// contraction_mapping_ilpprepart10-<lb>-<ub>.csv: node name, block), as block starts over
    /// `nodes` (the model's nodes in order), for models too large to pre-partition here. Nil if
    /// the artifact has no mapping for it, or its nodes are not `nodes`.
    public static func artifactMapping(root: String, model: String, nodes: [String], cutBytes: [Double]) -> Result? {
        let dir = (root as NSString).appendingPathComponent("prepartition_mappings/\(model)")
        let prefix = "contraction_mapping_ilpprepart10-"
        guard let file = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted().first(where: { $0.hasPrefix(prefix) }),
              let text = try? String(contentsOfFile: (dir as NSString).appendingPathComponent(file), encoding: .utf8) else { return nil }
        let bounds = file.dropFirst(prefix.count).replacingOccurrences(of: ".csv", with: "").split(separator: "-").compactMap { Double($0) }
        guard bounds.count == 2 else { return nil }
        var block: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let cells = line.split(separator: ",")
            guard cells.count == 2, let b = Int(cells[1].trimmingCharacters(in: .whitespaces)) else { return nil }
            block[String(cells[0])] = b
        }
        guard nodes.count == cutBytes.count + 1, nodes.allSatisfy({ block[$0] != nil }) else { return nil }
        var starts = [0], bytes = 0.0
        for i in 1..<nodes.count where block[nodes[i]] != block[nodes[i - 1]] {
            starts.append(i)
            bytes += cutBytes[i - 1]
        }
        return Result(blockStarts: starts, bytes: bytes, lb: bounds[0], ub: bounds[1])
    }
}

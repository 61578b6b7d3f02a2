import Foundation
import JSONConfig

/// Reads the PPipe artifact's measured block latencies, cut sizes and reference plans (as laid
/// out in ../shared/reference-data/ppipe) into the planner's types. Nothing here is bundled: the
/// data stays where it is and is read where a user points.
public enum PPipeReference {
    /// The relaxation tags of a model's pre-partition, tightest first (the artifact's order).
    static let tags = ["1.0-1.0", "0.7-1.3", "0.5-1.5", "0.5-2.0", "0.5-2.5", "0.5-3.0", "0.5-3.5", "0.5-4.0", "0.4-4.0"]

    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A model's blocks on `types` (block-timing-tf32, one file per type and MPS level, a row per
    /// block, a column per batch size, microseconds) and its cut sizes (the tightest
    /// pre-partition's `contraction_trans-size`, bytes).
    public static func model(_ name: String, types: [PoolGPUType], root: String, slo: Double, weight: Double,
                             estimatedThroughput: Double?) throws -> PipelineModel {
        var latency: [[[[Double]]]] = []
        var blocks: Int?
        for t in types {
            var levels: [[[Double]]] = []
            for m in 1...t.mpsLevels {
                let path = "\(root)/models/block-timing-tf32/\(name)-\(t.name)-\(m).csv"
                let rows = try numbers(path)
                guard !rows.isEmpty, rows.allSatisfy({ $0.count == rows[0].count }) else {
                    throw ReadError(description: "\(path): expected a row per block with a column per batch size")
                }
                if let b = blocks, b != rows.count { throw ReadError(description: "\(path): \(rows.count) blocks, other files have \(b)") }
                blocks = rows.count
                // Stored by block; the planner reads by batch size.
                levels.append((0..<rows[0].count).map { bs in rows.map { $0[bs] } })
            }
            latency.append(levels)
        }
        let dir = "\(root)/prepartition_mappings/\(name)"
        guard let tag = tags.first(where: { FileManager.default.fileExists(atPath: "\(dir)/contraction_trans-size_ilpprepart10-\($0).csv") }) else {
            throw ReadError(description: "\(dir): no contraction_trans-size file")
        }
        let cuts = try numbers("\(dir)/contraction_trans-size_ilpprepart10-\(tag).csv").map { $0[0] }
        guard let b = blocks, cuts.count >= b - 1 else { throw ReadError(description: "\(dir): fewer cut sizes than cuts") }
        return PipelineModel(name: name, latency: latency, cutBytes: Array(cuts.prefix(b - 1)), slo: slo, weight: weight,
                             estimatedThroughput: estimatedThroughput)
    }

    /// What a reference plan file (plans/maf19/*.json) says of each model: its objective, the
    /// throughput estimate, the reserve, and the planned throughput.
    public struct PlannedModel: Sendable {
        public var name: String
        public var slo: Double
        public var estimatedThroughput: Double?
        public var reserve: Double
        public var throughput: Double
    }

    public static func plan(_ path: String) throws -> [PlannedModel] {
        try plannedModels(readJSON(path), path: path)
    }

    static func plannedModels(_ json: JSONValue, path: String) throws -> [PlannedModel] {
        guard case .array(let models) = json.kind else { throw ReadError(description: "\(path): expected an array of models") }
        return try models.map { m in
            guard case .object(let o) = m.kind, case .object(let cfg)? = o["config"]?.kind, case .string(let name)? = cfg["dnn_name"]?.kind,
                  let slo = number(o["sla"]), let throughput = number(o["xput"]) else {
                throw ReadError(description: "\(path):\(m.position): a model without config.dnn_name, sla or xput")
            }
            return PlannedModel(name: name, slo: slo, estimatedThroughput: number(cfg["est_xput"]),
                                reserve: number(cfg["hist_adjustment"]) ?? 0, throughput: throughput)
        }
    }

    static func readJSON(_ path: String) throws -> JSONValue {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ReadError(description: "\(path): cannot be read") }
        do { return try JSONParser.parse(text) } catch { throw ReadError(description: "\(path):\(error)") }
    }

    static func number(_ v: JSONValue?) -> Double? {
        if case .number(let x)? = v?.kind { return x.double } else { return nil }
    }

    /// One reference plan file with everything needed to plan the same instance: the cluster
    /// (types, servers, MPS levels and NIC from the file's config; GPU counts and weights from
    /// its name, `…_0.3-0.33-0.37_L4-T4_25-75_bw-gbps-10_…`), the models, and the planned
    /// objective, min over models of planned throughput / weight.
    public struct Instance: Sendable {
        public var file: String
        public var cluster: [PoolGPUType]
        public var options: PlannerOptions
        public var models: [PipelineModel]
        public var artifactThroughput: [Double]
        public var artifactObjective: Double
    }

    public static func instance(_ path: String, root: String, nodeLimit: Int?) throws -> Instance {
        let file = (path as NSString).lastPathComponent
        let fields = file.split(separator: "_").map(String.init)
        guard let w = fields.firstIndex(where: { $0.split(separator: "-").count == 3 && $0.split(separator: "-").allSatisfy { Double($0) != nil } }),
              w + 2 < fields.count else {
            throw ReadError(description: "\(file): expected …_<weights>_<types>_<counts>_… in the name")
        }
        let weights = fields[w].split(separator: "-").map { Double($0)! }
        let counts = fields[w + 2].split(separator: "-").compactMap { Int($0) }
        let json = try readJSON(path)
        guard case .array(let entries) = json.kind, case .object(let first)? = entries.first?.kind, case .object(let cfg)? = first["config"]?.kind else {
            throw ReadError(description: "\(path): expected an array of models with their config")
        }
        func numbers(_ key: String) -> [Double] {
            guard case .array(let a)? = cfg[key]?.kind else { return [] }
            return a.compactMap { number($0) }
        }
        func strings(_ key: String) -> [String] {
            guard case .array(let a)? = cfg[key]?.kind else { return [] }
            return a.compactMap { if case .string(let x) = $0.kind { return x } else { return nil } }
        }
        let names = strings("gpu_name_arr"), mps = numbers("num_mps_levels"), perServer = numbers("num_gpu_per_server_arr")
        guard names.count == counts.count, mps.count == names.count, perServer.count == names.count,
              case .number(let bw)? = cfg["bw_gbps"]?.kind, case .number(let parts)? = cfg["max_num_parts"]?.kind else {
            throw ReadError(description: "\(path): gpu_name_arr, num_mps_levels, num_gpu_per_server_arr, bw_gbps or max_num_parts missing")
        }
        let cluster = names.indices.map { PoolGPUType(name: names[$0], count: counts[$0], gpusPerServer: Int(perServer[$0]), mpsLevels: Int(mps[$0])) }
        let planned = try plannedModels(json, path: path)
        guard planned.count == weights.count else { throw ReadError(description: "\(file): \(planned.count) models, \(weights.count) weights") }
        let models = try zip(planned, weights).map { r, w in
            try model(r.name, types: cluster, root: root, slo: r.slo, weight: w, estimatedThroughput: r.estimatedThroughput)
        }
        // The reserve is a share of the objective in every reference plan (hist_adjustment = 0.4 · sla).
        let reserve = planned[0].reserve / planned[0].slo
        return Instance(file: file, cluster: cluster,
                        options: PlannerOptions(maxStages: Int(parts.double), nicGbps: bw.double, sloReserve: (reserve * 1000).rounded() / 1000,
                                                nodeLimit: nodeLimit),
                        models: models, artifactThroughput: planned.map(\.throughput),
                        artifactObjective: zip(planned, weights).map { $0.throughput / $1 }.min()!)
    }

    static func numbers(_ path: String) throws -> [[Double]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ReadError(description: "\(path): cannot be read") }
        var rows: [[Double]] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.isEmpty {
            var row: [Double] = []
            for field in line.split(separator: ",") {
                guard let x = Double(field.trimmingCharacters(in: .whitespaces)) else {
                    throw ReadError(description: "\(path):\(i + 1): expected numbers, found \"\(field)\"")
                }
                row.append(x)
            }
            rows.append(row)
        }
        return rows
    }
}

extension PPipeReference {
    /// The pipelines a reference plan file chose for each of its models, in the planner's types:
    /// each partition's blocks, GPU type, MPS level (`mps` + 1) and instances (`num_gpu` ×
    /// level, rounded, as the artifact's simulator lays them out).
    public static func pipelines(_ path: String, instance: Instance) throws -> [[PlannedPipeline]] {
        guard case .array(let entries) = try readJSON(path).kind, entries.count == instance.models.count else {
            throw ReadError(description: "\(path): expected an array of \(instance.models.count) models")
        }
        return try entries.enumerated().map { d, entry in
            guard case .object(let o) = entry.kind, case .array(let pipelines)? = o["pipelines"]?.kind else {
                throw ReadError(description: "\(path):\(entry.position): a model without pipelines")
            }
            return try pipelines.map { p in
                guard case .object(let po) = p.kind, case .array(let parts)? = po["partitions"]?.kind, let throughput = number(po["xput"]) else {
                    throw ReadError(description: "\(path):\(p.position): a pipeline without partitions or xput")
                }
                var batch = 0
                let stages = try parts.map { part -> PlannedStage in
                    guard case .object(let q) = part.kind, case .string(let gpu)? = q["gpu"]?.kind,
                          let type = instance.cluster.firstIndex(where: { $0.name == gpu }),
                          case .array(let layers)? = q["layers"]?.kind, layers.count == 2,
                          let first = number(layers[0]), let end = number(layers[1]),
                          let mps = number(q["mps"]), let bs = number(q["bs"]), let gpus = number(q["num_gpu"]) else {
                        throw ReadError(description: "\(path):\(part.position): a partition without a known gpu, layers, mps, bs or num_gpu")
                    }
                    let model = instance.models[d], level = Int(mps) + 1
                    guard Int(first) >= 0, Int(first) < Int(end), Int(end) <= model.blocks, level <= instance.cluster[type].mpsLevels,
                          Int(bs) >= 1, Int(bs) <= model.latency[type][level - 1].count else {
                        throw ReadError(description: "\(path):\(part.position): layers, mps or bs outside the model's profile")
                    }
                    batch = Int(bs)
                    let choice = PoolPlanner.stage(model, cluster: instance.cluster, options: instance.options, type: type, mps: level,
                                                   batch: Int(bs), first: Int(first), end: Int(end))
                    return PlannedStage(choice: choice, instances: Int((gpus * Double(level)).rounded()))
                }
                return PlannedPipeline(batch: batch, stages: stages, throughput: throughput, latency: 0)
            }
        }
    }
}

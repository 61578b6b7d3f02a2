import EdgeWorld
import Foundation
import JSONConfig
import ResultsStore
import Scenario

/// One run of a sweep or capacity search: a point's overrides with one replication's seed.
public struct Job: Sendable {
    public var point: Int
    public var replication: Int
    public var seed: UInt64
    public var overrides: [Override]
    public var label: String
    /// `Scenario.digest` of the effective scenario with this seed: how a resume recognises it.
    public var digest: String
}

/// A point of a sweep: the overrides that define it and a label for tables.
public struct Point: Sendable {
    public var label: String
    public var overrides: [Override]

    public init(label: String, overrides: [Override]) {
        self.label = label
        self.overrides = overrides
    }
}

/// Everything a sweep will run, checked before the first run starts: each point's scenario is
/// read with its overrides exactly as its worker will read it, so a bad value fails the sweep
/// with one line and exit 2 instead of failing half of its runs.
public struct Plan: Sendable {
    public var name: String
    /// The base scenario, as a path the workers can open (relative to the working directory).
    public var scenarioPath: String
    public var baseSeed: UInt64
    public var replications: Int
    public var points: [Point]
    public var metrics: [SummaryMetric]
    public var jobs: [Job]

    /// The metrics a sweep reports when its file names none.
    public static let defaultMetrics = ["deadline_miss_rate", "attainment", "latency_mean_ms", "latency_p99_ms",
                                        "throughput_rps", "gpu_utilization"]

    /// Replication r runs with seed base + r (mod 2^63), so `arsim run X.json --seed <base + r>`
    /// reproduces it alone. Neighbouring seeds give independent streams: every stream's state
    /// is expanded from (seed, name) through SplitMix64 (SimKernel.RandomStream).
    public static func seed(base: UInt64, replication r: Int) -> UInt64 {
        (base &+ UInt64(r)) & UInt64(Int64.max)
    }

    /// Why replications of `base` cannot run: replication r runs with seed base + r, which must
    /// stay a seed `arsim run --seed` takes (at most 2^63-1), rather than wrap.
    public static func seedRefusal(base: UInt64, replications: Int) -> String? {
        guard UInt64(Int64.max) - min(base, UInt64(Int64.max)) < UInt64(max(replications - 1, 0)) else { return nil }
        return "replication \(replications - 1) would run with seed \(base) + \(replications - 1), past 2^63-1; use a smaller seed"
    }

    /// Builds the jobs of `points` × `replications`, reading the scenario once per point.
    public init(name: String, scenarioPath: String, baseSeed: UInt64?, replications: Int, points: [Point],
                metrics: [SummaryMetric]) throws(ConfigError) {
        self.name = name
        self.scenarioPath = scenarioPath
        self.replications = replications
        self.points = points
        self.metrics = metrics
        var jobs: [Job] = []
        var base = baseSeed
        for (p, point) in points.enumerated() {
            if base == nil { base = try Scenario.load(path: scenarioPath, overrides: point.overrides).spec.seed }
            if let why = Self.seedRefusal(base: base!, replications: replications) {
                throw ConfigError(file: scenarioPath, position: nil, path: "seed", message: why)
            }
            for r in 0..<replications {
                // Read once per replication, exactly as its worker will (`arsim run --seed`).
                let seed = Self.seed(base: base!, replication: r)
                let scenario = try Scenario.load(path: scenarioPath, overrides: point.overrides, seed: seed)
                if r == 0 { for m in metrics { try m.check(against: scenario.spec, origin: "metrics (point \(p): \(point.label))") } }
                jobs.append(Job(point: p, replication: r, seed: seed, overrides: point.overrides,
                                label: point.label, digest: scenario.digest))
            }
        }
        self.baseSeed = base ?? 1
        self.jobs = jobs
    }

    /// The plan as the `sweeps` table keeps it: enough to recompute the per-point rows from the
    /// runs alone (after a merge), and a digest that changes when any run would.
    public func specJSON(kind: SweepRecord.Kind, extra: [(String, JSONOutput)] = []) -> String {
        var members: [(String, JSONOutput)] = [
            ("kind", .string(kind.rawValue)), ("name", .string(name)), ("scenario", .string(scenarioPath)),
            ("seed", .string(String(baseSeed))), ("replications", .int(replications)),
            ("metrics", .array(metrics.map { .string($0.description) })),
        ]
        members += extra
        members.append(("points", .array(points.enumerated().map { p, point in
            .object([("label", .string(point.label)),
                     ("set", .array(point.overrides.map { .string($0.assignment) })),
                     ("runs", .array(jobs.filter { $0.point == p }.map { .string($0.digest) }))])
        })))
        return JSONOutput.object(members).text()
    }

    /// Jobs of shard `index` (1-based) of `count`: every count-th job, so each shard gets a share
    /// of every point.
    public func shard(_ index: Int, of count: Int) -> [Job] {
        jobs.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// The stored form of a plan, read back to recompute `sweep_points` (after a resume or merge).
public struct StoredPlan: Sendable {
    public var metrics: [SummaryMetric]
    public var points: [(label: String, overrides: String, digests: [String])]

    public init(specJSON: String) throws(ConfigError) {
        let root = try ConfigNode.parse(specJSON, file: "sweeps.spec_json")
        let o = try root.object(keys: ["kind", "name", "scenario", "seed", "replications", "metrics", "points",
                                       "vary", "slo", "between", "all", "step_down", "tolerance", "set",
                                       "scenario_digest", "verify"])
        metrics = try o.required("metrics").array().map { n throws(ConfigError) in
            try SummaryMetric(parsing: n.string(), origin: "sweeps.spec_json")
        }
        points = try o.required("points").array().map { n throws(ConfigError) in
            let p = try n.object(keys: ["label", "set", "runs"])
            let set = try p.required("set").array().map { n throws(ConfigError) in try n.string() }
            return (try p.required("label").string(),
                    JSONOutput.array(set.map { .string($0) }).compactText(),
                    try p.required("runs").array().map { n throws(ConfigError) in try n.string() })
        }
    }
}

/// Per point and metric: mean and 95 % interval over the completed replications found in the
/// database (by digest, so runs from an earlier, resumed or merged execution count once).
public func aggregate(_ plan: StoredPlan, store: ResultsStore) throws -> [SweepPointRow] {
    var rows: [SweepPointRow] = []
    for (p, point) in plan.points.enumerated() {
        var runs: [Int64] = []
        for digest in point.digests {
            if let run = try store.completedRun(digest: digest) { runs.append(run) }
        }
        for metric in plan.metrics {
            var values: [Double] = []
            for run in runs { if let v = try store.value(of: metric, run: run) { values.append(v) } }
            let e = Estimate(values)
            rows.append(SweepPointRow(point: p, label: point.label, overrides: point.overrides, metric: metric.description,
                                      n: values.count, mean: e?.mean, stddev: e?.stddev, ciLow: e?.low, ciHigh: e?.high))
        }
    }
    return rows
}

extension SummaryMetric {
    /// Checks that the named row can exist in this world (a server, site, group, model or task
    /// of that name), before any run: a typo fails the sweep with "did you mean", not after it.
    public func check(against spec: WorldSpec, origin: String) throws(ConfigError) {
        guard scope != "run", let name else { return }
        let names: [String]
        switch scope {
        case "site": names = spec.sites.map(\.name)
        case "server": names = spec.servers.map(\.name)
        case "client_group": names = spec.clientGroups
        case "model": names = spec.models.map(\.name)
        default: names = spec.clients.flatMap { $0.tasks.map(\.name) }
        }
        if !names.contains(name) {
            var unique: [String] = []
            for n in names where !unique.contains(n) { unique.append(n) }
            throw ConfigError(file: origin, position: nil, path: "",
                              message: "\(self): " + Suggestion.unknownName(name, kind: scope, valid: unique))
        }
    }
}

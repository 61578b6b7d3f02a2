import Foundation
import IPIPE
import JSONConfig
import ResultsStore
import Runner
import Scenario

/// A regression scenario (Workloads/regression/*.json): a scenario, optional overrides and
/// seed, the metrics whose values must not move, and files it needs that a fresh clone may lack.
/// Instead of a world scenario, a spec may name an IPIPE pool scenario (`pool`), whose figures
/// (`PoolScenario.figureNames`) it checks.
public struct RegressionSpec: Sendable {
    public static let keys = ["description", "scenario", "pool", "set", "seed", "metrics", "requires"]

    public var name: String
    public var file: String
    public var scenarioPath: String
    public var overrides: [Override]
    public var seed: UInt64?
    public var metrics: [SummaryMetric]
    /// Files the scenario reads that a fresh clone may not have (../shared data); absent, the
    /// spec is skipped with a message.
    public var requires: [String]
    /// A pool scenario (IPIPE) in place of `scenarioPath`, and the figures checked.
    public var pool: String?
    public var poolFigures: [String] = []

    /// What each checked value is called in the baseline.
    public var metricNames: [String] { pool == nil ? metrics.map(\.description) : poolFigures }

    public static func load(path: String) throws(ConfigError) -> RegressionSpec {
        let o = try InputFile.json(path, what: "the regression spec").object(keys: keys)
        func resolve(_ p: String) -> String { InputFile.resolve(p, relativeTo: path) }
        _ = try o.optional("description")?.string()
        if let poolNode = o.optional("pool") {
            return try loadPool(o, node: poolNode, path: path)
        }
        let scenario = resolve(try o.required("scenario").string())
        let overrides = try o.optional("set").map { n throws(ConfigError) in try SweepFile.overrides(n) } ?? []
        var seed: UInt64?
        if let n = o.optional("seed") { seed = try n.uint64() & UInt64(Int64.max) }
        let metricNodes = try o.required("metrics").array()
        if metricNodes.isEmpty { throw try o.required("metrics").error("expected at least one metric") }
        let metrics = try metricNodes.map { n throws(ConfigError) in
            let text = try n.string()
            do throws(ConfigError) { return try SummaryMetric(parsing: text, origin: path) } catch { throw n.error(error.message) }
        }
        let requires = try o.optional("requires")?.array().map { n throws(ConfigError) in resolve(try n.string()) } ?? []
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return RegressionSpec(name: name, file: path, scenarioPath: scenario, overrides: overrides, seed: seed,
                              metrics: metrics, requires: requires)
    }

    static func loadPool(_ o: ConfigObject, node: ConfigNode, path: String) throws(ConfigError) -> RegressionSpec {
        for key in ["scenario", "set", "seed"] where o.has(key) {
            throw o.error("\"\(key)\" belongs to a world scenario; a spec with \"pool\" takes the pool scenario's own settings")
        }
        let poolPath = InputFile.resolve(try node.string(), relativeTo: path)
        let pool = try PoolScenario.load(path: poolPath)
        let valid = pool.figureNames
        let metricNodes = try o.required("metrics").array()
        if metricNodes.isEmpty { throw try o.required("metrics").error("expected at least one figure") }
        let figures = try metricNodes.map { n throws(ConfigError) -> String in
            let f = try n.string()
            guard valid.contains(f) else { throw n.error(Suggestion.unknownName(f, kind: "pool figure", valid: valid)) }
            return f
        }
        let requires = try o.optional("requires")?.array().map { n throws(ConfigError) in InputFile.resolve(try n.string(), relativeTo: path) } ?? []
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return RegressionSpec(name: name, file: path, scenarioPath: poolPath, overrides: [], seed: nil, metrics: [], requires: requires,
                              pool: poolPath, poolFigures: figures)
    }

    /// The spec files of a folder, by name.
    public static func files(in folder: String) throws(ConfigError) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw ConfigError(file: folder, position: nil, path: "", message: "no such folder")
        }
        if !isDir.boolValue { return [folder] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Runs the scenario in this process at summary detail (the metrics come from the summary)
    /// and returns each metric's value, in spec order.
    public func measure() throws -> [Double?] {
        if let pool {
            let scenario = try PoolScenario.load(path: pool)
            let report = try scenario.run()
            return poolFigures.map { report.figure($0, types: scenario.gpus.map(\.type)) }
        }
        var scenario = try Scenario.load(path: scenarioPath, overrides: overrides, seed: seed)
        for m in metrics { try m.check(against: scenario.spec, origin: file) }
        scenario.spec.detail = .summary
        let store = try ResultsStore(path: ":memory:")
        let outcome = try Runner(scenario: scenario).run(store: store)
        guard let run = outcome.runID else { return [] }
        return try metrics.map { try store.value(of: $0, run: run) }
    }
}

/// The values a regression spec is expected to give (Results/baselines/<name>.json), with the
/// reason and arsim version of the last blessing and a history of earlier ones.
public struct Baseline: Sendable {
    public var name: String
    public var values: [(metric: String, value: Double?)]
    public var arsimVersion: String
    public var reason: String
    public var history: [(version: String, reason: String)]

    public init(name: String, values: [(metric: String, value: Double?)], arsimVersion: String, reason: String,
                history: [(version: String, reason: String)]) {
        self.name = name
        self.values = values
        self.arsimVersion = arsimVersion
        self.reason = reason
        self.history = history
    }

    public static func load(path: String) throws(ConfigError) -> Baseline {
        let o = try InputFile.json(path, what: "the baseline").object(keys: ["name", "arsim_version", "reason", "metrics", "history"])
        let values = try o.required("metrics").map().map { m throws(ConfigError) -> (String, Double?) in
            (m.key, m.node.isNull ? nil : try m.node.double())
        }
        var history: [(version: String, reason: String)] = []
        for n in try o.optional("history")?.array() ?? [] {
            let h = try n.object(keys: ["arsim_version", "reason"])
            history.append((try h.required("arsim_version").string(), try h.required("reason").string()))
        }
        return Baseline(name: try o.required("name").string(), values: values,
                        arsimVersion: try o.required("arsim_version").string(), reason: try o.required("reason").string(),
                        history: history)
    }

    /// Values are written as the shortest decimal that reads back as the same double, so the
    /// comparison after reading is exact.
    public var text: String {
        JSONOutput.object([
            ("name", .string(name)), ("arsim_version", .string(arsimVersion)), ("reason", .string(reason)),
            ("metrics", .object(values.map { ($0.metric, $0.value.map { .double($0) } ?? .null) })),
            ("history", .array(history.map { .object([("arsim_version", .string($0.version)), ("reason", .string($0.reason))]) })),
        ]).text()
    }
}

import Foundation
import JSONConfig
import ResultsStore

/// A sweep file (docs/workbench.md): a base scenario, overrides common to every point, a grid
/// and/or a list of points, replications and the metrics to report.
///
///     {"name": "t4-fifo-vs-dynamic", "scenario": "t4.json", "replications": 3,
///      "grid": {"clients[0].count": [10, 20, 30]},
///      "points": [{"label": "fifo", "set": {"servers[0].policy": "fifo"}},
///                 {"label": "dynamic", "set": {"servers[0].policy": {"name": "dynamic_batch", "max_batch": 8}}}]}
///
/// With both, every listed point is combined with every grid point (the list varies slowest).
public struct SweepFile: Sendable {
    public static let keys = ["name", "description", "scenario", "seed", "replications", "set", "grid", "points", "metrics"]
    public static let pointKeys = ["label", "set"]

    public var name: String
    public var scenarioPath: String
    public var seed: UInt64?
    public var replications: Int
    public var points: [Point]
    public var metrics: [SummaryMetric]

    public static func load(path: String) throws(ConfigError) -> SweepFile {
        let root = try InputFile.json(path, what: "the sweep file")
        let o = try root.object(keys: keys)
        let name = try o.required("name").name()
        _ = try o.optional("description")?.string()
        let scenarioNode = try o.required("scenario")
        let scenario = InputFile.resolve(try scenarioNode.string(), relativeTo: path)
        guard FileManager.default.fileExists(atPath: scenario) else { throw scenarioNode.error("no scenario file at \(scenario)") }
        var seed: UInt64?
        if let n = o.optional("seed") {
            seed = try n.uint64()
            if seed! > UInt64(Int64.max) { throw n.error("must be at most 2^63-1") }
        }
        let replications = try o.optional("replications")?.positiveInt() ?? 1
        if replications > 10_000, let n = o.optional("replications") { throw n.error("at most 10000 replications, got \(replications)") }
        let common = try o.optional("set").map { n throws(ConfigError) in try overrides(n) } ?? []

        var gridPoints: [Point] = [Point(label: "", overrides: [])]
        if let g = o.optional("grid") {
            let axes = try g.map()
            if axes.isEmpty { throw g.error("expected at least one path with a list of values") }
            // Counted before any point is built: a grid of 10^9 points must not be expanded to be refused.
            var product = 1
            for axis in axes {
                product *= max(try axis.node.array().count, 1)   // at most 100,000 × a list's length: no overflow
                if product > 100_000 { throw g.error("the grid has more than 100000 points") }
            }
            for axis in axes {
                let values = try axis.node.array()
                if values.isEmpty { throw axis.node.error("expected at least one value") }
                var next: [Point] = []
                for point in gridPoints {
                    for v in values {
                        let override = try located(Override(path: axis.key, value: v.value, origin: where_(v, axis.key)), at: v)
                        let text = override.assignment
                        next.append(Point(label: point.label.isEmpty ? text : point.label + " " + text,
                                          overrides: point.overrides + [override]))
                    }
                }
                gridPoints = next
            }
        }
        var listed: [Point] = [Point(label: "", overrides: [])]
        if let l = o.optional("points") {
            let items = try l.array()
            if items.isEmpty { throw l.error("expected at least one point") }
            listed = try items.enumerated().map { i, n throws(ConfigError) in
                let p = try n.object(keys: pointKeys)
                let set = try p.optional("set").map { n throws(ConfigError) in try overrides(n) } ?? []
                let label = try p.optional("label").map { n throws(ConfigError) in try n.name(allowingEmpty: true) }
                    ?? set.map(\.assignment).joined(separator: " ")
                return Point(label: label.isEmpty ? "point \(i)" : label, overrides: set)
            }
        }
        // Every run is planned (its scenario read, about a millisecond) before the first starts.
        if listed.count * gridPoints.count * replications > 100_000 {
            throw (o.optional("replications") ?? o.node).error(
                "\(listed.count * gridPoints.count) points x \(replications) replications make more than 100000 runs; use fewer points or replications")
        }
        var points: [Point] = []
        for l in listed {
            for g in gridPoints {
                let label = [l.label, g.label].filter { !$0.isEmpty }.joined(separator: " ")
                points.append(Point(label: label.isEmpty ? "base" : label, overrides: common + l.overrides + g.overrides))
            }
        }
        var metrics: [SummaryMetric] = []
        if let list = o.optional("metrics") {
            for n in try list.array() {
                let text = try n.string()
                do throws(ConfigError) { metrics.append(try SummaryMetric(parsing: text, origin: path)) } catch {
                    throw n.error(error.message)
                }
            }
            if metrics.isEmpty { throw list.error("expected at least one metric") }
        } else {
            for text in Plan.defaultMetrics { metrics.append(try SummaryMetric(parsing: text, origin: path)) }
        }
        return SweepFile(name: name, scenarioPath: scenario, seed: seed, replications: replications, points: points,
                         metrics: metrics)
    }

    /// An object of `path: value` overrides, in document order.
    static func overrides(_ node: ConfigNode) throws(ConfigError) -> [Override] {
        try node.map().map { m throws(ConfigError) in
            try located(Override(path: m.key, value: m.node.value, origin: where_(m.node, m.key)), at: m.node)
        }
    }

    /// "sweep.json:7:30 (clients[0].count=abc)": where a sweep file sets a value, for errors that
    /// the scenario reader finds in it.
    static func where_(_ node: ConfigNode, _ path: String) -> String {
        "\(node.file):\(node.value.position) (\(path)=\(node.value.compactText()))"
    }

    /// A bad override path inside a sweep file is reported at its place in the file.
    static func located(_ make: @autoclosure () throws(ConfigError) -> Override, at node: ConfigNode) throws(ConfigError) -> Override {
        do { return try make() } catch { throw node.error(error.message) }
    }
}

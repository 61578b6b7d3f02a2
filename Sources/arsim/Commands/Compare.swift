import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs, or a sweep's points, side by side in the terminal, with the change against the first.",
        discussion: """
            Reads the runs' summaries (read-only) and prints one row per metric and one column per \
            run, each value with its change against the first run named. Metrics are summary columns \
            with an optional scope, as in SLOs and sweeps (docs/workbench.md), plus attainment, \
            accuracy_min_client and sessions_rejected.

              arsim compare --db Results/deeprt-cameras.sqlite --runs 1,4-6
              arsim compare --db r.sqlite --runs 2,3 --metric 'latency_p99_ms@server=edge' --metric accuracy_mean

            With --sweep ID instead of --runs, one column per point of the sweep (its label), each \
            cell its mean over the replications ± the half-width of its 95 % interval, and the \
            change of the mean against the first point; the metrics are those the sweep recorded.
            """)

    @Option(help: "The results database.")
    var db: String

    @Option(help: ArgumentHelp("The runs to compare, as in `arsim runs`: a list of ids and ranges.", valueName: "1,3-5"))
    var runs: String?

    @Option(help: "A sweep whose points to compare (its id, as `arsim runs` shows in sweep:point:replication).")
    var sweep: Int64?

    @Option(name: .customLong("metric"), help: "A metric to show (repeatable; default: misses, attainment, throughput, latency, GPU use, accuracy).")
    var metrics: [String] = []

    static let defaultMetrics = ["deadline_miss_rate", "attainment", "throughput_rps", "latency_mean_ms", "latency_p99_ms",
                                 "gpu_utilization", "accuracy_mean"]

    /// "1,3-5" → [1, 3, 4, 5], or a message saying what is wrong.
    static func parseRuns(_ text: String) -> Result<[Int64], QuantityError> {
        var ids: [Int64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(ends.count), let a = Int64(ends[0]), let b = Int64(ends.last!), a >= 1, b >= a, b - a < 10_000 else {
                return .failure(QuantityError("--runs: expected run ids and ranges such as 1,3-5, got \"\(Suggestion.shorten(part))\""))
            }
            ids += Array(a...b)
        }
        return .success(ids)
    }

    func run() throws {
        if let sweep {
            guard runs == nil else { throw fail("give --runs or --sweep, not both", code: 2) }
            return try compareSweep(sweep)
        }
        guard let runs else { throw fail("give --runs (run ids, as 1,3-5) or --sweep (a sweep id)", code: 2) }
        let ids: [Int64]
        switch Self.parseRuns(runs) {
        case .success(let parsed): ids = parsed
        case .failure(let e): throw fail(e.message, code: 2)
        }
        var wanted: [SummaryMetric] = []
        let texts = metrics.isEmpty ? Self.defaultMetrics : metrics
        for i in texts.indices {
            do {
                wanted.append(try SummaryMetric(parsing: texts[i], origin: "--metric"))
            } catch {
                throw badInput(error)
            }
        }
        let store = try openForReading(db)
        let known: [RunRow]
        do { known = try store.runs() } catch { throw fail("\(db): \(error)", code: 1) }
        for id in ids where !known.contains(where: { $0.id == id }) {
            throw fail("--runs: \(db) has no run \(id) (it has \(known.count) run\(known.count == 1 ? "" : "s"); see arsim runs)", code: 2)
        }
        let rows = ids.map { id in known.first { $0.id == id }! }
        var table = TextTable(header: ["metric"] + rows.map { r in "run \(r.id)" + (r.label.map { " (\($0))" } ?? "") })
        for metric in wanted {
            var cells = [metric.description]
            var first: Double?
            for (k, r) in rows.enumerated() {
                let value: Double?
                do { value = try store.value(of: metric, run: r.id) } catch { throw fail("run \(r.id): \(error)", code: 2) }
                if k == 0 { first = value }
                var cell = Self.format(value)
                if k > 0, let v = value, let f = first, f != 0 { cell += String(format: " (%+.1f %%)", 100 * (v - f) / abs(f)) }
                cells.append(cell)
            }
            table.rows.append(cells)
        }
        print(table.render())
    }

    func compareSweep(_ id: Int64) throws {
        let store = try openForReading(db)
        let rows: [SweepPointRow]
        do {
            guard let found = try store.sweepPoints(id) else { throw fail("--sweep: \(db) has no sweep \(id)", code: 2) }
            rows = found
        } catch let e as ExitCode { throw e } catch { throw fail("\(db): \(error)", code: 1) }
        var points: [(point: Int, label: String)] = []
        var metricOrder: [String] = []
        for r in rows {
            if !points.contains(where: { $0.point == r.point }) { points.append((r.point, r.label.isEmpty ? "point \(r.point)" : r.label)) }
            if !metricOrder.contains(r.metric) { metricOrder.append(r.metric) }
        }
        let shown = metrics.isEmpty ? metricOrder : metrics
        for m in shown where !metricOrder.contains(m) {
            throw fail("--metric: sweep \(id) did not record \(m)" + (Suggestion.nearest(m, in: metricOrder).map { "; did you mean \"\($0)\"?" } ?? "")
                       + " (it has \(metricOrder.joined(separator: ", ")))", code: 2)
        }
        var table = TextTable(header: ["metric"] + points.map(\.label))
        for m in shown {
            var cells = [m]
            var first: Double?
            for (k, p) in points.enumerated() {
                guard let r = rows.first(where: { $0.point == p.point && $0.metric == m }), let mean = r.mean else { cells.append("-"); continue }
                if k == 0 { first = mean }
                var cell = Self.format(mean)
                if let lo = r.ciLow, let hi = r.ciHigh { cell += " ± " + Self.format((hi - lo) / 2) }
                if k > 0, let f = first, f != 0 { cell += String(format: " (%+.1f %%)", 100 * (mean - f) / abs(f)) }
                cells.append(cell)
            }
            table.rows.append(cells)
        }
        print(table.render())
    }

    /// Four significant figures, "-" where the run has no value.
    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }
}

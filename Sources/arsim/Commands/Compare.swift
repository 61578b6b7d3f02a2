import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs side by side in the terminal: each metric by run, with the change against the first.",
        discussion: """
            Reads the runs' summaries (read-only) and prints one row per metric and one column per \
            run, each value with its change against the first run named. Metrics are summary columns \
            with an optional scope, as in SLOs and sweeps (docs/workbench.md), plus attainment, \
            accuracy_min_client and sessions_rejected.

              arsim compare --db Results/deeprt-cameras.sqlite --runs 1,4-6
              arsim compare --db r.sqlite --runs 2,3 --metric 'latency_p99_ms@server=edge' --metric accuracy_mean
            """)

    @Option(help: "The results database.")
    var db: String

    @Option(help: ArgumentHelp("The runs to compare, as in `arsim runs`: a list of ids and ranges.", valueName: "1,3-5"))
    var runs: String

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
        guard FileManager.default.fileExists(atPath: db) else { throw fail("no database at \(db)", code: 2) }
        let store: ResultsStore
        do { store = try ResultsStore(readingFrom: db) } catch { throw fail("\(db): \(error)", code: 2) }
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

    /// Four significant figures, "-" where the run has no value.
    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }
}

import Foundation
import JSONConfig
import ResultsStore

/// `arsim report`: one self-contained HTML file (inline SVG, no scripts, nothing fetched) of some
/// runs, or a sweep or capacity search, drawn from the summary, bins, sweep and probe tables only,
/// so its size and build time do not grow with the number of requests (docs/reports.md).
public enum HTMLReport {
    public struct Selection: Sendable {
        public var runs: [Int64]?
        public var sweep: Int64?
        public init(runs: [Int64]?, sweep: Int64?) {
            self.runs = runs
            self.sweep = sweep
        }
    }

    public struct ReportError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Series drawn per chart at most: the rest are listed in the chart's table only.
    static let maxSeries = 12
    /// Runs shown in detail (summary by scope, charts over time, provenance, scenario).
    static let maxDetailedRuns = 20

    public static func build(store: ResultsStore, title: String, selection: Selection) throws -> String {
        var html = head(title)
        var runIDs: [Int64]
        if let sweep = selection.sweep {
            let info = try store.select("SELECT kind, name, answer, note, status FROM sweeps WHERE sweep_id = ?", [sweep])
            guard let row = info.first else { throw ReportError(description: "--sweep: no sweep with id \(sweep) in this database") }
            html += try sweepSection(store: store, sweep: sweep, row: row)
            runIDs = try store.select("SELECT run_id FROM runs WHERE sweep_id = ? ORDER BY run_id", [sweep]).compactMap { int($0[0]) }
        } else {
            runIDs = try store.select("SELECT run_id FROM runs ORDER BY run_id").compactMap { int($0[0]) }
        }
        if let wanted = selection.runs {
            let known = Set(runIDs)
            if let missing = wanted.first(where: { !known.contains($0) }) {
                throw ReportError(description: "--runs: no run with id \(missing) in this database\(selection.sweep.map { " (sweep \($0))" } ?? "")")
            }
            var seen = Set<Int64>()
            runIDs = wanted.filter { seen.insert($0).inserted }
        }
        if runIDs.isEmpty && selection.sweep == nil { throw ReportError(description: "the database holds no run") }
        html += try runsSection(store: store, runs: runIDs)
        return html + "</body></html>\n"
    }

    static func head(_ title: String) -> String {
        """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(SVGChart.escape(title))</title>
        <style>body{font-family:sans-serif;margin:24px;max-width:1400px}table{border-collapse:collapse;font-size:12px;margin:8px 0}
        td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
        .charts{display:flex;flex-wrap:wrap;gap:12px}pre{font-size:11px;background:#f8f8f8;padding:8px;overflow:auto;max-height:400px}</style>
        </head><body><h1>\(SVGChart.escape(title))</h1>
        """
    }

    static func int(_ v: SQLiteStatement.Value) -> Int64? { if case .integer(let i) = v { return i } else { return nil } }
    static func double(_ v: SQLiteStatement.Value) -> Double? {
        switch v {
        case .integer(let i): return Double(i)
        case .real(let d): return d
        default: return nil
        }
    }
    static func text(_ v: SQLiteStatement.Value) -> String {
        switch v {
        case .null: return ""
        case .integer(let i): return String(i)
        case .real(let d): return SVGChart.number(d)
        case .text(let s): return s
        }
    }

    static func table(_ header: [String], _ rows: [[String]], left: Int = 1) -> String {
        var out = "<table><tr>" + header.enumerated().map { "<th class=\"\($0.offset < left ? "l" : "")\">\(SVGChart.escape($0.element))</th>" }.joined() + "</tr>"
        for r in rows {
            out += "<tr>" + r.enumerated().map { "<td class=\"\($0.offset < left ? "l" : "")\">\(SVGChart.escape($0.element))</td>" }.joined() + "</tr>"
        }
        return out + "</table>"
    }

    // MARK: Runs

    static func runsSection(store: ResultsStore, runs: [Int64]) throws -> String {
        guard !runs.isEmpty else { return "" }
        var html = "<h2>Runs</h2>"
        var cdf: [SVGChart.Series] = [], throughput: [SVGChart.Series] = [], misses: [SVGChart.Series] = []
        var accuracy: [SVGChart.Series] = []
        var listing: [[String]] = []
        let hasBins = try store.hasTable("bins")
        // Databases written before the CDF table have only the summary's quantiles from p50.
        let hasCDF = try store.hasTable("latency_cdf")
        var partialCDF = false
        var perRun = ""
        for (k, run) in runs.enumerated() {
            // Past the first runs, only the table and the comparison charts: a report of hundreds
            // of runs stays a readable size.
            let detailed = k < maxDetailedRuns
            let r = try store.select("SELECT scenario_name, label, seed, status, detail, events_processed, wall_seconds, scenario_json, error FROM runs WHERE run_id = ?", [run])[0]
            let name = "run \(run)" + (text(r[1]).isEmpty ? "" : " (\(text(r[1])))")
            listing.append([String(run), text(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5]), text(r[6]), text(r[8])])
            let summary = try store.select("""
                SELECT scope, name, requests, completed, met_deadline, dropped, throughput_rps, latency_mean_ms, latency_p50_ms,
                       latency_p95_ms, latency_p99_ms, latency_p999_ms, latency_max_ms, deadline_miss_rate, gpu_utilization, accuracy_mean
                FROM summary WHERE run_id = ? ORDER BY rowid
                """, [run])
            // Up to p99.9: a few slow requests would squeeze the rest into the axis's first pixels.
            let kept = hasCDF ? try store.select("SELECT latency_ms, fraction FROM latency_cdf WHERE run_id = ? AND scope = 'run' AND fraction <= 0.999 ORDER BY fraction", [run]) : []
            if !kept.isEmpty {
                cdf.append(.init(name: name, points: kept.compactMap { r in double(r[0]).flatMap { x in double(r[1]).map { (x: x, y: $0) } } }))
            } else if let row = summary.first(where: { text($0[0]) == "run" }) {
                // Known quantiles only, joined by straight lines: below p50 the summary says nothing.
                let q = [(8, 0.5), (9, 0.95), (10, 0.99), (11, 0.999), (12, 1.0)].compactMap { i, p in double(row[i]).map { (x: $0, y: p) } }
                if !q.isEmpty {
                    cdf.append(.init(name: name, points: q))
                    partialCDF = true
                }
            }
            if detailed { perRun += "<h3>\(SVGChart.escape(name)): \(SVGChart.escape(text(r[0])))</h3>" }
            if detailed { perRun += table(["scope", "name", "requests", "completed", "met", "dropped", "req/s", "mean ms", "p50", "p95", "p99", "p99.9", "max",
                             "miss rate", "GPU util", "accuracy"], summary.map { $0.map(text) }, left: 2) }
            if hasBins {
                let bins = try store.select("SELECT start_ns, end_ns, scope, name, metric, value FROM bins WHERE run_id = ? ORDER BY start_ns, rowid", [run])
                let (charts, series) = binCharts(bins, run: name)
                throughput += series.throughput
                misses += series.misses
                accuracy += series.accuracy
                if detailed { perRun += "<div class=\"charts\">" + charts + "</div>" }
            }
            let sources = try store.select("SELECT server, model, gpu, precision, kind, source, fit_residual_us FROM latency_sources WHERE run_id = ? ORDER BY server, model", [run])
            if detailed && !sources.isEmpty {
                perRun += "<h4>Where the latencies come from</h4>" + table(["server", "model", "gpu", "precision", "kind", "derived error", "source", "fit residual µs"],
                                                                           sources.map { r in
                    let cells = r.map(text)
                    return Array(cells[0..<5]) + [cells[4] == "derived" ? derivedError(cells[5]) : ""] + Array(cells[5...])
                }, left: 7)
            }
            if detailed { perRun += "<details><summary>Scenario</summary><pre>" + SVGChart.escape(text(r[7])) + "</pre></details>" }
        }
        if runs.count > maxDetailedRuns {
            perRun += "<p>Details of the first \(maxDetailedRuns) of \(runs.count) runs; name runs with --runs for others.</p>"
        }
        html += table(["run", "scenario", "label", "seed", "status", "detail", "events", "wall s", "error"], listing, left: 3)
        html += "<div class=\"charts\">"
        func capped(_ title: String, _ s: [SVGChart.Series]) -> String {
            title + (s.count > maxSeries ? " (first \(maxSeries) of \(s.count))" : "")
        }
        // With some runs known only from p50 up, every run is drawn from p50 up, on one scale.
        if partialCDF { cdf = cdf.map { SVGChart.Series(name: $0.name, points: $0.points.filter { $0.y >= 0.5 }) } }
        let cdfTitle = partialCDF ? "Latency CDF (p50–max from the summary where a run has no latency_cdf rows)" : "Latency CDF of completed requests, to p99.9 (the maximum is in the tables)"
        html += SVGChart.lines(capped(cdfTitle, cdf), Array(cdf.prefix(maxSeries)), xLabel: "latency, ms",
                               yLabel: "fraction of completed requests", yRange: partialCDF ? (0.5, 1) : (0, 1))
        if !throughput.isEmpty {
            html += SVGChart.lines(capped("Requests completed per second", throughput), Array(throughput.prefix(maxSeries)), xLabel: "time, s", yLabel: "req/s")
            html += SVGChart.lines(capped("Deadline misses and drops per second", misses), Array(misses.prefix(maxSeries)), xLabel: "time, s", yLabel: "per s")
        }
        if !accuracy.isEmpty {
            html += SVGChart.lines(capped("Accuracy per task", accuracy), Array(accuracy.prefix(maxSeries)), xLabel: "time, s",
                                   yLabel: "mean accuracy", yRange: (0, 1))
        }
        return html + "</div>" + perRun
    }

    /// A derived profile's stated error (whole model, median and p90), read from its file where
    /// it still lies there; the database keeps only the path.
    static func derivedError(_ path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let json = try? JSONParser.parse(text),
              case .object(let o) = json.kind, case .object(let prov)? = o["provenance"]?.kind, case .object(let e)? = prov["error"]?.kind,
              case .number(let median)? = e["whole_model_median"]?.kind, case .number(let p90)? = e["whole_model_p90"]?.kind else {
            return "not measured; error unknown"
        }
        return String(format: "not measured; whole model median %.1f %%, p90 %.1f %%", median.double * 100, p90.double * 100)
    }

    struct BinSeries {
        var throughput: [SVGChart.Series] = []
        var misses: [SVGChart.Series] = []
        var accuracy: [SVGChart.Series] = []
    }

    /// A run's charts over time, and its series for the charts that compare runs.
    static func binCharts(_ bins: [[SQLiteStatement.Value]], run: String) -> (String, BinSeries) {
        // (scope, name, metric) -> points, in first-seen order.
        var keys: [String] = [], points: [String: [(x: Double, y: Double)]] = [:]
        var widths: [Double: Double] = [:]
        for b in bins {
            guard let start = double(b[0]), let end = double(b[1]), let v = double(b[5]) else { continue }
            let key = text(b[2]) + "\u{1}" + text(b[3]) + "\u{1}" + text(b[4])
            if points[key] == nil { keys.append(key) }
            points[key, default: []].append((x: start / 1e9, y: v))
            widths[start / 1e9] = (end - start) / 1e9
        }
        func series(scope: String, metric: String) -> [SVGChart.Series] {
            keys.filter { $0.hasPrefix(scope + "\u{1}") && $0.hasSuffix("\u{1}" + metric) }.map {
                SVGChart.Series(name: String($0.split(separator: "\u{1}")[1]), points: points[$0]!)
            }
        }
        var out = BinSeries()
        let completed = series(scope: "run", metric: "completed").first, met = series(scope: "run", metric: "met").first
        let dropped = series(scope: "run", metric: "dropped").first
        if let completed {
            out.throughput = [.init(name: run, points: completed.points.map { (x: $0.x, y: $0.y / (widths[$0.x] ?? 1)) })]
            if let met, let dropped {
                out.misses = [.init(name: run, points: zip(zip(completed.points, met.points), dropped.points).map { cm, d in
                    (x: cm.0.x, y: (cm.0.y - cm.1.y + d.y) / (widths[cm.0.x] ?? 1))
                })]
            }
        }
        out.accuracy = series(scope: "task", metric: "accuracy_mean").map { .init(name: "\(run) \($0.name)", points: $0.points) }
        var charts = ""
        let gpus = series(scope: "gpu", metric: "utilization"), links = series(scope: "link", metric: "utilization")
        let queues = series(scope: "server", metric: "queued")
        if !gpus.isEmpty {
            charts += SVGChart.lines("\(run): GPU utilisation" + (gpus.count > maxSeries ? " (first \(maxSeries) of \(gpus.count))" : ""),
                                     Array(gpus.prefix(maxSeries)), xLabel: "time, s", yLabel: "busy share", yRange: (0, 1))
        }
        if !links.isEmpty {
            charts += SVGChart.lines("\(run): link utilisation" + (links.count > maxSeries ? " (first \(maxSeries) of \(links.count))" : ""),
                                     Array(links.prefix(maxSeries)), xLabel: "time, s", yLabel: "busy share", yRange: (0, 1))
        }
        if !queues.isEmpty {
            charts += SVGChart.lines("\(run): requests queued" + (queues.count > maxSeries ? " (first \(maxSeries) of \(queues.count))" : ""),
                                     Array(queues.prefix(maxSeries)), xLabel: "time, s", yLabel: "requests")
        }
        return (charts, out)
    }

    // MARK: Sweeps and capacity searches

    /// Each SLO figure a capacity search recorded, against the value probed: its capacity curve.
    static func capacityCurves(_ probes: [[SQLiteStatement.Value]]) -> String {
        var names: [String] = [], points: [String: [(x: Double, y: Double)]] = [:]
        for p in probes {
            guard let value = double(p[2]), let json = try? JSONParser.parse(text(p[4]).isEmpty ? "{}" : text(p[4])),
                  case .object(let o) = json.kind else { continue }
            for key in o.keys {
                guard case .number(let n)? = o[key]?.kind else { continue }
                if points[key] == nil { names.append(key) }
                points[key, default: []].append((x: value, y: n.double))
            }
        }
        return names.map { name in
            let sorted = points[name]!.sorted { $0.x < $1.x }
            return SVGChart.lines("Capacity curve: \(name) against the value probed", [.init(name: name, points: sorted)],
                                  xLabel: "value probed", yLabel: name)
        }.joined()
    }

    static func sweepSection(store: ResultsStore, sweep: Int64, row: [SQLiteStatement.Value]) throws -> String {
        let kind = text(row[0])
        var html = "<h2>\(kind == "capacity" ? "Capacity search" : "Sweep") \(sweep): \(SVGChart.escape(text(row[1])))</h2>"
        html += "<p>Status \(SVGChart.escape(text(row[4])))" + (kind == "capacity" ? "; answer \(SVGChart.escape(text(row[2])))" : "")
            + (text(row[3]).isEmpty ? "" : "; \(SVGChart.escape(text(row[3])))") + "</p>"
        let points = try store.sweepPoints(sweep) ?? []
        var metrics: [String] = []
        for p in points where !metrics.contains(p.metric) { metrics.append(p.metric) }
        html += "<div class=\"charts\">"
        for m in metrics {
            let bars = points.filter { $0.metric == m }.map {
                SVGChart.Bar(label: $0.label, value: $0.mean ?? 0, low: $0.ciLow, high: $0.ciHigh)
            }
            html += SVGChart.bars("\(m) (mean, 95 % interval)", bars, yLabel: m)
        }
        let probes = try store.select("SELECT probe, phase, value, passed, metrics FROM capacity_probes WHERE sweep_id = ? ORDER BY probe", [sweep])
        if !probes.isEmpty {
            let passed = probes.filter { int($0[3]) == 1 }.compactMap { p in double(p[0]).flatMap { x in double(p[2]).map { (x: x, y: $0) } } }
            let failed = probes.filter { int($0[3]) != 1 }.compactMap { p in double(p[0]).flatMap { x in double(p[2]).map { (x: x, y: $0) } } }
            var series: [SVGChart.Series] = []
            if !passed.isEmpty { series.append(.init(name: "held", points: passed)) }
            if !failed.isEmpty { series.append(.init(name: "failed", points: failed)) }
            html += SVGChart.lines("Probes: value tried, in order", series, xLabel: "probe", yLabel: "value")
            html += capacityCurves(probes)
        }
        html += "</div>"
        if !points.isEmpty { html += table(["point", "label", "metric", "n", "mean", "stddev", "95 % low", "95 % high"], points.map {
            [String($0.point), $0.label, $0.metric, String($0.n), $0.mean.map(SVGChart.number) ?? "", $0.stddev.map(SVGChart.number) ?? "",
             $0.ciLow.map(SVGChart.number) ?? "", $0.ciHigh.map(SVGChart.number) ?? ""]
        }, left: 3) }
        if !probes.isEmpty { html += table(["probe", "phase", "value", "held", "figures"], probes.map { $0.map(text) }, left: 2) }
        return html
    }
}

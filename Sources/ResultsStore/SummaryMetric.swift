import JSONConfig

/// One figure of a run's summary, named as researchers write it in SLOs, sweeps and regression
/// specs: `<column>[@<scope>=<name>]`, such as `deadline_miss_rate` (the run row) or
/// `latency_p99_ms@server=edge`.
public struct SummaryMetric: Sendable, Equatable, CustomStringConvertible {
    public var column: String
    /// `run`, `site`, `server`, `client_group`, `model` or `task`.
    public var scope: String
    /// The row's name; nil for the run row.
    public var name: String?

    /// Columns of the `summary` table, in its order.
    public static let summaryColumns = [
        "requests", "completed", "met_deadline", "dropped", "unfinished", "cancelled_copies", "throughput_rps",
        "goodput_rps", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_p999_ms",
        "latency_max_ms", "queue_wait_mean_ms", "service_mean_ms", "network_mean_ms", "deadline_miss_rate",
        "gpu_utilization", "frames", "accuracy_mean", "accuracy_p5", "accuracy_p50", "staleness_mean_frames", "fallback_share", "cost_usd",
    ]
    /// Figures computed from a summary row or the clients table (docs/workbench.md):
    /// `attainment` = (1 − dropped/requests)(1 − late/completed), where late = completed − met;
    /// `accuracy_min_client` = the lowest per-client mean accuracy of the scope's clients;
    /// `sessions_rejected` = how many of the scope's clients' sessions admission rejected (so
    /// that "every client offered is served" is `sessions_rejected == 0 and accuracy_min_client >= …`).
    public static let derivedColumns = ["attainment", "accuracy_min_client", "sessions_rejected"]
    public static var columns: [String] { summaryColumns + derivedColumns }
    public static let scopes = ["run", "site", "server", "client_group", "model", "task"]

    public init(column: String, scope: String = "run", name: String? = nil) {
        self.column = column
        self.scope = scope
        self.name = name
    }

    /// Parses `column[@scope=name]`; `origin` names where the text came from in errors
    /// ("--slo", "metrics[2]").
    public init(parsing text: String, origin: String) throws(ConfigError) {
        func bad(_ message: String) -> ConfigError {
            ConfigError(file: origin, position: nil, path: "", message: "\"\(text)\": \(message)")
        }
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let column = parts[0].trimmingCharacters(in: .whitespaces)
        guard Self.columns.contains(column) else {
            throw bad(Suggestion.unknownName(column, kind: "summary column", valid: Self.columns))
        }
        self.column = column
        scope = "run"
        name = nil
        if parts.count == 2 {
            let sel = parts[1].split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = sel.first, Self.scopes.contains(first) else {
                throw bad(Suggestion.unknownName(sel.first ?? "", kind: "scope", valid: Self.scopes))
            }
            scope = first
            if sel.count == 2, !sel[1].isEmpty {
                name = sel[1]
            } else if scope != "run" {
                throw bad("a \(scope) scope needs a name, as \(column)@\(scope)=<name>")
            }
        }
    }

    public var description: String {
        scope == "run" && name == nil ? column : "\(column)@\(scope)=\(name ?? "")"
    }
}

extension ResultsStore {
    /// The value of `metric` in a finished run: nil where the figure has no value (a latency of
    /// a run that completed nothing); an error where the run has no such row, naming the rows
    /// it has.
    public func value(of metric: SummaryMetric, run: Int64) throws -> Double? {
        let where_ = metric.scope == "run" ? "scope = 'run'" : "scope = ? AND name = ?"
        if metric.column == "accuracy_min_client" { return try minimumClientAccuracy(metric, run: run) }
        if metric.column == "sessions_rejected" { return try rejectedSessions(metric, run: run) }
        let columns = metric.column == "attainment" ? "requests, completed, met_deadline, dropped" : metric.column
        let s = try db.prepare("SELECT \(columns) FROM summary WHERE run_id = ? AND \(where_)")
        s.bind(1, run)
        if metric.scope != "run" {
            s.bind(2, metric.scope)
            s.bind(3, metric.name ?? "")
        }
        guard try s.step() else { throw try missingRow(metric, run: run) }
        if metric.column == "attainment" {
            let requests = Double(s.int64(0)), completed = Double(s.int64(1))
            let met = Double(s.int64(2)), dropped = Double(s.int64(3))
            guard requests > 0 else { return nil }
            let late = completed > 0 ? (completed - met) / completed : 0
            return (1 - dropped / requests) * (1 - late)
        }
        switch s.value(0) {
        case .null: return nil
        case .integer(let i): return Double(i)
        case .real(let d): return d
        case .text(let t): return Double(t)
        }
    }

    private func minimumClientAccuracy(_ metric: SummaryMetric, run: Int64) throws -> Double? {
        var filter = ""
        switch metric.scope {
        case "run": filter = ""
        case "client_group": filter = " AND client_group = ?"
        default:
            throw MetricError(message: "accuracy_min_client is defined for the run and client_group scopes, not \(metric.scope)")
        }
        let s = try db.prepare("SELECT MIN(accuracy_mean), COUNT(*) FROM clients WHERE run_id = ? AND accuracy_mean IS NOT NULL\(filter)")
        s.bind(1, run)
        if metric.scope == "client_group" { s.bind(2, metric.name ?? "") }
        guard try s.step(), s.int64(1) > 0 else { return nil }
        return s.double(0)
    }

    private func rejectedSessions(_ metric: SummaryMetric, run: Int64) throws -> Double? {
        guard metric.scope == "run" || metric.scope == "client_group" else {
            throw MetricError(message: "sessions_rejected is defined for the run and client_group scopes, not \(metric.scope)")
        }
        let filter = metric.scope == "client_group" ? " AND client_group = ?" : ""
        let s = try db.prepare("SELECT COUNT(*) FROM sessions WHERE run_id = ? AND admitted = 0\(filter)")
        s.bind(1, run)
        if metric.scope == "client_group" { s.bind(2, metric.name ?? "") }
        guard try s.step() else { return 0 }
        return Double(s.int64(0))
    }

    private func missingRow(_ metric: SummaryMetric, run: Int64) throws -> MetricError {
        let s = try db.prepare("SELECT name FROM summary WHERE run_id = ? AND scope = ? ORDER BY rowid")
        s.bind(1, run)
        s.bind(2, metric.scope)
        var names: [String] = []
        while try s.step() { names.append(s.text(0) ?? "") }
        let what = names.isEmpty
            ? "run \(run) has no \(metric.scope) rows in its summary"
            : Suggestion.unknownName(metric.name ?? "", kind: "\(metric.scope)", valid: names)
        return MetricError(message: "\(metric): \(what)")
    }
}

/// A metric that names a summary row the run does not have: bad input, not a failed run.
public struct MetricError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

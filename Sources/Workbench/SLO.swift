import JSONConfig
import ResultsStore

/// A service-level objective over a run's summary: `<metric> <op> <number>` clauses joined with
/// `and`, such as `deadline_miss_rate <= 0.01 and latency_p99_ms@server=edge < 100`.
public struct SLO: Sendable, Equatable, CustomStringConvertible {
    public enum Op: String, Sendable, CaseIterable {
        case le = "<=", ge = ">=", lt = "<", gt = ">", eq = "=="

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .le: a <= b
            case .ge: a >= b
            case .lt: a < b
            case .gt: a > b
            case .eq: a == b
            }
        }
    }

    public struct Clause: Sendable, Equatable, CustomStringConvertible {
        public var metric: SummaryMetric
        public var op: Op
        public var bound: Double

        /// A figure with no value (a latency percentile of a run that completed nothing) fails.
        public func holds(_ value: Double?) -> Bool {
            guard let value, value.isFinite else { return false }
            return op.holds(value, bound)
        }

        public var description: String { "\(metric) \(op.rawValue) \(Suggestion.format(bound))" }
    }

    public var clauses: [Clause]

    public init(parsing text: String, origin: String = "--slo") throws(ConfigError) {
        func bad(_ message: String) -> ConfigError {
            ConfigError(file: origin, position: nil, path: "", message: message)
        }
        var clauses: [Clause] = []
        for raw in text.components(separatedBy: " and ") {
            let part = raw.trimmingCharacters(in: .whitespaces)
            // Two-character operators first, so that "<=" is not read as "<".
            guard let op = [Op.le, .ge, .eq, .lt, .gt].first(where: { part.contains($0.rawValue) }),
                  let range = part.range(of: op.rawValue) else {
                throw bad("\"\(part)\": expected <metric> <op> <number> with op one of <=, <, >=, >, ==, "
                          + "as deadline_miss_rate <= 0.01")
            }
            let lhs = String(part[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            let rhs = String(part[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            let metric = try SummaryMetric(parsing: lhs, origin: origin)
            guard let bound = Double(rhs), bound.isFinite else {
                throw bad("\"\(part)\": the bound \"\(rhs)\" is not a number")
            }
            clauses.append(Clause(metric: metric, op: op, bound: bound))
        }
        self.clauses = clauses
    }

    /// Whether every clause holds, given each clause's figure (in clause order).
    public func holds(_ values: [Double?]) -> Bool {
        zip(clauses, values).allSatisfy { $0.holds($1) }
    }

    public var metrics: [SummaryMetric] { clauses.map(\.metric) }

    public var description: String { clauses.map(\.description).joined(separator: " and ") }
}

import EdgeWorld
import Runner
import Scenario
import SimKernel

/// The text `arsim run` prints: where the results went, how fast it ran, and the summary table.
struct SummaryReport {
    var scenario: Scenario
    var outcome: RunOutcome
    var database: String?

    var text: String {
        let spec = scenario.spec
        var lines: [String] = []
        var head = "arsim \(ArsimVersion.current) · \(scenario.name) · seed \(spec.seed)"
        if let id = outcome.runID, let database { head += " · run \(id) → \(database)" }
        lines.append(head)
        let rate = outcome.wallSeconds > 0 ? Double(outcome.eventsProcessed) / outcome.wallSeconds : 0
        lines.append("simulated \(fixed(Time.toSeconds(outcome.simulatedEnd), 3)) s in \(fixed(outcome.wallSeconds, 3)) s wall · "
                     + "\(grouped(outcome.eventsProcessed)) events (\(fixed(rate / 1e6, 2)) M events/s) · \(outcome.status.rawValue)")
        lines.append("measured window: \(fixed(outcome.summary.windowSeconds, 3)) s after a \(fixed(Time.toSeconds(spec.warmup), 3)) s warm-up; latency is capture to result back")
        for source in spec.latencySources {
            var what = source.kind == "scenario" ? "latency_ms table in the scenario" : "\(source.kind) profile \(source.source)"
            if let error = source.derivedError { what = "DERIVED, not measured (error \(error)): profile \(source.source)" }
            lines.append("latencies of \(source.model) on \(source.server) (\(source.gpu)): \(what)")
        }
        lines.append("")
        let showAccuracy = outcome.summary.run.frames > 0 && outcome.summary.run.accuracyMean != nil
            && spec.clients.contains { $0.tasks.contains { $0.accuracy != AccuracyModel() } }
        let showCost = outcome.summary.run.costUSD != nil
        var table = TextTable(header: ["scope", "name", "requests", "done", "dropped", "unfinished", "miss rate", "req/s",
                                       "mean ms", "p50", "p95", "p99", "p99.9", "GPU util"]
                              + (showAccuracy ? ["accuracy"] : []) + (showCost ? ["cost $"] : []))
        table.leftAligned = [0, 1]
        for r in outcome.summary.rows {
            table.rows.append([r.scope, r.name, String(r.requests), String(r.completed), String(r.dropped), String(r.unfinished),
                               fixed(r.deadlineMissRate.map { $0 * 100 }, 2) + (r.deadlineMissRate == nil ? "" : "%"),
                               fixed(r.throughput, 1), fixed(r.latencyMeanMs, 2), fixed(r.latencyP50Ms, 2),
                               fixed(r.latencyP95Ms, 2), fixed(r.latencyP99Ms, 2), fixed(r.latencyP999Ms, 2),
                               r.gpuUtilization.map { fixed($0 * 100, 1) + "%" } ?? "-"]
                              + (showAccuracy ? [fixed(r.accuracyMean, 3)] : []) + (showCost ? [fixed(r.costUSD, 2)] : []))
        }
        lines.append(table.render())
        return lines.joined(separator: "\n")
    }
}

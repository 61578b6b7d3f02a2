import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore
import Scenario
import Workbench

struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the largest value of a scenario parameter at which an SLO holds.",
        discussion: """
            Bisection over deterministic runs: with --between, between a value that holds and \
            one that fails; without, doubling from the scenario's value until the SLO fails (or \
            halving until it holds), then bisecting. Integers are searched exactly; reals to \
            --tolerance. --step-down 5% uses PPipe's rule instead: probe start × (1 − 0.05·i), \
            i = 0, 1, 2…, and stop at the first that holds.

            The SLO is <metric> <op> <number> clauses joined with `and`; a metric is a summary \
            column with an optional @scope=name (docs/results.md, docs/workbench.md), plus \
            attainment, accuracy_min_client and sessions_rejected:

              arsim capacity t4.json --vary 'clients[0].count' \\
                  --slo 'deadline_miss_rate <= 0.01' --between 1 400 --replications 3

            With replications the SLO must hold for the mean over them (--all: for every one). \
            Every probe is recorded in `capacity_probes` and printed; a probe above the answer \
            that also held (a non-monotone outcome) is reported. --resume reuses completed runs.
            """)

    @Argument(help: "The scenario file.")
    var scenario: String

    @Option(help: ArgumentHelp("The JSON path of the value to search, as 'clients[0].count'.", valueName: "path"))
    var vary: String

    @Option(help: ArgumentHelp("The objective, as 'deadline_miss_rate <= 0.01 and latency_p99_ms < 100'.", valueName: "slo"))
    var slo: String

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Search between these two values (low holds, high fails).", valueName: "low high"))
    var between: [Double] = []

    @Option(name: .customLong("step-down"), help: ArgumentHelp("PPipe's rule: step down by this percentage from the start.", valueName: "p%"))
    var stepDown: String?

    @Option(help: "Replications per probe (seeds base + r).")
    var replications: Int = 1

    @Flag(help: "The SLO must hold in every replication, not only for the mean.")
    var all = false

    @Option(help: "For a real-valued parameter: stop bisecting when the interval is this narrow (default: 1 % of the start).")
    var tolerance: Double?

    @Option(help: "Probe this many values above the answer (answer+2, +3…) to reveal a non-monotone outcome.")
    var verify: Int = 0

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a scenario value for every probe (repeatable).", valueName: "path=value"))
    var overrides: [String] = []

    @Option(help: "Base seed (default: the scenario's).")
    var seed: UInt64?

    @Option(help: "Results database (default: Results/<scenario name>.sqlite).")
    var db: String?

    @Option(help: "Worker processes at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Reuse runs already completed in the database.")
    var resume = false

    @Flag(help: "Print only the answer table and errors.")
    var quiet = false

    func run() throws {
        let objective: SLO
        let common: [Override]
        let base: Scenario
        do {
            objective = try SLO(parsing: slo)
            common = try overrides.map { text throws(ConfigError) in try Override(text) }
            base = try Scenario.load(path: scenario, overrides: common)
            for m in objective.metrics { try m.check(against: base.spec, origin: "--slo") }
            _ = try Override(path: vary, value: "0")
        } catch {
            throw badInput(error)
        }
        guard replications >= 1, replications <= 10_000 else { throw fail("--replications must be 1 to 10000", code: 2) }
        if let seed, seed > UInt64(Int64.max) { throw fail("--seed must be at most 2^63-1", code: 2) }
        // Checked before the search is recorded (each probe's plan checks it too).
        if let why = Plan.seedRefusal(base: seed ?? base.spec.seed, replications: replications) { throw fail("--seed: " + why, code: 2) }

        guard between.isEmpty || (between.count == 2 && between[0] < between[1] && between.allSatisfy(\.isFinite)) else {
            throw fail("--between takes two numbers, low < high, as --between 1 400", code: 2)
        }
        if let tolerance, !(tolerance > 0 && tolerance.isFinite) { throw fail("--tolerance must be a positive number", code: 2) }
        let fraction = try stepDown.map(parsePercent)
        let root = try ConfigNode.parse(base.canonicalText, file: scenario)
        let current = root.value(at: vary)
        var currentValue: Double?
        var currentIsInteger = false
        if let current, case .number(let n) = current.kind {
            currentValue = n.double
            currentIsInteger = n.int64 != nil
        } else if let current {
            throw fail("--vary \(vary): the scenario's value there is \(current.typeDescription), not a number", code: 2)
        }
        if between.isEmpty && currentValue == nil {
            throw fail("--vary \(vary): the scenario gives no value there to start from; give --between low high", code: 2)
        }
        let integer = tolerance == nil && (between.isEmpty ? currentIsInteger : between.allSatisfy { $0 == $0.rounded() })
            && (currentValue == nil || currentIsInteger)
        let start = fraction != nil ? (between.last ?? currentValue!) : (currentValue ?? between[0])
        // Integers are probed as Int64 text and doubled up to 40 times: keep them exact.
        if integer, ([start] + between).contains(where: { abs($0) >= 1e12 }) {
            throw fail("--vary \(vary): integer values up to 10^12 are searched; got \(SweepTable.number(max(abs(start), between.map(abs).max() ?? 0)))", code: 2)
        }
        let mode: CapacitySearch.Mode = fraction.map { .stepDown(fraction: $0) }
            ?? .bisect(between: between.isEmpty ? nil : (between[0], between[1]))
        do {
            // The path must lead somewhere valid, at the start and at both bounds, before anything
            // is written: a search that fails at its first probe would leave a failed row behind.
            for value in [start] + between {
                let text = integer ? String(Int64(value)) : "\(value)"
                _ = try Scenario.load(path: scenario, overrides: common + [Override(path: vary, value: text, origin: "--vary '\(vary)' at \(text)")])
            }
        } catch {
            throw badInput(error)
        }
        var search = CapacitySearch(start: start, mode: mode, integer: integer,
                                    tolerance: tolerance ?? max(abs(start), abs(between.last ?? 0)) * 0.01)
        guard verify >= 0, verify <= 100 else { throw fail("--verify must be 0 to 100", code: 2) }
        search.verifyAbove = verify

        let path = db ?? "Results/\(fileSafe(base.name)).sqlite"
        let store = try openForWriting(path, isDefault: db == nil)
        let parallel = try workerCount(jobs)
        let spec = JSONOutput.object([
            ("kind", .string("capacity")), ("scenario", .string(scenario)), ("scenario_digest", .string(Digest.hex(base.canonicalText))),
            ("vary", .string(vary)), ("slo", .string(objective.description)), ("between", .numbers(between)),
            ("step_down", .optional(fraction)), ("tolerance", .optional(tolerance)), ("replications", .int(replications)),
            ("all", .bool(all)), ("verify", .int(verify)), ("seed", .optional(seed.map { String($0) })), ("set", .array(common.map { .string($0.assignment) })),
        ]).text()
        let record = SweepRecord(kind: .capacity, name: base.name, specJSON: spec, baseSeed: seed ?? base.spec.seed,
                                 replications: replications, points: 0, shard: nil)
        let (id, resumed) = try store.openSweep(record, resume: resume)
        if !quiet {
            note("arsim capacity · \(base.name) · search \(id)\(resumed ? " (resumed)" : "") · \(vary) · SLO \(objective) "
                 + "· \(replications) replication\(replications == 1 ? "" : "s")\(all ? " (all must hold)" : " (mean)") → \(path)")
        }
        Interrupt.installCounting()
        var probes: [ProbeRow] = []
        var failure: String?
        var interrupted = false
        struct Stop: Error {}
        let result: CapacitySearch.Result
        do {
            result = try search.run { value in
                if Interrupt.requested { interrupted = true; throw Stop() }
                let text = integer ? String(Int64(value)) : "\(value)"
                let point = Point(label: "\(vary)=\(text)", overrides: common + [try Override(path: vary, value: text)])
                let plan = try Plan(name: base.name, scenarioPath: scenario, baseSeed: seed, replications: replications,
                                    points: [point], metrics: objective.metrics)
                let jobs = plan.jobs.map { job -> Job in var j = job; j.point = probes.count; return j }
                var pool = WorkerPool(executable: WorkerPool.currentExecutable(), scenarioPath: scenario, database: path,
                                      parallel: parallel, progress: Progress(title: "capacity", total: jobs.count, quiet: true))
                let outcomes = try pool.run(jobs, sweep: id, store: store, resume: resume, shouldStop: { Interrupt.requested },
                                            urgent: { Interrupt.urgent })
                if outcomes.contains(where: { $0.status == .interrupted }) { interrupted = true; throw Stop() }
                if let bad = outcomes.first(where: { $0.status == .failed }) {
                    failure = "a run at \(vary)=\(text) failed: \(bad.message ?? "")"
                    throw Stop()
                }
                var perRun: [[Double?]] = []
                for o in outcomes { perRun.append(try objective.metrics.map { try store.value(of: $0, run: o.run!) }) }
                let means: [Double?] = objective.metrics.indices.map { k in
                    let vs = perRun.map { $0[k] }
                    return vs.contains { $0 == nil } ? nil : Estimate(vs.map { $0! })?.mean
                }
                let passed = all ? perRun.allSatisfy { objective.holds($0) } : objective.holds(means)
                let figures = JSONOutput.object(zip(objective.metrics, means).map { ($0.description, .optional($1)) }).compactText()
                probes.append(ProbeRow(probe: probes.count, phase: "", value: value, passed: passed,
                                       replications: replications, metrics: figures))
                if !quiet {
                    note("probe \(probes.count - 1): \(vary)=\(text) \(passed ? "holds" : "fails") · "
                         + zip(objective.metrics, means).map { "\($0) \($1.map { SweepTable.number($0) } ?? "-")" }.joined(separator: " · "))
                }
                return passed
            }
        } catch is Stop {
            for i in probes.indices { probes[i].phase = "stopped" }
            try store.replaceProbes(id, rows: probes)
            try store.finishSweep(id, status: interrupted ? .interrupted : .failed, note: failure)
            if interrupted {
                note("arsim: interrupted; continue with the same command and --resume")
                throw ExitCode(130)
            }
            throw fail(failure ?? "the search stopped", code: 1)
        } catch let e as MetricError {
            try store.finishSweep(id, status: .failed, note: e.message)
            throw fail("--slo: \(e)", code: 2)
        } catch let e as ConfigError {
            try store.finishSweep(id, status: .failed, note: e.description)
            throw badInput(e)
        }
        for (i, p) in result.probes.enumerated() where i < probes.count { probes[i].phase = p.phase }
        try store.replaceProbes(id, rows: probes)
        var noteText = result.note
        if !result.nonMonotone.isEmpty {
            noteText += "; non-monotone: the SLO also held above the answer at "
                + result.nonMonotone.map { search.integer ? String(Int64($0.value)) : "\($0.value)" }.joined(separator: ", ")
        }
        try store.finishSweep(id, status: .completed, answer: result.answer, note: noteText)
        var table = TextTable(header: ["probe", "phase", vary, "SLO"] + objective.metrics.map(\.description))
        table.leftAligned = [1, 3]
        for p in probes {
            let figures = (try? ConfigNode.parse(p.metrics, file: "metrics").map()) ?? []
            table.rows.append([String(p.probe), p.phase, integer ? String(Int64(p.value)) : SweepTable.number(p.value),
                               p.passed ? "holds" : "fails"]
                              + figures.map { (try? $0.node.double()).map(SweepTable.number) ?? "-" })
        }
        print(table.render())
        print("")
        let answer = result.answer.map { integer ? String(Int64($0)) : SweepTable.number($0) } ?? "none"
        print("capacity: \(vary) = \(answer) (\(noteText))")
    }
}

/// "5%" or "5" → 0.05.
func parsePercent(_ text: String) throws -> Double {
    let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
    // At least 0.1 %: each step is a run, and 1,000 of them reach zero.
    guard let p = Double(digits), p >= 0.1, p < 100 else {
        throw fail("--step-down must be a percentage from 0.1 to under 100, as 5%; got \(text)", code: 2)
    }
    return p / 100
}

import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore
import Workbench

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario over a grid or list of points, with replications and confidence intervals.",
        discussion: """
            A sweep file names a base scenario, overrides for every point, a grid (every \
            combination of the values given per JSON path) and/or a list of points, the number \
            of replications (replication r runs with seed base + r) and the metrics to report \
            (docs/workbench.md). Runs go to worker processes (--jobs) that write to one results \
            database; each run is tagged with the sweep, its point and replication.

            Per point and metric the sweep stores the mean and a 95 % Student-t interval over \
            the replications in the `sweep_points` table and prints them:

              arsim sweep t4-sweep.json --jobs 2
              arsim export --db Results/t4-sweep.sqlite --table sweep_points --csv points.csv

            --resume continues an interrupted sweep: runs whose effective scenario and seed \
            already completed in the database are not run again. --shard i/n runs every n-th \
            run starting at the i-th, for a job array; `arsim merge` joins the shards' databases.
            """)

    @Argument(help: "The sweep file (JSON; see docs/workbench.md).")
    var file: String

    @Option(help: "Results database (default: Results/<sweep name>.sqlite).")
    var db: String?

    @Option(help: "Worker processes at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Skip the runs already completed in the database (same effective scenario and seed).")
    var resume = false

    @Option(help: ArgumentHelp("Run only the i-th of n disjoint slices of the sweep (1-based).", valueName: "i/n"))
    var shard: String?

    @Flag(help: "No progress; print only the table and errors.")
    var quiet = false

    func run() throws {
        let sweep: SweepFile
        let plan: Plan
        do {
            sweep = try SweepFile.load(path: file)
            plan = try Plan(name: sweep.name, scenarioPath: sweep.scenarioPath, baseSeed: sweep.seed,
                            replications: sweep.replications, points: sweep.points, metrics: sweep.metrics)
        } catch {
            throw badInput(error)
        }
        let slice = try shard.map(parseShard)
        let parallel = try workerCount(jobs)
        let path = db ?? "Results/\(fileSafe(sweep.name)).sqlite"
        let store = try openForWriting(path, isDefault: db == nil)
        let specJSON = plan.specJSON(kind: .sweep)
        let record = SweepRecord(kind: .sweep, name: sweep.name, specJSON: specJSON, baseSeed: plan.baseSeed,
                                 replications: plan.replications, points: plan.points.count,
                                 shard: slice.map { "\($0.index)/\($0.count)" })
        let work = slice.map { plan.shard($0.index, of: $0.count) } ?? plan.jobs
        do {
            let (id, resumed) = try store.openSweep(record, resume: resume)
            if !quiet {
                note("arsim sweep · \(sweep.name) · sweep \(id)\(resumed ? " (resumed)" : "") · \(plan.points.count) points × "
                     + "\(plan.replications) replications\(slice.map { " · shard \($0.index)/\($0.count): \(work.count) runs" } ?? "") "
                     + "· \(parallel) workers → \(path)")
            }
            Interrupt.installCounting()
            var pool = WorkerPool(executable: WorkerPool.currentExecutable(), scenarioPath: plan.scenarioPath, database: path,
                                  parallel: parallel, progress: Progress(title: "sweep", total: work.count, quiet: quiet))
            let outcomes = try pool.run(work, sweep: id, store: store, resume: resume, shouldStop: { Interrupt.requested },
                                            urgent: { Interrupt.urgent })
            let rows = try aggregate(StoredPlan(specJSON: specJSON), store: store)
            try store.replaceSweepPoints(id, rows: rows)
            let failed = outcomes.filter { $0.status == .failed }
            let interrupted = outcomes.contains { $0.status == .interrupted }
            try store.finishSweep(id, status: interrupted ? .interrupted : failed.isEmpty ? .completed : .failed,
                                  note: failed.first.map { "\(failed.count) runs failed; first: \($0.message ?? "")" })
            print(SweepTable.render(rows, metrics: plan.metrics))
            if interrupted {
                note("arsim: interrupted; continue with `arsim sweep \(file) --resume\(db.map { " --db \($0)" } ?? "")`")
                throw ExitCode(130)
            }
            if !failed.isEmpty {
                throw fail("\(failed.count) of \(work.count) runs failed (marked failed in \(path)); first: \(failed[0].message ?? "")", code: 1)
            }
        } catch let e as MetricError {
            throw fail("\(file): \(e)", code: 2)
        } catch let e as ConfigError {
            throw badInput(e)
        }
    }
}

/// `--shard i/n`.
func parseShard(_ text: String) throws -> (index: Int, count: Int) {
    let parts = text.split(separator: "/").map { Int($0) }
    guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 1, i <= n else {
        throw fail("--shard must be i/n with 1 ≤ i ≤ n, as 2/8; got \(text)", code: 2)
    }
    return (i, n)
}

func workerCount(_ jobs: Int?) throws -> Int {
    guard let jobs else { return ProcessInfo.processInfo.activeProcessorCount }
    guard jobs >= 1, jobs <= 1024 else { throw fail("--jobs must be between 1 and 1024, got \(jobs)", code: 2) }
    return jobs
}

/// A name as a file name: letters, digits, '-', '_' and '.'; anything else becomes '_'.
func fileSafe(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
}

/// The per-point table a sweep prints: one row per point, `mean ± half-width` per metric.
enum SweepTable {
    static func render(_ rows: [SweepPointRow], metrics: [SummaryMetric]) -> String {
        var table = TextTable(header: ["point", "label", "n"] + metrics.map(\.description))
        table.leftAligned = [1]
        var points: [Int] = []
        for r in rows where points.last != r.point { points.append(r.point) }
        for p in points {
            let cells = rows.filter { $0.point == p }
            var line = [String(p), cells.first?.label ?? "", String(cells.map(\.n).max() ?? 0)]
            for m in metrics {
                guard let c = cells.first(where: { $0.metric == m.description }), let mean = c.mean else { line.append("-"); continue }
                let hw = c.ciHigh.map { $0 - mean }
                line.append(number(mean) + (hw.map { " ± " + number($0) } ?? ""))
            }
            table.rows.append(line)
        }
        return table.render()
    }

    /// Four significant digits: enough to compare points, short enough for a terminal.
    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        return String(format: "%.4g", v)
    }
}

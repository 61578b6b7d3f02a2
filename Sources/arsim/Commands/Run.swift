import ArgumentParser
import EdgeWorld
import Foundation
import JSONConfig
import ResultsStore
import Runner
import Scenario
import SimKernel

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and store every metric in SQLite.",
        discussion: """
            The scenario's runs append to Results/<scenario name>.sqlite unless --db names \
            another file; earlier runs are never touched. Each run is a row of the `runs` table \
            (status running → completed, failed or interrupted) with its metric rows in \
            `summary`, `gpus` and, at --detail requests, `requests` and `batches`.

            --set changes any value of the scenario by its JSON path, checked exactly like the \
            file; the run records the overrides, the --label and the effective scenario:

              arsim run quickstart.json --set 'clients[0].count=40' \\
                  --set 'servers[0].policy={"name": "fifo"}' --label fifo-40

            Ctrl-C stops the run cleanly: what was simulated is kept and the run is marked \
            interrupted. Read the results with `arsim export`.
            """)

    @Argument(help: "The scenario file (JSON; see docs/scenario.md).")
    var scenario: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario value: 'path=value', the value as JSON or bare text (repeatable).",
        valueName: "path=value"))
    var overrides: [String] = []

    @Option(help: "A name for this run in `arsim runs` and the runs table.")
    var label: String?

    @Option(help: "Results database (default: Results/<scenario name>.sqlite).")
    var db: String?

    @Option(help: "Seed for every random stream, overriding the scenario's (0 ... 2^63-1).")
    var seed: UInt64?

    @Option(help: "summary: aggregate tables only; requests: also one row per request and per batch.")
    var detail: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(help: ArgumentHelp("Also write a Perfetto / Chrome trace of the run (open it in ui.perfetto.dev): batches per GPU, requests per client, drops, upload-to-batch arrows. A path ending in .gz is gzip-compressed. Implies --detail requests.", valueName: "trace.json"))
    var trace: String?

    @Option(name: .customLong("trace-window"), help: ArgumentHelp("Keep in the trace only what starts in this window of simulated seconds.", valueName: "from:to"))
    var traceWindow: String?

    @Option(name: .customLong("trace-clients"), help: "Keep in the trace only the first this many clients.")
    var traceClients: Int?

    /// Set by `arsim sweep` and `arsim capacity` on their workers: sweep:point:replication.
    @Option(name: .customLong("sweep-tag"), help: .hidden)
    var sweepTag: String?

    func run() throws {
        // From the first moment: a Ctrl-C while reading or setting up ends the command with 130
        // before anything is written, instead of killing it mid-way.
        Interrupt.install()
        var loaded: Scenario
        do {
            let parsed = try overrides.map { text throws(ConfigError) in try Override(text) }
            loaded = try Scenario.load(path: scenario, overrides: parsed, seed: seed)
        } catch {
            throw badInput(error)
        }
        if let detail {
            guard let level = DetailLevel(rawValue: detail) else {
                throw fail("--detail: " + Suggestion.unknownName(detail, kind: "detail level",
                                                                  valid: DetailLevel.allCases.map(\.rawValue)), code: 2)
            }
            loaded.spec.detail = level
        }
        var traceWindowNS: Range<SimTime>?
        if let w = traceWindow {
            let parts = w.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a.isFinite, b.isFinite, a >= 0, b > a, b <= 1e8 else {
                throw fail("--trace-window: expected from:to in seconds, as 10:20, got \"\(Suggestion.shorten(w))\"", code: 2)
            }
            traceWindowNS = SimTime((a * 1e9).rounded())..<SimTime((b * 1e9).rounded())
        }
        if let n = traceClients, n < 1 { throw fail("--trace-clients: must be at least 1, got \(n)", code: 2) }
        if trace == nil, traceWindow != nil || traceClients != nil {
            throw fail("\(traceWindow != nil ? "--trace-window" : "--trace-clients") narrows a trace: give --trace FILE too", code: 2)
        }
        // A label is a name in tables and on terminals, as a scenario's name is.
        if let label, label.count > 200 || label.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            throw fail("--label: expected at most 200 characters and no control characters (such as a line break), got \(String(reflecting: Suggestion.shorten(label)))", code: 2)
        }
        if trace != nil { loaded.spec.detail = .requests }
        let tag = try sweepTag.map { text in
            guard let t = SweepTag(text: text) else { throw fail("--sweep-tag must be sweep:point:replication", code: 2) }
            return t
        }
        for n in loaded.notes { note("arsim: note: \(n)") }
        if Interrupt.requested {
            note("arsim: interrupted before the run started; nothing was written")
            throw ExitCode(130)
        }
        let path = db ?? "Results/\(fileSafe(loaded.name)).sqlite"
        if let trace {
            // Checked before the database is opened: a trace must never be written over results.
            if let why = trace == "-" ? "a trace is written to a file, not to standard output" : outputRefusal(trace) {
                throw fail("--trace \(trace): \(why)", code: 2)
            }
            if samePath(trace, path) { throw fail("--trace \(trace): that is the results database; choose another file name", code: 2) }
            if samePath(trace, scenario) { throw fail("--trace \(trace): that is the scenario file; choose another file name", code: 2) }
        }
        let store = try openForWriting(path, isDefault: db == nil)
        var runner = Runner(scenario: loaded)
        runner.label = label
        runner.sweep = tag
        if let trace {
            // Opened before the run starts: a trace that cannot be written is bad input, and no run row is made.
            do {
                runner.trace = try TraceWriter(path: trace, spec: loaded.spec, window: traceWindowNS, clients: traceClients)
            } catch {
                throw fail("--trace: \(error)", code: 2)
            }
        }
        let outcome: RunOutcome
        do {
            outcome = try runner.run(store: store, shouldStop: { Interrupt.requested })
        } catch {
            throw fail("the run failed and is marked failed in \(path): \(error)", code: 1)
        }
        if !quiet {
            print(SummaryReport(scenario: loaded, outcome: outcome, database: path).text)
        }
        if outcome.status == .interrupted {
            note("arsim: interrupted; run \(outcome.runID ?? 0) is marked interrupted in \(path)")
            throw ExitCode(130)
        }
    }

}

import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the runs in a results database, with their status, label and overrides.",
        discussion: """
            Opens the database read-only: listing never changes it. A run left `running` by a \
            process that no longer exists is shown as such. Runs of a sweep or capacity search \
            show their sweep:point:replication.
            """)

    @Option(help: "The results database.")
    var db: String

    func run() throws {
        let store = try openForReading(db)
        do {
            let rows = try store.runs()
            let showSweep = rows.contains { $0.sweep != nil }
            var table = TextTable(header: ["run", "scenario", "label", "seed", "detail", "status", "started (UTC)", "wall s", "events"]
                                  + (showSweep ? ["sweep"] : []) + ["overrides"])
            table.leftAligned = [1, 2, 4, 5, 6, showSweep ? 10 : 9]
            for r in rows {
                let overrides = (try? ConfigNode.parse(r.overrides, file: "runs.overrides").array()
                    .compactMap { try? $0.string() })?.joined(separator: " ") ?? r.overrides
                table.rows.append([String(r.id), r.scenario, r.label ?? "-", String(r.seed), r.detail,
                                   r.status + (r.processGone || r.error == ResultsStore.vanished ? " (process vanished)" : ""), r.startedAt,
                                   fixed(r.wallSeconds, 3), r.events.map { grouped(UInt64($0)) } ?? "-"]
                                  + (showSweep ? [r.sweep?.text ?? "-"] : []) + [overrides.isEmpty ? "-" : overrides])
            }
            print(table.render())
        } catch {
            throw fail("\(db): \(error)", code: 1)
        }
    }
}

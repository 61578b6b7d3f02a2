import ArgumentParser
import Foundation
import ResultsStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the runs in a results database, with their status.")

    @Option(help: "The results database.")
    var db: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw fail("no database at \(db)", code: 2) }
        do {
            let store = try ResultsStore(path: db)
            var table = TextTable(header: ["run", "scenario", "seed", "detail", "status", "started (UTC)", "wall s", "events"])
            table.leftAligned = [1, 3, 4, 5]
            for r in try store.runs() {
                table.rows.append([String(r.id), r.scenario, String(r.seed), r.detail, r.status, r.startedAt,
                                   fixed(r.wallSeconds, 3), r.events.map { grouped(UInt64($0)) } ?? "-"])
            }
            print(table.render())
        } catch {
            throw fail("\(db): \(error)", code: 1)
        }
    }
}

import ArgumentParser
import Foundation
import ResultsStore
import Workbench

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge results databases (the shards of a sweep) into one.",
        discussion: """
            Every run of each source is copied with all of its rows under a new run id; the \
            sources are only read. A run keeps its origin (the database that first recorded it \
            and its id there), so merging a file twice, or a file that holds merged runs, copies \
            nothing twice. The shards of one sweep become one sweep again, and its per-point \
            means and intervals are recomputed over all of its runs:

              arsim merge shards/shard-*.sqlite --into all.sqlite
            """)

    @Argument(help: "The databases to merge.")
    var sources: [String]

    @Option(help: "The database to merge into (created if absent; existing runs are kept).")
    var into: String

    func run() throws {
        guard !sources.isEmpty else { throw fail("name at least one database to merge", code: 2) }
        guard !into.isEmpty else { throw fail("--into: expected a file path, got an empty one", code: 2) }
        for source in sources {
            if PathKind(source) == .file, samePath(source, into) { throw fail("\(source) is also the --into database", code: 2) }
            _ = try openForReading(source)
        }
        let store = try openForWriting(into, option: "--into")
        var touched = Set<Int64>()
        for source in sources {
            do {
                let r = try store.merge(from: source)
                touched.formUnion(r.touchedSweeps)
                print("\(source): \(r.runsCopied) runs copied, \(r.runsSkipped) already there; "
                      + "\(r.sweepsCopied) sweeps copied, \(r.sweepsJoined) joined"
                      + (r.runsRunning > 0 ? "; \(r.runsRunning) still running, not copied (merge again when they end)" : ""))
            } catch {
                throw fail("merging \(source) into \(into): \(error) (nothing of it was written)", code: 1)
            }
        }
        do {
            for sweep in try store.sweeps(kind: .sweep) where touched.contains(sweep.id) {
                try store.replaceSweepPoints(sweep.id, rows: aggregate(StoredPlan(specJSON: sweep.specJSON), store: store))
            }
        } catch {
            throw fail("recomputing sweep points in \(into): \(error)", code: 1)
        }
    }
}

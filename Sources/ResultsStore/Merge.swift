import Foundation

/// What `merge` did with one source database.
public struct MergeReport: Sendable, Equatable {
    public var source: String
    public var runsCopied = 0
    /// Runs already in the target (merged before, or the target's own).
    public var runsSkipped = 0
    /// Runs still `running` in the source: not copied, so that a later merge copies them whole.
    public var runsRunning = 0
    public var sweepsCopied = 0
    /// Sweeps that joined one already in the target (another shard of it).
    public var sweepsJoined = 0
    /// Sweep ids in the target whose runs changed: their derived rows need recomputing.
    public var touchedSweeps: [Int64] = []
}

extension ResultsStore {
    /// This database's identity (`meta.database_id`), the first half of every run's origin.
    public func databaseID() throws -> String {
        let s = try db.prepare("SELECT value FROM meta WHERE key = 'database_id'")
        return try s.step() ? (s.text(0) ?? "") : ""
    }

    /// Tables whose rows belong to a run, copied with the run id remapped. A schema-5 source
    /// has `requests`, `frames` and `batches` as tables: their rows go into the target's views
    /// of those names, which code them (`DetailSchema`); a schema-6 source has them as views,
    /// and its coded tables are copied as they are.
    static let perRunTables = ["latency_sources", "names"] + DetailSchema.keyedTables + DetailSchema.views
        + ["plans", "sessions", "summary", "latency_cdf", "gpus", "links", "clients", "bins"]

    /// Copies every run of `source` that this database does not have yet, with new run ids and
    /// all of its rows, in one transaction: the target ends with all of it or none of it.
    ///
    /// A run is known by its origin, `database_id:run_id` of the database that first recorded
    /// it, kept through any number of merges, so merging the same file twice (or a file that
    /// already holds merged runs) copies nothing twice. Sweeps are matched by kind and spec
    /// digest: the shards of one sweep become one sweep again.
    public func merge(from source: String) throws -> MergeReport {
        guard !readOnly else { throw SQLiteError(code: 0, message: "\(path) is open read-only") }
        var report = MergeReport(source: source)
        let src = try ResultsStore(readingFrom: source)
        let sourceID = try src.databaseID()
        try db.execute("ATTACH DATABASE '\(source.replacingOccurrences(of: "'", with: "''"))' AS src")
        defer { try? db.execute("DETACH DATABASE src") }
        try db.transaction {
            let sweepMap = try mergeSweeps(sourceID: sourceID, report: &report)
            var known = Set<String>()
            let k = try db.prepare("SELECT run_id, origin FROM main.runs")
            let targetID = try databaseID()
            while try k.step() { known.insert(k.text(1) ?? "\(targetID):\(k.int64(0))") }

            let columns = try runColumns()
            let list = try db.prepare("SELECT run_id, origin, sweep_id, status FROM src.runs ORDER BY run_id")
            var copies: [(old: Int64, origin: String, sweep: Int64?)] = []
            while try list.step() {
                if list.text(3) == "running" { report.runsRunning += 1; continue }
                let origin = list.text(1) ?? "\(sourceID):\(list.int64(0))"
                if known.contains(origin) { report.runsSkipped += 1; continue }
                known.insert(origin)
                let sweep: Int64? = if case .null = list.value(2) { nil } else { list.int64(2) }
                copies.append((list.int64(0), origin, sweep))
            }
            let insertRun = try db.prepare("""
                INSERT INTO main.runs (\(columns.joined(separator: ", ")), origin, sweep_id)
                SELECT \(columns.joined(separator: ", ")), ?, ? FROM src.runs WHERE run_id = ?
                """)
            // A database from before a table was added (latency_cdf, bins) has none of its rows to copy.
            var tables: [String] = []
            for table in Self.perRunTables where try hasTable(table, in: "src") { tables.append(table) }
            var copyRows: [String: SQLiteStatement] = [:]
            for table in tables where DetailSchema.keyedTables.contains(table) {
                // A run's range of keys, moved to the new run's (`DetailSchema.key`).
                let cols = try tableColumns(table).filter { $0 != "row" }.joined(separator: ", ")
                copyRows[table] = try db.prepare("""
                    INSERT INTO main.\(table) (row, \(cols))
                    SELECT \(DetailSchema.first("?1")) + (row - \(DetailSchema.first("?2"))), \(cols) FROM src.\(table)
                    WHERE \(DetailSchema.keys("row", of: "?2")) ORDER BY row
                    """)
            }
            for table in tables where !DetailSchema.keyedTables.contains(table) {
                let cols = try tableColumns(table).filter { $0 != "run_id" }
                let order = table == "names" ? "code" : "rowid" // names has no rowid
                copyRows[table] = try db.prepare("""
                    INSERT INTO main.\(table) (run_id, \(cols.joined(separator: ", ")))
                    SELECT ?, \(cols.joined(separator: ", ")) FROM src.\(table) WHERE run_id = ? ORDER BY \(order)
                    """)
            }
            var touched = Set<Int64>()
            let detail = tables.contains { DetailSchema.keyedTables.contains($0) || DetailSchema.views.contains($0) }
            for copy in copies {
                insertRun.bind(1, copy.origin)
                insertRun.bind(2, copy.sweep.flatMap { sweepMap[$0] })
                insertRun.bind(3, copy.old)
                try insertRun.run()
                let new = db.lastInsertRowID
                if detail { try DetailSchema.checkKeyable(run: new, in: path) }
                for table in tables {
                    let s = copyRows[table]!
                    s.bind(1, new)
                    s.bind(2, copy.old)
                    try s.run()
                }
                if let s = copy.sweep.flatMap({ sweepMap[$0] }) { touched.insert(s) }
                report.runsCopied += 1
            }
            report.touchedSweeps = touched.sorted()
        }
        return report
    }

    /// Maps each sweep of the source to one of the target: the same kind and spec digest, or a
    /// new row. A capacity search's probes come along when the search is new to the target.
    private func mergeSweeps(sourceID: String, report: inout MergeReport) throws -> [Int64: Int64] {
        var map: [Int64: Int64] = [:]
        let list = try db.prepare("SELECT sweep_id, kind, spec_digest, shard FROM src.sweeps ORDER BY sweep_id")
        let find = try db.prepare("SELECT sweep_id, shard FROM main.sweeps WHERE kind = ? AND spec_digest = ? ORDER BY sweep_id LIMIT 1")
        let cols = try tableColumns("sweeps").filter { $0 != "sweep_id" }
        let insert = try db.prepare("""
            INSERT INTO main.sweeps (\(cols.joined(separator: ", "))) SELECT \(cols.joined(separator: ", ")) FROM src.sweeps WHERE sweep_id = ?
            """)
        let probes = try db.prepare("""
            INSERT INTO main.capacity_probes (sweep_id, probe, phase, value, passed, replications, metrics)
            SELECT ?, probe, phase, value, passed, replications, metrics FROM src.capacity_probes WHERE sweep_id = ? ORDER BY probe
            """)
        let reshard = try db.prepare("UPDATE main.sweeps SET shard = ? WHERE sweep_id = ?")
        while try list.step() {
            let old = list.int64(0)
            find.bind(1, list.text(1) ?? "")
            find.bind(2, list.text(2) ?? "")
            if try find.step() {
                let existing = find.int64(0)
                let shards = Set(((find.text(1) ?? "") + "+" + (list.text(3) ?? "")).split(separator: "+").map(String.init))
                find.reset()
                reshard.bind(1, shards.isEmpty ? nil : shards.sorted().joined(separator: "+"))
                reshard.bind(2, existing)
                try reshard.run()
                map[old] = existing
                report.sweepsJoined += 1
            } else {
                find.reset()
                insert.bind(1, old)
                try insert.run()
                let new = db.lastInsertRowID
                probes.bind(1, new)
                probes.bind(2, old)
                try probes.run()
                map[old] = new
                report.sweepsCopied += 1
            }
        }
        return map
    }

    /// Columns of `runs` copied as they are (the id, origin and sweep are set by the merge).
    private func runColumns() throws -> [String] {
        try tableColumns("runs").filter { !["run_id", "origin", "sweep_id"].contains($0) }
    }

    func tableColumns(_ table: String) throws -> [String] {
        let s = try db.prepare("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid")
        var out: [String] = []
        while try s.step() { out.append(s.text(0) ?? "") }
        return out
    }
}

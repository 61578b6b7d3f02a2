import CSQLite
import EdgeWorld
import Foundation
import JSONConfig

/// How a run ended, as the `runs` table records it.
public enum RunStatus: String, Sendable, CaseIterable {
    case running, completed, failed, interrupted
}

/// What the `runs` table records about a run when it starts.
public struct RunInfo: Sendable {
    public var scenarioName: String
    public var scenarioFile: String
    public var scenarioJSON: String
    public var seed: UInt64
    public var detail: DetailLevel
    public var arsimVersion: String
    public var latencySources: [LatencySource]
    /// Names the effective scenario, seed and detail level (`Scenario.digest`).
    public var digest: String
    public var label: String?
    /// The `--set` overrides as written, in order.
    public var overrides: [String] = []
    /// The sweep or capacity search this run belongs to, its point and replication.
    public var sweep: SweepTag?

    public init(scenarioName: String, scenarioFile: String, scenarioJSON: String, seed: UInt64,
                detail: DetailLevel, arsimVersion: String, latencySources: [LatencySource] = [], digest: String = "") {
        self.latencySources = latencySources
        self.digest = digest
        self.scenarioName = scenarioName
        self.scenarioFile = scenarioFile
        self.scenarioJSON = scenarioJSON
        self.seed = seed
        self.detail = detail
        self.arsimVersion = arsimVersion
    }
}

/// The results database: one file that every run appends to and nothing ever deletes from.
///
/// The `runs` row is committed before the simulation starts and updated when it ends, so a run
/// that is interrupted or fails is still listed, with its status. Metric rows go in through
/// prepared statements, many rows per transaction, in WAL mode.
public final class ResultsStore {
    public let path: String
    let db: SQLiteDatabase
    private var insertRequest: SQLiteStatement?
    private var insertBatch: SQLiteStatement?
    private var insertFrame: SQLiteStatement?
    private var insertRequests: SQLiteStatement?
    private var insertFrames: SQLiteStatement?
    private var insertName: SQLiteStatement?
    private var names: NameCodes?

    /// The name codes of `run`, made at its first detail rows, and where its frame rows go on.
    private func nameCodes(run: Int64, spec: WorldSpec) throws(SQLiteError) -> NameCodes {
        if let n = names, n.run == run { return n }
        let last = try db.prepare("SELECT max(row) FROM frame_rows WHERE row BETWEEN ? AND ?")
        last.bind(1, DetailSchema.key(run: run, place: 0))
        last.bind(2, DetailSchema.key(run: run, place: DetailSchema.placeMask))
        var frames: Int64 = 0
        if try last.step(), case .integer(let row) = last.value(0) { frames = row - DetailSchema.key(run: run, place: 0) + 1 }
        // A run written before by this store (another run's rows came between) keeps its codes.
        let known = try db.prepare("SELECT code, name FROM names WHERE run_id = ? ORDER BY code")
        known.bind(1, run)
        var existing: [(code: Int64, name: String)] = []
        while try known.step() { existing.append((known.int64(0), known.text(1) ?? "")) }
        let n = NameCodes(run: run, spec: spec, frameRows: frames, existing: existing)
        names = n
        return n
    }

    public let readOnly: Bool

    /// The pages a run's write-ahead log may hold before its writer waits for a checkpoint
    /// (`LogCheckpointer`): 8,192 pages of 4 KiB, 32 MiB.
    public var logLimitPages = 8_192

    /// Opens (creating it if absent) a database to append runs to.
    public init(path: String) throws(SQLiteError) {
        self.path = path
        readOnly = false
        db = try SQLiteDatabase(path: path)
        // A file that is not ours, or of another schema, is refused before anything is written to
        // it (not even the journal mode). The tables are created in one transaction (below), so
        // another process creating them right now shows all of them or none.
        try checkSchemaVersion()
        let tables = try db.prepare("SELECT count(*), count(CASE WHEN name = 'runs' THEN 1 END) FROM sqlite_master WHERE type = 'table'")
        _ = try tables.step()
        if tables.int64(0) > 0 && tables.int64(1) == 0 {
            throw SQLiteError(code: 0, message: "\(path) is an SQLite database but not an arsim results database (it has no runs table); it is left as it is")
        }
        tables.reset()
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        try db.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            try db.execute(Schema.sql)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        try markVanishedRuns()
    }

    /// Opens an existing database only to read it (`runs`, `export`, the sources of `merge`):
    /// nothing is written, not even a table or a journal mode, so reading never alters results.
    public init(readingFrom path: String) throws(SQLiteError) {
        self.path = path
        readOnly = true
        func hasRunsTable(_ db: SQLiteDatabase) throws(SQLiteError) -> Bool {
            try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").step()
        }
        var opened = try SQLiteDatabase(path: path, readOnly: true)
        var found: Bool
        do {
            found = try hasRunsTable(opened)
        } catch let e where e.code == SQLITE_CANTOPEN || e.code == SQLITE_READONLY {
            // A WAL file whose folder cannot take its -shm (an archive on read-only storage):
            // read it as immutable, which needs nothing beside it.
            opened = try SQLiteDatabase(path: path, readOnly: true, immutable: true)
            found = try hasRunsTable(opened)
        }
        db = opened
        guard found else { throw SQLiteError(code: 0, message: "\(path) is not an arsim results database (it has no runs table)") }
        try checkSchemaVersion()
    }

    // MARK: Run lifecycle

    /// Records a new run as `running`, with where its latencies come from, and returns its id.
    public func beginRun(_ info: RunInfo) throws -> Int64 {
        try db.transaction { try insertRun(info) }
    }

    private func insertRun(_ info: RunInfo) throws(SQLiteError) -> Int64 {
        let s = try db.prepare("""
            INSERT INTO runs (scenario_name, scenario_file, scenario_json, seed, detail, arsim_version,
                              started_at, status, host, pid, label, overrides, digest, sweep_id, point, replication)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        s.bind(1, info.scenarioName)
        s.bind(2, info.scenarioFile)
        s.bind(3, info.scenarioJSON)
        s.bind(4, Int64(bitPattern: info.seed))
        s.bind(5, info.detail.rawValue)
        s.bind(6, info.arsimVersion)
        s.bind(7, Self.timestamp())
        s.bind(8, ProcessInfo.processInfo.hostName)
        s.bind(9, Int64(getpid()))
        s.bind(10, info.label)
        s.bind(11, JSONOutput.array(info.overrides.map { .string($0) }).compactText())
        s.bind(12, info.digest)
        s.bind(13, info.sweep.map(\.sweepID))
        s.bind(14, info.sweep.map { Int64($0.point) })
        s.bind(15, info.sweep.map { Int64($0.replication) })
        try s.run()
        let run = db.lastInsertRowID
        let l = try db.prepare("""
            INSERT INTO latency_sources (run_id, server, model, gpu, precision, kind, source, reference, batch_sizes, fit_residual_us,
                                         worst_case)
            VALUES (?,?,?,?,?,?,?,?,?,?,?)
            """)
        for src in info.latencySources {
            l.bind(1, run)
            l.bind(2, src.server)
            l.bind(3, src.model)
            l.bind(4, src.gpu)
            l.bind(5, src.precision)
            l.bind(6, src.kind)
            l.bind(7, src.source)
            l.bind(8, src.reference)
            l.bind(9, src.batchSizes)
            l.bind(10, src.fitResidualUs)
            l.bind(11, src.worstCase)
            try l.run()
        }
        return run
    }

    /// Writes the rows a slice of the run produced, in one transaction.
    public func write(_ outbox: Outbox, run: Int64, spec: WorldSpec) throws {
        guard !outbox.isEmpty else { return }
        if !(outbox.requests.isEmpty && outbox.frames.isEmpty && outbox.batches.isEmpty) { try DetailSchema.checkKeyable(run: run, in: path) }
        do {
            try db.transaction {
                try writeRequests(outbox.requests, run: run, spec: spec)
                try writeBatches(outbox.batches, run: run, spec: spec)
                try writeFrames(outbox.frames, run: run, spec: spec)
                try writeNames(run: run)
                try writePlans(outbox.plans, run: run)
                try writeBins(outbox.bins, run: run)
            }
            if let names, names.run == run { names.committed() }
        } catch {
            if let names, names.run == run { names.rolledBack() }
            throw error
        }
    }

    private func writeBins(_ rows: [BinRecord], run: Int64) throws(SQLiteError) {
        guard !rows.isEmpty else { return }
        let s = try db.prepare("INSERT INTO bins (run_id, start_ns, end_ns, scope, name, metric, value) VALUES (?,?,?,?,?,?,?)")
        for b in rows {
            s.bind(1, run)
            s.bind(2, b.start)
            s.bind(3, b.end)
            s.bind(4, b.scope.rawValue)
            s.bind(5, b.name)
            s.bind(6, b.metric.rawValue)
            s.bind(7, b.value)
            try s.run()
        }
    }

    /// Writes plans made outside a world run (IPIPE's pool scenarios), in one transaction.
    public func write(plans: [PlanRecord], run: Int64) throws {
        try db.transaction { try writePlans(plans, run: run) }
    }

    /// Writes the summary and the final status in one transaction, so that a run marked
    /// completed always has its summary.
    public func finishRun(_ run: Int64, status: RunStatus, summary: RunSummary?, eventsProcessed: UInt64,
                          simulatedEnd: Int64, wallSeconds: Double, error: String? = nil) throws {
        try db.transaction {
            if let summary { try writeSummary(summary, run: run) }
            let s = try db.prepare("""
                UPDATE runs SET status = ?, ended_at = ?, wall_seconds = ?, events_processed = ?, sim_end_ns = ?, error = ?
                WHERE run_id = ?
                """)
            s.bind(1, status.rawValue)
            s.bind(2, Self.timestamp())
            s.bind(3, wallSeconds)
            s.bind(4, Int64(eventsProcessed))
            s.bind(5, simulatedEnd)
            s.bind(6, error)
            s.bind(7, run)
            try s.run()
        }
    }

    /// Marks a run failed after an error, rolling back whatever transaction the error interrupted.
    public func markFailed(_ run: Int64, error: String) {
        if db.isInTransaction { try? db.execute("ROLLBACK") }
        guard let s = try? db.prepare("UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE run_id = ?") else { return }
        s.bind(1, Self.timestamp())
        s.bind(2, error)
        s.bind(3, run)
        try? s.run()
    }

    /// A database written by an arsim with another schema is left untouched: nothing in it is
    /// lost. Two older schemas are upgraded, in one transaction, when the file is opened to be
    /// written to (opened read-only, schema 5 reads as it is: its detail tables have the columns
    /// the views now have):
    /// - schema 4 lacks the summary's staleness and fallback columns: it gains them, NULL for its
    ///   earlier runs, and then takes schema 5's path;
    /// - schema 5's detail rows move into the coded tables (`DetailSchema.moveSchema5`) and read
    ///   as before, in their order.
    private func checkSchemaVersion() throws(SQLiteError) {
        let exists = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        guard try exists.step() else { return }
        exists.reset()
        let s = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
        guard try s.step(), let text = s.text(0), let found = Int(text) else { return }
        s.reset() // an unfinished statement would keep the upgrade from dropping a table
        if found == Schema.version || (found == 5 && readOnly) { return }
        if (found == 4 || found == 5) && Schema.version == 6 && !readOnly {
            try db.execute("BEGIN IMMEDIATE")
            do throws(SQLiteError) {
                // Another process may have upgraded the file while this one waited for the lock.
                let again = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
                let now = try again.step() ? again.text(0).flatMap { Int($0) } ?? found : found
                again.reset()
                if now == Schema.version {
                    try db.execute("COMMIT")
                    return
                }
                if now == 4 {
                    try db.execute("""
                        ALTER TABLE summary ADD COLUMN staleness_mean_frames REAL;
                        ALTER TABLE summary ADD COLUMN fallback_share REAL;
                        """)
                }
                try db.execute(DetailSchema.renameSchema5)
                try db.execute(Schema.sql)
                try db.execute(DetailSchema.moveSchema5)
                try db.execute("UPDATE meta SET value = '\(Schema.version)' WHERE key = 'schema_version'; COMMIT;")
            } catch {
                try? db.execute("ROLLBACK")
                throw SQLiteError(code: 0, message: "upgrading \(path) from schema \(found) to \(Schema.version) failed, "
                                  + "the file is left as it was: \(error.description)")
            }
            return
        }
        let upgrade = found == 4 || found == 5 ? "; appending a run to it (arsim run --db) upgrades it" : ""
        throw SQLiteError(code: 0, message: "\(path) holds results in schema \(found); this arsim writes schema \(Schema.version)\(upgrade). "
                          + "Use another --db; the file is left as it is")
    }

    /// The error of a run whose process disappeared without closing it (SIGKILL, a crash, power
    /// loss), told apart from one stopped by Ctrl-C or SIGTERM ("interrupted by signal").
    public static let vanished = "the process vanished (killed outright, crashed or the machine stopped) without finishing the run"

    /// Runs left `running` by a process of this host that no longer exists (killed outright) are
    /// marked interrupted with `vanished` as their error, so that `running` always means running.
    private func markVanishedRuns() throws(SQLiteError) {
        let host = ProcessInfo.processInfo.hostName
        let select = try db.prepare("SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?")
        select.bind(1, host)
        var vanished: [Int64] = []
        while try select.step() {
            let pid = pid_t(select.int64(1))
            if kill(pid, 0) != 0 && errno == ESRCH { vanished.append(select.int64(0)) }
        }
        let update = try db.prepare("""
            UPDATE runs SET status = 'interrupted', error = '\(Self.vanished)' WHERE run_id = ?
            """)
        for run in vanished {
            update.bind(1, run)
            try update.run()
        }
    }

    // MARK: Rows

    /// Rows per multi-row INSERT: one statement step writes this many rows, which halves the
    /// per-row cost of SQLite's statement machinery for detail tables.
    static let rowsPerInsert = 32

    /// An INSERT of `rows` rows into `table`'s `columns`.
    static func insertSQL(_ table: String, _ columns: [String], rows: Int) -> String {
        let one = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: one, count: rows).joined(separator: ",")
    }

    /// Writes `rows` through a single-row and a multi-row statement of `table`, `bindRow`
    /// binding one row's columns from a parameter offset.
    private func insertRows<Row>(_ rows: [Row], table: String, columns: [String], single: inout SQLiteStatement?,
                                 multi: inout SQLiteStatement?,
                                 bindRow: (SQLiteStatement, Int32, borrowing Row) -> Void) throws(SQLiteError) {
        if single == nil { single = try db.prepare(Self.insertSQL(table, columns, rows: 1)) }
        if multi == nil { multi = try db.prepare(Self.insertSQL(table, columns, rows: Self.rowsPerInsert)) }
        let width = Int32(columns.count)
        var i = 0
        while rows.count - i >= Self.rowsPerInsert {
            for k in 0..<Self.rowsPerInsert { bindRow(multi!, Int32(k) * width, rows[i + k]) }
            try multi!.run()
            i += Self.rowsPerInsert
        }
        while i < rows.count {
            bindRow(single!, 0, rows[i])
            try single!.run()
            i += 1
        }
    }

    static let requestColumns = ["row", "client", "client_group", "task", "model", "frame", "copy", "route", "server",
                                 "created_ns", "device_start_dt", "device_end_dt", "sent_dt", "arrived_dt", "queued_dt", "batch_id",
                                 "batch_size", "gpu", "batch_start_dt", "batch_end_dt", "completed_dt", "deadline_dt",
                                 "status", "drop_reason", "in_window"]

    /// Writes coded request rows (`DetailSchema`): keyed by run and id, names as codes, stage
    /// times after creation.
    private func writeRequests(_ rows: [RequestRecord], run: Int64, spec: WorldSpec) throws(SQLiteError) {
        guard !rows.isEmpty else { return }
        let names = try nameCodes(run: run, spec: spec)
        try insertRows(rows, table: "request_rows", columns: Self.requestColumns, single: &insertRequest, multi: &insertRequests) { s, o, row in
            let r = row.request
            func after(_ i: Int32, _ t: Int64) { if t >= 0 { s.bind(o + i, t - r.created) } else { s.bindNull(o + i) } }
            let c = Int(r.client)
            s.bind(o + 1, DetailSchema.key(run: run, place: Int64(r.id)))
            s.bind(o + 2, names.clients[c])
            s.bind(o + 3, names.groups[spec.clients[c].group])
            s.bind(o + 4, names.tasks[c][Int(r.task)])
            s.bind(o + 5, names.models[Int(r.model)])
            s.bind(o + 6, r.frame)
            s.bind(o + 7, Int64(r.copy))
            if let route = row.route { s.bind(o + 8, names.route(route, spec: spec)) } else { s.bindNull(o + 8) }
            if r.server >= 0 { s.bind(o + 9, names.servers[Int(r.server)]) } else { s.bindNull(o + 9) }
            s.bind(o + 10, r.created)
            after(11, r.deviceStart)
            after(12, r.deviceEnd)
            after(13, r.sent)
            after(14, r.arrived)
            after(15, r.queued)
            if r.batch >= 0 { s.bind(o + 16, r.batch) } else { s.bindNull(o + 16) }
            if r.batch >= 0 { s.bind(o + 17, Int64(r.batchSize)); s.bind(o + 18, Int64(r.gpu)) } else { s.bindNull(o + 17); s.bindNull(o + 18) }
            after(19, r.batchStart)
            after(20, r.batchEnd)
            after(21, r.completed)
            s.bind(o + 22, r.deadline - r.created)
            switch row.outcome { // DetailSchema.statusCodes
            case .completed: s.bind(o + 23, Int64(0)); s.bindNull(o + 24)
            case .dropped(let reason): s.bind(o + 23, Int64(1)); s.bind(o + 24, names.reason(reason))
            case .cancelled: s.bind(o + 23, Int64(2)); s.bindNull(o + 24)
            case .unfinished: s.bind(o + 23, Int64(3)); s.bindNull(o + 24)
            }
            s.bind(o + 25, r.created >= spec.warmup && r.created < spec.duration ? 1 : 0)
        }
    }

    /// Names given a code by this slice's rows, in the same transaction as the rows.
    private func writeNames(run: Int64) throws(SQLiteError) {
        guard let names, names.run == run else { return }
        let new = names.unwritten
        guard !new.isEmpty else { return }
        if insertName == nil { insertName = try db.prepare("INSERT INTO names (run_id, code, name) VALUES (?,?,?)") }
        let s = insertName!
        for n in new {
            s.bind(1, run)
            s.bind(2, n.code)
            s.bind(3, n.name)
            try s.run()
        }
    }

    /// "edge", "device[0,40) > edge[40,174)", "server:gpu-a[0,90) > server:gpu-b[90,174)".
    static func describe(_ route: Route, spec: WorldSpec) -> String {
        route.stages.map { stage in
            let place: String
            switch stage.placement {
            case .device: place = "device"
            case .site(let x): place = spec.sites[x].name
            case .server(let v): place = "server:" + spec.servers[v].name
            }
            return place + (stage.layers.map { "[\($0.lowerBound),\($0.upperBound))" } ?? "")
        }.joined(separator: " > ")
    }

    static let frameColumns = ["row", "client", "task", "frame", "time_ns", "staleness_frames", "accuracy", "source", "in_window"]

    /// `frame_rows.source`, in the order of `DetailSchema.sourceCodes`.
    static func sourceCode(_ source: ResultSource) -> Int64 {
        switch source {
        case .server: 0
        case .local: 1
        case .none: 2
        }
    }

    private func writeFrames(_ rows: [FrameRecord], run: Int64, spec: WorldSpec) throws(SQLiteError) {
        guard !rows.isEmpty else { return }
        let names = try nameCodes(run: run, spec: spec)
        var place = names.reserveFrames(rows.count)
        try insertRows(rows, table: "frame_rows", columns: Self.frameColumns, single: &insertFrame, multi: &insertFrames) { s, o, f in
            s.bind(o + 1, DetailSchema.key(run: run, place: place))
            place += 1
            s.bind(o + 2, names.clients[Int(f.client)])
            s.bind(o + 3, names.tasks[Int(f.client)][Int(f.task)])
            s.bind(o + 4, f.frame)
            s.bind(o + 5, f.time)
            if f.staleness >= 0 { s.bind(o + 6, f.staleness) } else { s.bindNull(o + 6) }
            s.bind(o + 7, f.accuracy)
            s.bind(o + 8, Self.sourceCode(f.source))
            s.bind(o + 9, f.time >= spec.warmup && f.time < spec.duration ? 1 : 0)
        }
    }

    private func writePlans(_ rows: [PlanRecord], run: Int64) throws(SQLiteError) {
        guard !rows.isEmpty else { return }
        let s = try db.prepare("INSERT INTO plans (run_id, time_ns, plan, objective, solve_s) VALUES (?,?,?,?,?)")
        for p in rows {
            s.bind(1, run)
            s.bind(2, p.time)
            s.bind(3, p.json)
            s.bind(4, p.objective)
            s.bind(5, p.solveSeconds)
            try s.run()
        }
    }

    private func writeBatches(_ rows: [BatchRecord], run: Int64, spec: WorldSpec) throws(SQLiteError) {
        guard !rows.isEmpty else { return }
        if insertBatch == nil {
            insertBatch = try db.prepare("""
                INSERT INTO batch_rows (row, server, gpu, model, size, start_ns, end_ns) VALUES (?,?,?,?,?,?,?)
                """)
        }
        let s = insertBatch!
        let names = try nameCodes(run: run, spec: spec)
        for b in rows {
            s.bind(1, DetailSchema.key(run: run, place: b.id))
            s.bind(2, names.servers[Int(b.server)])
            s.bind(3, Int64(b.gpu))
            s.bind(4, names.models[Int(b.model)])
            s.bind(5, Int64(b.size))
            s.bind(6, b.start)
            s.bind(7, b.end)
            try s.run()
        }
    }

    private func writeSummary(_ summary: RunSummary, run: Int64) throws(SQLiteError) {
        let s = try db.prepare("""
            INSERT INTO summary (run_id, scope, name, requests, completed, met_deadline, dropped, unfinished, cancelled_copies,
                throughput_rps, goodput_rps, latency_mean_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms,
                latency_p999_ms, latency_max_ms, queue_wait_mean_ms, service_mean_ms, network_mean_ms,
                deadline_miss_rate, gpu_utilization, frames, accuracy_mean, accuracy_p5, accuracy_p50, cost_usd, window_s,
                staleness_mean_frames, fallback_share)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        for r in summary.rows {
            s.bind(1, run)
            s.bind(2, r.scope)
            s.bind(3, r.name)
            s.bind(4, r.requests)
            s.bind(5, r.completed)
            s.bind(6, r.metDeadline)
            s.bind(7, r.dropped)
            s.bind(8, r.unfinished)
            s.bind(9, r.cancelled)
            s.bind(10, r.throughput)
            s.bind(11, r.goodput)
            s.bind(12, r.latencyMeanMs)
            s.bind(13, r.latencyP50Ms)
            s.bind(14, r.latencyP95Ms)
            s.bind(15, r.latencyP99Ms)
            s.bind(16, r.latencyP999Ms)
            s.bind(17, r.latencyMaxMs)
            s.bind(18, r.queueWaitMeanMs)
            s.bind(19, r.serviceMeanMs)
            s.bind(20, r.networkMeanMs)
            s.bind(21, r.deadlineMissRate)
            s.bind(22, r.gpuUtilization)
            s.bind(23, r.frames)
            s.bind(24, r.accuracyMean)
            s.bind(25, r.accuracyP5)
            s.bind(26, r.accuracyP50)
            s.bind(27, r.costUSD)
            s.bind(28, summary.windowSeconds)
            s.bind(29, r.stalenessMeanFrames)
            s.bind(30, r.fallbackShare)
            try s.run()
        }
        let cdf = try db.prepare("INSERT INTO latency_cdf (run_id, scope, name, fraction, latency_ms) VALUES (?,?,?,?,?)")
        for r in summary.rows {
            for (f, ms) in zip(SummaryRow.cdfFractions, r.latencyCDFMs) {
                cdf.bind(1, run)
                cdf.bind(2, r.scope)
                cdf.bind(3, r.name)
                cdf.bind(4, f)
                cdf.bind(5, ms)
                try cdf.run()
            }
        }
        let g = try db.prepare("""
            INSERT INTO gpus (run_id, server, gpu, gpu_type, physical_gpu, mps_share, batches, busy_s, utilization, memory_bytes)
            VALUES (?,?,?,?,?,?,?,?,?,?)
            """)
        for row in summary.gpus {
            g.bind(1, run)
            g.bind(2, row.server)
            g.bind(3, row.gpu)
            g.bind(4, row.gpuType)
            g.bind(5, row.physical)
            g.bind(6, row.mpsShare)
            g.bind(7, row.batches)
            g.bind(8, row.busySeconds)
            g.bind(9, row.utilization)
            g.bind(10, row.memoryBytes)
            try g.run()
        }
        let l = try db.prepare("""
            INSERT INTO links (run_id, name, kind, bytes, transfers, busy_s, utilization, mean_mbps) VALUES (?,?,?,?,?,?,?,?)
            """)
        for row in summary.links {
            l.bind(1, run)
            l.bind(2, row.name)
            l.bind(3, row.kind)
            l.bind(4, row.bytes)
            l.bind(5, row.transfers)
            l.bind(6, row.busySeconds)
            l.bind(7, row.utilization)
            l.bind(8, row.meanMbps)
            try l.run()
        }
        let sessions = try db.prepare("""
            INSERT INTO sessions (run_id, client, client_group, site, requested_ns, replied_ns, admitted, reason, ended_ns)
            VALUES (?,?,?,?,?,?,?,?,?)
            """)
        for row in summary.sessions {
            sessions.bind(1, run)
            sessions.bind(2, row.client)
            sessions.bind(3, row.group)
            sessions.bind(4, row.site)
            sessions.bind(5, row.requested >= 0 ? row.requested : nil)
            sessions.bind(6, row.replied >= 0 ? row.replied : nil)
            sessions.bind(7, Int64(row.admitted ? 1 : 0))
            sessions.bind(8, row.reason)
            sessions.bind(9, row.ended >= 0 ? row.ended : nil)
            try sessions.run()
        }
        let c = try db.prepare("""
            INSERT INTO clients (run_id, client, client_group, frames, offloads, local_runs, requests, met_deadline,
                deadline_miss_rate, latency_mean_ms, accuracy_mean, handovers, migrations) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        for row in summary.clients {
            c.bind(1, run)
            c.bind(2, row.name)
            c.bind(3, row.group)
            c.bind(4, row.frames)
            c.bind(5, row.offloads)
            c.bind(6, row.localRuns)
            c.bind(7, row.requests)
            c.bind(8, row.metDeadline)
            c.bind(9, row.deadlineMissRate)
            c.bind(10, row.latencyMeanMs)
            c.bind(11, row.accuracyMean)
            c.bind(12, row.handovers)
            c.bind(13, row.migrations)
            try c.run()
        }
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}

/// One line of `arsim runs`.
public struct RunRow: Sendable {
    public var id: Int64
    public var scenario: String
    public var seed: Int64
    public var detail: String
    public var status: String
    public var startedAt: String
    public var wallSeconds: Double?
    public var events: Int64?
    public var error: String?
    public var label: String?
    /// The `--set` overrides as a JSON array of `path=value` strings.
    public var overrides: String
    public var sweep: SweepTag?
    /// A `running` run whose process on this host is gone (found without writing anything).
    public var processGone: Bool
}

extension ResultsStore {
    public func runs() throws(SQLiteError) -> [RunRow] {
        let s = try db.prepare("""
            SELECT run_id, scenario_name, seed, detail, status, started_at, wall_seconds, events_processed, error,
                   label, overrides, sweep_id, point, replication, host, pid
            FROM runs ORDER BY run_id
            """)
        var rows: [RunRow] = []
        let host = ProcessInfo.processInfo.hostName
        while try s.step() {
            let wall: Double? = if case .null = s.value(6) { nil } else { s.double(6) }
            let events: Int64? = if case .null = s.value(7) { nil } else { s.int64(7) }
            let sweep: SweepTag? = if case .null = s.value(11) { nil }
                else { SweepTag(sweepID: s.int64(11), point: Int(s.int64(12)), replication: Int(s.int64(13))) }
            let status = s.text(4) ?? ""
            let gone = status == "running" && s.text(14) == host && kill(pid_t(s.int64(15)), 0) != 0 && errno == ESRCH
            rows.append(RunRow(id: s.int64(0), scenario: s.text(1) ?? "", seed: s.int64(2), detail: s.text(3) ?? "",
                               status: status, startedAt: s.text(5) ?? "", wallSeconds: wall, events: events,
                               error: s.text(8), label: s.text(9), overrides: s.text(10) ?? "[]", sweep: sweep,
                               processGone: gone))
        }
        return rows
    }
}

extension ResultsStore {
    /// The rows of a read-only query, each cell as SQLite gives it (`arsim report` reads through this).
    public func select(_ sql: String, _ bindings: [Int64] = []) throws -> [[SQLiteStatement.Value]] {
        let s = try db.prepare(sql)
        for (i, b) in bindings.enumerated() { s.bind(Int32(i + 1), b) }
        var rows: [[SQLiteStatement.Value]] = []
        while try s.step() { rows.append((0..<s.columnCount).map { s.value($0) }) }
        return rows
    }

    /// Whether the database has a table (an older file may lack a newer one, such as `bins`);
    /// `schema` names an attached database instead of this one. With `orView`, a view counts
    /// (`requests`, `frames` and `batches` are views from schema 6, tables before).
    public func hasTable(_ name: String, in schema: String = "main", orView: Bool = false) throws(SQLiteError) -> Bool {
        let s = try db.prepare("SELECT 1 FROM \(schema).sqlite_master WHERE type IN ('table', ?) AND name = ?")
        s.bind(1, orView ? "view" : "table")
        s.bind(2, name)
        return try s.step()
    }
}

import EdgeWorld
import Foundation
import ResultsStore
import Runner
import Scenario
import SimKernel
import XCTest

final class ResultsStoreTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func scenario(name: String = "store test", detail: String = "requests", seconds: Double = 3) throws -> Scenario {
        try Scenario.parse("""
            {"name": "\(name)", "duration_s": \(seconds), "warmup_s": 0.5, "detail": "\(detail)",
             "models": [{"name": "m", "latency_ms": {"1": 4, "2": 5, "4": 7}}],
             "servers": [{"name": "edge", "gpus": 2, "policy": {"name": "dynamic_batch", "max_batch": 4, "max_queue_delay_ms": 2},
                          "variability": "exponential"}],
             "clients": [{"name": "p", "count": 10, "model": "m", "fps": 30, "deadline_ms": 50, "frame_bytes": 20000,
                          "result_bytes": 100, "network": {"uplink_mbps": 30, "downlink_mbps": 60, "delay_ms": 5}}]}
            """, file: "inline.json")
    }

    func csv(_ store: ResultsStore, _ table: String, run: Int64? = nil) throws -> String {
        var text = ""
        try CSVExport.export(store: store, table: table, run: run) { text += $0 }
        return text
    }

    func count(_ store: ResultsStore, _ table: String, run: Int64) throws -> Int {
        try csv(store, table, run: run).split(separator: "\n").count - 1
    }

    func testCompletedRunHasAllItsRows() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        let outcome = try Runner(scenario: scenario()).run(store: store)
        let run = try XCTUnwrap(outcome.runID)
        XCTAssertEqual(outcome.status, .completed)
        let runs = try store.runs()
        XCTAssertEqual(runs.map(\.status), ["completed"])
        XCTAssertEqual(runs[0].events, Int64(outcome.eventsProcessed))
        // 10 clients × 30 fps × 3 s; every one written, the summary counts those after warm-up.
        XCTAssertEqual(try count(store, "requests", run: run), 900)
        XCTAssertEqual(outcome.summary.run.requests, 750)
        // Every request that reached a GPU is in exactly one batch row.
        let batches = CSVReader.parse(try csv(store, "batches", run: run))
        let sizeColumn = try XCTUnwrap(batches[0].firstIndex(of: "size"))
        let requests = CSVReader.parse(try csv(store, "requests", run: run))
        let batchColumn = try XCTUnwrap(requests[0].firstIndex(of: "batch_id"))
        XCTAssertEqual(batches.dropFirst().map { Int($0[sizeColumn])! }.reduce(0, +),
                       requests.dropFirst().filter { !$0[batchColumn].isEmpty }.count)
        XCTAssertGreaterThanOrEqual(batches.count - 1, outcome.summary.gpus.map(\.batches).reduce(0, +))
        XCTAssertEqual(try count(store, "summary", run: run), outcome.summary.rows.count)
        XCTAssertEqual(try count(store, "gpus", run: run), 2)
    }

    func testLaterRunsAppendAndNothingEarlierIsLost() throws {
        let path = directory.appendingPathComponent("r.sqlite").path
        let first = try Runner(scenario: scenario()).run(store: ResultsStore(path: path))
        let before = try csv(ResultsStore(path: path), "requests", run: first.runID)
        var s = try scenario()
        s.spec.seed = 99
        let second = try Runner(scenario: s).run(store: ResultsStore(path: path))
        let store = try ResultsStore(path: path)
        XCTAssertEqual(try store.runs().map(\.id), [1, 2])
        XCTAssertEqual(second.runID, 2)
        XCTAssertEqual(try csv(store, "requests", run: 1), before)
        XCTAssertNotEqual(try csv(store, "requests", run: 2).split(separator: "\n").dropFirst().map { $0.dropFirst(2) },
                          before.split(separator: "\n").dropFirst().map { $0.dropFirst(2) }, "another seed, other rows")
    }

    /// The detail tables as schema 5 had them (before they were coded behind views).
    static let schemaFiveDetail = """
        CREATE TABLE requests (run_id INTEGER NOT NULL, request_id INTEGER NOT NULL, client TEXT NOT NULL, client_group TEXT NOT NULL,
            task TEXT NOT NULL, model TEXT NOT NULL, frame INTEGER NOT NULL, copy INTEGER NOT NULL, route TEXT, server TEXT,
            created_ns INTEGER NOT NULL, device_start_ns INTEGER, device_end_ns INTEGER, sent_ns INTEGER, arrived_ns INTEGER,
            queued_ns INTEGER, batch_id INTEGER, batch_size INTEGER, gpu INTEGER, batch_start_ns INTEGER, batch_end_ns INTEGER,
            completed_ns INTEGER, deadline_ns INTEGER NOT NULL, latency_ns INTEGER,
            status TEXT NOT NULL CHECK (status IN ('completed', 'dropped', 'cancelled', 'unfinished')), drop_reason TEXT,
            met_deadline INTEGER NOT NULL, in_window INTEGER NOT NULL);
        CREATE INDEX requests_by_run ON requests (run_id, request_id);
        CREATE TABLE frames (run_id INTEGER NOT NULL, client TEXT NOT NULL, task TEXT NOT NULL, frame INTEGER NOT NULL,
            time_ns INTEGER NOT NULL, staleness_frames INTEGER, accuracy REAL NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('server', 'local', 'none')), in_window INTEGER NOT NULL);
        CREATE INDEX frames_by_run ON frames (run_id);
        CREATE TABLE batches (run_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, server TEXT NOT NULL, gpu INTEGER NOT NULL,
            model TEXT NOT NULL, size INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, service_ns INTEGER NOT NULL);
        CREATE INDEX batches_by_run ON batches (run_id, batch_id);
        """

    /// Turns a file this arsim wrote into the schema-5 file an earlier arsim would have: the
    /// detail rows, as the views read them, in plain tables; then, for 4, without the summary's
    /// staleness and fallback columns. The rows go in as sweep workers sharing a file wrote
    /// them: runs interleaved, request and batch ids out of order (a run's frames keep theirs).
    func downgrade(_ path: String, to version: Int) throws {
        let frameColumns = "run_id, client, task, frame, time_ns, staleness_frames, accuracy, source, in_window"
        let db = try SQLiteDatabase(path: path)
        var sql = """
            BEGIN;
            CREATE TEMP TABLE r AS SELECT * FROM requests; CREATE TEMP TABLE f AS SELECT * FROM frames;
            CREATE TEMP TABLE b AS SELECT * FROM batches;
            DROP VIEW requests; DROP VIEW frames; DROP VIEW batches;
            DROP TABLE request_rows; DROP TABLE frame_rows; DROP TABLE batch_rows; DROP TABLE names;
            \(Self.schemaFiveDetail)
            INSERT INTO requests SELECT * FROM temp.r ORDER BY (request_id * 7919) % 1009, run_id;
            INSERT INTO frames SELECT \(frameColumns) FROM
                (SELECT *, row_number() OVER (PARTITION BY run_id ORDER BY rowid) AS k FROM temp.f) ORDER BY k, run_id;
            INSERT INTO batches SELECT * FROM temp.b ORDER BY batch_id % 7, run_id;
            UPDATE meta SET value = '\(version)' WHERE key = 'schema_version';
            """
        if version == 4 { sql += "ALTER TABLE summary DROP COLUMN staleness_mean_frames; ALTER TABLE summary DROP COLUMN fallback_share;" }
        try db.execute(sql + "COMMIT;")
    }

    /// The detail rows of a file, as `arsim export` writes them.
    func detail(_ store: ResultsStore) throws -> [String] {
        try ["requests", "frames", "batches"].map { try csv(store, $0) }
    }

    /// A schema-5 file reads as it is (its detail tables have the views' columns) and is
    /// upgraded when a run is appended: every earlier row of its two runs reads the same, now
    /// coded, and the new run's rows follow.
    func testSchemaFiveReadsAndIsUpgradedWhenARunIsAppended() throws {
        let path = directory.appendingPathComponent("old.sqlite").path
        _ = try Runner(scenario: scenario()).run(store: ResultsStore(path: path))
        var other = try scenario(name: "other")
        other.spec.seed = 5
        _ = try Runner(scenario: other).run(store: ResultsStore(path: path))
        let before = try detail(ResultsStore(readingFrom: path))
        try downgrade(path, to: 5)
        XCTAssertEqual(try detail(ResultsStore(readingFrom: path)), before, "schema 5 read as it is")
        _ = try Runner(scenario: scenario()).run(store: ResultsStore(path: path))
        let store = try ResultsStore(readingFrom: path)
        XCTAssertEqual(try store.runs().map(\.id), [1, 2, 3])
        for (i, table) in ["requests", "frames", "batches"].enumerated() {
            let old = try csv(store, table, run: 1) + csv(store, table, run: 2).split(separator: "\n").dropFirst().map { $0 + "\n" }.joined()
            XCTAssertEqual(old, before[i], table)
        }
        XCTAssertEqual(try store.select("SELECT value FROM meta WHERE key = 'schema_version'"), [[.text("6")]])
        XCTAssertEqual(try store.select("SELECT count(*) FROM sqlite_master WHERE name LIKE '%schema5'"), [[.integer(0)]])
        // The same scenario and seed: run 3's rows are run 1's.
        func rows(_ text: String) -> [Substring] { text.split(separator: "\n").dropFirst().map { $0.drop { $0 != "," } } }
        XCTAssertEqual(rows(try csv(store, "requests", run: 3)), rows(try csv(store, "requests", run: 1)))
        XCTAssertEqual(rows(try csv(store, "frames", run: 3)), rows(try csv(store, "frames", run: 1)))
    }

    /// A schema-4 file (no staleness or fallback columns, detail as schema 5) is refused for
    /// reading and upgraded, its runs kept, when a run is appended to it.
    func testSchemaFourIsUpgradedWhenARunIsAppended() throws {
        let path = directory.appendingPathComponent("old.sqlite").path
        let first = try Runner(scenario: scenario()).run(store: ResultsStore(path: path))
        let before = try csv(ResultsStore(path: path), "requests", run: first.runID)
        try downgrade(path, to: 4)
        XCTAssertThrowsError(try ResultsStore(readingFrom: path)) { XCTAssertTrue("\($0)".contains("upgrades it"), "\($0)") }
        _ = try Runner(scenario: scenario()).run(store: ResultsStore(path: path))
        let store = try ResultsStore(readingFrom: path)
        XCTAssertEqual(try store.runs().map(\.id), [1, 2])
        XCTAssertEqual(try csv(store, "requests", run: 1), before)
        XCTAssertTrue(try csv(store, "summary", run: 2).split(separator: "\n")[0].contains("staleness_mean_frames"))
    }

    /// Merging copies detail rows whole, from a schema-6 file (its coded tables) and from a
    /// schema-5 one (through the views); the codes of the two runs do not mix.
    func testMergeCopiesDetailRowsFromBothSchemas() throws {
        let a = directory.appendingPathComponent("a.sqlite").path, b = directory.appendingPathComponent("b.sqlite").path
        _ = try Runner(scenario: scenario(name: "a")).run(store: ResultsStore(path: a))
        var other = try scenario(name: "b")
        other.spec.seed = 7
        _ = try Runner(scenario: other).run(store: ResultsStore(path: b))
        let rowsA = try detail(ResultsStore(readingFrom: a)), rowsB = try detail(ResultsStore(readingFrom: b))
        try downgrade(b, to: 5)
        let into = try ResultsStore(path: directory.appendingPathComponent("all.sqlite").path)
        _ = try into.merge(from: a)
        _ = try into.merge(from: b)
        func renumbered(_ text: String, run: Int) -> String {
            text.split(separator: "\n").enumerated().map { $0.offset == 0 ? String($0.element) : "\(run)" + $0.element.drop { $0 != "," } }
                .joined(separator: "\n") + "\n"
        }
        for (i, table) in ["requests", "frames", "batches"].enumerated() {
            XCTAssertEqual(try csv(into, table, run: 1), rowsA[i], table)
            XCTAssertEqual(try csv(into, table, run: 2), renumbered(rowsB[i], run: 2), table)
        }
        XCTAssertNotEqual(rowsA[0], renumbered(rowsB[0], run: 1), "another seed, other rows")
    }

    func testSummaryDetailWritesNoPerRequestRows() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        let outcome = try Runner(scenario: scenario(detail: "summary")).run(store: store)
        XCTAssertEqual(try count(store, "requests", run: outcome.runID!), 0)
        XCTAssertEqual(try count(store, "batches", run: outcome.runID!), 0)
        XCTAssertGreaterThan(try count(store, "summary", run: outcome.runID!), 0)
    }

    /// An interrupted run keeps what it simulated, gets its summary, and is marked.
    func testInterruptedRunIsMarkedAndConsistent() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        var runner = Runner(scenario: try scenario(seconds: 30))
        runner.sliceEvents = 1_000
        var slices = 0
        let outcome = try runner.run(store: store) { slices += 1; return slices == 3 }
        XCTAssertEqual(outcome.status, .interrupted)
        let row = try store.runs()[0]
        XCTAssertEqual(row.status, "interrupted")
        XCTAssertEqual(row.error, "interrupted by signal")
        XCTAssertEqual(outcome.eventsProcessed, 3_000)
        let requests = try count(store, "requests", run: 1)
        XCTAssertGreaterThan(requests, 0)
        XCTAssertEqual(outcome.summary.windowSeconds, Double(outcome.simulatedEnd) / 1e9 - 0.5, accuracy: 1e-9,
                       "an interrupted run measures up to where it stopped")
        XCTAssertGreaterThan(try count(store, "summary", run: 1), 0)
    }

    /// A run that fails midway is marked failed with the error, and the rows of the slices
    /// committed before the failure are all there, none half-written.
    func testFailedRunIsMarkedAndConsistent() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "disk on fire" } }
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        var runner = Runner(scenario: try scenario(seconds: 30))
        runner.sliceEvents = 1_000
        var slices = 0
        XCTAssertThrowsError(try runner.run(store: store) {
            slices += 1
            if slices == 2 { throw Boom() }
            return false
        })
        let row = try store.runs()[0]
        XCTAssertEqual(row.status, "failed")
        XCTAssertEqual(row.error, "disk on fire")
        // The failed run's rows stay readable: the export has its header and, before the failure, its rows.
        let exported = try csv(store, "requests", run: 1).split(separator: "\n")
        XCTAssertTrue(exported.first?.contains("request_id") == true, "\(exported.first ?? "")")
        XCTAssertEqual(try count(store, "summary", run: 1), 0, "a failed run has no summary")
        XCTAssertEqual(try store.select("PRAGMA wal_autocheckpoint"), [[.integer(1_000)]], "checkpoints handed back")
        // A later run in the same file works and the failed one stays.
        let next = try Runner(scenario: scenario()).run(store: store)
        XCTAssertEqual(next.runID, 2)
        XCTAssertEqual(try store.runs().map(\.status), ["failed", "completed"])
    }

    /// Rows written slice by slice on the writer thread come out as one slice writes them: the
    /// same requests, frames and batches in the same order, whatever the slice size.
    func testSlicesWrittenOnTheWriterThreadKeepTheirOrder() throws {
        func tables(slice: UInt64) throws -> [String] {
            let store = try ResultsStore(path: directory.appendingPathComponent("s\(slice).sqlite").path)
            var runner = Runner(scenario: try scenario(seconds: 10))
            runner.sliceEvents = slice
            _ = try runner.run(store: store)
            return try ["requests", "frames", "batches"].map { try csv(store, $0, run: 1) }
        }
        let small = try tables(slice: 500), whole = try tables(slice: 1 << 40)
        XCTAssertGreaterThan(small[0].split(separator: "\n").count, 3000)
        XCTAssertEqual(small, whole)
    }

    /// The writing connection leaves checkpoints to `LogCheckpointer`, which keeps the
    /// write-ahead log near its limit however much the run writes; the connection checkpoints by
    /// itself again afterwards.
    func testCheckpointsOnTheSecondConnectionKeepTheLogBounded() throws {
        let path = directory.appendingPathComponent("r.sqlite").path
        let store = try ResultsStore(path: path)
        store.logLimitPages = 200
        var runner = Runner(scenario: try scenario(seconds: 120))
        runner.sliceEvents = 2_000
        _ = try runner.run(store: store)
        XCTAssertEqual(try store.select("SELECT count(*) FROM requests"), [[.integer(36_000)]])
        XCTAssertEqual(try store.select("PRAGMA wal_autocheckpoint"), [[.integer(1_000)]])
        let pages = try store.select("PRAGMA page_count")[0][0], size = try store.select("PRAGMA page_size")[0][0]
        guard case .integer(let n) = pages, case .integer(let b) = size else { return XCTFail("no page count") }
        let log = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        XCTAssertGreaterThan(n * b, 4_000_000, "the run wrote megabytes")
        // The limit and what the writer commits before a checkpoint reports the log full, a
        // few slices (2,000 events: about 300 requests' rows, some 40 pages). Without the limit
        // the log grew to twice the database (11.8 MB here).
        XCTAssertLessThan(Int64(log), 600 * (b + 24), "log \(log) bytes, database \(n * b)")
    }

    /// The views give back what the simulation recorded: over the measurement window, the
    /// request rows' statuses, met deadlines and latencies are the summary's figures, in a run
    /// with drops (a short queue under overload) and unfinished requests (no drain); frame rows
    /// are the summary's frames. Rows come in request-id order.
    func testDetailViewsAgreeWithTheSummary() throws {
        let scenario = try Scenario.parse("""
            {"name": "overload", "seed": 3, "duration_s": 6, "warmup_s": 1, "drain_s": 0, "detail": "requests",
             "models": [{"name": "m", "latency_ms": {"1": 10.7, "2": 11.3, "4": 12.7}}],
             "servers": [{"name": "edge", "gpus": 1, "policy": "fifo", "queue_capacity": 8,
                          "variability": {"kind": "lognormal", "cv": 0.05}}],
             "clients": [{"name": "p", "count": 5, "model": "m", "fps": 28, "arrivals": "poisson", "deadline_ms": 100,
                          "frame_bytes": 30000, "result_bytes": 2000,
                          "network": {"uplink_mbps": 20, "downlink_mbps": 50, "delay_ms": 10}}]}
            """, file: "inline.json")
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        let run = try Runner(scenario: scenario).run(store: store).summary
        let t = run.run
        XCTAssertGreaterThan(t.dropped, 50)
        XCTAssertGreaterThan(t.unfinished, 0)
        XCTAssertGreaterThan(t.completed, t.metDeadline)
        XCTAssertEqual(try store.select("""
            SELECT count(*), sum(status = 'completed'), sum(met_deadline), sum(status = 'dropped'), sum(status = 'unfinished'),
                   sum(latency_ns IS NOT NULL), sum(drop_reason IS NOT NULL)
            FROM requests WHERE run_id = 1 AND in_window = 1
            """), [[t.requests, t.completed, t.metDeadline, t.dropped, t.unfinished, t.completed, t.dropped].map { .integer(Int64($0)) }])
        guard case .real(let mean) = try store.select("SELECT avg(latency_ns) / 1e6 FROM requests WHERE in_window = 1")[0][0] else {
            return XCTFail("no latencies")
        }
        XCTAssertEqual(mean, try XCTUnwrap(t.latencyMeanMs), accuracy: 1e-9)
        XCTAssertEqual(try store.select("SELECT count(*) FROM frames WHERE in_window = 1"), [[.integer(Int64(t.frames))]])
        let reasons = try store.select("SELECT DISTINCT drop_reason FROM requests WHERE status = 'dropped' ORDER BY 1")
        XCTAssertFalse(reasons.isEmpty)
        for r in reasons { guard case .text(let name) = r[0], DropReason(rawValue: name) != nil else { return XCTFail("\(r)") } }
        let ids = CSVReader.parse(try csv(store, "requests")).dropFirst().map { Int($0[1])! }
        XCTAssertEqual(ids, Array(0..<ids.count))
    }

    /// Rows written through the views (as a merge from a schema-5 file writes them) read
    /// back exactly, NULLs and late and dropped requests included.
    func testRowsInsertedThroughTheViewsReadBackExactly() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        let info = RunInfo(scenarioName: "x", scenarioFile: "x.json", scenarioJSON: "{}", seed: 1, detail: .requests, arsimVersion: "test")
        let run = try store.beginRun(info)
        let requests = [
            // on time; late (completed after its deadline); dropped with a reason, no GPU stages; unfinished
            "\(run),0,p-0,p,detect,m,0,0,edge,edge,1000,,,1500,2000,2100,0,2,1,2200,3200,4000,9000,3000,completed,,1,1",
            "\(run),1,p-1,p,detect,m,0,0,edge,edge,1000,,,1500,2000,2100,0,2,1,2200,3200,12000,9000,11000,completed,,0,1",
            "\(run),2,p-0,p,detect,m2,1,0,edge,edge,34000,,,34500,35000,,,,,,,,42000,,dropped,queue_full,0,0",
            "\(run),3,p-1,p,track,m,1,1,edge > cloud,,70000,70001,70500,,,,,,,,,,78000,,unfinished,,0,1",
        ]
        let frames = ["\(run),p-0,detect,0,1000,,0.5,server,1", "\(run),p-1,track,1,70000,3,0.25,local,0"]
        let batches = ["\(run),0,edge,1,m,2,2200,3200,1000"]
        func values(_ line: String) -> String {
            line.split(separator: ",", omittingEmptySubsequences: false).map { field -> String in
                if field.isEmpty { return "NULL" }
                return Double(field) != nil ? String(field) : "'\(field)'"
            }.joined(separator: ", ")
        }
        let db = try SQLiteDatabase(path: store.path)
        for (table, rows) in [("requests", requests), ("frames", frames), ("batches", batches)] {
            for row in rows { try db.execute("INSERT INTO \(table) VALUES (\(values(row)))") }
        }
        XCTAssertEqual(try csv(store, "requests").split(separator: "\n").dropFirst().map(String.init), requests)
        XCTAssertEqual(try csv(store, "frames").split(separator: "\n").dropFirst().map(String.init), frames)
        XCTAssertEqual(try csv(store, "batches").split(separator: "\n").dropFirst().map(String.init), batches)
    }

    /// A detail row's key holds run ids up to 2^23 - 1; a run past that fails with a message
    /// instead of writing keys that would wrap into another run's.
    func testRunPastTheLastKeyableRunFailsWithAMessage() throws {
        let path = directory.appendingPathComponent("r.sqlite").path
        let store = try ResultsStore(path: path)
        _ = try Runner(scenario: scenario(detail: "summary", seconds: 1)).run(store: store)
        try SQLiteDatabase(path: path).execute("UPDATE sqlite_sequence SET seq = 8388606 WHERE name = 'runs'")
        // The last run a key can hold: its range ends at Int64.max, and it reads back whole.
        let last = try Runner(scenario: scenario(seconds: 1)).run(store: store)
        XCTAssertEqual(last.runID, 8_388_607)
        XCTAssertEqual(try count(store, "requests", run: 8_388_607), 300)
        XCTAssertThrowsError(try Runner(scenario: scenario()).run(store: store)) { error in
            XCTAssertTrue("\(error)".contains("run 8388608 is past the 8388607 runs"), "\(error)")
        }
        XCTAssertEqual(try store.runs().map(\.status), ["completed", "completed", "failed"])
        XCTAssertEqual(try store.select("SELECT count(*) FROM request_rows"), [[.integer(300)]])
        // Through the views, a row whose id cannot make a key is refused.
        XCTAssertThrowsError(try SQLiteDatabase(path: path).execute("""
            INSERT INTO batches VALUES (1, NULL, 'edge', 0, 'm', 1, 0, 10, 10)
            """)) { XCTAssertTrue("\($0)".contains("batch_id must be from 0 to"), "\($0)") }
    }

    /// A slice's rows are written on a second thread (`SliceWriter`). When that write fails, the
    /// run fails with SQLite's message; the failing slice leaves none of its rows and no later
    /// slice is written.
    func testWriteFailingOnTheWriterThreadFailsTheRun() throws {
        let path = directory.appendingPathComponent("r.sqlite").path
        let store = try ResultsStore(path: path)
        // Another connection makes the 400th request row unwritable.
        try SQLiteDatabase(path: path).execute("""
            CREATE TRIGGER refuse BEFORE INSERT ON request_rows WHEN NEW.row & 1099511627775 = 400
            BEGIN SELECT RAISE(ABORT, 'no room for request 400'); END;
            """)
        var runner = Runner(scenario: try scenario(seconds: 30))
        runner.sliceEvents = 1_000
        XCTAssertThrowsError(try runner.run(store: store)) { error in
            XCTAssertTrue("\(error)".contains("no room for request 400"), "\(error)")
        }
        let row = try store.runs()[0]
        XCTAssertEqual(row.status, "failed")
        XCTAssertTrue(row.error?.contains("no room for request 400") == true, row.error ?? "")
        XCTAssertEqual(try store.select("PRAGMA wal_autocheckpoint"), [[.integer(1_000)]], "checkpoints handed back")
        XCTAssertEqual(try count(store, "summary", run: 1), 0)
        // 10 clients at 30 fps make request 400 in the run's second simulated second; the rows of
        // the slices before it are there, none from the failing slice or after it (9,000 in all).
        let requests = CSVReader.parse(try csv(store, "requests", run: 1)).dropFirst()
        let ids = requests.map { Int($0[1])! }
        XCTAssertGreaterThan(ids.count, 100)
        XCTAssertLessThan(ids.count, 600)
        XCTAssertFalse(ids.contains(400))
    }

    /// A run left `running` by a process that no longer exists is marked interrupted when the
    /// database is next opened.
    func testRunOfVanishedProcessIsMarkedInterrupted() throws {
        let path = directory.appendingPathComponent("r.sqlite").path
        let store = try ResultsStore(path: path)
        let info = RunInfo(scenarioName: "x", scenarioFile: "x.json", scenarioJSON: "{}", seed: 1, detail: .summary, arsimVersion: "test")
        let run = try store.beginRun(info)
        // Pretend the run belongs to a process that has exited.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let db = try SQLiteDatabase(path: path)
        try db.execute("UPDATE runs SET pid = \(child.processIdentifier) WHERE run_id = \(run)")
        XCTAssertEqual(try ResultsStore(path: path).runs()[0].status, "interrupted")
    }

    func testCSVQuotesFieldsPerRFC4180() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        _ = try Runner(scenario: scenario(name: "quote \\\" and, comma", seconds: 0.7)).run(store: store)
        let text = try csv(store, "runs")
        let header = text.split(separator: "\n")[0]
        XCTAssertTrue(header.hasPrefix("run_id,scenario_name,scenario_file,scenario_json,seed"))
        XCTAssertTrue(text.contains(",\"quote \"\" and, comma\","), "quotes doubled, field quoted")
        // The scenario JSON spans lines and has quotes: one quoted field, read back intact.
        let fields = CSVReader.parse(text)
        XCTAssertEqual(fields.count, 2)
        XCTAssertEqual(fields[1][1], "quote \" and, comma")
        XCTAssertTrue(fields[1][3].contains("\"duration_s\": 0.7"))
        XCTAssertEqual(fields[1].count, fields[0].count)
    }

    func testExportRejectsUnknownTableWithSuggestion() throws {
        let store = try ResultsStore(path: directory.appendingPathComponent("r.sqlite").path)
        XCTAssertThrowsError(try csv(store, "request")) { error in
            XCTAssertEqual("\(error)", "unknown table \"request\"; did you mean \"requests\"? (known: \"runs\", \"sweeps\", \"sweep_points\", \"capacity_probes\", \"latency_sources\", \"summary\", \"latency_cdf\", \"gpus\", \"links\", \"clients\", \"requests\", \"frames\", \"batches\", \"plans\", \"bins\", \"sessions\")")
        }
        XCTAssertThrowsError(try csv(store, "runs", run: 42)) { error in
            XCTAssertEqual("\(error)", "no run with id 42 in this database")
        }
    }
}

/// A strict RFC 4180 reader, only to check that what the exporter writes reads back.
enum CSVReader {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, i = text.unicodeScalars.startIndex
        let s = text.unicodeScalars
        while i < s.endIndex {
            let c = s[i]
            if quoted {
                if c == "\"" {
                    let next = s.index(after: i)
                    if next < s.endIndex && s[next] == "\"" { field.unicodeScalars.append("\""); i = next } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\n" { row.append(field); rows.append(row); row = []; field = ""
            } else { field.unicodeScalars.append(c) }
            i = s.index(after: i)
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// A policy that breaks its contract fails the run: the runs row says `failed` with a message
/// that names the server and the policy, and the runner throws instead of trapping.
final class PolicyFailureTests: XCTestCase {
    struct Greedy: ServerPolicy {
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 99)
        }
    }

    func testRunIsMarkedFailedWithThePolicysName() throws {
        var scenario = try Scenario.parse("""
            {"name": "breach", "duration_s": 1,
             "models": [{"name": "m", "latency_ms": {"1": 4}}],
             "servers": [{"name": "edge", "gpus": 1}],
             "clients": [{"name": "p", "model": "m", "fps": 30, "deadline_ms": 50, "frame_bytes": 100,
                          "network": {"uplink_mbps": 30, "downlink_mbps": 60}}]}
            """, file: "inline.json")
        scenario.spec.servers[0].policy = Greedy()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("breach-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try ResultsStore(path: path)
        XCTAssertThrowsError(try Runner(scenario: scenario).run(store: store)) { error in
            XCTAssertTrue("\(error)".contains("server edge: its policy Greedy asked for a batch of 99 with 1 waiting"), "\(error)")
        }
        let run = try XCTUnwrap(try store.runs().first)
        XCTAssertEqual(run.status, "failed")
        XCTAssertTrue(run.error?.contains("Greedy") == true, run.error ?? "")
    }
}

/// How the detail rows (`--detail requests`) are stored: coded tables behind views.
///
/// A researcher reads `requests`, `frames` and `batches`, which are views with the columns the
/// tables had before schema 6. What is stored is narrower, because writing it was most of a
/// detail run's time (issue 10, item 3; docs/performance.md):
/// - a row's key says its run and its place: `row` = run_id << 40 | the request id, the batch
///   id, or a frame row's place among its run's frame rows. A run's rows are one range of keys,
///   so the views find them without an index (an index per table cost a tenth of the writing)
///   and read them in their order without sorting;
/// - every name (client, group, task, model, route, server, drop reason) is an integer code
///   into `names`, per run;
/// - a request's stage times are offsets from its `created_ns` (`_dt`, nanoseconds after it):
///   small integers take 2–4 bytes in a record where a time since the run's start takes 6–8;
/// - a request's status and a frame's source are fixed integer codes (`statusCodes`,
///   `sourceCodes`);
/// - what follows from other columns (a request's `latency_ns` and `met_deadline`, a batch's
///   `service_ns`) is computed by the view, as `RequestRecord` computes it.
///
/// The views accept INSERTs of whole rows as they read (an INSTEAD OF trigger codes them); a
/// merge from a schema-5 file goes that way (the upgrade of one codes its rows set by set).
/// arsim's own writer binds the coded rows directly (`ResultsStore.writeRequests`).
enum DetailSchema {
    /// `request_rows.status`: the code of each `requests.status`.
    static let statusCodes = ["completed", "dropped", "cancelled", "unfinished"]
    /// `frame_rows.source`: the code of each `frames.source`.
    static let sourceCodes = ["server", "local", "none"]
    /// The views a researcher reads; tables of these names in a schema-5 file.
    static let views = ["requests", "frames", "batches"]
    /// The coded tables, keyed by run and place instead of holding a run id.
    static let keyedTables = ["request_rows", "frame_rows", "batch_rows"]

    /// Bits of a row's key below its run id: 2^40 rows a run, run ids up to 2^23 - 1.
    static let runShift: Int64 = 40
    static let placeMask: Int64 = (1 << runShift) - 1
    /// The largest run id a key can hold (a file with more runs writes no more detail rows).
    static let lastRun: Int64 = Int64.max >> runShift

    /// Refuses detail rows for a run id past `lastRun`: its keys would wrap into another run's.
    static func checkKeyable(run: Int64, in path: String) throws(SQLiteError) {
        guard run > lastRun else { return }
        throw SQLiteError(code: 0, message: "\(path): run \(run) is past the \(lastRun) runs whose detail rows this schema can key "
                          + "(DetailSchema); write this run to another --db")
    }

    /// Stops an INSERT through a view whose run or id cannot make a key (a NULL id would take
    /// the next free key, in whichever run's range that is).
    private static func refuseUnkeyable(_ id: String?) -> String {
        let run = "NEW.run_id IS NULL OR NEW.run_id < 0 OR NEW.run_id > \(lastRun)"
        guard let id else { return "SELECT RAISE(ABORT, 'run_id must be from 0 to \(lastRun)') WHERE \(run);" }
        return """
            SELECT RAISE(ABORT, '\(id) must be from 0 to \(placeMask), run_id from 0 to \(lastRun)')
                    WHERE NEW.\(id) IS NULL OR NEW.\(id) < 0 OR NEW.\(id) > \(placeMask) OR \(run);
            """
    }

    /// A row's key from its run and its place in the run.
    static func key(run: Int64, place: Int64) -> Int64 { run << runShift | place }

    /// The first key of `run` (an SQL expression).
    static func first(_ run: String) -> String { "(\(run) << \(runShift))" }
    /// The keys of `run`, for a join or a WHERE.
    static func keys(_ column: String, of run: String) -> String {
        "\(column) BETWEEN \(first(run)) AND \(first(run)) + \(placeMask)"
    }

    /// The name a code column of the view's row stands for: `r.client` reads `n_client.name`,
    /// joined by `joins`.
    private static func name(_ code: String) -> String { "\(alias(code)).name" }
    private static func alias(_ code: String) -> String { "n_" + code.split(separator: ".").last! }

    /// A view's joins to `names` for these code columns. LEFT JOINs on the whole key: a code
    /// without a name reads NULL rather than losing its row, and the planner keeps the keyed
    /// scan outermost (joins read 719,998 requests in 1.6 s where a subquery per name took 2.1 s).
    private static func joins(_ codes: [String]) -> String {
        codes.map { "LEFT JOIN names \(alias($0)) ON \(alias($0)).run_id = ru.run_id AND \(alias($0)).code = \($0)" }
            .joined(separator: "\n    ")
    }

    /// The code of a name of the row being inserted through a view.
    private static func code(_ value: String) -> String {
        "(SELECT code FROM names WHERE run_id = NEW.run_id AND name = \(value))"
    }

    /// Gives a name of the row being inserted through a view its code, if it has none yet.
    private static func intern(_ value: String) -> String {
        """
        INSERT OR IGNORE INTO names (run_id, code, name)
                SELECT NEW.run_id, coalesce((SELECT max(code) + 1 FROM names WHERE run_id = NEW.run_id), 0), \(value)
                WHERE \(value) IS NOT NULL;
        """
    }

    private static func fixed(_ column: String, _ codes: [String], reading: Bool) -> String {
        let cases = codes.enumerated().map { reading ? "WHEN \($0.offset) THEN '\($0.element)'" : "WHEN '\($0.element)' THEN \($0.offset)" }
        return "CASE \(column) \(cases.joined(separator: " ")) END"
    }

    /// Stage times stored as offsets from `created_ns`, in the view's column order.
    static let requestStages = ["device_start", "device_end", "sent", "arrived", "queued"]
    static let batchStages = ["batch_start", "batch_end", "completed"]

    static let sql = """
        -- Keyed by (run_id, code) without a rowid: a view reads a name from one B-tree.
        CREATE TABLE IF NOT EXISTS names (
            run_id INTEGER NOT NULL REFERENCES runs (run_id),
            code   INTEGER NOT NULL,
            name   TEXT NOT NULL,
            PRIMARY KEY (run_id, code)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX IF NOT EXISTS names_by_name ON names (run_id, name);

        CREATE TABLE IF NOT EXISTS request_rows (
            row             INTEGER PRIMARY KEY, -- run_id << 40 | request_id
            client          INTEGER NOT NULL, -- names.code, as are client_group, task, model, route, server, drop_reason
            client_group    INTEGER NOT NULL,
            task            INTEGER NOT NULL,
            model           INTEGER NOT NULL,
            frame           INTEGER NOT NULL,
            copy            INTEGER NOT NULL,
            route           INTEGER,
            server          INTEGER,
            created_ns      INTEGER NOT NULL,
            device_start_dt INTEGER,          -- ns after created_ns, as are all _dt columns
            device_end_dt   INTEGER,
            sent_dt         INTEGER,
            arrived_dt      INTEGER,
            queued_dt       INTEGER,
            batch_id        INTEGER,
            batch_size      INTEGER,
            gpu             INTEGER,
            batch_start_dt  INTEGER,
            batch_end_dt    INTEGER,
            completed_dt    INTEGER,
            deadline_dt     INTEGER NOT NULL,
            status          INTEGER NOT NULL, -- 0 completed, 1 dropped, 2 cancelled, 3 unfinished
            drop_reason     INTEGER,
            in_window       INTEGER NOT NULL
        );

        CREATE VIEW IF NOT EXISTS requests AS SELECT
            ru.run_id, r.row - \(first("ru.run_id")) AS request_id, \(name("r.client")) AS client,
            \(name("r.client_group")) AS client_group, \(name("r.task")) AS task, \(name("r.model")) AS model, r.frame, r.copy,
            \(name("r.route")) AS route, \(name("r.server")) AS server, r.created_ns,
            \(requestStages.map { "r.created_ns + r.\($0)_dt AS \($0)_ns" }.joined(separator: ", ")),
            r.batch_id, r.batch_size, r.gpu,
            \(batchStages.map { "r.created_ns + r.\($0)_dt AS \($0)_ns" }.joined(separator: ", ")),
            r.created_ns + r.deadline_dt AS deadline_ns,
            CASE WHEN r.status = 0 THEN r.completed_dt END AS latency_ns,
            \(fixed("r.status", statusCodes, reading: true)) AS status,
            \(name("r.drop_reason")) AS drop_reason,
            CASE WHEN r.status = 0 AND r.completed_dt <= r.deadline_dt THEN 1 ELSE 0 END AS met_deadline, r.in_window
            FROM runs ru JOIN request_rows r ON \(keys("r.row", of: "ru.run_id"))
            \(joins(["r.client", "r.client_group", "r.task", "r.model", "r.route", "r.server", "r.drop_reason"]))
            ORDER BY ru.run_id, r.row;

        CREATE TRIGGER IF NOT EXISTS requests_insert INSTEAD OF INSERT ON requests BEGIN
            \(refuseUnkeyable("request_id"))
            \(["client", "client_group", "task", "model", "route", "server", "drop_reason"].map { intern("NEW.\($0)") }.joined(separator: "\n    "))
            INSERT INTO request_rows VALUES (\(first("NEW.run_id")) + NEW.request_id, \(code("NEW.client")), \(code("NEW.client_group")),
                \(code("NEW.task")), \(code("NEW.model")), NEW.frame, NEW.copy, \(code("NEW.route")), \(code("NEW.server")),
                NEW.created_ns, \(requestStages.map { "NEW.\($0)_ns - NEW.created_ns" }.joined(separator: ", ")),
                NEW.batch_id, NEW.batch_size, NEW.gpu, \(batchStages.map { "NEW.\($0)_ns - NEW.created_ns" }.joined(separator: ", ")),
                NEW.deadline_ns - NEW.created_ns, \(fixed("NEW.status", statusCodes, reading: false)), \(code("NEW.drop_reason")),
                NEW.in_window);
        END;

        CREATE TABLE IF NOT EXISTS frame_rows (
            row              INTEGER PRIMARY KEY, -- run_id << 40 | the row's place among its run's frame rows
            client           INTEGER NOT NULL,    -- names.code, as is task
            task             INTEGER NOT NULL,
            frame            INTEGER NOT NULL,
            time_ns          INTEGER NOT NULL,
            staleness_frames INTEGER,
            accuracy         REAL NOT NULL,
            source           INTEGER NOT NULL,    -- 0 server, 1 local, 2 none
            in_window        INTEGER NOT NULL
        );

        -- In the order the rows were written.
        CREATE VIEW IF NOT EXISTS frames AS SELECT
            ru.run_id, \(name("f.client")) AS client, \(name("f.task")) AS task, f.frame,
            f.time_ns, f.staleness_frames, f.accuracy, \(fixed("f.source", sourceCodes, reading: true)) AS source, f.in_window
            FROM runs ru JOIN frame_rows f ON \(keys("f.row", of: "ru.run_id")) \(joins(["f.client", "f.task"]))
            ORDER BY ru.run_id, f.row;

        CREATE TRIGGER IF NOT EXISTS frames_insert INSTEAD OF INSERT ON frames BEGIN
            \(refuseUnkeyable(nil))
            \(intern("NEW.client"))
            \(intern("NEW.task"))
            INSERT INTO frame_rows VALUES (
                coalesce((SELECT max(row) + 1 FROM frame_rows WHERE \(keys("row", of: "NEW.run_id"))), \(first("NEW.run_id"))),
                \(code("NEW.client")), \(code("NEW.task")), NEW.frame, NEW.time_ns,
                NEW.staleness_frames, NEW.accuracy, \(fixed("NEW.source", sourceCodes, reading: false)), NEW.in_window);
        END;

        CREATE TABLE IF NOT EXISTS batch_rows (
            row      INTEGER PRIMARY KEY, -- run_id << 40 | batch_id
            server   INTEGER NOT NULL,    -- names.code, as is model
            gpu      INTEGER NOT NULL,
            model    INTEGER NOT NULL,
            size     INTEGER NOT NULL,
            start_ns INTEGER NOT NULL,
            end_ns   INTEGER NOT NULL
        );

        CREATE VIEW IF NOT EXISTS batches AS SELECT
            ru.run_id, b.row - \(first("ru.run_id")) AS batch_id, \(name("b.server")) AS server, b.gpu,
            \(name("b.model")) AS model, b.size, b.start_ns, b.end_ns, b.end_ns - b.start_ns AS service_ns
            FROM runs ru JOIN batch_rows b ON \(keys("b.row", of: "ru.run_id")) \(joins(["b.server", "b.model"]))
            ORDER BY ru.run_id, b.row;

        CREATE TRIGGER IF NOT EXISTS batches_insert INSTEAD OF INSERT ON batches BEGIN
            \(refuseUnkeyable("batch_id"))
            \(intern("NEW.server"))
            \(intern("NEW.model"))
            INSERT INTO batch_rows VALUES (\(first("NEW.run_id")) + NEW.batch_id, \(code("NEW.server")), NEW.gpu,
                \(code("NEW.model")), NEW.size, NEW.start_ns, NEW.end_ns);
        END;
        """

    /// Moves a schema-5 file's detail tables into the coded ones: the renames run inside the
    /// upgrade's transaction before `Schema.sql` (whose views take the tables' names), the move
    /// after it.
    static let renameSchema5 = """
        ALTER TABLE requests RENAME TO requests_schema5;
        ALTER TABLE frames RENAME TO frames_schema5;
        ALTER TABLE batches RENAME TO batches_schema5;
        """
    /// The rows are coded set by set rather than through the triggers, row by row: a schema-5
    /// file of 1.6 million detail rows took 13 s through the triggers.
    static let moveSchema5: String = {
        let texts = [("requests_schema5", ["client", "client_group", "task", "model", "route", "server", "drop_reason"]),
                     ("frames_schema5", ["client", "task"]), ("batches_schema5", ["server", "model"])]
        let every = texts.flatMap { table, columns in columns.map { "SELECT run_id, \($0) AS name FROM \(table)" } }
        func code(_ column: String, _ table: String) -> String {
            "(SELECT code FROM names n WHERE n.run_id = \(table).run_id AND n.name = \(table).\(column))"
        }
        let r = "requests_schema5", f = "frames_schema5", b = "batches_schema5"
        return """
            INSERT INTO names (run_id, code, name)
                SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY name) - 1, name
                FROM (SELECT DISTINCT run_id, name FROM (\(every.joined(separator: " UNION ALL "))) WHERE name IS NOT NULL)
                ORDER BY run_id, name;
            INSERT INTO request_rows
                SELECT \(first("\(r).run_id")) + \(r).request_id, \(code("client", r)), \(code("client_group", r)), \(code("task", r)),
                    \(code("model", r)), \(r).frame, \(r).copy, \(code("route", r)), \(code("server", r)), \(r).created_ns,
                    \(requestStages.map { "\(r).\($0)_ns - \(r).created_ns" }.joined(separator: ", ")),
                    \(r).batch_id, \(r).batch_size, \(r).gpu, \(batchStages.map { "\(r).\($0)_ns - \(r).created_ns" }.joined(separator: ", ")),
                    \(r).deadline_ns - \(r).created_ns, \(fixed("\(r).status", statusCodes, reading: false)), \(code("drop_reason", r)),
                    \(r).in_window
                FROM \(r) ORDER BY \(r).run_id, \(r).request_id;
            INSERT INTO frame_rows
                SELECT \(first("\(f).run_id")) + row_number() OVER (PARTITION BY \(f).run_id ORDER BY \(f).rowid) - 1,
                    \(code("client", f)), \(code("task", f)), \(f).frame, \(f).time_ns, \(f).staleness_frames, \(f).accuracy,
                    \(fixed("\(f).source", sourceCodes, reading: false)), \(f).in_window
                FROM \(f) ORDER BY \(f).run_id, \(f).rowid;
            INSERT INTO batch_rows
                SELECT \(first("\(b).run_id")) + \(b).batch_id, \(code("server", b)), \(b).gpu, \(code("model", b)), \(b).size,
                    \(b).start_ns, \(b).end_ns
                FROM \(b) ORDER BY \(b).run_id, \(b).batch_id;
            DROP TABLE requests_schema5;
            DROP TABLE frames_schema5;
            DROP TABLE batches_schema5;
            """
    }()
}

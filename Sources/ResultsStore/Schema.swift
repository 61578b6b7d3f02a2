/// The results database's tables. Created if absent, never dropped: a later run appends.
///
/// The detail rows (`requests`, `frames`, `batches`) are stored coded and read through views of
/// those names: `DetailSchema`.
///
/// Times inside the simulation are integer nanoseconds (`_ns`), exactly as simulated; summary
/// figures are in milliseconds (`_ms`), seconds (`_s`) or per second (`_rps`).
enum Schema {
    static let version = 6

    /// Tables that `arsim export` offers, with the columns that order their rows. Views
    /// (`DetailSchema`) are read in their own order, which is the same.
    static let exportable: [(table: String, orderBy: String)] = [
        ("runs", "run_id"),
        ("sweeps", "sweep_id"),
        ("sweep_points", "sweep_id, point, rowid"),
        ("capacity_probes", "sweep_id, probe"),
        ("latency_sources", "run_id, server, model"),
        ("summary", "run_id, rowid"),
        ("latency_cdf", "run_id, rowid"),
        ("gpus", "run_id, server, gpu"),
        ("links", "run_id, rowid"),
        ("clients", "run_id, rowid"),
        ("requests", "run_id, request_id"),
        ("frames", "run_id, rowid"),
        ("batches", "run_id, batch_id"),
        ("plans", "run_id, rowid"),
        ("bins", "run_id, start_ns, rowid"),
        ("sessions", "run_id, rowid"),
    ]

    static let sql = """
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '\(version)');
        INSERT OR IGNORE INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(8))));

        CREATE TABLE IF NOT EXISTS runs (
            run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario_name    TEXT NOT NULL,
            scenario_file    TEXT NOT NULL,
            scenario_json    TEXT NOT NULL,
            seed             INTEGER NOT NULL,
            detail           TEXT NOT NULL,
            arsim_version    TEXT NOT NULL,
            started_at       TEXT NOT NULL,
            ended_at         TEXT,
            wall_seconds     REAL,
            events_processed INTEGER,
            sim_end_ns       INTEGER,
            status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
            error            TEXT,
            host             TEXT,
            pid              INTEGER,
            label            TEXT,
            overrides        TEXT NOT NULL DEFAULT '[]',
            digest           TEXT NOT NULL,
            sweep_id         INTEGER,
            point            INTEGER,
            replication      INTEGER,
            origin           TEXT
        );
        CREATE INDEX IF NOT EXISTS runs_by_digest ON runs (digest, status);

        CREATE TABLE IF NOT EXISTS sweeps (
            sweep_id     INTEGER PRIMARY KEY AUTOINCREMENT,
            kind         TEXT NOT NULL CHECK (kind IN ('sweep', 'capacity')),
            name         TEXT NOT NULL,
            spec_json    TEXT NOT NULL,
            spec_digest  TEXT NOT NULL,
            base_seed    INTEGER NOT NULL,
            replications INTEGER NOT NULL,
            points       INTEGER NOT NULL,
            shard        TEXT,
            created_at   TEXT NOT NULL,
            status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
            answer       REAL,
            note         TEXT
        );

        CREATE TABLE IF NOT EXISTS sweep_points (
            sweep_id  INTEGER NOT NULL REFERENCES sweeps (sweep_id),
            point     INTEGER NOT NULL,
            label     TEXT NOT NULL,
            overrides TEXT NOT NULL,
            metric    TEXT NOT NULL,
            n         INTEGER NOT NULL,
            mean      REAL,
            stddev    REAL,
            ci_low    REAL,
            ci_high   REAL
        );
        CREATE INDEX IF NOT EXISTS sweep_points_by_sweep ON sweep_points (sweep_id, point);

        CREATE TABLE IF NOT EXISTS capacity_probes (
            sweep_id     INTEGER NOT NULL REFERENCES sweeps (sweep_id),
            probe        INTEGER NOT NULL,
            phase        TEXT NOT NULL,
            value        REAL NOT NULL,
            passed       INTEGER NOT NULL,
            replications INTEGER NOT NULL,
            metrics      TEXT NOT NULL
        );

        CREATE TABLE IF NOT EXISTS latency_sources (
            run_id          INTEGER NOT NULL REFERENCES runs (run_id),
            server          TEXT NOT NULL,
            model           TEXT NOT NULL,
            gpu             TEXT NOT NULL,
            precision       TEXT NOT NULL,
            kind            TEXT NOT NULL CHECK (kind IN ('scenario', 'measured', 'derived')),
            source          TEXT NOT NULL,
            reference       TEXT NOT NULL,
            batch_sizes     TEXT NOT NULL,
            fit_residual_us REAL,
            worst_case      TEXT NOT NULL
        );

        \(DetailSchema.sql)

        CREATE TABLE IF NOT EXISTS bins (
            run_id   INTEGER NOT NULL REFERENCES runs (run_id),
            start_ns INTEGER NOT NULL,
            end_ns   INTEGER NOT NULL,
            scope    TEXT NOT NULL CHECK (scope IN ('run', 'server', 'gpu', 'link', 'task')),
            name     TEXT NOT NULL,
            metric   TEXT NOT NULL,
            value    REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS bins_by_run ON bins (run_id, start_ns);

        CREATE TABLE IF NOT EXISTS plans (
            run_id    INTEGER NOT NULL REFERENCES runs (run_id),
            time_ns   INTEGER NOT NULL,
            plan      TEXT NOT NULL,
            objective REAL,
            solve_s   REAL
        );
        CREATE INDEX IF NOT EXISTS plans_by_run ON plans (run_id);

        CREATE TABLE IF NOT EXISTS sessions (
            run_id       INTEGER NOT NULL REFERENCES runs (run_id),
            client       TEXT NOT NULL,
            client_group TEXT NOT NULL,
            site         TEXT,
            requested_ns INTEGER,
            replied_ns   INTEGER,
            admitted     INTEGER NOT NULL,
            reason       TEXT,
            ended_ns     INTEGER
        );
        CREATE INDEX IF NOT EXISTS sessions_by_run ON sessions (run_id);

        CREATE TABLE IF NOT EXISTS summary (
            run_id             INTEGER NOT NULL REFERENCES runs (run_id),
            scope              TEXT NOT NULL,
            name               TEXT NOT NULL,
            requests           INTEGER NOT NULL,
            completed          INTEGER NOT NULL,
            met_deadline       INTEGER NOT NULL,
            dropped            INTEGER NOT NULL,
            unfinished         INTEGER NOT NULL,
            cancelled_copies   INTEGER NOT NULL,
            throughput_rps     REAL NOT NULL,
            goodput_rps        REAL NOT NULL,
            latency_mean_ms    REAL,
            latency_p50_ms     REAL,
            latency_p95_ms     REAL,
            latency_p99_ms     REAL,
            latency_p999_ms    REAL,
            latency_max_ms     REAL,
            queue_wait_mean_ms REAL,
            service_mean_ms    REAL,
            network_mean_ms    REAL,
            deadline_miss_rate REAL,
            gpu_utilization    REAL,
            frames             INTEGER NOT NULL,
            accuracy_mean      REAL,
            accuracy_p5        REAL,
            accuracy_p50       REAL,
            staleness_mean_frames REAL,
            fallback_share     REAL,
            cost_usd           REAL,
            window_s           REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS summary_by_run ON summary (run_id);

        CREATE TABLE IF NOT EXISTS latency_cdf (
            run_id     INTEGER NOT NULL REFERENCES runs (run_id),
            scope      TEXT NOT NULL,
            name       TEXT NOT NULL,
            fraction   REAL NOT NULL,
            latency_ms REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS latency_cdf_by_run ON latency_cdf (run_id);

        CREATE TABLE IF NOT EXISTS gpus (
            run_id       INTEGER NOT NULL REFERENCES runs (run_id),
            server       TEXT NOT NULL,
            gpu          INTEGER NOT NULL,
            gpu_type     TEXT NOT NULL,
            physical_gpu INTEGER NOT NULL,
            mps_share    REAL NOT NULL,
            batches      INTEGER NOT NULL,
            busy_s       REAL NOT NULL,
            utilization  REAL NOT NULL,
            memory_bytes INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS gpus_by_run ON gpus (run_id);

        CREATE TABLE IF NOT EXISTS links (
            run_id      INTEGER NOT NULL REFERENCES runs (run_id),
            name        TEXT NOT NULL,
            kind        TEXT NOT NULL,
            bytes       INTEGER NOT NULL,
            transfers   INTEGER NOT NULL,
            busy_s      REAL NOT NULL,
            utilization REAL NOT NULL,
            mean_mbps   REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS links_by_run ON links (run_id);

        CREATE TABLE IF NOT EXISTS clients (
            run_id             INTEGER NOT NULL REFERENCES runs (run_id),
            client             TEXT NOT NULL,
            client_group       TEXT NOT NULL,
            frames             INTEGER NOT NULL,
            offloads           INTEGER NOT NULL,
            local_runs         INTEGER NOT NULL,
            requests           INTEGER NOT NULL,
            met_deadline       INTEGER NOT NULL,
            deadline_miss_rate REAL,
            latency_mean_ms    REAL,
            accuracy_mean      REAL,
            handovers          INTEGER NOT NULL,
            migrations         INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS clients_by_run ON clients (run_id);
        """
}

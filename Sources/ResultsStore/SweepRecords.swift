import Foundation
import JSONConfig

/// Which sweep (or capacity search) a run belongs to, at which point and replication.
public struct SweepTag: Sendable, Equatable {
    public var sweepID: Int64
    public var point: Int
    public var replication: Int

    public init(sweepID: Int64, point: Int, replication: Int) {
        self.sweepID = sweepID
        self.point = point
        self.replication = replication
    }

    /// `sweep:point:replication`, as the `--sweep-tag` of a worker run.
    public var text: String { "\(sweepID):\(point):\(replication)" }

    public init?(text: String) {
        let parts = text.split(separator: ":").map { Int64($0) }
        guard parts.count == 3, let s = parts[0], let p = parts[1], let r = parts[2], s > 0, p >= 0, r >= 0 else { return nil }
        self.init(sweepID: s, point: Int(p), replication: Int(r))
    }
}

/// A sweep or capacity search as the `sweeps` table records it.
public struct SweepRecord: Sendable {
    public enum Kind: String, Sendable { case sweep, capacity }
    public var kind: Kind
    public var name: String
    /// The sweep file, or the capacity search's arguments, as JSON.
    public var specJSON: String
    public var specDigest: String
    public var baseSeed: UInt64
    public var replications: Int
    public var points: Int
    /// `i/n` for one shard of a sweep.
    public var shard: String?

    public init(kind: Kind, name: String, specJSON: String, baseSeed: UInt64, replications: Int, points: Int, shard: String?) {
        self.kind = kind
        self.name = name
        self.specJSON = specJSON
        self.specDigest = Digest.hex(kind.rawValue + "\n" + specJSON)
        self.baseSeed = baseSeed
        self.replications = replications
        self.points = points
        self.shard = shard
    }
}

/// One point × metric of a sweep: the mean over its replications with a 95 % Student-t interval.
public struct SweepPointRow: Sendable, Equatable {
    public var point: Int
    public var label: String
    public var overrides: String
    public var metric: String
    public var n: Int
    public var mean: Double?
    public var stddev: Double?
    public var ciLow: Double?
    public var ciHigh: Double?

    public init(point: Int, label: String, overrides: String, metric: String, n: Int, mean: Double?, stddev: Double?,
                ciLow: Double?, ciHigh: Double?) {
        self.point = point
        self.label = label
        self.overrides = overrides
        self.metric = metric
        self.n = n
        self.mean = mean
        self.stddev = stddev
        self.ciLow = ciLow
        self.ciHigh = ciHigh
    }
}

/// One probe of a capacity search.
public struct ProbeRow: Sendable, Equatable {
    public var probe: Int
    public var phase: String
    public var value: Double
    public var passed: Bool
    public var replications: Int
    /// The SLO's figures at this probe, as a JSON object.
    public var metrics: String

    public init(probe: Int, phase: String, value: Double, passed: Bool, replications: Int, metrics: String) {
        self.probe = probe
        self.phase = phase
        self.value = value
        self.passed = passed
        self.replications = replications
        self.metrics = metrics
    }
}

extension ResultsStore {
    /// The sweep to continue with `--resume` (the latest one with the same spec and shard), or a
    /// new one.
    public func openSweep(_ record: SweepRecord, resume: Bool) throws -> (id: Int64, resumed: Bool) {
        try db.transaction {
            if resume {
                let s = try db.prepare("""
                    SELECT sweep_id FROM sweeps WHERE kind = ? AND spec_digest = ? AND shard IS ? ORDER BY sweep_id DESC LIMIT 1
                    """)
                s.bind(1, record.kind.rawValue)
                s.bind(2, record.specDigest)
                s.bind(3, record.shard)
                if try s.step() {
                    let id = s.int64(0)
                    let u = try db.prepare("UPDATE sweeps SET status = 'running' WHERE sweep_id = ?")
                    u.bind(1, id)
                    try u.run()
                    return (id, true)
                }
            }
            let s = try db.prepare("""
                INSERT INTO sweeps (kind, name, spec_json, spec_digest, base_seed, replications, points, shard, created_at, status)
                VALUES (?,?,?,?,?,?,?,?,?, 'running')
                """)
            s.bind(1, record.kind.rawValue)
            s.bind(2, record.name)
            s.bind(3, record.specJSON)
            s.bind(4, record.specDigest)
            s.bind(5, Int64(bitPattern: record.baseSeed))
            s.bind(6, Int64(record.replications))
            s.bind(7, Int64(record.points))
            s.bind(8, record.shard)
            s.bind(9, Self.timestamp())
            try s.run()
            return (db.lastInsertRowID, false)
        }
    }

    public func finishSweep(_ id: Int64, status: RunStatus, answer: Double? = nil, note: String? = nil) throws {
        let s = try db.prepare("UPDATE sweeps SET status = ?, answer = ?, note = ? WHERE sweep_id = ?")
        s.bind(1, status.rawValue)
        s.bind(2, answer)
        s.bind(3, note)
        s.bind(4, id)
        try s.run()
    }

    /// The earliest completed run with this digest: the same effective scenario, seed and detail.
    public func completedRun(digest: String) throws -> Int64? {
        let s = try db.prepare("SELECT run_id FROM runs WHERE digest = ? AND status = 'completed' ORDER BY run_id LIMIT 1")
        s.bind(1, digest)
        return try s.step() ? s.int64(0) : nil
    }

    /// Replaces the derived per-point rows of one sweep (they are recomputed from its runs, after
    /// a resume or a merge); no run's own rows are touched.
    public func replaceSweepPoints(_ sweep: Int64, rows: [SweepPointRow]) throws {
        try db.transaction {
            let d = try db.prepare("DELETE FROM sweep_points WHERE sweep_id = ?")
            d.bind(1, sweep)
            try d.run()
            let s = try db.prepare("""
                INSERT INTO sweep_points (sweep_id, point, label, overrides, metric, n, mean, stddev, ci_low, ci_high)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                """)
            for r in rows {
                s.bind(1, sweep)
                s.bind(2, Int64(r.point))
                s.bind(3, r.label)
                s.bind(4, r.overrides)
                s.bind(5, r.metric)
                s.bind(6, Int64(r.n))
                s.bind(7, r.mean)
                s.bind(8, r.stddev)
                s.bind(9, r.ciLow)
                s.bind(10, r.ciHigh)
                try s.run()
            }
        }
    }

    /// The per-point rows of one sweep, in point order (nil: the database has no such sweep).
    public func sweepPoints(_ sweep: Int64) throws -> [SweepPointRow]? {
        let exists = try db.prepare("SELECT 1 FROM sweeps WHERE sweep_id = ?")
        exists.bind(1, sweep)
        guard try exists.step() else { return nil }
        let s = try db.prepare("""
            SELECT point, label, overrides, metric, n, mean, stddev, ci_low, ci_high FROM sweep_points
            WHERE sweep_id = ? ORDER BY point, rowid
            """)
        s.bind(1, sweep)
        func real(_ i: Int32) -> Double? { if case .null = s.value(i) { return nil } else { return s.double(i) } }
        var rows: [SweepPointRow] = []
        while try s.step() {
            rows.append(SweepPointRow(point: Int(s.int64(0)), label: s.text(1) ?? "", overrides: s.text(2) ?? "", metric: s.text(3) ?? "",
                                      n: Int(s.int64(4)), mean: real(5), stddev: real(6), ciLow: real(7), ciHigh: real(8)))
        }
        return rows
    }

    /// Replaces the probe table of one capacity search (a resumed search re-derives every probe).
    public func replaceProbes(_ sweep: Int64, rows: [ProbeRow]) throws {
        try db.transaction {
            let d = try db.prepare("DELETE FROM capacity_probes WHERE sweep_id = ?")
            d.bind(1, sweep)
            try d.run()
            let s = try db.prepare("""
                INSERT INTO capacity_probes (sweep_id, probe, phase, value, passed, replications, metrics) VALUES (?,?,?,?,?,?,?)
                """)
            for r in rows {
                s.bind(1, sweep)
                s.bind(2, Int64(r.probe))
                s.bind(3, r.phase)
                s.bind(4, r.value)
                s.bind(5, Int64(r.passed ? 1 : 0))
                s.bind(6, Int64(r.replications))
                s.bind(7, r.metrics)
                try s.run()
            }
        }
    }

    /// Every sweep of kind `sweep` in the database, with its spec: what `merge` recomputes.
    public func sweeps(kind: SweepRecord.Kind) throws -> [(id: Int64, specJSON: String)] {
        let s = try db.prepare("SELECT sweep_id, spec_json FROM sweeps WHERE kind = ? ORDER BY sweep_id")
        s.bind(1, kind.rawValue)
        var out: [(Int64, String)] = []
        while try s.step() { out.append((s.int64(0), s.text(1) ?? "")) }
        return out
    }
}

extension ResultsStore {
    /// The run a worker (process `pid`) recorded with this tag; nil if it recorded none (a
    /// resumed sweep may hold older runs with the same tag, from other workers).
    public func run(tagged tag: SweepTag, pid: Int32) throws -> (id: Int64, status: String, events: Int64, error: String?)? {
        let s = try db.prepare("""
            SELECT run_id, status, events_processed, error FROM runs WHERE sweep_id = ? AND point = ? AND replication = ? AND pid = ?
            ORDER BY run_id DESC LIMIT 1
            """)
        s.bind(1, tag.sweepID)
        s.bind(2, Int64(tag.point))
        s.bind(3, Int64(tag.replication))
        s.bind(4, Int64(pid))
        return try s.step() ? (s.int64(0), s.text(1) ?? "", s.int64(2), s.text(3)) : nil
    }
}

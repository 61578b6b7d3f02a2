import Foundation
import XCTest

/// The workbench from the command line: overrides, sweeps, resume, shards and merge, capacity
/// search and the regression check, each against hand-computed expectations.
final class WorkbenchCLITests: TemporaryDirectoryTestCase {
    let quickstart = Repo.path("Workloads/scenarios/quickstart.json")

    /// A world whose capacity is known by hand: FIFO on one GPU with a constant 10 ms service
    /// time serves 100 requests/s; clients send 30 frames/s each, so 3 clients (90/s) meet a
    /// 100 ms deadline and 4 (120/s) overload the server.
    let fixedWorld = """
        {"name": "fixed", "seed": 5, "duration_s": 4, "warmup_s": 1, "drain_s": 1,
         "models": [{"name": "m", "latency_ms": {"1": 10}}],
         "servers": [{"name": "gpu", "gpus": 1, "policy": "fifo"}],
         "clients": [{"name": "c", "count": 2, "model": "m", "fps": 30, "jitter_ms": 1, "deadline_ms": 100,
                      "frame_bytes": 1000, "result_bytes": 100,
                      "network": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 1}}]}
        """

    func sweepFile(_ scenario: String, replications: Int = 3) throws -> String {
        try write("sweep.json", """
            {"name": "s", "scenario": "\(scenario)", "replications": \(replications), "seed": 11,
             "grid": {"clients[0].count": [2, 5]},
             "metrics": ["deadline_miss_rate", "latency_mean_ms", "requests"]}
            """)
    }

    func testRunRecordsOverridesLabelEffectiveScenarioAndWindow() throws {
        let db = file("o.sqlite")
        let r = try Arsim.run(["run", quickstart, "--db", db, "--quiet", "--set", "clients[0].count=5",
                               "--set", "servers[0].policy={\"name\": \"fifo\"}", "--label", "fifo-5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let runs = try Arsim.run(["runs", "--db", db])
        XCTAssertTrue(runs.stdout.contains("fifo-5"), runs.stdout)
        XCTAssertTrue(runs.stdout.contains("clients[0].count=5 servers[0].policy={\"name\": \"fifo\"}"), runs.stdout)
        let table = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        XCTAssertTrue(table.value(0, "scenario_json").contains("\"count\": 5"), "the effective scenario is recorded")
        XCTAssertEqual(table.value(0, "label"), "fifo-5")

        // in_window marks exactly the requests the summary counts.
        let requests = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "requests"]).stdout)
        let summary = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "summary"]).stdout)
        let inWindow = requests.rows.filter { requests.value($0, "in_window") == "1" }.count
        XCTAssertEqual(String(inWindow), summary.value(0, "requests"))
        XCTAssertLessThan(inWindow, requests.rows.count, "the warm-up's requests are outside")
        XCTAssertTrue(requests.rows.allSatisfy { row in
            let created = Int64(requests.value(row, "created_ns"))!
            return (requests.value(row, "in_window") == "1") == (created >= 2_000_000_000 && created < 30_000_000_000)
        })

        // A bad override is one line naming the --set, exit 2, and the database is untouched.
        let bad = try Arsim.run(["run", quickstart, "--db", db, "--set", "clients[0].cuont=5"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "arsim: error: --set 'clients[0].cuont=5': clients[0].cuont: unknown key; did you mean \"count\"?\n")
        XCTAssertEqual(try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout).rows.count, 1)
    }

    func testSweepAggregatesReplicationsAndResumeNeverDuplicates() throws {
        _ = try write("w.json", fixedWorld)
        let sweep = try sweepFile("w.json")
        let db = file("s.sqlite")
        let r = try Arsim.run(["sweep", sweep, "--db", db, "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("clients[0].count=2") && r.stdout.contains("clients[0].count=5"), r.stdout)
        XCTAssertTrue(r.stderr.contains("6/6 runs"), r.stderr)

        let runs = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        XCTAssertEqual(runs.rows.count, 6)
        XCTAssertEqual(Set(runs.rows.map { runs.value($0, "seed") }), ["11", "12", "13"], "seed = base + replication")
        XCTAssertTrue(runs.rows.allSatisfy { runs.value($0, "status") == "completed" && runs.value($0, "sweep_id") == "1" })

        // The mean and interval over the replications, recomputed here from the summary rows.
        let summary = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "summary"]).stdout)
        let points = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "sweep_points"]).stdout)
        XCTAssertEqual(points.rows.count, 6, "2 points × 3 metrics")
        for p in 0..<2 {
            let ids = runs.rows.filter { runs.value($0, "point") == String(p) }.map { runs.value($0, "run_id") }
            let values = ids.map { id in Double(summary.value(summary.rows.first { summary.value($0, "run_id") == id && summary.value($0, "scope") == "run" }!, "latency_mean_ms"))! }
            let mean = values.reduce(0, +) / 3
            let s = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            let row = points.rows.first { points.value($0, "point") == String(p) && points.value($0, "metric") == "latency_mean_ms" }!
            XCTAssertEqual(points.value(row, "n"), "3")
            XCTAssertEqual(Double(points.value(row, "mean"))!, mean, accuracy: 1e-9)
            XCTAssertEqual(Double(points.value(row, "ci_high"))! - mean, 4.303 * s / 3.0.squareRoot(), accuracy: 1e-9)
        }
        let overloaded = points.rows.first { points.value($0, "point") == "1" && points.value($0, "metric") == "deadline_miss_rate" }!
        XCTAssertGreaterThan(Double(points.value(overloaded, "mean"))!, 0.5, "5 clients overload a 100/s server")

        let again = try Arsim.run(["sweep", sweep, "--db", db, "--jobs", "2", "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("(resumed)") && again.stderr.contains("6 already done"), again.stderr)
        XCTAssertEqual(try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout).rows.count, 6, "nothing ran twice")

        // Half of a sweep in one file, then a resume of the whole: only the missing runs run.
        let half = file("half.sqlite")
        XCTAssertEqual(try Arsim.run(["sweep", sweep, "--db", half, "--shard", "1/2", "--quiet"]).status, 0)
        XCTAssertEqual(try CSV.parse(Arsim.run(["export", "--db", half, "--table", "runs"]).stdout).rows.count, 3)
        let rest = try Arsim.run(["sweep", sweep, "--db", half, "--resume"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        XCTAssertEqual(try CSV.parse(Arsim.run(["export", "--db", half, "--table", "runs"]).stdout).rows.count, 6)
    }

    /// Labels and values that start with '-' reach the workers as values, not options.
    func testPointLabelsMayStartWithADash() throws {
        _ = try write("w.json", fixedWorld)
        let sweep = try write("dash.json", """
            {"name": "dash", "scenario": "w.json", "points": [{"label": "-fast", "set": {"description": "-x"}}],
             "metrics": ["requests"]}
            """)
        let db = file("d.sqlite")
        let r = try Arsim.run(["sweep", sweep, "--db", db, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let runs = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        XCTAssertEqual(runs.value(0, "label"), "-fast")
        XCTAssertEqual(runs.value(0, "status"), "completed")
    }

    /// SIGINT stops a sweep: running workers are interrupted and marked so, exit 130; --resume
    /// then runs only what is missing.
    func testInterruptedSweepResumes() throws {
        let sweep = try write("long.json", """
            {"name": "long", "scenario": "\(Repo.path("Workloads/scenarios/ar-campus.json"))", "replications": 4,
             "set": {"duration_s": 900, "detail": "summary"}, "metrics": ["latency_mean_ms"]}
            """)
        let db = file("l.sqlite")
        let r = try Arsim.interrupt(["sweep", sweep, "--db", db, "--jobs", "2"], db: db)
        let stderr = r.stderr
        XCTAssertEqual(r.status, 130, stderr)
        XCTAssertTrue(stderr.contains("--resume"), stderr)
        let runs = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        XCTAssertTrue(runs.rows.contains { runs.value($0, "status") == "interrupted" }, "\(runs.rows)")
        XCTAssertFalse(runs.rows.contains { runs.value($0, "status") == "running" })
        let done = runs.rows.filter { runs.value($0, "status") == "completed" }.count
        XCTAssertLessThan(done, 4)

        let resumed = try Arsim.run(["sweep", sweep, "--db", db, "--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let after = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        XCTAssertEqual(after.rows.filter { after.value($0, "status") == "completed" }.count, 4)
        XCTAssertEqual(Set(after.rows.filter { after.value($0, "status") == "completed" }.map { after.value($0, "seed") }).count, 4,
                       "each replication completed once")
    }

    /// n shards merged equal the unsharded sweep, row for row (ids and wall-clock columns aside),
    /// and merging a shard twice copies nothing twice.
    func testShardsMergedEqualTheUnshardedSweep() throws {
        _ = try write("w.json", fixedWorld)
        let sweep = try sweepFile("w.json")
        let whole = file("whole.sqlite")
        XCTAssertEqual(try Arsim.run(["sweep", sweep, "--db", whole, "--quiet", "--jobs", "2"]).status, 0)
        var shards: [String] = []
        for i in 1...3 {
            let db = file("shard-\(i).sqlite")
            let r = try Arsim.run(["sweep", sweep, "--db", db, "--shard", "\(i)/3", "--quiet", "--jobs", "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            shards.append(db)
        }
        let merged = file("all.sqlite")
        let m = try Arsim.run(["merge"] + shards + ["--into", merged])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("2 runs copied"), m.stdout)

        XCTAssertEqual(try canonical(whole), try canonical(merged))

        let twice = try Arsim.run(["merge", shards[0], "--into", merged])
        XCTAssertTrue(twice.stdout.contains("0 runs copied, 2 already there"), twice.stdout)
        XCTAssertEqual(try canonical(whole), try canonical(merged))
        XCTAssertEqual(try Arsim.run(["merge", merged, "--into", merged]).status, 2, "a database cannot merge into itself")
    }

    /// A real Slurm job array (tools/slurm/) on a throwaway single-node cluster: two shards and
    /// the dependent merge job give the same rows as the unsharded sweep. Skips where Slurm and
    /// munge are not installed (`apt-get install slurmctld slurmd slurm-client munge`) or not root.
    func testSlurmJobArrayShardsAndMergeEqualTheUnshardedSweep() throws {
        let needed = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"]
        guard needed.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("Slurm is not installed here (needs \(needed.joined(separator: ", ")))")
        }
        guard getuid() == 0 else { throw XCTSkip("the local Slurm cluster needs root") }
        _ = try write("w.json", fixedWorld)
        let sweep = try sweepFile(file("w.json"), replications: 2)
        let whole = file("whole.sqlite")
        XCTAssertEqual(try Arsim.run(["sweep", sweep, "--db", whole, "--quiet"]).status, 0)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Repo.path("tools/slurm/smoke-test.sh"))
        p.arguments = [sweep, "2"]
        var env = ProcessInfo.processInfo.environment
        env["ARSIM"] = Arsim.executable.path
        env["KEEP"] = "1"
        p.environment = env
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let kept = e.split(separator: "\n").first { $0.hasPrefix("kept ") }.map { String($0.dropFirst(5)) }
        defer { if let kept { try? FileManager.default.removeItem(atPath: kept) } }
        XCTAssertEqual(p.terminationStatus, 0, o + e)
        let merged = try XCTUnwrap(kept, e) + "/out/all.sqlite"
        XCTAssertEqual(try canonical(whole), try canonical(merged))
    }

    /// Every table of a database keyed by (point, replication) instead of run ids, without the
    /// columns that record wall-clock time, processes or provenance.
    func canonical(_ db: String) throws -> [String: [String]] {
        let volatile: Set<String> = ["run_id", "started_at", "ended_at", "wall_seconds", "host", "pid", "origin", "sweep_id",
                                     "created_at", "shard", "scenario_file"]
        let runs = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout)
        var key: [String: String] = [:]
        for row in runs.rows { key[runs.value(row, "run_id")] = runs.value(row, "point") + ":" + runs.value(row, "replication") }
        var out: [String: [String]] = [:]
        for table in ["runs", "summary", "latency_cdf", "bins", "gpus", "links", "clients", "latency_sources", "sweep_points"] {
            let t = try CSV.parse(Arsim.run(["export", "--db", db, "--table", table]).stdout)
            out[table] = t.rows.map { row in
                let id = t.header.firstIndex(of: "run_id").map { key[row[$0]] ?? "?" } ?? ""
                return id + "|" + zip(t.header, row).filter { !volatile.contains($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            }.sorted()
        }
        return out
    }

    /// `arsim compare`: metrics by run with the change against the first; bad run lists and
    /// metrics are one line, exit 2.
    func testCompareShowsMetricsByRunWithTheChange() throws {
        let world = try write("w.json", fixedWorld)
        let db = file("c.sqlite")
        for (label, count) in [("three", 3), ("six", 6)] {
            let r = try Arsim.run(["run", world, "--db", db, "--label", label, "--set", "clients[0].count=\(count)", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let r = try Arsim.run(["compare", "--db", db, "--runs", "1-2", "--metric", "requests", "--metric", "throughput_rps"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("run 1 (three)") && lines[0].contains("run 2 (six)"), r.stdout)
        XCTAssertTrue(lines[1].hasPrefix("requests") && lines[1].contains("(+100.0 %)"), r.stdout)
        for (runs, expected) in [("1,x", "expected run ids and ranges"), ("1,9", "has no run 9")] {
            let bad = try Arsim.run(["compare", "--db", db, "--runs", runs])
            XCTAssertEqual(bad.status, 2, bad.stderr)
            XCTAssertTrue(bad.stderr.contains(expected), bad.stderr)
        }
        let misspelt = try Arsim.run(["compare", "--db", db, "--runs", "1,2", "--metric", "troughput_rps"])
        XCTAssertEqual(misspelt.status, 2)
        XCTAssertTrue(misspelt.stderr.contains("did you mean \"throughput_rps\""), misspelt.stderr)
    }

    /// `arsim run --trace`: one camera at 10 fps, frames of 0 bytes on an instant network, a 10 ms
    /// model. Each frame's batch starts at its capture (0, 100, … 900 ms) and lasts 10 ms; each
    /// request is a slice of 10 ms on the client's track; each upload has its arrow to the batch.
    /// A window of 0.25–0.55 s keeps the batches at 300, 400 and 500 ms.
    func testTraceHasTheHandComputedSlices() throws {
        let world = try write("t.json", """
            {"name": "t", "duration_s": 1, "drain_s": 1,
             "models": [{"name": "m", "latency_ms": {"1": 10}}],
             "servers": [{"name": "gpu", "policy": "fifo"}],
             "clients": [{"name": "cam", "model": "m", "fps": 10, "phase_ms": 0, "deadline_ms": 100, "frame_bytes": 0,
                          "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}]}
            """)
        func events(_ extra: [String]) throws -> [[String: Any]] {
            let path = file("trace-\(extra.count).json")
            let r = try Arsim.run(["run", world, "--db", file("t.sqlite"), "--quiet", "--trace", path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        }
        let all = try events([])
        let batches = all.filter { $0["cat"] as? String == "batch" }
        XCTAssertEqual(batches.map { $0["ts"] as? Double }, stride(from: 0.0, to: 1_000_000, by: 100_000).map { $0 })
        XCTAssertEqual(Set(batches.map { $0["dur"] as? Double }), [10_000])
        let requests = all.filter { $0["cat"] as? String == "request" }
        // Each batch names its layers (the whole one-layer model) and its one request, the one
        // whose arrow ends on it.
        let batchArgs = batches.map { $0["args"] as? [String: Any] ?? [:] }
        XCTAssertEqual(batchArgs.map { $0["layers"] as? String }, Array(repeating: "0..<1", count: 10))
        XCTAssertEqual(batchArgs.map { ($0["requests"] as? [Int])?.count }, Array(repeating: 1, count: 10))
        XCTAssertEqual(requests.count, 10)
        XCTAssertTrue(requests.allSatisfy { ($0["dur"] as? Double) == 10_000 && ($0["ph"] as? String) == "X" })
        let starts = all.filter { $0["ph"] as? String == "s" }.compactMap { $0["id"] as? Int }
        let finishes = all.filter { $0["ph"] as? String == "f" }.compactMap { $0["id"] as? Int }
        XCTAssertEqual(starts.count, 10)
        XCTAssertEqual(Set(starts), Set(finishes))
        XCTAssertEqual(Set(batchArgs.compactMap { ($0["requests"] as? [Int])?.first }), Set(finishes))
        // Each request's upload and result as async slices keyed by the request, each begin
        // matched by its end (here instantaneous: no bytes).
        let stages = all.filter { $0["cat"] as? String == "stage" }
        let begins = stages.filter { $0["ph"] as? String == "b" }, ends = stages.filter { $0["ph"] as? String == "e" }
        XCTAssertEqual(begins.count, ends.count)
        XCTAssertEqual(begins.map { "\($0["name"]!) \($0["id"]!)" }, ends.map { "\($0["name"]!) \($0["id"]!)" })
        XCTAssertEqual(begins.filter { $0["name"] as? String == "upload" }.map { $0["ts"] as? Double },
                       stride(from: 0.0, to: 1_000_000, by: 100_000).map { $0 })
        XCTAssertEqual(begins.filter { $0["name"] as? String == "result" }.map { $0["ts"] as? Double },
                       stride(from: 10_000.0, to: 1_000_000, by: 100_000).map { $0 })
        // A track per link, each transfer a slice: the camera's 10 uploads and 10 results.
        let transfers = all.filter { $0["cat"] as? String == "transfer" }
        XCTAssertEqual(transfers.filter { $0["tid"] as? Int == 1 }.map { $0["ts"] as? Double }, stride(from: 0.0, to: 1_000_000, by: 100_000).map { $0 })
        XCTAssertEqual(transfers.filter { $0["tid"] as? Int == 2 }.count, 10)
        XCTAssertTrue(transfers.allSatisfy { $0["pid"] as? Int == 4 && ($0["dur"] as? Double ?? -1) >= 0 })
        // Counters per 1 s bin: the run ends with its last result at 910 ms, so one bin [0, 0.91 s):
        // 10 requests done, the GPU busy 100 ms of 910.
        let counters = all.filter { $0["ph"] as? String == "C" }
        func counter(_ name: String) -> [Double] { counters.filter { $0["name"] as? String == name }.compactMap { ($0["args"] as? [String: Any])?["value"] as? Double } }
        XCTAssertEqual(counter("completed per s").count, 1)
        XCTAssertEqual(counter("completed per s")[0], 10 / 0.91, accuracy: 1e-9)
        XCTAssertEqual(counter("utilisation gpu/0").count, 1)
        XCTAssertEqual(counter("utilisation gpu/0")[0], 100.0 / 910, accuracy: 1e-9)
        XCTAssertEqual(counter("queued gpu"), [0])
        let names = all.filter { $0["name"] as? String == "thread_name" }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        XCTAssertEqual(Set(names), ["gpu gpu 0", "cam", "client/cam/up (client_up)", "client/cam/down (client_down)"])
        // Written to a .gz path, the trace is the same text, gzip-compressed.
        let gz = file("trace.json.gz")
        XCTAssertEqual(try Arsim.run(["run", world, "--db", file("t.sqlite"), "--quiet", "--trace", gz]).status, 0)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", gz]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let unzipped = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        XCTAssertEqual(gunzip.terminationStatus, 0)
        XCTAssertEqual(unzipped, try Data(contentsOf: URL(fileURLWithPath: file("trace-0.json"))))
        let windowed = try events(["--trace-window", "0.25:0.55"]).filter { $0["cat"] as? String == "batch" }
        XCTAssertEqual(windowed.map { $0["ts"] as? Double }, [300_000, 400_000, 500_000])
        let bad = try Arsim.run(["run", world, "--db", file("t.sqlite"), "--trace", file("x.json"), "--trace-window", "5:2"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--trace-window"), bad.stderr)
        // A trace that cannot be written is bad input, one line, before any run is made.
        let unwritable = try Arsim.run(["run", world, "--db", file("u.sqlite"), "--trace", "/nonexistent-dir/x.json.gz"])
        XCTAssertEqual(unwritable.status, 2, unwritable.stderr)
        XCTAssertTrue(unwritable.stderr.hasPrefix("arsim: error: --trace /nonexistent-dir/x.json.gz: there is no folder") && !unwritable.stderr.contains("marked failed"), unwritable.stderr)
    }

    /// Queue counters at every change: three cameras capture at once every 100 ms and a FIFO GPU
    /// runs their 10 ms requests one by one, so two wait at each capture, one 10 ms later and
    /// none 20 ms later. Changes at one time show as the last (a request queued and taken at once
    /// draws nothing), and a window starts with the value carried into it.
    func testTraceCountsQueuedRequestsAtEveryChange() throws {
        let cameras = (0..<3).map { c in
            #"{"name": "cam\#(c)", "model": "m", "fps": 10, "phase_ms": 0, "deadline_ms": 100, "frame_bytes": 0, "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}"#
        }.joined(separator: ", ")
        let world = try write("q.json", #"{"name": "q", "duration_s": 1, "drain_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}], "servers": [{"name": "gpu", "policy": "fifo"}], "clients": ["# + cameras + "]}")
        func queued(_ extra: [String]) throws -> [[Double]] {
            let path = file("q-\(extra.count).json")
            let r = try Arsim.run(["run", world, "--db", file("q.sqlite"), "--quiet", "--trace", path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let all = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
            return all.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "queued gpu" }
                .map { [$0["ts"] as! Double, ($0["args"] as! [String: Any])["value"] as! Double] }
        }
        var period: [[Double]] = []
        for k in 0..<10 {
            let capture = Double(k) * 100_000
            period += [[capture, 2], [capture + 10_000, 1], [capture + 20_000, 0]]
        }
        XCTAssertEqual(try queued([]), period)
        let inside: [[Double]] = period.filter { $0[0] >= 250_000 && $0[0] < 550_000 }
        XCTAssertEqual(try queued(["--trace-window", "0.25:0.55"]), [[250_000, 0]] + inside)
        // A window with no change inside still shows what it opened with: two waiting.
        XCTAssertEqual(try queued(["--trace-window", "0.0005:0.009"]), [[500, 2]])
    }

    /// The latency CDF a run keeps (`latency_cdf`): the three cameras above wait 0, 10 and 20 ms
    /// for a 10 ms request, so a third of the 30 requests take 10 ms, a third 20 and a third 30.
    /// HDR quantiles: the value below which ⌈f · 30⌉ requests lie (3 significant digits).
    func testLatencyCDFOfThreeCamerasOnAFIFOGPU() throws {
        let cameras = (0..<3).map { c in
            #"{"name": "cam\#(c)", "model": "m", "fps": 10, "phase_ms": 0, "deadline_ms": 100, "frame_bytes": 0, "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}"#
        }.joined(separator: ", ")
        let world = try write("cdf.json", #"{"name": "q", "duration_s": 1, "drain_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}], "servers": [{"name": "gpu", "policy": "fifo"}], "clients": ["# + cameras + "]}")
        let db = file("cdf.sqlite")
        XCTAssertEqual(try Arsim.run(["run", world, "--db", db, "--quiet"]).status, 0)
        let csv = try Arsim.run(["export", "--db", db, "--table", "latency_cdf"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let run = lines.filter { $0[1] == "run" }
        XCTAssertEqual(run.count, 104)
        var at: [Double: Double] = [:]
        for row in run { at[Double(row[3])!] = Double(row[4])! }
        for (fraction, ms) in [(0.0, 10.0), (0.33, 10), (0.34, 20), (0.66, 20), (0.67, 30), (0.999, 30), (1, 30)] {
            XCTAssertEqual(at[fraction] ?? -1, ms, accuracy: ms * 1e-3, "at \(fraction)")
        }
        XCTAssertEqual(Set(lines.map { $0[1] }), ["run", "client_group", "model"], "no CDF per server or site")
    }

    /// The trace of a busy world obeys the format: every event has its required fields, complete
    /// slices on one track nest or follow each other (Perfetto's rule), async begins and ends
    /// pair up, and counters carry a value.
    func testTraceOfABusyWorldIsWellFormed() throws {
        let path = file("campus.trace.json")
        // Quickstart's phones send 30 frames a second and get results about 50 ms later: a client's
        // requests overlap, and go on lanes.
        for scenario in ["Workloads/scenarios/ar-campus.json", "Workloads/scenarios/quickstart.json"] {
        let r = try Arsim.run(["run", scenario, "--db", file("campus.sqlite"), "--quiet", "--trace", path,
                               "--trace-window", "10:12", "--trace-clients", "6"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        XCTAssertGreaterThan(events.count, 1000)
        var slices: [String: [(Double, Double)]] = [:], open: [String: Int] = [:]
        for e in events {
            let ph = try XCTUnwrap(e["ph"] as? String)
            XCTAssertNotNil(e["name"] as? String)
            XCTAssertNotNil(e["pid"] as? Int)
            if ph == "M" { continue }
            let ts = try XCTUnwrap(e["ts"] as? Double)
            switch ph {
            case "X":
                let dur = try XCTUnwrap(e["dur"] as? Double)
                XCTAssertGreaterThanOrEqual(dur, 0)
                slices["\(e["pid"]!)/\(e["tid"]!)", default: []].append((ts, ts + dur))
            case "b", "e":
                let key = "\(e["cat"]!)/\(e["id"]!)/\(e["name"]!)"
                open[key, default: 0] += ph == "b" ? 1 : -1
            case "C":
                XCTAssertNotNil((e["args"] as? [String: Any])?["value"] as? Double)
            default: break
            }
        }
        XCTAssertTrue(open.values.allSatisfy { $0 == 0 }, "every async begin has its end")
        for (track, list) in slices {
            // Sorted by start (longest first at equal starts), each slice lies inside the enclosing
            // one still open or starts after it ends.
            var stack: [(Double, Double)] = []
            for s in list.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 > $1.1) }) {
                while let top = stack.last, top.1 <= s.0 + 1e-6 { stack.removeLast() }
                if let top = stack.last { XCTAssertLessThanOrEqual(s.1, top.1 + 1e-6, "track \(track): a slice crosses its parent's end") }
                stack.append(s)
            }
        }
        }
    }

    /// `arsim compare --sweep`: one column per point, mean ± half-width, the change of the mean;
    /// the sweep's requests grow 2.5 times from 2 clients to 5 (+150 %).
    func testCompareShowsASweepsPointsWithIntervals() throws {
        _ = try write("w.json", fixedWorld)
        let db = file("s.sqlite")
        let r = try Arsim.run(["sweep", sweepFile("w.json"), "--db", db, "--quiet", "--jobs", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try Arsim.run(["compare", "--db", db, "--sweep", "1", "--metric", "requests"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let lines = c.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, c.stdout)
        XCTAssertTrue(lines[1].hasPrefix("requests") && lines[1].contains(" ± ") && lines[1].contains("(+150.0 %)"), c.stdout)
        let bad = try Arsim.run(["compare", "--db", db, "--sweep", "1", "--metric", "requets"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("did you mean \"requests\""), bad.stderr)
        XCTAssertEqual(try Arsim.run(["compare", "--db", db, "--sweep", "9"]).status, 2)
    }

    /// `sessions_rejected`: ARISE's planner admits twenty of these clients and no more
    /// (ARISETests.testPlanByHand works it out), so "every client offered is served" holds up to 20.
    func testCapacityOfClientsServedCountsRejectedSessions() throws {
        let world = try write("arise.json", """
            {"name": "arise", "seed": 1, "duration_s": 3, "warmup_s": 1, "drain_s": 1,
             "models": [{"name": "m", "latency_ms": {"1": 5, "2": 7, "3": 9, "4": 11, "6": 14}}],
             "sites": [{"name": "edge", "admission": {"name": "arise", "sla": 0.869}}],
             "servers": [{"name": "gpu", "site": "edge", "policy": "arise"}],
             "clients": [{"name": "ar", "count": 4, "site": "edge", "fps": 30, "frame_bytes": 10000, "policy": "arise",
                          "session": {"start_s": 0},
                          "network": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 1},
                          "tasks": [{"name": "detect", "model": "m", "deadline_ms": 200, "result_bytes": 1000,
                                     "accuracy": {"server": 0.9, "per_frame": 0.01}}]}]}
            """)
        let r = try Arsim.run(["capacity", world, "--vary", "clients[0].count", "--between", "1", "30", "--db", file("a.sqlite"),
                               "--slo", "sessions_rejected == 0 and accuracy_min_client >= 0.869", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("capacity: clients[0].count = 20 (holds at 20, fails at 21)"), r.stdout)
    }

    func testCapacitySearchFindsTheHandComputedCapacity() throws {
        let world = try write("w.json", fixedWorld)
        let db = file("c.sqlite")
        let r = try Arsim.run(["capacity", world, "--vary", "clients[0].count", "--slo", "deadline_miss_rate <= 0.01",
                               "--between", "1", "20", "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("capacity: clients[0].count = 3 (holds at 3, fails at 4)"), r.stdout)
        let probes = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "capacity_probes"]).stdout)
        XCTAssertEqual(probes.rows.map { probes.value($0, "value") }, ["1.0", "20.0", "10.0", "5.0", "3.0", "4.0"])
        XCTAssertEqual(probes.rows.map { probes.value($0, "passed") }, ["1", "0", "0", "0", "1", "0"])
        let sweeps = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "sweeps"]).stdout)
        XCTAssertEqual(sweeps.value(0, "answer"), "3.0")

        // PPipe's step-down rule from 10: 10, 10 (9.5 rounds up, skipped), 9, … 4, 3.
        let step = try Arsim.run(["capacity", world, "--vary", "clients[0].count", "--slo", "attainment >= 0.99",
                                  "--step-down", "5%", "--between", "1", "10", "--db", db, "--quiet"])
        XCTAssertEqual(step.status, 0, step.stderr)
        XCTAssertTrue(step.stdout.contains("clients[0].count = 3"), step.stdout)

        // Resumed, the same search runs nothing new.
        let before = try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout).rows.count
        let again = try Arsim.run(["capacity", world, "--vary", "clients[0].count", "--slo", "deadline_miss_rate <= 0.01",
                                   "--between", "1", "20", "--db", db, "--resume", "--quiet"])
        XCTAssertTrue(again.stdout.contains("= 3"), again.stdout)
        XCTAssertEqual(try CSV.parse(Arsim.run(["export", "--db", db, "--table", "runs"]).stdout).rows.count, before)

        for (args, expected) in [
            (["--slo", "deadline_mis_rate <= 0.01"], "did you mean \"deadline_miss_rate\""),
            (["--slo", "deadline_miss_rate <= 0.01", "--vary", "clients[0].cuont"], "did you mean \"count\""),
            (["--slo", "deadline_miss_rate <= 0.01", "--step-down", "500%"], "--step-down"),
        ] {
            var full = ["capacity", world, "--between", "1", "20", "--db", db] + args
            if !args.contains("--vary") { full += ["--vary", "clients[0].count"] }
            let bad = try Arsim.run(full)
            XCTAssertEqual(bad.status, 2, bad.stderr)
            XCTAssertTrue(bad.stderr.contains(expected) && bad.stderr.split(separator: "\n").count == 1, bad.stderr)
        }
    }

    func testCheckPassesThenReportsWhatMovedAndReblessesWithAReason() throws {
        let scenario = try write("q.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 4"))
        let specs = directory.appendingPathComponent("specs")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        try """
            {"scenario": "\(scenario)", "metrics": ["requests", "latency_mean_ms", "gpu_utilization@server=edge"]}
            """.write(to: specs.appendingPathComponent("q.json"), atomically: true, encoding: .utf8)
        try """
            {"scenario": "\(scenario)", "metrics": ["requests"], "requires": ["\(file("absent-data.csv"))"]}
            """.write(to: specs.appendingPathComponent("needs-data.json"), atomically: true, encoding: .utf8)
        let baselines = file("baselines")

        let typo = try Arsim.run(["check", specs.path, "--baselines", baselines])
        XCTAssertEqual(typo.status, 2, "a folder that does not exist is not \"no baselines yet\"")
        XCTAssertTrue(typo.stderr.contains("there is no such folder"), typo.stderr)
        try FileManager.default.createDirectory(atPath: baselines, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: file("empty"), withIntermediateDirectories: true)
        let none = try Arsim.run(["check", file("empty"), "--baselines", baselines])
        XCTAssertEqual(none.status, 2, "no specs is not a pass")
        XCTAssertTrue(none.stderr.contains("no regression specs"), none.stderr)
        let first = try Arsim.run(["check", specs.path, "--baselines", baselines])
        XCTAssertEqual(first.status, 1, "no baseline yet is a change")
        XCTAssertEqual(try Arsim.run(["check", specs.path, "--baselines", baselines, "--update"]).status, 2, "--update needs --reason")
        let bless = try Arsim.run(["check", specs.path, "--baselines", baselines, "--update", "--reason", "first"])
        XCTAssertEqual(bless.status, 0, bless.stderr)
        let ok = try Arsim.run(["check", specs.path, "--baselines", baselines])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("skip   needs-data: needs"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("1 scenarios, 3 metrics checked") && ok.stdout.contains("0 moved or new, 1 skipped"), ok.stdout)

        // The scenario changes: the check names the metrics that moved, side by side.
        let text = try String(contentsOfFile: scenario, encoding: .utf8).replacingOccurrences(of: "\"count\": 20", with: "\"count\": 21")
        try text.write(toFile: scenario, atomically: true, encoding: .utf8)
        let moved = try Arsim.run(["check", specs.path, "--baselines", baselines])
        XCTAssertEqual(moved.status, 1)
        XCTAssertTrue(moved.stdout.contains("MOVED q"), moved.stdout)
        let line = try XCTUnwrap(moved.stdout.split(separator: "\n").first { $0.hasPrefix("q ") && $0.contains("requests") })
        XCTAssertTrue(line.contains("%"), String(line))
        let rebless = try Arsim.run(["check", specs.path, "--baselines", baselines, "--update", "--reason", "21 phones"])
        XCTAssertEqual(rebless.status, 0)
        let baseline = try String(contentsOfFile: baselines + "/q.json", encoding: .utf8)
        XCTAssertTrue(baseline.contains("\"reason\": \"21 phones\"") && baseline.contains("\"reason\": \"first\""), baseline)
    }

    /// The repository's own regression scenarios match their committed baselines.
    func testRepositoryRegressionScenariosMatchTheirBaselines() throws {
        let r = try Arsim.run(["check"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains(" 0 moved or new"), r.stdout)
    }

    func testExportNeverOverwritesADatabase() throws {
        let db = file("keep.sqlite")
        XCTAssertEqual(try Arsim.run(["run", quickstart, "--db", db, "--quiet", "--detail", "summary"]).status, 0)
        let other = file("other.sqlite")
        XCTAssertEqual(try Arsim.run(["run", quickstart, "--db", other, "--quiet", "--detail", "summary"]).status, 0)
        for target in [db, other] {
            let r = try Arsim.run(["export", "--db", db, "--table", "summary", "--csv", target])
            XCTAssertEqual(r.status, 2, r.stderr)
        }
        XCTAssertEqual(try Arsim.run(["runs", "--db", db]).status, 0)
        XCTAssertEqual(try Arsim.run(["runs", "--db", other]).status, 0)
    }
}

/// RFC 4180 CSV as `arsim export` writes it (quoted fields may hold commas, quotes, newlines).
struct CSV {
    var header: [String]
    var rows: [[String]]

    func value(_ row: [String], _ column: String) -> String { row[header.firstIndex(of: column)!] }
    func value(_ row: Int, _ column: String) -> String { value(rows[row], column) }

    static func parse(_ text: String) throws -> CSV {
        var records: [[String]] = []
        var field = "", record: [String] = [], quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { record.append(field); field = ""
            } else if c == "\n" { record.append(field); records.append(record); record = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        guard let header = records.first else { throw NSError(domain: "csv", code: 1) }
        return CSV(header: header, rows: Array(records.dropFirst()))
    }
}

final class IPIPEPlansCLITests: XCTestCase {
    /// Bad arguments and a missing or mismatched reference directory are one line on standard
    /// error and exit 2; where the reference data is present, one group's plans print beside the
    /// artifact's.
    func testIPIPEPlansInputsAndOneGroup() throws {
        let bad = try Arsim.run(["ipipe-plans", "--reference", "/nonexistent", "--kind", "v5"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--kind: expected v4, bl, dart-r or all, got v5"), bad.stderr)
        let missing = try Arsim.run(["ipipe-plans", "--reference", "/nonexistent"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("arsim: error: --reference: /nonexistent/plans/maf19 cannot be read"), missing.stderr)
        let root = "../shared/reference-data/ppipe"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/ppipe is absent") }
        let none = try Arsim.run(["ipipe-plans", "--reference", root, "--only", "no-such-model"])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("no plan file"), none.stderr)
        let r = try Arsim.run(["ipipe-plans", "--reference", root, "--only", "fsaf", "--kind", "bl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        XCTAssertEqual(rows.count, 4)
        // NP plans: ours equals the artifact's objective.
        XCTAssertTrue(rows.allSatisfy { $0[0] == "NP" && $0[3] == $0[4] && $0[5] == "1.0000" }, r.stdout)
        // DART-r from the artifact's NP plan: the artifact's objective.
        let d = try Arsim.run(["ipipe-plans", "--reference", root, "--only", "efficientnet", "--kind", "dart-r"])
        XCTAssertEqual(d.status, 0, d.stderr)
        let dart = d.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        XCTAssertEqual(dart.count, 4)
        XCTAssertTrue(dart.allSatisfy { $0[0] == "DART-r" && $0[5] == "1.0000" }, d.stdout)
    }
}

final class IPIPEServeCLITests: XCTestCase {
    /// Bad arguments and bad pool scenarios are one line and exit 2; the bundled pool scenario
    /// serves every system; where the reference data is present, one group is served and IPIPE
    /// sustains at least the load NP does.
    func testIPIPEServe() throws {
        let both = try Arsim.run(["ipipe-serve", "--reference", "/x", "--scenario", "/y"])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("expected either --reference or --scenario"), both.stderr)
        let system = try Arsim.run(["ipipe-serve", "--reference", "/x", "--systems", "ipipe,dartr"])
        XCTAssertEqual(system.status, 2)
        XCTAssertTrue(system.stderr.contains("did you mean \"dart-r\""), system.stderr)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-ipipe-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundled = try String(contentsOfFile: "Workloads/papers/ipipe/l4-t4-small.json", encoding: .utf8)
            .replacingOccurrences(of: "\"../../profiles/derived\"", with: "\"\(FileManager.default.currentDirectoryPath)/Workloads/profiles/derived\"")
        let cases: [(String, String)] = [
            (bundled.replacingOccurrences(of: "\"mps_levels\": 2, \"cost", with: "\"mps_level\": 2, \"cost"), "did you mean \"mps_levels\""),
            (bundled.replacingOccurrences(of: "\"vgg16\"", with: "\"vgg17\""), "no fp32 profile of vgg17 on L4"),
            (bundled.replacingOccurrences(of: "\"nic_gbps\": 10", with: "\"nic_gbps\": -1"), "nic_gbps: must be greater than 0"),
            (bundled.replacingOccurrences(of: "\"seed\": 1", with: "\"seed\": 1, \"systems\": [\"ipipe\", \"npp\"]"), "did you mean \"np\""),
            (bundled.replacingOccurrences(of: "\"vgg16\"", with: "\"resnet50\""), "model \"resnet50\" is listed twice"),
            (bundled.replacingOccurrences(of: "\"weight\": 0.33", with: "\"weight\": 1e-300"), "expected a weight between"),
            (bundled.replacingOccurrences(of: "\"weight\": 0.33}", with: "\"weight\": 0.33, \"slo_ms\": 1e300}"), "expected an objective between"),
            (bundled.replacingOccurrences(of: "\"duration_s\": 10", with: "\"duration_s\": 3600"), "shorten duration_s"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = "\(dir)/bad\(i).json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try Arsim.run(["ipipe-serve", "--scenario", path])
            XCTAssertEqual(r.status, 2, "case \(i)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), "case \(i): \(r.stderr)")
        }
        // arsim validate knows a pool scenario and checks it as one.
        let valid = try Arsim.run(["validate", "Workloads/papers/ipipe/l4-t4-small.json"])
        XCTAssertEqual(valid.status, 0, valid.stderr)
        XCTAssertTrue(valid.stdout.contains("ok: pool scenario \"l4-t4-small\": 4 L4 + 12 T4, 3 models"), valid.stdout)
        let invalid = try Arsim.run(["validate", "\(dir)/bad1.json"])
        XCTAssertEqual(invalid.status, 2)
        XCTAssertTrue(invalid.stderr.contains("no fp32 profile of vgg17"), invalid.stderr)
        let ok = try Arsim.run(["ipipe-serve", "--scenario", "Workloads/papers/ipipe/l4-t4-small.json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let table = ok.stdout.components(separatedBy: "\n\n")[1].split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(table.dropFirst().map { String($0[0]) }, ["ipipe", "np", "dart-r", "reactive"])
        // The planned objective of IPIPE's two-stage MILP is at least the whole-model plan's.
        XCTAssertGreaterThanOrEqual(Double(table[1][1])!, Double(table[2][1])!)
        // With --db: one run and a plans row per system, the plan as JSON with its status and gap.
        let db = "\(dir)/pool.db"
        let recorded = try Arsim.run(["ipipe-serve", "--scenario", "Workloads/papers/ipipe/l4-t4-small.json", "--db", db])
        XCTAssertEqual(recorded.status, 0, recorded.stderr)
        let plans = try Arsim.run(["export", "--db", db, "--table", "plans"])
        XCTAssertEqual(plans.status, 0, plans.stderr)
        // CSV doubles the JSON's quotes.
        let rows = plans.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.map { $0.components(separatedBy: "\"\"system\"\": \"\"")[1].prefix { $0 != "\"" } },
                       ["ipipe", "np", "dart-r", "reactive"])
        XCTAssertTrue(rows.allSatisfy { $0.contains("\"\"mip_gap\"\": 0") && $0.contains("\"\"status\"\": \"\"optimal\"\"") })
        let onlyWithScenario = try Arsim.run(["ipipe-serve", "--reference", "/x", "--db", db])
        XCTAssertEqual(onlyWithScenario.status, 2)

        let root = "../shared/reference-data/ppipe"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/ppipe is absent") }
        let r = try Arsim.run(["ipipe-serve", "--reference", root, "--only", "fsaf_r101_fpn_1x_coco-nonlocal_r101-d8_4xb2-40k_cityscapes-512x1024-tf_efficientdet_d1_0.3-0.33-0.37_L4-P4",
                               "--systems", "ipipe,np", "--duration-s", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = r.stdout.components(separatedBy: "\n\n")[1].split(separator: "\n")[1].split(separator: "\t")
        XCTAssertGreaterThan(Double(summary[2])!, Double(summary[4])!, r.stdout)
    }
}

final class SplitSearchCLITests: XCTestCase {
    /// Bad inputs are one line and exit 2; Scission's published vgg19 example where its data is present.
    func testSplitSearch() throws {
        let missing = try Arsim.run(["split", "search", "--blocks", "/nonexistent.csv", "--network", "/n.csv", "--model", "vgg19"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        let root = "../shared/reference-data/scission"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/scission is absent") }
        let base = ["split", "search", "--blocks", root + "/scission_blocks.csv", "--network", root + "/network_stats.csv"]
        let model = try Arsim.run(base + ["--model", "vgg18"])
        XCTAssertEqual(model.status, 2)
        XCTAssertTrue(model.stderr.contains("did you mean"), model.stderr)
        let host = try Arsim.run(base + ["--model", "vgg19", "--edge", "vm2core"])
        XCTAssertEqual(host.status, 2)
        XCTAssertTrue(host.stderr.contains("did you mean \"vm2Core\""), host.stderr)
        let r = try Arsim.run(base + ["--model", "vgg19", "-d", "!-1", "-e", "10", "-c", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").first,
                       "[1] 9.0106s - 2.4087MB - Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25")
    }
}

final class SplitDecideCLITests: XCTestCase {
    /// Bad inputs are one line and exit 2; on Scission's measured ResNet-50 blocks (Raspberry Pi 4
    /// device, 6700K GPU cloud) JALAD's compressed cut beats cloud-only at 1 Mbit/s and matches it at 200.
    func testSplitDecide() throws {
        let bad = try Arsim.run(["split", "decide", "--blocks", "/x.csv", "--model", "m", "--device", "d", "--remote", "r", "--mbps", "1,fast"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--mbps: expected positive numbers"), bad.stderr)
        let root = "../shared/reference-data/scission"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/scission is absent") }
        let base = ["split", "decide", "--blocks", root + "/scission_blocks.csv", "--model", "resnet50"]
        let host = try Arsim.run(base + ["--device", "raspi", "--remote", "6700k(GPU)"])
        XCTAssertEqual(host.status, 2)
        XCTAssertTrue(host.stderr.contains("did you mean \"raspi4\""), host.stderr)
        let r = try Arsim.run(base + ["--device", "raspi4", "--remote", "6700k(GPU)", "--mbps", "1,200", "--rtt-ms", "30"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows[0][2...3], ["1", "8"], r.stdout)
        XCTAssertGreaterThan(Double(rows[0][9])!, 1.4)
        XCTAssertEqual(rows[1][2], "0")
        XCTAssertEqual(rows[1][9], "1.00")
    }

    /// JALAD composes with the platform: AR clients split per request, and the cloud server
    /// batches the remote parts of the same layers.
    func testJALADClientsAreBatchedInTheCloud() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-jalad-\(getpid()).db").path
        defer { try? FileManager.default.removeItem(atPath: db) }
        let run = try Arsim.run(["run", "Workloads/papers/jalad/ar-clients.json", "--db", db, "--detail", "requests", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let batches = try Arsim.run(["export", "--db", db, "--table", "batches"])
        let sizes = batches.stdout.split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[5])! }
        XCTAssertGreaterThan(sizes.filter { $0 > 1 }.count, 100, "the cloud batches the clients' remote parts")
        let requests = try Arsim.run(["export", "--db", db, "--table", "requests"])
        let splits = requests.stdout.split(separator: "\n").dropFirst().filter { $0.contains("\"device[0,") && $0.contains(") > cloud[") }
        XCTAssertEqual(splits.count, requests.stdout.split(separator: "\n").count - 1, "every request is split between device and cloud")
    }
}

final class ScissionSplitCLITests: XCTestCase {
    /// The `scission` split policy searches once from the profiles: at 1 Mbit/s the TX2-class
    /// device runs VGG-16 alone; at 100 Mbit/s the whole model goes to the edge L4.
    func testScissionPolicyChoosesByBandwidth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-scission-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (mbps, route) in [(1, "device"), (100, "edge")] {
            let db = "\(dir)/\(mbps).db"
            let split = #"{"name": "scission", "edge_gpu": "L4", "cloud_gpu": "A100", "uplink_mbps": \#(mbps), "uplink_ping_ms": 5, "wan_ping_ms": 10}"#
            let run = try Arsim.run(["run", "Workloads/papers/jalad/vgg16-three-tier.json", "--set", "clients[0].network.uplink_mbps=\(mbps)",
                                     "--set", "clients[0].tasks[0].split=\(split)", "--db", db, "--detail", "requests", "--quiet"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let rows = try Arsim.run(["export", "--db", db, "--table", "requests"]).stdout.split(separator: "\n").dropFirst()
            XCTAssertFalse(rows.isEmpty)
            XCTAssertTrue(rows.allSatisfy { $0.split(separator: ",")[8] == route }, "\(mbps) Mbit/s: \(rows.first ?? "")")
        }
        let bad = try Arsim.run(["run", "Workloads/papers/jalad/vgg16-three-tier.json", "--set",
                                 #"clients[0].tasks[0].split={"name": "scission", "edge_gpu": "L5", "uplink_mbps": 10}"#])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("did you mean \"L4\""), bad.stderr)
    }
}

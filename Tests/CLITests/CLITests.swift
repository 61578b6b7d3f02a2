import Foundation
import XCTest

final class CLITests: TemporaryDirectoryTestCase {
    /// A world too large for the memory the process may use is refused as bad input while it is
    /// read, naming the count, instead of dying in the allocator: ten million clients need about
    /// 82 GB (8 KiB each), more than half of what this machine has.
    func testAWorldTooLargeForMemoryIsBadInput() throws {
        guard ProcessInfo.processInfo.physicalMemory < 160_000_000_000 else { throw XCTSkip("this machine has room for ten million clients") }
        let world = try write("huge.json", """
            {"name": "huge", "duration_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}],
             "servers": [{"name": "gpu"}],
             "clients": [{"name": "cam", "count": 1, "model": "m", "fps": 1, "deadline_ms": 100, "network": {"uplink_mbps": 10, "downlink_mbps": 10}}, {"name": "cam2", "count": 9999999, "model": "m", "fps": 1}]}
            """)
        let r = try Arsim.run(["run", world, "--db", file("h.sqlite")])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("huge.json:3:166: clients[1].count: 10000000 clients in all need about 81.9 GB"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("h.sqlite")), "no run was made")
    }

    let quickstart = Repo.path("Workloads/scenarios/quickstart.json")

    /// Determinism across processes: Swift seeds its hashing per process, so two separate runs of
    /// the same scenario and seed are the real test. Every metric table must come out
    /// byte-identical (the runs table holds wall-clock times and is left out).
    func testSameScenarioAndSeedGiveByteIdenticalResultsInTwoProcesses() throws {
        var digests: [String] = []
        var exports: [String] = []
        var requestTables: [String] = []
        for i in 0..<2 {
            let db = file("run\(i).sqlite")
            let r = try Arsim.run(["run", quickstart, "--db", db, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            var all = ""
            for table in ["requests", "batches", "summary", "gpus"] {
                let e = try Arsim.run(["export", "--db", db, "--table", table, "--run", "1"])
                XCTAssertEqual(e.status, 0, e.stderr)
                all += e.stdout
                if table == "requests" { requestTables.append(e.stdout) }
            }
            XCTAssertGreaterThan(all.count, 1_000_000, "the quickstart writes every request")
            exports.append(all)
            digests.append(String(fnv1a64(all), radix: 16))
        }
        XCTAssertEqual(digests[0], digests[1])
        XCTAssertTrue(exports[0] == exports[1])

        let other = try Arsim.run(["run", quickstart, "--db", file("other.sqlite"), "--quiet", "--seed", "2"])
        XCTAssertEqual(other.status, 0, other.stderr)
        let e = try Arsim.run(["export", "--db", file("other.sqlite"), "--table", "requests"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertNotEqual(e.stdout, requestTables[0], "another seed gives other results")
        XCTAssertEqual(e.stdout.split(separator: "\n").first, requestTables[0].split(separator: "\n").first)
    }

    /// The same for the AR world: traces, motion, loss, jitter, redundancy, mobility, splits and
    /// per-frame accuracy all draw from named streams and iterate nothing unordered.
    func testARWorldIsByteIdenticalInTwoProcesses() throws {
        let scenario = Repo.path("Workloads/scenarios/ar-campus.json")
        var exports: [String] = []
        for i in 0..<2 {
            let db = file("ar\(i).sqlite")
            let r = try Arsim.run(["run", scenario, "--db", db, "--quiet", "--detail", "requests"])
            XCTAssertEqual(r.status, 0, r.stderr)
            var all = ""
            for table in ["requests", "frames", "batches", "summary", "gpus", "links", "clients", "latency_sources"] {
                let e = try Arsim.run(["export", "--db", db, "--table", table, "--run", "1"])
                XCTAssertEqual(e.status, 0, e.stderr)
                XCTAssertGreaterThan(e.stdout.split(separator: "\n").count, 1, "\(table) has rows")
                all += e.stdout
            }
            exports.append(all)
        }
        XCTAssertEqual(fnv1a64(exports[0]), fnv1a64(exports[1]))
        XCTAssertTrue(exports[0] == exports[1])
        // What is stored, not only what the views read: the same name codes and coded rows.
        let sqlite = "/usr/bin/sqlite3"
        guard FileManager.default.isExecutableFile(atPath: sqlite) else { return }
        var stored: [String] = []
        for i in 0..<2 {
            let dump = try ReportCLITests.runTool(sqlite, [file("ar\(i).sqlite"), """
                SELECT * FROM names ORDER BY run_id, code; SELECT * FROM request_rows; SELECT * FROM frame_rows; SELECT * FROM batch_rows;
                """])
            XCTAssertEqual(dump.status, 0, dump.stderr)
            stored.append(dump.stdout)
        }
        XCTAssertGreaterThan(stored[0].split(separator: "\n").count, 10_000)
        XCTAssertTrue(stored[0] == stored[1], "the coded tables differ between two processes")
    }

    func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h ^= UInt64(b); h &*= 0x0000_0100_0000_01B3 }
        return h
    }

    func testBadScenarioGivesOneLineAndExitCode2() throws {
        let text = try String(contentsOfFile: quickstart, encoding: .utf8).replacingOccurrences(of: "\"fps\": 30", with: "\"fsp\": 30")
        let path = try write("bad.json", text)
        let db = file("keep.sqlite")
        XCTAssertEqual(try Arsim.run(["run", quickstart, "--db", db, "--quiet"]).status, 0)
        for command in [["validate", path], ["run", path, "--db", db]] {
            let r = try Arsim.run(command)
            XCTAssertEqual(r.status, 2)
            XCTAssertEqual(r.stderr, "arsim: error: \(path):30:7: clients[0].fsp: unknown key; did you mean \"fps\"?\n")
            XCTAssertEqual(r.stdout, "")
        }
        let runs = try Arsim.run(["runs", "--db", db])
        XCTAssertTrue(runs.stdout.contains("completed"), "the earlier result is still there")
    }

    func testValidateAcceptsGoodScenario() throws {
        let r = try Arsim.run(["validate", quickstart])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ok: \"quickstart\": 20 clients in 1 groups, 1 servers with 2 GPUs, 1 models"), r.stdout)
    }

    func testMissingScenarioFileIsBadInput() throws {
        let r = try Arsim.run(["run", file("nope.json"), "--db", file("x.sqlite")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("arsim: error: ") && r.stderr.contains("no such file"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("x.sqlite")), "nothing is created for bad input")
    }

    /// `arsim bench --only detail` runs its ten processes and reports the rows the detail runs
    /// wrote: quickstart's 20 phones at 30 fps make just under 3,000 frames in 5 s, each with
    /// its request. Its times are reported, never asserted.
    func testBenchDetailReportsRowsAndBytes() throws {
        let r = try Arsim.run(["bench", "--only", "detail", "--detail-seconds", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(e) detail, quickstart over 5 s"), r.stdout)
        let counts = try XCTUnwrap(r.stdout.firstMatch(of: /\(([0-9,]+) requests, ([0-9,]+) frames, ([0-9,]+) batches\)/), r.stdout)
        let requests = Int(counts.1.replacingOccurrences(of: ",", with: ""))!
        XCTAssertEqual(counts.1, counts.2)
        XCTAssertTrue((2_900...3_000).contains(requests), "\(requests)")
        XCTAssertNotNil(r.stdout.firstMatch(of: /M rows\/s of extra wall time, [0-9]+ bytes a request/), r.stdout)
        let short = try Arsim.run(["bench", "--only", "detail", "--detail-seconds", "2"])
        XCTAssertEqual(short.status, 2)
        XCTAssertTrue(short.stderr.contains("more than quickstart's 2 s of warm-up"), short.stderr)
    }

    func testBadArgumentsExitWith2() throws {
        XCTAssertEqual(try Arsim.run(["run", quickstart, "--detail", "everything", "--db", file("x.sqlite")]).status, 2)
        let e = try Arsim.run(["export", "--db", file("none.sqlite"), "--table", "runs"])
        XCTAssertEqual(e.status, 2)
        XCTAssertEqual(try Arsim.run(["frobnicate"]).status, 2, "a command line the parser rejects is bad input, like any other")
    }

    func testDefaultDatabaseIsResultsScenarioName() throws {
        let scenario = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        let r = try Arsim.run(["run", scenario], in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: file("Results/quickstart.sqlite")))
        XCTAssertTrue(r.stdout.contains("run 1 → Results/quickstart.sqlite"), r.stdout)
        XCTAssertTrue(r.stdout.contains("scope"), r.stdout)
    }

    func testExportWritesCSVFile() throws {
        let db = file("e.sqlite")
        XCTAssertEqual(try Arsim.run(["run", quickstart, "--db", db, "--quiet", "--detail", "summary"]).status, 0)
        let out = file("summary.csv")
        let r = try Arsim.run(["export", "--db", db, "--table", "summary", "--run", "1", "--csv", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("run_id,scope,name,requests,completed,met_deadline,"))
        XCTAssertEqual(text.split(separator: "\n").count, 5, "header + run, server, client group, model")
        XCTAssertEqual(try Arsim.run(["export", "--db", db, "--table", "requests", "--run", "1"]).stdout.split(separator: "\n").count, 1,
                       "summary detail writes no request rows")
    }

    /// SIGINT stops the run cleanly: exit status 130, the run marked interrupted, its summary kept.
    func testSIGINTMarksRunInterrupted() throws {
        let long = try write("long.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 100000")
            .replacingOccurrences(of: "\"detail\": \"requests\"", with: "\"detail\": \"summary\""))
        let db = file("i.sqlite")
        let r = try Arsim.interrupt(["run", long, "--db", db], db: db)
        let stderr = r.stderr
        XCTAssertEqual(r.status, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted"), stderr)
        let runs = try Arsim.run(["runs", "--db", db])
        XCTAssertTrue(runs.stdout.contains("interrupted"), runs.stdout)
        let summary = try Arsim.run(["export", "--db", db, "--table", "summary", "--run", "1"])
        XCTAssertEqual(summary.stdout.split(separator: "\n").count, 5, summary.stdout)
    }
}

/// A world that keeps growing (three clients at a million frames a second behind a 20 Mbit/s
/// link: requests pile up) used to end in the allocator with a trap once it reached the
/// process's memory limit (found by the fuzzer, seed 43). The run now stops between slices when
/// it has taken a third of the memory left when it began, and is marked failed with why.
final class RunMemoryCLITests: TemporaryDirectoryTestCase {
    func testAWorldThatOutgrowsMemoryFailsWithAMessage() throws {
        let scenario = try write("grow.json", """
            {"name": "grow", "seed": 3, "duration_s": 15, "warmup_s": 1,
             "models": [{"name": "m", "latency_ms": {"1": 10.7, "4": 12.73}}],
             "servers": [{"name": "edge", "gpus": 1, "policy": {"name": "fixed_batch", "batch_size": 4}, "queue_capacity": 32}],
             "clients": [{"name": "phone", "count": 3, "model": "m", "fps": 1000000, "arrivals": "poisson", "deadline_ms": 100,
                          "frame_bytes": 30000, "result_bytes": 2000, "network": {"uplink_mbps": 20, "downlink_mbps": 50, "delay_ms": 10}}]}
            """)
        let db = file("r.sqlite")
        // 2 GiB of address space for the process.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v 2097152 && exec \"$0\" run \"$1\" --db \"$2\"", Arsim.executable.path, scenario, db]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("the run outgrew the memory this process may use"), message)
        let runs = try Arsim.run(["runs", "--db", db])
        XCTAssertTrue(runs.stdout.contains("failed"), runs.stdout)
    }
}

import Foundation
import XCTest

/// Bad input found by an audit of every command (2026-11-27): each is one line, exit 2, and
/// leaves the results database as it was; and inputs that made a run hang or trap.
final class BadInputCLITests: TemporaryDirectoryTestCase {
    let quickstart = Repo.path("Workloads/scenarios/quickstart.json")

    func assertOneLine(_ r: Arsim.Result, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("arsim: error: ") && r.stderr.contains(text), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
    }

    func testTheParsersErrorsAreOneLine() throws {
        assertOneLine(try Arsim.run(["run", quickstart, "--seed", "-1"]), "--seed: got -1; negative values are not accepted (see 'arsim run --help')")
        assertOneLine(try Arsim.run(["run", quickstart, "--sed", "1"]), "Did you mean '--set'?")
        assertOneLine(try Arsim.run(["runs"]), "Missing expected argument '--db <db>'")
        assertOneLine(try Arsim.run(["frobnicate"]), "Unexpected argument 'frobnicate'")
        assertOneLine(try Arsim.run(["help", "rnu"]), "help: unknown command \"rnu\"; did you mean \"run\"?")
        XCTAssertEqual(try Arsim.run(["help", "run"]).status, 0)
    }

    func testBenchRefusesValuesItCannotRun() throws {
        assertOneLine(try Arsim.run(["bench", "--only", "world", "--seconds", "nan"]), "--seconds: expected more than 0")
        assertOneLine(try Arsim.run(["bench", "--only", "world", "--clients", "100000000"]), "--clients: 100000000 clients in all need about")
        assertOneLine(try Arsim.run(["bench", "--only", "mm1", "--customers", "0"]), "--customers: expected 1 to")
        assertOneLine(try Arsim.run(["bench", "--only", ""]), "--only: expected one or more of")
        assertOneLine(try Arsim.run(["bench", "--only", "mm1", "--set", "duration_s=1"]), "--set: overrides need --scenario")
    }

    /// An unusable --db is refused before anything is written, and the file is left byte for byte.
    func testAnUnusableDatabaseIsBadInputAndLeftAsItIs() throws {
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        assertOneLine(try Arsim.run(["run", short, "--db", ""]), "--db: expected a file path, got an empty one")
        assertOneLine(try Arsim.run(["run", short, "--db", file("no/such/folder/x.sqlite")]), "there is no folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("no")), "a typo makes no folders")
        assertOneLine(try Arsim.run(["run", short, "--db", directory.path]), "is a folder")
        let text = try write("text.sqlite", "not a database")
        assertOneLine(try Arsim.run(["run", short, "--db", text]), "not an SQLite database")
        // Another program's SQLite file, and a results file of another schema.
        let other = file("other.sqlite"), newer = file("v99.sqlite"), browser = file("history.sqlite")
        XCTAssertEqual(try Arsim.run(["run", short, "--db", other, "--quiet"]).status, 0)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", """
            import sqlite3
            c = sqlite3.connect('\(other)'); c.execute('drop table runs'); c.execute('drop table meta'); c.commit()
            c = sqlite3.connect('\(newer)'); c.execute('create table meta (key text, value text)'); c.execute("insert into meta values ('schema_version', '99')"); c.commit()
            c = sqlite3.connect('\(browser)'); c.execute('create table meta (key text, value text)'); c.execute("insert into meta values ('version', '53')"); c.execute('create table urls (id)'); c.commit()
            """]
        try sqlite.run()
        sqlite.waitUntilExit()
        for (path, why) in [(other, "not an arsim results database"), (newer, "holds results in schema 99"), (browser, "not an arsim results database")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            assertOneLine(try Arsim.run(["run", short, "--db", path]), why)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "\(path) is left as it is")
        }
        assertOneLine(try Arsim.run(["merge", text, "--into", ""]), "--into: expected a file path")
    }

    func testOutputsThatCannotBeWrittenAreBadInput() throws {
        let db = file("q.sqlite")
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        XCTAssertEqual(try Arsim.run(["run", short, "--db", db, "--quiet"]).status, 0)
        assertOneLine(try Arsim.run(["export", "--db", db, "--table", "runs", "--csv", file("none/x.csv")]), "there is no folder")
        assertOneLine(try Arsim.run(["report", "--db", db, "--out", directory.path]), "is a folder")
    }

    /// A second audit (2026-11-27): outputs never replace a results database, and a file that is
    /// not a database is never made one; each refusal leaves the file byte for byte.
    func testResultsAreNeverWrittenOver() throws {
        let db = file("q.sqlite"), other = file("other.sqlite")
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        XCTAssertEqual(try Arsim.run(["run", short, "--db", db, "--quiet"]).status, 0)
        XCTAssertEqual(try Arsim.run(["run", short, "--db", other, "--quiet"]).status, 0)
        let (before, otherBefore) = (try Data(contentsOf: URL(fileURLWithPath: db)), try Data(contentsOf: URL(fileURLWithPath: other)))
        assertOneLine(try Arsim.run(["run", short, "--db", db, "--trace", db]), "that is an SQLite database")
        assertOneLine(try Arsim.run(["run", short, "--db", db, "--trace", other]), "that is an SQLite database")
        assertOneLine(try Arsim.run(["run", short, "--db", file("new.sqlite"), "--trace", file("./new.sqlite")]), "that is the results database")
        assertOneLine(try Arsim.run(["report", "--db", db, "--out", db]), "that is an SQLite database")
        assertOneLine(try Arsim.run(["export", "--db", db, "--table", "runs", "--csv", other]), "that is an SQLite database")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other)), otherBefore)
        // SQLite takes a file under 100 bytes for an empty database and writes over it.
        let tiny = try write("tiny", "x")
        assertOneLine(try Arsim.run(["run", short, "--db", tiny]), "not an SQLite database")
        XCTAssertEqual(try String(contentsOfFile: tiny, encoding: .utf8), "x")
        // "-" is not a file name for a trace or a report.
        assertOneLine(try Arsim.run(["run", short, "--db", db, "--trace", "-"]), "not to standard output")
        assertOneLine(try Arsim.run(["run", short, "--db", "-"]), "is standard input or output, not a file")
        // A new database reached through a linked folder is still the database.
        try FileManager.default.createDirectory(atPath: file("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: file("link"), withDestinationPath: file("real"))
        assertOneLine(try Arsim.run(["run", short, "--db", file("real/n.sqlite"), "--trace", file("link/n.sqlite")]), "that is the results database")
        assertOneLine(try Arsim.run(["run", short, "--db", file("n2.sqlite"), "--trace", short]), "that is the scenario file")
        assertOneLine(try Arsim.run(["report", "--db", db, "--out", "-"]), "not to standard output")
    }

    /// A pipe is neither read as a database (opening it waited for a writer forever) nor
    /// replaced by an output.
    func testAPipeIsNotAFile() throws {
        let fifo = file("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertOneLine(try Arsim.run(["runs", "--db", fifo]), "is not a regular file")
        assertOneLine(try Arsim.run(["merge", fifo, "--into", file("m.sqlite")]), "is not a regular file")
        let db = file("q.sqlite")
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        assertOneLine(try Arsim.run(["run", short, "--db", fifo]), "is not a regular file")
        XCTAssertEqual(try Arsim.run(["run", short, "--db", db, "--quiet"]).status, 0)
        assertOneLine(try Arsim.run(["export", "--db", db, "--table", "runs", "--csv", fifo]), "is not a regular file")
    }

    func testNumbersThatOverflowAreRefused() throws {
        assertOneLine(try Arsim.run(["bench", "--only", "world", "--seconds", "1", "--clients", "4611686018427387904"]), "clients in all need more than")
        assertOneLine(try Arsim.run(["capacity", quickstart, "--vary", "clients[0].count", "--slo", "deadline_miss_rate <= 0.01",
                                     "--db", file("c.sqlite"), "--step-down", "1e-17"]), "--step-down must be a percentage from 0.1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("c.sqlite")))
    }

    func testFoldersAndNamesAreChecked() throws {
        let derived = Repo.path("Workloads/profiles/derived/T4")
        let plain = try write("plain", "x")
        assertOneLine(try Arsim.run(["profiles", "import", "--format", "arsim", derived, "--out", plain]), "is not a folder")
        assertOneLine(try Arsim.run(["profiles", "import", "--format", "arsim", derived, "--out", ""]), "expected a folder path")
        assertOneLine(try Arsim.run(["profiles", "import", "--format", "arsim", derived, "--out", file("no/such/out")]), "there is no folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("no")))
        assertOneLine(try Arsim.run(["profiles", "compare", "--measured", Repo.path("Workloads/profiles/measured"), "--layers", file("none")]),
                      "expected a folder of layer tables")
        _ = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8))
        let unnamed = try write("unnamed.json", #"{"name": "", "scenario": "s.json"}"#)
        assertOneLine(try Arsim.run(["sweep", unnamed, "--db", file("u.sqlite")]), "must not be empty")
        let label = try write("label.json", #"{"name": "l", "scenario": "s.json", "points": [{"label": "a\nb"}]}"#)
        assertOneLine(try Arsim.run(["sweep", label, "--db", file("l.sqlite")]), "must not contain control characters")
        // A path with a line break is named on one line.
        assertOneLine(try Arsim.run(["runs", "--db", "a\nb"]), "no database at a\\nb")
    }

    /// Foundation's `deletingLastPathComponent` traps on a path of one character: a database, an
    /// output, a scenario or a trace named so must work as any other name.
    func testOneCharacterNamesWork() throws {
        let scenario = try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3")
            .replacingOccurrences(of: "\"uplink_mbps\": 20", with: "\"uplink_trace\": {\"file\": \"t\", \"format\": \"csv\"}")
        XCTAssertNotEqual(scenario, try String(contentsOfFile: quickstart, encoding: .utf8))
        _ = try write("q", scenario)
        _ = try write("t", "0,20\n1,10\n")
        let run = try Arsim.run(["run", "q", "--db", "d", "--quiet"], in: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        let export = try Arsim.run(["export", "--db", "d", "--table", "runs", "--csv", "a"], in: directory)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(try String(contentsOfFile: file("a"), encoding: .utf8).hasPrefix("run_id,"))
        // "-" is standard output, as for most tools, not a file of that name.
        let dash = try Arsim.run(["export", "--db", "d", "--table", "runs", "--csv", "-"], in: directory)
        XCTAssertEqual(dash.status, 0, dash.stderr)
        XCTAssertTrue(dash.stdout.hasPrefix("run_id,"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("-")))
        XCTAssertEqual(try Arsim.run(["report", "--db", "d", "--out", "r"], in: directory).status, 0)
    }

    /// Both ends of --between are tried before the search is recorded: the database is unchanged.
    func testCapacityChecksItsBoundsBeforeWriting() throws {
        let db = file("c.sqlite")
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        XCTAssertEqual(try Arsim.run(["run", short, "--db", db, "--quiet"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        for between in [["0", "4"], ["1.5", "3"], ["1", "99999999999"]] {
            assertOneLine(try Arsim.run(["capacity", short, "--vary", "clients[0].count", "--slo", "deadline_miss_rate <= 0.01",
                                         "--between"] + between + ["--jobs", "1", "--db", db]), "--vary 'clients[0].count' at")
        }
        assertOneLine(try Arsim.run(["capacity", short, "--vary", "clients[0].count", "--slo", "deadline_miss_rate <= 0.01",
                                     "--seed", "9223372036854775807", "--replications", "2", "--db", db]), "past 2^63-1")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before)
    }

    /// A 10^9-point grid is refused from its lengths, before a point is built, and a seed that
    /// would wrap past 2^63-1 is refused rather than run as 0.
    func testSweepRefusesHugeGridsAndWrappingSeeds() throws {
        let short = try write("s.json", try String(contentsOfFile: quickstart, encoding: .utf8)
            .replacingOccurrences(of: "\"duration_s\": 30", with: "\"duration_s\": 3"))
        let values = "[" + (1...10).map(String.init).joined(separator: ", ") + "]"
        let axes = ["clients[0].count", "clients[0].fps", "clients[0].frame_bytes", "clients[0].result_bytes", "clients[0].deadline_ms",
                    "servers[0].gpus", "servers[0].queue_capacity", "warmup_s", "drain_s"].map { "\"\($0)\": \(values)" }
        let grid = try write("grid.json", #"{"name": "g", "scenario": "s.json", "grid": {\#(axes.joined(separator: ", "))}}"#)
        assertOneLine(try Arsim.run(["sweep", grid, "--db", file("g.sqlite")]), "the grid has more than 100000 points")
        let runs = try write("runs.json", #"{"name": "r", "scenario": "s.json", "replications": 10000, "grid": {"clients[0].count": \#(values), "seed": \#(values)}}"#)
        assertOneLine(try Arsim.run(["sweep", runs, "--db", file("r.sqlite")]), "100 points x 10000 replications make more than 100000 runs")
        let seed = try write("seed.json", #"{"name": "w", "scenario": "s.json", "seed": 9223372036854775807, "replications": 2}"#)
        assertOneLine(try Arsim.run(["sweep", seed, "--db", file("w.sqlite")]), "past 2^63-1")
    }

    func testRunOptionsThatCannotApplyAreRefused() throws {
        assertOneLine(try Arsim.run(["run", quickstart, "--trace-window", "0:1"]), "--trace-window narrows a trace: give --trace FILE too")
        assertOneLine(try Arsim.run(["run", quickstart, "--label", "a\nb"]), "no control characters")
        assertOneLine(try Arsim.run(["profiles", "list", "--dir", file("none")]), "no folder there")
    }

    /// A misspelt GPU, model or precision that no profile has gets the nearest one the library has.
    func testAMisspeltProfileNameGetsASuggestion() throws {
        for (set, hint) in [("servers[0].gpu=T5", "did you mean GPU \"T4\"?"), ("models[0].profile=resnet5", "did you mean model \"resnet50\"?"),
                            ("servers[0].precision=fp31", "did you mean precision \"fp32\"?")] {
            let scenario = try write("p.json", """
                {"name": "p", "duration_s": 1, "models": [{"name": "resnet50"}],
                 "servers": [{"name": "s", "gpu": "T4"}],
                 "clients": [{"name": "c", "model": "resnet50", "fps": 1, "deadline_ms": 100, "network": {"uplink_mbps": 10, "downlink_mbps": 10}}]}
                """)
            assertOneLine(try Arsim.run(["validate", scenario, "--set", set]), hint)
        }
    }
}

import Foundation
import XCTest

final class ProfilesCLITests: TemporaryDirectoryTestCase {
    func testListShowsBundledDerivedProfiles() throws {
        let r = try Arsim.run(["profiles", "list", "--model", "fastdepth"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").filter { $0.contains("fastdepth") && $0.contains("derived") }
        XCTAssertEqual(rows.count, 7, r.stdout)
        // Where a GPU has a measured profile of the same precision, it is listed instead: FP32 on
        // the H100 and the H200, and FP16 and TF32, which only measurements have.
        let measured = r.stdout.split(separator: "\n").filter { $0.contains("fastdepth") && $0.contains("measured") }
        XCTAssertEqual(measured.map { String($0.prefix(4)) + $0.split(separator: " ")[2] },
                       ["H100fp16", "H100fp32", "H100tf32", "H200fp16", "H200fp32", "H200tf32"], r.stdout)
    }

    func testShowPrintsProvenanceAndLatency() throws {
        let r = try Arsim.run(["profiles", "show", "T4", "resnet50"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("DERIVED (not measured)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("error: per layer median 6.3 %"), r.stdout)  // the T4's own k
        XCTAssertTrue(r.stdout.contains("batch sizes 1…64 can run"), r.stdout)
    }

    func testShowOfMissingPairNamesBoth() throws {
        let r = try Arsim.run(["profiles", "show", "P100", "resnet50"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "arsim: error: no profile for model \"resnet50\" on GPU \"P100\"; resnet50 (fp32) is profiled on A10, A100, H100, H200, L4, Orin, T4, TX2, V100\n")
        let typo = try Arsim.run(["profiles", "show", "T4", "resnet5"])
        XCTAssertTrue(typo.stderr.contains("did you mean \"resnet50\""), typo.stderr)
    }

    func testMalformedProfileIsBadInputWithFileAndLine() throws {
        let dir = file("profiles")
        try FileManager.default.createDirectory(atPath: dir + "/T4", withIntermediateDirectories: true)
        try "{\n \"arsim_profile\": 1,\n \"modle\": \"x\"\n}\n".write(toFile: dir + "/T4/x.fp32.json", atomically: true, encoding: .utf8)
        let r = try Arsim.run(["profiles", "show", "T4", "x", "--dir", dir])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "arsim: error: \(dir)/T4/x.fp32.json:3:2: modle: unknown key; did you mean \"model\"?\n")
    }

    func testImportArsimFormatRoundTrips() throws {
        let out = file("copy")
        let r = try Arsim.run(["profiles", "import", "--format", "arsim", Repo.path("Workloads/profiles/derived/T4"), "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("wrote 11 arsim profiles"), r.stdout)
        let copied = try String(contentsOfFile: out + "/T4/vgg16.fp32.json", encoding: .utf8)
        XCTAssertEqual(copied, try String(contentsOfFile: Repo.path("Workloads/profiles/derived/T4/vgg16.fp32.json"), encoding: .utf8))
        let bad = try Arsim.run(["profiles", "import", "--format", "ppipee", "x", "--out", out])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("did you mean \"ppipe\""), bad.stderr)
    }

    func testRunRecordsWhereLatenciesCameFrom() throws {
        let db = file("p.sqlite")
        let r = try Arsim.run(["run", Repo.path("Workloads/scenarios/edge-profiles.json"), "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A derived latency is never shown as if measured: the summary says so, with its error.
        // Each with its GPU type's error: the T4's own (it has its own calibration), the A10 the single k's.
        XCTAssertTrue(r.stdout.contains("latencies of resnet50 on edge-t4 (T4): DERIVED, not measured (error whole model median 3.5 %, p90 9.7 %): profile"), r.stdout)
        XCTAssertTrue(r.stdout.contains("latencies of fastdepth on edge-a10 (A10): DERIVED, not measured (error whole model median 15.2 %, p90 40.3 %): profile"), r.stdout)
        let e = try Arsim.run(["export", "--db", db, "--table", "latency_sources"])
        XCTAssertEqual(e.stdout.split(separator: "\n").count, 3)
        XCTAssertTrue(e.stdout.contains(",edge-t4,resnet50,T4,fp32,derived,"), e.stdout)
    }
}

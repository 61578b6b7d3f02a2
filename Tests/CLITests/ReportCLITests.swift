import Foundation
import XCTest

final class ReportCLITests: XCTestCase {
    /// `arsim report` writes one self-contained file (no script, nothing fetched) whose charts all
    /// draw marks; where Debian's chromium is installed (`make test` installs it), the page renders
    /// headless without console errors, its rendered DOM keeps every chart's marks, and a
    /// screenshot is kept in .build/test-output/report.png.
    func testReportRendersInHeadlessChromium() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-report-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/r.db", out = "\(dir)/report.html"
        for scenario in ["Workloads/scenarios/ar-campus.json", "Workloads/scenarios/quickstart.json"] {
            let run = try Arsim.run(["run", scenario, "--db", db, "--quiet", "--set", "duration_s=5", "--set", "warmup_s=1"])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let bad = try Arsim.run(["report", "--db", db, "--runs", "1,7", "--out", out])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("no run with id 7"), bad.stderr)
        let r = try Arsim.run(["report", "--db", db, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertFalse(html.contains("<script"), "no scripts")
        XCTAssertFalse(html.contains("src=") || html.contains("href="), "nothing fetched")
        XCTAssertTrue(html.contains("Latency CDF of completed requests"), "a whole CDF from the latency_cdf table")
        let charts = html.components(separatedBy: "<svg ").dropFirst()
        XCTAssertGreaterThanOrEqual(charts.count, 7, "CDF, throughput, misses, accuracy, and per run GPU and queue charts")
        for (i, chart) in charts.enumerated() { XCTAssertTrue(chart.components(separatedBy: "</svg>")[0].contains("class=\"mark\""), "chart \(i) draws nothing") }

        // A capacity search: its probes, and each SLO figure against the value probed.
        let capDB = "\(dir)/cap.db"
        let cap = try Arsim.run(["capacity", "Workloads/workbench/t4-resnet50.json", "--vary", "clients[0].count", "--slo", "latency_p99_ms <= 100",
                                 "--db", capDB, "--set", "duration_s=3", "--set", "warmup_s=1"])
        XCTAssertEqual(cap.status, 0, cap.stderr)
        let capReport = try Arsim.run(["report", "--db", capDB, "--sweep", "1", "--out", "\(dir)/cap.html"])
        XCTAssertEqual(capReport.status, 0, capReport.stderr)
        let capHTML = try String(contentsOfFile: "\(dir)/cap.html", encoding: .utf8)
        XCTAssertTrue(capHTML.contains("Capacity curve: latency_p99_ms against the value probed"))
        XCTAssertTrue(capHTML.contains("Capacity search 1"))

        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else { throw XCTSkip("Debian's chromium is not installed (make test installs it)") }
        let outputDir = FileManager.default.currentDirectoryPath + "/.build/test-output"
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                      "--user-data-dir=\(dir)/profile"]
        let dom = try Self.runTool(chromium, common + ["--dump-dom", "file://\(out)"])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        XCTAssertFalse(dom.stderr.contains("CONSOLE") || dom.stderr.contains("Uncaught"), dom.stderr)
        XCTAssertEqual(dom.stdout.components(separatedBy: "<svg ").count - 1, charts.count)
        XCTAssertEqual(dom.stdout.components(separatedBy: "class=\"mark\"").count, html.components(separatedBy: "class=\"mark\"").count)
        let shot = try Self.runTool(chromium, common + ["--window-size=1300,2400", "--screenshot=\(outputDir)/report.png", "file://\(out)"])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let png = try Data(contentsOf: URL(fileURLWithPath: "\(outputDir)/report.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG")
        XCTAssertGreaterThan(png.count, 20_000, "a page with charts, not a blank one")
    }

    static func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // A browser that hangs must not hang the test run: stop it after two minutes.
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { if p.isRunning { p.terminate() } }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

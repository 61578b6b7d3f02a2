import Foundation
import ResultsStore

extension Bench {
    /// (e): what writing every request, frame and batch costs against a summary run of the same
    /// world (issue 10, item 3). Whole processes, alternating, so drift hits both alike.
    func benchDetail() throws {
        let file = "Workloads/scenarios/quickstart.json"
        let scratch = try scratchDirectory(for: "(e)", needing: file)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func run(_ detail: String, _ i: Int) throws -> (seconds: Double, db: String) {
            let db = scratch.appendingPathComponent("\(detail)-\(i).sqlite").path
            let t = try timedProcess(["run", file, "--set", "duration_s=\(detailSeconds)", "--detail", detail, "--db", db, "--quiet"],
                                     benchmark: "(e)")
            return (t, db)
        }
        var summary: [Double] = [], requests: [Double] = []
        var dbs: (summary: String, requests: String) = ("", "")
        for i in 0..<5 {
            let s = try run("summary", i), r = try run("requests", i)
            summary.append(s.seconds)
            requests.append(r.seconds)
            dbs = (s.db, r.db)
        }
        let ratios = zip(requests, summary).map { $0 / $1 }.sorted()
        let store = try ResultsStore(readingFrom: dbs.requests)
        func count(_ sql: String) throws -> Int64 {
            if case .integer(let n) = try store.select(sql).first?.first { return n }
            return 0
        }
        let requestRows = try count("SELECT count(*) FROM requests"), frameRows = try count("SELECT count(*) FROM frames")
        let batchRows = try count("SELECT count(*) FROM batches")
        let rows = Double(requestRows + frameRows + batchRows)
        func size(_ path: String) throws -> Double { Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0) }
        let extraBytes = try size(dbs.requests) - size(dbs.summary)
        let extraSeconds = requests.sorted()[2] - summary.sorted()[2]
        print("(e) detail, quickstart over \(fixed(detailSeconds, 0)) s: summary \(summary.map { fixed($0, 3) }.joined(separator: ", ")) s; "
              + "requests \(requests.map { fixed($0, 3) }.joined(separator: ", ")) s")
        print("    requests / summary: median \(fixed(ratios[2], 2))x (\(fixed(ratios[0], 2))-\(fixed(ratios[4], 2))) (target <= 2); "
              + "\(grouped(UInt64(rows))) rows (\(grouped(UInt64(requestRows))) requests, \(grouped(UInt64(frameRows))) frames, "
              + "\(grouped(UInt64(batchRows))) batches), "
              + (extraSeconds > 0 ? "\(fixed(rows / extraSeconds / 1e6, 2))" : "n/a") + " M rows/s of extra wall time, "
              + "\(fixed(extraBytes / Double(max(requestRows, 1)), 0)) bytes a request")
    }
}

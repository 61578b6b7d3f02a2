import ArgumentParser
import Foundation
import ResultsStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a results table as CSV, ready for pandas, R or gnuplot.",
        discussion: """
            Tables: \(CSVExport.tables.joined(separator: ", ")) (docs/results.md lists their columns). \
            The database is opened read-only. \
            The first line is a header; fields with commas, quotes or line breaks are quoted \
            (RFC 4180); an empty field is NULL. Example:

              arsim export --db Results/quickstart.sqlite --table summary --run 1 --csv summary.csv
            """)

    @Option(help: "The results database.")
    var db: String

    @Option(help: "The table to export.")
    var table: String

    @Option(name: .customLong("run"), help: "Only the rows of this run (see `arsim runs`).")
    var runID: Int64?

    @Option(help: "Write to this file instead of standard output (written in full or not at all; - is standard output).")
    var csv: String?

    func run() throws {
        let store = try openForReading(db)
        let csv = self.csv == "-" ? nil : self.csv
        if let csv, let why = outputRefusal(csv) { throw fail("--csv \(csv): \(why)", code: 2) }
        do {
            if let csv {
                let temporary = csv + ".tmp"
                guard FileManager.default.createFile(atPath: temporary, contents: nil),
                       let handle = FileHandle(forWritingAtPath: temporary) else { throw fail("--csv \(csv): cannot write \(temporary)", code: 2) }
                do {
                    try CSVExport.export(store: store, table: table, run: runID) { try handle.write(contentsOf: Data($0.utf8)) }
                    try handle.close()
                } catch {
                    try? handle.close()
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw error
                }
                // rename(2) replaces the target atomically: a reader sees the old file or the new one.
                guard rename(temporary, csv) == 0 else {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw fail("cannot write \(csv): \(String(cString: strerror(errno)))", code: 1)
                }
            } else {
                let out = FileHandle.standardOutput
                try CSVExport.export(store: store, table: table, run: runID) { out.write(Data($0.utf8)) }
            }
        } catch let failure as CSVExport.Failure {
            throw fail(failure.description, code: 2)
        }
    }
}

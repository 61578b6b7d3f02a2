import ArgumentParser
import Foundation
import ResultsStore
import Workbench

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML report of runs, a sweep or a capacity search.",
        discussion: """
            Draws, as inline SVG with no scripts and nothing fetched, from the results database \
            (read-only): latency CDFs per run; requests done, deadline misses and accuracy per \
            task over time; GPU and link utilisation and queue lengths over time per run; a \
            sweep's points as bars with their 95 % intervals; a capacity search's probes; and \
            the tables behind each chart, each run's scenario and where its latencies come from \
            (measured or derived). Charts come from the summary and the time bins a run \
            records, never from every request, so the file stays small for long runs. \
            docs/reports.md shows one.

              arsim report --db Results/quickstart.sqlite --out report.html
              arsim report --db Results/t4-sweep.sqlite --sweep 1 --out sweep.html
            """)

    @Option(help: "The results database.")
    var db: String

    @Option(help: ArgumentHelp("The runs to show: a list of ids and ranges (default: all, or the sweep's).", valueName: "1,3-5"))
    var runs: String?

    @Option(help: "A sweep or capacity search to show, with its runs.")
    var sweep: Int64?

    @Option(help: "Where to write the HTML file.")
    var out: String = "report.html"

    func run() throws {
        var ids: [Int64]?
        if let runs {
            switch Compare.parseRuns(runs) {
            case .success(let parsed): ids = parsed
            case .failure(let e): throw fail(e.message, code: 2)
            }
        }
        let store = try openForReading(db)
        if let why = out == "-" ? "a report is written to a file, not to standard output" : outputRefusal(out) {
            throw fail("--out \(out): \(why)", code: 2)
        }
        let html: String
        do {
            html = try HTMLReport.build(store: store, title: "arsim report: \((db as NSString).lastPathComponent)",
                                        selection: .init(runs: ids, sweep: sweep))
        } catch let e as HTMLReport.ReportError {
            throw fail(e.description, code: 2)
        }
        do {
            try html.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw fail("--out \(out): cannot write (\(error.localizedDescription))", code: 1)
        }
        note("wrote \(out) (\(html.utf8.count / 1024) KiB)")
    }
}

import ArgumentParser
import Foundation
import JSONConfig
import Runner
import Workbench

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the regression scenarios and compare their key metrics with the blessed baselines.",
        discussion: """
            Each spec in the folder (Workloads/regression/*.json) names a scenario, optional \
            overrides and seed, and the summary metrics that must not move. Runs are \
            deterministic, so values are compared exactly with Results/baselines/<name>.json. \
            Anything that moved is printed side by side and the exit status is 1: either a \
            defect was fixed (re-bless, saying which) or a bug was introduced.

              arsim check                                   # every spec
              arsim check --update --reason "fifo now drops expired requests (issue 9)"

            A spec whose `requires` files are absent (data outside a fresh clone) is skipped \
            with a message.
            """)

    @Argument(help: "A folder of regression specs, or one spec.")
    var specs: String = "Workloads/regression"

    @Option(help: "The folder of baselines.")
    var baselines: String = "Results/baselines"

    @Flag(help: "Write the current values as the new baselines (needs --reason).")
    var update = false

    @Option(help: "Why the baselines change: recorded in each baseline that moved, with the arsim version.")
    var reason: String?

    func run() throws {
        if update && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("--update needs --reason \"why the outcomes moved\"", code: 2)
        }
        let files: [String]
        let loaded: [RegressionSpec]
        do {
            files = try RegressionSpec.files(in: specs)
            loaded = try files.map { f throws(ConfigError) in try RegressionSpec.load(path: f) }
        } catch {
            throw badInput(error)
        }
        if files.isEmpty { throw fail("\(specs): no regression specs (*.json) there", code: 2) }
        switch PathKind(baselines) {
        case .folder: break
        case .file, .other: throw fail("--baselines \(baselines): is not a folder", code: 2)
        case .none:
            // A mistyped folder must not read as "no baselines yet": only --update makes one,
            // and only inside a folder that exists.
            guard update else {
                throw fail("--baselines \(baselines): there is no such folder; bless baselines there with --update --reason \"…\"", code: 2)
            }
            if let why = pathRefusal(baselines) { throw fail("--baselines \(baselines): \(why)", code: 2) }
        }
        var moved = TextTable(header: ["scenario", "metric", "baseline", "now", "change"])
        moved.leftAligned = [0, 1]
        var changedSpecs = 0, metricsChecked = 0, skipped = 0
        let clock = ContinuousClock(), started = clock.now
        for spec in loaded {
            if let missing = spec.requires.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
                print("skip   \(spec.name): needs \(missing), which is absent here")
                skipped += 1
                continue
            }
            let t0 = clock.now
            let values: [Double?]
            do {
                values = try spec.measure()
            } catch let e as ConfigError {
                throw badInput(e)
            } catch {
                throw fail("\(spec.file): the run failed: \(error)", code: 1)
            }
            let took = (clock.now - t0).components
            let seconds = Double(took.seconds) + Double(took.attoseconds) / 1e18
            let baselinePath = (baselines as NSString).appendingPathComponent("\(spec.name).json")
            let old: Baseline?
            if FileManager.default.fileExists(atPath: baselinePath) {
                do { old = try Baseline.load(path: baselinePath) } catch { throw badInput(error) }
            } else {
                old = nil
            }
            var changes: [[String]] = []
            for (key, value) in zip(spec.metricNames, values) {
                metricsChecked += 1
                guard let old else { continue }
                let was = old.values.first { $0.metric == key }
                if was == nil || was!.value != value {
                    let before = was.map { $0.value.map(exact) ?? "null" } ?? "(not in baseline)"
                    let change = (was?.value).flatMap { w in value.map { v in relative(w, v) } } ?? ""
                    changes.append([spec.name, key, before, value.map(exact) ?? "null", change])
                }
            }
            let dropped = old?.values.map(\.metric).filter { m in !spec.metricNames.contains(m) } ?? []
            for m in dropped { changes.append([spec.name, m, "listed", "(no longer checked)", ""]) }
            let status = old == nil ? "new   " : changes.isEmpty ? "ok    " : "MOVED "
            print("\(status)\(spec.name): \(spec.metricNames.count) metrics, \(String(format: "%.2f", seconds)) s"
                  + (old == nil ? " (no baseline yet)" : ""))
            if old == nil || !changes.isEmpty { changedSpecs += 1 }
            moved.rows += changes
            if update && (old == nil || !changes.isEmpty) {
                var history = old?.history ?? []
                if let old { history.append((old.arsimVersion, old.reason)) }
                let b = Baseline(name: spec.name, values: zip(spec.metricNames, values).map { ($0, $1) },
                                 arsimVersion: ArsimVersion.current, reason: reason!, history: history)
                do {
                    try FileManager.default.createDirectory(atPath: baselines, withIntermediateDirectories: true)
                    try b.text.write(toFile: baselinePath, atomically: true, encoding: .utf8)
                } catch {
                    throw fail("cannot write \(baselinePath): \(error.localizedDescription)", code: 1)
                }
            }
        }
        let total = (clock.now - started).components
        print("")
        if !moved.rows.isEmpty { print(moved.render()); print("") }
        print("\(loaded.count - skipped) scenarios, \(metricsChecked) metrics checked in "
              + String(format: "%.1f", Double(total.seconds) + Double(total.attoseconds) / 1e18) + " s; "
              + "\(changedSpecs) moved or new, \(skipped) skipped")
        if changedSpecs > 0 {
            if update {
                print("baselines updated in \(baselines) (reason: \(reason!))")
            } else {
                note("arsim: outcomes moved; if this is a fixed defect, re-bless with `arsim check --update --reason \"…\"`")
                throw ExitCode(1)
            }
        }
    }

    /// The value exactly as the baseline stores it.
    func exact(_ v: Double) -> String { JSONOutput.format(v) }

    func relative(_ old: Double, _ new: Double) -> String {
        guard old != 0 else { return new == 0 ? "" : "from 0" }
        return String(format: "%+.3g%%", (new - old) / abs(old) * 100)
    }
}

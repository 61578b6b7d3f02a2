import ArgumentParser
import Foundation
import JSONConfig
import Profiles

struct ProfilesCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare the cost model's derived latencies with measured profiles of the same model and GPU.",
        discussion: """
            For every measured profile under --measured whose model has a layer table and whose \
            GPU is in the catalogue, prints the whole-model latency per batch size as measured \
            (end to end, without per-layer timing) and as the cost model derives it, and the \
            relative error, summarised per GPU and precision for small (1–8) and large (16 and up) batches. \
            A derived profile stands for an optimising runtime (TensorRT, TF32); an eager PyTorch \
            measurement at small batches is bound by launching kernels from Python, so the two \
            regimes are reported apart.

              arsim profiles compare
              arsim profiles compare --measured my/profiles --gpus my/gpus.json
            """)

    @Option(help: "Folder of measured profiles (searched recursively).")
    var measured = "Workloads/profiles/measured"

    @Option(help: "Cost model file.")
    var costModel = "Workloads/costmodel.json"

    @Option(help: "Folder of layer tables (*.layers.json).")
    var layers = "Workloads/models"

    @Option(help: "GPU catalogue.")
    var gpus = "Workloads/gpus.json"

    @Flag(help: "Print every model and batch size, not only the summary.")
    var all = false

    func run() throws {
        let comparison: MeasuredComparison
        do {
            let library = ProfileLibrary(roots: [measured])
            if library.entries.isEmpty { throw fail("no profiles under \(measured)", code: 2) }
            var profiles: [Profile] = []
            for entry in library.entries {
                let p = try ProfileFile.load(path: entry.path)
                if p.provenance.kind == "measured" { profiles.append(p) }
            }
            let tables = try LayerTable.loadAll(directory: layers)
            if tables.isEmpty { throw fail("--layers \(layers): no layer tables (*.layers.json) there", code: 2) }
            comparison = MeasuredComparison(measured: profiles, tables: tables,
                                            catalog: try GPUCatalog.load(path: gpus), costModel: try CostModel.load(path: costModel).0)
        } catch let e as ConfigError {
            throw badInput(e)
        }
        print(Self.report(comparison, everyPoint: all))
    }

    static func report(_ c: MeasuredComparison, everyPoint: Bool) -> String {
        var lines: [String] = []
        if everyPoint {
            var t = TextTable(header: ["gpu", "model", "precision", "batch", "measured ms", "derived ms", "error"])
            t.leftAligned = [0, 1, 2]
            for p in c.points {
                t.rows.append([p.gpu, p.model, p.precision, String(p.batch), fixed(p.measuredUs / 1000, 3),
                               fixed(p.derivedUs / 1000, 3), String(format: "%+.1f %%", p.error * 100)])
            }
            lines += [t.render(), ""]
        }
        var t = TextTable(header: ["gpu", "precision", "batches", "points", "|error| median", "|error| p90", "signed median"])
        t.leftAligned = [0, 1, 2]
        for gpu in Array(Set(c.points.map(\.gpu))).sorted() {
            let precisions = Array(Set(c.points.filter { $0.gpu == gpu }.map(\.precision))).sorted()
            for precision in precisions {
                for (label, range) in [("1-8", 1...8), ("16+", 16...Int.max)] {
                    let s = c.summary(gpu: gpu, precision: precision, batches: range)
                    guard s.count > 0 else { continue }
                    t.rows.append([gpu, precision, label, String(s.count), String(format: "%.1f %%", s.median * 100),
                                   String(format: "%.1f %%", s.p90 * 100),
                                   String(format: "%+.1f %%", c.medianSignedError(gpu: gpu, precision: precision, batches: range) * 100)])
                }
            }
        }
        lines.append("derived whole-model latency against measured end-to-end latency, per GPU, precision and batch range:")
        lines.append(t.render())
        for s in c.skipped { lines.append("skipped: \(s)") }
        return lines.joined(separator: "\n")
    }
}

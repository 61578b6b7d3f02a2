import ArgumentParser
import Foundation
import JSONConfig
import Profiles

struct ProfilesShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one profile: where it comes from, whole-model latency per batch size, its layers.")

    @Argument(help: "GPU type, as in `arsim profiles list` (T4, H100, …).")
    var gpu: String

    @Argument(help: "Model name.")
    var model: String

    @Option(help: "Precision.")
    var precision = "fp32"

    @Option(help: "MPS level m (the GPU split into m equal shares).")
    var mps = 1

    @Flag(help: "Print every layer's mean latency at each profiled batch size.")
    var layers = false

    @OptionGroup var folders: ProfileFolders

    func run() throws {
        let library = ProfileLibrary(roots: folders.directories + ProfileLibrary.defaultRoots())
        let key = ProfileLibrary.Key(gpu: gpu, model: model, precision: precision, mpsLevel: mps)
        let profile: Profile
        do {
            guard let p = try library.load(key) else {
                let hint = library.models.contains(model)
                    ? library.availability(of: model, precision: precision)
                    : Suggestion.unknownName(model, kind: "model", valid: library.models)
                throw fail("no profile for model \"\(model)\" on GPU \"\(gpu)\"; \(hint)", code: 2)
            }
            profile = p
        } catch let e as ConfigError {
            throw badInput(e)
        }
        print(ProfileReport(profile: profile, path: library.entry(key)!.path, layers: layers).text)
    }
}

/// The text of `arsim profiles show`.
struct ProfileReport {
    var profile: Profile
    var path: String
    var layers: Bool

    var text: String {
        let p = profile
        var lines = ["\(p.model) on \(p.gpu), \(p.precision)\(p.mpsLevel > 1 ? ", MPS share 1/\(p.mpsLevel)" : "") — \(path)"]
        lines.append("\(p.layers.count) \(p.granularity)s; input \(p.inputBytes.map { "\($0) bytes" } ?? "not recorded")"
                     + (p.weightBytes.map { "; weights \(fixed(Double($0) / 1_048_576, 1)) MiB" } ?? ""))
        switch p.provenance {
        case .measured(let m):
            lines.append("MEASURED on \(m.device)")
            func field(_ name: String, _ value: String?) { lines.append("  \(name): \(value ?? "not recorded")") }
            field("driver", m.driver); field("CUDA", m.cuda); field("cuDNN", m.cudnn); field("TensorRT", m.tensorrt)
            field("framework", m.framework); field("precision", m.precision); field("date", m.date)
            field("warm-up", m.warmup.map(String.init)); field("repetitions", m.repetitions.map(String.init))
            field("MPS share", m.mpsShare.map { fixed($0, 3) }); field("method", m.method); field("source", m.source)
            field("citation", m.citation)
        case .derived(let d):
            lines.append("DERIVED (not measured)")
            lines.append("  method: \(d.method)")
            for f in d.from { lines.append("  from: \(f)") }
            if let e = d.error {
                lines.append("  error: per layer median \(fixed(e.perLayerMedian * 100, 1)) %, p90 \(fixed(e.perLayerP90 * 100, 1)) %; "
                             + "whole model median \(fixed(e.wholeModelMedian * 100, 1)) %, p90 \(fixed(e.wholeModelP90 * 100, 1)) %")
                lines.append("  against: \(e.against)")
            }
        }
        if let notes = p.notes { lines.append("notes: \(notes)") }
        let fit = try? ProfileLatency(profile: p)
        if let fit {
            let residual = fit.fitResidualUs.map { "RMS residual \(fixed($0, 3)) us per layer, worst layer \(fixed(fit.worstLayerResidualUs ?? 0, 3)) us" }
                ?? "no residual (fewer than three profiled sizes)"
            lines.append("batch sizes \(fit.table.batchSizes.first!)…\(fit.table.largestBatch) can run; between profiled sizes a least-squares line per layer: \(residual)")
        }
        lines.append("")
        let scaled = p.endToEndUs != nil
        var table = TextTable(header: ["batch", "whole model ms", "per sample ms"]
                              + (scaled ? ["end to end ms", "layers scaled by"] : []))
        for (i, b) in p.batchSizes.enumerated() {
            let total = p.totalMeanUs(at: i) / 1000
            var row = [String(b), fixed(total, 3), fixed(total / Double(b), 3)]
            if let e = p.endToEndUs { row += [fixed(e[i] / 1000, 3), fit.map { fixed($0.instrumentationScale[i], 3) } ?? "-"] }
            table.rows.append(row)
        }
        lines.append(table.render())
        if scaled {
            lines.append("whole model: the sum of the layers as timed one by one; end to end: the same pass without per-layer "
                         + "timing. Runs use the layers scaled to the end-to-end time where they add up to more (docs/profiles.md).")
        }
        if layers {
            lines.append("")
            var t = TextTable(header: ["layer", "op", "cut bytes"] + p.batchSizes.map { "b=\($0) us" })
            t.leftAligned = [0, 1]
            for l in p.layers {
                t.rows.append([l.name, l.op ?? "", String(l.outputBytes)] + l.meanUs.map { fixed($0, 1) })
            }
            lines.append(t.render())
        }
        return lines.joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import JSONConfig
import Profiles

struct ProfilesDerive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Derive profiles for GPUs without measurements, from layer tables and the cost model.",
        discussion: """
            With --reference the cost model is fitted afresh, and written to --write-cost-model if \
            given (never over the bundled one by default); without, the one in --cost-model is \
            used, so you can derive profiles of your own model (a layer table from \
            tools/profile_model.py --layers-only) with no reference data. Derived profiles are marked \
            derived and carry the model's measured error.

              arsim profiles derive --reference ../shared/reference-data \\
                --write-cost-model Workloads/costmodel.json --out Workloads/profiles/derived   (the bundled set)
              arsim profiles derive --model mynet --gpu A10 --layers my/tables --out my/profiles
            """)

    @Option(help: "Reference data to fit the cost model on (gpu/, ppipe/).")
    var reference: String?

    @Option(help: "Cost model file to read (without --reference).")
    var costModel = "Workloads/costmodel.json"

    @Option(help: "With --reference: where to write the fitted cost model (default: not written).")
    var writeCostModel: String?

    @Option(help: "Folder of layer tables (*.layers.json).")
    var layers = "Workloads/models"

    @Option(help: "GPU catalogue.")
    var gpus = "Workloads/gpus.json"

    @Option(name: .customLong("gpu"), help: "GPU types to derive for (repeatable).")
    var gpuNames: [String] = ["H100", "H200", "A100", "V100", "L4", "A10", "T4", "Orin"]

    @Option(name: .customLong("model"), help: "Models to derive (repeatable).")
    var models: [String] = ["resnet50", "mobilenet_v2", "vgg16", "ssd300_vgg16", "deeplabv3_resnet50", "fastdepth",
                            "yolov8n", "yolov8s", "maskrcnn_resnet50_fpn", "adabins", "deepvo"]

    @Option(help: "Folder to write the profiles into.")
    var out = "Workloads/profiles/derived"

    func run() throws {
        if let why = outputFolderRefusal(out) { throw fail("--out \(out): \(why)", code: 2) }
        if let writeCostModel, let why = outputRefusal(writeCostModel) { throw fail("--write-cost-model \(writeCostModel): \(why)", code: 2) }
        do {
            let catalog = try GPUCatalog.load(path: gpus)
            let tables = try LayerTable.loadAll(directory: layers)
            let model: CostModel
            /// The error a profile of a GPU type states: with the GPU's own k, or with the single one.
            let error: (String) -> Provenance.DerivationError?
            let sources: [String]
            if let reference {
                let fitter = try CostModelFitter(reference: reference, layerTables: tables, catalog: catalog)
                model = try fitter.fit()
                let report = try fitter.validate()
                error = { [model] gpu in report.derivationError(gpu: gpu, costModel: model) }
                sources = fitter.sources
                print(report.text)
                if let writeCostModel {
                    do {
                        try model.json(validation: report.json, sources: sources).text().write(toFile: writeCostModel, atomically: true, encoding: .utf8)
                    } catch {
                        throw fail("--write-cost-model \(writeCostModel): cannot write (\(error.localizedDescription))", code: 1)
                    }
                    print("\nwrote \(writeCostModel)")
                } else {
                    print("\nthe fitted cost model was not written (give --write-cost-model to keep it)")
                }
            } else {
                let (loaded, validation) = try CostModel.load(path: costModel)
                model = loaded
                let recorded = validation.flatMap(Self.errors(from:))
                error = { [loaded] gpu in loaded.hasOwnCalibration(gpu) ? recorded?.own[gpu] ?? recorded?.oneK : recorded?.oneK }
                if recorded == nil {
                    throw fail("\(costModel) records no validation, so profiles derived from it could not state their error; "
                               + "fit it with --reference to measure one", code: 2)
                }
                sources = ["the cost model in \(costModel)"]
            }
            var written = 0
            for name in models {
                guard let table = tables.first(where: { $0.model == name }) else {
                    throw fail("no layer table for \(name) in \(layers); make one with tools/profile_model.py --model \(name) --layers-only", code: 2)
                }
                for gpuName in gpuNames {
                    guard let gpu = catalog.gpu(named: gpuName) else {
                        throw fail("--gpu: " + Suggestion.unknownName(gpuName, kind: "GPU type", valid: catalog.gpus.map(\.name)), code: 2)
                    }
                    try writeProfiles([Derivation.profile(table: table, gpu: gpu, costModel: model, error: error(gpu.name), sources: sources)], under: out)
                    written += 1
                }
            }
            print("wrote \(written) derived profiles to \(out)")
        } catch let e as ConfigError {
            throw badInput(e)
        }
    }

    /// The errors recorded in a cost model file's validation section: each GPU type's own (for
    /// the types with their own k) and the single k's (for every other type).
    static func errors(from validation: JSONValue) -> (own: [String: Provenance.DerivationError], oneK: Provenance.DerivationError)? {
        guard case .object(let v) = validation.kind else { return nil }
        func number(_ o: JSONObject, _ key: String) -> Double? {
            if case .number(let n)? = o[key]?.kind { return n.double }
            return nil
        }
        func summary(_ blocks: JSONValue?, _ whole: JSONValue?, _ against: String) -> Provenance.DerivationError? {
            guard case .object(let b)? = blocks?.kind, case .object(let w)? = whole?.kind,
                  let bm = number(b, "median"), let bp = number(b, "p90"), let wm = number(w, "median"), let wp = number(w, "p90") else { return nil }
            return .init(perLayerMedian: bm, perLayerP90: bp, wholeModelMedian: wm, wholeModelP90: wp, against: against)
        }
        guard case .string(let against)? = v["against"]?.kind, case .string(let againstOneK)? = v["against_one_k"]?.kind,
              case .object(let o)? = v["ppipe_with_one_k"]?.kind, let oneK = summary(o["blocks"], o["whole_models"], againstOneK),
              case .array(let byGPU)? = v["ppipe_by_gpu"]?.kind else { return nil }
        var own: [String: Provenance.DerivationError] = [:]
        for entry in byGPU {
            guard case .object(let g) = entry.kind, case .string(let gpu)? = g["gpu"]?.kind,
                  let e = summary(g["blocks"], g["whole_models"], CostModelFitter.Report.againstOwn(against, gpu: gpu)) else { return nil }
            own[gpu] = e
        }
        return (own, oneK)
    }
}

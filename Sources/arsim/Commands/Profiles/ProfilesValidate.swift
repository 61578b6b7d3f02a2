import ArgumentParser
import Foundation
import JSONConfig
import Profiles

struct ProfilesValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Measure the derived cost model's error against measurements it was not fitted on.",
        discussion: """
            Fits the cost model behind derived profiles (docs/profiles.md) on NeuSight's measured \
            operator latencies and PPipe's measured TensorRT block latencies, and prints its \
            relative error: on operators held out of the fit, on GPU types left out, and per block \
            and whole model on each PPipe model predicted with the calibration fitted on the others. \
            Then it sets the bundled derived profiles beside whole-model measurements made with eager \
            PyTorch (NVIDIA's ResNet-50 v1.5 figures, FP32 and AMP; a torchvision benchmark at batch \
            12, FP32 and FP16), and says what a derived profile represents.

              arsim profiles validate --reference ../shared/reference-data
            """)

    @Option(help: "Folder with gpu/ (NeuSight) and ppipe/ (PPipe artifact), as ../shared/reference-data.")
    var reference: String

    @Option(help: "Folder of layer tables (*.layers.json).")
    var layers = "Workloads/models"

    @Option(help: "GPU catalogue.")
    var gpus = "Workloads/gpus.json"

    @Option(help: "Derived profiles to set beside eager-PyTorch measurements.")
    var derived = "Workloads/profiles/derived"

    func run() throws {
        let fitter: CostModelFitter
        do {
            fitter = try CostModelFitter(reference: reference, layerTables: LayerTable.loadAll(directory: layers),
                                         catalog: GPUCatalog.load(path: gpus))
        } catch {
            throw badInput(error)
        }
        if fitter.calibration.isEmpty { throw fail("no layer table in \(layers) matches a PPipe model", code: 2) }
        print(try fitter.validate().text)
        let rows: [RuntimeComparison.Row]
        do {
            rows = try RuntimeComparison.rows(reference: reference, library: ProfileLibrary(roots: [derived]))
        } catch {
            throw badInput(error)
        }
        print(RuntimeComparison.text(rows), terminator: "")
    }
}

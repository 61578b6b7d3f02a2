import EdgeWorld
import Foundation
import JSONConfig
import Profiles
import XCTest

/// Importers and the cost model against the measurements in ../shared/reference-data, checked
/// against numbers read by hand from the source files. Skipped where that folder is absent.
final class ImporterTests: XCTestCase {
    /// PPipe artifact, models/block-timing-tf32/repvgg-b3-T4-1.csv: first row 3384 … 26978 µs
    /// (batch 1 … 8), last row 5558 … 39451 µs. Input 3×448×448 FP32 = 2,408,448 bytes; the model
    /// ends in a 1000-way linear layer (4,000 bytes).
    func testPPipeBlocks() throws {
        let artifact = try PPipeArtifact(root: Repo.referenceData() + "/ppipe")
        let profiles = try ProfileImport.ppipeBlocks(artifact, models: ["repvgg-b3"])
        XCTAssertEqual(profiles.count, 13, "repvgg-b3 on L4 (MPS 1-4), P4, T4 (1-4), V100 (1-4)")
        let t4 = try XCTUnwrap(profiles.first { $0.gpu == "T4" && $0.mpsLevel == 1 })
        XCTAssertEqual(t4.batchSizes, Array(1...8))
        XCTAssertEqual(t4.layers.count, 10)
        XCTAssertEqual(t4.layers[0].meanUs.first, 3384)
        XCTAssertEqual(t4.layers[0].meanUs.last, 26978)
        XCTAssertEqual(t4.layers[9].meanUs.last, 39451)
        XCTAssertEqual(t4.inputBytes, 2_408_448)
        XCTAssertEqual(t4.layers[9].outputBytes, 4_000)
        XCTAssertEqual(t4.layers[0].contains, ["/stage0/rbr_reparam/Conv", "/stage1/stage1.2/rbr_reparam/Conv"])
        XCTAssertEqual(t4.granularity, "block")
        guard case .measured(let m) = t4.provenance else { return XCTFail("PPipe timings are measurements") }
        XCTAssertTrue(m.citation!.contains("USENIX ATC 2025"))
        XCTAssertNil(m.driver, "the artifact does not record the driver, so neither do we")
        XCTAssertEqual(profiles.first { $0.gpu == "T4" && $0.mpsLevel == 4 }?.mpsShare, 0.25)
        // Two sources agree: our FP32 cut sizes are twice the artifact's FP16 transfer sizes.
        let fp16 = try artifact.transferSizes(model: "repvgg-b3")
        XCTAssertEqual(fp16.count, 9)
        XCTAssertEqual(t4.layers.dropLast().map(\.outputBytes), fp16.map { 2 * $0 })
        XCTAssertEqual(fp16[0], 4_816_896)
    }

    /// models/node-profile-no-const/repvgg-b3-T4.csv: 63 nodes, the first /stage0/rbr_reparam/Conv
    /// at 322.513 µs.
    func testPPipeNodes() throws {
        let artifact = try PPipeArtifact(root: Repo.referenceData() + "/ppipe")
        let profiles = try ProfileImport.ppipeNodes(artifact, models: ["repvgg-b3"])
        let t4 = try XCTUnwrap(profiles.first { $0.gpu == "T4" })
        XCTAssertEqual(t4.layers.count, 63)
        XCTAssertEqual(t4.layers[0].name, "/stage0/rbr_reparam/Conv")
        XCTAssertEqual(t4.layers[0].meanUs, [322.513])
        XCTAssertEqual(t4.batchSizes, [1])
    }

    /// scission_blocks.csv: vgg19 on cloud-6700k(GPU), block 0 (layers 0-1) 0.82135 ms and
    /// 12,845,184 bytes as .npy (128-byte header); resnet50 block 0 0.65284 ms, 634,928 bytes.
    func testScission() throws {
        let profiles = try ProfileImport.scission(path: Repo.referenceData() + "/scission")
        XCTAssertEqual(profiles.count, 90, "5 hosts x 18 models")
        let vgg = try XCTUnwrap(profiles.first { $0.gpu == "cloud-6700k-GPU" && $0.model == "vgg19" })
        XCTAssertEqual(vgg.layers[0].meanUs[0], 821.35, accuracy: 1e-9)
        XCTAssertEqual(vgg.layers[0].outputBytes, 12_845_056)
        XCTAssertEqual(vgg.layers[0].contains, ["layer 0", "layer 1"])
        let resnet = try XCTUnwrap(profiles.first { $0.gpu == "cloud-6700k-GPU" && $0.model == "resnet50" })
        XCTAssertEqual(resnet.layers[0].meanUs[0], 652.84, accuracy: 1e-9)
        XCTAssertEqual(resnet.layers[0].outputBytes, 634_800)
        XCTAssertNil(resnet.inputBytes, "Scission does not record the input size")
    }

    /// Imported profiles written and read back are the same, and load through the library.
    func testImportedProfilesRoundTrip() throws {
        let artifact = try PPipeArtifact(root: Repo.referenceData() + "/ppipe")
        let dir = try temporaryDirectory()
        for p in try ProfileImport.ppipeBlocks(artifact, models: ["repvgg-b3"]) { try ProfileFile.write(p, under: dir) }
        let library = ProfileLibrary(roots: [dir])
        XCTAssertEqual(library.entries.count, 13)
        let back = try XCTUnwrap(library.load(.init(gpu: "V100", model: "repvgg-b3", precision: "tf32", mpsLevel: 2)))
        XCTAssertEqual(back.mpsShare, 0.5)
        XCTAssertEqual(try ProfileImport.arsim(path: dir).count, 13)
    }
}

final class CostModelTests: XCTestCase {
    func fitter() throws -> CostModelFitter {
        try CostModelFitter(reference: Repo.referenceData(), layerTables: LayerTable.loadAll(directory: Repo.path("Workloads/models")),
                            catalog: GPUCatalog.load(path: Repo.path("Workloads/gpus.json")))
    }

    /// The errors docs/profiles.md states are the ones the model has.
    func testValidationErrorsAreTheDocumentedOnes() throws {
        let f = try fitter()
        // The P4's own convolution fit comes out with a negative c: it is fitted without c, not dropped.
        let p4 = try XCTUnwrap(try f.fit().fits.first { $0.kind == "conv" && $0.gpu == "P4" })
        XCTAssertNil(p4.operandCoefficient)
        let report = try f.validate()
        XCTAssertEqual(report.blocks.count, 960, "3 models x 4 GPUs x 8 batch sizes x 10 blocks")
        // Each GPU type's own k, fitted on the other models' blocks on that GPU: issue 17's
        // targets for blocks (median 15 %) and whole models (median 10 %, p90 25 %) are met.
        XCTAssertEqual(report.blocks.median, 0.142, accuracy: 0.001)
        XCTAssertEqual(report.blocks.p90, 0.370, accuracy: 0.001)
        XCTAssertEqual(report.wholeModels.median, 0.096, accuracy: 0.001)
        XCTAssertEqual(report.wholeModels.p90, 0.227, accuracy: 0.001)
        // One k for every GPU type, as a GPU type PPipe did not measure gets.
        XCTAssertEqual(report.oneKBlocks.median, 0.231, accuracy: 0.001)
        XCTAssertEqual(report.oneKBlocks.p90, 0.448, accuracy: 0.001)
        XCTAssertEqual(report.oneKWholeModels.median, 0.152, accuracy: 0.001)
        XCTAssertEqual(report.oneKWholeModels.p90, 0.403, accuracy: 0.001)
        XCTAssertEqual(report.operatorHoldout.first { $0.kind == "conv" }!.error.median, 0.153, accuracy: 0.001)
        // Priced as layers are, without the intercept that stands for NeuSight's per-call cost.
        XCTAssertEqual(report.convolutionHoldoutWithoutIntercept.median, 0.221, accuracy: 0.001)
        XCTAssertEqual(report.operatorHoldout.first { $0.kind == "gemm" }!.error.median, 0.077, accuracy: 0.001)
        // Convolutions on a GPU type left out (its matrix multiplies left out too): 18.4-20.5 %, not
        // the 15 % the issue asks (docs/profiles.md says why).
        let logo = report.leaveOneGPUOut.filter { $0.kind == "conv" }.map { "\($0.gpu) \(String(format: "%.1f", $0.error.median * 100))" }
        XCTAssertEqual(logo, ["A100 18.6", "P100 18.8", "P4 18.4", "T4 20.5", "V100 18.5"])
    }

    /// The bundled derived profiles and cost model are exactly what the documented method produces
    /// from the reference data: regenerate them and compare bytes.
    func testBundledDerivedProfilesAreReproducible() throws {
        let f = try fitter()
        let model = try f.fit()
        let report = try f.validate()
        let committed = try String(contentsOfFile: Repo.path("Workloads/costmodel.json"), encoding: .utf8)
        XCTAssertEqual(model.json(validation: report.json, sources: f.sources).text(), committed)
        // And the file reads back as the fit: every coefficient, the operand term's included.
        let loaded = try CostModel.load(path: Repo.path("Workloads/costmodel.json")).0
        XCTAssertEqual(loaded.fits.count, model.fits.count)
        for (l, m) in zip(loaded.fits, model.fits) {
            XCTAssertEqual(l.gpu, m.gpu)
            XCTAssertEqual(l.kind, m.kind)
            XCTAssertEqual(l.flopsCoefficient, m.flopsCoefficient, accuracy: 1e-6)
            XCTAssertEqual(l.winogradFlopsCoefficient ?? 0, m.winogradFlopsCoefficient ?? 0, accuracy: 1e-6)
            XCTAssertEqual(l.winogradBytesCoefficient ?? 0, m.winogradBytesCoefficient ?? 0, accuracy: 1e-6)
            XCTAssertEqual(l.measurementFloor, m.measurementFloor, accuracy: 1e-12)
            XCTAssertEqual(l.operandCoefficient == nil, m.operandCoefficient == nil, "\(m.kind) \(m.gpu ?? "global")")
            XCTAssertEqual(l.operandCoefficient ?? 0, m.operandCoefficient ?? 0, accuracy: 1e-6)
            XCTAssertEqual(l.bytesCoefficient, m.bytesCoefficient, accuracy: 1e-6)
        }
        let catalog = try GPUCatalog.load(path: Repo.path("Workloads/gpus.json"))
        let library = ProfileLibrary(roots: [Repo.path("Workloads/profiles/derived")])
        XCTAssertEqual(library.entries.count, 94, "11 models x 8 GPUs, AccuMO's four on the RTX 2080 Ti, and JALAD's two on the TX2")
        for entry in library.entries {
            let table = try LayerTable.load(path: Repo.path("Workloads/models/\(entry.key.model).layers.json"))
            let derived = Derivation.profile(table: table, gpu: catalog.gpu(named: entry.key.gpu)!, costModel: model,
                                             error: report.derivationError(gpu: entry.key.gpu, costModel: model), sources: f.sources)
            XCTAssertEqual(ProfileFile.json(derived).text(), try String(contentsOfFile: entry.path, encoding: .utf8), entry.path)
        }
    }

    /// An outside check on data the model never saw: NVIDIA's published ResNet-50 v1.5 FP32
    /// inference latencies in PyTorch (DeepLearningExamples, PyTorch/Classification/ConvNets/
    /// resnet50v1.5/README.md; e.g. T4 batch 64: 152.73 ms, V100 batch 64: 55.4 ms), wherever the
    /// GPU is busy (batch 16 and up). Eager PyTorch runs every layer unfused, so the derived
    /// (TensorRT-like) latency is lower, but not by more than 40 % (V100 0.71-0.79). The T4's
    /// (0.94) is nearer 1 than any of the V100's: its own k follows PPipe's T4 TensorRT timings,
    /// slower than NVIDIA's T4 (docs/profiles.md).
    func testDerivedResNet50AgainstNVIDIAMeasurements() throws {
        let csv = try CSVTable(path: Repo.referenceData() + "/gpu/nvidia_dle_resnet50v1.5_pytorch_inference_latency.csv")
        let (g, p, b, l) = (try csv.column("gpu"), try csv.column("precision"), try csv.column("batch_size"), try csv.column("latency_avg_ms"))
        let library = ProfileLibrary(roots: [Repo.path("Workloads/profiles/derived")])
        var checked = 0
        var ratios: [String: [Double]] = [:]
        for (device, gpu) in [("V100-16GB(DGX-1)", "V100"), ("T4", "T4")] {
            let profile = try XCTUnwrap(library.load(.init(gpu: gpu, model: "resnet50", precision: "fp32")))
            let bounds = 0.6...1.0
            for row in csv.rows where try csv.string(row, g) == device && csv.string(row, p) == "fp32" {
                let batch = try csv.int(row, b)
                guard batch >= 16, let i = profile.batchSizes.firstIndex(of: batch) else { continue }
                let ratio = profile.totalMeanUs(at: i) / 1000 / (try csv.double(row, l))
                XCTAssertTrue(bounds.contains(ratio), "\(gpu) batch \(batch): derived / measured = \(ratio)")
                ratios[gpu, default: []].append(ratio)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6, "batch 16, 32, 64 on each GPU")
        XCTAssertGreaterThan(ratios["T4"]?.min() ?? 0, ratios["V100"]?.max() ?? 1, "the T4 nearer 1 than the V100")
    }

    /// `arsim profiles validate` sets the bundled derived profiles beside eager-PyTorch whole-model
    /// measurements: the figures it prints, as achieved (34 matches at 224 × 224; derived / measured
    /// medians FP32 0.73 and AMP 0.83 for NVIDIA's ResNet-50, 0.62 FP32 and 0.79 FP16 for the
    /// torchvision benchmark on the A100).
    func testRuntimeComparisonFigures() throws {
        let rows = try RuntimeComparison.rows(reference: Repo.referenceData(), library: ProfileLibrary(roots: [Repo.path("Workloads/profiles/derived")]))
        XCTAssertEqual(rows.count, 34)
        XCTAssertTrue(rows.allSatisfy { $0.measuredMs > 0 && $0.derivedMs > 0 })
        let medians = RuntimeComparison.medians(rows).map { "\($0.source) \($0.precision) \($0.n) \(String(format: "%.2f", $0.median))" }
        XCTAssertEqual(medians, ["NVIDIA ResNet-50 v1.5, PyTorch fp32 14 0.73", "NVIDIA ResNet-50 v1.5, PyTorch amp 14 0.83",
                                 "ryujaehun torchvision, PyTorch fp16 3 0.79", "ryujaehun torchvision, PyTorch fp32 3 0.62"])
        // No profile of another input size is compared (AccuMO's wide_resnet101_2 is 518 × 518).
        XCTAssertFalse(rows.contains { $0.model == "wide_resnet101_2" })
    }
}

import Foundation
import Profiles
import XCTest

final class LayerTableTests: XCTestCase {
    /// The committed layer tables against torchvision's own published operation counts (the
    /// `_ops` GFLOPS of each weights' metadata, which count multiply-adds): ResNet-50 4.089,
    /// MobileNetV2 0.301, VGG-16 15.470 (pytorch.org/vision/stable/models.html).
    func testFLOPsMatchTorchvisionPublishedCounts() throws {
        for (model, gmacs) in [("resnet50", 4.089), ("mobilenet_v2", 0.301), ("vgg16", 15.470)] {
            let table = try LayerTable.load(path: Repo.path("Workloads/models/\(model).layers.json"))
            let conv = table.layers.filter { $0.op != "memory" }.reduce(0) { $0 + $1.flops } / 2e9
            XCTAssertEqual(conv, gmacs, accuracy: gmacs * 0.01, model)
        }
    }

    /// The AR models added for issue 17 against what their authors published or their definitions
    /// fix: YOLOv8n and YOLOv8s 8.7 and 28.6 GFLOPs at 640x640 (Ultralytics' model table, which
    /// counts a multiply-add as two); Mask R-CNN's 44,401,393 parameters (torchvision's
    /// MaskRCNN_ResNet50_FPN_Weights metadata: its conv and linear layers, batch norm frozen);
    /// DeepVO's 20x6x1024 feature map at 1280x384 and nn.LSTM's parameters (518,154,550: the
    /// first layer alone 4·1000·(122,880 + 1000 + 2)); AdaBins' depth at half the input's
    /// resolution from 15x20 = 300 patches of 16x16.
    func testNewARModelsMatchTheirPublishedFigures() throws {
        func table(_ model: String) throws -> (LayerTable, [[String: Any]]) {
            let path = Repo.path("Workloads/models/\(model).layers.json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            return (try LayerTable.load(path: path), json?["layers"] as? [[String: Any]] ?? [])
        }
        func shape(_ layers: [[String: Any]], _ name: String) -> [Int]? { layers.first { $0["name"] as? String == name }?["output_shape"] as? [Int] }
        for (model, gflops) in [("yolov8n", 8.7), ("yolov8s", 28.6)] {
            let (t, _) = try table(model)
            XCTAssertEqual(t.layers.filter { $0.op != "memory" }.reduce(0) { $0 + $1.flops } / 1e9, gflops, accuracy: gflops * 0.01, model)
            XCTAssertNotNil(t.architecture, model)
        }
        // A module called more than once (the RPN head on each FPN level) has its weights once.
        let (mask, _) = try table("maskrcnn_resnet50_fpn")
        XCTAssertEqual(mask.layers.filter { $0.op != "memory" && !$0.name.contains("#") }.reduce(0) { $0 + $1.params }, 44_401_393)
        // Its derived profiles hold those weights once: every parameter (batch norm's included), FP32.
        let derived = try XCTUnwrap(ProfileLibrary(roots: [Repo.path("Workloads/profiles/derived")]).load(.init(gpu: "T4", model: "maskrcnn_resnet50_fpn", precision: "fp32")))
        XCTAssertEqual(derived.weightBytes, 4 * 44_454_513)
        let (vo, voLayers) = try table("deepvo")
        XCTAssertEqual(vo.inputShape, [6, 384, 1280])
        XCTAssertEqual(shape(voLayers, "cnn.16"), [1, 1024, 6, 20])
        XCTAssertEqual(vo.layers.reduce(0) { $0 + $1.params }, 518_154_550)
        XCTAssertEqual(vo.layers.first { $0.name == "input1" }?.params, 4 * 1000 * (122_880 + 1))
        let (_, adaLayers) = try table("adabins")
        XCTAssertEqual(shape(adaLayers, "patches"), [1, 128, 15, 20])
        XCTAssertEqual(adaLayers.last?["output_shape"] as? [Int], [1, 1, 240, 320])
    }

    /// Splitting ResNet-50 after its stem max-pool sends 64×56×56 FP32 values; after the last
    /// layer, 1000 logits.
    func testCutSizes() throws {
        let table = try LayerTable.load(path: Repo.path("Workloads/models/resnet50.layers.json"))
        XCTAssertEqual(table.inputBytes, 3 * 224 * 224 * 4)
        XCTAssertEqual(table.layers.first { $0.name == "maxpool" }?.outputBytes, 64 * 56 * 56 * 4)
        XCTAssertEqual(table.layers.last?.outputBytes, 1000 * 4)
        // Inside a residual block the skip connection crosses the cut too: after conv3 of the first
        // bottleneck, its output (256×56×56) and the block input (64×56×56) are both live.
        XCTAssertEqual(table.layers.first { $0.name == "layer1.0.conv3" }?.outputBytes, (256 + 64) * 56 * 56 * 4)
    }
}

/// tools/profile_model.py, where Python has PyTorch (not in CI: the profiler is a tool for a
/// machine with a GPU; the committed layer tables are its output).
final class ProfilerToolTests: XCTestCase {
    func python() throws -> String {
        let candidates = [ProcessInfo.processInfo.environment["ARSIM_PYTHON"], "/usr/bin/python3", "/usr/local/bin/python3"].compactMap { $0 }
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", "import torch, torchvision"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus == 0 { return python }
        }
        throw XCTSkip("no python3 with torch and torchvision (set ARSIM_PYTHON); profiler test skipped")
    }

    func testLayersOnlyModeReproducesTheCommittedTable() throws {
        let python = try python()
        let out = try temporaryDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Repo.path("tools/profile_model.py"), "--model", "fastdepth", "--layers-only", "--out", out]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let fresh = try LayerTable.load(path: out + "/fastdepth.layers.json")
        let committed = try LayerTable.load(path: Repo.path("Workloads/models/fastdepth.layers.json"))
        XCTAssertEqual(fresh.layers.map(\.name), committed.layers.map(\.name))
        XCTAssertEqual(fresh.layers.map(\.flops), committed.layers.map(\.flops))
        XCTAssertEqual(fresh.layers.map(\.outputBytes), committed.layers.map(\.outputBytes))
    }
}

final class CostModelFileTests: XCTestCase {
    /// A cost model file must price both kinds on any GPU, never negatively: derived profiles of
    /// 0 µs or below would follow. The bundled file reads.
    func testCostModelFileIsChecked() throws {
        let bundled = try String(contentsOfFile: Repo.path("Workloads/costmodel.json"), encoding: .utf8)
        XCTAssertNoThrow(try CostModel.load(path: Repo.path("Workloads/costmodel.json")))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-cm-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let negative = bundled.replacingOccurrences(of: "\"flops_coefficient\": ", with: "\"flops_coefficient\": -")
        try negative.write(toFile: dir + "/neg.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CostModel.load(path: dir + "/neg.json")) { XCTAssertTrue("\($0)".contains("at least 0"), "\($0)") }
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bundled.utf8)) as? [String: Any])
        object["fits"] = (object["fits"] as? [[String: Any]])?.filter { !($0["kind"] as? String == "gemm" && ($0["gpu"] == nil || $0["gpu"] is NSNull)) }
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: dir + "/nogemm.json"))
        XCTAssertThrowsError(try CostModel.load(path: dir + "/nogemm.json")) { XCTAssertTrue("\($0)".contains("global fit (no gpu) for gemm"), "\($0)") }
    }

    /// A convolution's matrix shape is trusted only where it accounts for the layer's FLOPs: a
    /// detection head's 100 regions count in M; a shape that does not fit falls back to FLOPs.
    func testConvolutionShapeMustMatchItsFLOPs() {
        let heads = LayerTable.gemmShape(op: "conv", outputShape: [100, 256, 14, 14], params: 256 * 256 * 9 + 256, flops: 2 * 100 * 196 * 256 * (256 * 9) + 100 * 196 * 256)
        XCTAssertEqual(heads?.m, 19_600)
        XCTAssertNil(LayerTable.gemmShape(op: "conv", outputShape: [1, 1, 1_000_000_000, 1_000_000_000], params: 9, flops: 1_000))
        XCTAssertNil(LayerTable.gemmShape(op: "gemm", outputShape: [1, 1000], params: 2_049_000, flops: 4_096_000))
    }
}

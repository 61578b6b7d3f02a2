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

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
/// machine with a GPU; the committed layer tables are its output), and its time budgeting
/// (tools/profile_timing.py), wherever python3 is.
final class ProfilerToolTests: XCTestCase {
    func python() throws -> String {
        let candidates = [ProcessInfo.processInfo.environment["ARSIM_PYTHON"], "/usr/bin/python3", "/usr/local/bin/python3"].compactMap { $0 }
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            if try run(python, ["-c", "import torch, torchvision"]).status == 0 { return python }
        }
        throw XCTSkip("no python3 with torch and torchvision (set ARSIM_PYTHON); profiler test skipped")
    }

    /// Runs `python` with `arguments` (in `directory` if given): its exit status and what it printed.
    func run(_ python: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, printed: String) {
        let p = Process()
        let pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, printed)
    }

    func testLayersOnlyModeReproducesTheCommittedTable() throws {
        let python = try python()
        let out = try temporaryDirectory()
        let r = try run(python, [Repo.path("tools/profile_model.py"), "--model", "fastdepth", "--layers-only", "--out", out])
        XCTAssertEqual(r.status, 0)
        let fresh = try LayerTable.load(path: out + "/fastdepth.layers.json")
        let committed = try LayerTable.load(path: Repo.path("Workloads/models/fastdepth.layers.json"))
        XCTAssertEqual(fresh.layers.map(\.name), committed.layers.map(\.name))
        XCTAssertEqual(fresh.layers.map(\.flops), committed.layers.map(\.flops))
        XCTAssertEqual(fresh.layers.map(\.outputBytes), committed.layers.map(\.outputBytes))
    }

    /// --check runs the model on the CPU with the profiler's hooks, as a GPU run would, and
    /// writes nothing: every traced layer of FastDepth is timed.
    func testCheckModeTimesEveryTracedLayerAndWritesNothing() throws {
        let python = try python()
        let out = try temporaryDirectory()
        let r = try run(python, [Repo.path("tools/profile_model.py"), "--model", "fastdepth", "--check", "--out", out])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.printed, "fastdepth: every one of its 122 traced layers is timed at batch 1 and 2\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    /// The profiler's budgeting (tools/profile_timing.py, plain Python: runs wherever python3 is).
    /// --batch-seconds 3 with 30 passes asked: a 50 ms pass keeps all 30 (30 x 2 x 50 ms = 3 s), a
    /// 100 ms pass gets 15, a 500 ms pass the floor of 10; without it every size gets 30, and a
    /// request for 5 passes is never raised to the floor. The next batch size (10 ms passes now, so
    /// 20 ms then) is predicted from this one's 2 s of set-up and 30 timed passes that took 1.2 s:
    /// 2 x 2 + 2 x 0.01 + 2 x 0.04 x 30 = 6.42 s, or 6.02 s when --batch-seconds 1 cuts it to 25
    /// passes; with 6.1 s left only the second fits.
    func testTimedPassesAndTheNextBatchSizeFitTheirBudgets() throws {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let python else { throw XCTSkip("no python3") }
        let r = try run(python, ["-B", "-c", "import profile_timing as p; "
                       + "print([p.repetitions_for(t, 30, 3.0) for t in (0.05, 0.1, 0.5)], p.repetitions_for(0.5, 30, None), "
                       + "p.repetitions_for(0.5, 5, 3.0)); "
                       + "a, b = p.next_batch_seconds(2.0, 0.01, 1.2, 30, 30, None), p.next_batch_seconds(2.0, 0.01, 1.2, 30, 30, 1.0); "
                       + "print(round(a, 9), round(b, 9), p.fits(10, 16.1, a), p.fits(10, 16.1, b), p.fits(10, None, 1e9))"],
                        in: Repo.path("tools"))
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.printed, "[30, 15, 10] 30 5\n6.42 6.02 False True True\n")
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
        XCTAssertThrowsError(try CostModel.load(path: dir + "/neg.json")) {
            XCTAssertTrue("\($0)".contains("fits[0].flops_coefficient: must not be negative"), "\($0)")
        }
        // Format 5's keys: Winograd's two coefficients together, on convolutions only, as the
        // operand coefficient is; an intercept that is not negative; an older format refused with what to do.
        func refused(_ edit: (inout [String: Any]) -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bundled.utf8)) as? [String: Any])
            edit(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: dir + "/edited.json"))
            XCTAssertThrowsError(try CostModel.load(path: dir + "/edited.json"), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)", file: file, line: line)
            }
        }
        func editFit(_ kind: String, _ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { object in
                var fits = object["fits"] as! [[String: Any]]
                let i = fits.firstIndex { $0["kind"] as? String == kind }!
                change(&fits[i])
                object["fits"] = fits
            }
        }
        try refused(editFit("conv") { $0["winograd_bytes_coefficient"] = nil }, "winograd_flops_coefficient: expected winograd_bytes_coefficient beside it")
        try refused(editFit("conv") { $0["measurement_floor_us"] = -3 }, "measurement_floor_us: must not be negative")
        try refused(editFit("conv") { $0["winograd_flops_coefficient"] = -0.5 }, "winograd_flops_coefficient: must not be negative")
        try refused(editFit("gemm") { $0["winograd_flops_coefficient"] = 2.0 }, "winograd_flops_coefficient: applies to conv fits only")
        try refused(editFit("conv") { $0["operand_coefficient"] = -0.1 }, "operand_coefficient: must not be negative")
        try refused(editFit("gemm") { $0["operand_coefficient"] = 0.2 }, "operand_coefficient: applies to conv fits only")
        try refused({ $0["arsim_cost_model"] = 4 }, "this arsim reads cost model format 5, the file is format 4")
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

    /// A flat output shape must be sizes: a zero, negative or absurd one is refused with its key
    /// (it silently changed the layer's pricing branch), while a list of shapes (a layer with
    /// several outputs) is still read as "no matrix shape".
    func testAFlatOutputShapeMustBeSizes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-shape-\(UUID().uuidString).layers.json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func table(_ shape: String) throws -> LayerTable {
            try #"{"arsim_layer_table": 1, "model": "m", "input_shape": [3, 8, 8], "input_bytes": 768, "layers": [{"name": "c", "op": "conv", "output_shape": \#(shape), "params": 10, "flops": 100, "bytes": 10, "output_bytes": 4}]}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try LayerTable.load(path: path)
        }
        for shape in ["[1, 64, -56, 56]", "[1, 64, 0, 56]", "[1, 4611686018427387904, 2, 2]"] {
            XCTAssertThrowsError(try table(shape), shape) { e in XCTAssertTrue("\(e)".contains("layers[0].output_shape"), "\(e)") }
        }
        XCTAssertNil(try table("[[1, 2], [3, 4]]").layers[0].gemm)
        XCTAssertNil(try table("[]").layers[0].gemm, "a scalar output, as the profiler writes it")
        XCTAssertNoThrow(try table("[1, 64]"))
    }
}

final class WinogradTests: XCTestCase {
    /// Which convolutions a layer table marks as Winograd's: the 3 × 3, stride-1, one-group ones
    /// the architectures have. ResNet-50: the 16 bottleneck 3 × 3s less the three strided ones;
    /// VGG-16: all 13; MobileNetV2: none (its 3 × 3s are depthwise); Inception v3: 12 (two of
    /// them unpadded); ConvNeXt: none (7 × 7 depthwise); Mask R-CNN: 26, the mask head's four
    /// among them (run on 100 regions).
    func testLayerTablesMarkThe3x3Stride1Convolutions() throws {
        let expected = ["resnet50": 13, "vgg16": 13, "mobilenet_v2": 0, "googlenet-v3-pytorch": 12, "convnext_large": 0, "fastdepth": 0,
                        "maskrcnn_resnet50_fpn": 26]
        for (model, count) in expected.sorted(by: { $0.key < $1.key }) {
            let table = try LayerTable.load(path: Repo.path("Workloads/models/\(model).layers.json"))
            XCTAssertEqual(table.layers.filter { $0.winograd != nil }.count, count, model)
        }
        let resnet = try LayerTable.load(path: Repo.path("Workloads/models/resnet50.layers.json"))
        let marked = Set(resnet.layers.filter { $0.winograd != nil }.map(\.name))
        XCTAssertTrue(marked.contains("layer1.0.conv2"))
        XCTAssertFalse(marked.contains("layer2.0.conv2"), "stride 2")
        XCTAssertFalse(marked.contains("layer1.0.conv1"), "1 x 1")
        XCTAssertFalse(marked.contains("conv1"), "7 x 7, stride 2")
        let conv2 = try XCTUnwrap(resnet.layers.first { $0.name == "layer1.0.conv2" }?.winograd)
        XCTAssertEqual(conv2, WinogradShape(batch: 1, outputHeight: 56, outputWidth: 56, inputChannels: 64, outputChannels: 64))
        let mask = try LayerTable.load(path: Repo.path("Workloads/models/maskrcnn_resnet50_fpn.layers.json"))
        let head = try XCTUnwrap(mask.layers.first { $0.name == "mask_head.0.0" }?.winograd)
        XCTAssertEqual(head, WinogradShape(batch: 100, outputHeight: 14, outputWidth: 14, inputChannels: 256, outputChannels: 256))
    }

    /// Hand-made layers: padded and unpadded 3 × 3 pass; a 1 × 1 on the same map, a 3 × 3 with
    /// stride 2, a depthwise 3 × 3 and a 1 × 1 on a pooled 1 × 1 map (squeeze-and-excitation,
    /// K = 9 · 16) do not.
    func testWinogradShapeFromTableFields() {
        func bytes(input: Int, params: Int, output: Int) -> Double { Double(4 * (input + params + output)) }
        let padded = LayerTable.winogradShape(outputShape: [1, 64, 28, 28], params: 64 * 32 * 9, bytes: bytes(input: 32 * 28 * 28, params: 64 * 32 * 9, output: 64 * 28 * 28))
        XCTAssertEqual(padded?.inputChannels, 32)
        XCTAssertEqual(padded?.tiles, 49)
        let valid = LayerTable.winogradShape(outputShape: [1, 64, 28, 28], params: 64 * 32 * 9 + 64, bytes: bytes(input: 32 * 30 * 30, params: 64 * 32 * 9 + 64, output: 64 * 28 * 28))
        XCTAssertEqual(valid?.inputChannels, 32, "with a bias, unpadded")
        XCTAssertNil(LayerTable.winogradShape(outputShape: [1, 64, 28, 28], params: 64 * 288, bytes: bytes(input: 288 * 28 * 28, params: 64 * 288, output: 64 * 28 * 28)), "1 x 1 of 288 channels")
        XCTAssertNil(LayerTable.winogradShape(outputShape: [1, 64, 28, 28], params: 64 * 32 * 9, bytes: bytes(input: 32 * 56 * 56, params: 64 * 32 * 9, output: 64 * 28 * 28)), "stride 2")
        XCTAssertNil(LayerTable.winogradShape(outputShape: [1, 64, 28, 28], params: 64 * 9, bytes: bytes(input: 64 * 28 * 28, params: 64 * 9, output: 64 * 28 * 28)), "depthwise")
        XCTAssertNil(LayerTable.winogradShape(outputShape: [1, 64, 1, 1], params: 64 * 144, bytes: bytes(input: 144, params: 64 * 144, output: 64)), "1 x 1 on a pooled vector")
    }

    /// F(4 × 4, 3 × 3) by hand: a 56 × 56 output of 64 channels from 64 is 196 tiles; 36 products
    /// of 196 × 64 × 64. On a T4 (40 SMs) the best library tile is 32 × 32: 7 · 2 · 36 = 504 tiles,
    /// 13 waves of 40, 13 · 40 · 2 · 32 · 32 · 64 FLOPs' time at the peak (64 × 64 would take 4
    /// waves of 64 × 64 tiles, 23 % more). The transforms move 2 · 4 · 36 · (196 · 64 · 2 + 64 · 64)
    /// bytes.
    func testWinogradArithmeticAndTransformBytes() throws {
        let w = WinogradShape(batch: 1, outputHeight: 56, outputWidth: 56, inputChannels: 64, outputChannels: 64)
        XCTAssertEqual(w.tiles, 196)
        let t4 = try XCTUnwrap(GPUCatalog.load(path: Repo.path("Workloads/gpus.json")).gpu(named: "T4"))
        XCTAssertEqual(t4.sms, 40)
        XCTAssertEqual(w.waveSeconds(on: t4), 13 * 40 * 2 * 32 * 32 * 64 / t4.fp32FLOPS, accuracy: 1e-15)
        XCTAssertEqual(w.transformBytes, 2 * 4 * 36 * (196 * 64 * 2 + 64 * 64))
        XCTAssertEqual(w.batched(8).tiles, 8 * 196)
    }

    /// A direct convolution's tiles by hand: a 256 × 256 output with K = 100 on a T4 (40 SMs).
    /// With 32 × 32 tiles it is 64 tiles, 2 waves; without them the best is 64 × 64: 16 tiles, one
    /// wave (128 × 64 is 8 tiles in one wave of twice the area). Each of the 16 tiles streams
    /// 64 · 100 values of each operand.
    func testDirectConvolutionTilesAndOperandBytes() throws {
        let t4 = try XCTUnwrap(GPUCatalog.load(path: Repo.path("Workloads/gpus.json")).gpu(named: "T4"))
        let shape = GEMMShape(m: 256, n: 256, k: 100)
        XCTAssertEqual(shape.waveSeconds(on: t4), 2 * 40 * 2 * 32 * 32 * 100 / t4.fp32FLOPS, accuracy: 1e-15)
        let direct = shape.direct(on: t4)
        XCTAssertEqual(direct.seconds, 40 * 2 * 64 * 64 * 100 / t4.fp32FLOPS, accuracy: 1e-15)
        XCTAssertEqual(direct.operandBytes, 4 * 16 * (64 + 64) * 100)
        // Five tiles tie on a 10,240 × 128 output (2 waves of 128 × 128 = 1 of 256 × 128 = 4 of
        // 64 × 128 ...); 256 × 128 streams the fewest bytes: 40 tiles of 384 · K.
        let tall = GEMMShape(m: 10240, n: 128, k: 64).direct(on: t4)
        XCTAssertEqual(tall.seconds, 40 * 2 * 256 * 128 * 64 / t4.fp32FLOPS, accuracy: 1e-15)
        XCTAssertEqual(tall.operandBytes, 4 * 40 * 384 * 64)
        // A convolution of another shape (1 × 1, strided, depthwise: no Winograd shape) keeps every
        // tile and pays no operand traffic; a 3 × 3, stride-1 one takes the direct tiles and pays it.
        let fit = CostModel.OperatorFit(kind: "conv", gpu: nil, flopsCoefficient: 1, bytesCoefficient: 0, operandCoefficient: 2, samples: 1)
        let model = CostModel(fits: [fit], calibration: 1)
        let w = WinogradShape(batch: 1, outputHeight: 16, outputWidth: 16, inputChannels: 256, outputChannels: 256)
        let plain = model.operatorSeconds(kind: "conv", flops: 2 * 256 * 256 * 100, bytes: 0, shape: shape, on: t4)
        XCTAssertEqual(plain, CostModel.launchOverhead + shape.waveSeconds(on: t4), accuracy: 1e-15)
        // Without a_w and b_w the Winograd branch is not priced; the shape only marks a 3 × 3, stride-1 convolution.
        let threeByThree = model.operatorSeconds(kind: "conv", flops: 2 * 256 * 256 * 100, bytes: 0, shape: shape, winograd: w, on: t4)
        XCTAssertEqual(threeByThree, CostModel.launchOverhead + direct.seconds + 2 * direct.operandBytes / t4.memoryBandwidth, accuracy: 1e-15)
    }
}

final class ConvolutionFitTests: XCTestCase {
    /// Latencies made from known coefficients come back from the fit: matrix multiplies give a;
    /// convolutions, with a held at it, give b, the operand traffic's c, Winograd's a_w and b_w
    /// and the intercept, although the fit starts with only the samples above the FP32 peak on
    /// Winograd (30 of 270, where 241 are Winograd's: it must move the others there itself).
    /// The coefficients leave the GEMM branch 29 samples, more than the 20 a branch needs.
    func testFitRecoversPlantedCoefficients() throws {
        let catalog = try GPUCatalog.load(path: Repo.path("Workloads/gpus.json"))
        let t0 = CostModel.launchOverhead
        var samples: [OperatorSample] = []
        for name in ["T4", "V100"] {
            let g = try XCTUnwrap(catalog.gpu(named: name))
            for m in [64.0, 512, 4096] { for n in [256.0, 1024, 4096] { for k in [256.0, 2048] {
                let flops = 2 * m * n * k, bytes = 4 * (m * k + k * n + m * n)
                samples.append(OperatorSample(gpu: name, kind: "gemm", flops: flops, bytes: bytes,
                                              seconds: t0 + 1.2 * flops / g.fp32FLOPS + 3 * bytes / g.memoryBandwidth, shape: nil))
            } } }
            for batch in [1.0, 8, 32] { for hw in [4.0, 7, 14, 28, 56] { for cin in [32.0, 128, 512] { for cout in [64.0, 256, 1024] {
                let shape = GEMMShape(m: batch * hw * hw, n: cout, k: cin * 9)
                let w = WinogradShape(batch: batch, outputHeight: hw, outputWidth: hw, inputChannels: cin, outputChannels: cout)
                let flops = 2 * shape.m * shape.n * shape.k, bytes = 4 * (batch * cin * hw * hw + cout * cin * 9 + batch * cout * hw * hw)
                let direct = shape.direct(on: g)
                let gemm = 1.2 * direct.seconds + 1.5 * bytes / g.memoryBandwidth + 0.1 * direct.operandBytes / g.memoryBandwidth
                let winograd = 3.0 * w.waveSeconds(on: g) + 0.5 * (bytes + w.transformBytes) / g.memoryBandwidth
                samples.append(OperatorSample(gpu: name, kind: "conv", flops: flops, bytes: bytes, seconds: t0 + 100e-6 + min(gemm, winograd),
                                              shape: shape, winograd: w))
            } } } }
        }
        let conv = try XCTUnwrap(CostModel.fitOperators(samples, catalog: catalog).first { $0.kind == "conv" && $0.gpu == nil })
        XCTAssertEqual(conv.flopsCoefficient, 1.2, accuracy: 1e-9, "held at the matrix multiplies' a")
        XCTAssertEqual(conv.bytesCoefficient, 1.5, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(conv.operandCoefficient), 0.1, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(conv.winogradFlopsCoefficient), 3.0, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(conv.winogradBytesCoefficient), 0.5, accuracy: 1e-6)
        XCTAssertEqual(conv.measurementFloor, 100e-6, accuracy: 1e-10)
        // A layer is priced without the floor; a NeuSight sample with it.
        let t4 = catalog.gpu(named: "T4")!, s = samples.last { $0.kind == "conv" && $0.gpu == "T4" }!
        let model = CostModel(fits: [conv], calibration: 1)
        XCTAssertEqual(model.operatorSeconds(kind: "conv", flops: s.flops, bytes: s.bytes, shape: s.shape, winograd: s.winograd, on: t4, measured: true),
                       s.seconds, accuracy: 1e-9)
        XCTAssertEqual(model.operatorSeconds(kind: "conv", flops: s.flops, bytes: s.bytes, shape: s.shape, winograd: s.winograd, on: t4),
                       s.seconds - 100e-6, accuracy: 1e-9)
    }
}

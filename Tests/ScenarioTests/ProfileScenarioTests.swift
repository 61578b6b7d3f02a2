import EdgeWorld
import Foundation
import JSONConfig
import Scenario
import XCTest

/// Scenarios whose latencies come from per-layer profiles.
final class ProfileScenarioTests: XCTestCase {
    let bundled = [Repo.path("Workloads/profiles")]

    func scenario(gpu: String, model: String = "resnet50", variability: String = "\"deterministic\"",
                  extra: String = "", policy: String = "\"fifo\"") -> String {
        """
        {"name": "p", "duration_s": 1, \(extra)
         "models": [{"name": "\(model)"}],
         "servers": [{"name": "edge", "gpu": "\(gpu)", "policy": \(policy), "variability": \(variability)}],
         "clients": [{"name": "c", "model": "\(model)", "fps": 10, "deadline_ms": 100,
                      "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
        """
    }

    func testServerGPUPicksTheBundledProfile() throws {
        let s = try Scenario.parse(scenario(gpu: "T4"), file: "s.json", profileRoots: bundled)
        let table = try XCTUnwrap(s.spec.table(model: 0, server: 0))
        XCTAssertEqual(table.batchSizes, Array(1...64))
        XCTAssertEqual(table.layerCount, 174)
        XCTAssertEqual(s.spec.latencySources.count, 1)
        let source = s.spec.latencySources[0]
        XCTAssertEqual(source.kind, "derived")
        XCTAssertEqual(source.gpu, "T4")
        XCTAssertTrue(source.source.hasSuffix("Workloads/profiles/derived/T4/resnet50.fp32.json"), source.source)
        XCTAssertEqual(source.batchSizes, "1 to 64")
    }

    /// The H200 has a measured and a derived ResNet-50 profile: the run takes the measured one,
    /// with the per-layer timing taken out (batch 1: 2,962.988 us end to end).
    func testMeasuredProfileIsPreferredAndUsesTheEndToEndTime() throws {
        let s = try Scenario.parse(scenario(gpu: "H200"), file: "s.json", profileRoots: bundled)
        let source = s.spec.latencySources[0]
        XCTAssertEqual(source.kind, "measured")
        XCTAssertTrue(source.source.hasSuffix("Workloads/profiles/measured/H200/resnet50.fp32.json"), source.source)
        let table = try XCTUnwrap(s.spec.table(model: 0, server: 0))
        let batch1 = try XCTUnwrap(table.latency(batchSize: 1))
        XCTAssertEqual(Double(batch1), 2_962_988, accuracy: 174, "one nanosecond of rounding per layer at most")
    }

    /// The H100's measured Mask R-CNN FP32 profile holds batch 1 to 8 (the largest the measuring
    /// plan then gave it): a batch of 16 is an error that names the measured file and, since the derived
    /// profile has batch 16 and would be taken with its folder searched first, how to use it; with
    /// that folder first the same scenario runs on it. Where the advice would not work, the error
    /// says why instead: no derived profile at FP16, none as large as 128, or the scenario's own
    /// profiles folder holding the measurement (searched before ARSIM_PROFILES).
    func testABatchBeyondAMeasuredProfileSaysHowToUseTheDerivedOne() throws {
        func message(_ text: String, roots: [String]? = nil) -> String {
            do {
                _ = try Scenario.parse(text, file: "s.json", profileRoots: roots ?? bundled)
                return "parsed"
            } catch { return "\(error)" }
        }
        func maskRCNN(_ server: String, batch: Int, extra: String = "") -> String {
            scenario(gpu: "H100", model: "maskrcnn_resnet50_fpn", extra: extra,
                     policy: #"{"name": "dynamic_batch", "max_batch": \#(batch), "max_queue_delay_ms": 4}"#)
                .replacingOccurrences(of: #""gpu": "H100""#, with: server)
        }
        let derived = Repo.path("Workloads/profiles/derived")
        let fp32 = message(maskRCNN(#""gpu": "H100""#, batch: 16))
        XCTAssertTrue(fp32.contains("batch size 16 is not in the latency table of model \"maskrcnn_resnet50_fpn\" (it has 1 to 8); "
                                    + "that is the measured profile "), fp32)
        XCTAssertTrue(fp32.contains("measured/H100/maskrcnn_resnet50_fpn.fp32.json, which holds the sizes measured; to use the derived "), fp32)
        XCTAssertTrue(fp32.contains("derived/H100/maskrcnn_resnet50_fpn.fp32.json instead (it has batch 16), search its folder first: "
                                    + "ARSIM_PROFILES=\(derived)"), fp32)
        XCTAssertFalse(fp32.contains("\n"), "one line")
        let s = try Scenario.parse(maskRCNN(#""gpu": "H100""#, batch: 16), file: "s.json", profileRoots: [derived] + bundled)
        XCTAssertEqual(s.spec.latencySources[0].kind, "derived")
        XCTAssertEqual(s.spec.latencySources[0].batchSizes, "1 to 64")

        let fp16 = message(maskRCNN(#""gpu": "H100", "precision": "fp16""#, batch: 16))
        XCTAssertTrue(fp16.contains("batch size 16 is not in the latency table of model \"maskrcnn_resnet50_fpn\" (it has 1 to 8)"), fp16)
        XCTAssertTrue(fp16.hasSuffix("and no derived profile of maskrcnn_resnet50_fpn on H100 (fp16) exists to use instead"), fp16)

        let large = message(maskRCNN(#""gpu": "H100""#, batch: 128))
        XCTAssertTrue(large.hasSuffix("derived/H100/maskrcnn_resnet50_fpn.fp32.json goes to batch 64 only"), large)

        // The scenario's own folder holds a copy of the measurement: ARSIM_PROFILES cannot help.
        let own = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-own-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: own) }
        try FileManager.default.createDirectory(atPath: own + "/measured/H100", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.path("Workloads/profiles/measured/H100/maskrcnn_resnet50_fpn.fp32.json"),
                                         toPath: own + "/measured/H100/maskrcnn_resnet50_fpn.fp32.json")
        let hidden = message(maskRCNN(#""gpu": "H100""#, batch: 16, extra: #""profiles": ["\#(own)"],"#))
        XCTAssertTrue(hidden.contains("\(own)/measured/H100/maskrcnn_resnet50_fpn.fp32.json, which holds the sizes measured"), hidden)
        XCTAssertTrue(hidden.hasSuffix("has it, but a folder searched before it (the scenario's own profiles, or a measured file "
                                       + "beside it) would still be taken"), hidden)
    }

    /// A scenario folder's resnet50 (2 layers) on the T4 and the bundled one (174) on the L4: the
    /// same name with other layers is an error naming both files, not a trap when a range is cut.
    func testAModelWhoseProfilesDisagreeOnItsLayersIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-two-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/profiles/T4", withIntermediateDirectories: true)
        try Self.profile.replacingOccurrences(of: "\"tiny\"", with: "\"resnet50\"")
            .write(toFile: dir + "/profiles/T4/resnet50.fp32.json", atomically: true, encoding: .utf8)
        try """
            {"name": "p", "duration_s": 1, "profiles": ["profiles"], "models": [{"name": "resnet50"}],
             "servers": [{"name": "a", "gpu": "T4"}, {"name": "b", "gpu": "L4"}],
             "clients": [{"name": "c", "server": "a", "model": "resnet50", "fps": 10, "deadline_ms": 100,
                          "network": {"uplink_mbps": 100, "downlink_mbps": 100}},
                         {"name": "d", "server": "b", "model": "resnet50", "fps": 10, "deadline_ms": 100,
                          "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
            """.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Scenario.load(path: dir + "/s.json", profileRoots: bundled)) { e in
            let message = (e as? ConfigError)?.description ?? "\(e)"
            XCTAssertTrue(message.contains("servers[1].gpu: model \"resnet50\": "), message)
            XCTAssertTrue(message.contains("derived/L4/resnet50.fp32.json has 174 layers, but "), message)
            XCTAssertTrue(message.contains("profiles/T4/resnet50.fp32.json has 2"), message)
        }
        // With the T4 alone the scenario's own profile is the model: no conflict.
        try """
            {"name": "p", "duration_s": 1, "profiles": ["profiles"], "models": [{"name": "resnet50"}], "servers": [{"name": "a", "gpu": "T4"}],
             "clients": [{"name": "c", "model": "resnet50", "fps": 10, "deadline_ms": 100, "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
            """.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Scenario.load(path: dir + "/s.json", profileRoots: bundled).spec.models[0].layerOutputBytes.count, 2)
    }

    func testMissingGPUModelPairNamesBoth() {
        XCTAssertThrowsError(try Scenario.parse(scenario(gpu: "P100"), file: "s.json", profileRoots: bundled)) { e in
            let error = e as! ConfigError
            XCTAssertEqual(error.path, "servers[0].gpu")
            XCTAssertEqual(error.message, "no profile for model \"resnet50\" on GPU \"P100\" (fp32); resnet50 (fp32) is profiled on "
                           + "A10, A100, H100, H200, L4, Orin, T4, TX2, V100; see `arsim profiles list`")
        }
    }

    func testModelWithoutTableNeedsAGPUType() {
        let text = scenario(gpu: "T4").replacingOccurrences(of: "\"gpu\": \"T4\", ", with: "")
        XCTAssertThrowsError(try Scenario.parse(text, file: "s.json", profileRoots: bundled)) { e in
            XCTAssertTrue((e as! ConfigError).message.hasPrefix("server \"edge\" serves model \"resnet50\", which has no latency_ms table"))
        }
    }

    func testMeasuredVariabilityNeedsAMeasuredSpread() {
        XCTAssertThrowsError(try Scenario.parse(scenario(gpu: "T4", variability: "\"measured\""), file: "s.json", profileRoots: bundled)) { e in
            let error = e as! ConfigError
            XCTAssertEqual(error.path, "servers[0].variability")
            XCTAssertTrue(error.message.contains("has none"), error.message)
        }
    }

    /// A profile in the scenario's own folder: 2 µs + 10 µs at batch 1; 36/7 + 10 µs at batch 3
    /// from the per-layer fit (see ProfileLatencyTests). One frame each from three clients at the
    /// same instant form one fixed batch of 3 whose service time is exactly that.
    func testScenarioFolderProfileDrivesServiceTimes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-scn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/profiles/T4", withIntermediateDirectories: true)
        try Self.profile.write(toFile: dir + "/profiles/T4/tiny.fp32.json", atomically: true, encoding: .utf8)
        let text = """
            {"name": "p", "duration_s": 0.05, "profiles": ["profiles"],
             "models": [{"name": "net", "profile": "tiny"}],
             "servers": [{"name": "edge", "gpu": "T4", "policy": {"name": "fixed_batch", "batch_size": 3}, "variability": "measured"}],
             "clients": [{"name": "c", "count": 3, "model": "net", "fps": 20, "phase_ms": 0, "deadline_ms": 100,
                          "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
            """
        try text.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        var s = try Scenario.load(path: dir + "/s.json", profileRoots: [])
        XCTAssertEqual(s.spec.latencySources.map(\.kind), ["measured"])
        XCTAssertEqual(s.spec.table(model: 0, server: 0)?.latency(batchSize: 3), 15_143)
        s.spec.detail = .requests
        var sim = World.simulation(s.spec)
        _ = sim.run()
        let batches = sim.model.takeOutbox().batches
        XCTAssertEqual(batches.count, 1)
        XCTAssertEqual(batches[0].size, 3)
        // "measured" variability: lognormal around 15.143 µs with the profile's spread (≈ 4 %).
        XCTAssertEqual(Double(batches[0].end - batches[0].start), 15_143, accuracy: 15_143 * 0.2)
        XCTAssertNotEqual(batches[0].end - batches[0].start, 15_143, "measured spread varies the service time")
    }

    static let profile = """
        {"arsim_profile": 1, "model": "tiny", "gpu": "T4", "precision": "fp32", "input_bytes": 1000, "batch_sizes": [1, 2, 4],
         "provenance": {"kind": "measured", "device": "Tesla T4", "driver": null, "cuda": null, "cudnn": null, "tensorrt": null,
                        "framework": null, "precision": "fp32", "date": null, "warmup": null, "repetitions": null,
                        "mps_share": null, "method": "hand-written for a test", "source": "ProfileScenarioTests", "citation": null},
         "layers": [{"name": "conv", "output_bytes": 400, "mean_us": [2, 3, 7], "std_us": [0.3, 0.4, 0.5]},
                    {"name": "fc", "output_bytes": 40, "mean_us": [10, 10, 10], "std_us": [0.4, 0.3, 0.5]}]}
        """
}

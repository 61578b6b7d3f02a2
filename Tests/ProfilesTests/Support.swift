import Foundation
import XCTest

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// ../shared/reference-data beside the checkout: measurements by others that tests read but
    /// the project may not copy. Absent in a user's fresh clone, where these tests skip.
    static func referenceData(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/reference-data").path
        guard FileManager.default.fileExists(atPath: dir) else {
            throw XCTSkip("../shared/reference-data is absent (a fresh clone); reference-data tests skipped")
        }
        return dir
    }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-profiles-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A small measured profile as JSON text, for tests to edit.
let sampleProfile = """
    {
      "arsim_profile": 1,
      "model": "tiny",
      "gpu": "T4",
      "precision": "fp32",
      "input_bytes": 1000,
      "batch_sizes": [1, 2, 4],
      "provenance": {
        "kind": "measured", "device": "Tesla T4", "driver": "535.104", "cuda": "12.2", "cudnn": "8.9",
        "tensorrt": null, "framework": "PyTorch 2.3", "precision": "fp32", "date": "2026-11-25",
        "warmup": 20, "repetitions": 100, "mps_share": 1, "method": "CUDA events per layer",
        "source": "a test", "citation": null
      },
      "layers": [
        {"name": "conv", "op": "conv", "output_bytes": 400, "mean_us": [2, 3, 7], "std_us": [0.3, 0.4, 0.5]},
        {"name": "fc", "op": "gemm", "output_bytes": 40, "mean_us": [10, 10, 10], "std_us": [0.4, 0.3, 0.5]}
      ]
    }
    """

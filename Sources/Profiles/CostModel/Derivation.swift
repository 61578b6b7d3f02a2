import Foundation

/// Derived profiles: a model's layer table run through the cost model for one GPU type.
public enum Derivation {
    public static let defaultBatchSizes = [1, 2, 4, 8, 16, 32, 64]

    public static func profile(table: LayerTable, gpu: GPUSpec, costModel: CostModel, batchSizes: [Int] = defaultBatchSizes,
                               error: Provenance.DerivationError?, sources: [String]) -> Profile {
        let layers = table.layers.map { layer in
            ProfileLayer(name: layer.name, op: layer.op, outputBytes: layer.outputBytes, flops: Int(layer.flops),
                         meanUs: batchSizes.map { costModel.calibratedSeconds(layer, batch: $0, on: gpu) * 1e6 })
        }
        // A module run more than once (a shared head, "name#1" …) holds its weights once.
        let weights = Int(table.layers.filter { !$0.name.contains("#") }.reduce(0) { $0 + $1.params } * 4)
        var fitUsed: [String] = []
        for kind in ["conv", "gemm"] {
            if let f = costModel.fit(kind: kind, gpu: gpu.name) {
                let fitted = kind == "conv" ? (f.operandCoefficient == nil ? "b, a_w and b_w fitted" : "b, c, a_w and b_w fitted") : "fitted"
                fitUsed.append(f.gpu == nil ? "\(kind): the global fit (no \(kind) measurements of \(gpu.name))" : "\(kind): \(fitted) on \(f.samples) \(gpu.name) samples")
            }
        }
        let method = "Cost model of docs/profiles.md: per conv/gemm layer t = 5 us + a W + b bytes/bandwidth, \(CostModel.layerTerms) "
            + "(\(fitUsed.joined(separator: "; "))), memory-bound layers fused (0 us), all times k = "
            + String(format: "%.4f", costModel.calibration(for: gpu.name))
            + (costModel.hasOwnCalibration(gpu.name) ? " to match \(gpu.name)'s TensorRT TF32 block latencies. "
                                                     : " to match TensorRT TF32 block latencies. ")
            + "\(gpu.name): \(String(format: "%.1f", gpu.fp32FLOPS / 1e12)) TFLOPS FP32, \(String(format: "%.0f", gpu.memoryBandwidth / 1e9)) GB/s (\(gpu.source)). "
            + "FP32 inputs; latencies as an optimising runtime (TensorRT, TF32 where the GPU has it) would give."
        return Profile(model: table.model, gpu: gpu.name, precision: "fp32", mpsShare: 1, granularity: "layer",
                       inputBytes: table.inputBytes, weightBytes: weights, batchSizes: batchSizes, layers: layers,
                       provenance: .derived(.init(from: sources + ["layer table \((table.file as NSString).lastPathComponent) (tools/profile_model.py --layers-only)"]
                                                      + (table.architecture.map { ["architecture: " + $0] } ?? []),
                                                  method: method, error: error)))
    }
}

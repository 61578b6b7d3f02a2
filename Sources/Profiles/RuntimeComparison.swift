import Foundation
import JSONConfig

/// Derived profiles against whole-model measurements made with other runtimes (issue 17, item 2):
/// NVIDIA's published ResNet-50 v1.5 PyTorch latencies (V100, T4; batch 1–256; FP32 and AMP) and
/// ryujaehun's torchvision benchmark (batch 12, FP32 and FP16, six GPUs), both in the reference
/// data. A derived profile models an optimising runtime (TensorRT-like fused layers, TF32 where
/// calibrated to TensorRT) at FP32, so against eager PyTorch FP32 it should be faster, and against
/// FP16/AMP it is a different precision altogether: the comparison says how far apart they are,
/// per source, precision and GPU, rather than calling either an error.
public enum RuntimeComparison {
    public struct Row: Sendable, Equatable {
        public var source: String
        public var gpu: String
        public var model: String
        public var precision: String
        public var batch: Int
        public var measuredMs: Double
        public var derivedMs: Double
        public var ratio: Double { derivedMs / measuredMs }
    }

    /// Measured GPU names in the reference files → the catalogue's.
    static let gpuNames = ["V100-16GB(DGX-1)": "V100", "T4": "T4", "A100-SXM4-40GB": "A100", "RTX 2080 Ti": "RTX2080Ti"]

    /// Every measurement a derived FP32 profile exists for (batch sizes between the profile's
    /// smallest and largest, interpolated linearly in between).
    public static func rows(reference: String, library: ProfileLibrary) throws(ConfigError) -> [Row] {
        var out: [Row] = []
        func derived(_ gpu: String, _ model: String, _ batch: Int) throws(ConfigError) -> Double? {
            // Both benchmarks run 224 × 224 inputs: a profile of another input size is no match.
            guard let p = try library.load(.init(gpu: gpu, model: model, precision: "fp32")), p.provenance.kind == "derived",
                  p.inputBytes == 3 * 224 * 224 * 4 else { return nil }
            let sizes = p.batchSizes
            guard let first = sizes.first, let last = sizes.last, batch >= first, batch <= last else { return nil }
            if let i = sizes.firstIndex(of: batch) { return p.totalMeanUs(at: i) / 1000 }
            guard let j = sizes.firstIndex(where: { $0 > batch }), j > 0, sizes[j - 1] < batch else { return nil }
            let (x0, x1) = (Double(sizes[j - 1]), Double(sizes[j]))
            let (y0, y1) = (p.totalMeanUs(at: j - 1), p.totalMeanUs(at: j))
            return (y0 + (y1 - y0) * (Double(batch) - x0) / (x1 - x0)) / 1000
        }
        let nvidia = try CSVTable(path: reference + "/gpu/nvidia_dle_resnet50v1.5_pytorch_inference_latency.csv")
        let (g, p, b, l) = (try nvidia.column("gpu"), try nvidia.column("precision"), try nvidia.column("batch_size"), try nvidia.column("latency_avg_ms"))
        for row in nvidia.rows {
            guard let gpu = gpuNames[try nvidia.string(row, g)], let d = try derived(gpu, "resnet50", try nvidia.int(row, b)) else { continue }
            out.append(Row(source: "NVIDIA ResNet-50 v1.5, PyTorch", gpu: gpu, model: "resnet50", precision: try nvidia.string(row, p),
                           batch: try nvidia.int(row, b), measuredMs: try nvidia.double(row, l), derivedMs: d))
        }
        let bench = try CSVTable(path: reference + "/gpu/ryujaehun_pytorch_bs12_inference_summary.csv")
        let (bg, bp, bm, bb, bt) = (try bench.column("gpu"), try bench.column("precision"), try bench.column("model"),
                                    try bench.column("batch_size"), try bench.column("mean_ms"))
        for row in bench.rows {
            guard let gpu = gpuNames[try bench.string(row, bg)], let d = try derived(gpu, try bench.string(row, bm), try bench.int(row, bb)) else { continue }
            out.append(Row(source: "ryujaehun torchvision, PyTorch", gpu: gpu, model: try bench.string(row, bm), precision: try bench.string(row, bp),
                           batch: try bench.int(row, bb), measuredMs: try bench.double(row, bt), derivedMs: d))
        }
        return out
    }

    /// Median derived / measured per (source, precision), in first-seen order.
    public static func medians(_ rows: [Row]) -> [(source: String, precision: String, n: Int, median: Double, low: Double, high: Double)] {
        var keys: [String] = [], groups: [String: [Double]] = [:]
        for r in rows {
            let k = r.source + "\u{1}" + r.precision
            if groups[k] == nil { keys.append(k) }
            groups[k, default: []].append(r.ratio)
        }
        return keys.map { k in
            let v = groups[k]!.sorted(), parts = k.split(separator: "\u{1}").map(String.init)
            return (parts[0], parts[1], v.count, ErrorSummary.quantile(v, 0.5), v.first!, v.last!)
        }
    }

    public static func text(_ rows: [Row]) -> String {
        var s = "\nAgainst whole-model measurements with eager PyTorch (derived / measured latency; below 1: the derived profile is faster):\n"
        s += "source\tprecision\tn\tmedian\trange\n"
        for m in medians(rows) {
            s += "\(m.source)\t\(m.precision)\t\(m.n)\t\(String(format: "%.2f", m.median))\t\(String(format: "%.2f–%.2f", m.low, m.high))\n"
        }
        // The busy-GPU ratios of ResNet-50 FP32, as they come out of these rows.
        func busy(_ gpu: String) -> String? {
            let r = rows.filter { $0.gpu == gpu && $0.model == "resnet50" && $0.precision == "fp32" && $0.batch >= 16 }.map(\.ratio)
            guard let lo = r.min(), let hi = r.max() else { return nil }
            let (a, b) = (String(format: "%.2f", lo), String(format: "%.2f", hi))
            return a == b ? a : a + "–" + b
        }
        let clauses = [busy("V100").map { ($0, "on the V100") },
                       busy("T4").map { ($0, "on the T4, whose own calibration follows PPipe's relatively slow T4 TensorRT timings") }]
            .compactMap { $0 }.enumerated().map { i, c in
                i == 0 ? "\(c.0) of NVIDIA's eager FP32 time \(c.1)" : "\(c.0) \(c.1)"
            }
        let ratios = clauses.isEmpty ? "" : " (from batch 16 the derived ResNet-50 takes " + clauses.joined(separator: " and ") + ")"
        s += """
            What a derived profile represents: one model at FP32 arithmetic under an optimising runtime
            (layers fused, as TensorRT runs PPipe's measurements, to whose TF32 timings it is calibrated,
            on each GPU's FP32 peak). Eager PyTorch FP32 runs every layer as its own kernel, which a
            fused runtime does not\(ratios). FP16/AMP is another
            precision, which a derived FP32 profile does not model at all. At small batches eager
            PyTorch's time is mostly per-kernel launch overhead: NVIDIA's ResNet-50 takes about 10 ms
            from batch 1 to 4 on both V100 and T4, which an optimising runtime does not pay. On the
            A100, PyTorch runs FP32 convolutions on TF32 tensor cores by default, and the catalogue
            gives the derived model the FP32 peak: there a derived profile of a convolution-heavy
            model is slower than eager PyTorch (VGG-16). For a latency under eager PyTorch, measure
            the GPU (tools/profile_model.py).

            """
        s += "source\tgpu\tmodel\tprecision\tbatch\tmeasured_ms\tderived_ms\tratio\n"
        for r in rows {
            s += "\(r.source)\t\(r.gpu)\t\(r.model)\t\(r.precision)\t\(r.batch)\t\(String(format: "%.2f", r.measuredMs))\t"
                + "\(String(format: "%.2f", r.derivedMs))\t\(String(format: "%.2f", r.ratio))\n"
        }
        return s
    }
}

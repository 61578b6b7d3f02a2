import Foundation
import JSONConfig
import SimKernel

/// The per-layer cost model behind derived profiles (docs/profiles.md, "Derived profiles").
///
/// 1. Operators. A convolution or matrix multiply takes
///       t = t0 + a · W + b · bytes / bandwidth
///    on a GPU with the given FP32 peak and memory bandwidth; t0 = 5 µs stands for the launch
///    overhead. For a convolution W is the arithmetic time of its implicit GEMM in waves of output
///    tiles over the SMs (`GEMMShape.waveSeconds`: FLOPs / peak for large products, more for
///    small ones), where its shape is known; otherwise, and for matrix multiplies, FLOPs / peak.
///    Matrix multiplies keep FLOPs / peak because at a small M (a classifier at batch 1) libraries
///    run thin or split-K kernels, whose waste square tiles overstate: tried, VGG-16's first
///    classifier layer came out at a third of the model's time on an L4. (a, b) are fitted by relative least squares (LAPACK `dgels`) on NeuSight's measured
///    conv2d and linear latencies: one pair per GPU type that has at least 50 samples of that kind
///    (kept only if both coefficients come out non-negative), and one global pair over all GPUs,
///    used for every other GPU type.
/// 2. Layers. A conv or gemm layer costs the operator time at its FLOPs and bytes (activations
///    scale with the batch, weights do not). Memory-bound layers (batch norm, activations, adds,
///    pooling) cost nothing of their own: optimising runtimes fuse them into the layer before.
/// 3. Calibration. A factor k scales all layer times so that the sum of a PPipe block's layers
///    matches the block's measured TensorRT (TF32) latency, by relative least squares: one k per
///    GPU type that PPipe measured (over the blocks of every PPipe model arsim has a layer table
///    for, on that GPU), and one over all of them for every other GPU type. Per GPU because the
///    gap between TensorRT and the FP32 operator fits is the GPU's: TF32 tensor cores on the L4,
///    none on the T4.
public struct CostModel: Sendable {
    public struct OperatorFit: Sendable, Equatable {
        public var kind: String
        /// nil for the global fit.
        public var gpu: String?
        public var flopsCoefficient: Double
        public var bytesCoefficient: Double
        public var samples: Int
    }

    public static let launchOverhead = 5e-6
    static let minimumSamplesPerGPU = 50

    public var fits: [OperatorFit]
    /// k for GPU types without TensorRT block measurements.
    public var calibration: Double
    /// k of each GPU type with TensorRT block measurements, by name.
    public var calibrationByGPU: [(gpu: String, k: Double)]

    public init(fits: [OperatorFit], calibration: Double, calibrationByGPU: [(gpu: String, k: Double)] = []) {
        self.fits = fits
        self.calibration = calibration
        self.calibrationByGPU = calibrationByGPU
    }

    /// The k a GPU type's layer times are scaled by: its own where PPipe measured it.
    public func calibration(for gpu: String) -> Double {
        calibrationByGPU.first { $0.gpu == gpu }?.k ?? calibration
    }

    public func hasOwnCalibration(_ gpu: String) -> Bool { calibrationByGPU.contains { $0.gpu == gpu } }

    /// The fit used for `kind` on `gpu`: its own if it has one, else the global one.
    public func fit(kind: String, gpu: String) -> OperatorFit? {
        fits.first { $0.kind == kind && $0.gpu == gpu } ?? fits.first { $0.kind == kind && $0.gpu == nil }
    }

    /// Uncalibrated operator time, seconds.
    public func operatorSeconds(kind: String, flops: Double, bytes: Double, shape: GEMMShape?, on gpu: GPUSpec) -> Double {
        guard let f = fit(kind: kind, gpu: gpu.name) else { return 0 }
        return Self.launchOverhead + f.flopsCoefficient * Self.arithmeticSeconds(flops: flops, shape: shape, on: gpu)
            + f.bytesCoefficient * bytes / gpu.memoryBandwidth
    }

    /// W of step 1.
    static func arithmeticSeconds(flops: Double, shape: GEMMShape?, on gpu: GPUSpec) -> Double {
        shape?.waveSeconds(on: gpu) ?? flops / gpu.fp32FLOPS
    }

    /// Uncalibrated time of a layer at batch `n`, seconds (0 for memory-bound layers).
    public func layerSeconds(_ layer: LayerTable.Layer, batch n: Int, on gpu: GPUSpec) -> Double {
        guard layer.op == "conv" || layer.op == "gemm" else { return 0 }
        let weights = 4 * layer.params
        let bytes = max(layer.bytes - weights, 0) * Double(n) + weights
        let shape = layer.gemm.map { GEMMShape(m: $0.m * Double(n), n: $0.n, k: $0.k) }
        return operatorSeconds(kind: layer.op, flops: layer.flops * Double(n), bytes: bytes, shape: shape, on: gpu)
    }

    /// Calibrated time of a layer, seconds.
    public func calibratedSeconds(_ layer: LayerTable.Layer, batch n: Int, on gpu: GPUSpec) -> Double {
        calibration(for: gpu.name) * layerSeconds(layer, batch: n, on: gpu)
    }

    // MARK: Fitting

    /// Fits the operator model on `samples` (step 1 above).
    public static func fitOperators(_ samples: [OperatorSample], catalog: GPUCatalog) throws(LeastSquares.Failure) -> [OperatorFit] {
        var fits: [OperatorFit] = []
        for kind in ["conv", "gemm"] {
            let mine = samples.filter { $0.kind == kind }
            guard !mine.isEmpty else { continue }
            let global = try fitOne(mine, kind: kind, gpu: nil, catalog: catalog)
            fits.append(global)
            for gpu in Array(Set(mine.map(\.gpu))).sorted() {
                let own = mine.filter { $0.gpu == gpu }
                guard own.count >= minimumSamplesPerGPU else { continue }
                let f = try fitOne(own, kind: kind, gpu: gpu, catalog: catalog)
                if f.flopsCoefficient >= 0 && f.bytesCoefficient >= 0 { fits.append(f) }
            }
        }
        return fits
    }

    static func fitOne(_ samples: [OperatorSample], kind: String, gpu: String?, catalog: GPUCatalog) throws(LeastSquares.Failure) -> OperatorFit {
        // Relative least squares of (t − t0) = a·x1 + b·x2: each row divided by the measured t.
        var a: [Double] = []
        var b: [Double] = []
        for s in samples {
            let spec = catalog.gpu(named: s.gpu)!
            a += [arithmeticSeconds(flops: s.flops, shape: s.shape, on: spec) / s.seconds, s.bytes / spec.memoryBandwidth / s.seconds]
            b.append((s.seconds - launchOverhead) / s.seconds)
        }
        let x = try LeastSquares.solve(a: a, rows: samples.count, columns: 2, b: b)[0]
        return OperatorFit(kind: kind, gpu: gpu, flopsCoefficient: x[0], bytesCoefficient: x[1], samples: samples.count)
    }

    /// The calibration factor k (step 3) from (predicted, measured) pairs.
    public static func calibrate(predicted: [Double], measured: [Double]) -> Double {
        // argmin Σ ((k p − m) / m)² = Σ (p/m) / Σ (p/m)², in closed form.
        var num = 0.0, den = 0.0
        for (p, m) in zip(predicted, measured) where m > 0 {
            num += p / m
            den += (p / m) * (p / m)
        }
        return den > 0 ? num / den : 1
    }

    // MARK: File

    /// 2 added `calibration_by_gpu` (a file of format 1 reads as one with no per-GPU k); 3 fits `a`
    /// on wave-quantised arithmetic time, so files of formats 1 and 2 are not read.
    public static let formatVersion = 3

    public func json(validation: JSONOutput?, sources: [String]) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("arsim_cost_model", .int(Self.formatVersion)),
            ("method", .string("t = t0 + a W + b bytes/bandwidth per conv/gemm layer, W a convolution's arithmetic time in waves of output tiles over the SMs (FLOPs/peak for gemm), memory-bound layers fused (0), times k (the GPU type's own where PPipe measured it); see docs/profiles.md")),
            ("launch_overhead_us", .double(Self.launchOverhead * 1e6)),
            ("calibration", .double(Self.round(calibration))),
            ("calibration_by_gpu", .array(calibrationByGPU.map { .object([("gpu", .string($0.gpu)), ("k", .double(Self.round($0.k)))]) })),
            ("fits", .array(fits.map { f in
                .object([("kind", .string(f.kind)), ("gpu", .optional(f.gpu)),
                         ("flops_coefficient", .double(Self.round(f.flopsCoefficient))),
                         ("bytes_coefficient", .double(Self.round(f.bytesCoefficient))), ("samples", .int(f.samples))])
            })),
            ("fitted_on", .array(sources.map { .string($0) })),
        ]
        if let validation { members.append(("validation", validation)) }
        return .object(members)
    }

    static func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    static let keys = ["arsim_cost_model", "method", "launch_overhead_us", "calibration", "calibration_by_gpu", "fits", "fitted_on", "validation"]
    static let fitKeys = ["kind", "gpu", "flops_coefficient", "bytes_coefficient", "samples"]

    public static func load(path: String) throws(ConfigError) -> (CostModel, validation: JSONValue?) {
        let o = try InputFile.json(path, what: "the cost model").object(keys: keys)
        let version = try o.required("arsim_cost_model")
        guard try version.int() == formatVersion else {
            throw version.error("this arsim reads cost model format \(formatVersion), the file is format \(try version.int()): "
                                + "its coefficients were fitted for another operator model; fit it again with arsim profiles derive --reference")
        }
        let fits = try o.required("fits").array().map { n throws(ConfigError) -> OperatorFit in
            let f = try n.object(keys: fitKeys)
            return OperatorFit(kind: try f.required("kind").choice(["conv", "gemm"]), gpu: try f.optional("gpu")?.string(),
                               flopsCoefficient: try f.required("flops_coefficient").double(),
                               bytesCoefficient: try f.required("bytes_coefficient").double(),
                               samples: try f.required("samples").positiveInt())
        }
        // A model must price both kinds on any GPU, and never negatively.
        for kind in ["conv", "gemm"] where !fits.contains(where: { $0.kind == kind && $0.gpu == nil }) {
            throw try o.required("fits").error("expected a global fit (no gpu) for \(kind)")
        }
        for (i, f) in fits.enumerated() where !(f.flopsCoefficient.isFinite && f.flopsCoefficient >= 0 && f.bytesCoefficient.isFinite && f.bytesCoefficient >= 0) {
            throw try o.required("fits").array()[i].error("coefficients must be finite and at least 0")
        }
        let byGPU = try (o.optional("calibration_by_gpu")?.array() ?? []).map { n throws(ConfigError) -> (gpu: String, k: Double) in
            let c = try n.object(keys: ["gpu", "k"])
            return (try c.required("gpu").string(), try c.required("k").positiveDouble())
        }
        return (CostModel(fits: fits, calibration: try o.required("calibration").positiveDouble(), calibrationByGPU: byGPU), o.optional("validation")?.value)
    }
}

/// Median and 90th percentile of relative errors.
public struct ErrorSummary: Sendable, Equatable {
    public var median: Double
    public var p90: Double
    public var count: Int

    public init(_ relativeErrors: [Double]) {
        let s = relativeErrors.sorted()
        count = s.count
        median = ErrorSummary.quantile(s, 0.5)
        p90 = ErrorSummary.quantile(s, 0.9)
    }

    /// Linear interpolation between order statistics (type 7, as numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = Int(h.rounded(.up))
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (h - Double(lo))
    }
}

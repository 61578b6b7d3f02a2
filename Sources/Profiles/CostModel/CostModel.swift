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
///    A 3 × 3, stride-1 convolution's GEMM takes its tiles from a set without 32 × 32 and adds
///    c · (operand bytes its tiles stream) / bandwidth (`GEMMShape.direct`): the only
///    convolutions NeuSight measured, so the only ones c is known for (`gemmBranch`).
///    Matrix multiplies keep FLOPs / peak because at a small M (a classifier at batch 1) libraries
///    run thin or split-K kernels, whose waste square tiles overstate: tried, VGG-16's first
///    classifier layer came out at a third of the model's time on an L4. A 3 × 3, stride-1,
///    one-group convolution takes the lesser of that and Winograd F(4 × 4, 3 × 3),
///    a_w · W_w + b_w · (bytes + transforms) / bandwidth (`WinogradShape`), as cuDNN picks.
///    Fitted by relative least squares (LAPACK `dgels`) on NeuSight's measured linear and
///    conv2d latencies: (a, b) for matrix multiplies; for convolutions b, c, a_w, b_w and a
///    measurement floor (never applied to layers), with a held at the global matrix multiply
///    fit's (`fitConvolutions`). One fit per GPU type that has at least 50 samples of that kind
///    (kept only if no coefficient comes out negative), and one global fit over all GPUs, used
///    for every other GPU type.
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
        /// a: for a convolution, its implicit GEMM's, held at the global matrix multiply fit's a
        /// (not fitted on convolutions).
        public var flopsCoefficient: Double
        public var bytesCoefficient: Double
        /// c: a convolution's GEMM branch's seconds per byte-over-bandwidth of the operand
        /// traffic its tiles stream (`GEMMShape.direct`); nil for matrix multiplies.
        public var operandCoefficient: Double? = nil
        /// A convolution's Winograd branch (a_w, b_w); nil where the data chose none.
        public var winogradFlopsCoefficient: Double? = nil
        public var winogradBytesCoefficient: Double? = nil
        /// A convolution fit's intercept. It stands for what NeuSight's timing adds to every call
        /// and for what the model misses on its smallest convolutions (some take 100–600 µs on
        /// every GPU), fitted so that these do not bend the other coefficients. At 125–221 µs it
        /// is more than the fastest calls measured (59–108 µs), so it is not a pure timing floor.
        /// It is never added to a layer; the operator errors `validate` reports include it.
        public var measurementFloor: Double = 0
        public var samples: Int

        /// A fit of known coefficients (a test's, or one read from a file by `load`).
        public init(kind: String, gpu: String?, flopsCoefficient: Double, bytesCoefficient: Double, operandCoefficient: Double? = nil,
                    winogradFlopsCoefficient: Double? = nil, winogradBytesCoefficient: Double? = nil, measurementFloor: Double = 0, samples: Int) {
            self.kind = kind
            self.gpu = gpu
            self.flopsCoefficient = flopsCoefficient
            self.bytesCoefficient = bytesCoefficient
            self.operandCoefficient = operandCoefficient
            self.winogradFlopsCoefficient = winogradFlopsCoefficient
            self.winogradBytesCoefficient = winogradBytesCoefficient
            self.measurementFloor = measurementFloor
            self.samples = samples
        }

        var coefficients: [Double] {
            [flopsCoefficient, bytesCoefficient, measurementFloor]
                + [operandCoefficient, winogradFlopsCoefficient, winogradBytesCoefficient].compactMap { $0 }
        }

        /// A fit that prices some operator negatively is not used.
        var isNonNegative: Bool { coefficients.allSatisfy { $0.isFinite && $0 >= 0 } }
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

    /// Uncalibrated operator time, seconds: for a convolution Winograd can run, the faster of
    /// its implicit GEMM and Winograd, as the library picks. `measured` adds the measurement
    /// floor, to compare with NeuSight's timings.
    public func operatorSeconds(kind: String, flops: Double, bytes: Double, shape: GEMMShape?, winograd: WinogradShape? = nil,
                                on gpu: GPUSpec, measured: Bool = false) -> Double {
        guard let f = fit(kind: kind, gpu: gpu.name) else { return 0 }
        let gemm = Self.gemmBranch(flops: flops, shape: shape, threeByThree: winograd != nil, on: gpu)
        var t = f.bytesCoefficient * bytes / gpu.memoryBandwidth
            + (f.flopsCoefficient * gemm.seconds + (f.operandCoefficient ?? 0) * gemm.operandBytes / gpu.memoryBandwidth)
        if let winograd, let aw = f.winogradFlopsCoefficient, let bw = f.winogradBytesCoefficient {
            t = min(t, aw * winograd.waveSeconds(on: gpu) + bw * (bytes + winograd.transformBytes) / gpu.memoryBandwidth)
        }
        return Self.launchOverhead + t + (measured ? f.measurementFloor : 0)
    }

    /// W of the GEMM branch and the operand bytes c prices, for pricing and fitting alike:
    /// FLOPs / peak without a shape (matrix multiplies); waves of every tile and no operand
    /// bytes for a convolution other than 3 × 3, stride 1; `GEMMShape.direct` for those. c is
    /// fitted on NeuSight's convolutions, all 3 × 3 and stride 1 (the shapes Winograd can run),
    /// so only those get it, with its tile set (docs/profiles.md, "Operand traffic": given to
    /// every convolution, it made the PPipe figures worse).
    static func gemmBranch(flops: Double, shape: GEMMShape?, threeByThree: Bool, on gpu: GPUSpec) -> (seconds: Double, operandBytes: Double) {
        guard let shape else { return (flops / gpu.fp32FLOPS, 0) }
        return threeByThree ? shape.direct(on: gpu) : (shape.waveSeconds(on: gpu), 0)
    }

    /// Uncalibrated time of a layer at batch `n`, seconds (0 for memory-bound layers).
    public func layerSeconds(_ layer: LayerTable.Layer, batch n: Int, on gpu: GPUSpec) -> Double {
        guard layer.op == "conv" || layer.op == "gemm" else { return 0 }
        let weights = 4 * layer.params
        let bytes = max(layer.bytes - weights, 0) * Double(n) + weights
        let shape = layer.gemm.map { GEMMShape(m: $0.m * Double(n), n: $0.n, k: $0.k) }
        return operatorSeconds(kind: layer.op, flops: layer.flops * Double(n), bytes: bytes, shape: shape,
                               winograd: layer.winograd?.batched(Double(n)), on: gpu)
    }

    /// Calibrated time of a layer, seconds.
    public func calibratedSeconds(_ layer: LayerTable.Layer, batch n: Int, on gpu: GPUSpec) -> Double {
        calibration(for: gpu.name) * layerSeconds(layer, batch: n, on: gpu)
    }

    // MARK: Fitting

    /// Fits the operator model on `samples` (step 1 above): matrix multiplies first, then
    /// convolutions, each fit's GEMM branch with the global matrix multiply fit's a. NeuSight's
    /// convolutions are all 3 × 3 and stride 1, so they cannot tell a network's 1 × 1, strided
    /// and depthwise convolutions' efficiency; measured matrix multiplies can. The global a
    /// rather than each GPU type's own: with its own (T4 2.1, from linear layers at small M),
    /// the T4's and P4's PPipe blocks came out worse (docs/profiles.md).
    public static func fitOperators(_ samples: [OperatorSample], catalog: GPUCatalog) throws(LeastSquares.Failure) -> [OperatorFit] {
        let gemms = samples.filter { $0.kind == "gemm" }, convs = samples.filter { $0.kind == "conv" }
        var fits: [OperatorFit] = []
        if !gemms.isEmpty {
            fits.append(try fitOne(gemms, kind: "gemm", gpu: nil, catalog: catalog))
            for gpu in Array(Set(gemms.map(\.gpu))).sorted() {
                let own = gemms.filter { $0.gpu == gpu }
                guard own.count >= minimumSamplesPerGPU else { continue }
                let f = try fitOne(own, kind: "gemm", gpu: gpu, catalog: catalog)
                if f.isNonNegative { fits.append(f) }
            }
        }
        if !convs.isEmpty {
            // Without matrix multiplies to take it from, a = 1: arithmetic at the FP32 peak.
            let a = fits.first { $0.kind == "gemm" && $0.gpu == nil }?.flopsCoefficient ?? 1
            let global = try fitConvolutions(convs, gpu: nil, gemmFlopsCoefficient: a, catalog: catalog)
            // Every GPU type without its own fit gets this one, and a file holding a negative one
            // would not load: refuse it here.
            guard global.isNonNegative else {
                throw LeastSquares.Failure(description: "the global convolution fit came out negative (\(global.coefficients)): the data do not support the model")
            }
            fits.append(global)
            for gpu in Array(Set(convs.map(\.gpu))).sorted() {
                let own = convs.filter { $0.gpu == gpu }
                guard own.count >= minimumSamplesPerGPU else { continue }
                // A GPU type whose own fit comes out with a negative coefficient is fitted again
                // without c (the P4, whose c comes out at -0.01); if that fails too, it uses the
                // global fit.
                let withC = try? fitConvolutions(own, gpu: gpu, gemmFlopsCoefficient: a, catalog: catalog)
                if let f = withC, f.isNonNegative {
                    fits.append(f)
                } else if let f = try? fitConvolutions(own, gpu: gpu, gemmFlopsCoefficient: a, operandTerm: false, catalog: catalog),
                          f.isNonNegative {
                    fits.append(f)
                }
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
            a += [s.flops / spec.fp32FLOPS / s.seconds, s.bytes / spec.memoryBandwidth / s.seconds]
            b.append((s.seconds - launchOverhead) / s.seconds)
        }
        let x = try LeastSquares.solve(a: a, rows: samples.count, columns: 2, b: b)[0]
        return OperatorFit(kind: kind, gpu: gpu, flopsCoefficient: x[0], bytesCoefficient: x[1], samples: samples.count)
    }

    /// Each branch needs more samples than this for Winograd to be fitted; otherwise every
    /// sample is a GEMM.
    static let minimumBranchSamples = 20
    /// The floor's column in the least squares, seconds per unit: keeps the columns' scales alike.
    static let floorUnit = 1e-4

    /// Fits a convolution model, t = t0 + floor + min(a·W + b·bytes/bw + c·operands/bw, a_w·W_w + b_w·bytes_w/bw)
    /// with a held at the matrix multiplies' value, by relative least squares (b, c, a_w, b_w, the
    /// intercept) with each sample assigned to a branch, then each sample Winograd can run moved
    /// to the branch that predicts less, until no sample moves. It starts with Winograd for the
    /// samples that ran faster than a direct convolution can (FLOPs above peak): without more
    /// than `minimumBranchSamples` of those (or of the others), Winograd is not fitted, and a move
    /// that would leave either branch that few ends the rounds, as do 40 rounds: some assignments
    /// cycle instead of settling (the A100's and the global fit's with c). Of all the rounds' solves
    /// the one whose model, each sample priced by the lesser branch as `operatorSeconds` prices it,
    /// fits best (least relative squared error) is kept. `operandTerm` false leaves c out.
    static func fitConvolutions(_ samples: [OperatorSample], gpu: String?, gemmFlopsCoefficient a: Double,
                                operandTerm: Bool = true, catalog: GPUCatalog) throws(LeastSquares.Failure) -> OperatorFit {
        let specs = samples.map { catalog.gpu(named: $0.gpu)! }
        let direct = zip(samples, specs).map { s, g in gemmBranch(flops: s.flops, shape: s.shape, threeByThree: s.winograd != nil, on: g) }
        let gemmW = direct.map(\.seconds)
        let gemmMemory = zip(samples, specs).map { $0.bytes / $1.memoryBandwidth }
        let operandMemory = zip(direct, specs).map { $0.operandBytes / $1.memoryBandwidth }
        let winoW = zip(samples, specs).map { s, g in s.winograd.map { $0.waveSeconds(on: g) } }
        let winoMemory = zip(samples, specs).map { s, g in s.winograd.map { (s.bytes + $0.transformBytes) / g.memoryBandwidth } }
        var winograd = zip(samples, specs).map { s, g in s.winograd != nil && s.flops / (g.fp32FLOPS * s.seconds) > 1 }
        func enough(_ assignment: [Bool]) -> Bool {
            let n = assignment.filter { $0 }.count
            return n > minimumBranchSamples && samples.count - n > minimumBranchSamples
        }
        let withWinograd = enough(winograd)
        if !withWinograd { winograd = winograd.map { _ in false } }
        // Without convolutions that c can price, its column would be all zero.
        let withOperands = operandTerm && operandMemory.contains { $0 > 0 }
        var best: (fit: OperatorFit, error: Double)?
        for _ in 0..<40 {
            // Columns: b, c, a_w and b_w (with Winograd), the intercept.
            let columns = 2 + (withOperands ? 1 : 0) + (withWinograd ? 2 : 0)
            var rows: [Double] = [], rhs: [Double] = []
            for (i, s) in samples.enumerated() {
                let t = s.seconds
                // A sample on the GEMM branch has a zero in Winograd's columns, and the reverse.
                var row = [winograd[i] ? 0 : gemmMemory[i] / t]
                if withOperands { row.append(winograd[i] ? 0 : operandMemory[i] / t) }
                if withWinograd { row += winograd[i] ? [winoW[i]! / t, winoMemory[i]! / t] : [0, 0] }
                rows += row + [floorUnit / t]
                rhs.append((t - launchOverhead - (winograd[i] ? 0 : a * gemmW[i])) / t)
            }
            let x = try LeastSquares.solve(a: rows, rows: samples.count, columns: columns, b: rhs)[0]
            let c = withOperands ? x[1] : 0
            let fit = OperatorFit(kind: "conv", gpu: gpu, flopsCoefficient: a, bytesCoefficient: x[0],
                                  operandCoefficient: withOperands ? c : nil,
                                  winogradFlopsCoefficient: withWinograd ? x[columns - 3] : nil,
                                  winogradBytesCoefficient: withWinograd ? x[columns - 2] : nil,
                                  measurementFloor: x[columns - 1] * floorUnit, samples: samples.count)
            // Each sample priced by the lesser branch, as the fit will be used.
            var lesser = winograd, error = 0.0
            for i in samples.indices {
                let gemm = a * gemmW[i] + fit.bytesCoefficient * gemmMemory[i] + c * operandMemory[i]
                var t = gemm
                if let aw = fit.winogradFlopsCoefficient, let bw = fit.winogradBytesCoefficient, let w = winoW[i] {
                    let wino = aw * w + bw * winoMemory[i]!
                    lesser[i] = wino < gemm
                    t = min(gemm, wino)
                }
                let r = (launchOverhead + fit.measurementFloor + t - samples[i].seconds) / samples[i].seconds
                error += r * r
            }
            if best == nil || error < best!.error { best = (fit, error) }
            // Settled, or a move would leave a branch too few samples to fit it.
            if !withWinograd || lesser == winograd || !enough(lesser) { break }
            winograd = lesser
        }
        return best!.fit
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
    /// on wave-quantised arithmetic time; 4 adds a convolution's Winograd branch and holds its
    /// GEMM branch's a at the matrix multiplies'; 5 drops the 32 × 32 tile from a direct
    /// convolution and adds its operand traffic (c). Files of earlier formats are not read.
    public static let formatVersion = 5

    /// What W and the Winograd branch are, as the cost model file's method and every derived
    /// profile's derivation say it.
    static let layerTerms = "W a convolution's arithmetic time in waves of output tiles over the SMs (FLOPs/peak for gemm); "
        + "a 3x3 stride-1 convolution's GEMM takes its tiles from a set without 32x32 and adds c (operand bytes its tiles stream)/bandwidth; "
        + "a 3x3 stride-1 convolution takes the lesser of that and Winograd F(4x4,3x3), a_w W_w + b_w (bytes + transforms)/bandwidth; "
        + "a convolution's a is the global gemm a"

    public func json(validation: JSONOutput?, sources: [String]) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("arsim_cost_model", .int(Self.formatVersion)),
            ("method", .string("t = t0 + a W + b bytes/bandwidth per conv/gemm layer, \(Self.layerTerms); memory-bound layers fused (0); times k (the GPU type's own where PPipe measured it); see docs/profiles.md")),
            ("launch_overhead_us", .double(Self.launchOverhead * 1e6)),
            ("calibration", .double(Self.round(calibration))),
            ("calibration_by_gpu", .array(calibrationByGPU.map { .object([("gpu", .string($0.gpu)), ("k", .double(Self.round($0.k)))]) })),
            ("fits", .array(fits.map { f in
                var members: [(String, JSONOutput)] = [("kind", .string(f.kind)), ("gpu", .optional(f.gpu)),
                         ("flops_coefficient", .double(Self.round(f.flopsCoefficient))),
                         ("bytes_coefficient", .double(Self.round(f.bytesCoefficient)))]
                if let c = f.operandCoefficient { members.append(("operand_coefficient", .double(Self.round(c)))) }
                if let aw = f.winogradFlopsCoefficient, let bw = f.winogradBytesCoefficient {
                    members += [("winograd_flops_coefficient", .double(Self.round(aw))), ("winograd_bytes_coefficient", .double(Self.round(bw)))]
                }
                if f.kind == "conv" { members.append(("measurement_floor_us", .double(Self.round(f.measurementFloor * 1e6)))) }
                members.append(("samples", .int(f.samples)))
                return .object(members)
            })),
            ("fitted_on", .array(sources.map { .string($0) })),
        ]
        if let validation { members.append(("validation", validation)) }
        return .object(members)
    }

    static func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    static let keys = ["arsim_cost_model", "method", "launch_overhead_us", "calibration", "calibration_by_gpu", "fits", "fitted_on", "validation"]
    static let fitKeys = ["kind", "gpu", "flops_coefficient", "bytes_coefficient", "operand_coefficient", "winograd_flops_coefficient",
                          "winograd_bytes_coefficient", "measurement_floor_us", "samples"]

    public static func load(path: String) throws(ConfigError) -> (CostModel, validation: JSONValue?) {
        let o = try InputFile.json(path, what: "the cost model").object(keys: keys)
        let version = try o.required("arsim_cost_model")
        guard try version.int() == formatVersion else {
            throw version.error("this arsim reads cost model format \(formatVersion), the file is format \(try version.int()): "
                                + "its coefficients were fitted for another operator model; fit it again with arsim profiles derive --reference")
        }
        let fits = try o.required("fits").array().map { n throws(ConfigError) -> OperatorFit in
            let f = try n.object(keys: fitKeys)
            let kind = try f.required("kind").choice(["conv", "gemm"])
            // A model never prices an operator negatively: each coefficient finite and at least 0.
            func coefficient(_ node: ConfigNode) throws(ConfigError) -> Double {
                let x = try node.nonNegativeDouble()
                guard x.isFinite else { throw node.error("expected a finite number at least 0") }
                return x
            }
            func coefficient(_ key: String) throws(ConfigError) -> Double? {
                guard let node = f.optional(key) else { return nil }
                return try coefficient(node)
            }
            let convOnly = ["operand_coefficient", "winograd_flops_coefficient", "winograd_bytes_coefficient", "measurement_floor_us"]
            if kind == "gemm", let key = convOnly.first(where: { f.optional($0) != nil }) {
                throw f.optional(key)!.error("applies to conv fits only")
            }
            let aw = try coefficient("winograd_flops_coefficient"), bw = try coefficient("winograd_bytes_coefficient")
            if let node = f.optional("winograd_flops_coefficient"), bw == nil {
                throw node.error("expected winograd_bytes_coefficient beside it")
            }
            if let node = f.optional("winograd_bytes_coefficient"), aw == nil {
                throw node.error("expected winograd_flops_coefficient beside it")
            }
            return OperatorFit(kind: kind, gpu: try f.optional("gpu")?.string(),
                               flopsCoefficient: try coefficient(f.required("flops_coefficient")),
                               bytesCoefficient: try coefficient(f.required("bytes_coefficient")),
                               operandCoefficient: try coefficient("operand_coefficient"),
                               winogradFlopsCoefficient: aw, winogradBytesCoefficient: bw,
                               measurementFloor: (try coefficient("measurement_floor_us") ?? 0) * 1e-6,
                               samples: try f.required("samples").positiveInt())
        }
        // A model must price both kinds on any GPU.
        for kind in ["conv", "gemm"] where !fits.contains(where: { $0.kind == kind && $0.gpu == nil }) {
            throw try o.required("fits").error("expected a global fit (no gpu) for \(kind)")
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

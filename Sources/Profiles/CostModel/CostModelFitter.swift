import Foundation
import JSONConfig
import SimKernel

/// Fits the cost model on measured data and measures its error on data it was not fitted on.
public struct CostModelFitter: Sendable {
    /// A PPipe model arsim has a layer table for: each layer's block, and the measured blocks.
    public struct CalibrationModel: Sendable {
        public var table: LayerTable
        /// Block index of each layer of `table`.
        public var blockOfLayer: [Int]
        /// Per GPU: rows = blocks, columns = batch sizes 1...8, microseconds (MPS level 1).
        public var timings: [(gpu: String, blocks: [[Double]])]
    }

    public var catalog: GPUCatalog
    public var operators: [OperatorSample]
    public var calibration: [CalibrationModel]
    public var sources: [String]

    /// Loads NeuSight's operator data and the PPipe models that `layerTables` cover, from a
    /// folder laid out as ../shared/reference-data (gpu/, ppipe/).
    public init(reference: String, layerTables: [LayerTable], catalog: GPUCatalog) throws(ConfigError) {
        self.catalog = catalog
        let gpuDir = (reference as NSString).appendingPathComponent("gpu")
        let convFile = (gpuDir as NSString).appendingPathComponent("neusight_conv2d_fp32_5gpus.csv")
        let gemmFile = (gpuDir as NSString).appendingPathComponent("neusight_linear_fp32_8gpus.csv")
        operators = try NeuSightData.convolutions(path: convFile, catalog: catalog)
            + NeuSightData.matrixMultiplies(path: gemmFile, catalog: catalog)
        let artifact = try PPipeArtifact(root: (reference as NSString).appendingPathComponent("ppipe"))
        let files = artifact.blockTimingFiles().filter { $0.mpsLevel == 1 }
        calibration = []
        for table in layerTables {
            let mine = files.filter { $0.model == table.model }
            guard !mine.isEmpty else { continue }
            let blocks = try Self.blocks(of: table, mapping: artifact.blockOfNode(model: table.model))
            var timings: [(String, [[Double]])] = []
            for f in mine.sorted(by: { $0.gpu < $1.gpu }) where catalog.gpu(named: f.gpu) != nil {
                timings.append((f.gpu, try artifact.blockTimings(f)))
            }
            calibration.append(CalibrationModel(table: table, blockOfLayer: blocks, timings: timings))
        }
        sources = [
            "NeuSight measured nn.Conv2d and nn.Linear FP32 latencies (Lee et al., ASPLOS 2025; sitar-lab/NeuSight): \(operators.count) samples",
            "PPipe TensorRT TF32 block timings (Kong, Xu, Hu, USENIX ATC 2025; JonnyKong/PPipe) of "
                + calibration.map(\.table.model).joined(separator: ", ") + " on "
                + Array(Set(calibration.flatMap { $0.timings.map(\.gpu) })).sorted().joined(separator: ", "),
        ]
    }

    /// Assigns each layer of a layer table to a PPipe block: conv and gemm layers by matching
    /// their module path with the ONNX node names of the partition; every other layer goes with
    /// the last matched layer before it (the block it would be fused into).
    static func blocks(of table: LayerTable, mapping: [(node: String, block: Int)]) throws(ConfigError) -> [Int] {
        var blockOf: [String: Int] = [:]
        for (node, block) in mapping {
            let (path, op) = PPipeArtifact.modulePath(ofNode: node)
            guard let path, op.hasPrefix("Conv") || op.hasPrefix("Gemm") || op.hasPrefix("MatMul") else { continue }
            if blockOf[path] == nil { blockOf[path] = block }
        }
        var result: [Int] = []
        var current: Int?
        var unmatched = 0
        for layer in table.layers {
            if layer.op != "memory" {
                if let b = blockOf[layer.name] { current = b } else { unmatched += 1 }
            }
            result.append(current ?? -1)
        }
        let computeLayers = table.layers.filter { $0.op != "memory" }.count
        if unmatched * 10 > computeLayers {
            throw ConfigError(file: table.file, position: nil, path: "",
                              message: "\(unmatched) of \(computeLayers) conv/gemm layers match no node of the PPipe partition")
        }
        let first = result.first { $0 >= 0 } ?? 0
        return result.map { $0 >= 0 ? $0 : first }
    }

    // MARK: Fitting

    /// The model fitted on everything: all operator samples, all calibration blocks (one k over
    /// all of them, and one per GPU type over that GPU's).
    public func fit() throws(LeastSquares.Failure) -> CostModel {
        let fits = try CostModel.fitOperators(operators, catalog: catalog)
        var model = CostModel(fits: fits, calibration: 1)
        let all = observations(model, calibration)
        model.calibration = Self.calibrationFactor(all)
        model.calibrationByGPU = Array(Set(all.map(\.gpu))).sorted().map { gpu in (gpu, Self.calibrationFactor(all.filter { $0.gpu == gpu })) }
        return model
    }

    /// The k that best scales these blocks' predicted times to their measured ones.
    static func calibrationFactor(_ observations: [BlockObservation]) -> Double {
        CostModel.calibrate(predicted: observations.map(\.predicted), measured: observations.map(\.measured))
    }

    struct BlockObservation {
        var model: String
        var gpu: String
        var batch: Int
        var block: Int
        /// Uncalibrated sum of the block's layers, seconds.
        var predicted: Double
        var measured: Double
    }

    func observations(_ costModel: CostModel, _ models: [CalibrationModel]) -> [BlockObservation] {
        var out: [BlockObservation] = []
        for m in models {
            for (gpuName, blocks) in m.timings {
                let gpu = catalog.gpu(named: gpuName)!
                for b in 1...(blocks.first?.count ?? 0) {
                    var sums = [Double](repeating: 0, count: blocks.count)
                    for (layer, block) in zip(m.table.layers, m.blockOfLayer) where block < blocks.count {
                        sums[block] += costModel.layerSeconds(layer, batch: b, on: gpu)
                    }
                    for block in blocks.indices {
                        out.append(BlockObservation(model: m.table.model, gpu: gpuName, batch: b, block: block,
                                                    predicted: sums[block], measured: blocks[block][b - 1] * 1e-6))
                    }
                }
            }
        }
        return out
    }

    // MARK: Validation

    public struct Report: Sendable {
        /// Operator model on a random 20 % of the samples held out of the fit, per kind.
        public var operatorHoldout: [(kind: String, error: ErrorSummary)]
        /// The same convolutions priced as layers are, without the fit's intercept.
        public var convolutionHoldoutWithoutIntercept: ErrorSummary
        /// Operator model fitted without one GPU type and tested on it (the global fit, as a GPU
        /// type with no data of its own gets).
        public var leaveOneGPUOut: [(kind: String, gpu: String, error: ErrorSummary)]
        /// PPipe blocks and whole models (sum of blocks) of each model, with each GPU type's k
        /// fitted on the other models' blocks on that GPU (what derived profiles of those GPU
        /// types use).
        public var blocks: ErrorSummary
        public var wholeModels: ErrorSummary
        public var blocksByGPU: [(gpu: String, blocks: ErrorSummary, wholeModels: ErrorSummary)]
        /// The same with one k for every GPU type, fitted on the other models' blocks on all of
        /// them: what a GPU type PPipe did not measure gets.
        public var oneKBlocks: ErrorSummary
        public var oneKWholeModels: ErrorSummary
        /// The single k of each fold.
        public var foldCalibrations: [(heldOut: String, k: Double)]
        public var against: String
        public var againstOneK: String

        /// The error a derived profile for `gpu` states: its own GPU type's k, or the single one.
        /// A GPU type with its own k states its own leave-one-model-out error (its blocks and
        /// whole models); any other type, the single k's over all measured types.
        public func derivationError(gpu: String, costModel: CostModel) -> Provenance.DerivationError {
            if costModel.hasOwnCalibration(gpu), let own = blocksByGPU.first(where: { $0.gpu == gpu }) {
                return .init(perLayerMedian: own.blocks.median, perLayerP90: own.blocks.p90, wholeModelMedian: own.wholeModels.median,
                             wholeModelP90: own.wholeModels.p90, against: Self.againstOwn(against, gpu: gpu))
            }
            return .init(perLayerMedian: oneKBlocks.median, perLayerP90: oneKBlocks.p90, wholeModelMedian: oneKWholeModels.median,
                         wholeModelP90: oneKWholeModels.p90, against: againstOneK)
        }

        /// `against`, narrowed to one GPU type.
        public static func againstOwn(_ against: String, gpu: String) -> String {
            against + "; these figures are the \(gpu)'s own"
        }
    }

    public func validate() throws(LeastSquares.Failure) -> Report {
        // 1. Operators: a seeded 80/20 split.
        var rng = RandomStream(seed: 1, name: "costmodel/holdout")
        var train: [OperatorSample] = [], test: [OperatorSample] = []
        for s in operators {
            if rng.nextUnit() < 0.2 { test.append(s) } else { train.append(s) }
        }
        let trained = CostModel(fits: try CostModel.fitOperators(train, catalog: catalog), calibration: 1)
        var holdout: [(String, ErrorSummary)] = []
        func error(_ model: CostModel, _ s: OperatorSample, measured: Bool = true) -> Double {
            let predicted = model.operatorSeconds(kind: s.kind, flops: s.flops, bytes: s.bytes, shape: s.shape, winograd: s.winograd,
                                                  on: catalog.gpu(named: s.gpu)!, measured: measured)
            return abs(predicted - s.seconds) / s.seconds
        }
        for kind in ["conv", "gemm"] {
            holdout.append((kind, ErrorSummary(test.filter { $0.kind == kind }.map { error(trained, $0) })))
        }
        let withoutIntercept = ErrorSummary(test.filter { $0.kind == "conv" }.map { error(trained, $0, measured: false) })
        // 2. Leave one GPU type out: its samples are predicted by the global fits of the others'
        // (a convolution's GEMM branch from the others' matrix multiplies too).
        var logo: [(String, String, ErrorSummary)] = []
        for kind in ["conv", "gemm"] {
            let mine = operators.filter { $0.kind == kind }
            for gpu in Array(Set(mine.map(\.gpu))).sorted() {
                let gemm = try CostModel.fitOne(operators.filter { $0.kind == "gemm" && $0.gpu != gpu }, kind: "gemm", gpu: nil, catalog: catalog)
                let global = kind == "gemm" ? gemm
                    : try CostModel.fitConvolutions(mine.filter { $0.gpu != gpu }, gpu: nil, gemmFlopsCoefficient: gemm.flopsCoefficient, catalog: catalog)
                let model = CostModel(fits: [global], calibration: 1)
                logo.append((kind, gpu, ErrorSummary(mine.filter { $0.gpu == gpu }.map { error(model, $0) })))
            }
        }
        // 3. PPipe, leave one model out: operator fits use no PPipe data; k is fitted on the other models.
        let operatorModel = CostModel(fits: try CostModel.fitOperators(operators, catalog: catalog), calibration: 1)
        var blockErrors: [(gpu: String, error: Double)] = []
        var modelErrors: [(gpu: String, error: Double)] = []
        var oneKBlockErrors: [Double] = [], oneKModelErrors: [Double] = []
        var folds: [(String, Double)] = []
        for held in calibration {
            let others = calibration.filter { $0.table.model != held.table.model }
            let training = observations(operatorModel, others)
            let k = Self.calibrationFactor(training)
            folds.append((held.table.model, k))
            let obs = observations(operatorModel, [held])
            for gpu in Array(Set(obs.map(\.gpu))).sorted() {
                let own = training.filter { $0.gpu == gpu }
                let kGPU = own.isEmpty ? k : Self.calibrationFactor(own)
                for o in obs where o.gpu == gpu {
                    blockErrors.append((gpu, abs(kGPU * o.predicted - o.measured) / o.measured))
                    oneKBlockErrors.append(abs(k * o.predicted - o.measured) / o.measured)
                }
                for batch in Array(Set(obs.map(\.batch))).sorted() {
                    let whole = obs.filter { $0.gpu == gpu && $0.batch == batch }
                    let p = whole.reduce(0) { $0 + $1.predicted }, m = whole.reduce(0) { $0 + $1.measured }
                    modelErrors.append((gpu, abs(kGPU * p - m) / m))
                    oneKModelErrors.append(abs(k * p - m) / m)
                }
            }
        }
        let gpus = Array(Set(blockErrors.map(\.gpu))).sorted()
        return Report(
            operatorHoldout: holdout, convolutionHoldoutWithoutIntercept: withoutIntercept, leaveOneGPUOut: logo,
            blocks: ErrorSummary(blockErrors.map(\.error)), wholeModels: ErrorSummary(modelErrors.map(\.error)),
            blocksByGPU: gpus.map { g in (g, ErrorSummary(blockErrors.filter { $0.gpu == g }.map(\.error)),
                                          ErrorSummary(modelErrors.filter { $0.gpu == g }.map(\.error))) },
            oneKBlocks: ErrorSummary(oneKBlockErrors), oneKWholeModels: ErrorSummary(oneKModelErrors),
            foldCalibrations: folds,
            against: "PPipe TensorRT TF32 block timings, batch 1-8, of " + calibration.map(\.table.model).joined(separator: ", ")
                + " on " + gpus.joined(separator: ", ") + ", each model predicted with the GPU type's k fitted on the others",
            againstOneK: "PPipe TensorRT TF32 block timings, batch 1-8, of " + calibration.map(\.table.model).joined(separator: ", ")
                + " on " + gpus.joined(separator: ", ") + ", each model predicted with one k for every GPU type fitted on the others "
                + "(what a GPU type without TensorRT measurements gets)")
    }
}

extension CostModelFitter.Report {
    /// The report as JSON, for costmodel.json.
    public var json: JSONOutput {
        func e(_ s: ErrorSummary) -> JSONOutput {
            .object([("median", .double(r(s.median))), ("p90", .double(r(s.p90))), ("n", .int(s.count))])
        }
        func r(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
        return .object([
            ("operator_holdout_20pct", .object(operatorHoldout.map { ($0.kind, e($0.error)) })),
            ("conv_holdout_20pct_without_intercept", e(convolutionHoldoutWithoutIntercept)),
            ("operator_leave_one_gpu_out", .array(leaveOneGPUOut.map { .object([("kind", .string($0.kind)), ("gpu", .string($0.gpu)), ("error", e($0.error))]) })),
            ("ppipe_blocks", e(blocks)),
            ("ppipe_whole_models", e(wholeModels)),
            ("ppipe_by_gpu", .array(blocksByGPU.map { .object([("gpu", .string($0.gpu)), ("blocks", e($0.blocks)), ("whole_models", e($0.wholeModels))]) })),
            ("ppipe_with_one_k", .object([("blocks", e(oneKBlocks)), ("whole_models", e(oneKWholeModels))])),
            ("calibration_by_fold", .array(foldCalibrations.map { .object([("held_out", .string($0.heldOut)), ("k", .double((($0.k) * 1e4).rounded() / 1e4))]) })),
            ("against", .string(against)),
            ("against_one_k", .string(againstOneK)),
        ])
    }

    /// The report as text, for `arsim profiles validate`.
    public var text: String {
        func pct(_ x: Double) -> String { String(format: "%5.1f %%", x * 100) }
        var lines: [String] = []
        lines.append("Operator model (NeuSight measured conv2d / linear, FP32)")
        for (kind, err) in operatorHoldout {
            lines.append("  \(kind.padding(toLength: 5, withPad: " ", startingAt: 0)) random 20 % held out: median \(pct(err.median)), p90 \(pct(err.p90))  (n = \(err.count))")
            if kind == "conv" {
                let w = convolutionHoldoutWithoutIntercept
                lines.append("        the same without the fit's intercept, as layers are priced: median \(pct(w.median)), p90 \(pct(w.p90))")
            }
        }
        lines.append("  leave one GPU type out (the global fit, as a GPU without data gets it):")
        for (kind, gpu, err) in leaveOneGPUOut {
            lines.append("    \(kind.padding(toLength: 5, withPad: " ", startingAt: 0)) \(gpu.padding(toLength: 10, withPad: " ", startingAt: 0)) median \(pct(err.median)), p90 \(pct(err.p90))  (n = \(err.count))")
        }
        lines.append("")
        lines.append("Layer model against PPipe TensorRT TF32 measurements (leave one model out; each GPU type's own k)")
        lines.append("  per block (PPipe's per-layer unit): median \(pct(blocks.median)), p90 \(pct(blocks.p90))  (n = \(blocks.count))")
        lines.append("  whole model:                        median \(pct(wholeModels.median)), p90 \(pct(wholeModels.p90))  (n = \(wholeModels.count))")
        for g in blocksByGPU {
            lines.append("    \(g.gpu.padding(toLength: 6, withPad: " ", startingAt: 0)) blocks median \(pct(g.blocks.median)), p90 \(pct(g.blocks.p90)); whole model median \(pct(g.wholeModels.median)), p90 \(pct(g.wholeModels.p90))")
        }
        lines.append("  with one k for every GPU type (what a GPU type PPipe did not measure gets):")
        lines.append("    blocks median \(pct(oneKBlocks.median)), p90 \(pct(oneKBlocks.p90)); whole model median \(pct(oneKWholeModels.median)), p90 \(pct(oneKWholeModels.p90))")
        lines.append("  that one k by held-out model: " + foldCalibrations.map { "\($0.heldOut) \(String(format: "%.3f", $0.k))" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

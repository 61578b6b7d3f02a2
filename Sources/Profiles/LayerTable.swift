import Foundation
import JSONConfig

/// A model's layers in execution order with their analytic cost at batch 1: what
/// tools/profile_model.py writes without a GPU, and what the cost model derives latencies from.
public struct LayerTable: Sendable {
    public struct Layer: Sendable {
        public var name: String
        /// conv, gemm or memory.
        public var op: String
        public var flops: Double
        /// Bytes read and written at batch 1, weights included.
        public var bytes: Double
        public var params: Double
        /// Bytes of live activations crossing a cut after this layer, per sample.
        public var outputBytes: Int
        /// A convolution with weights as the matrix product it runs, per sample (from its output
        /// shape and weights); nil for other layers, or where they do not say.
        public var gemm: GEMMShape? = nil
        /// Per sample, where the layer is a 3 × 3, stride-1, one-group convolution
        /// (`winogradShape`); nil otherwise.
        public var winograd: WinogradShape? = nil
    }

    public var model: String
    public var inputShape: [Int]
    public var inputBytes: Int
    public var layers: [Layer]
    public var file: String
    /// Where the model's architecture comes from, where the table says (`provenance.architecture`).
    public var architecture: String? = nil

    static let keys = ["arsim_layer_table", "model", "precision", "input_shape", "input_bytes", "layers", "provenance"]
    static let layerKeys = ["name", "type", "op", "ops", "output_shape", "params", "flops", "bytes", "output_bytes"]

    public static func load(path: String) throws(ConfigError) -> LayerTable {
        let o = try InputFile.json(path, what: "the layer table").object(keys: keys)
        let version = try o.required("arsim_layer_table")
        if try version.int() != 1 { throw version.error("this arsim reads layer table format 1, the file is format \(try version.int())") }
        let layerNodes = try o.required("layers").array()
        if layerNodes.isEmpty { throw try o.required("layers").error("expected at least one layer") }
        // Per sample: 10^16 FLOPs or 10^12 bytes in one layer is beyond any model that runs.
        let layers = try layerNodes.map { n throws(ConfigError) -> Layer in
            let l = try n.object(keys: layerKeys)
            var layer = Layer(name: try l.required("name").string(), op: try l.required("op").choice(["conv", "gemm", "memory"]),
                              flops: Double(try l.required("flops").int(in: 0...10_000_000_000_000_000, what: " FLOPs")),
                              bytes: Double(try l.required("bytes").int(in: 0...1_000_000_000_000, what: " bytes")),
                              params: Double(try l.required("params").int(in: 0...1_000_000_000_000)),
                              outputBytes: try l.required("output_bytes").bytes())
            // The output shape is informative: one that is not a flat list of sizes (a layer with
            // several outputs) or an empty one (a scalar, or no tensor output, as
            // tools/profile_model.py writes them) leaves the layer without a matrix shape. A list of
            // sizes must be sizes, though: a zero, negative or absurd one would silently pick
            // another pricing branch.
            var dims: [Int]?
            if let shapeNode = l.optional("output_shape"), let items = try? shapeNode.array(), !items.isEmpty,
               items.allSatisfy({ if case .number = $0.value.kind { true } else { false } }) {
                dims = try items.map { d throws(ConfigError) in try d.int(in: 1...1_000_000_000) }
            }
            layer.gemm = dims.flatMap { Self.gemmShape(op: layer.op, outputShape: $0, params: layer.params, flops: layer.flops) }
            if layer.gemm != nil, let dims { layer.winograd = Self.winogradShape(outputShape: dims, params: layer.params, bytes: layer.bytes) }
            return layer
        }
        // The provenance is free-form; only its architecture, where given, is carried on.
        var architecture: String?
        if let provenance = o.optional("provenance"), let member = try provenance.map().first(where: { $0.key == "architecture" }) {
            architecture = try member.node.string()
        }
        return LayerTable(model: try o.required("model").string(),
                          inputShape: try o.required("input_shape").array().map { n throws(ConfigError) in try n.int(in: 1...1_000_000) },
                          inputBytes: try o.required("input_bytes").int(in: 1...Bounds.maxBytes, what: " bytes"), layers: layers, file: path,
                          architecture: architecture)
    }

    /// A convolution's implicit GEMM per sample: output [R, C, H, W] (R = 1, or the regions a
    /// detection head runs on) is an (R·H·W) × C matrix with K = weights / C (input channels per
    /// group · kernel area, one more with a bias). Trusted only where 2·M·N·K is within 10 % of
    /// the layer's own FLOPs, so a shape that does not describe the arithmetic (a wrong or
    /// hand-edited output_shape) falls back to FLOPs / peak. Other layers have none (the cost
    /// model times matrix multiplies by FLOPs).
    public static func gemmShape(op: String, outputShape d: [Int], params: Double, flops: Double) -> GEMMShape? {
        guard op == "conv", params > 0, flops > 0, d.count == 4 else { return nil }
        let m = Double(d[0]) * Double(d[2]) * Double(d[3]), n = Double(d[1])
        let shape = GEMMShape(m: m, n: n, k: max(params / n, 1))
        guard abs(2 * shape.m * shape.n * shape.k - flops) <= 0.1 * flops else { return nil }
        return shape
    }

    /// A convolution Winograd can run, told from what a layer table records (no kernel size,
    /// stride or groups): with an output of R regions (1, or the regions a detection head runs
    /// on) of C channels of H × W and K = weights / C (one more with a bias), a 3 × 3, stride-1,
    /// one-group convolution has K = 9 · Cin and reads between R · Cin · H · W (padded) and
    /// R · Cin · (H + 2) · (W + 2) (unpadded) input values, the input being what the layer's
    /// bytes leave after weights and output. A 1 × 1 or strided convolution reads K · H · W or
    /// more per region, a grouped or depthwise one K / 9 times its groups: neither passes, except
    /// a two-group one on a map of 4 × 4 or 5 × 5. The output must hold one whole 4 × 4 tile:
    /// smaller, a 1 × 1 convolution of a pooled vector (squeeze-and-excitation) reads the same as
    /// a 3 × 3 one. What the table cannot tell is dilation: a dilated 3 × 3 convolution, which
    /// cuDNN cannot run as Winograd, passes too (DeepLabV3's later stages and ASPP, SSD300's FC6).
    public static func winogradShape(outputShape d: [Int], params: Double, bytes: Double) -> WinogradShape? {
        guard d.count == 4, d[2] >= 4, d[3] >= 4 else { return nil }
        let r = Double(d[0]), c = Double(d[1]), h = Double(d[2]), w = Double(d[3])
        let input = bytes / 4 - params - r * c * h * w
        for k in [params / c, params / c - 1] where k >= 9 && k.rounded() == k && k.truncatingRemainder(dividingBy: 9) == 0 {
            let cin = k / 9
            if input >= r * cin * h * w && input <= r * cin * (h + 2) * (w + 2) {
                return WinogradShape(batch: r, outputHeight: h, outputWidth: w, inputChannels: cin, outputChannels: c)
            }
        }
        return nil
    }

    /// Every `*.layers.json` in a folder, by model name.
    public static func loadAll(directory: String) throws(ConfigError) -> [LayerTable] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConfigError(file: directory, position: nil, path: "", message: "expected a folder of layer tables (*.layers.json), found none there")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".layers.json") }.sorted()
        return try names.map { n throws(ConfigError) in try load(path: (directory as NSString).appendingPathComponent(n)) }
    }
}

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
    }

    public var model: String
    public var inputShape: [Int]
    public var inputBytes: Int
    public var layers: [Layer]
    public var file: String

    static let keys = ["arsim_layer_table", "model", "precision", "input_shape", "input_bytes", "layers", "provenance"]
    static let layerKeys = ["name", "type", "op", "ops", "output_shape", "params", "flops", "bytes", "output_bytes"]

    public static func load(path: String) throws(ConfigError) -> LayerTable {
        let o = try InputFile.json(path, what: "the layer table").object(keys: keys)
        let layers = try o.required("layers").array().map { n throws(ConfigError) -> Layer in
            let l = try n.object(keys: layerKeys)
            return Layer(name: try l.required("name").string(), op: try l.required("op").choice(["conv", "gemm", "memory"]),
                         flops: Double(try l.required("flops").nonNegativeInt()), bytes: Double(try l.required("bytes").nonNegativeInt()),
                         params: Double(try l.required("params").nonNegativeInt()),
                         outputBytes: try l.required("output_bytes").nonNegativeInt())
        }
        return LayerTable(model: try o.required("model").string(),
                          inputShape: try o.required("input_shape").array().map { n throws(ConfigError) in try n.positiveInt() },
                          inputBytes: try o.required("input_bytes").positiveInt(), layers: layers, file: path)
    }

    /// Every `*.layers.json` in a folder, by model name.
    public static func loadAll(directory: String) throws(ConfigError) -> [LayerTable] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".layers.json") }.sorted()
        return try names.map { n throws(ConfigError) in try load(path: (directory as NSString).appendingPathComponent(n)) }
    }
}

import Foundation
import JSONConfig

/// JALAD's in-layer compression, as reconstructed (docs/policies/jalad.md; the paper's full text
/// could not be read): the feature map after the cut is min–max normalised, quantised to c bits
/// and entropy-coded losslessly.
///
/// Its size is derived, not measured. After a ReLU a share s of the values are zero. An entropy
/// coder then needs about H(s) bits per value to say whether it is zero (H the binary entropy),
/// plus c bits for each non-zero value (an upper bound: the quantised levels taken as uniform).
/// The min and max travel as two 4-byte floats.
/// Encoding and decoding take time linear in the values, at the stated rates.
public struct FeatureCompression: Sendable, Equatable {
    /// Share of the feature map's values that are zero.
    public var sparsity: Double
    /// Accuracy lost (absolute, top-1) per bit width: only widths with a cited loss are offered.
    public var losses: [BitWidthLoss]
    public var encodeValuesPerSecond: Double
    public var decodeValuesPerSecond: Double

    /// The loss of one bit width, at every cut or only after the layers named (per (layer, c) data).
    public struct BitWidthLoss: Sendable, Equatable {
        public var bits: Int
        public var loss: Double
        public var source: String
        /// The layers after which this loss holds (profile layer names); nil: every cut.
        public var layers: [String]?

        public init(bits: Int, loss: Double, source: String, layers: [String]? = nil) {
            self.bits = bits
            self.loss = loss
            self.source = source
            self.layers = layers
        }

        public func applies(after layer: String?) -> Bool { layers == nil || layer.map { layers!.contains($0) } ?? false }
    }

    /// The loss of `bits` at a cut after `layer`: an entry naming the layer before one for every cut.
    public func loss(bits: Int, after layer: String?) -> BitWidthLoss? {
        losses.first { $0.bits == bits && $0.layers != nil && $0.applies(after: layer) }
            ?? losses.first { $0.bits == bits && $0.layers == nil }
    }

    /// The bit widths offered anywhere, widest first.
    public var widths: [Int] {
        var out: [Int] = []
        for l in losses where !out.contains(l.bits) { out.append(l.bits) }
        return out.sorted(by: >)
    }

    public init(sparsity: Double, losses: [BitWidthLoss], encodeValuesPerSecond: Double, decodeValuesPerSecond: Double) {
        self.sparsity = sparsity
        self.losses = losses
        self.encodeValuesPerSecond = encodeValuesPerSecond
        self.decodeValuesPerSecond = decodeValuesPerSecond
    }

    /// Bytes of `values` FP32 values compressed at `bits`.
    public func bytes(values: Double, bits: Int) -> Double {
        let s = min(max(sparsity, 0), 1)
        let flag = s <= 0 || s >= 1 ? 0 : -(s * log2(s) + (1 - s) * log2(1 - s))
        return (values * (flag + (1 - s) * Double(bits)) / 8).rounded(.up) + 8
    }

    public func encodeSeconds(values: Double) -> Double { values / encodeValuesPerSecond }
    public func decodeSeconds(values: Double) -> Double { values / decodeValuesPerSecond }
}

/// The model zoo's compression data (Workloads/models/compression.json): per model, the
/// sparsity after ReLU and the accuracy lost per bit width, each with its source.
public enum CompressionZoo {
    public struct Entry: Sendable, Equatable {
        public var sparsity: Double
        public var sparsitySource: String
        public var losses: [FeatureCompression.BitWidthLoss]
    }

    public static func load(path: String) throws(ConfigError) -> [String: Entry] {
        let o = try InputFile.json(path, what: "the compression zoo").object(keys: ["description", "models"])
        _ = try o.optional("description")?.string()
        var out: [String: Entry] = [:]
        for (name, node) in try o.required("models").map() {
            let m = try node.object(keys: ["sparsity", "sparsity_source", "losses"])
            let s = try m.required("sparsity").double()
            guard (0...1).contains(s) else { throw try m.required("sparsity").error("expected a share in [0, 1], got \(Suggestion.format(s))") }
            var losses: [FeatureCompression.BitWidthLoss] = []
            for item in try m.required("losses").array() {
                let l = try item.object(keys: ["bits", "loss", "source", "layers"])
                let bits = try l.required("bits").int()
                guard (1...16).contains(bits) else { throw try l.required("bits").error("expected 1 to 16 bits, got \(bits)") }
                let loss = try l.required("loss").double()
                guard (0...1).contains(loss) else { throw try l.required("loss").error("expected an accuracy loss in [0, 1]") }
                let source = try l.required("source").string()
                if source.isEmpty { throw try l.required("source").error("every loss names where it comes from") }
                let layers = try l.optional("layers").map { n throws(ConfigError) in try n.array().map { x throws(ConfigError) in try x.string() } }
                if let layers, layers.isEmpty { throw try l.required("layers").error("expected at least one layer name, or no \"layers\" for every cut") }
                losses.append(.init(bits: bits, loss: loss, source: source, layers: layers))
            }
            out[name] = Entry(sparsity: s, sparsitySource: try m.required("sparsity_source").string(), losses: losses.sorted { $0.bits > $1.bits })
        }
        return out
    }
}

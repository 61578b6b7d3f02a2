import Foundation
import JSONConfig

/// Readers for the PPipe artifact (Kong, Xu, Hu, "PPipe: Efficient Video Analytics Serving on
/// Heterogeneous GPU Clusters via Pool-Based Pipeline Parallelism", USENIX ATC 2025;
/// github.com/JonnyKong/PPipe): per-node and per-block latencies of CNNs on V100, L4, T4 and P4,
/// tensor shapes, cut sets and the block partitions. Users point arsim at their own copy.
public struct PPipeArtifact: Sendable {
    public let root: String

    public init(root: String) throws(ConfigError) {
        // Accept the artifact root or its models/ folder.
        var dir = root
        if (dir as NSString).lastPathComponent == "models" { dir = FilePath.folder(of: dir) }
        guard FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("models/block-timing-tf32")) else {
            throw ConfigError(file: root, position: nil, path: "", message: "not a PPipe artifact: no models/block-timing-tf32 folder")
        }
        self.root = dir
    }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    public struct BlockTimingFile: Sendable, Equatable {
        public var model: String
        public var gpu: String
        public var mpsLevel: Int
        public var path: String
    }

    /// models/block-timing-tf32/<model>-<GPU>-<m>.csv; model names contain dashes, so the GPU and
    /// MPS level are read from the right.
    public func blockTimingFiles() -> [BlockTimingFile] {
        let dir = path("models/block-timing-tf32")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".csv") }.sorted()
        return names.compactMap { name in
            let parts = name.dropLast(4).split(separator: "-")
            guard parts.count >= 3, let m = Int(parts.last!) else { return nil }
            return BlockTimingFile(model: parts.dropLast(2).joined(separator: "-"), gpu: String(parts[parts.count - 2]),
                                   mpsLevel: m, path: (dir as NSString).appendingPathComponent(name))
        }
    }

    /// Rows = blocks, columns = batch sizes 1...8, microseconds.
    public func blockTimings(_ file: BlockTimingFile) throws(ConfigError) -> [[Double]] {
        let t = try CSVTable(path: file.path, hasHeader: false)
        return try t.rows.map { row throws(ConfigError) in
            try (0..<row.cells.count).map { i throws(ConfigError) in try t.double(row, i) }
        }
    }

    /// Node → block index, from prepartition_mappings/<model>/contraction_mapping_*.csv.
    public func blockOfNode(model: String) throws(ConfigError) -> [(node: String, block: Int)] {
        let dir = path("prepartition_mappings/\(model)")
        guard let name = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter({ $0.hasPrefix("contraction_mapping_") }).sorted().first else {
            throw ConfigError(file: dir, position: nil, path: "", message: "no contraction_mapping_*.csv for \(model)")
        }
        let t = try CSVTable(path: (dir as NSString).appendingPathComponent(name), hasHeader: false)
        return try t.rows.map { row throws(ConfigError) in (try t.string(row, 0), try t.int(row, 1)) }
    }

    /// Bytes crossing each block boundary as the artifact records them
    /// (contraction_trans-size_*.csv; FP16 activations, as PPipe transfers them).
    public func transferSizes(model: String) throws(ConfigError) -> [Int] {
        let dir = path("prepartition_mappings/\(model)")
        guard let name = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter({ $0.hasPrefix("contraction_trans-size_") }).sorted().first else { return [] }
        let t = try CSVTable(path: (dir as NSString).appendingPathComponent(name), hasHeader: false)
        return try t.rows.map { row throws(ConfigError) in try t.int(row, 0) }
    }

    /// models/node-profile-no-const/<model>-<GPU>.csv: (node, µs) at batch 1.
    public func nodeLatencies(model: String, gpu: String) throws(ConfigError) -> [(node: String, us: Double)] {
        let t = try CSVTable(path: path("models/node-profile-no-const/\(model)-\(gpu).csv"))
        let n = try t.column("node"), l = try t.column("latency")
        return try t.rows.map { row throws(ConfigError) in (try t.string(row, n), try t.double(row, l)) }
    }

    /// For each node in order (the input first), the bytes of the tensors cut if the model is
    /// split after it, from models/cuts-no-const and models/shapes, one sample.
    public func cutBytes(model: String) throws(ConfigError) -> [(node: String, bytes: Int)] {
        let shapesFile = path("models/shapes/\(model).json")
        let cutsFile = path("models/cuts-no-const/\(model).json")
        var sizes: [String: Int] = [:]
        let shapes = try Self.read(shapesFile)
        for (name, node) in try shapes.map() {
            let o = try node.object(keys: ["dtype", "shape"])
            let dtype = try o.required("dtype").string()
            guard let width = Self.bytesPerValue(dtype) else { throw try o.required("dtype").error("unknown dtype \(dtype)") }
            let dims = try o.required("shape").array().map { n throws(ConfigError) in abs(try n.int()) }
            sizes[name] = dims.reduce(width, *)
        }
        return try Self.read(cutsFile).array().map { item throws(ConfigError) in
            let o = try item.object(keys: ["node", "cut"])
            let tensors = try o.required("cut").array().map { n throws(ConfigError) in try n.string() }
            var total = 0
            for t in tensors {
                guard let b = sizes[t] else { throw try o.required("cut").error("tensor \(t) has no shape in \(shapesFile)") }
                total += b
            }
            return (try o.required("node").string(), total)
        }
    }

    static func read(_ file: String) throws(ConfigError) -> ConfigNode {
        try InputFile.json(file, what: "the file")
    }

    /// numpy dtype strings: "<f4" → 4 bytes.
    static func bytesPerValue(_ dtype: String) -> Int? {
        guard let last = dtype.last, let width = Int(String(last)) else { return nil }
        return ["f", "i", "u", "b"].contains(where: { dtype.dropLast().hasSuffix($0) }) ? width : nil
    }

    /// The PyTorch module path an ONNX node name stands for: "/layer1/layer1.0/conv1/Conv" →
    /// "layer1.0.conv1". Scope names in torch's ONNX export are either full paths or local names.
    public static func modulePath(ofNode node: String) -> (path: String?, op: String) {
        let parts = node.split(separator: "/").map(String.init)
        guard let op = parts.last else { return (nil, "") }
        var full: String?
        for scope in parts.dropLast() {
            guard let f = full else { full = scope; continue }
            let head = scope.split(separator: ".").first.map(String.init) ?? scope
            if scope.hasPrefix(f + ".") {
                full = scope
            } else if scope.contains("."), f == head || f.hasSuffix("." + head) {
                full = f + scope.dropFirst(head.count)
            } else {
                full = f + "." + scope
            }
        }
        return (full, op)
    }
}

import Foundation
import JSONConfig

/// Published datasets turned into arsim profiles, with the citation kept in the provenance.
public enum ProfileImport {
    public enum Format: String, CaseIterable, Sendable {
        case ppipe, scission, arsim
    }

    public static let ppipeCitation = "Kong, Xu, Hu. PPipe: Efficient Video Analytics Serving on Heterogeneous GPU Clusters via Pool-Based Pipeline Parallelism. USENIX ATC 2025"
    public static let scissionCitation = "Lockhart, Harvey, Wang, Ali-Eldin, Varghese. Scission: Performance-driven and Context-aware Cloud-Edge Distribution of Deep Neural Networks. IEEE/ACM UCC 2020"

    // MARK: PPipe

    /// One profile per block-timing file: the model's 10 pre-partitioned blocks at batch sizes
    /// 1–8 on one GPU at one MPS level, with the bytes that cross each block boundary.
    public static func ppipeBlocks(_ artifact: PPipeArtifact, models: Set<String>? = nil) throws(ConfigError) -> [Profile] {
        var profiles: [Profile] = []
        var cache: [String: (blocks: [(first: String, last: String)], out: [Int], input: Int)] = [:]
        for file in artifact.blockTimingFiles() where models?.contains(file.model) ?? true {
            if cache[file.model] == nil { cache[file.model] = try blockStructure(artifact, model: file.model) }
            let structure = cache[file.model]!
            let rows = try artifact.blockTimings(file)
            guard rows.count == structure.blocks.count else {
                throw ConfigError(file: file.path, position: nil, path: "",
                                  message: "\(rows.count) blocks timed but the partition has \(structure.blocks.count)")
            }
            let batchSizes = Array(1...(rows.first?.count ?? 1))
            let layers = rows.enumerated().map { k, row in
                ProfileLayer(name: "block\(k)", outputBytes: structure.out[k], contains: [structure.blocks[k].first, structure.blocks[k].last],
                             meanUs: row)
            }
            let relative = "models/block-timing-tf32/" + (file.path as NSString).lastPathComponent
            profiles.append(Profile(
                model: file.model, gpu: file.gpu, precision: "tf32", mpsShare: 1 / Double(file.mpsLevel), granularity: "block",
                inputBytes: structure.input, batchSizes: batchSizes, layers: layers,
                provenance: .measured(.init(
                    device: "NVIDIA \(file.gpu) (exact model not recorded in the artifact)", precision: "tf32",
                    mpsShare: 1 / Double(file.mpsLevel),
                    method: "TensorRT engine per block (ONNX export, TF32), latency per batch size as recorded in the PPipe artifact; "
                        + "MPS level \(file.mpsLevel) (the GPU split into \(file.mpsLevel) equal shares)",
                    source: "JonnyKong/PPipe \(relative)", citation: ppipeCitation)),
                notes: "Block output bytes are FP32 activations from models/shapes and models/cuts-no-const; the artifact's own "
                    + "contraction_trans-size files record the FP16 sizes PPipe transfers (half these)."))
        }
        return profiles
    }

    static func blockStructure(_ artifact: PPipeArtifact, model: String) throws(ConfigError)
        -> (blocks: [(first: String, last: String)], out: [Int], input: Int) {
        let mapping = try artifact.blockOfNode(model: model)
        let cuts = try artifact.cutBytes(model: model)
        var cutAfter: [String: Int] = [:]
        for c in cuts { cutAfter[c.node] = c.bytes }
        let blockCount = (mapping.map(\.block).max() ?? -1) + 1
        var blocks: [(String, String)] = []
        var out: [Int] = []
        for k in 0..<blockCount {
            let nodes = mapping.filter { $0.block == k }.map(\.node)
            guard let first = nodes.first, let last = nodes.last else {
                throw ConfigError(file: artifact.root, position: nil, path: "", message: "block \(k) of \(model) has no nodes")
            }
            blocks.append((first, last))
            out.append(k == blockCount - 1 ? (cuts.last(where: { $0.node != "$output$" }).map { cutAfter[$0.node] ?? 0 } ?? 0)
                                           : (cutAfter[last] ?? 0))
        }
        return (blocks, out, cutAfter["$input$"] ?? 0)
    }

    /// One profile per node-profile file: every ONNX node at batch 1. PPipe profiled nodes one at
    /// a time, so their sum is 2–4 times the block timings; use them for the relative weight of
    /// layers, the block profiles for absolute latency.
    public static func ppipeNodes(_ artifact: PPipeArtifact, models: Set<String>? = nil) throws(ConfigError) -> [Profile] {
        var profiles: [Profile] = []
        let pairs = Array(Set(artifact.blockTimingFiles().map { "\($0.model)\t\($0.gpu)" })).sorted()
        for pair in pairs {
            let parts = pair.split(separator: "\t").map(String.init)
            let (model, gpu) = (parts[0], parts[1])
            guard models?.contains(model) ?? true else { continue }
            let nodes = try artifact.nodeLatencies(model: model, gpu: gpu)
            let cuts = try artifact.cutBytes(model: model)
            var cutAfter: [String: Int] = [:]
            for c in cuts { cutAfter[c.node] = c.bytes }
            let layers = nodes.map { ProfileLayer(name: $0.node, outputBytes: cutAfter[$0.node] ?? 0, meanUs: [$0.us]) }
            profiles.append(Profile(
                model: model, gpu: gpu, precision: "tf32", granularity: "node", inputBytes: cutAfter["$input$"] ?? 0,
                batchSizes: [1], layers: layers,
                provenance: .measured(.init(
                    device: "NVIDIA \(gpu) (exact model not recorded in the artifact)", precision: "tf32",
                    method: "per-node latency at batch 1 as recorded in the PPipe artifact (each ONNX node profiled on its own; "
                        + "the nodes sum to 2-4x the TensorRT block timings)",
                    source: "JonnyKong/PPipe models/node-profile-no-const/\(model)-\(gpu).csv", citation: ppipeCitation))))
        }
        return profiles
    }

    // MARK: Scission

    /// One profile per (host, model) of Scission's per-block benchmark: batch 1, latency and
    /// output size of every block (the .npy size less its 128-byte header).
    public static func scission(path: String) throws(ConfigError) -> [Profile] {
        var file = path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            file = (path as NSString).appendingPathComponent("scission_blocks.csv")
        }
        let t = try CSVTable(path: file)
        let c = (host: try t.column("source_file"), model: try t.column("model"), block: try t.column("block_index"),
                 input: try t.column("input_layer"), output: try t.column("output_layer"), ms: try t.column("latency_ms"),
                 bytes: try t.column("output_bytes_npy"))
        var order: [String] = []
        var grouped: [String: [(line: Int, cells: [String])]] = [:]
        for row in t.rows {
            let key = try t.string(row, c.host) + "\t" + t.string(row, c.model)
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(row)
        }
        var profiles: [Profile] = []
        for key in order {
            let parts = key.split(separator: "\t").map(String.init)
            var layers: [ProfileLayer] = []
            for row in grouped[key]! {
                let index = try t.int(row, c.block)
                guard index == layers.count else { throw t.error(line: row.line, "block \(index) out of order (expected \(layers.count))") }
                let npy = try t.int(row, c.bytes)
                layers.append(ProfileLayer(name: "block\(index)", outputBytes: max(npy - 128, 0),
                                           contains: ["layer \(try t.int(row, c.input))", "layer \(try t.int(row, c.output))"],
                                           meanUs: [try t.double(row, c.ms) * 1000]))
            }
            let host = parts[0]
            profiles.append(Profile(
                model: parts[1], gpu: scissionHostName(host), precision: "fp32", granularity: "block", inputBytes: nil,
                batchSizes: [1], layers: layers,
                provenance: .measured(.init(
                    device: "\(host) (host label in the Scission data)", framework: "TensorFlow 2.1 (Keras)", precision: "fp32",
                    method: "Scission's per-block benchmark at batch 1 (blocks are the smallest units the model can be split between)",
                    source: "qub-blesson/Scission scission_blocks.csv", citation: scissionCitation))))
        }
        return profiles
    }

    /// "cloud-6700k(GPU)" → "cloud-6700k-GPU": a GPU name that is also a folder name.
    public static func scissionHostName(_ host: String) -> String {
        host.replacingOccurrences(of: "(", with: "-").replacingOccurrences(of: ")", with: "")
    }

    // MARK: arsim

    /// Profiles already in arsim's format (a file or a folder of them), checked.
    public static func arsim(path: String) throws(ConfigError) -> [Profile] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ConfigError(file: path, position: nil, path: "", message: "no such file or folder")
        }
        if !isDir.boolValue { return [try ProfileFile.load(path: path)] }
        let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { f throws(ConfigError) in try ProfileFile.load(path: (path as NSString).appendingPathComponent(f)) }
    }
}

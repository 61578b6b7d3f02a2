import Foundation
import JSONConfig

/// Reading and writing the profile format (docs/profiles.md). A malformed file is a `ConfigError`
/// naming file:line:column, the JSON path and what is wrong.
public enum ProfileFile {
    public static let formatVersion = 1

    static let rootKeys = ["arsim_profile", "model", "gpu", "precision", "mps_share", "granularity", "input_bytes",
                           "weight_bytes", "batch_sizes", "end_to_end_us", "layers", "provenance", "notes"]
    static let layerKeys = ["name", "op", "output_bytes", "flops", "contains", "mean_us", "p50_us", "p99_us", "std_us", "samples"]
    static let measuredKeys = ["kind", "device", "driver", "cuda", "cudnn", "tensorrt", "framework", "precision", "date",
                               "warmup", "repetitions", "mps_share", "method", "source", "citation"]
    static let derivedKeys = ["kind", "from", "method", "error"]
    static let errorKeys = ["per_layer_median", "per_layer_p90", "whole_model_median", "whole_model_p90", "against"]

    public static func load(path: String) throws(ConfigError) -> Profile {
        try parse(InputFile.text(path, what: "the profile"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Profile {
        let root = try ConfigNode.parse(text, file: file)
        let o = try root.object(keys: rootKeys)
        let versionNode = try o.required("arsim_profile")
        let version = try versionNode.int()
        guard version == formatVersion else {
            throw versionNode.error("this arsim reads profile format \(formatVersion), the file is format \(version)")
        }
        let batchNode = try o.required("batch_sizes")
        let batchSizes = try batchNode.array().map { n throws(ConfigError) in try n.int(in: 1...65_536) }
        if batchSizes.isEmpty { throw batchNode.error("expected at least one batch size") }
        for i in 1..<max(batchSizes.count, 1) where batchSizes[i] <= batchSizes[i - 1] {
            throw batchNode.error("batch sizes must be strictly increasing, got \(batchSizes)")
        }
        let n = batchSizes.count
        let layerNodes = try o.required("layers").array()
        if layerNodes.isEmpty { throw try o.required("layers").error("expected at least one layer") }
        let layers = try layerNodes.map { node throws(ConfigError) in try layer(node, count: n) }
        let mps = try o.optional("mps_share")?.positiveDouble() ?? 1
        if mps > 1 { throw try o.required("mps_share").error("must be at most 1 (the whole GPU), got \(mps)") }
        var endToEnd: [Double]?
        if let e = o.optional("end_to_end_us") { endToEnd = try series(e, count: n) }
        return Profile(
            model: try name(o.required("model")), gpu: try name(o.required("gpu")),
            precision: try name(o.required("precision")), mpsShare: mps,
            granularity: try o.optional("granularity")?.choice(["layer", "block", "node"]) ?? "layer",
            inputBytes: try o.optional("input_bytes")?.bytes(),
            weightBytes: try o.optional("weight_bytes")?.bytes(),
            batchSizes: batchSizes, layers: layers, endToEndUs: endToEnd,
            provenance: try provenance(o.required("provenance")),
            notes: try o.optional("notes")?.string())
    }

    static func name(_ node: ConfigNode) throws(ConfigError) -> String {
        let s = try node.string()
        if s.isEmpty { throw node.error("must not be empty") }
        return s
    }

    static func layer(_ node: ConfigNode, count: Int) throws(ConfigError) -> ProfileLayer {
        let o = try node.object(keys: layerKeys)
        var layer = ProfileLayer(
            name: try name(o.required("name")), op: try o.optional("op")?.string(),
            outputBytes: try o.required("output_bytes").bytes(),
            flops: try o.optional("flops")?.nonNegativeInt(),
            contains: try o.optional("contains")?.array().map { n throws(ConfigError) in try n.string() },
            meanUs: try series(o.required("mean_us"), count: count))
        layer.p50Us = try o.optional("p50_us").map { n throws(ConfigError) in try series(n, count: count) }
        layer.p99Us = try o.optional("p99_us").map { n throws(ConfigError) in try series(n, count: count) }
        layer.stdUs = try o.optional("std_us").map { n throws(ConfigError) in try series(n, count: count) }
        if let s = o.optional("samples") {
            let values = try s.array().map { n throws(ConfigError) in try n.positiveInt() }
            if values.count != count { throw s.error("expected \(count) values, one per batch size, got \(values.count)") }
            layer.samples = values
        }
        return layer
    }

    /// One number of microseconds per profiled batch size, from 0 to 10^9 (1,000 s: no layer
    /// takes longer, and sums over thousands of layers still fit in nanoseconds).
    static func series(_ node: ConfigNode, count: Int) throws(ConfigError) -> [Double] {
        let items = try node.array()
        if items.count != count { throw node.error("expected \(count) values, one per batch size, got \(items.count)") }
        return try items.map { n throws(ConfigError) in try n.double(in: 0...1e9, what: " µs") }
    }

    static func provenance(_ node: ConfigNode) throws(ConfigError) -> Provenance {
        guard let kindNode = node.peek("kind") else { _ = try node.object(keys: ["kind"]); throw node.error("missing required key \"kind\" (measured or derived)") }
        switch try kindNode.choice(["measured", "derived"]) {
        case "measured":
            let o = try node.object(keys: measuredKeys)
            // Every field must be present, null where the source did not record it, so that a
            // missing driver version is a stated fact and not an omission.
            for key in measuredKeys where !o.has(key) {
                throw node.error("missing key \"\(key)\"; a measured profile records it, as null if the source did not")
            }
            return .measured(.init(
                device: try name(o.required("device")), driver: try o.optional("driver")?.string(),
                cuda: try o.optional("cuda")?.string(), cudnn: try o.optional("cudnn")?.string(),
                tensorrt: try o.optional("tensorrt")?.string(), framework: try o.optional("framework")?.string(),
                precision: try name(o.required("precision")), date: try o.optional("date")?.string(),
                warmup: try o.optional("warmup")?.nonNegativeInt(), repetitions: try o.optional("repetitions")?.positiveInt(),
                mpsShare: try o.optional("mps_share")?.positiveDouble(), method: try name(o.required("method")),
                source: try name(o.required("source")), citation: try o.optional("citation")?.string()))
        default:
            let o = try node.object(keys: derivedKeys)
            let from = try o.required("from").array().map { n throws(ConfigError) in try n.string() }
            if from.isEmpty { throw try o.required("from").error("a derived profile names the measurements it comes from") }
            // A derivation without its measured error would read as exact: the error is required.
            guard let e = o.optional("error") else {
                throw o.error("missing required key \"error\": a derived profile states its measured error (per_layer_median, per_layer_p90, "
                              + "whole_model_median, whole_model_p90, against)")
            }
            let eo = try e.object(keys: errorKeys)
            let error = Provenance.DerivationError(perLayerMedian: try eo.required("per_layer_median").nonNegativeDouble(),
                                                   perLayerP90: try eo.required("per_layer_p90").nonNegativeDouble(),
                                                   wholeModelMedian: try eo.required("whole_model_median").nonNegativeDouble(),
                                                   wholeModelP90: try eo.required("whole_model_p90").nonNegativeDouble(),
                                                   against: try name(eo.required("against")))
            return .derived(.init(from: from, method: try name(o.required("method")), error: error))
        }
    }

    // MARK: Writing

    public static func json(_ p: Profile) -> JSONOutput {
        var root: [(String, JSONOutput)] = [
            ("arsim_profile", .int(formatVersion)), ("model", .string(p.model)), ("gpu", .string(p.gpu)),
            ("precision", .string(p.precision)), ("mps_share", .double(p.mpsShare)), ("granularity", .string(p.granularity)),
        ]
        if let i = p.inputBytes { root.append(("input_bytes", .int(i))) }
        if let w = p.weightBytes { root.append(("weight_bytes", .int(w))) }
        root.append(("batch_sizes", .integers(p.batchSizes)))
        if let e = p.endToEndUs { root.append(("end_to_end_us", .numbers(e.map(round3)))) }
        if let notes = p.notes { root.append(("notes", .string(notes))) }
        root.append(("provenance", provenanceJSON(p.provenance)))
        root.append(("layers", .array(p.layers.map(layerJSON))))
        return .object(root)
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    static func layerJSON(_ l: ProfileLayer) -> JSONOutput {
        var m: [(String, JSONOutput)] = [("name", .string(l.name))]
        if let op = l.op { m.append(("op", .string(op))) }
        m.append(("output_bytes", .int(l.outputBytes)))
        if let f = l.flops { m.append(("flops", .int(f))) }
        if let c = l.contains { m.append(("contains", .array(c.map { .string($0) }))) }
        m.append(("mean_us", .numbers(l.meanUs.map(round3))))
        if let v = l.p50Us { m.append(("p50_us", .numbers(v.map(round3)))) }
        if let v = l.p99Us { m.append(("p99_us", .numbers(v.map(round3)))) }
        if let v = l.stdUs { m.append(("std_us", .numbers(v.map(round3)))) }
        if let v = l.samples { m.append(("samples", .integers(v))) }
        return .object(m)
    }

    static func provenanceJSON(_ p: Provenance) -> JSONOutput {
        switch p {
        case .measured(let m):
            return .object([
                ("kind", .string("measured")), ("device", .string(m.device)), ("driver", .optional(m.driver)),
                ("cuda", .optional(m.cuda)), ("cudnn", .optional(m.cudnn)), ("tensorrt", .optional(m.tensorrt)),
                ("framework", .optional(m.framework)), ("precision", .string(m.precision)), ("date", .optional(m.date)),
                ("warmup", .optional(m.warmup)), ("repetitions", .optional(m.repetitions)),
                ("mps_share", .optional(m.mpsShare)), ("method", .string(m.method)), ("source", .string(m.source)),
                ("citation", .optional(m.citation)),
            ])
        case .derived(let d):
            var members: [(String, JSONOutput)] = [
                ("kind", .string("derived")), ("from", .array(d.from.map { .string($0) })), ("method", .string(d.method)),
            ]
            if let e = d.error {
                members.append(("error", .object([
                    ("per_layer_median", .double(round3(e.perLayerMedian))), ("per_layer_p90", .double(round3(e.perLayerP90))),
                    ("whole_model_median", .double(round3(e.wholeModelMedian))), ("whole_model_p90", .double(round3(e.wholeModelP90))),
                    ("against", .string(e.against)),
                ])))
            }
            return .object(members)
        }
    }

    /// The conventional file name: <model>.<precision>[.mps<m>].json inside a folder named after the GPU.
    public static func fileName(_ p: Profile) -> String {
        let mps = p.mpsLevel > 1 ? ".mps\(p.mpsLevel)" : ""
        return "\(safe(p.model)).\(safe(p.precision))\(mps).json"
    }

    public static func directoryName(gpu: String) -> String { safe(gpu) }

    /// Letters, digits, '-', '_' and '.' stay; anything else becomes '_', and a name of dots
    /// only (".", "..": a folder above) becomes underscores.
    static func safe(_ s: String) -> String {
        let kept = String(s.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return kept.allSatisfy { $0 == "." } ? String(repeating: "_", count: max(kept.count, 1)) : kept
    }

    /// Writes `profile` under `directory`/<GPU>/<file name>; returns the path.
    @discardableResult
    public static func write(_ profile: Profile, under directory: String) throws -> String {
        let folder = (directory as NSString).appendingPathComponent(directoryName(gpu: profile.gpu))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(fileName(profile))
        try json(profile).text().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

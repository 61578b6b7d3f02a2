import Foundation
import JSONConfig

/// A GPU type's specifications: what the cost model normalises by.
public struct GPUSpec: Sendable, Equatable {
    public var name: String
    /// Device names other sources use for it ("Tesla T4").
    public var devices: [String]
    public var fp32FLOPS: Double
    public var memoryBandwidth: Double
    public var memoryBytes: Double
    public var sms: Int
    /// Price of one GPU for one hour, where the catalogue gives one.
    public var costPerHour: Double?
    public var costSource: String?
    /// Where the specifications come from.
    public var source: String
}

/// Workloads/gpus.json: the GPU types arsim knows, with the source of every figure.
public struct GPUCatalog: Sendable {
    public var gpus: [GPUSpec]

    public static let keys = ["arsim_gpus", "notes", "gpus"]
    static let gpuKeys = ["name", "devices", "fp32_tflops", "memory_bandwidth_gbs", "memory_gb", "sms", "cost_per_hour_usd", "source", "cost_source"]

    public init(gpus: [GPUSpec]) { self.gpus = gpus }

    public static func load(path: String) throws(ConfigError) -> GPUCatalog {
        let o = try InputFile.json(path, what: "the GPU catalogue").object(keys: keys)
        let gpus = try o.required("gpus").array().map { n throws(ConfigError) -> GPUSpec in
            let g = try n.object(keys: gpuKeys)
            return GPUSpec(name: try g.required("name").string(),
                           devices: try g.required("devices").array().map { d throws(ConfigError) in try d.string() },
                           fp32FLOPS: try g.required("fp32_tflops").positiveDouble() * 1e12,
                           memoryBandwidth: try g.required("memory_bandwidth_gbs").positiveDouble() * 1e9,
                           memoryBytes: try g.required("memory_gb").positiveDouble() * 1e9,
                           sms: try g.required("sms").positiveInt(),
                           costPerHour: try g.optional("cost_per_hour_usd")?.nonNegativeDouble(),
                           costSource: try g.optional("cost_source")?.string(),
                           source: try g.required("source").string())
        }
        return GPUCatalog(gpus: gpus)
    }

    /// The catalogue next to the bundled profiles (Workloads/gpus.json).
    public static func bundled() throws(ConfigError) -> GPUCatalog {
        guard let path = ProfileLibrary.bundledWorkloadsFile("gpus.json") else {
            throw ConfigError(file: "Workloads/gpus.json", position: nil, path: "", message: "cannot find the arsim checkout's Workloads folder")
        }
        return try load(path: path)
    }

    public func gpu(named name: String) -> GPUSpec? { gpus.first { $0.name == name } }

    /// The GPU type a device name from a dataset stands for.
    public func gpu(device: String) -> GPUSpec? { gpus.first { $0.devices.contains(device) || $0.name == device } }
}

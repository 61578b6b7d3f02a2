import EdgeWorld
import JSONConfig
import SimKernel

/// What a policy's factory may look at when it is configured for one server.
public struct ServerPolicyContext: Sendable {
    /// The model catalogue, indexed as the world indexes it.
    public let models: [ModelSpec]
    /// This server's latency table of each model (nil for models it does not serve).
    public let tables: [LatencyTable?]
    /// The models that clients send to this server.
    public let modelsServed: [Int]

    public init(models: [ModelSpec], tables: [LatencyTable?], modelsServed: [Int]) {
        self.models = models
        self.tables = tables
        self.modelsServed = modelsServed
    }

    /// Fails, naming the model and its table, if a model served lacks a latency for `size`.
    public func requireBatchSize(_ size: Int, at node: ConfigNode) throws(ConfigError) {
        for m in modelsServed {
            guard let table = tables[m], table.latency(batchSize: size) == nil else { continue }
            let sizes = Self.describe(table.batchSizes)
            throw node.error("batch size \(size) is not in the latency table of model \"\(models[m].name)\" (it has \(sizes))")
        }
    }

    /// "1, 2, 4" or, for a run of consecutive sizes, "1 to 64".
    public static func describe(_ sizes: [Int]) -> String {
        if sizes.count > 3, sizes.last! - sizes.first! == sizes.count - 1 { return "\(sizes.first!) to \(sizes.last!)" }
        return sizes.map(String.init).joined(separator: ", ")
    }
}

/// A server policy that a scenario can name: its parameters, its help, and how to build it.
public struct ServerPolicyEntry: Sendable {
    public let name: String
    public let summary: String
    /// Parameter keys besides "name", with a one-line description each.
    public let parameters: [(key: String, help: String)]
    public let make: @Sendable (ConfigObject, ServerPolicyContext) throws(ConfigError) -> any ServerPolicy
}

/// The server policies arsim knows, by the name a scenario uses. Adding a policy means adding
/// its file and one entry here.
public enum ServerPolicies {
    public static let all: [ServerPolicyEntry] = [
        ServerPolicyEntry(
            name: "fifo",
            summary: "first come, first served; one request per batch (batching off)",
            parameters: [],
            make: { object, context throws(ConfigError) in
                try context.requireBatchSize(1, at: object.node)
                return FIFOPolicy()
            }),
        ServerPolicyEntry(
            name: "fixed_batch",
            summary: "batches of exactly batch_size requests of one model; a GPU waits until that many are queued",
            parameters: [("batch_size", "requests per batch (the model's latency table must have it)")],
            make: { object, context throws(ConfigError) in
                let node = try object.required("batch_size")
                let size = try node.positiveInt()
                try context.requireBatchSize(size, at: node)
                return FixedBatchPolicy(batchSize: size)
            }),
        ServerPolicyEntry(
            name: "dynamic_batch",
            summary: "Triton-style dynamic batching: run at max_batch, or when the oldest request has waited max_queue_delay_ms",
            parameters: [("max_batch", "largest batch (must be in the latency table, as must 1)"),
                         ("max_queue_delay_ms", "longest a request waits for a batch to fill")],
            make: { object, context throws(ConfigError) in
                let maxNode = try object.required("max_batch")
                let maxBatch = try maxNode.positiveInt()
                try context.requireBatchSize(maxBatch, at: maxNode)
                try context.requireBatchSize(1, at: maxNode)
                let delay = try object.required("max_queue_delay_ms").nonNegativeDouble()
                return DynamicBatchPolicy(maxBatch: maxBatch, maxQueueDelay: Time.milliseconds(delay), tables: context.tables)
            }),
    ]

    public static var names: [String] { all.map(\.name) }

    /// Builds the policy a scenario names, either as a bare string ("fifo") or as an object
    /// {"name": "fixed_batch", "batch_size": 4} whose other keys are that policy's parameters.
    public static func make(from node: ConfigNode, context: ServerPolicyContext) throws(ConfigError) -> any ServerPolicy {
        let nameNode: ConfigNode
        if case .string = node.value.kind {
            nameNode = node
        } else {
            guard case .object = node.value.kind else {
                throw node.error("expected a policy name or an object with a \"name\", got \(node.value.typeDescription)")
            }
            guard let n = node.peek("name") else {
                throw node.error("missing required key \"name\" (one of \(names.joined(separator: ", ")))")
            }
            nameNode = n
        }
        let name = try nameNode.string()
        guard let entry = all.first(where: { $0.name == name }) else {
            throw nameNode.error(Suggestion.unknownName(name, kind: "server policy", valid: names))
        }
        let parameters = nameNode.path == node.path
            ? node.emptyObject()
            : try node.object(keys: ["name"] + entry.parameters.map(\.key))
        return try entry.make(parameters, context)
    }
}

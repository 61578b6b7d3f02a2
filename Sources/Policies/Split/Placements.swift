import EdgeWorld

/// The whole model in the cloud.
public struct WholeModelInCloud: SplitPolicy {
    public let cloud: Int
    public init(cloud: Int) { self.cloud = cloud }
    public func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.site(self.cloud))]) }
}

/// The whole model on the client's device.
public struct WholeModelOnDevice: SplitPolicy {
    public init() {}
    public func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.device)]) }
}

/// Layers [0, k) on the device, the rest at the serving edge site or in the cloud
/// (Neurosurgeon, Kang et al., ASPLOS 2017, with a fixed split point).
public struct SplitAtLayer: SplitPolicy {
    public let layer: Int
    public let layerCount: Int
    /// The cloud site, or nil for the serving edge site.
    public let cloud: Int?

    public init(layer: Int, layerCount: Int, cloud: Int?) {
        precondition(layer > 0 && layer < layerCount)
        self.layer = layer
        self.layerCount = layerCount
        self.cloud = cloud
    }

    public func route(servingSite: Int, cloud _: Int?) -> Route {
        Route([Stage(.device, layers: 0..<layer), Stage(.site(cloud ?? servingSite), layers: layer..<layerCount)])
    }
}

/// Contiguous layer ranges on given servers, one after another: a pipeline across GPUs whose
/// activations cross the servers' interconnect or NICs.
public struct PipelineStages: SplitPolicy {
    /// One stage as a scenario writes it: {"server": "edge-a", "layers": [0, 40]}.
    static let stageKeys = ["server", "layers"]
    static let stageSchema = #"{"type": "object", "additionalProperties": false, "required": ["server", "layers"], "properties": {"server": {"type": "string"}, "layers": {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}}}"#
    public let stages: [Stage]

    public init(stages: [(server: Int, layers: Range<Int>)]) {
        self.stages = stages.map { Stage(.server($0.server), layers: $0.layers) }
    }

    public func route(servingSite: Int, cloud: Int?) -> Route { Route(stages) }
}

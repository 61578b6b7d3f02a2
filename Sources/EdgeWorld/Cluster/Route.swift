/// Where one stage of a request runs.
public enum Placement: Sendable, Equatable, Hashable {
    /// On the client's own device.
    case device
    /// At a site, on a server its front end picks.
    case site(Int)
    /// On a given server (a pipeline stage, or a client that names its server).
    case server(Int)
}

/// A contiguous range of a model's layers and where it runs. A nil range is the whole model.
public struct Stage: Sendable, Equatable, Hashable {
    public var placement: Placement
    public var layers: Range<Int>?

    public init(_ placement: Placement, layers: Range<Int>? = nil) {
        self.placement = placement
        self.layers = layers
    }
}

/// The stages a request runs through, in order; activations pass between consecutive stages over
/// the network, PCIe or NVLink. One stage is whole-model execution; two or more are a split
/// (device, edge, cloud) or a pipeline across GPUs.
public struct Route: Sendable, Equatable, Hashable {
    public var stages: [Stage]

    public init(_ stages: [Stage]) {
        precondition(!stages.isEmpty)
        self.stages = stages
    }
}

/// The split point of the four policy points: where a task's model runs, whole or cut.
public protocol SplitPolicy: Sendable {
    /// The route of a request of this task, given the site that serves the client now and the
    /// cloud site, if any.
    func route(servingSite: Int, cloud: Int?) -> Route
}

/// The whole model at the site that serves the client (the default).
public struct WholeModelAtEdge: SplitPolicy {
    public init() {}
    public func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.site(servingSite))]) }
}

/// The whole model on one named server, bypassing the front end (a client that names its server).
public struct WholeModelOnServer: SplitPolicy {
    public let server: Int
    public init(server: Int) { self.server = server }
    public func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.server(server))]) }
}

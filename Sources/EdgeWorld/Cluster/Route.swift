import SimKernel

/// Where one stage of a request runs.
public enum Placement: Sendable, Equatable, Hashable {
    /// On the client's own device.
    case device
    /// At a site, on a server its front end picks.
    case site(Int)
    /// On a given server (a pipeline stage, or a client that names its server).
    case server(Int)
}

/// How a stage's output goes on the wire to the next stage (compression, quantisation): its
/// size as a share of the raw activations, the time to encode it where the stage ran and to
/// decode it where the next runs, and the accuracy it costs the result (absolute, subtracted from
/// the task's server accuracy).
public struct WireFormat: Sendable, Equatable, Hashable {
    public var bytesFactor: Double
    public var encode: SimTime
    public var decode: SimTime
    public var qualityLoss: Double

    public init(bytesFactor: Double, encode: SimTime = 0, decode: SimTime = 0, qualityLoss: Double = 0) {
        self.bytesFactor = bytesFactor
        self.encode = encode
        self.decode = decode
        self.qualityLoss = qualityLoss
    }
}

/// A contiguous range of a model's layers and where it runs. A nil range is the whole model.
public struct Stage: Sendable, Equatable, Hashable {
    public var placement: Placement
    public var layers: Range<Int>?
    /// The format of this stage's output on its way to the next stage (nil: raw activations).
    public var wire: WireFormat?

    public init(_ placement: Placement, layers: Range<Int>? = nil, wire: WireFormat? = nil) {
        self.placement = placement
        self.layers = layers
        self.wire = wire
    }
}

/// The stages a request runs through, in order; activations pass between consecutive stages over
/// the network, PCIe or NVLink. One stage is whole-model execution; two or more are a split
/// (device, edge, cloud) or a pipeline across GPUs.
public struct Route: Sendable, Equatable, Hashable {
    public var stages: [Stage]

    /// A route with no stage cannot run; the world refuses one a policy gives (`World.check`).
    public init(_ stages: [Stage]) {
        self.stages = stages
    }
}

/// What a split policy knows when it is asked per request: where the client is served, the
/// frame, and the uplink bandwidth the client last observed (what the device can measure).
public struct SplitView: Sendable, Equatable {
    public let servingSite: Int
    public let cloud: Int?
    public let frame: Int64
    public let now: SimTime
    /// Bits per second of the client's last upload on its own radio link (nil before one).
    public let observedUplinkBitsPerSecond: Double?

    public init(servingSite: Int, cloud: Int?, frame: Int64, now: SimTime, observedUplinkBitsPerSecond: Double?) {
        self.servingSite = servingSite
        self.cloud = cloud
        self.frame = frame
        self.now = now
        self.observedUplinkBitsPerSecond = observedUplinkBitsPerSecond
    }
}

/// The split point of the policy points: where a task's model runs, whole or cut.
///
/// A static split answers `route(servingSite:cloud:)`, asked once per serving site. A split
/// that adapts sets `perRequest` and answers `route(for:)` for every request, keeping whatever
/// state it likes (each client has its own copy).
public protocol SplitPolicy: Sendable {
    /// The route of a request of this task, given the site that serves the client now and the
    /// cloud site, if any.
    func route(servingSite: Int, cloud: Int?) -> Route
    mutating func route(for view: SplitView) -> Route
    var perRequest: Bool { get }
}

extension SplitPolicy {
    public mutating func route(for view: SplitView) -> Route { route(servingSite: view.servingSite, cloud: view.cloud) }
    public var perRequest: Bool { false }
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

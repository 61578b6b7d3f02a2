import SimKernel

/// One direction of a network path: a serialization rate and a propagation delay.
public struct LinkSpec: Sendable, Equatable {
    public var bitsPerSecond: Double
    public var propagationDelay: SimTime

    public init(bitsPerSecond: Double, propagationDelay: SimTime) {
        precondition(bitsPerSecond > 0)
        self.bitsPerSecond = bitsPerSecond
        self.propagationDelay = propagationDelay
    }

    /// Time to put `bytes` on the wire.
    public func transmissionTime(bytes: Int) -> SimTime {
        SimTime((Double(bytes) * 8e9 / bitsPerSecond).rounded())
    }
}

/// A link in use: transfers leave in FIFO order, each waiting for the one before it to be on the
/// wire. With a constant rate the arrival time is known when the transfer starts, so a transfer
/// costs one event (its arrival) and no per-packet work.
public struct LinkState: Sendable {
    public let spec: LinkSpec
    /// When the link has finished sending everything handed to it so far.
    public private(set) var busyUntil: SimTime = 0
    public private(set) var bytesSent: Int64 = 0
    public private(set) var busyTime: SimTime = 0

    public init(spec: LinkSpec) { self.spec = spec }

    /// Hands `bytes` to the link at `now`; returns when sending starts and when the last bit
    /// reaches the far end.

    public mutating func send(bytes: Int, at now: SimTime) -> (start: SimTime, arrival: SimTime) {
        let start = max(now, busyUntil)
        let tx = spec.transmissionTime(bytes: bytes)
        busyUntil = start + tx
        bytesSent += Int64(bytes)
        busyTime += tx
        return (start, busyUntil + spec.propagationDelay)
    }
}

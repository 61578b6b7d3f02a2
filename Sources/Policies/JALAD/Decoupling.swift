import EdgeWorld
import SimKernel

/// JALAD's latency-aware decoupling, as reconstructed (docs/policies/jalad.md): the first k
/// layers run on the device, the feature map crosses compressed at c bits (or raw), and the rest
/// runs remotely. Each (k, c) is predicted from profiles and the measured uplink; the choice
/// minimises device + encode + transfer + decode + remote time, subject to accuracy loss ≤ ε.
///
/// The paper states this as an integer program. Its variables are one cut among n + 1 and one bit
/// width among a few, so `best` enumerates every pair, and the minimum it returns is exact.
/// Without compression, this is Neurosurgeon's rule (Kang et al., ASPLOS 2017).
public struct Decoupling: Sendable, Equatable {
    /// Per layer at batch 1, microseconds: on the device and where the rest runs.
    public var deviceMicros: [Double]
    public var remoteMicros: [Double]
    /// FP32 output bytes of each layer (what a raw cut after it sends).
    public var outputBytes: [Int]
    /// The encoded frame, sent when nothing runs on the device.
    public var frameBytes: Int
    /// nil: cuts send raw activations only (Neurosurgeon).
    public var compression: FeatureCompression?
    /// The bound on accuracy loss.
    public var epsilon: Double
    /// A fixed round-trip time added to every remote choice (the device cannot measure it here).
    public var rttSeconds: Double
    /// Layer names (the profile's), for compression losses given per layer.
    public var layerNames: [String] = []

    public var layers: Int { deviceMicros.count }

    public init(deviceMicros: [Double], remoteMicros: [Double], outputBytes: [Int], frameBytes: Int, compression: FeatureCompression?,
                epsilon: Double, rttSeconds: Double = 0) {
        self.deviceMicros = deviceMicros
        self.remoteMicros = remoteMicros
        self.outputBytes = outputBytes
        self.frameBytes = frameBytes
        self.compression = compression
        self.epsilon = epsilon
        self.rttSeconds = rttSeconds
    }

    /// One (cut, bits) with what it is predicted to cost.
    public struct Choice: Sendable, Equatable, Hashable {
        /// Layers [0, cut) on the device: 0 is remote only, `layers` device only.
        public var cut: Int
        /// Bit width of the compressed feature map; nil: raw (or no cut).
        public var bits: Int?
        public var seconds: Double
        public var bytes: Double
        public var loss: Double
        public var encodeSeconds: Double
        public var decodeSeconds: Double

        public func hash(into h: inout Hasher) { h.combine(cut); h.combine(bits) }
        public static func == (a: Choice, b: Choice) -> Bool { a.cut == b.cut && a.bits == b.bits }
    }

    /// The cost of `cut` at `bits` (nil: raw) over an uplink of `bitsPerSecond`; nil when it
    /// loses more accuracy than ε or names a width without a loss.
    public func predict(cut: Int, bits: Int?, bitsPerSecond: Double) -> Choice? {
        let device = deviceMicros[..<cut].reduce(0, +) / 1e6
        let remote = remoteMicros[cut...].reduce(0, +) / 1e6
        if cut == layers { return bits == nil ? Choice(cut: cut, bits: nil, seconds: device, bytes: 0, loss: 0, encodeSeconds: 0, decodeSeconds: 0) : nil }
        if cut == 0 {
            guard bits == nil else { return nil }
            return Choice(cut: 0, bits: nil, seconds: rttSeconds + Double(frameBytes) * 8 / bitsPerSecond + remote, bytes: Double(frameBytes),
                          loss: 0, encodeSeconds: 0, decodeSeconds: 0)
        }
        let raw = Double(outputBytes[cut - 1])
        var bytes = raw, loss = 0.0, encode = 0.0, decode = 0.0
        if let bits {
            let after = layerNames.indices.contains(cut - 1) ? layerNames[cut - 1] : nil
            guard let c = compression, let entry = c.loss(bits: bits, after: after) else { return nil }
            let values = raw / 4
            (bytes, loss) = (c.bytes(values: values, bits: bits), entry.loss)
            (encode, decode) = (c.encodeSeconds(values: values), c.decodeSeconds(values: values))
        }
        guard loss <= epsilon else { return nil }
        return Choice(cut: cut, bits: bits, seconds: device + encode + rttSeconds + bytes * 8 / bitsPerSecond + decode + remote,
                      bytes: bytes, loss: loss, encodeSeconds: encode, decodeSeconds: decode)
    }

    /// Every choice there is: cuts 0 … n, raw and each bit width with a loss.
    public var candidates: [(cut: Int, bits: Int?)] {
        let widths: [Int?] = [nil] + (compression?.widths ?? [])
        return (0...layers).flatMap { k in widths.map { (k, $0) } }
    }

    /// The fastest admissible choice; of equal times the earliest in `candidates` (fewer layers
    /// on the device, raw before compressed, wider before narrower).
    /// `uploading`: only choices that send something (a probe of the uplink).
    public func best(bitsPerSecond: Double, uploading: Bool = false) -> Choice {
        var best: Choice?
        for (k, c) in candidates where !(uploading && k == layers) {
            guard let p = predict(cut: k, bits: c, bitsPerSecond: bitsPerSecond) else { continue }
            if best == nil || p.seconds < best!.seconds { best = p }
        }
        // Device-only and remote-only are always admissible, so there is always a best.
        return best!
    }
}

/// A split policy that decides per request with a `Decoupling` (JALAD; Neurosurgeon without
/// compression), re-deciding when the uplink it measures drifts.
///
/// - It sees only the bandwidth its own uploads measured (`SplitView`), never the trace.
/// - It re-decides when that bandwidth moves more than `threshold` (relative) from the one it
///   last decided on.
/// - A new decision takes effect `switchDelay` later: the cost of moving the partition (the
///   old route serves meanwhile).
/// - While the choice runs on the device alone nothing is uploaded, so every `probeInterval`
///   one request takes the best choice that uploads, to measure again.
public struct AdaptiveDecoupling: SplitPolicy {
    public let decoupling: Decoupling
    /// Where the remote part runs: a site index, or nil for the serving edge site.
    public let remoteSite: Int?
    public let threshold: Double
    public let switchDelay: SimTime
    public let initialBitsPerSecond: Double
    public let probeInterval: SimTime

    var decidedOn: Double?
    var current: Decoupling.Choice?
    var pending: (choice: Decoupling.Choice, at: SimTime)?
    var lastUpload: SimTime = 0
    /// Decisions that changed the choice, for tests and docs.
    public private(set) var switches = 0

    public init(decoupling: Decoupling, remoteSite: Int?, threshold: Double, switchDelay: SimTime, initialBitsPerSecond: Double,
                probeInterval: SimTime) {
        self.decoupling = decoupling
        self.remoteSite = remoteSite
        self.threshold = threshold
        self.switchDelay = switchDelay
        self.initialBitsPerSecond = initialBitsPerSecond
        self.probeInterval = probeInterval
    }

    public var perRequest: Bool { true }

    /// The static answer (which servers must host the model): the whole model remotely.
    public func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.site(remoteSite ?? servingSite))]) }

    public mutating func route(for view: SplitView) -> Route {
        let bandwidth = view.observedUplinkBitsPerSecond ?? initialBitsPerSecond
        if let p = pending, view.now >= p.at {
            current = p.choice
            pending = nil
        }
        if decidedOn == nil || abs(bandwidth - decidedOn!) > threshold * decidedOn! {
            decidedOn = bandwidth
            let choice = decoupling.best(bitsPerSecond: bandwidth)
            if current == nil || switchDelay == 0 {
                if current != nil && current != choice { switches += 1 }
                current = choice
                pending = nil
            } else if choice != (pending?.choice ?? current!) {
                if choice == current {
                    pending = nil
                } else {
                    pending = (choice, view.now + switchDelay)
                    switches += 1
                }
            }
        }
        var chosen = current!
        if chosen.cut == decoupling.layers && probeInterval > 0 && view.now - lastUpload >= probeInterval {
            chosen = decoupling.best(bitsPerSecond: bandwidth, uploading: true)
        }
        if chosen.cut < decoupling.layers { lastUpload = view.now }
        return route(chosen, servingSite: view.servingSite)
    }

    /// The route of a choice: device part with its wire format, then the remote part.
    public func route(_ c: Decoupling.Choice, servingSite: Int) -> Route {
        let remote = Placement.site(remoteSite ?? servingSite)
        let n = decoupling.layers
        if c.cut == 0 { return Route([Stage(remote)]) }
        if c.cut == n { return Route([Stage(.device)]) }
        var wire: WireFormat?
        if c.bits != nil {
            let raw = Double(decoupling.outputBytes[c.cut - 1])
            wire = WireFormat(bytesFactor: c.bytes / raw, encode: SimTime((c.encodeSeconds * 1e9).rounded()),
                              decode: SimTime((c.decodeSeconds * 1e9).rounded()), qualityLoss: c.loss)
        }
        return Route([Stage(.device, layers: 0..<c.cut, wire: wire), Stage(remote, layers: c.cut..<n)])
    }
}

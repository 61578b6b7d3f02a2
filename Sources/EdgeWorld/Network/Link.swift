import Foundation
import SimKernel

/// One direction of a network hop: capacity (constant or a trace), propagation delay, jitter
/// and packet loss.
public struct LinkSpec: Sendable, Equatable {
    public var name: String
    /// What the link is, for the `links` table: client_up, client_down, ap_up, ap_down, wan_up,
    /// wan_down, nic_in, nic_out, interconnect.
    public var kind: String
    public var capacity: CapacityTrace
    public var propagationDelay: SimTime
    /// Each transfer is delayed by a further uniform draw from [0, jitter].
    public var jitter: SimTime
    /// Probability that a packet is lost; each loss round costs `retransmitDelay` and the resent
    /// packets' time on the link.
    public var lossRate: Double
    public var retransmitDelay: SimTime
    public var packetBytes: Int

    public init(name: String = "", kind: String = "client_up", capacity: CapacityTrace, propagationDelay: SimTime,
                jitter: SimTime = 0, lossRate: Double = 0, retransmitDelay: SimTime = 0, packetBytes: Int = 1500) {
        precondition(lossRate >= 0 && lossRate < 1)   // the reader refuses 1 and above
        self.name = name
        self.kind = kind
        self.capacity = capacity
        self.propagationDelay = propagationDelay
        self.jitter = jitter
        self.lossRate = lossRate
        self.retransmitDelay = retransmitDelay
        self.packetBytes = packetBytes
    }

    /// A constant-rate link without jitter or loss.
    public init(bitsPerSecond: Double, propagationDelay: SimTime) {
        precondition(bitsPerSecond > 0)
        self.init(capacity: .constant(bitsPerSecond: bitsPerSecond), propagationDelay: propagationDelay)
    }

    /// Mean capacity, bits per second.
    public var bitsPerSecond: Double { capacity.meanBitsPerSecond }
}

/// A link in use: what every transfer reads, 24 bytes, in one flat array indexed by link so that
/// a hop touches one cache line (a world of 10,000 clients has 20,000 radio links; the whole
/// `LinkSpec`, with its names and capacity arrays, cost several misses per hop). `simpleRate` is
/// the capacity of a link with constant capacity, no jitter and no loss, which the hop computes
/// inline; 0 sends the hop through the link's `LinkModel`.
struct LinkState: Sendable {
    /// When the link has finished sending everything handed to it so far.
    var busyUntil: SimTime = 0
    let simpleRate: Double
    let propagationDelay: SimTime

    init(spec: LinkSpec) {
        simpleRate = spec.capacity.isConstant && spec.jitter == 0 && spec.lossRate == 0 ? spec.capacity.rates[0] : 0
        propagationDelay = spec.propagationDelay
    }

    /// Hands `bytes` to the link at `now` (a link whose `simpleRate` is set): when sending starts,
    /// when the last bit leaves, and when it arrives at the far end. What `LinkModel.send` gives
    /// on a constant capacity without jitter or loss (the same `CapacityTrace.finishTime`), so
    /// results do not depend on which path a hop took.
    mutating func sendSimple(bytes: Int, at now: SimTime) -> (start: SimTime, finish: SimTime, arrival: SimTime) {
        let start = max(now, busyUntil)
        let finish = CapacityTrace.finishTime(start: start, bits: Double(bytes) * 8, bitsPerSecond: simpleRate)
        busyUntil = finish
        return (start, finish, finish + propagationDelay)
    }
}

/// The rest of a link, read only by links with a capacity trace, jitter or loss: transfers leave
/// in FIFO order; each waits until the one before it is on the wire, then takes as long as the
/// capacity trace needs to carry its bits (resent packets included); the far end has it after
/// the propagation delay, jitter and retransmission delays.
struct LinkModel: Sendable {
    let spec: LinkSpec
    var rng: RandomStream

    init(spec: LinkSpec, seed: UInt64) {
        self.spec = spec
        rng = RandomStream(seed: seed, name: "link/\(spec.name)")
    }

    /// Below this many expected transmissions a transfer's losses are drawn packet by packet.
    static let exactLossDraws = 10_000.0

    /// Rounds of loss and retransmission, packet by packet: each lost packet is sent again after
    /// a delay. Returns the packets resent and the extra rounds.
    private mutating func lossRounds(packets: Int) -> (resent: Int, rounds: Int) {
        var outstanding = packets, resent = 0, rounds = 0
        while outstanding > 0 {
            var lost = 0
            for _ in 0..<outstanding where rng.nextUnit() < spec.lossRate { lost += 1 }
            if lost == 0 { break }
            resent += lost
            rounds += 1
            outstanding = lost
        }
        return (resent, rounds)
    }

    /// The same in constant time, for transfers whose packet-by-packet draw would take long (many
    /// packets, or a loss rate near 1): the rounds are the largest of `packets` geometric counts,
    /// drawn exactly by inverting P(rounds ≤ k) = (1 − p^k)^n; the packets resent, a negative
    /// binomial of mean n·p/(1 − p) and variance n·p/(1 − p)², by its normal approximation
    /// (n here is over 10,000 / (1 − p)). The two are drawn apart, which loses their correlation.
    private mutating func lossRoundsApproximated(packets: Int) -> (resent: Int, rounds: Int) {
        let p = spec.lossRate, n = Double(packets)
        let u = rng.nextUnitOpenAtZero()
        let tail = -expm1(log(u) / n)   // 1 − u^(1/n), accurate for large n
        let transmissions = max(1, (log(tail) / log(p)).rounded(.up))
        let mean = n * p / (1 - p), sd = (n * p).squareRoot() / (1 - p)
        let z = (-2 * log(rng.nextUnitOpenAtZero())).squareRoot() * cos(2 * Double.pi * rng.nextUnit())
        let resent = min(max(0, (mean + sd * z).rounded()), 1e15)
        return (Int(resent), Int(min(transmissions - 1, 1e9)))
    }

    /// Hands `bytes` to the link at `now`: when sending starts, when the last bit leaves, and
    /// when it arrives at the far end.
    mutating func send(bytes: Int, at now: SimTime, busyUntil: inout SimTime) -> (start: SimTime, finish: SimTime, arrival: SimTime) {
        let start = max(now, busyUntil)
        var bits = Double(bytes) * 8
        var extraDelay: SimTime = 0
        if spec.lossRate > 0 && bytes > 0 {
            let packets = (bytes + spec.packetBytes - 1) / spec.packetBytes
            let (resent, rounds) = Double(packets) / (1 - spec.lossRate) <= LinkModel.exactLossDraws
                ? lossRounds(packets: packets) : lossRoundsApproximated(packets: packets)
            // Resent packets are full-size; a transfer of one short packet resends that packet.
            bits += Double(resent) * Double(min(bytes, spec.packetBytes) * 8)
            extraDelay = spec.retransmitDelay &* SimTime(rounds)
        }
        let finish = spec.capacity.finishTime(start: start, bits: bits)
        busyUntil = finish
        let jitter = spec.jitter > 0 ? SimTime(rng.nextUnit() * Double(spec.jitter)) : 0
        return (start, finish, finish + spec.propagationDelay + jitter + extraDelay)
    }
}

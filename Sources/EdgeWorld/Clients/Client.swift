import Foundation
import SimKernel

/// When a client captures the frames it offloads.
public enum ArrivalProcess: Sendable, Equatable {
    /// A camera at `fps`: frame k is captured at phase + k/fps, plus a delay drawn uniformly from
    /// [0, jitter] (encoding and scheduling noise). A nil phase is drawn uniformly from one frame
    /// interval, so that many clients do not all fire at the same instant.
    case periodic(fps: Double, jitter: SimTime, phase: SimTime?)
    /// Poisson arrivals at `rate` per second (exponential gaps).
    case poisson(rate: Double)
}

/// One AR client: where it sends frames, how often, with what deadline, over which links.
public struct ClientSpec: Sendable {
    public var name: String
    /// Index into `WorldSpec.clientGroups`: the scenario entry this client was expanded from.
    public var group: Int
    public var server: Int
    public var model: Int
    public var arrivals: ArrivalProcess
    /// Relative deadline: a result must be back this long after the frame was captured.
    public var deadline: SimTime
    public var frameBytes: Int
    public var resultBytes: Int
    public var uplink: LinkSpec
    public var downlink: LinkSpec

    public init(name: String, group: Int, server: Int, model: Int, arrivals: ArrivalProcess, deadline: SimTime,
                frameBytes: Int, resultBytes: Int, uplink: LinkSpec, downlink: LinkSpec) {
        self.name = name
        self.group = group
        self.server = server
        self.model = model
        self.arrivals = arrivals
        self.deadline = deadline
        self.frameBytes = frameBytes
        self.resultBytes = resultBytes
        self.uplink = uplink
        self.downlink = downlink
    }
}

/// A client during the run: its random stream, the frame it captures next, its links.
struct ClientState: Sendable {
    var rng: RandomStream
    var nextFrame: Int64 = 0
    var phase: SimTime = 0
    var uplink: LinkState
    var downlink: LinkState

    init(spec: ClientSpec, seed: UInt64) {
        rng = RandomStream(seed: seed, name: "client/\(spec.name)/arrivals")
        uplink = LinkState(spec: spec.uplink)
        downlink = LinkState(spec: spec.downlink)
        if case .periodic(let fps, _, let phase) = spec.arrivals {
            self.phase = phase ?? SimTime(rng.nextUnit() * 1e9 / fps)
        }
    }

    /// The capture time of the next frame, given the time of the one just captured (nil before the
    /// first), drawing any randomness from this client's stream.
    mutating func nextCaptureTime(_ arrivals: ArrivalProcess, after previous: SimTime?) -> SimTime {
        switch arrivals {
        case .periodic(let fps, let jitter, _):
            let nominal = phase + SimTime((Double(nextFrame) * 1e9 / fps).rounded())
            let delay = jitter > 0 ? SimTime(rng.nextUnit() * Double(jitter)) : 0
            return nominal + delay
        case .poisson(let rate):
            let gap = SimTime((-log(rng.nextUnitOpenAtZero()) * 1e9 / rate).rounded())
            return (previous ?? 0) + gap
        }
    }
}

extension World {
    /// A client captures a frame: a request is born, handed to the uplink, and the next capture
    /// is scheduled.
    mutating func frameCaptured(client c: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        let spec = spec.clients[Int(c)]
        var request = Request(id: nextRequestID, client: c, server: Int32(spec.server), model: Int32(spec.model),
                              frame: clients[Int(c)].nextFrame, created: now, deadline: now + spec.deadline)
        nextRequestID += 1
        request.endLayer = Int32(servers[spec.server].tables[spec.model]?.layerCount ?? 0)
        let (sent, arrival) = clients[Int(c)].uplink.send(bytes: spec.frameBytes, at: now)
        request.sent = sent
        let slot = requests.insert(request)
        scheduler.schedule(.requestArrived(request: slot), at: arrival)

        clients[Int(c)].nextFrame += 1
        scheduleNextFrame(client: c, after: now, scheduler: &scheduler)
    }

    mutating func scheduleNextFrame(client c: Int32, after previous: SimTime?, scheduler: inout Scheduler<WorldEvent>) {
        let next = clients[Int(c)].nextCaptureTime(spec.clients[Int(c)].arrivals, after: previous)
        if next < spec.duration {
            scheduler.schedule(.frameCaptured(client: c), at: next)
        }
    }

    /// The result of a request reaches its client: the request is complete.
    mutating func resultDelivered(request slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        var request = requests.remove(slot)
        request.completed = scheduler.now
        recorder.finished(request, outcome: .completed)
    }
}

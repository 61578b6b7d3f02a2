import SimKernel

/// When a client is present: a session that starts (asks to be admitted) and ends. A client
/// without one is present for the whole run and is never asked about.
public struct SessionSpec: Sendable, Equatable {
    /// When the client asks its serving site to admit it.
    public var start: SimTime
    /// When it leaves (nil: at the end of the run).
    public var end: SimTime?
    /// The admission request's size on the wire (the reply and the leave notice are as large).
    public var requestBytes: Int

    public init(start: SimTime, end: SimTime? = nil, requestBytes: Int = 200) {
        self.start = start
        self.end = end
        self.requestBytes = requestBytes
    }
}

/// What a site's admission control sees of a session request: who asks, for what load.
public struct SessionRequest: Sendable, Equatable {
    public let client: Int
    /// Frames per second the client will capture (nil for Poisson or unknown rates).
    public let fps: Double?
    /// The models of its tasks and their relative deadlines.
    public let models: [Int]
    public let deadlines: [SimTime]
    public let now: SimTime
    /// How each task's accuracy decays with staleness, as the client's app profiled it (an
    /// accuracy-aware server such as ARISE's plans with it).
    public let accuracy: [AccuracyModel]

    public init(client: Int, fps: Double?, models: [Int], deadlines: [SimTime], now: SimTime, accuracy: [AccuracyModel] = []) {
        self.client = client
        self.fps = fps
        self.models = models
        self.deadlines = deadlines
        self.now = now
        self.accuracy = accuracy
    }
}

public enum AdmissionDecision: Sendable, Equatable {
    case accept
    case reject(reason: String)
}

/// Admission control at a site's front end: accept or reject a session that asks to start; hear
/// when an admitted one ends. The forms with `effects` let it send control messages (a plan to
/// the servers it admits for) from the front end; messages sent to the front end reach it too.
public protocol AdmissionPolicy: Sendable {
    mutating func admit(_ request: SessionRequest) -> AdmissionDecision
    mutating func sessionEnded(client: Int, now: SimTime)
    /// `admit`, with the means to send messages; the world calls this one.
    mutating func admit(_ request: SessionRequest, effects: inout PolicyEffects) -> AdmissionDecision
    mutating func sessionEnded(client: Int, now: SimTime, effects: inout PolicyEffects)
    /// A control message for its site's front end arrived (a server's overrun report).
    mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects)
}

extension AdmissionPolicy {
    public mutating func sessionEnded(client: Int, now: SimTime) {}
    public mutating func admit(_ request: SessionRequest, effects: inout PolicyEffects) -> AdmissionDecision { admit(request) }
    public mutating func sessionEnded(client: Int, now: SimTime, effects: inout PolicyEffects) { sessionEnded(client: client, now: now) }
    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {}
}

/// Every session is admitted (the default).
public struct AdmitAll: AdmissionPolicy {
    public init() {}
    public func admit(_ request: SessionRequest) -> AdmissionDecision { .accept }
}

/// How a session went, as the `sessions` table records it.
public struct SessionRow: Sendable, Equatable {
    public var client: String
    public var group: String
    /// The site that decided (nil: the session never asked).
    public var site: String?
    public var requested: SimTime
    /// When the reply reached the client (-1: never).
    public var replied: SimTime
    public var admitted: Bool
    public var reason: String?
    /// When it stopped capturing (-1: admitted sessions still open at the end, and rejected ones).
    public var ended: SimTime
}

/// Where a client's session stands.
enum SessionPhase: UInt8, Sendable {
    /// Before its start, or waiting for the reply.
    case waiting
    case active
    case rejected
    case ended
}

/// Session bookkeeping of one client, kept apart from the per-frame state.
struct SessionState: Sendable {
    var phase = SessionPhase.waiting
    var site = 0
    var requested: SimTime = -1
    var replied: SimTime = -1
    var reason: String?
    var ended: SimTime = -1
}

extension World {
    /// The client asks its serving site to admit it; the request crosses the network.
    mutating func sessionStart(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        guard let session = spec.clients[c].session else { return }
        // A session drawn to start after its own end never asks.
        if let end = session.end, end <= scheduler.now { return }
        let site = clients[c].servingSite
        sessions[c].site = site
        sessions[c].requested = scheduler.now
        send(.sessionRequest(client: c32), bytes: session.requestBytes, path: pathFromClient(c, to: .site(site)),
             now: scheduler.now, scheduler: &scheduler)
    }

    /// The request reached the front end: its admission policy decides, and the reply goes back.
    mutating func sessionRequestArrived(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        let x = sessions[c].site
        let client = spec.clients[c]
        var fps: Double?
        if case .periodic(let f, _, _) = client.arrivals { fps = f }
        var effects = PolicyEffects()
        let decision = admission[x].admit(SessionRequest(client: c, fps: fps, models: client.tasks.map(\.model),
                                                         deadlines: client.tasks.map(\.deadline), now: scheduler.now,
                                                         accuracy: client.tasks.map(\.accuracy)),
                                          effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .frontEnd(Int32(x)), scheduler: &scheduler) }
        let accepted = decision == .accept
        if case .reject(let reason) = decision { sessions[c].reason = reason }
        guard let path = controlPath(from: .frontEnd(site: x), to: .client(c)) else { return }
        send(.sessionReply(client: c32, accepted: accepted), bytes: client.session?.requestBytes ?? 0, path: path,
             now: scheduler.now, scheduler: &scheduler)
    }

    /// The reply reached the client: an admitted client starts capturing now.
    mutating func sessionReplyArrived(client c32: Int32, accepted: Bool, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        let now = scheduler.now
        sessions[c].replied = now
        guard accepted else {
            sessions[c].phase = .rejected
            return
        }
        sessions[c].phase = .active
        clients[c].capturing = true
        clients[c].origin = now
        scheduleNextFrame(client: c32, after: nil, scheduler: &scheduler)
        if let end = spec.clients[c].session?.end {
            scheduler.schedule(.sessionEnd(client: c32), at: max(end, now))
        }
    }

    /// The session's time is up: the client stops capturing and tells its site, which frees
    /// what it had admitted when the notice arrives.
    mutating func sessionEnd(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        guard sessions[c].phase == .active else { return }
        sessions[c].phase = .ended
        sessions[c].ended = scheduler.now
        clients[c].capturing = false
        send(.sessionLeave(client: c32), bytes: spec.clients[c].session?.requestBytes ?? 0,
             path: pathFromClient(c, to: .site(sessions[c].site)), now: scheduler.now, scheduler: &scheduler)
    }

    mutating func sessionLeaveArrived(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let x = sessions[Int(c32)].site
        var effects = PolicyEffects()
        admission[x].sessionEnded(client: Int(c32), now: scheduler.now, effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .frontEnd(Int32(x)), scheduler: &scheduler) }
    }

    /// The rows of the `sessions` table.
    func sessionRows() -> [SessionRow] {
        spec.clients.indices.compactMap { c in
            guard spec.clients[c].session != nil else { return nil }
            let s = sessions[c]
            return SessionRow(client: spec.clients[c].name, group: spec.clientGroups[spec.clients[c].group],
                              site: s.requested >= 0 ? spec.sites[s.site].name : nil, requested: s.requested, replied: s.replied,
                              admitted: s.phase == .active || s.phase == .ended, reason: s.reason, ended: s.ended)
        }
    }
}

import SimKernel

/// An entity that can send or receive a control message.
public enum Endpoint: Sendable, Equatable, Hashable {
    case client(Int)
    case server(Int)
    /// A site's front end (its dispatch policy).
    case frontEnd(site: Int)
    /// The cluster's control plane, which sits at `WorldSpec.controlSite`.
    case controlPlane
}

/// A control message between policies (an admission reply, a schedule, a load report). It
/// crosses the real links between its ends, as `bytes` on the wire, so it arrives late when the
/// network is slow. The payload is whatever the two policies agree on; the receiver casts it.
public struct ControlMessage: Sendable {
    public let from: Endpoint
    public let to: Endpoint
    public let bytes: Int
    public let sentAt: SimTime
    public let payload: any Sendable
}

/// What a policy asks the world to do besides its answer: set and cancel its own timers, send
/// control messages.
///
/// A policy is a value inside the world; it never holds a reference to the world or the kernel.
/// Each callback receives an empty `PolicyEffects`, the policy records requests in it, and the
/// world carries them out after the callback returns, in the order they were made. Timers are
/// named by a token the policy chooses; setting a token that is pending moves it.
public struct PolicyEffects: Sendable {
    enum Action: Sendable {
        case set(token: Int, at: SimTime)
        case cancel(token: Int)
        case send(to: Endpoint, bytes: Int, payload: any Sendable)
    }
    var actions: [Action] = []

    public init() {}

    /// Calls `timerFired(token:…)` on this policy at `time` (not before now).
    public mutating func setTimer(token: Int, at time: SimTime) { actions.append(.set(token: token, at: time)) }

    /// Cancels the pending timer `token`, if any.
    public mutating func cancelTimer(token: Int) { actions.append(.cancel(token: token)) }

    /// Sends a control message of `bytes` bytes to `to`; its policy's `messageArrived` is called
    /// when the last byte is there.
    public mutating func send(to: Endpoint, bytes: Int, payload: any Sendable) {
        actions.append(.send(to: to, bytes: bytes, payload: payload))
    }

    public var isEmpty: Bool { actions.isEmpty }
}

/// The notices a policy wants pushed to it. Notices cost a call per request or batch on the hot
/// path, so a policy names the ones it implements (the default is none) and the world builds and
/// delivers only those.
public struct PolicyNotices: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Client: `resultArrived`.
    public static let results = PolicyNotices(rawValue: 1)
    /// Server: `requestArrived`.
    public static let arrivals = PolicyNotices(rawValue: 2)
    /// Server: `batchStarted` and `batchFinished`.
    public static let batches = PolicyNotices(rawValue: 4)
    /// Client: `uplinkObserved`, after each upload on its own radio link.
    public static let bandwidth = PolicyNotices(rawValue: 8)
    /// Any point: its decision (`decide`, `nextBatch`, `choose`) is called in the form with
    /// `effects`, so it can set timers and send messages while deciding. Without it the plain
    /// form is called, which saves building an empty `PolicyEffects` on every decision.
    public static let decisionEffects = PolicyNotices(rawValue: 16)
    /// Client: `tag(task:frame:)` is asked for every request it creates.
    public static let tags = PolicyNotices(rawValue: 32)
}

/// Which policy a timer belongs to.
enum PolicyOwner: Sendable, Equatable, Hashable {
    case client(Int32)
    case server(Int32)
    case frontEnd(Int32)
    case controlPlane

    var endpoint: Endpoint {
        switch self {
        case .client(let c): .client(Int(c))
        case .server(let s): .server(Int(s))
        case .frontEnd(let x): .frontEnd(site: Int(x))
        case .controlPlane: .controlPlane
        }
    }
}

/// Pending policy timers, one slab for all policies: an event carries only the slot, so adding a
/// policy that keeps timers touches neither the kernel nor `WorldEvent`.
struct PolicyTimers: Sendable {
    struct Timer: Sendable {
        var owner: PolicyOwner
        var token: Int
        var event: EventID?
    }
    var slab = Slab<Timer>()
    /// Pending slots per owner, looked up (never iterated across owners) to move or cancel a token.
    var byOwner: [PolicyOwner: [Int32]] = [:]

    func pending(_ owner: PolicyOwner, token: Int) -> Int32? {
        byOwner[owner]?.first { slab[$0].token == token }
    }

    mutating func remove(_ slot: Int32) -> Timer {
        let timer = slab.remove(slot)
        byOwner[timer.owner]?.removeAll { $0 == slot }
        if byOwner[timer.owner]?.isEmpty == true { byOwner[timer.owner] = nil }
        return timer
    }
}

extension World {
    /// Carries out what a policy asked for in a callback.
    mutating func apply(_ effects: PolicyEffects, owner: PolicyOwner, scheduler: inout Scheduler<WorldEvent>) {
        for action in effects.actions {
            switch action {
            case .set(let token, let time):
                cancelTimer(owner, token: token, scheduler: &scheduler)
                let slot = timers.slab.insert(PolicyTimers.Timer(owner: owner, token: token, event: nil))
                timers.slab[slot].event = scheduler.schedule(.policyTimer(slot: slot), at: max(time, scheduler.now))
                timers.byOwner[owner, default: []].append(slot)
            case .cancel(let token):
                cancelTimer(owner, token: token, scheduler: &scheduler)
            case .send(let to, let bytes, let payload):
                let message = ControlMessage(from: owner.endpoint, to: to, bytes: max(0, bytes), sentAt: scheduler.now, payload: payload)
                guard let path = controlPath(from: message.from, to: to) else {
                    return policyError("\(message.from): its policy sent a message to \(to), which it cannot reach")
                }
                // To the same place it arrives by an event, never inside the sender's own callback
                // (a server messaging itself while it dispatches).
                send(.control(messages.insert(message)), bytes: message.bytes, path: path, now: scheduler.now,
                     byEvent: paths.hops(path) == 0, scheduler: &scheduler)
            }
        }
    }

    private mutating func cancelTimer(_ owner: PolicyOwner, token: Int, scheduler: inout Scheduler<WorldEvent>) {
        guard let pending = timers.pending(owner, token: token) else { return }
        if let event = timers.remove(pending).event { scheduler.cancel(event) }
    }

    /// A control message reached its destination: that entity's policy is called back.
    mutating func messageArrived(slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let message = messages.remove(slot)
        let now = scheduler.now
        var effects = PolicyEffects()
        let owner: PolicyOwner
        switch message.to {
        case .client(let c):
            owner = .client(Int32(c))
            clients[c].policy.messageArrived(message, now: now, effects: &effects)
        case .server(let s):
            owner = .server(Int32(s))
            servers[s].policy.messageArrived(message, queues: servers[s].queues, now: now, effects: &effects)
        case .frontEnd(let x):
            owner = .frontEnd(Int32(x))
            frontEnds[x].messageArrived(message, now: now, effects: &effects)
            admission[x].messageArrived(message, now: now, effects: &effects)
        case .controlPlane:
            return controlMessage(message, scheduler: &scheduler)
        }
        if !effects.isEmpty { apply(effects, owner: owner, scheduler: &scheduler) }
        if case .server(let s) = message.to { dispatch(server: s, scheduler: &scheduler) }
    }

    /// The links a control message crosses, or nil where the two cannot talk (a client to
    /// another client, an index out of range).
    mutating func controlPath(from a: Endpoint, to b: Endpoint) -> Int32? {
        func valid(_ e: Endpoint) -> Bool {
            switch e {
            case .client(let c): clients.indices.contains(c)
            case .server(let s): servers.indices.contains(s)
            case .frontEnd(let x): spec.sites.indices.contains(x)
            case .controlPlane: controlPlane != nil && spec.sites.indices.contains(spec.controlSite)
            }
        }
        guard valid(a), valid(b) else { return nil }
        // The control plane talks from its site, like that site's front end.
        let home = Endpoint.frontEnd(site: spec.controlSite)
        switch (a, b) {
        case (.controlPlane, .controlPlane): return pathBetweenSites(spec.controlSite, spec.controlSite)
        case (.controlPlane, _): return controlPath(from: home, to: b)
        case (_, .controlPlane): return controlPath(from: a, to: home)
        case (.client(let c), .server(let v)): return pathFromClient(c, to: .server(v))
        case (.client(let c), .frontEnd(let x)): return pathFromClient(c, to: .site(x))
        case (.server(let v), .client(let c)): return pathToClient(c, fromServer: v)
        case (.server(let v), .server(let w)): return pathFromServer(v, to: .server(w))
        case (.server(let v), .frontEnd(let x)): return pathFromServer(v, to: .site(x))
        case (.frontEnd(let x), .server(let v)):
            return path(PathKey(kind: .siteToServer, a: Int32(x), b: Int32(v), attached: -1)) { world in
                world.linksBetweenSites(x, world.spec.servers[v].site) + (world.serverLinks[v].nicIn.map { [$0] } ?? [])
            }
        case (.frontEnd(let x), .client(let c)):
            let attached = clients[c].attachedSite
            return path(PathKey(kind: .siteToClient, a: Int32(x), b: Int32(c), attached: Int32(attached))) { world in
                var links = world.linksBetweenSites(x, attached)
                if let ap = world.siteLinks[attached].accessPointDown { links.append(ap) }
                return links + [world.clients[c].downlink]
            }
        case (.frontEnd(let x), .frontEnd(let y)): return pathBetweenSites(x, y)
        case (.client, .client): return nil
        }
    }

    /// A policy's timer fires: the policy that set it is called back.
    mutating func policyTimer(slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let timer = timers.remove(slot)
        let now = scheduler.now
        var effects = PolicyEffects()
        switch timer.owner {
        case .client(let c):
            clients[Int(c)].policy.timerFired(token: timer.token, now: now, effects: &effects)
        case .server(let s):
            servers[Int(s)].policy.timerFired(token: timer.token, queues: servers[Int(s)].queues, now: now, effects: &effects)
        case .frontEnd(let x):
            frontEnds[Int(x)].timerFired(token: timer.token, now: now, effects: &effects)
        case .controlPlane:
            return controlTimer(token: timer.token, scheduler: &scheduler)
        }
        if !effects.isEmpty { apply(effects, owner: timer.owner, scheduler: &scheduler) }
        if case .server(let s) = timer.owner { dispatch(server: Int(s), scheduler: &scheduler) }
    }

    /// A policy broke its contract (a batch larger than its queue, a size with no latency…): the
    /// run stops and fails with this message instead of trapping.
    mutating func policyError(_ message: String) {
        if failure == nil { failure = message }
    }
}

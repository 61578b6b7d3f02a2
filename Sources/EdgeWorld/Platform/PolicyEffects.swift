import SimKernel

/// What a policy asks the world to do besides its answer: set and cancel its own timers.
///
/// A policy is a value inside the world; it never holds a reference to the world or the kernel.
/// Each callback receives an empty `PolicyEffects`, the policy records requests in it, and the
/// world carries them out after the callback returns, in the order they were made. Timers are
/// named by a token the policy chooses; setting a token that is pending moves it.
public struct PolicyEffects: Sendable {
    enum Action: Sendable, Equatable {
        case set(token: Int, at: SimTime)
        case cancel(token: Int)
    }
    var actions: [Action] = []

    public init() {}

    /// Calls `timerFired(token:…)` on this policy at `time` (not before now).
    public mutating func setTimer(token: Int, at time: SimTime) { actions.append(.set(token: token, at: time)) }

    /// Cancels the pending timer `token`, if any.
    public mutating func cancelTimer(token: Int) { actions.append(.cancel(token: token)) }

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
}

/// Which policy a timer belongs to.
enum PolicyOwner: Sendable, Equatable, Hashable {
    case client(Int32)
    case server(Int32)
    case frontEnd(Int32)
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
                if let old = timers.pending(owner, token: token) {
                    if let e = timers.remove(old).event { scheduler.cancel(e) }
                }
                let slot = timers.slab.insert(PolicyTimers.Timer(owner: owner, token: token, event: nil))
                timers.slab[slot].event = scheduler.schedule(.policyTimer(slot: slot), at: max(time, scheduler.now))
                timers.byOwner[owner, default: []].append(slot)
            case .cancel(let token):
                if let old = timers.pending(owner, token: token) {
                    if let e = timers.remove(old).event { scheduler.cancel(e) }
                }
            }
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

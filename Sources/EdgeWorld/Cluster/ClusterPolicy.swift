import SimKernel

/// What a site's front end knows when it dispatches: the requests it has sent to each of its
/// servers that have not come back yet (its own bookkeeping; it cannot see inside the servers).
public struct FrontEndView: Sendable {
    /// Outstanding requests by server index (world-wide indices; only this site's are non-zero).
    public let outstanding: [Int]

    public init(outstanding: [Int]) { self.outstanding = outstanding }
}

/// What a front end knows of the request it dispatches (from the request's own metadata).
public struct DispatchRequest: Sendable, Equatable {
    public let client: Int
    public let task: Int
    public let model: Int
    /// The route stage it is at (0 for whole-model serving) and its layers, where the route names them.
    public let stage: Int
    public let layers: Range<Int>?
    /// Absolute deadline.
    public let deadline: SimTime
    /// Bytes the stage starts from (the frame or the previous stage's activations).
    public let bytes: Int
    public let now: SimTime
}

/// The cluster point of the policy points: which server(s) run a request.
/// When a request's redundant copies are cancelled (Joshi, Soljanin and Wornell, TOMPECS 2017).
public enum CopyCancellation: String, Sendable, CaseIterable {
    /// When the first copy finishes: the others stop, running ones too (their GPU time until then is spent).
    case onFinish = "on_finish"
    /// When the first copy starts service: the others leave their queues before running.
    case onStart = "on_start"
}

public protocol ClusterPolicy: Sendable {
    /// One or more of `candidates` (servers of this site that host the request's model, in index
    /// order, never empty). More than one means redundant copies: the first result wins.
    mutating func choose(from candidates: [Int], view: FrontEndView) -> [Int]
    /// When copies of one request are cancelled (`onFinish` unless the policy says otherwise).
    var cancellation: CopyCancellation { get }
    /// How copies are issued: how many must finish (k of r), and after what delay the copies
    /// beyond the first go out if the first has not finished (0: all at once).
    var copyIssue: CopyIssue { get }
    /// `choose`, seeing the request and able to set timers; the world calls this one.
    mutating func choose(for request: DispatchRequest, from candidates: [Int], view: FrontEndView,
                         effects: inout PolicyEffects) -> [Int]
    mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects)
    mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects)
}

/// How a redundant request's copies are issued and when it is done.
public struct CopyIssue: Sendable, Equatable {
    /// The request is done when this many copies have finished (k of r; 1: the first wins).
    public var needed: Int
    /// The copies beyond the first leave this long after it, unless the request is done by then.
    public var delay: SimTime

    public init(needed: Int = 1, delay: SimTime = 0) {
        self.needed = needed
        self.delay = delay
    }
}

extension ClusterPolicy {
    /// For policies that send copies: when the losers are cancelled.
    public var cancellation: CopyCancellation { .onFinish }
    public var copyIssue: CopyIssue { CopyIssue() }

    public mutating func choose(for request: DispatchRequest, from candidates: [Int], view: FrontEndView,
                                effects: inout PolicyEffects) -> [Int] {
        choose(from: candidates, view: view)
    }
    public mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {}
}

/// Each request to the next candidate in turn (the default).
public struct RoundRobinDispatch: ClusterPolicy {
    var next = 0
    public init() {}
    public mutating func choose(from candidates: [Int], view: FrontEndView) -> [Int] {
        defer { next &+= 1 }
        return [candidates[next % candidates.count]]
    }
}

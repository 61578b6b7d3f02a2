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

/// The servers a front end chose for one request: one, the usual case, held without an array
/// (a choice is made for every request, and an array per request was an allocation and a free
/// each time), or several (redundant copies, the first the original). An array literal makes
/// one too: `[v]` is `.one(v)`.
public struct ServerChoice: Sendable, Equatable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The one server chosen, or -1 when `several` holds the choice.
    private let single: Int
    private let several: [Int]

    /// One server.
    public static func one(_ server: Int) -> ServerChoice {
        server >= 0 ? ServerChoice(single: server, several: []) : ServerChoice(single: -1, several: [server])
    }

    /// These servers, in order (none: a choice the world reports as the policy's error).
    public init(_ servers: [Int]) {
        if servers.count == 1 && servers[0] >= 0 { self.init(single: servers[0], several: []) } else { self.init(single: -1, several: servers) }
    }

    public init(arrayLiteral servers: Int...) { self.init(servers) }

    private init(single: Int, several: [Int]) {
        self.single = single
        self.several = several
    }

    public var count: Int { single >= 0 ? 1 : several.count }
    /// The server that gets the original (nil: none chosen).
    public var first: Int? { single >= 0 ? single : several.first }
    /// Every server chosen, in order (an array: for copies and messages, not the one-server path).
    public var servers: [Int] { single >= 0 ? [single] : several }
    public var description: String { servers.description }

    /// Whether every server chosen is one of `candidates`.
    public func isWithin(_ candidates: [Int]) -> Bool {
        single >= 0 ? candidates.contains(single) : several.allSatisfy { candidates.contains($0) }
    }
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
    mutating func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice
    /// When copies of one request are cancelled (`onFinish` unless the policy says otherwise).
    var cancellation: CopyCancellation { get }
    /// How copies are issued: how many must finish (k of r), and after what delay the copies
    /// beyond the first go out if the first has not finished (0: all at once).
    var copyIssue: CopyIssue { get }
    /// `choose`, seeing the request and able to set timers; the world calls this one.
    mutating func choose(for request: DispatchRequest, from candidates: [Int], view: FrontEndView,
                         effects: inout PolicyEffects) -> ServerChoice
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
                                effects: inout PolicyEffects) -> ServerChoice {
        choose(from: candidates, view: view)
    }
    public mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {}
}

/// Each request to the next candidate in turn (the default).
public struct RoundRobinDispatch: ClusterPolicy {
    var next = 0
    public init() {}
    public mutating func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice {
        defer { next &+= 1 }
        return .one(candidates[next % candidates.count])
    }
}

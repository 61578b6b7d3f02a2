/// What a site's front end knows when it dispatches: the requests it has sent to each of its
/// servers that have not come back yet (its own bookkeeping; it cannot see inside the servers).
public struct FrontEndView: Sendable {
    /// Outstanding requests by server index (world-wide indices; only this site's are non-zero).
    public let outstanding: [Int]

    public init(outstanding: [Int]) { self.outstanding = outstanding }
}

/// The cluster point of the four policy points: which server(s) run a request.
public protocol ClusterPolicy: Sendable {
    /// One or more of `candidates` (servers of this site that host the request's model, in index
    /// order, never empty). More than one means redundant copies: the first result wins.
    mutating func choose(from candidates: [Int], view: FrontEndView) -> [Int]
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

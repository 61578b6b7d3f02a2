import EdgeWorld

/// Each request to the candidate with the fewest requests outstanding (ties: lowest index).
public struct LeastLoadedDispatch: ClusterPolicy {
    public init() {}

    public func choose(from candidates: [Int], view: FrontEndView) -> [Int] {
        [candidates.min { (view.outstanding[$0], $0) < (view.outstanding[$1], $1) }!]
    }
}

/// Redundant dispatch (Joshi, Soljanin and Wornell, "Efficient Redundancy Techniques for Latency
/// Reduction in Cloud Systems", ACM TOMPECS 2017): each request to the `copies` least-loaded
/// candidates; the first result wins, copies still waiting are cancelled, and every copy's GPU
/// time counts.
public struct RedundantDispatch: ClusterPolicy {
    public let copies: Int

    public init(copies: Int) {
        precondition(copies >= 1)
        self.copies = copies
    }

    public func choose(from candidates: [Int], view: FrontEndView) -> [Int] {
        let ranked = candidates.sorted { (view.outstanding[$0], $0) < (view.outstanding[$1], $1) }
        return Array(ranked.prefix(copies))
    }
}

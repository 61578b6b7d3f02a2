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
/// candidates at once. With cancel on finish (the default) the first result wins and the other
/// copies stop, running ones aborted; with cancel on start the first copy to start service wins
/// and the others leave their queues. Every copy's GPU time counts, up to its abort.
public struct RedundantDispatch: ClusterPolicy {
    public let copies: Int
    public let cancellation: CopyCancellation

    public init(copies: Int, cancellation: CopyCancellation = .onFinish) {
        precondition(copies >= 1)
        self.copies = copies
        self.cancellation = cancellation
    }

    public func choose(from candidates: [Int], view: FrontEndView) -> [Int] {
        let ranked = candidates.sorted { (view.outstanding[$0], $0) < (view.outstanding[$1], $1) }
        return Array(ranked.prefix(copies))
    }
}

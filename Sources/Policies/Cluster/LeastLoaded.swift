import EdgeWorld
import SimKernel

/// Each request to the candidate with the fewest requests outstanding (ties: lowest index).
public struct LeastLoadedDispatch: ClusterPolicy {
    public init() {}

    public func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice {
        .one(candidates.min { (view.outstanding[$0], $0) < (view.outstanding[$1], $1) }!)
    }
}

/// Redundant dispatch (Joshi, Soljanin and Wornell, "Efficient Redundancy Techniques for Latency
/// Reduction in Cloud Systems", ACM TOMPECS 2017): each request to the `copies` least-loaded
/// candidates at once. With cancel on finish (the default) the first result wins and the other
/// copies stop, running ones aborted; with cancel on start the first copy to start service wins
/// and the others leave their queues. Every copy's GPU time counts, up to its abort.
///
/// `needed` > 1 makes it k-of-r: the request is done when that many copies have finished (each
/// runs the whole model; the first k − 1 results are counted as cancelled copies, their work
/// spent). A `delay` sends the copies beyond the first only if the first has not finished by then.
public struct RedundantDispatch: ClusterPolicy {
    public let copies: Int
    public let cancellation: CopyCancellation
    public let copyIssue: CopyIssue

    public init(copies: Int, cancellation: CopyCancellation = .onFinish, needed: Int = 1, delay: SimTime = 0) {
        precondition(copies >= 1 && needed >= 1 && needed <= copies && delay >= 0)
        self.copies = copies
        self.cancellation = cancellation
        copyIssue = CopyIssue(needed: needed, delay: delay)
    }

    public func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice {
        let ranked = candidates.sorted { (view.outstanding[$0], $0) < (view.outstanding[$1], $1) }
        return ServerChoice(Array(ranked.prefix(copies)))
    }
}

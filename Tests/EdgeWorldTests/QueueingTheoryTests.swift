import EdgeWorld
import Foundation
import Policies
import SimKernel
import XCTest

/// The first world against queueing theory. One Poisson client sends zero-byte frames over a
/// zero-delay link, so a request reaches the server the instant it is created and the server is a
/// textbook queue: FIFO, no batching, `c` GPUs, service times from the latency table with the
/// chosen variability.
///
/// The estimate is the mean time in queue (batch start − queued) of requests created after a
/// warm-up, with a 99.9 % confidence interval from 30 batch means (Law and Kelton, Simulation
/// Modeling and Analysis, §9.5.3), the batches being consecutive equal spans of creation time;
/// t(0.9995, 29) = 3.659. Each test also requires the interval to
/// be narrower than ±5 % of the theoretical value, so that a wrong model cannot hide in a wide one.
final class QueueingTheoryTests: XCTestCase {
    struct Estimate {
        var mean: Double
        var halfWidth: Double
        var utilization: Double
    }

    func simulate(arrivalsPerSecond: Double, serviceMs: Double, variability: ServiceVariability, gpus: Int,
                  customers: Int, seed: UInt64) -> Estimate {
        let seconds = Double(customers) / arrivalsPerSecond
        let warmup = seconds * 0.02
        let client = TestWorld.client("poisson", arrivals: .poisson(rate: arrivalsPerSecond), deadlineMs: 1e9)
        let spec = TestWorld.spec(clients: [client],
                                  servers: [ServerSpec(name: "s", gpus: gpus, policy: FIFOPolicy(), variability: variability)],
                                  models: [TestWorld.model(latencyMs: [1: serviceMs])],
                                  durationMs: seconds * 1000, warmupMs: warmup * 1000, drainMs: 1e9, seed: seed)
        var estimate = BatchMeans(from: spec.warmup, to: spec.duration)
        let summary = TestWorld.stream(spec) { record in
            let r = record.request
            guard r.created >= spec.warmup, record.outcome == .completed else { return }
            estimate.add(Double(r.batchStart - r.queued) / 1e6, at: r.created)
        }
        let (mean, halfWidth) = estimate.interval
        return Estimate(mean: mean, halfWidth: halfWidth, utilization: summary.run.gpuUtilization!)
    }

    func assertWithinInterval(_ e: Estimate, theory: Double, rho: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(abs(e.mean - theory), e.halfWidth,
                          "simulated \(e.mean) ± \(e.halfWidth) ms vs theory \(theory) ms", file: file, line: line)
        XCTAssertLessThan(e.halfWidth, 0.05 * theory, "confidence interval too wide to be a test", file: file, line: line)
        XCTAssertEqual(e.utilization, rho, accuracy: 0.01, "GPU utilization equals the offered load", file: file, line: line)
    }

    /// M/M/1, rho = 0.7: Wq = rho / (mu - lambda) = 0.7 / 0.3 ms.
    func testMM1MeanWaitingTime() {
        let e = simulate(arrivalsPerSecond: 700, serviceMs: 1, variability: .exponential, gpus: 1, customers: 1_000_000, seed: 11)
        assertWithinInterval(e, theory: 0.7 / 0.3, rho: 0.7)
    }

    /// M/M/c with c = 3 and offered load a = 2.4 (rho = 0.8): Wq = C(c, a) / (c mu - lambda),
    /// with C the Erlang C probability of waiting.
    func testMMcMeanWaitingTimeMatchesErlangC() {
        let c = 3, a = 2.4
        let e = simulate(arrivalsPerSecond: 2400, serviceMs: 1, variability: .exponential, gpus: c, customers: 3_000_000, seed: 12)
        var factorial = 1.0, sum = 0.0
        for k in 0..<c {
            if k > 0 { factorial *= Double(k) }
            sum += pow(a, Double(k)) / factorial
        }
        let top = pow(a, Double(c)) / (factorial * Double(c)) * Double(c) / (Double(c) - a)
        let erlangC = top / (sum + top)
        assertWithinInterval(e, theory: erlangC / (Double(c) - a), rho: a / Double(c))
    }

    /// M/D/1, rho = 0.7: Pollaczek–Khinchine with zero service variance, Wq = rho / (2 mu (1 - rho)).
    func testMD1MeanWaitingTimeMatchesPollaczekKhinchine() {
        let e = simulate(arrivalsPerSecond: 700, serviceMs: 1, variability: .deterministic, gpus: 1, customers: 400_000, seed: 13)
        assertWithinInterval(e, theory: 0.7 / (2 * 0.3), rho: 0.7)
    }

    /// M/G/1 with lognormal service (cv = 0.5), rho = 0.6: Pollaczek–Khinchine,
    /// Wq = lambda E[S^2] / (2 (1 - rho)) with E[S^2] = (1 + cv^2) E[S]^2.
    func testMG1LognormalMatchesPollaczekKhinchine() {
        let e = simulate(arrivalsPerSecond: 600, serviceMs: 1, variability: .lognormal(cv: 0.5), gpus: 1, customers: 400_000, seed: 14)
        assertWithinInterval(e, theory: 0.6 * 1.25 / (2 * 0.4), rho: 0.6)
    }
}

/// Redundancy against Joshi, Soljanin and Wornell ("Efficient Redundancy Techniques for Latency
/// Reduction in Cloud Systems", ACM TOMPECS 2017): full replication of every request to r servers
/// with exponential service (rate μ each) and cancellation when the first copy finishes is an
/// M/M/1 queue of rate rμ, and a request costs r · E[min of r exponentials] = 1/μ of GPU time.
/// Here r = 3, μ = 100/s, λ = 100/s: mean latency 1 / (3μ − λ) = 5 ms, GPU time 10 ms per request.
/// 99.9 % intervals from 30 batch means, as in QueueingTheoryTests.
final class RedundancyTheoryTests: XCTestCase {
    func testFullReplicationWithCancelOnFinishIsAnMM1OfRateRMu() {
        let requests = 300_000
        let seconds = Double(requests) / 100
        let warmup = seconds * 0.02
        let task = TaskSpec(name: "t", model: 0, deadline: Time.seconds(1e6), resultBytes: 0, split: WholeModelAtEdge())
        let client = ClientSpec(name: "c", group: 0, arrivals: .poisson(rate: 100), frameBytes: 0, tasks: [task],
                                uplink: TestWorld.link(), downlink: TestWorld.link())
        let servers = (0..<3).map { ServerSpec(name: "s\($0)", gpus: 1, policy: FIFOPolicy(), variability: .exponential) }
        var spec = TestWorld.spec(clients: [client], servers: servers, models: [TestWorld.model(latencyMs: [1: 10])],
                                  durationMs: seconds * 1000, warmupMs: warmup * 1000, drainMs: 1e9, seed: 5)
        spec.sites = [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 3))]
        var estimate = BatchMeans(from: spec.warmup, to: spec.duration)
        var logical = 0
        let summary = TestWorld.stream(spec) { record in
            let r = record.request
            guard r.created >= spec.warmup, record.outcome == .completed else { return }
            estimate.add(Double(r.completed - r.created) / 1e6, at: r.created)
            logical += 1
        }
        let (grand, halfWidth) = estimate.interval
        XCTAssertLessThan(abs(grand - 5), halfWidth, "mean latency \(grand) ± \(halfWidth) ms against 5 ms")
        XCTAssertLessThan(halfWidth, 0.25, "an interval too wide to test anything")
        // GPU time per request: every copy's busy time inside the window over the requests in it.
        let busyMs = summary.gpus.reduce(0) { $0 + $1.busySeconds } * 1000
        let perRequest = busyMs / Double(logical)
        // Its standard error: each request's GPU time is 3 × Exp(300/s), sd 10 ms; over ~294,000
        // requests the mean's is 0.018 ms, so ±0.07 ms is beyond 99.9 %.
        XCTAssertEqual(perRequest, 10, accuracy: 0.07, "GPU time per request")
        print(String(format: "redundancy r = 3, cancel on finish: mean latency %.3f ± %.3f ms (theory 5), GPU time %.3f ms per request (theory 10)",
                     grand, halfWidth, perRequest))
        XCTAssertEqual(summary.run.requests, summary.run.completed, "copies are not requests; none is lost")
    }
}

/// The mean of values observed over [from, to) with a 99.9 % interval from 30 batch means, the
/// batches being consecutive equal spans of time (Law and Kelton §9.5.3); t(0.9995, 29) = 3.659.
struct BatchMeans {
    let from: SimTime
    let span: Double
    var sums = [Double](repeating: 0, count: 30), counts = [Double](repeating: 0, count: 30)

    init(from: SimTime, to: SimTime) {
        self.from = from
        span = Double(to - from) / 30
    }

    mutating func add(_ value: Double, at time: SimTime) {
        let b = min(Int(Double(time - from) / span), 29)
        sums[b] += value
        counts[b] += 1
    }

    var interval: (mean: Double, halfWidth: Double) {
        let means = (0..<30).map { sums[$0] / counts[$0] }
        let grand = means.reduce(0, +) / 30
        let s2 = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / 29
        return (grand, 3.659 * (s2 / 30).squareRoot())
    }
}

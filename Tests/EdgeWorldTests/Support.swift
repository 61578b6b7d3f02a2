import EdgeWorld
import Policies
import SimKernel
import XCTest

/// Small worlds built by hand, run to the end with every row kept.
enum TestWorld {
    static func ms(_ x: Double) -> SimTime { Time.milliseconds(x) }

    static func link(mbps: Double = 1_000_000, delayMs: Double = 0) -> LinkSpec {
        LinkSpec(bitsPerSecond: mbps * 1e6, propagationDelay: ms(delayMs))
    }

    static func client(_ name: String, arrivals: ArrivalProcess, deadlineMs: Double = 1_000, frameBytes: Int = 0,
                       resultBytes: Int = 0, uplink: LinkSpec = link(), downlink: LinkSpec = link(),
                       server: Int = 0, model: Int = 0, group: Int = 0) -> ClientSpec {
        ClientSpec(name: name, group: group, server: server, model: model, arrivals: arrivals,
                   deadline: ms(deadlineMs), frameBytes: frameBytes, resultBytes: resultBytes,
                   uplink: uplink, downlink: downlink)
    }

    static func model(_ name: String = "m", latencyMs: [Int: Double]) -> ModelSpec {
        ModelSpec(name: name, latency: LatencyTable(latencyMs.map { ($0.key, ms($0.value)) }))
    }

    static func spec(clients: [ClientSpec], servers: [ServerSpec], models: [ModelSpec], durationMs: Double,
                     warmupMs: Double = 0, drainMs: Double = 10_000, seed: UInt64 = 1) -> WorldSpec {
        let groups = Set(clients.map(\.group)).count
        return WorldSpec(name: "test", seed: seed, duration: ms(durationMs), warmup: ms(warmupMs), drain: ms(drainMs),
                         detail: .requests, models: models, servers: servers, clients: clients,
                         clientGroups: (0..<groups).map { "group\($0)" })
    }

    struct Result {
        var requests: [RequestRecord]   // sorted by request id
        var batches: [BatchRecord]      // sorted by batch id
        var frames: [FrameRecord]
        var plans: [PlanRecord]
        var summary: RunSummary
        var end: SimTime
        /// A policy's contract breach, if the run stopped on one.
        var failure: String?
        var bins: [BinRecord] = []
    }

    /// Runs `spec` and hands each finished request to `body` as it comes, keeping none: for runs
    /// of millions of requests.
    static func stream(_ spec: WorldSpec, _ body: (RequestRecord) -> Void) -> RunSummary {
        var sim = World.simulation(spec)
        while sim.run(until: spec.endTime, maxEvents: 1 << 16) == .eventBudget {
            sim.model.takeOutbox().requests.forEach(body)
        }
        let summary = sim.model.finish(at: sim.now)
        sim.model.takeOutbox().requests.forEach(body)
        return summary
    }

    /// Runs `spec` with the prefetch hints on and with them off and asserts that every record
    /// is the same: each request's ids, times, placement and outcome, every frame and batch, and
    /// the summary's rows. The hints run by default only in large worlds; this checks that they
    /// change nothing in small ones. Returns the number of requests compared.
    @discardableResult
    static func assertHintsChangeNothing(_ spec: WorldSpec, _ label: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        let with = run(spec, hints: true), without = run(spec, hints: false)
        func rows(_ r: Result) -> [String] {
            r.requests.map {
                let q = $0.request
                return "\(q.id) \(q.client) \(q.task) \(q.copy) \(q.sent) \(q.arrived) \(q.queued) \(q.server) \(q.gpu) \(q.batch) "
                    + "\(q.batchStart) \(q.batchEnd) \(q.completed) \(q.deviceStart) \(q.deviceEnd) \($0.outcome)"
            }
        }
        XCTAssertEqual(rows(with), rows(without), label, file: file, line: line)
        XCTAssertEqual(with.frames, without.frames, label, file: file, line: line)
        XCTAssertEqual(with.batches, without.batches, label, file: file, line: line)
        XCTAssertEqual(with.summary.rows, without.summary.rows, label, file: file, line: line)
        XCTAssertEqual(with.end, without.end, label, file: file, line: line)
        XCTAssertEqual(with.failure, without.failure, label, file: file, line: line)
        return with.requests.count
    }

    /// `hints`: turn the prefetch hints on or off (nil: the world's default for its size).
    static func run(_ spec: WorldSpec, hints: Bool? = nil) -> Result {
        var sim = World.simulation(spec)
        if let hints { sim.model.hints = hints }
        var out = Outbox()
        func collect(_ o: Outbox) {
            out.requests += o.requests
            out.batches += o.batches
            out.frames += o.frames
            out.plans += o.plans
            out.bins += o.bins
        }
        while sim.run(until: spec.endTime, maxEvents: 1 << 16) == .eventBudget { collect(sim.model.takeOutbox()) }
        let failure = sim.model.failure
        let summary = sim.model.finish(at: sim.now)
        collect(sim.model.takeOutbox())
        return Result(requests: out.requests.sorted { $0.request.id < $1.request.id },
                      batches: out.batches.sorted { $0.id < $1.id }, frames: out.frames, plans: out.plans,
                      summary: summary, end: sim.now, failure: failure, bins: out.bins)
    }
}

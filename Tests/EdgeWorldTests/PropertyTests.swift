import EdgeWorld
import Policies
import SimKernel
import XCTest

/// Invariants that must hold in any world: checked on random worlds (clients, rates, links,
/// GPUs, policies, capacities and deadlines all drawn from a seeded stream).
final class PropertyTests: XCTestCase {
    func randomWorld(_ rng: inout RandomStream) -> (WorldSpec, maxBatch: Int) {
        let models = [
            TestWorld.model("small", latencyMs: [1: 2, 2: 3, 4: 4.5, 8: 8]),
            TestWorld.model("large", latencyMs: [1: 9, 2: 12, 4: 18, 8: 30]),
        ]
        let policyKind = rng.nextIndex(below: 3)
        var maxBatch = 1
        let servers = (0..<(1 + rng.nextIndex(below: 2))).map { s -> ServerSpec in
            let policy: any ServerPolicy
            switch policyKind {
            case 0: policy = FIFOPolicy()
            case 1: maxBatch = [2, 4][rng.nextIndex(below: 2)]; policy = FixedBatchPolicy(batchSize: maxBatch)
            default:
                maxBatch = 8
                policy = DynamicBatchPolicy(maxBatch: 8, maxQueueDelay: Time.milliseconds(rng.nextUnit() * 5), tables: models.map(\.latency))
            }
            let variability: [ServiceVariability] = [.deterministic, .exponential, .lognormal(cv: 0.3)]
            return ServerSpec(name: "s\(s)", gpus: 1 + rng.nextIndex(below: 3), policy: policy,
                              variability: variability[rng.nextIndex(below: 3)],
                              queueCapacity: rng.nextIndex(below: 2) == 0 ? nil : 1 + rng.nextIndex(below: 20),
                              dropExpired: rng.nextIndex(below: 2) == 0)
        }
        let clients = (0..<(1 + rng.nextIndex(below: 30))).map { c -> ClientSpec in
            let fps = 5 + rng.nextUnit() * 55
            let arrivals: ArrivalProcess = rng.nextIndex(below: 2) == 0
                ? .poisson(rate: fps)
                : .periodic(fps: fps, jitter: Time.milliseconds(rng.nextUnit() * 900 / fps), phase: nil)
            return TestWorld.client("c\(c)", arrivals: arrivals, deadlineMs: 20 + rng.nextUnit() * 200,
                                    frameBytes: rng.nextIndex(below: 100_000), resultBytes: rng.nextIndex(below: 5_000),
                                    uplink: TestWorld.link(mbps: 5 + rng.nextUnit() * 100, delayMs: rng.nextUnit() * 20),
                                    downlink: TestWorld.link(mbps: 5 + rng.nextUnit() * 100, delayMs: rng.nextUnit() * 20),
                                    server: rng.nextIndex(below: servers.count), model: rng.nextIndex(below: 2),
                                    group: c % 3)
        }
        let groupsUsed = Set(clients.map(\.group)).count
        var spec = TestWorld.spec(clients: clients, servers: servers, models: models, durationMs: 3_000,
                                  warmupMs: 500, drainMs: 200 + rng.nextUnit() * 2_000, seed: rng.next() >> 1)
        spec.clientGroups = (0..<max(groupsUsed, 3)).map { "group\($0)" }
        return (spec, maxBatch)
    }

    func testInvariantsHoldInRandomWorlds() {
        var rng = RandomStream(seed: 99, name: "property-worlds")
        for round in 0..<40 {
            let (spec, maxBatch) = randomWorld(&rng)
            let result = TestWorld.run(spec)
            let context = "round \(round)"

            // Conservation: every request created ends exactly once, completed, dropped or unfinished.
            let ids = result.requests.map(\.request.id)
            XCTAssertEqual(ids, Array(0..<UInt64(ids.count)), "request ids are dense and unique; \(context)")
            let inWindow = result.requests.filter { $0.request.created >= spec.warmup && $0.request.created < spec.duration }
            let run = result.summary.run
            XCTAssertEqual(run.requests, inWindow.count, context)
            XCTAssertEqual(run.requests, run.completed + run.dropped + run.unfinished, context)
            XCTAssertLessThanOrEqual(run.metDeadline, run.completed, context)
            XCTAssertEqual(result.summary.rows.filter { $0.scope == "client_group" }.map(\.requests).reduce(0, +), run.requests, context)
            XCTAssertEqual(result.summary.rows.filter { $0.scope == "model" }.map(\.requests).reduce(0, +), run.requests, context)
            // A request counts at a server once it reaches one (not while still on the uplink).
            XCTAssertEqual(result.summary.rows.filter { $0.scope == "server" }.map(\.requests).reduce(0, +),
                           inWindow.filter { $0.request.server >= 0 }.count, context)

            // Time only moves forward through the stages of a request.
            for record in result.requests where record.outcome == .completed {
                let r = record.request
                XCTAssertTrue(r.created <= r.sent && r.sent <= r.arrived && r.arrived <= r.queued
                              && r.queued <= r.batchStart && r.batchStart < r.batchEnd && r.batchEnd <= r.completed,
                              "stages out of order for request \(r.id); \(context)")
                XCTAssertTrue(r.created < spec.duration, context)
                XCTAssertEqual(record.metDeadline, r.completed <= r.deadline, context)
            }

            // A GPU runs one batch at a time, of at most the policy's size, whose members all name it.
            var lastEnd: [String: SimTime] = [:]
            for b in result.batches {
                XCTAssertTrue(b.size >= 1 && b.size <= maxBatch, "batch size \(b.size); \(context)")
                let key = "\(b.server)/\(b.gpu)"
                XCTAssertGreaterThanOrEqual(b.start, lastEnd[key] ?? 0, "overlapping batches on GPU \(key); \(context)")
                lastEnd[key] = b.end
            }
            let members = Dictionary(grouping: result.requests.filter { $0.request.batch >= 0 }, by: \.request.batch)
            for b in result.batches {
                let m = members[b.id] ?? []
                XCTAssertEqual(m.count, Int(b.size), context)
                XCTAssertTrue(m.allSatisfy { $0.request.gpu == b.gpu && $0.request.server == b.server && $0.request.model == b.model }, context)
            }

            // Utilization is a share.
            for g in result.summary.gpus { XCTAssertTrue(g.utilization >= 0 && g.utilization <= 1 + 1e-9, context) }
        }
    }

    /// FIFO within a model: on one server, requests of one model start in the order they queued.
    func testFIFOStartsInQueueOrder() {
        var rng = RandomStream(seed: 5, name: "fifo-order")
        let clients = (0..<20).map { c in
            TestWorld.client("c\(c)", arrivals: .poisson(rate: 40), frameBytes: rng.nextIndex(below: 50_000),
                             uplink: TestWorld.link(mbps: 20 + rng.nextUnit() * 50, delayMs: rng.nextUnit() * 10))
        }
        let spec = TestWorld.spec(clients: clients,
                                  servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy(), variability: .exponential)],
                                  models: [TestWorld.model(latencyMs: [1: 1.1])], durationMs: 5_000)
        let started = TestWorld.run(spec).requests.filter { $0.outcome == .completed }.sorted {
            ($0.request.batchStart, $0.request.batch) < ($1.request.batchStart, $1.request.batch)
        }
        let queuedOrder = started.map(\.request.queued)
        XCTAssertEqual(queuedOrder, queuedOrder.sorted())
        XCTAssertGreaterThan(started.count, 3_000)
    }

    /// The prefetch hints (on by default only from 3,000 clients) change nothing: random worlds
    /// give the same request records and summary with them as without.
    func testPrefetchHintsChangeNothing() {
        var rng = RandomStream(seed: 11, name: "hints")
        var compared = 0
        for round in 0..<8 {
            let (spec, _) = randomWorld(&rng)
            compared += TestWorld.assertHintsChangeNothing(spec, "round \(round)")
        }
        XCTAssertGreaterThan(compared, 1_000)
    }

    /// The same spec and seed give identical records; another seed gives different ones.
    func testSameSeedSameRecords() {
        var rng = RandomStream(seed: 3, name: "determinism")
        let (spec, _) = randomWorld(&rng)
        let a = TestWorld.run(spec).requests.map { [$0.request.created, $0.request.completed, $0.request.batch] }
        let b = TestWorld.run(spec).requests.map { [$0.request.created, $0.request.completed, $0.request.batch] }
        XCTAssertEqual(a, b)
        var other = spec
        other.seed += 1
        let c = TestWorld.run(other).requests.map { [$0.request.created, $0.request.completed, $0.request.batch] }
        XCTAssertNotEqual(a, c)
    }
}

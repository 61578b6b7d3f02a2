import EdgeWorld
import Policies
import SimKernel
import XCTest

/// Small worlds whose every timestamp can be worked out on paper.
final class HandComputedTests: XCTestCase {
    let ms = TestWorld.ms

    /// `World.framesCaptured` (the per-frame figures of `arsim bench`): two cameras at 10 and
    /// 25 fps from phase 0 over 1 s capture frames at 0, 1/fps, … before 1 s: 10 + 25.
    func testFramesCapturedCountsEveryCameraFrame() {
        let clients = [TestWorld.client("a", arrivals: .periodic(fps: 10, jitter: 0, phase: 0)),
                       TestWorld.client("b", arrivals: .periodic(fps: 25, jitter: 0, phase: 0))]
        let spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 1_000)
        var sim = World.simulation(spec)
        XCTAssertEqual(sim.model.framesCaptured, 0)
        _ = sim.run(until: ms(500), maxEvents: .max)
        // Frames at 0, 100, …, 500 ms and 0, 40, …, 480 ms: events at 500 ms are run.
        XCTAssertEqual(sim.model.framesCaptured, 6 + 13)
        _ = sim.run(until: spec.endTime, maxEvents: .max)
        XCTAssertEqual(sim.model.framesCaptured, 10 + 25)
    }

    /// One client at 10 fps, nothing else in the system: every frame sees the same path.
    /// Uplink: 125,000 B at 100 Mbit/s = 10 ms, + 5 ms propagation; GPU: 20 ms;
    /// downlink: 12,500 B at 10 Mbit/s = 10 ms, + 5 ms. Latency = 10 + 5 + 20 + 10 + 5 = 50 ms.
    func testPeriodicClientWithoutQueueing() {
        let client = TestWorld.client("c", arrivals: .periodic(fps: 10, jitter: 0, phase: 0), deadlineMs: 50,
                                      frameBytes: 125_000, resultBytes: 12_500,
                                      uplink: TestWorld.link(mbps: 100, delayMs: 5), downlink: TestWorld.link(mbps: 10, delayMs: 5))
        let spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 20])], durationMs: 1_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 10)
        for (k, record) in result.requests.enumerated() {
            let r = record.request
            let t0 = ms(100 * Double(k))
            XCTAssertEqual(r.frame, Int64(k))
            XCTAssertEqual(r.created, t0)
            XCTAssertEqual(r.sent, t0)
            XCTAssertEqual(r.arrived, t0 + ms(15))
            XCTAssertEqual(r.queued, t0 + ms(15))
            XCTAssertEqual(r.batchStart, t0 + ms(15))
            XCTAssertEqual(r.batchEnd, t0 + ms(35))
            XCTAssertEqual(r.completed, t0 + ms(50))
            XCTAssertEqual(r.batchSize, 1)
            XCTAssertEqual(record.outcome, .completed)
            XCTAssertTrue(record.metDeadline, "a result exactly at the deadline meets it")
        }
        XCTAssertEqual(result.summary.run.latencyMeanMs!, 50, accuracy: 1e-9)
        XCTAssertEqual(result.summary.run.deadlineMissRate, 0)
        // GPU busy 20 ms of every 100 ms.
        XCTAssertEqual(result.summary.run.gpuUtilization!, 0.2, accuracy: 1e-9)
    }

    /// 40 fps into a 30 ms FIFO server, 15 ms each way, no serialization: frame k arrives at
    /// 25k + 15, starts at 15 + 30k (the server never idles after the first), ends at 45 + 30k and
    /// is back at 60 + 30k, so its latency is 60 + 5k ms.
    func testQueueBuildsUpLinearlyUnderOverload() {
        let client = TestWorld.client("c", arrivals: .periodic(fps: 40, jitter: 0, phase: 0),
                                      uplink: TestWorld.link(delayMs: 15), downlink: TestWorld.link(delayMs: 15))
        let spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 30])], durationMs: 250)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 10)
        for (k, record) in result.requests.enumerated() {
            let r = record.request
            XCTAssertEqual(r.arrived, ms(25 * Double(k) + 15))
            XCTAssertEqual(r.batchStart, ms(15 + 30 * Double(k)))
            XCTAssertEqual(r.completed - r.created, ms(60 + 5 * Double(k)), "frame \(k)")
        }
    }

    /// 125 fps of 125,000 B frames on a 100 Mbit/s uplink: each takes 10 ms on the wire, so the
    /// uplink is the bottleneck and frame k starts sending at 10k ms.
    func testUplinkSerializesFramesInOrder() {
        let client = TestWorld.client("c", arrivals: .periodic(fps: 125, jitter: 0, phase: 0), frameBytes: 125_000,
                                      uplink: TestWorld.link(mbps: 100, delayMs: 2))
        let spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 80)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 10)
        for (k, record) in result.requests.enumerated() {
            XCTAssertEqual(record.request.created, ms(8 * Double(k)))
            XCTAssertEqual(record.request.sent, ms(10 * Double(k)))
            XCTAssertEqual(record.request.arrived, ms(10 * Double(k) + 12))
        }
    }

    /// Fixed batches of 2: client a's frame (t = 0) waits for b's (t = 1 ms); the batch runs 8 ms.
    /// c's frame at 2 ms never finds a partner and is unfinished when the run stops.
    func testFixedBatchWaitsForAFullBatch() {
        let clients = ["a", "b", "c"].enumerated().map { i, name in
            TestWorld.client(name, arrivals: .periodic(fps: 1, jitter: 0, phase: ms(Double(i))))
        }
        let spec = TestWorld.spec(clients: clients,
                                  servers: [ServerSpec(name: "s", gpus: 1, policy: FixedBatchPolicy(batchSize: 2))],
                                  models: [TestWorld.model(latencyMs: [2: 8])], durationMs: 500, drainMs: 100)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.count, 1)
        XCTAssertEqual(result.batches[0].size, 2)
        XCTAssertEqual(result.batches[0].start, ms(1))
        XCTAssertEqual(result.batches[0].end, ms(9))
        XCTAssertEqual(result.requests.map { $0.request.completed - $0.request.created }[0...1], [ms(9), ms(8)])
        XCTAssertEqual(result.requests[2].outcome, .unfinished)
        XCTAssertEqual(result.summary.run.unfinished, 1)
        XCTAssertEqual(result.end, ms(9), "nothing can happen after the batch, so the run ends there")
        XCTAssertEqual(result.summary.windowSeconds, 0.5, "the window is still the scenario's duration")
    }

    /// Dynamic batching (max 4, 3 ms): a lone request waits the full 3 ms then runs alone; four
    /// simultaneous requests run at once as a batch of 4.
    func testDynamicBatchTimeoutAndFullBatch() {
        let policy = DynamicBatchPolicy(maxBatch: 4, maxQueueDelay: ms(3), tables: [TestWorld.model(latencyMs: [1: 5, 2: 6, 4: 7]).latency])
        let lone = TestWorld.client("lone", arrivals: .periodic(fps: 1, jitter: 0, phase: 0))
        var spec = TestWorld.spec(clients: [lone], servers: [ServerSpec(name: "s", gpus: 1, policy: policy)],
                                  models: [TestWorld.model(latencyMs: [1: 5, 2: 6, 4: 7])], durationMs: 100)
        var result = TestWorld.run(spec)
        XCTAssertEqual(result.requests[0].request.batchStart, ms(3))
        XCTAssertEqual(result.requests[0].request.completed, ms(8))

        spec.clients = (0..<4).map { TestWorld.client("c\($0)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms(10))) }
        result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.count, 1)
        XCTAssertEqual(result.batches[0].size, 4)
        XCTAssertEqual(result.batches[0].start, ms(10), "a full batch does not wait for the timeout")
        XCTAssertEqual(result.batches[0].end, ms(17))

        // Three waiting at the timeout: the table has 1, 2 and 4, so a batch of 2 runs, then 1.
        spec.clients = (0..<3).map { TestWorld.client("c\($0)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms(10))) }
        result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.map(\.size), [2, 1])
        XCTAssertEqual(result.batches.map(\.start), [ms(13), ms(19)])
    }

    /// Queue capacity 1 on one GPU busy for 30 ms: the first request runs, the second waits, the
    /// third finds the queue full.
    func testQueueFullDrops() {
        let clients = (0..<3).map { TestWorld.client("c\($0)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms(Double($0)))) }
        let spec = TestWorld.spec(clients: clients,
                                  servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy(), queueCapacity: 1)],
                                  models: [TestWorld.model(latencyMs: [1: 30])], durationMs: 100)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.outcome), [.completed, .completed, .dropped(.queueFull)])
        XCTAssertEqual(result.requests[2].request.arrived, ms(2))
        XCTAssertEqual(result.summary.run.dropped, 1)
        XCTAssertEqual(result.summary.run.deadlineMissRate!, 1.0 / 3, accuracy: 1e-12)
    }

    /// With drop_expired, a request whose 10 ms deadline passes while the GPU is busy for 30 ms is
    /// dropped when the GPU next looks at the queue.
    func testExpiredRequestsAreDroppedFromQueue() {
        let clients = (0..<2).map {
            TestWorld.client("c\($0)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms(Double($0))), deadlineMs: 10)
        }
        let spec = TestWorld.spec(clients: clients,
                                  servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy(), dropExpired: true)],
                                  models: [TestWorld.model(latencyMs: [1: 30])], durationMs: 100)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.outcome), [.completed, .dropped(.expiredInQueue)])
        XCTAssertFalse(result.requests[0].metDeadline, "30 ms of service misses a 10 ms deadline")
        XCTAssertEqual(result.summary.run.deadlineMissRate, 1)
    }

    /// Periodic jitter only delays a frame, by at most the jitter, and never reorders frames.
    func testJitterDelaysWithinBound() {
        let client = TestWorld.client("c", arrivals: .periodic(fps: 30, jitter: ms(20), phase: 0))
        let spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 10_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 300)
        var offsets: [Double] = []
        for (k, r) in result.requests.enumerated() {
            let nominal = SimTime((Double(k) * 1e9 / 30).rounded())
            let offset = r.request.created - nominal
            XCTAssertTrue(offset >= 0 && offset <= ms(20), "frame \(k) offset \(offset)")
            offsets.append(Double(offset))
        }
        // Uniform on [0, 20 ms]: mean 10 ms, standard error 20/sqrt(12 * 300) ms.
        let meanMs: Double = offsets.reduce(0, +) / 300 / 1e6
        let standardError: Double = 20 / (12.0 * 300).squareRoot()
        XCTAssertEqual(meanMs, 10, accuracy: 4 * standardError)
    }
}

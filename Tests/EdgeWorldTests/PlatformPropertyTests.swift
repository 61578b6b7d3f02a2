import EdgeWorld
import Policies
import SimKernel
import XCTest

/// The invariants of PropertyTests on random worlds that use the platform: two sites with
/// round-robin, least-loaded or redundant dispatch; sessions with admission limits; device
/// splits, fixed and per-request (adaptive, with compressed wire formats); pipelines over two
/// pools; mobility that stays or migrates; lossy, jittery links; interference; in-flight limits.
final class PlatformPropertyTests: XCTestCase {
    /// A random cut per request, after layer 1 or 2, sometimes compressed.
    struct RandomCut: SplitPolicy {
        var rng: RandomStream
        var perRequest: Bool { true }
        func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.site(servingSite))]) }
        mutating func route(for view: SplitView) -> Route {
            let cut = 1 + rng.nextIndex(below: 2)
            let wire = rng.nextIndex(below: 2) == 0 ? nil : WireFormat(bytesFactor: 0.3, encode: 500_000, decode: 700_000, qualityLoss: 0.05)
            return Route([Stage(.device, layers: 0..<cut, wire: wire), Stage(.site(view.servingSite), layers: cut..<4)])
        }
    }

    func randomWorld(_ rng: inout RandomStream) -> WorldSpec {
        func ms(_ x: Double) -> SimTime { Time.milliseconds(x) }
        let layered = LatencyTable(batchSizes: [1, 2, 4], layerLatencies: [[ms(1), ms(2), ms(1), ms(1)],
                                                                          [ms(1.5), ms(3), ms(1.5), ms(1.5)],
                                                                          [ms(2.5), ms(5), ms(2.5), ms(2.5)]], spread: nil)
        let device = LatencyTable(batchSizes: [1], layerLatencies: [[ms(4), ms(6), ms(4), ms(4)]], spread: nil)
        let models = [ModelSpec(name: "layered", latency: layered, layerOutputBytes: [60_000, 20_000, 8_000, 1_000])]
        func link(_ kind: String) -> LinkSpec {
            LinkSpec(name: kind, kind: kind, capacity: .constant(bitsPerSecond: (5 + rng.nextUnit() * 95) * 1e6),
                     propagationDelay: ms(rng.nextUnit() * 15), jitter: ms(rng.nextUnit() * 3),
                     lossRate: rng.nextIndex(below: 3) == 0 ? rng.nextUnit() * 0.05 : 0, retransmitDelay: ms(10))
        }
        let dispatch: [any ClusterPolicy] = [RoundRobinDispatch(), LeastLoadedDispatch(), RedundantDispatch(copies: 2),
                                             RedundantDispatch(copies: 2, cancellation: .onStart),
                                             RedundantDispatch(copies: 2, needed: 2), RedundantDispatch(copies: 2, delay: ms(3))]
        var sites = (0..<2).map { x in
            SiteSpec(name: "site\(x)", dispatch: dispatch[rng.nextIndex(below: dispatch.count)], wanUp: link("wan_up"), wanDown: link("wan_down"))
        }
        for x in sites.indices where rng.nextIndex(below: 2) == 0 { sites[x].admission = MaxSessionsAdmission(limit: rng.nextIndex(below: 5)) }
        let servers = (0..<(2 + rng.nextIndex(below: 3))).map { s -> ServerSpec in
            let policy: any ServerPolicy = rng.nextIndex(below: 2) == 0 ? FIFOPolicy()
                : DynamicBatchPolicy(maxBatch: 4, maxQueueDelay: ms(rng.nextUnit() * 4), tables: [layered])
            var server = ServerSpec(name: "s\(s)", site: s % 2, gpus: 1 + rng.nextIndex(below: 2), policy: policy,
                                    variability: rng.nextIndex(below: 2) == 0 ? .deterministic : .exponential,
                                    queueCapacity: rng.nextIndex(below: 2) == 0 ? nil : 2 + rng.nextIndex(below: 20),
                                    dropExpired: rng.nextIndex(below: 2) == 0)
            if rng.nextIndex(below: 2) == 0 { server.interference = Interference(mean: 1 + rng.nextUnit(), cv: rng.nextUnit(), step: ms(50)) }
            if rng.nextIndex(below: 3) == 0 { server.mpsShares = [0.2 + rng.nextUnit() * 0.5, 0.2] }
            // Some servers are a NIC'd machine; the next may be a second pool of the same one.
            if s == 0 || rng.nextIndex(below: 2) == 0 {
                server.nicIn = link("nic_in")
                server.nicOut = link("nic_out")
                server.interconnect = link("interconnect")
            } else if s % 2 == 0 {
                server.machine = s - 2
                server.site = (s - 2) % 2
            }
            return server
        }
        let clients = (0..<(1 + rng.nextIndex(below: 16))).map { c -> ClientSpec in
            let split: any SplitPolicy = switch rng.nextIndex(below: 4) {
            case 0: WholeModelAtEdge()
            case 1: SplitAtLayer(layer: 1 + rng.nextIndex(below: 3), layerCount: 4, cloud: nil)
            case 2:
                // A two-stage pipeline over two pools (servers), possibly at different sites.
                PipelineStages(stages: [(server: 0, layers: 0..<2), (server: 1 + rng.nextIndex(below: servers.count - 1), layers: 2..<4)])
            default: RandomCut(rng: RandomStream(seed: rng.next(), name: "cut"))
            }
            let task = TaskSpec(name: "t", model: 0, deadline: ms(30 + rng.nextUnit() * 200), resultBytes: rng.nextIndex(below: 4_000),
                                split: split, deviceLatency: device)
            let site = rng.nextIndex(below: 2)
            var client = ClientSpec(name: "c\(c)", group: c % 2, arrivals: .periodic(fps: 5 + rng.nextUnit() * 25, jitter: 0, phase: nil),
                                    frameBytes: rng.nextIndex(below: 60_000), tasks: [task], uplink: link("client_up"),
                                    downlink: link("client_down"), site: site,
                                    mobility: rng.nextIndex(below: 3) == 0 ? [Handover(time: ms(500 + rng.nextUnit() * 1_500), site: 1 - site)] : [],
                                    migration: rng.nextIndex(below: 2) == 0 ? .stay : .migrate(stateBytes: rng.nextIndex(below: 500_000)),
                                    maxOffloadsInFlight: rng.nextIndex(below: 2) == 0 ? nil : 1 + rng.nextIndex(below: 3))
            if rng.nextIndex(below: 2) == 0 {
                let start = rng.nextUnit() * 1_500
                client.session = SessionSpec(start: ms(start), end: rng.nextIndex(below: 2) == 0 ? nil : ms(start + 200 + rng.nextUnit() * 1_500),
                                             requestBytes: rng.nextIndex(below: 500))
            }
            return client
        }
        var spec = TestWorld.spec(clients: clients, servers: servers, models: models, durationMs: 2_500,
                                  warmupMs: 300, drainMs: 300 + rng.nextUnit() * 2_000, seed: rng.next() >> 1)
        spec.sites = sites
        spec.clientGroups = ["g0", "g1"]
        return spec
    }

    /// The prefetch hints change nothing in platform worlds either (sites and dispatch, copies,
    /// pipelines, handovers, sessions), half of them with generated motion of one step for every
    /// client (the hint then finds a client's motion blocks by arithmetic).
    func testPrefetchHintsChangeNothing() {
        var rng = RandomStream(seed: 12, name: "platform-hints")
        var compared = 0
        for round in 0..<12 {
            var spec = randomWorld(&rng)
            if round % 2 == 0 {
                for c in spec.clients.indices {
                    spec.clients[c].generatedMotion = GeneratedMotion(meanSpeed: 30, cv: 1, step: Time.milliseconds(100), seed: 5,
                                                                      streamKey: UInt64(c))
                }
            }
            compared += TestWorld.assertHintsChangeNothing(spec, "round \(round)")
        }
        XCTAssertGreaterThan(compared, 200)
    }

    func testInvariantsHoldInRandomPlatformWorlds() {
        var rng = RandomStream(seed: 2026, name: "platform-worlds")
        var sawCopies = false, sawRejected = false, sawDevice = false, sawCompressed = false, sawPipeline = false
        var completed = 0
        for round in 0..<40 {
            let spec = randomWorld(&rng)
            let result = TestWorld.run(spec)
            let (requests, batches, summary) = (result.requests, result.batches, result.summary)
            let context = "round \(round)"
            XCTAssertNil(result.failure, context)
            completed += requests.filter { $0.outcome == .completed }.count

            // Every request and copy ends exactly once.
            let ids = requests.map(\.request.id).sorted()
            XCTAssertEqual(ids, Array(0..<UInt64(ids.count)), "ids dense and unique; \(context)")
            let originals = requests.filter { $0.request.copy == 0 }
            let inWindow = originals.filter { $0.request.created >= spec.warmup && $0.request.created < spec.duration }
            XCTAssertEqual(summary.run.requests, inWindow.count, context)
            XCTAssertEqual(summary.run.requests, summary.run.completed + summary.run.dropped + summary.run.unfinished, context)
            sawCopies = sawCopies || requests.contains { $0.request.copy > 0 }

            // Stages in order.
            for record in requests where record.outcome == .completed {
                let r = record.request
                XCTAssertLessThanOrEqual(r.created, r.completed, context)
                if r.deviceStart >= 0 {
                    sawDevice = true
                    XCTAssertTrue(r.created <= r.deviceStart && r.deviceStart <= r.deviceEnd, context)
                    if r.sent >= 0 { XCTAssertLessThanOrEqual(r.deviceEnd, r.sent, context) }
                }
                if r.batch >= 0 {
                    XCTAssertTrue(r.sent <= r.arrived && r.arrived <= r.queued && r.queued <= r.batchStart
                                  && r.batchStart < r.batchEnd && r.batchEnd <= r.completed, "request \(r.id); \(context)")
                }
                if let route = record.route, route.stages.contains(where: { $0.wire != nil }) { sawCompressed = true }
                if let route = record.route, route.stages.count == 2, case .server = route.stages[0].placement { sawPipeline = true }
            }

            // No executor runs two batches at once.
            var lastEnd: [String: SimTime] = [:]
            for b in batches {
                let key = "\(b.server)/\(b.gpu)"
                XCTAssertGreaterThanOrEqual(b.start, lastEnd[key] ?? 0, "overlap on \(key); \(context)")
                lastEnd[key] = b.end
            }

            // Sessions: nothing from a client before its admission reply, after it left, or ever if rejected.
            for row in summary.sessions {
                let c = Int32(spec.clients.firstIndex { $0.name == row.client }!)
                let mine = originals.filter { $0.request.client == c }
                if !row.admitted {
                    sawRejected = true
                    XCTAssertTrue(mine.isEmpty, "a rejected session sent requests; \(context)")
                }
                for r in mine {
                    XCTAssertGreaterThanOrEqual(r.request.created, row.replied, context)
                    if row.ended >= 0 { XCTAssertLessThan(r.request.created, row.ended, context) }
                }
            }
        }
        XCTAssertGreaterThan(completed, 5_000, "the worlds do real work")
        XCTAssertTrue(sawCopies && sawRejected && sawDevice && sawCompressed && sawPipeline,
                      "the random worlds exercise redundancy, admission, device stages, wire formats and pipelines")
    }
}

import Foundation
import EdgeWorld
import Policies
import SimKernel
import XCTest

/// The AR world's mechanisms on worlds small enough to work out by hand: shared access points,
/// multi-task clients, the in-flight limit and fallbacks, accuracy, wide-area paths, splits,
/// pipelines, redundancy, mobility, model loading, MPS, cost and loss.
final class ARWorldTests: XCTestCase {
    let ms = TestWorld.ms

    func task(_ name: String = "t", model: Int = 0, deadlineMs: Double = 1_000, resultBytes: Int = 0,
              split: any SplitPolicy = WholeModelAtEdge(), fallback: LocalFallback? = nil,
              accuracy: AccuracyModel = AccuracyModel(), device: LatencyTable? = nil) -> TaskSpec {
        TaskSpec(name: name, model: model, deadline: ms(deadlineMs), resultBytes: resultBytes, split: split,
                 fallback: fallback, accuracy: accuracy, deviceLatency: device)
    }

    func client(_ name: String, fps: Double = 10, phaseMs: Double = 0, frameBytes: Int = 0, tasks: [TaskSpec],
                up: LinkSpec = TestWorld.link(), down: LinkSpec = TestWorld.link(), site: Int = 0,
                mobility: [Handover] = [], migration: MigrationPolicy = .stay, maxInFlight: Int? = nil,
                motion: MotionTrace? = nil) -> ClientSpec {
        ClientSpec(name: name, group: 0, arrivals: .periodic(fps: fps, jitter: 0, phase: ms(phaseMs)), frameBytes: frameBytes,
                   tasks: tasks, uplink: up, downlink: down, site: site, mobility: mobility, migration: migration,
                   maxOffloadsInFlight: maxInFlight, motion: motion)
    }

    func world(clients: [ClientSpec], servers: [ServerSpec], models: [ModelSpec] = [TestWorld.model(latencyMs: [1: 1])],
               sites: [SiteSpec] = [SiteSpec(name: "edge")], durationMs: Double, groups: [String] = ["g"]) -> WorldSpec {
        var spec = TestWorld.spec(clients: clients, servers: servers, models: models, durationMs: durationMs)
        spec.sites = sites
        spec.clientGroups = groups
        return spec
    }

    func table(_ layersMs: [Double]) -> LatencyTable {
        LatencyTable(batchSizes: [1], layerLatencies: [layersMs.map { ms($0) }], spread: nil)
    }

    /// Two clients each send 125,000 B at t = 0 over their own 100 Mbit/s uplinks (10 ms), then
    /// through one shared 100 Mbit/s access point: the first gets it from 10 to 20 ms, the second
    /// from 20 to 30 ms. One millisecond on the GPU: 21 and 31 ms.
    func testClientsShareTheAccessPoint() {
        let ap = LinkSpec(name: "ap", kind: "ap_up", capacity: .constant(bitsPerSecond: 100e6), propagationDelay: 0)
        let clients = (0..<2).map { client("c\($0)", fps: 1, frameBytes: 125_000, tasks: [task()], up: TestWorld.link(mbps: 100)) }
        let spec = world(clients: clients, servers: [ServerSpec(name: "s", gpus: 2, policy: FIFOPolicy())],
                         sites: [SiteSpec(name: "edge", accessPointUp: ap)], durationMs: 500)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map { $0.request.completed - $0.request.created }, [ms(21), ms(31)])
        let apRow = result.summary.links.first { $0.kind == "ap_up" }!
        XCTAssertEqual(apRow.bytes, 250_000)
        XCTAssertEqual(apRow.busySeconds, 0.02, accuracy: 1e-12)
    }

    /// Two tasks of one frame that go to the same place share one upload of the frame.
    func testTasksOfAFrameShareOneUpload() {
        let c = client("c", frameBytes: 125_000, tasks: [task("detect"), task("depth")], up: TestWorld.link(mbps: 100))
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 2, policy: FIFOPolicy())], durationMs: 1_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 20, "10 frames x 2 tasks")
        XCTAssertEqual(result.summary.links.first { $0.kind == "client_up" }!.bytes, 10 * 125_000)
        XCTAssertEqual(Set(result.requests.map(\.request.sent)).count, 10, "both tasks of a frame leave together")
        XCTAssertEqual(result.summary.rows.filter { $0.scope == "task" }.map(\.name), ["detect", "depth"])
    }

    /// Six tasks of one frame share one upload: four are carried inline, the fifth and sixth in a
    /// spilled array. All six leave together, arrive together (a 100 ms uplink, 1 ms GPU runs, six
    /// GPUs) and come back at 101 ms, frame after frame, and nothing spilled outlives its upload.
    func testSixTasksShareOneUpload() {
        let tasks = (0..<6).map { task("t\($0)") }
        let c = client("c", frameBytes: 1_250_000, tasks: tasks, up: TestWorld.link(mbps: 100))
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 6, policy: FIFOPolicy())], durationMs: 1_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 60, "10 frames x 6 tasks")
        XCTAssertEqual(result.summary.links.first { $0.kind == "client_up" }!.bytes, 10 * 1_250_000)
        for frame in 0..<10 {
            let rows = result.requests.filter { $0.request.frame == Int64(frame) }
            XCTAssertEqual(rows.map(\.request.task), [0, 1, 2, 3, 4, 5])
            XCTAssertEqual(Set(rows.map(\.request.sent)).count, 1, "frame \(frame): one upload")
            XCTAssertEqual(Set(rows.map(\.request.arrived)), [rows[0].request.created + ms(100)])
            XCTAssertEqual(rows.map { $0.request.completed - $0.request.created }, Array(repeating: ms(101), count: 6))
        }
        var sim = World.simulation(spec)
        _ = sim.run(until: spec.endTime)
        XCTAssertEqual(sim.model.spilledUploads, 0)
    }

    /// Up to six frames in flight (four held in the client's record, two in its overflow), one
    /// GPU taking 930 ms a frame, 10 fps: frames 0-5 go at once; then each completion (at
    /// 930 ms x k) frees a place that the next capture takes: frames 10, 19, 28, 38, 47, 56, 66.
    func testSixFramesInFlight() {
        let c = client("c", tasks: [task(deadlineMs: 10_000)], maxInFlight: 6)
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                         models: [TestWorld.model(latencyMs: [1: 930])], durationMs: 7_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.request.frame), [0, 1, 2, 3, 4, 5, 10, 19, 28, 38, 47, 56, 66])
    }

    /// One offload in flight (AccuMO's client), a 250 ms server and a 20 ms local fallback, at
    /// 10 fps. Frame 0 is offloaded (back at 250 ms); frames 1 and 2 run the fallback; frame 3 is
    /// offloaded (back at 550); 4 and 5 run the fallback; 6 is offloaded. Accuracy at each frame,
    /// server 0.9 and local 0.6 fresh, minus 0.05 per frame of staleness:
    /// frame 0, 1: nothing yet (0); 2: local result of frame 1 (0.55); 3: server result of frame 0
    /// (0.75); 4: 0.70; 5: 0.65; 6: server result of frame 3 (0.75).
    func testInFlightLimitFallbackAndAccuracy() {
        let fallback = LocalFallback(name: "tiny", latency: table([20]))
        let accuracy = AccuracyModel(server: 0.9, local: 0.6, perFrame: 0.05)
        let c = client("c", tasks: [task(fallback: fallback, accuracy: accuracy)], maxInFlight: 1)
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                         models: [TestWorld.model(latencyMs: [1: 250])], durationMs: 700)
        var sim = World.simulation(spec)
        var frames: [FrameRecord] = []
        while sim.run(until: spec.endTime, maxEvents: 1000) == .eventBudget { frames += sim.model.takeOutbox().frames }
        let summary = sim.model.finish(at: sim.now)
        frames += sim.model.takeOutbox().frames
        XCTAssertEqual(frames.map(\.frame), Array(0...6))
        let expected: [Double] = [0, 0, 0.55, 0.75, 0.70, 0.65, 0.75]
        for (f, e) in zip(frames, expected) { XCTAssertEqual(f.accuracy, e, accuracy: 1e-12, "frame \(f.frame)") }
        XCTAssertEqual(frames.map(\.source), [.none, .none, .local, .server, .server, .server, .server])
        XCTAssertEqual(frames.map(\.staleness), [-1, -1, 1, 3, 4, 5, 3])
        XCTAssertEqual(summary.clients[0].offloads, 3)
        XCTAssertEqual(summary.clients[0].localRuns, 4)
        XCTAssertEqual(summary.run.accuracyMean!, expected.reduce(0, +) / 7, accuracy: 1e-12)
    }

    /// The camera turns 10 deg/s and a result loses 0.01 per degree turned since its frame: the
    /// result of frame k, used at frame k+1, is 1 degree old.
    func testAccuracyFallsWithCameraRotation() {
        let motion = MotionTrace(times: [0, ms(10_000)], degrees: [0, 100])
        let c = client("c", tasks: [task(accuracy: AccuracyModel(server: 1, perDegree: 0.01))], motion: motion)
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                         models: [TestWorld.model(latencyMs: [1: 50])], durationMs: 1_000)
        var sim = World.simulation(spec)
        _ = sim.run()
        let frames = sim.model.takeOutbox().frames
        for f in frames.dropFirst() { XCTAssertEqual(f.accuracy, 0.99, accuracy: 1e-9, "frame \(f.frame)") }
    }

    /// Cloud via the edge's wide-area link (100 Mbit/s, 20 ms each way): 125,000 B frame, 1 ms on
    /// a 1 Gbit/s client uplink, 10 + 20 ms on the WAN, 5 ms of GPU; a 12,500 B result, 1 + 20 ms
    /// on the WAN, 0.1 ms on the client's downlink: 57.1 ms.
    func testCloudThroughTheWideAreaLink() {
        let wanUp = LinkSpec(name: "wan-up", kind: "wan_up", capacity: .constant(bitsPerSecond: 100e6), propagationDelay: ms(20))
        let wanDown = LinkSpec(name: "wan-down", kind: "wan_down", capacity: .constant(bitsPerSecond: 100e6), propagationDelay: ms(20))
        let sites = [SiteSpec(name: "edge", wanUp: wanUp, wanDown: wanDown), SiteSpec(name: "cloud", isCloud: true)]
        let c = client("c", fps: 1, frameBytes: 125_000, tasks: [task(resultBytes: 12_500, split: WholeModelInCloud(cloud: 1))],
                       up: TestWorld.link(mbps: 1_000), down: TestWorld.link(mbps: 1_000))
        let spec = world(clients: [c], servers: [ServerSpec(name: "cloud-gpu", site: 1, gpus: 1, policy: FIFOPolicy())],
                         models: [TestWorld.model(latencyMs: [1: 5])], sites: sites, durationMs: 500)
        let r = TestWorld.run(spec).requests[0]
        XCTAssertEqual(r.request.completed - r.request.created, ms(57.1))
        XCTAssertEqual(r.route, Route([Stage(.site(1))]))
    }

    /// Split after layer 2 of 3: the device runs layers 0-1 (4 + 6 ms), sends layer 1's
    /// 125,000 B of activations over 100 Mbit/s (10 ms), the edge runs layer 2 (3 ms): 23 ms.
    func testSplitRunsTheDeviceStageThenTheRest() {
        let model = ModelSpec(name: "m", latency: nil, layerOutputBytes: [250_000, 125_000, 1_000])
        let device = table([4, 6, 10])
        let c = client("c", fps: 1, frameBytes: 600_000,
                       tasks: [task(split: SplitAtLayer(layer: 2, layerCount: 3, cloud: nil), device: device)],
                       up: TestWorld.link(mbps: 100))
        let server = ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy(), profiled: [table([1, 2, 3])])
        let spec = world(clients: [c], servers: [server], models: [model], durationMs: 500)
        let r = TestWorld.run(spec).requests[0].request
        XCTAssertEqual(r.deviceStart, 0)
        XCTAssertEqual(r.deviceEnd, ms(10))
        XCTAssertEqual(r.sent, ms(10))
        XCTAssertEqual(r.arrived, ms(20))
        XCTAssertEqual(r.batchEnd, ms(23))
        XCTAssertEqual(r.completed, ms(23))
        XCTAssertEqual(r.firstLayer, 2)
        XCTAssertEqual(r.endLayer, 3)
    }

    /// A two-stage pipeline: layer 0 (5 ms) on server a, layer 1 (7 ms) on server b; layer 0's
    /// 125,000 B cross a's NIC and b's NIC at 1 Gbit/s (1 ms each): 14 ms. Both stages on one
    /// server cross its 8 Gbit/s interconnect instead (0.125 ms): 12.125 ms.
    func testPipelineStagesPassActivations() {
        let model = ModelSpec(name: "m", latency: nil, layerOutputBytes: [125_000, 1_000])
        func nic(_ n: String, _ k: String) -> LinkSpec { LinkSpec(name: n, kind: k, capacity: .constant(bitsPerSecond: 1e9), propagationDelay: 0) }
        let ic = LinkSpec(name: "nvlink", kind: "interconnect", capacity: .constant(bitsPerSecond: 8e9), propagationDelay: 0)
        let servers = ["a", "b"].map {
            ServerSpec(name: $0, gpus: 1, policy: FIFOPolicy(), profiled: [table([5, 7])], nicIn: nic("\($0)-in", "nic_in"),
                       nicOut: nic("\($0)-out", "nic_out"), interconnect: ic)
        }
        var c = client("c", fps: 1, tasks: [task(split: PipelineStages(stages: [(0, 0..<1), (1, 1..<2)]))])
        var spec = world(clients: [c], servers: servers, models: [model], durationMs: 500)
        var r = TestWorld.run(spec).requests[0]
        // The frame also crosses a's NIC on the way in (0 bytes here), and the result b's on the way out.
        XCTAssertEqual(r.request.completed - r.request.created, ms(14))
        XCTAssertEqual(r.route?.stages.count, 2)

        c.tasks = [task(split: PipelineStages(stages: [(0, 0..<1), (0, 1..<2)]))]
        spec.clients = [c]
        r = TestWorld.run(spec).requests[0]
        XCTAssertEqual(r.request.completed - r.request.created, ms(12.125))
    }

    /// Redundant dispatch to both servers (10 ms and 4 ms per request, one GPU each), two requests
    /// at t = 0, cancel on finish. Server b finishes A at 4 ms (A wins): A's copy running alone on
    /// server a is aborted then, and a starts B's copy, which is aborted in turn when b finishes B
    /// at 8 ms. Each GPU was busy 8 ms: every copy's GPU time counts, up to its abort.
    func testRedundantCopiesFirstResultWins() {
        let model = ModelSpec(name: "m", latency: nil)
        let servers = [("a", 10.0), ("b", 4.0)].map { ServerSpec(name: $0.0, gpus: 1, policy: FIFOPolicy(), profiled: [table([$0.1])]) }
        let clients = (0..<2).map { client("c\($0)", fps: 1, tasks: [task()]) }
        let spec = world(clients: clients, servers: servers, models: [model],
                         sites: [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 2))], durationMs: 500)
        let result = TestWorld.run(spec)
        let completed = result.requests.filter { $0.outcome == .completed }
        XCTAssertEqual(completed.map { $0.request.completed }, [ms(4), ms(8)])
        XCTAssertEqual(result.requests.filter { $0.outcome == .cancelled }.count, 2)
        XCTAssertEqual(result.batches.map(\.server), [0, 1, 0, 1])
        XCTAssertEqual(result.batches.map { $0.end - $0.start }, [ms(4), ms(4), ms(4), ms(4)])
        XCTAssertEqual(result.summary.run.requests, 2, "copies are not requests")
        XCTAssertEqual(result.summary.run.cancelled, 2)
        XCTAssertEqual(result.summary.redundantCopies, 2)
        XCTAssertEqual(result.summary.gpus.map(\.busySeconds), [0.008, 0.008])
    }

    /// The same two requests with cancel on start. A's copies reach a and b as two events at
    /// t = 0: a takes A first and wins, so A's copy reaching b is dropped on arrival; B then waits
    /// on a but starts on b at once and wins, leaving a's queue. A ends at 10 ms, B at 4 ms, and
    /// no GPU time is wasted.
    func testRedundantCopiesCancelledOnStart() {
        let model = ModelSpec(name: "m", latency: nil)
        let servers = [("a", 10.0), ("b", 4.0)].map { ServerSpec(name: $0.0, gpus: 1, policy: FIFOPolicy(), profiled: [table([$0.1])]) }
        let clients = (0..<2).map { client("c\($0)", fps: 1, tasks: [task()]) }
        let spec = world(clients: clients, servers: servers, models: [model],
                         sites: [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 2, cancellation: .onStart))], durationMs: 500)
        let result = TestWorld.run(spec)
        let completed = result.requests.filter { $0.outcome == .completed }
        XCTAssertEqual(completed.map { $0.request.completed }.sorted(), [ms(4), ms(10)])
        XCTAssertEqual(result.summary.run.requests, 2)
        XCTAssertEqual(result.summary.run.cancelled, 2)
        XCTAssertEqual(result.summary.gpus.map(\.busySeconds), [0.010, 0.004])
    }

    /// Two of three (10, 4 and 6 ms): one request at t = 0 has its first result from b at 4 ms and
    /// its second from c at 6 ms, when it is done and a's copy is aborted. b's result is one of
    /// the two, counted as a cancelled copy with a's.
    func testKOfRWaitsForKResults() {
        let model = ModelSpec(name: "m", latency: nil)
        let servers = [("a", 10.0), ("b", 4.0), ("c", 6.0)].map { ServerSpec(name: $0.0, gpus: 1, policy: FIFOPolicy(), profiled: [table([$0.1])]) }
        let spec = world(clients: [client("c", fps: 1, tasks: [task()])], servers: servers, models: [model],
                         sites: [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 3, needed: 2))], durationMs: 500)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.filter { $0.outcome == .completed }.map { $0.request.completed }, [ms(6)])
        XCTAssertEqual(result.summary.run.requests, 1)
        XCTAssertEqual(result.summary.run.cancelled, 2)
        XCTAssertEqual(result.summary.gpus.map(\.busySeconds), [0.006, 0.004, 0.006])
    }

    /// A copy delayed 3 ms (a 10 ms, b 4 ms): the original runs on a; the copy leaves at 3 ms,
    /// finishes on b at 7 ms and wins, and a's original is aborted then. With a 12 ms delay the
    /// original is done at 10 ms and no copy is ever made.
    func testDelayedCopiesGoOutOnlyIfStillNeeded() {
        let model = ModelSpec(name: "m", latency: nil)
        let servers = [("a", 10.0), ("b", 4.0)].map { ServerSpec(name: $0.0, gpus: 1, policy: FIFOPolicy(), profiled: [table([$0.1])]) }
        func run(delayMs: Double) -> TestWorld.Result {
            TestWorld.run(world(clients: [client("c", fps: 1, tasks: [task()])], servers: servers, models: [model],
                                sites: [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 2, delay: ms(delayMs)))], durationMs: 500))
        }
        var result = run(delayMs: 3)
        XCTAssertEqual(result.requests.filter { $0.outcome == .completed }.map { $0.request.completed }, [ms(7)])
        XCTAssertEqual(result.summary.gpus.map(\.busySeconds), [0.007, 0.004])
        XCTAssertEqual(result.summary.redundantCopies, 1)
        result = run(delayMs: 12)
        XCTAssertEqual(result.requests.map { $0.request.completed }, [ms(10)])
        XCTAssertEqual(result.summary.redundantCopies, 0)
        XCTAssertEqual(result.summary.gpus.map(\.busySeconds), [0.010, 0])
    }

    /// The original wins on a at 4 ms; its result (1,000 bytes at 8 kbit/s: 1 s) is still on its
    /// way, and the copy to b is still crossing b's 1 kbit/s NIC, when the run ends at 50 ms. The
    /// request counts once, as unfinished (the winner stands for it); the copy is cancelled.
    func testTheWinnerStandsForItsRequestWhenTheRunEnds() {
        let model = ModelSpec(name: "m", latency: nil)
        var servers = [("a", 4.0), ("b", 4.0)].map { ServerSpec(name: $0.0, gpus: 1, policy: FIFOPolicy(), profiled: [table([$0.1])]) }
        servers[1].nicIn = LinkSpec(bitsPerSecond: 1_000, propagationDelay: 0)
        let c = client("c", fps: 1, frameBytes: 1_000, tasks: [task(resultBytes: 1_000)], down: TestWorld.link(mbps: 0.008))
        var spec = world(clients: [c], servers: servers, models: [model],
                         sites: [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 2))], durationMs: 50)
        spec.drain = 0
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.summary.run.requests, 1)
        XCTAssertEqual(result.summary.run.unfinished, 1)
        XCTAssertEqual(result.summary.run.cancelled, 1)
        XCTAssertEqual(result.requests.first { $0.request.copy == 0 }?.outcome, .unfinished)
    }

    func testLeastLoadedPicksTheServerWithFewestOutstanding() {
        let policy = LeastLoadedDispatch()
        XCTAssertEqual(policy.choose(from: [0, 1, 2], view: FrontEndView(outstanding: [3, 1, 1])), [1])
        XCTAssertEqual(RedundantDispatch(copies: 2).choose(from: [0, 1, 2], view: FrontEndView(outstanding: [0, 5, 1])), [0, 2])
        var rr = RoundRobinDispatch()
        XCTAssertEqual((0..<4).map { _ in rr.choose(from: [4, 7], view: FrontEndView(outstanding: [])) }, [[4], [7], [4], [7]])
    }

    /// A choice of one server holds no array, and reads the same as the list it stands for.
    func testServerChoiceOfOneEqualsItsList() {
        XCTAssertEqual(ServerChoice.one(3), [3])
        XCTAssertEqual(ServerChoice([3]), .one(3))
        XCTAssertEqual(ServerChoice.one(3).servers, [3])
        XCTAssertEqual(ServerChoice([2, 5]).servers, [2, 5])
        XCTAssertEqual(ServerChoice([2, 5]).count, 2)
        XCTAssertEqual(ServerChoice([2, 5]).first, 2)
        XCTAssertTrue(ServerChoice([2, 5]).isWithin([1, 2, 5]))
        XCTAssertFalse(ServerChoice([2, 6]).isWithin([1, 2, 5]))
        // What a policy may get wrong stays visible to the world's check and its message.
        XCTAssertEqual(ServerChoice([]).count, 0)
        XCTAssertNil(ServerChoice([]).first)
        XCTAssertEqual(ServerChoice.one(-1).description, "[-1]")
        XCTAssertFalse(ServerChoice.one(-1).isWithin([0, 1]))
    }

    /// A client moves from site A to site B at 500 ms; each site's WAN adds 10 ms per hop. With
    /// `stay`, it is served from A all along, 41 ms per request after the move (B up, A down, the
    /// server's 1 ms, A up, B down) instead of 1 ms. With `migrate`, 1,250,000 B of state crosses
    /// A's WAN uplink and B's downlink (100 + 10 ms each, 220 ms): frames 5-7 still go to A, frame 8
    /// (800 ms) on to B.
    func testMobilityStayOrMigrate() {
        func wan(_ n: String) -> (LinkSpec, LinkSpec) {
            (LinkSpec(name: "\(n)-up", kind: "wan_up", capacity: .constant(bitsPerSecond: 100e6), propagationDelay: ms(10)),
             LinkSpec(name: "\(n)-down", kind: "wan_down", capacity: .constant(bitsPerSecond: 100e6), propagationDelay: ms(10)))
        }
        let (au, ad) = wan("a"), (bu, bd) = wan("b")
        let sites = [SiteSpec(name: "A", wanUp: au, wanDown: ad), SiteSpec(name: "B", wanUp: bu, wanDown: bd)]
        let servers = [ServerSpec(name: "sa", site: 0, gpus: 1, policy: FIFOPolicy()), ServerSpec(name: "sb", site: 1, gpus: 1, policy: FIFOPolicy())]
        let move = [Handover(time: ms(500), site: 1)]
        var spec = world(clients: [client("c", tasks: [task()], mobility: move, migration: .stay)], servers: servers,
                         sites: sites, durationMs: 1_000)
        var result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.request.server), Array(repeating: 0, count: 10))
        XCTAssertEqual(result.requests.map { $0.request.completed - $0.request.created },
                       Array(repeating: ms(1), count: 5) + Array(repeating: ms(41), count: 5))

        spec.clients = [client("c", tasks: [task()], mobility: move, migration: .migrate(stateBytes: 1_250_000))]
        result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.request.server), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        XCTAssertEqual(result.summary.clients[0].handovers, 1)
        XCTAssertEqual(result.summary.clients[0].migrations, 1)
    }

    /// 100 MB of weights loading at 1 GB/s: the model serves from 100 ms.
    func testModelLoadingDelaysTheFirstBatch() {
        let model = ModelSpec(name: "m", latency: LatencyTable([(1, ms(1))]), weightBytes: 100_000_000)
        let server = ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy(), loadBytesPerSecond: 1e9)
        let spec = world(clients: [client("c", fps: 1, tasks: [task()])], servers: [server], models: [model], durationMs: 500)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests[0].request.batchStart, ms(100))
        XCTAssertEqual(result.summary.gpus[0].memoryBytes, 100_000_000)
    }

    /// One GPU split into two MPS shares runs two batches at once.
    func testMPSSharesRunConcurrently() {
        let model = ModelSpec(name: "m", latency: nil)
        let server = ServerSpec(name: "s", gpus: 1, mps: 2, policy: FIFOPolicy(), profiled: [table([10])])
        let clients = (0..<2).map { client("c\($0)", fps: 1, tasks: [task()]) }
        let result = TestWorld.run(world(clients: clients, servers: [server], models: [model], durationMs: 500))
        XCTAssertEqual(result.batches.map(\.start), [0, 0])
        XCTAssertEqual(result.batches.map(\.gpu), [0, 1])
        XCTAssertEqual(result.summary.gpus.map(\.physical), [0, 0])
        XCTAssertEqual(result.summary.gpus.map(\.mpsShare), [0.5, 0.5])
    }

    /// Two GPUs at $3.60 an hour for 10 s of scenario: 2 x 3.6 x 10 / 3600 = $0.02.
    func testOperatingCost() {
        let server = ServerSpec(name: "s", gpus: 2, policy: FIFOPolicy(), costPerGPUHour: 3.6)
        let result = TestWorld.run(world(clients: [client("c", tasks: [task()])], servers: [server], durationMs: 10_000))
        XCTAssertEqual(result.summary.run.costUSD!, 0.02, accuracy: 1e-12)
    }

    /// Interrupted at 5 s of 10: the GPUs cost what 5 s cost, $0.01, as their utilisation covers 5 s.
    func testInterruptedRunCostsOnlyTheTimeSimulated() {
        let server = ServerSpec(name: "s", gpus: 2, policy: FIFOPolicy(), costPerGPUHour: 3.6)
        let spec = world(clients: [client("c", tasks: [task()])], servers: [server], durationMs: 10_000)
        var sim = World.simulation(spec)
        _ = sim.run(until: ms(5_000))
        let summary = sim.model.finish(at: sim.now, interrupted: true)
        XCTAssertEqual(summary.run.costUSD!, 0.01, accuracy: 1e-12)
        XCTAssertEqual(summary.windowSeconds, 5, accuracy: 1e-9)
    }

    /// Each lost packet costs a retransmission delay; a one-packet transfer needs k more rounds
    /// with probability p^k (1 − p), so it waits p / (1 − p) delays on average: 0.25 × 10 ms at p = 0.2.
    func testLossAddsRetransmissionDelay() {
        let lossy = LinkSpec(name: "lossy", kind: "client_up", capacity: .constant(bitsPerSecond: 1e12), propagationDelay: 0,
                             lossRate: 0.2, retransmitDelay: ms(10))
        let c = client("c", fps: 100, frameBytes: 1_000, tasks: [task()], up: lossy)
        let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 100, policy: FIFOPolicy())],
                         models: [TestWorld.model(latencyMs: [1: 0.001])], durationMs: 200_000)
        var extra: [Double] = []
        _ = TestWorld.stream(spec) { extra.append(Double($0.request.arrived - $0.request.created) / 1e6) }
        let mean = extra.reduce(0, +) / Double(extra.count)
        // Standard error: sqrt(p / (1 − p)² / n) × 10 ms ≈ 0.04 ms for n = 20,000.
        XCTAssertEqual(mean, 2.5, accuracy: 0.2)
        XCTAssertEqual(extra.count, 20_000)
    }

    /// A transfer too large to draw packet by packet (10,000 packets at p = 0.5) is drawn in
    /// constant time: its rounds are the largest of 10,000 geometric counts, whose mean is
    /// Σ_k [1 − (1 − p^k)^n] (≈ 14.9 transmissions), each extra one costing 10 ms; the resent
    /// packets (mean 10,000) take 0.12 ms at 1 Tbit/s. And a loss rate of 1 − 10⁻⁹ ends too.
    func testLossOfLargeTransfersIsDrawnInConstantTime() {
        func meanDelayMs(loss: Double, frames fps: Double) -> (Double, Int) {
            let lossy = LinkSpec(name: "lossy", kind: "client_up", capacity: .constant(bitsPerSecond: 1e12), propagationDelay: 0,
                                 lossRate: loss, retransmitDelay: ms(10))
            let c = client("c", fps: fps, frameBytes: 15_000_000, tasks: [task()], up: lossy)
            let spec = world(clients: [c], servers: [ServerSpec(name: "s", gpus: 100, policy: FIFOPolicy())],
                             models: [TestWorld.model(latencyMs: [1: 0.001])], durationMs: 400_000)
            var delays: [Double] = []
            _ = TestWorld.stream(spec) { if $0.request.arrived >= 0 { delays.append(Double($0.request.arrived - $0.request.created) / 1e6) } }
            return (delays.reduce(0, +) / Double(max(delays.count, 1)), delays.count)
        }
        let (mean, n) = meanDelayMs(loss: 0.5, frames: 1)
        XCTAssertEqual(n, 400)
        let expectedTransmissions = (0..<200).reduce(0.0) { $0 + (1 - pow(1 - pow(0.5, Double($1)), 10_000)) }
        let expected = (expectedTransmissions - 1) * 10 + 20_000 * 1500 * 8 / 1e12 * 1e3
        // The largest of n geometric counts has a standard deviation near π / (ln 2 √6) ≈ 1.85
        // rounds: 18.5 ms; over 400 frames the mean's standard error is under 1 ms.
        XCTAssertEqual(mean, expected, accuracy: 4)
        // A hopeless link: drawn packet by packet this would be 10^13 draws inside one event.
        let (_, arrived) = meanDelayMs(loss: 1 - 1e-9, frames: 0.01)
        XCTAssertEqual(arrived, 0, "nothing gets through within the run, and the run ends")
    }
}

/// Generated motion drawn as the run goes: the same rotation whatever order it is asked in,
/// additive across blocks, and exact where the speed is constant.
final class GeneratedMotionTests: XCTestCase {
    func testRotationIsAdditiveAndStableAcrossBlocks() {
        let g = GeneratedMotion(meanSpeed: 30, cv: 0.5, step: Time.milliseconds(100), seed: 7, streamKey: 42)
        // Two clients' blocks side by side in one store, as the world keeps them.
        var blocks = MotionBlocks(motion: [g, g])
        var forward = MotionState(generated: g, blocksAt: blocks.base(client: 0)!)
        var backward = MotionState(generated: g, blocksAt: blocks.base(client: 1)!)
        let times: [SimTime] = [0, 150_000_000, 6_400_000_000, 6_450_000_000, 20_000_000_000, 600_000_000_000]
        let pieces = zip(times, times.dropFirst()).map { forward.rotation(from: $0, to: $1, blocks: &blocks) }
        // Asked in the other order, after far-away blocks evicted the cache: the same values.
        let again = zip(times, times.dropFirst()).reversed().map { backward.rotation(from: $0, to: $1, blocks: &blocks) }.reversed()
        XCTAssertEqual(pieces, Array(again))
        XCTAssertEqual(pieces.reduce(0, +), forward.rotation(from: 0, to: times.last!, blocks: &blocks), accuracy: 1e-6)
        // Over 600 s (6,000 lognormal speeds, cv 0.5) the mean speed is 30 deg/s within 5 %.
        XCTAssertEqual(forward.rotation(from: 0, to: 600_000_000_000, blocks: &blocks) / 600, 30, accuracy: 1.5)
        let steadyMotion = GeneratedMotion(meanSpeed: 20, cv: 0, step: Time.milliseconds(100), seed: 1, streamKey: 1)
        var steadyBlocks = MotionBlocks(motion: [steadyMotion])
        var steady = MotionState(generated: steadyMotion, blocksAt: steadyBlocks.base(client: 0)!)
        XCTAssertEqual(steady.rotation(from: 6_350_000_000, to: 6_450_000_000, blocks: &steadyBlocks), 2, accuracy: 1e-9,
                       "0.1 s at 20 deg/s across a block edge")
    }
}

/// A policy hears that a batch was aborted, so that it can leave its time out of what it learns.
final class AbortedBatchNoticeTests: XCTestCase {
    struct NoticeLog: ServerPolicy {
        final class Log: @unchecked Sendable { var notices: [BatchNotice] = [] }
        let log: Log
        var notices: PolicyNotices { [.batches] }
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 1)
        }
        mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) { log.notices.append(batch) }
    }

    /// Two copies (a 10 ms, b 4 ms): b finishes at 4 ms; a's copy, running alone, is aborted
    /// then, after 4 of its 10 ms.
    func testTheLosersBatchIsMarkedAborted() {
        let logs = [NoticeLog.Log(), NoticeLog.Log()]
        let servers = zip([10.0, 4.0], logs).map { latency, log in
            ServerSpec(name: "s\(latency)", gpus: 1, policy: NoticeLog(log: log),
                       profiled: [LatencyTable(batchSizes: [1], layerLatencies: [[TestWorld.ms(latency)]], spread: nil)])
        }
        let task = TaskSpec(name: "t", model: 0, deadline: TestWorld.ms(100), resultBytes: 0, split: WholeModelAtEdge())
        let client = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 1, jitter: 0, phase: 0), frameBytes: 0, tasks: [task],
                                uplink: TestWorld.link(), downlink: TestWorld.link())
        var spec = TestWorld.spec(clients: [client], servers: servers, models: [ModelSpec(name: "m", latency: nil)], durationMs: 500)
        spec.sites = [SiteSpec(name: "edge", dispatch: RedundantDispatch(copies: 2))]
        _ = TestWorld.run(spec)
        XCTAssertEqual(logs[0].notices.map(\.aborted), [true])
        XCTAssertEqual(logs[0].notices.first?.actual, TestWorld.ms(4))
        XCTAssertEqual(logs[1].notices.map(\.aborted), [false])
    }
}

final class TimeBinTests: XCTestCase {
    /// One camera at 10 fps from time 0, one GPU taking 30 ms a frame, bins of 500 ms: each of the
    /// first three bins sees 5 requests done and the GPU busy 5 × 30 ms = 30 % of it; the run ends
    /// with its last result at 1,930 ms, so the last bin is [1,500, 1,930) ms, its 5 requests and
    /// 150 ms of GPU over 430 ms; the bins add up to the run's totals.
    func testBinsByHand() {
        let task = TaskSpec(name: "t", model: 0, deadline: TestWorld.ms(1_000), resultBytes: 0, split: WholeModelAtEdge())
        let c = ClientSpec(name: "cam", group: 0, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 0, tasks: [task],
                           uplink: TestWorld.link(), downlink: TestWorld.link())
        var spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 30])], durationMs: 2_000, drainMs: 1_000)
        spec.binWidth = TestWorld.ms(500)
        let result = TestWorld.run(spec)
        func series(_ scope: BinRecord.Scope, _ metric: BinRecord.Metric) -> [Double] {
            result.bins.filter { $0.scope == scope && $0.metric == metric }.map(\.value)
        }
        let bins = result.bins.filter { $0.metric == .completed }
        XCTAssertEqual(bins.map(\.start), [0, 500, 1000, 1500].map { TestWorld.ms($0) })
        XCTAssertEqual(bins.last?.end, TestWorld.ms(1_930))
        XCTAssertEqual(series(.run, .completed), [5, 5, 5, 5])
        XCTAssertEqual(series(.run, .met), [5, 5, 5, 5])
        let u = series(.gpu, .utilization)
        XCTAssertEqual(u.count, 4)
        for i in 0..<3 { XCTAssertEqual(u[i], 0.3, accuracy: 1e-12, "bin \(i)") }
        XCTAssertEqual(u[3], 150.0 / 430, accuracy: 1e-12)
        XCTAssertEqual(series(.run, .latencyMeanMs), [30, 30, 30, 30])
        XCTAssertEqual(series(.task, .frames), [5, 5, 5, 5])
        XCTAssertEqual(series(.server, .queued), [0, 0, 0, 0])
        XCTAssertEqual(Int(series(.run, .completed).reduce(0, +)), result.requests.filter { $0.outcome == .completed }.count)
        XCTAssertEqual(result.bins.first { $0.scope == .gpu }?.name, "s/0")
        // Bins are recorded without events of their own: the run ends at its last event, as without bins.
        var none = spec
        none.binWidth = 0
        XCTAssertEqual(TestWorld.run(none).end, result.end)
    }

    /// A GPU busy across a bin boundary counts in both bins, each for its share.
    func testBusyAcrossABoundary() {
        let task = TaskSpec(name: "t", model: 0, deadline: TestWorld.ms(1_000), resultBytes: 0, split: WholeModelAtEdge())
        // One frame at 400 ms and a 300 ms model: busy 400–700 ms.
        let c = ClientSpec(name: "cam", group: 0, arrivals: .periodic(fps: 1, jitter: 0, phase: TestWorld.ms(400)), frameBytes: 0,
                           tasks: [task], uplink: TestWorld.link(), downlink: TestWorld.link())
        var spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 300])], durationMs: 1_000, drainMs: 0)
        spec.binWidth = TestWorld.ms(500)
        let result = TestWorld.run(spec)
        let u = result.bins.filter { $0.scope == .gpu }.map(\.value)
        // [0, 500): busy 400–500 ms; the run ends when the batch does, so the last bin is [500, 700), all busy.
        XCTAssertEqual(u.count, 2)
        XCTAssertEqual(u[0], 0.2, accuracy: 1e-12)
        XCTAssertEqual(u[1], 1.0, accuracy: 1e-12)
    }

    /// A link busy with transfers queued past a bin's end counts only the part inside the bin:
    /// three 100 ms uploads sent at 450 ms over one access point run 450–750 ms, so the bin
    /// [0, 500) sees 50 ms and [500, 1000) the other 250.
    func testLinkQueuedPastTheBinEnd() {
        let ap = LinkSpec(name: "ap", kind: "ap_up", capacity: .constant(bitsPerSecond: 10e6), propagationDelay: 0)
        let task = TaskSpec(name: "t", model: 0, deadline: TestWorld.ms(5_000), resultBytes: 0, split: WholeModelAtEdge())
        let clients = (0..<3).map { i in
            ClientSpec(name: "c\(i)", group: 0, arrivals: .periodic(fps: 1, jitter: 0, phase: TestWorld.ms(450)), frameBytes: 125_000,
                       tasks: [task], uplink: TestWorld.link(), downlink: TestWorld.link())
        }
        var spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 1_000, drainMs: 1_000)
        spec.sites = [SiteSpec(name: "edge", accessPointUp: ap)]
        spec.binWidth = TestWorld.ms(500)
        let result = TestWorld.run(spec)
        let u = result.bins.filter { $0.scope == .link && $0.name.hasPrefix("ap") }
        XCTAssertEqual(u.count, 2)
        XCTAssertEqual(u[0].value, 0.1, accuracy: 1e-4, "the client link adds a microsecond first")
        XCTAssertEqual(u[1].value * Double(u[1].end - u[1].start), Double(TestWorld.ms(250)), accuracy: 1e3)
        XCTAssertTrue(u.allSatisfy { $0.value <= 1 })
    }
}

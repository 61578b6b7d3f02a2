import EdgeWorld
import Policies
import SimKernel
import XCTest

/// Example policies that use the platform's hooks (timers, notices, per-request dispatch,
/// policy drops), each in a small world whose every outcome is worked out by hand.
final class PlatformTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// FIFO that drops the head of the queue when it can no longer finish by its deadline.
    struct DropHopeless: ServerPolicy {
        let service: SimTime
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue(), let head = queues.head(queue: q) else { return .idle }
            if now + service > head.deadline { return .drop(requests: [head.slot], reason: .cannotMeetDeadline) }
            return .run(queue: q, size: 1)
        }
    }

    /// Three requests at 0, 1 and 2 ms with 25 ms deadlines on one GPU that takes 10 ms each:
    /// the first runs 0–10, the second 10–20; at 20 the third (deadline 27) could finish only at
    /// 30, so it is dropped instead of run late.
    func testBatchPolicyDropsRequestsThatCanNoLongerMeetTheirDeadline() {
        let clients = (0..<3).map {
            TestWorld.client("c\($0)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms(Double($0))), deadlineMs: 25)
        }
        let spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 1, policy: DropHopeless(service: ms(10)))],
                                  models: [TestWorld.model(latencyMs: [1: 10])], durationMs: 100)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.outcome), [.completed, .completed, .dropped(.cannotMeetDeadline)])
        XCTAssertEqual(result.requests.map(\.request.completed), [ms(10), ms(20), -1])
        XCTAssertEqual(result.summary.run.dropped, 1)
    }

    /// Windowed batching on a timer (as DeepRT's DisBatcher cuts time into windows): a request
    /// that finds no window open starts one that closes at the next multiple of 20 ms; at the
    /// close, everything waiting runs as one batch.
    struct Windows: ServerPolicy {
        var open = false
        var closing = false
        var notices: PolicyNotices { [.arrivals] }
        mutating func requestArrived(_ request: QueuedRequest, queue: Int, now: SimTime, effects: inout PolicyEffects) {
            guard !open else { return }
            open = true
            effects.setTimer(token: 7, at: (now / 20_000_000 + 1) * 20_000_000)
        }
        mutating func timerFired(token: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
            closing = true
        }
        mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard closing, let q = queues.oldestQueue() else { return .idle }
            closing = false
            open = false
            return .run(queue: q, size: min(queues.count(queue: q), 4))
        }
    }

    func testServerPolicyTimersCutWindows() {
        let phases = [1.0, 5, 12, 25]
        let clients = phases.enumerated().map { TestWorld.client("c\($0.offset)", arrivals: .periodic(fps: 1, jitter: 0, phase: ms($0.element))) }
        let spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 1, policy: Windows())],
                                  models: [TestWorld.model(latencyMs: [1: 5, 2: 6, 3: 7, 4: 8])], durationMs: 100)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.map(\.size), [3, 1])
        XCTAssertEqual(result.batches.map(\.start), [ms(20), ms(40)])
        XCTAssertEqual(result.batches.map(\.end), [ms(27), ms(45)])
    }

    /// Backs off after a late result: offloads every frame until a result comes back late, then
    /// skips frames for 100 ms (a timer), then offloads again.
    struct BackOff: ClientPolicy {
        var pausedUntilTimer = false
        var notices: PolicyNotices { [.results] }
        func decide(_ view: ClientView) -> [TaskAction] { [pausedUntilTimer ? .skip : .offload] }
        mutating func resultArrived(_ result: ResultNotice, effects: inout PolicyEffects) {
            guard !result.metDeadline, !pausedUntilTimer else { return }
            pausedUntilTimer = true
            effects.setTimer(token: 1, at: result.arrived + 100_000_000)
        }
        mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects) { pausedUntilTimer = false }
    }

    /// 100 fps against 15 ms of service with a 30 ms deadline: latencies grow 15, 20, 25, 30, 35;
    /// frame 4's result is late at 75 ms, so frames 8–17 are skipped and offloading resumes at
    /// 175 ms (frame 18); the queue builds again and frame 22's result is late at 255, after the
    /// last frame (240).
    func testClientPolicyHearsResultsAndKeepsTimers() {
        var c = TestWorld.client("c", arrivals: .periodic(fps: 100, jitter: 0, phase: 0), deadlineMs: 30)
        c.policy = BackOff()
        let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 15])], durationMs: 250)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.map(\.request.frame), Array(0...7) + Array(18...24))
        XCTAssertEqual(result.requests.prefix(5).map { $0.request.completed - $0.request.created }, [15, 20, 25, 30, 35].map { ms($0) })
        XCTAssertEqual(result.requests.filter(\.metDeadline).map(\.request.frame), [0, 1, 2, 3, 18, 19, 20, 21])
    }

    /// Only GPU 1 runs batches (GPU 0 belongs to someone else's plan): a policy whose answer
    /// depends on the GPU says so, and the server asks every idle GPU instead of stopping at the
    /// first that stays idle.
    struct SecondGPUOnly: ServerPolicy {
        var answersDependOnGPU: Bool { true }
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard gpu == 1, let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 1)
        }
    }

    func testAGPUDependentPolicyIsAskedForEveryIdleGPU() {
        let clients = (0..<3).map { TestWorld.client("c\($0)", arrivals: .periodic(fps: 10, jitter: 0, phase: ms(Double($0)))) }
        let spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 2, policy: SecondGPUOnly())],
                                  models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 300)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 9)
        XCTAssertTrue(result.requests.allSatisfy { $0.outcome == .completed && $0.request.gpu == 1 })
    }

    /// Requests whose deadline is near go to the fast server, others to the slow one: the front
    /// end sees each request's deadline, model and bytes.
    struct UrgentToFast: ClusterPolicy {
        func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice { [candidates[0]] }
        func choose(for request: DispatchRequest, from candidates: [Int], view: FrontEndView,
                    effects: inout PolicyEffects) -> ServerChoice {
            [request.deadline - request.now < 50_000_000 ? candidates[1] : candidates[0]]
        }
    }

    func testFrontEndChoosesPerRequestSeeingTheDeadline() {
        func client(_ name: String, deadlineMs: Double, group: Int) -> ClientSpec {
            ClientSpec(name: name, group: group, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 1000,
                       tasks: [TaskSpec(name: "t", model: 0, deadline: ms(deadlineMs), resultBytes: 0)],
                       uplink: TestWorld.link(), downlink: TestWorld.link())
        }
        var spec = TestWorld.spec(clients: [client("urgent", deadlineMs: 30, group: 0), client("relaxed", deadlineMs: 200, group: 1)],
                                  servers: [ServerSpec(name: "slow", gpus: 1, policy: FIFOPolicy()),
                                            ServerSpec(name: "fast", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 1000)
        spec.sites = [SiteSpec(name: "edge", dispatch: UrgentToFast())]
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 20)
        for r in result.requests {
            XCTAssertEqual(r.request.server, r.request.client == 0 ? 1 : 0)
        }
    }

    /// A policy that asks for more than is waiting stops the run with a message naming the
    /// server and the policy; it does not trap.
    struct Greedy: ServerPolicy {
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 5)
        }
    }

    /// A front end that picks a server outside its candidates, or none, fails the run the same way.
    struct Astray: ClusterPolicy {
        let choice: ServerChoice
        func choose(from candidates: [Int], view: FrontEndView) -> ServerChoice { choice }
    }

    func testADispatchOutsideTheCandidatesFailsTheRunWithAMessage() {
        for (choice, shown) in [(ServerChoice.one(9), "[9]"), (ServerChoice([]), "[]"), (ServerChoice([0, 9]), "[0, 9]")] {
            // Not pinned to a server (TestWorld.client is): its requests go through the front end.
            let client = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 1000,
                                    tasks: [TaskSpec(name: "t", model: 0, deadline: ms(100), resultBytes: 0)],
                                    uplink: TestWorld.link(), downlink: TestWorld.link())
            var spec = TestWorld.spec(clients: [client],
                                      servers: [ServerSpec(name: "edge", gpus: 1, policy: FIFOPolicy())],
                                      models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 1000)
            spec.sites = [SiteSpec(name: "edge", dispatch: Astray(choice: choice))]
            var sim = World.simulation(spec)
            _ = sim.run(until: spec.endTime)
            XCTAssertEqual(sim.model.failure, "site edge: its dispatch policy Astray chose \(shown) from the candidates [0]")
        }
    }

    func testAPolicyContractBreachFailsTheRunWithAMessage() {
        let spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 10, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "edge", gpus: 1, policy: Greedy())],
                                  models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 1000)
        var sim = World.simulation(spec)
        _ = sim.run(until: spec.endTime)
        XCTAssertEqual(sim.model.failure, "server edge: its policy Greedy asked for a batch of 5 with 1 waiting")
        XCTAssertLessThan(sim.eventsProcessed, 30, "nothing is simulated after the breach but draining the queue")
    }

    /// The server gives each client an offloading schedule (every k-th frame at a phase) the
    /// first time it hears from it, as a 100-byte control message over the real downlink.
    struct Schedule: Sendable { let interval: Int64; let phase: Int64 }

    struct AssignSchedules: ServerPolicy {
        var known: [Int32] = []
        var notices: PolicyNotices { [.arrivals] }
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 1)
        }
        mutating func requestArrived(_ request: QueuedRequest, queue: Int, now: SimTime, effects: inout PolicyEffects) {
            guard !known.contains(request.client) else { return }
            known.append(request.client)
            effects.send(to: .client(Int(request.client)), bytes: 100,
                         payload: Schedule(interval: 2, phase: Int64(known.count - 1)))
        }
    }

    struct FollowSchedule: ClientPolicy {
        var schedule: Schedule?
        var received: SimTime = -1
        func decide(_ view: ClientView) -> [TaskAction] {
            guard let s = schedule else { return [.offload] }
            return [view.frame % s.interval == s.phase ? .offload : .skip]
        }
        mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {
            schedule = message.payload as? Schedule
            received = now
        }
    }

    /// 30 fps clients (frames every 33.3 ms; the second 5 ms later), 10 ms each way. The server
    /// hears client 0 at 10 ms and client 1 at 15 ms; their schedules land at 20 and 25 ms, before
    /// their second frames: client 0 then offloads even frames, client 1 odd ones. With a 50 ms
    /// downlink delay the schedules land at 60 and 65 ms, after the second frames.
    func testServerSendsSchedulesThatClientsFollow() {
        func world(downDelayMs: Double) -> TestWorld.Result {
            let clients = (0..<2).map { i -> ClientSpec in
                var c = TestWorld.client("c\(i)", arrivals: .periodic(fps: 30, jitter: 0, phase: ms(Double(i) * 5)),
                                         uplink: TestWorld.link(delayMs: 10), downlink: TestWorld.link(delayMs: downDelayMs))
                c.policy = FollowSchedule()
                return c
            }
            let spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 2, policy: AssignSchedules())],
                                      models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 300)
            return TestWorld.run(spec)
        }
        func frames(_ r: TestWorld.Result, client: Int32) -> [Int64] {
            r.requests.filter { $0.request.client == client }.map(\.request.frame)
        }
        let fast = world(downDelayMs: 10)
        XCTAssertEqual(frames(fast, client: 0), [0, 2, 4, 6, 8])
        XCTAssertEqual(frames(fast, client: 1), [0, 1, 3, 5, 7])
        let slow = world(downDelayMs: 50)
        XCTAssertEqual(frames(slow, client: 0), [0, 1, 2, 4, 6, 8], "the schedule lands after the second frame")
        XCTAssertEqual(frames(slow, client: 1), [0, 1, 3, 5, 7])
    }

    /// A periodic re-planner: at time 0 and every 100 ms it routes every client's task to
    /// server (k mod 2) and records the plan.
    struct Alternate: ControlPlane {
        var k = 0
        mutating func start(_ view: ClusterView, actions: inout ControlActions) { plan(view, &actions) }
        mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions) { plan(view, &actions) }
        mutating func plan(_ view: ClusterView, _ actions: inout ControlActions) {
            let server = k % 2
            for c in view.spec.clients.indices {
                actions.setRoute(client: c, task: 0, route: Route([Stage(.server(server))]))
            }
            actions.record(plan: "{\"server\": \(server)}", objective: Double(k), at: view.now)
            k += 1
            let next = view.now + 100_000_000
            if next < view.spec.duration { actions.effects.setTimer(token: 0, at: next) }
        }
    }

    /// 50 fps for 450 ms: frames at 0, 20 … 440 ms; those captured in [0, 100) and [200, 300)
    /// go to server 0, the others to server 1; five plans, at 0, 100, 200, 300, 400 ms.
    func testAPeriodicReplannerRoutesAndRecordsPlans() {
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 50, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy()),
                                            ServerSpec(name: "b", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 450)
        spec.controlPlane = Alternate()
        let result = TestWorld.run(spec)
        let (requests, plans) = (result.requests, result.plans)
        XCTAssertEqual(requests.count, 23)
        for r in requests {
            XCTAssertEqual(Int(r.request.server), Int(r.request.created / 100_000_000) % 2, "frame at \(r.request.created)")
        }
        XCTAssertEqual(plans.map(\.time), [0, 100, 200, 300, 400].map { ms($0) })
        XCTAssertEqual(plans.map(\.json), (0..<5).map { "{\"server\": \($0 % 2)}" })
        XCTAssertEqual(plans.map(\.objective), [0, 1, 2, 3, 4])
    }

    /// A route the world cannot run is a policy error, not a trap.
    struct BadRoute: ControlPlane {
        mutating func start(_ view: ClusterView, actions: inout ControlActions) {
            actions.setRoute(client: 0, task: 0, route: Route([Stage(.server(7))]))
        }
    }

    struct PartialRoute: ControlPlane {
        var stages: [Stage]
        mutating func start(_ view: ClusterView, actions: inout ControlActions) {
            actions.setRoute(client: 0, task: 0, route: Route(stages))
        }
    }

    /// Routes that cannot run: none of their stages, layers that stop short, a wire format of NaN.
    func testRoutesThatCannotRunFailTheRun() {
        let table = LatencyTable(batchSizes: [1], layerLatencies: [[ms(1), ms(1)]], spread: nil)
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 50, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy())],
                                  models: [ModelSpec(name: "m", latency: table, layerOutputBytes: [10, 10])], durationMs: 100)
        let cases: [([Stage], String)] = [
            ([], "a route needs at least one stage"),
            ([Stage(.server(0), layers: 0..<1)], "the stages end at layer 1 of 2"),
            ([Stage(.device, layers: 0..<1, wire: WireFormat(bytesFactor: .nan)), Stage(.server(0), layers: 1..<2)], "wire bytes factor nan"),
        ]
        for (stages, message) in cases {
            spec.controlPlane = PartialRoute(stages: stages)
            let sim = World.simulation(spec)
            XCTAssertTrue(sim.model.failure?.hasSuffix(message) == true, sim.model.failure ?? "no failure")
        }
    }

    func testAControlPlaneRouteToNowhereFailsTheRun() {
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 50, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 100)
        spec.controlPlane = BadRoute()
        let sim = World.simulation(spec)
        XCTAssertEqual(sim.model.failure, "control plane: route for client c task 0: no server 7")
    }
}

/// Sessions that come and go through an admission handshake over the network.
final class SessionTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// A site admits at most two sessions; 5 ms each way; 100 fps clients.
    /// c0 asks at 0 (admitted at the site at 5, told at 10, frames 10…90, leaves at 100, the site
    /// hears it at 105); c1 asks at 10 (told at 20, frames 20…290); c2 asks at 20 and is
    /// rejected (two admitted); c3 asks at 150, after c0 left, and is admitted (frames 160…290).
    func testAdmissionControlRejectsSessionsBeyondItsCapacity() {
        let starts: [Double] = [0, 10, 20, 150]
        let clients = starts.enumerated().map { i, start -> ClientSpec in
            var c = TestWorld.client("c\(i)", arrivals: .periodic(fps: 100, jitter: 0, phase: 0),
                                     uplink: TestWorld.link(delayMs: 5), downlink: TestWorld.link(delayMs: 5))
            c.session = SessionSpec(start: ms(start), end: i == 0 ? ms(100) : nil, requestBytes: 0)
            return c
        }
        var spec = TestWorld.spec(clients: clients, servers: [ServerSpec(name: "s", gpus: 4, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 300)
        spec.sites[0].admission = MaxSessionsAdmission(limit: 2)
        let result = TestWorld.run(spec)
        let perClient = (0..<4).map { c in result.requests.filter { $0.request.client == Int32(c) } }
        XCTAssertEqual(perClient.map(\.count), [9, 28, 0, 14])
        XCTAssertEqual(perClient[0].first?.request.created, ms(10))
        XCTAssertEqual(perClient[3].first?.request.created, ms(160))
        let sessions = result.summary.sessions
        XCTAssertEqual(sessions.map(\.admitted), [true, true, false, true])
        XCTAssertEqual(sessions.map(\.requested), starts.map { ms($0) })
        XCTAssertEqual(sessions.map(\.replied), [10, 20, 30, 160].map { ms($0) })
        XCTAssertEqual(sessions.map(\.ended), [ms(100), -1, -1, -1])
        XCTAssertEqual(sessions[2].reason, "2 sessions admitted, the limit")
    }

    /// Without sessions nothing changes: the same world with and without a (never-asked)
    /// admission policy gives the same requests.
    func testClientsWithoutSessionsAreNeverAsked() {
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 100, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 100)
        let open = TestWorld.run(spec)
        spec.sites[0].admission = MaxSessionsAdmission(limit: 0)
        let closed = TestWorld.run(spec)
        XCTAssertEqual(open.requests.count, 10)
        XCTAssertEqual(closed.requests.map(\.request.completed), open.requests.map(\.request.completed))
        XCTAssertTrue(closed.summary.sessions.isEmpty)
    }
}

/// Splits asked per request: a cut that follows the bandwidth the device observes, and wire
/// formats whose size, encode and decode times and accuracy cost the world applies.
final class AdaptiveSplitTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// Cut after layer 1 while uploads run at 20 Mbit/s or more, else after layer 3, whose output
    /// (10 kB) goes compressed to half (2 ms to encode, 3 ms to decode, 0.1 accuracy lost).
    struct CutByBandwidth: SplitPolicy {
        static let compressed = WireFormat(bytesFactor: 0.5, encode: 2_000_000, decode: 3_000_000, qualityLoss: 0.1)
        var perRequest: Bool { true }
        func route(servingSite: Int, cloud: Int?) -> Route { Route([Stage(.server(0))]) }
        mutating func route(for view: SplitView) -> Route {
            if let bps = view.observedUplinkBitsPerSecond, bps < 20e6 {
                return Route([Stage(.device, layers: 0..<3, wire: Self.compressed), Stage(.server(0), layers: 3..<4)])
            }
            return Route([Stage(.device, layers: 0..<1), Stage(.server(0), layers: 1..<4)])
        }
    }

    /// 10 fps; the uplink carries 80 Mbit/s for the first second, then 8. Every layer takes 1 ms
    /// on the device and on the server. Frames 0–9 upload layer 1's 100 kB in 10 ms at 80 Mbit/s;
    /// frame 10's upload (at 1,001 ms) is the first at 8 Mbit/s, so from frame 11 on the cut moves
    /// after layer 3. Frame 15 (1,500 ms): 3 ms on the device, 2 ms to encode, 5 kB in 5 ms,
    /// 3 ms to decode, 1 ms on the server: back at 1,514 ms, worth 0.9 − 0.1.
    func testSplitMovesItsCutAsObservedBandwidthChanges() {
        let layer: [SimTime] = [ms(1), ms(1), ms(1), ms(1)]
        let table = LatencyTable(batchSizes: [1], layerLatencies: [layer], spread: nil)
        let model = ModelSpec(name: "m", latency: table, layerOutputBytes: [100_000, 50_000, 10_000, 1_000])
        let trace = CapacityTrace(starts: [0, ms(1000)], rates: [80e6, 8e6], period: Time.seconds(100))
        let task = TaskSpec(name: "t", model: 0, deadline: ms(500), resultBytes: 0, split: CutByBandwidth(),
                            accuracy: AccuracyModel(server: 0.9), deviceLatency: table)
        let client = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 200_000,
                                tasks: [task], uplink: LinkSpec(capacity: trace, propagationDelay: 0), downlink: TestWorld.link())
        var spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [model], durationMs: 2000)
        spec.detail = .requests
        let out = TestWorld.run(spec)
        let requests = out.requests
        XCTAssertEqual(requests.count, 20)
        for r in requests {
            let deviceLayers = r.route!.stages[0].layers!
            XCTAssertEqual(deviceLayers, r.request.frame <= 10 ? 0..<1 : 0..<3, "frame \(r.request.frame)")
        }
        XCTAssertEqual(requests[0].request.completed, ms(1 + 10 + 3))
        XCTAssertEqual(requests[15].request.completed, ms(1514))
        let frame16 = out.frames.first { $0.frame == 16 }!
        XCTAssertEqual(frame16.accuracy, 0.8, accuracy: 1e-12, "frame 15's result, compressed on the wire")
        let frame10 = out.frames.first { $0.frame == 10 }!
        XCTAssertEqual(frame10.accuracy, 0.9, accuracy: 1e-12, "frame 9's result, raw activations")
    }
}

/// Time-varying service: interference factors per GPU, worst-case latencies for policies.
final class ServiceVariationTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// FIFO that notes, from its batch notices, how far each batch overran its profiled mean.
    struct OverrunCounter: ServerPolicy {
        static let log = Log()
        final class Log: @unchecked Sendable { var overruns: [SimTime] = []; var worst: [SimTime] = [] }
        var notices: PolicyNotices { [.batches] }
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 1)
        }
        mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) {
            Self.log.overruns.append(batch.actual! - batch.profiled)
            Self.log.worst.append(batch.worstCase)
        }
    }

    /// A constant interference of 1.5 (cv 0) turns 10 ms batches into 15 ms ones; the policy hears
    /// each overrun (5 ms) and the worst case it could have planned for (10 ms × 1.1).
    func testConstantInterferenceStretchesEveryBatch() {
        OverrunCounter.log.overruns = []
        OverrunCounter.log.worst = []
        var server = ServerSpec(name: "s", gpus: 1, policy: OverrunCounter())
        server.interference = Interference(mean: 1.5, cv: 0, step: ms(100))
        let spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 10, jitter: 0, phase: 0))],
                                  servers: [server], models: [TestWorld.model(latencyMs: [1: 10])], durationMs: 500)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.map { $0.end - $0.start }, Array(repeating: ms(15), count: 5))
        XCTAssertEqual(OverrunCounter.log.overruns, Array(repeating: ms(5), count: 5))
        XCTAssertEqual(OverrunCounter.log.worst, Array(repeating: ms(11), count: 5))
    }

    /// With cv > 0 the factor is drawn per 50 ms step and per GPU: batches inside one step of one
    /// GPU share it, steps differ, and the two GPUs' draws differ.
    func testInterferenceVariesByStepAndByGPU() {
        var server = ServerSpec(name: "s", gpus: 2, policy: FIFOPolicy())
        server.interference = Interference(mean: 1.2, cv: 0.5, step: ms(50))
        // Two clients 1 ms apart: each batch runs alone on a GPU, twice per 50 ms step.
        let clients = (0..<2).map { TestWorld.client("c\($0)", arrivals: .periodic(fps: 40, jitter: 0, phase: ms(Double($0)))) }
        let spec = TestWorld.spec(clients: clients, servers: [server], models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 20000)
        let result = TestWorld.run(spec)
        var byStepAndGPU: [String: Set<SimTime>] = [:]
        for b in result.batches { byStepAndGPU["\(b.start / ms(50))/\(b.gpu)", default: []].insert(b.end - b.start) }
        XCTAssertTrue(byStepAndGPU.values.allSatisfy { $0.count == 1 }, "one factor per step and GPU")
        let gpu0 = result.batches.filter { $0.gpu == 0 }.map { $0.end - $0.start }
        let gpu1 = result.batches.filter { $0.gpu == 1 }.map { $0.end - $0.start }
        XCTAssertGreaterThan(Set(gpu0).count, 10, "steps differ")
        XCTAssertNotEqual(gpu0, gpu1, "each GPU has its own stream")
        let mean = result.batches.map { Double($0.end - $0.start) }.reduce(0, +) / Double(result.batches.count) / Double(ms(5))
        XCTAssertEqual(mean, 1.2, accuracy: 0.07, "the factor's mean over 400 steps of each GPU (standard error 0.021)")
    }

    /// Worst cases: the sum of the layers' measured p99 where the table has them, else the mean
    /// with the margin.
    func testWorstCaseIsMeasuredP99OrMeanWithMargin() {
        var table = LatencyTable(batchSizes: [1, 2], layerLatencies: [[ms(1), ms(2)], [ms(2), ms(3)]], spread: nil)
        table.setP99(batchSize: 1, layers: [ms(2), ms(3)])
        table.worstCaseMargin = 0.2
        XCTAssertEqual(table.worstCase(batchSize: 1, layers: 0..<2)?.latency, ms(5))
        XCTAssertEqual(table.worstCase(batchSize: 1, layers: 1..<2)?.latency, ms(3))
        XCTAssertEqual(table.worstCase(batchSize: 1, layers: 0..<2)?.measured, true)
        XCTAssertEqual(table.worstCase(batchSize: 2, layers: 0..<2)?.latency, ms(6))
        XCTAssertEqual(table.worstCase(batchSize: 2, layers: 0..<2)?.measured, false)
        XCTAssertNil(table.worstCase(batchSize: 3, layers: 0..<2))
    }
}

/// A two-stage pipeline over two pools (servers of different GPU types, each with its own queue
/// and policy), planned by the control plane at time 0.
final class PipelinePlanTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    struct TwoStagePlan: ControlPlane {
        mutating func start(_ view: ClusterView, actions: inout ControlActions) {
            for c in view.spec.clients.indices {
                actions.setRoute(client: c, task: 0, route: Route([Stage(.server(0), layers: 0..<2), Stage(.server(1), layers: 2..<4)]))
            }
            actions.record(plan: "{\"stages\": [[\"fast\", 0, 2], [\"slow\", 2, 4]]}", at: view.now)
        }
    }

    /// Layers take 1, 2, 1, 1 ms on the first pool and 2, 4, 2, 2 ms on the second: a frame at 0
    /// runs layers 0–1 on pool "fast" (3 ms), its 20 kB of activations cross both NICs at
    /// 1 Gbit/s (160 µs each), and layers 2–3 run on pool "slow" (4 ms): back at 7.32 ms.
    func testTwoStagePipelineOverTwoPools() {
        let fast = LatencyTable(batchSizes: [1], layerLatencies: [[ms(1), ms(2), ms(1), ms(1)]], spread: nil)
        let slow = LatencyTable(batchSizes: [1], layerLatencies: [[ms(2), ms(4), ms(2), ms(2)]], spread: nil)
        let model = ModelSpec(name: "m", latency: nil, layerOutputBytes: [60_000, 20_000, 8_000, 1_000])
        func nic(_ kind: String) -> LinkSpec { LinkSpec(kind: kind, capacity: .constant(bitsPerSecond: 1e9), propagationDelay: 0) }
        let servers = [ServerSpec(name: "fast", gpuType: "A", gpus: 1, policy: FIFOPolicy(), profiled: [fast], nicIn: nic("nic_in"), nicOut: nic("nic_out")),
                       ServerSpec(name: "slow", gpuType: "B", gpus: 2, policy: FIFOPolicy(), profiled: [slow], nicIn: nic("nic_in"), nicOut: nic("nic_out"))]
        let client = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 0,
                                tasks: [TaskSpec(name: "t", model: 0, deadline: ms(100), resultBytes: 0)],
                                uplink: TestWorld.link(), downlink: TestWorld.link())
        var spec = TestWorld.spec(clients: [client], servers: servers, models: [model], durationMs: 500)
        spec.controlPlane = TwoStagePlan()
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 5)
        XCTAssertEqual(result.requests[0].request.completed, ms(7.32))
        XCTAssertEqual(result.batches.filter { $0.server == 0 }.count, 5)
        XCTAssertEqual(result.batches.filter { $0.server == 1 }.count, 5)
        XCTAssertEqual(result.batches.first { $0.server == 1 }.map { $0.end - $0.start }, ms(4))
    }
}

/// What the device observes: IMU readings with noise and a cost in device time.
final class ObservationTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// Keeps the readings it is given.
    struct Recorder: ClientPolicy {
        static let log = Log()
        final class Log: @unchecked Sendable { var readings: [[Double?]] = [] }
        func decide(_ view: ClientView) -> [TaskAction] {
            Self.log.readings.append(view.imuRotation ?? [])
            return [.offload]
        }
    }

    /// The camera turns at 10 deg/s; results come back 5 ms after capture; frames every 100 ms.
    /// At frame k the freshest result is frame k−1's (captured 100 ms earlier): the IMU reads
    /// 1 degree plus noise. Without noise exactly 1; with noise the readings scatter around 1
    /// with the given standard deviation.
    func testIMUReadsRotationSinceTheFreshestResultWithNoise() {
        func run(noise: Double) -> [[Double?]] {
            Recorder.log.readings = []
            var c = TestWorld.client("c", arrivals: .periodic(fps: 10, jitter: 0, phase: 0))
            c.policy = Recorder()
            c.motion = MotionTrace(times: [0, Time.seconds(100)], degrees: [0, 1_000])
            c.imu = IMUSpec(noiseDegrees: noise, cost: ms(2))
            let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                      models: [TestWorld.model(latencyMs: [1: 5])], durationMs: 20_000)
            _ = TestWorld.run(spec)
            return Recorder.log.readings
        }
        let exact = run(noise: 0)
        XCTAssertEqual(exact.count, 200)
        XCTAssertNil(exact[0][0], "no result yet at frame 0")
        XCTAssertTrue(exact.dropFirst().allSatisfy { abs($0[0]! - 1) < 1e-9 })
        let noisy = run(noise: 0.5).dropFirst().map { $0[0]! }
        let mean = noisy.reduce(0, +) / Double(noisy.count)
        let sd = (noisy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noisy.count - 1)).squareRoot()
        XCTAssertEqual(mean, 1, accuracy: 0.1)
        XCTAssertEqual(sd, 0.5, accuracy: 0.1)
    }

    /// The reading occupies the device first: a device stage starts 2 ms after capture.
    func testIMUReadingCostsDeviceTime() {
        let table = LatencyTable(batchSizes: [1], layerLatencies: [[ms(1), ms(1)]], spread: nil)
        let task = TaskSpec(name: "t", model: 0, deadline: ms(100), resultBytes: 0,
                            split: SplitAtLayer(layer: 1, layerCount: 2, cloud: nil), deviceLatency: table)
        var c = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 0, tasks: [task],
                           uplink: TestWorld.link(), downlink: TestWorld.link())
        c.imu = IMUSpec(noiseDegrees: 0, cost: ms(2))
        let model = ModelSpec(name: "m", latency: table, layerOutputBytes: [1_000, 10])
        let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [model], durationMs: 1_000)
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 10)
        XCTAssertTrue(result.requests.allSatisfy { $0.request.deviceStart - $0.request.created == ms(2) })
    }
}

/// What a server's policy sees of a queued request: client, task, session, bytes, tag.
final class QueuedRequestTests: XCTestCase {
    struct Tagger: ClientPolicy {
        var notices: PolicyNotices { [.tags] }
        func decide(_ view: ClientView) -> [TaskAction] { [.offload] }
        func tag(task: Int, frame: Int64) -> Int32 { Int32(frame % 2 + 7) }
    }

    struct Watcher: ServerPolicy {
        static let log = Log()
        final class Log: @unchecked Sendable { var seen: [QueuedRequest] = [] }
        var notices: PolicyNotices { [.arrivals] }
        func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
            guard let q = queues.oldestQueue() else { return .idle }
            return .run(queue: q, size: 1)
        }
        mutating func requestArrived(_ request: QueuedRequest, queue: Int, now: SimTime, effects: inout PolicyEffects) {
            Self.log.seen.append(request)
        }
    }

    func testQueuedRequestsCarryTheirMetadata() {
        Watcher.log.seen = []
        var tagged = TestWorld.client("tagged", arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 1_234)
        tagged.policy = Tagger()
        var session = TestWorld.client("session", arrivals: .periodic(fps: 10, jitter: 0, phase: 0), frameBytes: 99)
        session.session = SessionSpec(start: 0, requestBytes: 0)
        let spec = TestWorld.spec(clients: [tagged, session], servers: [ServerSpec(name: "s", gpus: 1, policy: Watcher())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 400)
        _ = TestWorld.run(spec)
        let fromTagged = Watcher.log.seen.filter { $0.client == 0 }
        let fromSession = Watcher.log.seen.filter { $0.client == 1 }
        XCTAssertEqual(fromTagged.map(\.tag), [7, 8, 7, 8])
        XCTAssertTrue(fromTagged.allSatisfy { $0.bytes == 1_234 && $0.session == -1 && $0.task == 0 })
        XCTAssertEqual(fromSession.count, 4)
        XCTAssertTrue(fromSession.allSatisfy { $0.bytes == 99 && $0.session == 1 && $0.tag == 0 })
    }
}

/// The control plane loads and unloads models during the run.
final class PlacementTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// Loads the model on server 1 at 1 s and unloads it at 2 s.
    struct ScaleOutAndIn: ControlPlane {
        mutating func start(_ view: ClusterView, actions: inout ControlActions) {
            actions.effects.setTimer(token: 1, at: 1_000_000_000)
            actions.effects.setTimer(token: 2, at: 2_000_000_000)
        }
        mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions) {
            if token == 1 { actions.load(model: 0, on: 1) } else { actions.unload(model: 0, from: 1) }
            actions.record(plan: token == 1 ? "{\"load\": 1}" : "{\"unload\": 1}", at: view.now)
        }
    }

    /// Round-robin over the servers that host the model, 20 fps: before 1 s everything goes to
    /// server 0; from 1 s requests alternate, and those on server 1 wait for its weights
    /// (100 MB at 1 GB/s: ready at 1.1 s); from 2 s only server 0 again.
    func testControlPlaneLoadsAndUnloadsAModel() {
        let client = ClientSpec(name: "c", group: 0, arrivals: .periodic(fps: 20, jitter: 0, phase: ms(1)), frameBytes: 0,
                                tasks: [TaskSpec(name: "t", model: 0, deadline: ms(500), resultBytes: 0)],
                                uplink: TestWorld.link(), downlink: TestWorld.link())
        var model = TestWorld.model(latencyMs: [1: 2])
        model.weightBytes = 100_000_000
        var second = ServerSpec(name: "b", gpus: 1, policy: FIFOPolicy(), hosted: [])
        second.loadBytesPerSecond = 1e9
        second.memoryBytes = 16_000_000_000
        var spec = TestWorld.spec(clients: [client], servers: [ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy()), second],
                                  models: [model], durationMs: 3_000)
        spec.controlPlane = ScaleOutAndIn()
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.requests.count, 60)
        XCTAssertTrue(result.requests.allSatisfy { $0.outcome == .completed })
        let onB = result.requests.filter { $0.request.server == 1 }
        XCTAssertEqual(onB.count, 10, "every other request between 1 s and 2 s")
        XCTAssertTrue(onB.allSatisfy { $0.request.created >= ms(1000) && $0.request.created < ms(2000) })
        XCTAssertTrue(onB.allSatisfy { $0.request.batchStart >= ms(1100) }, "weights first")
        XCTAssertEqual(onB.first?.request.batchStart, ms(1100))
    }

    /// A model whose weights do not fit is an error that fails the run.
    func testLoadingBeyondGPUMemoryFailsTheRun() {
        var model = TestWorld.model(latencyMs: [1: 2])
        model.weightBytes = 20_000_000_000
        var second = ServerSpec(name: "b", gpus: 1, policy: FIFOPolicy(), hosted: [])
        second.memoryBytes = 16_000_000_000
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 20, jitter: 0, phase: 0))],
                                  servers: [ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy()), second], models: [model], durationMs: 3_000)
        spec.controlPlane = ScaleOutAndIn()
        var sim = World.simulation(spec)
        _ = sim.run(until: spec.endTime)
        XCTAssertEqual(sim.model.failure?.hasPrefix("control plane: m on b: 20000000000 bytes of weights do not fit"), true,
                       sim.model.failure ?? "no failure")
    }
}

/// The control plane re-divides a GPU's MPS shares during the run.
final class MPSShareTests: XCTestCase {
    func ms(_ x: Double) -> SimTime { TestWorld.ms(x) }

    /// At 1 s: executor 0 gets 0.25 of the GPU, executor 1 gets 0.75.
    struct Reshare: ControlPlane {
        var shares: [Double] = [0.25, 0.75]
        mutating func start(_ view: ClusterView, actions: inout ControlActions) {
            actions.effects.setTimer(token: 1, at: 1_000_000_000)
        }
        mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions) {
            actions.setMPSShares(server: 0, shares: shares)
        }
    }

    /// One frame every 500 ms, 6 ms on the whole GPU; the idle executor with the lowest index
    /// (0) runs each: 6 / 0.5 = 12 ms before the change, 6 / 0.25 = 24 ms after.
    func testSharesChangeFromTheNextBatch() {
        var server = ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy())
        server.mpsShares = [0.5, 0.5]
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 2, jitter: 0, phase: ms(1)))],
                                  servers: [server], models: [TestWorld.model(latencyMs: [1: 6])], durationMs: 2_000)
        spec.controlPlane = Reshare()
        let result = TestWorld.run(spec)
        XCTAssertEqual(result.batches.map(\.gpu), [0, 0, 0, 0])
        XCTAssertEqual(result.batches.map { $0.end - $0.start }, [ms(12), ms(12), ms(24), ms(24)])
    }

    func testSharesBeyondTheGPUFailTheRun() {
        var server = ServerSpec(name: "a", gpus: 1, policy: FIFOPolicy())
        server.mpsShares = [0.5, 0.5]
        var spec = TestWorld.spec(clients: [TestWorld.client("c", arrivals: .periodic(fps: 2, jitter: 0, phase: ms(1)))],
                                  servers: [server], models: [TestWorld.model(latencyMs: [1: 6])], durationMs: 2_000)
        spec.controlPlane = Reshare(shares: [0.5, 0.75])
        var sim = World.simulation(spec)
        _ = sim.run(until: spec.endTime)
        XCTAssertEqual(sim.model.failure, "control plane: setMPSShares on a: shares must be at least 0.01 and add up to at most 1, got [0.5, 0.75]")
    }
}

/// The content-change estimate (`ContentEstimateSpec`): what the device reads is the aged result's
/// accuracy loss, every few frames, with noise, at a cost.
final class ContentEstimateTests: XCTestCase {
    /// Offloads when the reading says the last result lost at least 0.05 (or there is none yet).
    struct OffloadWhenStale: ClientPolicy {
        func decide(_ view: ClientView) -> [TaskAction] {
            guard let reading = view.contentChange?[0] else { return [.offload] }
            return [reading >= 0.05 - 1e-12 && view.mayOffload ? .offload : .skip]
        }
    }

    /// 100 fps, a 1 ms server, accuracy −0.01 per frame of staleness, one offload in flight. A
    /// result is back before the next frame, so at frame f the freshest result is frame r and the
    /// true loss 0.01 (f − r). Read every frame: offload at 0, 5, 10, …. Read every 3rd frame, a
    /// reading stands until the next: none before frame 3 (offload 0, 1, 2); at 3 result 2 is one
    /// frame old (0.01), at 6 0.04, at 9 0.07 (offload 9, 10, 11), at 12 0.01 … at 18 0.07 (18, 19).
    /// Noise moves the frames, the same for the same seed.
    func world(every: Int, noise: Double = 0) -> TestWorld.Result {
        var c = TestWorld.client("c", arrivals: .periodic(fps: 100, jitter: 0, phase: 0))
        c.tasks[0].accuracy = AccuracyModel(server: 1, perFrame: 0.01)
        c.policy = OffloadWhenStale()
        c.maxOffloadsInFlight = 1
        c.contentEstimate = ContentEstimateSpec(noise: noise, cost: 0, everyFrames: every)
        let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 200)
        return TestWorld.run(spec)
    }

    func testReadingsFollowTheAgeOfTheLastResult() {
        XCTAssertEqual(world(every: 1).requests.map(\.request.frame), stride(from: 0, to: 20, by: 5).map(Int64.init))
        XCTAssertEqual(world(every: 3).requests.map(\.request.frame), [0, 1, 2, 9, 10, 11, 18, 19])
        let noisy = world(every: 1, noise: 0.5).requests.map(\.request.frame)
        XCTAssertNotEqual(noisy, stride(from: 0, to: 20, by: 5).map(Int64.init))
        XCTAssertEqual(noisy, world(every: 1, noise: 0.5).requests.map(\.request.frame))
    }
}

/// `ClientView.latestResultFrame` for a client of six tasks (four held inline in the view, two in
/// its overflow).
final class LatestResultTests: XCTestCase {
    /// Offloads task t when its freshest result is more than t + 1 frames old (or there is none).
    struct RefreshByAge: ClientPolicy {
        func decide(_ view: ClientView) -> [TaskAction] {
            (0..<6).map { t in (view.latestResultFrame(task: t) ?? -100) < view.frame - Int64(t + 1) ? .offload : .skip }
        }
    }

    /// 100 fps and a 1 ms server: a result is back before the next frame, so task t goes at
    /// frames 0, t + 2, 2 (t + 2), … (task 4 at 0, 6, 12, 18; task 5 at 0, 7, 14).
    func testEachTaskSeesItsOwnLatestResult() {
        var c = TestWorld.client("c", arrivals: .periodic(fps: 100, jitter: 0, phase: 0))
        c.tasks = (0..<6).map { TaskSpec(name: "t\($0)", model: 0, deadline: TestWorld.ms(1_000), resultBytes: 0) }
        c.policy = RefreshByAge()
        let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 6, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 200)
        let requests = TestWorld.run(spec).requests
        for t in 0..<6 {
            XCTAssertEqual(requests.filter { $0.request.task == Int32(t) }.map(\.request.frame),
                           stride(from: 0, to: 20, by: t + 2).map(Int64.init), "task \(t)")
        }
    }
}

/// `AccuracyModel.showNewest`: the app shows the newer of its server and local results.
final class ShowNewestTests: XCTestCase {
    /// Offload frame 0; run the fallback on frame 5. At frame 7 the server result (frame 0) is
    /// worth 0.9 − 0.07 = 0.83 and the fallback's (frame 5) 0.5 − 0.02 = 0.48: the better is
    /// shown by default, the newer with `showNewest`.
    struct OffloadThenLocal: ClientPolicy {
        func decide(_ view: ClientView) -> [TaskAction] {
            [view.frame == 0 ? .offload : view.frame == 5 ? .local : .skip]
        }
    }

    func shown(newest: Bool) -> FrameRecord {
        var c = TestWorld.client("c", arrivals: .periodic(fps: 100, jitter: 0, phase: 0))
        c.tasks[0].accuracy = AccuracyModel(server: 0.9, local: 0.5, perFrame: 0.01)
        c.tasks[0].accuracy.showNewest = newest
        c.tasks[0].fallback = LocalFallback(name: "local", latency: LatencyTable([(1, TestWorld.ms(1))]))
        c.policy = OffloadThenLocal()
        let spec = TestWorld.spec(clients: [c], servers: [ServerSpec(name: "s", gpus: 1, policy: FIFOPolicy())],
                                  models: [TestWorld.model(latencyMs: [1: 1])], durationMs: 100)
        return TestWorld.run(spec).frames.first { $0.frame == 7 }!
    }

    func testTheNewerResultIsShownWhenAsked() {
        let best = shown(newest: false), newest = shown(newest: true)
        XCTAssertEqual(best.source, .server)
        XCTAssertEqual(best.accuracy, 0.83, accuracy: 1e-12)
        XCTAssertEqual(newest.source, .local)
        XCTAssertEqual(newest.accuracy, 0.48, accuracy: 1e-12)
    }
}

import DequeModule
import Foundation
import SimKernel

/// When a client captures frames.
public enum ArrivalProcess: Sendable, Equatable {
    /// A camera at `fps`: frame k is captured at phase + k/fps, plus a delay drawn uniformly from
    /// [0, jitter] (encoding and scheduling noise). A nil phase is drawn uniformly from one frame
    /// interval, so that many clients do not all fire at the same instant.
    case periodic(fps: Double, jitter: SimTime, phase: SimTime?)
    /// Poisson arrivals at `rate` per second (exponential gaps).
    case poisson(rate: Double)
}

/// A small model the device runs when a task is not offloaded, and how good its result is.
public struct LocalFallback: Sendable {
    public var name: String
    public var latency: LatencyTable

    public init(name: String, latency: LatencyTable) {
        self.name = name
        self.latency = latency
    }
}

/// One DNN task of an AR client (detection, depth, segmentation, pose…).
public struct TaskSpec: Sendable {
    public var name: String
    /// The model the task runs when offloaded (index into the catalogue).
    public var model: Int
    /// Relative deadline: a result must be back this long after the frame was captured.
    public var deadline: SimTime
    public var resultBytes: Int
    /// Where the model runs: whole at the edge, in the cloud, on the device, split, pipelined.
    public var split: any SplitPolicy
    public var fallback: LocalFallback?
    public var accuracy: AccuracyModel
    /// Latency of the task's model on the client's device, for device stages (nil: none can run there).
    public var deviceLatency: LatencyTable?

    public init(name: String, model: Int, deadline: SimTime, resultBytes: Int, split: any SplitPolicy = WholeModelAtEdge(),
                fallback: LocalFallback? = nil, accuracy: AccuracyModel = AccuracyModel(), deviceLatency: LatencyTable? = nil) {
        self.name = name
        self.model = model
        self.deadline = deadline
        self.resultBytes = resultBytes
        self.split = split
        self.fallback = fallback
        self.accuracy = accuracy
        self.deviceLatency = deviceLatency
    }
}

/// A move of the client to another site's access point.
public struct Handover: Sendable, Equatable {
    public var time: SimTime
    public var site: Int

    public init(time: SimTime, site: Int) {
        self.time = time
        self.site = site
    }
}

/// What a client's service does when the client moves to another site.
public enum MigrationPolicy: Sendable, Equatable {
    /// Keep being served by the site where it started, over the wide-area path.
    case stay
    /// Move the service to the new site, transferring `stateBytes` between the sites first.
    case migrate(stateBytes: Int)
}

/// One AR client: its camera, its tasks, its radio link, where it is, how it decides.
public struct ClientSpec: Sendable {
    public var name: String
    /// Index into `WorldSpec.clientGroups`: the scenario entry this client was expanded from.
    public var group: Int
    public var arrivals: ArrivalProcess
    public var frameBytes: Int
    public var tasks: [TaskSpec]
    public var uplink: LinkSpec
    public var downlink: LinkSpec
    /// The site whose access point the client starts at.
    public var site: Int
    public var mobility: [Handover]
    public var migration: MigrationPolicy
    public var maxOffloadsInFlight: Int?
    public var policy: any ClientPolicy
    public var motion: MotionTrace?
    /// Motion drawn as the run goes, instead of `motion` (which, if set, wins).
    public var generatedMotion: GeneratedMotion?
    /// The generated motion the client runs with: none where a trace is given, which wins.
    public var generatedMotionInUse: GeneratedMotion? { motion == nil ? generatedMotion : nil }
    /// When the client is present; nil: the whole run, with no admission.
    public var session: SessionSpec?
    /// The device's IMU, read on every frame for the policy (nil: none).
    public var imu: IMUSpec?
    /// The content-change estimate, if the app computes one.
    public var contentEstimate: ContentEstimateSpec?

    public init(name: String, group: Int, arrivals: ArrivalProcess, frameBytes: Int, tasks: [TaskSpec],
                uplink: LinkSpec, downlink: LinkSpec, site: Int = 0, mobility: [Handover] = [], migration: MigrationPolicy = .stay,
                maxOffloadsInFlight: Int? = nil, policy: any ClientPolicy = OffloadEveryFrame(), motion: MotionTrace? = nil) {
        self.name = name
        self.group = group
        self.arrivals = arrivals
        self.frameBytes = frameBytes
        self.tasks = tasks
        self.uplink = uplink
        self.downlink = downlink
        self.site = site
        self.mobility = mobility
        self.migration = migration
        self.maxOffloadsInFlight = maxOffloadsInFlight
        self.policy = policy
        self.motion = motion
    }

    /// A client with one task that sends every frame to one named server (the first world's client).
    public init(name: String, group: Int, server: Int, model: Int, arrivals: ArrivalProcess, deadline: SimTime,
                frameBytes: Int, resultBytes: Int, uplink: LinkSpec, downlink: LinkSpec) {
        self.init(name: name, group: group, arrivals: arrivals, frameBytes: frameBytes,
                  tasks: [TaskSpec(name: "task", model: model, deadline: deadline, resultBytes: resultBytes,
                                   split: WholeModelOnServer(server: server))],
                  uplink: uplink, downlink: downlink)
    }
}

/// An IMU on the client: each frame's reading of the camera's rotation carries Gaussian noise of
/// `noiseDegrees` (standard deviation) and costs `cost` of device time.
public struct IMUSpec: Sendable, Equatable {
    public var noiseDegrees: Double
    public var cost: SimTime

    public init(noiseDegrees: Double, cost: SimTime) {
        self.noiseDegrees = noiseDegrees
        self.cost = cost
    }
}

/// An on-device estimate of how much each task's freshest server result has aged: the accuracy it
/// lost since its frame, as an app measures it by warping the last result to the current frame
/// and comparing (AccuMO's optical-flow AbsRel). Every `everyFrames` frames the device computes
/// it for every task, at `cost` of device time; the reading is the true loss (the task's accuracy
/// model: per frame of staleness and per degree turned) times (1 + N(0, `noise`²)), at least 0.
/// A policy sees the latest reading, never the ground truth itself.
public struct ContentEstimateSpec: Sendable, Equatable {
    public var noise: Double
    public var cost: SimTime
    public var everyFrames: Int

    public init(noise: Double, cost: SimTime, everyFrames: Int) {
        self.noise = noise
        self.cost = cost
        self.everyFrames = everyFrames
    }
}

/// A job on the client's device: a fallback run, the device stage of a request, or reading a sensor.
struct DeviceJob: Sendable {
    enum Kind: Sendable {
        case fallback(task: Int, frame: Int64, captured: SimTime)
        case stage(request: Int32)
        case observation
    }
    var kind: Kind
    var duration: SimTime
}

/// What the hot path needs of a task, copied out of its spec once (a spec holds policies and
/// tables, which cost reference counting on every access).
struct TaskRuntime: Sendable, Equatable {
    var model: Int32
    var deadline: SimTime
    var resultBytes: Int
    var fallbackLatency: SimTime?
    var accuracy: AccuracyModel
    /// Whether its split policy is asked per request.
    var adaptiveSplit: Bool
}

/// Ids each client looks up on every frame and result, worked out once (-1: not yet): the path
/// from the client to each site and back from each server for its current attachment, and each
/// task's route from each serving site.
///
/// One flat array with a row per client, owned by the world rather than by each client: a
/// result on its way back reads its path here with one load, where an array per client was two
/// dependent misses (the client's state for the array, then the array) once 10,000 clients
/// no longer fit in cache.
struct ClientLookupTable: Sendable {
    private var ids: [Int32]
    private let sites: Int
    private let servers: Int
    private let stride: Int

    init(clients: Int, sites: Int, servers: Int, maxTasks: Int) {
        self.sites = sites
        self.servers = servers
        stride = sites + servers + maxTasks * sites
        ids = Array(repeating: -1, count: clients * stride)
    }

    /// Where a client's row keeps its path to site x, its path back from server v, and task t's
    /// route when served from site x.
    private func index(client c: Int, pathToSite x: Int) -> Int { c * stride + x }
    private func index(client c: Int, pathFromServer v: Int) -> Int { c * stride + sites + v }
    private func index(client c: Int, route t: Int, servingSite x: Int) -> Int { c * stride + sites + servers + t * sites + x }

    subscript(client c: Int, pathToSite x: Int) -> Int32 {
        get { ids[index(client: c, pathToSite: x)] }
        set { ids[index(client: c, pathToSite: x)] = newValue }
    }

    subscript(client c: Int, pathFromServer v: Int) -> Int32 {
        get { ids[index(client: c, pathFromServer: v)] }
        set { ids[index(client: c, pathFromServer: v)] = newValue }
    }

    subscript(client c: Int, route t: Int, servingSite x: Int) -> Int32 {
        get { ids[index(client: c, route: t, servingSite: x)] }
        set { ids[index(client: c, route: t, servingSite: x)] = newValue }
    }

    /// What `[client: c, pathToSite: x]` holds, for a hint: -1 (none) where (c, x) lies outside
    /// the table, where the subscript would trap.
    func peek(client c: Int, pathToSite x: Int) -> Int32 {
        guard c >= 0, x >= 0, x < sites else { return -1 }
        return peek(at: index(client: c, pathToSite: x))
    }

    /// What `[client: c, pathFromServer: v]` holds, for a hint: -1 outside the table.
    func peek(client c: Int, pathFromServer v: Int) -> Int32 {
        guard c >= 0, v >= 0, v < servers else { return -1 }
        return peek(at: index(client: c, pathFromServer: v))
    }

    private func peek(at i: Int) -> Int32 { i < ids.count ? ids[i] : -1 }

    /// The client moved: its paths change (its routes do not).
    mutating func forgetPaths(client c: Int) {
        for i in 0..<(sites + servers) { ids[c * stride + i] = -1 }
    }

    /// Asks the cache for a client's whole row (see `World.prefetch`): a capture reads its path
    /// to a site near the start and its tasks' routes near the end.
    func prefetch(client c: Int) { ids.prefetch(c * stride ..< (c + 1) * stride) }

    /// Asks the cache for a client's path back from server `v`.
    func prefetch(client c: Int, pathFromServer v: Int) { ids.prefetch(index(client: c, pathFromServer: v)) }
}

/// A client's offloaded frames with the number of their requests still outstanding. A client
/// has a handful in flight: the first four are held in the client's own record, so that
/// capturing a frame and delivering a result do not miss on an array of their own; more go
/// into an overflow array.
///
/// A client whose link cannot keep up can have many thousands in flight. Frames are captured in
/// increasing order, so the overflow stays sorted: a frame is found by binary search, and one
/// that ends is marked (0 outstanding) rather than removed, so that ending a request never
/// shifts the array. Marked entries leave from the front as the oldest frames end, and all at
/// once when they outnumber the live ones (a frame held long at a server must not keep every
/// later one's entry).
public struct FramesInFlight: Sendable {
    private var frames = InlineFour<Int64>(repeating: -1)
    private var outstanding = InlineFour<Int32>(repeating: 0)
    private var overflow: [(frame: Int64, outstanding: Int)] = []
    /// Overflow entries before this one have all ended.
    private var head = 0
    /// Ended entries at or after `head`.
    private var marked = 0
    public private(set) var count = 0
    /// Overflow entries held, live or marked: at most about three times the live ones.
    public var overflowHeld: Int { overflow.count }

    public init() {}

    /// Frame `frame` was offloaded with `n` ≥ 1 requests; frames come in increasing order.
    public mutating func append(frame: Int64, outstanding n: Int) {
        count += 1
        for i in 0..<4 where frames[i] < 0 {
            frames[i] = frame
            outstanding[i] = Int32(n)
            return
        }
        assert(overflow.last.map { $0.frame < frame } ?? true, "frames are offloaded in increasing order")
        overflow.append((frame, n))
    }

    /// One of the frame's requests ended; the frame leaves with its last.
    public mutating func requestEnded(frame: Int64) {
        for i in 0..<4 where frames[i] == frame {
            if outstanding[i] <= 1 {
                frames[i] = -1
                count -= 1
            } else {
                outstanding[i] -= 1
            }
            return
        }
        var low = head, high = overflow.count
        while low < high {
            let mid = (low + high) / 2
            if overflow[mid].frame < frame { low = mid + 1 } else { high = mid }
        }
        guard low < overflow.count, overflow[low].frame == frame, overflow[low].outstanding > 0 else { return }
        overflow[low].outstanding -= 1
        guard overflow[low].outstanding == 0 else { return }
        count -= 1
        marked += 1
        while head < overflow.count && overflow[head].outstanding == 0 {
            head += 1
            marked -= 1
        }
        let live = overflow.count - head - marked
        if live == 0 {
            overflow.removeAll(keepingCapacity: true)
            (head, marked) = (0, 0)
        } else if head + marked >= 64 && head + marked > 2 * live {
            overflow = overflow[head...].filter { $0.outstanding > 0 }
            (head, marked) = (0, 0)
        }
    }
}

/// A client during the run.
///
/// Fields are declared in the order the hot path reads them: what capturing a frame, creating its
/// requests and delivering their results touch comes first, so that it shares a few cache lines
/// (Swift lays a struct out in declaration order); what only sensors, sessions, moves and
/// adaptive policies use comes last.
struct ClientState: Sendable {
    // Capture.
    var nextFrame: Int64 = 0
    var phase: SimTime = 0
    /// When the client's camera started: 0, or when its session was admitted.
    var origin: SimTime = 0
    let captureUntil: SimTime
    /// Whether the camera runs (false before a session is admitted and after it ends), and until when.
    var capturing: Bool
    let hasSession: Bool
    /// Whether it has an IMU or a content estimate: read here on every frame, so that clients
    /// without them do not touch the fields at the far end of this struct.
    let readsSensors: Bool
    var overridden = false
    var deviceBusy = false
    let arrivals: ArrivalProcess
    var rng: RandomStream
    // The frame's decision and requests.
    let frameBytes: Int
    /// Shared by the clients of a group (equal tables are one array, see `World.init`).
    var tasks: [TaskRuntime]
    var hasFallback: [Bool]
    /// Offloaded frames with their outstanding requests; a frame is in flight while any remain.
    var framesInFlight = FramesInFlight()
    /// `policy.notices`, read once: the hot path tests a stored bit, not a protocol witness.
    let notices: PolicyNotices
    let maxOffloadsInFlight: Int?
    /// Drawn once from the client's own stream, for its policy's random choices.
    var policyDraw: UInt64
    /// The site whose access point the client is at, and the site that serves it.
    var attachedSite: Int
    var servingSite: Int
    var uplink: Int32
    var downlink: Int32
    var policy: any ClientPolicy
    var motion: MotionState?
    // Less often.
    let imu: IMUSpec?
    let contentEstimate: ContentEstimateSpec?
    /// Per task, the latest content-change reading (nil: none yet, or no server result then).
    var estimates: [Double?]
    var imuRNG: RandomStream
    var estimateRNG: RandomStream
    /// Per task: the route the control plane set (-1: none, the task's split policy decides);
    /// `overridden` says whether any is set, so most requests skip the array.
    var routeOverride: [Int32]
    /// Per task: its split policy, when it is asked per request (its own copy, with its state).
    var adaptiveSplits: [(any SplitPolicy)?]
    /// Bits per second of the last upload on the radio link, once one was measured; measured only
    /// for clients whose split or policy uses it.
    var observedUplink: Double?
    let observesUplink: Bool
    var nextHandover = 0
    var device = Deque<DeviceJob>()

    /// The whole record, as `World.prefetchClient` asks for it by default.
    static let allFields = 0 ..< MemoryLayout<ClientState>.stride

    /// The bytes of the record a result's delivery reads: `framesInFlight` and `notices` (a client
    /// whose policy hears of results also has its policy read, which these leave out).
    static let resultFields: Range<Int> = {
        let from = MemoryLayout<ClientState>.offset(of: \ClientState.framesInFlight) ?? 0
        let to = MemoryLayout<ClientState>.offset(of: \ClientState.maxOffloadsInFlight) ?? MemoryLayout<ClientState>.size
        // Swift does not promise to keep the declared order: then the whole record.
        return from < to ? from ..< to : 0 ..< MemoryLayout<ClientState>.size
    }()

    /// One of the frame's requests has ended.
    mutating func requestEnded(frame: Int64) { framesInFlight.requestEnded(frame: frame) }

    init(spec: ClientSpec, seed: UInt64, uplink: Int32, downlink: Int32, duration: SimTime, motionBlocksAt: Int) {
        rng = RandomStream(seed: seed, name: "client/\(spec.name)/arrivals")
        arrivals = spec.arrivals
        frameBytes = spec.frameBytes
        tasks = spec.tasks.map {
            TaskRuntime(model: Int32($0.model), deadline: $0.deadline, resultBytes: $0.resultBytes,
                        fallbackLatency: $0.fallback?.latency.latency(batchSize: 1), accuracy: $0.accuracy,
                        adaptiveSplit: $0.split.perRequest)
        }
        hasFallback = tasks.map { $0.fallbackLatency != nil }
        maxOffloadsInFlight = spec.maxOffloadsInFlight
        motion = spec.motion.map { MotionState(trace: $0) } ?? spec.generatedMotionInUse.map { MotionState(generated: $0, blocksAt: motionBlocksAt) }
        routeOverride = Array(repeating: -1, count: spec.tasks.count)
        adaptiveSplits = spec.tasks.map { $0.split.perRequest ? $0.split : nil }
        observesUplink = spec.tasks.contains { $0.split.perRequest } || spec.policy.notices.contains(.bandwidth)
        policy = spec.policy
        notices = spec.policy.notices
        self.uplink = uplink
        self.downlink = downlink
        attachedSite = spec.site
        servingSite = spec.site
        capturing = spec.session == nil
        hasSession = spec.session != nil
        imu = spec.imu
        readsSensors = spec.imu != nil || spec.contentEstimate != nil
        imuRNG = RandomStream(seed: seed, name: "client/\(spec.name)/imu")
        contentEstimate = spec.contentEstimate
        estimateRNG = RandomStream(seed: seed, name: "client/\(spec.name)/content-estimate")
        estimates = Array(repeating: nil, count: spec.tasks.count)
        var draws = RandomStream(seed: seed, name: "client/\(spec.name)/policy")
        policyDraw = draws.next()
        captureUntil = min(duration, spec.session?.end ?? .max)
        if case .periodic(let fps, _, let phase) = spec.arrivals {
            self.phase = phase ?? SimTime(rng.nextUnit() * 1e9 / fps)
        }
    }

    /// The capture time of the next frame, given the time of the one just captured (nil before the
    /// first), drawing any randomness from this client's stream.
    mutating func nextCaptureTime(_ arrivals: ArrivalProcess, after previous: SimTime?) -> SimTime {
        switch arrivals {
        case .periodic(let fps, let jitter, _):
            let nominal = origin + phase + SimTime((Double(nextFrame) * 1e9 / fps).rounded())
            let delay = jitter > 0 ? SimTime(rng.nextUnit() * Double(jitter)) : 0
            return nominal + delay
        case .poisson(let rate):
            let gap = SimTime((-log(rng.nextUnitOpenAtZero()) * 1e9 / rate).rounded())
            return (previous ?? origin) + gap
        }
    }
}

extension World {
    /// A client captures a frame: the app's accuracy for each task is recorded, the client's
    /// policy decides what to offload and what to run locally, requests are born, and the next
    /// capture is scheduled.
    mutating func frameCaptured(client c: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        let ci = Int(c)
        let frame = clients[ci].nextFrame
        let taskCount = clients[ci].tasks.count
        prefetchUpload(client: ci)
        for t in 0..<taskCount {
            // Copied out: the motion cache is written while the results are read.
            let results = taskResults[resultIndex(ci, t)], model = clients[ci].tasks[t].accuracy
            let (accuracy, staleness, source) = results.accuracy(model: model, frame: frame, now: now, motion: &clients[ci].motion,
                                                                 blocks: &motionBlocks)
            recorder.frame(FrameRecord(client: c, task: Int32(t), frame: frame, time: now, staleness: staleness,
                                       accuracy: accuracy, source: source))
        }

        let sensors = clients[ci].readsSensors
        if sensors, let spec = clients[ci].contentEstimate, frame % Int64(spec.everyFrames) == 0 {
            estimateContent(client: ci, spec, frame: frame, now: now, scheduler: &scheduler)
        }
        // The stored count of `FramesInFlight`: a computed property read through the array copied
        // the whole client state on every frame.
        let view = ClientView(frame: frame, now: now, offloadsInFlight: clients[ci].framesInFlight.count,
                              maxOffloadsInFlight: clients[ci].maxOffloadsInFlight,
                              hasFallback: clients[ci].hasFallback, draw: clients[ci].policyDraw, latest: latestFrames(client: ci, tasks: taskCount),
                              imuRotation: !sensors || clients[ci].imu == nil ? nil : readIMU(client: ci, now: now, scheduler: &scheduler),
                              contentChange: !sensors || clients[ci].contentEstimate == nil ? nil : clients[ci].estimates)
        let actions: [TaskAction]
        if clients[ci].notices.contains(.decisionEffects) {
            var effects = PolicyEffects()
            actions = clients[ci].policy.decide(view, effects: &effects)
            if !effects.isEmpty { apply(effects, owner: .client(c), scheduler: &scheduler) }
        } else {
            actions = clients[ci].policy.decide(view)
        }
        guard actions.count == taskCount else {
            policyError("client \(spec.clients[ci].name): its policy \(type(of: clients[ci].policy)) gave \(actions.count) "
                        + "actions for \(taskCount) tasks")
            return
        }
        var upload = UploadSlots()
        var uploadPlacement: Placement?
        var offloaded = 0
        for (t, action) in actions.enumerated() {
            switch action {
            case .skip:
                continue
            case .local:
                if let d = clients[ci].tasks[t].fallbackLatency {
                    recorder.localRun(client: c, at: now)
                    enqueueOnDevice(client: ci, DeviceJob(kind: .fallback(task: t, frame: frame, captured: now), duration: d), scheduler: &scheduler)
                }
            case .offload:
                let slot = createRequest(client: ci, task: t, frame: frame, now: now)
                offloaded += 1
                let stage = routes[Int(requests[slot].route)].stages[0]
                if stage.placement == .device {
                    // The device runs the first stage; its output goes on from there.
                    let layers = stageLayers(slot, stage: 0)
                    let d = spec.clients[ci].tasks[t].deviceLatency?.latency(batchSize: 1, layers: layers) ?? 0
                    enqueueOnDevice(client: ci, DeviceJob(kind: .stage(request: slot), duration: d), scheduler: &scheduler)
                } else if uploadPlacement == nil || uploadPlacement == stage.placement {
                    // Tasks that go to the same place share one upload of the frame.
                    uploadPlacement = stage.placement
                    upload.append(slot, spill: &uploadSpill)
                } else {
                    send(.upload(UploadSlots(slot)), bytes: clients[ci].frameBytes, path: pathFromClient(ci, to: stage.placement), now: now, scheduler: &scheduler)
                }
            }
        }
        if offloaded > 0 {
            clients[ci].framesInFlight.append(frame: frame, outstanding: offloaded)
            recorder.offload(client: c, at: now)
        }
        if let placement = uploadPlacement {
            send(.upload(upload), bytes: clients[ci].frameBytes, path: pathFromClient(ci, to: placement), now: now, scheduler: &scheduler)
        }
        clients[ci].nextFrame += 1
        scheduleNextFrame(client: c, after: now, scheduler: &scheduler)
    }

    /// Where client `c`'s results for task `t` are in `taskResults`.
    func resultIndex(_ c: Int, _ t: Int) -> Int { c * resultStride + t }

    /// Per task, the frame of the freshest result, for the client's policy.
    func latestFrames(client c: Int, tasks: Int) -> LatestFrames {
        var latest = LatestFrames()
        for t in 0..<tasks { latest.append(taskResults[resultIndex(c, t)].latest ?? -1) }
        return latest
    }

    mutating func scheduleNextFrame(client c: Int32, after previous: SimTime?, scheduler: inout Scheduler<WorldEvent>) {
        let next = clients[Int(c)].nextCaptureTime(clients[Int(c)].arrivals, after: previous)
        if next < clients[Int(c)].captureUntil && clients[Int(c)].capturing {
            scheduler.schedule(.frameCaptured(client: c), at: next)
        }
    }

    /// Reads the IMU for every task (rotation since its freshest result's capture, plus noise) and
    /// charges the reading's cost to the device.
    mutating func readIMU(client c: Int, now: SimTime, scheduler: inout Scheduler<WorldEvent>) -> [Double?] {
        guard let imu = clients[c].imu else { return [] }
        let noise = Distribution.normal(mean: 0, standardDeviation: imu.noiseDegrees)
        var readings: [Double?] = []
        for t in clients[c].tasks.indices {
            guard let since = taskResults[resultIndex(c, t)].latestCapture else { readings.append(nil); continue }
            let truth = clients[c].motion?.rotation(from: since, to: now, blocks: &motionBlocks) ?? 0
            readings.append(max(0, truth + noise.sample(&clients[c].imuRNG)))
        }
        if imu.cost > 0 { enqueueOnDevice(client: c, DeviceJob(kind: .observation, duration: imu.cost), scheduler: &scheduler) }
        return readings
    }

    /// The content-change reading of every task (`ContentEstimateSpec`), paid for in device time.
    mutating func estimateContent(client c: Int, _ spec: ContentEstimateSpec, frame: Int64, now: SimTime,
                                  scheduler: inout Scheduler<WorldEvent>) {
        let noise = Distribution.normal(mean: 0, standardDeviation: spec.noise)
        for t in clients[c].tasks.indices {
            let r = taskResults[resultIndex(c, t)]
            guard r.serverFrame >= 0 else { clients[c].estimates[t] = nil; continue }
            let model = clients[c].tasks[t].accuracy
            let turned = clients[c].motion?.rotation(from: r.serverTime, to: now, blocks: &motionBlocks) ?? 0
            let lost = model.perFrame * Double(frame - r.serverFrame) + model.perDegree * turned
            clients[c].estimates[t] = max(0, lost * (1 + noise.sample(&clients[c].estimateRNG)))
        }
        if spec.cost > 0 { enqueueOnDevice(client: c, DeviceJob(kind: .observation, duration: spec.cost), scheduler: &scheduler) }
    }

    // MARK: The device

    mutating func enqueueOnDevice(client c: Int, _ job: DeviceJob, scheduler: inout Scheduler<WorldEvent>) {
        clients[c].device.append(job)
        if !clients[c].deviceBusy { startDeviceJob(client: c, scheduler: &scheduler) }
    }

    mutating func startDeviceJob(client c: Int, scheduler: inout Scheduler<WorldEvent>) {
        guard let job = clients[c].device.first else {
            clients[c].deviceBusy = false
            return
        }
        clients[c].deviceBusy = true
        // A device stage starts when the device takes it up, not when it was queued behind
        // other device work (a fallback run, a sensor reading).
        if case .stage(let slot) = job.kind { requests[slot].deviceStart = scheduler.now }
        scheduler.schedule(.deviceDone(client: Int32(c)), after: job.duration)
    }

    /// The device finishes its current job: a fallback result is ready at once; a device stage
    /// sends its output on to the next stage (or, if it was the only stage, is the result).
    mutating func deviceDone(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        let now = scheduler.now
        let job = clients[c].device.removeFirst()
        switch job.kind {
        case .fallback(let task, let frame, let captured):
            taskResults[resultIndex(c, task)].localResult(frame: frame, capturedAt: captured)
        case .stage(let slot):
            requests[slot].deviceEnd = now
            advance(request: slot, from: Placement.device, now: now, scheduler: &scheduler)
        case .observation:
            break
        }
        startDeviceJob(client: c, scheduler: &scheduler)
    }

    // MARK: Results

    /// The result of a request reaches its client.
    mutating func resultDelivered(request slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        let r = requests[slot]
        let c = Int(r.client)
        taskResults[resultIndex(c, Int(r.task))].serverResult(frame: r.frame, capturedAt: r.created, loss: routeLoss[Int(r.route)])
        finish(slot, outcome: .completed, at: now)
        guard clients[c].notices.contains(.results) else { return }
        var effects = PolicyEffects()
        clients[c].policy.resultArrived(ResultNotice(frame: r.frame, task: Int(r.task), captured: r.created, arrived: now,
                                                     metDeadline: now <= r.deadline, server: r.server >= 0 ? Int(r.server) : nil),
                                        effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .client(r.client), scheduler: &scheduler) }
    }

    /// A request ends (completed, dropped or cancelled): it leaves the table, its frame's count of
    /// outstanding requests drops, and the recorder gets it.
    mutating func finish(_ slot: Int32, outcome: RequestOutcome, at now: SimTime) {
        var request = requests.remove(slot)
        if outcome == .completed { request.completed = now }
        var endsLogicalRequest = true
        if !groups.isEmpty, var g = groups[request.group] {
            // The client hears once per logical request: from the winning copy whatever becomes of
            // it, or, with no winner, from the last copy to end.
            g.alive -= 1
            endsLogicalRequest = !g.ended && ((g.done && g.winner == slot) || outcome == .completed || g.alive == 0)
            if endsLogicalRequest { g.ended = true }
            groups[request.group] = g.alive == 0 ? nil : g
        }
        if endsLogicalRequest {
            clients[Int(request.client)].requestEnded(frame: request.frame)
        }
        recorder.finished(request, outcome: outcome, route: recorder.detail == .requests ? routes[Int(request.route)] : nil)
    }

    // MARK: Mobility

    /// The client reaches its next site: its path changes, and its service stays or migrates.
    mutating func handover(client c32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(c32)
        let step = spec.clients[c].mobility[clients[c].nextHandover]
        clients[c].nextHandover += 1
        let old = clients[c].servingSite
        clients[c].attachedSite = step.site
        lookups.forgetPaths(client: c)
        recorder.handover(client: c32)
        // A client not present (before admission, rejected, gone) has no service state to move:
        // with migration it is simply served where it now is.
        let present = !clients[c].hasSession || sessions[c].phase == .active
        if case .migrate = spec.clients[c].migration, step.site != old, !present {
            clients[c].servingSite = step.site
        } else if case .migrate(let bytes) = spec.clients[c].migration, step.site != old {
            send(.migration(client: c32, site: Int32(step.site)), bytes: bytes, path: pathBetweenSites(old, step.site),
                 now: scheduler.now, scheduler: &scheduler)
        }
        scheduleNextHandover(client: c32, scheduler: &scheduler)
    }

    mutating func scheduleNextHandover(client c: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let steps = spec.clients[Int(c)].mobility
        let i = clients[Int(c)].nextHandover
        if i < steps.count, steps[i].time < spec.duration {
            scheduler.schedule(.handover(client: c), at: max(steps[i].time, scheduler.now))
        }
    }

    /// The service state reached the new site: requests from now on go there.
    mutating func migrationArrived(client c: Int32, site: Int32) {
        clients[Int(c)].servingSite = Int(site)
        recorder.migration(client: c)
    }
}

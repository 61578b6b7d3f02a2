import EdgeWorld
import SimKernel

/// The DisBatcher plan the admission controller sends its GPU server whenever the admitted set
/// changes: each category's window (0: none admitted) and its worst-case job cost.
public struct DeepRTPlan: Sendable, Equatable {
    /// By model index.
    public var windows: [SimTime]
    public var costs: [SimTime]
}

/// A DeepRT server's report that a batch ran past its worst case (the Adaptation Module's
/// overrun), sent to its site's admission controller.
public struct DeepRTOverrun: Sendable, Equatable {
    public var model: Int
    /// Actual over worst case (> 1).
    public var ratio: Double
}

/// DeepRT's Admission Control Module at a site's front end, for the site's one GPU (Yang et al.,
/// SEC 2021; docs/policies/deeprt.md). A session is a set of camera streams (one per task):
/// period 1/fps, relative deadline, model. The category of a stream is its model; each category's
/// window is half the smallest server-side deadline among its admitted streams (the paper's
/// Eq. 2), so a frame always sees two window ends before its deadline. A new session is admitted
/// only if the categories, as sporadic tasks (period = deadline = window, cost = the worst case of
/// the largest batch a window can collect), pass the non-preemptive EDF test (`NonPreemptiveEDF`).
public struct DeepRTAdmission: AdmissionPolicy {
    struct Stream: Sendable, Equatable {
        var client: Int
        var model: Int
        var period: SimTime
        /// The deadline left for the server: the task's deadline less the network budget.
        var deadline: SimTime
        /// When it was admitted: the imitator takes its frames to come from then on.
        var admitted: SimTime
    }

    /// Which schedulability test decides.
    public enum Test: String, Sendable, CaseIterable {
        /// The paper's: utilisation with average batches, then the EDF imitator (`DeepRTImitator`).
        case imitator
        /// Jeffay, Stanat and Martel's non-preemptive EDF test (`NonPreemptiveEDF`): a guarantee
        /// whatever the cameras' phases.
        case demand
    }

    let server: Int
    let test: Test
    /// Test later sessions with the worst overrun ratio a server reported per model (not in the
    /// paper, which leaves admission to the profiled costs).
    let learn: Bool
    /// How far ahead the imitator plays the schedule.
    let horizon: SimTime
    let tables: [LatencyTable?]
    /// Part of every deadline kept for the network (the frame's upload and its result's return).
    let networkBudget: SimTime
    /// How much a frame's arrival at the server may vary from strictly periodic.
    let jitter: SimTime
    /// False: admit every session but still plan windows for them (to see what admission prevents).
    let enforce: Bool
    var streams: [Stream] = []

    /// The admitted set as the test sees it: one task per category.
    public var admittedTasks: [WindowTask] { Self.tasks(streams, tables: tables, jitter: jitter, inflation: inflation) }
    /// Per model, the largest actual / worst-case ratio servers have reported (1: none).
    var inflation: [Double]
    /// The plan last sent, so an unchanged one is not sent again.
    var sent: DeepRTPlan?
    /// Per model, the end of a window as the server's timers have it (its windows follow one
    /// another from there), for the imitator.
    var windowEnd: [SimTime]

    public init(server: Int, tables: [LatencyTable?], networkBudget: SimTime, jitter: SimTime, enforce: Bool,
                test: Test = .imitator, horizon: SimTime = 2_000_000_000, learn: Bool = false) {
        self.server = server
        self.learn = learn
        self.test = test
        self.horizon = horizon
        windowEnd = Array(repeating: 0, count: tables.count)
        self.tables = tables
        self.networkBudget = networkBudget
        self.jitter = jitter
        self.enforce = enforce
        inflation = Array(repeating: 1, count: tables.count)
    }

    public mutating func admit(_ request: SessionRequest) -> AdmissionDecision {
        var effects = PolicyEffects()
        return admit(request, effects: &effects)
    }

    public mutating func admit(_ request: SessionRequest, effects: inout PolicyEffects) -> AdmissionDecision {
        guard let fps = request.fps else { return .reject(reason: "DeepRT admits periodic streams; this client's frames are not periodic") }
        let period = SimTime((1e9 / fps).rounded())
        var candidate = streams
        for (model, deadline) in zip(request.models, request.deadlines) {
            guard tables.indices.contains(model), tables[model] != nil else {
                return .reject(reason: "the GPU server does not serve model \(model)")
            }
            let left = deadline - networkBudget
            guard left >= 2 else { return .reject(reason: "the deadline leaves no time at the server after the network budget") }
            candidate.append(Stream(client: request.client, model: model, period: period, deadline: left, admitted: request.now))
        }
        if enforce, let why = unschedulable(candidate, now: request.now) { return .reject(reason: "not schedulable: \(why)") }
        streams = candidate
        sendPlan(now: request.now, effects: &effects)
        return .accept
    }

    func unschedulable(_ candidate: [Stream], now: SimTime) -> String? {
        let tasks = Self.tasks(candidate, tables: tables, jitter: jitter, inflation: inflation)
        switch test {
        case .demand:
            if case .unschedulable(let why) = NonPreemptiveEDF.test(tasks) { return why }
            return nil
        case .imitator:
            let categories = tasks.map { t in
                DeepRTImitator.Category(model: t.model, window: t.window, end: nextWindowEnd(model: t.model, window: t.window, now: now),
                                        cost: { n in self.cost(frames: n, model: t.model) })
            }
            let times = candidate.map { DeepRTImitator.StreamTimes(model: $0.model, first: $0.admitted, period: $0.period) }
            let u = DeepRTImitator.utilisation(categories, streams: times)
            if u > 1 { return "utilisation \(NonPreemptiveEDF.format(u)) > 1 with average batches" }
            return DeepRTImitator.firstMiss(categories, streams: times, now: now, horizon: horizon)
        }
    }

    func cost(frames: Int, model: Int) -> SimTime {
        guard let table = tables[model], let c = worstCaseCost(frames: frames, table: table) else { return .max / 4 }
        return SimTime((Double(c) * inflation[model]).rounded(.up))
    }

    /// The end of model `model`'s window open at `now` once the plan gives it windows of `window`,
    /// by the server's rule: a new category starts its first window now; an open window ends no
    /// later than one new window from now.
    func nextWindowEnd(model m: Int, window: SimTime, now: SimTime) -> SimTime {
        let old = sent.map { $0.windows[m] } ?? 0
        guard old > 0 else { return now + window }
        var end = windowEnd[m]
        if end < now { end += ((now - end + old - 1) / old) * old }
        return min(end, now + window)
    }

    public mutating func sessionEnded(client: Int, now: SimTime, effects: inout PolicyEffects) {
        streams.removeAll { $0.client == client }
        sendPlan(now: now, effects: &effects)
    }

    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {
        guard learn, let overrun = message.payload as? DeepRTOverrun, inflation.indices.contains(overrun.model) else { return }
        inflation[overrun.model] = max(inflation[overrun.model], overrun.ratio)
    }

    /// The categories of a set of streams: per model, window = ½ min deadline, frames = Σ ⌈(W + J) / T⌉.
    /// The utilisation of the admitted set is `NonPreemptiveEDF.test(tasks(…))`'s.
    static func tasks(_ streams: [Stream], tables: [LatencyTable?], jitter: SimTime, inflation: [Double]) -> [WindowTask] {
        var tasks: [WindowTask] = []
        for model in tables.indices {
            let mine = streams.filter { $0.model == model }
            guard let shortest = mine.map(\.deadline).min(), let table = tables[model] else { continue }
            let window = shortest / 2
            // Frame times are rounded to whole nanoseconds, so two may come a nanosecond closer than
            // the period: 2 ns of jitter beyond the stated one keeps the count an upper bound.
            let frames = mine.reduce(0) { $0 + Int((window + jitter + 2 + $1.period - 1) / $1.period) }
            let cost = SimTime((Double(worstCaseCost(frames: frames, table: table) ?? .max / 4) * inflation[model]).rounded(.up))
            tasks.append(WindowTask(model: model, window: window, cost: cost, frames: frames))
        }
        return tasks
    }

    mutating func sendPlan(now: SimTime, effects: inout PolicyEffects) {
        var plan = DeepRTPlan(windows: Array(repeating: 0, count: tables.count), costs: Array(repeating: 0, count: tables.count))
        for task in Self.tasks(streams, tables: tables, jitter: jitter, inflation: inflation) {
            plan.windows[task.model] = task.window
            plan.costs[task.model] = task.cost
        }
        guard plan != sent else { return }
        for m in plan.windows.indices where plan.windows[m] > 0 {
            windowEnd[m] = nextWindowEnd(model: m, window: plan.windows[m], now: now)
        }
        sent = plan
        effects.send(to: .server(server), bytes: 64 + 16 * tables.count, payload: plan)
    }
}

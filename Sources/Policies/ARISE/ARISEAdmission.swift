import EdgeWorld
import SimKernel

/// What ARISE's planner tells a client: the tick clock and, per task, every how many ticks and
/// at which tick of that period it offloads (interval 0: never).
public struct ARISESchedule: Sendable, Equatable {
    public var start: SimTime
    public var frameTime: SimTime
    public var intervals: [Int]
    public var phases: [Int]
}

/// The server's report that its plan drifted: the share of requests that reached it after their
/// launch (uploads longer than the budget and slack), and its longest batch over the profiled
/// worst case, over the last cycle.
public struct ARISEDrift: Sendable, Equatable {
    public var lateShare: Double
    public var overrun: Double
}

/// What it tells the server: the tick clock and how long after each tick to launch.
public struct ARISELaunches: Sendable, Equatable {
    public var start: SimTime
    public var frameTime: SimTime
    public var offset: SimTime
}

/// ARISE's planner and admission control at the edge site's front end (Kong, Xu, Hu, MobiSys
/// 2024; reconstructed, docs/policies/arise.md). A client asking to join is admitted only while a
/// plan keeps every admitted client's tasks within the accuracy SLA; the new plan is sent to
/// every client whose schedule changed and, once, the launch clock to the server. It re-plans
/// when a client leaves.
public struct ARISEAdmission: AdmissionPolicy {
    let server: Int
    var planner: ARISEPlanner
    /// The upload budget may grow with drift up to this (half a frame beyond the first budget).
    let maxUpload: SimTime
    let fps: Double
    var streams: [ARISEPlanner.Stream] = []
    var assignments: [ARISEPlanner.Assignment] = []
    var start: SimTime?

    public init(server: Int, planner: ARISEPlanner, fps: Double) {
        self.server = server
        self.planner = planner
        maxUpload = planner.upload + planner.frameTime / 2
        self.fps = fps
    }

    public mutating func admit(_ request: SessionRequest) -> AdmissionDecision {
        var effects = PolicyEffects()
        return admit(request, effects: &effects)
    }

    public mutating func admit(_ request: SessionRequest, effects: inout PolicyEffects) -> AdmissionDecision {
        guard let f = request.fps, abs(f - fps) < 1e-9 else {
            return .reject(reason: "ARISE plans clients at \(fps) fps; this one is not periodic at that rate")
        }
        var candidate = streams
        for (t, model) in request.models.enumerated() {
            guard planner.tables.indices.contains(model), planner.tables[model] != nil else {
                return .reject(reason: "the edge server does not serve model \(model)")
            }
            let accuracy = request.accuracy.indices.contains(t) ? request.accuracy[t] : AccuracyModel()
            candidate.append(.init(client: request.client, task: t, model: model, accuracy: accuracy))
        }
        switch planner.plan(candidate) {
        case .failure(let e): return .reject(reason: "no plan keeps every client within accuracy \(planner.sla): \(e.message)")
        case .success(let plan):
            if start == nil {
                // The tick clock starts one tick from now; the server launches `upload + slack` after each tick.
                start = request.now + planner.frameTime
                effects.send(to: .server(server), bytes: 64,
                             payload: ARISELaunches(start: start!, frameTime: planner.frameTime, offset: planner.upload + planner.slack))
            }
            adopt(candidate, plan, effects: &effects)
            return .accept
        }
    }

    public mutating func sessionEnded(client: Int, now: SimTime, effects: inout PolicyEffects) {
        let remaining = streams.filter { $0.client != client }
        // Re-planning may lengthen intervals and level the ticks again. Where no plan fits (drift
        // raised the costs), the others keep their schedules; the client's streams go either way.
        if case .success(let plan) = planner.plan(remaining) {
            adopt(remaining, plan, effects: &effects)
        } else {
            let kept = streams.indices.filter { streams[$0].client != client }
            assignments = kept.map { assignments[$0] }
            streams = remaining
        }
    }

    /// Drift: late uploads lengthen the upload budget by the slack (up to half a frame more than
    /// configured) and move the server's launches; slow batches scale the batch costs. Then the
    /// admitted clients are re-planned; if no plan fits them any more the old one stays (clients
    /// are never evicted) and new clients are tested against the new figures.
    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {
        guard let drift = message.payload as? ARISEDrift, let start else { return }
        var changed = false
        if drift.lateShare > 0.02, planner.upload < maxUpload {
            planner.upload = min(maxUpload, planner.upload + max(planner.slack, 1_000_000))
            effects.send(to: .server(server), bytes: 64,
                         payload: ARISELaunches(start: start, frameTime: planner.frameTime, offset: planner.upload + planner.slack))
            changed = true
        }
        if drift.overrun > planner.costScale {
            planner.costScale = drift.overrun
            changed = true
        }
        if changed, case .success(let plan) = planner.plan(streams) { adopt(streams, plan, effects: &effects) }
    }

    /// Takes `plan` and sends every client whose schedule changed its new one.
    mutating func adopt(_ candidate: [ARISEPlanner.Stream], _ plan: [ARISEPlanner.Assignment], effects: inout PolicyEffects) {
        let old = schedules(streams, assignments)
        streams = candidate
        assignments = plan
        let new = schedules(streams, assignments)
        for (client, schedule) in new where old.first(where: { $0.0 == client })?.1 != schedule {
            effects.send(to: .client(client), bytes: 64 + 8 * schedule.intervals.count, payload: schedule)
        }
    }

    /// Per client, in order of first appearance, its schedule.
    func schedules(_ streams: [ARISEPlanner.Stream], _ plan: [ARISEPlanner.Assignment]) -> [(Int, ARISESchedule)] {
        var out: [(Int, ARISESchedule)] = []
        for (i, s) in streams.enumerated() {
            if out.last?.0 != s.client {
                out.append((s.client, ARISESchedule(start: start ?? 0, frameTime: planner.frameTime,
                                                    intervals: [], phases: [])))
            }
            while out[out.count - 1].1.intervals.count < s.task {
                out[out.count - 1].1.intervals.append(0)
                out[out.count - 1].1.phases.append(0)
            }
            out[out.count - 1].1.intervals.append(plan[i].interval)
            out[out.count - 1].1.phases.append(plan[i].phase)
        }
        return out
    }
}

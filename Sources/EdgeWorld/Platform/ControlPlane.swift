import SimKernel

/// What the control plane sees: the cluster as configured (sites, servers with their GPU types,
/// counts and MPS levels, models with their latency tables, clients with their tasks and frame
/// rates, links) and what a cluster manager can monitor (requests outstanding per server).
public struct ClusterView: Sendable {
    public let spec: WorldSpec
    public let now: SimTime
    /// Requests dispatched to each server and not yet back, by server index.
    public let outstanding: [Int]
}

/// A plan the control plane made, as the `plans` table records it.
public struct PlanRecord: Sendable, Equatable {
    public var time: SimTime
    /// The plan, as JSON text (whatever the control plane finds worth keeping).
    public var json: String
    public var objective: Double?
    /// Wall-clock seconds the solver took: recorded, never part of a determinism check.
    public var solveSeconds: Double?
}

/// What the control plane can do: timers and messages (`effects`), routes for clients' tasks,
/// and the record of its plans. Carried out after the callback returns, in order.
public struct ControlActions: Sendable {
    public var effects = PolicyEffects()
    var routes: [(client: Int, task: Int, route: Route?)] = []
    var plans: [PlanRecord] = []

    public init() {}

    /// Requests of `task` of `client` created from now on follow `route` (nil: back to the
    /// task's split policy).
    public mutating func setRoute(client: Int, task: Int, route: Route?) { routes.append((client, task, route)) }

    /// Records a plan in the `plans` table at the current time.
    public mutating func record(plan json: String, objective: Double? = nil, solveSeconds: Double? = nil, at now: SimTime) {
        plans.append(PlanRecord(time: now, json: json, objective: objective, solveSeconds: solveSeconds))
    }
}

/// The fifth policy point: one per world, cluster-wide. Called at time 0 and then on its own
/// timers and messages; it plans (routes, pipelines, schedules) and records each plan. A plan
/// must be deterministic: an optimiser stops on node or iteration limits, never on wall time.
public protocol ControlPlane: Sendable {
    mutating func start(_ view: ClusterView, actions: inout ControlActions)
    mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions)
    mutating func messageArrived(_ message: ControlMessage, view: ClusterView, actions: inout ControlActions)
}

extension ControlPlane {
    public mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions) {}
    public mutating func messageArrived(_ message: ControlMessage, view: ClusterView, actions: inout ControlActions) {}
}

extension World {
    func clusterView(at now: SimTime) -> ClusterView { ClusterView(spec: spec, now: now, outstanding: outstanding) }

    /// Time 0: the control plane makes its first plan before any client captures a frame.
    mutating func startControlPlane(scheduler: inout Scheduler<WorldEvent>) {
        guard controlPlane != nil else { return }
        var actions = ControlActions()
        let view = clusterView(at: scheduler.now)
        controlPlane!.start(view, actions: &actions)
        apply(actions, scheduler: &scheduler)
    }

    mutating func controlTimer(token: Int, scheduler: inout Scheduler<WorldEvent>) {
        var actions = ControlActions()
        let view = clusterView(at: scheduler.now)
        controlPlane?.timerFired(token: token, view: view, actions: &actions)
        apply(actions, scheduler: &scheduler)
    }

    mutating func controlMessage(_ message: ControlMessage, scheduler: inout Scheduler<WorldEvent>) {
        var actions = ControlActions()
        let view = clusterView(at: scheduler.now)
        controlPlane?.messageArrived(message, view: view, actions: &actions)
        apply(actions, scheduler: &scheduler)
    }

    mutating func apply(_ actions: ControlActions, scheduler: inout Scheduler<WorldEvent>) {
        if !actions.effects.isEmpty { apply(actions.effects, owner: .controlPlane, scheduler: &scheduler) }
        for change in actions.routes {
            guard clients.indices.contains(change.client), clients[change.client].tasks.indices.contains(change.task) else {
                return policyError("control plane: setRoute names client \(change.client) task \(change.task), which does not exist")
            }
            guard let route = change.route else {
                clients[change.client].routeOverride[change.task] = -1
                continue
            }
            if let problem = check(route, client: change.client, task: change.task) {
                return policyError("control plane: route for client \(spec.clients[change.client].name) task \(change.task): \(problem)")
            }
            clients[change.client].routeOverride[change.task] = internRoute(route)
            clients[change.client].overridden = true
        }
        for plan in actions.plans { recorder.plan(plan) }
    }

    /// Why a route cannot run, or nil: places that exist, the device only first, layer ranges
    /// inside the model and in order.
    func check(_ route: Route, client c: Int, task t: Int) -> String? {
        var next = 0
        let layerCount = spec.models[spec.clients[c].tasks[t].model].layerOutputBytes.count
        for (i, stage) in route.stages.enumerated() {
            switch stage.placement {
            case .device where i > 0: return "only the first stage can run on the device"
            case .site(let x) where !spec.sites.indices.contains(x): return "no site \(x)"
            case .server(let v) where !spec.servers.indices.contains(v): return "no server \(v)"
            default: break
            }
            if let layers = stage.layers {
                if layers.lowerBound != next { return "stage \(i) starts at layer \(layers.lowerBound), not \(next)" }
                if layerCount > 0 && layers.upperBound > layerCount { return "stage \(i) ends past the model's \(layerCount) layers" }
                next = layers.upperBound
            } else if route.stages.count > 1 {
                return "a stage of a multi-stage route must name its layers"
            }
        }
        return nil
    }
}

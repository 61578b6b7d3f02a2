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

    public init(time: SimTime, json: String, objective: Double?, solveSeconds: Double?) {
        self.time = time
        self.json = json
        self.objective = objective
        self.solveSeconds = solveSeconds
    }
}

/// What the control plane can do: timers and messages (`effects`), routes for clients' tasks,
/// and the record of its plans. Carried out after the callback returns, in order.
public struct ControlActions: Sendable {
    public var effects = PolicyEffects()
    var routes: [(client: Int, task: Int, route: Route?)] = []
    var plans: [PlanRecord] = []
    var placements: [(model: Int, server: Int, load: Bool)] = []
    var shares: [(server: Int, shares: [Double])] = []

    public init() {}

    /// Requests of `task` of `client` created from now on follow `route` (nil: back to the
    /// task's split policy).
    public mutating func setRoute(client: Int, task: Int, route: Route?) { routes.append((client, task, route)) }

    /// Loads `model` onto every GPU of `server`: its weights must fit beside what is loaded there
    /// (`ServerSpec.memoryBytes`), and they load at the server's `load_gbps` after any load in
    /// progress; requests that arrive meanwhile wait. The site's front end may send it requests
    /// of the model from now on.
    public mutating func load(model: Int, on server: Int) { placements.append((model, server, true)) }

    /// Unloads `model` from `server`: the front end stops sending it there; requests of it still
    /// waiting there are dropped (`no_server`); batches running finish.
    public mutating func unload(model: Int, from server: Int) { placements.append((model, server, false)) }

    /// Gives every GPU of `server` these MPS shares (fractions of its SMs, each above 0, adding up
    /// to at most 1), one per executor the server has on each GPU: an executor's batches take
    /// the whole-GPU latency divided by its share. A running batch keeps the speed it started
    /// with; the next one on that executor gets the new share. (Real MPS needs the serving
    /// process restarted to change a share; model that delay with a timer if it matters.) The
    /// server must have been configured with `mps_shares`, so that its latency tables are the
    /// whole GPU's.
    public mutating func setMPSShares(server: Int, shares: [Double]) { self.shares.append((server, shares)) }

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
    /// Calls the control plane, if there is one, with the cluster as it is now, and carries out
    /// what it asked for.
    private mutating func callControlPlane(scheduler: inout Scheduler<WorldEvent>,
                                           _ call: (inout any ControlPlane, ClusterView, inout ControlActions) -> Void) {
        guard var plane = controlPlane else { return }
        controlPlane = nil   // the plane is mutated alone: no copy of its state
        var actions = ControlActions()
        call(&plane, ClusterView(spec: spec, now: scheduler.now, outstanding: outstanding), &actions)
        controlPlane = plane
        apply(actions, scheduler: &scheduler)
    }

    /// Time 0: the control plane makes its first plan before any client captures a frame.
    mutating func startControlPlane(scheduler: inout Scheduler<WorldEvent>) {
        callControlPlane(scheduler: &scheduler) { $0.start($1, actions: &$2) }
    }

    mutating func controlTimer(token: Int, scheduler: inout Scheduler<WorldEvent>) {
        callControlPlane(scheduler: &scheduler) { $0.timerFired(token: token, view: $1, actions: &$2) }
    }

    mutating func controlMessage(_ message: ControlMessage, scheduler: inout Scheduler<WorldEvent>) {
        callControlPlane(scheduler: &scheduler) { $0.messageArrived(message, view: $1, actions: &$2) }
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
        for p in actions.placements {
            guard spec.models.indices.contains(p.model), servers.indices.contains(p.server) else {
                return policyError("control plane: no model \(p.model) or server \(p.server) to place")
            }
            if let problem = p.load ? load(model: p.model, on: p.server, now: scheduler.now)
                                     : unload(model: p.model, from: p.server, now: scheduler.now) {
                return policyError("control plane: \(problem)")
            }
        }
        for change in actions.shares {
            if let problem = setShares(change.shares, server: change.server) { return policyError("control plane: \(problem)") }
        }
        for plan in actions.plans { recorder.plan(plan) }
    }

    mutating func setShares(_ shares: [Double], server s: Int) -> String? {
        guard spec.servers.indices.contains(s) else { return "setMPSShares names server \(s), which does not exist" }
        let name = spec.servers[s].name
        guard let configured = spec.servers[s].mpsShares else {
            return "setMPSShares on \(name), which has no mps_shares (its latency tables are per equal share)"
        }
        guard shares.count == configured.count else {
            return "setMPSShares on \(name) gives \(shares.count) shares; each GPU there has \(configured.count) executors"
        }
        guard ServerSpec.sharesFit(shares) else {
            return "setMPSShares on \(name): shares must be at least \(ServerSpec.minimumMPSShare) and add up to at most 1, got \(shares)"
        }
        for g in servers[s].gpus.indices { servers[s].gpus[g].slowdown = 1 / shares[g % shares.count] }
        return nil
    }

    /// Starts loading a model's weights on a server; an error names why it cannot.
    mutating func load(model m: Int, on s: Int, now: SimTime) -> String? {
        let name = "\(spec.models[m].name) on \(spec.servers[s].name)"
        guard servers[s].tables[m] != nil else { return "\(name): the server has no latency table for it (list it in the server's models)" }
        guard servers[s].readyAt[m] == .max else { return nil }
        let weights = spec.models[m].weightBytes
        if let memory = spec.servers[s].memoryBytes {
            let loaded = servers[s].readyAt.indices.filter { servers[s].readyAt[$0] != .max }.reduce(0) { $0 + spec.models[$1].weightBytes }
            if (loaded + weights) * spec.servers[s].sharesPerGPU > memory {
                return "\(name): \(weights) bytes of weights do not fit beside the \(loaded) loaded (\(memory) per GPU)"
            }
        }
        let start = max(now, servers[s].loadingUntil)
        var done = start
        if let rate = spec.servers[s].loadBytesPerSecond, rate > 0 { done += SimTime((Double(weights) / rate * 1e9).rounded(.up)) }
        servers[s].loadingUntil = done
        servers[s].readyAt[m] = done
        refreshCandidates(model: m, site: spec.servers[s].site)
        return nil
    }

    mutating func unload(model m: Int, from s: Int, now: SimTime) -> String? {
        guard servers[s].readyAt[m] != .max else { return nil }
        servers[s].readyAt[m] = .max
        refreshCandidates(model: m, site: spec.servers[s].site)
        for q in 0..<servers[s].queues.queueCount where servers[s].queues.model(ofQueue: q) == m {
            while servers[s].queues.count(queue: q) > 0 {
                let head = servers[s].queues.removeFirst(queue: q)
                outstanding[s] -= 1
                drop(head.slot, reason: .noServer, at: now)
            }
        }
        queueChanged(server: s, at: now)
        return nil
    }

    /// The front end's candidates for a model after its placement changed.
    mutating func refreshCandidates(model m: Int, site x: Int) {
        siteCandidates[x][m] = World.candidates(spec: spec, servers: servers, site: x, model: m)
    }

    /// Why a route cannot run, or nil: places that exist, the device only first, layer ranges
    /// inside the model and in order.
    func check(_ route: Route, client c: Int, task t: Int) -> String? {
        var next = 0
        let layerCount = spec.models[spec.clients[c].tasks[t].model].layerOutputBytes.count
        if route.stages.isEmpty { return "a route needs at least one stage" }
        for (i, stage) in route.stages.enumerated() {
            if let w = stage.wire {
                guard w.bytesFactor.isFinite, w.bytesFactor > 0, w.bytesFactor <= 1e6 else { return "stage \(i): wire bytes factor \(w.bytesFactor)" }
                guard w.encode >= 0, w.decode >= 0 else { return "stage \(i): negative encode or decode time" }
                guard w.qualityLoss.isFinite else { return "stage \(i): quality loss \(w.qualityLoss)" }
            }
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
        if next > 0 && layerCount > 0 && next != layerCount { return "the stages end at layer \(next) of \(layerCount)" }
        return nil
    }
}

import EdgeWorld
import SimKernel

/// A control plane that balances load across the servers of each site by routing whole tasks:
/// at time 0, and every `period` after, each client's tasks in order go to the server of the
/// client's site that hosts the task's model and would then carry the least load per executor,
/// the load being the frame rates already routed there plus, on re-plans, the requests it has
/// outstanding (ties: the lower server index). Each plan is recorded, with the most load per
/// executor as its objective. A first control plane (the scenario key `control_plane`); IPIPE's
/// planner is another.
public struct BalancePlane: ControlPlane {
    let period: SimTime?

    public init(period: SimTime?) { self.period = period }

    public mutating func start(_ view: ClusterView, actions: inout ControlActions) { plan(view, &actions) }

    public mutating func timerFired(token: Int, view: ClusterView, actions: inout ControlActions) { plan(view, &actions) }

    mutating func plan(_ view: ClusterView, _ actions: inout ControlActions) {
        let spec = view.spec
        let hosted = spec.servers.indices.map { spec.hostedModels(server: $0) }
        // On a re-plan the servers start from what they have outstanding (requests, counted as
        // one frame per second each: a rough, stated exchange rate).
        var load = view.now == 0 ? Array(repeating: 0.0, count: spec.servers.count) : view.outstanding.map(Double.init)
        var routes: [String] = []
        for (c, client) in spec.clients.enumerated() {
            let fps: Double
            switch client.arrivals {
            case .periodic(let f, _, _): fps = f
            case .poisson(let rate): fps = rate
            }
            for (t, task) in client.tasks.enumerated() {
                var best: Int?
                for v in spec.servers.indices where spec.servers[v].site == client.site && hosted[v].contains(task.model) {
                    let after = (load[v] + fps) / Double(spec.servers[v].executors)
                    if best == nil || after < (load[best!] + fps) / Double(spec.servers[best!].executors) { best = v }
                }
                guard let v = best else { continue }
                load[v] += fps
                actions.setRoute(client: c, task: t, route: Route([Stage(.server(v))]))
                routes.append("[\(c), \(t), \(v)]")
            }
        }
        let objective = spec.servers.indices.map { load[$0] / Double(spec.servers[$0].executors) }.max() ?? 0
        actions.record(plan: "{\"routes\": [\(routes.joined(separator: ", "))]}", objective: objective, at: view.now)
        if let period, view.now + period < spec.duration { actions.effects.setTimer(token: 0, at: view.now + period) }
    }
}

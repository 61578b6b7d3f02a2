import EdgeWorld
import JSONConfig
import Policies

/// Checks across sections that no single key can make: a world that reads well key by key but
/// whose requests could never be served, or whose paired policies miss their partner, would run
/// to completion and say nothing. `arsim validate` reports these as it does a bad key.
extension ScenarioReader {
    /// The sites a client can be served from: its first, and every one it moves to when its
    /// session migrates; one that stays is served from its first wherever it goes.
    func servingSites(_ client: ClientSpec) -> [Int] {
        var serving = [client.site]
        if client.migration != .stay {
            for step in client.mobility where !serving.contains(step.site) { serving.append(step.site) }
        }
        return serving
    }

    /// Every offloaded task needs, from at least one site its client can be served from, a server
    /// hosting its model on each remote stage of its route: otherwise every request it sends is
    /// dropped (`no_server`), which only a run would show.
    func checkEveryTaskHasAServer(clients: [ClientSpec], groupNodes: [ConfigNode]) throws(ConfigError) {
        func hosts(_ v: Int, _ model: Int) -> Bool { servers[v].hosted?.contains(model) ?? true }
        var checked = Set<Int>()
        for client in clients where checked.insert(client.group).inserted {
            for (t, task) in client.tasks.enumerated() {
                var missing: String?
                let servable = servingSites(client).contains { x in
                    task.split.route(servingSite: x, cloud: cloud).stages.allSatisfy { stage in
                        switch stage.placement {
                        case .device: return true
                        case .server(let v):
                            if hosts(v, task.model) { return true }
                            let list = servers[v].hosted.map { $0.map { models[$0].spec.name }.joined(separator: ", ") } ?? ""
                            missing = "server \"\(servers[v].name)\" does not host it (its models: \(list.isEmpty ? "none" : list))"
                            return false
                        case .site(let y):
                            if servers.indices.contains(where: { servers[$0].site == y && hosts($0, task.model) }) { return true }
                            missing = "site \"\(siteNames[y])\" has no server hosting it"
                            return false
                        }
                    }
                }
                guard !servable else { continue }
                let o = try groupNodes[client.group].object(ScenarioFormat.client)
                let taskNode = try o.optional("tasks").map { n throws(ConfigError) in try n.array()[t] }
                let node = taskNode ?? o.optional("model") ?? groupNodes[client.group]
                throw node.error("task \"\(task.name)\" sends model \"\(models[task.model].spec.name)\" where nothing runs it: "
                                 + "\(missing ?? "no server"); every request would be dropped (no_server)")
            }
        }
    }

    /// ARISE's and DeepRT's servers and ARISE's clients need their admission (docs/scenario.md):
    /// a server without it serves as a plain one, an ARISE client without the planner offloads
    /// nothing. The other way round is allowed: the baselines keep DeepRT's admission, so that
    /// they serve the streams DeepRT admits, under another server policy.
    func checkPolicyPairs(sites: [SiteSpec], units: [ServerUnit], clients: [ClientSpec], groupNodes: [ConfigNode]) throws(ConfigError) {
        func admissionName(_ x: Int) -> String? {
            switch sites[x].admission {
            case is ARISEAdmission: "arise"
            case is DeepRTAdmission: "deeprt"
            default: nil
            }
        }
        for (v, server) in servers.enumerated() {
            let needs: String? = switch server.policy {
            case is ARISEServer: "arise"
            case is DisBatcher: "deeprt"
            default: nil
            }
            let unit = units[v]
            let own = try unit.pool.map { n throws(ConfigError) in try n.object(ScenarioFormat.pool).optional("policy") } ?? nil
            let inherited = try unit.node.object(ScenarioFormat.server).optional("policy")
            let policyNode = own ?? inherited ?? unit.node
            if let needs, admissionName(server.site) != needs {
                throw policyNode.error("server policy \"\(needs)\" needs admission \"\(needs)\" at site \"\(siteNames[server.site])\"; without it the server runs as a plain one")
            }
        }
        var checked = Set<Int>()
        for client in clients where client.policy is ARISEClient && checked.insert(client.group).inserted {
            // Admission asks where the client is served: with migration "stay", only its first site.
            if let x = servingSites(client).first(where: { admissionName($0) != "arise" }) {
                let o = try groupNodes[client.group].object(ScenarioFormat.client)
                throw (o.optional("policy") ?? groupNodes[client.group])
                    .error("client policy \"arise\" offloads only what admission \"arise\" plans; site \"\(siteNames[x])\" has none, so its clients would offload nothing")
            }
        }
    }
}

import CSQLite
import EdgeWorld
import Foundation

/// The text a run's detail rows repeat (client, group, task, model and server names, routes,
/// statuses) as C strings made once per run and bound without copying: converting and copying
/// seven strings per request row was a large part of `--detail requests`.
final class TextColumns {
    let run: Int64
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private(set) var clients: [UnsafePointer<CChar>] = []
    private(set) var groups: [UnsafePointer<CChar>] = []
    /// Per client, its tasks' names.
    private(set) var tasks: [[UnsafePointer<CChar>]] = []
    private(set) var models: [UnsafePointer<CChar>] = []
    private(set) var servers: [UnsafePointer<CChar>] = []
    private var routes: [Route: UnsafePointer<CChar>] = [:]
    private var fixed: [String: UnsafePointer<CChar>] = [:]

    init(run: Int64, spec: WorldSpec) {
        self.run = run
        clients = spec.clients.map { make($0.name) }
        groups = spec.clientGroups.map { make($0) }
        tasks = spec.clients.map { $0.tasks.map { make($0.name) } }
        models = spec.models.map { make($0.name) }
        servers = spec.servers.map { make($0.name) }
    }

    deinit { strings.forEach { free($0) } }

    private func make(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        strings.append(p)
        return UnsafePointer(p)
    }

    func route(_ r: Route, spec: WorldSpec) -> UnsafePointer<CChar> {
        if let p = routes[r] { return p }
        let p = make(ResultsStore.describe(r, spec: spec))
        routes[r] = p
        return p
    }

    /// A constant (a status, a drop reason, a source), made once.
    func text(_ s: String) -> UnsafePointer<CChar> {
        if let p = fixed[s] { return p }
        let p = make(s)
        fixed[s] = p
        return p
    }
}

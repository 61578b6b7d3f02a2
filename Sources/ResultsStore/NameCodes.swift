import EdgeWorld

/// The codes a run's detail rows use for names (`DetailSchema`), and its count of frame rows.
/// Clients, groups, tasks, models and servers get their codes when the run's first rows are
/// written, in the spec's order; routes and drop reasons when first met. Codes are the order
/// names were first given one, so the same run gets the same codes in any process. Names not
/// yet in `names` wait in `unwritten` until a write puts them there, in the same transaction as
/// the rows that use them; a transaction that fails leaves them waiting (`rolledBack`).
final class NameCodes {
    let run: Int64
    private var codes: [String: Int64] = [:]
    private(set) var unwritten: [(code: Int64, name: String)] = []
    private(set) var clients: [Int64] = []
    private(set) var groups: [Int64] = []
    /// Per client, its tasks' codes.
    private(set) var tasks: [[Int64]] = []
    private(set) var models: [Int64] = []
    private(set) var servers: [Int64] = []
    private var routes: [Route: Int64] = [:]
    /// The run's frame rows so far: the next one's place (`DetailSchema.key`); and as of the
    /// last committed transaction.
    private var frameRows: Int64
    private var committedFrameRows: Int64
    private var reasons: [DropReason: Int64] = [:]

    /// `frameRows` and `existing`: the run's frame rows and names already in the file.
    init(run: Int64, spec: WorldSpec, frameRows: Int64, existing: [(code: Int64, name: String)] = []) {
        self.run = run
        self.frameRows = frameRows
        committedFrameRows = frameRows
        for (code, name) in existing { codes[name] = code }
        clients = spec.clients.map { code($0.name) }
        groups = spec.clientGroups.map { code($0) }
        tasks = spec.clients.map { $0.tasks.map { code($0.name) } }
        models = spec.models.map { code($0.name) }
        servers = spec.servers.map { code($0.name) }
    }

    private func code(_ name: String) -> Int64 {
        if let c = codes[name] { return c }
        let c = Int64(codes.count) // codes are 0 ..< count: a run's own, or those read back
        codes[name] = c
        unwritten.append((c, name))
        return c
    }

    /// The last route looked up: a client's requests mostly share one route, often the same
    /// array, which compares at once where hashing it would walk its stages.
    private var lastRoute: (route: Route, code: Int64)?

    func route(_ r: Route, spec: WorldSpec) -> Int64 {
        if let last = lastRoute, last.route == r { return last.code }
        let c: Int64
        if let known = routes[r] {
            c = known
        } else {
            c = code(ResultsStore.describe(r, spec: spec))
            routes[r] = c
        }
        lastRoute = (r, c)
        return c
    }

    func reason(_ r: DropReason) -> Int64 {
        if let c = reasons[r] { return c }
        let c = code(r.rawValue)
        reasons[r] = c
        return c
    }

    /// Places for `count` more frame rows: the first one's.
    func reserveFrames(_ count: Int) -> Int64 {
        defer { frameRows += Int64(count) }
        return frameRows
    }

    /// The transaction that wrote `unwritten` and the reserved frame rows committed.
    func committed() {
        unwritten.removeAll()
        committedFrameRows = frameRows
    }

    /// The transaction failed: its names are still to be written, its frame rows' places free.
    func rolledBack() {
        frameRows = committedFrameRows
    }
}

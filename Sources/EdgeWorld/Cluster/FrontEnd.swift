import SimKernel

/// Redundant copies of one request: how many are alive, whether one has won.
struct CopyGroup: Sendable {
    var members: [Int32]
    var alive: Int
    /// A copy has won (finished, or started under `onStart`): the others are cancelled.
    var done = false
    /// Copies that must finish (k of r), and how many have.
    var needed = 1
    var finished = 0
    /// Servers the delayed copies go to when they are due, and the request as it was dispatched
    /// (the original may have moved on by then).
    var pending: [Int32] = []
    var template: Request?

    /// Whether `slot`, ending without a result now, is not the copy that stands for the logical
    /// request: another copy won, or, with no winner yet, other copies are still out.
    func standsAside(_ slot: Int32) -> Bool {
        done ? winner != slot : alive > 1
    }
    /// The copy that won, once `done`.
    var winner: Int32 = -1
    var cancelOnStart = false
    /// The client has been told the logical request ended (once, whichever copy ends it).
    var ended = false
}

extension World {
    /// A request is born: a task of a frame, with the route its task's split policy gives.
    mutating func createRequest(client c: Int, task t: Int, frame: Int64, now: SimTime) -> Int32 {
        var request = Request(id: nextRequestID, client: Int32(c), task: Int32(t), model: clients[c].tasks[t].model,
                              frame: frame, created: now, deadline: now + clients[c].tasks[t].deadline)
        nextRequestID += 1
        request.inputBytes = clients[c].frameBytes
        request.resultBytes = clients[c].tasks[t].resultBytes
        if clients[c].hasSession { request.session = Int32(c) }
        if clients[c].notices.contains(.tags) { request.tag = clients[c].policy.tag(task: t, frame: frame) }
        if clients[c].overridden && clients[c].routeOverride[t] >= 0 {
            request.route = clients[c].routeOverride[t]
            return requests.insert(request)
        }
        let site = clients[c].servingSite
        if clients[c].tasks[t].adaptiveSplit {
            let view = SplitView(servingSite: site, cloud: spec.cloud, frame: frame, now: now,
                                 observedUplinkBitsPerSecond: clients[c].observedUplink)
            let route = clients[c].adaptiveSplits[t]!.route(for: view)
            let problem = check(route, client: c, task: t)
            if let problem {
                policyError("client \(spec.clients[c].name) task \(spec.clients[c].tasks[t].name): its split policy "
                            + "\(type(of: clients[c].adaptiveSplits[t]!)) gave a route that cannot run: \(problem)")
            }
            // After an error the world stops; the request still needs a route that exists.
            request.route = internRoute(problem == nil ? route : Route([Stage(.site(site))]))
            return requests.insert(request)
        }
        if lookups[client: c, route: t, servingSite: site] < 0 {
            lookups[client: c, route: t, servingSite: site] = internRoute(spec.clients[c].tasks[t].split.route(servingSite: site, cloud: spec.cloud))
        }
        request.route = lookups[client: c, route: t, servingSite: site]
        return requests.insert(request)
    }

    mutating func internRoute(_ route: Route) -> Int32 {
        if let id = routeIndex[route] { return id }
        routes.append(route)
        routeLoss.append(route.stages.reduce(0) { $0 + ($1.wire?.qualityLoss ?? 0) })
        routeIndex[route] = Int32(routes.count - 1)
        return Int32(routes.count - 1)
    }

    /// (Helpers called on every event are `mutating` only so that Swift passes the world by
    /// reference: called from a mutating method, a non-mutating one gets a copy of the World.)
    mutating func route(of slot: Int32) -> Route { routes[Int(requests[slot].route)] }

    /// The layers of a stage: as the route says, or the whole model as the table where it runs has it.
    mutating func stageLayers(_ slot: Int32, stage: Int, server: Int? = nil) -> Range<Int> {
        let r = requests[slot]
        if let layers = routes[Int(r.route)].stages[stage].layers { return layers }
        if let s = server { return 0..<servers[s].layerCounts[Int(r.model)] }
        return 0..<(spec.clients[Int(r.client)].tasks[Int(r.task)].deviceLatency?.layerCount ?? 0)
    }

    /// A request (or a frame carrying it) arrives where its current stage runs.
    mutating func arriveAtStage(request slot: Int32, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        let stage = route(of: slot).stages[Int(requests[slot].stage)]
        switch stage.placement {
        case .server(let v):
            requestArrived(request: slot, server: v, now: now, scheduler: &scheduler)
        case .site(let x):
            dispatchAtSite(request: slot, site: x, now: now, scheduler: &scheduler)
        case .device:
            preconditionFailure("only the first stage of a route can run on the device")
        }
    }

    /// The site's front end picks the server(s) for a request; more than one makes redundant copies.
    mutating func dispatchAtSite(request slot: Int32, site x: Int, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        let candidates = siteCandidates[x][Int(requests[slot].model)]
        guard !candidates.isEmpty else {
            drop(slot, reason: .noServer, at: now)
            return
        }
        let r = requests[slot]
        let stage = routes[Int(r.route)].stages[Int(r.stage)]
        let info = DispatchRequest(client: Int(r.client), task: Int(r.task), model: Int(r.model), stage: Int(r.stage),
                                   layers: stage.layers, deadline: r.deadline, bytes: r.inputBytes, now: now)
        var effects = PolicyEffects()
        let chosen = frontEnds[x].choose(for: info, from: candidates, view: FrontEndView(outstanding: outstanding), effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .frontEnd(Int32(x)), scheduler: &scheduler) }
        guard let original = chosen.first, chosen.isWithin(candidates) else {
            return policyError("site \(spec.sites[x].name): its dispatch policy \(type(of: frontEnds[x])) chose \(chosen) "
                               + "from the candidates \(candidates)")
        }
        // One server, the usual case: no copies, no list of targets.
        guard chosen.count > 1 else {
            sendToServer(slot, original, now: now, scheduler: &scheduler)
            return
        }
        let copies = chosen.servers.dropFirst()
        var targets: [(Int32, Int)] = [(slot, original)]
        // Copies at a later stage: the request leaves the group of an earlier stage's copies
        // (whose losers may still be out) for a group of its own.
        if !groups.isEmpty, var earlier = groups[requests[slot].group] {
            earlier.alive -= 1
            groups[requests[slot].group] = earlier.alive == 0 ? nil : earlier
            requests[slot].group = nextRequestID
            nextRequestID += 1
        }
        let issue = frontEnds[x].copyIssue
        var group = CopyGroup(members: [slot], alive: 1, cancelOnStart: frontEnds[x].cancellation == .onStart)
        group.needed = min(max(issue.needed, 1), chosen.count)
        if issue.delay > 0 {
            group.pending = copies.map { Int32($0) }
            group.template = requests[slot]
            scheduler.schedule(.copiesDue(request: slot, group: UInt32(truncatingIfNeeded: requests[slot].group)), after: issue.delay)
        } else {
            targets += makeCopies(of: slot, group: &group, servers: copies.map { Int32($0) })
        }
        groups[requests[slot].group] = group
        sendToServers(targets, now: now, scheduler: &scheduler)
    }

    /// Sends each (request, server) pair on its way into that server.
    private mutating func sendToServers(_ targets: [(Int32, Int)], now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        for (s, v) in targets { sendToServer(s, v, now: now, scheduler: &scheduler) }
    }

    private mutating func sendToServer(_ s: Int32, _ v: Int, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        requests[s].server = Int32(v)
        send(.dispatched(s), bytes: requests[s].inputBytes, path: pathIntoServer(v), now: now, scheduler: &scheduler)
    }

    /// Copies of `slot` for `servers`, added to its group.
    private mutating func makeCopies(of slot: Int32, group: inout CopyGroup, servers: [Int32]) -> [(Int32, Int)] {
        var targets: [(Int32, Int)] = []
        for v in servers {
            var copy = group.template ?? requests[slot]
            copy.id = nextRequestID
            nextRequestID += 1
            copy.copy = Int16(group.members.count)
            let s = requests.insert(copy)
            group.members.append(s)
            group.alive += 1
            targets.append((s, Int(v)))
        }
        recorder.copies(servers.count)
        return targets
    }

    /// The delayed copies of a request are due: they go out unless it is done (or gone).
    mutating func copiesDue(request slot: Int32, group id: UInt32, scheduler: inout Scheduler<WorldEvent>) {
        guard requests.contains(slot), UInt32(truncatingIfNeeded: requests[slot].group) == id,
              var group = groups[requests[slot].group], !group.done, !group.pending.isEmpty else { return }
        let servers = group.pending
        group.pending = []
        let targets = makeCopies(of: slot, group: &group, servers: servers)
        group.template = nil
        groups[requests[slot].group] = group
        let now = scheduler.now
        sendToServers(targets, now: now, scheduler: &scheduler)
    }

    /// Bytes a request's current stage starts from: the frame, or the previous stage's activations.
    mutating func stageInputBytes(_ slot: Int32) -> Int {
        let r = requests[slot]
        guard r.stage > 0 else { return clients[Int(r.client)].frameBytes }
        let previous = routes[Int(r.route)].stages[Int(r.stage) - 1]
        let end = previous.layers?.upperBound ?? 0
        let outputs = spec.models[Int(r.model)].layerOutputBytes
        let raw = end > 0 && end <= outputs.count ? outputs[end - 1] : clients[Int(r.client)].frameBytes
        guard let wire = previous.wire else { return raw }
        return Int((Double(raw) * wire.bytesFactor).rounded(.up))
    }

    /// A stage is done: on to the next stage, or the result goes back to the client.
    mutating func advance(request slot: Int32, from placement: Placement, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        let c = Int(requests[slot].client)
        let stages = route(of: slot).stages
        let next = Int(requests[slot].stage) + 1
        if next < stages.count {
            requests[slot].stage = Int16(next)
            let bytes = stageInputBytes(slot)
            requests[slot].inputBytes = bytes
            let wire = stages[next - 1].wire
            let (encode, decode) = (wire?.encode ?? 0, wire?.decode ?? 0)
            switch placement {
            case .device:
                send(.upload(UploadSlots(slot)), bytes: bytes, path: pathFromClient(c, to: stages[next].placement), now: now,
                     encode: encode, decode: decode, scheduler: &scheduler)
            case .server(let v):
                send(.activation(slot), bytes: bytes, path: pathFromServer(v, to: stages[next].placement), now: now,
                     encode: encode, decode: decode, scheduler: &scheduler)
            case .site:
                preconditionFailure("a stage ends on a device or a server")
            }
            return
        }
        switch placement {
        case .device:
            resultDelivered(request: slot, scheduler: &scheduler)
        case .server(let v):
            send(.result(slot, client: Int32(c)), bytes: requests[slot].resultBytes, path: pathToClient(c, fromServer: v), now: now, scheduler: &scheduler)
        case .site:
            preconditionFailure("a stage ends on a device or a server")
        }
    }

    // MARK: Redundant copies

    /// Whether `slot` is a redundant copy whose group already has a winner. If it is the first to
    /// finish (or the k-th of k), it wins and its siblings are cancelled (`win`).
    mutating func isLosingCopy(_ slot: Int32, now: SimTime, scheduler: inout Scheduler<WorldEvent>) -> Bool {
        if groups.isEmpty { return false }
        let group = requests[slot].group
        guard var g = groups[group] else { return false }
        if g.done { return g.winner != slot }
        g.finished += 1
        // Waiting for more results only makes sense while other copies can still give them; the
        // last copy standing delivers what there is.
        groups[group] = g
        // One of the k results the request waits for: its work is done, it delivers nothing alone.
        if g.finished < g.needed && g.alive > 1 { return true }
        win(slot, now: now, scheduler: &scheduler)
        return false
    }

    /// `slot` wins its group: copies waiting in a queue leave it, a copy running alone on a GPU is
    /// aborted (its GPU time until now is spent, the GPU takes other work), a copy inside a larger
    /// batch keeps its slot until the batch ends and is cancelled then, and a copy still on its
    /// way is cancelled when it arrives.
    mutating func win(_ slot: Int32, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        let group = requests[slot].group
        guard var g = groups[group], !g.done else { return }
        g.done = true
        g.winner = slot
        groups[group] = g
        for other in g.members where other != slot && requests.contains(other) && requests[other].group == group {
            let v = Int(requests[other].server)
            guard v >= 0 else { continue }
            if servers[v].queues.remove(slot: other) {
                queueChanged(server: v, at: now)
                outstanding[v] -= 1
                finish(other, outcome: .cancelled, at: now)
            } else if requests[other].gpu >= 0 && Int(requests[other].gpu) < servers[v].gpus.count {
                // Running alone on a GPU (its current batch, not one of an earlier stage, whose GPU
                // index may not even exist here): abort.
                let gpu = Int(requests[other].gpu)
                if servers[v].gpus[gpu].busy && servers[v].gpus[gpu].batch == requests[other].batch
                    && servers[v].gpus[gpu].members.count == 1 && servers[v].gpus[gpu].members[0] == other {
                    abortBatch(server: v, gpu: gpu, scheduler: &scheduler)
                }
            }
        }
    }

    /// Whether a copy that reaches a server belongs to a group that another copy has won.
    func isDecidedCopy(_ slot: Int32) -> Bool {
        guard !groups.isEmpty, let g = groups[requests[slot].group] else { return false }
        return g.done && g.winner != slot
    }

    /// Drops a request; a redundant copy is cancelled instead when it is not the one that stands
    /// for its request (another copy won, or, undecided, others are still out).
    mutating func drop(_ slot: Int32, reason: DropReason, at now: SimTime) {
        if !groups.isEmpty, let g = groups[requests[slot].group], g.standsAside(slot) {
            finish(slot, outcome: .cancelled, at: now)
        } else {
            finish(slot, outcome: .dropped(reason), at: now)
        }
    }
}

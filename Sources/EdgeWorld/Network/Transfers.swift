import SimKernel

/// What a transfer carries, and what happens when it arrives.
enum TransferPayload: Sendable {
    /// A frame (or a device stage's output) for these requests, to their next stage.
    case upload([Int32])
    /// One request's activations from a GPU stage to its next stage.
    case activation(Int32)
    /// A request's input, from a site's front end into the server it was dispatched to.
    case dispatched(Int32)
    /// A request's result, back to its client.
    case result(Int32)
    /// A client's service state, to the site it moves to.
    case migration(client: Int32, site: Int32)
    /// A control message between policies (a slot of `World.messages`).
    case control(Int32)
    /// A client's session handshake: its request, its site's reply, its leave notice.
    case sessionRequest(client: Int32)
    case sessionReply(client: Int32, accepted: Bool)
    case sessionLeave(client: Int32)
}

/// Names a path by its ends, so that the links of a path are worked out once.
struct PathKey: Hashable, Sendable {
    enum Kind: UInt8, Sendable { case clientToSite, clientToServer, serverToClient, serverToSite, serverToServer, siteToSite,
                                   siteToServer, siteToClient }
    var kind: Kind
    var a: Int32
    var b: Int32
    var attached: Int32
}

/// Bytes on their way along a path of links, one hop after another (store and forward).
struct Transfer: Sendable {
    var payload: TransferPayload
    var path: Int32
    var hop: Int32
    var bytes: Int
}

extension World {
    /// Sends `bytes` along path `id`; the payload is delivered when the last hop has it. An empty
    /// path (same place) delivers at once.
    mutating func send(_ payload: TransferPayload, bytes: Int, path id: Int32, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        if paths[Int(id)].isEmpty {
            deliver(payload, now: now, scheduler: &scheduler)
            return
        }
        let slot = transfers.insert(Transfer(payload: payload, path: id, hop: 0, bytes: bytes))
        startHop(slot, now: now, firstHop: true, scheduler: &scheduler)
    }

    private mutating func startHop(_ slot: Int32, now: SimTime, firstHop: Bool, scheduler: inout Scheduler<WorldEvent>) {
        let t = transfers[slot]
        let link = Int(paths[Int(t.path)][Int(t.hop)])
        let (start, finish, arrival) = links[link].send(bytes: t.bytes, at: now)
        recorder.linkBusy(link: link, from: start, to: finish, bytes: t.bytes)
        if firstHop { stampSent(t.payload, at: start) }
        scheduler.schedule(.hopArrived(transfer: slot), at: arrival)
    }

    /// The transfer reached the far end of a hop: on to the next, or delivered.
    mutating func hopArrived(transfer slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        transfers[slot].hop += 1
        let t = transfers[slot]
        if Int(t.hop) < paths[Int(t.path)].count {
            startHop(slot, now: scheduler.now, firstHop: false, scheduler: &scheduler)
        } else {
            _ = transfers.remove(slot)
            deliver(t.payload, now: scheduler.now, scheduler: &scheduler)
        }
    }

    private mutating func stampSent(_ payload: TransferPayload, at start: SimTime) {
        switch payload {
        case .upload(let slots):
            for s in slots where requests[s].sent < 0 { requests[s].sent = start }
        case .activation(let s), .dispatched(let s):
            if requests[s].sent < 0 { requests[s].sent = start }
        case .result, .migration, .control, .sessionRequest, .sessionReply, .sessionLeave:
            break
        }
    }

    mutating func deliver(_ payload: TransferPayload, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        switch payload {
        case .upload(let slots):
            for s in slots { arriveAtStage(request: s, now: now, scheduler: &scheduler) }
        case .activation(let s):
            arriveAtStage(request: s, now: now, scheduler: &scheduler)
        case .dispatched(let s):
            requestArrived(request: s, server: Int(requests[s].server), now: now, scheduler: &scheduler)
        case .result(let s):
            resultDelivered(request: s, scheduler: &scheduler)
        case .migration(let c, let site):
            migrationArrived(client: c, site: site)
        case .control(let slot):
            messageArrived(slot: slot, scheduler: &scheduler)
        case .sessionRequest(let c):
            sessionRequestArrived(client: c, scheduler: &scheduler)
        case .sessionReply(let c, let accepted):
            sessionReplyArrived(client: c, accepted: accepted, scheduler: &scheduler)
        case .sessionLeave(let c):
            sessionLeaveArrived(client: c, now: now)
        }
    }

    /// The id of the path named `key`, working out its links the first time.
    mutating func path(_ key: PathKey, links: (inout World) -> [Int32]) -> Int32 {
        if let id = pathIndex[key] { return id }
        paths.append(links(&self))
        pathIndex[key] = Int32(paths.count - 1)
        return Int32(paths.count - 1)
    }

    mutating func pathFromClient(_ c: Int, to placement: Placement) -> Int32 {
        let attached = Int32(clients[c].attachedSite)
        switch placement {
        case .device: return path(PathKey(kind: .clientToSite, a: Int32(c), b: -1, attached: attached)) { _ in [] }
        case .site(let x):
            if clients[c].pathToSite[x] >= 0 { return clients[c].pathToSite[x] }
            let id = path(PathKey(kind: .clientToSite, a: Int32(c), b: Int32(x), attached: attached)) { $0.linksFromClient(c, to: placement) }
            clients[c].pathToSite[x] = id
            return id
        case .server(let v):
            return path(PathKey(kind: .clientToServer, a: Int32(c), b: Int32(v), attached: attached)) { $0.linksFromClient(c, to: placement) }
        }
    }

    mutating func pathToClient(_ c: Int, fromServer v: Int) -> Int32 {
        if clients[c].pathFromServer[v] >= 0 { return clients[c].pathFromServer[v] }
        let attached = Int32(clients[c].attachedSite)
        let id = path(PathKey(kind: .serverToClient, a: Int32(v), b: Int32(c), attached: attached)) { $0.linksToClient(c, fromServer: v) }
        clients[c].pathFromServer[v] = id
        return id
    }

    mutating func pathFromServer(_ v: Int, to placement: Placement) -> Int32 {
        switch placement {
        case .device: return path(PathKey(kind: .serverToSite, a: Int32(v), b: -1, attached: -1)) { _ in [] }
        case .site(let x): return path(PathKey(kind: .serverToSite, a: Int32(v), b: Int32(x), attached: -1)) { $0.linksFromServer(v, to: placement) }
        case .server(let w): return path(PathKey(kind: .serverToServer, a: Int32(v), b: Int32(w), attached: -1)) { $0.linksFromServer(v, to: placement) }
        }
    }

    mutating func pathBetweenSites(_ a: Int, _ b: Int) -> Int32 {
        path(PathKey(kind: .siteToSite, a: Int32(a), b: Int32(b), attached: -1)) { $0.linksBetweenSites(a, b) }
    }

    /// A front end's path into one of its servers: the server's NIC, if modelled.
    mutating func pathIntoServer(_ v: Int) -> Int32 {
        path(PathKey(kind: .serverToServer, a: -1, b: Int32(v), attached: -1)) { world in world.serverLinks[v].nicIn.map { [$0] } ?? [] }
    }

    // MARK: Links of a path

    /// Links from site `a` to site `b` through the core: a's wide-area uplink, b's downlink.
    func linksBetweenSites(_ a: Int, _ b: Int) -> [Int32] {
        guard a != b else { return [] }
        var path: [Int32] = []
        if let up = siteLinks[a].wanUp { path.append(up) }
        if let down = siteLinks[b].wanDown { path.append(down) }
        return path
    }

    /// From the client, through its access point, to a placement's site (or server).
    func linksFromClient(_ c: Int, to placement: Placement) -> [Int32] {
        let attached = clients[c].attachedSite
        var path: [Int32] = [clients[c].uplink]
        if let ap = siteLinks[attached].accessPointUp { path.append(ap) }
        switch placement {
        case .device: return []
        case .site(let x): path += linksBetweenSites(attached, x)
        case .server(let v):
            path += linksBetweenSites(attached, spec.servers[v].site)
            if let nic = serverLinks[v].nicIn { path.append(nic) }
        }
        return path
    }

    /// From a server back to the client, wherever it is attached now.
    func linksToClient(_ c: Int, fromServer v: Int) -> [Int32] {
        let attached = clients[c].attachedSite
        var path: [Int32] = []
        if let nic = serverLinks[v].nicOut { path.append(nic) }
        path += linksBetweenSites(spec.servers[v].site, attached)
        if let ap = siteLinks[attached].accessPointDown { path.append(ap) }
        path.append(clients[c].downlink)
        return path
    }

    /// From a server to the next stage's placement.
    func linksFromServer(_ v: Int, to placement: Placement) -> [Int32] {
        switch placement {
        case .device: return []
        case .server(let w) where w == v:
            return serverLinks[v].interconnect.map { [$0] } ?? []
        case .server(let w):
            var path: [Int32] = serverLinks[v].nicOut.map { [$0] } ?? []
            path += linksBetweenSites(spec.servers[v].site, spec.servers[w].site)
            if let nic = serverLinks[w].nicIn { path.append(nic) }
            return path
        case .site(let x):
            var path: [Int32] = serverLinks[v].nicOut.map { [$0] } ?? []
            path += linksBetweenSites(spec.servers[v].site, x)
            return path
        }
    }
}

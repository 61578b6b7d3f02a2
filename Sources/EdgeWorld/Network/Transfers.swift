import SimKernel

/// What a transfer carries, and what happens when it arrives.
enum TransferPayload: Sendable {
    /// A frame (or a device stage's output) for these requests, to their next stage.
    case upload(UploadSlots)
    /// One request's activations from a GPU stage to its next stage.
    case activation(Int32)
    /// A request's input, from a site's front end into the server it was dispatched to.
    case dispatched(Int32)
    /// A request's result, back to its client (named here so that its state can be asked for
    /// before the result arrives, see `World.prefetch`).
    case result(Int32, client: Int32)
    /// A client's service state, to the site it moves to.
    case migration(client: Int32, site: Int32)
    /// A control message between policies (a slot of `World.messages`).
    case control(Int32)
    /// A client's session handshake: its request, its site's reply, its leave notice.
    case sessionRequest(client: Int32)
    case sessionReply(client: Int32, accepted: Bool)
    case sessionLeave(client: Int32)
}

/// The requests one upload carries. A frame's offloaded tasks are almost always four or fewer:
/// they are held inline, so that an upload allocates nothing and a transfer holds no reference
/// (copying one retains nothing); a fifth and later go into an array in `World.uploadSpill`,
/// freed when the upload is delivered.
struct UploadSlots: Sendable {
    private var inline = InlineFour<Int32>(repeating: -1)
    private(set) var count: Int32 = 0
    private var spill: Int32 = -1

    init() {}

    init(_ slot: Int32) {
        inline[0] = slot
        count = 1
    }

    var first: Int32 { inline[0] }

    mutating func append(_ slot: Int32, spill table: inout Slab<[Int32]>) {
        if count < 4 {
            inline[Int(count)] = slot
        } else {
            if spill < 0 { spill = table.insert([]) }
            table[spill].append(slot)
        }
        count += 1
    }

    /// The requests in order.
    func forEach(spill table: Slab<[Int32]>, _ body: (Int32) -> Void) {
        for i in 0..<min(Int(count), 4) { body(inline[i]) }
        if spill >= 0 { for s in table[spill] { body(s) } }
    }

    /// Frees the spilled requests' array, once the upload is delivered.
    func release(spill table: inout Slab<[Int32]>) {
        guard spill >= 0 else { return }
        table[spill] = []   // a slab slot keeps its value until reused
        _ = table.remove(spill)
    }
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

/// Every path's links, in one flat array: a hop reads its link with one load, where an array per
/// path (one per client and direction) was a dependent miss on every send and hop.
struct PathTable: Sendable {
    private var spans: [PathSpan] = []
    private var links: [Int32] = []

    mutating func append(_ path: [Int32]) -> Int32 {
        spans.append(PathSpan(start: Int32(links.count), hops: Int32(path.count)))
        links.append(contentsOf: path)
        return Int32(spans.count - 1)
    }

    /// Where path `id`'s links are. A transfer keeps it, so that its hops do not look it up again.
    func span(_ id: Int32) -> PathSpan { spans[Int(id)] }

    /// Asks the cache for path `id`'s span (a hint).
    func prefetchSpan(_ id: Int32) { spans.prefetch(Int(id)) }

    /// Number of hops of path `id` (0: the same place).
    func hops(_ id: Int32) -> Int32 { spans[Int(id)].hops }

    /// The link of a path's hop `hop`.
    func link(_ span: PathSpan, hop: Int32) -> Int32 {
        precondition(hop >= 0 && hop < span.hops)
        return links[Int(span.start + hop)]
    }
}

/// A path's links in `PathTable`: `hops` of them from `start`.
struct PathSpan: Sendable {
    var start: Int32
    var hops: Int32
}

/// Bytes on their way along a path of links, one hop after another (store and forward).
struct Transfer: Sendable {
    var payload: TransferPayload
    var path: PathSpan
    /// The hop it is on; -1 while the sender still encodes it (a stage's wire format).
    var hop: Int32
    var bytes: Int
    /// Time the receiver spends decoding it once its last byte is there (0: none, or done).
    var decode: SimTime = 0
}

extension World {
    /// Sends `bytes` along path `id`; the payload is delivered when the last hop has it. An empty
    /// path (same place) delivers at once.
    /// `encode` delays the first hop (the sender prepares the bytes); `decode` delays delivery
    /// (the receiver unpacks them). `byEvent`: even on an empty path, deliver through an event
    /// at this instant, never inside the caller (a policy's message to its own place).
    mutating func send(_ payload: TransferPayload, bytes: Int, path id: Int32, now: SimTime, encode: SimTime = 0, decode: SimTime = 0,
                       byEvent: Bool = false, scheduler: inout Scheduler<WorldEvent>) {
        let span = paths.span(id)
        if span.hops == 0 && encode == 0 && decode == 0 && !byEvent {
            deliver(payload, now: now, scheduler: &scheduler)
            return
        }
        if encode == 0 && !byEvent && span.hops > 0 {
            // The common case, straight onto the first hop.
            let slot = transfers.insert(Transfer(payload: payload, path: span, hop: 0, bytes: bytes, decode: decode))
            return startHop(slot, now: now, scheduler: &scheduler)
        }
        // Hop -1: not on a link yet; `hopArrived` moves it onto the first hop (or delivers it).
        let slot = transfers.insert(Transfer(payload: payload, path: span, hop: -1, bytes: bytes, decode: decode))
        if encode > 0 || byEvent {
            scheduler.schedule(.hopArrived(transfer: slot, delivers: arrivalHint(slot)), after: encode)
        } else {
            hopArrived(transfer: slot, scheduler: &scheduler)
        }
    }

    private mutating func startHop(_ slot: Int32, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        let hop = transfers[slot].hop, bytes = transfers[slot].bytes
        let link = Int(paths.link(transfers[slot].path, hop: hop))
        let (start, finish, arrival) = links[link].simpleRate > 0
            ? links[link].sendSimple(bytes: bytes, at: now)
            : linkModels[link].send(bytes: bytes, at: now, busyUntil: &links[link].busyUntil)
        recorder.linkBusy(link: link, from: start, to: finish, bytes: bytes)
        if hop == 0 {
            stampSent(transfers[slot].payload, at: start)
            if uplinkObservers, case .upload(let slots) = transfers[slot].payload {
                observeUplink(client: Int(requests[slots.first].client), link: link, bytes: bytes, from: start, to: finish,
                              scheduler: &scheduler)
            }
        }
        scheduler.schedule(.hopArrived(transfer: slot, delivers: arrivalHint(slot)), at: arrival)
    }

    /// What the arrival about to be scheduled will touch, if it delivers the transfer (see
    /// `ArrivalHint`); read while the transfer is in cache.
    private func arrivalHint(_ slot: Int32) -> ArrivalHint {
        guard transfers[slot].hop + 1 >= transfers[slot].path.hops else { return .none }
        switch transfers[slot].payload {
        case .upload(let slots): return ArrivalHint(request: slots.first, client: -1)
        case .result(let r, let c): return ArrivalHint(request: r, client: c)
        case .dispatched(let r), .activation(let r): return ArrivalHint(request: r, client: -1)
        default: return .none
        }
    }

    /// Asks, as a frame's capture begins, for what its upload will read once the frame's accuracy
    /// and the policy's decision are done: the client's radio uplink (every path from a client
    /// starts there), its counters, and its path to the site it is attached to. The client's state
    /// is in cache by now (`World.prefetch`), so the link's index costs no wait. A hint.
    func prefetchUpload(client c: Int) {
        guard hints else { return }
        let uplink = Int(clients[c].uplink)
        links.prefetch(uplink)
        recorder.links.prefetch(uplink)
        let p = lookups.peek(client: c, pathToSite: clients[c].attachedSite)
        if p >= 0 { paths.prefetchSpan(p) }
    }

    /// Asks, before a batch's results leave, for the first link of each member's way back to its
    /// client: the path's entry, the link's state and its counters. Sending the results one after
    /// another walks those three dependent misses member by member; here the members' loads overlap.
    /// A hint: it changes nothing.
    func prefetchWayBack(server s: Int, gpu g: Int) {
        guard hints else { return }
        // Indexed through the arrays: binding them to locals would retain them.
        for i in servers[s].gpus[g].memberClients.indices {
            let p = lookups.peek(client: Int(servers[s].gpus[g].memberClients[i]), pathFromServer: s)
            guard p >= 0 else { continue }
            let span = paths.span(p)
            guard span.hops > 0 else { continue }
            let link = Int(paths.link(span, hop: 0))
            links.prefetch(link)
            recorder.links.prefetch(link)
        }
    }

    /// The transfer reached the far end of a hop (or finished encoding): on to the next hop, or
    /// decoded, or delivered.
    mutating func hopArrived(transfer slot: Int32, scheduler: inout Scheduler<WorldEvent>) {
        transfers[slot].hop += 1
        if transfers[slot].hop < transfers[slot].path.hops {
            startHop(slot, now: scheduler.now, scheduler: &scheduler)
        } else if transfers[slot].decode > 0 {
            let decode = transfers[slot].decode
            transfers[slot].decode = 0
            transfers[slot].hop -= 1
            scheduler.schedule(.hopArrived(transfer: slot, delivers: arrivalHint(slot)), after: decode)
        } else {
            let t = transfers.remove(slot)
            deliver(t.payload, now: scheduler.now, scheduler: &scheduler)
        }
    }

    /// What the device can measure of an upload on its own radio link: bytes over the time they
    /// took to leave. Kept for the client's split policy and told to its policy if it asks.
    private mutating func observeUplink(client c: Int, link: Int, bytes: Int, from start: SimTime, to finish: SimTime,
                                        scheduler: inout Scheduler<WorldEvent>) {
        guard clients[c].observesUplink, link == Int(clients[c].uplink), finish > start, bytes > 0 else { return }
        let bps = Double(bytes) * 8 / Time.toSeconds(finish - start)
        clients[c].observedUplink = bps
        guard clients[c].notices.contains(.bandwidth) else { return }
        var effects = PolicyEffects()
        clients[c].policy.uplinkObserved(bitsPerSecond: bps, bytes: bytes, now: scheduler.now, effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .client(Int32(c)), scheduler: &scheduler) }
    }

    private mutating func stampSent(_ payload: TransferPayload, at start: SimTime) {
        switch payload {
        case .upload(let slots):
            slots.forEach(spill: uploadSpill) { s in if requests[s].sent < 0 { requests[s].sent = start } }
        case .activation(let s), .dispatched(let s):
            if requests[s].sent < 0 { requests[s].sent = start }
        case .result, .migration, .control, .sessionRequest, .sessionReply, .sessionLeave:
            break
        }
    }

    mutating func deliver(_ payload: TransferPayload, now: SimTime, scheduler: inout Scheduler<WorldEvent>) {
        switch payload {
        case .upload(let slots):
            // The arrival's hint asked for the first request only; the others' loads overlap
            // with its dispatch.
            if hints { slots.forEach(spill: uploadSpill) { requests.prefetch($0) } }
            slots.forEach(spill: uploadSpill) { arriveAtStage(request: $0, now: now, scheduler: &scheduler) }
            slots.release(spill: &uploadSpill)
        case .activation(let s):
            arriveAtStage(request: s, now: now, scheduler: &scheduler)
        case .dispatched(let s):
            requestArrived(request: s, server: Int(requests[s].server), now: now, scheduler: &scheduler)
        case .result(let s, _):
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
            sessionLeaveArrived(client: c, scheduler: &scheduler)
        }
    }

    /// The id of the path named `key`, working out its links the first time.
    mutating func path(_ key: PathKey, links: (inout World) -> [Int32]) -> Int32 {
        if let id = pathIndex[key] { return id }
        let id = paths.append(links(&self))
        pathIndex[key] = id
        return id
    }

    mutating func pathFromClient(_ c: Int, to placement: Placement) -> Int32 {
        let attached = Int32(clients[c].attachedSite)
        switch placement {
        case .device: return path(PathKey(kind: .clientToSite, a: Int32(c), b: -1, attached: attached)) { _ in [] }
        case .site(let x):
            if lookups[client: c, pathToSite: x] >= 0 { return lookups[client: c, pathToSite: x] }
            let id = path(PathKey(kind: .clientToSite, a: Int32(c), b: Int32(x), attached: attached)) { $0.linksFromClient(c, to: placement) }
            lookups[client: c, pathToSite: x] = id
            return id
        case .server(let v):
            return path(PathKey(kind: .clientToServer, a: Int32(c), b: Int32(v), attached: attached)) { $0.linksFromClient(c, to: placement) }
        }
    }

    mutating func pathToClient(_ c: Int, fromServer v: Int) -> Int32 {
        if lookups[client: c, pathFromServer: v] >= 0 { return lookups[client: c, pathFromServer: v] }
        let attached = Int32(clients[c].attachedSite)
        let id = path(PathKey(kind: .serverToClient, a: Int32(v), b: Int32(c), attached: attached)) { $0.linksToClient(c, fromServer: v) }
        lookups[client: c, pathFromServer: v] = id
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
        if ingressPaths[v] >= 0 { return ingressPaths[v] }
        let id = path(PathKey(kind: .serverToServer, a: -1, b: Int32(v), attached: -1)) { world in world.serverLinks[v].nicIn.map { [$0] } ?? [] }
        ingressPaths[v] = id
        return id
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
        case .server(let w) where w == v || spec.servers[w].machineIndex(w) == spec.servers[v].machineIndex(v):
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

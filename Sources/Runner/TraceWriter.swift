import CZlib
import EdgeWorld
import Foundation
import JSONConfig
import SimKernel

/// A run as a Chrome / Perfetto trace (the JSON trace-event format that ui.perfetto.dev and
/// chrome://tracing open), written as the run goes, so memory stays flat:
///
/// - process "GPUs": a track per GPU (or MPS share) of every server, with each batch as a slice
///   (model, size, layer range, the requests in it);
/// - process "clients": a track per client with each request as a slice from its frame's capture
///   to its result (task, server, outcome), drops as instant events with their reason. A client's
///   requests overlap in time (frames come faster than results), and slices on one track must
///   nest: a request that would cross another goes on the client's next lane, "name (2)" …;
/// - each request's stages as async slices keyed by the request (requests of a client overlap, so
///   on its own track they could not nest): `device` (layers run on the device), `upload` (sent
///   to arrival at the server), `result` (batch end to the result back);
/// - instant events for frames whose shown result is a fresh local (fallback) run;
/// - a flow arrow from each request's upload to the batch that ran it;
/// - process "links": a track per link (shared links, and the first clients' own), each transfer
///   a slice with its bytes (a link sends in order, so its slices never overlap);
/// - process "counters": each server's waiting requests at every change (several changes at one
///   time show as the last), and per time bin (`bin_s`) each GPU's and shared link's utilisation
///   and requests completed per second.
///
/// `window` keeps only what starts inside it, and `clients` only the first so many clients, so
/// that a big run stays openable. Times are microseconds of simulated time. A path ending in
/// `.gz` is written gzip-compressed (Perfetto opens it as it is).
public final class TraceWriter {
    /// Where the text goes: a plain file, or zlib's gzip stream.
    enum Sink {
        case plain(FileHandle)
        case gzip(gzFile)
    }
    let sink: Sink
    let spec: WorldSpec
    let path: String
    let window: Range<SimTime>
    let clientLimit: Int
    /// The track of each server's first executor; executors follow.
    let gpuBase: [Int]
    var first = true
    var closed = false
    /// The first write that failed; later writes are skipped and `write` and `close` throw it.
    var failure: ConfigError?
    /// Per client, per lane, the request slices placed there recently (start, end).
    var lanes: [Int: [[(SimTime, SimTime)]]] = [:]
    /// Lane tracks beyond the first: client + 1 + lane · laneStride.
    static let laneStride = 1 << 20
    /// Per server, its waiting requests as the window opens (the last change before it), the
    /// value its counter last showed (nil before the first inside the window), and a change not
    /// yet written: a later change at the same time replaces it, so that a request queued and
    /// taken at once draws no spike.
    var queueCarried: [Int32]
    var queueShown: [Int32?]
    var queuePending: [QueueRecord?]

    public init(path: String, spec: WorldSpec, window: Range<SimTime>? = nil, clients: Int? = nil) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ConfigError(file: path, position: nil, path: "", message: "cannot write a trace there")
        }
        if path.hasSuffix(".gz") {
            try? h.close()
            guard let z = gzopen(path, "wb6") else {
                throw ConfigError(file: path, position: nil, path: "", message: "cannot write a gzip trace there")
            }
            sink = .gzip(z)
        } else {
            sink = .plain(h)
        }
        self.spec = spec
        self.path = path
        self.window = window ?? 0..<SimTime.max
        clientLimit = clients ?? Int.max
        var base: [Int] = [], next = 1
        for s in spec.servers { base.append(next); next += s.executors }
        gpuBase = base
        queueCarried = Array(repeating: 0, count: spec.servers.count)
        queueShown = Array(repeating: nil, count: spec.servers.count)
        queuePending = Array(repeating: nil, count: spec.servers.count)
        put("[\n")
        // Shown top to bottom as GPUs, counters, links, clients: the few busy tracks first.
        for (pid, name, order) in [(1, "GPUs", 1), (2, "clients", 4), (3, "counters", 2), (4, "links", 3)] {
            emit(.object([("name", .string("process_name")), ("ph", .string("M")), ("pid", .int(pid)), ("args", .object([("name", .string(name))]))]))
            emit(.object([("name", .string("process_sort_index")), ("ph", .string("M")), ("pid", .int(pid)), ("args", .object([("sort_index", .int(order))]))]))
        }
        // Each client's uplink and downlink come first (World.linkSpecs), then the shared ones.
        let links = World.linkSpecs(spec)
        for (l, link) in links.enumerated() where l >= 2 * spec.clients.count || l / 2 < clientLimit {
            emit(thread(pid: 4, tid: l + 1, name: "\(link.name) (\(link.kind))"))
        }
        for (s, server) in spec.servers.enumerated() {
            for g in 0..<server.executors {
                emit(thread(pid: 1, tid: gpuBase[s] + g, name: "\(server.name) gpu \(g)"))
            }
        }
        for (c, client) in spec.clients.enumerated() where c < clientLimit {
            emit(thread(pid: 2, tid: c + 1, name: client.name))
        }
    }

    func thread(pid: Int, tid: Int, name: String) -> JSONOutput {
        .object([("name", .string("thread_name")), ("ph", .string("M")), ("pid", .int(pid)), ("tid", .int(tid)),
                 ("args", .object([("name", .string(name))]))])
    }

    func emit(_ event: JSONOutput) {
        put((first ? "" : ",\n") + event.compactText())
        first = false
    }

    func put(_ text: String) {
        guard failure == nil else { return }
        switch sink {
        case .plain(let h):
            do { try h.write(contentsOf: Data(text.utf8)) } catch { failure = writeError("\(error)") }
        case .gzip(let z):
            var text = text
            let written = text.withUTF8 { bytes in bytes.baseAddress.map { Int(gzwrite(z, $0, UInt32(bytes.count))) } ?? 0 }
            if written != text.utf8.count { failure = writeError("zlib wrote \(written) of \(text.utf8.count) bytes") }
        }
    }

    func writeError(_ why: String) -> ConfigError {
        ConfigError(file: path, position: nil, path: "", message: "the trace could not be written (\(why)); the file is incomplete")
    }

    static func us(_ t: SimTime) -> JSONOutput { .double(Double(t) / 1000) }

    /// Writes the rows of one slice of the run; throws if the file could not take them.
    public func write(_ rows: Outbox) throws(ConfigError) {
        writeRows(rows)
        if let failure { throw failure }
    }

    func writeRows(_ rows: Outbox) {
        writeFramesAndBins(rows)
        // A batch's members come just before its record, in the same outbox.
        var members: [Int64: [JSONOutput]] = [:]
        for m in rows.members { members[m.batch, default: []].append(.int(Int(m.request))) }
        for q in rows.queues where spec.servers.indices.contains(Int(q.server)) {
            let s = Int(q.server)
            if let pending = queuePending[s], pending.time != q.time { writeQueue(server: s) }
            queuePending[s] = q
        }
        for b in rows.batches where window.contains(b.start) {
            let s = Int(b.server)
            guard spec.servers.indices.contains(s) else { continue }
            let model = spec.models.indices.contains(Int(b.model)) ? spec.models[Int(b.model)].name : "model \(b.model)"
            emit(.object([("name", .string(model)), ("cat", .string("batch")), ("ph", .string("X")), ("pid", .int(1)),
                          ("tid", .int(gpuBase[s] + Int(b.gpu))), ("ts", Self.us(b.start)), ("dur", Self.us(b.end - b.start)),
                          ("args", .object([("batch", .int(Int(b.id))), ("size", .int(Int(b.size))),
                                            ("layers", .string("\(b.firstLayer)..<\(b.endLayer)")),
                                            ("requests", .array(members[b.id] ?? []))]))]))
        }
        for r in rows.requests {
            let q = r.request
            let c = Int(q.client)
            guard c < clientLimit, window.contains(q.created), spec.clients.indices.contains(c) else { continue }
            let task = spec.clients[c].tasks.indices.contains(Int(q.task)) ? spec.clients[c].tasks[Int(q.task)].name : "task \(q.task)"
            let server = spec.servers.indices.contains(Int(q.server)) ? spec.servers[Int(q.server)].name : "-"
            var tid = c + 1
            switch r.outcome {
            case .completed:
                tid = lane(client: c, from: q.created, to: q.completed)
                emit(.object([("name", .string(task)), ("cat", .string("request")), ("ph", .string("X")), ("pid", .int(2)),
                              ("tid", .int(tid)), ("ts", Self.us(q.created)), ("dur", Self.us(q.completed - q.created)),
                              ("args", .object([("frame", .int(Int(q.frame))), ("server", .string(server)),
                                                ("met_deadline", .bool(r.metDeadline)), ("batch", .int(Int(q.batch)))]))]))
            case .dropped(let reason):
                emit(.object([("name", .string("drop: \(reason.rawValue)")), ("cat", .string("request")), ("ph", .string("i")),
                              ("s", .string("t")), ("pid", .int(2)), ("tid", .int(c + 1)), ("ts", Self.us(q.created)),
                              ("args", .object([("task", .string(task)), ("frame", .int(Int(q.frame)))]))]))
            case .cancelled, .unfinished:
                continue
            }
            if case .completed = r.outcome {
                // The request's stages, as async slices of its own id.
                for (name, from, to) in [("device", q.deviceStart, q.deviceEnd), ("upload", q.sent, q.arrived), ("result", q.batchEnd, q.completed)]
                    where from >= q.created && to >= from && to <= q.completed {
                    for (ph, t) in [("b", from), ("e", to)] {
                        emit(.object([("name", .string(name)), ("cat", .string("stage")), ("ph", .string(ph)), ("id", .int(Int(q.id))),
                                      ("pid", .int(2)), ("tid", .int(c + 1)), ("ts", Self.us(t))]))
                    }
                }
            }
            // The arrow from the upload to the batch that ran the request.
            let s = Int(q.server)
            if q.sent >= 0, q.batchStart >= 0, q.gpu >= 0, spec.servers.indices.contains(s) {
                let id = JSONOutput.int(Int(q.id))
                emit(.object([("name", .string("upload")), ("cat", .string("flow")), ("ph", .string("s")), ("id", id), ("pid", .int(2)),
                              ("tid", .int(tid)), ("ts", Self.us(q.sent))]))
                emit(.object([("name", .string("upload")), ("cat", .string("flow")), ("ph", .string("f")), ("bp", .string("e")), ("id", id),
                              ("pid", .int(1)), ("tid", .int(gpuBase[s] + Int(q.gpu))), ("ts", Self.us(q.batchStart))]))
            }
        }
    }

    /// The track for a request slice [from, to] of client c: its first lane where it crosses no
    /// slice already there (slices ending long before are forgotten, so memory stays flat).
    func lane(client c: Int, from: SimTime, to: SimTime) -> Int {
        var list = lanes[c] ?? []
        // Requests are written as they end, in no order of start: keep what a later one could cross.
        let horizon = from - 120_000_000_000
        var chosen = list.count
        for i in list.indices {
            list[i].removeAll { $0.1 < horizon }
            // A longer slice written after a shorter one of the same start would nest it, but
            // viewers that sort by start alone (chrome://tracing) then draw them over each other.
            let crosses = list[i].contains { s in (from > s.0 && from < s.1 && to > s.1) || (s.0 > from && s.0 < to && s.1 > to)
                || (s.0 == from && s.1 < to) }
            if !crosses { chosen = i; break }
        }
        if chosen == list.count {
            list.append([])
            if chosen > 0 { emit(thread(pid: 2, tid: c + 1 + chosen * Self.laneStride, name: "\(spec.clients[c].name) (\(chosen + 1))")) }
        }
        list[chosen].append((from, to))
        lanes[c] = list
        return c + 1 + chosen * Self.laneStride
    }

    /// Writes a server's pending queue change as a counter, if it lies in the window and changes
    /// what the counter shows. The first inside the window is preceded by the value carried in.
    func writeQueue(server s: Int) {
        guard let q = queuePending[s] else { return }
        queuePending[s] = nil
        if q.time < window.lowerBound { queueCarried[s] = q.queued }
        guard window.contains(q.time) else { return }
        func counter(_ t: SimTime, _ value: Int32) {
            emit(queueCounter(server: s, at: t, value))
            queueShown[s] = value
        }
        if queueShown[s] == nil, q.time > window.lowerBound { counter(window.lowerBound, queueCarried[s]) }
        if queueShown[s] != q.queued { counter(q.time, q.queued) }
    }

    func queueCounter(server s: Int, at t: SimTime, _ value: Int32) -> JSONOutput {
        .object([("name", .string("queued \(spec.servers[s].name)")), ("cat", .string("queue")), ("ph", .string("C")), ("pid", .int(3)),
                 ("ts", Self.us(t)), ("args", .object([("value", .double(Double(value)))]))])
    }

    /// Frames whose shown result is a fresh local run, and the time bins as counters.
    func writeFramesAndBins(_ rows: Outbox) {
        for t in rows.transfers where window.contains(t.start) && (Int(t.link) >= 2 * spec.clients.count || Int(t.link) / 2 < clientLimit) {
            emit(.object([("name", .string("\(t.bytes) B")), ("cat", .string("transfer")), ("ph", .string("X")), ("pid", .int(4)),
                          ("tid", .int(Int(t.link) + 1)), ("ts", Self.us(t.start)), ("dur", Self.us(t.end - t.start))]))
        }
        for f in rows.frames where f.source == .local && f.staleness == 0 && Int(f.client) < clientLimit && window.contains(f.time) {
            let c = Int(f.client)
            let task = spec.clients[c].tasks.indices.contains(Int(f.task)) ? spec.clients[c].tasks[Int(f.task)].name : "task \(f.task)"
            emit(.object([("name", .string("local: \(task)")), ("cat", .string("frame")), ("ph", .string("i")), ("s", .string("t")),
                          ("pid", .int(2)), ("tid", .int(c + 1)), ("ts", Self.us(f.time)), ("args", .object([("frame", .int(Int(f.frame))),
                                                                                                    ("accuracy", .double(f.accuracy))]))]))
        }
        for b in rows.bins where window.contains(b.start) {
            let name: String, value: Double
            switch (b.scope, b.metric) {
            case (.gpu, .utilization): (name, value) = ("utilisation \(b.name)", b.value)
            case (.link, .utilization): (name, value) = ("utilisation \(b.name)", b.value)
            case (.run, .completed): (name, value) = ("completed per s", b.value / (Double(b.end - b.start) / 1e9))
            default: continue
            }
            emit(.object([("name", .string(name)), ("cat", .string("bin")), ("ph", .string("C")), ("pid", .int(3)), ("ts", Self.us(b.start)),
                          ("args", .object([("value", .double(value))]))]))
        }
    }

    /// Ends the JSON array and closes the file (once; a failed run closes it too, so that what was
    /// written stays readable). Throws if any write failed.
    public func close() throws(ConfigError) {
        guard !closed else { return }
        closed = true
        for s in queuePending.indices { writeQueue(server: s) }
        // A server whose waiting requests did not change inside the window still shows the count
        // it carried into it.
        for s in queueShown.indices where queueShown[s] == nil && queueCarried[s] != 0 {
            emit(queueCounter(server: s, at: window.lowerBound, queueCarried[s]))
        }
        put("\n]\n")
        switch sink {
        case .plain(let h):
            do { try h.close() } catch { if failure == nil { failure = writeError("\(error)") } }
        case .gzip(let z):
            if gzclose(z) != Z_OK && failure == nil { failure = writeError("zlib could not finish the file") }
        }
        if let failure { throw failure }
    }

    deinit { try? close() }
}

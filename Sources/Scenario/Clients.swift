import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Profiles
import SimKernel
import Traces

extension ScenarioReader {
    struct ClientGroup {
        var name: String
        var clients: [ClientSpec]
    }

    mutating func clientGroup(_ node: ConfigNode, index: Int, serverNames: [String], serverSites: [Int]) throws(ConfigError) -> ClientGroup {
        let o = try node.object(ScenarioFormat.client)
        let name = try nonEmptyName(o.required("name"))
        let count = try o.int("count") ?? 1
        clientTotal += count
        if let countNode = o.optional("count") { try MemoryBudget.check(clients: clientTotal, at: countNode) }

        // Where the clients attach, and the server a first-world client names.
        var namedServer: Int?
        if let n = o.optional("server") {
            if o.has("tasks") { throw n.error("a client with tasks reaches servers through its tasks' split policies and its site, not \"server\"") }
            namedServer = try lookup(n, in: serverNames, kind: "server")
        } else if serverNames.count > 1 && siteNames.count == 1 && !o.has("tasks") {
            throw o.error("missing required key \"server\": the scenario has \(serverNames.count) servers (\(serverNames.joined(separator: ", "))); or give the servers a site and the client tasks")
        } else if serverNames.count == 1 && siteNames.count == 1 && !o.has("tasks") {
            namedServer = 0
        }
        let site: Int
        if let n = o.optional("site") {
            site = try lookup(n, in: siteNames, kind: "site")
            if site == cloud { throw n.error("clients attach at edge sites; \"\(siteNames[site])\" is the cloud") }
        } else if let v = namedServer, serverSites[v] != cloud || siteNames.count == 1 {
            // A one-site world's only site is where its clients are, whatever its kind.
            site = serverSites[v]
        } else if let first = siteNames.indices.first(where: { $0 != cloud }) {
            site = first
        } else {
            throw o.error("there is no edge site for the client to attach at")
        }

        let device = try o.optional("device").map { n throws(ConfigError) in try nonEmptyName(n) }
        let frameBytes = try self.frameBytes(o)
        let tasks = try self.tasks(o, namedServer: namedServer, device: device, deviceNode: o.optional("device"), frameBytes: frameBytes)

        let fps = try o.requiredNumber("fps")
        let arrivals = try self.arrivals(o, fps: fps)
        let policy = try ClientPolicies.registry.make(o.optional("policy"), orDefaultAt: node, key: "policy",
                                                      context: ClientPolicyContext(fps: fps, deadlines: tasks.map(\.deadline),
                                                                                   accuracy: tasks.map(\.accuracy)))
        let maxInFlight = try o.int("max_offloads_in_flight")
        let mobility = try self.mobility(o.optional("mobility"), start: site)
        let migration = try self.migration(o.optional("migration"))
        let networkNode = try o.required("network")

        var motionFile: MotionTrace?
        var motionNode: ConfigObject?
        if let m = o.optional("motion") {
            let mo = try m.object(ScenarioFormat.motion)
            if let fileNode = mo.optional("file") {
                do {
                    motionFile = try motionTrace(fromFile: mo, fps: fps)
                } catch let e where e.file != scenarioFile {
                    throw fileNode.error("in \(e.description)")   // a mistake inside the trajectory: name the key too
                }
            } else {
                // The file form's keys mean nothing to generated motion: say so rather than ignore them.
                for key in ["format", "times_file"] where mo.has(key) {
                    throw try mo.required(key).error("\"\(key)\" belongs to a trajectory file; generated motion (no \"file\") takes mean_deg_s, cv and step_ms")
                }
                motionNode = mo
            }
        }

        let sessions = try self.sessions(o.optional("session"), count: count, group: name)
        let imu = try o.optional("imu").map { n throws(ConfigError) -> IMUSpec in
            let io = try n.object(ScenarioFormat.imu)
            return IMUSpec(noiseDegrees: try io.number("noise_deg") ?? 0,
                           cost: try io.time("cost_ms") ?? 0)
        }
        let estimate = try o.optional("content_estimate").map { n throws(ConfigError) -> ContentEstimateSpec in
            let eo = try n.object(ScenarioFormat.contentEstimate)
            return ContentEstimateSpec(noise: try eo.number("noise") ?? 0, cost: try eo.time("cost_ms") ?? 0,
                                       everyFrames: try eo.int("every_frames") ?? 1)
        }
        if let accumo = policy as? AccuMOClient {
            let needs = accumo.readings
            for (key, needed, given, use) in [("imu", needs.imu, imu != nil, "VO's drop rate"),
                                              ("content_estimate", needs.contentEstimate, estimate != nil, "depth's drop rate")] where needed && !given {
                throw (o.optional("policy") ?? node).error(
                    "accumo reads the client's \"\(key)\" for \(use); add \"\(key)\": {} (noise-free) or give its parameters (docs/scenario.md, Clients)")
            }
        }
        var motionParameters: (mean: Double, cv: Double, step: SimTime)?
        if let mo = motionNode {
            // Drawn as the run goes, a step at a time: a tiny step would make a frame draw millions.
            let step = try mo.time("step_ms") ?? 100_000_000
            let steps = (Double(duration) / Double(step)).rounded(.up)
            let at = mo.optional("step_ms") ?? mo.node
            if steps > Double(Self.maxTraceSteps) {
                throw at.error("generated motion of \(Suggestion.format(steps)) steps over the run (duration_s / step_ms); "
                               + "at most \(Self.maxTraceSteps) per client: lengthen step_ms")
            }
            inputs.generatedMotionSteps += steps * Double(count)
            if inputs.generatedMotionSteps > Double(Self.maxMotionSteps) {
                throw at.error("the generated motion of all clients together would draw \(Suggestion.format(inputs.generatedMotionSteps)) steps or more; "
                               + "at most \(Self.maxMotionSteps): lengthen step_ms or use fewer clients")
            }
            motionParameters = (try mo.requiredNumber("mean_deg_s"), try mo.number("cv") ?? 0, step)
        }
        var clients: [ClientSpec] = []
        for i in 0..<count {
            let clientName = count == 1 ? name : "\(name)-\(i)"
            let (up, down) = try linkPair(networkNode, name: "client/\(clientName)", kinds: ("client_up", "client_down"))
            let motion = motionFile
            var generated: GeneratedMotion?
            if let p = motionParameters {
                // Drawn as the run goes, block by block, from the client's own streams.
                generated = GeneratedMotion(meanSpeed: p.mean, cv: p.cv, step: p.step, seed: seed,
                                            streamKey: StableHash.fnv1a64("client/\(clientName)/motion"))
            }
            clients.append(ClientSpec(name: clientName, group: index, arrivals: arrivals, frameBytes: frameBytes, tasks: tasks,
                                      uplink: up, downlink: down, site: site, mobility: mobility, migration: migration,
                                      maxOffloadsInFlight: maxInFlight, policy: policy, motion: motion))
            clients[clients.count - 1].generatedMotion = generated
            clients[clients.count - 1].session = sessions?[i]
            clients[clients.count - 1].imu = imu
            clients[clients.count - 1].contentEstimate = estimate
        }
        return ClientGroup(name: name, clients: clients)
    }

    /// The group's sessions: each client asks to be admitted at `start_s`, or, with
    /// `arrival_rate_per_s`, client i at the i-th arrival of a Poisson process from `start_s`;
    /// each leaves at `end_s`, or after an exponential stay of mean `duration_s`. Drawn from the
    /// stream `client-group/<name>/sessions` of the run's seed.
    func sessions(_ node: ConfigNode?, count: Int, group: String) throws(ConfigError) -> [SessionSpec]? {
        guard let node else { return nil }
        let o = try node.object(ScenarioFormat.session)
        let start = Double(try o.time("start_s") ?? 0) / 1e9
        let end = try o.time("end_s").map { Double($0) / 1e9 }
        if let end, end <= start { throw try o.required("end_s").error("must be after start_s (\(Suggestion.format(start)))") }
        let rate = try o.number("arrival_rate_per_s")
        let stay = try o.time("duration_s").map { Double($0) / 1e9 }
        if stay != nil, end != nil { throw try o.required("duration_s").error("give either end_s or duration_s, not both") }
        let bytes = try o.int("request_bytes") ?? 200
        var rng = RandomStream(seed: seed, name: "client-group/\(group)/sessions")
        var t = start
        return (0..<count).map { _ in
            if let rate { t += -log(rng.nextUnitOpenAtZero()) / rate }
            let leave = stay.map { t + -log(rng.nextUnitOpenAtZero()) * $0 } ?? end
            // Draws far beyond any run are cut to the longest time a scenario can state.
            return SessionSpec(start: Time.seconds(min(t, Bounds.maxSeconds)), end: leave.map { Time.seconds(min($0, Bounds.maxSeconds)) },
                               requestBytes: bytes)
        }
    }

    // MARK: Tasks

    mutating func tasks(_ o: ConfigObject, namedServer: Int?, device: String?, deviceNode: ConfigNode?, frameBytes: Int) throws(ConfigError) -> [TaskSpec] {
        let modelNames = models.map(\.spec.name)
        guard let tasksNode = o.optional("tasks") else {
            // The first world's client: one task, named after its model.
            let model = try lookup(o.required("model"), in: modelNames, kind: "model")
            let deadline = try o.requiredTime("deadline_ms")
            let context = try splitContext(model: model, device: device, deviceNode: deviceNode, namedServer: namedServer,
                                           split: nil, frameBytes: frameBytes)
            let split = try SplitPolicies.registry.make(nil, orDefaultAt: o.node, key: "split", context: context)
            return [TaskSpec(name: modelNames[model], model: model, deadline: deadline,
                             resultBytes: try o.int("result_bytes") ?? 0, split: split,
                             deviceLatency: try deviceTable(model: model, device: device, at: deviceNode, required: false))]
        }
        for key in ["model", "deadline_ms", "result_bytes"] {
            if let n = o.optional(key) { throw n.error("with \"tasks\", each task gives its own \(key)") }
        }
        var tasks: [TaskSpec] = []
        for item in try nonEmpty(tasksNode) {
            let t = try item.object(ScenarioFormat.task)
            let name = try nonEmptyName(t.required("name"))
            if tasks.contains(where: { $0.name == name }) { throw try t.required("name").error("duplicate task name \"\(name)\"") }
            let model = try lookup(t.required("model"), in: modelNames, kind: "model")
            let context = try splitContext(model: model, device: device, deviceNode: deviceNode, namedServer: namedServer,
                                           split: t.optional("split"), frameBytes: frameBytes)
            let split = try SplitPolicies.registry.make(t.optional("split"), orDefaultAt: item, key: "split", context: context)
            tasks.append(TaskSpec(
                name: name, model: model, deadline: try t.requiredTime("deadline_ms"),
                resultBytes: try t.int("result_bytes") ?? 0, split: split,
                fallback: try t.optional("fallback").map { n throws(ConfigError) in try fallback(n, device: device, deviceNode: deviceNode) },
                accuracy: try t.optional("accuracy").map { n throws(ConfigError) in try accuracy(n) } ?? AccuracyModel(),
                deviceLatency: try deviceTable(model: model, device: device, at: deviceNode, required: false)))
        }
        return tasks
    }

    mutating func splitContext(model: Int, device: String?, deviceNode: ConfigNode?, namedServer: Int?, split: ConfigNode?,
                               frameBytes: Int) throws(ConfigError) -> SplitPolicyContext {
        var context = SplitPolicyContext(siteNames: siteNames, serverNames: serverNames, cloud: cloud, layerCount: try layerCount(of: model),
                                         deviceCanRun: try deviceTable(model: model, device: device, at: deviceNode, required: false) != nil,
                                         namedServer: namedServer)
        // Only the policies that predict a split's latency read every GPU's profile of the model.
        let name = split.flatMap { n in (try? n.string()) ?? (n.peek("name").flatMap { try? $0.string() }) }
        guard let name, SplitPolicies.predicting.contains(name) else { return context }
        context.layerOutputBytes = models[model].spec.layerOutputBytes
        context.frameBytes = frameBytes
        let profileName = models[model].profileName
        // Every client group naming this model reads the same profiles: once per model.
        if predictedLayers[model] == nil {
            var micros: [String: [Double]] = [:], names: [String] = []
            for entry in library.entries where entry.key.model == profileName && entry.key.precision == "fp32" && entry.key.mpsLevel == 1 {
                guard micros[entry.key.gpu] == nil, let p = try library.load(entry.key), let b1 = p.batchSizes.firstIndex(of: 1),
                      p.granularity == "layer" else { continue }
                inputs.note(entry.path)
                micros[entry.key.gpu] = p.layers.map { $0.meanUs[b1] }
                if names.isEmpty { names = p.layers.map(\.name) }
            }
            predictedLayers[model] = (micros, names)
        }
        (context.layerMicros, context.layerNames) = predictedLayers[model]!
        if let device { context.deviceLayerMicros = context.layerMicros[device] }
        if compressionZoo == nil {
            let path = ProfileLibrary.bundledWorkloadsFile("models/compression.json")
            compressionZoo = try path.flatMap { p throws(ConfigError) in FileManager.default.fileExists(atPath: p) ? try CompressionZoo.load(path: p) : nil } ?? [:]
        }
        context.compression = compressionZoo?[profileName]
        return context
    }

    /// The number of layers of a model's profiles (nil for a whole-model table or no profile).
    mutating func layerCount(of m: Int) throws(ConfigError) -> Int? {
        if models[m].spec.latency != nil { return nil }
        if !models[m].spec.layerOutputBytes.isEmpty { return models[m].spec.layerOutputBytes.count }
        // From the first folder that has the model (the scenario's own before $ARSIM_PROFILES and the
        // bundled ones), FP32 first (cut sizes are FP32 activations unless only another precision is
        // profiled), so that its layers are those the run will use.
        let candidates = library.entries.filter { $0.key.model == models[m].profileName && $0.key.mpsLevel == 1 }
        let roots = library.roots
        func rank(_ e: ProfileLibrary.Entry) -> (Int, Int) {
            (roots.firstIndex { e.path.hasPrefix($0) } ?? Int.max, e.key.precision == "fp32" ? 0 : 1)
        }
        guard let entry = candidates.min(by: { rank($0) < rank($1) }),
              let profile = try library.load(entry.key) else { return nil }
        inputs.note(entry.path)
        models[m].spec.layerOutputBytes = profile.layers.map(\.outputBytes)
        models[m].spec.weightBytes = profile.weightBytes ?? 0
        models[m].layersFrom = entry.path
        return profile.layers.count
    }

    /// The model's latency on the client's device type, from its profile.
    mutating func deviceTable(model m: Int, device: String?, at node: ConfigNode?, required: Bool) throws(ConfigError) -> LatencyTable? {
        guard let device, let node else { return nil }
        let key = ProfileLibrary.Key(gpu: device, model: models[m].profileName, precision: "fp32")
        if library.entry(key) == nil && !required { return nil }
        return try profileTable(model: m, gpu: device, precision: "fp32", mps: 1, at: node).0
    }

    mutating func fallback(_ node: ConfigNode, device: String?, deviceNode: ConfigNode?) throws(ConfigError) -> LocalFallback {
        let o = try node.object(ScenarioFormat.fallback)
        switch (o.optional("model"), o.optional("latency_ms")) {
        case (nil, .some):
            return LocalFallback(name: "local", latency: LatencyTable([(1, try o.requiredTime("latency_ms"))]))
        case (let m?, nil):
            let name = try m.string()
            guard let device else { throw m.error("a fallback model runs on the client's device: give the client a \"device\" GPU type") }
            let profileName = models.first { $0.spec.name == name }?.profileName ?? name
            let key = ProfileLibrary.Key(gpu: device, model: profileName, precision: "fp32")
            guard let profile = try library.load(key) else {
                throw m.error("no profile for model \"\(profileName)\" on the device \"\(device)\" (fp32); see `arsim profiles list`")
            }
            inputs.note(library.entry(key)!.path)
            do {
                return LocalFallback(name: name, latency: try ProfileLatency(profile: profile).table)
            } catch {
                throw m.error("cannot use the profile: \(error)")
            }
        case (.some, .some):
            throw try o.required("latency_ms").error("give either model or latency_ms, not both")
        case (nil, nil):
            throw o.error("a fallback needs \"model\" (profiled on the device) or \"latency_ms\"")
        }
    }

    func accuracy(_ node: ConfigNode) throws(ConfigError) -> AccuracyModel {
        let o = try node.object(ScenarioFormat.accuracy)
        func share(_ key: String, _ value: Double) throws(ConfigError) -> Double {
            guard let n = o.optional(key) else { return value }
            let v = try n.nonNegativeDouble()
            if v > 1 { throw n.error("an accuracy is between 0 and 1, got \(Suggestion.format(v))") }
            return v
        }
        let server = try share("server", 1)
        for key in ["local", "floor"] where try share(key, 0) > server {
            throw try o.required(key).error("must not be above the server's accuracy (\(Suggestion.format(server))), got \(Suggestion.format(try share(key, 0)))")
        }
        var model = AccuracyModel(server: server, local: try share("local", 0),
                                  perFrame: try o.number("per_frame") ?? 0,
                                  perDegree: try o.number("per_degree") ?? 0,
                                  floor: try share("floor", 0))
        model.showNewest = try o.optional("show")?.choice(["best", "newest"]) == "newest"
        return model
    }

    // MARK: Frames and arrivals

    func arrivals(_ o: ConfigObject, fps: Double) throws(ConfigError) -> ArrivalProcess {
        let period = 1000 / fps
        let kind = try o.optional("arrivals")?.choice(["periodic", "poisson"]) ?? "periodic"
        if kind == "poisson" {
            for key in ["jitter_ms", "phase_ms"] {
                if let n = o.optional(key) { throw n.error("only periodic arrivals take \(key); Poisson arrivals have no period") }
            }
            return .poisson(rate: fps)
        }
        let jitterNS = try o.time("jitter_ms") ?? 0
        let jitter = Double(jitterNS) / 1e6
        if jitter >= period {
            throw try o.required("jitter_ms").error("must be less than the frame interval (\(Suggestion.format(period)) ms at \(Suggestion.format(fps)) fps), so frames stay in order")
        }
        var phase: SimTime?
        if let n = o.optional("phase_ms") {
            let p = try o.requiredTime("phase_ms")
            if Double(p) / 1e6 >= period { throw n.error("must be less than the frame interval (\(Suggestion.format(period)) ms)") }
            phase = p
        }
        return .periodic(fps: fps, jitter: jitterNS, phase: phase)
    }

    /// `frame_bytes`, or `frame`: width × height × bits per pixel of the encoding.
    func frameBytes(_ o: ConfigObject) throws(ConfigError) -> Int {
        switch (o.optional("frame_bytes"), o.optional("frame")) {
        case (.some, nil): return try o.requiredInt("frame_bytes")
        case (nil, let f?):
            let fo = try f.object(ScenarioFormat.frame)
            let w = try fo.requiredInt("width"), h = try fo.requiredInt("height")
            let bpp = try fo.requiredNumber("bits_per_pixel")
            let bytes = (Double(w) * Double(h) * bpp / 8).rounded(.up)
            if bytes > Double(Bounds.maxBytes) { throw f.error("a frame of \(Suggestion.format(bytes)) bytes is more than \(Bounds.maxBytes)") }
            return Int(bytes)
        case (.some, .some): throw try o.required("frame").error("give frame_bytes or frame, not both")
        case (nil, nil): return 0
        }
    }

    // MARK: Motion and mobility

    func motionTrace(fromFile o: ConfigObject, fps: Double) throws(ConfigError) -> MotionTrace {
        for key in ["mean_deg_s", "cv", "step_ms"] {
            if let n = o.optional(key) { throw n.error("a trajectory read from a file takes no \(key)") }
        }
        let fileNode = try o.required("file")
        let path = resolve(try fileNode.string())
        guard FileManager.default.fileExists(atPath: path) else { throw fileNode.error("no file at \(path)") }
        let text = try NetworkTraces.read(path: path)
        inputs.note(path, text: text)
        // Orientations are resampled at the frame interval, which also smooths capture jitter.
        let step = Time.seconds(1 / fps)
        switch try o.required("format").choice(["tum", "kitti"]) {
        case "tum":
            if let n = o.optional("times_file") { throw n.error("only KITTI trajectories have a separate times file") }
            return try MotionTraces.tum(text: text, file: path, resample: step)
        default:
            let timesNode = try o.required("times_file")
            let timesPath = resolve(try timesNode.string())
            guard FileManager.default.fileExists(atPath: timesPath) else { throw timesNode.error("no file at \(timesPath)") }
            let times = try NetworkTraces.read(path: timesPath)
            inputs.note(timesPath, text: times)
            return try MotionTraces.kitti(poses: text, times: times, file: path, resample: step)
        }
    }

    func mobility(_ node: ConfigNode?, start: Int) throws(ConfigError) -> [Handover] {
        guard let node else { return [] }
        var steps: [Handover] = []
        for item in try node.array() {
            let o = try item.object(ScenarioFormat.mobilityStep)
            let atNode = try o.required("at_s")
            let at = try o.requiredTime("at_s")
            if let last = steps.last, at <= last.time { throw atNode.error("moves must be in time order") }
            let siteNode = try o.required("site")
            let site = try lookup(siteNode, in: siteNames, kind: "site")
            if site == cloud { throw siteNode.error("clients attach at edge sites; \"\(siteNames[site])\" is the cloud") }
            steps.append(Handover(time: at, site: site))
        }
        return steps
    }

    func migration(_ node: ConfigNode?) throws(ConfigError) -> MigrationPolicy {
        guard let node else { return .stay }
        if case .string = node.value.kind {
            _ = try node.choice(["stay"])
            return .stay
        }
        let o = try node.object(ScenarioFormat.migration)
        return .migrate(stateBytes: try o.requiredInt("state_bytes"))
    }
}

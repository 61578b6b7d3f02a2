import SimKernel

extension World {
    /// A GPU takes the first `size` waiting requests of a queue and runs them as one batch
    /// through that queue's layers. False (and the run fails) when the policy asked for a batch
    /// that cannot run.
    @discardableResult
    mutating func startBatch(server s: Int, gpu g: Int, queue: Int, size: Int, scheduler: inout Scheduler<WorldEvent>) -> Bool {
        guard !servers[s].gpus[g].busy else {
            policyError("server \(spec.servers[s].name): GPU \(g) was asked to start a batch while running one")
            return false
        }
        guard size >= 1 && size <= servers[s].queues.count(queue: queue) else {
            policyError("server \(spec.servers[s].name): its policy \(type(of: servers[s].policy)) asked for a batch of \(size) "
                        + "with \(servers[s].queues.count(queue: queue)) waiting")
            return false
        }
        let model = servers[s].queues.model(ofQueue: queue)
        let layers = servers[s].queues.layers[queue]
        // Read through the array, not into a local: a copy of the table would retain its arrays.
        guard let whole = servers[s].tables[model]?.latency(batchSize: size, layers: layers) else {
            policyError("server \(spec.servers[s].name): its policy \(type(of: servers[s].policy)) chose batch size \(size), "
                        + "which model \(spec.models[model].name) has no latency for here")
            return false
        }
        let slowdown = servers[s].gpus[g].slowdown
        let mean = slowdown == 1 ? whole : SimTime((Double(whole) * slowdown).rounded())
        let now = scheduler.now
        let batch = nextBatchID
        nextBatchID += 1
        // Fields are written in place: copying the GPU out would copy its member list too.
        servers[s].gpus[g].members.removeAll(keepingCapacity: true)
        servers[s].gpus[g].memberClients.removeAll(keepingCapacity: true)
        for _ in 0..<size {
            let slot = servers[s].queues.removeFirst(queue: queue).slot
            requests[slot].batch = batch
            requests[slot].batchSize = Int32(size)
            requests[slot].gpu = Int32(g)
            if requests[slot].batchStart < 0 { requests[slot].batchStart = now }
            servers[s].gpus[g].members.append(slot)
            servers[s].gpus[g].memberClients.append(requests[slot].client)
        }
        queueChanged(server: s, at: now)
        let factor: Double
        if servers[s].variability == .measured {
            let cv = servers[s].tables[model]?.spread(batchSize: size)
            factor = ServiceVariability.measured.factor(cv: cv).sample(&servers[s].gpus[g].rng)
        } else {
            let distribution = servers[s].serviceFactor
            factor = distribution.sample(&servers[s].gpus[g].rng)
        }
        var service = SimTime((Double(mean) * factor).rounded())
        if let step = servers[s].interference?.step, step > 0, let slowdown = servers[s].interferenceFactor {
            while servers[s].gpus[g].interferenceUntil <= now {
                servers[s].gpus[g].interference = slowdown.sample(&servers[s].gpus[g].interferenceRNG)
                servers[s].gpus[g].interferenceUntil += step
            }
            service = SimTime((Double(service) * servers[s].gpus[g].interference).rounded())
        }
        servers[s].gpus[g].busy = true
        servers[s].gpus[g].batch = batch
        servers[s].gpus[g].queue = queue
        servers[s].gpus[g].started = now
        servers[s].gpus[g].profiled = mean
        servers[s].gpus[g].finishEvent = scheduler.schedule(.batchFinished(server: Int32(s), gpu: Int32(g)), after: service)
        if !groups.isEmpty {
            // Under cancel-on-start, a copy that starts wins: its siblings leave their queues.
            for i in 0..<size {
                let slot = servers[s].gpus[g].members[i]
                if let group = groups[requests[slot].group], group.cancelOnStart, !group.done { win(slot, now: now, scheduler: &scheduler) }
            }
        }
        guard servers[s].notices.contains(.batches) else { return true }
        let worst = servers[s].tables[model]?.worstCase(batchSize: size, layers: layers)?.latency ?? whole
        servers[s].gpus[g].worstCase = slowdown == 1 ? worst : SimTime((Double(worst) * slowdown).rounded())
        var effects = PolicyEffects()
        servers[s].policy.batchStarted(batchNotice(server: s, gpu: g, actual: nil), effects: &effects)
        if !effects.isEmpty { apply(effects, owner: .server(Int32(s)), scheduler: &scheduler) }
        return true
    }

    /// The batch running (or just finished) on an executor, as its policy is told of it.
    func batchNotice(server s: Int, gpu g: Int, actual: SimTime?) -> BatchNotice {
        let queue = servers[s].gpus[g].queue
        return BatchNotice(gpu: g, queue: queue, model: servers[s].queues.model(ofQueue: queue), size: servers[s].gpus[g].members.count,
                           started: servers[s].gpus[g].started, profiled: servers[s].gpus[g].profiled,
                           worstCase: servers[s].gpus[g].worstCase, actual: actual)
    }

    /// A batch completes: each request goes on to its next stage (or its result goes back to its
    /// client), and the GPU is offered new work.
    mutating func batchFinished(server s32: Int32, gpu g32: Int32, scheduler: inout Scheduler<WorldEvent>) {
        endBatch(server: Int(s32), gpu: Int(g32), aborted: false, scheduler: &scheduler)
    }

    /// Stops a GPU's batch now (a redundant copy running alone that lost): its GPU time until now
    /// is recorded, its copy is cancelled, and the GPU is offered new work.
    mutating func abortBatch(server s: Int, gpu g: Int, scheduler: inout Scheduler<WorldEvent>) {
        if let event = servers[s].gpus[g].finishEvent { scheduler.cancel(event) }
        endBatch(server: s, gpu: g, aborted: true, scheduler: &scheduler)
    }

    /// The batch on an executor ends now, finished or aborted: recorded, its requests moved on (or
    /// cancelled), its policy told, and the executor offered new work.
    private mutating func endBatch(server s: Int, gpu g: Int, aborted: Bool, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        let size = servers[s].gpus[g].members.count
        let queue = servers[s].gpus[g].queue
        if recorder.recordTransfers {
            for i in 0..<size {
                recorder.outbox.members.append(BatchMember(batch: servers[s].gpus[g].batch, request: requests[servers[s].gpus[g].members[i]].id))
            }
        }
        let layers = servers[s].queues.layers[queue]
        recorder.batch(BatchRecord(id: servers[s].gpus[g].batch, server: Int32(s), gpu: Int32(g),
                                   model: Int32(servers[s].queues.model(ofQueue: queue)), size: Int32(size),
                                   start: servers[s].gpus[g].started, end: now,
                                   firstLayer: Int32(layers.lowerBound), endLayer: Int32(layers.upperBound)))
        prefetchWayBack(server: s, gpu: g)
        for i in 0..<size {
            let slot = servers[s].gpus[g].members[i]
            requests[slot].batchEnd = now
            outstanding[s] -= 1
            if aborted || isLosingCopy(slot, now: now, scheduler: &scheduler) {
                finish(slot, outcome: .cancelled, at: now)
            } else {
                advance(request: slot, from: .server(s), now: now, scheduler: &scheduler)
            }
        }
        servers[s].gpus[g].busy = false
        servers[s].gpus[g].finishEvent = nil
        if servers[s].notices.contains(.batches) {
            var effects = PolicyEffects()
            var notice = batchNotice(server: s, gpu: g, actual: now - servers[s].gpus[g].started)
            notice.aborted = aborted
            servers[s].policy.batchFinished(notice, effects: &effects)
            if !effects.isEmpty { apply(effects, owner: .server(Int32(s)), scheduler: &scheduler) }
        }
        dispatch(server: s, scheduler: &scheduler)
    }
}

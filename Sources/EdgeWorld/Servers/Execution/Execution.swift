import SimKernel

extension World {
    /// A GPU takes the first `size` waiting requests of `model` and runs them as one batch.
    mutating func startBatch(server s: Int, gpu g: Int, model: Int, size: Int, scheduler: inout Scheduler<WorldEvent>) {
        precondition(size >= 1 && size <= servers[s].queues.count(model: model),
                     "policy asked for a batch of \(size) with \(servers[s].queues.count(model: model)) waiting")
        let head = servers[s].queues.head(model: model)!.slot
        let layers = Int(requests[head].firstLayer)..<Int(requests[head].endLayer)
        guard let table = servers[s].tables[model], let mean = table.latency(batchSize: size, layers: layers) else {
            preconditionFailure("policy chose batch size \(size), which model \(spec.models[model].name) has no latency for")
        }
        let now = scheduler.now
        let batch = nextBatchID
        nextBatchID += 1
        // Fields are written in place: copying the GPU out would copy its member list too.
        servers[s].gpus[g].members.removeAll(keepingCapacity: true)
        for _ in 0..<size {
            let slot = servers[s].queues.removeFirst(model: model).slot
            requests[slot].batch = batch
            requests[slot].batchSize = Int32(size)
            requests[slot].gpu = Int32(g)
            requests[slot].batchStart = now
            servers[s].gpus[g].members.append(slot)
        }
        let factorDistribution = servers[s].variability == .measured
            ? ServiceVariability.measured.factor(cv: table.spread(batchSize: size))
            : servers[s].serviceFactor
        let factor = factorDistribution.sample(&servers[s].gpus[g].rng)
        let service = SimTime((Double(mean) * factor).rounded())
        servers[s].gpus[g].busy = true
        servers[s].gpus[g].batch = batch
        servers[s].gpus[g].model = model
        servers[s].gpus[g].started = now
        scheduler.schedule(.batchFinished(server: Int32(s), gpu: Int32(g)), after: service)
    }

    /// A batch completes: each result goes back over its client's downlink, and the GPU is
    /// offered new work.
    mutating func batchFinished(server s: Int32, gpu g: Int32, scheduler: inout Scheduler<WorldEvent>) {
        let now = scheduler.now
        let server = Int(s), index = Int(g)
        let size = servers[server].gpus[index].members.count
        recorder.batch(BatchRecord(id: servers[server].gpus[index].batch, server: s, gpu: g,
                                   model: Int32(servers[server].gpus[index].model), size: Int32(size),
                                   start: servers[server].gpus[index].started, end: now))
        for i in 0..<size {
            let slot = servers[server].gpus[index].members[i]
            requests[slot].batchEnd = now
            let c = Int(requests[slot].client)
            let (_, arrival) = clients[c].downlink.send(bytes: spec.clients[c].resultBytes, at: now)
            scheduler.schedule(.resultDelivered(request: slot), at: arrival)
        }
        servers[server].gpus[index].busy = false
        dispatch(server: server, scheduler: &scheduler)
    }
}

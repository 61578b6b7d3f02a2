import SimKernel

/// PHOLD (Fujimoto 1990), the standard synthetic load for event-queue engines: every event at an
/// entity schedules one new event at a uniformly random entity after an exponential delay, so
/// the number pending stays constant.
public struct PHOLDModel: EventHandler {
    public typealias Event = Int32   // the destination entity

    let delay: Distribution
    var streams: [RandomStream]

    public init(entities: Int, meanDelay: SimTime, seed: UInt64) {
        delay = .exponential(mean: Double(meanDelay))
        streams = (0..<entities).map { RandomStream(seed: seed, name: "phold/entity/\($0)") }
    }

    /// A simulation with `pendingPerEntity` initial events per entity.
    public static func start(_ model: PHOLDModel, pendingPerEntity: Int) -> Simulation<PHOLDModel> {
        var sim = Simulation(model: model)
        for entity in 0..<sim.model.streams.count {
            for _ in 0..<pendingPerEntity {
                let t = SimTime(sim.model.delay.sample(&sim.model.streams[entity]))
                sim.scheduler.schedule(Int32(entity), at: t)
            }
        }
        return sim
    }

    public mutating func handle(_ entity: Int32, scheduler: inout Scheduler<Int32>) {
        let i = Int(entity)
        let destination = streams[i].nextIndex(below: streams.count)
        let d = SimTime(delay.sample(&streams[i]))
        scheduler.schedule(Int32(truncatingIfNeeded: destination), after: d)
    }
}

import SimKernel

/// The bare-kernel M/M/1 queue of `arsim bench`: Poisson arrivals, one exponential server,
/// FIFO. Two events per customer (arrival, departure); no AR world involved.
public struct MM1Model: EventHandler {
    public enum Event { case arrival, departure }

    let interarrival: Distribution
    let service: Distribution
    var arrivals: RandomStream
    var services: RandomStream
    let customers: Int
    var generated = 0
    var waiting = 0
    var busy = false
    public private(set) var served = 0
    /// Sum over customers of the time spent in the system, for the sanity check in the report.
    public private(set) var totalSojourn: SimTime = 0
    var arrivalTimes: [SimTime] = []   // ring buffer of the waiting customers' arrival times
    var head = 0

    public init(arrivalRate: Double, serviceRate: Double, customers: Int, seed: UInt64) {
        interarrival = .exponential(mean: 1e9 / arrivalRate)
        service = .exponential(mean: 1e9 / serviceRate)
        arrivals = RandomStream(seed: seed, name: "mm1/arrivals")
        services = RandomStream(seed: seed, name: "mm1/service")
        self.customers = customers
        arrivalTimes.reserveCapacity(1024)
    }

    public static func start(_ model: MM1Model) -> Simulation<MM1Model> {
        var sim = Simulation(model: model)
        sim.scheduler.schedule(.arrival, at: 0)
        return sim
    }

    public mutating func handle(_ event: Event, scheduler: inout Scheduler<Event>) {
        let now = scheduler.now
        switch event {
        case .arrival:
            generated += 1
            if generated < customers {
                scheduler.schedule(.arrival, after: SimTime(interarrival.sample(&arrivals)))
            }
            arrivalTimes.append(now)
            if busy {
                waiting += 1
            } else {
                busy = true
                scheduler.schedule(.departure, after: SimTime(service.sample(&services)))
            }
        case .departure:
            served += 1
            totalSojourn += now - arrivalTimes[head]
            head += 1
            if head == arrivalTimes.count || head > 4096 {
                arrivalTimes.removeFirst(head)
                head = 0
            }
            if waiting > 0 {
                waiting -= 1
                scheduler.schedule(.departure, after: SimTime(service.sample(&services)))
            } else {
                busy = false
            }
        }
    }
}

import SimKernel
import XCTest

/// A model that logs what it handles and can schedule follow-ups or cancel others.
private struct Recorder: EventHandler {
    enum Event: Equatable {
        case log(String)
        case spawn(String, after: SimTime)
        case cancelPending
    }

    var log: [(SimTime, String)] = []
    var pending: EventID?

    mutating func handle(_ event: Event, scheduler: inout Scheduler<Event>) {
        switch event {
        case .log(let s):
            log.append((scheduler.now, s))
        case .spawn(let s, let delay):
            log.append((scheduler.now, "spawn"))
            pending = scheduler.schedule(.log(s), after: delay)
        case .cancelPending:
            if let pending { XCTAssertTrue(scheduler.cancel(pending)) }
        }
    }
}

/// Every event schedules two more: the number pending grows by one per event.
private struct Doubling: EventHandler {
    mutating func handle(_ event: Int, scheduler: inout Scheduler<Int>) {
        scheduler.schedule(event + 1, after: 1)
        scheduler.schedule(event + 1, after: 2)
    }
}

final class SimulationTests: XCTestCase {
    /// A queue that holds at most 100 events refuses the 101st: the run stops with
    /// `.queueLimit` and says why, instead of trapping. One is pending at the start and each event
    /// adds one: the 100th event's second follow-up is the one refused.
    func testQueueLimitStopsTheRun() {
        var sim = Simulation(model: Doubling())
        sim.scheduler = Scheduler(maxPending: 100)
        sim.scheduler.schedule(0, at: 0)
        XCTAssertEqual(sim.run(), .queueLimit)
        XCTAssertEqual(sim.eventsProcessed, 100)
        XCTAssertEqual(sim.scheduler.queueLimitReached, "the event queue is full: more than 100 events pending at once (cancelled ones count until they reach the top)")
        XCTAssertEqual(sim.scheduler.pendingCount, 100)
        XCTAssertEqual(sim.run(), .queueLimit, "a run that lost an event does not go on")
        XCTAssertEqual(sim.eventsProcessed, 100)
    }

    func testRunsToEndTimeAndAdvancesClock() {
        var sim = Simulation(model: Recorder())
        sim.scheduler.schedule(.log("a"), at: 10)
        sim.scheduler.schedule(.log("b"), at: 20)
        sim.scheduler.schedule(.log("c"), at: 30)
        XCTAssertEqual(sim.run(until: 20), .reachedEndTime)
        XCTAssertEqual(sim.model.log.map(\.1), ["a", "b"], "an event at exactly the end time runs")
        XCTAssertEqual(sim.now, 20)
        XCTAssertEqual(sim.run(until: 25), .reachedEndTime)
        XCTAssertEqual(sim.now, 25, "the clock reaches the end time even with no event there")
        XCTAssertEqual(sim.run(), .queueEmpty)
        XCTAssertEqual(sim.model.log.map(\.1), ["a", "b", "c"])
        XCTAssertEqual(sim.eventsProcessed, 3)
    }

    func testEventBudgetStopsAndResumes() {
        var sim = Simulation(model: Recorder())
        for i in 0..<10 { sim.scheduler.schedule(.log("\(i)"), at: SimTime(i)) }
        XCTAssertEqual(sim.run(maxEvents: 4), .eventBudget)
        XCTAssertEqual(sim.model.log.count, 4)
        XCTAssertEqual(sim.run(maxEvents: 100), .queueEmpty)
        XCTAssertEqual(sim.model.log.map(\.1), (0..<10).map(String.init))
    }

    func testZeroDelayEventRunsAfterCurrentEventsAtSameTime() {
        var sim = Simulation(model: Recorder())
        sim.scheduler.schedule(.spawn("child", after: 0), at: 5)
        sim.scheduler.schedule(.log("sibling"), at: 5)
        _ = sim.run()
        XCTAssertEqual(sim.model.log.map(\.1), ["spawn", "sibling", "child"])
        XCTAssertEqual(sim.model.log.map(\.0), [5, 5, 5])
    }

    func testHandlerCanCancelPendingEvent() {
        var sim = Simulation(model: Recorder())
        sim.scheduler.schedule(.spawn("doomed", after: 100), at: 0)
        sim.scheduler.schedule(.cancelPending, at: 50)
        sim.scheduler.schedule(.log("end"), at: 200)
        _ = sim.run()
        XCTAssertEqual(sim.model.log.map(\.1), ["spawn", "end"])
        XCTAssertEqual(sim.scheduler.pendingCount, 0)
    }

    func testCancellingAnEventThatRanReturnsFalse() {
        var sim = Simulation(model: Recorder())
        let id = sim.scheduler.schedule(.log("x"), at: 1)
        _ = sim.run()
        XCTAssertFalse(sim.scheduler.cancel(id))
    }
}

import EdgeWorld
import Foundation
import ResultsStore
import Scenario
import SimKernel

public enum ArsimVersion {
    public static let current = "0.1.0"
}

/// A policy broke its contract during the run (named in the message); the run is failed.
public struct PolicyFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "policy error: \(message)" }
}

/// The world scheduled more events than the kernel's queue holds (`EventQueue.maxPending` at
/// once, `EventQueue.maxScheduled` in a run).
public struct QueueLimit: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The world grew past the memory the process may use (`RunMemory.outgrown`).
public struct MemoryLimit: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// How a run ended, with what it measured.
public struct RunOutcome: Sendable {
    public var runID: Int64?
    public var status: RunStatus
    public var summary: RunSummary
    public var eventsProcessed: UInt64
    public var simulatedEnd: SimTime
    public var wallSeconds: Double
}

/// Drives one scenario from start to end: the world runs in slices of events; between slices the
/// rows it produced go to the results store (written on a second thread while the next slice runs,
/// `SliceWriter`) and the interrupt flag is checked. The `runs` row is
/// written first and completed last, so the database always says how the run ended.
public struct Runner {
    public var scenario: Scenario
    /// Events per slice: bounds the rows held in memory, three slices' worth at most (the one the
    /// world fills and two waiting for the writer, `SliceWriter`). The first slice is 4,096
    /// events (a sixteenth of the default; never more than this, never less than a sixteenth of
    /// it) and each next one twice the last, so that the writer starts early instead of idling
    /// through a whole first slice.
    public var sliceEvents: UInt64 = 1 << 16
    /// Recorded in the runs table: a name for the run, and the sweep point it belongs to.
    public var label: String?
    public var sweep: SweepTag?
    /// Where the run's rows also go as a Perfetto trace (`arsim run --trace`).
    public var trace: TraceWriter?

    public init(scenario: Scenario) {
        self.scenario = scenario
    }

    /// Runs the scenario. With a store, every row goes to it; without, only the summary is kept
    /// (tests and benchmarks). `shouldStop` is polled between slices (a SIGINT flag); an error it
    /// throws fails the run like any other. Until this returns the store is the runner's: its
    /// rows are written on a second thread, so `shouldStop` must not use it.
    public func run(store: ResultsStore?, shouldStop: () throws -> Bool = { false }) throws -> RunOutcome {
        var spec = scenario.spec
        // A trace draws every transfer on its link; nothing else keeps them.
        if trace != nil { spec.recordTransfers = true }
        let clock = ContinuousClock()
        let started = clock.now
        var info = RunInfo(
            scenarioName: scenario.name, scenarioFile: scenario.file, scenarioJSON: scenario.text,
            seed: spec.seed, detail: spec.detail, arsimVersion: ArsimVersion.current,
            latencySources: spec.latencySources, digest: scenario.digest)
        info.label = label
        info.overrides = scenario.overrides.map(\.assignment)
        info.sweep = sweep
        let runID = try store?.beginRun(info)
        var sim = World.simulation(spec)
        var status = RunStatus.completed
        let writer = store.flatMap { store in runID.map { SliceWriter(store: store, run: $0, spec: spec) } }
        let memory = RunMemory()
        var slice = max(sliceEvents / 16, min(sliceEvents, 4_096))
        do {
            loop: while true {
                let reason = sim.run(until: spec.endTime, maxEvents: slice)
                slice = min(slice * 2, sliceEvents)
                if let failure = sim.model.failure { throw PolicyFailure(message: failure) }
                let rows = sim.model.takeOutbox()
                try trace?.write(rows)
                try writer?.submit(rows)
                if let message = memory.outgrown() { throw MemoryLimit(message: message) }
                switch reason {
                case .queueEmpty, .reachedEndTime: break loop
                case .eventBudget: if try shouldStop() { status = .interrupted; break loop }
                case .queueLimit: throw QueueLimit(message: sim.scheduler.queueLimitReached ?? "the event queue is full")
                }
            }
            let summary = sim.model.finish(at: sim.now, interrupted: status == .interrupted)
            let rows = sim.model.takeOutbox()
            try trace?.write(rows)
            try trace?.close()
            try writer?.submit(rows)
            try writer?.finish()
            let wall = seconds(clock.now - started)
            if let store, let runID {
                try store.finishRun(runID, status: status, summary: summary, eventsProcessed: sim.eventsProcessed,
                                    simulatedEnd: sim.now, wallSeconds: wall,
                                    error: status == .interrupted ? "interrupted by signal" : nil)
            }
            return RunOutcome(runID: runID, status: status, summary: summary, eventsProcessed: sim.eventsProcessed,
                              simulatedEnd: sim.now, wallSeconds: wall)
        } catch {
            // A failed run still ends its trace, so that what was written is a readable file.
            try? trace?.close()
            writer?.abandon()
            if let store, let runID { store.markFailed(runID, error: "\(error)") }
            throw error
        }
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

import ArgumentParser
import Benchmarks
import CPHOLDReference
import EdgeWorld
import Foundation
import JSONConfig
import Runner
import Scenario
import SimKernel
import Workbench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure simulator speed: events per second and wall time.",
        discussion: """
            (a) mm1: the bare kernel on an M/M/1 queue (rho = 0.9); \
            (b) phold: the bare kernel on PHOLD, 1,024 entities with 16 pending events each \
            (--phold-entities, --phold-pending), beside the same load on a plain C++ \
            std::priority_queue built at -O2 (Sources/CPHOLDReference), \
            exponential delays, uniformly random destinations; \
            (c) world: a 1,000-client scenario of the first world, summary detail, no database. \
            For (c) the resident memory is sampled at a quarter, half, three quarters and the \
            end of simulated time: in summary mode it must not grow with simulated time. \
            (d) sweep (only when asked, --only sweep): Workloads/bench/sweep-jobs.json, eight \
            runs of about a second each, with --jobs 1 and --jobs 2 in turn (A B A B), whole \
            processes; then the overhead of one `arsim run` process around a near-empty run. \
            (e) detail (only when asked, --only detail): quickstart stretched to \
            --detail-seconds, whole `arsim run` processes at --detail summary and --detail \
            requests in turn (A B A B, five pairs), each into a fresh database: the time ratio, \
            rows written per second and database bytes per request.

            Build with `make build` first (a release build with LTO); a debug build is 10-50x slower.
            """)

    @Option(help: "Which benchmarks: mm1, phold, world, sweep, detail (comma-separated).")
    var only: String = "mm1,phold,world"

    @Option(help: "Customers for (a).")
    var customers: Int = 10_000_000

    @Option(help: "Events for (b).")
    var pholdEvents: UInt64 = 20_000_000

    @Option(help: "Entities for (b).")
    var pholdEntities: Int = 1024

    @Option(help: "Pending events per entity for (b) (1,048,576 pending: --phold-entities 65536 --phold-pending 16).")
    var pholdPending: Int = 16

    @Option(help: "Clients for (c).")
    var clients: Int = 1_000

    @Option(help: "Simulated seconds for (c).")
    var seconds: Double = 60

    @Option(help: "Bench this scenario file instead of the built-in (c) world.")
    var scenario: String?

    @Option(name: .customLong("set"), help: "With --scenario: override a value, as in arsim run (repeatable).")
    var overrides: [String] = []

    @Option(help: "Simulated seconds of quickstart for (e), more than its 2 s of warm-up.")
    var detailSeconds: Double = 120

    func run() throws {
        let chosen = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known = ["mm1", "phold", "world", "sweep", "detail"]
        for name in chosen where !known.contains(name) {
            throw fail("--only: " + Suggestion.unknownName(name, kind: "benchmark", valid: known), code: 2)
        }
        if chosen.isEmpty { throw fail("--only: expected one or more of \(known.joined(separator: ", ")), got nothing", code: 2) }
        if chosen.contains("phold") { try checkPHOLDSize() }
        guard (1...1_000_000_000).contains(customers) else {
            throw fail("--customers: expected 1 to 1,000,000,000, got \(customers)", code: 2)
        }
        if scenario == nil && !overrides.isEmpty {
            throw fail("--set: overrides need --scenario (the built-in world has no file to override)", code: 2)
        }
        if chosen.contains("world") && scenario == nil {
            guard clients >= 1 else { throw fail("--clients: expected at least 1, got \(clients)", code: 2) }
            if let refusal = MemoryBudget.refusal(clients: clients) { throw fail("--clients: " + refusal, code: 2) }
            guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw fail("--seconds: expected more than 0 and at most 86400 simulated seconds, got \(seconds)", code: 2)
            }
        }
        guard detailSeconds > 2 && detailSeconds <= 86_400 else {
            throw fail("--detail-seconds: expected more than quickstart's 2 s of warm-up and at most 86400, got \(detailSeconds)", code: 2)
        }
        #if DEBUG
        note("arsim bench: this is a debug build; figures are not representative (use make build)")
        #endif
        print("arsim \(ArsimVersion.current) bench · one thread · \(ProcessInfo.processInfo.processorCount) cores present")
        print(line(["benchmark", "events", "wall s", "M events/s", "target", "peak RSS MiB"]))
        if chosen.contains("mm1") {
            let clock = ContinuousClock()
            var sim = MM1Model.start(MM1Model(arrivalRate: 0.9, serviceRate: 1.0, customers: customers, seed: 1))
            let start = clock.now
            _ = sim.run()
            let wall = seconds(clock.now - start)
            print(row("(a) mm1, \(grouped(UInt64(customers))) customers", sim.eventsProcessed, wall, target: 20))
        }
        if chosen.contains("phold") {
            let clock = ContinuousClock()
            let label = "\(grouped(UInt64(pholdEntities))) x \(pholdPending) pending"
            var sim = PHOLDModel.start(PHOLDModel(entities: pholdEntities, meanDelay: 1_000_000, seed: 1), pendingPerEntity: pholdPending)
            let start = clock.now
            _ = sim.run(maxEvents: pholdEvents)
            let wall = seconds(clock.now - start)
            print(row("(b) phold, \(label)", sim.eventsProcessed, wall, target: 10))
            // The same load on a plain C++ std::priority_queue (Sources/CPHOLDReference), same process.
            let cxxStart = clock.now
            let reached = arsim_phold_reference(Int32(pholdEntities), Int32(pholdPending), 1_000_000, pholdEvents, 1)
            let cxxWall = seconds(clock.now - cxxStart)
            print(row("    C++ std::priority_queue", pholdEvents, cxxWall, target: nil))
            print("    arsim / C++ events per second: \(fixed(cxxWall / wall, 3))  (simulated time reached by C++: \(reached) ns)")
        }
        if chosen.contains("world") {
            try benchWorld()
        }
        if chosen.contains("sweep") {
            try benchSweep()
        }
        if chosen.contains("detail") {
            try benchDetail()
        }
    }

    /// A fresh folder for a benchmark's databases (the caller removes it), once the repository
    /// file it runs is found.
    func scratchDirectory(for benchmark: String, needing file: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: file) else { throw fail("\(benchmark) needs \(file): run from the repository", code: 2) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return scratch
    }

    /// A whole `arsim` process with these arguments, its output thrown away: its wall seconds.
    func timedProcess(_ args: [String], benchmark: String) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: WorkerPool.currentExecutable())
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let clock = ContinuousClock(), start = clock.now
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw fail("\(benchmark): arsim \(args.joined(separator: " ")) exited \(p.terminationStatus)", code: 1) }
        return seconds(clock.now - start)
    }

    /// Whole `arsim sweep` processes, --jobs 2 against --jobs 1, alternating so that drift in the
    /// machine's speed hits both alike; each into a fresh database.
    func benchSweep() throws {
        let file = "Workloads/bench/sweep-jobs.json"
        let scratch = try scratchDirectory(for: "(d)", needing: file)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func timed(_ args: [String]) throws -> Double { try timedProcess(args, benchmark: "(d)") }
        var one: [Double] = [], two: [Double] = []
        for i in 0..<2 {
            for (jobs, into) in [(1, 0), (2, 1)] {
                let db = scratch.appendingPathComponent("s\(i)-\(jobs).sqlite").path
                let t = try timed(["sweep", file, "--jobs", String(jobs), "--db", db, "--quiet"])
                if into == 0 { one.append(t) } else { two.append(t) }
            }
        }
        let ratios = zip(one, two).map { $0 / $1 }
        print("(d) sweep, 8 runs: --jobs 1 \(one.map { fixed($0, 2) }.joined(separator: ", ")) s; "
              + "--jobs 2 \(two.map { fixed($0, 2) }.joined(separator: ", ")) s; speed-up \(ratios.map { fixed($0, 2) }.joined(separator: ", "))x (target >= 1.8)")
        var overhead: [Double] = []
        for i in 0..<5 {
            overhead.append(try timed(["run", "Workloads/scenarios/ar-campus.json", "--set", "duration_s=0.01", "--set", "warmup_s=0",
                                       "--set", "drain_s=0", "--db", scratch.appendingPathComponent("o\(i).sqlite").path, "--quiet"]))
        }
        print("    one run's process, scenario and profile overhead (ar-campus, 10 ms simulated): median "
              + "\(fixed(overhead.sorted()[2] * 1000, 1)) ms")
    }

    func benchWorld() throws {
        var spec: WorldSpec
        var label: String
        if let scenario {
            do {
                let parsed = try overrides.map { text throws(ConfigError) in try Override(text) }
                spec = try Scenario.load(path: scenario, overrides: parsed).spec
            } catch {
                throw badInput(error)
            }
            label = "(c) \(spec.name)"
        } else {
            spec = WorldBenchmark.spec(clients: clients, seconds: seconds)
            label = "(c) world, \(grouped(UInt64(clients))) clients, \(fixed(seconds, 0)) s"
        }
        spec.detail = .summary
        let clock = ContinuousClock()
        var sim = World.simulation(spec)
        var samples: [String] = []
        let start = clock.now
        for quarter in 1...4 {
            let until = spec.duration / 4 * SimTime(quarter) + (quarter == 4 ? spec.drain : 0)
            var reason = StopReason.eventBudget
            while reason == .eventBudget {
                reason = sim.run(until: until, maxEvents: 1 << 20)
                _ = sim.model.takeOutbox()
            }
            if reason == .queueLimit { throw fail("bench: \(sim.scheduler.queueLimitReached ?? "the event queue is full")", code: 1) }
            samples.append(fixed(Memory.residentMiB(), 1))
        }
        _ = sim.model.finish(at: sim.now)
        let wall = seconds(clock.now - start)
        print(row(label, sim.eventsProcessed, wall, target: 2))
        print("    resident MiB at 1/4, 1/2, 3/4, end of simulated time: \(samples.joined(separator: ", "))")
        // Events per frame fall as clients are added (fuller batches: fewer batch ends and
        // wake-ups per request), so events per second alone compares unequal work per event.
        let frames = sim.model.framesCaptured
        if frames > 0 {
            print("    frames captured \(grouped(UInt64(frames))), events per frame \(fixed(Double(sim.eventsProcessed) / Double(frames), 2)), "
                  + "ns of run loop per frame \(fixed(wall * 1e9 / Double(frames), 0))")
        }
    }

    /// The PHOLD load must fit the event queue: entities × pending at once, events in one run.
    func checkPHOLDSize() throws {
        let most = EventQueue<Int32>.maxPending
        guard (1...most).contains(pholdEntities), (1...most).contains(pholdPending), pholdEntities * pholdPending <= most else {
            throw fail("--phold-entities x --phold-pending: expected at least 1 each and at most \(grouped(UInt64(most))) "
                       + "pending in all, got \(pholdEntities) x \(pholdPending)", code: 2)
        }
        guard pholdEvents < EventQueue<Int32>.maxScheduled - UInt64(most) else {
            throw fail("--phold-events: expected fewer than 2^40, got \(pholdEvents)", code: 2)
        }
    }

    func row(_ name: String, _ events: UInt64, _ wall: Double, target: Double?) -> String {
        let rate = Double(events) / wall / 1e6
        return line([name, grouped(events), fixed(wall, 3), fixed(rate, 2), target.map { ">= \(fixed($0, 0))" } ?? "-", fixed(Memory.peakMiB(), 1)])
    }

    /// One line of the report, in fixed-width columns so that lines printed as each benchmark
    /// ends still line up.
    func line(_ cells: [String]) -> String {
        let widths = [34, 12, 8, 11, 7, 13]
        return cells.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
            return i == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

enum Memory {
    /// Peak resident set size of this process so far.
    static func peakMiB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024   // Linux reports KiB
    }

    /// Current resident set size, from /proc/self/statm.
    static func residentMiB() -> Double {
        RunMemory.statm(field: 1).map { Double($0) / 1_048_576 } ?? .nan
    }
}

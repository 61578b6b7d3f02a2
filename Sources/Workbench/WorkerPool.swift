import Foundation
import ResultsStore

/// Runs jobs as `arsim run` worker processes, at most `parallel` at a time, all writing to one
/// results database (SQLite in WAL mode serialises their short write transactions; each waits
/// up to a minute for the lock, so none is lost).
///
/// Processes rather than threads: a run that traps or is killed takes only itself down, each
/// run is exactly what `arsim run` with the same arguments gives, and the runs table records
/// each worker's pid.
public struct WorkerPool {
    public enum Status: String, Sendable { case completed, skipped, failed, interrupted }

    public struct Outcome: Sendable {
        public var job: Job
        public var status: Status
        public var run: Int64?
        public var message: String?
    }

    public var executable: String
    public var scenarioPath: String
    public var database: String
    public var parallel: Int
    public var progress: Progress

    public init(executable: String, scenarioPath: String, database: String, parallel: Int, progress: Progress) {
        self.executable = executable
        self.scenarioPath = scenarioPath
        self.database = database
        self.parallel = max(1, parallel)
        self.progress = progress
    }

    /// The running arsim executable, for its workers.
    public static func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }

    func arguments(_ job: Job, sweep: Int64) -> [String] {
        // --option=value: a label or value that starts with '-' stays a value.
        var args = ["run", scenarioPath, "--db=\(database)", "--quiet", "--seed=\(job.seed)",
                    "--label=\(job.label)", "--sweep-tag=\(SweepTag(sweepID: sweep, point: job.point, replication: job.replication).text)"]
        for o in job.overrides { args.append("--set=\(o.assignment)") }
        return args
    }

    /// Runs `jobs` (skipping, with `resume`, those whose digest already has a completed run) and
    /// returns one outcome per job, in job order. `shouldStop` is polled; once it says stop, no
    /// new worker starts and the running ones are sent SIGINT (they mark their runs interrupted).
    ///
    /// `urgent` (a second Ctrl-C) kills the running workers outright; their runs, left
    /// `running`, are marked interrupted when the database is next opened for writing.
    public mutating func run(_ jobs: [Job], sweep: Int64, store: ResultsStore, resume: Bool,
                             shouldStop: () -> Bool, urgent: () -> Bool = { false }) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: jobs.count)
        var pending: [Int] = []
        for (i, job) in jobs.enumerated() {
            if resume, let run = try store.completedRun(digest: job.digest) {
                outcomes[i] = Outcome(job: job, status: .skipped, run: run)
                progress.finished(events: 0, skipped: true)
            } else {
                pending.append(i)
            }
        }
        pending.reverse()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-sweep-\(getpid())-\(sweep)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var running: [(index: Int, process: Process, log: URL)] = []
        var stopping = false
        var terminated = false
        var done = false
        // If anything throws below (a database error, a worker that cannot start), the workers
        // still running are stopped rather than left behind.
        defer { if !done { for r in running where r.process.isRunning { kill(r.process.processIdentifier, SIGTERM) } } }
        while !pending.isEmpty || !running.isEmpty {
            if !stopping && shouldStop() {
                stopping = true
                for r in running { kill(r.process.processIdentifier, SIGINT) }
            }
            if stopping && !terminated && urgent() {
                terminated = true
                for r in running { kill(r.process.processIdentifier, SIGKILL) }
            }
            while !stopping, running.count < parallel, let i = pending.popLast() {
                let log = scratch.appendingPathComponent("job-\(i).log")
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = arguments(jobs[i], sweep: sweep)
                p.standardOutput = FileHandle.nullDevice
                p.standardError = try FileHandle(forWritingTo: log)
                p.standardInput = FileHandle.nullDevice
                try p.run()
                running.append((i, p, log))
            }
            if stopping && running.isEmpty { break }
            usleep(5_000)
            var still: [(index: Int, process: Process, log: URL)] = []
            for r in running {
                if r.process.isRunning { still.append(r); continue }
                let job = jobs[r.index]
                let tag = SweepTag(sweepID: sweep, point: job.point, replication: job.replication)
                let row = try store.run(tagged: tag, pid: r.process.processIdentifier)
                let stderr = (try? String(contentsOf: r.log, encoding: .utf8)) ?? ""
                let lastLine = stderr.split(separator: "\n").last.map(String.init)
                switch (r.process.terminationStatus, row) {
                case (0, let row?) where row.status == "completed":
                    outcomes[r.index] = Outcome(job: job, status: .completed, run: row.id)
                    progress.finished(events: row.events, skipped: false)
                case _ where r.process.terminationStatus == 130 || row?.status == "interrupted"
                            || (r.process.terminationReason == .uncaughtSignal && stopping):
                    outcomes[r.index] = Outcome(job: job, status: .interrupted, run: row?.id, message: "interrupted")
                default:
                    let why = row?.error ?? lastLine ?? "the worker exited with status \(r.process.terminationStatus)"
                    outcomes[r.index] = Outcome(job: job, status: .failed, run: row?.id, message: why)
                    progress.failed(job: job, message: why)
                }
            }
            running = still
        }
        for i in pending.reversed() { outcomes[i] = Outcome(job: jobs[i], status: .interrupted, message: "not started") }
        done = true
        return outcomes.map { $0! }
    }
}

/// What a sweep shows while it runs: a bar on a terminal (runs done / total, events/s, time
/// left), one plain line per finished run otherwise (a log file, CI).
public final class Progress {
    let total: Int
    let title: String
    let terminal: Bool
    let quiet: Bool
    var done = 0
    var skipped = 0
    var events: Int64 = 0
    let started = Date()
    var lastLine = Date.distantPast

    public init(title: String, total: Int, quiet: Bool) {
        self.title = title
        self.total = total
        self.quiet = quiet
        terminal = isatty(STDERR_FILENO) != 0
    }

    func finished(events e: Int64, skipped s: Bool) {
        done += 1
        if s { skipped += 1 }
        events += e
        show()
    }

    func failed(job: Job, message: String) {
        guard !quiet else { return }
        if terminal { write("\r\u{1B}[K") }
        write("\(title): run of point \(job.point) (\(job.label)) replication \(job.replication) failed: \(message)\n")
    }

    func show() {
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(started)
        let ran = done - skipped
        let rate = elapsed > 0 ? Double(events) / elapsed : 0
        let left = ran > 0 ? elapsed / Double(ran) * Double(total - done) : 0
        let figures = "\(done)/\(total) runs" + (skipped > 0 ? " (\(skipped) already done)" : "")
            + String(format: " · %.2f M events/s · %@ left", rate / 1e6, Self.clock(left))
        if terminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[K\(title) [\(bar)] \(figures)" + (done == total ? "\n" : ""))
        } else if done == total || Date().timeIntervalSince(lastLine) >= 2 {
            // Off a terminal (a log, CI): a line every two seconds at most, and the last one.
            lastLine = Date()
            write("\(title): \(figures)\n")
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

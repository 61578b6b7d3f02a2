import EdgeWorld
import SimKernel

/// DeepRT's admission test as the paper gives it (§4.3): a fast utilisation check with each
/// category's average batch, then an "EDF imitator" that plays DisBatcher and the non-preemptive
/// EDF worker forward over the streams' future frames, with worst-case batch costs, and fails if
/// any job would finish after its deadline. Unlike `NonPreemptiveEDF` it is exact only for the
/// arrival times it assumes: each stream's frames from its admission on, one period apart (the
/// front end does not know a camera's phase), and no backlog at the start.
struct DeepRTImitator {
    struct Category {
        var model: Int
        var window: SimTime
        /// The end of the window open at `now`, as the server's timers have it.
        var end: SimTime
        var cost: (Int) -> SimTime
    }

    struct StreamTimes {
        var model: Int
        var first: SimTime
        var period: SimTime
    }

    /// Phase 1: Σ E(n̄) / W ≤ 1 with n̄ = ⌊Σ W / T⌋, the average frames per window.
    static func utilisation(_ categories: [Category], streams: [StreamTimes]) -> Double {
        categories.reduce(0.0) { sum, c in
            let frames = streams.filter { $0.model == c.model }.reduce(0.0) { $0 + Double(c.window) / Double($1.period) }
            let n = Int(frames)
            return sum + (n > 0 ? Double(c.cost(n)) / Double(c.window) : 0)
        }
    }

    /// Phase 2: nil if every job released before `now + horizon` meets its deadline, else why not.
    static func firstMiss(_ categories: [Category], streams: [StreamTimes], now: SimTime, horizon: SimTime) -> String? {
        struct Job { var release: SimTime; var deadline: SimTime; var cost: SimTime; var model: Int }
        var jobs: [Job] = []
        let stop = now + horizon
        for c in categories {
            let mine = streams.filter { $0.model == c.model }
            var next = mine.map { s -> SimTime in
                s.first >= now ? s.first : s.first + ((now - s.first + s.period - 1) / s.period) * s.period
            }
            var start = now, end = c.end
            while start < stop {
                var frames = 0
                for k in mine.indices {
                    while next[k] < end {
                        frames += 1
                        next[k] += mine[k].period
                    }
                }
                if frames > 0 { jobs.append(Job(release: end, deadline: end + c.window, cost: c.cost(frames), model: c.model)) }
                start = end
                end += c.window
            }
        }
        jobs.sort { ($0.release, $0.deadline, $0.model) < ($1.release, $1.deadline, $1.model) }
        // Algorithm 1: the clock jumps to the next release when nothing waits; otherwise the job
        // due first runs to its end.
        var ready: [Job] = []
        var clock = now, i = 0
        while i < jobs.count || !ready.isEmpty {
            if ready.isEmpty { clock = max(clock, jobs[i].release) }
            while i < jobs.count, jobs[i].release <= clock {
                ready.append(jobs[i])
                i += 1
            }
            let k = ready.indices.min { (ready[$0].deadline, ready[$0].release) < (ready[$1].deadline, ready[$1].release) }!
            let job = ready.remove(at: k)
            clock += job.cost
            if clock > job.deadline {
                return "the EDF imitator finds a batch of model \(job.model) released at \(NonPreemptiveEDF.ms(job.release)) ms "
                    + "finishing \(NonPreemptiveEDF.ms(clock - job.deadline)) ms late"
            }
        }
        return nil
    }
}

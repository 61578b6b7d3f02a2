/// Finds the largest value of one scenario parameter at which an SLO holds (docs/workbench.md).
///
/// Kept apart from running anything: `probe` answers whether the SLO holds at a value, so the
/// search is tested on plain functions and every probe is recorded.
public struct CapacitySearch: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Bisection between a value that holds and one that fails; without `between`, first
        /// double (or halve) from `start` until the outcome changes.
        case bisect(between: (low: Double, high: Double)?)
        /// PPipe's rule: probe start × (1 − fraction·i), i = 0, 1, 2…, and stop at the first that holds.
        case stepDown(fraction: Double)

        public static func == (a: Mode, b: Mode) -> Bool {
            switch (a, b) {
            case (.bisect(let x), .bisect(let y)): return x?.low == y?.low && x?.high == y?.high
            case (.stepDown(let x), .stepDown(let y)): return x == y
            default: return false
            }
        }
    }

    public struct Probe: Sendable, Equatable {
        public var phase: String
        public var value: Double
        public var passed: Bool
    }

    public struct Result: Sendable {
        /// The largest value found to hold; nil when none did.
        public var answer: Double?
        public var probes: [Probe]
        /// Probes above the answer that also held: the outcome is not monotone in the value.
        public var nonMonotone: [Probe]
        public var note: String
    }

    public var start: Double
    public var mode: Mode
    /// Integers (client counts) or reals to `tolerance`.
    public var integer: Bool
    public var tolerance: Double
    /// Bounds the doubling and halving phases and step-down (40 steps reach 2^40 × start).
    public var maxSteps = 40
    /// Extra probes above the answer, the first values not yet probed among answer + 2, + 3…
    /// (integers) or answer + 2, 3… tolerances (reals): by construction every probe a search makes above its answer failed, so only
    /// probes beyond it can reveal an outcome that is not monotone in the value.
    public var verifyAbove = 0

    public init(start: Double, mode: Mode, integer: Bool, tolerance: Double) {
        self.start = start
        self.mode = mode
        self.integer = integer
        self.tolerance = tolerance
    }

    public func run(_ probe: (Double) throws -> Bool) rethrows -> Result {
        var result = try search(probe)
        guard verifyAbove > 0, let answer = result.answer else { return result }
        let step = integer ? 1 : tolerance
        var added = 0, j = 2.0
        while added < verifyAbove {
            let v = answer + step * j
            j += 1
            guard !result.probes.contains(where: { $0.value == v }) else { continue }
            result.probes.append(Probe(phase: "verify", value: v, passed: try probe(v)))
            added += 1
        }
        return finish(answer, result.probes, result.note)
    }

    func search(_ probe: (Double) throws -> Bool) rethrows -> Result {
        var probes: [Probe] = []
        var memo: [(Double, Bool)] = []
        func at(_ v: Double, _ phase: String) throws -> Bool {
            if let seen = memo.first(where: { $0.0 == v }) { return seen.1 }
            let ok = try probe(v)
            memo.append((v, ok))
            probes.append(Probe(phase: phase, value: v, passed: ok))
            return ok
        }
        var answer: Double?
        var note = ""
        switch mode {
        case .stepDown(let fraction):
            var i = 0
            var last: Double?
            // Enough steps to reach zero at this rate.
            let steps = max(maxSteps, Int((1 / fraction).rounded(.up)) + 1)
            while i <= steps {
                var v = start * (1 - fraction * Double(i))
                if integer { v = v.rounded() }
                i += 1
                if v <= 0 || (integer && v < 1) { break }
                if v == last { continue }
                last = v
                if try at(v, "step-down") { answer = v; break }
            }
            note = answer == nil ? "the SLO failed at every step down to \(fmt(last ?? start))" : "first value that holds stepping down \(fmt(fraction * 100))% from \(fmt(start))"
        case .bisect(let between):
            var low: Double, high: Double
            if let between {
                (low, high) = between
                guard try at(low, "bound") else {
                    note = "the SLO fails at the lower bound \(fmt(low))"
                    return finish(nil, probes, note)
                }
                if try at(high, "bound") {
                    note = "the SLO holds at the upper bound \(fmt(high)): the capacity may be higher"
                    return finish(high, probes, note)
                }
            } else if try at(start, "start") {
                low = start
                high = start
                var n = 0
                repeat {
                    low = high
                    high = integer ? max(high * 2, high + 1) : high * 2
                    n += 1
                } while try at(high, "double") && n < maxSteps
                if memo.last!.1 { return finish(high, probes, "the SLO still held after \(n) doublings, at \(fmt(high))") }
            } else {
                high = start
                low = start
                var n = 0
                repeat {
                    high = low
                    low = integer ? (high / 2).rounded(.down) : high / 2
                    n += 1
                    if integer && low < 1 {
                        return finish(nil, probes, "the SLO fails even at 1")
                    }
                } while try !at(low, "halve") && n < maxSteps
                if !memo.last!.1 { return finish(nil, probes, "the SLO failed at every value down to \(fmt(low))") }
            }
            // Invariant: the SLO holds at low and fails at high.
            while integer ? high - low > 1 : high - low > tolerance {
                let mid = integer ? (low + (high - low) / 2).rounded(.down) : (low + high) / 2
                // A tolerance below the doubles' resolution: the interval cannot narrow further.
                if mid <= low || mid >= high { break }
                if try at(mid, "bisect") { low = mid } else { high = mid }
            }
            answer = low
            note = integer ? "holds at \(fmt(low)), fails at \(fmt(high))"
                           : "holds at \(fmt(low)), fails at \(fmt(high)) (tolerance \(fmt(tolerance)))"
        }
        return finish(answer, probes, note)
    }

    func finish(_ answer: Double?, _ probes: [Probe], _ note: String) -> Result {
        let above = probes.filter { p in p.passed && answer.map { p.value > $0 } ?? true }
        return Result(answer: answer, probes: probes, nonMonotone: above, note: note)
    }

    func fmt(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v)
    }
}

import Foundation

/// A probability distribution over real numbers, sampled from a `RandomStream`.
///
/// Every sample consumes a fixed number of draws from the stream (none for `constant`, two for
/// `normal` and `lognormal`, one otherwise), so changing a parameter never shifts the draws that
/// follow. Build instances with the static constructors, which check their parameters and
/// precompute what sampling needs.
public struct Distribution: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case constant(Double)
        case uniform(low: Double, high: Double)
        case exponential(mean: Double)
        /// shift + an exponential of the given mean (Joshi et al.'s ShiftedExp(Δ, μ)).
        case shiftedExponential(shift: Double, mean: Double)
        case normal(mean: Double, standardDeviation: Double)
        /// Parameterised by the mean and coefficient of variation of the samples themselves.
        case lognormal(mean: Double, cv: Double)
        /// Pareto type I: scale x_m (the minimum) and shape alpha.
        case pareto(scale: Double, shape: Double)
        /// Resampling of observed values; with `interpolate`, the inverse of the piecewise-linear
        /// empirical CDF through the sorted samples.
        case empirical(sortedSamples: [Double], interpolate: Bool)
    }

    public let kind: Kind
    // Location and scale of the underlying normal, for lognormal; unused otherwise.
    @usableFromInline let mu: Double
    @usableFromInline let sigma: Double

    @usableFromInline init(kind: Kind, mu: Double = 0, sigma: Double = 0) {
        self.kind = kind
        self.mu = mu
        self.sigma = sigma
    }

    public static func constant(_ value: Double) -> Distribution { .init(kind: .constant(value)) }

    public static func uniform(low: Double, high: Double) -> Distribution {
        precondition(low <= high, "uniform: low must not exceed high")
        return .init(kind: .uniform(low: low, high: high))
    }

    public static func exponential(mean: Double) -> Distribution {
        precondition(mean > 0, "exponential: mean must be positive")
        return .init(kind: .exponential(mean: mean))
    }

    public static func shiftedExponential(shift: Double, mean: Double) -> Distribution {
        precondition(shift >= 0 && mean > 0, "shifted exponential: shift must not be negative, mean must be positive")
        return .init(kind: .shiftedExponential(shift: shift, mean: mean))
    }

    public static func normal(mean: Double, standardDeviation: Double) -> Distribution {
        precondition(standardDeviation >= 0, "normal: standard deviation must not be negative")
        return .init(kind: .normal(mean: mean, standardDeviation: standardDeviation))
    }

    public static func lognormal(mean: Double, cv: Double) -> Distribution {
        precondition(mean > 0 && cv >= 0, "lognormal: mean must be positive and cv not negative")
        let s2 = log1p(cv * cv)
        return .init(kind: .lognormal(mean: mean, cv: cv), mu: log(mean) - s2 / 2, sigma: s2.squareRoot())
    }

    public static func pareto(scale: Double, shape: Double) -> Distribution {
        precondition(scale > 0 && shape > 0, "pareto: scale and shape must be positive")
        return .init(kind: .pareto(scale: scale, shape: shape))
    }

    public static func empirical(_ samples: [Double], interpolate: Bool = false) -> Distribution {
        precondition(!samples.isEmpty, "empirical: at least one sample is needed")
        return .init(kind: .empirical(sortedSamples: samples.sorted(), interpolate: interpolate))
    }

    /// The distribution's mean, where it is finite.
    public var mean: Double? {
        switch kind {
        case .constant(let v): return v
        case .uniform(let lo, let hi): return (lo + hi) / 2
        case .exponential(let m): return m
        case .shiftedExponential(let d, let m): return d + m
        case .normal(let m, _): return m
        case .lognormal(let m, _): return m
        case .pareto(let xm, let a): return a > 1 ? a * xm / (a - 1) : nil
        case .empirical(let s, let interpolate):
            guard interpolate, s.count > 1 else { return s.reduce(0, +) / Double(s.count) }
            // Mean of the piecewise-linear inverse CDF: trapezoids between neighbours.
            var total = 0.0
            for i in 1..<s.count { total += (s[i - 1] + s[i]) / 2 }
            return total / Double(s.count - 1)
        }
    }

    @inlinable
    public func sample(_ rng: inout RandomStream) -> Double {
        switch kind {
        case .constant(let v):
            return v
        case .uniform(let lo, let hi):
            return lo + (hi - lo) * rng.nextUnit()
        case .exponential(let m):
            return -m * log(rng.nextUnitOpenAtZero())
        case .shiftedExponential(let d, let m):
            return d - m * log(rng.nextUnitOpenAtZero())
        case .normal(let m, let sd):
            return m + sd * Distribution.standardNormal(&rng)
        case .lognormal:
            return exp(mu + sigma * Distribution.standardNormal(&rng))
        case .pareto(let xm, let a):
            return xm / pow(rng.nextUnitOpenAtZero(), 1 / a)
        case .empirical(let s, let interpolate):
            if !interpolate || s.count == 1 { return s[rng.nextIndex(below: s.count)] }
            let position = rng.nextUnit() * Double(s.count - 1)
            let i = Int(position)
            return s[i] + (s[i + 1] - s[i]) * (position - Double(i))
        }
    }

    /// Box–Muller: exactly two uniform draws per normal variate.
    @inlinable
    static func standardNormal(_ rng: inout RandomStream) -> Double {
        let u1 = rng.nextUnitOpenAtZero()
        let u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

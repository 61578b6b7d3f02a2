/// Simulated time, in integer nanoseconds since the start of the run.
///
/// Integers, not floating point: two events that should happen at the same instant compare equal,
/// sums never drift, and the same scenario gives the same bytes on every machine.
/// Int64 nanoseconds cover about 292 years of simulated time.
public typealias SimTime = Int64

/// Conversions between human units and `SimTime`. Values round to the nearest nanosecond.
public enum Time {
    public static let nanosecondsPerSecond: Int64 = 1_000_000_000

    @inlinable public static func seconds(_ s: Double) -> SimTime { SimTime((s * 1e9).rounded()) }
    @inlinable public static func milliseconds(_ ms: Double) -> SimTime { SimTime((ms * 1e6).rounded()) }
    @inlinable public static func microseconds(_ us: Double) -> SimTime { SimTime((us * 1e3).rounded()) }

    /// Nanoseconds computed at run time (a transfer over a slow link), held to 2^62 so that a
    /// value past any run's end stays a time the kernel can order instead of trapping.
    @inlinable public static func saturating(nanoseconds ns: Double) -> SimTime {
        ns < 4.6e18 ? SimTime(ns.rounded(.up)) : 4_600_000_000_000_000_000
    }

    @inlinable public static func toSeconds(_ t: SimTime) -> Double { Double(t) / 1e9 }
    @inlinable public static func toMilliseconds(_ t: SimTime) -> Double { Double(t) / 1e6 }
}

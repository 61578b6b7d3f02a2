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

    @inlinable public static func toSeconds(_ t: SimTime) -> Double { Double(t) / 1e9 }
    @inlinable public static func toMilliseconds(_ t: SimTime) -> Double { Double(t) / 1e6 }
}

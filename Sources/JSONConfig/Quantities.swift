/// Checked conversions from the numbers people write (seconds, milliseconds, rates, sizes) to the
/// integers the simulator runs on. Every reader goes through these, so that a value that parses
/// but is out of physical range is an error naming its key, never an overflow trap later.
///
/// The bounds are documented in docs/scenario.md ("Ranges"); they are far beyond any real
/// deployment and far inside what 64-bit nanoseconds and bytes can hold together.
public enum Bounds {
    /// The longest time any one value may stand for: 10^8 s (about 3.2 years). Sums of a few
    /// such values still fit in Int64 nanoseconds (9.2 × 10^18).
    public static let maxSeconds = 1e8
    /// The slowest link: 1 kbit/s. With frames of at most `maxBytes`, a transfer stays under
    /// `maxSeconds`.
    public static let minBitsPerSecond = 1e3
    /// The fastest link: 10 Tbit/s.
    public static let maxBitsPerSecond = 1e13
    /// The largest message, frame or activation: 10 GB.
    public static let maxBytes = 10_000_000_000
    /// The lowest and highest frame or arrival rate: about one a day, a million a second.
    public static let minRate = 1e-5
    public static let maxRate = 1e6
    /// Coefficients of variation: beyond 100 a lognormal's draws are no longer finite in practice.
    public static let maxCV = 100.0
    /// Entities of one kind (clients, GPUs, servers): a run past this would not fit in memory.
    public static let maxCount = 10_000_000
}

/// A unit of time as scenarios and data files write it.
public enum TimeUnit: Sendable {
    case seconds, milliseconds, microseconds

    var nanoseconds: Double {
        switch self {
        case .seconds: 1e9
        case .milliseconds: 1e6
        case .microseconds: 1e3
        }
    }

    var symbol: String {
        switch self {
        case .seconds: "s"
        case .milliseconds: "ms"
        case .microseconds: "µs"
        }
    }

    /// `value` in this unit as whole nanoseconds, or a message saying why it cannot be one: not
    /// finite, negative, beyond `Bounds.maxSeconds`, or (with `positive`) above zero but rounding
    /// to 0 ns.
    public func nanoseconds(_ value: Double, positive: Bool = false) -> Result<Int64, QuantityError> {
        guard value.isFinite else { return .failure(.init("expected a finite time in \(symbol)")) }
        if positive ? value <= 0 : value < 0 {
            return .failure(.init("must be \(positive ? "greater than 0" : "at least 0") \(symbol), got \(Suggestion.format(value))"))
        }
        let limit = Bounds.maxSeconds * 1e9 / nanoseconds
        guard value <= limit else {
            return .failure(.init("must be at most \(Suggestion.format(limit)) \(symbol) (about 3 years), got \(Suggestion.format(value))"))
        }
        let ns = (value * nanoseconds).rounded()
        if positive && ns < 1 {
            return .failure(.init("\(Suggestion.format(value)) \(symbol) rounds to 0 ns; give at least 1 ns (\(Suggestion.format(1 / nanoseconds)) \(symbol))"))
        }
        return .success(Int64(ns))
    }
}

/// Why a number cannot stand for a quantity; the reader adds where it was written.
public struct QuantityError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension ConfigNode {
    /// A time in `unit` as nanoseconds, checked (`TimeUnit.nanoseconds`).
    public func time(_ unit: TimeUnit, positive: Bool = false) throws(ConfigError) -> Int64 {
        switch unit.nanoseconds(try double(), positive: positive) {
        case .success(let ns): return ns
        case .failure(let e): throw error(e.message)
        }
    }

    /// A number within [lower, upper], with both bounds in the message.
    public func double(in range: ClosedRange<Double>, what: String = "") throws(ConfigError) -> Double {
        let d = try double()
        guard range.contains(d) else {
            throw error("must be between \(Suggestion.format(range.lowerBound)) and \(Suggestion.format(range.upperBound))\(what), got \(Suggestion.format(d))")
        }
        return d
    }

    /// An integer within [lower, upper].
    public func int(in range: ClosedRange<Int>, what: String = "") throws(ConfigError) -> Int {
        let i = try int()
        guard range.contains(i) else { throw error("must be between \(range.lowerBound) and \(range.upperBound)\(what), got \(i)") }
        return i
    }

    /// A link rate in Mbit/s as bits per second, within `Bounds`.
    public func megabitsPerSecond() throws(ConfigError) -> Double {
        try double(in: Bounds.minBitsPerSecond / 1e6...Bounds.maxBitsPerSecond / 1e6, what: " Mbit/s") * 1e6
    }

    /// A link rate in Gbit/s as bits per second, within `Bounds`.
    public func gigabitsPerSecond() throws(ConfigError) -> Double {
        try double(in: Bounds.minBitsPerSecond / 1e9...Bounds.maxBitsPerSecond / 1e9, what: " Gbit/s") * 1e9
    }

    /// A size in bytes, at most `Bounds.maxBytes`.
    public func bytes() throws(ConfigError) -> Int { try int(in: 0...Bounds.maxBytes, what: " bytes") }

    /// A rate in events per second (frames, arrivals), within `Bounds`.
    public func rate() throws(ConfigError) -> Double { try double(in: Bounds.minRate...Bounds.maxRate, what: " per second") }

    /// A coefficient of variation, at most `Bounds.maxCV`.
    public func cv() throws(ConfigError) -> Double { try double(in: 0...Bounds.maxCV) }

    /// A count of entities (clients, GPUs), at least 1 and at most `Bounds.maxCount`.
    public func count() throws(ConfigError) -> Int { try int(in: 1...Bounds.maxCount) }
}

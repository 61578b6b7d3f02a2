import Foundation

/// Mean and a 95 % Student-t confidence interval over independent replications.
public struct Estimate: Sendable, Equatable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n − 1 in the denominator); nil for one replication.
    public var stddev: Double?
    /// Half-width of the 95 % interval, t(0.975, n − 1) · s / √n; nil for one replication.
    public var halfWidth: Double?

    public var low: Double? { halfWidth.map { mean - $0 } }
    public var high: Double? { halfWidth.map { mean + $0 } }

    /// Nil for no values. Values are summed in the order given, so the same replications give
    /// the same bits.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        guard n > 1 else { stddev = nil; halfWidth = nil; return }
        let m = mean
        let s = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
        stddev = s
        halfWidth = Self.t975(degreesOfFreedom: n - 1) * s / Double(n).squareRoot()
    }

    /// The 0.975 quantile of Student's t: exact to three decimals from the standard table for
    /// 1–30 degrees of freedom, then the Cornish–Fisher expansion about the normal quantile
    /// (error below 0.001 from 30 on).
    public static func t975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1)
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df <= table.count { return table[df - 1] }
        let z = 1.959964, v = Double(df)
        let z3 = z * z * z, z5 = z3 * z * z
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
    }
}

import CLapack

/// Linear least squares through LAPACK's `dgels` (QR factorisation), as OpenBLAS ships it.
public enum LeastSquares {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// OpenBLAS starts a worker thread per further core when it loads, and each spins
    /// (sched_yield) for about 2^28 cycles before it sleeps, whether or not a solve ever runs,
    /// and again after each solve: about 0.1 s of a core taken from the simulation, the results
    /// writer or a sibling run of a sweep (`perf`: a quarter of a quickstart run's samples at
    /// `--detail requests`). These solves are tiny: one thread, and the workers stopped.
    /// `arsim` does this first thing; a solve does it too, once, for other callers.
    public static let singleThreaded: Void = arsim_openblas_single_threaded()

    /// Solves min ‖A x − b‖₂ for each column of `b` at once. `a` has `rows` rows of `columns`
    /// values (row-major); `b` has `rows` rows of `rightHandSides` values. Returns one solution of
    /// `columns` values per right-hand side.
    public static func solve(a: [Double], rows: Int, columns: Int, b: [Double], rightHandSides: Int = 1) throws(Failure) -> [[Double]] {
        precondition(a.count == rows * columns && b.count == rows * rightHandSides)
        guard rows >= columns else { throw Failure(description: "\(rows) observations cannot determine \(columns) coefficients") }
        _ = singleThreaded
        var a = a
        var b = b
        let info = LAPACKE_dgels(LAPACK_ROW_MAJOR, CChar(truncatingIfNeeded: UInt8(ascii: "N")),
                                 Int32(rows), Int32(columns), Int32(rightHandSides),
                                 &a, Int32(columns), &b, Int32(rightHandSides))
        if info > 0 { throw Failure(description: "the design matrix is rank-deficient (column \(info))") }
        if info < 0 { throw Failure(description: "dgels rejected argument \(-info)") }
        return (0..<rightHandSides).map { r in (0..<columns).map { b[$0 * rightHandSides + r] } }
    }

    /// Minimises the sum of squared relative errors, Σ ((A x − y) / y)², by scaling each row by
    /// 1/y: latencies spanning microseconds to seconds then weigh alike.
    public static func relative(rows features: [[Double]], targets y: [Double]) throws(Failure) -> [Double] {
        let columns = features.first?.count ?? 0
        var a: [Double] = []
        a.reserveCapacity(features.count * columns)
        var b: [Double] = []
        for (row, target) in zip(features, y) {
            precondition(target > 0, "relative least squares needs positive targets")
            a += row.map { $0 / target }
            b.append(1)
        }
        return try solve(a: a, rows: features.count, columns: columns, b: b)[0]
    }
}

import Foundation
import SimKernel
import XCTest

/// Each distribution's samples against its theory: the sample mean within four standard errors
/// of the true mean, and a Kolmogorov–Smirnov test at the 1 % level (critical value 1.63/sqrt(n)).
final class DistributionTests: XCTestCase {
    let n = 200_000

    func draw(_ d: Distribution, _ name: String) -> [Double] {
        var rng = RandomStream(seed: 2024, name: name)
        return (0..<n).map { _ in d.sample(&rng) }
    }

    func assertMean(_ x: [Double], _ mean: Double, variance: Double, file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = 4 * (variance / Double(x.count)).squareRoot()
        XCTAssertEqual(Stats.mean(x), mean, accuracy: tolerance, "sample mean", file: file, line: line)
    }

    func assertKS(_ x: [Double], cdf: (Double) -> Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(Stats.ksStatistic(x, cdf: cdf), 1.63 / Double(x.count).squareRoot(), "KS statistic", file: file, line: line)
    }

    func testConstant() {
        var rng = RandomStream(seed: 1, name: "c")
        XCTAssertEqual(Distribution.constant(4.5).sample(&rng), 4.5)
        XCTAssertEqual(Distribution.constant(4.5).mean, 4.5)
    }

    func testUniform() {
        let x = draw(.uniform(low: 2, high: 5), "uniform")
        XCTAssertTrue(x.allSatisfy { $0 >= 2 && $0 < 5 })
        assertMean(x, 3.5, variance: 9.0 / 12)
        assertKS(x) { min(max(($0 - 2) / 3, 0), 1) }
    }

    /// 2 + Exp(mean 3): mean 5, variance 9, and nothing below the shift.
    func testShiftedExponential() {
        let x = draw(.shiftedExponential(shift: 2, mean: 3), "shifted")
        XCTAssertTrue(x.allSatisfy { $0 >= 2 })
        assertMean(x, 5, variance: 9)
        assertKS(x) { $0 < 2 ? 0 : 1 - exp(-($0 - 2) / 3) }
        XCTAssertEqual(Distribution.shiftedExponential(shift: 2, mean: 3).mean, 5)
    }

    func testExponential() {
        let x = draw(.exponential(mean: 3), "exponential")
        assertMean(x, 3, variance: 9)
        XCTAssertEqual(Stats.variance(x), 9, accuracy: 9 * 0.03)
        assertKS(x) { 1 - exp(-$0 / 3) }
    }

    func testNormal() {
        let x = draw(.normal(mean: 10, standardDeviation: 2), "normal")
        assertMean(x, 10, variance: 4)
        XCTAssertEqual(Stats.variance(x), 4, accuracy: 4 * 0.02)
        assertKS(x) { 0.5 * (1 + erf(($0 - 10) / (2 * 2.0.squareRoot()))) }
    }

    func testLognormalHasRequestedMeanAndCV() {
        let d = Distribution.lognormal(mean: 5, cv: 0.5)
        let x = draw(d, "lognormal")
        assertMean(x, 5, variance: 6.25)
        XCTAssertEqual(Stats.variance(x).squareRoot() / Stats.mean(x), 0.5, accuracy: 0.01)
        let s2 = log(1 + 0.25), mu = log(5) - s2 / 2
        assertKS(x) { $0 <= 0 ? 0 : 0.5 * (1 + erf((log($0) - mu) / (2 * s2).squareRoot())) }
    }

    func testPareto() {
        let x = draw(.pareto(scale: 1, shape: 3), "pareto")
        XCTAssertTrue(x.allSatisfy { $0 >= 1 })
        assertMean(x, 1.5, variance: 0.75)
        XCTAssertEqual(Distribution.pareto(scale: 1, shape: 3).mean, 1.5)
        XCTAssertNil(Distribution.pareto(scale: 1, shape: 1).mean, "alpha <= 1 has no finite mean")
        assertKS(x) { 1 - pow(1 / $0, 3) }
    }

    func testEmpiricalResamplesObservedValues() {
        let d = Distribution.empirical([10, 1, 3, 2])
        let x = draw(d, "empirical")
        XCTAssertEqual(Set(x), [1, 2, 3, 10])
        XCTAssertEqual(d.mean, 4)
        // Each value has probability 1/4: chi-square with 3 dof, 0.1 % critical value 16.27.
        let expected = Double(n) / 4
        let chi2 = [1.0, 2, 3, 10].reduce(0.0) { acc, v in
            let count = Double(x.filter { $0 == v }.count)
            return acc + (count - expected) * (count - expected) / expected
        }
        XCTAssertLessThan(chi2, 16.27)
    }

    func testEmpiricalInterpolatedFollowsPiecewiseLinearCDF() {
        let d = Distribution.empirical([0, 1, 3], interpolate: true)
        let x = draw(d, "empirical-interp")
        // Half the mass on [0, 1] (uniform), half on [1, 3] (uniform): mean (0.5 + 2) / 2.
        XCTAssertEqual(d.mean!, 1.25, accuracy: 1e-12)
        assertKS(x) { v in v < 1 ? max(v, 0) / 2 : min(0.5 + (v - 1) / 4, 1) }
    }

    /// Each sample consumes a fixed number of draws, so a parameter change never shifts later
    /// draws of the same stream.
    func testDrawsPerSampleAreFixed() {
        let cases: [(Distribution, Int)] = [
            (.constant(1), 0), (.uniform(low: 0, high: 1), 1), (.exponential(mean: 1), 1),
            (.normal(mean: 0, standardDeviation: 1), 2), (.lognormal(mean: 1, cv: 0.3), 2),
            (.pareto(scale: 1, shape: 2), 1), (.empirical([1, 2, 3]), 1),
        ]
        for (d, draws) in cases {
            var a = RandomStream(seed: 8, name: "draws")
            var b = RandomStream(seed: 8, name: "draws")
            for _ in 0..<50 { _ = d.sample(&a) }
            for _ in 0..<(50 * draws) { _ = b.next() }
            XCTAssertEqual(a.next(), b.next(), "\(d.kind)")
        }
    }
}

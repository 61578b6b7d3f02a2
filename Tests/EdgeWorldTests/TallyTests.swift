import EdgeWorld
import Histogram
import SimKernel
import XCTest

final class TallyTests: XCTestCase {
    /// The CDF a summary keeps is read in one pass over the histogram; it must give exactly what
    /// HDR's own per-percentile scan gives, on random latency sets from one value to thousands,
    /// spread over microseconds to seconds.
    func testQuantilesInOnePassEqualHDRsOwn() {
        var rng = RandomStream(seed: 5, name: "tally-quantiles")
        for _ in 0..<200 {
            var h = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
            h.autoResize = true
            let n = 1 + Int(rng.nextUnit() * 3000)
            let scale = [1e4, 1e6, 1e8, 1e9][Int(rng.nextUnit() * 4)]
            for _ in 0..<n { h.record(UInt64(1_000 + rng.nextUnit() * rng.nextUnit() * scale)) }
            let fractions = SummaryRow.cdfFractions
            let ours = Tally.quantiles(h, at: fractions)
            let theirs = fractions.map { $0 == 1 ? h.max : h.valueAtPercentile($0 * 100) }
            XCTAssertEqual(ours, theirs, "\(n) values up to \(scale) ns")
        }
        let empty = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
        XCTAssertEqual(Tally.quantiles(empty, at: [0, 0.5, 1]), [])
    }
}

import EdgeWorld
import Policies
import SimKernel
import XCTest

final class JALADTests: XCTestCase {
    static let compression = FeatureCompression(sparsity: 0.5, losses: [.init(bits: 8, loss: 0.01, source: "test")],
                                                encodeValuesPerSecond: 1e8, decodeValuesPerSecond: 1e9)

    func testCompressedSizeByHand() {
        // 1,000 values, half zero: 1 bit (the zero flag's entropy) + 0.5 · 8 bits = 5 bits a value,
        // 625 bytes, plus the 8-byte min and max.
        XCTAssertEqual(Self.compression.bytes(values: 1000, bits: 8), 633)
        // No zeros: 8 bits a value.
        var dense = Self.compression
        dense.sparsity = 0
        XCTAssertEqual(dense.bytes(values: 1000, bits: 8), 1008)
    }

    /// Three layers; device 10, 20, 30 ms; remote 1 ms each; outputs 400 kB, 40 kB, 4 kB; frame 100 kB.
    static func small(epsilon: Double) -> Decoupling {
        Decoupling(deviceMicros: [10_000, 20_000, 30_000], remoteMicros: [1000, 1000, 1000], outputBytes: [400_000, 40_000, 4_000],
                   frameBytes: 100_000, compression: compression, epsilon: epsilon)
    }

    func testDecisionsByHand() {
        let d = Self.small(epsilon: 0.01)
        // At 8 Mbit/s: remote only 100 kB = 100 ms + 3 ms = 103 ms. Cut 2 compressed: 30 ms device,
        // 10,000 values → 6,258 bytes = 6.258 ms, encode 0.1 ms, decode 0.01 ms, 1 ms remote = 37.368 ms.
        // Device only: 60 ms. Cut 1 compressed: 10 ms + 100,000 values → 62,508 B = 62.508 ms + 1.1 ms + 2 ms.
        let best = d.best(bitsPerSecond: 8e6)
        XCTAssertEqual(best.cut, 2)
        XCTAssertEqual(best.bits, 8)
        XCTAssertEqual(best.seconds, 0.030 + 0.006258 + 0.0001 + 0.00001 + 0.001, accuracy: 1e-12)
        XCTAssertEqual(best.loss, 0.01)
        // A bound below the 8-bit loss leaves raw cuts only: cut 2 raw = 30 + 40 + 1 = 71 ms; device only 60 ms wins.
        XCTAssertEqual(Self.small(epsilon: 0.005).best(bitsPerSecond: 8e6).cut, 3)
        // At 1 Gbit/s the frame takes 0.8 ms: remote only, 3.8 ms.
        let fast = d.best(bitsPerSecond: 1e9)
        XCTAssertEqual(fast.cut, 0)
        XCTAssertEqual(fast.seconds, 0.0038, accuracy: 1e-12)
    }

    /// A loss given per (layer, width): 4 bits only after layer "b" (cut 2). There it beats 8 bits
    /// (10,000 values at 1 + 0.5 · 4 bits: 3,758 B against 6,258 B); at cut 1 it is not offered.
    func testLossPerLayer() {
        var d = Self.small(epsilon: 0.01)
        d.compression!.losses.append(.init(bits: 4, loss: 0.005, source: "test", layers: ["b"]))
        d.layerNames = ["a", "b", "c"]
        let best = d.best(bitsPerSecond: 8e6)
        XCTAssertEqual(best.cut, 2)
        XCTAssertEqual(best.bits, 4)
        XCTAssertEqual(best.bytes, 3758)
        XCTAssertEqual(best.loss, 0.005)
        XCTAssertNil(d.predict(cut: 1, bits: 4, bitsPerSecond: 8e6))
        XCTAssertNotNil(d.predict(cut: 1, bits: 8, bitsPerSecond: 8e6))
    }

    /// The decision space is finite (n + 1 cuts × raw or a cited width), and `best` is its
    /// minimum: on random models no admissible pair, costed here by the documented formulas
    /// written out again, beats it.
    func testBestIsExactOnRandomModels() {
        var rng = RandomStream(seed: 3, name: "jalad-exact")
        for trial in 0..<300 {
            let n = 1 + rng.nextIndex(below: 8)
            let device = (0..<n).map { _ in 1000 + 50_000 * rng.nextUnit() }
            let remote = (0..<n).map { _ in 100 + 3000 * rng.nextUnit() }
            let outputs = (0..<n).map { _ in 1000 + rng.nextIndex(below: 2_000_000) }
            var c = Self.compression
            c.sparsity = rng.nextUnit()
            c.losses = [.init(bits: 8, loss: 0.01 * rng.nextUnit(), source: "t"), .init(bits: 4, loss: 0.05 * rng.nextUnit(), source: "t")]
            let epsilon = 0.03 * rng.nextUnit(), rtt = 0.05 * rng.nextUnit(), frame = 10_000 + rng.nextIndex(below: 300_000)
            let d = Decoupling(deviceMicros: device, remoteMicros: remote, outputBytes: outputs, frameBytes: frame, compression: c,
                               epsilon: epsilon, rttSeconds: rtt)
            let bandwidth = 1e5 * pow(10, 4 * rng.nextUnit())
            var best = device.reduce(0, +) / 1e6
            best = min(best, rtt + Double(frame) * 8 / bandwidth + remote.reduce(0, +) / 1e6)
            for k in 1..<max(1, n) {
                let head = device[..<k].reduce(0, +) / 1e6, tail = remote[k...].reduce(0, +) / 1e6
                let values = Double(outputs[k - 1]) / 4
                best = min(best, head + rtt + Double(outputs[k - 1]) * 8 / bandwidth + tail)
                let s = c.sparsity
                let flag: Double = -(s * log2(s) + (1 - s) * log2(1 - s))
                for w in c.losses where w.loss <= epsilon {
                    let bitsPerValue: Double = flag + (1 - s) * Double(w.bits)
                    let bytes: Double = (values * bitsPerValue / 8).rounded(.up) + 8
                    let time: Double = head + values / 1e8 + rtt + bytes * 8 / bandwidth + values / 1e9 + tail
                    best = min(best, time)
                }
            }
            let chosen = d.best(bitsPerSecond: bandwidth)
            XCTAssertEqual(chosen.seconds, best, accuracy: 1e-9, "trial \(trial)")
            XCTAssertLessThanOrEqual(chosen.loss, epsilon)
        }
    }

    func view(_ mbps: Double?, at ms: Int64) -> SplitView {
        SplitView(servingSite: 0, cloud: 1, frame: 0, now: ms * 1_000_000, observedUplinkBitsPerSecond: mbps.map { $0 * 1e6 })
    }

    /// Re-decides only past the threshold; a new decision takes effect after the switch delay;
    /// on the device alone one request per probe interval uploads.
    func testAdaptation() {
        var p = AdaptiveDecoupling(decoupling: Self.small(epsilon: 0.01), remoteSite: 1, threshold: 0.2,
                                   switchDelay: 50_000_000, initialBitsPerSecond: 8e6, probeInterval: 1_000_000_000)
        let split = Route([Stage(.device, layers: 0..<2, wire: WireFormat(bytesFactor: 6258.0 / 40_000, encode: 100_000, decode: 10_000,
                                                                          qualityLoss: 0.01)),
                           Stage(.site(1), layers: 2..<3)])
        XCTAssertEqual(p.route(for: view(nil, at: 0)), split)
        // 9 Mbit/s is within 20 % of 8: no new decision.
        XCTAssertEqual(p.route(for: view(9, at: 10)), split)
        XCTAssertEqual(p.switches, 0)
        // 1 Gbit/s: remote only is better, but only 50 ms after the decision.
        XCTAssertEqual(p.route(for: view(1000, at: 20)), split)
        XCTAssertEqual(p.switches, 1)
        XCTAssertEqual(p.route(for: view(1000, at: 69)), split)
        XCTAssertEqual(p.route(for: view(1000, at: 70)), Route([Stage(.site(1))]))
        // 0.1 Mbit/s: device only from 50 ms later (the request at 100 ms still uploads); a second
        // after that last upload, one request uploads again to measure.
        XCTAssertEqual(p.route(for: view(0.1, at: 100)), Route([Stage(.site(1))]))
        XCTAssertEqual(p.route(for: view(0.1, at: 150)), Route([Stage(.device)]))
        XCTAssertEqual(p.route(for: view(0.1, at: 1099)), Route([Stage(.device)]))
        XCTAssertNotEqual(p.route(for: view(0.1, at: 1100)), Route([Stage(.device)]))
        XCTAssertEqual(p.route(for: view(0.1, at: 1101)), Route([Stage(.device)]))
    }
}

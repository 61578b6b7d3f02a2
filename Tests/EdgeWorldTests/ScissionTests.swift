import Foundation
import JSONConfig
import Policies
import SimKernel
import XCTest

final class ScissionTests: XCTestCase {
    /// Scission's published example (its README): vgg19 from its own benchmarks,
    /// `scission_predict.py benchmark_data network_stats.csv vgg19 -d "!-1" -e 10 -c 16`.
    func testPublishedVGG19Example() throws {
        let root = "../shared/reference-data/scission"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("../shared/reference-data/scission is absent") }
        let hosts = try Scission.hosts(CSVTable(path: root + "/scission_blocks.csv"), model: "vgg19")
        let links = try Scission.links(CSVTable(path: root + "/network_stats.csv"))
        XCTAssertEqual(hosts.map(\.blocks.count), Array(repeating: 25, count: hosts.count))
        let top = Scission.search(hosts: hosts, links: links,
                                  criteria: [.device: .init(parsing: "!-1"), .edge: .init(parsing: "10"), .cloud: .init(parsing: "16")])
        XCTAssertEqual(top.map { String(format: "%.4f", $0.seconds) }, ["9.0106", "9.0594", "9.0721", "9.1209", "9.1511"])
        XCTAssertEqual(String(format: "%.4f", top[0].uploadBytes / 1e6), "2.4087")
        XCTAssertEqual(top[0].description, "Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25")
        XCTAssertEqual(top[4].description, "Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 12, Cloud(6700k(GPU)) = 13 - 25")
    }

    func testCriteriaSyntax() {
        let c = Scission.Criteria(parsing: " !-1, 10 ,raspi4, !vm2Core ")
        XCTAssertEqual(c.layersOut, [-1])
        XCTAssertEqual(c.layersIn, [10])
        XCTAssertEqual(c.hostsIn, ["raspi4"])
        XCTAssertEqual(c.hostsOut, ["vm2Core"])
    }

    /// Random small cases: the search's best equals the best of every assignment of blocks to
    /// tiers that keeps device ≤ edge ≤ cloud order, on every choice of hosts, costed here independently.
    func testSearchIsExactAgainstBruteForce() {
        var rng = RandomStream(seed: 5, name: "scission-brute-force")
        var threeTier = 0
        for trial in 0..<200 {
            let n = 1 + rng.nextIndex(below: 6)
            var hosts: [Scission.Host] = []
            for (tier, count) in [(Scission.Tier.device, 1 + rng.nextIndex(below: 2)), (.edge, rng.nextIndex(below: 3)), (.cloud, rng.nextIndex(below: 3))] {
                for h in 0..<count {
                    let blocks = (0..<n).map { i in
                        Scission.Block(inputLayer: i, outputLayer: i, seconds: 0.01 + rng.nextUnit() * (tier == .device ? 1 : tier == .edge ? 0.3 : 0.05),
                                       outputBytes: Double(1000 + rng.nextIndex(below: 2_000_000)))
                    }
                    hosts.append(Scission.Host(name: "\(tier.rawValue)\(h)", tier: tier, blocks: blocks))
                }
            }
            var links: [String: Scission.Link] = [:]
            let hops: Set<String> = ["device>edge", "device>cloud", "edge>cloud"]
            for a in hosts {
                for b in hosts where hops.contains("\(a.tier.rawValue)>\(b.tier.rawValue)") {
                    if rng.nextUnit() < 0.1 { continue } // a missing link
                    // Slow straight to the cloud, fast to the edge and beyond, so that every
                    // kind of split wins somewhere.
                    let fast = a.tier == .edge || b.tier == .edge
                    links["\(a.name)>\(b.name)"] = Scission.Link(pingSeconds: rng.nextUnit() * 0.1,
                                                                 bytesPerSecond: (fast ? 1e6 : 1e5) * (1 + 30 * rng.nextUnit()))
                }
            }
            let input = Double(rng.nextIndex(below: 500_000))
            let best = Scission.search(hosts: hosts, links: links, inputBytes: input, count: 1).first
            XCTAssertEqual(best?.seconds ?? .infinity, Self.bruteForce(hosts, links, input, n), accuracy: 1e-9, "trial \(trial)")
            if best?.edge != nil && best?.cloud != nil { threeTier += 1 }
        }
        // The cases exercise every kind of split, three tiers included.
        XCTAssertGreaterThan(threeTier, 10)
    }

    static func bruteForce(_ hosts: [Scission.Host], _ links: [String: Scission.Link], _ input: Double, _ n: Int) -> Double {
        var best = Double.infinity
        let byTier = Scission.Tier.allCases.map { t in hosts.filter { $0.tier == t } }
        // Tier of each block as digits base 3 (0 device, 1 edge, 2 cloud), non-decreasing.
        for code in 0..<Int(pow(3, Double(n))) {
            var tiers: [Int] = [], c = code
            for _ in 0..<n { tiers.append(c % 3); c /= 3 }
            guard zip(tiers, tiers.dropFirst()).allSatisfy({ $0 <= $1 }) else { continue }
            for d in byTier[0] {
                for e in byTier[1].isEmpty ? [nil] : byTier[1].map(Optional.some) {
                    for cl in byTier[2].isEmpty ? [nil] : byTier[2].map(Optional.some) {
                        let chosen = [d, e, cl]
                        if tiers.contains(1) && e == nil || tiers.contains(2) && cl == nil { continue }
                        var time = 0.0, ok = true
                        for (i, t) in tiers.enumerated() { time += chosen[t]!.blocks[i].seconds }
                        // The data moves from the device through each tier used, in order.
                        var at = 0, bytes = input
                        for t in 1...2 where tiers.contains(t) {
                            if let last = tiers.lastIndex(where: { $0 < t }) { bytes = chosen[tiers[last]]!.blocks[last].outputBytes }
                            guard let link = links["\(chosen[at]!.name)>\(chosen[t]!.name)"] else { ok = false; break }
                            time += link.pingSeconds + bytes / link.bytesPerSecond
                            at = t
                        }
                        if ok { best = min(best, time) }
                    }
                }
            }
        }
        return best
    }
}

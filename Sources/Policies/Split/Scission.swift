import EdgeWorld
import Foundation
import JSONConfig

/// Scission's three-tier search (Lockhart et al., "Scission: Performance-driven and Context-aware
/// Cloud-Edge Distribution of Deep Neural Networks", UCC 2020; the authors' `scission_predict.py`,
/// qub-blesson/Scission): every split of a model's blocks into contiguous device, edge and cloud
/// parts, on every choice of hosts, ranked by compute time plus transfer time. This project's
/// baseline for JALAD (docs/policies/jalad.md).
///
/// The data plays forward only: the input starts on the device, each hop costs its ping plus
/// bytes over its bandwidth, and the result's return is not counted (as Scission computes it).
public enum Scission {
    public enum Tier: String, Sendable, CaseIterable { case device, edge, cloud }

    /// A block of a model as benchmarked on one host: the layers it covers, its time, its output.
    public struct Block: Sendable, Equatable {
        public var inputLayer: Int
        public var outputLayer: Int
        public var seconds: Double
        public var outputBytes: Double

        public init(inputLayer: Int, outputLayer: Int, seconds: Double, outputBytes: Double) {
            self.inputLayer = inputLayer
            self.outputLayer = outputLayer
            self.seconds = seconds
            self.outputBytes = outputBytes
        }
    }

    public struct Host: Sendable, Equatable {
        public var name: String
        public var tier: Tier
        public var blocks: [Block]

        public init(name: String, tier: Tier, blocks: [Block]) {
            self.name = name
            self.tier = tier
            self.blocks = blocks
        }
    }

    /// A one-way link: its ping and its bandwidth in bytes per second.
    public struct Link: Sendable, Equatable {
        public var pingSeconds: Double
        public var bytesPerSecond: Double

        public init(pingSeconds: Double, bytesPerSecond: Double) {
            self.pingSeconds = pingSeconds
            self.bytesPerSecond = bytesPerSecond
        }

        public func seconds(_ bytes: Double) -> Double { pingSeconds + bytes / bytesPerSecond }
    }

    /// What a tier must satisfy, in Scission's syntax: comma-separated items, each a layer the
    /// tier must run (`10`), a layer it must not (`!10`; `!-1`: the tier must run something), a
    /// host it must be (`raspi4`) or must not be (`!raspi4`); a named host also requires the tier
    /// to be used.
    public struct Criteria: Sendable, Equatable {
        public var layersIn: [Int] = []
        public var layersOut: [Int] = []
        public var hostsIn: [String] = []
        public var hostsOut: [String] = []

        public init() {}

        public init(parsing text: String) {
            for raw in text.split(separator: ",") {
                let item = raw.trimmingCharacters(in: .whitespaces)
                if item.isEmpty { continue }
                if item.hasPrefix("!") {
                    let rest = String(item.dropFirst())
                    if let n = Int(rest), n >= -1 { layersOut.append(n) } else { hostsOut.append(rest) }
                } else if let n = Int(item), n >= -1 {
                    layersIn.append(n)
                } else {
                    hostsIn.append(item)
                }
            }
        }

        /// `range`: the layers the tier runs, (−1, −1) when unused; `host`: nil when unused.
        func admits(range: (Int, Int), host: String?) -> Bool {
            if !hostsIn.isEmpty && (host == nil || !hostsIn.contains(host!)) { return false }
            if !hostsOut.isEmpty && (host == nil || hostsOut.contains(host!)) { return false }
            let contains = { (x: Int) in range.0 <= x && x <= range.1 }
            return layersIn.allSatisfy(contains) && !layersOut.contains(where: contains)
        }
    }

    /// One way to run the model: hosts, the blocks each runs, and what it costs.
    public struct Configuration: Sendable, Equatable {
        public var device: String
        public var edge: String?
        public var cloud: String?
        /// Block ranges per tier (nil: the tier runs nothing).
        public var deviceBlocks: ClosedRange<Int>?
        public var edgeBlocks: ClosedRange<Int>?
        public var cloudBlocks: ClosedRange<Int>?
        public var computeSeconds: Double
        public var transferSeconds: Double
        /// Bytes sent over all hops.
        public var uploadBytes: Double
        /// Layer ranges per tier, as Scission prints them ((−1, −1) when unused).
        public var layers: [(Int, Int)]

        public var seconds: Double { computeSeconds + transferSeconds }

        public static func == (a: Configuration, b: Configuration) -> Bool { a.description == b.description && a.seconds == b.seconds }

        /// Scission's line: "Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25".
        public var description: String {
            "Device(\(device)) = \(layers[0].0) - \(layers[0].1), Edge(\(edge ?? "None")) = \(layers[1].0) - \(layers[1].1), "
                + "Cloud(\(cloud ?? "None")) = \(layers[2].0) - \(layers[2].1)"
        }
    }

    /// Every split on every choice of hosts that meets the criteria, fastest first; of equal
    /// times, the first enumerated (device, edge, cloud hosts in the order given, then the device's
    /// last block from none up, then the edge's). `links` maps "source>destination".
    public static func search(hosts: [Host], links: [String: Link], inputBytes: Double = 150_000,
                              criteria: [Tier: Criteria] = [:], count: Int = 5) -> [Configuration] {
        let devices = hosts.filter { $0.tier == .device }, edges = hosts.filter { $0.tier == .edge }
        let clouds = hosts.filter { $0.tier == .cloud }
        guard let n = hosts.first?.blocks.count, n > 0, hosts.allSatisfy({ $0.blocks.count == n }) else { return [] }
        var found: [Configuration] = []
        var seen = Set<String>()
        for d in devices {
            for e in edges.isEmpty ? [nil] : edges.map(Optional.some) {
                for c in clouds.isEmpty ? [nil] : clouds.map(Optional.some) {
                    for x in -1..<n {
                        for y in [-1] + Array((x + 1)..<max(x + 1, n)) {
                            let dev = x >= 0 ? 0...x : nil
                            let edg = y >= 0 ? (x + 1)...y : nil
                            let cld = x != n - 1 && y != n - 1 ? (max(x, y) + 1)...(n - 1) : nil
                            if (edg != nil && e == nil) || (cld != nil && c == nil) { continue }
                            guard let config = evaluate(device: d, edge: edg.map { _ in e! }, cloud: cld.map { _ in c! },
                                                        blocks: (dev, edg, cld), links: links, inputBytes: inputBytes) else { continue }
                            let ranges: [(Tier, (Int, Int), String?)] = [(.device, config.layers[0], d.name),
                                                                          (.edge, config.layers[1], config.edge),
                                                                          (.cloud, config.layers[2], config.cloud)]
                            guard ranges.allSatisfy({ criteria[$0.0]?.admits(range: $0.1, host: $0.2) ?? true }) else { continue }
                            if seen.insert(config.description).inserted { found.append(config) }
                        }
                    }
                }
            }
        }
        // A stable sort: equal times keep the enumeration order.
        let order = found.indices.sorted { found[$0].seconds < found[$1].seconds || (found[$0].seconds == found[$1].seconds && $0 < $1) }
        return order.prefix(count).map { found[$0] }
    }

    /// One configuration's cost; nil when a hop it needs has no link.
    static func evaluate(device: Host, edge: Host?, cloud: Host?, blocks: (ClosedRange<Int>?, ClosedRange<Int>?, ClosedRange<Int>?),
                         links: [String: Link], inputBytes: Double) -> Configuration? {
        typealias Segment = (seconds: Double, out: Double, layers: (Int, Int))
        func segment(_ host: Host, _ r: ClosedRange<Int>) -> Segment {
            (r.reduce(0.0) { $0 + host.blocks[$1].seconds }, host.blocks[r.upperBound].outputBytes,
             (host.blocks[r.lowerBound].inputLayer, host.blocks[r.upperBound].outputLayer))
        }
        let none: Segment = (0, 0, (-1, -1))
        var dev: Segment = blocks.0.map { segment(device, $0) } ?? (0, inputBytes, (-1, -1))
        var edg: Segment = blocks.1.map { segment(edge!, $0) } ?? none
        let cld: Segment = blocks.2.map { segment(cloud!, $0) } ?? none
        if blocks.1 == nil && blocks.2 == nil { dev.out = 0 } else if blocks.2 == nil { edg.out = 0 }
        var transfer = 0.0
        if let e = edge, blocks.1 != nil {
            guard let up = links["\(device.name)>\(e.name)"] else { return nil }
            transfer += up.seconds(dev.out)
            if let c = cloud, blocks.2 != nil {
                guard let hop = links["\(e.name)>\(c.name)"] else { return nil }
                transfer += hop.seconds(edg.out)
            }
        } else if let c = cloud, blocks.2 != nil {
            guard let up = links["\(device.name)>\(c.name)"] else { return nil }
            transfer += up.seconds(dev.out)
        }
        return Configuration(device: device.name, edge: blocks.1 == nil ? nil : edge?.name, cloud: blocks.2 == nil ? nil : cloud?.name,
                             deviceBlocks: blocks.0, edgeBlocks: blocks.1, cloudBlocks: blocks.2,
                             computeSeconds: dev.seconds + edg.seconds + cld.seconds, transferSeconds: transfer,
                             uploadBytes: dev.out + edg.out, layers: [dev.layers, edg.layers, cld.layers])
    }

    // MARK: Scission's benchmark files

    /// The hosts of one model from a blocks table (Scission's benchmark data as CSV: `source_file`
    /// = `<tier>-<host>`, `model`, `block_index`, `input_layer`, `output_layer`, `latency_ms`,
    /// `output_bytes_npy`), in the order the table first names them.
    public static func hosts(_ table: CSVTable, model: String) throws(ConfigError) -> [Host] {
        let source = try table.column("source_file"), modelColumn = try table.column("model")
        let index = try table.column("block_index"), input = try table.column("input_layer"), output = try table.column("output_layer")
        let latency = try table.column("latency_ms"), bytes = try table.column("output_bytes_npy")
        var hosts: [Host] = []
        var models: [String] = []
        for row in table.rows {
            let m = try table.string(row, modelColumn)
            if !models.contains(m) { models.append(m) }
            guard m == model else { continue }
            let s = try table.string(row, source)
            guard let dash = s.firstIndex(of: "-"), let tier = Tier(rawValue: String(s[..<dash])) else {
                throw table.error(line: row.line, "source_file: expected <device|edge|cloud>-<host>, got \"\(Suggestion.shorten(s))\"")
            }
            let name = String(s[s.index(after: dash)...])
            let block = Block(inputLayer: try table.int(row, input), outputLayer: try table.int(row, output),
                              seconds: try table.double(row, latency) / 1000, outputBytes: try table.double(row, bytes))
            guard block.seconds >= 0, block.outputBytes >= 0, block.seconds <= 1e6, block.outputBytes <= 1e12 else {
                throw table.error(line: row.line, "expected a latency of 0 to 10^9 ms and 0 to 10^12 bytes")
            }
            let i = try table.int(row, index)
            if let other = hosts.first(where: { $0.name == name && $0.tier != tier }) {
                throw table.error(line: row.line, "source_file: host \"\(name)\" is already a \(other.tier.rawValue); each host has one tier")
            }
            if let h = hosts.firstIndex(where: { $0.name == name && $0.tier == tier }) {
                guard i == hosts[h].blocks.count else {
                    throw table.error(line: row.line, "block_index: expected \(hosts[h].blocks.count) next for \(s), got \(i)")
                }
                hosts[h].blocks.append(block)
            } else {
                guard i == 0 else { throw table.error(line: row.line, "block_index: \(s) starts at \(i), expected 0") }
                hosts.append(Host(name: name, tier: tier, blocks: [block]))
            }
        }
        if hosts.isEmpty {
            throw ConfigError(file: table.file, position: nil, path: "", message: Suggestion.unknownName(model, kind: "model", valid: models))
        }
        if !hosts.contains(where: { $0.tier == .device }) {
            throw ConfigError(file: table.file, position: nil, path: "", message: "\(model): no device-<host> rows; the data starts on a device")
        }
        if let h = hosts.first(where: { $0.blocks.count != hosts[0].blocks.count }) {
            throw ConfigError(file: table.file, position: nil, path: "",
                              message: "\(model): \(h.tier.rawValue)-\(h.name) has \(h.blocks.count) blocks, \(hosts[0].tier.rawValue)-\(hosts[0].name) \(hosts[0].blocks.count)")
        }
        return hosts
    }

    /// Links from Scission's network statistics (`source,destination,ping(ms),bandwidth(mbps)`):
    /// bandwidth in bytes per second is round(Mbit/s × 125,000), as Scission rounds it.
    public static func links(_ table: CSVTable) throws(ConfigError) -> [String: Link] {
        let source = try table.column("source"), destination = try table.column("destination")
        let ping = try table.column("ping(ms)"), bandwidth = try table.column("bandwidth(mbps)")
        var out: [String: Link] = [:]
        for row in table.rows {
            let p = try table.double(row, ping), b = try table.double(row, bandwidth)
            guard p >= 0, b > 0 else { throw table.error(line: row.line, "ping must not be negative and bandwidth must be positive") }
            out["\(try table.string(row, source))>\(try table.string(row, destination))"] =
                Link(pingSeconds: p / 1000, bytesPerSecond: (b * 125_000).rounded(.toNearestOrEven))
        }
        return out
    }
}

/// Scission's choice as a split policy: the fastest device / edge / cloud split of the task's
/// model, searched once from the profiles (device, the edge's and the cloud's GPU types) and the
/// bandwidths it is told, then fixed (Scission decides offline; JALAD's and Neurosurgeon's
/// policies decide per request).
public struct ScissionSplit: SplitPolicy {
    public let choice: Scission.Configuration
    public let cloud: Int?

    public init(choice: Scission.Configuration, cloud: Int?) {
        self.choice = choice
        self.cloud = cloud
    }

    public func route(servingSite: Int, cloud: Int?) -> Route {
        var stages: [Stage] = []
        if let r = choice.deviceBlocks { stages.append(Stage(.device, layers: r.lowerBound..<(r.upperBound + 1))) }
        if let r = choice.edgeBlocks { stages.append(Stage(.site(servingSite), layers: r.lowerBound..<(r.upperBound + 1))) }
        if let r = choice.cloudBlocks, let c = self.cloud ?? cloud { stages.append(Stage(.site(c), layers: r.lowerBound..<(r.upperBound + 1))) }
        // One stage runs the whole model: say so without a layer range.
        if stages.count == 1 { stages[0].layers = nil }
        return Route(stages)
    }

    /// Hosts from per-layer latencies (µs at batch 1) and the model's output bytes, one block a layer.
    public static func hosts(device: [Double], edge: [Double]?, cloud: [Double]?, outputBytes: [Int]) -> [Scission.Host] {
        func blocks(_ micros: [Double]) -> [Scission.Block] {
            micros.enumerated().map { Scission.Block(inputLayer: $0.offset, outputLayer: $0.offset, seconds: $0.element / 1e6,
                                                     outputBytes: Double(outputBytes[$0.offset])) }
        }
        var hosts = [Scission.Host(name: "device", tier: .device, blocks: blocks(device))]
        if let edge { hosts.append(Scission.Host(name: "edge", tier: .edge, blocks: blocks(edge))) }
        if let cloud { hosts.append(Scission.Host(name: "cloud", tier: .cloud, blocks: blocks(cloud))) }
        return hosts
    }
}

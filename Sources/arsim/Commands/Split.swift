import ArgumentParser
import Foundation
import JSONConfig
import Policies
import Profiles

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Search where to split a model across device, edge and cloud.",
        subcommands: [SplitSearch.self, SplitDecide.self])
}

struct SplitSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Scission's three-tier search: the fastest device / edge / cloud splits of a model.",
        discussion: """
            Reads per-block benchmarks (Scission's data as CSV: source_file = <tier>-<host>, \
            model, block_index, input_layer, output_layer, latency_ms, output_bytes_npy) and \
            network statistics (source, destination, ping(ms), bandwidth(mbps)), tries every \
            contiguous split of the blocks into a device part, an edge part and a cloud part on \
            every choice of hosts, and prints the fastest: compute time plus, per hop, ping + \
            bytes / bandwidth (the result's return is not counted, as in Scission).

            Criteria per tier are Scission's: a layer the tier must run (10), must not run (!10; \
            !-1 means the tier must run something), a host it must (raspi4) or must not be \
            (!raspi4), comma-separated. Layers are Scission's layer numbers, as printed.

              arsim split search --blocks scission_blocks.csv --network network_stats.csv \\
                  --model vgg19 --device '!-1' --edge 10 --cloud 16
            """)

    @Option(help: "Per-block benchmarks (CSV).")
    var blocks: String

    @Option(help: "Network statistics between hosts (CSV).")
    var network: String

    @Option(help: "The model to split.")
    var model: String

    @Option(name: [.customShort("d"), .long], help: "Criteria on the device tier.")
    var device: String = ""

    @Option(name: [.customShort("e"), .long], help: "Criteria on the edge tier.")
    var edge: String = ""

    @Option(name: [.customShort("c"), .long], help: "Criteria on the cloud tier.")
    var cloud: String = ""

    @Option(name: .customLong("input-mb"), help: "Bytes of the input (10^6 bytes) when the device runs no block.")
    var inputMB: Double = 0.15

    @Option(help: "How many configurations to print.")
    var count: Int = 5

    func validate() throws {
        guard inputMB >= 0, inputMB <= 1e4 else { throw ValidationError("--input-mb: expected 0 to 10,000 MB") }
        guard count > 0 else { throw ValidationError("--count: expected at least 1") }
    }

    func run() throws {
        let hosts: [Scission.Host], links: [String: Scission.Link]
        do {
            hosts = try Scission.hosts(CSVTable(path: blocks), model: model)
            links = try Scission.links(CSVTable(path: network))
        } catch {
            throw badInput(error)
        }
        let criteria: [Scission.Tier: Scission.Criteria] = [.device: .init(parsing: device), .edge: .init(parsing: edge), .cloud: .init(parsing: cloud)]
        for tier in Scission.Tier.allCases {
            let c = criteria[tier]!, names = hosts.filter { $0.tier == tier }.map(\.name)
            for h in c.hostsIn + c.hostsOut where !names.contains(h) {
                throw fail("--\(tier.rawValue): " + Suggestion.unknownName(h, kind: "\(tier.rawValue) host", valid: names), code: 2)
            }
        }
        let found = Scission.search(hosts: hosts, links: links, inputBytes: inputMB * 1e6, criteria: criteria, count: count)
        if found.isEmpty { throw fail("no configuration of \(model) meets the criteria", code: 1) }
        for (i, c) in found.enumerated() {
            print("[\(i + 1)] \(String(format: "%.4f", c.seconds))s - \(String(format: "%.4f", c.uploadBytes / 1e6))MB - \(c.description)")
        }
    }
}

struct SplitDecide: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "JALAD's and the baselines' split decisions on per-block benchmarks, across uplink bandwidths.",
        discussion: """
            Takes a model's per-block benchmarks on a device host and a remote host (Scission's \
            CSV, as for `split search`), and the model zoo's compression data \
            (Workloads/models/compression.json). For each bandwidth it prints the choice and the \
            predicted latency and accuracy loss of JALAD (cut and bit width within --epsilon), \
            Neurosurgeon (cut, raw), cloud-only (the input sent) and device-only. These are \
            predictions from the benchmarks, not simulations; `arsim run` with the `jalad` split \
            simulates the same policy.

              arsim split decide --blocks scission_blocks.csv --model vgg16 --device raspi4 \\
                  --remote '6700k(GPU)' --mbps 1,2,5,10,20,50,100
            """)

    @Option(help: "Per-block benchmarks (CSV).")
    var blocks: String

    @Option(help: "The model.")
    var model: String

    @Option(help: "The device host (its blocks run before the cut).")
    var device: String

    @Option(help: "The remote host (its blocks run after the cut).")
    var remote: String

    @Option(help: "Uplink bandwidths, Mbit/s, comma-separated.")
    var mbps: String = "1,2,5,10,20,50,100"

    @Option(name: .customLong("rtt-ms"), help: "A round trip added to every remote choice.")
    var rttMs: Double = 0

    @Option(help: "JALAD's bound on accuracy loss.")
    var epsilon: Double = 0.01

    @Option(name: .customLong("input-mb"), help: "What cloud-only sends (10^6 bytes).")
    var inputMB: Double = 0.15

    @Option(help: "The compression zoo (default: the bundled Workloads/models/compression.json).")
    var zoo: String?

    var bandwidths: [Double] { mbps.split(separator: ",", omittingEmptySubsequences: false).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let parts = mbps.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, bandwidths.count == parts.count, bandwidths.allSatisfy({ $0 > 0 && $0 <= 1e6 }) else {
            throw ValidationError("--mbps: expected positive numbers separated by commas, as 1,10,100")
        }
        guard (0...1).contains(epsilon) else { throw ValidationError("--epsilon: expected an accuracy loss in [0, 1]") }
        guard rttMs >= 0, rttMs <= 1e6, inputMB > 0, inputMB <= 1e4 else {
            throw ValidationError("--rtt-ms: expected 0 to 10^6 ms; --input-mb: expected more than 0 and at most 10,000 MB")
        }
    }

    func run() throws {
        let hosts: [Scission.Host], entry: CompressionZoo.Entry?
        do {
            hosts = try Scission.hosts(CSVTable(path: blocks), model: model)
            let zooPath = zoo ?? ProfileLibrary.bundledWorkloadsFile("models/compression.json")
            entry = try zooPath.map { p throws(ConfigError) in try CompressionZoo.load(path: p)[model] } ?? nil
        } catch {
            throw badInput(error)
        }
        func host(_ name: String, _ flag: String) throws -> Scission.Host {
            guard let h = hosts.first(where: { $0.name == name }) else {
                throw fail("--\(flag): " + Suggestion.unknownName(name, kind: "host", valid: hosts.map(\.name)), code: 2)
            }
            return h
        }
        let d = try host(device, "device"), r = try host(remote, "remote")
        guard let entry else { throw fail("the compression zoo has no data for \(model)", code: 2) }
        let compression = FeatureCompression(sparsity: entry.sparsity, losses: entry.losses, encodeValuesPerSecond: 1e8, decodeValuesPerSecond: 1e9)
        func decoupling(_ c: FeatureCompression?) -> Decoupling {
            Decoupling(deviceMicros: d.blocks.map { $0.seconds * 1e6 }, remoteMicros: r.blocks.map { $0.seconds * 1e6 },
                       outputBytes: d.blocks.map { Int($0.outputBytes) }, frameBytes: Int(inputMB * 1e6), compression: c,
                       epsilon: epsilon, rttSeconds: rttMs / 1000)
        }
        let jalad = decoupling(compression), plain = decoupling(nil)
        print("mbps\tjalad_ms\tjalad_cut\tjalad_bits\tjalad_loss\tneurosurgeon_ms\tneurosurgeon_cut\tcloud_ms\tdevice_ms\tjalad_vs_cloud")
        for b in bandwidths {
            let j = jalad.best(bitsPerSecond: b * 1e6), n = plain.best(bitsPerSecond: b * 1e6)
            let cloud = plain.predict(cut: 0, bits: nil, bitsPerSecond: b * 1e6)!, local = plain.predict(cut: plain.layers, bits: nil, bitsPerSecond: b * 1e6)!
            print([String(format: "%g", b), String(format: "%.1f", j.seconds * 1000), "\(j.cut)", j.bits.map(String.init) ?? "raw",
                   String(format: "%.3f", j.loss), String(format: "%.1f", n.seconds * 1000), "\(n.cut)", String(format: "%.1f", cloud.seconds * 1000),
                   String(format: "%.1f", local.seconds * 1000), String(format: "%.2f", cloud.seconds / j.seconds)].joined(separator: "\t"))
        }
    }
}

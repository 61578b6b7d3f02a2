import ArgumentParser
import Foundation
import JSONConfig
import Policies

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Search where to split a model across device, edge and cloud.",
        subcommands: [SplitSearch.self])
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
        guard inputMB >= 0, inputMB.isFinite else { throw ValidationError("--input-mb: expected a size of at least 0") }
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
        for (tier, text) in [(Scission.Tier.device, device), (.edge, edge), (.cloud, cloud)] {
            let c = Scission.Criteria(parsing: text)
            let names = hosts.filter { $0.tier == tier }.map(\.name)
            for h in c.hostsIn + c.hostsOut where !names.contains(h) {
                throw fail("--\(tier.rawValue): " + Suggestion.unknownName(h, kind: "\(tier.rawValue) host", valid: names), code: 2)
            }
        }
        let criteria: [Scission.Tier: Scission.Criteria] = [.device: .init(parsing: device), .edge: .init(parsing: edge), .cloud: .init(parsing: cloud)]
        let found = Scission.search(hosts: hosts, links: links, inputBytes: inputMB * 1e6, criteria: criteria, count: count)
        if found.isEmpty { throw fail("no configuration of \(model) meets the criteria", code: 1) }
        for (i, c) in found.enumerated() {
            print("[\(i + 1)] \(String(format: "%.4f", c.seconds))s - \(String(format: "%.4f", c.uploadBytes / 1e6))MB - \(c.description)")
        }
    }
}

import ArgumentParser
import Foundation
import IPIPE
import JSONConfig
import Scenario

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a scenario file without running it.",
        discussion: """
            Reports the first mistake as file:line:column, the JSON path, what was expected and, \
            for a misspelt key or name, the nearest valid one; exits with status 2. A valid \
            scenario prints a one-line description of the world it builds and exits with 0. An \
            IPIPE pool scenario (GPU types and models, no servers: docs/policies/ipipe.md) is \
            checked as one, its models cut into blocks from their profiles.
            """)

    @Argument(help: "The scenario file(s) to check.")
    var scenarios: [String]

    @Option(name: .customLong("set"), help: ArgumentHelp("Check with this override applied, as `arsim run --set` would (repeatable).",
                                                         valueName: "path=value"))
    var overrides: [String] = []

    func run() throws {
        for path in scenarios {
            if Self.isPoolScenario(path) {
                try validatePool(path)
                continue
            }
            do {
                let parsed = try overrides.map { text throws(ConfigError) in try Override(text) }
                let s = try Scenario.load(path: path, overrides: parsed)
                let gpus = s.spec.servers.map(\.gpus).reduce(0, +)
                print("\(path): ok: \"\(s.name)\": \(s.spec.clients.count) clients in \(s.spec.clientGroups.count) groups, "
                      + "\(s.spec.servers.count) servers with \(gpus) GPUs, \(s.spec.models.count) models")
                for n in s.notes { note("\(path): note: \(n)") }
            } catch {
                throw badInput(error)
            }
        }
    }

    /// A pool scenario names `gpus` and `nic_gbps` and no `servers` (read leniently: a file that
    /// does not parse is left to the scenario reader, which says why).
    static func isPoolScenario(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let json = try? JSONParser.parse(text),
              case .object(let o) = json.kind else { return false }
        return o["gpus"] != nil && o["nic_gbps"] != nil && o["servers"] == nil
    }

    func validatePool(_ path: String) throws {
        if !overrides.isEmpty { throw fail("--set: a pool scenario takes no overrides (\(path))", code: 2) }
        do {
            let pool = try PoolScenario.load(path: path)
            let models = try pool.pipelineModels()
            print("\(path): ok: pool scenario \"\(pool.name)\": \(pool.gpus.map { "\($0.count) \($0.type)" }.joined(separator: " + ")), "
                  + "\(models.count) models cut into \(pool.blocks) blocks; serve it with `arsim ipipe-serve --scenario \(path)`")
        } catch {
            throw badInput(error)
        }
    }
}

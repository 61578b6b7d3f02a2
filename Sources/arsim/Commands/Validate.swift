import ArgumentParser
import JSONConfig
import Scenario

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a scenario file without running it.",
        discussion: """
            Reports the first mistake as file:line:column, the JSON path, what was expected and, \
            for a misspelt key or name, the nearest valid one; exits with status 2. A valid \
            scenario prints a one-line description of the world it builds and exits with 0.
            """)

    @Argument(help: "The scenario file(s) to check.")
    var scenarios: [String]

    @Option(name: .customLong("set"), help: ArgumentHelp("Check with this override applied, as `arsim run --set` would (repeatable).",
                                                         valueName: "path=value"))
    var overrides: [String] = []

    func run() throws {
        for path in scenarios {
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
}

import ArgumentParser
import Foundation
import Profiles

@main
struct Arsim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arsim",
        abstract: "A deterministic discrete-event simulator for edge-assisted AR and DNN inference serving.",
        discussion: """
            Describe a world in a scenario file (docs/scenario.md), run it, and read every metric \
            from SQLite or as CSV. The same scenario and seed give byte-identical results.

            Start with:  arsim run Workloads/scenarios/quickstart.json
            """,
        version: "0.1.0",
        subcommands: [Run.self, Validate.self, Sweep.self, Capacity.self, Check.self, Merge.self, Export.self, Runs.self,
                      ProfilesCommand.self, Bench.self, Schema.self, Compare.self, IPIPEPlans.self, IPIPEServe.self, SplitCommand.self, Report.self]
    )

    /// As ParsableCommand's, except that a command line the parser rejects exits 2, like every
    /// other bad input (the parser's own status is 64), so scripts need to know one code.
    static func main() {
        LeastSquares.singleThreaded
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

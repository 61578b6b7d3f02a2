import ArgumentParser

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
                      ProfilesCommand.self, Bench.self]
    )
}

import ArgumentParser
import Scenario

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of scenario files.",
        discussion: """
            The schema is generated from the declarations the scenario reader reads through \
            (Sources/Scenario/ScenarioFormat.swift and each policy's parameters), so an editor \
            that validates against it flags the keys, types and ranges `arsim validate` would. \
            docs/scenario.schema.json is this output; point an editor at it, or give a scenario \
            "$schema": "<path to docs/scenario.schema.json>". Rules across files (a model with \
            a profile, a site that exists) only `arsim validate` can check.

              arsim schema > docs/scenario.schema.json
            """)

    func run() throws {
        print(ScenarioFormat.schema(), terminator: "")
    }
}

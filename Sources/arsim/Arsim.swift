import ArgumentParser
import Foundation
import Profiles
import JSONConfig

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

    /// As ParsableCommand's, except that a command line the parser rejects is one line and exits
    /// 2, like every other bad input (the parser prints its message, the option's help and the
    /// usage, and exits 64), so scripts need to know one code and logs one line per mistake.
    static func main() {
        LeastSquares.singleThreaded
        // The parser answers `help <anything>` with the top-level help and exit 0.
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "help", arguments.count >= 2 {
            let names = configuration.subcommands.map { $0._commandName }
            if !names.contains(arguments[1]) {
                FileHandle.standardError.write(Data(("arsim: error: help: " + Suggestion.unknownName(arguments[1], kind: "command", valid: names) + "\n").utf8))
                Foundation.exit(2)
            }
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((oneLine(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    /// `arsim: error: <the parser's message> (see 'arsim run --help')`.
    static func oneLine(for error: Error, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> String {
        var message = message(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        // The parser reads "-1" after an option as another option and says the value is missing.
        if message.hasPrefix("Missing value for '"), let name = message.dropFirst("Missing value for '".count).split(separator: " ").first
            .map({ String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'")) }),
           let i = arguments.firstIndex(of: name), i + 1 < arguments.count,
           arguments[i + 1].first == "-", arguments[i + 1].dropFirst().first.map({ $0.isNumber || $0 == "." }) == true {
            message = "\(name): got \(arguments[i + 1]); negative values are not accepted"
        }
        let see = fullMessage(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("See '") }
        return "arsim: error: \(message)" + (see.map { " (see \($0.dropFirst(4).dropLast(1).replacingOccurrences(of: " for more information", with: "")))" } ?? "")
    }
}

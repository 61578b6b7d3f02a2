import ArgumentParser
import Foundation

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List, inspect, import, validate and derive per-layer latency profiles.",
        discussion: """
            A profile gives the latency of every layer of one model on one GPU type, per batch \
            size, and says where the numbers come from: measured (device, software, method, \
            source) or derived (from which measurements, by which method, with what error). \
            docs/profiles.md describes the format; docs/profiling.md how to measure your own GPU.

            Profiles are searched in the scenario's `profiles` folders, then $ARSIM_PROFILES, then \
            the bundled Workloads/profiles.
            """,
        subcommands: [ProfilesList.self, ProfilesShow.self, ProfilesImport.self, ProfilesValidate.self, ProfilesDerive.self, ProfilesCompare.self])
}

/// Where to look for profiles, for the subcommands that read them.
struct ProfileFolders: ParsableArguments {
    @Option(name: .customLong("dir"), help: "A folder of profiles to search first (repeatable).")
    var directories: [String] = []

    /// A --dir that is not a folder would silently search nothing: refused, as a scenario's `profiles` is.
    func validate() throws {
        for dir in directories {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--dir \(dir): no folder there")
            }
        }
    }
}

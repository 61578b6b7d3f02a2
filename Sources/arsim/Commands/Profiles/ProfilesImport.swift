import ArgumentParser
import Foundation
import JSONConfig
import Profiles

struct ProfilesImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a published dataset into arsim profiles, keeping its citation.",
        discussion: """
            ppipe:    PATH is a copy of the PPipe artifact (github.com/JonnyKong/PPipe). Writes one \
            profile per model, GPU and MPS level: its 10 blocks at batch sizes 1-8 (TensorRT TF32), \
            with the bytes crossing each block boundary. --granularity nodes writes the per-node \
            batch-1 profiles instead.
            scission: PATH is Scission's scission_blocks.csv (or its folder): one profile per host \
            and model, per block, batch 1.
            arsim:    PATH is a profile or a folder of them: checked and rewritten in canonical form.

            Files go to OUT/<GPU>/<model>.<precision>[.mps<m>].json.
            """)

    @Option(help: "ppipe, scission or arsim.")
    var format: String

    @Argument(help: "The dataset.")
    var path: String

    @Option(help: "Folder to write the profiles into.")
    var out: String

    @Option(help: "ppipe only: blocks (default) or nodes.")
    var granularity = "blocks"

    @Option(name: .customLong("model"), help: "Only these models (repeatable).")
    var models: [String] = []

    func run() throws {
        guard let format = ProfileImport.Format(rawValue: format) else {
            throw fail("--format: " + Suggestion.unknownName(format, kind: "format", valid: ProfileImport.Format.allCases.map(\.rawValue)), code: 2)
        }
        if let why = outputFolderRefusal(out) { throw fail("--out \(out): \(why)", code: 2) }
        let only = models.isEmpty ? nil : Set(models)
        let profiles: [Profile]
        do {
            switch format {
            case .ppipe:
                let artifact = try PPipeArtifact(root: path)
                switch granularity {
                case "blocks": profiles = try ProfileImport.ppipeBlocks(artifact, models: only)
                case "nodes": profiles = try ProfileImport.ppipeNodes(artifact, models: only)
                default: throw fail("--granularity: expected blocks or nodes, got \(granularity)", code: 2)
                }
            case .scission:
                profiles = try ProfileImport.scission(path: path).filter { only?.contains($0.model) ?? true }
            case .arsim:
                profiles = try ProfileImport.arsim(path: path).filter { only?.contains($0.model) ?? true }
            }
        } catch let e as ConfigError {
            throw badInput(e)
        }
        if profiles.isEmpty { throw fail("nothing to import from \(path)", code: 2) }
        try writeProfiles(profiles, under: out)
        let gpus = Set(profiles.map(\.gpu)).count, models = Set(profiles.map(\.model)).count
        print("wrote \(profiles.count) \(format.rawValue) profiles (\(models) models, \(gpus) GPU types) to \(out)")
    }
}

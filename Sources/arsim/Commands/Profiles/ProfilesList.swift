import ArgumentParser
import JSONConfig
import Profiles

struct ProfilesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the profiles available, with their provenance kind.")

    @OptionGroup var folders: ProfileFolders

    @Option(help: "Only this model.")
    var model: String?

    @Option(help: "Only this GPU type.")
    var gpu: String?

    func run() throws {
        let library = ProfileLibrary(roots: folders.directories + ProfileLibrary.defaultRoots())
        if library.roots.isEmpty { throw fail("no profile folders: set ARSIM_PROFILES or pass --dir", code: 2) }
        var table = TextTable(header: ["gpu", "model", "precision", "mps", "kind", "unit", "layers", "batch sizes", "file"])
        table.leftAligned = [0, 1, 2, 4, 5, 7, 8]
        for entry in library.entries {
            if let model, entry.key.model != model { continue }
            if let gpu, entry.key.gpu != gpu { continue }
            let p: Profile
            do {
                guard let loaded = try library.load(entry.key) else { continue }
                p = loaded
            } catch {
                throw badInput(error)
            }
            table.rows.append([p.gpu, p.model, p.precision, p.mpsLevel > 1 ? "1/\(p.mpsLevel)" : "1", p.provenance.kind,
                               p.granularity, String(p.layers.count), batchSizes(p.batchSizes), entry.path])
        }
        print(table.render())
        print("\n\(table.rows.count) profiles in \(library.roots.joined(separator: ", "))")
    }
}

func batchSizes(_ sizes: [Int]) -> String {
    sizes.count > 3 ? "\(sizes.first!)…\(sizes.last!) (\(sizes.count))" : sizes.map(String.init).joined(separator: ",")
}

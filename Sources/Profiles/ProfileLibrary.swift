import Foundation
import JSONConfig

/// The profiles a run can use: every `<GPU>/<model>.<precision>[.mps<m>].json` under a list of
/// folders, searched in order; inside one folder a file under `measured/` is taken before one
/// elsewhere (`derived/`). Files are found by name and parsed only when a run asks for them.
public struct ProfileLibrary: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var gpu: String
        public var model: String
        public var precision: String
        public var mpsLevel: Int

        public init(gpu: String, model: String, precision: String, mpsLevel: Int = 1) {
            self.gpu = gpu
            self.model = model
            self.precision = precision
            self.mpsLevel = mpsLevel
        }

        public static func < (a: Key, b: Key) -> Bool {
            (a.gpu, a.model, a.precision, a.mpsLevel) < (b.gpu, b.model, b.precision, b.mpsLevel)
        }

        public var description: String {
            "\(model) on \(gpu) (\(precision)\(mpsLevel > 1 ? ", MPS 1/\(mpsLevel)" : ""))"
        }
    }

    public struct Entry: Sendable {
        public var key: Key
        public var path: String
        /// Whether the file lies under a `measured` folder inside its root (the root's own path
        /// does not count: a checkout under a folder of that name changes nothing).
        public var measured = false
    }

    public let roots: [String]
    /// All files found, sorted by key; for a key present in several roots, the earliest root's.
    public let entries: [Entry]
    /// The files a chosen entry hides (a derived profile behind a measured one, a bundled one
    /// behind the user's), in search order: an error can name the one that would have served.
    public let shadowed: [Entry]

    public init(roots: [String]) {
        self.roots = roots
        var seen = Set<Key>()
        var entries: [Entry] = []
        var shadowed: [Entry] = []
        for root in roots {
            for entry in ProfileLibrary.scan(root) {
                if seen.insert(entry.key).inserted { entries.append(entry) } else { shadowed.append(entry) }
            }
        }
        self.entries = entries.sorted { $0.key < $1.key }
        self.shadowed = shadowed
    }

    /// The first hidden file of `key` that is not a measurement, and the folder above its GPU
    /// folder (the one to search first for it to be taken, unless something earlier hides it too).
    public func derivedAlternative(to key: Key) -> (path: String, folder: String)? {
        guard let e = shadowed.first(where: { $0.key == key && !$0.measured }) else { return nil }
        let folder = FilePath.folder(of: FilePath.folder(of: e.path))
        return (e.path, folder)
    }

    /// The folders searched by default: `$ARSIM_PROFILES` (colon-separated), then the bundled
    /// `Workloads/profiles` of the arsim checkout: under `$ARSIM_HOME` if set, else found from the
    /// working directory or from the executable's location.
    public static func defaultRoots() -> [String] {
        var roots: [String] = []
        if let env = ProcessInfo.processInfo.environment["ARSIM_PROFILES"] {
            roots += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let bundled = bundledRoot() { roots.append(bundled) }
        return roots
    }

    /// A file of the bundled Workloads folder (the one holding the bundled profiles), such as
    /// `gpus.json` or `models/compression.json`.
    public static func bundledWorkloadsFile(_ relative: String) -> String? {
        bundledRoot().map { (FilePath.folder(of: $0) as NSString).appendingPathComponent(relative) }
    }

    public static func bundledRoot() -> String? {
        // $ARSIM_HOME names the arsim checkout (or installed share folder) outright.
        if let home = ProcessInfo.processInfo.environment["ARSIM_HOME"], !home.isEmpty {
            let candidate = (home as NSString).appendingPathComponent("Workloads/profiles")
            return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        }
        var starts = [FileManager.default.currentDirectoryPath]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        starts.append(executable.deletingLastPathComponent().path)
        for start in starts {
            var dir = URL(fileURLWithPath: start)
            for _ in 0..<6 {
                let candidate = dir.appendingPathComponent("Workloads/profiles").path
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue {
                    // Relative to the working directory where possible: it reads better in results.
                    let cwd = FileManager.default.currentDirectoryPath + "/"
                    return candidate.hasPrefix(cwd) ? String(candidate.dropFirst(cwd.count)) : candidate
                }
                dir.deleteLastPathComponent()
            }
        }
        return nil
    }

    static func scan(_ root: String) -> [Entry] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [Entry] = []
        for case let relative as String in walker where relative.hasSuffix(".json") {
            let parts = relative.split(separator: "/")
            guard parts.count >= 2 else { continue }
            let gpu = String(parts[parts.count - 2])
            var pieces = parts.last!.dropLast(5).split(separator: ".").map(String.init)
            var mps = 1
            if let last = pieces.last, last.hasPrefix("mps"), let m = Int(last.dropFirst(3)), m >= 1 {
                mps = m
                pieces.removeLast()
            }
            guard pieces.count >= 2 else { continue }
            let precision = pieces.removeLast()
            let model = pieces.joined(separator: ".")
            found.append(Entry(key: Key(gpu: gpu, model: model, precision: precision, mpsLevel: mps),
                               path: (root as NSString).appendingPathComponent(relative), measured: parts.contains("measured")))
        }
        // A measurement beats a derivation of the same key: files under a `measured` folder first.
        // (Each path is classified once, not in every comparison: splitting paths inside the
        // comparator was most of a run's start-up.)
        return found.map { (rank: $0.measured ? 0 : 1, entry: $0) }
            .sorted { ($0.rank, $0.entry.path) < ($1.rank, $1.entry.path) }
            .map(\.entry)
    }

    public func entry(_ key: Key) -> Entry? { entries.first { $0.key == key } }

    /// Loads the profile for `key`, checking that the file says what its name says.
    public func load(_ key: Key) throws(ConfigError) -> Profile? {
        guard let entry = entry(key) else { return nil }
        let profile = try ProfileFile.load(path: entry.path)
        let found = Key(gpu: ProfileFile.directoryName(gpu: profile.gpu), model: profile.model,
                        precision: profile.precision, mpsLevel: profile.mpsLevel)
        if found != key {
            throw ConfigError(file: entry.path, position: nil, path: "",
                              message: "the file name says \(key.description) but the file holds \(found.description)")
        }
        return profile
    }

    /// GPU types that have a profile of `model` at `precision`.
    public func gpus(for model: String, precision: String) -> [String] {
        entries.filter { $0.key.model == model && $0.key.precision == precision && $0.key.mpsLevel == 1 }.map(\.key.gpu)
    }

    public var models: [String] { Array(Set(entries.map(\.key.model))).sorted() }

    /// Where `model` is profiled at `precision`, for an error about a missing GPU/model pair.
    public func availability(of model: String, precision: String) -> String {
        let gpus = gpus(for: model, precision: precision)
        return gpus.isEmpty
            ? "no GPU has a \(precision) profile of \(model)"
            : "\(model) (\(precision)) is profiled on \(gpus.joined(separator: ", "))"
    }
}

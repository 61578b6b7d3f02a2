import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Profiles
import SimKernel

/// A scenario file, read and checked: the world it describes, and its text as given (which the
/// results store keeps beside every run).
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    public var file: String
    /// The scenario that runs: the file's text as given, or, with overrides, the document with
    /// them applied (in canonical layout).
    public var text: String
    /// The `--set` overrides applied to the file, in order.
    public var overrides: [Override] = []
    /// The effective document in canonical layout (see `JSONValue.canonicalText`).
    public var canonicalText: String
    /// The other files it read (profiles, catalogue, traces, trajectories) with their digests.
    public var inputFiles: [(path: String, digest: String)] = []
    public var spec: WorldSpec
    /// Things the reader left out or assumed that a person should know (no GPU catalogue found, …).
    public var notes: [String] = []

    /// Reads and validates a scenario file. Every mistake is a `ConfigError` naming the file,
    /// line, JSON path and what was expected (or the `--set` that put a bad value there).
    ///
    /// `seed` replaces the file's seed before anything is read, so that everything drawn while
    /// reading (generated motion, session arrivals) follows it too.
    public static func load(path: String, overrides: [Override] = [], seed: UInt64? = nil,
                            profileRoots: [String] = ProfileLibrary.defaultRoots()) throws(ConfigError) -> Scenario {
        try parse(InputFile.text(path, what: "the file"), file: path, overrides: overrides, seed: seed, profileRoots: profileRoots)
    }

    /// `profileRoots`: folders searched for profiles after the scenario's own `profiles` folders.
    public static func parse(_ text: String, file: String, overrides: [Override] = [], seed: UInt64? = nil,
                             profileRoots: [String] = ProfileLibrary.defaultRoots()) throws(ConfigError) -> Scenario {
        var all = overrides
        if let seed {
            guard seed <= UInt64(Int64.max) else {
                throw ConfigError(file: "--seed", position: nil, path: "", message: "must be at most 2^63-1, got \(seed)")
            }
            all.append(try Override(path: "seed", value: String(seed), origin: "--seed \(seed)"))
        }
        let root = try ConfigNode.parse(text, file: file).applying(all)
        var reader = ScenarioReader(defaultProfileRoots: profileRoots)
        let spec = try reader.world(root)
        let canonical = root.value.canonicalText()
        var scenario = Scenario(name: spec.name, description: reader.description, file: file,
                                text: all.isEmpty ? text : canonical, overrides: overrides, canonicalText: canonical,
                                inputFiles: reader.inputs.files, spec: spec)
        scenario.notes = reader.notes
        return scenario
    }

    /// Names this scenario as it will run with its seed and detail level, and the contents of
    /// every file it read: a resumed sweep skips the runs whose digest it already has. (Not the
    /// arsim build: after a change that moves outcomes, start a sweep afresh.)
    public var digest: String {
        // Contents only: the same files reached by another relative path are the same inputs.
        let files = inputFiles.map { "\nfile=\($0.digest)" }.joined()
        return Digest.hex(canonicalText + "\nseed=\(spec.seed)\ndetail=\(spec.detail.rawValue)" + files)
    }
}

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
    public var text: String
    public var spec: WorldSpec

    /// Reads and validates a scenario file. Every mistake is a `ConfigError` naming the file,
    /// line, JSON path and what was expected.
    public static func load(path: String, profileRoots: [String] = ProfileLibrary.defaultRoots()) throws(ConfigError) -> Scenario {
        try parse(InputFile.text(path, what: "the file"), file: path, profileRoots: profileRoots)
    }

    /// `profileRoots`: folders searched for profiles after the scenario's own `profiles` folders.
    public static func parse(_ text: String, file: String, profileRoots: [String] = ProfileLibrary.defaultRoots()) throws(ConfigError) -> Scenario {
        let root = try ConfigNode.parse(text, file: file)
        var reader = ScenarioReader(defaultProfileRoots: profileRoots)
        let spec = try reader.world(root)
        return Scenario(name: spec.name, description: reader.description, file: file, text: text, spec: spec)
    }
}

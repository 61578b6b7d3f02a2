import Foundation

/// Reading an input file (a scenario, a profile, a trace) as text, with the one clear error a
/// missing or unreadable file deserves.
public enum InputFile {
    /// The file's text; `what` names it in the error ("the scenario", "the trace").
    public static func text(_ path: String, what: String) throws(ConfigError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason: String
            if !FileManager.default.fileExists(atPath: path) {
                reason = "no such file"
            } else if let e = error as? CocoaError, e.code == .fileReadInapplicableStringEncoding {
                reason = "not UTF-8 text"
            } else {
                reason = error.localizedDescription
            }
            throw ConfigError(file: path, position: nil, path: "", message: "cannot read \(what) (\(reason))")
        }
    }

    /// `path` as written in `file` (a scenario, a sweep or regression spec): relative paths
    /// resolve against that file's folder.
    public static func resolve(_ path: String, relativeTo file: String) -> String {
        let folder = (file as NSString).deletingLastPathComponent
        return path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }

    /// The file parsed as JSON.
    public static func json(_ path: String, what: String) throws(ConfigError) -> ConfigNode {
        try ConfigNode.parse(text(path, what: what), file: path)
    }
}

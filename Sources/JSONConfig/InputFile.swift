import Foundation

/// Reading an input file (a scenario, a profile, a trace) as text, with the one clear error a
/// missing or unreadable file deserves.
public enum InputFile {
    /// The file's text; `what` names it in the error ("the scenario", "the trace").
    public static func text(_ path: String, what: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError(file: path, position: nil, path: "", message: "cannot read \(what): this is a folder, not a file")
        }
        if let data = FileManager.default.contents(atPath: path), String(data: data, encoding: .utf8) == nil {
            throw ConfigError(file: path, position: firstInvalidUTF8(data), path: "",
                              message: "cannot read \(what): not UTF-8 text (save the file as UTF-8)")
        }
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
        let folder = FilePath.folder(of: file)
        return path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }

    /// The file parsed as JSON.
    /// Line and column (in bytes) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> SourcePosition? {
        var line = 1, lineStart = 0
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var offset = 0, scalarStart = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                offset += String(s).utf8.count
                if s == "\n" { line += 1; lineStart = offset }
                scalarStart = offset
            case .emptyInput:
                return nil
            case .error:
                return SourcePosition(line: line, column: scalarStart - lineStart + 1)
            }
        }
    }

    public static func json(_ path: String, what: String) throws(ConfigError) -> ConfigNode {
        try ConfigNode.parse(text(path, what: what), file: path)
    }
}

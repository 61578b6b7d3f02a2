import ArgumentParser
import Foundation
import JSONConfig
import ResultsStore

/// Prints one clear line to standard error and exits with `code`: 2 for bad input (a scenario,
/// a profile, an argument), 1 for anything that went wrong while running.
func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("arsim: error: \(message)\n".utf8))
    return ExitCode(code)
}

func badInput(_ error: ConfigError) -> ExitCode { fail(error.description, code: 2) }

func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Opens an existing results database to read it (`runs`, `export`, `compare`): a missing file
/// or one that is not a results database of this schema is bad input, exit 2.
func openForReading(_ db: String) throws -> ResultsStore {
    guard FileManager.default.fileExists(atPath: db) else { throw fail("no database at \(db)", code: 2) }
    do { return try ResultsStore(readingFrom: db) } catch { throw fail("\(db): \(error)", code: 2) }
}

/// Opens (creating it if absent) the results database a command writes to. Every way it can be
/// unusable is bad input, exit 2, with the file left as it is: an empty path (SQLite would
/// silently use a temporary database and lose the results), a folder, a folder that does not
/// exist (only the default `Results/` is created: a typo must not make directories), a file
/// that is not an arsim database, or one of another schema.
func openForWriting(_ path: String, option: String = "--db", isDefault: Bool = false) throws -> ResultsStore {
    let folder = FilePath.folder(of: path)
    if isDefault && !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw fail("cannot create the folder \(folder) for \(path): \((error as NSError).localizedDescription)", code: 1)
        }
    }
    if let why = pathRefusal(path) { throw fail("\(option)\(path.isEmpty ? "" : " \(path)"): \(why)", code: 2) }
    do { return try ResultsStore(path: path) } catch {
        // What the file is (not a database, damaged, read-only, another program's or schema) is
        // bad input; a busy lock, a full disk or an I/O error is a failure while running.
        // SQLite's primary codes: 0 ours, PERM 3, READONLY 8, CORRUPT 11, CANTOPEN 14, NOTADB 26.
        let code = (error as? SQLiteError).map { $0.code & 0xff } ?? -1
        throw fail("\(option) \(path): \(error)", code: [0, 3, 8, 11, 14, 26].contains(code) ? 2 : 1)
    }
}

/// Why `path` cannot name a file to create or write: it is empty, a folder, or in a folder
/// that does not exist.
func pathRefusal(_ path: String) -> String? {
    if path.isEmpty { return "expected a file path, got an empty one" }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return "is a folder; give a file in it" }
    let folder = FilePath.folder(of: path)
    let dir = folder.isEmpty ? "." : folder
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return "there is no folder \(dir)" }
    return nil
}

/// Why an output such as `--csv` or `--out` cannot be written at `path`, checked before any
/// work: `pathRefusal`, or a folder that cannot be written.
func outputRefusal(_ path: String) -> String? {
    if let why = pathRefusal(path) { return why }
    let folder = FilePath.folder(of: path)
    let dir = folder.isEmpty ? "." : folder
    return FileManager.default.isWritableFile(atPath: dir) ? nil : "the folder \(dir) cannot be written"
}

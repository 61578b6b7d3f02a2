import ArgumentParser
import Foundation
import JSONConfig
import Profiles
import ResultsStore

/// Prints one clear line to standard error and exits with `code`: 2 for bad input (a scenario,
/// a profile, an argument), 1 for anything that went wrong while running.
func fail(_ message: String, code: Int32) -> ExitCode {
    // One line even where a path or a value holds a line break (or any other control character).
    var line = ""
    for scalar in message.unicodeScalars {
        switch scalar {
        case "\n": line += "\\n"
        case "\r": line += "\\r"
        case "\t": line += " "
        case _ where scalar.value < 0x20 || (0x7f ... 0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
            line += "\\u{\(String(scalar.value, radix: 16))}"
        default: line.unicodeScalars.append(scalar)
        }
    }
    FileHandle.standardError.write(Data("arsim: error: \(line)\n".utf8))
    return ExitCode(code)
}

func badInput(_ error: ConfigError) -> ExitCode { fail(error.description, code: 2) }

func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Opens an existing results database to read it (`runs`, `export`, `compare`): a missing file
/// or one that is not a results database of this schema is bad input, exit 2.
func openForReading(_ db: String) throws -> ResultsStore {
    switch PathKind(db) {
    case .none: throw fail("no database at \(db)", code: 2)
    case .folder: throw fail("\(db): is a folder, not a results database", code: 2)
    case .other: throw fail("\(db): \(PathKind.otherRefusal)", code: 2)
    case .file: break
    }
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
    // SQLite takes a file too short for its header (under 100 bytes) for an empty database and
    // writes over it: only an empty file or a database is opened.
    if let head = fileHead(path), !head.isEmpty, head != sqliteHeader {
        throw fail("\(option) \(path): not an SQLite database (a file of other contents); give a new file name", code: 2)
    }
    do { return try ResultsStore(path: path) } catch {
        // What the file is (not a database, damaged, read-only, another program's or schema) is
        // bad input; a busy lock, a full disk or an I/O error is a failure while running.
        // SQLite's primary codes: 0 ours, PERM 3, READONLY 8, CORRUPT 11, CANTOPEN 14, NOTADB 26.
        let code = (error as? SQLiteError).map { $0.code & 0xff } ?? -1
        throw fail("\(option) \(path): \(error)", code: [0, 3, 8, 11, 14, 26].contains(code) ? 2 : 1)
    }
}

/// Why `path` cannot name a file to create or write: it is empty, a folder, a pipe, device or
/// socket, or in a folder that does not exist.
func pathRefusal(_ path: String) -> String? {
    if path.isEmpty { return "expected a file path, got an empty one" }
    if path == "-" { return "is standard input or output, not a file; give a file name" }
    switch PathKind(path) {
    case .folder: return "is a folder; give a file in it"
    case .other: return PathKind.otherRefusal
    case .none, .file: break
    }
    let dir = containingFolder(path)
    return PathKind(dir) == .folder ? nil : "there is no folder \(dir)"
}

/// Why an output such as `--csv`, `--out` or `--trace` cannot be written at `path`, checked
/// before any work: `pathRefusal`, an SQLite database (results are never replaced by an
/// export, a report or a trace), or a folder that cannot be written.
func outputRefusal(_ path: String) -> String? {
    if let why = pathRefusal(path) { return why }
    if let head = fileHead(path), head == sqliteHeader { return "that is an SQLite database; choose another file name" }
    let dir = containingFolder(path)
    return FileManager.default.isWritableFile(atPath: dir) ? nil : "the folder \(dir) cannot be written"
}

/// The folder a path's file is in: "." for a bare name.
func containingFolder(_ path: String) -> String {
    let folder = FilePath.folder(of: path)
    return folder.isEmpty ? "." : folder
}

/// What a path names, following links: nothing (or a link that leads nowhere), a regular file,
/// a folder, or something else (a pipe, a device, a socket): that is neither read as a
/// database, where opening a pipe waits for a writer forever, nor replaced by an output.
enum PathKind {
    case none, file, folder, other

    init(_ path: String) {
        var info = stat()
        guard !path.isEmpty, stat(path, &info) == 0 else { self = .none; return }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .file
        case S_IFDIR: self = .folder
        default: self = .other
        }
    }

    static let otherRefusal = "is not a regular file (a pipe, a device or a socket); give a file"
}

let sqliteHeader = Data("SQLite format 3\0".utf8)

/// The first 16 bytes of the regular file at `path`; nil where there is none.
func fileHead(_ path: String) -> Data? {
    guard PathKind(path) == .file, let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 16)) ?? Data()
}

/// Whether two paths name the same file, or would once created: each is resolved by the system
/// (links, `.` and `..`), a file that does not exist yet through its folder, which must.
func samePath(_ a: String, _ b: String) -> Bool { canonicalPath(a) == canonicalPath(b) }

func canonicalPath(_ path: String) -> String {
    func real(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
    if let whole = real(path) { return whole }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    guard let parent = real(containingFolder(path)) else { return path }
    return parent == "/" ? "/" + name : parent + "/" + name
}

/// Why `path` cannot be a folder that a command writes files into (`profiles import --out`,
/// `profiles derive --out`): empty, something other than a folder, a folder that cannot be
/// written, or a new folder whose parent does not exist (a typo makes no chain of folders).
func outputFolderRefusal(_ path: String) -> String? {
    if path.isEmpty { return "expected a folder path, got an empty one" }
    switch PathKind(path) {
    case .folder: return FileManager.default.isWritableFile(atPath: path) ? nil : "the folder cannot be written"
    case .file, .other: return "is not a folder"
    case .none:
        let parent = containingFolder(path)
        return PathKind(parent) == .folder ? nil : "there is no folder \(parent)"
    }
}

/// Writes profiles under `folder`, a failure of the disk (full, read-only) as exit 1 in one line.
func writeProfiles(_ profiles: [Profile], under folder: String, option: String = "--out") throws {
    for p in profiles {
        do { _ = try ProfileFile.write(p, under: folder) } catch {
            throw fail("\(option) \(folder): cannot write \(p.gpu)/\(p.model) (\(error.localizedDescription))", code: 1)
        }
    }
}

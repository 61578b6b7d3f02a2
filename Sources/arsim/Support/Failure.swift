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

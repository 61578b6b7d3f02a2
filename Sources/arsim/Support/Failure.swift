import ArgumentParser
import Foundation
import JSONConfig

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

import Foundation

/// A CSV file with a header row, read for an importer or a trace: cells by column name, and
/// errors that name file:line.
public struct CSVTable: Sendable {
    public let file: String
    public let header: [String]
    /// Data rows with their 1-based line numbers in the file.
    public let rows: [(line: Int, cells: [String])]

    public init(path: String, hasHeader: Bool = true) throws(ConfigError) {
        self.init(text: try InputFile.text(path, what: "the file"), file: path, hasHeader: hasHeader)
    }

    public init(text: String, file: String, hasHeader: Bool = true) {
        self.file = file
        var lines: [(Int, [String])] = []
        // "\r\n" is one Character in Swift, so split on any newline character.
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            lines.append((i + 1, CSVTable.split(String(line))))
        }
        if hasHeader, let first = lines.first {
            header = first.1.map { $0.trimmingCharacters(in: .whitespaces) }
            rows = Array(lines.dropFirst())
        } else {
            header = []
            rows = lines
        }
    }

    /// Splits one line, honouring double-quoted fields.
    static func split(_ line: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var chars = line.unicodeScalars.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    quoted = false
                } else {
                    cell.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                cells.append(cell)
                cell = ""
            } else {
                cell.unicodeScalars.append(c)
            }
        }
        cells.append(cell)
        return cells
    }

    public func error(line: Int, _ message: String) -> ConfigError {
        ConfigError(file: file, position: SourcePosition(line: line, column: 1), path: "", message: message)
    }

    public func column(_ name: String) throws(ConfigError) -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw ConfigError(file: file, position: SourcePosition(line: 1, column: 1), path: "",
                              message: Suggestion.unknownName(name, kind: "column", valid: header))
        }
        return i
    }

    public func string(_ row: (line: Int, cells: [String]), _ column: Int) throws(ConfigError) -> String {
        guard column < row.cells.count else { throw error(line: row.line, "expected at least \(column + 1) fields, got \(row.cells.count)") }
        return row.cells[column].trimmingCharacters(in: .whitespaces)
    }

    public func double(_ row: (line: Int, cells: [String]), _ column: Int) throws(ConfigError) -> Double {
        let s = try string(row, column)
        guard let d = Double(s), d.isFinite else {
            throw error(line: row.line, "field \(column + 1)\(header.isEmpty ? "" : " (\(header[column]))"): expected a number, got \"\(s)\"")
        }
        return d
    }

    public func int(_ row: (line: Int, cells: [String]), _ column: Int) throws(ConfigError) -> Int {
        let s = try string(row, column)
        guard let i = Int(s) else {
            throw error(line: row.line, "field \(column + 1)\(header.isEmpty ? "" : " (\(header[column]))"): expected an integer, got \"\(s)\"")
        }
        return i
    }
}

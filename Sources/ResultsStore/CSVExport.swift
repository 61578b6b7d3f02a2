import CSQLite
import Foundation
import JSONConfig

/// Writes one table (optionally one run of it) as CSV: a header row, then one line per row, with
/// RFC 4180 quoting (fields holding a comma, quote or line break are quoted, quotes doubled).
/// NULL is an empty field; reals use the shortest text that reads back to the same double.
public enum CSVExport {
    public enum Failure: Error, CustomStringConvertible {
        case unknownTable(String)
        case noSuchRun(Int64)
        case tableAbsent(String)
        case database(SQLiteError)

        public var description: String {
            switch self {
            case .unknownTable(let t):
                return Suggestion.unknownName(t, kind: "table", valid: CSVExport.tables)
            case .noSuchRun(let r): return "no run with id \(r) in this database"
            case .tableAbsent(let t): return "this database has no \(t) table: it was written by an arsim from before that table (a run appended to it adds the table)"
            case .database(let e): return e.description
            }
        }
    }

    public static var tables: [String] { Schema.exportable.map(\.table) }

    /// Streams the CSV text to `write` in pieces; returns the number of data rows.
    @discardableResult
    public static func export(store: ResultsStore, table: String, run: Int64?,
                              write: (String) throws -> Void) throws -> Int {
        guard let entry = Schema.exportable.first(where: { $0.table == table }) else { throw Failure.unknownTable(table) }
        do {
            if try !store.hasTable(table, orView: true) { throw Failure.tableAbsent(table) }
            if let run {
                let check = try store.db.prepare("SELECT 1 FROM runs WHERE run_id = ?")
                check.bind(1, run)
                if try !check.step() { throw Failure.noSuchRun(run) }
            }
            let filter = run == nil ? "" : " WHERE run_id = ?"
            let order = try store.hasTable(table) ? " ORDER BY \(entry.orderBy)" : ""
            let s = try store.db.prepare("SELECT * FROM \(table)\(filter)\(order)")
            if let run { s.bind(1, run) }
            let n = s.columnCount
            try write((0..<n).map { field(s.columnName($0)) }.joined(separator: ",") + "\n")
            var rows = 0
            var buffer = ""
            while try s.step() {
                for i in 0..<n {
                    if i > 0 { buffer += "," }
                    switch s.value(i) {
                    case .null: break
                    case .integer(let v): buffer += String(v)
                    case .real(let v): buffer += "\(v)"
                    case .text(let t): buffer += field(t)
                    }
                }
                buffer += "\n"
                rows += 1
                if buffer.utf8.count > 1 << 16 {
                    try write(buffer)
                    buffer = ""
                }
            }
            try write(buffer)
            return rows
        } catch let e as SQLiteError {
            throw Failure.database(e)
        }
    }

    static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation

/// Columns padded to their widest cell, numbers right-aligned: for the summaries `arsim` prints.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// Columns (by index) that hold text and align left.
    var leftAligned: Set<Int> = [0]

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A number with a fixed count of decimals ("-" for none); the C locale, so always a dot.
func fixed(_ value: Double?, _ decimals: Int) -> String {
    guard let value, value.isFinite else { return "-" }
    return String(format: "%.\(decimals)f", value)
}

/// 12345678 → "12,345,678".
func grouped(_ n: UInt64) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

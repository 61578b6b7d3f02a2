import EdgeWorld
import Foundation
import JSONConfig
import SimKernel

/// Readers of link-capacity traces, each into a `CapacityTrace` (piecewise constant, repeating).
public enum NetworkTraces {
    /// Mahimahi's format (Netravali et al., USENIX ATC 2015; used by Winstein et al., NSDI 2013):
    /// one line per 1500-byte delivery opportunity, its time in milliseconds since the start; a
    /// time may repeat. Opportunities are counted per `bin` and turned into bits per second; the
    /// trace repeats after its last millisecond, as Mahimahi replays it.
    public static func mahimahi(text: String, file: String, bin: SimTime = Time.milliseconds(100)) throws(ConfigError) -> CapacityTrace {
        precondition(bin > 0)
        var times: [Int64] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let ms = Int64(line), ms >= 0 else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected a delivery time in whole milliseconds, got \"\(line)\"")
            }
            if let last = times.last, ms < last {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "delivery times must not decrease (\(ms) after \(last))")
            }
            times.append(ms)
        }
        guard let last = times.last, last > 0 else {
            throw ConfigError(file: file, position: nil, path: "", message: "a Mahimahi trace needs delivery opportunities over more than 0 ms")
        }
        let period = Time.milliseconds(Double(last))
        let bins = Int((period + bin - 1) / bin)
        var counts = [Int](repeating: 0, count: bins)
        for ms in times {
            // An opportunity at the very last millisecond falls in the last bin.
            let b = min(Int(Time.milliseconds(Double(ms)) / bin), bins - 1)
            counts[b] += 1
        }
        var starts: [SimTime] = [], rates: [Double] = []
        for b in 0..<bins {
            let start = SimTime(b) * bin
            let length = min(bin, period - start)
            starts.append(start)
            rates.append(Double(counts[b] * 1500 * 8) / Time.toSeconds(length))
        }
        return CapacityTrace(starts: starts, rates: rates, period: period)
    }

    /// A CSV of `time,Mbps` rows (seconds from the start, capacity from then on), with or without a
    /// header. The last row's capacity lasts one median step; then the trace repeats.
    public static func csv(text: String, file: String) throws(ConfigError) -> CapacityTrace {
        var points: [(Double, Double)] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.isEmpty || (fields.count == 1 && fields[0].isEmpty) { continue }
            guard fields.count >= 2, let t = Double(fields[0]), let mbps = Double(fields[1]) else {
                if points.isEmpty && i == 0 { continue }  // a header
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected time_s,Mbps, got \"\(raw)\"")
            }
            guard t >= 0, mbps >= 0, mbps.isFinite else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "time and Mbps must not be negative")
            }
            if let last = points.last, t <= last.0 {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "times must increase (\(t) after \(last.0))")
            }
            points.append((t, mbps))
        }
        guard points.count >= 1, points.contains(where: { $0.1 > 0 }) else {
            throw ConfigError(file: file, position: nil, path: "", message: "a capacity trace needs at least one row with capacity above 0")
        }
        let t0 = points[0].0
        let steps = zip(points, points.dropFirst()).map { $1.0 - $0.0 }.sorted()
        let step = steps.isEmpty ? 1 : steps[steps.count / 2]
        return CapacityTrace(starts: points.map { Time.seconds($0.0 - t0) }, rates: points.map { $0.1 * 1e6 },
                             period: Time.seconds(points.last!.0 - t0 + step))
    }

    /// A column of a CSV table with a header (a measurement campaign's file): the rows that match
    /// `filters` (column = value), time from `timeColumn` in `timeUnit` ("s" or "ms"), capacity
    /// from `valueColumn` in `valueUnit` ("mbps", "kbps" or "bps"). Used for the 5Gophers and
    /// Irish 5G datasets and Mahimahi traces converted to capacity per interval.
    public static func table(text: String, file: String, timeColumn: String, valueColumn: String, timeUnit: String = "s",
                             valueUnit: String = "mbps", filters: [(column: String, value: String)] = []) throws(ConfigError) -> CapacityTrace {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let headerLine = lines.first else { throw ConfigError(file: file, position: nil, path: "", message: "the file is empty") }
        let header = headerLine.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) throws(ConfigError) -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw ConfigError(file: file, position: SourcePosition(line: 1, column: 1), path: "",
                                  message: Suggestion.unknownName(name, kind: "column", valid: header))
            }
            return i
        }
        let t = try column(timeColumn), v = try column(valueColumn)
        var where_: [(Int, String)] = []
        for f in filters { where_.append((try column(f.column), f.value)) }
        let timeScale = timeUnit == "ms" ? 0.001 : 1
        let valueScale = valueUnit == "kbps" ? 0.001 : (valueUnit == "bps" ? 1e-6 : 1)
        var points: [(time: Double, value: Double, count: Int)] = []
        for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected \(header.count) fields, got \(cells.count)")
            }
            guard where_.allSatisfy({ cells[$0.0] == $0.1 }) else { continue }
            guard let time = Double(cells[t]), let value = Double(cells[v]) else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "\(timeColumn) and \(valueColumn) must be numbers")
            }
            // Rows logged at the same instant are averaged.
            if let last = points.last, last.time == time * timeScale {
                points[points.count - 1] = (last.time, last.value + value * valueScale, last.count + 1)
            } else {
                points.append((time * timeScale, value * valueScale, 1))
            }
        }
        let rows = ["time_s,mbps"] + points.map { "\($0.time),\($0.value / Double($0.count))" }
        if rows.count == 1 {
            throw ConfigError(file: file, position: nil, path: "", message: "no row matches " + filters.map { "\($0.column)=\($0.value)" }.joined(separator: ", "))
        }
        return try csv(text: rows.joined(separator: "\n"), file: file)
    }

    /// A generated trace: capacity redrawn every `step` from a lognormal with the given mean and
    /// coefficient of variation, for `length`, from a named stream.
    public static func generated(meanMbps: Double, cv: Double, step: SimTime, length: SimTime, seed: UInt64, name: String) -> CapacityTrace {
        var rng = RandomStream(seed: seed, name: "trace/\(name)")
        let d = cv > 0 ? Distribution.lognormal(mean: meanMbps, cv: cv) : .constant(meanMbps)
        var starts: [SimTime] = [], rates: [Double] = []
        var t: SimTime = 0
        while t < length {
            starts.append(t)
            rates.append(d.sample(&rng) * 1e6)
            t += step
        }
        return CapacityTrace(starts: starts, rates: rates, period: t)
    }

    public static func read(path: String) throws(ConfigError) -> String {
        try InputFile.text(path, what: "the trace")
    }
}

import EdgeWorld
import Foundation
import JSONConfig
import SimKernel

/// Readers of link-capacity traces, each into a `CapacityTrace` (piecewise constant, repeating).
public enum NetworkTraces {
    /// Segments a trace may have (16 bytes each, held for the whole run).
    public static let maxSegments = 10_000_000

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
            guard let ms = Int64(line), ms >= 0, Double(ms) <= Bounds.maxSeconds * 1e3 else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected a delivery time in whole milliseconds from 0 to \(Suggestion.format(Bounds.maxSeconds * 1e3)), got \"\(Suggestion.shorten(line))\"")
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
        if bins > maxSegments {
            throw ConfigError(file: file, position: nil, path: "",
                              message: "\(Suggestion.format(Double(last))) ms in bins of \(Suggestion.format(Time.toMilliseconds(bin))) ms make \(bins) bins; at most \(maxSegments): give a larger bin_ms")
        }
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
        let trace = CapacityTrace(starts: starts, rates: rates, period: period)
        try checkMean(trace, file: file)
        return trace
    }

    /// A trace whose mean capacity is below `Bounds.minBitsPerSecond` would hold a transfer past
    /// any time the simulator can represent.
    static func checkMean(_ trace: CapacityTrace, file: String) throws(ConfigError) {
        if trace.meanBitsPerSecond < Bounds.minBitsPerSecond {
            throw ConfigError(file: file, position: nil, path: "",
                              message: "the mean capacity is \(trace.meanBitsPerSecond) bit/s; a trace needs at least \(Suggestion.format(Bounds.minBitsPerSecond)) bit/s on average")
        }
    }

    /// A CSV of `time,Mbps` rows (seconds from the start, capacity from then on), with or without a
    /// header. The last row's capacity lasts one median step; then the trace repeats.
    public static func csv(text: String, file: String) throws(ConfigError) -> CapacityTrace {
        var points = Points(file: file, averageEqualTimes: false)
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.isEmpty || (fields.count == 1 && fields[0].isEmpty) { continue }
            guard fields.count == 2, let t = Double(fields[0]), let mbps = Double(fields[1]) else {
                if points.isEmpty && i == 0 { continue }  // a header
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected time_s,Mbps (two columns; a campaign's table is \"format\": \"table\"), got \"\(Suggestion.shorten(String(raw)))\"")
            }
            try points.add(time: t, mbps: mbps, line: i + 1)
        }
        return try points.trace()
    }

    /// A column of a CSV table with a header (a measurement campaign's file): the rows that match
    /// `filters` (column = value), time from `timeColumn` in `timeUnit` ("s" or "ms"), capacity
    /// from `valueColumn` in `valueUnit` ("mbps", "kbps" or "bps"); rows logged at the same
    /// instant are averaged. Used for the 5Gophers and Irish 5G datasets and Mahimahi traces
    /// converted to capacity per interval.
    public static func table(text: String, file: String, timeColumn: String, valueColumn: String, timeUnit: String = "s",
                             valueUnit: String = "mbps", filters: [(column: String, value: String)] = []) throws(ConfigError) -> CapacityTrace {
        let table = CSVTable(text: text, file: file)
        if table.header.isEmpty { throw ConfigError(file: file, position: nil, path: "", message: "the file is empty") }
        let t = try table.column(timeColumn), v = try table.column(valueColumn)
        var matches: [(Int, String)] = []
        for f in filters { matches.append((try table.column(f.column), f.value)) }
        let timeScale = timeUnit == "ms" ? 0.001 : 1
        let valueScale = valueUnit == "kbps" ? 0.001 : (valueUnit == "bps" ? 1e-6 : 1)
        var points = Points(file: file, averageEqualTimes: true)
        for row in table.rows {
            guard row.cells.count == table.header.count else {
                throw table.error(line: row.line, "expected \(table.header.count) fields, got \(row.cells.count)")
            }
            var matching = true
            for (column, value) in matches where try table.string(row, column) != value { matching = false }
            guard matching else { continue }
            try points.add(time: table.double(row, t) * timeScale, mbps: table.double(row, v) * valueScale, line: row.line)
        }
        if points.isEmpty {
            throw ConfigError(file: file, position: nil, path: "", message: "no row matches " + filters.map { "\($0.column)=\($0.value)" }.joined(separator: ", "))
        }
        return try points.trace()
    }

    /// (time, Mbps) points as a capacity trace, checked as they come.
    struct Points {
        let file: String
        let averageEqualTimes: Bool
        private var points: [(time: Double, mbps: Double, count: Int)] = []

        init(file: String, averageEqualTimes: Bool) {
            self.file = file
            self.averageEqualTimes = averageEqualTimes
        }

        var isEmpty: Bool { points.isEmpty }

        mutating func add(time t: Double, mbps: Double, line: Int) throws(ConfigError) {
            // Times may be Unix times (measurement campaigns log them); the span is checked at the end.
            guard t >= 0, t <= 1e12, mbps >= 0, mbps <= Bounds.maxBitsPerSecond / 1e6 else {
                throw ConfigError(file: file, position: SourcePosition(line: line, column: 1), path: "",
                                  message: "expected a time from 0 to 1e12 s and a capacity from 0 to "
                                  + "\(Suggestion.format(Bounds.maxBitsPerSecond / 1e6)) Mbit/s, got \(t), \(mbps)")
            }
            if points.count >= NetworkTraces.maxSegments {
                throw ConfigError(file: file, position: SourcePosition(line: line, column: 1), path: "",
                                  message: "more than \(NetworkTraces.maxSegments) rows")
            }
            if let last = points.last {
                if averageEqualTimes && t == last.time {
                    points[points.count - 1] = (t, last.mbps + mbps, last.count + 1)
                    return
                }
                if t <= last.time || t - last.time < 1e-6 {
                    throw ConfigError(file: file, position: SourcePosition(line: line, column: 1), path: "",
                                      message: "times must increase by at least 1 µs (\(t) after \(last.time))")
                }
            }
            points.append((t, mbps, 1))
        }

        /// Capacity from each time on; the last point lasts one median step; then the trace repeats.
        func trace() throws(ConfigError) -> CapacityTrace {
            let rates = points.map { $0.mbps / Double($0.count) * 1e6 }
            guard !points.isEmpty, rates.contains(where: { $0 > 0 }) else {
                throw ConfigError(file: file, position: nil, path: "", message: "a capacity trace needs at least one row with capacity above 0")
            }
            let t0 = points[0].time
            if points.last!.time - t0 > Bounds.maxSeconds {
                throw ConfigError(file: file, position: nil, path: "",
                                  message: "the trace spans \(Suggestion.format(points.last!.time - t0)) s; at most \(Suggestion.format(Bounds.maxSeconds))")
            }
            let steps = zip(points, points.dropFirst()).map { $1.time - $0.time }.sorted()
            let step = steps.isEmpty ? 1 : steps[steps.count / 2]
            let trace = CapacityTrace(starts: points.map { Time.seconds($0.time - t0) }, rates: rates,
                                      period: Time.seconds(points.last!.time - t0) + max(1, Time.seconds(step)))
            try NetworkTraces.checkMean(trace, file: file)
            return trace
        }
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

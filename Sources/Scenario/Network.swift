import EdgeWorld
import Foundation
import JSONConfig
import SimKernel
import Traces

extension ScenarioReader {
    /// Steps of a generated capacity trace (16 bytes each) that a scenario may ask for.
    static let maxTraceSteps = 10_000_000
    /// Steps of generated camera motion over all clients, drawn as the run goes: tens of seconds of drawing.
    static let maxMotionSteps = 1_000_000_000

    /// The two directions of a network hop: `uplink_mbps` or `uplink_trace`, the same for the
    /// downlink, and the delay, jitter and loss they share.
    func linkPair(_ node: ConfigNode, name: String, kinds: (String, String)) throws(ConfigError) -> (LinkSpec, LinkSpec) {
        let o = try node.object(ScenarioFormat.network)
        let delay = try o.time("delay_ms") ?? 0
        let jitter = try o.time("jitter_ms") ?? 0
        let loss = try o.number("loss") ?? 0
        // Without a given retransmission delay, a lost packet is resent after one round trip.
        let retransmit = try o.time("retransmit_ms") ?? 2 * delay
        func capacity(_ direction: String) throws(ConfigError) -> CapacityTrace {
            let mbps = o.optional("\(direction)_mbps"), trace = o.optional("\(direction)_trace")
            switch (mbps, trace) {
            case (.some, nil): return .constant(bitsPerSecond: try o.requiredNumber("\(direction)_mbps"))
            case (nil, let t?): return try self.trace(t, name: "\(name)/\(direction)")
            case (.some, .some): throw try o.required("\(direction)_trace").error("give \(direction)_mbps or \(direction)_trace, not both")
            case (nil, nil): throw o.error("missing required key \"\(direction)_mbps\" (or \"\(direction)_trace\")")
            }
        }
        let up = LinkSpec(name: "\(name)/up", kind: kinds.0, capacity: try capacity("uplink"), propagationDelay: delay,
                          jitter: jitter, lossRate: loss, retransmitDelay: retransmit)
        let down = LinkSpec(name: "\(name)/down", kind: kinds.1, capacity: try capacity("downlink"), propagationDelay: delay,
                            jitter: jitter, lossRate: loss, retransmitDelay: retransmit)
        return (up, down)
    }

    /// A capacity trace: from a file (Mahimahi or time,Mbps CSV) or generated (lognormal steps).
    func trace(_ node: ConfigNode, name: String) throws(ConfigError) -> CapacityTrace {
        let o = try node.object(ScenarioFormat.trace)
        if let fileNode = o.optional("file") {
            do {
                return try traceFile(o, fileNode: fileNode)
            } catch let e where e.file != scenarioFile {
                // A mistake inside the trace file: say which scenario key read it, too.
                throw fileNode.error("in \(e.description)")
            }
        }
        return try generatedTrace(o, name: name)
    }

    func traceFile(_ o: ConfigObject, fileNode: ConfigNode) throws(ConfigError) -> CapacityTrace {
        for key in ["mean_mbps", "cv", "step_ms", "length_s"] {
            if let n = o.optional(key) { throw n.error("a trace read from a file takes no \(key)") }
        }
        let path = resolve(try fileNode.string())
        guard FileManager.default.fileExists(atPath: path) else { throw fileNode.error("no file at \(path)") }
        let format = try o.required("format").choice(["mahimahi", "csv", "table"])
        if format != "mahimahi", let n = o.optional("bin_ms") { throw n.error("only Mahimahi traces are binned") }
        if format != "table" {
            for key in ["time_column", "value_column", "time_unit", "value_unit", "where"] {
                if let n = o.optional(key) { throw n.error("\(key) belongs to the table format") }
            }
        }
        let bin = try o.time("bin_ms") ?? 100_000_000
        var table: (time: String, value: String, timeUnit: String, valueUnit: String, filters: [(String, String)])?
        if format == "table" {
            table = (try o.required("time_column").string(), try o.required("value_column").string(),
                     try o.optional("time_unit")?.choice(["s", "ms"]) ?? "s",
                     try o.optional("value_unit")?.choice(["mbps", "kbps", "bps"]) ?? "mbps",
                     try o.optional("where")?.map().map { item throws(ConfigError) in (item.key, try item.node.string()) } ?? [])
        }
        let key = [path, format, "\(bin)", table.map { "\($0.time)\u{0}\($0.value)\u{0}\($0.timeUnit)\u{0}\($0.valueUnit)\u{0}\($0.filters)" } ?? ""]
            .joined(separator: "\u{1}")
        if let known = inputs.fileTraces[key] { return known }
        let text = try NetworkTraces.read(path: path)
        inputs.note(path, text: text)
        let trace: CapacityTrace
        switch format {
        case "mahimahi":
            trace = try NetworkTraces.mahimahi(text: text, file: path, bin: bin)
        case "csv":
            trace = try NetworkTraces.csv(text: text, file: path)
        default:
            trace = try NetworkTraces.table(text: text, file: path, timeColumn: table!.time, valueColumn: table!.value,
                                            timeUnit: table!.timeUnit, valueUnit: table!.valueUnit, filters: table!.filters)
        }
        inputs.fileTraces[key] = trace
        return trace
    }

    func generatedTrace(_ o: ConfigObject, name: String) throws(ConfigError) -> CapacityTrace {
        for key in ["format", "bin_ms", "time_column", "value_column", "time_unit", "value_unit", "where"] {
            if let n = o.optional(key) { throw n.error("\(key) belongs to a trace file; a generated trace has mean_mbps, cv, step_ms, length_s") }
        }
        let mean = try o.requiredNumber("mean_mbps") / 1e6
        let cv = try o.number("cv") ?? 0
        let step = try o.time("step_ms") ?? 100_000_000
        let length = try o.time("length_s") ?? duration
        // The steps are drawn up front: refuse a trace that would not fit in memory.
        let steps = Double(max(length, step)) / Double(step)
        if steps > Double(Self.maxTraceSteps) {
            throw (o.optional("step_ms") ?? o.optional("length_s") ?? o.node).error(
                "a generated trace of \(Suggestion.format((steps).rounded(.up))) steps (length / step_ms) would need about "
                + "\(Suggestion.format((steps * 16 / 1e9).rounded(.up))) GB; at most \(Self.maxTraceSteps) steps: lengthen step_ms or shorten length_s")
        }
        // Each client's links draw their own trace: the total must fit too.
        inputs.generatedTraceSteps += steps.rounded(.up)
        if inputs.generatedTraceSteps > Double(Self.maxTraceSteps) * 3 {
            throw (o.optional("step_ms") ?? o.node).error(
                "the generated traces of all links together would need \(Suggestion.format(inputs.generatedTraceSteps)) steps or more "
                + "(about \(Suggestion.format((inputs.generatedTraceSteps * 16 / 1e9).rounded(.up))) GB); at most \(Self.maxTraceSteps * 3): "
                + "lengthen step_ms, shorten length_s or use fewer clients")
        }
        return NetworkTraces.generated(meanMbps: mean, cv: cv, step: step, length: max(length, step), seed: seed, name: name)
    }
}

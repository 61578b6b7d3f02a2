import EdgeWorld
import JSONConfig
import Policies

/// The declarations of the scenario format: every object's keys, what each holds and its range.
/// The reader reads through them and `arsim schema` writes docs/scenario.schema.json from them
/// (a test holds the file to it), so the schema editors use cannot drift from the reader.
/// docs/scenario.md describes the same keys for people.
public enum ScenarioFormat {
    public static let scenario = ObjectFormat("scenario", [
        Field("$schema", .text, help: "Ignored by arsim: lets an editor find this schema."),
        Field("name", .name, required: true, help: "Names the run and the default database Results/<name>.sqlite."),
        Field("description", .text),
        Field("seed", .schema(#"{"type": "integer", "minimum": 0, "maximum": 9223372036854775807}"#), help: "Seeds every named random stream; `arsim run --seed` overrides it.", default: #"1"#),
        Field("duration_s", .number(.time(.seconds, positive: true)), required: true, help: "Clients capture frames during [0, duration_s)."),
        Field("warmup_s", .number(.time(.seconds, positive: false)), help: "Requests and frames created earlier are left out of the summary; below duration_s."),
        Field("drain_s", .number(.time(.seconds, positive: false)), help: "After duration_s, time allowed for requests in flight to finish."),
        Field("detail", .choice(DetailLevel.allCases.map(\.rawValue)), help: "requests: also one row per request, frame and batch.", default: #""summary""#),
        Field("bin_s", .number(.time(.seconds, positive: false)), help: "Width of the time bins recorded as the run goes (the bins table); 0: none.", default: "1"),
        Field("profiles", .array(.text), help: "Folders (relative to this file) searched for profiles first."),
        Field("models", .array(.object("model"), minItems: 1), required: true),
        Field("sites", .array(.object("site"), minItems: 1), help: "Edge sites and at most one cloud; default: one edge site."),
        Field("servers", .array(.object("server"), minItems: 1), required: true),
        Field("clients", .array(.object("client"), minItems: 1), required: true),
        Field("control_plane", policy(ControlPlanes.registry),
              help: "A cluster-wide planner, called at time 0 and on its own timers (default: none)."),
        Field("control_site", .name, help: "The site the control plane sits at (default: the first)."),
    ])
    public static let model = ObjectFormat("model", [
        Field("name", .name, required: true),
        Field("latency_ms", .schema(#"{"type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[1-9][0-9]*$"}, "additionalProperties": {"type": "number", "minimum": 1e-06, "maximum": 100000000000.0}}"#), help: "A whole-model table on every GPU: mean ms of one batch by batch size."),
        Field("profile", .schema(#"{"type": "string", "minLength": 1}"#), help: "Name of the model's per-layer profiles (default: name); used without latency_ms."),
        Field("source", .text, help: "Where latency_ms comes from."),
    ])
    public static let site = ObjectFormat("site", [
        Field("name", .name, required: true),
        Field("kind", .choice(["edge", "cloud"]), default: #""edge""#),
        Field("dispatch", policy(ClusterPolicies.registry)),
        Field("admission", policy(AdmissionPolicies.registry)),
        Field("access_point", .object("network")),
        Field("wan", .object("network")),
    ])
    /// Keys a server and each of its pools both take (a pool's unset keys are the server's).
    static let gpuFields: [Field] = [
        Field("gpus", .number(.integer(1...65_536)), default: #"1"#),
        Field("mps", .number(.integer(1...64)), help: "Each GPU split into this many MPS shares (needs mps<m> profiles).", default: #"1"#),
        Field("mps_shares", .array(.number(.real(ServerSpec.minimumMPSShare...1)), minItems: 1), help: "Unequal MPS shares of each GPU (fractions adding up to at most 1), instead of mps: each share runs batches at the whole-GPU latency divided by its share; the control plane may change them during the run."),
        Field("precision", .text, help: "Profile precision.", default: #""fp32""#),
        Field("policy", policy(ServerPolicies.registry)),
        Field("variability", .oneOf([.choice(["deterministic", "exponential", "measured"]), .object("variability")]), default: #""deterministic""#),
        Field("queue_capacity", .number(.count)),
        Field("drop_expired", .boolean, default: #"false"#),
        Field("models", .array(.text), help: "Models loaded on every GPU (default: those its clients can send)."),
        Field("p99_margin", .number(.real(0...100)), help: "The worst-case batch latency policies see where a profile has no p99: mean × (1 + p99_margin).", default: #"0.1"#),
        Field("interference", .object("interference")),
    ]
    public static let server = ObjectFormat("server", [
        Field("name", .name, required: true),
        Field("site", .text, help: "Required with several sites."),
        Field("gpu", .text, help: "GPU type as profiles name it (T4, V100, L4, A10, A100, H100, H200, Orin).", default: #""generic""#),
    ] + gpuFields + [
        Field("memory_gb", .number(.real(0.001...1e6)), help: "GPU memory (default: the GPU catalogue's)."),
        Field("load_gbps", .number(.gigabitsPerSecond), help: "How fast weights load at the start (default: instantly)."),
        Field("nic_gbps", .number(.gigabitsPerSecond), help: "The server's network interface, shared by its GPUs."),
        Field("interconnect", .object("interconnect")),
        Field("cost_per_gpu_hour", .number(.real(0...1e6)), help: "USD per GPU-hour (default: the GPU catalogue's)."),
        Field("pools", .array(.object("pool"), minItems: 1), help: "Split the server's GPUs into pools, each with its own queues and policy, sharing the server's NIC and interconnect; routes name a pool as \"server/pool\"."),
    ])
    public static let interconnect = ObjectFormat("interconnect", [
        Field("kind", .choice(["pcie", "nvlink"]), required: true),
        Field("gbps", .number(.gigabitsPerSecond), required: true),
    ])
    public static let variability = ObjectFormat("variability", [
        Field("kind", .choice(["deterministic", "exponential", "lognormal", "measured", "shifted_exponential", "pareto", "empirical"]), required: true),
        Field("cv", .number(.real(lower: 0, upper: Bounds.maxCV, exclusiveLower: true, scale: 1, what: "")), help: "Lognormal only."),
        Field("shift", .number(.real(0...0.999)), help: "shifted_exponential only: the fixed share of the mean."),
        Field("shape", .number(.real(1.01...100)), help: "pareto only: the shape alpha."),
        Field("file", .text, help: "empirical only: measured service times, one per line."),
    ], rules: #"{"allOf": [{"if": {"properties": {"kind": {"const": "lognormal"}}, "required": ["kind"]}, "then": {"required": ["cv"]}}, {"if": {"properties": {"kind": {"const": "shifted_exponential"}}, "required": ["kind"]}, "then": {"required": ["shift"]}}, {"if": {"properties": {"kind": {"const": "pareto"}}, "required": ["kind"]}, "then": {"required": ["shape"]}}, {"if": {"properties": {"kind": {"const": "empirical"}}, "required": ["kind"]}, "then": {"required": ["file"]}}]}"#)
    public static let client = ObjectFormat("client", [
        Field("name", .name, required: true, help: "With count > 1: <name>-0, <name>-1, …"),
        Field("count", .number(.count), default: #"1"#),
        Field("site", .text, help: "The edge site whose access point the client starts at."),
        Field("server", .text, help: "A one-task client: the server it sends every frame to."),
        Field("model", .text, help: "A one-task client: its model."),
        Field("tasks", .array(.object("task"), minItems: 1)),
        Field("arrivals", .choice(["periodic", "poisson"]), default: #""periodic""#),
        Field("fps", .number(.rate), required: true, help: "Frames per second (the mean rate for Poisson)."),
        Field("jitter_ms", .number(.time(.milliseconds, positive: false)), help: "Periodic only: uniform extra delay per frame, below the interval."),
        Field("phase_ms", .number(.time(.milliseconds, positive: false)), help: "Periodic only: time of frame 0."),
        Field("deadline_ms", .number(.time(.milliseconds, positive: true)), help: "A one-task client: its deadline."),
        Field("frame_bytes", .number(.bytes)),
        Field("frame", .object("frame")),
        Field("result_bytes", .number(.bytes), help: "A one-task client: bytes of each result."),
        Field("network", .object("network"), required: true),
        Field("policy", policy(ClientPolicies.registry)),
        Field("max_offloads_in_flight", .number(.positiveInteger)),
        Field("device", .text, help: "GPU type of the client's device, for device stages and fallbacks (profiles)."),
        Field("motion", .object("motion")),
        Field("mobility", .array(.object("mobility_step"))),
        Field("migration", .oneOf([.choice(["stay"]), .object("migration")]), default: #""stay""#),
        Field("session", .object("session")),
        Field("imu", .object("imu")),
        Field("content_estimate", .object("content_estimate"),
              help: "An on-device estimate of how much each task's last server result has aged (AccuMO's optical-flow error): noisy, computed every few frames at a cost."),
    ], rules: #"{"not": {"required": ["tasks", "model"], "description": "a client gives either model (one task) or tasks"}}"#)
    public static let frame = ObjectFormat("frame", [
        Field("width", .number(.integer(1...100_000)), required: true),
        Field("height", .number(.integer(1...100_000)), required: true),
        Field("bits_per_pixel", .number(.real(0.001...128)), required: true),
    ])
    public static let task = ObjectFormat("task", [
        Field("name", .name, required: true),
        Field("model", .text, required: true),
        Field("deadline_ms", .number(.time(.milliseconds, positive: true)), required: true),
        Field("result_bytes", .number(.bytes)),
        Field("split", policy(SplitPolicies.registry)),
        Field("fallback", .object("fallback")),
        Field("accuracy", .object("accuracy")),
    ])
    public static let fallback = ObjectFormat("fallback", [
        Field("model", .text, help: "A model profiled on the client's device."),
        Field("latency_ms", .number(.time(.milliseconds, positive: true))),
    ])
    public static let accuracy = ObjectFormat("accuracy", [
        Field("server", .number(.real(0...1))),
        Field("local", .number(.real(0...1))),
        Field("per_frame", .number(.real(0...1))),
        Field("per_degree", .number(.real(0...1))),
        Field("floor", .number(.real(0...1))),
        Field("show", .choice(["best", "newest"]),
              help: "Which result the app shows: the better of its server and local results, or the newer (an app that switches to its fallback by its own rule, as AccuMO's).",
              default: #""best""#),
    ])
    public static let network = ObjectFormat("network", [
        Field("uplink_mbps", .number(.megabitsPerSecond)),
        Field("downlink_mbps", .number(.megabitsPerSecond)),
        Field("uplink_trace", .object("trace")),
        Field("downlink_trace", .object("trace")),
        Field("delay_ms", .number(.time(.milliseconds, positive: false)), help: "One-way propagation delay."),
        Field("jitter_ms", .number(.time(.milliseconds, positive: false)), help: "Uniform extra delay per transfer."),
        Field("loss", .number(.probability), help: "Packet loss probability."),
        Field("retransmit_ms", .number(.time(.milliseconds, positive: false)), help: "Delay per loss round (default: twice delay_ms)."),
    ], rules: #"{"allOf": [{"anyOf": [{"required": ["uplink_mbps"]}, {"required": ["uplink_trace"]}]}, {"anyOf": [{"required": ["downlink_mbps"]}, {"required": ["downlink_trace"]}]}]}"#)
    public static let trace = ObjectFormat("trace", help: "A capacity trace from a file, or generated (mean_mbps, cv, step_ms, length_s).", [
        Field("file", .text),
        Field("format", .choice(["mahimahi", "csv", "table"])),
        Field("bin_ms", .number(.time(.milliseconds, positive: true)), help: "Mahimahi: capacity per bin (default 100)."),
        Field("time_column", .text),
        Field("value_column", .text),
        Field("time_unit", .choice(["s", "ms"])),
        Field("value_unit", .choice(["mbps", "kbps", "bps"])),
        Field("where", .schema(#"{"type": "object", "additionalProperties": {"type": "string"}}"#)),
        Field("mean_mbps", .number(.megabitsPerSecond)),
        Field("cv", .number(.cv)),
        Field("step_ms", .number(.time(.milliseconds, positive: true))),
        Field("length_s", .number(.time(.seconds, positive: true))),
    ])
    public static let motion = ObjectFormat("motion", help: "A camera trajectory from a file, or generated (mean_deg_s, cv, step_ms).", [
        Field("file", .text),
        Field("format", .choice(["tum", "kitti"])),
        Field("times_file", .text),
        Field("mean_deg_s", .number(.real(0...1e5))),
        Field("cv", .number(.cv)),
        Field("step_ms", .number(.time(.milliseconds, positive: true))),
    ])
    public static let mobilityStep = ObjectFormat("mobility_step", [
        Field("at_s", .number(.time(.seconds, positive: false)), required: true),
        Field("site", .text, required: true),
    ])
    public static let migration = ObjectFormat("migration", [
        Field("state_bytes", .number(.bytes), required: true),
    ])
    public static let session = ObjectFormat("session", [
        Field("start_s", .number(.time(.seconds, positive: false))),
        Field("end_s", .number(.time(.seconds, positive: true))),
        Field("arrival_rate_per_s", .number(.rate)),
        Field("duration_s", .number(.time(.seconds, positive: true))),
        Field("request_bytes", .number(.bytes)),
    ])
    public static let interference = ObjectFormat("interference", [
        Field("mean", .number(.real(0.001...1000)), required: true),
        Field("cv", .number(.cv)),
        Field("step_ms", .number(.time(.milliseconds, positive: true))),
    ])
    public static let imu = ObjectFormat("imu", [
        Field("noise_deg", .number(.real(0...360))),
        Field("cost_ms", .number(.time(.milliseconds, positive: false))),
    ])
    public static let contentEstimate = ObjectFormat("content_estimate", [
        Field("noise", .number(.real(0...10)), help: "Relative standard deviation of the reading (multiplicative Gaussian).", default: "0"),
        Field("cost_ms", .number(.time(.milliseconds, positive: false)), help: "Device time per reading.", default: "0"),
        Field("every_frames", .number(.integer(1...100_000)), help: "A reading every this many frames.", default: "1"),
    ])
    public static let pool = ObjectFormat("pool", help: "A pool of the server's GPUs with its own queues and policy; keys it leaves out are the server's.",
                                          [Field("name", .name, required: true)] + gpuFields)

    /// Every object type, in the order the schema lists them.
    public static let objects: [ObjectFormat] = [
        scenario, model, site, server, pool, interconnect, variability, client, frame, task, fallback, accuracy,
        network, trace, motion, mobilityStep, migration, session, interference, imu, contentEstimate,
    ]

    /// A key that names a policy of `registry`: its bare name where it needs no parameters, or
    /// an object with "name" and the policy's parameters.
    static func policy<P, C>(_ registry: PolicyRegistry<P, C>) -> Shape {
        let bare = registry.entries.filter { !$0.parameters.contains(where: \.required) }.map(\.name)
        return .oneOf([.choice(bare)] + registry.formats.map { .object($0.definition) })
    }

    /// The parameters of every policy, one definition each.
    public static var policies: [ObjectFormat] {
        ServerPolicies.registry.formats + ClientPolicies.registry.formats + ClusterPolicies.registry.formats
            + AdmissionPolicies.registry.formats + SplitPolicies.registry.formats + ControlPlanes.registry.formats
    }

    /// docs/scenario.schema.json, generated.
    public static func schema() -> String {
        let definitions = (objects + policies).map { ($0.definition, $0.schema) }
        return JSONOutput.object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://github.com/arsim/arsim/docs/scenario.schema.json")),
            ("title", .string("arsim scenario")),
            ("description", .string("A world for `arsim run`. Reference: docs/scenario.md. Units are in the key names (_s, _ms, _mbps, _bytes). Generated by `arsim schema` from the reader's declarations (Sources/Scenario/ScenarioFormat.swift); do not edit.")),
            ("$ref", .string("#/$defs/scenario")),
            ("$defs", .object(definitions)),
        ]).text() + "\n"
    }
}

/// Per-layer latencies of one model on one GPU type, per batch size, with where they came from.
///
/// The format is described in docs/profiles.md. A profile is either `measured` (by someone, on a
/// named device, by a stated method) or `derived` (computed from measurements by a documented
/// method with a stated error); nothing derived is ever labelled measured.
public struct Profile: Sendable {
    public var model: String
    public var gpu: String
    public var precision: String
    /// Share of the GPU the measurements had: 1 for the whole GPU, 1/m under MPS with m equal shares.
    public var mpsShare: Double
    /// What a "layer" is here: "layer" (a module), "block" (a contiguous group) or "node" (an ONNX node).
    public var granularity: String
    /// Bytes of one input sample: what a client uploads when the whole model runs remotely
    /// (nil where the source did not record it).
    public var inputBytes: Int?
    /// Bytes of the model's weights, where known (a GPU must hold them to serve the model).
    public var weightBytes: Int?
    public var batchSizes: [Int]
    public var layers: [ProfileLayer]
    /// Mean whole-model latency measured without per-layer instrumentation, per batch size.
    public var endToEndUs: [Double]?
    public var provenance: Provenance
    public var notes: String?

    public init(model: String, gpu: String, precision: String, mpsShare: Double = 1, granularity: String = "layer",
                inputBytes: Int?, weightBytes: Int? = nil, batchSizes: [Int], layers: [ProfileLayer],
                endToEndUs: [Double]? = nil, provenance: Provenance, notes: String? = nil) {
        self.model = model
        self.gpu = gpu
        self.precision = precision
        self.mpsShare = mpsShare
        self.granularity = granularity
        self.inputBytes = inputBytes
        self.weightBytes = weightBytes
        self.batchSizes = batchSizes
        self.layers = layers
        self.endToEndUs = endToEndUs
        self.provenance = provenance
        self.notes = notes
    }

    /// Mean whole-model latency (sum of the layers) at the i-th profiled batch size, microseconds.
    public func totalMeanUs(at i: Int) -> Double { layers.reduce(0) { $0 + $1.meanUs[i] } }

    /// The MPS level m (the GPU split into m equal shares) this profile was taken at.
    public var mpsLevel: Int { Int((1 / mpsShare).rounded()) }
}

public struct ProfileLayer: Sendable {
    public var name: String
    /// conv, gemm or memory (what bounds it), where known.
    public var op: String?
    /// Bytes that cross the network if the model is split after this layer (all live activations).
    public var outputBytes: Int
    public var flops: Int?
    /// For blocks: the first and last layer or node they contain.
    public var contains: [String]?
    /// Per profiled batch size.
    public var meanUs: [Double]
    public var p50Us: [Double]?
    public var p99Us: [Double]?
    public var stdUs: [Double]?
    public var samples: [Int]?

    public init(name: String, op: String? = nil, outputBytes: Int, flops: Int? = nil, contains: [String]? = nil,
                meanUs: [Double], p50Us: [Double]? = nil, p99Us: [Double]? = nil, stdUs: [Double]? = nil, samples: [Int]? = nil) {
        self.name = name
        self.op = op
        self.outputBytes = outputBytes
        self.flops = flops
        self.contains = contains
        self.meanUs = meanUs
        self.p50Us = p50Us
        self.p99Us = p99Us
        self.stdUs = stdUs
        self.samples = samples
    }
}

/// Where a profile's numbers come from.
public enum Provenance: Sendable {
    case measured(Measurement)
    case derived(Derivation)

    public var kind: String {
        switch self {
        case .measured: return "measured"
        case .derived: return "derived"
        }
    }

    /// Who measured it, or how it was derived: one line for listings.
    public var summary: String {
        switch self {
        case .measured(let m): return m.citation ?? m.source
        case .derived(let d): return d.method
        }
    }

    /// A measurement: on which device, with which software, how, by whom. Fields that the source
    /// did not record are nil ("not recorded"), never guessed.
    public struct Measurement: Sendable {
        public var device: String
        public var driver: String?
        public var cuda: String?
        public var cudnn: String?
        public var tensorrt: String?
        public var framework: String?
        public var precision: String
        public var date: String?
        public var warmup: Int?
        public var repetitions: Int?
        public var mpsShare: Double?
        public var method: String
        public var source: String
        public var citation: String?

        public init(device: String, driver: String? = nil, cuda: String? = nil, cudnn: String? = nil, tensorrt: String? = nil,
                    framework: String? = nil, precision: String, date: String? = nil, warmup: Int? = nil,
                    repetitions: Int? = nil, mpsShare: Double? = nil, method: String, source: String, citation: String? = nil) {
            self.device = device
            self.driver = driver
            self.cuda = cuda
            self.cudnn = cudnn
            self.tensorrt = tensorrt
            self.framework = framework
            self.precision = precision
            self.date = date
            self.warmup = warmup
            self.repetitions = repetitions
            self.mpsShare = mpsShare
            self.method = method
            self.source = source
            self.citation = citation
        }
    }

    /// A derivation: from which measurements, by which method, with what measured error.
    public struct Derivation: Sendable {
        public var from: [String]
        public var method: String
        public var error: DerivationError?

        public init(from: [String], method: String, error: DerivationError?) {
            self.from = from
            self.method = method
            self.error = error
        }
    }

    /// Relative errors of a derivation against measurements it was not fitted on.
    public struct DerivationError: Sendable, Equatable {
        public var perLayerMedian: Double
        public var perLayerP90: Double
        public var wholeModelMedian: Double
        public var wholeModelP90: Double
        public var against: String

        public init(perLayerMedian: Double, perLayerP90: Double, wholeModelMedian: Double, wholeModelP90: Double, against: String) {
            self.perLayerMedian = perLayerMedian
            self.perLayerP90 = perLayerP90
            self.wholeModelMedian = wholeModelMedian
            self.wholeModelP90 = wholeModelP90
            self.against = against
        }
    }
}

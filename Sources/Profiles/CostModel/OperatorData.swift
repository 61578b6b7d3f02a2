import Foundation
import JSONConfig

/// One measured operator latency: a convolution or a matrix multiply on one GPU type.
public struct OperatorSample: Sendable {
    public var gpu: String
    /// "conv" or "gemm".
    public var kind: String
    public var flops: Double
    /// Bytes of input, weights and output, FP32.
    public var bytes: Double
    public var seconds: Double
    /// A convolution as its implicit GEMM (nil for matrix multiplies: see `CostModel`).
    public var shape: GEMMShape?
    /// A convolution that Winograd can run (3 × 3, stride 1, one group), as it would.
    public var winograd: WinogradShape? = nil

    public init(gpu: String, kind: String, flops: Double, bytes: Double, seconds: Double, shape: GEMMShape?, winograd: WinogradShape? = nil) {
        self.gpu = gpu
        self.kind = kind
        self.flops = flops
        self.bytes = bytes
        self.seconds = seconds
        self.shape = shape
        self.winograd = winograd
    }
}

/// An operator as the matrix product a GPU library runs it as: an M × N output, each element a
/// K-long dot product (a convolution: M = batch · output pixels, N = output channels,
/// K = input channels per group · kernel area).
public struct GEMMShape: Sendable, Equatable {
    public var m: Double
    public var n: Double
    public var k: Double

    public init(m: Double, n: Double, k: Double) {
        self.m = m
        self.n = n
        self.k = k
    }

    /// Tiles a library may cut the output into, one per thread block.
    static let tiles: [(Double, Double)] = [(128, 128), (128, 64), (64, 128), (64, 64), (256, 128), (128, 256), (32, 32)]
    /// The tiles of a 3 × 3, stride-1 convolution's implicit GEMM, priced with its operand
    /// traffic: without 32 × 32, as in the variant a study of NeuSight's data found best
    /// together with the operand term (docs/profiles.md, "Operand traffic"). Other convolutions
    /// keep every tile, as the data say nothing new of them.
    static let directTiles = tiles.filter { $0 != (32, 32) }

    /// Seconds of arithmetic at the GPU's FP32 peak once the output is cut into tiles and the
    /// tiles run in waves of one per SM: a last, partial wave costs a whole one. The tile with
    /// the least such time is taken, as a library picks its kernel. For large products this is
    /// FLOPs / peak; for small ones (few tiles against many SMs) it is more.
    /// `products` independent products of this shape run as one batched kernel, whose tiles
    /// share the waves.
    public func waveSeconds(on gpu: GPUSpec, products: Double = 1) -> Double {
        tiled(on: gpu, products: products, tiles: Self.tiles).seconds
    }

    /// A 3 × 3, stride-1 convolution's arithmetic seconds in waves (`waveSeconds`, without the
    /// 32 × 32 tile), and the operand bytes its tiles stream: each tile reads a tm × K slice of
    /// one operand and a K × tn slice of the other, FP32. Small tiles over a long K re-read the
    /// operands many times over; this is the traffic a tile's shared memory cannot save.
    public func direct(on gpu: GPUSpec) -> (seconds: Double, operandBytes: Double) {
        tiled(on: gpu, products: 1, tiles: Self.directTiles)
    }

    /// The least wave time over `tiles`, and that tile's operand bytes. Of tiles equally fast
    /// (common: two waves of 64 × 64 tiles take as long as one of 128 × 64), the one that
    /// streams fewer bytes, as a library that knows its kernels' traffic would choose.
    func tiled(on gpu: GPUSpec, products: Double, tiles: [(Double, Double)]) -> (seconds: Double, operandBytes: Double) {
        let sms = Double(max(gpu.sms, 1))
        var best = (seconds: Double.infinity, operandBytes: 0.0)
        for (tm, tn) in tiles {
            let count = products * (m / tm).rounded(.up) * (n / tn).rounded(.up)
            let seconds = (count / sms).rounded(.up) * sms * 2 * tm * tn * k / gpu.fp32FLOPS
            let bytes = 4 * count * (tm + tn) * k
            if seconds < best.seconds || (seconds == best.seconds && bytes < best.operandBytes) { best = (seconds, bytes) }
        }
        return best
    }
}

/// A 3 × 3, stride-1 convolution as Winograd's F(4 × 4, 3 × 3) runs it: the output cut into
/// 4 × 4 tiles, each computed from a 6 × 6 input tile with 36 multiplies per input channel
/// instead of 144, as 36 batched products of (batch · tiles) × output channels × input
/// channels, plus the transformed input, output and weights written to memory and read back.
/// cuDNN picks Winograd for many such convolutions: 15 % of NeuSight's samples run faster than
/// the GPU's FP32 peak allows a direct convolution (up to 2.2×).
public struct WinogradShape: Sendable, Equatable {
    /// 4 × 4 output tiles over the whole batch: batch · ⌈H/4⌉ · ⌈W/4⌉.
    public var tiles: Double
    public var inputChannels: Double
    public var outputChannels: Double

    static let transformedPoints = 36.0

    public init(batch: Double, outputHeight: Double, outputWidth: Double, inputChannels: Double, outputChannels: Double) {
        tiles = batch * (outputHeight / 4).rounded(.up) * (outputWidth / 4).rounded(.up)
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
    }

    /// The same convolution over `n` times the batch.
    public func batched(_ n: Double) -> WinogradShape {
        var w = self
        w.tiles *= n
        return w
    }

    /// Arithmetic seconds of the 36 products, in waves as `GEMMShape` counts them.
    public func waveSeconds(on gpu: GPUSpec) -> Double {
        GEMMShape(m: tiles, n: outputChannels, k: inputChannels).waveSeconds(on: gpu, products: Self.transformedPoints)
    }

    /// Bytes the transforms add, FP32: the transformed input, output and weights, each written
    /// once and read once.
    public var transformBytes: Double {
        2 * 4 * Self.transformedPoints * (tiles * inputChannels + tiles * outputChannels + inputChannels * outputChannels)
    }
}

/// Reads NeuSight's measured operator latencies (Lee et al., "NeuSight: Forecasting GPU
/// performance of deep learning", ASPLOS 2025; github.com/sitar-lab/NeuSight, MIT licence):
/// `nn.Conv2d` and `nn.Linear` forward times in FP32 on several GPUs.
public enum NeuSightData {
    /// conv2d rows: gpu, latency_ms, batch, in_channels, out_channels, kernel_size, input_hw, stride, padding.
    public static func convolutions(path: String, catalog: GPUCatalog) throws(ConfigError) -> [OperatorSample] {
        let t = try CSVTable(path: path)
        let c = (gpu: try t.column("gpu"), ms: try t.column("latency_ms"), b: try t.column("batch"),
                 ci: try t.column("in_channels"), co: try t.column("out_channels"), k: try t.column("kernel_size"),
                 hw: try t.column("input_hw"), s: try t.column("stride"), p: try t.column("padding"))
        var out: [OperatorSample] = []
        for row in t.rows {
            let device = try t.string(row, c.gpu)
            guard let gpu = catalog.gpu(device: device) else { throw t.error(line: row.line, "unknown GPU \"\(device)\" (not in Workloads/gpus.json)") }
            let b = Double(try t.int(row, c.b)), ci = Double(try t.int(row, c.ci)), co = Double(try t.int(row, c.co))
            let k = try t.int(row, c.k), hw = try t.int(row, c.hw), s = try t.int(row, c.s), p = try t.int(row, c.p)
            let ho = Double((hw + 2 * p - k) / s + 1)
            let h = Double(hw), kk = Double(k * k)
            // NeuSight's convolutions have one group.
            let winograd = k == 3 && s == 1 ? WinogradShape(batch: b, outputHeight: ho, outputWidth: ho, inputChannels: ci, outputChannels: co) : nil
            out.append(OperatorSample(gpu: gpu.name, kind: "conv", flops: 2 * b * co * ho * ho * ci * kk,
                                      bytes: 4 * (b * ci * h * h + co * ci * kk + b * co * ho * ho),
                                      seconds: try t.double(row, c.ms) / 1000, shape: GEMMShape(m: b * ho * ho, n: co, k: ci * kk),
                                      winograd: winograd))
        }
        return out
    }

    /// linear rows: gpu, latency_ms, batch, M, N, K (a batch of M×K by K×N products).
    public static func matrixMultiplies(path: String, catalog: GPUCatalog) throws(ConfigError) -> [OperatorSample] {
        let t = try CSVTable(path: path)
        let c = (gpu: try t.column("gpu"), ms: try t.column("latency_ms"), b: try t.column("batch"),
                 m: try t.column("M"), n: try t.column("N"), k: try t.column("K"))
        var out: [OperatorSample] = []
        for row in t.rows {
            let device = try t.string(row, c.gpu)
            guard let gpu = catalog.gpu(device: device) else { throw t.error(line: row.line, "unknown GPU \"\(device)\" (not in Workloads/gpus.json)") }
            let b = Double(try t.int(row, c.b)), m = Double(try t.int(row, c.m)), n = Double(try t.int(row, c.n)), k = Double(try t.int(row, c.k))
            out.append(OperatorSample(gpu: gpu.name, kind: "gemm", flops: 2 * b * m * n * k, bytes: 4 * (b * m * k + k * n + b * m * n),
                                      seconds: try t.double(row, c.ms) / 1000, shape: nil))
        }
        return out
    }
}

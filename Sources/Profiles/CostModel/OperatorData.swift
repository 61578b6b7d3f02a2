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

    /// Seconds of arithmetic at the GPU's FP32 peak once the output is cut into tiles and the
    /// tiles run in waves of one per SM: a last, partial wave costs a whole one. The tile with
    /// the least such time is taken, as a library picks its kernel. For large products this is
    /// FLOPs / peak; for small ones (few tiles against many SMs) it is more.
    public func waveSeconds(on gpu: GPUSpec) -> Double {
        let sms = Double(max(gpu.sms, 1))
        var best = Double.infinity
        for (tm, tn) in Self.tiles {
            let waves = ((m / tm).rounded(.up) * (n / tn).rounded(.up) / sms).rounded(.up)
            best = min(best, waves * sms * 2 * tm * tn * k / gpu.fp32FLOPS)
        }
        return best
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
            out.append(OperatorSample(gpu: gpu.name, kind: "conv", flops: 2 * b * co * ho * ho * ci * kk,
                                      bytes: 4 * (b * ci * h * h + co * ci * kk + b * co * ho * ho),
                                      seconds: try t.double(row, c.ms) / 1000, shape: GEMMShape(m: b * ho * ho, n: co, k: ci * kk)))
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

import EdgeWorld
import Policies
import SimKernel

/// The world of `arsim bench` (c): 1,000 AR clients at 30 fps (Poisson, so that batches form at
/// random), each on its own 20/50 Mbps link with 10 ms delay, spread over 8 edge servers of 8 GPUs
/// with dynamic batching (max 8, 2 ms). The latency table is ResNet-50 v1.5 FP32 on a T4 as
/// published by NVIDIA DeepLearningExamples (the same figures as the quickstart scenario).
public enum WorldBenchmark {
    public static func spec(clients: Int = 1_000, seconds: Double = 60, seed: UInt64 = 1) -> WorldSpec {
        let resnet = ModelSpec(name: "resnet50", latency: LatencyTable([
            (1, Time.milliseconds(10.70)), (2, Time.milliseconds(11.26)),
            (4, Time.milliseconds(12.73)), (8, Time.milliseconds(22.41)),
        ]))
        let servers = (0..<8).map { i in
            ServerSpec(name: "edge\(i)", gpus: 8,
                       policy: DynamicBatchPolicy(maxBatch: 8, maxQueueDelay: Time.milliseconds(2), tables: [resnet.latency]),
                       variability: .lognormal(cv: 0.05), queueCapacity: 512, dropExpired: true)
        }
        let uplink = LinkSpec(bitsPerSecond: 20e6, propagationDelay: Time.milliseconds(10))
        let downlink = LinkSpec(bitsPerSecond: 50e6, propagationDelay: Time.milliseconds(10))
        let clientSpecs = (0..<clients).map { c in
            ClientSpec(name: "phone-\(c)", group: 0, server: c % servers.count, model: 0,
                       arrivals: .poisson(rate: 30), deadline: Time.milliseconds(100),
                       frameBytes: 30_000, resultBytes: 2_000, uplink: uplink, downlink: downlink)
        }
        return WorldSpec(name: "bench-\(clients)-clients", seed: seed, duration: Time.seconds(seconds), warmup: Time.seconds(1),
                         drain: Time.seconds(1), detail: .summary, models: [resnet], servers: servers,
                         clients: clientSpecs, clientGroups: ["phone"])
    }
}

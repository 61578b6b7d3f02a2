import EdgeWorld
import Foundation
import SimKernel

/// AccuMO on the client (Kong, Xu, Meng, Hu, MobiCom 2023; the authors' code, JonnyKong/AccuMO;
/// docs/policies/accumo.md), for a client with a depth task and a visual-odometry task:
///
/// - one offload in flight: a decision only when nothing is outstanding;
/// - which task to offload: `AccuMOScheduler` (mode `mpc`), or the baselines: a fixed round
///   robin over a pattern (`round_robin`, e.g. 3:1 is depth, depth, depth, VO), or both tasks on
///   every offloaded frame (`parallel`);
/// - the drop rates: depth's from the device's content-change reading (the aged result's loss over
///   the frames since it, when at least 6 frames old and a new reading is there; 0.02 at first);
///   VO's from the IMU, w · (0.10127043 / 4) · 2θ with θ the rotation in radians over the last 32
///   frames (estimated from the IMU's reading since the last VO result);
/// - depth's local fallback: run FastDepth on the device on frames where r_depth · s ≥ C_depth,
///   C_depth = (server − local accuracy) − margin (the code's 0.04); VO has none (C = ∞).
public struct AccuMOClient: ClientPolicy {
    public enum Mode: String, Sendable, CaseIterable { case mpc, roundRobin = "round_robin", parallel }

    let mode: Mode
    let pattern: [Int]
    let fallback: Bool
    let weight: Double
    let depth: Int, vo: Int
    let frameTime: SimTime
    let strideLimit: [Int]
    let horizon: Int
    /// C_depth from the task's accuracy model: the local result's gap to the server's, less 0.04.
    let depthCap: Double
    var turnaround: [Double]
    var scheduler: AccuMOScheduler
    var latest: [Int64?]
    var rates: [Double]
    var lastDepthReading: Double?
    var next = 0

    public init(mode: Mode, pattern: [Int], fallback: Bool, weight: Double, turnaround: [Int], strideLimit: [Int], horizon: Int,
                fps: Double, accuracy: [AccuracyModel], fallbackMargin: Double = 0.04) {
        self.mode = mode
        self.pattern = pattern
        self.fallback = fallback
        self.weight = weight
        depth = 0
        vo = 1
        frameTime = SimTime((1e9 / fps).rounded())
        self.strideLimit = strideLimit
        self.horizon = horizon
        depthCap = accuracy.isEmpty ? .infinity : max(0, accuracy[0].server - accuracy[0].local - fallbackMargin)
        self.turnaround = turnaround.map(Double.init)
        scheduler = AccuMOScheduler(horizon: horizon, turnaround: turnaround, strideLimit: strideLimit)
        latest = [nil, nil]
        rates = [0.02, 0]
    }

    public var notices: PolicyNotices { [.results] }

    /// The device readings its decisions use: the scheduler (`mpc`) needs both drop rates, VO's
    /// from the IMU and depth's from the content estimate; the depth fallback needs depth's.
    /// Without them a rate would stay at its starting guess for the whole run.
    public var readings: (imu: Bool, contentEstimate: Bool) {
        (mode == .mpc, mode == .mpc || fallback)
    }

    /// A result is back: it becomes the task's latest, and its turnaround (in frames) updates
    /// the one the scheduler plans with.
    public mutating func resultArrived(_ result: ResultNotice, effects: inout PolicyEffects) {
        guard result.server != nil, latest.indices.contains(result.task) else { return }
        if result.frame > (latest[result.task] ?? -1) { latest[result.task] = result.frame }
        let frames = Double(result.latency) / Double(frameTime)
        turnaround[result.task] = 0.5 * turnaround[result.task] + 0.5 * frames
    }

    mutating func updateRates(_ view: ClientView) {
        if let l = latest[depth], let reading = view.contentChange?[depth] ?? nil, reading != lastDepthReading,
           view.frame - l >= 6 {
            rates[depth] = reading / Double(view.frame - l)
            lastDepthReading = reading
        }
        if let l = latest[vo], let turned = view.imuRotation?[vo] ?? nil, view.frame > l {
            let theta32 = turned * .pi / 180 * 32 / Double(view.frame - l)
            rates[vo] = weight * (0.10127043039054989 / 4) * 2 * theta32
        }
    }

    public mutating func decide(_ view: ClientView) -> [TaskAction] {
        updateRates(view)
        var actions = Array(repeating: TaskAction.skip, count: view.hasFallback.count)
        if fallback, view.hasFallback[depth], let l = latest[depth], rates[depth] * Double(view.frame - l) >= depthCap {
            actions[depth] = .local
        } else if fallback, view.hasFallback[depth], latest[depth] == nil {
            actions[depth] = .local
        }
        guard view.offloadsInFlight == 0 else { return actions }
        switch mode {
        case .parallel:
            actions[depth] = .offload
            actions[vo] = .offload
        case .roundRobin:
            actions[pattern[next % pattern.count]] = .offload
            next += 1
        case .mpc:
            let planned = turnaround.map { max(1, Int($0.rounded(.up))) }
            if !scheduler.planned(turnaround: planned) {
                scheduler = AccuMOScheduler(horizon: horizon, turnaround: planned, strideLimit: strideLimit)
            }
            let caps = [fallback && view.hasFallback[depth] ? depthCap : .infinity, .infinity]
            actions[scheduler.choose(now: view.frame, latest: latest, rates: rates, caps: caps)] = .offload
        }
        return actions
    }
}

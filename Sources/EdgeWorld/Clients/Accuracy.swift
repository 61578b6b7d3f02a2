import SimKernel

/// How the accuracy an app sees decays after a result: the result of frame f, used at frame
/// f + s after the camera turned θ degrees, is worth
///
///     max(floor, base − perFrame · s − perDegree · θ)
///
/// where base is `server` for a server result and `local` for the local fallback's. The app uses
/// whichever result is worth most now, so a fallback that runs often caps the error at its own.
/// In the edge-assisted AR literature error grows about linearly with staleness at a rate that
/// depends on how fast the content changes (camera motion); the parameters are data, given per
/// task in the scenario (docs/scenario.md says where the bundled values come from).
public struct AccuracyModel: Sendable, Equatable {
    public var server: Double
    public var local: Double
    public var perFrame: Double
    public var perDegree: Double
    public var floor: Double
    /// Show the newer of the server and local results rather than the better one: an app that
    /// switches to its local fallback by its own rule (AccuMO's) shows the fallback's output on
    /// the frames it runs it, whatever the aged server result would have been worth.
    public var showNewest = false

    public init(server: Double = 1, local: Double = 0, perFrame: Double = 0, perDegree: Double = 0, floor: Double = 0) {
        self.server = server
        self.local = local
        self.perFrame = perFrame
        self.perDegree = perDegree
        self.floor = floor
    }

    /// The worth of a result with base accuracy `base`, `staleness` frames old, after `rotation` degrees.
    public func accuracy(base: Double, staleness: Int64, rotation: Double) -> Double {
        max(floor, base - perFrame * Double(staleness) - perDegree * rotation)
    }
}

/// Where the accuracy of a frame came from.
public enum ResultSource: String, Sendable {
    case server
    case local
    /// No result yet: the app shows nothing (accuracy = floor).
    case none
}

/// The freshest result of each kind a client has for one task.
struct TaskResults: Sendable {
    var serverFrame: Int64 = -1
    var serverTime: SimTime = 0
    /// Accuracy the freshest server result lost on the wire (compressed activations).
    var serverLoss: Double = 0
    var localFrame: Int64 = -1
    var localTime: SimTime = 0

    mutating func serverResult(frame: Int64, capturedAt: SimTime, loss: Double = 0) {
        if frame > serverFrame { serverFrame = frame; serverTime = capturedAt; serverLoss = loss }
    }

    mutating func localResult(frame: Int64, capturedAt: SimTime) {
        if frame > localFrame { localFrame = frame; localTime = capturedAt }
    }

    /// Accuracy at `frame` captured at `now`: the best of the results available.
    func accuracy(model: AccuracyModel, frame: Int64, now: SimTime, motion: inout MotionState?,
                  blocks: inout MotionBlocks) -> (Double, Int64, ResultSource) {
        var best: (Double, Int64, ResultSource) = (model.floor, -1, .none)
        if serverFrame >= 0 {
            let a = model.accuracy(base: model.server - serverLoss, staleness: frame - serverFrame,
                                   rotation: motion?.rotation(from: serverTime, to: now, blocks: &blocks) ?? 0)
            best = (a, frame - serverFrame, .server)
        }
        if localFrame >= 0 {
            let a = model.accuracy(base: model.local, staleness: frame - localFrame,
                                   rotation: motion?.rotation(from: localTime, to: now, blocks: &blocks) ?? 0)
            let take = model.showNewest ? (best.2 == .none || localFrame > serverFrame) : (a > best.0 || best.2 == .none)
            if take { best = (a, frame - localFrame, .local) }
        }
        return best
    }

    var latest: Int64? { max(serverFrame, localFrame) >= 0 ? max(serverFrame, localFrame) : nil }

    /// When the frame of the freshest result (server or local) was captured, if there is one.
    var latestCapture: SimTime? {
        guard latest != nil else { return nil }
        return serverFrame >= localFrame ? serverTime : localTime
    }
}

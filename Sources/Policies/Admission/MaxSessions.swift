import EdgeWorld
import SimKernel

/// Admits sessions while fewer than `limit` are admitted and not yet ended; rejects the rest.
/// (The count drops when a leaving client's notice reaches the site, not when it decides to leave.)
public struct MaxSessionsAdmission: AdmissionPolicy {
    public let limit: Int
    var admitted: [Int] = []

    public init(limit: Int) { self.limit = limit }

    public mutating func admit(_ request: SessionRequest) -> AdmissionDecision {
        guard admitted.count < limit else { return .reject(reason: "\(admitted.count) sessions admitted, the limit") }
        admitted.append(request.client)
        return .accept
    }

    public mutating func sessionEnded(client: Int, now: SimTime) {
        admitted.removeAll { $0 == client }
    }
}

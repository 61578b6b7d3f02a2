import EdgeWorld
import Foundation
import JSONConfig
import SimKernel

/// Readers of camera trajectories, each into a `MotionTrace` of cumulative rotation.
///
/// Motion-capture samples carry jitter and the odd glitch (one step of the TUM fr2/desk
/// ground truth implies over 1,000 deg/s), so orientations are first resampled at a fixed
/// interval (the frame interval is a good choice) and the rotation is measured between
/// consecutive resampled orientations.
public enum MotionTraces {
    /// TUM RGB-D ground truth (Sturm et al., IROS 2012): `timestamp tx ty tz qx qy qz qw` per line,
    /// '#' comments.
    public static func tum(text: String, file: String, resample: SimTime) throws(ConfigError) -> MotionTrace {
        var samples: [(Double, Quaternion)] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }
            guard f.count == 8 else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected 8 numbers (timestamp tx ty tz qx qy qz qw), got \(f.count)")
            }
            let q = Quaternion(w: f[7], x: f[4], y: f[5], z: f[6])
            try check(time: f[0], rotation: q, after: samples.last?.0, file: file, line: i + 1)
            samples.append((f[0], q.normalized))
        }
        return try trace(samples, file: file, resample: resample)
    }

    /// KITTI odometry ground truth (Geiger et al., CVPR 2012): a 3×4 pose matrix per line
    /// (row-major), with the times in a separate file, one per line.
    public static func kitti(poses: String, times: String, file: String, resample: SimTime) throws(ConfigError) -> MotionTrace {
        let t = times.split(whereSeparator: \.isNewline).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        var samples: [(Double, Quaternion)] = []
        for (i, raw) in poses.split(whereSeparator: \.isNewline).enumerated() {
            let m = raw.split(separator: " ").compactMap { Double($0) }
            guard m.count == 12 else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "expected 12 numbers (a 3x4 pose), got \(m.count)")
            }
            guard i < t.count else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "", message: "more poses than times")
            }
            guard m.allSatisfy(\.isFinite) else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "", message: "a pose must be finite numbers")
            }
            let r = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]]
            // The left 3x3 must be a rotation (orthonormal, determinant +1), as KITTI's are to
            // their printed digits; a scaled or zero matrix has no orientation to take.
            var worst = 0.0
            for a in 0..<3 {
                for b in 0..<3 {
                    let dot = r[a] * r[b] + r[3 + a] * r[3 + b] + r[6 + a] * r[6 + b]
                    worst = max(worst, abs(dot - (a == b ? 1 : 0)))
                }
            }
            let det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6])
            guard worst <= 1e-3, det > 0 else {
                throw ConfigError(file: file, position: SourcePosition(line: i + 1, column: 1), path: "",
                                  message: "the pose's 3x3 part is not a rotation (orthonormal with determinant +1)")
            }
            let q = Quaternion(rotation: r)
            try check(time: t[i], rotation: q, after: samples.last?.0, file: file, line: i + 1)
            samples.append((t[i], q))
        }
        if t.count > samples.count {
            throw ConfigError(file: file, position: nil, path: "", message: "\(t.count) times for \(samples.count) poses; the times file must have one a pose")
        }
        return try trace(samples, file: file, resample: resample)
    }

    /// A pose's time is finite, within `Bounds.maxSeconds`, after the previous one's; its rotation
    /// is finite and not zero (a zero quaternion or a singular matrix is no orientation).
    static func check(time: Double, rotation q: Quaternion, after previous: Double?, file: String, line: Int) throws(ConfigError) {
        func fail(_ message: String) -> ConfigError { ConfigError(file: file, position: SourcePosition(line: line, column: 1), path: "", message: message) }
        // Timestamps may be Unix times (TUM's are); the span is checked once all are read.
        guard time.isFinite, abs(time) <= 1e12 else { throw fail("expected a timestamp in seconds within ±1e12, got \(time)") }
        if let previous, time < previous { throw fail("timestamps must not decrease (\(time) after \(previous))") }
        let norm = (q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z).squareRoot()
        guard norm.isFinite, norm > 1e-9 else { throw fail("the rotation is not a valid orientation (zero, infinite or NaN)") }
    }

    static func trace(_ samples: [(Double, Quaternion)], file: String, resample: SimTime) throws(ConfigError) -> MotionTrace {
        guard samples.count >= 2, let first = samples.first?.0, let last = samples.last?.0, last > first else {
            throw ConfigError(file: file, position: nil, path: "", message: "a trajectory needs at least two poses at different times")
        }
        if last - first > Bounds.maxSeconds {
            throw ConfigError(file: file, position: nil, path: "",
                              message: "the trajectory spans \(Suggestion.format(last - first)) s; at most \(Suggestion.format(Bounds.maxSeconds))")
        }
        let resampled = (last - first) / Time.toSeconds(resample)
        if resampled > Double(NetworkTraces.maxSegments) {
            throw ConfigError(file: file, position: nil, path: "",
                              message: "\(Suggestion.format(last - first)) s resampled every \(Suggestion.format(Time.toMilliseconds(resample))) ms "
                              + "make \(Suggestion.format(resampled.rounded(.up))) steps; at most \(NetworkTraces.maxSegments)")
        }
        let step = Time.toSeconds(resample)
        var times: [SimTime] = [0], degrees: [Double] = [0]
        var previous = samples[0].1
        var j = 0
        var t = first + step
        while t <= last {
            while j + 1 < samples.count && samples[j + 1].0 < t { j += 1 }
            let (t0, q0) = samples[j], (t1, q1) = samples[min(j + 1, samples.count - 1)]
            let q = t1 > t0 ? q0.slerp(q1, (t - t0) / (t1 - t0)) : q0
            degrees.append(degrees.last! + previous.angle(to: q))
            times.append(Time.seconds(t - first))
            previous = q
            t += step
        }
        guard times.count >= 2 else {
            throw ConfigError(file: file, position: nil, path: "", message: "the trajectory is shorter than one resampling step")
        }
        return MotionTrace(times: times, degrees: degrees)
    }
}

/// A unit quaternion, for orientations.
struct Quaternion {
    var w, x, y, z: Double

    init(w: Double, x: Double, y: Double, z: Double) {
        self.w = w; self.x = x; self.y = y; self.z = z
    }

    /// From a row-major 3×3 rotation matrix.
    init(rotation r: [Double]) {
        let trace = r[0] + r[4] + r[8]
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            self.init(w: s / 4, x: (r[7] - r[5]) / s, y: (r[2] - r[6]) / s, z: (r[3] - r[1]) / s)
        } else if r[0] > r[4] && r[0] > r[8] {
            let s = (1 + r[0] - r[4] - r[8]).squareRoot() * 2
            self.init(w: (r[7] - r[5]) / s, x: s / 4, y: (r[1] + r[3]) / s, z: (r[2] + r[6]) / s)
        } else if r[4] > r[8] {
            let s = (1 + r[4] - r[0] - r[8]).squareRoot() * 2
            self.init(w: (r[2] - r[6]) / s, x: (r[1] + r[3]) / s, y: s / 4, z: (r[5] + r[7]) / s)
        } else {
            let s = (1 + r[8] - r[0] - r[4]).squareRoot() * 2
            self.init(w: (r[3] - r[1]) / s, x: (r[2] + r[6]) / s, y: (r[5] + r[7]) / s, z: s / 4)
        }
        self = normalized
    }

    var normalized: Quaternion {
        let n = (w * w + x * x + y * y + z * z).squareRoot()
        return Quaternion(w: w / n, x: x / n, y: y / n, z: z / n)
    }

    func dot(_ o: Quaternion) -> Double { w * o.w + x * o.x + y * o.y + z * o.z }

    /// The rotation angle between two orientations, degrees (0…180).
    func angle(to o: Quaternion) -> Double {
        2 * acos(min(1, abs(dot(o)))) * 180 / Double.pi
    }

    /// Spherical linear interpolation, the shorter way round.
    func slerp(_ o: Quaternion, _ f: Double) -> Quaternion {
        var b = o
        var d = dot(o)
        if d < 0 { b = Quaternion(w: -o.w, x: -o.x, y: -o.y, z: -o.z); d = -d }
        if d > 0.9995 {
            return Quaternion(w: w + f * (b.w - w), x: x + f * (b.x - x), y: y + f * (b.y - y), z: z + f * (b.z - z)).normalized
        }
        let theta = acos(d)
        let s0 = sin((1 - f) * theta) / sin(theta), s1 = sin(f * theta) / sin(theta)
        return Quaternion(w: s0 * w + s1 * b.w, x: s0 * x + s1 * b.x, y: s0 * y + s1 * b.y, z: s0 * z + s1 * b.z)
    }
}

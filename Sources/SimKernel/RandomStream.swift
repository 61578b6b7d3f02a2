/// A seeded pseudo-random stream (xoshiro256**, Blackman and Vigna 2018).
///
/// Every entity draws from its own stream, derived from the run seed and a stable hash of the
/// entity's name. Adding or removing an entity therefore leaves the draws of all others unchanged,
/// and the same seed gives the same numbers in every process (unlike Swift's `Hasher`, which is
/// seeded per process, and `SystemRandomNumberGenerator`, which is not reproducible at all).
public struct RandomStream: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// The stream called `name` within the run seeded with `seed`.
    public init(seed: UInt64, name: String) {
        self.init(seed: seed, key: StableHash.fnv1a64(name))
    }

    /// The stream with a numeric key within the run seeded with `seed`.
    public init(seed: UInt64, key: UInt64) {
        // SplitMix64 expands (seed, key) into the 256-bit state; it never yields the all-zero state
        // from four consecutive outputs.
        var sm = SplitMix64(state: seed ^ SplitMix64.mix(key &+ 0x6A09_E667_F3BC_C909))
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// A stream with the given raw state (not all zero), for checking against the published
    /// reference outputs of xoshiro256**.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** cannot start from the all-zero state")
        (s0, s1, s2, s3) = state
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1]: safe to take the logarithm of.
    @inlinable
    public mutating func nextUnitOpenAtZero() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// A uniform integer in 0..<bound (Lemire's method, unbiased).
    @inlinable
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    @inlinable func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }
}

/// SplitMix64 (Steele, Lea and Flood 2014): used only to expand seeds.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A hash that is the same in every process and on every machine, for naming random streams.
public enum StableHash {
    /// 64-bit FNV-1a over the UTF-8 bytes.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }
}

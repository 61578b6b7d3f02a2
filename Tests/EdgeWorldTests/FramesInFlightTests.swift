import EdgeWorld
import SimKernel
import XCTest

/// A client's frames in flight against a plain reference (frame -> requests outstanding), over
/// thousands of frames ending in random order: the inline slots, the sorted overflow, its marks
/// and its compaction must keep the count exact.
final class FramesInFlightTests: XCTestCase {
    func testCountMatchesAReferenceWhateverOrderRequestsEnd() {
        for seed in 1...5 as ClosedRange<UInt64> {
            var rng = RandomStream(seed: seed, name: "frames-in-flight")
            var frames = FramesInFlight()
            var reference: [Int64: Int] = [:]   // looked up only, never iterated
            var live: [Int64] = []                // the frames with requests outstanding, in no particular order
            var next: Int64 = 0
            for _ in 0..<20_000 {
                // Capture more often than end while the backlog is small, so it grows into the thousands.
                if live.isEmpty || rng.nextUnit() < (live.count < 3_000 ? 0.6 : 0.4) {
                    let n = 1 + Int(rng.nextUnit() * 3)
                    frames.append(frame: next, outstanding: n)
                    reference[next] = n
                    live.append(next)
                    next += 1 + Int64(rng.nextUnit() * 2)   // frame numbers increase, with gaps
                } else {
                    // Mostly the oldest ends first, as on a FIFO link; sometimes any.
                    let i = rng.nextUnit() < 0.7 ? 0 : Int(rng.nextUnit() * Double(live.count))
                    let frame = live[i]
                    frames.requestEnded(frame: frame)
                    reference[frame]! -= 1
                    if reference[frame]! == 0 {
                        reference[frame] = nil
                        live.remove(at: i)
                    }
                }
                XCTAssertEqual(frames.count, live.count)
                if frames.count != live.count { return }
            }
            XCTAssertLessThanOrEqual(frames.overflowHeld, 3 * live.count + 64, "marked entries do not pile up")
            // A request of a frame no longer in flight, or never offloaded, changes nothing.
            frames.requestEnded(frame: -5)
            frames.requestEnded(frame: next + 100)
            XCTAssertEqual(frames.count, live.count)
            for frame in live { for _ in 0..<reference[frame]! { frames.requestEnded(frame: frame) } }
            XCTAssertEqual(frames.count, 0, "seed \(seed)")
        }
    }

    /// One early frame held for the whole run (a request stuck at a server) while thousands after
    /// it come and go: their ended entries must not stay behind it.
    func testAFrameHeldLongDoesNotKeepTheEndedOnes() {
        var frames = FramesInFlight()
        for f in 0..<5 as Range<Int64> { frames.append(frame: f, outstanding: 1) }   // four inline, frame 4 the first in overflow
        for f in 5..<100_005 as Range<Int64> {
            frames.append(frame: f, outstanding: 1)
            frames.requestEnded(frame: f)
        }
        XCTAssertEqual(frames.count, 5)
        XCTAssertLessThanOrEqual(frames.overflowHeld, 3 * 1 + 64)
        frames.requestEnded(frame: 4)
        XCTAssertEqual(frames.count, 4)
        XCTAssertEqual(frames.overflowHeld, 0)
    }
}

import SimKernel
import XCTest

final class EventQueueTests: XCTestCase {
    func testPopsInTimeOrder() {
        var q = EventQueue<String>()
        q.push("c", at: 30)
        q.push("a", at: 10)
        q.push("b", at: 20)
        XCTAssertEqual(q.pop()?.event, "a")
        XCTAssertEqual(q.pop()?.event, "b")
        XCTAssertEqual(q.pop()?.event, "c")
        XCTAssertNil(q.pop())
    }

    func testEqualTimesRunInInsertionOrder() {
        var q = EventQueue<Int>()
        for i in 0..<1000 { q.push(i, at: 7) }
        var seen: [Int] = []
        while let e = q.pop() { seen.append(e.event) }
        XCTAssertEqual(seen, Array(0..<1000))
    }

    func testCancelSkipsEventAndCountsIt() {
        var q = EventQueue<Int>()
        let a = q.push(1, at: 5)
        q.push(2, at: 6)
        let c = q.push(3, at: 7)
        XCTAssertTrue(q.cancel(a, lastRun: nil))
        XCTAssertFalse(q.cancel(a, lastRun: nil), "a second cancel of the same event is refused")
        XCTAssertEqual(q.count, 2)
        XCTAssertEqual(q.peekTime(), 6)
        XCTAssertEqual(q.pop()?.event, 2)
        XCTAssertTrue(q.cancel(c, lastRun: (6, 1)))
        XCTAssertNil(q.pop())
        XCTAssertTrue(q.isEmpty)
    }

    func testCancelOfEventThatAlreadyRanIsRefused() {
        var q = EventQueue<Int>()
        let a = q.push(1, at: 5)
        let popped = q.pop()!
        XCTAssertFalse(q.cancel(a, lastRun: (popped.time, popped.sequence)))
        XCTAssertEqual(q.count, 0, "a refused cancel must not leave a tombstone behind")
    }

    /// A heap deep enough that its lower levels are prefetched and its storage regrows many times:
    /// 60,000 events (negative times too) come out in (time, insertion) order, through pops and
    /// pushes interleaved; a copy taken halfway runs on by itself (value semantics), both
    /// matching the reference.
    func testLargeHeapAndCopiesMatchTheReference() {
        var rng = RandomStream(seed: 11, name: "queue-large")
        var q = EventQueue<Int32>()
        var reference: [(time: Int64, seq: Int32)] = []
        for i in 0..<60_000 {
            let t = Int64(rng.nextIndex(below: 5_000)) - 1_000
            q.push(Int32(i), at: t)
            reference.append((t, Int32(i)))
        }
        reference.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
        var expected = reference[...]
        for _ in 0..<20_000 {
            let got = q.pop()!
            let want = expected.removeFirst()
            XCTAssertEqual(got.time, want.time)
            XCTAssertEqual(got.event, want.seq)
        }
        var copy = q
        let late = (0..<1_000).map { Int32(60_000 + $0) }
        for e in late { q.push(e, at: 10_000 + Int64(e)) }   // after everything else
        var rest: [Int32] = []
        while let e = q.pop() { rest.append(e.event) }
        XCTAssertEqual(rest, expected.map(\.seq) + late)
        var restOfCopy: [Int32] = []
        while let e = copy.pop() { restOfCopy.append(e.event) }
        XCTAssertEqual(restOfCopy, expected.map(\.seq), "the copy has its own heap")
    }

    /// Property: against a sorted reference, any mix of pushes, pops and cancels yields the same
    /// sequence of (time, payload).
    func testMatchesSortedReferenceUnderRandomOperations() {
        var rng = RandomStream(seed: 7, name: "queue-property")
        for round in 0..<20 {
            var q = EventQueue<Int>()
            var reference: [(time: Int64, seq: Int, id: EventID)] = []
            var lastRun: (time: SimTime, sequence: UInt64)?
            var now: Int64 = 0
            var serial = 0
            for _ in 0..<2_000 {
                let op = rng.nextIndex(below: 10)
                if op < 5 {
                    // Few distinct times, so that ties are common.
                    let t = now + Int64(rng.nextIndex(below: 8))
                    let id = q.push(serial, at: t)
                    reference.append((t, serial, id))
                    serial += 1
                } else if op < 8 {
                    reference.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
                    let expected = reference.isEmpty ? nil : reference.removeFirst()
                    let got = q.pop()
                    XCTAssertEqual(got?.event, expected?.seq, "round \(round)")
                    if let got {
                        now = got.time
                        lastRun = (got.time, got.sequence)
                    }
                } else if !reference.isEmpty {
                    let victim = reference.remove(at: rng.nextIndex(below: reference.count))
                    XCTAssertTrue(q.cancel(victim.id, lastRun: lastRun))
                }
                XCTAssertEqual(q.count, reference.count)
            }
        }
    }
}

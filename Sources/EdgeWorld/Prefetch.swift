import CPrefetch

extension Array {
    /// Asks the cache for every line of the elements in `range`, nothing where it lies out of
    /// bounds: a hint that changes nothing (see `World.prefetch`).
    @inline(__always) func prefetch(_ range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { return }
        withUnsafeBufferPointer { arsim_prefetch_range($0.baseAddress! + range.lowerBound, range.count * MemoryLayout<Element>.stride) }
    }

    /// Asks the cache for every line of element `i`.
    @inline(__always) func prefetch(_ i: Int) { prefetch(i ..< i + 1) }

    /// Asks the cache for the lines of element `i` that hold its bytes `bytes` (some of its fields).
    @inline(__always) func prefetch(_ i: Int, bytes: Range<Int>) {
        guard i >= 0, i < count, bytes.lowerBound >= 0, bytes.upperBound <= MemoryLayout<Element>.stride, !bytes.isEmpty else { return }
        withUnsafeBufferPointer {
            arsim_prefetch_range(UnsafeRawPointer($0.baseAddress! + i) + bytes.lowerBound, bytes.count)
        }
    }
}

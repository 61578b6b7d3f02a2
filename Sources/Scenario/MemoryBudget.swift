import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JSONConfig

/// The clients a world may have in the memory this process can use. A run that exhausts memory
/// dies in the allocator, where no error can be reported; a world too large for the machine is
/// refused while it is read instead, as bad input, before anything is built.
public enum MemoryBudget {
    /// Bytes a client costs from reading to the end of a run, with room to spare: the 10,000-client
    /// scale world takes about 5.2 KiB each (docs/performance.md).
    static let bytesPerClient: UInt64 = 8 << 10

    /// The memory this process may use: the machine's, or less where an address-space or data
    /// limit, or the container's memory limit (cgroup v2 `memory.max`), says so.
    static var available: UInt64 {
        var memory = ProcessInfo.processInfo.physicalMemory
        #if canImport(Glibc)
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var limit = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
                memory = min(memory, UInt64(limit.rlim_cur))
            }
        }
        #endif
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let bytes = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            memory = min(memory, bytes)
        }
        return memory
    }

    /// Throws where `clients` in all would need more than half of what is available (the rest is
    /// the program, its libraries, the servers, the results and the allocator's slack).
    static func check(clients: Int, at node: ConfigNode) throws(ConfigError) {
        if let refusal = refusal(clients: clients) { throw node.error(refusal) }
    }

    /// Why `clients` in all cannot be built here, or nil where they fit (for worlds built
    /// without a scenario, such as `arsim bench`'s).
    public static func refusal(clients: Int) -> String? {
        let (product, overflow) = UInt64(max(clients, 0)).multipliedReportingOverflow(by: bytesPerClient)
        let needed = overflow ? UInt64.max : product, available = Self.available
        guard needed > available / 2 else { return nil }
        return "\(clients) clients in all need \(overflow ? "more than" : "about") \(gb(needed)) of memory (\(bytesPerClient >> 10) KiB each), "
            + "more than half of the \(gb(available)) this process may use; use fewer clients or a machine with more memory"
    }
}

/// A run whose world keeps growing (requests piling up behind a link that cannot carry them)
/// would end in the allocator, where no error can be reported: the runner checks between slices
/// and fails the run with a message instead. What it counts is the address space mapped since the
/// run began: the program, its libraries and threads already map about 0.4 GB.
public struct RunMemory {
    let baseline: UInt64?
    let available: UInt64

    public init() {
        baseline = Self.mapped
        available = MemoryBudget.available
    }

    /// Bytes of address space the process has mapped; nil where unknown.
    static var mapped: UInt64? { statm(field: 0) }

    /// A field of `/proc/self/statm` in bytes (0: address space mapped, 1: resident); nil where
    /// unknown.
    public static func statm(field: Int) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard field >= 0, field < fields.count, let pages = UInt64(fields[field]) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Why the run must stop, where it has mapped more than a third of what the process may still
    /// use. A third, not a half: the largest of the world's tables grows by doubling, and for a
    /// moment holds its old storage and the new one, twice its size.
    public func outgrown() -> String? {
        guard let baseline, let used = Self.mapped, available > baseline else { return nil }
        let grown = used > baseline ? used - baseline : 0, room = available - baseline
        guard grown > room / 3 else { return nil }
        return "the run outgrew the memory this process may use: it has taken \(gb(grown)), more than a third of the "
            + "\(gb(room)) left when it began; its world keeps growing (requests piling up faster than they are served or "
            + "sent): lighten the load, shorten the run, or use a machine with more memory"
    }
}

/// Bytes as the messages above give them.
private func gb(_ bytes: UInt64) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }

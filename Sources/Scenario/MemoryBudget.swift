import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JSONConfig

/// The clients a world may have in the memory this process can use. A run that exhausts memory
/// dies in the allocator, where no error can be reported; a world too large for the machine is
/// refused while it is read instead, as bad input, before anything is built.
enum MemoryBudget {
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
        let needed = UInt64(clients) * bytesPerClient, available = Self.available
        guard needed > available / 2 else { return }
        func gb(_ b: UInt64) -> String { String(format: "%.1f GB", Double(b) / 1e9) }
        throw node.error("\(clients) clients in all need about \(gb(needed)) of memory (\(bytesPerClient >> 10) KiB each), "
                         + "more than half of the \(gb(available)) this process may use; use fewer clients or a machine with more memory")
    }
}

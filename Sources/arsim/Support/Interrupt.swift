import Foundation
import Synchronization

/// Set by SIGINT or SIGTERM; the runner polls it between slices of events and ends the run
/// cleanly, marking it interrupted. The one global here, because a signal handler can reach
/// nothing else.
let interruptRequested = Atomic<Bool>(false)
/// Signals received by a process that keeps its handler (a sweep, which must tell its workers).
let interruptCount = Atomic<Int>(0)

enum Interrupt {
    /// The first signal asks for a clean stop; a second one ends the process at once.
    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { number in
                interruptRequested.store(true, ordering: .relaxed)
                signal(number, SIG_DFL)
            }
        }
    }

    /// For a process with workers: every signal is counted and the handler stays, so that a
    /// second Ctrl-C can still stop the workers before the process ends (`urgent`).
    static func installCounting() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                interruptRequested.store(true, ordering: .relaxed)
                interruptCount.add(1, ordering: .relaxed)
            }
        }
    }

    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }
    /// A second signal: stop now.
    static var urgent: Bool { interruptCount.load(ordering: .relaxed) >= 2 }
}

import Foundation
import Synchronization

/// Set by SIGINT or SIGTERM; the runner polls it between slices of events and ends the run
/// cleanly, marking it interrupted. The one global here, because a signal handler can reach
/// nothing else.
let interruptRequested = Atomic<Bool>(false)

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

    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }
}

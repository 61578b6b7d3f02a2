import Dispatch
import EdgeWorld
import Foundation
import ResultsStore

/// Writes each slice's rows to the results store on a second thread while the world runs the
/// next slice. At `--detail requests` most of a run's time is SQLite building rows, and on a
/// machine with two cores it overlaps with the simulation instead of following it.
///
/// The store is used by one thread at a time: only the writer's serial queue touches it between
/// `init` and `finish()` (or `abandon()`), and the caller touches it again only after either has
/// returned. Slices are written in the order they were submitted, so the database is the same,
/// byte for byte, as one written on the caller's thread. At most `maxQueued` slices wait, which
/// bounds the rows held in memory.
final class SliceWriter: @unchecked Sendable {
    static let maxQueued = 2

    private let store: ResultsStore
    private let run: Int64
    private let spec: WorldSpec
    private let queue = DispatchQueue(label: "arsim.results-writer")
    private let slots = DispatchSemaphore(value: SliceWriter.maxQueued)
    private let lock = NSLock()
    /// The first write that failed; once set, later slices are dropped and the run fails with it.
    private var failure: Error?
    /// Takes the log's checkpoints off this writer's thread.
    private let checkpointer: LogCheckpointer?

    init(store: ResultsStore, run: Int64, spec: WorldSpec) {
        self.store = store
        self.run = run
        self.spec = spec
        // A summary run writes a few rows: SQLite's own checkpoints are as good there.
        checkpointer = spec.detail == .requests ? store.logCheckpointer() : nil
    }

    /// Queues a slice's rows, waiting while `maxQueued` slices are still unwritten. Throws an
    /// earlier slice's write error, so a failing disk stops the run at the next slice.
    func submit(_ rows: Outbox) throws {
        try rethrowFailure()
        guard !rows.isEmpty else { return }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard currentFailure() == nil else { return }
            do { try store.write(rows, run: run, spec: spec) } catch { record(error) }
            checkpointer?.nudge()
        }
    }

    /// Waits for every queued slice and throws the first write error.
    func finish() throws {
        queue.sync {}
        checkpointer?.finish()
        try rethrowFailure()
    }

    /// Waits for the queue to drain, ignoring its errors: the run is failing for another reason.
    func abandon() {
        queue.sync {}
        checkpointer?.finish()
    }

    private func currentFailure() -> Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func record(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    private func rethrowFailure() throws {
        if let failure = currentFailure() { throw failure }
    }
}

import CSQLite
import Dispatch
import Foundation

/// Copies the write-ahead log into the database file on a second connection and thread while a
/// run's rows are written, instead of the writing connection doing it itself every 1,000 pages.
///
/// At `--detail requests` the writer thread is the slower of a run's two threads, and a fifth
/// of its time was those checkpoints (tools/sqlite_floor.c: 0.098 s with them, 0.074 s without);
/// the simulation's thread waits for the writer meanwhile, so its core is free to take them.
/// Checkpoints are passive: they copy what is committed and never block the writer.
///
/// The log starts again from its beginning only when a write transaction begins with all of it
/// copied, which a checkpoint running beside the writer never achieves: left alone the log
/// would grow as long as the run. So once it holds `limitPages` pages, the writer waits, after
/// its commit, for one checkpoint that copies everything (most of it was copied already), and
/// its next transaction starts the log again. Durability is as before (`synchronous=NORMAL` on
/// both connections: a checkpoint syncs the log before it copies and the file after).
public final class LogCheckpointer: @unchecked Sendable {
    private let store: ResultsStore
    private let connection: SQLiteDatabase
    private let limitPages: Int32
    private let queue = DispatchQueue(label: "arsim.results-checkpoint")
    private let lock = NSLock()
    private var queued = false
    /// Pages in the log after the last checkpoint.
    private var logPages: Int32 = 0

    /// Nil where the store is not in WAL mode or a second connection cannot be opened: its
    /// writing connection then checkpoints as usual.
    init?(store: ResultsStore) {
        guard !store.readOnly, let mode = try? store.select("PRAGMA journal_mode").first?.first,
              case .text("wal") = mode,
              let connection = try? SQLiteDatabase(path: store.path),
              (try? connection.execute("PRAGMA synchronous=NORMAL")) != nil,
              (try? store.db.execute("PRAGMA wal_autocheckpoint=0")) != nil else { return nil }
        self.store = store
        self.connection = connection
        limitPages = Int32(clamping: store.logLimitPages)
    }

    /// Called on the writer's thread after a commit: queues a checkpoint unless one is waiting
    /// to start, or runs one and waits for it once the log has reached its limit.
    public func nudge() {
        lock.lock()
        let full = logPages >= limitPages
        let start = !queued && !full
        if start { queued = true }
        lock.unlock()
        if full {
            queue.sync { checkpoint() }
        } else if start {
            queue.async { [self] in
                lock.lock()
                queued = false
                lock.unlock()
                checkpoint()
            }
        }
    }

    /// A checkpoint that could not copy everything (a reader elsewhere holds an old snapshot)
    /// is taken up by the next one, or by the writing connection when it closes.
    private func checkpoint() {
        var log: Int32 = 0, copied: Int32 = 0
        _ = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        lock.lock()
        logPages = log
        lock.unlock()
    }

    /// Waits for the last checkpoint and hands checkpoints back to the writing connection. Call
    /// it when the writing connection is the caller's again (after the writer has finished).
    public func finish() {
        queue.sync {}
        try? store.db.execute("PRAGMA wal_autocheckpoint=1000")
    }
}

extension ResultsStore {
    /// A checkpointer for a run's rows (`LogCheckpointer`), or nil to let SQLite checkpoint.
    public func logCheckpointer() -> LogCheckpointer? { LogCheckpointer(store: self) }
}

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
/// copied, which a checkpoint running beside a busy writer never achieves: left alone the log
/// would grow as long as the run. So once a commit leaves `limitPages` pages in it (SQLite's
/// WAL hook says how many, on the writer's thread), the writer waits for a checkpoint of all
/// of it, mostly copied already, and its next transaction starts the log again. (A reader
/// elsewhere holding an old snapshot keeps any checkpoint from copying past it; the writer then
/// waits at each commit until that reader lets go, as SQLite's own checkpoints would retry.)
/// Durability is as before (`synchronous=NORMAL` on both connections: a checkpoint syncs the
/// log before it copies and the file after).
public final class LogCheckpointer: @unchecked Sendable {
    private let store: ResultsStore
    private let connection: SQLiteDatabase
    private let limitPages: Int32
    /// The writing connection's own setting, given back by `finish()`.
    private let autocheckpoint: Int64
    private let queue = DispatchQueue(label: "arsim.results-checkpoint")
    private let lock = NSLock()
    private var queued = false
    /// Pages in the log after the writing connection's last commit (its WAL hook).
    private var logPages: Int32 = 0

    /// Nil where the store is not in WAL mode or a second connection cannot be opened: its
    /// writing connection then checkpoints as usual.
    init?(store: ResultsStore) {
        guard !store.readOnly, let mode = try? store.select("PRAGMA journal_mode").first?.first, case .text("wal") = mode,
              let setting = try? store.select("PRAGMA wal_autocheckpoint").first?.first, case .integer(let autocheckpoint) = setting,
              let connection = try? SQLiteDatabase(path: store.path, create: false),
              (try? connection.execute("PRAGMA synchronous=NORMAL")) != nil,
              // A connection takes up the log when it first reads; until then a checkpoint does nothing.
              (try? connection.execute("SELECT count(*) FROM sqlite_master")) != nil,
              (try? store.db.execute("PRAGMA wal_autocheckpoint=0")) != nil else { return nil }
        self.store = store
        self.connection = connection
        self.autocheckpoint = autocheckpoint
        limitPages = Int32(clamping: store.logLimitPages)
        // Replaces the (now disabled) autocheckpoint hook until `finish()` sets it again.
        sqlite3_wal_hook(store.db.handle, { context, _, _, pages in
            let checkpointer = Unmanaged<LogCheckpointer>.fromOpaque(context!).takeUnretainedValue()
            checkpointer.lock.lock()
            checkpointer.logPages = pages
            checkpointer.lock.unlock()
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
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
            queue.async { [weak self] in
                guard let self else { return }
                lock.lock()
                queued = false
                lock.unlock()
                checkpoint()
            }
        }
    }

    /// A checkpoint that could not copy everything (a reader elsewhere holds an old snapshot,
    /// or another process is checkpointing) is taken up by the next one, or by the writing
    /// connection when it closes.
    private func checkpoint() {
        _ = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    /// Waits for the last checkpoint and gives the writing connection its own checkpoints (and
    /// WAL hook) back. Call it when that connection is the caller's again, after the writer has
    /// finished, whether the run completed or not.
    public func finish() {
        queue.sync {}
        guard !finished else { return }
        finished = true
        // As PRAGMA wal_autocheckpoint does, and it cannot fail: the hook stops pointing here.
        sqlite3_wal_autocheckpoint(store.db.handle, Int32(clamping: autocheckpoint))
    }

    private var finished = false

    /// The WAL hook points at this object: it must not outlive it.
    deinit { finish() }
}

extension ResultsStore {
    /// A checkpointer for a run's rows (`LogCheckpointer`), or nil to let SQLite checkpoint.
    public func logCheckpointer() -> LogCheckpointer? { LogCheckpointer(store: self) }
}

/* What SQLite alone takes to write a quickstart run's detail rows (docs/performance.md, item 3).
 *
 * Inserts 72,000 request rows, as many frame rows and 18,016 batch rows, each table with its
 * by-run index, 32 rows per INSERT, one transaction per 11,264 requests, WAL and
 * synchronous=NORMAL as arsim opens a database. The shape is the first argument after the file:
 *   text    schema 5: 28 request columns with seven of text, text names in frames and batches
 *   codes   the same columns, every name an integer code
 *   coded   schema 6 (arsim today): rows keyed by run << 40 | place instead of a run id and an
 *           index, names as codes, stage times as offsets from creation; 25 request columns,
 *           9 frame columns, 7 batch columns
 * Further words: `check` adds the two CHECK (x IN (...)) constraints schema 5 once had (text
 * only); `nockpt` turns off automatic checkpoints (as arsim's writing connection has them,
 * `LogCheckpointer` taking them on another thread) and leaves the log for the close.
 *
 *   cc -O2 tools/sqlite_floor.c -lsqlite3 -o /tmp/sqlite_floor
 *   rm -f /tmp/floor.db*; /tmp/sqlite_floor /tmp/floor.db coded [nockpt]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

enum { Rows = 72000, PerInsert = 32, PerTransaction = 11264 };

static void fail(sqlite3 *db) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); exit(1); }

static sqlite3_stmt *insert(sqlite3 *db, const char *table, int columns) {
    static char sql[16384];
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES ", table);
    for (int r = 0; r < PerInsert; r++) {
        strcat(sql, r ? ",(" : "(");
        for (int c = 0; c < columns; c++) strcat(sql, c ? ",?" : "?");
        strcat(sql, ")");
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, 0) != SQLITE_OK) fail(db);
    return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
    if (sqlite3_step(s) != SQLITE_DONE) fail(db);
    sqlite3_reset(s);
}

static int has(int argc, char **argv, const char *word) {
    for (int i = 3; i < argc; i++) if (strcmp(argv[i], word) == 0) return 1;
    return 0;
}

/* A name: its text, or in the coded shapes its code. */
static void name(sqlite3_stmt *s, int i, int codes, const char *text, int code) {
    if (codes) sqlite3_bind_int64(s, i, code); else sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: sqlite_floor DB text|codes|coded [check] [nockpt]\n"); return 2; }
    const char *shape = argv[2];
    int coded = strcmp(shape, "coded") == 0, codes = coded || strcmp(shape, "codes") == 0;
    if (!codes && strcmp(shape, "text") != 0) { fprintf(stderr, "unknown shape %s\n", shape); return 2; }
    int check = has(argc, argv, "check") && !codes;
    const char *name_type = codes ? "INTEGER" : "TEXT";
    sqlite3 *db;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) { fprintf(stderr, "cannot open %s\n", argv[1]); return 1; }
    char schema[8192];
    if (coded) {
        snprintf(schema, sizeof schema,
            "CREATE TABLE requests(row INTEGER PRIMARY KEY, client, client_group, task, model, frame, copy, route, server,"
            " created_ns, device_start_dt, device_end_dt, sent_dt, arrived_dt, queued_dt, batch_id, batch_size, gpu,"
            " batch_start_dt, batch_end_dt, completed_dt, deadline_dt, status, drop_reason, in_window);"
            "CREATE TABLE frames(row INTEGER PRIMARY KEY, client, task, frame, time_ns, staleness_frames, accuracy,"
            " source, in_window);"
            "CREATE TABLE batches(row INTEGER PRIMARY KEY, server, gpu, model, size, start_ns, end_ns);");
    } else {
        snprintf(schema, sizeof schema,
            "CREATE TABLE requests(run_id INTEGER NOT NULL, request_id INTEGER NOT NULL, client %1$s NOT NULL,"
            " client_group %1$s NOT NULL, task %1$s NOT NULL, model %1$s NOT NULL, frame INTEGER NOT NULL,"
            " copy INTEGER NOT NULL, route %1$s, server %1$s, created_ns INTEGER NOT NULL, device_start_ns INTEGER,"
            " device_end_ns INTEGER, sent_ns INTEGER, arrived_ns INTEGER, queued_ns INTEGER, batch_id INTEGER,"
            " batch_size INTEGER, gpu INTEGER, batch_start_ns INTEGER, batch_end_ns INTEGER, completed_ns INTEGER,"
            " deadline_ns INTEGER NOT NULL, latency_ns INTEGER, status %1$s NOT NULL %2$s, drop_reason %1$s,"
            " met_deadline INTEGER NOT NULL, in_window INTEGER NOT NULL);"
            "CREATE INDEX requests_by_run ON requests (run_id, request_id);",
            name_type, check ? "CHECK (status IN ('completed', 'dropped', 'cancelled', 'unfinished'))" : "");
    }
    size_t used = strlen(schema);
    if (!coded) snprintf(schema + used, sizeof schema - used,
        "CREATE TABLE frames(run_id INTEGER NOT NULL, client %1$s NOT NULL, task %1$s NOT NULL,"
        " frame INTEGER NOT NULL, time_ns INTEGER NOT NULL, staleness_frames INTEGER, accuracy REAL NOT NULL,"
        " source %1$s NOT NULL %2$s, in_window INTEGER NOT NULL);"
        "CREATE INDEX frames_by_run ON frames (run_id);"
        "CREATE TABLE batches(run_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, server %1$s NOT NULL,"
        " gpu INTEGER NOT NULL, model %1$s NOT NULL, size INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
        " end_ns INTEGER NOT NULL%3$s);"
        "CREATE INDEX batches_by_run ON batches (run_id, batch_id);",
        name_type, check ? "CHECK (source IN ('server', 'local', 'none'))" : "",
        coded ? "" : ", service_ns INTEGER NOT NULL");
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", 0, 0, 0) != SQLITE_OK) fail(db);
    if (has(argc, argv, "nockpt") && sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0;", 0, 0, 0) != SQLITE_OK) fail(db);
    if (sqlite3_exec(db, schema, 0, 0, 0) != SQLITE_OK) fail(db);
    int width = coded ? 25 : 28, batchWidth = coded ? 7 : 9;
    const long run = 1L << 40; /* run 1's first key */
    sqlite3_stmt *requests = insert(db, "requests", width), *frames = insert(db, "frames", 9),
                 *batches = insert(db, "batches", batchWidth);
    /* Where schema 5 has text: client, group, task, model, route, server, status. */
    static const int text[] = {3, 4, 5, 6, 9, 10, 25};
    static const char *names[] = {"phone-7", "phone", "resnet50", "resnet50", "server:edge", "edge", "completed"};
    int batchRows = 0;
    double t0 = now();
    for (int first = 0; first < Rows; first += PerTransaction) {
        if (sqlite3_exec(db, "BEGIN", 0, 0, 0) != SQLITE_OK) fail(db);
        for (int i = first; i < first + PerTransaction && i < Rows; i += PerInsert) {
            for (int r = 0; r < PerInsert; r++) {
                int o = r * width;
                long id = i + r, t = 2146024 + id * 1666666;
                if (coded) {
                    /* The key; codes 0-4; created_ns; offsets of 1-4 bytes; device stages and drop
                       reason NULL. */
                    for (int c = 1; c <= width; c++)
                        sqlite3_bind_int64(requests, o + c, c == 1 ? run + id : c == 10 ? t : c < 10 ? c % 5 : 1000 + c * 123457);
                    sqlite3_bind_null(requests, o + 11);
                    sqlite3_bind_null(requests, o + 12);
                    sqlite3_bind_null(requests, o + 24);
                } else {
                    for (int c = 1; c <= 28; c++) sqlite3_bind_int64(requests, o + c, c == 1 ? 1 : c == 2 ? id : t + c);
                    for (int k = 0; k < 7; k++) name(requests, o + text[k], codes, names[k], k);
                    sqlite3_bind_null(requests, o + 12);
                    sqlite3_bind_null(requests, o + 13);
                    sqlite3_bind_null(requests, o + 26);
                }
            }
            step(db, requests);
            for (int r = 0; r < PerInsert; r++) {
                int o = r * 9;
                long id = i + r;
                sqlite3_bind_int64(frames, o + 1, coded ? run + id : 1);
                name(frames, o + 2, codes, "phone-7", 3);
                name(frames, o + 3, codes, "resnet50", 4);
                sqlite3_bind_int64(frames, o + 4, id / 20);
                sqlite3_bind_int64(frames, o + 5, 2146024 + id * 1666666);
                sqlite3_bind_null(frames, o + 6);
                sqlite3_bind_double(frames, o + 7, 0.0);
                name(frames, o + 8, codes, "none", 2);
                sqlite3_bind_int64(frames, o + 9, 1);
            }
            step(db, frames);
            if ((i / PerInsert) % 4 == 0) {
                batchRows += PerInsert;
                for (int r = 0; r < PerInsert; r++) {
                    int o = r * batchWidth;
                    long id = i / 4 + r;
                    int k = 1;
                    if (coded) sqlite3_bind_int64(batches, o + k++, run + id);
                    else { sqlite3_bind_int64(batches, o + k++, 1); sqlite3_bind_int64(batches, o + k++, id); }
                    name(batches, o + k++, codes, "edge", 5);
                    sqlite3_bind_int64(batches, o + k++, id % 2);
                    name(batches, o + k++, codes, "resnet50", 4);
                    sqlite3_bind_int64(batches, o + k++, 4);
                    sqlite3_bind_int64(batches, o + k++, 29146024 + id * 6666666);
                    sqlite3_bind_int64(batches, o + k++, 40743508 + id * 6666666);
                    if (!coded) sqlite3_bind_int64(batches, o + k, 11597484);
                }
                step(db, batches);
            }
        }
        if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK) fail(db);
    }
    double t1 = now();
    sqlite3_finalize(requests);
    sqlite3_finalize(frames);
    sqlite3_finalize(batches);
    sqlite3_close(db);
    printf("%s%s%s: %d requests, %d frames, %d batches written in %.3f s\n", shape, check ? " check" : "",
           has(argc, argv, "nockpt") ? " nockpt" : "", Rows, Rows, batchRows, t1 - t0);
    return 0;
}

/* What SQLite alone takes to write a quickstart run's detail rows (docs/performance.md, item 3).
 *
 * Inserts 72,000 request rows (28 columns, the `requests` table's shape and its (run_id,
 * request_id) index), as many frame rows and 18,016 batch rows, 32 rows per INSERT, one
 * transaction per 11,264 requests, WAL and synchronous=NORMAL as arsim opens a database.
 * With `check` as the second argument the two CHECK (x IN (...)) constraints the tables used to
 * have are added.
 *
 *   cc -O2 tools/sqlite_floor.c -lsqlite3 -o /tmp/sqlite_floor
 *   rm -f /tmp/floor.db*; /tmp/sqlite_floor /tmp/floor.db [check]
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

static sqlite3_stmt *insert(sqlite3 *db, const char *table, int columns) {
    static char sql[16384];
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES ", table);
    for (int r = 0; r < PerInsert; r++) {
        strcat(sql, r ? ",(" : "(");
        for (int c = 0; c < columns; c++) strcat(sql, c ? ",?" : "?");
        strcat(sql, ")");
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, 0) != SQLITE_OK) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); exit(1); }
    return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
    if (sqlite3_step(s) != SQLITE_DONE) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); exit(1); }
    sqlite3_reset(s);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: sqlite_floor DB [check]\n"); return 2; }
    int check = argc > 2 && strcmp(argv[2], "check") == 0;
    sqlite3 *db;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) { fprintf(stderr, "cannot open %s\n", argv[1]); return 1; }
    char schema[4096];
    snprintf(schema, sizeof schema,
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE requests(run_id INTEGER NOT NULL, request_id INTEGER NOT NULL, client TEXT NOT NULL,"
        " client_group TEXT NOT NULL, task TEXT NOT NULL, model TEXT NOT NULL, frame INTEGER NOT NULL,"
        " copy INTEGER NOT NULL, route TEXT, server TEXT, created_ns INTEGER NOT NULL, device_start_ns INTEGER,"
        " device_end_ns INTEGER, sent_ns INTEGER, arrived_ns INTEGER, queued_ns INTEGER, batch_id INTEGER,"
        " batch_size INTEGER, gpu INTEGER, batch_start_ns INTEGER, batch_end_ns INTEGER, completed_ns INTEGER,"
        " deadline_ns INTEGER NOT NULL, latency_ns INTEGER, status TEXT NOT NULL %s, drop_reason TEXT,"
        " met_deadline INTEGER NOT NULL, in_window INTEGER NOT NULL);"
        "CREATE INDEX requests_by_run ON requests (run_id, request_id);"
        "CREATE TABLE frames(run_id INTEGER NOT NULL, client TEXT NOT NULL, task TEXT NOT NULL,"
        " frame INTEGER NOT NULL, time_ns INTEGER NOT NULL, staleness_frames INTEGER, accuracy REAL NOT NULL,"
        " source TEXT NOT NULL %s, in_window INTEGER NOT NULL);"
        "CREATE INDEX frames_by_run ON frames (run_id);"
        "CREATE TABLE batches(run_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, server TEXT NOT NULL,"
        " gpu INTEGER NOT NULL, model TEXT NOT NULL, size INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
        " end_ns INTEGER NOT NULL, service_ns INTEGER NOT NULL);"
        "CREATE INDEX batches_by_run ON batches (run_id, batch_id);",
        check ? "CHECK (status IN ('completed', 'dropped', 'cancelled', 'unfinished'))" : "",
        check ? "CHECK (source IN ('server', 'local', 'none'))" : "");
    if (sqlite3_exec(db, schema, 0, 0, 0) != SQLITE_OK) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); return 1; }
    sqlite3_stmt *requests = insert(db, "requests", 28), *frames = insert(db, "frames", 9), *batches = insert(db, "batches", 9);
    static const int text[] = {3, 4, 5, 6, 9, 10, 25};
    static const char *names[] = {"phone-7", "phone", "resnet50", "resnet50", "server:edge", "edge", "completed"};
    int batchRows = 0;
    double t0 = now();
    for (int first = 0; first < Rows; first += PerTransaction) {
        if (sqlite3_exec(db, "BEGIN", 0, 0, 0) != SQLITE_OK) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); return 1; }
        for (int i = first; i < first + PerTransaction && i < Rows; i += PerInsert) {
            for (int r = 0; r < PerInsert; r++) {
                int o = r * 28;
                long id = i + r, t = 2146024 + id * 1666666;
                for (int c = 1; c <= 28; c++) sqlite3_bind_int64(requests, o + c, c == 1 ? 1 : c == 2 ? id : t + c);
                for (int k = 0; k < 7; k++) sqlite3_bind_text(requests, o + text[k], names[k], -1, SQLITE_STATIC);
                sqlite3_bind_null(requests, o + 12);
                sqlite3_bind_null(requests, o + 13);
                sqlite3_bind_null(requests, o + 26);
            }
            step(db, requests);
            for (int r = 0; r < PerInsert; r++) {
                int o = r * 9;
                long id = i + r;
                sqlite3_bind_int64(frames, o + 1, 1);
                sqlite3_bind_text(frames, o + 2, "phone-7", -1, SQLITE_STATIC);
                sqlite3_bind_text(frames, o + 3, "resnet50", -1, SQLITE_STATIC);
                sqlite3_bind_int64(frames, o + 4, id / 20);
                sqlite3_bind_int64(frames, o + 5, 2146024 + id * 1666666);
                sqlite3_bind_null(frames, o + 6);
                sqlite3_bind_double(frames, o + 7, 0.0);
                sqlite3_bind_text(frames, o + 8, "none", -1, SQLITE_STATIC);
                sqlite3_bind_int64(frames, o + 9, 1);
            }
            step(db, frames);
            if ((i / PerInsert) % 4 == 0) {
                batchRows += PerInsert;
                for (int r = 0; r < PerInsert; r++) {
                    int o = r * 9;
                    long id = i / 4 + r;
                    sqlite3_bind_int64(batches, o + 1, 1);
                    sqlite3_bind_int64(batches, o + 2, id);
                    sqlite3_bind_text(batches, o + 3, "edge", -1, SQLITE_STATIC);
                    sqlite3_bind_int64(batches, o + 4, id % 2);
                    sqlite3_bind_text(batches, o + 5, "resnet50", -1, SQLITE_STATIC);
                    sqlite3_bind_int64(batches, o + 6, 4);
                    sqlite3_bind_int64(batches, o + 7, 29146024 + id * 6666666);
                    sqlite3_bind_int64(batches, o + 8, 40743508 + id * 6666666);
                    sqlite3_bind_int64(batches, o + 9, 11597484);
                }
                step(db, batches);
            }
        }
        if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); return 1; }
    }
    double t1 = now();
    sqlite3_finalize(requests);
    sqlite3_finalize(frames);
    sqlite3_finalize(batches);
    sqlite3_close(db);
    printf("%d requests, %d frames, %d batches written in %.3f s%s\n", Rows, Rows, batchRows, t1 - t0,
           check ? " (with CHECK constraints)" : "");
    return 0;
}

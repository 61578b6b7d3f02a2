#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call: arsim turns off SQLite's memory
   statistics, whose global mutex costs a lock per allocation on every bound row. */
static inline int arsim_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

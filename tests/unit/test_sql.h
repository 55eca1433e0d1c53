#ifndef RL_TEST_SQL_H
#define RL_TEST_SQL_H

/* The store tests look at the database file from outside the store, with
 * their own connection: these are their helpers. Include after cmocka.h. */

#include <sqlite3.h>

/* For tests that look at a message's history from outside the store: since
 * migration 0010 it is a column of the message (one line per change,
 * "<at>\t<state>\t<reason>\t<detail>\n"), and this WITH clause turns it back
 * into rows, so that a test can say
 *   SELECT count(*) FROM message_events WHERE reason = 'x'
 * as it would of a table. Written in SQL, apart from store_history_parse, so
 * that the tests do not read the history with the code they test. Reason and
 * detail come as stored (escaped); the tests' values have nothing to escape.
 * Prefix a query with it: test_history_sql(). */
#define TEST_EVENTS_CTE                                                                            \
    "WITH RECURSIVE split(message_id, line, rest) AS ("                                            \
    " SELECT id, '', history FROM messages"                                                        \
    " UNION ALL SELECT message_id, substr(rest, 1, instr(rest, char(10)) - 1),"                    \
    " substr(rest, instr(rest, char(10)) + 1) FROM split WHERE rest != ''),"                       \
    " e1 AS (SELECT message_id, substr(line, 1, instr(line, char(9)) - 1) AS at,"                  \
    " substr(line, instr(line, char(9)) + 1) AS r1 FROM split WHERE line != ''),"                  \
    " e2 AS (SELECT message_id, at, substr(r1, 1, instr(r1, char(9)) - 1) AS state,"               \
    " substr(r1, instr(r1, char(9)) + 1) AS r2 FROM e1),"                                          \
    " message_events(message_id, at, state, reason, detail) AS (SELECT message_id,"                \
    " CAST(at AS INTEGER), state, substr(r2, 1, instr(r2, char(9)) - 1),"                          \
    " nullif(substr(r2, instr(r2, char(9)) + 1), '') FROM e2) "

#include <stdio.h>
#include <string.h>

/* sql, prefixed with TEST_EVENTS_CTE when it names message_events; out is
 * caller-owned (n bytes). */
static inline const char *test_history_sql(const char *sql, char *out, size_t n)
{
    if (!strstr(sql, "message_events"))
        return sql;
    snprintf(out, n, "%s%s", TEST_EVENTS_CTE, sql);
    return out;
}

/* The first column of the first row of sql (message_events made from the
 * history when named) on the database at path; -1 when there is no row. A
 * statement that does not prepare fails the test, naming it. */
static inline long long test_sql_value(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long n = -1;
    char q[4096];
    sql = test_history_sql(sql, q, sizeof(q));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Runs sql (several statements allowed) on the database at path; returns
 * SQLite's result code. */
static inline int test_sql_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

#endif

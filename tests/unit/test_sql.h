#ifndef RL_TEST_HISTORY_H
#define RL_TEST_HISTORY_H

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

#endif

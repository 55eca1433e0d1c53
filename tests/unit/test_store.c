/* The SQLite store on real files in a temporary directory (never :memory:):
 * migrations, messages, cancel rules, claims under two threads, ops failing
 * alone inside a batch, group commit from several threads, API keys,
 * idempotency, outcomes and receipts, and a kill -9 in the middle of writes.
 * SQL appears here only to look at the file from outside the store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_sql.h"

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h" /* the history line format */
#include "store/store_migrations.h"

#include <time.h>

static char dir[64];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static char path[128];
static int seq;

/* A fresh database path for each test. */
static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/t%d.db", dir, ++seq);
    return 0;
}

static struct store *open_store(bool full)
{
    struct store *s = NULL;
    struct store_opts o = {path, full};
    struct rl_err err = {0};
    int rc = store_open(&o, &s, &err);
    if (rc != 0)
        fail_msg("store_open: %d %s", rc, err.msg);
    return s;
}

static int64_t account(struct store *s, const char *name, int64_t balance)
{
    int64_t id = 0;
    struct rl_err err = {0};
    int rc = store_account_create(s, name, balance, &id, &err);
    if (rc != 0)
        fail_msg("account: %d %s", rc, err.msg);
    return id;
}

static struct store_msg_new msg(int64_t acc, const char *to)
{
    struct store_msg_new m = {.account_id = acc,
                              .to = to,
                              .from = "RELAIS",
                              .text = "Bonjour, votre colis arrive demain.",
                              .encoding = MSG_ENCODING_GSM7,
                              .segments = 1,
                              .category = MSG_CATEGORY_TRANSACTIONAL,
                              .state = MSG_STATE_QUEUED,
                              .cost = 45000,
                              .reason = "api"};
    return m;
}

static int64_t insert(struct store *s, const struct store_msg_new *m)
{
    int64_t id = 0;
    struct rl_err err = {0};
    int rc = store_message_insert(s, m, false, &id, &err);
    if (rc != 0)
        fail_msg("insert: %d %s: %s", rc, err.field, err.msg);
    return id;
}

/* Counts rows from outside the store, through a connection of our own. */
static long long count(const char *sql)
{
    return test_sql_value(path, sql);
}

static void test_migrate_fresh_and_reopen(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    assert_true(store_schema_latest() >= 2);
    assert_string_equal(store_backend(s), "sqlite");
    account(s, "acme", 0);
    store_close(s);
    s = open_store(false);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    struct store_account a;
    assert_int_equal(store_account_find(s, "acme", &a, NULL), 0);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM meta"), 1);
    assert_int_equal(count("PRAGMA user_version"), (long long)store_schema_latest());
    assert_int_equal(count("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode='wal'"), 1);
}

/* Runs sql on path through a connection of our own; returns SQLite's rc. */
static int exec_sql(const char *sql)
{
    return test_sql_exec(path, sql);
}

/* PRAGMA integrity_check on path answers the single row "ok". */
static bool integrity_ok(void)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    bool ok = false;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 &&
             sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* 1 when EXPLAIN of sql (on path) opens a temporary b-tree. */
static int explain_has_ephemeral(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char q[512];
    int found = 0;
    snprintf(q, sizeof(q), "EXPLAIN %s", sql);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        found |= strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral") == 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

/* A database as relais left it at schema version v, with account 1 "acme":
 * the migrations up to v, nothing after. */
static void schema_at(unsigned v)
{
    for (unsigned i = 0; i < store_migrations_count && store_migrations[i].version <= v; i++)
        assert_int_equal(exec_sql(store_migrations[i].sql), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof(sql),
             "PRAGMA user_version = %u; INSERT INTO accounts (name, balance, created_at) "
             "VALUES ('acme', 0, 1);",
             v);
    assert_int_equal(exec_sql(sql), SQLITE_OK);
}

/* 0005 edits table definitions in place (writable_schema): a database made by
 * the 0002 schema, with a message in it, comes out with the same row, checks
 * that still refuse what they refused, no temporary b-tree on the hot
 * statements, the claim on the partial index, and a sound file. */
static void test_hot_path_migration(void **state)
{
    (void)state;
    schema_at(2);
    assert_int_equal(
        exec_sql(
            "INSERT INTO messages (account_id, to_e164, from_addr, text, encoding, segments, "
            "category, state, scheduled_for, created_at, updated_at) VALUES (1, "
            "'+33612345678', 'RELAIS', 'kept', 'gsm7', 1, 'transactional', 'queued', 1, 1, 1);"),
        SQLITE_OK);
    struct store *s = open_store(false);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    struct store_message m = {0};
    struct rl_err err = {0};
    assert_int_equal(store_message_get(s, 0, 1, &m, &err), 0);
    assert_string_equal(m.text, "kept");
    assert_int_equal(m.state, MSG_STATE_QUEUED);
    store_message_release(&m);
    store_close(s);
    assert_true(integrity_ok());
    assert_int_equal(count("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                           "sql LIKE '%state IN (%'"),
                     0);
    /* The same values refused as before. */
    assert_int_equal(exec_sql("UPDATE messages SET state = 'sent' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(exec_sql("INSERT INTO receipts (route, operator_id, state, at) "
                              "VALUES ('r', 'x', 'submitted', 1)"),
                     SQLITE_CONSTRAINT);
    assert_false(explain_has_ephemeral("UPDATE messages SET state = 'submitted', "
                                       "history = history || 'x', reason = 'x' WHERE id = 1"));
    assert_false(explain_has_ephemeral("UPDATE message_parts SET state = 'delivered' "
                                       "WHERE message_id = 1 AND part = 1"));
    /* Only the waiting message is in the claim's index. */
    assert_int_equal(count("SELECT count(*) FROM messages INDEXED BY messages_due WHERE "
                           "(state = 'retrying' OR state = 'queued' OR state = 'scheduled') "
                           "AND state = 'queued'"),
                     1);
}

/* 0010 moves message_events into each message's history: a database at
 * version 9 with events written out of id order (as several messages
 * interleave) comes out with each message's lines in the order they were
 * recorded, escapes applied, the last reason as its reason, and no
 * message_events table. The expected lines are written here by hand from
 * the format in 0010_history.sql. */
static void test_history_migration(void **state)
{
    (void)state;
    schema_at(9);
    assert_int_equal(
        exec_sql(
            "INSERT INTO messages (account_id, to_e164, from_addr, text, encoding, segments, "
            "category, state, scheduled_for, created_at, updated_at) VALUES "
            "(1, '+33612345678', 'A', 'one', 'gsm7', 1, 'transactional', 'delivered', 1, 1, 1),"
            "(1, '+33612345679', 'A', 'two', 'gsm7', 1, 'transactional', 'queued', 1, 1, 1);"
            "INSERT INTO message_events (id, message_id, at, state, reason, detail) VALUES "
            "(1, 1, 100, 'queued', 'created', NULL),"
            "(2, 2, 150, 'queued', 'created', NULL),"
            "(3, 1, 200, 'submitting', 'claimed', 'attempt=1'),"
            "(4, 1, 300, 'submitted', 'accepted', 'parts=1'),"
            "(5, 1, 400, 'delivered', 'tab' || char(9) || 'here', 'a\\b' || char(10) || 'c');"),
        SQLITE_OK);
    struct store *s = open_store(false);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    struct store_message m = {0};
    struct rl_err err = {0};
    assert_int_equal(store_message_get(s, 0, 1, &m, &err), 0);
    assert_int_equal(m.nevents, 4);
    assert_int_equal(m.events[0].at, 100);
    assert_int_equal(m.events[0].state, MSG_STATE_QUEUED);
    assert_string_equal(m.events[0].reason, "created");
    assert_null(m.events[0].detail);
    assert_int_equal(m.events[1].state, MSG_STATE_SUBMITTING);
    assert_string_equal(m.events[1].detail, "attempt=1");
    assert_int_equal(m.events[2].at, 300);
    assert_string_equal(m.events[3].reason, "tab\there");
    assert_string_equal(m.events[3].detail, "a\\b\nc");
    store_message_release(&m);
    assert_int_equal(store_message_get(s, 0, 2, &m, &err), 0);
    assert_int_equal(m.nevents, 1);
    assert_int_equal(m.events[0].at, 150);
    store_message_release(&m);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM messages WHERE id = 1 AND history = "
                           "'100\tqueued\tcreated\t\n200\tsubmitting\tclaimed\tattempt=1\n"
                           "300\tsubmitted\taccepted\tparts=1\n"
                           "400\tdelivered\ttab\\there\ta\\\\b\\nc\n'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM messages WHERE id = 1 AND reason = 'tab' || "
                           "char(9) || 'here'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM sqlite_schema WHERE name = 'message_events'"), 0);
    assert_true(integrity_ok());
}

/* Lines written by store_history_line come back from store_history_parse as
 * they went in, whatever the reason and detail hold; a line too long is cut
 * on a whole character and still parses. */
static void test_history_lines(void **state)
{
    (void)state;
    char line[STORE_HISTORY_LINE_MAX];
    store_history_line(line, sizeof(line), 42, MSG_STATE_FAILED, "smsc_refused:ESME_RSYSERR",
                       "a\tb\nc\\d");
    assert_string_equal(line, "42\tfailed\tsmsc_refused:ESME_RSYSERR\ta\\tb\\nc\\\\d\n");
    char hist[4 * STORE_HISTORY_LINE_MAX] = "";
    size_t hl = 0;
#define APPEND(x) hl += (size_t)snprintf(hist + hl, sizeof(hist) - hl, "%s", (x))
    APPEND(line);
    store_history_line(line, sizeof(line), 43, MSG_STATE_QUEUED, "created", NULL);
    assert_string_equal(line, "43\tqueued\tcreated\t\n");
    APPEND(line);
    char big[2000];
    for (size_t i = 0; i + 2 < sizeof(big); i += 2)
        memcpy(big + i, "\xc3\xa9", 2); /* é, two bytes */
    big[sizeof(big) - 2] = 0;
    store_history_line(line, 64, 44, MSG_STATE_RETRYING, big, big);
    assert_true(strlen(line) < 64);
    assert_int_equal(line[strlen(line) - 1], '\n');
    APPEND(line);
    APPEND("garbage without tabs\n");
#undef APPEND
    struct store_event *ev;
    size_t n;
    store_history_parse(hist, &ev, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].at, 42);
    assert_int_equal(ev[0].state, MSG_STATE_FAILED);
    assert_string_equal(ev[0].reason, "smsc_refused:ESME_RSYSERR");
    assert_string_equal(ev[0].detail, "a\tb\nc\\d");
    assert_null(ev[1].detail);
    assert_int_equal(ev[2].state, MSG_STATE_RETRYING);
    /* Cut on whole characters: only é's, and an even number of bytes. */
    size_t rl = strlen(ev[2].reason);
    assert_true(rl > 0 && rl % 2 == 0);
    assert_int_equal(strncmp(ev[2].reason, big, rl), 0);
    assert_true(strlen(ev[2].detail) % 2 == 0);
    for (size_t i = 0; i < n; i++) {
        free(ev[i].reason);
        free(ev[i].detail);
    }
    free(ev);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    store_close(open_store(true));
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct store *s = NULL;
    struct store_opts o = {path, true};
    struct rl_err err = {0};
    assert_int_equal(store_open(&o, &s, &err), RL_EIO);
    assert_null(s);
    assert_string_equal(err.field, "store.path");
    assert_non_null(strstr(err.msg, "999"));
    assert_non_null(strstr(err.msg, "newer"));
}

static void test_insert_get_list(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 10000000), other = account(s, "other", 0);
    struct store_msg_new m[25];
    char to[25][16];
    int64_t ids[25];
    for (int i = 0; i < 25; i++) {
        snprintf(to[i], sizeof(to[i]), "+336102030%02d", i);
        m[i] = msg(acc, to[i]);
        if (i % 5 == 0)
            m[i].state = MSG_STATE_DRAFT;
    }
    m[3].metadata = "{\"order\":\"A-17\"}";
    struct rl_err err = {0};
    assert_int_equal(store_message_insert_batch(s, m, 25, false, ids, &err), 0);
    struct store_account a;
    assert_int_equal(store_account_get(s, acc, &a, NULL), 0);
    assert_int_equal(a.balance, 10000000 - 25 * 45000);

    struct store_message got;
    assert_int_equal(store_message_get(s, acc, ids[3], &got, &err), 0);
    assert_string_equal(got.to, "+33610203003");
    assert_string_equal(got.metadata, "{\"order\":\"A-17\"}");
    assert_int_equal(got.state, MSG_STATE_QUEUED);
    assert_int_equal(got.nevents, 1);
    assert_string_equal(got.events[0].reason, "api");
    assert_int_equal(got.events[0].state, MSG_STATE_QUEUED);
    store_message_release(&got);
    assert_int_equal(store_message_get(s, other, ids[3], &got, &err), RL_ENOTFOUND);

    /* Three pages of 10, 10, 5, newest first, each id once. */
    struct store_list_query q = {.account_id = acc, .state = -1, .limit = 10};
    char cur[STORE_CURSOR_SIZE] = "";
    int seen = 0, pages = 0;
    int64_t prev = INT64_MAX;
    do {
        struct store_message_page p;
        q.cursor = cur;
        assert_int_equal(store_message_list(s, &q, &p, &err), 0);
        for (size_t i = 0; i < p.n; i++) {
            assert_true(p.items[i].id < prev);
            prev = p.items[i].id;
        }
        seen += (int)p.n;
        pages++;
        snprintf(cur, sizeof(cur), "%s", p.next_cursor);
        store_message_page_release(&p);
    } while (cur[0]);
    assert_int_equal(seen, 25);
    assert_int_equal(pages, 3);

    struct store_message_page p;
    q.cursor = NULL;
    q.state = MSG_STATE_DRAFT;
    assert_int_equal(store_message_list(s, &q, &p, &err), 0);
    assert_int_equal(p.n, 5);
    assert_string_equal(p.next_cursor, "");
    store_message_page_release(&p);
    q.cursor = "nonsense";
    assert_int_equal(store_message_list(s, &q, &p, &err), RL_EINVAL);
    assert_string_equal(err.field, "cursor");
    q.cursor = NULL;
    q.limit = 0;
    assert_int_equal(store_message_list(s, &q, &p, &err), RL_ERANGE);
    store_close(s);
}

static void test_insert_refusals(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "poor", 50000);
    struct store_msg_new m[2] = {msg(acc, "+33610203040"), msg(acc, "+33610203041")};
    struct rl_err err = {0};
    /* Two messages cost 90,000 > 50,000: neither is inserted. */
    assert_int_equal(store_message_insert_batch(s, m, 2, false, NULL, &err), RL_ERANGE);
    assert_string_equal(err.field, "balance");
    assert_int_equal(store_message_insert_batch(s, m, 2, true, NULL, &err), 0);
    m[0].state = MSG_STATE_DELIVERED;
    assert_int_equal(store_message_insert(s, &m[0], true, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "state");
    m[0].state = MSG_STATE_QUEUED;
    m[0].metadata = "{not json";
    assert_int_equal(store_message_insert(s, &m[0], true, NULL, &err), RL_EINVAL);
    m[0].metadata = NULL;
    m[0].account_id = 999;
    assert_int_equal(store_message_insert(s, &m[0], true, NULL, &err), RL_EINVAL);
    assert_int_equal(store_message_insert_batch(s, m, STORE_INSERT_BATCH_MAX + 1, true, NULL, &err),
                     RL_ETOOLONG);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM messages"), 2);
    assert_int_equal(count("SELECT balance FROM accounts"), 50000 - 90000);
}

static void test_cancel_rules(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 1000000), other = account(s, "other", 0);
    struct store_msg_new m = msg(acc, "+33610203040");
    int64_t a = insert(s, &m), b = insert(s, &m);
    struct rl_err err = {0};
    assert_int_equal(store_message_cancel(s, other, a, "user", &err), RL_ENOTFOUND);
    assert_int_equal(store_message_cancel(s, acc, a, "user", &err), 0);
    struct store_account ac;
    store_account_get(s, acc, &ac, NULL);
    assert_int_equal(ac.balance, 1000000 - 45000); /* a's cost came back */
    assert_int_equal(store_message_cancel(s, acc, a, "user", &err), RL_EINVAL);
    assert_string_equal(err.field, "state");
    assert_non_null(strstr(err.msg, "cancelled"));
    struct store_message out[2];
    size_t n;
    assert_int_equal(store_claim_due(s, now_ms(), 2, out, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].id, b);
    store_message_release(&out[0]);
    assert_int_equal(store_message_cancel(s, acc, b, "user", &err), RL_EINVAL);
    assert_non_null(strstr(err.msg, "submitting"));
    struct store_message g;
    assert_int_equal(store_message_get(s, acc, a, &g, &err), 0);
    assert_int_equal(g.state, MSG_STATE_CANCELLED);
    assert_int_equal(g.nevents, 2);
    assert_string_equal(g.events[1].reason, "user");
    store_message_release(&g);
    store_close(s);
}

/* --- claims under two threads --------------------------------------------------- */

#define CLAIM_N 3000

struct claimer {
    struct store *s;
    int64_t *got;
    size_t n;
};

static void *claim_loop(void *arg)
{
    struct claimer *c = arg;
    struct store_message out[37];
    for (;;) {
        size_t n = 0;
        if (store_claim_due(c->s, now_ms(), 37, out, &n, NULL) != 0 || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            c->got[c->n++] = out[i].id;
            store_message_release(&out[i]);
        }
    }
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_claim_two_threads(void **state)
{
    (void)state;
    struct store *s = open_store(false);
    int64_t acc = account(s, "acme", 0);
    struct store_msg_new *m = calloc(CLAIM_N + 1, sizeof(*m));
    for (int i = 0; i < CLAIM_N + 1; i++) {
        m[i] = msg(acc, "+33610203040");
        m[i].cost = 0;
    }
    m[CLAIM_N].state = MSG_STATE_SCHEDULED; /* due in an hour: never claimed now */
    m[CLAIM_N].scheduled_for = now_ms() + 3600000;
    assert_int_equal(store_message_insert_batch(s, m, CLAIM_N + 1, false, NULL, NULL), 0);
    free(m);
    int64_t *all = calloc(2 * CLAIM_N, sizeof(*all));
    struct claimer c[2] = {{s, all, 0}, {s, all + CLAIM_N, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, claim_loop, &c[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(c[0].n + c[1].n, CLAIM_N);
    memmove(all + c[0].n, all + CLAIM_N, c[1].n * sizeof(*all));
    qsort(all, CLAIM_N, sizeof(*all), cmp64);
    for (int i = 1; i < CLAIM_N; i++)
        assert_true(all[i] != all[i - 1]); /* no message claimed twice */
    free(all);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM messages WHERE state='submitting' "
                           "AND attempts=1"),
                     CLAIM_N);
    /* Each claim's line in the history, with its attempt number from the UPDATE. */
    assert_int_equal(count("SELECT count(*) FROM messages WHERE reason = 'claimed' AND history "
                           "LIKE '%\tsubmitting\tclaimed\tattempt=1\n'"),
                     CLAIM_N);
}

/* --- group commit, failing alone --------------------------------------------------- */

#define GC_THREADS 4
#define GC_EACH    400

struct producer {
    struct store *s;
    int64_t acc;
    int k;
    int ok, dup;
    int64_t ids[GC_EACH];
};

/* Each thread inserts GC_EACH messages one synchronous call at a time; every
 * thread also tries the same idempotency key once, so constraint failures
 * land inside batches shared with good inserts. */
static void *produce(void *arg)
{
    struct producer *p = arg;
    char key[32];
    for (int i = 0; i < GC_EACH; i++) {
        struct store_msg_new m = msg(p->acc, "+33610203040");
        snprintf(key, sizeof(key), "t%d-%d", p->k, i);
        m.idempotency_key = i == GC_EACH / 2 ? "shared" : key;
        m.request_hash = "h";
        int64_t id = 0;
        int rc = store_message_insert(p->s, &m, true, &id, NULL);
        if (rc == 0)
            p->ids[p->ok++] = id;
        else if (rc == -EEXIST)
            p->dup++;
    }
    return NULL;
}

static void test_group_commit_threads(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 0);
    struct producer p[GC_THREADS];
    pthread_t t[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        memset(&p[i], 0, sizeof(p[i]));
        p[i].s = s, p[i].acc = acc, p[i].k = i;
        pthread_create(&t[i], NULL, produce, &p[i]);
    }
    int ok = 0, dup = 0;
    for (int i = 0; i < GC_THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += p[i].ok;
        dup += p[i].dup;
    }
    assert_int_equal(ok, GC_THREADS * (GC_EACH - 1) + 1);
    assert_int_equal(dup, GC_THREADS - 1);
    struct store_stats st;
    store_stats_get(s, &st);
    print_message("group commit: %llu ops in %llu commits, largest batch %llu\n",
                  (unsigned long long)st.ops, (unsigned long long)st.commits,
                  (unsigned long long)st.max_batch);
    assert_true(st.commits <= st.ops);
    store_close(s);
    /* Everything acknowledged is in the file, once; the failures left nothing. */
    assert_int_equal(count("SELECT count(*) FROM messages"), ok);
    /* Each with its one line of history, "queued". */
    assert_int_equal(count("SELECT count(*) FROM messages WHERE history LIKE '%\tqueued\t%\n' "
                           "AND history NOT LIKE '%\n%\n'"),
                     ok);
    assert_int_equal(count("SELECT count(*) FROM idempotency"), ok);
    assert_int_equal(count("SELECT -balance FROM accounts"), (long long)ok * 45000);
}

/* Async outcome ops queued back to back share a batch; the one naming an
 * unknown message fails, the others commit. */
struct done_count {
    pthread_mutex_t mu;
    int calls;
    size_t failed;
};

static void on_done(void *ctx, const struct store_result *r)
{
    struct done_count *d = ctx;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    d->failed += r->failed;
    pthread_mutex_unlock(&d->mu);
}

static void test_failing_item_alone(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 0);
    struct store_msg_new m[10];
    for (int i = 0; i < 10; i++)
        m[i] = msg(acc, "+33610203040");
    assert_int_equal(store_message_insert_batch(s, m, 10, true, NULL, NULL), 0);
    struct store_message out[10];
    size_t n;
    assert_int_equal(store_claim_due(s, now_ms(), 10, out, &n, NULL), 0);
    assert_int_equal(n, 10);
    struct done_count d = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    for (size_t i = 0; i < n; i++) {
        struct store_outcome o = {.kind = STORE_OUTCOME_RETRY,
                                  .message_id = i == 4 ? 987654 : out[i].id,
                                  .retry_at = now_ms() + 60000,
                                  .error = "throttled"};
        assert_int_equal(store_outcomes_submit(s, &o, 1, on_done, &d), 0);
        store_message_release(&out[i]);
    }
    store_close(s); /* drains the queue */
    assert_int_equal(d.calls, 10);
    assert_int_equal(d.failed, 1);
    assert_int_equal(count("SELECT count(*) FROM messages WHERE state='retrying'"), 9);
    assert_int_equal(count("SELECT count(*) FROM messages WHERE history LIKE '%\tretrying\t%'"), 9);
}

/* --- keys and idempotency ---------------------------------------------------------- */

/* True if needle occurs in the file at p (the database or its WAL). */
static bool file_has(const char *p, const void *needle, size_t n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len > 0 ? (size_t)len : 1);
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    bool found = memmem(buf, got, needle, n) != NULL;
    free(buf);
    return found;
}

static void test_keys(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 0);
    char key[STORE_KEY_SIZE], key2[STORE_KEY_SIZE], prefix[STORE_KEY_PREFIX_LEN + 1];
    int64_t kid = 0, kid2 = 0, owner = 0, which = 0;
    struct rl_err err = {0};
    assert_int_equal(store_key_create(s, acc, key, &kid, prefix, &err), 0);
    assert_int_equal(store_key_create(s, acc, key2, &kid2, NULL, &err), 0);
    assert_int_equal(strlen(key), STORE_KEY_SIZE - 1);
    assert_memory_equal(key, "rl_", 3);
    assert_int_equal(strncmp(key, prefix, STORE_KEY_PREFIX_LEN), 0);
    assert_string_not_equal(key, key2);
    assert_int_equal(store_key_lookup(s, key, &owner, &which), 0);
    assert_int_equal(owner, acc);
    assert_int_equal(which, kid);
    char wrong[STORE_KEY_SIZE];
    memcpy(wrong, key, sizeof(wrong));
    wrong[20] = wrong[20] == 'A' ? 'B' : 'A';
    assert_int_equal(store_key_lookup(s, wrong, &owner, NULL), RL_ENOTFOUND);
    assert_int_equal(store_key_lookup(s, "rl_short", &owner, NULL), RL_ENOTFOUND);
    assert_int_equal(store_key_lookup(s, "", &owner, NULL), RL_ENOTFOUND);
    assert_int_equal(store_key_revoke(s, kid, &err), 0);
    assert_int_equal(store_key_lookup(s, key, &owner, NULL), RL_ENOTFOUND);
    assert_int_equal(store_key_revoke(s, kid, &err), RL_ENOTFOUND);
    assert_int_equal(store_key_lookup(s, key2, &owner, NULL), 0);
    assert_int_equal(store_key_create(s, 999, key, NULL, NULL, &err), RL_ENOTFOUND);
    /* Neither the key nor its random part is anywhere in the files. */
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    assert_false(file_has(path, key2, strlen(key2)));
    assert_false(file_has(wal, key2, strlen(key2)));
    assert_false(file_has(wal, key2 + 3, strlen(key2) - 3));
    store_close(s);
    assert_false(file_has(path, key2, strlen(key2)));
    assert_false(file_has(path, key2 + 3, strlen(key2) - 3));
    assert_true(file_has(path, prefix, strlen(prefix))); /* the check itself can see */
}

static void test_idempotency(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t a = account(s, "a", 0), b = account(s, "b", 0);
    struct store_msg_new m = msg(a, "+33610203040");
    m.idempotency_key = "order-17";
    m.request_hash = "abc123";
    struct rl_err err = {0};
    int64_t id1 = 0, id2 = 0, found = 0;
    assert_int_equal(store_message_insert(s, &m, true, &id1, &err), 0);
    assert_int_equal(store_message_insert(s, &m, true, &id2, &err), -EEXIST);
    assert_string_equal(err.field, "idempotency_key");
    m.account_id = b;
    assert_int_equal(store_message_insert(s, &m, true, &id2, &err), 0);
    char hash[STORE_REQUEST_HASH_MAX + 1];
    assert_int_equal(store_idempotency_lookup(s, a, "order-17", &found, hash, &err), 0);
    assert_int_equal(found, id1);
    assert_string_equal(hash, "abc123");
    assert_int_equal(store_idempotency_lookup(s, b, "order-17", &found, hash, &err), 0);
    assert_int_equal(found, id2);
    assert_int_equal(store_idempotency_lookup(s, a, "order-18", &found, hash, &err), RL_ENOTFOUND);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM messages"), 2);
}

/* A keyed message of a, its key created at `at` (ms, set from outside the
 * store: the clock of the test). */
static void keyed(struct store *s, int64_t a, const char *key, int64_t at)
{
    struct store_msg_new m = msg(a, "+33610203040");
    m.idempotency_key = key;
    m.request_hash = "h";
    insert(s, &m);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE idempotency SET created_at = %lld WHERE key = '%s'",
             (long long)at, key);
    if (at)
        assert_int_equal(exec_sql(sql), SQLITE_OK);
}

static bool key_kept(struct store *s, int64_t a, const char *key)
{
    return store_idempotency_lookup(s, a, key, NULL, NULL, NULL) == 0;
}

/* Keys are purged oldest first, in batches of at most max, by creation time
 * (explicit timestamps: 1000, 2000, 3000, 4000 ms after the epoch). */
static void test_idempotency_purge(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t a = account(s, "a", 10000000);
    keyed(s, a, "k1", 1000);
    keyed(s, a, "k2", 2000);
    keyed(s, a, "k3", 3000);
    keyed(s, a, "k4", 4000);
    keyed(s, a, "k5", 0); /* now */
    size_t n = 99;
    struct rl_err err = {0};
    assert_int_equal(store_idempotency_purge(s, 1000, 10, &n, &err), 0);
    assert_int_equal(n, 0); /* created before 1000: none ("before" is strict) */
    assert_int_equal(store_idempotency_purge(s, 2500, 10, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_false(key_kept(s, a, "k1"));
    assert_false(key_kept(s, a, "k2"));
    /* At most max, the oldest: k3 goes, k4 stays. */
    assert_int_equal(store_idempotency_purge(s, 5000, 1, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_false(key_kept(s, a, "k3"));
    assert_true(key_kept(s, a, "k4"));
    assert_true(key_kept(s, a, "k5"));
    assert_int_equal(store_idempotency_purge(s, 5000, 0, &n, &err), RL_ERANGE);
    /* A purged key names a new message; the old message stays. */
    struct store_msg_new m = msg(a, "+33610203040");
    m.idempotency_key = "k1";
    m.request_hash = "h2";
    int64_t id = insert(s, &m), found = 0;
    assert_int_equal(store_idempotency_lookup(s, a, "k1", &found, NULL, NULL), 0);
    assert_int_equal(found, id);
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM messages"), 6);
    assert_int_equal(count("SELECT count(*) FROM idempotency"), 3); /* k4, k5, k1 again */
}

/* The purge the store runs by itself: a keyed insert finds it due (the first
 * after store_set_idempotency_ttl, then every STORE_IDEM_PURGE_EVERY_MS), and
 * it commits no later than that insert. With a TTL of 1 ms, keys dated 1000
 * and 2000 ms after the epoch are long past it. */
static void test_idempotency_autopurge(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t a = account(s, "a", 10000000);
    keyed(s, a, "old1", 1000);
    keyed(s, a, "old2", 2000);
    /* No TTL: kept for good, however old. */
    keyed(s, a, "new1", 0);
    assert_true(key_kept(s, a, "old1"));
    store_set_idempotency_ttl(s, 1);
    keyed(s, a, "new2", 0);
    assert_false(key_kept(s, a, "old1"));
    assert_false(key_kept(s, a, "old2"));
    /* new1 was created at least a millisecond before the purge only if the
     * clock moved: what is certain is that the insert's own key stays. */
    assert_true(key_kept(s, a, "new2"));
    /* Not due again before STORE_IDEM_PURGE_EVERY_MS: an old key made now stays. */
    keyed(s, a, "old3", 3000);
    keyed(s, a, "new3", 0);
    assert_true(key_kept(s, a, "old3"));
    /* Unkeyed inserts never purge. */
    store_set_idempotency_ttl(s, 1);
    insert(s, &(struct store_msg_new){.account_id = a,
                                      .to = "+33610203040",
                                      .from = "X",
                                      .text = "x",
                                      .segments = 1,
                                      .state = MSG_STATE_QUEUED});
    assert_true(key_kept(s, a, "old3"));
    keyed(s, a, "new4", 0);
    assert_false(key_kept(s, a, "old3"));
    store_close(s);
}

/* A retrying event says when the next attempt is due: 1700000000123 ms is
 * 2023-11-14T22:13:20.123Z (1700000000 s after the epoch, as `date -u -d
 * @1700000000` prints it). */
static void test_retry_event_next_at(void **state)
{
    (void)state;
    struct store *s = open_store(false);
    int64_t acc = account(s, "acme", 1000000);
    struct store_msg_new m = msg(acc, "+33610203040");
    int64_t id = insert(s, &m);
    struct store_message out[1];
    size_t n = 0;
    assert_int_equal(store_claim_due(s, now_ms(), 1, out, &n, NULL), 0);
    assert_int_equal(n, 1);
    store_message_release(&out[0]);
    struct store_outcome o = {.kind = STORE_OUTCOME_RETRY,
                              .message_id = id,
                              .retry_at = 1700000000123LL,
                              .reason = "smsc_refused:ESME_RSYSERR",
                              .error = "temporary"};
    assert_int_equal(store_outcomes_record(s, &o, 1, NULL, NULL), 0);
    struct store_message g;
    assert_int_equal(store_message_get(s, acc, id, &g, NULL), 0);
    assert_int_equal(g.state, MSG_STATE_RETRYING);
    const struct store_event *e = &g.events[g.nevents - 1];
    assert_int_equal(e->state, MSG_STATE_RETRYING);
    assert_string_equal(e->reason, "smsc_refused:ESME_RSYSERR");
    assert_string_equal(e->detail, "temporary next_at=2023-11-14T22:13:20.123Z");
    store_message_release(&g);
    /* Without an error of its own, the detail is next_at alone. */
    assert_int_equal(store_claim_due(s, 1700000000123LL, 1, out, &n, NULL), 0);
    assert_int_equal(n, 1);
    store_message_release(&out[0]);
    o.error = NULL;
    o.retry_at = 86400000LL * 366; /* 1971-01-02, 1970 having 365 days */
    assert_int_equal(store_outcomes_record(s, &o, 1, NULL, NULL), 0);
    assert_int_equal(store_message_get(s, acc, id, &g, NULL), 0);
    assert_string_equal(g.events[g.nevents - 1].detail, "next_at=1971-01-02T00:00:00.000Z");
    store_message_release(&g);
    store_close(s);
}

/* --- outcomes, receipts, restart ------------------------------------------------------ */

static enum msg_state state_of(struct store *s, int64_t id, size_t *nevents)
{
    struct store_message g;
    assert_int_equal(store_message_get(s, 0, id, &g, NULL), 0);
    enum msg_state st = g.state;
    if (nevents)
        *nevents = g.nevents;
    store_message_release(&g);
    return st;
}

static void test_outcomes_and_receipts(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 1000000);
    struct store_msg_new m[4];
    for (int i = 0; i < 4; i++)
        m[i] = msg(acc, "+33610203040");
    int64_t id[4];
    assert_int_equal(store_message_insert_batch(s, m, 4, false, id, NULL), 0);
    struct store_message out[4];
    size_t n;
    assert_int_equal(store_claim_due(s, now_ms(), 4, out, &n, NULL), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        store_message_release(&out[i]);

    /* A receipt for "B2" before the submit_sm_resp that names it. */
    struct store_outcome early = {.kind = STORE_OUTCOME_RECEIPT,
                                  .route = "sim",
                                  .operator_id = "B2",
                                  .state = MSG_STATE_DELIVERED,
                                  .error = "000",
                                  .raw = "id:B2 stat:DELIVRD"};
    struct store_result r;
    assert_int_equal(store_outcomes_record(s, &early, 1, &r, NULL), 0);
    const char *ids0[] = {"A1", "A2"}, *ids1[] = {"B1", "B2"};
    struct store_outcome o[5] = {
        {.kind = STORE_OUTCOME_ACCEPTED,
         .message_id = id[0],
         .route = "sim",
         .operator_ids = ids0,
         .nparts = 2},
        {.kind = STORE_OUTCOME_ACCEPTED,
         .message_id = id[1],
         .route = "sim",
         .operator_ids = ids1,
         .nparts = 2},
        {.kind = STORE_OUTCOME_FAILED,
         .message_id = id[2],
         .state = MSG_STATE_FAILED,
         .error = "ESME_RINVDSTADR",
         .refund = 45000},
        {.kind = STORE_OUTCOME_ACCEPTED,
         .message_id = 99999,
         .route = "sim",
         .operator_ids = ids0,
         .nparts = 1}, /* unknown: fails alone */
        {.kind = STORE_OUTCOME_EXPIRED, .message_id = id[3], .refund = 45000},
    };
    struct rl_err err = {0};
    assert_int_equal(store_outcomes_record(s, o, 5, &r, &err), RL_ENOTFOUND);
    assert_int_equal(r.failed, 1);
    assert_int_equal(state_of(s, id[0], NULL), MSG_STATE_SUBMITTED);
    assert_int_equal(state_of(s, id[1], NULL), MSG_STATE_SUBMITTED); /* B1 still waits */
    assert_int_equal(state_of(s, id[2], NULL), MSG_STATE_FAILED);
    assert_int_equal(state_of(s, id[3], NULL), MSG_STATE_EXPIRED);
    struct store_account a;
    store_account_get(s, acc, &a, NULL);
    assert_int_equal(a.balance, 1000000 - 4 * 45000 + 2 * 45000);

    int64_t mid = 0;
    int part = 0;
    assert_int_equal(store_part_find(s, "sim", "A2", &mid, &part), 0);
    assert_int_equal(mid, id[0]);
    assert_int_equal(part, 2);
    assert_int_equal(store_part_find(s, "other", "A2", &mid, &part), RL_ENOTFOUND);

    struct store_outcome rc[4] = {
        {.kind = STORE_OUTCOME_RECEIPT,
         .route = "sim",
         .operator_id = "A1",
         .state = MSG_STATE_DELIVERED},
        {.kind = STORE_OUTCOME_RECEIPT,
         .route = "sim",
         .operator_id = "A2",
         .state = MSG_STATE_DELIVERED},
        {.kind = STORE_OUTCOME_RECEIPT,
         .route = "sim",
         .operator_id = "A2",
         .state = MSG_STATE_DELIVERED}, /* duplicate */
        {.kind = STORE_OUTCOME_RECEIPT,
         .route = "sim",
         .operator_id = "B1",
         .state = MSG_STATE_FAILED,
         .error = "001"},
    };
    assert_int_equal(store_outcomes_record(s, rc, 4, &r, NULL), 0);
    size_t ev0, ev1;
    assert_int_equal(state_of(s, id[0], &ev0), MSG_STATE_DELIVERED);
    assert_int_equal(state_of(s, id[1], &ev1), MSG_STATE_PARTIALLY_DELIVERED);
    assert_int_equal(ev0, 4); /* queued, submitting, submitted, delivered: once */
    assert_int_equal(store_outcomes_record(s, rc, 1, &r, NULL), 0);
    assert_int_equal(state_of(s, id[0], &ev0), MSG_STATE_DELIVERED);
    assert_int_equal(ev0, 4);
    /* Accepting a delivered message again is refused: it does not rewind. */
    assert_int_equal(store_outcomes_record(s, o, 1, &r, &err), RL_EINVAL);
    assert_string_equal(err.field, "state");
    store_close(s);
    /* Only the receipt that came before its part was known had to be kept
     * apart, and it is matched now; the others live in their parts. */
    assert_int_equal(count("SELECT count(*) FROM receipts WHERE message_id IS NULL"), 0);
    char q[160];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM receipts WHERE operator_id = 'B2' AND "
             "message_id = %lld",
             (long long)id[1]);
    assert_int_equal(count(q), 1);
    assert_int_equal(count("SELECT count(*) FROM receipts"), 1);
    assert_int_equal(count("SELECT count(*) FROM message_parts WHERE operator_id = 'B1' AND "
                           "state = 'failed' AND error = '001'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM message_parts WHERE state = 'delivered'"), 3);
}

static void test_release_stale_and_inbound(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 0);
    struct store_msg_new m[3] = {msg(acc, "+33610203040"), msg(acc, "+33610203041"),
                                 msg(acc, "+33610203042")};
    assert_int_equal(store_message_insert_batch(s, m, 3, true, NULL, NULL), 0);
    struct store_message out[2];
    size_t n, released = 0;
    assert_int_equal(store_claim_due(s, now_ms(), 2, out, &n, NULL), 0);
    int64_t stale = out[0].id;
    for (size_t i = 0; i < n; i++)
        store_message_release(&out[i]);
    store_close(s);
    s = open_store(true);
    assert_int_equal(store_release_stale_submitting(s, now_ms(), &released, NULL), 0);
    assert_int_equal(released, 2);
    struct store_message g;
    assert_int_equal(store_message_get(s, acc, stale, &g, NULL), 0);
    assert_int_equal(g.state, MSG_STATE_QUEUED);
    assert_string_equal(g.events[g.nevents - 1].reason, "possible_duplicate");
    store_message_release(&g);

    struct store_inbound in = {
        .route = "sim", .from = "+33610203040", .to = "36180", .text = "STOP", .parts = 1};
    int64_t iid = 0;
    assert_int_equal(store_inbound_insert(s, &in, &iid, NULL), 0);
    assert_true(iid > 0);
    struct done_count d = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    in.text = "OUI";
    assert_int_equal(store_inbound_submit(s, &in, false, on_done, &d), 0);
    in.route = NULL; /* fails alone, reported to its callback */
    assert_int_equal(store_inbound_submit(s, &in, true, on_done, &d), 0);
    store_close(s);
    assert_int_equal(d.calls, 2);
    assert_int_equal(count("SELECT count(*) FROM inbound"), 2);
}

/* --- crash safety -------------------------------------------------------------------- */

/* A child writes with the writer and reports each acknowledged id on a pipe;
 * it is killed with SIGKILL mid-stream. Every id it reported must be in the
 * file afterwards. */
static void test_crash_keeps_acknowledged(void **state)
{
    (void)state;
    struct store *s = open_store(true);
    int64_t acc = account(s, "acme", 0);
    store_close(s);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        log_set_level(LOG_OFF);
        struct store *c = open_store(true);
        for (int i = 0; i < 100000; i++) {
            struct store_msg_new m = msg(acc, "+33610203040");
            int64_t id;
            if (store_message_insert(c, &m, true, &id, NULL) != 0 ||
                write(fds[1], &id, sizeof(id)) != sizeof(id))
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    int64_t ids[200], id;
    int n = 0;
    while (n < 200 && read(fds[0], &id, sizeof(id)) == sizeof(id))
        ids[n++] = id;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    assert_int_equal(n, 200);
    s = open_store(true);
    for (int i = 0; i < n; i++) {
        struct store_message g;
        assert_int_equal(store_message_get(s, acc, ids[i], &g, NULL), 0);
        store_message_release(&g);
    }
    store_close(s);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_store_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_migrate_fresh_and_reopen, setup),
        cmocka_unit_test_setup(test_hot_path_migration, setup),
        cmocka_unit_test_setup(test_history_migration, setup),
        cmocka_unit_test(test_history_lines),
        cmocka_unit_test_setup(test_newer_schema_refused, setup),
        cmocka_unit_test_setup(test_insert_get_list, setup),
        cmocka_unit_test_setup(test_insert_refusals, setup),
        cmocka_unit_test_setup(test_cancel_rules, setup),
        cmocka_unit_test_setup(test_claim_two_threads, setup),
        cmocka_unit_test_setup(test_group_commit_threads, setup),
        cmocka_unit_test_setup(test_failing_item_alone, setup),
        cmocka_unit_test_setup(test_keys, setup),
        cmocka_unit_test_setup(test_idempotency, setup),
        cmocka_unit_test_setup(test_idempotency_purge, setup),
        cmocka_unit_test_setup(test_idempotency_autopurge, setup),
        cmocka_unit_test_setup(test_retry_event_next_at, setup),
        cmocka_unit_test_setup(test_outcomes_and_receipts, setup),
        cmocka_unit_test_setup(test_release_stale_and_inbound, setup),
        cmocka_unit_test_setup(test_crash_keeps_acknowledged, setup),
    };
    int rc = cmocka_run_group_tests_name("store", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}

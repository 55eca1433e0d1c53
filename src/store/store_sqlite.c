/* The SQLite store: opening, migrations, connections and the helpers every
 * store_*.c shares. The write connection belongs to the writer thread
 * (store_writer.c); reads take a connection from a small pool, so that in WAL
 * mode they run beside the writer and never wait for its commits. */
#include "store/store_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/store_migrations.h"
#include "core/banned.h"

/* Idle reader connections kept open; more readers than this at once open
 * extra connections and close them afterwards. */
#define READERS_KEPT 8

static const char *const stmt_sql[STORE_ST_COUNT] = {
#define XX(id, sql) sql,
    STORE_STMT_ALL(XX)
#undef XX
};

static const char *const state_names[MSG_STATE_COUNT] = {
#define XX(c, name) name,
    MSG_STATE_MAP(XX)
#undef XX
};

const char *msg_state_name(enum msg_state st)
{
    return (unsigned)st < MSG_STATE_COUNT ? state_names[st] : "?";
}

int msg_state_parse(const char *name, enum msg_state *out, struct rl_err *err)
{
    for (int i = 0; name && i < MSG_STATE_COUNT; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum msg_state)i;
            return 0;
        }
    }
    return rl_err_set(err, RL_EINVAL, "state", "unknown message state '%s'", name ? name : "");
}

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3_stmt *store_stmt(struct store_conn *c, enum store_stmt_id id)
{
    sqlite3_stmt *st = c->st[id];
    if (!st) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK) {
            log_error("store", "prepare_failed", "stmt=%d error=\"%s\"", (int)id,
                      sqlite3_errmsg(c->db));
            return NULL;
        }
        c->st[id] = st;
        return st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

int store_exec(struct store_conn *c, enum store_stmt_id id)
{
    sqlite3_stmt *st = store_stmt(c, id);
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

int store_db_err(struct store_conn *c, struct rl_err *err, const char *field, const char *what)
{
    int x = sqlite3_extended_errcode(c->db);
    int code = RL_EIO;
    if (x == SQLITE_CONSTRAINT_UNIQUE || x == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = -EEXIST;
    else if ((x & 0xff) == SQLITE_CONSTRAINT)
        code = RL_EINVAL;
    return rl_err_set(err, code, field, "%s: %s", what, sqlite3_errmsg(c->db));
}

int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

char *store_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? xstrndup((const char *)v, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

void store_row_message(sqlite3_stmt *st, struct store_message *m)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(st, 0);
    m->account_id = sqlite3_column_int64(st, 1);
    m->to = store_col_dup(st, 2);
    m->from = store_col_dup(st, 3);
    m->text = store_col_dup(st, 4);
    const char *enc = (const char *)sqlite3_column_text(st, 5);
    m->encoding = enc && strcmp(enc, "ucs2") == 0 ? MSG_ENCODING_UCS2 : MSG_ENCODING_GSM7;
    m->segments = sqlite3_column_int(st, 6);
    const char *cat = (const char *)sqlite3_column_text(st, 7);
    m->category =
        cat && strcmp(cat, "marketing") == 0 ? MSG_CATEGORY_MARKETING : MSG_CATEGORY_TRANSACTIONAL;
    /* The CHECK constraint guarantees a known name. */
    msg_state_parse((const char *)sqlite3_column_text(st, 8), &m->state, NULL);
    m->route = store_col_dup(st, 9);
    m->cost = sqlite3_column_int64(st, 10);
    m->scheduled_for = sqlite3_column_int64(st, 11);
    m->validity_until = sqlite3_column_int64(st, 12);
    m->attempts = sqlite3_column_int(st, 13);
    m->metadata = store_col_dup(st, 14);
    m->idempotency_key = store_col_dup(st, 15);
    m->created_at = sqlite3_column_int64(st, 16);
    m->updated_at = sqlite3_column_int64(st, 17);
}

/* A retrying event says when the next attempt is due: the message's
 * scheduled_for, which a retry sets before its event is written (state
 * retrying means "waiting for scheduled_for"). The detail gets
 * "next_at=2026-05-04T09:30:00.000Z" after whatever it held. */
static const char *with_next_at(struct store_conn *c, int64_t id, const char *detail, char *out,
                                size_t n)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_NEXT_AT);
    sqlite3_bind_int64(st, 1, id);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    int64_t ms = found ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (!found || ms < 0)
        return detail;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%s%snext_at=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", detail ? detail : "",
             detail && *detail ? " " : "", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return out;
}

int store_event_add(struct store_conn *c, int64_t id, int64_t at, enum msg_state state,
                    const char *reason, const char *detail, struct rl_err *err)
{
    char next[512];
    if (state == MSG_STATE_RETRYING)
        detail = with_next_at(c, id, detail, next, sizeof(next));
    sqlite3_stmt *st = store_stmt(c, STORE_ST_EVENT_INSERT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, msg_state_name(state), -1, SQLITE_STATIC);
    store_bind_text(st, 4, reason);
    store_bind_text(st, 5, detail);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "event", "cannot record event");
    return 0;
}

/* Opens a connection with relais's settings. WAL lets readers run beside the
 * one writer; synchronous decides whether a commit waits for fsync. */
static int conn_open(const char *path, bool sync_full, struct store_conn **out, struct rl_err *err)
{
    struct store_conn *c = xcalloc(1, sizeof(*c));
    int rc = 0;
    if (sqlite3_open_v2(path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = rl_err_set(err, RL_EIO, "store.path", "%s: cannot open: %s", path,
                        c->db ? sqlite3_errmsg(c->db) : "cannot allocate");
        goto fail;
    }
    sqlite3_busy_timeout(c->db, 5000);
    const char *pragmas = sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                      "PRAGMA foreign_keys=ON;"
                                    : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                      "PRAGMA foreign_keys=ON;";
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        rc = rl_err_set(err, RL_EIO, "store.path", "%s: cannot set journal mode: %s", path,
                        sqlite3_errmsg(c->db));
        goto fail;
    }
    *out = c;
    return 0;
fail:
    store_conn_free(c);
    *out = NULL;
    return rc;
}

void store_conn_free(struct store_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < STORE_ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c);
}

struct store_conn *store_reader_get(struct store *s, struct rl_err *err)
{
    pthread_mutex_lock(&s->rmu);
    struct store_conn *c = s->readers;
    if (c) {
        s->readers = c->next;
        s->nreaders--;
    }
    pthread_mutex_unlock(&s->rmu);
    if (!c && conn_open(s->path, s->sync_full, &c, err) == 0)
        sqlite3_exec(c->db, "PRAGMA query_only=ON", NULL, NULL, NULL);
    return c;
}

void store_reader_put(struct store *s, struct store_conn *c)
{
    pthread_mutex_lock(&s->rmu);
    if (s->nreaders < READERS_KEPT) {
        c->next = s->readers;
        s->readers = c;
        s->nreaders++;
        c = NULL;
    }
    pthread_mutex_unlock(&s->rmu);
    store_conn_free(c);
}

static int pragma_version(sqlite3 *db, unsigned *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = (unsigned)sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* A migration that edits table definitions in place (writable_schema) must
 * change the schema cookie, so that every connection, this one included,
 * parses the tables again (lang_altertable.html, "Making Other Kinds Of Table
 * Schema Changes"). Runs inside the migration's transaction. */
static int bump_schema_cookie(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &st, NULL);
    int64_t v = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld;", (long long)v + 1);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Each migration and its user_version bump commit together: a crash leaves
 * the schema at one version or the next, never between. */
static int migrate(struct store *s, sqlite3 *db, struct rl_err *err)
{
    for (unsigned i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= s->version)
            continue;
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %u;", m->version);
        char *msg = NULL;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
            (strstr(m->sql, "writable_schema") && bump_schema_cookie(db) != SQLITE_OK) ||
            sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            rl_err_set(err, RL_EIO, "store.path", "%s: migration %s failed: %s", s->path, m->name,
                       msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return RL_EIO;
        }
        s->version = m->version;
        log_info("store", "migrated", "version=%u name=%s", m->version, m->name);
    }
    return 0;
}

int store_open(const struct store_opts *o, struct store **out, struct rl_err *err)
{
    /* Keys come from libsodium's CSPRNG; sodium_init is idempotent and thread-safe. */
    if (sodium_init() < 0)
        return rl_err_set(err, RL_EIO, "store", "cannot initialise libsodium");
    struct store *s = xcalloc(1, sizeof(*s));
    int rc;
    s->path = xstrdup(o->path);
    s->sync_full = o->sync_full;
    s->batch_ops = STORE_BATCH_MAX_OPS;
    pthread_mutex_init(&s->rmu, NULL);
    if ((rc = conn_open(o->path, o->sync_full, &s->wconn, err)) != 0)
        goto fail;
    if (pragma_version(s->wconn->db, &s->version) != SQLITE_OK) {
        rc = rl_err_set(err, RL_EIO, "store.path", "%s: not a relais database: %s", s->path,
                        sqlite3_errmsg(s->wconn->db));
        goto fail;
    }
    if (s->version > store_schema_latest()) {
        rc = rl_err_set(err, RL_EIO, "store.path",
                        "%s: schema version %u is newer than this relais knows (%u)", s->path,
                        s->version, store_schema_latest());
        goto fail;
    }
    if ((rc = migrate(s, s->wconn->db, err)) != 0)
        goto fail;
    if ((rc = store_writer_start(s, err)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    *out = NULL;
    return rc;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_writer_stop(s);
    store_conn_free(s->wconn);
    while (s->readers) {
        struct store_conn *c = s->readers;
        s->readers = c->next;
        store_conn_free(c);
    }
    pthread_mutex_destroy(&s->rmu);
    free(s->path);
    free(s);
}

unsigned store_schema_version(const struct store *s)
{
    return s->version;
}

unsigned store_schema_latest(void)
{
    return store_migrations_count ? store_migrations[store_migrations_count - 1].version : 0;
}

const char *store_backend(const struct store *s)
{
    (void)s;
    return "sqlite";
}

const char *store_path(const struct store *s)
{
    return s->path;
}

void store_stats_get(struct store *s, struct store_stats *out)
{
    store_writer_stats(s, out);
}

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
    m->validity_default = sqlite3_column_int(st, 18) != 0;
}

/* Appends v escaped to out[*len..cap - 2], leaving room for what follows;
 * a value cut short ends on a whole UTF-8 character and a whole escape. */
static void put_escaped(char *out, size_t cap, size_t *len, const char *v, size_t keep)
{
    size_t n = *len;
    for (; v && *v; v++) {
        char e = *v == '\\' ? '\\' : *v == '\t' ? 't' : *v == '\n' ? 'n' : 0;
        size_t need = e ? 2 : 1;
        if (n + need + keep >= cap) {
            while (n > *len && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                n--; /* a continuation byte: drop the partial character */
            if (n > *len && (unsigned char)out[n - 1] >= 0xC0)
                n--;
            break;
        }
        if (e) {
            out[n++] = '\\';
            out[n++] = e;
        } else {
            out[n++] = *v;
        }
    }
    *len = n;
}

const char *store_history_line(char *out, size_t cap, int64_t at, enum msg_state st,
                               const char *reason, const char *detail)
{
    int h = snprintf(out, cap, "%lld\t%s\t", (long long)at, msg_state_name(st));
    size_t len = h > 0 && (size_t)h < cap ? (size_t)h : 0;
    /* Room for the reason, the tab, at least some detail and the newline. */
    put_escaped(out, cap, &len, reason, 3 + (cap - len) / 2);
    out[len++] = '\t';
    put_escaped(out, cap, &len, detail, 2);
    out[len++] = '\n';
    out[len] = '\0';
    return out;
}

/* A copy of field [p, end) with its escapes undone; NULL for an empty one
 * when empty_null. */
static char *unescape(const char *p, const char *end, bool empty_null)
{
    if (p == end && empty_null)
        return NULL;
    char *d = xmalloc((size_t)(end - p) + 1), *o = d;
    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end) {
            p++;
            *o++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return d;
}

void store_history_parse(const char *history, struct store_event **events, size_t *n)
{
    size_t cap = 0;
    *events = NULL;
    *n = 0;
    for (const char *line = history; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *tab[3], *p = line;
        int k = 0;
        for (; k < 3 && (p = memchr(p, '\t', (size_t)(eol - p))) != NULL; k++)
            tab[k] = p++;
        struct store_event e = {0};
        char state[32];
        size_t sl = k == 3 ? (size_t)(tab[1] - tab[0] - 1) : sizeof(state);
        if (k == 3 && sl < sizeof(state)) {
            memcpy(state, tab[0] + 1, sl);
            state[sl] = '\0';
            char *end = NULL;
            e.at = strtoll(line, &end, 10);
            if (end == tab[0] && msg_state_parse(state, &e.state, NULL) == 0) {
                if (*n == cap)
                    *events = xrealloc(*events, (cap = cap ? cap * 2 : 8) * sizeof(**events));
                e.reason = unescape(tab[1] + 1, tab[2], false);
                e.detail = unescape(tab[2] + 1, eol, true);
                (*events)[(*n)++] = e;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
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

/* Process-wide settings, before SQLite's first use. Memory statistics off:
 * with them on, every allocation SQLite makes takes a global mutex (about 4 %
 * of the store writer's time on bench/pipeline), and relais never reads
 * them. A call after SQLite was initialised is refused and changes nothing. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const struct store_opts *o, struct store **out, struct rl_err *err)
{
    static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
    pthread_once(&setup_once, sqlite_setup);
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
    if ((rc = store_ckpt_start(s, err)) != 0 || (rc = store_writer_start(s, err)) != 0)
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
    store_journal_stop(s); /* no record may be appended after the writer's last batch */
    store_writer_stop(s);
    store_journal_free(s);
    if (s->wconn)
        sqlite3_wal_hook(s->wconn->db, NULL, NULL);
    store_ckpt_stop(s);
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

#include "store/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/store_migrations.h"
#include "core/banned.h"

struct store {
    sqlite3 *db;
    char *path;
    unsigned version;
};

static int db_fail(struct store *s, struct rl_err *err, const char *what)
{
    return rl_err_set(err, RL_EIO, "store.path", "%s: %s: %s", s->path, what,
                      s->db ? sqlite3_errmsg(s->db) : "cannot allocate");
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

/* Each migration and its user_version bump commit together: a crash leaves
 * the schema at one version or the next, never between. */
static int migrate(struct store *s, struct rl_err *err)
{
    for (unsigned i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= s->version)
            continue;
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %u;", m->version);
        char *msg = NULL;
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, bump, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            rl_err_set(err, RL_EIO, "store.path", "%s: migration %s failed: %s", s->path, m->name,
                       msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return RL_EIO;
        }
        s->version = m->version;
        log_info("store", "migrated", "version=%u name=%s", m->version, m->name);
    }
    return 0;
}

int store_open(const struct store_opts *o, struct store **out, struct rl_err *err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    int rc;
    s->path = xstrdup(o->path);
    if (sqlite3_open_v2(o->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = db_fail(s, err, "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL lets readers run beside the one writer; FULL fsyncs each commit. */
    const char *pragmas = o->sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                         "PRAGMA foreign_keys=ON;"
                                       : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                         "PRAGMA foreign_keys=ON;";
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "cannot set journal mode");
        goto fail;
    }
    if (pragma_version(s->db, &s->version) != SQLITE_OK) {
        rc = db_fail(s, err, "not a relais database");
        goto fail;
    }
    if (s->version > store_schema_latest()) {
        rc = rl_err_set(err, RL_EIO, "store.path",
                        "%s: schema version %u is newer than this relais knows (%u)", s->path,
                        s->version, store_schema_latest());
        goto fail;
    }
    if ((rc = migrate(s, err)) != 0)
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
    sqlite3_close(s->db);
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

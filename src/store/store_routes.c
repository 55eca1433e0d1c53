/* Routes in the store: relais.conf's [route NAME] sections, synced when the
 * service starts, listed for the API. A handful of rows: one write syncs
 * them all, one read lists them. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int check_route(const struct store_route_conf *r, size_t i, struct rl_err *err)
{
    size_t name = strlen(or_empty(r->name)), host = strlen(or_empty(r->host));
    const char *bad = name < 1 || name > STORE_ROUTE_NAME_MAX                    ? "name"
                      : strcmp(or_empty(r->kind), "smpp") != 0                   ? "kind"
                      : host < 1 || host > STORE_ROUTE_HOST_MAX                  ? "host"
                      : r->port < 1 || r->port > 65535                           ? "port"
                      : strlen(or_empty(r->system_id)) > 15                      ? "system_id"
                      : strlen(or_empty(r->prefixes)) > STORE_ROUTE_PREFIXES_MAX ? "prefixes"
                      : strlen(or_empty(r->default_sender)) > 15                 ? "default_sender"
                                                                                 : NULL;
    if (!bad)
        return 0;
    return rl_err_set(err, RL_EINVAL, bad, "route %zu ('%.32s'): invalid %s", i, or_empty(r->name),
                      bad);
}

struct sync {
    const struct store_route_conf *r;
    size_t n;
    int64_t now;
    size_t changed;
};

static int upsert(struct store_conn *c, const struct store_route_conf *r, int64_t now,
                  size_t *changed, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ROUTE_UPSERT);
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->host, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->port);
    sqlite3_bind_text(st, 5, or_empty(r->system_id), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, or_empty(r->prefixes), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, or_empty(r->default_sender), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "route", "cannot store route");
    *changed += (size_t)sqlite3_changes(c->db);
    return 0;
}

static bool configured(const struct sync *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->r[i].name, name) == 0)
            return true;
    return false;
}

/* The active routes the configuration no longer has: inactive from now. */
static int deactivate(struct store_conn *c, struct sync *a, struct rl_err *err)
{
    char(*gone)[STORE_ROUTE_NAME_MAX + 1] = NULL;
    size_t n = 0, cap = 0;
    int step, rc = 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ROUTE_ACTIVE_NAMES);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name || configured(a, name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            gone = xrealloc(gone, cap * sizeof(*gone));
        }
        snprintf(gone[n++], sizeof(gone[0]), "%s", name);
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        rc = store_db_err(c, err, "route", "cannot read routes");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        st = store_stmt(c, STORE_ST_ROUTE_DEACTIVATE);
        sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, a->now);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store_db_err(c, err, "route", "cannot mark a route inactive");
        else
            a->changed += (size_t)sqlite3_changes(c->db);
    }
    free(gone);
    return rc;
}

static int run_sync(struct store_conn *c, struct store_op *op)
{
    struct sync *a = op->arg;
    for (size_t i = 0; i < a->n; i++) {
        int rc = upsert(c, &a->r[i], a->now, &a->changed, &op->err);
        if (rc != 0)
            return rc;
    }
    return deactivate(c, a, &op->err);
}

int store_routes_sync(struct store *s, const struct store_route_conf *routes, size_t n, int64_t now,
                      size_t *changed, struct rl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = check_route(&routes[i], i, err);
        if (rc != 0)
            return rc;
    }
    struct sync a = {routes, n, now ? now : store_now_ms(), 0};
    struct store_op op = {.run = run_sync, .arg = &a, .bytes = 256 * (n + 1)};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && changed)
        *changed = a.changed;
    return rc;
}

static void copy_text(char *out, size_t size, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(out, size, "%s", v ? (const char *)v : "");
}

static void read_route(sqlite3_stmt *st, struct store_route *r)
{
    memset(r, 0, sizeof(*r));
    copy_text(r->name, sizeof(r->name), st, 0);
    copy_text(r->kind, sizeof(r->kind), st, 1);
    copy_text(r->host, sizeof(r->host), st, 2);
    r->port = sqlite3_column_int(st, 3);
    copy_text(r->system_id, sizeof(r->system_id), st, 4);
    copy_text(r->prefixes, sizeof(r->prefixes), st, 5);
    copy_text(r->default_sender, sizeof(r->default_sender), st, 6);
    r->active = sqlite3_column_int(st, 7) != 0;
    r->first_seen = sqlite3_column_int64(st, 8);
    r->updated_at = sqlite3_column_int64(st, 9);
}

int store_routes_list(struct store *s, struct store_route **out, size_t *n, struct rl_err *err)
{
    *out = NULL;
    *n = 0;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ROUTE_LIST);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        read_route(st, &(*out)[(*n)++]);
    }
    sqlite3_reset(st);
    int rc = step == SQLITE_DONE ? 0 : store_db_err(c, err, "route", "cannot list routes");
    store_reader_put(s, c);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

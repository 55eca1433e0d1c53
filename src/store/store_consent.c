/* Consent in the store: the state per (account, number, scope) and its
 * append-only history, the send-time check, opt-out lists, an inbound
 * keyword applied in the inbound message's own transaction (with its
 * confirmation reply), the accounts' stop_reply switch and the key that signs
 * opt-out links.
 *
 * Which account an inbound STOP is for: inbound messages arrive on a route
 * to a number, and routes are shared by accounts. The STOP answers the last
 * message the person received, so it goes to the account whose message
 * reached that number last — through the route the STOP came on if any did
 * (the short code the person replies to belongs to that route's operator),
 * else through any route. A number no account ever wrote to changes nothing:
 * its message is still stored. Every account that ever wrote to the number
 * would be the other choice; it would let one STOP silence senders the person
 * never meant, which is as wrong as missing one. */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

#define SECRET_KEY "consent_link_key"

static const char *const status_names[] = {"none", "opted_in", "opted_out"};
static const char *const source_names[] = {"keyword", "api", "link", "import"};

const char *store_consent_status_name(enum store_consent_status st)
{
    return (unsigned)st <= STORE_CONSENT_OPTED_OUT ? status_names[st] : "?";
}

const char *store_consent_source_name(enum store_consent_source src)
{
    return (unsigned)src <= STORE_CONSENT_IMPORT ? source_names[src] : "?";
}

static enum store_consent_status status_parse(const unsigned char *s)
{
    if (s && strcmp((const char *)s, "opted_out") == 0)
        return STORE_CONSENT_OPTED_OUT;
    if (s && strcmp((const char *)s, "opted_in") == 0)
        return STORE_CONSENT_OPTED_IN;
    return STORE_CONSENT_NONE;
}

static enum store_consent_source source_parse(const unsigned char *s)
{
    for (int i = 0; s && i <= STORE_CONSENT_IMPORT; i++)
        if (strcmp((const char *)s, source_names[i]) == 0)
            return (enum store_consent_source)i;
    return STORE_CONSENT_API; /* the schema's CHECK allows nothing else */
}

bool store_consent_scope_valid(const char *scope)
{
    size_t n = scope ? strlen(scope) : 0;
    return n >= 1 && n <= STORE_CONSENT_SCOPE_MAX &&
           strspn(scope, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n &&
           strcmp(scope, "transactional") != 0;
}

/* "+" then 2 to 15 digits, the first not 0: what phone_parse gives. */
static bool phone_valid(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    return n >= 3 && n <= 16 && p[0] == '+' && p[1] >= '1' && p[1] <= '9' &&
           strspn(p + 1, "0123456789") == n - 1;
}

static int check_change(const struct store_consent_change *c, size_t i, struct rl_err *err)
{
    const char *bad = c->account_id <= 0                                 ? "account"
                      : !phone_valid(c->phone)                           ? "phone"
                      : c->scope && !store_consent_scope_valid(c->scope) ? "scope"
                      : c->status != STORE_CONSENT_OPTED_IN && c->status != STORE_CONSENT_OPTED_OUT
                          ? "status"
                      : (unsigned)c->source > STORE_CONSENT_IMPORT                ? "source"
                      : c->detail && strlen(c->detail) > STORE_CONSENT_DETAIL_MAX ? "detail"
                                                                                  : NULL;
    if (!bad)
        return 0;
    return rl_err_set(err, RL_EINVAL, bad, "consent change %zu: missing or invalid %s", i, bad);
}

/* --- changes ------------------------------------------------------------------- */

/* Upserts the state and, when it changed, appends the event. */
static int apply(struct store_conn *c, const struct store_consent_change *ch, int64_t now,
                 bool *changed, struct rl_err *err);

int store_consent_apply(struct store_conn *c, const struct store_consent_change *ch, int64_t now,
                        bool *changed, struct rl_err *err)
{
    return apply(c, ch, now, changed, err);
}

static int apply(struct store_conn *c, const struct store_consent_change *ch, int64_t now,
                 bool *changed, struct rl_err *err)
{
    const char *scope = ch->scope ? ch->scope : STORE_CONSENT_MARKETING;
    int64_t at = ch->at ? ch->at : now;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_UPSERT);
    sqlite3_bind_int64(st, 1, ch->account_id);
    sqlite3_bind_text(st, 2, ch->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, store_consent_status_name(ch->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, store_consent_source_name(ch->source), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, at);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "consent", "cannot record consent");
    *changed = sqlite3_changes(c->db) > 0;
    if (!*changed)
        return 0;
    st = store_stmt(c, STORE_ST_CONSENT_EVENT_INSERT);
    sqlite3_bind_int64(st, 1, ch->account_id);
    sqlite3_bind_text(st, 2, ch->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ch->status == STORE_CONSENT_OPTED_OUT ? "opt_out" : "opt_in", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 5, store_consent_source_name(ch->source), -1, SQLITE_STATIC);
    store_bind_text(st, 6, ch->detail);
    sqlite3_bind_int64(st, 7, at);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "consent", "cannot record consent event");
    return 0;
}

struct record {
    const struct store_consent_change *c;
    size_t n, changed;
};

static int run_record(struct store_conn *c, struct store_op *op)
{
    struct record *a = op->arg;
    int64_t now = store_now_ms();
    for (size_t i = 0; i < a->n; i++) {
        bool changed = false;
        int rc = apply(c, &a->c[i], now, &changed, &op->err);
        if (rc != 0) {
            if (a->n > 1)
                rl_err_set(&op->err, rc, op->err.field, "consent change %zu: %s", i, op->err.msg);
            return rc;
        }
        a->changed += changed;
    }
    return 0;
}

int store_consent_record_batch(struct store *s, const struct store_consent_change *c, size_t n,
                               size_t *changed, struct rl_err *err)
{
    if (n == 0 || n > STORE_CONSENT_BATCH_MAX)
        return rl_err_set(err, RL_ETOOLONG, "changes",
                          "a batch holds 1 to %d consent changes (got %zu)",
                          STORE_CONSENT_BATCH_MAX, n);
    for (size_t i = 0; i < n; i++) {
        int rc = check_change(&c[i], i, err);
        if (rc != 0)
            return rc;
    }
    struct record a = {c, n, 0};
    struct store_op op = {.run = run_record, .arg = &a, .bytes = 128 * n};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && changed)
        *changed = a.changed;
    return rc;
}

int store_consent_record(struct store *s, const struct store_consent_change *c, bool *changed,
                         struct rl_err *err)
{
    size_t n = 0;
    int rc = store_consent_record_batch(s, c, 1, &n, err);
    if (rc == 0 && changed)
        *changed = n > 0;
    return rc;
}

/* --- reads ------------------------------------------------------------------------ */

int store_consent_opted_out(struct store *s, int64_t account_id, const char *phone)
{
    struct store_conn *c = store_reader_get(s, NULL);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_OPTED_OUT);
    int rc = RL_EIO;
    if (st) {
        sqlite3_bind_int64(st, 1, account_id);
        sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : RL_EIO;
        sqlite3_reset(st);
    }
    store_reader_put(s, c);
    return rc;
}

static int status_read(struct store_conn *c, int64_t account_id, const char *phone,
                       const char *scope, enum store_consent_status *out, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_STATUS);
    sqlite3_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, phone);
    sqlite3_bind_text(st, 3, scope ? scope : STORE_CONSENT_MARKETING, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    *out = step == SQLITE_ROW ? status_parse(sqlite3_column_text(st, 0)) : STORE_CONSENT_NONE;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_db_err(c, err, "consent", "cannot read consent");
    return 0;
}

int store_consent_status_batch(struct store *s, int64_t account_id, const char *scope,
                               const char *const *phones, size_t n, enum store_consent_status *out,
                               struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    int rc = 0;
    /* One read transaction for the batch: a lookup then costs a b-tree
     * descent, not the WAL lock and snapshot each autocommit read takes. */
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = status_read(c, account_id, phones[i], scope, &out[i], err);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    return rc;
}

int store_consent_status_get(struct store *s, int64_t account_id, const char *phone,
                             const char *scope, enum store_consent_status *out, struct rl_err *err)
{
    return store_consent_status_batch(s, account_id, scope, &phone, 1, out, err);
}

static void copy_scope(char out[STORE_CONSENT_SCOPE_MAX + 1], const unsigned char *v)
{
    snprintf(out, STORE_CONSENT_SCOPE_MAX + 1, "%s", v ? (const char *)v : "");
}

static int read_scopes(struct store_conn *c, int64_t account_id, const char *phone,
                       struct store_consent_view *v, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_SCOPES);
    size_t cap = 0;
    int step;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (v->nscopes == cap) {
            cap = cap ? cap * 2 : 4;
            v->scopes = xrealloc(v->scopes, cap * sizeof(*v->scopes));
        }
        struct store_consent_scope *x = &v->scopes[v->nscopes++];
        copy_scope(x->scope, sqlite3_column_text(st, 0));
        x->status = status_parse(sqlite3_column_text(st, 1));
        x->source = source_parse(sqlite3_column_text(st, 2));
        x->updated_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : store_db_err(c, err, "consent", "cannot read consent");
}

static int read_events(struct store_conn *c, int64_t account_id, const char *phone,
                       struct store_consent_view *v, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_EVENTS);
    size_t cap = 0;
    int step;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, STORE_CONSENT_HISTORY_MAX);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (v->nevents == cap) {
            cap = cap ? cap * 2 : 8;
            v->events = xrealloc(v->events, cap * sizeof(*v->events));
        }
        struct store_consent_event *e = &v->events[v->nevents++];
        e->id = sqlite3_column_int64(st, 0);
        copy_scope(e->scope, sqlite3_column_text(st, 1));
        const char *action = (const char *)sqlite3_column_text(st, 2);
        e->action = action && strcmp(action, "opt_out") == 0 ? STORE_CONSENT_OPTED_OUT
                                                             : STORE_CONSENT_OPTED_IN;
        e->source = source_parse(sqlite3_column_text(st, 3));
        e->detail = store_col_dup(st, 4);
        e->at = sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    /* Read newest first (the LIMIT keeps the latest); shown oldest first. */
    for (size_t i = 0; i < v->nevents / 2; i++) {
        struct store_consent_event t = v->events[i];
        v->events[i] = v->events[v->nevents - 1 - i];
        v->events[v->nevents - 1 - i] = t;
    }
    return step == SQLITE_DONE ? 0 : store_db_err(c, err, "consent", "cannot read history");
}

int store_consent_get(struct store *s, int64_t account_id, const char *phone,
                      struct store_consent_view *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    /* One read transaction: the states and the history agree. */
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    int rc = read_scopes(c, account_id, phone, out, err);
    if (rc == 0)
        rc = read_events(c, account_id, phone, out, err);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    if (rc != 0)
        store_consent_view_release(out);
    return rc;
}

void store_consent_view_release(struct store_consent_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nevents; i++)
        free(v->events[i].detail);
    free(v->events);
    free(v->scopes);
    memset(v, 0, sizeof(*v));
}

/* --- opt-out lists ------------------------------------------------------------------ */

/* The cursor is the last item's number without its '+', a '.', and its
 * scope: nothing a query string would need to escape. Both sides are checked
 * as stored values would be, so a forged cursor can only start a page
 * elsewhere. */
static int cursor_parse(const char *cursor, char *phone, char *scope, struct rl_err *err)
{
    phone[0] = scope[0] = '\0';
    if (!cursor || !*cursor)
        return 0;
    const char *dot = strchr(cursor, '.');
    size_t pn = dot ? (size_t)(dot - cursor) : 0;
    if (dot && pn + 2 <= STORE_CONSENT_PHONE_SIZE && strlen(dot + 1) <= STORE_CONSENT_SCOPE_MAX) {
        phone[0] = '+';
        memcpy(phone + 1, cursor, pn);
        phone[pn + 1] = '\0';
        snprintf(scope, STORE_CONSENT_SCOPE_MAX + 1, "%s", dot + 1);
        if (phone_valid(phone) && store_consent_scope_valid(scope))
            return 0;
    }
    phone[0] = scope[0] = '\0';
    return rl_err_set(err, RL_EINVAL, "cursor", "malformed cursor");
}

int store_optout_list(struct store *s, int64_t account_id, const char *scope, const char *cursor,
                      size_t limit, struct store_optout_page *out, struct rl_err *err)
{
    char after_phone[STORE_CONSENT_PHONE_SIZE], after_scope[STORE_CONSENT_SCOPE_MAX + 1];
    memset(out, 0, sizeof(*out));
    if (limit < 1 || limit > STORE_LIST_MAX)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d", STORE_LIST_MAX);
    if (scope && !store_consent_scope_valid(scope))
        return rl_err_set(err, RL_EINVAL, "scope", "invalid scope");
    int rc = cursor_parse(cursor, after_phone, after_scope, err);
    if (rc != 0)
        return rc;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st =
        store_stmt(c, scope ? STORE_ST_CONSENT_OPTOUTS_SCOPE : STORE_ST_CONSENT_OPTOUTS);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, after_phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, scope ? scope : after_scope, -1, SQLITE_STATIC);
    /* One more than asked: whether a next page exists. */
    sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
    out->items = xcalloc(limit + 1, sizeof(*out->items));
    int step;
    size_t n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_optout *o = &out->items[n++];
        snprintf(o->phone, sizeof(o->phone), "%s", (const char *)sqlite3_column_text(st, 0));
        copy_scope(o->scope, sqlite3_column_text(st, 1));
        o->source = source_parse(sqlite3_column_text(st, 2));
        o->at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    if (step != SQLITE_DONE) {
        store_optout_page_release(out);
        return rl_err_set(err, RL_EIO, "consent", "cannot list opt-outs");
    }
    out->n = n > limit ? limit : n;
    if (n > limit)
        snprintf(out->next_cursor, sizeof(out->next_cursor), "%s.%s",
                 out->items[limit - 1].phone + 1, out->items[limit - 1].scope);
    return 0;
}

void store_optout_page_release(struct store_optout_page *p)
{
    if (!p)
        return;
    free(p->items);
    memset(p, 0, sizeof(*p));
}

/* --- inbound keywords ------------------------------------------------------------------ */

static int64_t attribute(struct store_conn *c, const char *phone, const char *route)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_ATTRIBUTE);
    sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
    store_bind_text(st, 2, route);
    int64_t account = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return account;
}

static bool stop_reply_on(struct store_conn *c, int64_t account)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_STOP_REPLY);
    sqlite3_bind_int64(st, 1, account);
    bool on = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    return on;
}

struct inbound_kw {
    struct store_inbound in;
    struct store_inbound_consent k;
    struct store_inbound_consent_result res;
    char *strs[9]; /* owned copies, async only */
    store_done_fn done;
    void *ctx;
};

/* Queues the confirmation: debited like any message, skipped (logged) when
 * the balance cannot pay for it, since the opt-out matters more. */
static int queue_reply(struct store_conn *c, struct inbound_kw *a, int64_t now, struct rl_err *err)
{
    const struct store_inbound_consent *k = &a->k;
    struct rl_err e = {0};
    int rc = k->reply_cost > 0
                 ? store_account_add(c, a->res.account_id, -k->reply_cost, false, NULL, &e)
                 : 0;
    if (rc == RL_ERANGE) {
        log_warn("consent", "reply_skipped",
                 "account=%" PRId64 " inbound=%" PRId64 " reason=insufficient_credit",
                 a->res.account_id, a->res.inbound_id);
        return 0;
    }
    if (rc != 0) {
        *err = e;
        return rc;
    }
    char meta[96], detail[48];
    snprintf(meta, sizeof(meta), "{\"consent_reply\":\"%s\",\"inbound_id\":%" PRId64 "}",
             k->keyword ? k->keyword : "", a->res.inbound_id);
    snprintf(detail, sizeof(detail), "inbound=%" PRId64, a->res.inbound_id);
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_INSERT);
    sqlite3_bind_int64(st, 1, a->res.account_id);
    sqlite3_bind_text(st, 2, k->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, k->reply_from ? k->reply_from : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, k->reply_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, k->reply_encoding == MSG_ENCODING_UCS2 ? "ucs2" : "gsm7", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 6, k->reply_segments);
    sqlite3_bind_text(st, 7, "transactional", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, msg_state_name(MSG_STATE_QUEUED), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, a->in.route, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, k->reply_cost > 0 ? k->reply_cost : 0);
    sqlite3_bind_int64(st, 11, now);
    sqlite3_bind_text(st, 13, meta, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, now);
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_bind_text(
        st, 17,
        store_history_line(line, sizeof(line), now, MSG_STATE_QUEUED, "consent_reply", detail), -1,
        SQLITE_STATIC);
    sqlite3_bind_text(st, 18, "consent_reply", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 19, 0);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "reply", "cannot queue the confirmation");
    a->res.reply_id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* The consent half of the operation, inside its own savepoint. */
static int apply_keyword(struct store_conn *c, struct inbound_kw *a, int64_t now,
                         struct rl_err *err)
{
    const struct store_inbound_consent *k = &a->k;
    a->res.account_id = attribute(c, k->phone, a->in.route);
    if (!a->res.account_id)
        return 0;
    char detail[80];
    snprintf(detail, sizeof(detail), "inbound=%" PRId64 " keyword=%s", a->res.inbound_id,
             k->keyword ? k->keyword : "");
    struct store_consent_change ch = {.account_id = a->res.account_id,
                                      .phone = k->phone,
                                      .status = k->status,
                                      .source = STORE_CONSENT_KEYWORD,
                                      .detail = detail,
                                      .at = now};
    int rc = apply(c, &ch, now, &a->res.changed, err);
    /* A confirmation answers a change: a second STOP from a number already
     * opted out (or START from one opted in) changes nothing, and a reply to
     * it would be one more message to a person who asked for none, billed. */
    if (rc != 0 || !a->res.changed || !k->reply_text || !*k->reply_text)
        return rc;
    if (k->status == STORE_CONSENT_OPTED_OUT && !stop_reply_on(c, a->res.account_id))
        return 0;
    return queue_reply(c, a, now, err);
}

static int run_inbound_kw(struct store_conn *c, struct store_op *op)
{
    struct inbound_kw *a = op->arg;
    const struct store_inbound *in = &a->in;
    int64_t now = store_now_ms();
    if (!in->route || !in->from || !in->to || !in->text)
        return rl_err_set(&op->err, RL_EINVAL, "inbound", "route, from, to and text are needed");
    sqlite3_stmt *st = store_stmt(c, STORE_ST_INBOUND_INSERT);
    sqlite3_bind_text(st, 1, in->route, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, in->to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, in->parts > 0 ? in->parts : 1);
    sqlite3_bind_int64(st, 6, in->at ? in->at : now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "inbound", "cannot store inbound message");
    a->res.inbound_id = op->res.id = sqlite3_last_insert_rowid(c->db);
    /* The message is what the SMSC is told we have: a consent change that
     * fails must not take it down with it. */
    struct rl_err e = {0};
    if (store_exec(c, STORE_ST_SP_ITEM) != SQLITE_DONE)
        return store_db_err(c, &op->err, "consent", "cannot open savepoint");
    int rc = apply_keyword(c, a, now, &e);
    if (rc != 0) {
        store_exec(c, STORE_ST_UNDO_ITEM);
        log_error("consent", "keyword_not_applied", "inbound=%" PRId64 " err=%s detail=\"%s\"",
                  a->res.inbound_id, rl_errname(rc), e.msg);
        a->res.account_id = a->res.reply_id = 0;
        a->res.changed = false;
    }
    store_exec(c, STORE_ST_RELEASE_ITEM);
    return 0;
}

static size_t kw_bytes(const struct store_inbound *in, const struct store_inbound_consent *k)
{
    return 512 + (in->text ? strlen(in->text) : 0) + (k->reply_text ? strlen(k->reply_text) : 0);
}

static bool kw_valid(const struct store_inbound_consent *k, struct rl_err *err)
{
    if (phone_valid(k->phone) &&
        (k->status == STORE_CONSENT_OPTED_IN || k->status == STORE_CONSENT_OPTED_OUT))
        return true;
    rl_err_set(err, RL_EINVAL, "phone",
               "an inbound keyword needs the sender in E.164 and a status");
    return false;
}

int store_inbound_consent_insert(struct store *s, const struct store_inbound *in,
                                 const struct store_inbound_consent *k,
                                 struct store_inbound_consent_result *out, struct rl_err *err)
{
    if (!kw_valid(k, err))
        return RL_EINVAL;
    struct inbound_kw a = {.in = *in, .k = *k};
    struct store_op op = {.run = run_inbound_kw, .arg = &a, .bytes = kw_bytes(in, k)};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && out)
        *out = a.res;
    return rc;
}

static void kw_free(void *arg)
{
    struct inbound_kw *a = arg;
    for (size_t i = 0; i < sizeof(a->strs) / sizeof(a->strs[0]); i++)
        free(a->strs[i]);
    free(a);
}

/* On the writer's thread, after the commit: one line per keyword, then the
 * caller's completion. */
static void kw_done(void *ctx, const struct store_result *r)
{
    struct inbound_kw *a = ctx;
    if (r->rc == 0 && a->res.account_id)
        log_info("consent", "keyword",
                 "inbound=%" PRId64 " account=%" PRId64 " status=%s changed=%d reply=%" PRId64,
                 a->res.inbound_id, a->res.account_id, store_consent_status_name(a->k.status),
                 a->res.changed, a->res.reply_id);
    else if (r->rc == 0)
        log_info("consent", "keyword_unattributed", "inbound=%" PRId64 " route=%s",
                 a->res.inbound_id, a->in.route);
    if (a->done)
        a->done(a->ctx, r);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

int store_inbound_consent_submit(struct store *s, const struct store_inbound *in,
                                 const struct store_inbound_consent *k, store_done_fn done,
                                 void *ctx)
{
    if (!kw_valid(k, NULL))
        return RL_EINVAL;
    struct inbound_kw *a = xcalloc(1, sizeof(*a));
    a->in = *in;
    a->k = *k;
    a->done = done;
    a->ctx = ctx;
    const char **slots[] = {&a->in.route, &a->in.from,   &a->in.to,        &a->in.text,
                            &a->k.phone,  &a->k.keyword, &a->k.reply_text, &a->k.reply_from};
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
        *slots[i] = a->strs[i] = dup_or_null(*slots[i]);
    struct store_op *op = xcalloc(1, sizeof(*op));
    op->run = run_inbound_kw;
    op->arg = a;
    op->bytes = kw_bytes(in, k);
    op->free_arg = kw_free;
    op->done = kw_done;
    op->ctx = a;
    return store_inbound_op_submit(s, op, in, false);
}

/* --- settings and the link key ------------------------------------------------------------ */

int store_consent_settings_get(struct store *s, int64_t account_id,
                               struct store_consent_settings *out, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_STOP_REPLY);
    int rc = store_account_row(c, st, account_id, err);
    if (rc == 0)
        out->stop_reply = sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

struct settings_set {
    int64_t account_id;
    const struct store_consent_settings *in;
};

static int run_settings_set(struct store_conn *c, struct store_op *op)
{
    const struct settings_set *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_STOP_REPLY_SET);
    sqlite3_bind_int64(st, 1, a->account_id);
    sqlite3_bind_int(st, 2, a->in->stop_reply ? 1 : 0);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "account", "cannot update the account");
    if (sqlite3_changes(c->db) == 0)
        return rl_err_set(&op->err, RL_ENOTFOUND, "account", "no account %" PRId64, a->account_id);
    return 0;
}

int store_consent_settings_set(struct store *s, int64_t account_id,
                               const struct store_consent_settings *in, struct rl_err *err)
{
    struct settings_set a = {account_id, in};
    struct store_op op = {.run = run_settings_set, .arg = &a, .bytes = 64};
    return store_writer_run(s, &op, err);
}

static int secret_read(struct store *s, unsigned char *out, bool *found, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_META_GET);
    sqlite3_bind_text(st, 1, SECRET_KEY, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    int rc = 0;
    *found = false;
    if (step == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(st, 0);
        size_t bin = 0;
        *found = hex &&
                 sodium_hex2bin(out, STORE_CONSENT_SECRET_SIZE, hex, strlen(hex), NULL, &bin,
                                NULL) == 0 &&
                 bin == STORE_CONSENT_SECRET_SIZE;
        if (!*found)
            rc = rl_err_set(err, RL_EIO, "meta", "meta %s is not %d bytes of hex", SECRET_KEY,
                            STORE_CONSENT_SECRET_SIZE);
    } else if (step != SQLITE_DONE) {
        rc = store_db_err(c, err, "meta", "cannot read meta");
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

static int run_secret_add(struct store_conn *c, struct store_op *op)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONSENT_META_ADD);
    sqlite3_bind_text(st, 1, SECRET_KEY, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, op->arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "meta", "cannot store the link key");
    return 0;
}

int store_consent_secret(struct store *s, unsigned char out[STORE_CONSENT_SECRET_SIZE],
                         struct rl_err *err)
{
    bool found = false;
    int rc = secret_read(s, out, &found, err);
    if (rc != 0 || found)
        return rc;
    /* INSERT OR IGNORE then read again: of two nodes (or threads) making one
     * at once, the first to commit wins and both use its key. */
    unsigned char key[STORE_CONSENT_SECRET_SIZE];
    char hex[STORE_CONSENT_SECRET_SIZE * 2 + 1];
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    struct store_op op = {.run = run_secret_add, .arg = hex, .bytes = 128};
    rc = store_writer_run(s, &op, err);
    sodium_memzero(hex, sizeof(hex));
    if (rc == 0)
        rc = secret_read(s, out, &found, err);
    if (rc == 0 && !found)
        rc = rl_err_set(err, RL_EIO, "meta", "the link key was not stored");
    return rc;
}

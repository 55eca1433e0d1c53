/* Campaigns in the store: the definition, the launch's batches and heartbeat,
 * the sweeps of pause/resume/cancel, the dispatcher's holds, and the report.
 * Whatever concerns one message keeps the rules of store_messages.c and
 * store_dispatch.c: a state change writes its event in the same savepoint,
 * money moves in the same transaction as the state that justifies it. */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

static const char *const state_names[STORE_CAMPAIGN_STATE_COUNT] = {
#define XX(c, name) name,
    STORE_CAMPAIGN_STATE_MAP(XX)
#undef XX
};

const char *store_campaign_state_name(enum store_campaign_state st)
{
    return (unsigned)st < STORE_CAMPAIGN_STATE_COUNT ? state_names[st] : "?";
}

static enum store_campaign_state state_parse(const unsigned char *v)
{
    for (int i = 0; v && i < STORE_CAMPAIGN_STATE_COUNT; i++)
        if (strcmp((const char *)v, state_names[i]) == 0)
            return (enum store_campaign_state)i;
    return STORE_CAMPAIGN_DRAFT; /* the CHECK constraint makes this unreachable */
}

/* --- the definition ------------------------------------------------------------ */

struct create_arg {
    const struct store_campaign_new *c;
    int64_t now;
};

static int run_create(struct store_conn *c, struct store_op *op)
{
    const struct create_arg *a = op->arg;
    const struct store_campaign_new *n = a->c;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_INSERT);
    sqlite3_bind_int64(st, 1, n->account_id);
    store_bind_text(st, 2, n->name);
    store_bind_text(st, 3, n->category);
    sqlite3_bind_int(st, 4, n->require_optin);
    store_bind_text(st, 5, n->sender);
    store_bind_text(st, 6, n->text);
    store_bind_text(st, 7, n->template_text);
    store_bind_text(st, 8, n->audience);
    if (n->send_at > 0)
        sqlite3_bind_int64(st, 9, n->send_at);
    store_bind_text(st, 10, n->window);
    store_bind_text(st, 11, n->timezone);
    if (n->rate > 0)
        sqlite3_bind_double(st, 12, n->rate);
    sqlite3_bind_int(st, 13, n->smart_encoding);
    sqlite3_bind_int64(st, 14, a->now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "campaign", "cannot create campaign");
    op->res.id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_campaign_create(struct store *s, const struct store_campaign_new *c, int64_t *id,
                          struct rl_err *err)
{
    const char *bad = c->account_id <= 0              ? "account_id"
                      : !c->name                      ? "name"
                      : !c->category                  ? "category"
                      : !c->audience                  ? "audience"
                      : !c->text == !c->template_text ? "text"
                                                      : NULL;
    if (bad)
        return rl_err_set(err, RL_EINVAL, bad, "campaign: missing or invalid %s", bad);
    struct create_arg a = {c, store_now_ms()};
    size_t bytes = 256 + strlen(c->audience) + (c->text ? strlen(c->text) : 0) +
                   (c->template_text ? strlen(c->template_text) : 0);
    struct store_op op = {.run = run_create, .arg = &a, .bytes = bytes};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && id)
        *id = op.res.id;
    return rc;
}

void store_campaign_release(struct store_campaign *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->kind);
    free(c->category);
    free(c->sender);
    free(c->text);
    free(c->template_text);
    free(c->audience);
    free(c->window);
    free(c->timezone);
    free(c->figures);
    free(c->launch_error);
    memset(c, 0, sizeof(*c));
}

static void row_campaign(sqlite3_stmt *st, struct store_campaign *c)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->account_id = sqlite3_column_int64(st, 1);
    c->name = store_col_dup(st, 2);
    c->kind = store_col_dup(st, 3);
    c->category = store_col_dup(st, 4);
    c->require_optin = sqlite3_column_int(st, 5) != 0;
    c->sender = store_col_dup(st, 6);
    c->text = store_col_dup(st, 7);
    c->template_text = store_col_dup(st, 8);
    c->audience = store_col_dup(st, 9);
    c->send_at = sqlite3_column_int64(st, 10);
    c->window = store_col_dup(st, 11);
    c->timezone = store_col_dup(st, 12);
    c->rate = sqlite3_column_double(st, 13);
    c->smart_encoding = sqlite3_column_int(st, 14) != 0;
    c->state = state_parse(sqlite3_column_text(st, 15));
    c->figures = store_col_dup(st, 16);
    c->messages = sqlite3_column_int64(st, 17);
    c->first_send_at = sqlite3_column_int64(st, 18);
    c->last_send_at = sqlite3_column_int64(st, 19);
    c->pace_us = sqlite3_column_int64(st, 20);
    c->heartbeat_at = sqlite3_column_int64(st, 21);
    c->launch_error = store_col_dup(st, 22);
    c->created_at = sqlite3_column_int64(st, 23);
    c->updated_at = sqlite3_column_int64(st, 24);
    c->launched_at = sqlite3_column_int64(st, 25);
    c->finished_at = sqlite3_column_int64(st, 26);
}

int store_campaign_get(struct store *s, int64_t account_id, int64_t id, struct store_campaign *out,
                       struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_GET);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_campaign(st, out);
    rc = rc == SQLITE_ROW ? 0
         : rc == SQLITE_DONE
             ? rl_err_set(err, RL_ENOTFOUND, "id", "no campaign %lld", (long long)id)
             : store_db_err(c, err, "id", "cannot read campaign");
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

int store_campaign_list(struct store *s, int64_t account_id, const char *cursor, size_t limit,
                        struct store_campaign_page *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    int64_t after = 0;
    if (limit < 1 || limit > STORE_LIST_MAX)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d (got %zu)", STORE_LIST_MAX,
                          limit);
    if (cursor && *cursor) {
        char *end = NULL;
        unsigned long long v = strlen(cursor) == 16 ? strtoull(cursor, &end, 16) : 0;
        if (!end || *end || v == 0 || v > INT64_MAX)
            return rl_err_set(err, RL_EINVAL, "cursor", "invalid cursor");
        after = (int64_t)v;
    }
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_PAGE);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (int64_t)limit + 1); /* one more says whether a page follows */
    out->items = xcalloc(limit, sizeof(*out->items));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == limit) {
            snprintf(out->next_cursor, sizeof(out->next_cursor), "%016" PRIx64,
                     (uint64_t)out->items[out->n - 1].id);
            rc = SQLITE_DONE;
            break;
        }
        row_campaign(st, &out->items[out->n++]);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : store_db_err(c, err, "campaigns", "cannot list campaigns");
    store_reader_put(s, c);
    if (rc != 0)
        store_campaign_page_release(out);
    return rc;
}

void store_campaign_page_release(struct store_campaign_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        store_campaign_release(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

/* --- the account's opt-out mentions ------------------------------------------------ */

int store_account_mentions_get(struct store *s, int64_t account_id, char **json, struct rl_err *err)
{
    *json = NULL;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_MENTIONS_GET);
    int rc = store_account_row(c, st, account_id, err);
    if (rc == 0)
        *json = store_col_dup(st, 0);
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

struct mentions_set {
    int64_t account_id;
    const char *json;
};

static int run_mentions_set(struct store_conn *c, struct store_op *op)
{
    const struct mentions_set *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_MENTIONS_SET);
    sqlite3_bind_int64(st, 1, a->account_id);
    if (a->json)
        sqlite3_bind_text(st, 2, a->json, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "optout_mention", "cannot update the account");
    if (sqlite3_changes(c->db) == 0)
        return rl_err_set(&op->err, RL_ENOTFOUND, "account", "no account %" PRId64, a->account_id);
    return 0;
}

int store_account_mentions_set(struct store *s, int64_t account_id, const char *json,
                               struct rl_err *err)
{
    struct mentions_set a = {account_id, json};
    struct store_op op = {
        .run = run_mentions_set, .arg = &a, .bytes = 64 + (json ? strlen(json) : 0)};
    return store_writer_run(s, &op, err);
}

/* --- states ---------------------------------------------------------------------- */

struct cstate {
    enum store_campaign_state state;
    int64_t account_id, heartbeat_at;
    bool has_error;
};

static int read_state(struct store_conn *c, int64_t account_id, int64_t id, struct cstate *out,
                      struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_STATE);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->state = state_parse(sqlite3_column_text(st, 0));
        out->account_id = sqlite3_column_int64(st, 1);
        out->heartbeat_at = sqlite3_column_int64(st, 2);
        out->has_error = sqlite3_column_int(st, 3) != 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && (account_id <= 0 || out->account_id == account_id))
        return 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rl_err_set(err, RL_ENOTFOUND, "id", "no campaign %lld", (long long)id);
    return store_db_err(c, err, "id", "cannot read campaign");
}

static int set_state(struct store_conn *c, int64_t id, enum store_campaign_state to, int64_t now,
                     struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_SET_STATE);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state_names[to], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, to == STORE_CAMPAIGN_DONE || to == STORE_CAMPAIGN_CANCELLED);
    return sqlite3_step(st) == SQLITE_DONE
               ? 0
               : store_db_err(c, err, "state", "cannot change campaign state");
}

struct transition_arg {
    int64_t account_id, id;
    unsigned from_mask;
    enum store_campaign_state to, was;
};

static int run_transition(struct store_conn *c, struct store_op *op)
{
    struct transition_arg *a = op->arg;
    struct cstate cs;
    int rc = read_state(c, a->account_id, a->id, &cs, &op->err);
    if (rc != 0)
        return rc;
    a->was = cs.state;
    if (!(a->from_mask & (1u << cs.state)))
        return rl_err_set(&op->err, RL_EINVAL, "state", "campaign %lld is %s", (long long)a->id,
                          state_names[cs.state]);
    return set_state(c, a->id, a->to, store_now_ms(), &op->err);
}

int store_campaign_transition(struct store *s, int64_t account_id, int64_t id, unsigned from_mask,
                              enum store_campaign_state to, enum store_campaign_state *was,
                              struct rl_err *err)
{
    struct transition_arg a = {account_id, id, from_mask, to, STORE_CAMPAIGN_DRAFT};
    struct store_op op = {.run = run_transition, .arg = &a, .bytes = sizeof(a)};
    int rc = store_writer_run(s, &op, err);
    if (was)
        *was = a.was;
    return rc;
}

/* --- launching ------------------------------------------------------------------- */

struct begin_arg {
    int64_t account_id, id, stale_ms;
    bool resumed;
    int64_t lease;
};

static int run_begin(struct store_conn *c, struct store_op *op)
{
    struct begin_arg *a = op->arg;
    struct cstate cs;
    int64_t now = store_now_ms();
    int rc = read_state(c, a->account_id, a->id, &cs, &op->err);
    if (rc != 0)
        return rc;
    if (cs.state == STORE_CAMPAIGN_LAUNCHING && !cs.has_error &&
        cs.heartbeat_at > now - a->stale_ms)
        return rl_err_set(&op->err, -EBUSY, "state",
                          "campaign %lld is being launched; its launch wrote %lld ms ago",
                          (long long)a->id, (long long)(now - cs.heartbeat_at));
    if (cs.state != STORE_CAMPAIGN_DRAFT && cs.state != STORE_CAMPAIGN_LAUNCHING)
        return rl_err_set(&op->err, RL_EINVAL, "state", "campaign %lld is %s", (long long)a->id,
                          state_names[cs.state]);
    /* The lease must differ from the heartbeat it replaces, or the launch
     * taken over could still write. */
    a->lease = now > cs.heartbeat_at ? now : cs.heartbeat_at + 1;
    a->resumed = cs.state == STORE_CAMPAIGN_LAUNCHING;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_LAUNCH_BEGIN);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->lease);
    return sqlite3_step(st) == SQLITE_DONE ? 0
                                           : store_db_err(c, &op->err, "state", "cannot launch");
}

int store_campaign_launch_begin(struct store *s, int64_t account_id, int64_t id, int64_t stale_ms,
                                bool *resumed, int64_t *lease, struct rl_err *err)
{
    struct begin_arg a = {account_id, id, stale_ms, false, 0};
    struct store_op op = {.run = run_begin, .arg = &a, .bytes = sizeof(a)};
    int rc = store_writer_run(s, &op, err);
    *resumed = a.resumed;
    *lease = a.lease;
    return rc;
}

static const char *const encodings[] = {"gsm7", "ucs2"};
static const char *const categories[] = {"transactional", "marketing"};

struct batch_arg {
    int64_t id;
    const struct store_msg_new *msgs;
    size_t n;
    int64_t pace_us, lease, now;
};

static int insert_one(struct store_conn *c, int64_t campaign, const struct store_msg_new *m,
                      int64_t now, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_MSG_INSERT);
    sqlite3_bind_int64(st, 1, m->account_id);
    sqlite3_bind_text(st, 2, m->to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, encodings[m->encoding], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, m->segments);
    sqlite3_bind_text(st, 7, categories[m->category], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, msg_state_name(m->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, m->cost);
    sqlite3_bind_int64(st, 10, m->scheduled_for ? m->scheduled_for : now);
    sqlite3_bind_int64(st, 11, now);
    sqlite3_bind_int64(st, 12, campaign);
    if (m->validity_until > 0)
        sqlite3_bind_int64(st, 13, m->validity_until);
    else
        sqlite3_bind_null(st, 13);
    const char *reason = m->reason ? m->reason : "campaign";
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_bind_text(st, 14, store_history_line(line, sizeof(line), now, m->state, reason, NULL),
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, reason, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "message", "cannot insert message");
    return 0;
}

static int run_batch(struct store_conn *c, struct store_op *op)
{
    struct batch_arg *a = op->arg;
    int64_t debit = 0, first = INT64_MAX, last = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct store_msg_new *m = &a->msgs[i];
        int rc = insert_one(c, a->id, m, a->now, &op->err);
        if (rc != 0)
            return rc;
        debit += m->cost;
        int64_t at = m->scheduled_for ? m->scheduled_for : a->now;
        first = at < first ? at : first;
        last = at > last ? at : last;
    }
    /* One debit for the batch: a campaign is one account's. */
    int rc = debit ? store_account_add(c, a->msgs[0].account_id, -debit, false, NULL, &op->err) : 0;
    if (rc != 0)
        return rc;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_PROGRESS);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->now);
    sqlite3_bind_int64(st, 3, a->pace_us);
    sqlite3_bind_int64(st, 4, (int64_t)a->n);
    sqlite3_bind_int64(st, 5, first);
    sqlite3_bind_int64(st, 6, last);
    sqlite3_bind_int64(st, 7, a->lease);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "campaign", "cannot record progress");
    if (sqlite3_changes(c->db) == 0)
        return rl_err_set(&op->err, -EBUSY, "state",
                          "campaign %lld: this launch was taken over or stopped", (long long)a->id);
    return 0;
}

int store_campaign_launch_batch(struct store *s, int64_t id, const struct store_msg_new *msgs,
                                size_t n, int64_t pace_us, int64_t *lease, struct rl_err *err)
{
    if (n == 0 || n > STORE_INSERT_BATCH_MAX)
        return rl_err_set(err, RL_ETOOLONG, "messages", "a batch holds 1 to %d messages (got %zu)",
                          STORE_INSERT_BATCH_MAX, n);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_msg_new *m = &msgs[i];
        if (!m->to || !m->from || !m->text || m->account_id != msgs[0].account_id || m->cost < 0 ||
            (m->state != MSG_STATE_SCHEDULED && m->state != MSG_STATE_QUEUED))
            return rl_err_set(err, RL_EINVAL, "messages", "message %zu of the batch is invalid", i);
        bytes += 160 + strlen(m->text);
    }
    /* The heartbeat doubles as the lease: strictly increasing, so that a
     * launch taken over in between cannot match it. */
    int64_t now = store_now_ms();
    struct batch_arg a = {id, msgs, n, pace_us, *lease, now > *lease ? now : *lease + 1};
    struct store_op op = {.run = run_batch, .arg = &a, .bytes = bytes};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0)
        *lease = a.now;
    return rc;
}

struct end_arg {
    int64_t id;
    enum store_campaign_state state;
    const char *figures, *error;
    int64_t pace_us, lease;
};

static int run_end(struct store_conn *c, struct store_op *op)
{
    const struct end_arg *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_LAUNCH_END);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_text(st, 2, state_names[a->state], -1, SQLITE_STATIC);
    store_bind_text(st, 3, a->figures);
    sqlite3_bind_int64(st, 4, a->pace_us);
    sqlite3_bind_int64(st, 5, store_now_ms());
    sqlite3_bind_int64(st, 6, a->lease);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "figures", "cannot end the launch");
    if (sqlite3_changes(c->db) == 0)
        return rl_err_set(&op->err, -EBUSY, "state",
                          "campaign %lld: this launch was taken over or stopped", (long long)a->id);
    return 0;
}

int store_campaign_launch_end(struct store *s, int64_t id, enum store_campaign_state state,
                              const char *figures, int64_t pace_us, int64_t lease,
                              struct rl_err *err)
{
    if (state != STORE_CAMPAIGN_SCHEDULED && state != STORE_CAMPAIGN_SENDING)
        return rl_err_set(err, RL_EINVAL, "state", "a launch ends scheduled or sending");
    struct end_arg a = {id, state, figures, NULL, pace_us, lease};
    struct store_op op = {.run = run_end, .arg = &a, .bytes = 256 + strlen(figures)};
    return store_writer_run(s, &op, err);
}

static int run_launch_error(struct store_conn *c, struct store_op *op)
{
    const struct end_arg *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_LAUNCH_ERROR);
    sqlite3_bind_int64(st, 1, a->id);
    store_bind_text(st, 2, a->error);
    store_bind_text(st, 3, a->figures);
    sqlite3_bind_int64(st, 4, store_now_ms());
    return sqlite3_step(st) == SQLITE_DONE
               ? 0
               : store_db_err(c, &op->err, "launch_error", "cannot record the launch's error");
}

int store_campaign_launch_error(struct store *s, int64_t id, const char *error, const char *figures,
                                struct rl_err *err)
{
    struct end_arg a = {.id = id, .figures = figures, .error = error};
    struct store_op op = {.run = run_launch_error, .arg = &a, .bytes = 512};
    return store_writer_run(s, &op, err);
}

/* Reads (id, number) rows of stmt into ids/phones. */
static int read_numbers(struct store *s, enum store_stmt_id sid, int64_t id, int64_t after_id,
                        size_t limit, int64_t *ids, char (*phones)[STORE_PHONE_SIZE], size_t *n,
                        struct rl_err *err)
{
    *n = 0;
    if (limit < 1 || limit > STORE_CAMPAIGN_CHUNK)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d", STORE_CAMPAIGN_CHUNK);
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, sid);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[*n] = sqlite3_column_int64(st, 0);
        const unsigned char *p = sqlite3_column_text(st, 1);
        snprintf(phones[*n], STORE_PHONE_SIZE, "%s", p ? (const char *)p : "");
        (*n)++;
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : store_db_err(c, err, "messages", "cannot read messages");
    store_reader_put(s, c);
    return rc;
}

int store_campaign_numbers(struct store *s, int64_t id, int64_t after_id, size_t limit,
                           int64_t *ids, char (*phones)[STORE_PHONE_SIZE], size_t *n,
                           struct rl_err *err)
{
    return read_numbers(s, STORE_ST_CAMPAIGN_NUMBERS, id, after_id, limit, ids, phones, n, err);
}

int store_campaign_drafts(struct store *s, int64_t id, int64_t after_id, size_t limit, int64_t *ids,
                          char (*phones)[STORE_PHONE_SIZE], size_t *n, struct rl_err *err)
{
    return read_numbers(s, STORE_ST_CAMPAIGN_DRAFTS, id, after_id, limit, ids, phones, n, err);
}

/* --- sweeps and reschedules ---------------------------------------------------------- */

struct sweep_arg {
    int64_t id;
    enum store_campaign_sweep kind;
    const char *reason;
    size_t limit, done;
    int64_t refunded;
};

struct swept {
    int64_t id, account, cost;
};

static int run_sweep(struct store_conn *c, struct store_op *op)
{
    struct sweep_arg *a = op->arg;
    bool cancel = a->kind == STORE_CAMPAIGN_SWEEP_CANCEL;
    int64_t now = store_now_ms();
    sqlite3_stmt *st =
        store_stmt(c, cancel ? STORE_ST_CAMPAIGN_SWEEP_CANCEL : STORE_ST_CAMPAIGN_SWEEP_PARK);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, (int64_t)a->limit);
    enum msg_state to = cancel ? MSG_STATE_CANCELLED : MSG_STATE_DRAFT;
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_bind_text(st, 4, store_history_line(line, sizeof(line), now, to, a->reason, NULL), -1,
                      SQLITE_STATIC);
    store_bind_text(st, 5, a->reason);
    struct swept *rows = xcalloc(a->limit, sizeof(*rows));
    int rc = SQLITE_DONE;
    while (a->done < a->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct swept *r = &rows[a->done++];
        r->id = sqlite3_column_int64(st, 0);
        r->account = cancel ? sqlite3_column_int64(st, 1) : 0;
        r->cost = cancel ? sqlite3_column_int64(st, 2) : 0;
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
                                               : store_db_err(c, &op->err, "state", "cannot sweep");
    /* One credit per run of one account's messages: a campaign is one account's. */
    int64_t sum = 0;
    for (size_t i = 0; rc == 0 && i < a->done; i++) {
        sum += rows[i].cost;
        if (i + 1 < a->done && rows[i + 1].account == rows[i].account)
            continue;
        if (sum > 0)
            rc = store_account_add(c, rows[i].account, sum, true, NULL, &op->err);
        a->refunded += sum;
        sum = 0;
    }
    free(rows);
    return rc;
}

int store_campaign_sweep(struct store *s, int64_t id, enum store_campaign_sweep kind,
                         const char *reason, size_t limit, size_t *done, int64_t *refunded,
                         struct rl_err *err)
{
    *done = 0;
    if (limit < 1 || limit > STORE_CAMPAIGN_CHUNK)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d", STORE_CAMPAIGN_CHUNK);
    struct sweep_arg a = {id, kind, reason, limit, 0, 0};
    struct store_op op = {.run = run_sweep, .arg = &a, .bytes = limit * 64};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0) {
        *done = a.done;
        if (refunded)
            *refunded = a.refunded;
    }
    return rc;
}

struct resched_arg {
    int64_t id;
    const struct store_campaign_slot *slots;
    size_t n;
    int64_t pace_us;
};

static int run_reschedule(struct store_conn *c, struct store_op *op)
{
    const struct resched_arg *a = op->arg;
    int64_t now = store_now_ms();
    for (size_t i = 0; i < a->n; i++) {
        const struct store_campaign_slot *sl = &a->slots[i];
        enum msg_state to = sl->at > now ? MSG_STATE_SCHEDULED : MSG_STATE_QUEUED;
        sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_RESCHEDULE);
        sqlite3_bind_int64(st, 1, sl->message_id);
        sqlite3_bind_text(st, 2, msg_state_name(to), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, sl->at);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, sl->valid_until);
        const char *reason = sl->reason ? sl->reason : "campaign_resumed";
        char line[STORE_HISTORY_LINE_MAX];
        sqlite3_bind_text(st, 6, store_history_line(line, sizeof(line), now, to, reason, NULL), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 7, reason, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return store_db_err(c, &op->err, "state", "cannot reschedule");
    }
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_PACE_SET);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->pace_us);
    return sqlite3_step(st) == SQLITE_DONE ? 0
                                           : store_db_err(c, &op->err, "pace", "cannot set pace");
}

int store_campaign_reschedule(struct store *s, int64_t id, const struct store_campaign_slot *slots,
                              size_t n, int64_t pace_us, struct rl_err *err)
{
    if (n > STORE_CAMPAIGN_CHUNK)
        return rl_err_set(err, RL_ETOOLONG, "slots", "at most %d at a time", STORE_CAMPAIGN_CHUNK);
    struct resched_arg a = {id, slots, n, pace_us};
    struct store_op op = {.run = run_reschedule, .arg = &a, .bytes = 64 + n * 48};
    return store_writer_run(s, &op, err);
}

struct settle_arg {
    int64_t id;
    enum store_campaign_state state;
};

static int run_settle(struct store_conn *c, struct store_op *op)
{
    struct settle_arg *a = op->arg;
    struct cstate cs;
    int rc = read_state(c, 0, a->id, &cs, &op->err);
    if (rc != 0)
        return rc;
    a->state = cs.state;
    if (cs.state != STORE_CAMPAIGN_SCHEDULED && cs.state != STORE_CAMPAIGN_SENDING)
        return 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_UNFINISHED);
    sqlite3_bind_int64(st, 1, a->id);
    rc = sqlite3_step(st);
    bool unfinished = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_db_err(c, &op->err, "messages", "cannot read messages");
    if (unfinished)
        return 0;
    st = store_stmt(c, STORE_ST_CAMPAIGN_SETTLE);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "state", "cannot settle campaign");
    a->state = STORE_CAMPAIGN_DONE;
    return 0;
}

int store_campaign_settle(struct store *s, int64_t id, enum store_campaign_state *state,
                          struct rl_err *err)
{
    struct settle_arg a = {id, STORE_CAMPAIGN_DRAFT};
    struct store_op op = {.run = run_settle, .arg = &a, .bytes = sizeof(a)};
    int rc = store_writer_run(s, &op, err);
    *state = a.state;
    return rc;
}

/* --- the dispatcher's side ------------------------------------------------------------- */

int store_campaign_of_messages(struct store *s, const int64_t *ids, size_t n, int64_t *campaign_ids,
                               struct rl_err *err)
{
    for (size_t i = 0; i < n; i++)
        campaign_ids[i] = 0;
    if (n == 0)
        return 0;
    /* The ids as one JSON array: one statement whatever the batch's size. */
    size_t cap = n * 21 + 3, len = 0;
    char *arr = xmalloc(cap);
    arr[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    arr[len++] = ']';
    struct store_conn *c = store_reader_get(s, err);
    if (!c) {
        free(arr);
        return RL_EIO;
    }
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_OF_MESSAGES);
    sqlite3_bind_text(st, 1, arr, (int)len, SQLITE_STATIC);
    int rc;
    size_t hint = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        /* Rows come in the array's order: the next one is usually at hint. */
        size_t k = hint < n && ids[hint] == id ? hint : 0;
        while (k < n && ids[k] != id)
            k++;
        if (k < n) {
            campaign_ids[k] = sqlite3_column_int64(st, 1);
            hint = k + 1;
        }
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : store_db_err(c, err, "messages", "cannot read campaigns");
    store_reader_put(s, c);
    free(arr);
    return rc;
}

int store_campaign_rules(struct store *s, int64_t id, struct store_campaign_rules *out,
                         struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_RULES);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *w = sqlite3_column_text(st, 1), *z = sqlite3_column_text(st, 2);
        const unsigned char *cat = sqlite3_column_text(st, 3);
        out->state = state_parse(sqlite3_column_text(st, 0));
        snprintf(out->window, sizeof(out->window), "%s", w ? (const char *)w : "");
        snprintf(out->zone, sizeof(out->zone), "%s", z ? (const char *)z : "");
        snprintf(out->category, sizeof(out->category), "%s", cat ? (const char *)cat : "");
        out->require_optin = sqlite3_column_int(st, 4) != 0;
    }
    rc = rc == SQLITE_ROW ? 0
         : rc == SQLITE_DONE
             ? rl_err_set(err, RL_ENOTFOUND, "id", "no campaign %lld", (long long)id)
             : store_db_err(c, err, "id", "cannot read campaign");
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

/* The campaign's pace, read once per campaign per hold batch. */
struct pace {
    int64_t campaign, slot_us, step_us;
    bool dirty;
};

static int pace_of(struct store_conn *c, int64_t campaign, struct pace *p, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_PACE_GET);
    sqlite3_bind_int64(st, 1, campaign);
    int rc = sqlite3_step(st);
    double rate = rc == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
    p->campaign = campaign;
    p->slot_us = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    p->step_us = rate > 0 ? (int64_t)llround(1e6 / rate) : 0;
    p->dirty = false;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : store_db_err(c, err, "pace", "cannot read pace");
}

static int pace_save(struct store_conn *c, struct pace *p, struct rl_err *err)
{
    if (!p->dirty)
        return 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_PACE_SET);
    sqlite3_bind_int64(st, 1, p->campaign);
    sqlite3_bind_int64(st, 2, p->slot_us);
    p->dirty = false;
    return sqlite3_step(st) == SQLITE_DONE ? 0 : store_db_err(c, err, "pace", "cannot set pace");
}

struct hold_arg {
    struct store_hold *h;
    size_t n;
};

static int hold_one(struct store_conn *c, struct store_hold *h, struct pace *p, int64_t now,
                    struct rl_err *err)
{
    sqlite3_stmt *st;
    enum msg_state to = MSG_STATE_SCHEDULED;
    int64_t refund = 0, account = 0;
    char detail[96];
    if (h->kind == STORE_HOLD_DEFER) {
        if (h->campaign_id > 0 && p->step_us > 0) {
            int64_t at_us = h->at * 1000;
            int64_t slot = p->slot_us > at_us ? p->slot_us : at_us;
            h->at = (slot + 999) / 1000;
            p->slot_us = slot + p->step_us;
            p->dirty = true;
        }
        st = store_stmt(c, STORE_ST_CAMPAIGN_MSG_DEFER);
        sqlite3_bind_int64(st, 1, h->message_id);
        sqlite3_bind_int64(st, 2, h->at);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, h->validity_ms > 0 ? h->validity_ms : 0);
    } else {
        to = h->kind == STORE_HOLD_PARK ? MSG_STATE_DRAFT : MSG_STATE_CANCELLED;
        st = store_stmt(c, h->kind == STORE_HOLD_PARK ? STORE_ST_CAMPAIGN_MSG_PARK
                                                      : STORE_ST_CAMPAIGN_MSG_CANCEL);
        sqlite3_bind_int64(st, 1, h->message_id);
        sqlite3_bind_int64(st, 2, now);
    }
    /* The change's history line goes in the same UPDATE (?5, ?6). */
    const char *d = h->detail;
    if (h->kind == STORE_HOLD_DEFER && !d) {
        snprintf(detail, sizeof(detail), "until=%lld", (long long)h->at);
        d = detail;
    }
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_bind_text(st, 5, store_history_line(line, sizeof(line), now, to, h->reason, d), -1,
                      SQLITE_STATIC);
    store_bind_text(st, 6, h->reason);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        account = sqlite3_column_int64(st, 0);
        refund = sqlite3_column_int64(st, 1);
        rc = sqlite3_step(st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_db_err(c, err, "state", "cannot hold message");
    if (sqlite3_changes(c->db) == 0 || refund <= 0)
        return 0; /* no longer submitting: whoever moved it decided */
    return store_account_add(c, account, refund, true, NULL, err);
}

static int run_hold(struct store_conn *c, struct store_op *op)
{
    struct hold_arg *a = op->arg;
    struct pace p = {0};
    int64_t now = store_now_ms();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        struct store_hold *h = &a->h[i];
        if (h->kind == STORE_HOLD_DEFER && h->campaign_id > 0 && h->campaign_id != p.campaign) {
            rc = pace_save(c, &p, &op->err);
            if (rc == 0)
                rc = pace_of(c, h->campaign_id, &p, &op->err);
        }
        if (rc == 0)
            rc = hold_one(c, h, &p, now, &op->err);
    }
    return rc ? rc : pace_save(c, &p, &op->err);
}

int store_campaign_hold(struct store *s, struct store_hold *holds, size_t n, struct rl_err *err)
{
    if (n == 0)
        return 0;
    struct hold_arg a = {holds, n};
    struct store_op op = {.run = run_hold, .arg = &a, .bytes = 64 + n * 96};
    return store_writer_run(s, &op, err);
}

/* --- reporting ------------------------------------------------------------------------ */

static int report_counts(struct store_conn *c, int64_t id, struct store_campaign_report *out,
                         struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_COUNTS);
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum msg_state ms;
        if (msg_state_parse((const char *)sqlite3_column_text(st, 0), &ms, NULL) == 0)
            out->by_state[ms] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_db_err(c, err, "messages", "cannot count messages");
    st = store_stmt(c, STORE_ST_CAMPAIGN_BILLED);
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        out->billed = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_db_err(c, err, "messages", "cannot sum costs");
    st = store_stmt(c, STORE_ST_CAMPAIGN_UNDELIVERED);
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out->undelivered = sqlite3_column_int64(st, 0);
        out->billed += sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(c, err, "messages", "cannot sum costs");
}

static int report_errors(struct store_conn *c, int64_t account_id, int64_t id, int64_t since,
                         struct store_campaign_report *out, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CAMPAIGN_ERRORS);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, STORE_CAMPAIGN_ERRORS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->nerrors < STORE_CAMPAIGN_ERRORS) {
        struct store_campaign_error *e = &out->errors[out->nerrors++];
        const unsigned char *k = sqlite3_column_text(st, 0);
        snprintf(e->key, sizeof(e->key), "%s", k ? (const char *)k : "unknown");
        e->n = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_db_err(c, err, "messages", "cannot group errors");
    st = store_stmt(c, STORE_ST_CAMPAIGN_OPTOUTS);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, since);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        out->optouts = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(c, err, "optouts", "cannot count opt-outs");
}

int store_campaign_report(struct store *s, int64_t account_id, int64_t id, int64_t optouts_since,
                          struct store_campaign_report *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    /* Every figure from one snapshot, so that they add up while messages move. */
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    struct cstate cs;
    int rc = read_state(c, account_id, id, &cs, err);
    if (rc == 0)
        rc = report_counts(c, id, out, err);
    if (rc == 0)
        rc = report_errors(c, cs.account_id, id, optouts_since, out, err);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    return rc;
}

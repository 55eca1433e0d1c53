/* Messages as the API sees them: insert (one or a batch, with the first event,
 * the debit and the idempotency key, all in one savepoint), get with parts and
 * events, list by account with an opaque cursor, and cancel. */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

static const char *const encodings[] = {"gsm7", "ucs2"};
static const char *const categories[] = {"transactional", "marketing"};

struct msg_insert {
    const struct store_msg_new *msgs;
    size_t n;
    bool allow_negative;
    int64_t *ids;
    int64_t now;
};

static int insert_row(struct store_conn *c, const struct store_msg_new *m, int64_t now, int64_t *id,
                      struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_INSERT);
    sqlite3_bind_int64(st, 1, m->account_id);
    sqlite3_bind_text(st, 2, m->to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, encodings[m->encoding], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, m->segments);
    sqlite3_bind_text(st, 7, categories[m->category], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, msg_state_name(m->state), -1, SQLITE_STATIC);
    store_bind_text(st, 9, m->route);
    sqlite3_bind_int64(st, 10, m->cost);
    sqlite3_bind_int64(st, 11, m->scheduled_for ? m->scheduled_for : now);
    if (m->validity_until)
        sqlite3_bind_int64(st, 12, m->validity_until);
    store_bind_text(st, 13, m->metadata);
    store_bind_text(st, 14, m->idempotency_key);
    store_bind_text(st, 15, m->request_hash);
    sqlite3_bind_int64(st, 16, now);
    const char *reason = m->reason ? m->reason : "created";
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_bind_text(st, 17, store_history_line(line, sizeof(line), now, m->state, reason, NULL),
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 19, m->validity_default ? 1 : 0);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "message", "cannot insert message");
    *id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static int idempotency_add(struct store_conn *c, const struct store_msg_new *m, int64_t id,
                           int64_t now, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_IDEM_INSERT);
    sqlite3_bind_int64(st, 1, m->account_id);
    sqlite3_bind_text(st, 2, m->idempotency_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->request_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, id);
    sqlite3_bind_int64(st, 5, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        return 0;
    int rc = store_db_err(c, err, "idempotency_key", "cannot record idempotency key");
    if (rc == -EEXIST)
        rl_err_set(err, rc, "idempotency_key", "idempotency key '%s' was already used",
                   m->idempotency_key);
    return rc;
}

/* Debits are summed per run of messages of one account (a batch is usually
 * one account's), so a 10,000-message batch costs one balance update. */
static int run_insert(struct store_conn *c, struct store_op *op)
{
    struct msg_insert *a = op->arg;
    int64_t debit = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct store_msg_new *m = &a->msgs[i];
        int64_t id = 0;
        int rc = insert_row(c, m, a->now, &id, &op->err);
        if (rc == 0 && m->idempotency_key)
            rc = idempotency_add(c, m, id, a->now, &op->err);
        if (rc != 0)
            return rc;
        if (a->ids)
            a->ids[i] = id;
        debit += m->cost;
        if (i + 1 == a->n || a->msgs[i + 1].account_id != m->account_id) {
            if (debit && (rc = store_account_add(c, m->account_id, -debit, a->allow_negative, NULL,
                                                 &op->err)) != 0)
                return rc;
            debit = 0;
        }
    }
    op->res.id = a->n ? sqlite3_last_insert_rowid(c->db) : 0;
    return 0;
}

static int check_new(const struct store_msg_new *m, size_t i, size_t *bytes, struct rl_err *err)
{
    const char *bad = !m->to                                           ? "to"
                      : !m->from                                       ? "from"
                      : !m->text                                       ? "text"
                      : m->account_id <= 0                             ? "account_id"
                      : m->segments < 0                                ? "segments"
                      : m->cost < 0                                    ? "cost"
                      : (unsigned)m->encoding > MSG_ENCODING_UCS2      ? "encoding"
                      : (unsigned)m->category > MSG_CATEGORY_MARKETING ? "category"
                      : m->idempotency_key && !m->request_hash         ? "request_hash"
                                                                       : NULL;
    if (bad)
        return rl_err_set(err, RL_EINVAL, bad, "message %zu: missing or invalid %s", i, bad);
    if (m->state != MSG_STATE_DRAFT && m->state != MSG_STATE_SCHEDULED &&
        m->state != MSG_STATE_QUEUED && m->state != MSG_STATE_REJECTED)
        return rl_err_set(err, RL_EINVAL, "state",
                          "message %zu: a new message is draft, scheduled, queued or rejected, "
                          "not %s",
                          i, msg_state_name(m->state));
    *bytes += 160 + strlen(m->text) + strlen(m->to) + strlen(m->from) +
              (m->metadata ? strlen(m->metadata) : 0);
    return 0;
}

int store_message_insert_batch(struct store *s, const struct store_msg_new *msgs, size_t n,
                               bool allow_negative, int64_t *ids, struct rl_err *err)
{
    if (n == 0 || n > STORE_INSERT_BATCH_MAX)
        return rl_err_set(err, RL_ETOOLONG, "messages", "a batch holds 1 to %d messages (got %zu)",
                          STORE_INSERT_BATCH_MAX, n);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = check_new(&msgs[i], i, &bytes, err);
        if (rc != 0)
            return rc;
    }
    struct msg_insert a = {msgs, n, allow_negative, ids, store_now_ms()};
    struct store_op op = {.run = run_insert, .arg = &a, .bytes = bytes};
    /* Keys come in with inserts, so inserts take the old ones out. */
    bool keyed = false;
    for (size_t i = 0; i < n && !keyed; i++)
        keyed = msgs[i].idempotency_key != NULL;
    if (keyed)
        store_idempotency_autopurge(s, a.now);
    return store_writer_run(s, &op, err);
}

int store_message_insert(struct store *s, const struct store_msg_new *m, bool allow_negative,
                         int64_t *id, struct rl_err *err)
{
    return store_message_insert_batch(s, m, 1, allow_negative, id, err);
}

/* An insert in flight: the message and its strings, copied. */
struct msg_async {
    struct store_msg_new m;
    char *strs[8];
    struct msg_insert a;
    int64_t id;
    struct rl_err *err_out;
};

static void msg_async_free(void *arg)
{
    struct msg_async *x = arg;
    for (size_t i = 0; i < sizeof(x->strs) / sizeof(x->strs[0]); i++)
        free(x->strs[i]);
    free(x);
}

static int run_insert_async(struct store_conn *c, struct store_op *op)
{
    struct msg_async *x = op->arg;
    op->arg = &x->a;
    int rc = run_insert(c, op);
    op->arg = x;
    if (rc != 0 && x->err_out)
        *x->err_out = op->err;
    return rc;
}

int store_message_submit(struct store *s, const struct store_msg_new *m, bool allow_negative,
                         struct rl_err *err_out, store_done_fn done, void *ctx)
{
    size_t bytes = 0;
    int rc = check_new(m, 0, &bytes, err_out);
    if (rc != 0)
        return rc;
    struct msg_async *x = xcalloc(1, sizeof(*x));
    x->m = *m;
    const char **slots[] = {&x->m.to,           &x->m.from,     &x->m.text,
                            &x->m.route,        &x->m.metadata, &x->m.idempotency_key,
                            &x->m.request_hash, &x->m.reason};
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
        *slots[i] = x->strs[i] = *slots[i] ? xstrdup(*slots[i]) : NULL;
    x->a = (struct msg_insert){&x->m, 1, allow_negative, &x->id, store_now_ms()};
    x->err_out = err_out;
    if (m->idempotency_key)
        store_idempotency_autopurge(s, x->a.now);
    struct store_op *op = xcalloc(1, sizeof(*op));
    op->run = run_insert_async;
    op->arg = x;
    op->bytes = bytes;
    op->free_arg = msg_async_free;
    op->done = done;
    op->ctx = ctx;
    return store_writer_submit(s, op, false);
}

void store_message_release(struct store_message *m)
{
    if (!m)
        return;
    free(m->to);
    free(m->from);
    free(m->text);
    free(m->route);
    free(m->metadata);
    free(m->idempotency_key);
    for (size_t i = 0; i < m->nparts; i++) {
        free(m->parts[i].operator_id);
        free(m->parts[i].route);
        free(m->parts[i].error);
    }
    free(m->parts);
    for (size_t i = 0; i < m->nevents; i++) {
        free(m->events[i].reason);
        free(m->events[i].detail);
    }
    free(m->events);
    memset(m, 0, sizeof(*m));
}

static void read_parts(struct store_conn *c, struct store_message *m)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PARTS_GET);
    size_t cap = 0;
    sqlite3_bind_int64(st, 1, m->id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (m->nparts == cap) {
            cap = cap ? cap * 2 : 4;
            m->parts = xrealloc(m->parts, cap * sizeof(*m->parts));
        }
        struct store_part *p = &m->parts[m->nparts++];
        p->part = sqlite3_column_int(st, 0);
        p->operator_id = store_col_dup(st, 1);
        p->route = store_col_dup(st, 2);
        msg_state_parse((const char *)sqlite3_column_text(st, 3), &p->state, NULL);
        p->error = store_col_dup(st, 4);
    }
    sqlite3_reset(st);
}

static void read_events(struct store_conn *c, struct store_message *m)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_HISTORY_GET);
    sqlite3_bind_int64(st, 1, m->id);
    if (sqlite3_step(st) == SQLITE_ROW)
        store_history_parse((const char *)sqlite3_column_text(st, 0), &m->events, &m->nevents);
    sqlite3_reset(st);
}

int store_message_get(struct store *s, int64_t account_id, int64_t id, struct store_message *out,
                      struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    /* Message, parts and events from one snapshot, even while the writer commits. */
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_GET);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        store_row_message(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && (account_id <= 0 || out->account_id == account_id)) {
        read_parts(c, out);
        read_events(c, out);
        rc = 0;
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        store_message_release(out);
        rc = rl_err_set(err, RL_ENOTFOUND, "id", "no message %lld", (long long)id);
    } else {
        rc = store_db_err(c, err, "id", "cannot read message");
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    return rc;
}

/* The cursor is the (created_at, id) of the last row served, as 32 hex
 * digits: opaque to callers, cheap to check, and stable under inserts. */
static int cursor_parse(const char *cur, int64_t *at, int64_t *id, struct rl_err *err)
{
    *at = INT64_MAX;
    *id = INT64_MAX;
    if (!cur || !*cur)
        return 0;
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 32; i++) {
        char ch = cur[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return rl_err_set(err, RL_EINVAL, "cursor", "invalid cursor");
        if (i < 16)
            a = a << 4 | (uint64_t)v;
        else
            b = b << 4 | (uint64_t)v;
    }
    if (cur[32] != '\0' || a > INT64_MAX || b > INT64_MAX)
        return rl_err_set(err, RL_EINVAL, "cursor", "invalid cursor");
    *at = (int64_t)a;
    *id = (int64_t)b;
    return 0;
}

static int list_rows(struct store_conn *c, const struct store_list_query *q, int64_t at, int64_t id,
                     struct store_message_page *out, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_LIST);
    sqlite3_bind_int64(st, 1, q->account_id);
    if (q->state >= 0)
        sqlite3_bind_text(st, 2, msg_state_name((enum msg_state)q->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, q->since);
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_int64(st, 5, id);
    sqlite3_bind_int64(st, 6, (int64_t)q->limit + 1); /* one more says whether a page follows */
    out->items = xcalloc(q->limit, sizeof(*out->items));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == q->limit) {
            const struct store_message *last = &out->items[out->n - 1];
            snprintf(out->next_cursor, sizeof(out->next_cursor), "%016" PRIx64 "%016" PRIx64,
                     (uint64_t)last->created_at, (uint64_t)last->id);
            rc = SQLITE_DONE;
            break;
        }
        store_row_message(st, &out->items[out->n++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_db_err(c, err, "messages", "cannot list messages");
}

int store_message_list(struct store *s, const struct store_list_query *q,
                       struct store_message_page *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    int64_t at, id;
    if (q->limit < 1 || q->limit > STORE_LIST_MAX)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d (got %zu)", STORE_LIST_MAX,
                          q->limit);
    if (q->state >= MSG_STATE_COUNT)
        return rl_err_set(err, RL_EINVAL, "state", "unknown state %d", q->state);
    int rc = cursor_parse(q->cursor, &at, &id, err);
    if (rc != 0)
        return rc;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    rc = list_rows(c, q, at, id, out, err);
    store_reader_put(s, c);
    if (rc != 0)
        store_message_page_release(out);
    return rc;
}

void store_message_page_release(struct store_message_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        store_message_release(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

struct msg_cancel {
    int64_t account_id, id;
    const char *reason;
};

static bool cancellable(const char *state)
{
    return strcmp(state, "draft") == 0 || strcmp(state, "scheduled") == 0 ||
           strcmp(state, "queued") == 0 || strcmp(state, "retrying") == 0;
}

static int run_cancel(struct store_conn *c, struct store_op *op)
{
    const struct msg_cancel *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_STATE);
    sqlite3_bind_int64(st, 1, a->id);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 1) != a->account_id) {
        sqlite3_reset(st);
        return rl_err_set(&op->err, RL_ENOTFOUND, "id", "no message %lld", (long long)a->id);
    }
    char state[32];
    snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(st, 0));
    int64_t cost = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (!cancellable(state))
        return rl_err_set(&op->err, RL_EINVAL, "state",
                          "message %lld is %s: only draft, scheduled, queued or retrying "
                          "messages can be cancelled",
                          (long long)a->id, state);
    int64_t now = store_now_ms();
    int rc = store_state_set(c, a->id, MSG_STATE_CANCELLED, now,
                             a->reason ? a->reason : "cancelled", NULL, &op->err);
    if (rc == 0 && cost)
        rc = store_account_add(c, a->account_id, cost, true, NULL, &op->err);
    return rc;
}

int store_message_cancel(struct store *s, int64_t account_id, int64_t id, const char *reason,
                         struct rl_err *err)
{
    struct msg_cancel a = {account_id, id, reason};
    struct store_op op = {.run = run_cancel, .arg = &a, .bytes = sizeof(a)};
    return store_writer_run(s, &op, err);
}

int store_message_counts(struct store *s, int64_t out[MSG_STATE_COUNT], struct rl_err *err)
{
    /* A count is a scan of the whole table (a million rows: a tenth of a
     * second): one a second serves any number of scrapers. */
    int64_t now = store_now_ms();
    pthread_mutex_lock(&s->rmu);
    bool fresh = s->counts_at && now - s->counts_at < STORE_COUNTS_MAX_AGE_MS;
    if (fresh)
        memcpy(out, s->counts, sizeof(s->counts));
    pthread_mutex_unlock(&s->rmu);
    if (fresh)
        return 0;
    for (int i = 0; i < MSG_STATE_COUNT; i++)
        out[i] = 0;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_COUNTS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum msg_state state;
        if (msg_state_parse((const char *)sqlite3_column_text(st, 0), &state, NULL) == 0)
            out[state] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : store_db_err(c, err, "messages", "cannot count messages");
    store_reader_put(s, c);
    if (rc == 0) {
        pthread_mutex_lock(&s->rmu);
        memcpy(s->counts, out, sizeof(s->counts));
        s->counts_at = now;
        pthread_mutex_unlock(&s->rmu);
    }
    return rc;
}

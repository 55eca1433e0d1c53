/* The dispatcher's side of the store: claims of due messages, the restart
 * rule for messages left in submitting, outcome records (accepted, failed,
 * retry, expired, receipts) in batches, and inbound messages. Each of these
 * is a write and goes through the one writer, so they share commits with the
 * API's inserts: a message's insert, submit result and receipt cost three
 * operations, not three fsyncs. */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/banned.h"

/* --- claims ------------------------------------------------------------------ */

struct claim {
    int64_t now;
    size_t limit;
    struct store_message *out;
    size_t n;
};

/* Retrying first (they have waited longest), then queued, then scheduled. */
static const char *const claim_states[] = {"retrying", "queued", "scheduled"};

static int run_claim(struct store_conn *c, struct store_op *op)
{
    struct claim *a = op->arg;
    int rc = 0;
    /* The history line up to the attempt number, which the UPDATE adds. */
    char line[64];
    snprintf(line, sizeof(line), "%lld\tsubmitting\tclaimed\tattempt=", (long long)a->now);
    for (size_t k = 0; k < 3 && a->n < a->limit; k++) {
        sqlite3_stmt *st = store_stmt(c, STORE_ST_CLAIM);
        sqlite3_bind_text(st, 1, claim_states[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)(a->limit - a->n));
        sqlite3_bind_int64(st, 3, a->now);
        sqlite3_bind_text(st, 4, line, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && a->n < a->limit)
            store_row_message(st, &a->out[a->n++]);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return store_db_err(c, &op->err, "claim", "cannot claim messages");
    }
    return 0;
}

int store_claim_due(struct store *s, int64_t now, size_t limit, struct store_message *out,
                    size_t *n, struct rl_err *err)
{
    *n = 0;
    if (limit == 0)
        return 0;
    struct claim a = {now, limit, out, 0};
    struct store_op op = {.run = run_claim, .arg = &a, .bytes = 64 * limit};
    int rc = store_writer_run(s, &op, err);
    if (rc != 0) {
        /* Rolled back: what was read is not claimed. */
        for (size_t i = 0; i < a.n; i++)
            store_message_release(&out[i]);
        return rc;
    }
    *n = a.n;
    return 0;
}

struct stale {
    int64_t now;
};

static int run_stale(struct store_conn *c, struct store_op *op)
{
    const struct stale *a = op->arg;
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_stmt *st = store_stmt(c, STORE_ST_STALE);
    sqlite3_bind_int64(st, 1, a->now);
    sqlite3_bind_text(st, 2,
                      store_history_line(line, sizeof(line), a->now, MSG_STATE_QUEUED,
                                         "possible_duplicate",
                                         "was submitting when relais stopped; the SMSC may have "
                                         "it already"),
                      -1, SQLITE_STATIC);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        n++;
    sqlite3_reset(st);
    op->res.id = (int64_t)n;
    return rc == SQLITE_DONE ? 0 : store_db_err(c, &op->err, "store", "cannot release messages");
}

int store_release_stale_submitting(struct store *s, int64_t now, size_t *released,
                                   struct rl_err *err)
{
    struct stale a = {now};
    struct store_op op = {.run = run_stale, .arg = &a, .bytes = 64};
    int rc = store_writer_run(s, &op, err);
    if (released)
        *released = rc == 0 ? (size_t)op.res.id : 0;
    return rc;
}

/* --- outcomes ---------------------------------------------------------------- */

/* Reads message id's state; RL_ENOTFOUND if there is none. */
static int msg_state(struct store_conn *c, int64_t id, enum msg_state *state, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_STATE);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        msg_state_parse((const char *)sqlite3_column_text(st, 0), state, NULL);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE
               ? rl_err_set(err, RL_ENOTFOUND, "message_id", "no message %lld", (long long)id)
               : store_db_err(c, err, "message_id", "cannot read message");
}

int store_state_set(struct store_conn *c, int64_t id, enum msg_state state, int64_t at,
                    const char *reason, const char *detail, struct rl_err *err)
{
    char line[STORE_HISTORY_LINE_MAX];
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_SET_STATE);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, msg_state_name(state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(st, 4, store_history_line(line, sizeof(line), at, state, reason, detail), -1,
                      SQLITE_STATIC);
    store_bind_text(st, 5, reason);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "state", "cannot change state");
    return 0;
}

/* The message's state from its parts' once every part has a final receipt:
 * all delivered, some delivered, or all alike (else failed). NONE while a part
 * still waits. */
static int parts_verdict(struct store_conn *c, int64_t id, enum msg_state *out)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PART_STATES);
    sqlite3_bind_int64(st, 1, id);
    int kinds = 0, pending = 0, delivered = 0;
    enum msg_state last = MSG_STATE_FAILED;
    while (sqlite3_step(st) == SQLITE_ROW) {
        enum msg_state ps = MSG_STATE_UNKNOWN;
        msg_state_parse((const char *)sqlite3_column_text(st, 0), &ps, NULL);
        kinds++;
        pending += ps == MSG_STATE_SUBMITTED;
        delivered += ps == MSG_STATE_DELIVERED;
        last = ps;
    }
    sqlite3_reset(st);
    if (kinds == 0 || pending)
        return 0;
    *out = kinds == 1 ? last : delivered ? MSG_STATE_PARTIALLY_DELIVERED : MSG_STATE_FAILED;
    return 1;
}

/* Applies a receipt to one part; a duplicate (same state) changes nothing. */
static int part_receipt(struct store_conn *c, int64_t id, int part, const char *old,
                        const struct store_outcome *o, int64_t at, struct rl_err *err)
{
    const char *name = msg_state_name(o->state);
    if (old && strcmp(old, name) == 0)
        return 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PART_SET);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, part);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    store_bind_text(st, 4, o->error);
    sqlite3_bind_int64(st, 5, at);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "part", "cannot update part");
    enum msg_state cur, verdict;
    int rc = msg_state(c, id, &cur, err);
    if (rc != 0 || !parts_verdict(c, id, &verdict) || verdict == cur)
        return rc;
    char detail[96];
    snprintf(detail, sizeof(detail), "part=%d err=%s", part, o->error ? o->error : "");
    return store_state_set(c, id, verdict, at, o->reason ? o->reason : "receipt", detail, err);
}

static int receipt_insert(struct store_conn *c, const struct store_outcome *o, int64_t id,
                          int64_t at, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_RECEIPT_INSERT);
    store_bind_text(st, 1, o->route);
    store_bind_text(st, 2, o->operator_id);
    sqlite3_bind_text(st, 3, msg_state_name(o->state), -1, SQLITE_STATIC);
    store_bind_text(st, 4, o->error);
    store_bind_text(st, 5, o->raw);
    if (id)
        sqlite3_bind_int64(st, 6, id);
    sqlite3_bind_int64(st, 7, at);
    return sqlite3_step(st) == SQLITE_DONE
               ? 0
               : store_db_err(c, err, "receipt", "cannot store receipt");
}

/* The message's state once a part changed: with one part, the part's own
 * (no need to read the parts back); else the verdict over all of them. */
static int message_verdict(struct store_conn *c, const struct store_outcome *o, int64_t id,
                           int part, int64_t at, struct rl_err *err)
{
    enum msg_state verdict = o->state;
    if (o->nparts != 1 && !parts_verdict(c, id, &verdict))
        return 0;
    char detail[96], line[STORE_HISTORY_LINE_MAX];
    const char *reason = o->reason ? o->reason : "receipt";
    snprintf(detail, sizeof(detail), "part=%d err=%s", part, o->error ? o->error : "");
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_VERDICT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, msg_state_name(verdict), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(st, 4, store_history_line(line, sizeof(line), at, verdict, reason, detail),
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "state", "cannot change state");
    return 0; /* no change: already in that state */
}

/* Applies receipt o to its part (o->message_id, o->part, o->nparts known):
 * one conditional update of that part, checked against the operator id,
 * then the message's state. Returns 1 when it applied, 0 when it changed
 * nothing (a repeat of the part's state, or the part is not that id's). */
static int receipt_to_part(struct store_conn *c, const struct store_outcome *o, int64_t at,
                           struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PART_RECEIPT);
    sqlite3_bind_int64(st, 1, o->message_id);
    sqlite3_bind_int(st, 2, o->part);
    sqlite3_bind_text(st, 3, msg_state_name(o->state), -1, SQLITE_STATIC);
    store_bind_text(st, 4, o->error);
    sqlite3_bind_int64(st, 5, at);
    store_bind_text(st, 6, o->route);
    store_bind_text(st, 7, o->operator_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "part", "cannot update part");
    if (sqlite3_changes(c->db) == 0)
        return 0;
    int rc = message_verdict(c, o, o->message_id, o->part, at, err);
    return rc ? rc : 1;
}

/* A receipt names (route, operator id). The connector usually still knows
 * its message and part, and the part is updated directly; otherwise the part
 * is found by its id. A matched receipt lives on in its part (state, error,
 * time); only one that matches no part yet (it overtook the submit_sm_resp
 * that told us the id, or it is for nothing we sent) is kept in receipts,
 * unmatched, until the ACCEPTED outcome applies it (apply_pending). */
static int apply_receipt(struct store_conn *c, const struct store_outcome *o, int64_t at,
                         struct rl_err *err)
{
    if (!o->route || !o->operator_id)
        return rl_err_set(err, RL_EINVAL, "operator_id", "a receipt needs a route and an id");
    if (o->message_id > 0 && o->part > 0) {
        int rc = receipt_to_part(c, o, at, err);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PART_FIND_RECEIPT);
    store_bind_text(st, 1, o->route);
    store_bind_text(st, 2, o->operator_id);
    struct store_outcome found = *o;
    bool hit = sqlite3_step(st) == SQLITE_ROW;
    if (hit) {
        found.message_id = sqlite3_column_int64(st, 0);
        found.part = sqlite3_column_int(st, 1);
        found.nparts = (size_t)sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    if (!hit)
        return receipt_insert(c, o, 0, at, err);
    int rc = receipt_to_part(c, &found, at, err);
    return rc < 0 ? rc : 0; /* 0 changed: a repeat of the part's state */
}

/* Applies receipts that came before the part's operator id was known: at
 * most a few per part (an SMSC repeats a receipt, it does not send dozens);
 * any beyond stay unmatched in the table, which loses no information. */
static int apply_pending(struct store_conn *c, int64_t id, int part, const char *route,
                         const char *opid, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_RECEIPT_PENDING);
    store_bind_text(st, 1, route);
    store_bind_text(st, 2, opid);
    struct pending {
        int64_t rid, at;
        enum msg_state state;
        char err[32];
    } p[4];
    size_t n = 0;
    while (n < 4 && sqlite3_step(st) == SQLITE_ROW) {
        p[n].rid = sqlite3_column_int64(st, 0);
        msg_state_parse((const char *)sqlite3_column_text(st, 1), &p[n].state, NULL);
        const char *e = (const char *)sqlite3_column_text(st, 2);
        snprintf(p[n].err, sizeof(p[n].err), "%s", e ? e : "");
        p[n++].at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct store_outcome o = {.kind = STORE_OUTCOME_RECEIPT,
                                  .state = p[i].state,
                                  .error = p[i].err[0] ? p[i].err : NULL};
        rc = part_receipt(c, id, part, "submitted", &o, p[i].at, err);
        st = store_stmt(c, STORE_ST_RECEIPT_MATCH);
        sqlite3_bind_int64(st, 1, p[i].rid);
        sqlite3_bind_int64(st, 2, id);
        if (rc == 0 && sqlite3_step(st) != SQLITE_DONE)
            rc = store_db_err(c, err, "receipt", "cannot match receipt");
    }
    return rc;
}

/* Reads why message id did not move: it is missing or in another state. */
static int not_moved(struct store_conn *c, int64_t id, struct rl_err *err)
{
    enum msg_state cur;
    int rc = msg_state(c, id, &cur, err);
    return rc ? rc
              : rl_err_set(err, RL_EINVAL, "state", "message %lld is %s", (long long)id,
                           msg_state_name(cur));
}

/* The state check and the move are one conditional update: a message that is
 * not submitting any more fails here, before anything is written. */
static int apply_accepted(struct store_conn *c, const struct store_outcome *o, int64_t at,
                          struct rl_err *err)
{
    if (o->nparts == 0 || !o->operator_ids || !o->route)
        return rl_err_set(err, RL_EINVAL, "operator_ids", "accepted needs a route and part ids");
    char detail[128], line[STORE_HISTORY_LINE_MAX];
    const char *reason = o->reason ? o->reason : "accepted";
    snprintf(detail, sizeof(detail), "parts=%zu%s%s", o->nparts, o->detail ? " " : "",
             o->detail ? o->detail : "");
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_ACCEPT);
    sqlite3_bind_int64(st, 1, o->message_id);
    store_bind_text(st, 2, o->route);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(
        st, 4, store_history_line(line, sizeof(line), at, MSG_STATE_SUBMITTED, reason, detail), -1,
        SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "state", "cannot change state");
    if (sqlite3_changes(c->db) == 0)
        return not_moved(c, o->message_id, err);
    for (size_t i = 0; i < o->nparts; i++) {
        st = store_stmt(c, STORE_ST_PART_UPSERT);
        sqlite3_bind_int64(st, 1, o->message_id);
        sqlite3_bind_int(st, 2, (int)i + 1);
        store_bind_text(st, 3, o->operator_ids[i]);
        store_bind_text(st, 4, o->route);
        sqlite3_bind_text(st, 5, "submitted", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, at);
        if (sqlite3_step(st) != SQLITE_DONE)
            return store_db_err(c, err, "operator_ids", "cannot record part");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < o->nparts; i++)
        rc = apply_pending(c, o->message_id, (int)i + 1, o->route, o->operator_ids[i], err);
    return rc;
}

static int refund(struct store_conn *c, const struct store_outcome *o, struct rl_err *err)
{
    if (o->refund <= 0)
        return 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_REFUND);
    sqlite3_bind_int64(st, 1, o->message_id);
    sqlite3_bind_int64(st, 2, o->refund);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : store_db_err(c, err, "refund", "cannot refund");
}

/* Which states each outcome may follow: a late or repeated outcome for a
 * message that has moved on fails alone rather than rewinding it. */
static bool outcome_allowed(enum store_outcome_kind k, enum msg_state cur)
{
    bool waiting = cur == MSG_STATE_QUEUED || cur == MSG_STATE_RETRYING ||
                   cur == MSG_STATE_SCHEDULED || cur == MSG_STATE_SUBMITTING;
    switch (k) {
    case STORE_OUTCOME_ACCEPTED:
    case STORE_OUTCOME_RETRY:
        return cur == MSG_STATE_SUBMITTING;
    case STORE_OUTCOME_FAILED:
        return waiting;
    case STORE_OUTCOME_EXPIRED:
        return waiting || cur == MSG_STATE_SUBMITTED;
    default:
        return true;
    }
}

/* A retrying event says when the next attempt is due: "next_at=<RFC 3339,
 * UTC, ms>" after the error, if any. */
static const char *retry_detail(char *out, size_t n, const char *error, int64_t retry_at)
{
    if (retry_at < 0)
        return error;
    char at[CLOCK_UTC_SIZE];
    clock_utc_format(retry_at, at);
    snprintf(out, n, "%s%snext_at=%s", error ? error : "", error && *error ? " " : "", at);
    return out;
}

static int apply_outcome(struct store_conn *c, const struct store_outcome *o, struct rl_err *err)
{
    int64_t at = o->at ? o->at : store_now_ms();
    if (o->kind == STORE_OUTCOME_RECEIPT)
        return apply_receipt(c, o, at, err);
    if (o->kind == STORE_OUTCOME_ACCEPTED)
        return apply_accepted(c, o, at, err);
    enum msg_state cur;
    int rc = msg_state(c, o->message_id, &cur, err);
    if (rc != 0)
        return rc;
    if (!outcome_allowed(o->kind, cur))
        return rl_err_set(err, RL_EINVAL, "state", "message %lld is %s", (long long)o->message_id,
                          msg_state_name(cur));
    switch (o->kind) {
    case STORE_OUTCOME_RETRY: {
        char line[STORE_HISTORY_LINE_MAX], detail[256];
        const char *reason = o->reason ? o->reason : "temporary_error";
        sqlite3_stmt *st = store_stmt(c, STORE_ST_MSG_RETRY);
        sqlite3_bind_int64(st, 1, o->message_id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sqlite3_bind_int64(st, 3, at);
        sqlite3_bind_text(
            st, 4,
            store_history_line(line, sizeof(line), at, MSG_STATE_RETRYING, reason,
                               retry_detail(detail, sizeof(detail), o->error, o->retry_at)),
            -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return store_db_err(c, err, "retry_at", "cannot schedule retry");
        return 0;
    }
    case STORE_OUTCOME_FAILED:
        if (o->state != MSG_STATE_FAILED && o->state != MSG_STATE_REJECTED &&
            o->state != MSG_STATE_UNKNOWN)
            return rl_err_set(err, RL_EINVAL, "state",
                              "a failure is failed, rejected or unknown, not %s",
                              msg_state_name(o->state));
        rc = store_state_set(c, o->message_id, o->state, at, o->reason ? o->reason : "error",
                             o->error, err);
        return rc ? rc : refund(c, o, err);
    default:
        rc = store_state_set(c, o->message_id, MSG_STATE_EXPIRED, at,
                             o->reason ? o->reason : "expired", o->error, err);
        return rc ? rc : refund(c, o, err);
    }
}

struct outcomes {
    const struct store_outcome *o;
    size_t n;
};

/* Each outcome in its own nested savepoint: one that does not apply is
 * undone alone and counted; the others stay in the batch. */
static int outcomes_careful(struct store_conn *c, struct store_op *op)
{
    const struct outcomes *a = op->arg;
    for (size_t i = 0; i < a->n; i++) {
        struct rl_err e = {0};
        if (store_exec(c, STORE_ST_SP_ITEM) != SQLITE_DONE)
            return store_db_err(c, &op->err, "store", "cannot open savepoint");
        int rc = apply_outcome(c, &a->o[i], &e);
        if (rc != 0) {
            store_exec(c, STORE_ST_UNDO_ITEM);
            if (op->res.failed++ == 0) {
                op->item_rc = rc;
                op->err = e;
            }
        }
        store_exec(c, STORE_ST_RELEASE_ITEM);
    }
    return 0;
}

/* Two savepoint statements an outcome cost as much as the outcome itself, and
 * almost every batch applies whole. So the batch runs first without them; at
 * the first outcome that fails, everything done so far is undone (to the
 * op's savepoint, which the writer opened) and the batch runs again the
 * careful way, each outcome alone. */
static int run_outcomes(struct store_conn *c, struct store_op *op)
{
    const struct outcomes *a = op->arg;
    for (size_t i = 0; i < a->n; i++) {
        struct rl_err e = {0};
        if (apply_outcome(c, &a->o[i], &e) != 0) {
            if (store_exec(c, STORE_ST_UNDO_OP) != SQLITE_DONE)
                return store_db_err(c, &op->err, "store", "cannot roll back");
            return outcomes_careful(c, op);
        }
    }
    return 0;
}

int store_outcomes_record(struct store *s, const struct store_outcome *o, size_t n,
                          struct store_result *r, struct rl_err *err)
{
    struct outcomes a = {o, n};
    struct store_op op = {.run = run_outcomes, .arg = &a, .bytes = 128 * n};
    int rc = store_writer_run(s, &op, err);
    if (r)
        *r = op.res;
    return rc;
}

/* One allocation for the copies: the outcomes, then their strings. */
static char *copy_str(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*p, s, n);
    *p += n;
    return d;
}

static size_t outcome_bytes(const struct store_outcome *o)
{
    size_t nids = o->operator_ids ? o->nparts : 0; /* a receipt has a count, no ids */
    size_t b = sizeof(*o) + nids * sizeof(char *);
    const char *strs[] = {o->route, o->error, o->operator_id, o->raw, o->reason, o->detail};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        b += strs[i] ? strlen(strs[i]) + 1 : 0;
    for (size_t i = 0; i < nids; i++)
        b += o->operator_ids[i] ? strlen(o->operator_ids[i]) + 1 : 0;
    return b;
}

static struct outcomes *outcomes_copy(const struct store_outcome *o, size_t n, size_t *bytes)
{
    size_t total = sizeof(struct outcomes);
    for (size_t i = 0; i < n; i++)
        total += outcome_bytes(&o[i]) + sizeof(void *);
    struct outcomes *a = xmalloc(total);
    struct store_outcome *copy = (struct store_outcome *)(a + 1);
    char *p = (char *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        copy[i] = o[i];
        if (o[i].nparts && o[i].operator_ids) {
            const char **ids = (const char **)(void *)p;
            p += o[i].nparts * sizeof(char *);
            copy[i].operator_ids = ids;
            for (size_t k = 0; k < o[i].nparts; k++)
                ids[k] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        copy[i].route = copy_str(&p, o[i].route);
        copy[i].error = copy_str(&p, o[i].error);
        copy[i].operator_id = copy_str(&p, o[i].operator_id);
        copy[i].raw = copy_str(&p, o[i].raw);
        copy[i].reason = copy_str(&p, o[i].reason);
        copy[i].detail = copy_str(&p, o[i].detail);
        for (size_t k = 0; o[i].operator_ids && k < o[i].nparts; k++)
            ((const char **)copy[i].operator_ids)[k] = copy_str(&p, o[i].operator_ids[k]);
    }
    a->o = copy;
    a->n = n;
    *bytes = total;
    return a;
}

/* A heap op recording copies of o[0..n); taken by the writer once queued. */
static struct store_op *outcomes_op(const struct store_outcome *o, size_t n, store_done_fn done,
                                    void *ctx)
{
    struct store_op *op = xcalloc(1, sizeof(*op));
    op->arg = outcomes_copy(o, n, &op->bytes);
    op->run = run_outcomes;
    op->free_arg = free;
    op->done = done;
    op->ctx = ctx;
    return op;
}

static int outcomes_submit(struct store *s, const struct store_outcome *o, size_t n,
                           store_done_fn done, void *ctx, bool try_only)
{
    return store_writer_submit(s, outcomes_op(o, n, done, ctx), try_only);
}

int store_outcomes_submit_journaled(struct store *s, const struct store_outcome *o, size_t n,
                                    uint64_t ticket, bool try_only, store_done_fn done, void *ctx)
{
    struct store_op *op = outcomes_op(o, n, done, ctx);
    if (!store_journal_active(s))
        return store_writer_submit(s, op, try_only);
    size_t len;
    uint8_t *body = store_jrec_outcomes(o, n, store_now_ms(), &len);
    int rc = store_journal_submit(s, op, STORE_JREC_OUTCOMES, body, len, ticket, try_only);
    free(body);
    return rc;
}

int store_outcomes_record_seq(struct store *s, const struct store_outcome *o, size_t n,
                              uint64_t seq, struct store_result *r, struct rl_err *err)
{
    struct outcomes a = {o, n};
    struct store_op op = {.run = run_outcomes, .arg = &a, .bytes = 128 * n, .jseq = seq};
    int rc = store_writer_run(s, &op, err);
    if (r)
        *r = op.res;
    return rc;
}

int store_outcomes_submit(struct store *s, const struct store_outcome *o, size_t n,
                          store_done_fn done, void *ctx)
{
    return outcomes_submit(s, o, n, done, ctx, false);
}

int store_outcomes_try_submit(struct store *s, const struct store_outcome *o, size_t n,
                              store_done_fn done, void *ctx)
{
    return outcomes_submit(s, o, n, done, ctx, true);
}

int store_part_find(struct store *s, const char *route, const char *operator_id,
                    int64_t *message_id, int *part)
{
    struct store_conn *c = store_reader_get(s, NULL);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_PART_FIND);
    store_bind_text(st, 1, route ? route : "");
    store_bind_text(st, 2, operator_id ? operator_id : "");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (message_id)
            *message_id = sqlite3_column_int64(st, 0);
        if (part)
            *part = sqlite3_column_int(st, 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? RL_ENOTFOUND : RL_EIO;
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

/* --- inbound ------------------------------------------------------------------- */

static int run_inbound(struct store_conn *c, struct store_op *op)
{
    const struct store_inbound *in = op->arg;
    if (!in->route || !in->from || !in->to || !in->text)
        return rl_err_set(&op->err, RL_EINVAL, "inbound", "route, from, to and text are needed");
    sqlite3_stmt *st = store_stmt(c, STORE_ST_INBOUND_INSERT);
    sqlite3_bind_text(st, 1, in->route, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, in->to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, in->parts > 0 ? in->parts : 1);
    sqlite3_bind_int64(st, 6, in->at ? in->at : store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "inbound", "cannot store inbound message");
    op->res.id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_inbound_insert(struct store *s, const struct store_inbound *in, int64_t *id,
                         struct rl_err *err)
{
    struct store_op op = {.run = run_inbound, .arg = (void *)in, .bytes = 256, .jseq = in->jseq};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && id)
        *id = op.res.id;
    return rc;
}

struct inbound_copy {
    struct store_inbound in;
    char *strs[4];
};

static void inbound_free(void *arg)
{
    struct inbound_copy *c = arg;
    for (int i = 0; i < 4; i++)
        free(c->strs[i]);
    free(c);
}

int store_inbound_submit(struct store *s, const struct store_inbound *in, bool try_only,
                         store_done_fn done, void *ctx)
{
    struct inbound_copy *cp = xcalloc(1, sizeof(*cp));
    cp->in = *in;
    const char *src[4] = {in->route, in->from, in->to, in->text};
    for (int i = 0; i < 4; i++)
        cp->strs[i] = src[i] ? xstrdup(src[i]) : NULL;
    cp->in.route = cp->strs[0];
    cp->in.from = cp->strs[1];
    cp->in.to = cp->strs[2];
    cp->in.text = cp->strs[3];
    struct store_op *op = xcalloc(1, sizeof(*op));
    op->run = run_inbound;
    op->arg = cp;
    op->bytes = 256 + (in->text ? strlen(in->text) : 0);
    op->free_arg = inbound_free;
    op->done = done;
    op->ctx = ctx;
    return store_inbound_op_submit(s, op, in, try_only);
}

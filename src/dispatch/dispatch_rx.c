/* The dispatcher's receiving side: what the connectors report, turned into
 * store outcomes. A message is tracked here from its submission until every
 * part has an answer; then one outcome says what became of it (accepted,
 * retrying, expired, failed) and it is forgotten: receipts are matched by the
 * store on (route, operator id), so nothing here waits for them. Outcomes
 * collected during one loop iteration are written with one
 * store_outcomes_try_submit (group commit does the rest). */
#include "dispatch/dispatch_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "domain/msgstate.h"
#include "smpp/smpp_reasm.h"
#include "core/banned.h"

#define OUTBOX_CHUNK 1000 /* outcomes per store operation */
#define OUTBOX_SOFT  8192 /* past it, a full writer queue blocks the loop (backpressure) */

int64_t dsp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the in-flight table ------------------------------------------------------ */

static size_t slot_of(const struct dispatch *d, int64_t id)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 17) & (d->fl_cap - 1);
}

void dsp_flight_init(struct dispatch *d, size_t max)
{
    d->fl_cap = 16;
    while (d->fl_cap < max * 2)
        d->fl_cap *= 2;
    d->fl = xcalloc(d->fl_cap, sizeof(*d->fl));
    d->fl_n = 0;
}

static void flight_clear(struct dsp_flight *f)
{
    for (unsigned i = 0; f->opids && i < f->nparts; i++)
        free(f->opids[i]);
    free(f->opids);
    memset(f, 0, sizeof(*f));
}

void dsp_flight_release(struct dispatch *d)
{
    for (size_t i = 0; d->fl && i < d->fl_cap; i++)
        if (d->fl[i].id)
            flight_clear(&d->fl[i]);
    free(d->fl);
    d->fl = NULL;
    d->fl_n = 0;
}

/* Returns a zeroed slot keyed id; the caller keeps fl_n below half of fl_cap. */
struct dsp_flight *dsp_flight_add(struct dispatch *d, int64_t id)
{
    size_t i = slot_of(d, id);
    while (d->fl[i].id)
        i = (i + 1) & (d->fl_cap - 1);
    d->fl[i].id = id;
    d->fl_n++;
    return &d->fl[i];
}

static struct dsp_flight *flight_find(struct dispatch *d, int64_t id)
{
    for (size_t i = slot_of(d, id); d->fl[i].id; i = (i + 1) & (d->fl_cap - 1))
        if (d->fl[i].id == id)
            return &d->fl[i];
    return NULL;
}

/* Removes f, shifting back the entries of its probe run (no tombstones). */
static void flight_remove(struct dispatch *d, struct dsp_flight *f)
{
    size_t mask = d->fl_cap - 1, i = (size_t)(f - d->fl);
    flight_clear(f);
    d->fl_n--;
    for (size_t j = (i + 1) & mask; d->fl[j].id; j = (j + 1) & mask) {
        size_t home = slot_of(d, d->fl[j].id);
        /* j's entry may fill the hole at i when its home is not in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            d->fl[i] = d->fl[j];
            memset(&d->fl[j], 0, sizeof(d->fl[j]));
            i = j;
        }
    }
}

void dsp_flight_requeue_all(struct dispatch *d, const char *reason)
{
    int64_t now = dsp_now_ms();
    for (size_t i = 0; i < d->fl_cap; i++) {
        struct dsp_flight *f = &d->fl[i];
        if (f->id)
            dsp_requeue(d, f->id, f->cost, now, f->valid_until, reason, NULL);
    }
    for (size_t i = 0; i < d->fl_cap; i++)
        if (d->fl[i].id)
            flight_clear(&d->fl[i]);
    d->fl_n = 0;
}

/* --- the outcome batch ---------------------------------------------------------- */

static const char *own_str(struct dispatch *d, const char *s)
{
    if (!s)
        return NULL;
    if (d->own_n == d->own_cap) {
        d->own_cap = d->own_cap ? d->own_cap * 2 : 256;
        d->own = xrealloc(d->own, d->own_cap * sizeof(*d->own));
    }
    char *c = xstrdup(s);
    d->own[d->own_n++] = c;
    return c;
}

void dsp_outcome_push(struct dispatch *d, const struct store_outcome *o)
{
    if (d->out_n == d->out_cap) {
        d->out_cap = d->out_cap ? d->out_cap * 2 : 256;
        d->out = xrealloc(d->out, d->out_cap * sizeof(*d->out));
    }
    struct store_outcome *c = &d->out[d->out_n++];
    *c = *o;
    c->route = own_str(d, o->route);
    c->error = own_str(d, o->error);
    c->operator_id = own_str(d, o->operator_id);
    c->raw = own_str(d, o->raw);
    c->reason = own_str(d, o->reason);
    c->detail = own_str(d, o->detail);
    if (o->nparts && o->operator_ids) {
        const char **ids = xcalloc(o->nparts, sizeof(*ids));
        for (size_t i = 0; i < o->nparts; i++)
            ids[i] = own_str(d, o->operator_ids[i]);
        if (d->own_n == d->own_cap) {
            d->own_cap *= 2;
            d->own = xrealloc(d->own, d->own_cap * sizeof(*d->own));
        }
        d->own[d->own_n++] = (void *)ids;
        c->operator_ids = ids;
    }
}

/* One store operation (outcomes, or an inbound message), for its completion
 * to count it off and release what its commit covers. */
struct chunk {
    struct dsp_shared *sh;
    size_t n;     /* outcomes in it that settle a claimed message (not receipts) */
    uint64_t gen; /* its ticket */
};

/* On the store's writer thread, after the commit: counts, and lets
 * dispatch_stop and the ack barrier know. The wake-up is sent under the lock
 * so that the loop cannot close the handle in between. */
static void chunk_done(struct chunk *c, size_t failed)
{
    struct dsp_shared *sh = c->sh;
    pthread_mutex_lock(&sh->mu);
    sh->store_errors += failed;
    sh->unstored -= c->n;
    if (c->gen > sh->done_gen)
        sh->done_gen = c->gen;
    if (sh->acks_open)
        uv_async_send(sh->acks_async);
    if (--sh->pending == 0)
        pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&sh->mu);
    free(c);
}

static void outcomes_done(void *ctx, const struct store_result *r)
{
    if (r->rc != 0 || r->failed)
        log_warn("dispatch", "outcomes_refused", "failed=%zu err=%s", r->failed, rl_errname(r->rc));
    chunk_done(ctx, r->failed);
}

/* A new chunk of n outcomes, counted as pending, with the next ticket. */
static struct chunk *pending_add(struct dispatch *d, size_t n)
{
    struct chunk *c = xmalloc(sizeof(*c));
    pthread_mutex_lock(&d->sh.mu);
    d->sh.pending++;
    d->sh.unstored += n;
    *c = (struct chunk){&d->sh, n, ++d->sh.submitted_gen};
    pthread_mutex_unlock(&d->sh.mu);
    return c;
}

/* The chunk just added was not submitted. Only the loop's thread adds, so
 * its ticket is still the last one given: it is taken back. */
static void pending_cancel(struct dispatch *d, struct chunk *c)
{
    pthread_mutex_lock(&d->sh.mu);
    d->sh.pending--;
    d->sh.unstored -= c->n;
    d->sh.submitted_gen--;
    pthread_mutex_unlock(&d->sh.mu);
    free(c);
}

/* The last ticket whose resps may go: committed by the writer, or held by
 * the journal (which writes in ticket order, so everything before is too). */
static uint64_t durable_upto(const struct dsp_shared *sh)
{
    return sh->durable_gen > sh->done_gen ? sh->durable_gen : sh->done_gen;
}

void dsp_on_durable(void *ud, uint64_t ticket)
{
    struct dispatch *d = ud;
    pthread_mutex_lock(&d->sh.mu);
    if (ticket > d->sh.durable_gen)
        d->sh.durable_gen = ticket;
    if (d->sh.acks_open)
        uv_async_send(d->sh.acks_async);
    pthread_mutex_unlock(&d->sh.mu);
}

void dsp_on_commits(uv_async_t *a)
{
    struct dispatch *d = a->data;
    pthread_mutex_lock(&d->sh.mu);
    uint64_t done = durable_upto(&d->sh);
    pthread_mutex_unlock(&d->sh.mu);
    for (size_t i = 0; i < d->nroutes; i++)
        smpp_session_acks_release(d->routes[i].s, done);
}

/* Outcomes of o[0..n) that settle a message claimed for sending: until they
 * are committed, a kill -9 would send that message again. A receipt is not
 * one (its message was already settled as submitted), so it does not count
 * against the in-flight budget. */
static size_t at_risk(const struct store_outcome *o, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += o[i].kind != STORE_OUTCOME_RECEIPT;
    return k;
}

size_t dsp_unstored(struct dispatch *d)
{
    pthread_mutex_lock(&d->sh.mu);
    size_t n = d->sh.unstored;
    pthread_mutex_unlock(&d->sh.mu);
    return n + at_risk(d->out, d->out_n);
}

static void outbox_drop_front(struct dispatch *d, size_t n)
{
    memmove(d->out, d->out + n, (d->out_n - n) * sizeof(*d->out));
    d->out_n -= n;
}

void dsp_outbox_flush(struct dispatch *d, bool force)
{
    size_t sent = 0;
    while (sent < d->out_n) {
        size_t n = d->out_n - sent < OUTBOX_CHUNK ? d->out_n - sent : OUTBOX_CHUNK;
        struct chunk *c = pending_add(d, at_risk(d->out + sent, n));
        int rc = store_outcomes_submit_journaled(d->store, d->out + sent, n, c->gen, true,
                                                 outcomes_done, c);
        if (rc == -EBUSY && (force || d->out_n > OUTBOX_SOFT))
            rc = store_outcomes_submit_journaled(d->store, d->out + sent, n, c->gen, false,
                                                 outcomes_done, c);
        if (rc != 0) {
            pending_cancel(d, c);
            if (rc != -EBUSY)
                log_error("dispatch", "outcomes_not_written", "n=%zu err=%s", n, rl_errname(rc));
            if (rc == -EBUSY)
                break; /* kept for the next iteration */
        }
        sent += n;
    }
    if (sent < d->out_n) {
        outbox_drop_front(d, sent);
        return; /* the strings stay owned until everything is sent */
    }
    d->out_n = 0;
    for (size_t i = 0; i < d->own_n; i++)
        free(d->own[i]);
    d->own_n = 0;
}

void dsp_outbox_release(struct dispatch *d)
{
    for (size_t i = 0; i < d->own_n; i++)
        free(d->own[i]);
    free(d->own);
    free(d->out);
    d->own = NULL;
    d->out = NULL;
    d->own_n = d->own_cap = d->out_n = d->out_cap = 0;
}

void dsp_requeue(struct dispatch *d, int64_t id, int64_t cost, int64_t at, int64_t valid_until,
                 const char *reason, const char *error)
{
    struct store_outcome o = {.message_id = id, .error = error};
    if (at > valid_until) {
        o.kind = STORE_OUTCOME_EXPIRED;
        o.refund = cost;
        o.reason = MSG_REASON_VALIDITY;
        o.error = reason;
        d->st.expired++;
    } else {
        o.kind = STORE_OUTCOME_RETRY;
        o.retry_at = at;
        o.reason = reason;
        d->st.retried++;
    }
    dsp_outcome_push(d, &o);
}

void dsp_fail(struct dispatch *d, int64_t id, enum msg_state state, int64_t refund,
              const char *reason, const char *error)
{
    struct store_outcome o = {.kind = STORE_OUTCOME_FAILED,
                              .message_id = id,
                              .state = state,
                              .refund = refund,
                              .reason = reason,
                              .error = error};
    if (state == MSG_STATE_REJECTED)
        d->st.rejected++;
    else
        d->st.failed++;
    dsp_outcome_push(d, &o);
}

/* --- what the connectors say ------------------------------------------------------ */

static void on_state(void *ud, const struct smpp_session_event *ev)
{
    struct dsp_route *r = ud;
    struct dispatch *d = r->d;
    bool was = d->up[r->idx];
    d->up[r->idx] = ev->up;
    if (was != ev->up)
        log_info("dispatch", ev->up ? "route_up" : "route_down", "route=%s reason=%s", r->name,
                 ev->reason);
    if (strcmp(ev->reason, "stopped") == 0) {
        r->stopped = true;
        dsp_maybe_finish(d);
    }
}

static void accepted_outcome(struct dispatch *d, struct dsp_flight *f)
{
    char detail[64] = "";
    if (f->throttled)
        snprintf(detail, sizeof(detail), "throttled=%u (sent again after the SMSC's pause)",
                 f->throttled);
    struct store_outcome o = {.kind = STORE_OUTCOME_ACCEPTED,
                              .detail = detail[0] ? detail : NULL,
                              .message_id = f->id,
                              .route = d->routes[f->route].name,
                              .operator_ids = (const char *const *)f->opids,
                              .nparts = f->nparts,
                              .reason = f->resent ? MSG_REASON_DUPLICATE : NULL};
    d->st.accepted++;
    dsp_outcome_push(d, &o);
}

/* Every part answered, at least one refused: the retry policy decides. */
static void failed_outcome(struct dispatch *d, struct dsp_flight *f)
{
    char why[64];
    msgstate_reason_smpp_fail(f->fail_status, f->fail_kind, why, sizeof(why));
    if (f->naccepted) {
        /* Resending would repeat the parts that went: fail it as it stands. */
        char detail[96];
        snprintf(detail, sizeof(detail), "%s accepted=%u/%u", why, f->naccepted, f->nparts);
        dsp_fail(d, f->id, MSG_STATE_FAILED, 0, "partly_refused", detail);
        return;
    }
    int64_t now = dsp_now_ms();
    if (f->fail_kind == SMPP_FAIL_STOPPED && d->stopping) {
        /* Our stop, not the message's fault: due again at the next start. */
        dsp_requeue(d, f->id, f->cost, now, f->valid_until, why, NULL);
        return;
    }
    enum retry_class c = retry_class_of_fail(f->fail_status, f->fail_kind);
    struct retry_decision v =
        retry_decide(&d->policy, c, f->attempts, now, f->valid_until, (uint64_t)f->id);
    switch (v.verdict) {
    case RETRY_VERDICT_RETRY:
        dsp_requeue(d, f->id, f->cost, v.at_ms, f->valid_until, why, retry_class_name(c));
        break;
    case RETRY_VERDICT_EXPIRED:
        dsp_requeue(d, f->id, f->cost, INT64_MAX, f->valid_until, why, NULL);
        break;
    case RETRY_VERDICT_FAIL:
        dsp_fail(d, f->id, MSG_STATE_FAILED, f->cost, why, NULL);
        break;
    case RETRY_VERDICT_UNKNOWN:
        /* It may have gone: never resent, not refunded; unknown, and a
         * receipt may still settle it (unknown → delivered is allowed). */
        dsp_fail(d, f->id, MSG_STATE_UNKNOWN, 0, why, "may_have_been_sent");
        break;
    }
}

static void part_answered(struct dispatch *d, struct dsp_flight *f)
{
    if (f->naccepted + f->nfailed < f->nparts)
        return;
    if (f->nfailed == 0)
        accepted_outcome(d, f);
    else
        failed_outcome(d, f);
    flight_remove(d, f);
}

static struct dsp_flight *flight_part(struct dispatch *d, uint64_t ref, unsigned part)
{
    struct dsp_flight *f = ref ? flight_find(d, (int64_t)ref) : NULL;
    if (!f || part >= f->nparts) {
        log_warn("dispatch", "answer_unmatched", "msg_id=%llu part=%u", (unsigned long long)ref,
                 part + 1);
        return NULL;
    }
    return f;
}

static void on_accepted(void *ud, uint64_t ref, unsigned part, const char *message_id,
                        unsigned attempts)
{
    struct dsp_route *r = ud;
    struct dsp_flight *f = flight_part(r->d, ref, part);
    if (!f || f->opids[part])
        return;
    char key[SMPP_MESSAGE_ID_SIZE];
    if (smpp_id_key(message_id, r->id_mode, false, key) != 0)
        snprintf(key, sizeof(key), "%s", message_id);
    f->opids[part] = xstrdup(key);
    f->naccepted++;
    f->resent = f->resent || attempts > 1;
    part_answered(r->d, f);
}

static void on_throttled(void *ud, uint64_t ref, unsigned part, uint32_t status)
{
    struct dsp_route *r = ud;
    struct dsp_flight *f = flight_part(r->d, ref, part);
    (void)status;
    if (f)
        f->throttled++;
}

static void on_failed(void *ud, uint64_t ref, unsigned part, uint32_t status,
                      enum smpp_fail_kind kind)
{
    struct dsp_route *r = ud;
    struct dsp_flight *f = flight_part(r->d, ref, part);
    if (!f)
        return;
    /* A refusal says more than a stop or a timeout: it wins. */
    if (!f->failed_set || (kind == SMPP_FAIL_PERMANENT && f->fail_kind != SMPP_FAIL_PERMANENT)) {
        f->failed_set = true;
        f->fail_status = status;
        f->fail_kind = kind;
    }
    f->nfailed++;
    part_answered(r->d, f);
}

static bool receipt_state(enum smpp_dlr_state s, enum msg_state *out)
{
    switch (s) {
    case SMPP_DLR_DELIVERED:
        *out = MSG_STATE_DELIVERED;
        return true;
    case SMPP_DLR_EXPIRED:
        *out = MSG_STATE_EXPIRED;
        return true;
    case SMPP_DLR_DELETED:
    case SMPP_DLR_UNDELIVERABLE:
        *out = MSG_STATE_FAILED;
        return true;
    case SMPP_DLR_REJECTED:
        *out = MSG_STATE_REJECTED;
        return true;
    case SMPP_DLR_UNKNOWN:
        *out = MSG_STATE_UNKNOWN;
        return true;
    default:
        return false; /* enroute, accepted: not final, nothing to record */
    }
}

static void on_receipt(void *ud, uint64_t ref, unsigned part, unsigned nparts,
                       const struct smpp_receipt *rc)
{
    struct dsp_route *r = ud;
    enum msg_state st;
    if (!receipt_state(rc->state, &st))
        return;
    char key[SMPP_MESSAGE_ID_SIZE], reason[64], code[16];
    if (smpp_id_key(rc->id, r->id_mode, true, key) != 0)
        snprintf(key, sizeof(key), "%s", rc->id);
    msgstate_reason_receipt(rc, reason, sizeof(reason));
    snprintf(code, sizeof(code), "%03d", rc->err);
    /* The message and part when the connector still knew them: the store
     * then updates that part directly instead of looking the id up. */
    struct store_outcome o = {.kind = STORE_OUTCOME_RECEIPT,
                              .message_id = (int64_t)ref,
                              .part = ref ? (int)part + 1 : 0,
                              .nparts = ref ? nparts : 0,
                              .route = r->name,
                              .operator_id = key,
                              .state = st,
                              .error = rc->err >= 0 ? code : NULL,
                              .reason = reason};
    r->d->st.receipts++;
    dsp_outcome_push(r->d, &o);
}

static void on_message_done(void *ud, uint64_t ref, enum smpp_msg_result result, unsigned delivered,
                            unsigned parts)
{
    struct dsp_route *r = ud;
    log_debug("dispatch", "message_done", "route=%s msg_id=%llu result=%s delivered=%u parts=%u",
              r->name, (unsigned long long)ref, smpp_msg_result_name(result), delivered, parts);
}

static void inbound_done(void *ctx, const struct store_result *res)
{
    if (res->rc != 0)
        log_error("dispatch", "inbound_not_stored", "err=%s", rl_errname(res->rc));
    chunk_done(ctx, res->rc != 0);
}

/* Every inbound message is stored as it came; the inbound hook adds what it
 * implies (a STOP's opt-out) to the same commit. */
static void on_inbound(void *ud, const struct smpp_mo *mo)
{
    struct dsp_route *r = ud;
    struct dispatch *d = r->d;
    struct store_inbound in = {.route = r->name,
                               .from = mo->source_addr,
                               .to = mo->destination_addr,
                               .text = mo->text ? mo->text : "",
                               .parts = (int)mo->received,
                               .journal = true};
    struct chunk *c = pending_add(d, 0);
    in.ticket = c->gen;
    /* Blocking when the writer's queue is full holds the deliver_sm_resp
     * back: the SMSC keeps the message rather than us losing it. */
    int rc = d->o.inbound ? d->o.inbound(d->o.inbound_ud, &in, inbound_done, c)
                          : store_inbound_submit(d->store, &in, false, inbound_done, c);
    if (rc != 0) {
        pending_cancel(d, c);
        log_error("dispatch", "inbound_not_stored", "route=%s err=%s", r->name, rl_errname(rc));
        return;
    }
    d->st.inbound++;
}

/* Before the connector answers this iteration's deliver_sm: receipts (in the
 * outbox) and inbound messages (already handed to the store) are committed
 * first, so that an acknowledged receipt or reply survives a kill -9. The
 * loop does not wait for that commit: the resps wait, under the ticket of the
 * last operation handed to the store, and dsp_on_commits sends them. */
static uint64_t on_ack_barrier(void *ud)
{
    struct dsp_route *r = ud;
    struct dispatch *d = r->d;
    dsp_outbox_flush(d, true);
    pthread_mutex_lock(&d->sh.mu);
    uint64_t ticket = d->sh.submitted_gen, done = durable_upto(&d->sh);
    pthread_mutex_unlock(&d->sh.mu);
    return done >= ticket ? 0 : ticket;
}

const struct smpp_session_cbs dsp_session_cbs = {
    .on_state = on_state,
    .on_accepted = on_accepted,
    .on_failed = on_failed,
    .on_receipt = on_receipt,
    .on_message_done = on_message_done,
    .on_inbound = on_inbound,
    .on_ack_barrier = on_ack_barrier,
    .on_throttled = on_throttled,
};

/* --- replaying the receive journal ------------------------------------------------ */

struct replay_wait {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
    int rc;
};

static void replay_done(void *ctx, const struct store_result *r)
{
    struct replay_wait *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->done = true;
    w->rc = r->rc;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

/* An outcome that no longer applies (its message moved on) fails alone, as it
 * would have then; only a store that cannot write stops the replay. */
int dispatch_replay(void *ud, const struct store_jrec *r)
{
    const struct dispatch_replay *rp = ud;
    struct rl_err err = {0};
    if (r->kind == STORE_JREC_OUTCOMES) {
        struct store_result res = {0};
        int rc = store_outcomes_record_seq(rp->store, r->o, r->n, r->seq, &res, &err);
        if (rc != 0 && res.failed == 0)
            return rc;
        if (res.failed)
            log_info("dispatch", "replay_outcomes_skipped", "seq=%llu failed=%zu first=\"%s\"",
                     (unsigned long long)r->seq, res.failed, err.msg);
        return 0;
    }
    struct replay_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    int rc = rp->inbound ? rp->inbound(rp->inbound_ud, r->in, replay_done, &w)
                         : store_inbound_submit(rp->store, r->in, false, replay_done, &w);
    if (rc == 0) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cond, &w.mu);
        pthread_mutex_unlock(&w.mu);
        rc = w.rc == RL_EIO ? RL_EIO : 0;
    }
    return rc;
}

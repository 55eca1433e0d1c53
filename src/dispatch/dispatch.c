/* The dispatcher's sending side and lifecycle: the thread and its loop, the
 * claim timer, the send-time checks, route choice and submission, the stop. */
#include "dispatch/dispatch_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "domain/billing.h"
#include "domain/msgstate.h"
#include "text/sender.h"
#include "core/banned.h"

#define BATCH_DEFAULT    500
#define INFLIGHT_DEFAULT 1000
#define TICK_DEFAULT     20
#define REQUEUE_DEFAULT  5000
#define STOP_DEFAULT     15000
#define CREDIT_CACHE     64
#define HELD_MS          2000 /* accounts whose balance one claim remembers */

bool dispatch_consent_none(void *ud, int64_t account_id, const char *to)
{
    (void)ud;
    (void)account_id;
    (void)to;
    return false;
}

/* --- the send-time checks, on the thread pool ------------------------------------ */

/* The end of m's validity: its own, else dispatch.validity from when it was
 * due (its scheduled time on a first attempt; after a retry the row's
 * scheduled_for is the retry's time, so its creation). */
static int64_t valid_until(const struct dispatch *d, const struct store_message *m)
{
    if (m->validity_until > 0)
        return m->validity_until;
    int64_t due = m->attempts <= 1 && m->scheduled_for > 0 ? m->scheduled_for : m->created_at;
    return retry_valid_until(due, d->validity_ms);
}

struct credit {
    int64_t account, balance;
    bool known;
};

/* The cost was debited when the message was written (store_message_insert
 * refuses it without the credit unless allow_negative), so nothing is debited
 * here. A message written into an overdraft (allow_negative) is refused while
 * its account is below zero, and refunded, which pays the overdraft back. */
static bool credit_refused(struct dispatch *d, struct credit *cache, size_t *ncache,
                           const struct store_message *m)
{
    if (m->cost <= 0)
        return false;
    size_t i = 0;
    while (i < *ncache && cache[i].account != m->account_id)
        i++;
    if (i == *ncache) {
        if (i == CREDIT_CACHE)
            i = 0; /* rare: more accounts than slots in one batch; reuse the first */
        else
            (*ncache)++;
        struct store_account a;
        cache[i].account = m->account_id;
        cache[i].known = store_account_get(d->store, m->account_id, &a, NULL) == 0;
        cache[i].balance = cache[i].known ? a.balance : 0;
    }
    if (!cache[i].known || cache[i].balance >= 0)
        return false;
    cache[i].balance += m->cost;
    return true;
}

/* The timing rules and the message's campaign (paused, cancelled, its
 * category's consent): see campaign.h's gate. */
static enum dsp_verdict gate_verdict(struct dispatch *d, size_t i, int64_t now, int64_t until,
                                     size_t *held)
{
    switch (campaign_gate_check(d->gate, i, now, until)) {
    case CAMPAIGN_GATE_EXPIRE:
        return DSP_EXPIRE;
    case CAMPAIGN_GATE_REFUSE:
        return DSP_OPTED_OUT;
    case CAMPAIGN_GATE_HELD:
        (*held)++;
        return DSP_DEFER;
    default:
        return DSP_SEND;
    }
}

static void claim_work(uv_work_t *req)
{
    struct dsp_claim *c = req->data;
    struct dispatch *d = c->d;
    struct credit cache[CREDIT_CACHE];
    size_t ncache = 0;
    c->now = dsp_now_ms();
    c->rc = store_claim_due(d->store, c->now, c->limit, c->msgs, &c->n, &c->err);
    if (c->rc != 0 || c->n == 0)
        return;
    campaign_gate_begin(d->gate, d->store, c->msgs, c->n);
    size_t held = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct store_message *m = &c->msgs[i];
        c->valid_until[i] = valid_until(d, m);
        if (c->now > c->valid_until[i])
            c->verdict[i] = DSP_EXPIRE;
        else if (m->category == MSG_CATEGORY_MARKETING &&
                 d->o.opted_out(d->o.consent_ud, m->account_id, m->to))
            c->verdict[i] = DSP_OPTED_OUT;
        else if (credit_refused(d, cache, &ncache, m))
            c->verdict[i] = DSP_NO_CREDIT;
        else
            c->verdict[i] = gate_verdict(d, i, c->now, c->valid_until[i], &held);
    }
    /* Deferred, parked or cancelled before claim_after runs: not an attempt,
     * and their next claim sees them at their new time. */
    struct rl_err err = {0};
    if (held)
        campaign_gate_commit(d->gate, &err);
}

/* --- submission, on the loop ------------------------------------------------------ */

static int route_by_name(const struct dispatch *d, const char *name)
{
    for (size_t i = 0; i < d->nroutes; i++)
        if (strcmp(d->routes[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Fills cand with the routes to try for m, best first; returns how many, or
 * 0 after queueing m's outcome (no route, all down, bad number). */
static size_t candidates(struct dispatch *d, const struct store_message *m, int64_t until,
                         size_t *cand)
{
    struct rl_err err = {0};
    int64_t later = dsp_now_ms() + d->o.requeue_ms;
    if (m->route && m->route[0]) {
        int i = route_by_name(d, m->route);
        if (i < 0)
            dsp_fail(d, m->id, MSG_STATE_REJECTED, m->cost, MSG_REASON_NO_ROUTE, m->route);
        else if (!d->up[i])
            dsp_requeue(d, m->id, m->cost, later, until, MSG_REASON_ROUTES_DOWN, m->route);
        else
            cand[0] = (size_t)i;
        return i >= 0 && d->up[i] ? 1 : 0;
    }
    int n = route_table_pick(&d->table, m->to, d->up, cand, d->nroutes, &err);
    if (n > 0)
        return (size_t)n;
    if (n == -EAGAIN)
        dsp_requeue(d, m->id, m->cost, later, until, MSG_REASON_ROUTES_DOWN, err.msg);
    else if (n == RL_ENOTFOUND)
        dsp_fail(d, m->id, MSG_STATE_REJECTED, m->cost, MSG_REASON_NO_ROUTE, err.msg);
    else
        dsp_fail(d, m->id, MSG_STATE_REJECTED, m->cost, "invalid_number", err.msg);
    return 0;
}

static void submit_one(struct dispatch *d, const struct store_message *m, int64_t until)
{
    size_t cand[CFG_ROUTES_MAX];
    size_t n = candidates(d, m, until, cand);
    for (size_t k = 0; k < n; k++) {
        struct dsp_route *r = &d->routes[cand[k]];
        struct rl_err err = {0};
        const char *from = m->from && *m->from ? m->from : r->default_sender;
        int rc = smpp_session_submit(r->s, (uint64_t)m->id, from, m->to, m->text ? m->text : "",
                                     NULL, &err);
        if (rc == -EAGAIN || rc == -ESHUTDOWN)
            continue; /* this route's queue is full: the next one */
        if (rc <= 0) {
            dsp_fail(d, m->id, MSG_STATE_FAILED, m->cost, rl_errname(rc), err.msg);
            return;
        }
        struct dsp_flight *f = dsp_flight_add(d, m->id);
        f->cost = m->cost;
        f->valid_until = until;
        f->attempts = m->attempts > 0 ? (unsigned)m->attempts : 1;
        f->route = (unsigned)cand[k];
        f->nparts = (unsigned)rc;
        f->opids = xcalloc((size_t)rc, sizeof(*f->opids));
        d->st.submitted++;
        return;
    }
    if (n > 0)
        dsp_requeue(d, m->id, m->cost, dsp_now_ms() + d->o.requeue_ms, until, "queue_full", NULL);
}

static void claim_apply(struct dispatch *d, struct dsp_claim *c, size_t i)
{
    const struct store_message *m = &c->msgs[i];
    const char *gate_why, *detail;
    switch (c->verdict[i]) {
    case DSP_EXPIRE:
        if (campaign_gate_expiry(d->gate, i, &gate_why, &detail)) {
            /* Not its validity running out: the rules leave it no time within it. */
            struct store_outcome o = {.kind = STORE_OUTCOME_EXPIRED,
                                      .message_id = m->id,
                                      .refund = m->cost,
                                      .reason = gate_why,
                                      .error = detail};
            d->st.expired++;
            dsp_outcome_push(d, &o);
        } else {
            dsp_requeue(d, m->id, m->cost, INT64_MAX, c->valid_until[i], "not_sent_in_time", NULL);
        }
        break;
    case DSP_OPTED_OUT:
        /* Of marketing (the hook), or of the campaign's category (the gate). */
        dsp_fail(d, m->id, MSG_STATE_REJECTED, m->cost, campaign_gate_refusal(d->gate, i), NULL);
        break;
    case DSP_NO_CREDIT:
        dsp_fail(d, m->id, MSG_STATE_REJECTED, m->cost, MSG_REASON_INSUFFICIENT_CREDIT,
                 "account balance below zero");
        break;
    case DSP_DEFER: {
        int64_t at;
        const char *why;
        /* Written by the claim, unless that write failed: then retried. */
        if (campaign_gate_fallback(d->gate, i, &at, &why))
            dsp_requeue(d, m->id, m->cost, at, c->valid_until[i], why, NULL);
        break;
    }
    case DSP_SEND:
        if (d->stopping)
            dsp_requeue(d, m->id, m->cost, c->now, c->valid_until[i], "dispatcher_stopping", NULL);
        else
            submit_one(d, m, c->valid_until[i]);
        break;
    }
}

static void claim_start(struct dispatch *d);

static void claim_after(uv_work_t *req, int status)
{
    struct dsp_claim *c = req->data;
    struct dispatch *d = c->d;
    d->claim_busy = false;
    if (status == 0 && c->rc != 0)
        log_error("dispatch", "claim_failed", "err=%s detail=\"%s\"", rl_errname(c->rc),
                  c->err.msg);
    d->st.claimed += c->n;
    for (size_t i = 0; i < c->n; i++) {
        claim_apply(d, c, i);
        store_message_release(&c->msgs[i]);
    }
    bool full = c->n == c->limit && c->n > 0;
    c->n = 0;
    if (d->stopping)
        dsp_maybe_finish(d);
    else if (full)
        claim_start(d); /* more are due: no need to wait for the tick */
}

/* How many messages the connectors can take now: room in the in-flight table
 * and in the queues of the routes that are up. */
static size_t claim_room(struct dispatch *d)
{
    size_t room = 0;
    for (size_t i = 0; i < d->nroutes; i++) {
        if (!d->up[i])
            continue;
        struct smpp_session_stats s;
        smpp_session_get_stats(d->routes[i].s, &s);
        if (s.queued < d->routes[i].queue_max)
            room += d->routes[i].queue_max - s.queued;
    }
    /* Claimed and not yet durably resolved: handed to a connector, or answered
     * with the answer not yet committed. That sum bounds what a kill -9 can
     * make relais send twice, so the budget covers both. */
    size_t busy = d->fl_n + dsp_unstored(d);
    size_t fl = d->o.inflight_max > busy ? d->o.inflight_max - busy : 0;
    room = room < fl ? room : fl;
    return room < d->o.batch_max ? room : d->o.batch_max;
}

static void claim_start(struct dispatch *d)
{
    if (d->claim_busy || d->stopping)
        return;
    size_t limit = claim_room(d);
    if (limit == 0)
        return;
    /* Outcomes first: the claim commits after them, so that the balances it
     * reads include their refunds. */
    dsp_outbox_flush(d, false);
    d->claim.limit = limit;
    d->claim.n = 0;
    d->claim_busy = true;
    int rc = uv_queue_work(&d->loop, &d->claim.req, claim_work, claim_after);
    if (rc != 0) {
        d->claim_busy = false;
        log_error("dispatch", "claim_not_queued", "err=%s", uv_err_name(rc));
    }
}

/* --- the loop's handles ------------------------------------------------------------ */

static void publish(struct dispatch *d)
{
    d->st.inflight = d->fl_n;
    d->st.nroutes = d->nroutes;
    for (size_t i = 0; i < d->nroutes; i++) {
        struct dispatch_route_stats *rs = &d->st.routes[i];
        struct smpp_session_stats s;
        smpp_session_get_stats(d->routes[i].s, &s);
        snprintf(rs->name, sizeof(rs->name), "%s", d->routes[i].name);
        rs->up = d->up[i];
        rs->window = d->routes[i].window;
        rs->window_used = s.window_used;
        rs->queued = s.queued;
        rs->resp_latency = s.resp_latency;
        rs->receipt_latency = s.receipt_latency;
    }
    pthread_mutex_lock(&d->sh.mu);
    d->st.store_errors = d->sh.store_errors;
    d->sh.snap = d->st;
    pthread_mutex_unlock(&d->sh.mu);
}

static void on_tick(uv_timer_t *t)
{
    struct dispatch *d = t->data;
    publish(d);
    claim_start(d);
}

static void on_flush(uv_check_t *h)
{
    struct dispatch *d = h->data;
    if (d->out_n)
        dsp_outbox_flush(d, false);
}

static void on_guard(uv_timer_t *t)
{
    struct dispatch *d = t->data;
    log_warn("dispatch", "stop_timeout", "inflight=%zu timeout_ms=%llu", d->fl_n,
             (unsigned long long)d->o.stop_timeout_ms);
    dsp_flight_requeue_all(d, "stop_timeout");
    for (size_t i = 0; i < d->nroutes; i++)
        d->routes[i].stopped = true;
    dsp_maybe_finish(d);
}

static void on_stop(uv_async_t *a)
{
    struct dispatch *d = a->data;
    if (d->stopping)
        return;
    d->stopping = true;
    log_info("dispatch", "stopping", "inflight=%zu claim_busy=%d", d->fl_n, d->claim_busy);
    uv_timer_start(&d->guard, on_guard, d->o.stop_timeout_ms, 0);
    for (size_t i = 0; i < d->nroutes; i++)
        smpp_session_stop(d->routes[i].s);
    dsp_maybe_finish(d);
}

void dsp_maybe_finish(struct dispatch *d)
{
    if (!d->stopping || d->finished || d->claim_busy)
        return;
    for (size_t i = 0; i < d->nroutes; i++)
        if (!d->routes[i].stopped)
            return;
    d->finished = true;
    dsp_flight_requeue_all(d, "session_stopped"); /* none left, unless forced */
    dsp_outbox_flush(d, true);
    publish(d);
    for (size_t i = 0; i < d->nroutes; i++)
        smpp_session_free(d->routes[i].s);
    uv_close((uv_handle_t *)&d->tick, NULL);
    uv_close((uv_handle_t *)&d->guard, NULL);
    uv_close((uv_handle_t *)&d->stop_async, NULL);
    uv_close((uv_handle_t *)&d->flush, NULL);
    /* Commits still to come must not wake a closed handle. */
    pthread_mutex_lock(&d->sh.mu);
    d->sh.acks_open = false;
    pthread_mutex_unlock(&d->sh.mu);
    uv_close((uv_handle_t *)&d->acks_async, NULL);
}

static void *thread_main(void *arg)
{
    struct dispatch *d = arg;
    pthread_setname_np(pthread_self(), "rl-dispatch"); /* for top -H and perf */
    uv_run(&d->loop, UV_RUN_DEFAULT);
    log_info("dispatch", "stopped",
             "claimed=%llu submitted=%llu accepted=%llu failed=%llu rejected=%llu retried=%llu "
             "expired=%llu receipts=%llu",
             (unsigned long long)d->st.claimed, (unsigned long long)d->st.submitted,
             (unsigned long long)d->st.accepted, (unsigned long long)d->st.failed,
             (unsigned long long)d->st.rejected, (unsigned long long)d->st.retried,
             (unsigned long long)d->st.expired, (unsigned long long)d->st.receipts);
    return NULL;
}

/* --- lifecycle ---------------------------------------------------------------------- */

static void opts_defaults(struct dispatch_opts *o)
{
    o->batch_max = o->batch_max ? o->batch_max : BATCH_DEFAULT;
    o->inflight_max = o->inflight_max ? o->inflight_max : INFLIGHT_DEFAULT;
    o->tick_ms = o->tick_ms ? o->tick_ms : TICK_DEFAULT;
    o->requeue_ms = o->requeue_ms > 0 ? o->requeue_ms : REQUEUE_DEFAULT;
    o->stop_timeout_ms = o->stop_timeout_ms ? o->stop_timeout_ms : STOP_DEFAULT;
    o->opted_out = o->opted_out ? o->opted_out : dispatch_consent_none;
    o->cfg = NULL; /* borrowed for dispatch_start only */
}

static void routes_init(struct dispatch *d, const struct cfg *c)
{
    d->nroutes = c->nroutes;
    d->routes = xcalloc(d->nroutes, sizeof(*d->routes));
    d->up = xcalloc(d->nroutes, sizeof(*d->up));
    for (size_t i = 0; i < d->nroutes; i++) {
        struct dsp_route *r = &d->routes[i];
        struct smpp_route_opts ro;
        smpp_route_opts_from_cfg(&ro, &c->routes[i]);
        /* A receipt the connector cannot match is held for its submit_sm_resp
         * this long, then passed on with msg_ref 0. The store matches receipts
         * itself and keeps early ones until the acceptance names their id, so
         * a short hold loses nothing and lets receipts for messages sent
         * before a restart land at once instead of a minute later. */
        ro.held_ms = HELD_MS;
        r->d = d;
        r->idx = i;
        snprintf(r->name, sizeof(r->name), "%s", c->routes[i].name);
        snprintf(r->default_sender, sizeof(r->default_sender), "%s",
                 c->routes[i].default_sender ? c->routes[i].default_sender : "");
        r->id_mode = ro.id_mode;
        r->queue_max = ro.queue_max;
        r->window = ro.window;
        r->s = smpp_session_new(&d->loop, &ro, &dsp_session_cbs, r);
    }
}

static void handles_init(struct dispatch *d)
{
    uv_timer_init(&d->loop, &d->tick);
    uv_timer_init(&d->loop, &d->guard);
    uv_async_init(&d->loop, &d->stop_async, on_stop);
    uv_async_init(&d->loop, &d->acks_async, dsp_on_commits);
    uv_check_init(&d->loop, &d->flush);
    d->tick.data = d->guard.data = d->stop_async.data = d->flush.data = d->acks_async.data = d;
    d->sh.acks_async = &d->acks_async;
    d->sh.acks_open = true;
    uv_timer_start(&d->tick, on_tick, d->o.tick_ms, d->o.tick_ms);
    uv_check_start(&d->flush, on_flush);
    d->claim.d = d;
    d->claim.req.data = &d->claim;
    d->claim.msgs = xcalloc(d->o.batch_max, sizeof(*d->claim.msgs));
    d->claim.verdict = xcalloc(d->o.batch_max, sizeof(*d->claim.verdict));
    d->claim.valid_until = xcalloc(d->o.batch_max, sizeof(*d->claim.valid_until));
}

/* A route's default sender is checked when the service starts, not on the
 * first message without a from, so that a typo stops relais at once. */
static int check_senders(const struct cfg *c, struct rl_err *err)
{
    for (size_t i = 0; i < c->nroutes; i++) {
        const char *s = c->routes[i].default_sender;
        struct sender_info si;
        struct rl_err e = {0};
        if (s && *s && sender_check(s, strlen(s), &si, &e) != 0)
            return rl_err_set(err, RL_ECONFIG, "default_sender", "route.%s.default_sender: %s",
                              c->routes[i].name, e.msg);
    }
    return 0;
}

int dispatch_start(const struct dispatch_opts *o, struct dispatch **out, struct rl_err *err)
{
    *out = NULL;
    if (!o->store || !o->cfg || o->cfg->nroutes == 0)
        return rl_err_set(err, RL_EINVAL, "route", "the dispatcher needs a store and a route");
    int rc = check_senders(o->cfg, err);
    if (rc != 0)
        return rc;
    struct dispatch *d = xcalloc(1, sizeof(*d));
    rc = route_table_init_cfg(&d->table, o->cfg, err);
    if (rc != 0) {
        free(d);
        return rc;
    }
    d->o = *o;
    /* The options win (tests set them); else [dispatch] in the configuration. */
    if (!d->o.inflight_max)
        d->o.inflight_max = (size_t)o->cfg->dispatch_inflight;
    if (!d->o.batch_max)
        d->o.batch_max = (size_t)o->cfg->dispatch_claim_batch;
    opts_defaults(&d->o);
    d->store = o->store;
    retry_policy_from_cfg(&d->policy, o->cfg);
    d->validity_ms = o->cfg->dispatch_validity_ms;
    rc = campaign_gate_new(o->cfg, d->o.batch_max, &d->gate, err);
    if (rc != 0) {
        route_table_release(&d->table);
        free(d);
        return rc;
    }
    pthread_mutex_init(&d->sh.mu, NULL);
    pthread_cond_init(&d->sh.cond, NULL);
    uv_loop_init(&d->loop);
    dsp_flight_init(d, d->o.inflight_max);
    routes_init(d, o->cfg);
    handles_init(d);
    store_journal_on_durable(d->store, dsp_on_durable, d);
    for (size_t i = 0; i < d->nroutes; i++)
        smpp_session_start(d->routes[i].s);
    log_info("dispatch", "started", "routes=%zu batch=%zu inflight_max=%zu validity_ms=%lld",
             d->nroutes, d->o.batch_max, d->o.inflight_max, (long long)d->validity_ms);
    rc = pthread_create(&d->thread, NULL, thread_main, d);
    if (rc != 0) {
        /* Nothing ran: stop on this thread instead. */
        uv_async_send(&d->stop_async);
        uv_run(&d->loop, UV_RUN_DEFAULT);
        d->joined = true;
        dispatch_free(d);
        return rl_err_set(err, -rc, "thread", "cannot start the dispatcher thread");
    }
    d->thread_started = true;
    *out = d;
    return 0;
}

void dispatch_stop(struct dispatch *d)
{
    if (!d || d->joined)
        return;
    if (!d->stop_sent) {
        d->stop_sent = true;
        uv_async_send(&d->stop_async);
    }
    pthread_join(d->thread, NULL);
    d->joined = true;
    /* Every outcome submitted is committed before we say stopped. */
    pthread_mutex_lock(&d->sh.mu);
    while (d->sh.pending > 0)
        pthread_cond_wait(&d->sh.cond, &d->sh.mu);
    pthread_mutex_unlock(&d->sh.mu);
    store_journal_on_durable(d->store, NULL, NULL);
}

void dispatch_free(struct dispatch *d)
{
    if (!d)
        return;
    dispatch_stop(d);
    /* Also when the start failed before any stop: the journal must not call
     * into a freed dispatcher. */
    store_journal_on_durable(d->store, NULL, NULL);
    uv_run(&d->loop, UV_RUN_NOWAIT); /* the sessions' last close callbacks */
    if (uv_loop_close(&d->loop) != 0)
        log_warn("dispatch", "loop_busy", "%s", "handles left open at free");
    dsp_flight_release(d);
    dsp_outbox_release(d);
    free(d->claim.msgs);
    free(d->claim.verdict);
    free(d->claim.valid_until);
    campaign_gate_free(d->gate);
    free(d->routes);
    free(d->up);
    route_table_release(&d->table);
    pthread_mutex_destroy(&d->sh.mu);
    pthread_cond_destroy(&d->sh.cond);
    free(d);
}

void dispatch_stats_get(struct dispatch *d, struct dispatch_stats *out)
{
    pthread_mutex_lock(&d->sh.mu);
    *out = d->sh.snap;
    pthread_mutex_unlock(&d->sh.mu);
}

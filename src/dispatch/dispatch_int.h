#ifndef RL_DISPATCH_INT_H
#define RL_DISPATCH_INT_H

/* The dispatcher's private parts, shared by dispatch.c (lifecycle, claims,
 * submission) and dispatch_rx.c (the connectors' callbacks, the in-flight
 * table and the outcome batch). Everything but struct dsp_shared is touched
 * by the loop's thread only. */

#include <pthread.h>
#include <uv.h>

#include "dispatch/dispatch.h"
#include "dispatch/retry.h"
#include "dispatch/route.h"
#include "domain/campaign.h"
#include "smpp/smpp_session.h"

/* One route: its connector and what the dispatcher knows of it. */
struct dsp_route {
    struct dispatch *d;
    size_t idx;
    char name[CFG_ROUTE_NAME_MAX + 1];
    char default_sender[16]; /* for messages without a from; "" none */
    struct smpp_session *s;
    enum smpp_id_mode id_mode;
    size_t queue_max;
    uint32_t window;
    bool stopped; /* reported "stopped" */
};

/* A message handed to a connector, until every part has an answer. */
struct dsp_flight {
    int64_t id; /* 0: a free slot */
    int64_t cost;
    int64_t valid_until;
    unsigned attempts; /* the store's count, this attempt included */
    unsigned route;
    unsigned nparts, naccepted, nfailed;
    bool resent;        /* a part was sent more than once: possible duplicate */
    unsigned throttled; /* parts refused by the SMSC's throttling, then resent */
    bool failed_set;    /* fail_status/fail_kind hold the first failure */
    uint32_t fail_status;
    enum smpp_fail_kind fail_kind;
    char **opids; /* nparts operator ids (canonical keys), owned */
};

/* What the store's writer thread may touch: the counters it bumps and the
 * operations not yet committed (dispatch_stop waits for none). */
struct dsp_shared {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t pending;  /* store operations submitted, not yet done */
    size_t unstored; /* outcomes in those operations that settle a claimed message */
    /* The ack barrier's tickets: every store operation gets the next number
     * when submitted; the writer commits them in that order, so done_gen is
     * the last committed and everything before it is durable too. */
    uint64_t submitted_gen, done_gen;
    uint64_t durable_gen;   /* the receive journal holds everything up to it */
    uv_async_t *acks_async; /* woken at each commit, while acks_open */
    bool acks_open;
    struct dispatch_stats snap;
    uint64_t store_errors;
};

/* The send-time verdict on a claimed message, made on the thread pool.
 * DSP_DEFER: held back by the timing rules or its campaign (campaign.h's
 * gate), already written back by the claim. */
enum dsp_verdict { DSP_SEND, DSP_EXPIRE, DSP_OPTED_OUT, DSP_NO_CREDIT, DSP_DEFER };

struct dsp_claim {
    uv_work_t req;
    struct dispatch *d;
    int64_t now;
    size_t limit, n;
    struct store_message *msgs; /* batch_max entries */
    enum dsp_verdict *verdict;
    int64_t *valid_until;
    int rc;
    struct rl_err err;
};

struct dispatch {
    uv_loop_t loop;
    pthread_t thread;
    bool thread_started, stop_sent, joined;
    struct store *store;
    struct dispatch_opts o;
    struct retry_policy policy;
    int64_t validity_ms;
    struct route_table table;
    struct dsp_route *routes;
    bool *up; /* table.n entries, for route_table_pick */
    size_t nroutes;
    uv_timer_t tick, guard;
    uv_async_t stop_async;
    uv_async_t acks_async; /* a commit happened: release the resps it covers */
    uv_check_t flush;
    bool stopping, finished;
    bool claim_busy;
    struct dsp_claim claim;
    struct campaign_gate *gate; /* the timing check; used by the claim only */
    /* in flight: open addressing on the message id, cap a power of two */
    struct dsp_flight *fl;
    size_t fl_cap, fl_n;
    /* outcomes waiting for the next flush, their strings owned by own[] */
    struct store_outcome *out;
    size_t out_n, out_cap;
    void **own;
    size_t own_n, own_cap;
    struct dispatch_stats st; /* the loop's counters, published at each tick */
    struct dsp_shared sh;
};

/* dispatch_rx.c */
extern const struct smpp_session_cbs dsp_session_cbs;
void dsp_flight_init(struct dispatch *d, size_t max);
void dsp_flight_release(struct dispatch *d);
struct dsp_flight *dsp_flight_add(struct dispatch *d, int64_t id);
/* Puts every message still in flight back (retrying, due at now); for a stop
 * that could not wait for the connectors. */
void dsp_flight_requeue_all(struct dispatch *d, const char *reason);

/* Queues an outcome for the next flush; copies its strings. */
void dsp_outcome_push(struct dispatch *d, const struct store_outcome *o);
/* Puts a claimed message back: retrying at `at` (reason, error), or expired
 * (refunded) when at is past valid_until. */
void dsp_requeue(struct dispatch *d, int64_t id, int64_t cost, int64_t at, int64_t valid_until,
                 const char *reason, const char *error);
/* A final failure: state failed or rejected, refunding refund. */
void dsp_fail(struct dispatch *d, int64_t id, enum msg_state state, int64_t refund,
              const char *reason, const char *error);
/* Writes the queued outcomes to the store; blocks for room only when force
 * or when the batch has grown past its cap. */
void dsp_outbox_flush(struct dispatch *d, bool force);
/* Outcomes not yet committed: in the outbox or in the store's queue. A kill
 * resends the messages they stand for, so they count as in flight. */
size_t dsp_unstored(struct dispatch *d);
void dsp_outbox_release(struct dispatch *d);
/* The loop's side of a commit: sends the deliver_sm_resp it made durable. */
void dsp_on_commits(uv_async_t *a);
/* The store's journal holds every record up to ticket (its thread). */
void dsp_on_durable(void *ud, uint64_t ticket);
/* Called by the loop once d->stopping and a route reported "stopped". */
void dsp_maybe_finish(struct dispatch *d);

int64_t dsp_now_ms(void);

#endif

#ifndef RL_DISPATCH_H
#define RL_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"
#include "core/hist.h"
#include "store/store.h"

/* The dispatcher: claims due messages from the store in batches, applies the
 * send-time checks (validity, consent, credit), picks a route by destination
 * prefix with failover, feeds each route's SMPP connector within its window
 * and throughput cap, and turns the connectors' answers (acceptances,
 * refusals, receipts, inbound messages) into store outcomes written in
 * batches. Temporary failures are retried with retry.h's backoff until the
 * message's validity ends.
 *
 * Threads: dispatch_start starts one thread running a libuv loop that owns
 * every connector, the route table and the claim timer; claims (store writes
 * that wait for their commit) run on libuv's thread pool, one at a time, so
 * the loop never blocks on the store; outcomes go to the store's writer with
 * store_outcomes_try_submit, whose completion runs on the writer's thread and
 * touches only a mutex-protected counter. dispatch_stats_get may be called
 * from any thread; the other functions from the thread that started it. */

struct dispatch;

/* The consent hook: true when a marketing message to `to` (E.164) of
 * account_id must not go (the number opted out). Called for marketing
 * messages only, on a libuv thread-pool thread; must be thread-safe and may
 * read the store. */
typedef bool dispatch_opted_out_fn(void *ud, int64_t account_id, const char *to);

/* The placeholder until the consent module exists: nobody is opted out. */
bool dispatch_consent_none(void *ud, int64_t account_id, const char *to);

/* The inbound hook: stores one inbound message as store_inbound_submit(store,
 * in, false, done, ctx) does, adding in the same commit whatever it implies
 * (a STOP's opt-out: domain/consent.h). Called on the dispatcher's loop; may
 * block while the store's queue is full. Borrows in for the call. */
typedef int dispatch_inbound_fn(void *ud, const struct store_inbound *in, store_done_fn done,
                                void *ctx);

/* Caller-owned; dispatch_start copies what it keeps. */
struct dispatch_opts {
    struct store *store;              /* borrowed; must outlive the dispatcher */
    const struct cfg *cfg;            /* borrowed for dispatch_start: routes, [dispatch] */
    size_t batch_max;                 /* messages per claim; 0: 500 */
    size_t inflight_max;              /* messages claimed and not durably resolved (handed to a
                                       * connector, or answered but not committed): what a kill
                                       * -9 can send twice; 0: 1000 */
    uint64_t tick_ms;                 /* claim period when idle; 0: 20 */
    int64_t requeue_ms;               /* wait before a message whose routes are down or full
                                       * is tried again; 0: 5000 */
    uint64_t stop_timeout_ms;         /* dispatch_stop's bound; 0: 15000 */
    dispatch_opted_out_fn *opted_out; /* NULL: dispatch_consent_none */
    void *consent_ud;
    dispatch_inbound_fn *inbound; /* NULL: store_inbound_submit */
    void *inbound_ud;
};

#define DISPATCH_ROUTE_NAME_MAX CFG_ROUTE_NAME_MAX

struct dispatch_route_stats {
    char name[DISPATCH_ROUTE_NAME_MAX + 1];
    bool up;
    uint32_t window;                           /* configured */
    uint32_t window_used;                      /* submit_sm awaiting their response */
    size_t queued;                             /* parts waiting for the window */
    struct hist resp_latency, receipt_latency; /* see struct smpp_session_stats */
};

/* Counters since start; a snapshot published by the loop at every tick. */
struct dispatch_stats {
    uint64_t claimed;      /* messages claimed */
    uint64_t submitted;    /* handed to a connector */
    uint64_t accepted;     /* every part accepted by the SMSC */
    uint64_t failed;       /* failed for good (SMSC refusal, invalid message) */
    uint64_t rejected;     /* refused by the send-time checks or routing */
    uint64_t retried;      /* put back to retry later */
    uint64_t expired;      /* validity elapsed */
    uint64_t receipts;     /* final receipts recorded */
    uint64_t inbound;      /* inbound messages stored */
    uint64_t store_errors; /* outcomes the store refused (logged) */
    size_t inflight;       /* messages with connectors now */
    size_t nroutes;
    struct dispatch_route_stats routes[CFG_ROUTES_MAX];
};

/* What a replay of the receive journal needs (see store_journal_start):
 * the store and the same inbound hook as the dispatcher's. */
struct dispatch_replay {
    struct store *store;
    dispatch_inbound_fn *inbound; /* NULL: store_inbound_submit */
    void *inbound_ud;
};
/* A store_replay_fn (ud: struct dispatch_replay): applies one record a
 * crash left unapplied as the dispatcher would have, waiting for its commit.
 * Call it through store_journal_start before store_release_stale_submitting:
 * an acceptance in the journal settles its message, which is then not sent
 * again. */
int dispatch_replay(void *ud, const struct store_jrec *r);

/* Builds the route table and one connector per [route NAME] of o->cfg, and
 * starts the dispatcher's thread. The store's receive journal, when running,
 * is used for every outcome and inbound message: their deliver_sm_resp go as
 * soon as it holds them. Returns 0 and *out (stop with
 * dispatch_stop, then free with dispatch_free), RL_EINVAL (no store, no
 * route) or RL_ECONFIG (a bad prefix), err naming the route. Call
 * store_release_stale_submitting before. */
int dispatch_start(const struct dispatch_opts *o, struct dispatch **out, struct rl_err *err);

/* Drains and stops: no more claims; claimed messages not yet handed over go
 * back to retrying (due now); each connector waits for its window's
 * responses (bounded by its stop timeout) and reports what was never answered,
 * which is put back too; pending outcomes are written; then the thread ends.
 * Past stop_timeout_ms, the connectors are closed at once and the messages
 * they held are put back (due now: they may reach the SMSC twice, as after a
 * crash). Returns once every outcome is committed. Idempotent. */
void dispatch_stop(struct dispatch *d);

/* Frees d (stopping it first if needed); NULL is a no-op. */
void dispatch_free(struct dispatch *d);

/* Copies the latest snapshot into out; any thread. */
void dispatch_stats_get(struct dispatch *d, struct dispatch_stats *out);

#endif

#ifndef RL_API_DEFER_H
#define RL_API_DEFER_H

/* Answers that wait for a store write without holding an HTTP thread.
 *
 * A handler whose answer depends on a commit (POST /v1/messages) would
 * otherwise block its thread until the writer commits: with N threads, at
 * most N requests share a commit, and throughput is N per commit time. So
 * the handler calls api_defer, starts the write asynchronously and returns;
 * the HTTP layer parks the connection (libmicrohttpd's suspend) and serves
 * others; the write's completion calls api_deferred_ready on the writer's
 * thread, which wakes the connection; an HTTP thread then calls finish to
 * fill the response. Any number of requests can wait for one commit.
 *
 * Only src/api/ knows this; handlers never see libmicrohttpd. */

#include <stdbool.h>

#include "api/router.h"

/* Fills rs from the finished work; runs on an HTTP thread; must free ctx. */
typedef void (*api_finish_fn)(void *ctx, struct api_response *rs);

struct api_deferred;

/* Marks rs as answered later by finish(ctx, rs) (ctx taken). Returns the
 * handle to pass to api_deferred_ready once the work is done. */
struct api_deferred *api_defer(struct api_response *rs, api_finish_fn finish, void *ctx);

/* The work is done (any thread, once): wakes the parked request. d must not
 * be touched by the caller afterwards. */
void api_deferred_ready(struct api_deferred *d);

/* For the HTTP layer: under d's lock, calls park(ud) (suspend the
 * connection) and keeps wake(ud) for api_deferred_ready; when the work is
 * already done, wake(ud) is called at once, still under the lock. */
void api_deferred_park(struct api_deferred *d, void (*park)(void *ud), void (*wake)(void *ud),
                       void *ud);

/* Waits for api_deferred_ready (tests, and callers without a parking
 * layer). */
void api_deferred_wait(struct api_deferred *d);

/* Fills rs through finish and frees d; after ready. */
void api_deferred_finish(struct api_deferred *d, struct api_response *rs);

#endif

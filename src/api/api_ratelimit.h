#ifndef RL_API_RATELIMIT_H
#define RL_API_RATELIMIT_H

#include <stdint.h>

/* Requests per API key: a token bucket per key (rate tokens a second, at most
 * burst saved up), shared by libmicrohttpd's threads under one lock. Keys are
 * few (an operator creates them), so the table is small and never shrinks. */
struct api_ratelimit;

/* Returns a new limiter (free with api_ratelimit_free) of rate requests a
 * second per key, with bursts of up to burst (≥ 1). */
struct api_ratelimit *api_ratelimit_new(double rate, double burst);
void api_ratelimit_free(struct api_ratelimit *rl);
/* Takes one request of key_id at now_ms (any monotonic clock). Returns 0 when
 * allowed, else how many milliseconds until the next one is (≥ 1). */
uint64_t api_ratelimit_take(struct api_ratelimit *rl, int64_t key_id, uint64_t now_ms);

#endif

#ifndef RL_SMPP_RATE_H
#define RL_SMPP_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* Pacing for SMPP sessions, as pure arithmetic over a clock the caller passes
 * in (milliseconds), so that the throughput cap and the backoffs are tested
 * without timers or sleeps. */

/* A token bucket: per_sec tokens a second, at most burst saved up. Counted in
 * thousandths of a token so that rates below one a millisecond stay exact. */
struct smpp_rate {
    uint64_t per_sec; /* 0: no cap, every take succeeds */
    uint64_t burst_milli;
    uint64_t milli; /* thousandths of a token available */
    uint64_t last_ms;
};

/* Fills the caller's r, full (burst tokens ready). burst 0 means one. */
void smpp_rate_init(struct smpp_rate *r, uint32_t per_sec, uint32_t burst, uint64_t now_ms);
/* Takes one token if there is one at now_ms; returns whether it did. */
bool smpp_rate_take(struct smpp_rate *r, uint64_t now_ms);
/* Milliseconds until a token is available (0: now). */
uint64_t smpp_rate_wait_ms(const struct smpp_rate *r, uint64_t now_ms);

/* An exponential backoff with "equal jitter": each wait is between half and
 * all of the current step, and the step doubles up to max_ms. Jitter spreads
 * the reconnections of many routes after an SMSC restart. */
struct smpp_backoff {
    uint64_t min_ms, max_ms, step_ms;
};

/* Fills the caller's b; max_ms below min_ms is raised to min_ms. */
void smpp_backoff_init(struct smpp_backoff *b, uint64_t min_ms, uint64_t max_ms);
/* Returns the next wait, drawn with rnd (any 32-bit value), and doubles the step. */
uint64_t smpp_backoff_next(struct smpp_backoff *b, uint32_t rnd);
/* Back to min_ms, after a success. */
void smpp_backoff_reset(struct smpp_backoff *b);

/* xorshift32: a session's own jitter source (no global state); *state != 0. */
uint32_t smpp_rand_next(uint32_t *state);

#endif

#ifndef RL_HIST_H
#define RL_HIST_H

/* A latency histogram with fixed bounds, as Prometheus exposes them: a count
 * per bucket (not cumulative here; the renderer sums), a total count and a
 * sum. Fixed bounds keep it a plain struct that a stats snapshot copies by
 * value; recording is one comparison loop over HIST_BUCKETS entries. Not
 * thread-safe: one writer, readers get copies. */

#include <stddef.h>
#include <stdint.h>

/* Upper bounds in milliseconds: from a loopback SMSC's sub-millisecond
 * answer to a receipt an hour later. The last bucket is +Inf. */
#define HIST_BOUNDS_MS                                                                             \
    {                                                                                              \
        1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000 \
    }
#define HIST_BUCKETS 18 /* the bounds above, and +Inf */

struct hist {
    uint64_t bucket[HIST_BUCKETS];
    uint64_t count;
    uint64_t sum_us; /* microseconds, so that sub-millisecond answers still add up */
};

/* Records one observation of us microseconds (negative counts as 0). */
void hist_record_us(struct hist *h, int64_t us);
/* The upper bound of bucket i in milliseconds, or -1 for the +Inf bucket. */
int64_t hist_bound_ms(size_t i);
/* Adds b's observations to a. */
void hist_merge(struct hist *a, const struct hist *b);

#endif

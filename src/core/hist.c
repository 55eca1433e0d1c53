#include "core/hist.h"

#include "core/banned.h"

static const int64_t bounds_ms[HIST_BUCKETS - 1] = HIST_BOUNDS_MS;

void hist_record_us(struct hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    size_t i = 0;
    while (i < HIST_BUCKETS - 1 && us > bounds_ms[i] * 1000)
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_us += (uint64_t)us;
}

int64_t hist_bound_ms(size_t i)
{
    return i < HIST_BUCKETS - 1 ? bounds_ms[i] : -1;
}

void hist_merge(struct hist *a, const struct hist *b)
{
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        a->bucket[i] += b->bucket[i];
    a->count += b->count;
    a->sum_us += b->sum_us;
}

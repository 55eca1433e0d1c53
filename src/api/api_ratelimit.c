#include "api/api_ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/banned.h"

struct bucket {
    int64_t key_id; /* 0: a free slot (key ids start at 1) */
    double tokens;
    uint64_t last_ms;
};

struct api_ratelimit {
    pthread_mutex_t mu;
    double rate, burst;
    struct bucket *b; /* open addressing, cap a power of two, at most half full */
    size_t cap, n;
};

struct api_ratelimit *api_ratelimit_new(double rate, double burst)
{
    struct api_ratelimit *rl = xcalloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->mu, NULL);
    rl->rate = rate;
    rl->burst = burst < 1 ? 1 : burst;
    rl->cap = 64;
    rl->b = xcalloc(rl->cap, sizeof(*rl->b));
    return rl;
}

void api_ratelimit_free(struct api_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->b);
    free(rl);
}

static size_t slot(const struct bucket *b, size_t cap, int64_t key)
{
    size_t i = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull) & (cap - 1);
    while (b[i].key_id && b[i].key_id != key)
        i = (i + 1) & (cap - 1);
    return i;
}

static void grow(struct api_ratelimit *rl)
{
    size_t cap = rl->cap * 2;
    struct bucket *nb = xcalloc(cap, sizeof(*nb));
    for (size_t i = 0; i < rl->cap; i++)
        if (rl->b[i].key_id)
            nb[slot(nb, cap, rl->b[i].key_id)] = rl->b[i];
    free(rl->b);
    rl->b = nb;
    rl->cap = cap;
}

uint64_t api_ratelimit_take(struct api_ratelimit *rl, int64_t key_id, uint64_t now_ms)
{
    pthread_mutex_lock(&rl->mu);
    if ((rl->n + 1) * 2 > rl->cap)
        grow(rl);
    struct bucket *b = &rl->b[slot(rl->b, rl->cap, key_id)];
    if (!b->key_id) {
        /* A key seen for the first time starts with a full bucket. */
        *b = (struct bucket){key_id, rl->burst, now_ms};
        rl->n++;
    } else if (now_ms > b->last_ms) {
        b->tokens = fmin(rl->burst, b->tokens + (double)(now_ms - b->last_ms) * rl->rate / 1000.0);
        b->last_ms = now_ms;
    }
    uint64_t wait = 0;
    if (b->tokens >= 1.0)
        b->tokens -= 1.0;
    else
        wait = (uint64_t)ceil((1.0 - b->tokens) * 1000.0 / rl->rate);
    pthread_mutex_unlock(&rl->mu);
    return wait ? wait : 0;
}

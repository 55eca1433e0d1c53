#include "smpp/smpp_rate.h"

#include "core/banned.h"

void smpp_rate_init(struct smpp_rate *r, uint32_t per_sec, uint32_t burst, uint64_t now_ms)
{
    r->per_sec = per_sec;
    r->burst_milli = (uint64_t)(burst ? burst : 1) * 1000;
    r->milli = r->burst_milli;
    r->last_ms = now_ms;
}

static void refill(struct smpp_rate *r, uint64_t now_ms)
{
    if (now_ms <= r->last_ms)
        return; /* a clock that steps back gives nothing, never a burst */
    /* per_sec tokens in 1000 ms = per_sec thousandths a millisecond. */
    uint64_t add = (now_ms - r->last_ms) * r->per_sec;
    r->milli = add >= r->burst_milli - r->milli ? r->burst_milli : r->milli + add;
    r->last_ms = now_ms;
}

bool smpp_rate_take(struct smpp_rate *r, uint64_t now_ms)
{
    if (r->per_sec == 0)
        return true;
    refill(r, now_ms);
    if (r->milli < 1000)
        return false;
    r->milli -= 1000;
    return true;
}

uint64_t smpp_rate_wait_ms(const struct smpp_rate *r, uint64_t now_ms)
{
    if (r->per_sec == 0)
        return 0;
    struct smpp_rate t = *r;
    refill(&t, now_ms);
    if (t.milli >= 1000)
        return 0;
    return (1000 - t.milli + t.per_sec - 1) / t.per_sec;
}

void smpp_backoff_init(struct smpp_backoff *b, uint64_t min_ms, uint64_t max_ms)
{
    b->min_ms = min_ms ? min_ms : 1;
    b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
    b->step_ms = b->min_ms;
}

uint64_t smpp_backoff_next(struct smpp_backoff *b, uint32_t rnd)
{
    uint64_t half = b->step_ms / 2;
    uint64_t wait = b->step_ms - half + (half ? rnd % (half + 1) : 0);
    b->step_ms = b->step_ms > b->max_ms / 2 ? b->max_ms : b->step_ms * 2;
    return wait;
}

void smpp_backoff_reset(struct smpp_backoff *b)
{
    b->step_ms = b->min_ms;
}

uint32_t smpp_rand_next(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

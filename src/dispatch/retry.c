/* Retry policy: which failures are worth another try, and when. */
#include "dispatch/retry.h"

#include "smpp/smpp_pdu.h"
#include "core/banned.h"

const char *retry_class_name(enum retry_class c)
{
    switch (c) {
    case RETRY_THROTTLED:
        return "throttled";
    case RETRY_TEMPORARY:
        return "temporary";
    case RETRY_PERMANENT:
        return "permanent";
    case RETRY_UNKNOWN:
        break;
    }
    return "unknown";
}

/* SMPP 3.4 lists command_status values without saying which are worth a
 * retry; these choices follow what each code means in §5.1.3 and what SMSCs
 * send in the field. Everything not named is permanent: a code we cannot read
 * (0xFF, vendor codes) is better failed and shown than resent for two days. */
enum retry_class retry_class_of_status(uint32_t status)
{
    switch (status) {
    /* 0x58: over the SMSC's rate. 0x14: "message queue full", a resource
     * limit at the SMSC, global or for one destination, that drains by
     * itself. The connector already pauses and requeues both on its own, so
     * the dispatcher meets them only from connectors that do not. */
    case SMPP_ESME_RTHROTTLED:
    case SMPP_ESME_RMSGQFUL:
        return RETRY_THROTTLED;
    /* 0x08: the SMSC's own system error, not the message's fault. */
    case SMPP_ESME_RSYSERR:
    /* 0x64: a temporary application error, by its name; defined for ESME
     * receivers, passed on by some SMSCs that relay. */
    case SMPP_ESME_RX_T_APPN:
    /* 0x04: our session was in the wrong bind state for submit_sm (a race
     * with an unbind): the message is fine, the next bind will take it. */
    case SMPP_ESME_RINVBNDSTS:
    /* 0x00: not a failure at all; never let a caller's slip fail a message
     * for good. */
    case SMPP_ESME_ROK:
        return RETRY_TEMPORARY;
    /* 0x45 "submit_sm failed" is generic, and in the field carries refusals
     * such as a blocked destination; 0x61 (scheduled time) and 0x62 (validity
     * period) refuse a field we wrote, which the same PDU repeats. Resending
     * would hammer an SMSC that said no: permanent. */
    default:
        return RETRY_PERMANENT;
    }
}

enum retry_class retry_class_of_fail(uint32_t status, enum smpp_fail_kind kind)
{
    switch (kind) {
    case SMPP_FAIL_UNKNOWN:
        /* The route chose on_submit_timeout = unknown: no duplicates. */
        return RETRY_UNKNOWN;
    case SMPP_FAIL_STOPPED:
        /* Queued parts never left; parts in the window may have, as after a
         * lost connection, which the connector resubmits too. */
        return RETRY_TEMPORARY;
    case SMPP_FAIL_PERMANENT:
        break;
    }
    return retry_class_of_status(status);
}

void retry_policy_default(struct retry_policy *p)
{
    p->first_ms = 30000;
    p->max_ms = 1800000;
    p->jitter_pct = 25;
}

void retry_policy_from_cfg(struct retry_policy *p, const struct cfg *c)
{
    retry_policy_default(p);
    p->first_ms = c->dispatch_retry_min_ms > 0 ? c->dispatch_retry_min_ms : 1;
    p->max_ms = c->dispatch_retry_max_ms < p->first_ms ? p->first_ms : c->dispatch_retry_max_ms;
}

/* splitmix64's finaliser: a well-mixed 64-bit value from any input, so that
 * consecutive message ids get unrelated jitters. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int64_t retry_backoff_ms(const struct retry_policy *p, unsigned attempts, uint64_t seed)
{
    int64_t first = p->first_ms > 0 ? p->first_ms : 1;
    int64_t max = p->max_ms < first ? first : p->max_ms;
    int64_t step = first;
    for (unsigned i = 1; i < attempts && step < max; i++)
        step = step > max / 2 ? max : step * 2;
    if (step > max)
        step = max;
    unsigned pct = p->jitter_pct > 100 ? 100 : p->jitter_pct;
    uint64_t span = (uint64_t)step * pct / 100;
    uint64_t off = span ? mix(seed ^ ((uint64_t)attempts << 32)) % (span + 1) : 0;
    return step - (int64_t)off;
}

const char *retry_verdict_name(enum retry_verdict v)
{
    switch (v) {
    case RETRY_VERDICT_RETRY:
        return "retry";
    case RETRY_VERDICT_EXPIRED:
        return "expired";
    case RETRY_VERDICT_FAIL:
        return "fail";
    case RETRY_VERDICT_UNKNOWN:
        break;
    }
    return "unknown";
}

struct retry_decision retry_decide(const struct retry_policy *p, enum retry_class c,
                                   unsigned attempts, int64_t now_ms, int64_t valid_until_ms,
                                   uint64_t seed)
{
    struct retry_decision d = {RETRY_VERDICT_EXPIRED, 0};
    if (c == RETRY_PERMANENT) {
        d.verdict = RETRY_VERDICT_FAIL;
        return d;
    }
    if (c == RETRY_UNKNOWN) {
        d.verdict = RETRY_VERDICT_UNKNOWN;
        return d;
    }
    if (now_ms >= valid_until_ms)
        return d;
    int64_t wait = retry_backoff_ms(p, c == RETRY_THROTTLED ? 1 : attempts, seed);
    if (wait > valid_until_ms - now_ms)
        return d;
    d.verdict = RETRY_VERDICT_RETRY;
    d.at_ms = now_ms + wait;
    return d;
}

int retry_validity_ms(bool given, long long seconds, int64_t default_ms, int64_t *out_ms,
                      struct rl_err *err)
{
    if (!given) {
        *out_ms = default_ms;
        return 0;
    }
    if (seconds < RETRY_VALIDITY_MIN_S || seconds > RETRY_VALIDITY_MAX_S)
        return rl_err_set(err, RL_ERANGE, "validity",
                          "validity %lld: out of range %lld..%lld seconds (1 minute to 72 hours)",
                          seconds, RETRY_VALIDITY_MIN_S, RETRY_VALIDITY_MAX_S);
    *out_ms = (int64_t)seconds * 1000;
    return 0;
}

int64_t retry_valid_until(int64_t due_ms, int64_t validity_ms)
{
    if (validity_ms > 0 && due_ms > INT64_MAX - validity_ms)
        return INT64_MAX;
    return due_ms + validity_ms;
}

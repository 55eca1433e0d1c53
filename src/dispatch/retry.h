#ifndef RL_RETRY_H
#define RL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"
#include "smpp/smpp_session.h"

/* When a failed message is tried again, and when it stops: pure arithmetic
 * over times the caller passes in (milliseconds since the epoch), so that
 * every schedule is tested without a clock. A message is retried with an
 * exponential backoff until its validity ends; past that it expires. */

#define RETRY_VALIDITY_MIN_S     60LL /* the API's validity bounds, in seconds */
#define RETRY_VALIDITY_MAX_S     (72LL * 3600)
#define RETRY_VALIDITY_DEFAULT_S (48LL * 3600)

/* How a failure bears on the message. */
enum retry_class {
    RETRY_THROTTLED, /* the route is busy (0x58, 0x14): the message is fine, try soon */
    RETRY_TEMPORARY, /* the SMSC or our session had a problem: back off and try again */
    RETRY_PERMANENT, /* the SMSC refused this message: the same request fails again */
    RETRY_UNKNOWN, /* it may have gone (no response, policy unknown): resending risks a duplicate */
};
const char *retry_class_name(enum retry_class c);

/* The class of a submit_sm_resp command_status (SMPP 3.4 §5.1.3, which says
 * nothing of temporary or permanent: the choices are argued in retry.c). */
enum retry_class retry_class_of_status(uint32_t status);
/* The class of a part the connector failed (on_failed's status and kind). */
enum retry_class retry_class_of_fail(uint32_t status, enum smpp_fail_kind kind);

/* Backoff: the n-th retry waits first_ms * 2^(n-1), capped at max_ms, then
 * jitter_pct percent of that wait is drawn off it, deterministically from the
 * message's seed, so that a batch failing together does not return together
 * and a test can predict each wait. */
struct retry_policy {
    int64_t first_ms;    /* at least 1 */
    int64_t max_ms;      /* at least first_ms */
    unsigned jitter_pct; /* 0..100 */
};

/* Fills p with the defaults: 30 s, doubling up to 30 min, 25 % jitter. */
void retry_policy_default(struct retry_policy *p);
/* The defaults overridden by c's [dispatch] retry_min and retry_max
 * (borrowed); retry_max below retry_min is raised to it. */
void retry_policy_from_cfg(struct retry_policy *p, const struct cfg *c);

/* The wait before retry number attempts (1 after the first failed attempt),
 * jitter included: in (1 - jitter_pct/100) * step .. step, step as above.
 * attempts 0 counts as 1. */
int64_t retry_backoff_ms(const struct retry_policy *p, unsigned attempts, uint64_t seed);

enum retry_verdict {
    RETRY_VERDICT_RETRY,   /* try again at .at_ms: state retrying */
    RETRY_VERDICT_EXPIRED, /* the next try would fall past validity: state expired */
    RETRY_VERDICT_FAIL,    /* a permanent refusal: state failed */
    RETRY_VERDICT_UNKNOWN, /* it may have gone: state unknown, never resent */
};
const char *retry_verdict_name(enum retry_verdict v);

struct retry_decision {
    enum retry_verdict verdict;
    int64_t at_ms; /* RETRY only */
};

/* Decides what becomes of a message whose attempt number attempts (1 for the
 * first) failed with class c at now_ms; valid_until_ms is the end of its
 * validity and seed its id. Throttling waits the first step whatever the
 * attempt count, since the message was not at fault; a temporary failure
 * waits retry_backoff_ms(attempts). A retry due exactly at valid_until_ms is
 * still allowed; one after it is EXPIRED, as is any failure at or past it. */
struct retry_decision retry_decide(const struct retry_policy *p, enum retry_class c,
                                   unsigned attempts, int64_t now_ms, int64_t valid_until_ms,
                                   uint64_t seed);

/* A message's validity in milliseconds: the API's validity in seconds when
 * given, else default_ms (the configuration's dispatch.validity). Returns 0,
 * or RL_ERANGE with err on field "validity" naming the value and the bounds
 * RETRY_VALIDITY_MIN_S..RETRY_VALIDITY_MAX_S. */
int retry_validity_ms(bool given, long long seconds, int64_t default_ms, int64_t *out_ms,
                      struct rl_err *err);

/* The end of validity for a message due at due_ms (its scheduled time, or
 * its creation when sent at once: a message scheduled next week must not
 * expire before it is due). */
int64_t retry_valid_until(int64_t due_ms, int64_t validity_ms);

#endif

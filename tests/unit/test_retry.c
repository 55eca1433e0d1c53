/* The retry policy: classes of SMPP failures, the backoff schedule, expiry
 * at the end of validity, validity bounds. Schedules are worked out by hand
 * with jitter off; jitter is checked for its bounds and determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dispatch/retry.h"
#include "smpp/smpp_pdu.h"

#define T   1700000000000LL /* some now, in ms */
#define H48 172800000LL     /* 48 h in ms */

static const struct retry_policy exact = {30000, 1800000, 0};

static void classes(void **state)
{
    (void)state;
    assert_int_equal(retry_class_of_status(0x58), RETRY_THROTTLED);  /* ESME_RTHROTTLED */
    assert_int_equal(retry_class_of_status(0x14), RETRY_THROTTLED);  /* ESME_RMSGQFUL */
    assert_int_equal(retry_class_of_status(0x08), RETRY_TEMPORARY);  /* ESME_RSYSERR */
    assert_int_equal(retry_class_of_status(0x64), RETRY_TEMPORARY);  /* ESME_RX_T_APPN */
    assert_int_equal(retry_class_of_status(0x04), RETRY_TEMPORARY);  /* ESME_RINVBNDSTS */
    assert_int_equal(retry_class_of_status(0x45), RETRY_PERMANENT);  /* ESME_RSUBMITFAIL */
    assert_int_equal(retry_class_of_status(0x61), RETRY_PERMANENT);  /* ESME_RINVSCHED */
    assert_int_equal(retry_class_of_status(0x62), RETRY_PERMANENT);  /* ESME_RINVEXPIRY */
    assert_int_equal(retry_class_of_status(0x0B), RETRY_PERMANENT);  /* ESME_RINVDSTADR */
    assert_int_equal(retry_class_of_status(0x65), RETRY_PERMANENT);  /* ESME_RX_P_APPN */
    assert_int_equal(retry_class_of_status(0xFF), RETRY_PERMANENT);  /* ESME_RUNKNOWNERR */
    assert_int_equal(retry_class_of_status(0x400), RETRY_PERMANENT); /* a vendor code */
    assert_int_equal(retry_class_of_fail(0x0B, SMPP_FAIL_PERMANENT), RETRY_PERMANENT);
    assert_int_equal(retry_class_of_fail(0x08, SMPP_FAIL_PERMANENT), RETRY_TEMPORARY);
    assert_int_equal(retry_class_of_fail(0, SMPP_FAIL_UNKNOWN), RETRY_UNKNOWN);
    assert_int_equal(retry_class_of_fail(0, SMPP_FAIL_STOPPED), RETRY_TEMPORARY);
    assert_string_equal(retry_class_name(RETRY_THROTTLED), "throttled");
    assert_string_equal(retry_class_name(RETRY_PERMANENT), "permanent");
    assert_string_equal(retry_verdict_name(RETRY_VERDICT_EXPIRED), "expired");
}

static void backoff_doubles_to_the_cap(void **state)
{
    (void)state;
    /* 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, then 32 min capped at 30 min. */
    static const int64_t want[] = {30000, 60000, 120000, 240000, 480000, 960000, 1800000, 1800000};
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(retry_backoff_ms(&exact, i + 1, 42), want[i]);
    assert_int_equal(retry_backoff_ms(&exact, 0, 42), 30000); /* as attempt 1 */
    assert_int_equal(retry_backoff_ms(&exact, 1000000, 42), 1800000);
    assert_int_equal(retry_backoff_ms(&exact, UINT32_MAX, 42), 1800000);
    /* max below first is raised to first. */
    struct retry_policy flat = {60000, 1000, 0};
    assert_int_equal(retry_backoff_ms(&flat, 5, 0), 60000);
}

static void jitter_is_bounded_and_deterministic(void **state)
{
    (void)state;
    struct retry_policy p;
    retry_policy_default(&p);
    assert_int_equal(p.first_ms, 30000);
    assert_int_equal(p.max_ms, 1800000);
    assert_int_equal(p.jitter_pct, 25);
    int64_t lo = INT64_MAX, hi = 0, first = retry_backoff_ms(&p, 1, 0);
    int distinct = 0;
    for (uint64_t seed = 0; seed < 1000; seed++) {
        int64_t w = retry_backoff_ms(&p, 1, seed);
        assert_int_equal(w, retry_backoff_ms(&p, 1, seed)); /* same seed, same wait */
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
        distinct += w != first;
        /* 7th retry: 30 min less up to 25 % = 22.5 min .. 30 min. */
        int64_t w7 = retry_backoff_ms(&p, 7, seed);
        assert_true(w7 >= 1350000 && w7 <= 1800000);
    }
    /* 30 s less up to 25 %: 22.5 s .. 30 s, and spread over that range. */
    assert_true(lo >= 22500);
    assert_true(hi <= 30000);
    assert_true(hi - lo > 6000);
    assert_true(distinct > 900);
}

static void decisions(void **state)
{
    (void)state;
    struct retry_decision d;
    d = retry_decide(&exact, RETRY_TEMPORARY, 1, T, T + H48, 7);
    assert_int_equal(d.verdict, RETRY_VERDICT_RETRY);
    assert_int_equal(d.at_ms, T + 30000);
    d = retry_decide(&exact, RETRY_TEMPORARY, 3, T, T + H48, 7);
    assert_int_equal(d.at_ms, T + 120000); /* third retry: 2 min */
    /* Throttling is not the message's fault: the first step, whatever the count. */
    d = retry_decide(&exact, RETRY_THROTTLED, 9, T, T + H48, 7);
    assert_int_equal(d.verdict, RETRY_VERDICT_RETRY);
    assert_int_equal(d.at_ms, T + 30000);
    /* Permanent fails, unknown stays unknown: never resent, validity or not. */
    assert_int_equal(retry_decide(&exact, RETRY_PERMANENT, 1, T, T + H48, 7).verdict,
                     RETRY_VERDICT_FAIL);
    assert_int_equal(retry_decide(&exact, RETRY_UNKNOWN, 1, T, T + H48, 7).verdict,
                     RETRY_VERDICT_UNKNOWN);
    assert_int_equal(retry_decide(&exact, RETRY_UNKNOWN, 1, T + H48, T, 7).verdict,
                     RETRY_VERDICT_UNKNOWN);
    /* A retry due exactly at the end of validity is allowed; 1 ms later is not. */
    d = retry_decide(&exact, RETRY_TEMPORARY, 1, T, T + 30000, 7);
    assert_int_equal(d.verdict, RETRY_VERDICT_RETRY);
    assert_int_equal(d.at_ms, T + 30000);
    assert_int_equal(retry_decide(&exact, RETRY_TEMPORARY, 1, T, T + 29999, 7).verdict,
                     RETRY_VERDICT_EXPIRED);
    /* Failing at or after the end of validity: expired. */
    assert_int_equal(retry_decide(&exact, RETRY_THROTTLED, 1, T, T, 7).verdict,
                     RETRY_VERDICT_EXPIRED);
    assert_int_equal(retry_decide(&exact, RETRY_TEMPORARY, 1, T + 1, T, 7).verdict,
                     RETRY_VERDICT_EXPIRED);
}

/* Fails every attempt at its retry time for a 48 h validity. By hand: retries
 * 1-6 wait 30+60+120+240+480+960 s = 1,890 s; from the 7th, 1,800 s each.
 * Attempt n >= 7 fails at 1,890 + 1,800 (n - 7) s and may retry while that
 * plus 1,800 stays within 172,800 s: 1,800 (n - 6) <= 170,910, n <= 100. So
 * 100 retries, and attempt 101 fails at 1,890 + 1,800 x 94 = 171,090 s: expired. */
static void whole_schedule_until_validity(void **state)
{
    (void)state;
    int64_t now = T, until = retry_valid_until(T, H48);
    unsigned attempts = 1, retries = 0;
    struct retry_decision d;
    while ((d = retry_decide(&exact, RETRY_TEMPORARY, attempts, now, until, 1)).verdict ==
           RETRY_VERDICT_RETRY) {
        assert_true(d.at_ms > now && d.at_ms <= until);
        now = d.at_ms;
        attempts++;
        retries++;
    }
    assert_int_equal(d.verdict, RETRY_VERDICT_EXPIRED);
    assert_int_equal(retries, 100);
    assert_int_equal(attempts, 101);
    assert_int_equal(now - T, 171090000);
}

static void validity(void **state)
{
    (void)state;
    int64_t ms = 0;
    struct rl_err err;
    assert_int_equal(retry_validity_ms(false, 0, H48, &ms, NULL), 0);
    assert_int_equal(ms, H48); /* absent: the configured default */
    assert_int_equal(retry_validity_ms(true, 60, H48, &ms, NULL), 0);
    assert_int_equal(ms, 60000); /* 1 min, the floor */
    assert_int_equal(retry_validity_ms(true, 259200, H48, &ms, NULL), 0);
    assert_int_equal(ms, 259200000); /* 72 h, the ceiling */
    assert_int_equal(retry_validity_ms(true, 59, H48, &ms, &err), RL_ERANGE);
    assert_string_equal(err.field, "validity");
    assert_string_equal(err.msg, "validity 59: out of range 60..259200 seconds (1 minute to 72 "
                                 "hours)");
    assert_int_equal(retry_validity_ms(true, 259201, H48, &ms, NULL), RL_ERANGE);
    assert_int_equal(retry_validity_ms(true, -1, H48, &ms, NULL), RL_ERANGE);
    assert_int_equal(ms, 259200000); /* untouched on failure */
    assert_int_equal(retry_valid_until(T, H48), T + H48);
    assert_int_equal(retry_valid_until(INT64_MAX - 5, H48), INT64_MAX);
}

static void from_config(void **state)
{
    (void)state;
    struct cfg c;
    struct retry_policy p;
    cfg_init(&c);
    assert_int_equal(c.dispatch_validity_ms, H48);
    retry_policy_from_cfg(&p, &c);
    assert_int_equal(p.first_ms, 30000);
    assert_int_equal(p.max_ms, 1800000);
    assert_int_equal(p.jitter_pct, 25);
    /* retry_max below retry_min is raised to it. */
    assert_int_equal(cfg_set(&c, "dispatch.retry_min", "5m", NULL), 0);
    assert_int_equal(cfg_set(&c, "dispatch.retry_max", "1m", NULL), 0);
    retry_policy_from_cfg(&p, &c);
    assert_int_equal(p.first_ms, 300000);
    assert_int_equal(p.max_ms, 300000);
    /* validity is bounded by cfg as the API bounds it: 1 min .. 72 h. */
    assert_int_equal(cfg_set(&c, "dispatch.validity", "73h", NULL), RL_ECONFIG);
    assert_int_equal(cfg_set(&c, "dispatch.validity", "72h", NULL), 0);
    cfg_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes),
        cmocka_unit_test(backoff_doubles_to_the_cap),
        cmocka_unit_test(jitter_is_bounded_and_deterministic),
        cmocka_unit_test(decisions),
        cmocka_unit_test(whole_schedule_until_validity),
        cmocka_unit_test(validity),
        cmocka_unit_test(from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

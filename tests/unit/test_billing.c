/* Prices and credit in micro-units (millionths of a euro): every expected
 * amount is worked out by hand in the comment beside it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "domain/billing.h"

static int64_t amount(const char *s, int64_t max, int want_rc)
{
    int64_t v = -1;
    assert_int_equal(billing_amount_parse(s, strlen(s), max, &v), want_rc);
    return v;
}

static void amounts(void **state)
{
    (void)state;
    assert_int_equal(amount("0.045", BILLING_PRICE_MAX, 0), 45000);     /* 0.045 x 1e6 */
    assert_int_equal(amount("10", BILLING_AMOUNT_MAX, 0), 10000000);    /* 10 x 1e6 */
    assert_int_equal(amount("1.5", BILLING_PRICE_MAX, 0), 1500000);     /* 1.5 x 1e6 */
    assert_int_equal(amount("0.000001", BILLING_PRICE_MAX, 0), 1);      /* the smallest step */
    assert_int_equal(amount("0", BILLING_PRICE_MAX, 0), 0);             /* free */
    assert_int_equal(amount("007.10", BILLING_PRICE_MAX, 0), 7100000);  /* leading zeros */
    assert_int_equal(amount("1000", BILLING_PRICE_MAX, 0), 1000000000); /* the price cap itself */
    amount("1000.000001", BILLING_PRICE_MAX, RL_ERANGE);                /* 1 micro-unit over */
    amount("99999999999999999999", BILLING_AMOUNT_MAX, RL_ERANGE);      /* no overflow */
    amount("0.0000001", BILLING_PRICE_MAX, RL_EPARSE);                  /* 7 decimals */
    amount(".5", BILLING_PRICE_MAX, RL_EPARSE);
    amount("5.", BILLING_PRICE_MAX, RL_EPARSE);
    amount("-1", BILLING_PRICE_MAX, RL_EPARSE);
    amount("1e3", BILLING_PRICE_MAX, RL_EPARSE);
    amount("0,045", BILLING_PRICE_MAX, RL_EPARSE);
    amount(" 1", BILLING_PRICE_MAX, RL_EPARSE);
    amount("", BILLING_PRICE_MAX, RL_EPARSE);
    /* len bounds the read: "0.04" of "0.045". */
    int64_t v;
    assert_int_equal(billing_amount_parse("0.045", 4, BILLING_PRICE_MAX, &v), 0);
    assert_int_equal(v, 40000);
}

static void formatting(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(billing_amount_format(135000, out, sizeof(out)), 5);
    assert_string_equal(out, "0.135");
    billing_amount_format(10000000, out, sizeof(out));
    assert_string_equal(out, "10");
    billing_amount_format(-2500000, out, sizeof(out));
    assert_string_equal(out, "-2.5");
    billing_amount_format(1, out, sizeof(out));
    assert_string_equal(out, "0.000001");
    billing_amount_format(0, out, sizeof(out));
    assert_string_equal(out, "0");
    /* INT64_MIN = -9223372036854775808 micro-units. */
    assert_int_equal(billing_amount_format(INT64_MIN, out, sizeof(out)), 21);
    assert_string_equal(out, "-9223372036854.775808");
    assert_int_equal(billing_amount_format(135000, out, 5), RL_ETOOLONG);
}

static void prices_list(void **state)
{
    (void)state;
    struct billing_table t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(billing_prices_parse(&t, "+33:0.045,+32:0.065,+44:0.04", NULL), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.prices[0].prefix, "33");
    assert_int_equal(t.prices[0].micro, 45000);
    assert_string_equal(t.prices[1].prefix, "32");
    assert_int_equal(t.prices[1].micro, 65000);
    assert_string_equal(t.prices[2].prefix, "44");
    assert_int_equal(t.prices[2].micro, 40000);
    /* Spaces around entries and ':' are allowed; "" is an empty list. */
    assert_int_equal(billing_prices_parse(&t, " +336 : 0.04 , +33:0.045 ", NULL), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.prices[0].prefix, "336");
    assert_int_equal(t.prices[0].micro, 40000);
    assert_int_equal(billing_prices_parse(&t, "", NULL), 0);
    assert_int_equal(t.n, 0);
    billing_table_release(&t);
}

static void refused(const char *text, const char *msg)
{
    struct billing_table t;
    struct rl_err err;
    memset(&t, 0, sizeof(t));
    assert_int_equal(billing_prices_parse(&t, "+1:0.01", NULL), 0);
    assert_int_equal(billing_prices_parse(&t, text, &err), RL_ECONFIG);
    assert_string_equal(err.field, "billing.prices");
    assert_string_equal(err.msg, msg);
    /* Unchanged on failure. */
    assert_int_equal(t.n, 1);
    assert_int_equal(t.prices[0].micro, 10000);
    billing_table_release(&t);
}

static void prices_errors_name_the_entry(void **state)
{
    (void)state;
    refused("+33:0.045,+32", "billing.prices: entry 2 '+32': expected +PREFIX:PRICE such as "
                             "+33:0.045");
    refused("33:0.045", "billing.prices: entry 1 '33:0.045': prefix '33': expected + then 1 to 15 "
                        "digits");
    refused("+3a:1",
            "billing.prices: entry 1 '+3a:1': prefix '+3a': expected + then 1 to 15 digits");
    refused("+33:0.0455555", "billing.prices: entry 1 '+33:0.0455555': price '0.0455555': expected "
                             "a decimal such as 0.045, at most 6 decimals");
    refused("+33:2000",
            "billing.prices: entry 1 '+33:2000': price '2000': more than 1000 a segment");
    refused("+33:0.045,+33:0.05", "billing.prices: entry 2 '+33:0.05': +33 is priced twice (entry "
                                  "1)");
    refused("+33:0.045,", "billing.prices: entry 2 is empty");
    refused("+33:0.045,,+32:1", "billing.prices: entry 2 is empty");
    refused("+1234567890123456:1", "billing.prices: entry 1 '+1234567890123456:1': prefix "
                                   "'+1234567890123456': expected + then 1 to 15 digits");
}

/* default 0.05; +33 0.045, +32 0.065, +44 0.04 */
static void table(struct billing_table *t)
{
    memset(t, 0, sizeof(*t));
    t->default_micro = 50000;
    assert_int_equal(billing_prices_parse(t, "+33:0.045,+32:0.065,+44:0.04", NULL), 0);
}

static void costs(void **state)
{
    (void)state;
    struct billing_table t;
    table(&t);
    /* 3 segments to a French mobile at 0.045: 3 x 45,000 = 135,000 (0.135 EUR). */
    assert_int_equal(billing_cost(&t, "+33612345678", 3), 135000);
    /* 2 to Belgium at 0.065: 130,000. */
    assert_int_equal(billing_cost(&t, "+32470123456", 2), 130000);
    /* 1 to the US, no entry: the default 50,000. */
    assert_int_equal(billing_cost(&t, "+12025550123", 1), 50000);
    /* 10 to the UK at 0.04: 400,000. */
    assert_int_equal(billing_cost(&t, "+447911123456", 10), 400000);
    assert_int_equal(billing_cost(&t, "+33612345678", 0), 0);
    /* Longest prefix wins: +336 at 0.04 beats +33 at 0.045 for mobiles only. */
    assert_int_equal(billing_prices_parse(&t, "+33:0.045,+336:0.04", NULL), 0);
    assert_int_equal(billing_cost(&t, "+33612345678", 3), 120000); /* 3 x 40,000 */
    assert_int_equal(billing_cost(&t, "+33123456789", 3), 135000); /* 3 x 45,000 */
    assert_int_equal(billing_price(&t, "+337"), 45000);
    /* Overflow: at 1000 EUR (1e9) a segment, INT64_MAX / 1e9 = 9,223,372,036.85 segments. */
    assert_int_equal(billing_prices_parse(&t, "+9:1000", NULL), 0);
    assert_int_equal(billing_cost(&t, "+91", 9223372036ull), 9223372036000000000ll);
    assert_int_equal(billing_cost(&t, "+91", 9223372037ull), INT64_MAX);
    assert_int_equal(billing_cost(&t, "+91", SIZE_MAX), INT64_MAX);
    billing_table_release(&t);
}

static void afford(void **state)
{
    (void)state;
    assert_true(billing_can_afford(135000, 135000));  /* exactly enough */
    assert_false(billing_can_afford(134999, 135000)); /* 1 micro-euro short */
    assert_true(billing_can_afford(10000000, 135000));
    assert_false(billing_can_afford(0, 1));
    assert_true(billing_can_afford(-5, 0)); /* free even when overdrawn */
    assert_false(billing_can_afford(-5, 1));
}

static void low_balance_once_per_crossing(void **state)
{
    (void)state;
    const int64_t th = 10000000; /* 10 EUR */
    /* 10.05 - 0.135 = 9.915: crosses. */
    assert_true(billing_crossed_low(10050000, 9915000, th));
    /* 9.915 - 0.135 = 9.78: already below, no second event. */
    assert_false(billing_crossed_low(9915000, 9780000, th));
    /* At the threshold counts as above it: 10.00 -> 9.999999 crosses. */
    assert_true(billing_crossed_low(10000000, 9999999, th));
    /* Landing exactly on it is not below it. */
    assert_false(billing_crossed_low(10135000, 10000000, th));
    /* A top-up does not fire; the next crossing down fires again. */
    assert_false(billing_crossed_low(9780000, 20000000, th));
    assert_true(billing_crossed_low(10100000, 9965000, th));
    /* Threshold 0: never. */
    assert_false(billing_crossed_low(1, -1, 0));
    assert_false(billing_crossed_low(0, -1, 0));
}

static void from_config(void **state)
{
    (void)state;
    struct cfg c;
    struct billing_table t;
    struct rl_err err;
    cfg_init(&c);
    /* The defaults: EUR, 0.045 everywhere, +33 at 0.045, alert under 10. */
    assert_int_equal(billing_table_init_cfg(&t, &c, NULL), 0);
    assert_string_equal(t.currency, "EUR");
    assert_int_equal(t.default_micro, 45000);
    assert_int_equal(t.low_balance_micro, 10000000);
    assert_int_equal(t.n, 1);
    assert_int_equal(billing_cost(&t, "+33612345678", 3), 135000);
    billing_table_release(&t);

    assert_int_equal(cfg_set(&c, "billing.prices", "+32:0.065,+33:abc", NULL), 0);
    assert_int_equal(billing_table_init_cfg(&t, &c, &err), RL_ECONFIG);
    assert_string_equal(err.msg, "billing.prices: entry 2 '+33:abc': price 'abc': expected a "
                                 "decimal such as 0.045, at most 6 decimals");
    assert_int_equal(cfg_set(&c, "billing.prices", "", NULL), 0);

    assert_int_equal(cfg_set(&c, "billing.low_balance", "ten", NULL), 0);
    assert_int_equal(billing_table_init_cfg(&t, &c, &err), RL_ECONFIG);
    assert_string_equal(err.field, "billing.low_balance");
    assert_string_equal(err.msg, "billing.low_balance = 'ten': expected a decimal such as 0.045, "
                                 "at most 6 decimals");
    assert_int_equal(cfg_set(&c, "billing.low_balance", "0", NULL), 0);

    assert_int_equal(cfg_set(&c, "billing.default_price", "1001", NULL), 0);
    assert_int_equal(billing_table_init_cfg(&t, &c, &err), RL_ECONFIG);
    assert_string_equal(err.msg, "billing.default_price = 1001: out of range (at most 1000)");
    assert_int_equal(cfg_set(&c, "billing.default_price", "0.07", NULL), 0);

    assert_int_equal(cfg_set(&c, "billing.currency", "eur", NULL), 0);
    assert_int_equal(billing_table_init_cfg(&t, &c, &err), RL_ECONFIG);
    assert_string_equal(err.field, "billing.currency");
    assert_int_equal(cfg_set(&c, "billing.currency", "CHF", NULL), 0);

    assert_int_equal(billing_table_init_cfg(&t, &c, NULL), 0);
    assert_string_equal(t.currency, "CHF");
    assert_int_equal(t.n, 0);
    assert_int_equal(t.low_balance_micro, 0);
    assert_int_equal(billing_cost(&t, "+33612345678", 2), 140000); /* 2 x 0.07 */
    billing_table_release(&t);
    cfg_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(amounts),
        cmocka_unit_test(formatting),
        cmocka_unit_test(prices_list),
        cmocka_unit_test(prices_errors_name_the_entry),
        cmocka_unit_test(costs),
        cmocka_unit_test(afford),
        cmocka_unit_test(low_balance_once_per_crossing),
        cmocka_unit_test(from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

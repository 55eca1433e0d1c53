/* The per-key token bucket, at hand-picked instants: rate 2/s, burst 2. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/api_ratelimit.h"

static void bucket(void **state)
{
    (void)state;
    struct api_ratelimit *rl = api_ratelimit_new(2, 2);
    /* A new key starts full: two at once, then the third waits for half a
     * second (one token at 2 a second). */
    assert_int_equal(api_ratelimit_take(rl, 7, 1000), 0);
    assert_int_equal(api_ratelimit_take(rl, 7, 1000), 0);
    assert_int_equal(api_ratelimit_take(rl, 7, 1000), 500);
    /* 250 ms later half a token has come back: 250 ms more to wait. */
    assert_int_equal(api_ratelimit_take(rl, 7, 1250), 250);
    /* At 1500 ms a whole token: allowed, and the bucket is empty again. */
    assert_int_equal(api_ratelimit_take(rl, 7, 1500), 0);
    assert_int_equal(api_ratelimit_take(rl, 7, 1500), 500);
    /* Another key has its own bucket. */
    assert_int_equal(api_ratelimit_take(rl, 8, 1500), 0);
    /* A long idle refills to the burst, not beyond: two, then a wait. */
    assert_int_equal(api_ratelimit_take(rl, 7, 100000), 0);
    assert_int_equal(api_ratelimit_take(rl, 7, 100000), 0);
    assert_int_equal(api_ratelimit_take(rl, 7, 100000), 500);
    api_ratelimit_free(rl);
}

static void many_keys(void **state)
{
    (void)state;
    struct api_ratelimit *rl = api_ratelimit_new(1, 1);
    /* Past the first table size: every key keeps its own bucket. */
    for (int64_t k = 1; k <= 1000; k++)
        assert_int_equal(api_ratelimit_take(rl, k, 0), 0);
    for (int64_t k = 1; k <= 1000; k++)
        assert_int_equal(api_ratelimit_take(rl, k, 0), 1000);
    api_ratelimit_free(rl);
    api_ratelimit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(bucket), cmocka_unit_test(many_keys)};
    return cmocka_run_group_tests_name("api_ratelimit", tests, NULL, NULL);
}

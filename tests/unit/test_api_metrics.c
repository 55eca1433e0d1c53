/* GET /metrics' text: label escaping, and an exposition whose every line is a
 * comment or `name{labels} value`, with and without a dispatcher. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/api_metrics.h"
#include "dispatch/dispatch.h"

static void label_escapes(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(api_metrics_label(&b, "a\\b\"c\nd"), 0);
    assert_string_equal(b.data, "a\\\\b\\\"c\\nd");
    buf_release(&b);
}

static void without_dispatcher(void **state)
{
    (void)state;
    int64_t counts[MSG_STATE_COUNT] = {0};
    counts[MSG_STATE_DELIVERED] = 7;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(api_metrics_render(&b, counts, NULL, NULL), 0);
    assert_non_null(strstr(b.data, "# TYPE relais_messages gauge\n"));
    assert_non_null(strstr(b.data, "\nrelais_messages{state=\"delivered\"} 7\n"));
    assert_non_null(strstr(b.data, "\nrelais_messages{state=\"unknown\"} 0\n"));
    assert_non_null(strstr(b.data, "relais_build_info{version=\""));
    assert_null(strstr(b.data, "relais_route_up"));
    assert_int_equal(b.data[b.len - 1], '\n');
    buf_release(&b);
}

static void with_dispatcher(void **state)
{
    (void)state;
    int64_t counts[MSG_STATE_COUNT] = {0};
    struct dispatch_stats ds;
    memset(&ds, 0, sizeof(ds));
    ds.claimed = 12;
    ds.nroutes = 2;
    strcpy(ds.routes[0].name, "sim");
    ds.routes[0].up = true;
    ds.routes[0].window = 10;
    ds.routes[0].window_used = 3;
    ds.routes[0].queued = 5;
    strcpy(ds.routes[1].name, "b\"x");
    /* Three answers: 0.4 ms, exactly 1 ms (bounds are inclusive, as le says)
     * and 7 s; the buckets are cumulative and +Inf holds them all. */
    hist_record_us(&ds.routes[0].resp_latency, 400);
    hist_record_us(&ds.routes[0].resp_latency, 1000);
    hist_record_us(&ds.routes[0].resp_latency, 7000000);
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(api_metrics_render(&b, counts, &ds, NULL), 0);
    assert_non_null(strstr(b.data, "\nrelais_route_up{route=\"sim\"} 1\n"));
    assert_non_null(strstr(b.data, "\nrelais_route_up{route=\"b\\\"x\"} 0\n"));
    assert_non_null(strstr(b.data, "\nrelais_route_window{route=\"sim\"} 10\n"));
    assert_non_null(strstr(b.data, "\nrelais_route_window_used{route=\"sim\"} 3\n"));
    assert_non_null(strstr(b.data, "\nrelais_route_queued{route=\"sim\"} 5\n"));
    assert_non_null(strstr(b.data, "# TYPE relais_dispatch_claimed_total counter\n"));
    assert_non_null(strstr(b.data, "\nrelais_dispatch_claimed_total 12\n"));
    assert_non_null(strstr(b.data, "# TYPE relais_submit_response_seconds histogram\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_submit_response_seconds_bucket{route=\"sim\",le=\"0.001\"} 2\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_submit_response_seconds_bucket{route=\"sim\",le=\"5\"} 2\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_submit_response_seconds_bucket{route=\"sim\",le=\"10\"} 3\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_submit_response_seconds_bucket{route=\"sim\",le=\"+Inf\"} 3\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_submit_response_seconds_sum{route=\"sim\"} 7.001400\n"));
    assert_non_null(strstr(b.data, "\nrelais_submit_response_seconds_count{route=\"sim\"} 3\n"));
    assert_non_null(strstr(b.data, "\nrelais_submit_receipt_seconds_count{route=\"b\\\"x\"} 0\n"));
    buf_release(&b);
}

/* The store writer's counters, times in seconds from ns: 1.5 s of
 * operations, 0.25 s committing, 2 µs idle. */
static void with_store_writer(void **state)
{
    (void)state;
    int64_t counts[MSG_STATE_COUNT] = {0};
    struct store_stats ss = {.commits = 4,
                             .ops = 9,
                             .max_batch = 3,
                             .ops_ns = 1500000000u,
                             .commit_ns = 250000000u,
                             .idle_ns = 2000u};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(api_metrics_render(&b, counts, NULL, &ss), 0);
    assert_non_null(strstr(b.data, "\nrelais_store_commits_total 4\n"));
    assert_non_null(strstr(b.data, "\nrelais_store_ops_total 9\n"));
    assert_non_null(strstr(b.data, "# TYPE relais_store_writer_seconds_total counter\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_store_writer_seconds_total{phase=\"ops\"} 1.500000\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_store_writer_seconds_total{phase=\"commit\"} 0.250000\n"));
    assert_non_null(
        strstr(b.data, "\nrelais_store_writer_seconds_total{phase=\"idle\"} 0.000002\n"));
    buf_release(&b);
}

static void capped(void **state)
{
    (void)state;
    int64_t counts[MSG_STATE_COUNT] = {0};
    struct buf b;
    buf_init(&b, 64);
    assert_int_not_equal(api_metrics_render(&b, counts, NULL, NULL), 0);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_escapes),   cmocka_unit_test(without_dispatcher),
        cmocka_unit_test(with_dispatcher), cmocka_unit_test(with_store_writer),
        cmocka_unit_test(capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

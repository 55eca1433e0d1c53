#include "api/api_metrics.h"

#include <inttypes.h>
#include <stddef.h>

#include "core/version.h"
#include "dispatch/dispatch.h"
#include "core/banned.h"

/* Far above what 13 states and CFG_ROUTES_MAX routes need; a cap all the same. */
#define METRICS_MAX ((size_t)1 << 20)

int api_metrics_label(struct buf *out, const char *v)
{
    int rc = 0;
    for (; rc == 0 && *v; v++) {
        if (*v == '\\')
            rc = buf_adds(out, "\\\\");
        else if (*v == '"')
            rc = buf_adds(out, "\\\"");
        else if (*v == '\n')
            rc = buf_adds(out, "\\n");
        else
            rc = buf_addch(out, *v);
    }
    return rc;
}

static int header(struct buf *out, const char *name, const char *type, const char *help)
{
    return buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int messages(struct buf *out, const int64_t counts[MSG_STATE_COUNT])
{
    int rc = header(out, "relais_messages", "gauge", "Messages in the store by state.");
    for (int i = 0; rc == 0 && i < MSG_STATE_COUNT; i++)
        rc = buf_addf(out, "relais_messages{state=\"%s\"} %" PRId64 "\n",
                      msg_state_name((enum msg_state)i), counts[i]);
    return rc;
}

/* One gauge per route: field picks the value from the route's stats. */
enum route_field { ROUTE_UP, ROUTE_WINDOW, ROUTE_WINDOW_USED, ROUTE_QUEUED };

static uint64_t route_value(const struct dispatch_route_stats *r, enum route_field f)
{
    switch (f) {
    case ROUTE_UP:
        return r->up ? 1 : 0;
    case ROUTE_WINDOW:
        return r->window;
    case ROUTE_WINDOW_USED:
        return r->window_used;
    case ROUTE_QUEUED:
        return r->queued;
    }
    return 0;
}

static int route_gauge(struct buf *out, const struct dispatch_stats *ds, const char *name,
                       const char *help, enum route_field f)
{
    int rc = header(out, name, "gauge", help);
    for (size_t i = 0; rc == 0 && i < ds->nroutes && i < CFG_ROUTES_MAX; i++) {
        rc = buf_addf(out, "%s{route=\"", name);
        if (rc == 0)
            rc = api_metrics_label(out, ds->routes[i].name);
        if (rc == 0)
            rc = buf_addf(out, "\"} %" PRIu64 "\n", route_value(&ds->routes[i], f));
    }
    return rc;
}

/* One route's series of a histogram: cumulative buckets with le in seconds,
 * then _sum (seconds) and _count, as the Prometheus text format has them. */
static int hist_series(struct buf *out, const char *name, const char *route, const struct hist *h)
{
    int rc = 0;
    uint64_t cum = 0;
    for (size_t b = 0; rc == 0 && b < HIST_BUCKETS; b++) {
        cum += h->bucket[b];
        int64_t ms = hist_bound_ms(b);
        rc = buf_addf(out, "%s_bucket{route=\"", name);
        if (rc == 0)
            rc = api_metrics_label(out, route);
        if (rc == 0 && ms < 0)
            rc = buf_addf(out, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
        else if (rc == 0)
            rc = buf_addf(out, "\",le=\"%g\"} %" PRIu64 "\n", (double)ms / 1000.0, cum);
    }
    const char *part[2] = {"_sum", "_count"};
    for (int k = 0; rc == 0 && k < 2; k++) {
        rc = buf_addf(out, "%s%s{route=\"", name, part[k]);
        if (rc == 0)
            rc = api_metrics_label(out, route);
        if (rc == 0 && k == 0)
            rc = buf_addf(out, "\"} %.6f\n", (double)h->sum_us / 1e6);
        else if (rc == 0)
            rc = buf_addf(out, "\"} %" PRIu64 "\n", h->count);
    }
    return rc;
}

static int route_hist(struct buf *out, const struct dispatch_stats *ds, const char *name,
                      const char *help, bool receipt)
{
    int rc = header(out, name, "histogram", help);
    for (size_t i = 0; rc == 0 && i < ds->nroutes && i < CFG_ROUTES_MAX; i++) {
        const struct dispatch_route_stats *r = &ds->routes[i];
        rc = hist_series(out, name, r->name, receipt ? &r->receipt_latency : &r->resp_latency);
    }
    return rc;
}

static int counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
    int rc = header(out, name, "counter", help);
    return rc == 0 ? buf_addf(out, "%s %" PRIu64 "\n", name, v) : rc;
}

static int dispatcher(struct buf *out, const struct dispatch_stats *ds)
{
    const struct {
        const char *name, *help;
        uint64_t v;
    } c[] = {
        {"relais_dispatch_claimed_total", "Messages claimed from the store.", ds->claimed},
        {"relais_dispatch_submitted_total", "Messages handed to a connector.", ds->submitted},
        {"relais_dispatch_accepted_total", "Messages whose every part the SMSC accepted.",
         ds->accepted},
        {"relais_dispatch_failed_total", "Messages failed for good.", ds->failed},
        {"relais_dispatch_rejected_total", "Messages refused by the send-time checks or routing.",
         ds->rejected},
        {"relais_dispatch_retried_total", "Messages put back to retry later.", ds->retried},
        {"relais_dispatch_expired_total", "Messages whose validity elapsed.", ds->expired},
        {"relais_dispatch_receipts_total", "Final delivery receipts recorded.", ds->receipts},
        {"relais_dispatch_inbound_total", "Inbound messages stored.", ds->inbound},
        {"relais_dispatch_store_errors_total", "Outcomes the store refused.", ds->store_errors},
    };
    int rc = route_gauge(out, ds, "relais_route_up", "1 when the route's SMPP session is bound.",
                         ROUTE_UP);
    if (rc == 0)
        rc = route_gauge(out, ds, "relais_route_window", "The route's configured window.",
                         ROUTE_WINDOW);
    if (rc == 0)
        rc = route_gauge(out, ds, "relais_route_window_used",
                         "submit_sm awaiting their response on the route.", ROUTE_WINDOW_USED);
    if (rc == 0)
        rc = route_gauge(out, ds, "relais_route_queued", "Parts waiting for the route's window.",
                         ROUTE_QUEUED);
    if (rc == 0)
        rc = route_hist(out, ds, "relais_submit_response_seconds",
                        "From a submit_sm sent to its submit_sm_resp, by route.", false);
    if (rc == 0)
        rc = route_hist(out, ds, "relais_submit_receipt_seconds",
                        "From the accepted submit_sm sent to its final delivery receipt, by route.",
                        true);
    for (size_t i = 0; rc == 0 && i < sizeof(c) / sizeof(c[0]); i++)
        rc = counter(out, c[i].name, c[i].help, c[i].v);
    if (rc == 0)
        rc = header(out, "relais_dispatch_inflight", "gauge", "Messages with connectors now.");
    if (rc == 0)
        rc = buf_addf(out, "relais_dispatch_inflight %zu\n", ds->inflight);
    return rc;
}

/* The store writer's counters: commits, operations, and where its thread's
 * time goes (a writer near 100 % busy is the pipeline's ceiling). */
static int writer(struct buf *out, const struct store_stats *ss)
{
    int rc = counter(out, "relais_store_commits_total", "Transactions the store writer committed.",
                     ss->commits);
    if (rc == 0)
        rc = counter(out, "relais_store_ops_total", "Write operations in those commits.", ss->ops);
    if (rc == 0)
        rc = header(out, "relais_store_writer_seconds_total", "counter",
                    "The store writer thread's time: running operations, committing (fsync "
                    "included), waiting for work.");
    const struct {
        const char *phase;
        uint64_t ns;
    } t[] = {{"ops", ss->ops_ns}, {"commit", ss->commit_ns}, {"idle", ss->idle_ns}};
    for (size_t i = 0; rc == 0 && i < sizeof(t) / sizeof(t[0]); i++)
        rc = buf_addf(out, "relais_store_writer_seconds_total{phase=\"%s\"} %.6f\n", t[i].phase,
                      (double)t[i].ns / 1e9);
    return rc;
}

int api_metrics_render(struct buf *out, const int64_t counts[MSG_STATE_COUNT],
                       const struct dispatch_stats *ds, const struct store_stats *ss)
{
    int rc = header(out, "relais_build_info", "gauge", "The running build (always 1).");
    if (rc == 0)
        rc = buf_adds(out, "relais_build_info{version=\"");
    if (rc == 0)
        rc = api_metrics_label(out, RELAIS_VERSION);
    if (rc == 0)
        rc = buf_adds(out, "\"} 1\n");
    if (rc == 0)
        rc = messages(out, counts);
    if (rc == 0 && ds)
        rc = dispatcher(out, ds);
    if (rc == 0 && ss)
        rc = writer(out, ss);
    return rc;
}

void api_metrics_get(const struct api_request *rq, struct api_response *rs)
{
    int64_t counts[MSG_STATE_COUNT];
    struct dispatch_stats ds;
    struct rl_err err = {0};
    struct buf b;
    if (store_message_counts(rq->store, counts, &err) != 0) {
        api_error(rs, 503, "store_unavailable", NULL, "%s", err.msg);
        return;
    }
    if (rq->dispatch)
        dispatch_stats_get(rq->dispatch, &ds);
    struct store_stats ss;
    store_stats_get(rq->store, &ss);
    buf_init(&b, METRICS_MAX);
    if (api_metrics_render(&b, counts, rq->dispatch ? &ds : NULL, &ss) != 0) {
        buf_release(&b);
        api_error(rs, 500, "internal", NULL, "the metrics exceed %zu bytes", METRICS_MAX);
        return;
    }
    rs->status = 200;
    rs->type = API_METRICS_TYPE;
    rs->raw_owned = buf_detach(&b, &rs->raw_len);
}

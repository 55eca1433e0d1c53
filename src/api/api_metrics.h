#ifndef RL_API_METRICS_H
#define RL_API_METRICS_H

#include <stdint.h>

#include "api/router.h"
#include "core/buf.h"
#include "store/store.h"

/* GET /metrics: the Prometheus text exposition format (version 0.0.4), public
 * like /v1/health. Messages by state come from the store (one GROUP BY on a
 * reader connection), routes and counters from the dispatcher's snapshot
 * (absent when no route is configured: then only the store's gauges and
 * relais_build_info are exposed). */

struct dispatch_stats;
struct store_stats;

#define API_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* GET /metrics → 200 text/plain, or 503 JSON when the store cannot be read. */
void api_metrics_get(const struct api_request *rq, struct api_response *rs);

/* Appends the exposition to out: counts[] (borrowed) by state, ds
 * (borrowed; NULL: no dispatcher) and ss (borrowed; NULL: no store writer
 * counters). Returns 0 or RL_ETOOLONG (out's cap). */
int api_metrics_render(struct buf *out, const int64_t counts[MSG_STATE_COUNT],
                       const struct dispatch_stats *ds, const struct store_stats *ss);

/* Appends v to out as a label value: backslash, double quote and newline
 * escaped (\\, \", \n). Returns 0 or RL_ETOOLONG. */
int api_metrics_label(struct buf *out, const char *v);

#endif

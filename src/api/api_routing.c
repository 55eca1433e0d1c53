#include "api/api_routing.h"

#include <stdlib.h>
#include <string.h>

#include "api/api_json.h"
#include "core/log.h"
#include "core/mem.h"
#include "dispatch/dispatch.h"
#include "store/store.h"
#include "core/banned.h"

static json_t *time_json(int64_t ms)
{
    char s[API_TIME_SIZE];
    api_time_format(ms, s);
    return json_string(s);
}

/* "+33,+32" as ["+33", "+32"]; "" (every destination) as []. */
static json_t *prefixes_json(const char *s)
{
    json_t *a = json_array();
    while (s && *s) {
        size_t n = strcspn(s, ",");
        if (n)
            json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return a;
}

/* true or false while the dispatcher runs it; null when nothing runs it (an
 * inactive route, or serve without a dispatcher). */
static json_t *up_json(const struct dispatch_stats *ds, const struct store_route *r)
{
    for (size_t i = 0; ds && r->active && i < ds->nroutes && i < CFG_ROUTES_MAX; i++)
        if (strcmp(ds->routes[i].name, r->name) == 0)
            return json_boolean(ds->routes[i].up);
    return json_null();
}

static json_t *route_json(const struct store_route *r, const struct dispatch_stats *ds)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:o,s:b,s:o,s:o,s:o}", "name", r->name, "kind",
                     r->kind, "host", r->host, "port", r->port, "system_id", r->system_id,
                     "prefixes", prefixes_json(r->prefixes), "default_sender",
                     r->default_sender[0] ? json_string(r->default_sender) : json_null(), "active",
                     r->active, "up", up_json(ds, r), "first_seen", time_json(r->first_seen),
                     "updated_at", time_json(r->updated_at));
}

void api_routes_list(const struct api_request *rq, struct api_response *rs)
{
    struct store_route *routes;
    struct dispatch_stats *ds = NULL;
    size_t n = 0;
    struct rl_err err = {0};
    if (rq->nquery || rq->query_overflow) {
        api_error(rs, 400, "unknown_parameter", rq->nquery ? rq->query[0].key : NULL,
                  "GET /v1/routes takes no query parameter");
        return;
    }
    int rc = store_routes_list(rq->store, &routes, &n, &err);
    if (rc != 0) {
        log_error("api", "store_failed", "op=routes rc=%s detail=\"%s\"", rl_errname(rc), err.msg);
        api_error(rs, 500, "internal_error", NULL,
                  "the store failed to list the routes; try again");
        return;
    }
    if (rq->dispatch) {
        /* Histograms for every route: on the heap, not an HTTP thread's stack. */
        ds = xmalloc(sizeof(*ds));
        dispatch_stats_get(rq->dispatch, ds);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, route_json(&routes[i], ds));
    free(ds);
    free(routes);
    rs->status = 200;
    rs->body = json_pack("{s:o}", "routes", items);
}

#include "api/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_account.h"
#include "api/api_auth.h"
#include "api/api_campaigns.h"
#include "api/api_contacts.h"
#include "api/api_lists.h"
#include "api/api_messages.h"
#include "api/api_metrics.h"
#include "api/api_optouts.h"
#include "api/api_routing.h"
#include "api/api_unsub.h"
#include "core/version.h"
#include "text/utf8.h"
#include "store/store.h"
#include "core/banned.h"

static void get_health(const struct api_request *rq, struct api_response *rs)
{
    rs->status = 200;
    rs->body =
        json_pack("{s:s,s:s,s:{s:s,s:s,s:i}}", "status", "ok", "version", RELAIS_VERSION, "store",
                  "backend", store_backend(rq->store), "path", store_path(rq->store),
                  "schema_version", (int)store_schema_version(rq->store));
}

static void get_openapi(const struct api_request *rq, struct api_response *rs)
{
    (void)rq;
    rs->status = 200;
    rs->type = "application/json";
    rs->raw = api_openapi_json;
    rs->raw_len = api_openapi_json_len;
}

/* Public: health, metrics, this document and the opt-out page. Everything else needs a key. A
 * literal segment ("batch") comes before the {id} that would also match it. */
static const struct api_route routes[] = {
    {"GET", "/v1/health", get_health, false},
    {"GET", "/openapi.json", get_openapi, false},
    {"GET", "/metrics", api_metrics_get, false},
    {"POST", "/v1/messages", api_messages_create, true},
    {"GET", "/v1/messages", api_messages_list, true},
    {"GET", "/v1/account", api_account_get, true},
    {"GET", "/v1/routes", api_routes_list, true},
    {"PATCH", "/v1/account", api_account_patch, true},
    {"POST", "/v1/messages/batch", api_messages_batch, true},
    {"GET", "/v1/messages/{id}", api_messages_get, true},
    {"DELETE", "/v1/messages/{id}", api_messages_cancel, true},
    {"GET", "/v1/optouts", api_optouts_list, true},
    {"POST", "/v1/optouts", api_optouts_create, true},
    {"GET", "/v1/optouts/{number}", api_optouts_get, true},
    {"DELETE", "/v1/optouts/{number}", api_optouts_delete, true},
    {"POST", "/v1/optins", api_optins_create, true},
    {"GET", "/v1/consent/settings", api_consent_settings_get, true},
    {"PATCH", "/v1/consent/settings", api_consent_settings_patch, true},
    /* The opt-out page: the signed token in the path is its credential. */
    {"GET", "/u/{token}", api_unsub_get, false},
    {"POST", "/u/{token}", api_unsub_post, false},
    {"POST", "/v1/contacts", api_contacts_create, true},
    {"GET", "/v1/contacts", api_contacts_list, true},
    {"POST", "/v1/contacts/import", api_contacts_import, true},
    {"GET", "/v1/contacts/{id}", api_contacts_get, true},
    {"PATCH", "/v1/contacts/{id}", api_contacts_update, true},
    {"DELETE", "/v1/contacts/{id}", api_contacts_delete, true},
    {"POST", "/v1/lists", api_lists_create, true},
    {"GET", "/v1/lists", api_lists_list, true},
    {"GET", "/v1/lists/{id}", api_lists_get, true},
    {"PATCH", "/v1/lists/{id}", api_lists_update, true},
    {"DELETE", "/v1/lists/{id}", api_lists_delete, true},
    {"GET", "/v1/lists/{id}/contacts", api_lists_members, true},
    {"POST", "/v1/lists/{id}/contacts", api_lists_members_add, true},
    {"DELETE", "/v1/lists/{id}/contacts", api_lists_members_remove, true},
    {"POST", "/v1/campaigns", api_campaigns_create, true},
    {"GET", "/v1/campaigns", api_campaigns_list, true},
    {"GET", "/v1/campaigns/{id}", api_campaigns_get, true},
    {"GET", "/v1/campaigns/{id}/summary", api_campaigns_summary, true},
    {"POST", "/v1/campaigns/{id}/test", api_campaigns_test, true},
    {"POST", "/v1/campaigns/{id}/launch", api_campaigns_launch, true},
    {"POST", "/v1/campaigns/{id}/pause", api_campaigns_pause, true},
    {"POST", "/v1/campaigns/{id}/resume", api_campaigns_resume, true},
    {"POST", "/v1/campaigns/{id}/cancel", api_campaigns_cancel, true},
    {"GET", "/v1/campaigns/{id}/report", api_campaigns_report, true},
};

const struct api_route *router_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

/* Matches path against pattern segment by segment; {x} takes one segment.
 * Copies the parameters into buf. */
static bool match(const char *pattern, const char *path, struct api_request *rq, char *buf,
                  size_t cap)
{
    size_t used = 0;
    rq->nparams = 0;
    while (*pattern && *path) {
        if (*pattern == '{') {
            size_t n = strcspn(path, "/");
            if (n == 0 || used + n + 1 > cap || rq->nparams == ROUTER_PARAMS_MAX)
                return false;
            memcpy(buf + used, path, n);
            buf[used + n] = '\0';
            rq->params[rq->nparams++] = buf + used;
            used += n + 1;
            path += n;
            pattern = strchr(pattern, '}');
            if (!pattern)
                return false;
            pattern++;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

const struct api_route *router_match(const char *method, const char *path, struct api_request *rq,
                                     char *buf, size_t cap, unsigned *status, char *allow,
                                     size_t allow_cap)
{
    size_t used = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(routes[i].pattern, path, rq, buf, cap))
            continue;
        bool head = strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0;
        if (strcmp(routes[i].method, method) == 0 || head)
            return &routes[i];
        int n =
            snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "", routes[i].method);
        if (n > 0 && (size_t)n < allow_cap - used)
            used += (size_t)n;
    }
    *status = used ? 405 : 404;
    return NULL;
}

void api_error(struct api_response *rs, unsigned status, const char *code, const char *field,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_scrub(msg); /* see api_problem_set */
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
    if (field) {
        char f[128];
        snprintf(f, sizeof(f), "%s", field);
        utf8_scrub(f);
        json_object_set_new(e, "field", json_string(f));
    }
    rs->status = status;
    rs->body = json_pack("{s:o}", "error", e);
}

void api_handle(struct api_request *rq, struct api_response *rs)
{
    char params[512];
    unsigned status = 0;
    const struct api_route *rt = router_match(rq->method, rq->path, rq, params, sizeof(params),
                                              &status, rs->allow, sizeof(rs->allow));
    if (!rt) {
        if (status == 405)
            api_error(rs, 405, "method_not_allowed", NULL, "%.200s takes %s", rq->path, rs->allow);
        else
            api_error(rs, 404, "not_found", NULL, "no route for %s %.200s", rq->method, rq->path);
        return;
    }
    if (rt->auth && !api_auth(rq, rs))
        return;
    rt->fn(rq, rs);
}

void api_header_add(struct api_response *rs, const char *name, const char *fmt, ...)
{
    if (rs->nheaders == API_HEADERS_MAX)
        return;
    struct api_header *h = &rs->headers[rs->nheaders++];
    va_list ap;
    va_start(ap, fmt);
    h->name = name;
    vsnprintf(h->value, sizeof(h->value), fmt, ap);
    va_end(ap);
}

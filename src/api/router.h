#ifndef RL_ROUTER_H
#define RL_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The API's routes: one table, matched by method and path with {params}.
 * Only src/api/ knows HTTP; handlers see a request and fill a response, and
 * never touch libmicrohttpd. The same table is checked against the OpenAPI
 * document by tests/unit/test_api_routes.c: a route without its description,
 * or a description without its route, fails the build's tests. */

#define ROUTER_PARAMS_MAX 4
#define API_QUERY_MAX     16 /* query parameters kept; more is a 400 */
#define API_HEADERS_MAX   4  /* extra response headers */

struct store;
struct api_config;
struct dispatch;

/* One query parameter, URL-decoded (borrowed from the HTTP layer). */
struct api_kv {
    const char *key;
    const char *value; /* "" for "?flag" */
};

struct api_request {
    const char *method;
    const char *path;
    const char *params[ROUTER_PARAMS_MAX]; /* the {…} segments, in order (owned by router) */
    size_t nparams;
    struct api_kv query[API_QUERY_MAX]; /* borrowed */
    size_t nquery;
    bool query_overflow;         /* more than API_QUERY_MAX parameters came */
    const char *authorization;   /* the Authorization header (borrowed), or NULL */
    const char *idempotency_key; /* the Idempotency-Key header (borrowed), or NULL */
    const char *accept_language; /* the Accept-Language header (borrowed), or NULL */
    const char *body;            /* borrowed; NUL-terminated; may be NULL */
    size_t body_len;
    struct store *store;          /* borrowed */
    const struct api_config *cfg; /* borrowed; what handlers need of the configuration */
    struct dispatch *dispatch;    /* borrowed; NULL when no route is configured */
    int64_t account_id;           /* set by authentication on routes that require it */
    int64_t key_id;               /* the API key's id, with account_id */
};

struct api_header {
    const char *name; /* static */
    char value[128];
};

struct api_response {
    unsigned status;
    json_t *body;     /* owned; sent as application/json */
    const char *type; /* NULL: application/json; else raw (or raw_owned) is sent */
    const char *raw;  /* borrowed static text, with type */
    char *raw_owned;  /* or heap text (xmalloc), with type; taken: freed once sent */
    size_t raw_len;   /* of raw or raw_owned */
    char allow[64];   /* the Allow header of a 405 */
    struct api_header headers[API_HEADERS_MAX];
    size_t nheaders;
    /* Set by api_defer (api_defer.h): the answer comes later; the rest of
     * the response is filled then. */
    struct api_deferred *deferred;
};

typedef void (*api_handler)(const struct api_request *rq, struct api_response *rs);

struct api_route {
    const char *method;
    const char *pattern; /* "/v1/messages/{id}" */
    api_handler fn;
    bool auth; /* needs Authorization: Bearer rl_… (else 401) */
};

/* The table (static) and its size. */
const struct api_route *router_routes(size_t *n);

/* Finds the route for method and path. Returns it with rq->params filled
 * (copied into buf, cap bytes), or NULL with *status 404 (no such path) or
 * 405 (the path exists with other methods, listed in allow: "GET, POST"). */
const struct api_route *router_match(const char *method, const char *path, struct api_request *rq,
                                     char *buf, size_t cap, unsigned *status, char *allow,
                                     size_t allow_cap);

/* Serves rq (method, path, headers, body filled by the HTTP layer): finds
 * the route (404/405), authenticates it when the route says so (401), then
 * calls its handler. rq->params and rq->account_id are filled here. */
void api_handle(struct api_request *rq, struct api_response *rs);

/* Adds a response header; name is static, the value is copied (truncated to
 * fit). Past API_HEADERS_MAX headers the call is ignored. */
void api_header_add(struct api_response *rs, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills rs with the one error shape of the API:
 * {"error":{"code":"invalid_phone","message":"…","field":"to"}} (field omitted
 * when NULL). */
void api_error(struct api_response *rs, unsigned status, const char *code, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The OpenAPI 3.1 document, embedded at build from src/api/openapi.json. */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif

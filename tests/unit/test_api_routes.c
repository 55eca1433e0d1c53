/* The router's table and the OpenAPI document describe the same API: a route
 * without its description, or a description without its route, fails here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "api/router.h"

static json_t *load_doc(void)
{
    json_error_t e;
    json_t *doc = json_loadb(api_openapi_json, api_openapi_json_len, 0, &e);
    if (!doc)
        fail_msg("openapi.json line %d: %s", e.line, e.text);
    return doc;
}

static void every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    size_t n;
    const struct api_route *r = router_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char method[16];
        size_t k;
        for (k = 0; r[i].method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)tolower((unsigned char)r[i].method[k]);
        method[k] = '\0';
        json_t *op = json_object_get(json_object_get(paths, r[i].pattern), method);
        if (!op)
            fail_msg("route %s %s is not in src/api/openapi.json", r[i].method, r[i].pattern);
        assert_non_null(json_object_get(op, "responses"));
    }
    json_decref(doc);
}

static void every_documented_operation_has_a_route(void **state)
{
    (void)state;
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head"};
    json_t *doc = load_doc();
    const char *path;
    json_t *item;
    size_t n;
    const struct api_route *r = router_routes(&n);
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
            if (!json_object_get(item, methods[m]))
                continue;
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = strcasecmp(r[i].method, methods[m]) == 0 && strcmp(r[i].pattern, path) == 0;
            if (!found)
                fail_msg("openapi.json documents %s %s, which no route serves", methods[m], path);
        }
    }
    json_decref(doc);
}

static void match_params_404_405(void **state)
{
    (void)state;
    struct api_request rq;
    char buf[64], allow[64];
    unsigned status = 0;
    memset(&rq, 0, sizeof(rq));
    assert_non_null(
        router_match("GET", "/v1/health", &rq, buf, sizeof(buf), &status, allow, sizeof(allow)));
    /* HEAD is served by the GET route. */
    assert_non_null(
        router_match("HEAD", "/v1/health", &rq, buf, sizeof(buf), &status, allow, sizeof(allow)));
    assert_null(
        router_match("DELETE", "/v1/health", &rq, buf, sizeof(buf), &status, allow, sizeof(allow)));
    assert_int_equal(status, 405);
    assert_string_equal(allow, "GET");
    assert_null(
        router_match("GET", "/v1/healthz", &rq, buf, sizeof(buf), &status, allow, sizeof(allow)));
    assert_int_equal(status, 404);
    assert_null(
        router_match("GET", "/v1/health/", &rq, buf, sizeof(buf), &status, allow, sizeof(allow)));
    assert_int_equal(status, 404);
}

static void error_shape(void **state)
{
    (void)state;
    struct api_response rs;
    memset(&rs, 0, sizeof(rs));
    api_error(&rs, 422, "invalid_phone", "to", "'%s' is too short for FR", "0610");
    char *s = json_dumps(rs.body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(
        s, "{\"error\":{\"code\":\"invalid_phone\",\"message\":\"'0610' is too short for FR\","
           "\"field\":\"to\"}}");
    assert_int_equal(rs.status, 422);
    free(s);
    json_decref(rs.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(every_documented_operation_has_a_route),
        cmocka_unit_test(match_params_404_405),
        cmocka_unit_test(error_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The messages API without sockets: requests built by hand go through
 * api_handle (routing, authentication, the handlers) against a real SQLite
 * store in a temporary directory, and the answers are checked field by field,
 * with the store looked at afterwards through its own interface. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "api/api_messages.h"
#include "api/api_msgnew.h"
#include "api/api_defer.h"
#include "api/router.h"
#include "core/log.h"
#include "store/store.h"

static char dir[64];
static struct store *store;
static struct api_config cfg;
static char auth[2][STORE_KEY_SIZE + 8]; /* "Bearer rl_…" of accounts 0 (rich) and 1 (poor) */
static int64_t accounts[2];

static int group_setup(void **state)
{
    (void)state;
    struct rl_err err = {0};
    char path[128], key[STORE_KEY_SIZE];
    snprintf(dir, sizeof(dir), "/tmp/relais-test-api-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/api.db", dir);
    struct store_opts o = {path, false};
    log_set_level(LOG_WARN);
    if (store_open(&o, &store, &err) != 0 || api_config_init(&cfg, NULL, &err) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (store_account_create(store, i ? "poor" : "rich", i ? 0 : 100000000, &accounts[i],
                                 &err) != 0 ||
            store_key_create(store, accounts[i], key, NULL, NULL, &err) != 0)
            return -1;
        snprintf(auth[i], sizeof(auth[i]), "Bearer %s", key);
    }
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];
    (void)state;
    store_close(store);
    api_config_release(&cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

struct call {
    const char *method, *path, *body, *auth, *idem;
    struct api_kv query[4];
    size_t nquery;
};

/* Runs one request; the caller json_decref's rs->body. */
static void run(const struct call *c, struct api_response *rs)
{
    struct api_request rq = {.method = c->method,
                             .path = c->path,
                             .body = c->body,
                             .body_len = c->body ? strlen(c->body) : 0,
                             .authorization = c->auth,
                             .idempotency_key = c->idem,
                             .store = store,
                             .cfg = &cfg,
                             .nquery = c->nquery};
    memcpy(rq.query, c->query, sizeof(c->query));
    memset(rs, 0, sizeof(*rs));
    api_handle(&rq, rs);
    /* An answer that waits for its commit (api_defer.h): as the HTTP layer
     * would, once the writer says it is ready. */
    if (rs->deferred) {
        api_deferred_wait(rs->deferred);
        api_deferred_finish(rs->deferred, rs);
    }
}

static struct api_response post(const char *body, int who, const char *idem)
{
    struct api_response rs;
    struct call c = {"POST", "/v1/messages", body, auth[who], idem, {{0}}, 0};
    run(&c, &rs);
    return rs;
}

static const char *err_code(const struct api_response *rs)
{
    return json_string_value(json_object_get(json_object_get(rs->body, "error"), "code"));
}

static const char *err_field(const struct api_response *rs)
{
    return json_string_value(json_object_get(json_object_get(rs->body, "error"), "field"));
}

static size_t count_messages(int who)
{
    struct store_list_query q = {.account_id = accounts[who], .state = -1, .limit = 1000};
    struct store_message_page page;
    assert_int_equal(store_message_list(store, &q, &page, NULL), 0);
    size_t n = page.n;
    store_message_page_release(&page);
    return n;
}

static void auth_required(void **state)
{
    (void)state;
    static const char *const bad[] = {NULL,
                                      "",
                                      "Basic abc",
                                      "Bearer",
                                      "Bearer rl_nope",
                                      "Bearer rl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct api_response rs;
        struct call c = {"GET", "/v1/messages", NULL, bad[i], NULL, {{0}}, 0};
        run(&c, &rs);
        assert_int_equal(rs.status, 401);
        assert_string_equal(err_code(&rs), "unauthorized");
        assert_int_equal(rs.nheaders, 1);
        assert_string_equal(rs.headers[0].name, "WWW-Authenticate");
        assert_memory_equal(rs.headers[0].value, "Bearer", 6);
        json_decref(rs.body);
    }
    struct api_response rs;
    struct call h = {"GET", "/v1/health", NULL, NULL, NULL, {{0}}, 0};
    run(&h, &rs);
    assert_int_equal(rs.status, 200);
    json_decref(rs.body);
}

static void accepted_body(void **state)
{
    (void)state;
    size_t before = count_messages(0);
    struct api_response rs = post("{\"to\":\"0610203040\",\"text\":\"Bonjour\"}", 0, NULL);
    assert_int_equal(rs.status, 202);
    json_t *b = rs.body;
    assert_int_equal(json_object_size(b), 7);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "queued");
    assert_string_equal(json_string_value(json_object_get(b, "to")), "+33610203040");
    assert_string_equal(json_string_value(json_object_get(b, "encoding")), "gsm7");
    assert_int_equal(json_integer_value(json_object_get(b, "segments")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "cost")), "0.045");
    int64_t id = json_integer_value(json_object_get(b, "id"));
    struct store_message m;
    assert_int_equal(store_message_get(store, accounts[0], id, &m, NULL), 0);
    assert_string_equal(m.text, "Bonjour");
    assert_int_equal(m.cost, 45000);
    assert_int_equal(m.state, MSG_STATE_QUEUED);
    assert_true(m.validity_until - m.scheduled_for == cfg.validity_ms);
    store_message_release(&m);
    assert_int_equal(count_messages(0), before + 1);
    json_decref(b);
}

struct bad_case {
    const char *body;
    unsigned status;
    const char *code, *field;
};

static void rejected_store_nothing(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"{", 400, "invalid_json", NULL},
        {"{\"to\":\"0610203040\",\"to\":\"0610203040\",\"text\":\"x\"}", 400, "invalid_json", NULL},
        {"[]", 400, "invalid_type", NULL},
        {"\"to\"", 400, "invalid_json", NULL},
        {"{\"to\":\"0610203040\",\"text\":\"x\",\"x\":1}", 400, "unknown_field", "x"},
        {"{\"to\":[],\"text\":\"x\"}", 400, "invalid_type", "to"},
        {"{\"to\":\"0610203040\"}", 400, "missing_field", "text"},
        {"{\"text\":\"x\"}", 400, "missing_field", "to"},
        {"{\"to\":\"0610\",\"text\":\"x\"}", 422, "invalid_phone", "to"},
        {"{\"to\":\"0610203040\",\"text\":\"x\",\"from\":\"\"}", 422, "invalid_sender", "from"},
        {"{\"to\":\"0610203040\",\"text\":\"x\",\"category\":\"spam\"}", 422, "invalid_value",
         "category"},
        {"{\"to\":\"0610203040\",\"text\":\"x\",\"send_at\":\"2026-13-01T00:00:00Z\"}", 422,
         "invalid_time", "send_at"},
        {"{\"to\":\"0610203040\",\"text\":\"x\",\"validity\":259201}", 422, "out_of_range",
         "validity"},
        {"{\"to\":\"0610203040\",\"template\":\"#a# #b#\",\"data\":{\"a\":1}}", 422,
         "unknown_template_field", "data"},
    };
    size_t before = count_messages(1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_response rs = post(cases[i].body, 1, NULL);
        if (rs.status != cases[i].status || strcmp(err_code(&rs), cases[i].code) != 0)
            fail_msg("%s: got %u %s", cases[i].body, rs.status, err_code(&rs));
        if (cases[i].field)
            assert_string_equal(err_field(&rs), cases[i].field);
        else
            assert_null(err_field(&rs));
        json_decref(rs.body);
    }
    /* Valid, but the poor account cannot pay. */
    struct api_response rs = post("{\"to\":\"0610203040\",\"text\":\"x\"}", 1, NULL);
    assert_int_equal(rs.status, 422);
    assert_string_equal(err_code(&rs), "insufficient_credit");
    json_decref(rs.body);
    assert_int_equal(count_messages(1), before);
}

static void too_long_names_the_count(void **state)
{
    (void)state;
    char body[2048];
    char text[153 * 10 + 2];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    snprintf(body, sizeof(body), "{\"to\":\"0610203040\",\"text\":\"%s\"}", text);
    struct api_response rs = post(body, 0, NULL);
    assert_int_equal(rs.status, 422);
    assert_string_equal(err_code(&rs), "too_long");
    const char *msg =
        json_string_value(json_object_get(json_object_get(rs.body, "error"), "message"));
    assert_non_null(strstr(msg, "needs 11 parts"));
    json_decref(rs.body);
}

static int64_t id_of(const struct api_response *rs)
{
    return json_integer_value(json_object_get(rs->body, "id"));
}

static void idempotency(void **state)
{
    (void)state;
    struct api_response a = post("{\"to\":\"0610203040\",\"text\":\"code 1\"}", 0, "k-1");
    struct api_response b = post("{ \"text\": \"code 1\", \"to\": \"0610203040\" }", 0, "k-1");
    struct api_response c = post("{\"to\":\"0610203040\",\"text\":\"code 2\"}", 0, "k-1");
    assert_int_equal(a.status, 202);
    assert_int_equal(b.status, 202);
    assert_int_equal(id_of(&a), id_of(&b));
    assert_true(json_equal(a.body, b.body));
    assert_string_equal(b.headers[b.nheaders - 1].name, "Idempotent-Replayed");
    assert_int_equal(c.status, 422);
    assert_string_equal(err_code(&c), "idempotency_key_reused");
    json_decref(a.body);
    json_decref(b.body);
    json_decref(c.body);
    struct api_response d = post("{\"to\":\"0610203040\",\"text\":\"x\"}", 0, "bad key");
    assert_int_equal(d.status, 400);
    assert_string_equal(err_field(&d), "Idempotency-Key");
    json_decref(d.body);
}

/* The HTTP layer's half of Idempotency-Key: held from the headers on, per
 * account; a second request with the key meanwhile gets 409 at once. */
static void in_flight_hold(void **state)
{
    (void)state;
    struct api_request rq = {.method = "POST",
                             .path = "/v1/messages",
                             .authorization = auth[0],
                             .idempotency_key = "order-9",
                             .store = store,
                             .cfg = &cfg};
    struct api_msg_hold h1 = {0}, h2 = {0}, h3 = {0};
    struct api_response rs;
    memset(&rs, 0, sizeof(rs));
    assert_true(api_messages_hold(&rq, &h1, &rs));
    assert_true(h1.held);
    assert_int_equal(h1.account_id, accounts[0]);
    assert_int_equal(api_idem_count(cfg.idem), 1);
    assert_false(api_messages_hold(&rq, &h2, &rs));
    assert_false(h2.held);
    assert_int_equal(rs.status, 409);
    assert_string_equal(err_code(&rs), "idempotency_in_flight");
    assert_string_equal(err_field(&rs), "Idempotency-Key");
    json_decref(rs.body);
    /* Keys are per account: the other account's order-9 is its own. */
    struct api_request other = rq;
    other.authorization = auth[1];
    memset(&rs, 0, sizeof(rs));
    assert_true(api_messages_hold(&other, &h3, &rs));
    assert_true(h3.held);
    api_messages_unhold(&cfg, &h3);
    /* Not held: another route, no key, a malformed key, an unknown API key. */
    struct api_request get = rq, nokey = rq, badkey = rq, anon = rq;
    get.method = "GET";
    nokey.idempotency_key = NULL;
    badkey.idempotency_key = "a b";
    anon.authorization = "Bearer rl_nope";
    const struct api_request *none[] = {&get, &nokey, &badkey, &anon};
    for (size_t i = 0; i < 4; i++) {
        struct api_msg_hold h = {0};
        assert_true(api_messages_hold(none[i], &h, &rs));
        assert_false(h.held);
    }
    /* Released: the next request holds it (and, the first having stored
     * nothing here, creates the message). */
    api_messages_unhold(&cfg, &h1);
    api_messages_unhold(&cfg, &h1); /* twice is harmless */
    assert_int_equal(api_idem_count(cfg.idem), 0);
    assert_true(api_messages_hold(&rq, &h2, &rs));
    assert_true(h2.held);
    api_messages_unhold(&cfg, &h2);
}

/* A message without from needs a route serving its number with a
 * default_sender: fr serves +33 with SHOP, be serves +32 without one,
 * world serves everything else without one. */
static void sender_needs_a_route(void **state)
{
    (void)state;
    static const char conf[] = "[route fr]\nprefixes = +33\ndefault_sender = SHOP\n"
                               "[route be]\nprefixes = +32\n"
                               "[route world]\n";
    struct cfg c;
    struct api_config ac;
    struct rl_err err = {0};
    cfg_init(&c);
    assert_int_equal(cfg_load_string(&c, conf, strlen(conf), "t.conf", &err), 0);
    assert_int_equal(api_config_init(&ac, &c, &err), 0);
    static const struct {
        const char *body, *msg; /* msg NULL: accepted */
    } cases[] = {
        {"{\"to\":\"0610203040\",\"text\":\"x\"}", NULL},
        {"{\"to\":\"+32470123456\",\"text\":\"x\"}",
         "from is required: no route serving +32470123456 has a default_sender (tried be, world)"},
        {"{\"to\":\"+447400123456\",\"text\":\"x\"}",
         "from is required: no route serving +447400123456 has a default_sender (tried world)"},
        {"{\"to\":\"+32470123456\",\"text\":\"x\",\"from\":\"SHOP\"}", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = json_loads(cases[i].body, 0, NULL);
        struct api_msgnew mn;
        struct api_problem p;
        int rc = api_msgnew_build(&ac, accounts[0], obj, 1700000000000LL, &mn, &p);
        if (!cases[i].msg) {
            assert_int_equal(rc, 0);
            api_msgnew_release(&mn);
        } else {
            assert_int_not_equal(rc, 0);
            assert_int_equal(p.status, 422);
            assert_string_equal(p.code, "invalid_sender");
            assert_string_equal(p.field, "from");
            assert_string_equal(p.msg, cases[i].msg);
        }
        json_decref(obj);
    }
    /* Without the catch-all, +44 is served by nothing. */
    api_config_release(&ac);
    cfg_release(&c);
    cfg_init(&c);
    assert_int_equal(
        cfg_load_string(&c, conf, strlen(conf) - strlen("[route world]\n"), "t.conf", &err), 0);
    assert_int_equal(api_config_init(&ac, &c, &err), 0);
    char why[256];
    assert_false(api_config_sender_optional(&ac, "+447400123456", why, sizeof(why)));
    assert_string_equal(why, "no route serves +447400123456, so none gives it a sender");
    assert_true(api_config_sender_any(&ac));
    /* No route at all (serve without a dispatcher): nothing is refused. */
    assert_true(api_config_sender_optional(&cfg, "+447400123456", why, sizeof(why)));
    api_config_release(&ac);
    cfg_release(&c);
}

static void template_and_smart_encoding(void **state)
{
    (void)state;
    struct api_response rs =
        post("{\"to\":\"+32470123456\",\"template\":\"Bonjour #NOM|client#, #cmd.ref# — "
             "« OK »\",\"data\":{\"nom\":\"Zoé\",\"cmd\":{\"ref\":42}},\"smart_encoding\":true}",
             0, NULL);
    assert_int_equal(rs.status, 202);
    assert_string_equal(json_string_value(json_object_get(rs.body, "encoding")), "gsm7");
    struct store_message m;
    assert_int_equal(store_message_get(store, accounts[0], id_of(&rs), &m, NULL), 0);
    assert_string_equal(m.text, "Bonjour Zoé, 42 - \" OK \"");
    store_message_release(&m);
    json_decref(rs.body);
}

static void batch_per_item(void **state)
{
    (void)state;
    struct api_response rs;
    size_t before = count_messages(0);
    struct call c = {"POST",
                     "/v1/messages/batch",
                     "{\"messages\":[{\"to\":\"0610203040\",\"text\":\"a\"},{\"to\":\"x\",\"text\":"
                     "\"b\"},[],{\"to\":\"0610203041\",\"text\":\"c\"}]}",
                     auth[0],
                     NULL,
                     {{0}},
                     0};
    run(&c, &rs);
    assert_int_equal(rs.status, 200);
    assert_int_equal(json_integer_value(json_object_get(rs.body, "accepted")), 2);
    json_t *res = json_object_get(rs.body, "results");
    assert_int_equal(json_array_size(res), 4);
    assert_non_null(json_object_get(json_array_get(res, 0), "id"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 1), "index")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(res, 1), "error"), "code")),
                        "invalid_phone");
    assert_non_null(json_object_get(json_array_get(res, 2), "error"));
    assert_non_null(json_object_get(json_array_get(res, 3), "id"));
    assert_int_equal(count_messages(0), before + 2);
    json_decref(rs.body);
}

static void get_list_cancel(void **state)
{
    (void)state;
    struct api_response rs = post("{\"to\":\"0610203040\",\"text\":\"later\",\"send_at\":"
                                  "\"2099-01-01T00:00:00Z\"}",
                                  0, NULL);
    assert_int_equal(rs.status, 422); /* over 366 days ahead */
    json_decref(rs.body);
    char body[128], path[64], ts[API_TIME_SIZE];
    api_time_format(api_now_ms() + 3600000, ts);
    snprintf(body, sizeof(body), "{\"to\":\"0610203040\",\"text\":\"later\",\"send_at\":\"%s\"}",
             ts);
    rs = post(body, 0, NULL);
    assert_int_equal(rs.status, 202);
    assert_string_equal(json_string_value(json_object_get(rs.body, "status")), "scheduled");
    assert_string_equal(json_string_value(json_object_get(rs.body, "scheduled_for")), ts);
    snprintf(path, sizeof(path), "/v1/messages/%lld", (long long)id_of(&rs));
    json_decref(rs.body);

    struct call g = {"GET", path, NULL, auth[1], NULL, {{0}}, 0};
    run(&g, &rs);
    assert_int_equal(rs.status, 404); /* another account's */
    json_decref(rs.body);
    struct call l = {
        "GET", "/v1/messages", NULL, auth[0], NULL, {{"status", "scheduled"}, {"limit", "1"}}, 2};
    run(&l, &rs);
    assert_int_equal(rs.status, 200);
    assert_int_equal(json_array_size(json_object_get(rs.body, "messages")), 1);
    json_decref(rs.body);
    struct call d = {"DELETE", path, NULL, auth[0], NULL, {{0}}, 0};
    run(&d, &rs);
    assert_int_equal(rs.status, 200);
    assert_string_equal(json_string_value(json_object_get(rs.body, "status")), "cancelled");
    json_decref(rs.body);
    run(&d, &rs);
    assert_int_equal(rs.status, 409);
    assert_string_equal(err_code(&rs), "not_cancellable");
    json_decref(rs.body);
}

static void rfc3339(void **state)
{
    (void)state;
    int64_t ms = 0;
    char out[API_TIME_SIZE];
    assert_int_equal(api_time_parse("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(api_time_parse("2026-11-21T23:40:00.123456Z", &ms), 0);
    api_time_format(ms, out);
    assert_string_equal(out, "2026-11-21T23:40:00.123Z");
    assert_int_equal(api_time_parse("2026-11-22T00:40:00.5+01:00", &ms), 0);
    api_time_format(ms, out);
    assert_string_equal(out, "2026-11-21T23:40:00.500Z");
    assert_int_equal(api_time_parse("2024-02-29t12:00:00-02:30", &ms), 0);
    api_time_format(ms, out);
    assert_string_equal(out, "2024-02-29T14:30:00.000Z");
    static const char *const bad[] = {"",
                                      "2026-11-21",
                                      "2026-11-21T23:40:00",
                                      "2025-02-29T00:00:00Z",
                                      "2026-11-21T24:00:00Z",
                                      "2026-11-21T23:40:00.Z",
                                      "2026-11-21T23:40:00+0100",
                                      "2026-11-21T23:40:00Z ",
                                      "26-11-21T23:40:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (api_time_parse(bad[i], &ms) == 0)
            fail_msg("'%s' parsed", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_required),
        cmocka_unit_test(accepted_body),
        cmocka_unit_test(rejected_store_nothing),
        cmocka_unit_test(too_long_names_the_count),
        cmocka_unit_test(idempotency),
        cmocka_unit_test(in_flight_hold),
        cmocka_unit_test(sender_needs_a_route),
        cmocka_unit_test(template_and_smart_encoding),
        cmocka_unit_test(batch_per_item),
        cmocka_unit_test(get_list_cancel),
        cmocka_unit_test(rfc3339),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

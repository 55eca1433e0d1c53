/* The contacts and lists API without sockets: requests built by hand go
 * through api_handle (routing, authentication, handlers) against a real
 * SQLite store in a temporary directory. Expected answers are written out by
 * hand from the requests (numbers in E.164 as the French plan gives them:
 * 06 10 20 30 40 is +33610203040); refusals are checked to store nothing by
 * reading the store through its own interface afterwards. */
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
#include "api/api_defer.h"
#include "api/router.h"
#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static char dir[64];
static struct store *store;
static struct api_config cfg;
static char auth[2][STORE_KEY_SIZE + 8]; /* "Bearer rl_…" of accounts 0 and 1 */
static int64_t accounts[2];

static int group_setup(void **state)
{
    (void)state;
    struct rl_err err = {0};
    char path[128], key[STORE_KEY_SIZE];
    snprintf(dir, sizeof(dir), "/tmp/relais-test-contacts-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/api.db", dir);
    struct store_opts o = {path, false};
    log_set_level(LOG_WARN);
    if (store_open(&o, &store, &err) != 0 || api_config_init(&cfg, NULL, &err) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (store_account_create(store, i ? "other" : "acme", 0, &accounts[i], &err) != 0 ||
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

/* Runs one request as account who; query is "k=v&k=v" (no escaping) or NULL.
 * The caller json_decref's the body. */
static struct api_response call(const char *method, const char *path, const char *query,
                                const char *body, int who)
{
    struct api_response rs;
    char q[256] = "";
    struct api_request rq = {.method = method,
                             .path = path,
                             .body = body,
                             .body_len = body ? strlen(body) : 0,
                             .authorization = auth[who],
                             .store = store,
                             .cfg = &cfg};
    if (query) {
        snprintf(q, sizeof(q), "%s", query);
        for (char *kv = q; kv && *kv && rq.nquery < API_QUERY_MAX;) {
            char *amp = strchr(kv, '&');
            if (amp)
                *amp = '\0';
            char *eq = strchr(kv, '=');
            if (eq)
                *eq = '\0';
            rq.query[rq.nquery].key = kv;
            rq.query[rq.nquery++].value = eq ? eq + 1 : "";
            kv = amp ? amp + 1 : NULL;
        }
    }
    memset(&rs, 0, sizeof(rs));
    api_handle(&rq, &rs);
    if (rs.deferred) { /* answered after its commit (api_defer.h) */
        api_deferred_wait(rs.deferred);
        api_deferred_finish(rs.deferred, &rs);
    }
    return rs;
}

static const char *code_of(const struct api_response *rs)
{
    return json_string_value(json_object_get(json_object_get(rs->body, "error"), "code"));
}

static const char *field_of(const struct api_response *rs)
{
    return json_string_value(json_object_get(json_object_get(rs->body, "error"), "field"));
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long num(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* The body as compact JSON, keys in order, for whole-value comparisons. */
static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void assert_json(const json_t *v, const char *want)
{
    char *s = dump(v);
    if (strcmp(s, want) != 0)
        fail_msg("got  %s\nwant %s", s, want);
    free(s);
}

/* The consent of a number nothing was ever recorded for. */
static void assert_no_consent(const json_t *c)
{
    assert_true(json_is_false(json_object_get(c, "opted_out")));
    assert_int_equal(json_array_size(json_object_get(c, "scopes")), 0);
    assert_int_equal(json_array_size(json_object_get(c, "history")), 0);
    const char *path = str(c, "optout_path");
    assert_non_null(path);
    assert_int_equal(strncmp(path, "/u/", 3), 0);
    assert_true(strlen(path) > 3);
    assert_null(json_object_get(c, "number")); /* the contact's phone says it */
    assert_int_equal(json_object_size(c), 4);
}

static size_t count_contacts(int who)
{
    struct store_contact_query q = {.account_id = accounts[who], .limit = 1000};
    struct store_contact_page p;
    assert_int_equal(store_contact_list(store, &q, &p, NULL), 0);
    size_t n = p.n;
    store_contact_page_release(&p);
    return n;
}

static int64_t create(const char *body, int who)
{
    struct api_response rs = call("POST", "/v1/contacts", NULL, body, who);
    if (rs.status != 201)
        fail_msg("%s: %u %s", body, rs.status, code_of(&rs));
    int64_t id = num(rs.body, "id");
    json_decref(rs.body);
    return id;
}

static void contact_create_get(void **state)
{
    (void)state;
    struct api_response rs =
        call("POST", "/v1/contacts", NULL,
             "{\"phone\":\"06 10 20 30 40\",\"email\":\"zoe@example.fr\",\"first_name\":\"Zoé\","
             "\"language\":\"FR_fr\",\"fields\":{\"shop\":\"Lyon\",\"orders\":3,\"vip\":true}}",
             0);
    assert_int_equal(rs.status, 201);
    int64_t id = num(rs.body, "id");
    char loc[64];
    snprintf(loc, sizeof(loc), "/v1/contacts/%lld", (long long)id);
    assert_int_equal(rs.nheaders, 1);
    assert_string_equal(rs.headers[0].name, "Location");
    assert_string_equal(rs.headers[0].value, loc);
    const char *at = str(rs.body, "created_at");
    assert_non_null(at);
    assert_string_equal(str(rs.body, "updated_at"), at);
    /* A number never opted out or in: no scope, no history, and its page. */
    assert_no_consent(json_object_get(rs.body, "consent"));
    json_object_del(rs.body, "consent");
    char want[512];
    snprintf(want, sizeof(want),
             "{\"id\":%lld,\"phone\":\"+33610203040\",\"phone_type\":\"mobile\","
             "\"email\":\"zoe@example.fr\",\"first_name\":\"Zoé\",\"last_name\":null,"
             "\"language\":\"fr-FR\",\"fields\":{\"shop\":\"Lyon\",\"orders\":3,\"vip\":true},"
             "\"created_at\":\"%s\",\"updated_at\":\"%s\",\"lists\":[]}",
             (long long)id, at, at);
    assert_json(rs.body, want);
    json_decref(rs.body);

    /* The same number in another spelling: the same contact, refused. */
    rs = call("POST", "/v1/contacts", NULL, "{\"phone\":\"+33 6 10 20 30 40\"}", 0);
    assert_int_equal(rs.status, 409);
    assert_string_equal(code_of(&rs), "contact_exists");
    assert_string_equal(field_of(&rs), "phone");
    snprintf(want, sizeof(want), "contact %lld already has the number +33610203040", (long long)id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rs.body, "error"), "message")), want);
    json_decref(rs.body);

    /* A fixed line is stored, typed. Another account does not see either. */
    rs = call("POST", "/v1/contacts", NULL, "{\"phone\":\"01 23 45 67 89\"}", 0);
    assert_int_equal(rs.status, 201);
    assert_string_equal(str(rs.body, "phone"), "+33123456789");
    assert_string_equal(str(rs.body, "phone_type"), "fixed_line");
    json_decref(rs.body);
    rs = call("GET", loc, NULL, NULL, 1);
    assert_int_equal(rs.status, 404);
    assert_string_equal(code_of(&rs), "not_found");
    json_decref(rs.body);
    rs = call("GET", "/v1/contacts/abc", NULL, NULL, 0);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
}

struct bad_case {
    const char *body;
    unsigned status;
    const char *code, *field;
};

static void contact_refusals_store_nothing(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"{", 400, "invalid_json", NULL},
        {"[]", 400, "invalid_type", NULL},
        {"{\"phone\":\"0610203041\",\"phone\":\"0610203042\"}", 400, "invalid_json", NULL},
        {"{\"phone\":\"0610203041\",\"nom\":\"x\"}", 400, "unknown_field", "nom"},
        {"{\"email\":\"a@b.fr\"}", 400, "missing_field", "phone"},
        {"{\"phone\":33610203041}", 400, "invalid_type", "phone"},
        {"{\"phone\":\"0610203041\",\"fields\":[]}", 400, "invalid_type", "fields"},
        {"{\"phone\":\"0610\"}", 422, "invalid_phone", "phone"},
        {"{\"phone\":\"0610203041\",\"email\":\"zoe.example.fr\"}", 422, "invalid_email", "email"},
        {"{\"phone\":\"0610203041\",\"email\":\"zoe@example\"}", 422, "invalid_email", "email"},
        {"{\"phone\":\"0610203041\",\"email\":\"zo e@example.fr\"}", 422, "invalid_email", "email"},
        {"{\"phone\":\"0610203041\",\"language\":\"french!\"}", 422, "invalid_language",
         "language"},
        {"{\"phone\":\"0610203041\",\"first_name\":\"\"}", 422, "invalid_value", "first_name"},
        {"{\"phone\":\"0610203041\",\"last_name\":\"a\\u0007b\"}", 422, "invalid_value",
         "last_name"},
        {"{\"phone\":\"0610203041\",\"fields\":{\"a\":{\"b\":1}}}", 422, "invalid_value", "fields"},
        {"{\"phone\":\"0610203041\",\"fields\":{\"a\":null}}", 422, "invalid_value", "fields"},
    };
    size_t before = count_contacts(1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_response rs = call("POST", "/v1/contacts", NULL, cases[i].body, 1);
        if (rs.status != cases[i].status || strcmp(code_of(&rs), cases[i].code) != 0)
            fail_msg("%s: got %u %s", cases[i].body, rs.status, code_of(&rs));
        if (cases[i].field)
            assert_string_equal(field_of(&rs), cases[i].field);
        else
            assert_null(field_of(&rs));
        json_decref(rs.body);
    }
    /* 65 custom fields: one over the cap. */
    char body[2048];
    int n = snprintf(body, sizeof(body), "{\"phone\":\"0610203041\",\"fields\":{");
    for (int i = 0; i < 65; i++)
        n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\"f%d\":%d", i ? "," : "", i, i);
    snprintf(body + n, sizeof(body) - (size_t)n, "}}");
    struct api_response rs = call("POST", "/v1/contacts", NULL, body, 1);
    assert_int_equal(rs.status, 422);
    assert_string_equal(code_of(&rs), "too_long");
    assert_string_equal(field_of(&rs), "fields");
    json_decref(rs.body);
    assert_int_equal(count_contacts(1), before);
}

static void contact_patch_delete(void **state)
{
    (void)state;
    int64_t id = create("{\"phone\":\"0611111111\",\"email\":\"a@example.fr\",\"first_name\":"
                        "\"Ana\",\"last_name\":\"Roy\",\"fields\":{\"a\":1,\"b\":\"x\"}}",
                        0);
    create("{\"phone\":\"0622222222\"}", 0);
    char path[64];
    snprintf(path, sizeof(path), "/v1/contacts/%lld", (long long)id);
    /* RFC 7396: email removed, first_name replaced, last_name left, a removed, c added. */
    struct api_response rs = call("PATCH", path, NULL,
                                  "{\"email\":null,\"first_name\":\"Anna\",\"language\":\"en\","
                                  "\"fields\":{\"a\":null,\"c\":false}}",
                                  0);
    assert_int_equal(rs.status, 200);
    assert_true(json_is_null(json_object_get(rs.body, "email")));
    assert_string_equal(str(rs.body, "first_name"), "Anna");
    assert_string_equal(str(rs.body, "last_name"), "Roy");
    assert_string_equal(str(rs.body, "language"), "en");
    assert_json(json_object_get(rs.body, "fields"), "{\"b\":\"x\",\"c\":false}");
    json_decref(rs.body);

    /* A new number, normalised; another contact's number is refused; null too. */
    rs = call("PATCH", path, NULL, "{\"phone\":\"0033 6 11 11 11 12\"}", 0);
    assert_int_equal(rs.status, 200);
    assert_string_equal(str(rs.body, "phone"), "+33611111112");
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"phone\":\"0622222222\"}", 0);
    assert_int_equal(rs.status, 409);
    assert_string_equal(code_of(&rs), "contact_exists");
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"phone\":null}", 0);
    assert_int_equal(rs.status, 422);
    assert_string_equal(field_of(&rs), "phone");
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"fields\":null}", 0);
    assert_int_equal(rs.status, 200);
    assert_json(json_object_get(rs.body, "fields"), "{}");
    const char *upd = str(rs.body, "updated_at");
    char before[40];
    snprintf(before, sizeof(before), "%s", upd);
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{}", 0);
    assert_int_equal(rs.status, 200);
    assert_string_equal(str(rs.body, "updated_at"), before);
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"first_name\":\"B\"}", 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);

    rs = call("DELETE", path, NULL, NULL, 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
    rs = call("DELETE", path, NULL, NULL, 0);
    assert_int_equal(rs.status, 200);
    char want[64];
    snprintf(want, sizeof(want), "{\"id\":%lld,\"deleted\":true}", (long long)id);
    assert_json(rs.body, want);
    json_decref(rs.body);
    rs = call("GET", path, NULL, NULL, 0);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
}

static void contact_pages_and_filters(void **state)
{
    (void)state;
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"phone\":\"07000000%02d\"}", i);
        ids[i] = create(body, 1);
    }
    /* Account 1 holds exactly these five: pages of 2 give 2, 2, 1. */
    char cur[64] = "", query[128];
    int64_t seen[5];
    size_t n = 0, pages = 0;
    do {
        snprintf(query, sizeof(query), "limit=2%s%s", cur[0] ? "&cursor=" : "", cur);
        struct api_response rs = call("GET", "/v1/contacts", query, NULL, 1);
        assert_int_equal(rs.status, 200);
        json_t *arr = json_object_get(rs.body, "contacts");
        for (size_t i = 0; i < json_array_size(arr); i++)
            seen[n++] = num(json_array_get(arr, i), "id");
        const json_t *next = json_object_get(rs.body, "next_cursor");
        snprintf(cur, sizeof(cur), "%s", json_is_string(next) ? json_string_value(next) : "");
        pages++;
        json_decref(rs.body);
    } while (cur[0] && n < 5);
    assert_int_equal(n, 5);
    assert_int_equal(pages, 3);
    assert_memory_equal(seen, ids, sizeof(ids));

    struct api_response rs = call("GET", "/v1/contacts", "phone=07 00 00 00 03", NULL, 1);
    assert_int_equal(rs.status, 200);
    assert_int_equal(json_array_size(json_object_get(rs.body, "contacts")), 1);
    assert_string_equal(str(json_array_get(json_object_get(rs.body, "contacts"), 0), "phone"),
                        "+33700000003");
    json_decref(rs.body);
    static const struct bad_case cases[] = {
        {"sort=id", 400, "unknown_parameter", "sort"},
        {"limit=1&limit=2", 400, "duplicate_parameter", "limit"},
        {"cursor=xyz", 400, "invalid_cursor", "cursor"},
        {"limit=0", 422, "out_of_range", "limit"},
        {"limit=1001", 422, "out_of_range", "limit"},
        {"list=abc", 422, "invalid_value", "list"},
        {"phone=12", 422, "invalid_phone", "phone"},
        {"list=999999", 404, "not_found", "list"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rs = call("GET", "/v1/contacts", cases[i].body, NULL, 1);
        if (rs.status != cases[i].status || strcmp(code_of(&rs), cases[i].code) != 0)
            fail_msg("%s: got %u %s", cases[i].body, rs.status, code_of(&rs));
        assert_string_equal(field_of(&rs), cases[i].field);
        json_decref(rs.body);
    }
}

static int64_t list_create(const char *name, int who)
{
    char body[160];
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    struct api_response rs = call("POST", "/v1/lists", NULL, body, who);
    if (rs.status != 201)
        fail_msg("%s: %u %s", body, rs.status, code_of(&rs));
    int64_t id = num(rs.body, "id");
    json_decref(rs.body);
    return id;
}

static void lists_crud(void **state)
{
    (void)state;
    struct api_response rs = call("POST", "/v1/lists", NULL, "{\"name\":\"Clients Lyon\"}", 0);
    assert_int_equal(rs.status, 201);
    int64_t id = num(rs.body, "id");
    const char *at = str(rs.body, "created_at");
    char want[256], path[64];
    snprintf(want, sizeof(want),
             "{\"id\":%lld,\"name\":\"Clients Lyon\",\"contacts\":0,\"created_at\":\"%s\","
             "\"updated_at\":\"%s\"}",
             (long long)id, at, at);
    assert_json(rs.body, want);
    snprintf(path, sizeof(path), "/v1/lists/%lld", (long long)id);
    assert_string_equal(rs.headers[0].value, path);
    json_decref(rs.body);

    static const struct bad_case cases[] = {
        {"{}", 400, "missing_field", "name"},
        {"{\"name\":1}", 400, "invalid_type", "name"},
        {"{\"name\":\"x\",\"color\":\"red\"}", 400, "unknown_field", "color"},
        {"{\"name\":\"\"}", 422, "invalid_value", "name"},
        {"{\"name\":\"a\\nb\"}", 422, "invalid_value", "name"},
        {"{\"name\":\"Clients Lyon\"}", 409, "list_exists", "name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rs = call("POST", "/v1/lists", NULL, cases[i].body, 0);
        if (rs.status != cases[i].status || strcmp(code_of(&rs), cases[i].code) != 0)
            fail_msg("%s: got %u %s", cases[i].body, rs.status, code_of(&rs));
        assert_string_equal(field_of(&rs), cases[i].field);
        json_decref(rs.body);
    }
    /* The other account may use the name; it cannot see, rename or delete ours. */
    list_create("Clients Lyon", 1);
    rs = call("GET", path, NULL, NULL, 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"name\":\"Mine\"}", 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
    rs = call("DELETE", path, NULL, NULL, 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);

    int64_t other = list_create("VIP", 0);
    rs = call("PATCH", path, NULL, "{\"name\":\"VIP\"}", 0);
    assert_int_equal(rs.status, 409);
    json_decref(rs.body);
    rs = call("PATCH", path, NULL, "{\"name\":\"Lyon\"}", 0);
    assert_int_equal(rs.status, 200);
    assert_string_equal(str(rs.body, "name"), "Lyon");
    json_decref(rs.body);
    rs = call("GET", "/v1/lists", "limit=1", NULL, 0);
    assert_int_equal(rs.status, 200);
    assert_int_equal(num(json_array_get(json_object_get(rs.body, "lists"), 0), "id"), id);
    char query[64];
    snprintf(query, sizeof(query), "cursor=%s", str(rs.body, "next_cursor"));
    json_decref(rs.body);
    rs = call("GET", "/v1/lists", query, NULL, 0);
    assert_int_equal(json_array_size(json_object_get(rs.body, "lists")), 1);
    assert_int_equal(num(json_array_get(json_object_get(rs.body, "lists"), 0), "id"), other);
    assert_true(json_is_null(json_object_get(rs.body, "next_cursor")));
    json_decref(rs.body);
    rs = call("DELETE", path, NULL, NULL, 0);
    assert_int_equal(rs.status, 200);
    json_decref(rs.body);
    rs = call("GET", path, NULL, NULL, 0);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
}

static void list_members(void **state)
{
    (void)state;
    int64_t l = list_create("Members", 0);
    int64_t c1 = create("{\"phone\":\"0633333301\"}", 0);
    int64_t c2 = create("{\"phone\":\"0633333302\"}", 0);
    int64_t theirs = create("{\"phone\":\"0633333303\"}", 1);
    int64_t c3 = create("{\"phone\":\"0633333304\"}", 0);
    char path[64], body[128];
    snprintf(path, sizeof(path), "/v1/lists/%lld/contacts", (long long)l);

    /* An id of another account: refused as a whole, nothing added. */
    snprintf(body, sizeof(body), "{\"contact_ids\":[%lld,%lld]}", (long long)c1, (long long)theirs);
    struct api_response rs = call("POST", path, NULL, body, 0);
    assert_int_equal(rs.status, 422);
    assert_string_equal(code_of(&rs), "unknown_contact");
    assert_string_equal(field_of(&rs), "contact_ids");
    json_decref(rs.body);
    snprintf(body, sizeof(body), "{\"contact_ids\":[%lld,%lld,%lld]}", (long long)c1, (long long)c2,
             (long long)c1);
    rs = call("POST", path, NULL, body, 0);
    assert_int_equal(rs.status, 200);
    assert_json(rs.body, "{\"added\":2,\"already_members\":1,\"created\":0}");
    json_decref(rs.body);
    /* By number: a member already, a contact not in the list yet, a new number. */
    rs = call("POST", path, NULL, "{\"phones\":[\"06 33 33 33 02\",\"0633333304\",\"0644444444\"]}",
              0);
    assert_int_equal(rs.status, 200);
    assert_json(rs.body, "{\"added\":2,\"already_members\":1,\"created\":1}");
    json_decref(rs.body);
    static const struct bad_case cases[] = {
        {"{}", 400, "missing_field", "contact_ids"},
        {"{\"contact_ids\":[1],\"phones\":[\"0600000000\"]}", 400, "conflicting_fields", "phones"},
        {"{\"contact_ids\":[]}", 422, "empty_array", "contact_ids"},
        {"{\"contact_ids\":[\"1\"]}", 400, "invalid_type", "contact_ids[0]"},
        {"{\"contact_ids\":[1,-4]}", 422, "invalid_value", "contact_ids[1]"},
        {"{\"phones\":[\"0655555555\",\"12\"]}", 422, "invalid_phone", "phones[1]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rs = call("POST", path, NULL, cases[i].body, 0);
        if (rs.status != cases[i].status || strcmp(code_of(&rs), cases[i].code) != 0)
            fail_msg("%s: got %u %s", cases[i].body, rs.status, code_of(&rs));
        assert_string_equal(field_of(&rs), cases[i].field);
        json_decref(rs.body);
    }
    /* Nothing of the refused phones was created. */
    struct store_contact c;
    assert_int_equal(store_contact_find(store, accounts[0], "+33655555555", &c, NULL),
                     RL_ENOTFOUND);

    rs = call("GET", path, "limit=10", NULL, 0);
    assert_int_equal(rs.status, 200);
    json_t *arr = json_object_get(rs.body, "contacts");
    assert_int_equal(json_array_size(arr), 4);
    assert_int_equal(num(json_array_get(arr, 0), "id"), c1);
    assert_int_equal(num(json_array_get(arr, 1), "id"), c2);
    assert_int_equal(num(json_array_get(arr, 2), "id"), c3);
    assert_string_equal(str(json_array_get(arr, 3), "phone"), "+33644444444");
    json_decref(rs.body);
    snprintf(path, sizeof(path), "/v1/contacts/%lld", (long long)c1);
    rs = call("GET", path, NULL, NULL, 0);
    snprintf(body, sizeof(body), "[{\"id\":%lld,\"name\":\"Members\"}]", (long long)l);
    assert_json(json_object_get(rs.body, "lists"), body);
    json_decref(rs.body);

    /* Removing by number: a member, a non-member, an unknown number. */
    snprintf(path, sizeof(path), "/v1/lists/%lld/contacts", (long long)l);
    rs = call("DELETE", path, NULL, "{\"phones\":[\"0633333301\",\"0633333303\",\"0699999999\"]}",
              0);
    assert_int_equal(rs.status, 200);
    assert_json(rs.body, "{\"removed\":1,\"not_members\":2}");
    json_decref(rs.body);
    snprintf(body, sizeof(body), "{\"contact_ids\":[%lld]}", (long long)c2);
    rs = call("DELETE", path, NULL, body, 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
    rs = call("GET", path, NULL, NULL, 1);
    assert_int_equal(rs.status, 404);
    json_decref(rs.body);
    snprintf(path, sizeof(path), "/v1/lists/%lld", (long long)l);
    rs = call("GET", path, NULL, NULL, 0);
    assert_int_equal(num(rs.body, "contacts"), 3);
    json_decref(rs.body);
}

static struct api_response import(const char *query, const char *body, int who)
{
    return call("POST", "/v1/contacts/import", query, body, who);
}

static long long list_size(const char *name, int who)
{
    struct store_list l;
    if (store_list_find(store, accounts[who], name, &l, NULL) != 0)
        return -1;
    return l.contacts;
}

/* A file of n mobiles +33780000000.. in the national spelling, one per line. */
static char *mobiles(size_t n, size_t extra)
{
    size_t cap = 32 + n * 24 + extra, used = 0;
    char *b = malloc(cap);
    used += (size_t)snprintf(b, cap, "telephone;code\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(b + used, cap - used, "07 80 %02zu %02zu %02zu;%zu\n", i / 10000,
                                 i / 100 % 100, i % 100, i);
    return b;
}

static void import_batches(void **state)
{
    (void)state;
    /* 4,500 rows: three batches of the store (2,000 + 2,000 + 500), written
     * while the parser reads on; then the rows 4,000.. again, plus one bad. */
    char *csv = mobiles(4500, 0);
    struct api_response rs = import("list=Big", csv, 0);
    assert_int_equal(rs.status, 200);
    assert_json(rs.body, "{\"rows\":4500,\"created\":4500,\"updated\":0,\"duplicates\":0,"
                         "\"invalid\":[],\"non_mobile\":0,\"opted_out\":0}");
    json_decref(rs.body);
    assert_int_equal(list_size("Big", 0), 4500);
    char *again = mobiles(4600, 64);
    size_t len = strlen(again);
    snprintf(again + len, 64, "0780;bad\n");
    /* In list Big: 4,500 already members, 100 new, line 4,602 invalid. */
    rs = import("list=Big", again, 0);
    assert_int_equal(rs.status, 200);
    assert_json(rs.body, "{\"rows\":4601,\"created\":100,\"updated\":0,\"duplicates\":4500,"
                         "\"invalid\":[{\"line\":4602,\"value\":\"0780\","
                         "\"reason\":\"'0780' is too short for FR\"}],\"non_mobile\":0,"
                         "\"opted_out\":0}");
    json_decref(rs.body);
    free(again);
    free(csv);
}

static void import_stopped_midway(void **state)
{
    (void)state;
    /* 2,500 good rows, then a quote left open over 64 KiB: the file is
     * refused at that line, and the rows before it stay imported. */
    size_t open = 70000;
    char *csv = mobiles(2500, open + 16);
    char *p = csv + strlen(csv);
    *p++ = '"';
    memset(p, 'x', open);
    p[open] = '\0';
    struct api_response rs = import("list=Cut", csv, 1);
    assert_int_equal(rs.status, 400);
    assert_string_equal(code_of(&rs), "invalid_csv");
    const char *msg =
        json_string_value(json_object_get(json_object_get(rs.body, "error"), "message"));
    assert_non_null(strstr(msg, "line 2502"));
    assert_non_null(strstr(msg, "the 2500 rows before were imported into 'Cut'"));
    json_decref(rs.body);
    assert_int_equal(list_size("Cut", 1), 2500);
    /* A header without a phone column stores nothing, not even the list. */
    rs = import("list=None", "nom;ville\nRoy;Lyon\n", 1);
    assert_int_equal(rs.status, 400);
    assert_string_equal(field_of(&rs), "header");
    json_decref(rs.body);
    assert_int_equal(list_size("None", 1), -1);
    free(csv);
}

/* A French overseas mobile written nationally (0692: La Réunion, +262; 0690:
 * Guadeloupe, +590, from ARCEP's plan) is read as the CSV import and POST
 * /v1/messages read it, wherever the contacts and consent API takes a number. */
static void overseas_numbers_everywhere(void **state)
{
    (void)state;
    struct api_response rs = call("POST", "/v1/contacts", NULL, "{\"phone\":\"0692 12 34 56\"}", 0);
    assert_int_equal(rs.status, 201);
    assert_string_equal(str(rs.body, "phone"), "+262692123456");
    assert_string_equal(str(rs.body, "phone_type"), "mobile");
    int64_t id = num(rs.body, "id");
    json_decref(rs.body);
    rs = call("GET", "/v1/contacts", "phone=0692123456", NULL, 0);
    assert_int_equal(rs.status, 200);
    json_t *items = json_object_get(rs.body, "contacts");
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(num(json_array_get(items, 0), "id"), id);
    json_decref(rs.body);
    rs = call("POST", "/v1/lists", NULL, "{\"name\":\"DOM\"}", 0);
    assert_int_equal(rs.status, 201);
    char path[64];
    snprintf(path, sizeof(path), "/v1/lists/%lld/contacts", (long long)num(rs.body, "id"));
    json_decref(rs.body);
    rs = call("POST", path, NULL, "{\"phones\":[\"06 92 12 34 56\"]}", 0);
    assert_int_equal(rs.status, 200);
    assert_int_equal(num(rs.body, "added"), 1);
    json_decref(rs.body);
    rs = call("POST", "/v1/optouts", NULL, "{\"number\":\"0690 12 34 56\"}", 0);
    assert_int_equal(rs.status, 201);
    assert_string_equal(str(rs.body, "number"), "+590690123456");
    json_decref(rs.body);
    rs = call("GET", "/v1/optouts/0690123456", NULL, NULL, 0);
    assert_int_equal(rs.status, 200);
    assert_true(json_is_true(json_object_get(rs.body, "opted_out")));
    json_decref(rs.body);
    /* Still refused: a national number that is nowhere valid. */
    rs = call("POST", "/v1/contacts", NULL, "{\"phone\":\"0699 99\"}", 0);
    assert_int_equal(rs.status, 422);
    assert_string_equal(code_of(&rs), "invalid_phone");
    json_decref(rs.body);
}

/* GET /v1/contacts/{id} shows its number's consent: the state of each scope
 * and every change with its source and time; it is the number's, so it was
 * there before the contact and stays after. */
static void contact_consent(void **state)
{
    (void)state;
    struct api_response rs =
        call("POST", "/v1/optouts", NULL, "{\"number\":\"06 55 00 00 01\"}", 0);
    assert_int_equal(rs.status, 201);
    json_decref(rs.body);
    rs = call("POST", "/v1/optins", NULL, "{\"number\":\"+33655000001\",\"scope\":\"offers\"}", 0);
    assert_int_equal(rs.status, 201);
    json_decref(rs.body);
    int64_t id = create("{\"phone\":\"0655000001\"}", 0);
    char path[64];
    snprintf(path, sizeof(path), "/v1/contacts/%lld", (long long)id);
    rs = call("GET", path, NULL, NULL, 0);
    assert_int_equal(rs.status, 200);
    json_t *c = json_object_get(rs.body, "consent");
    assert_true(json_is_true(json_object_get(c, "opted_out")));
    /* Scopes by name: marketing (opted out), offers (opted in). */
    json_t *scopes = json_object_get(c, "scopes");
    assert_int_equal(json_array_size(scopes), 2);
    assert_string_equal(str(json_array_get(scopes, 0), "scope"), "marketing");
    assert_string_equal(str(json_array_get(scopes, 0), "status"), "opted_out");
    assert_string_equal(str(json_array_get(scopes, 0), "source"), "api");
    assert_string_equal(str(json_array_get(scopes, 1), "scope"), "offers");
    assert_string_equal(str(json_array_get(scopes, 1), "status"), "opted_in");
    /* The history, oldest first, each change with who made it: the API key. */
    json_t *h = json_object_get(c, "history");
    assert_int_equal(json_array_size(h), 2);
    assert_string_equal(str(json_array_get(h, 0), "action"), "opt_out");
    assert_string_equal(str(json_array_get(h, 0), "scope"), "marketing");
    assert_string_equal(str(json_array_get(h, 0), "source"), "api");
    assert_int_equal(strncmp(str(json_array_get(h, 0), "detail"), "key=", 4), 0);
    assert_non_null(str(json_array_get(h, 0), "at"));
    assert_string_equal(str(json_array_get(h, 1), "action"), "opt_in");
    assert_string_equal(str(json_array_get(h, 1), "scope"), "offers");
    /* Another account's contact of the same number sees its own consent: none. */
    json_decref(rs.body);
    int64_t other = create("{\"phone\":\"0655000001\"}", 1);
    snprintf(path, sizeof(path), "/v1/contacts/%lld", (long long)other);
    rs = call("GET", path, NULL, NULL, 1);
    assert_int_equal(rs.status, 200);
    assert_no_consent(json_object_get(rs.body, "consent"));
    json_decref(rs.body);
    /* Lifted: the contact shows it at once. */
    rs = call("DELETE", "/v1/optouts/0655000001", NULL, NULL, 0);
    assert_int_equal(rs.status, 200);
    json_decref(rs.body);
    snprintf(path, sizeof(path), "/v1/contacts/%lld", (long long)id);
    rs = call("GET", path, NULL, NULL, 0);
    c = json_object_get(rs.body, "consent");
    assert_true(json_is_false(json_object_get(c, "opted_out")));
    assert_int_equal(json_array_size(json_object_get(c, "history")), 3);
    json_decref(rs.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contact_create_get),
        cmocka_unit_test(contact_refusals_store_nothing),
        cmocka_unit_test(contact_patch_delete),
        cmocka_unit_test(contact_pages_and_filters),
        cmocka_unit_test(lists_crud),
        cmocka_unit_test(list_members),
        cmocka_unit_test(import_batches),
        cmocka_unit_test(import_stopped_midway),
        cmocka_unit_test(overseas_numbers_everywhere),
        cmocka_unit_test(contact_consent),
    };
    return cmocka_run_group_tests_name("api_contacts", tests, group_setup, group_teardown);
}

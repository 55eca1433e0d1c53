#include "api/api_optouts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "core/log.h"
#include "domain/consent.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "store/store.h"
#include "core/banned.h"

#define LIST_DEFAULT 50

static void internal(struct api_response *rs, const char *what, int rc, const struct rl_err *err)
{
    log_error("api", "store_failed", "op=%s rc=%s detail=\"%s\"", what, rl_errname(rc),
              err ? err->msg : "");
    api_error(rs, 500, "internal_error", NULL, "the store failed to %s; try again", what);
}

static json_t *time_json(int64_t ms)
{
    char s[API_TIME_SIZE];
    if (!ms)
        return json_null();
    api_time_format(ms, s);
    return json_string(s);
}

/* --- reading the request ------------------------------------------------------------ */

/* A number as the messages API reads "to" (phone_parse_typed: French overseas
 * mobiles written nationally included): E.164 out. */
static int read_number(const struct api_request *rq, const char *s, size_t len,
                       char out[STORE_CONSENT_PHONE_SIZE], struct api_problem *p)
{
    struct phone_info pi;
    struct rl_err err = {0};
    const char *region = rq->cfg->default_region[0] ? rq->cfg->default_region : NULL;
    int rc = phone_parse_typed(s, len, region, &pi, &err);
    if (rc == RL_EPHONE)
        return api_problem_set(p, 422, "invalid_phone", "number", "%s", err.msg);
    if (rc != 0)
        return api_problem_set(p, 500, "internal_error", NULL, "phone.default_region: %s", err.msg);
    snprintf(out, STORE_CONSENT_PHONE_SIZE, "%s", pi.e164);
    return 0;
}

static int read_scope(const char *s, struct api_problem *p)
{
    if (store_consent_scope_valid(s))
        return 0;
    return api_problem_set(p, 422, "invalid_scope", "scope",
                           "scope '%.40s' is not marketing nor a category name (1 to %d of "
                           "a-z, 0-9, _ and -; not transactional, which consent never blocks)",
                           s ? s : "", STORE_CONSENT_SCOPE_MAX);
}

/* The {number, scope?} body of POST /v1/optouts and /v1/optins. */
static int read_change(const struct api_request *rq, char number[STORE_CONSENT_PHONE_SIZE],
                       char scope[STORE_CONSENT_SCOPE_MAX + 1], struct api_problem *p)
{
    static const struct api_jfield fields[] = {{"number", API_JSTRING, true},
                                               {"scope", API_JSTRING, false}};
    json_t *obj = api_json_body(rq, p);
    int rc = obj ? api_json_check(obj, fields, 2, p) : -1;
    if (rc == 0) {
        const json_t *n = json_object_get(obj, "number");
        rc = read_number(rq, json_string_value(n), json_string_length(n), number, p);
    }
    const char *s = obj ? json_string_value(api_json_get(obj, "scope")) : NULL;
    if (rc == 0 && s)
        rc = read_scope(s, p);
    if (rc == 0)
        snprintf(scope, STORE_CONSENT_SCOPE_MAX + 1, "%s", s ? s : STORE_CONSENT_MARKETING);
    json_decref(obj);
    return rc;
}

/* Query parameters: each at most once, each one of known[] (a NULL-ended list). */
static int query_check(const struct api_request *rq, const char *const *known, const char *names,
                       struct api_problem *p)
{
    if (rq->query_overflow)
        return api_problem_set(p, 400, "too_many_parameters", NULL, "at most %d query parameters",
                               API_QUERY_MAX);
    for (size_t i = 0; i < rq->nquery; i++) {
        const char *k = rq->query[i].key;
        bool ok = false;
        for (size_t j = 0; known[j] && !ok; j++)
            ok = strcmp(k, known[j]) == 0;
        if (!ok)
            return api_problem_set(p, 400, "unknown_parameter", k,
                                   "unknown query parameter '%.40s' (known: %s)", k, names);
        for (size_t j = 0; j < i; j++)
            if (strcmp(k, rq->query[j].key) == 0)
                return api_problem_set(p, 400, "duplicate_parameter", k,
                                       "query parameter '%.40s' is given twice", k);
    }
    return 0;
}

static const char *query_get(const struct api_request *rq, const char *key)
{
    for (size_t i = 0; i < rq->nquery; i++)
        if (strcmp(rq->query[i].key, key) == 0)
            return rq->query[i].value;
    return NULL;
}

/* --- answers ---------------------------------------------------------------------------- */

static json_t *state_json(const char *number, const struct store_consent_scope *x)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o}", "number", number, "scope", x->scope, "status",
                     store_consent_status_name(x->status), "source",
                     store_consent_source_name(x->source), "updated_at", time_json(x->updated_at));
}

static json_t *view_json(const char *number, const struct store_consent_view *v)
{
    json_t *scopes = json_array(), *history = json_array();
    bool out = false;
    for (size_t i = 0; i < v->nscopes; i++) {
        const struct store_consent_scope *x = &v->scopes[i];
        out = out || (x->status == STORE_CONSENT_OPTED_OUT &&
                      strcmp(x->scope, STORE_CONSENT_MARKETING) == 0);
        json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:o}", "scope", x->scope, "status",
                                                store_consent_status_name(x->status), "source",
                                                store_consent_source_name(x->source), "updated_at",
                                                time_json(x->updated_at)));
    }
    for (size_t i = 0; i < v->nevents; i++) {
        const struct store_consent_event *e = &v->events[i];
        json_array_append_new(
            history,
            json_pack("{s:o,s:s,s:s,s:s,s:s?}", "at", time_json(e->at), "scope", e->scope, "action",
                      e->action == STORE_CONSENT_OPTED_OUT ? "opt_out" : "opt_in", "source",
                      store_consent_source_name(e->source), "detail", e->detail));
    }
    return json_pack("{s:s,s:b,s:o,s:o}", "number", number, "opted_out", out, "scopes", scopes,
                     "history", history);
}

/* "/u/<token>": the number's opt-out page, for the account to link to from
 * its own mails or pages (a campaign template's #optout_link# renders
 * http.public_url + this path per recipient: consent_link_make). */
static int optout_path(const struct api_request *rq, const char *number, json_t *view,
                       struct rl_err *err)
{
    unsigned char key[STORE_CONSENT_SECRET_SIZE];
    char token[CONSENT_TOKEN_MAX], p[CONSENT_TOKEN_MAX + 8];
    int rc = store_consent_secret(rq->store, key, err);
    if (rc == 0 && consent_token_make(key, rq->account_id, number, token) > 0) {
        snprintf(p, sizeof(p), "/u/%s", token);
        json_object_set_new(view, "optout_path", json_string(p));
    }
    sodium_memzero(key, sizeof(key));
    return rc;
}

int api_consent_json(const struct api_request *rq, const char *number, json_t **out,
                     struct rl_err *err)
{
    struct store_consent_view v;
    *out = NULL;
    int rc = store_consent_get(rq->store, rq->account_id, number, &v, err);
    if (rc != 0)
        return rc;
    json_t *body = view_json(number, &v);
    store_consent_view_release(&v);
    if ((rc = optout_path(rq, number, body, err)) != 0) {
        json_decref(body);
        return rc;
    }
    *out = body;
    return 0;
}

/* Answers with the number's whole consent. */
static void answer_view(const struct api_request *rq, const char *number, unsigned status,
                        struct api_response *rs)
{
    struct rl_err err = {0};
    json_t *body;
    int rc = api_consent_json(rq, number, &body, &err);
    if (rc != 0) {
        internal(rs, "read consent", rc, &err);
        return;
    }
    rs->status = status;
    rs->body = body;
}

/* Answers with one scope's state, as it stands after a change. */
static void answer_state(const struct api_request *rq, const char *number, const char *scope,
                         unsigned status, struct api_response *rs)
{
    struct store_consent_view v;
    struct rl_err err = {0};
    int rc = store_consent_get(rq->store, rq->account_id, number, &v, &err);
    if (rc != 0) {
        internal(rs, "read consent", rc, &err);
        return;
    }
    for (size_t i = 0; i < v.nscopes && !rs->body; i++)
        if (strcmp(v.scopes[i].scope, scope) == 0)
            rs->body = state_json(number, &v.scopes[i]);
    store_consent_view_release(&v);
    if (!rs->body) {
        internal(rs, "read consent back", RL_ENOTFOUND, NULL);
        return;
    }
    rs->status = status;
    api_header_add(rs, "Location", "/v1/optouts/%s", number);
}

/* Records the change; returns 0 with *changed, or -1 with rs filled. */
static int record(const struct api_request *rq, const char *number, const char *scope,
                  enum store_consent_status status, bool *changed, struct api_response *rs)
{
    char detail[32];
    struct rl_err err = {0};
    snprintf(detail, sizeof(detail), "key=%" PRId64, rq->key_id);
    struct store_consent_change c = {.account_id = rq->account_id,
                                     .phone = number,
                                     .scope = scope,
                                     .status = status,
                                     .source = STORE_CONSENT_API,
                                     .detail = detail};
    int rc = store_consent_record(rq->store, &c, changed, &err);
    if (rc == 0)
        return 0;
    if (rc == RL_EINVAL)
        api_error(rs, 422, "invalid_value", err.field, "%s", err.msg);
    else
        internal(rs, "record consent", rc, &err);
    return -1;
}

/* --- handlers --------------------------------------------------------------------------- */

static void create(const struct api_request *rq, enum store_consent_status status,
                   struct api_response *rs)
{
    char number[STORE_CONSENT_PHONE_SIZE], scope[STORE_CONSENT_SCOPE_MAX + 1];
    struct api_problem p;
    bool changed = false;
    if (read_change(rq, number, scope, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    if (record(rq, number, scope, status, &changed, rs) == 0)
        answer_state(rq, number, scope, changed ? 201 : 200, rs);
}

void api_optouts_create(const struct api_request *rq, struct api_response *rs)
{
    create(rq, STORE_CONSENT_OPTED_OUT, rs);
}

void api_optins_create(const struct api_request *rq, struct api_response *rs)
{
    create(rq, STORE_CONSENT_OPTED_IN, rs);
}

static int path_number(const struct api_request *rq, char number[STORE_CONSENT_PHONE_SIZE],
                       struct api_problem *p)
{
    const char *s = rq->nparams ? rq->params[0] : "";
    return read_number(rq, s, strlen(s), number, p);
}

void api_optouts_get(const struct api_request *rq, struct api_response *rs)
{
    static const char *const known[] = {NULL};
    char number[STORE_CONSENT_PHONE_SIZE];
    struct api_problem p;
    if (query_check(rq, known, "none", &p) != 0 || path_number(rq, number, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    answer_view(rq, number, 200, rs);
}

void api_optouts_delete(const struct api_request *rq, struct api_response *rs)
{
    static const char *const known[] = {"scope", NULL};
    char number[STORE_CONSENT_PHONE_SIZE];
    struct api_problem p;
    struct rl_err err = {0};
    enum store_consent_status st;
    bool changed = false;
    const char *scope = query_get(rq, "scope");
    if (query_check(rq, known, "scope", &p) != 0 || path_number(rq, number, &p) != 0 ||
        (scope && read_scope(scope, &p) != 0)) {
        api_problem_respond(rs, &p);
        return;
    }
    scope = scope ? scope : STORE_CONSENT_MARKETING;
    int rc = store_consent_status_get(rq->store, rq->account_id, number, scope, &st, &err);
    if (rc != 0) {
        internal(rs, "read consent", rc, &err);
        return;
    }
    if (st != STORE_CONSENT_OPTED_OUT) {
        api_error(rs, 404, "not_found", "number", "%s is not opted out of %s", number, scope);
        return;
    }
    if (record(rq, number, scope, STORE_CONSENT_OPTED_IN, &changed, rs) == 0)
        answer_view(rq, number, 200, rs);
}

static int list_limit(const char *s, size_t *out, struct api_problem *p)
{
    size_t n = strlen(s);
    *out = n > 0 && n <= 4 && strspn(s, "0123456789") == n ? (size_t)strtoul(s, NULL, 10) : 0;
    if (*out >= 1 && *out <= STORE_LIST_MAX)
        return 0;
    return api_problem_set(p, 422, "out_of_range", "limit",
                           "limit '%.20s' is not a whole number from 1 to %d", s, STORE_LIST_MAX);
}

void api_optouts_list(const struct api_request *rq, struct api_response *rs)
{
    static const char *const known[] = {"scope", "cursor", "limit", NULL};
    struct api_problem p;
    struct store_optout_page page;
    struct rl_err err = {0};
    size_t limit = LIST_DEFAULT;
    const char *scope = query_get(rq, "scope"), *lim = query_get(rq, "limit");
    if (query_check(rq, known, "scope, cursor, limit", &p) != 0 ||
        (scope && read_scope(scope, &p) != 0) || (lim && list_limit(lim, &limit, &p) != 0)) {
        api_problem_respond(rs, &p);
        return;
    }
    int rc = store_optout_list(rq->store, rq->account_id, scope, query_get(rq, "cursor"), limit,
                               &page, &err);
    if (rc == RL_EINVAL && strcmp(err.field, "cursor") == 0) {
        api_error(rs, 400, "invalid_cursor", "cursor",
                  "cursor is not one this API gave (use next_cursor as it came)");
        return;
    }
    if (rc != 0) {
        internal(rs, "list opt-outs", rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++) {
        const struct store_optout *o = &page.items[i];
        struct store_consent_scope x = {
            .status = STORE_CONSENT_OPTED_OUT, .source = o->source, .updated_at = o->at};
        snprintf(x.scope, sizeof(x.scope), "%s", o->scope);
        json_array_append_new(items, state_json(o->phone, &x));
    }
    rs->status = 200;
    rs->body = json_pack("{s:o,s:o}", "optouts", items, "next_cursor",
                         page.next_cursor[0] ? json_string(page.next_cursor) : json_null());
    store_optout_page_release(&page);
}

/* --- settings ----------------------------------------------------------------------------- */

static void answer_settings(const struct api_request *rq, struct api_response *rs)
{
    struct store_consent_settings st;
    struct rl_err err = {0};
    int rc = store_consent_settings_get(rq->store, rq->account_id, &st, &err);
    if (rc != 0) {
        internal(rs, "read the settings", rc, &err);
        return;
    }
    rs->status = 200;
    rs->body = json_pack("{s:b}", "stop_reply", st.stop_reply);
}

void api_consent_settings_get(const struct api_request *rq, struct api_response *rs)
{
    answer_settings(rq, rs);
}

void api_consent_settings_patch(const struct api_request *rq, struct api_response *rs)
{
    static const struct api_jfield fields[] = {{"stop_reply", API_JBOOLEAN, false}};
    struct api_problem p;
    struct rl_err err = {0};
    json_t *obj = api_json_body(rq, &p);
    if (!obj || api_json_check(obj, fields, 1, &p) != 0) {
        api_problem_respond(rs, &p);
        json_decref(obj);
        return;
    }
    const json_t *v = api_json_get(obj, "stop_reply");
    struct store_consent_settings st = {.stop_reply = json_is_true(v)};
    int rc = v ? store_consent_settings_set(rq->store, rq->account_id, &st, &err) : 0;
    json_decref(obj);
    if (rc != 0) {
        internal(rs, "update the settings", rc, &err);
        return;
    }
    if (v)
        log_info("api", "consent_settings", "account=%" PRId64 " stop_reply=%s", rq->account_id,
                 st.stop_reply ? "on" : "off");
    answer_settings(rq, rs);
}

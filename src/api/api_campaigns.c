#include "api/api_campaigns.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_config.h"
#include "api/api_contacts.h"
#include "api/api_json.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/campaign.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "text/segment.h"
#include "text/sender.h"
#include "text/template.h"
#include "text/utf8.h"
#include "core/banned.h"

#define SEND_AT_MAX_DAYS 366
#define TEMPLATE_FIELDS  64

static struct campaign_env env_of(const struct api_request *rq)
{
    const struct api_config *c = rq->cfg;
    return (struct campaign_env){.store = rq->store,
                                 .cfg = &c->campaigns,
                                 .billing = &c->billing,
                                 .region = c->default_region,
                                 .max_parts = c->max_parts,
                                 .ref_bits = c->ref_bits,
                                 .validity_ms = c->validity_ms};
}

/* --- rendering ---------------------------------------------------------------------- */

static json_t *time_or_null(int64_t ms)
{
    char s[API_TIME_SIZE];
    if (ms <= 0)
        return json_null();
    api_time_format(ms, s);
    return json_string(s);
}

static json_t *money(int64_t micro)
{
    char s[32];
    billing_amount_format(micro, s, sizeof(s));
    return json_string(s);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *excluded_json(const struct campaign_figures *f)
{
    json_t *o = json_object();
    for (int i = 0; i < CAMPAIGN_EX_COUNT; i++)
        json_object_set_new(o, campaign_exclusion_name((enum campaign_exclusion)i),
                            json_integer(f->excluded[i]));
    return o;
}

/* The figures every view shares: recipients, exclusions, encodings,
 * segments, cost, first and last send times. */
static void figures_into(json_t *o, const struct campaign_figures *f)
{
    json_object_set_new(o, "recipients", json_integer(f->recipients));
    json_object_set_new(o, "excluded", excluded_json(f));
    json_object_set_new(o, "messages_by_encoding",
                        json_pack("{s:I,s:I}", "gsm7", (json_int_t)f->by_encoding[0], "ucs2",
                                  (json_int_t)f->by_encoding[1]));
    json_object_set_new(o, "segments", json_integer(f->segments));
    json_object_set_new(o, "cost", money(f->cost));
    json_object_set_new(o, "first_send_at", time_or_null(f->first_at));
    json_object_set_new(o, "last_send_at", time_or_null(f->last_at));
}

/* A launched campaign is scheduled until its first message's time. */
static const char *status_of(const struct store_campaign *c, int64_t now)
{
    if (c->state == STORE_CAMPAIGN_SCHEDULED && c->first_send_at && c->first_send_at <= now)
        return "sending";
    return store_campaign_state_name(c->state);
}

static json_t *campaign_json(const struct store_campaign *c)
{
    json_t *aud = c->audience ? json_loads(c->audience, 0, NULL) : NULL;
    json_t *o =
        json_pack("{s:I,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o}", "id", (json_int_t)c->id, "name", c->name,
                  "kind", c->kind, "category", c->category, "require_optin", c->require_optin,
                  "sender", str_or_null(c->sender), "text", str_or_null(c->text), "template",
                  str_or_null(c->template_text), "audience", aud ? aud : json_object());
    json_object_set_new(o, "send_at", time_or_null(c->send_at));
    json_object_set_new(o, "window", str_or_null(c->window));
    json_object_set_new(o, "timezone", str_or_null(c->timezone));
    json_object_set_new(o, "rate", c->rate > 0 ? json_real(c->rate) : json_null());
    json_object_set_new(o, "smart_encoding", json_boolean(c->smart_encoding));
    json_object_set_new(o, "status", json_string(status_of(c, api_now_ms())));
    struct campaign_figures f;
    if (campaign_figures_parse(c->figures, &f) == 0) {
        json_t *fj = json_object();
        figures_into(fj, &f);
        json_object_set_new(o, "figures", fj);
    } else {
        json_object_set_new(o, "figures", json_null());
    }
    json_object_set_new(o, "messages", json_integer(c->messages));
    json_object_set_new(o, "launch_error", str_or_null(c->launch_error));
    json_object_set_new(o, "created_at", time_or_null(c->created_at));
    json_object_set_new(o, "updated_at", time_or_null(c->updated_at));
    json_object_set_new(o, "launched_at", time_or_null(c->launched_at));
    json_object_set_new(o, "finished_at", time_or_null(c->finished_at));
    return o;
}

/* Reads campaign id of the request's account, settling a finished one
 * first; false with rs filled when it cannot. */
static bool load(const struct api_request *rq, int64_t id, struct store_campaign *c,
                 struct api_response *rs)
{
    struct rl_err err = {0};
    enum store_campaign_state st;
    int rc = store_campaign_get(rq->store, rq->account_id, id, c, &err);
    if (rc == 0 && (c->state == STORE_CAMPAIGN_SCHEDULED || c->state == STORE_CAMPAIGN_SENDING) &&
        store_campaign_settle(rq->store, id, &st, &err) == 0 && st != c->state) {
        store_campaign_release(c);
        rc = store_campaign_get(rq->store, rq->account_id, id, c, &err);
    }
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "campaign_exists", "read the campaign");
        return false;
    }
    return true;
}

/* Answers with campaign id as it is now, plus extra members (taken; may be NULL). */
static void answer(const struct api_request *rq, int64_t id, unsigned status, json_t *extra,
                   struct api_response *rs)
{
    struct store_campaign c;
    if (!load(rq, id, &c, rs)) {
        json_decref(extra);
        return;
    }
    rs->status = status;
    rs->body = campaign_json(&c);
    if (extra) {
        json_object_update(rs->body, extra);
        json_decref(extra);
    }
    store_campaign_release(&c);
}

/* --- reading a campaign from a body ---------------------------------------------------- */

/* A campaign as the request gives it, checked; strings borrowed from the
 * body or owned where noted. */
struct draft {
    struct store_campaign_new n;
    char window[RULES_SPEC_MAX]; /* canonical form */
    char *audience;              /* owned: canonical JSON */
};

static const struct api_jfield fields[] = {
    {"name", API_JSTRING, true},
    {"category", API_JSTRING, true},
    {"require_optin", API_JBOOLEAN, false},
    {"sender", API_JSTRING, false},
    {"text", API_JSTRING, false},
    {"template", API_JSTRING, false},
    {"audience", API_JOBJECT, true},
    {"send_at", API_JSTRING, false},
    {"window", API_JSTRING, false},
    {"timezone", API_JSTRING, false},
    {"smart_encoding", API_JBOOLEAN, false},
};

static const struct api_jfield audience_fields[] = {
    {"lists", API_JARRAY, false},
    {"numbers", API_JARRAY, false},
    {"exclude_lists", API_JARRAY, false},
};

/* The members checked by type; rate is a JSON number, integer or not, which
 * api_json_check has no type for: checked apart. */
static int check_shape(const json_t *obj, struct api_problem *p)
{
    json_t *copy = json_copy((json_t *)obj);
    json_object_del(copy, "rate");
    int rc = api_json_check(copy, fields, sizeof(fields) / sizeof(fields[0]), p);
    json_decref(copy);
    const json_t *rate = api_json_get(obj, "rate");
    if (rc == 0 && rate && !json_is_number(rate))
        return api_problem_set(p, 400, "invalid_type", "rate",
                               "rate must be a number (messages a second), got %s",
                               api_json_type_name(rate));
    bool text = api_json_get(obj, "text"), tpl = api_json_get(obj, "template");
    if (rc == 0 && text && tpl)
        return api_problem_set(p, 400, "conflicting_fields", "template",
                               "give either text or template, not both");
    if (rc == 0 && !text && !tpl)
        return api_problem_set(p, 400, "missing_field", "text",
                               "text is required (or template, with #field# placeholders)");
    return rc;
}

static bool printable_utf8(const char *s, size_t n)
{
    bool ok = utf8_validate(s, n, NULL) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    return ok;
}

static int read_names(const json_t *obj, struct draft *d, struct api_problem *p)
{
    const json_t *v = json_object_get(obj, "name");
    size_t n = json_string_length(v);
    d->n.name = json_string_value(v);
    if (n == 0 || n > STORE_CAMPAIGN_NAME_MAX || !printable_utf8(d->n.name, n))
        return api_problem_set(p, 422, "invalid_value", "name",
                               "name '%.40s' is not 1 to %d bytes without control characters",
                               d->n.name, STORE_CAMPAIGN_NAME_MAX);
    d->n.category = json_string_value(json_object_get(obj, "category"));
    bool named = strcmp(d->n.category, "marketing") != 0;
    if (strcmp(d->n.category, "transactional") != 0 && !store_consent_scope_valid(d->n.category))
        return api_problem_set(p, 422, "invalid_value", "category",
                               "category '%.40s' is not transactional, marketing, or a marketing "
                               "category of 1 to %d characters a-z 0-9 _ -",
                               d->n.category, STORE_CONSENT_SCOPE_MAX);
    d->n.require_optin = json_is_true(api_json_get(obj, "require_optin"));
    named = named && strcmp(d->n.category, "transactional") != 0;
    if (d->n.require_optin && !named)
        return api_problem_set(p, 422, "invalid_value", "require_optin",
                               "require_optin needs a marketing category that numbers opt in to "
                               "(e.g. \"offers\"), not '%s'",
                               d->n.category);
    const json_t *s = api_json_get(obj, "sender");
    struct sender_info si;
    struct rl_err err = {0};
    if (s && sender_check(json_string_value(s), json_string_length(s), &si, &err) != 0)
        return api_problem_set(p, 422, "invalid_sender", "sender", "%s", err.msg);
    d->n.sender = s ? json_string_value(s) : NULL;
    return 0;
}

static int read_text(const struct api_request *rq, const json_t *obj, struct draft *d,
                     struct api_problem *p)
{
    const json_t *t = api_json_get(obj, "text"), *tpl = api_json_get(obj, "template");
    struct rl_err err = {0};
    if (t) {
        struct seg_opts so = {.ref_bits = rq->cfg->ref_bits};
        struct seg_info si;
        d->n.text = json_string_value(t);
        if (json_string_length(t) == 0)
            return api_problem_set(p, 422, "empty_text", "text", "text is empty");
        if (seg_analyze(d->n.text, json_string_length(t), &so, &si, &err) != 0)
            return api_problem_set(p, 422, "invalid_utf8", "text", "%s", err.msg);
        if (si.segments > rq->cfg->max_parts)
            return api_problem_set(p, 422, "too_long", "text",
                                   "the text needs %zu parts (%zu %s units); the limit is %zu "
                                   "(text.max_parts)",
                                   si.segments, si.units, seg_encoding_name(si.encoding),
                                   rq->cfg->max_parts);
        /* A text goes as written: the link would reach the phones as "#optout_link#". */
        if (strcasestr(d->n.text, "#optout_link#"))
            return api_problem_set(p, 422, "invalid_value", "text",
                                   "#optout_link# is a template field: give this text as "
                                   "template to send each recipient their opt-out link");
        return 0;
    }
    struct template_field tf[TEMPLATE_FIELDS];
    size_t nf = 0;
    d->n.template_text = json_string_value(tpl);
    if (json_string_length(tpl) == 0)
        return api_problem_set(p, 422, "empty_text", "template", "template is empty");
    if (template_fields(d->n.template_text, json_string_length(tpl), tf, TEMPLATE_FIELDS, &nf,
                        &err) != 0)
        return api_problem_set(p, 422, "invalid_template", "template", "template: %s", err.msg);
    return 0;
}

/* An array of list ids of the account: each must exist. */
static int read_lists(const struct api_request *rq, const json_t *arr, const char *name,
                      json_t *out, struct api_problem *p)
{
    size_t n = json_array_size(arr);
    if (n > CAMPAIGN_LISTS_MAX)
        return api_problem_set(p, 422, "too_long", name, "audience.%s holds at most %d lists", name,
                               CAMPAIGN_LISTS_MAX);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof(field), "audience.%s[%zu]", name, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return api_problem_set(p, json_is_integer(v) ? 422 : 400,
                                   json_is_integer(v) ? "invalid_value" : "invalid_type", field,
                                   "%s must be a list id (a positive integer), got %s", field,
                                   api_json_type_name(v));
        struct store_list l;
        struct rl_err err = {0};
        int rc = store_list_get(rq->store, rq->account_id, json_integer_value(v), &l, &err);
        if (rc == RL_ENOTFOUND)
            return api_problem_set(p, 422, "unknown_list", field, "%s: no list %lld", field,
                                   (long long)json_integer_value(v));
        if (rc != 0)
            return api_problem_set(p, 500, "internal_error", NULL,
                                   "the store failed to read a list");
        json_array_append(out, (json_t *)v);
    }
    return 0;
}

static int read_numbers(const json_t *arr, json_t *out, struct api_problem *p)
{
    size_t n = json_array_size(arr);
    if (n > CAMPAIGN_NUMBERS_MAX)
        return api_problem_set(p, 422, "too_long", "audience.numbers",
                               "audience.numbers holds at most %d numbers (got %zu); put more "
                               "in a list (POST /v1/contacts/import)",
                               CAMPAIGN_NUMBERS_MAX, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof(field), "audience.numbers[%zu]", i);
        if (!json_is_string(v))
            return api_problem_set(p, 400, "invalid_type", field, "%s must be a string, got %s",
                                   field, api_json_type_name(v));
        size_t len = json_string_length(v);
        /* A number that does not parse is kept: the summary counts it invalid. */
        if (len == 0 || len > PHONE_INPUT_MAX || !printable_utf8(json_string_value(v), len))
            return api_problem_set(p, 422, "invalid_phone", field,
                                   "%s '%.40s' is not 1 to %d printable characters", field,
                                   json_string_value(v), PHONE_INPUT_MAX);
        json_array_append(out, (json_t *)v);
    }
    return 0;
}

static int read_audience(const struct api_request *rq, const json_t *obj, struct draft *d,
                         struct api_problem *p)
{
    const json_t *a = json_object_get(obj, "audience");
    if (api_json_check(a, audience_fields, 3, p) != 0) {
        char f[sizeof(p->field) + 16];
        snprintf(f, sizeof(f), "audience.%s", p->field);
        snprintf(p->field, sizeof(p->field), "%.*s", (int)sizeof(p->field) - 1, f);
        return -1;
    }
    json_t *lists = json_array(), *numbers = json_array(), *exclude = json_array();
    int rc = read_lists(rq, api_json_get(a, "lists"), "lists", lists, p);
    if (rc == 0)
        rc = read_lists(rq, api_json_get(a, "exclude_lists"), "exclude_lists", exclude, p);
    if (rc == 0)
        rc = read_numbers(api_json_get(a, "numbers"), numbers, p);
    if (rc == 0 && json_array_size(lists) == 0 && json_array_size(numbers) == 0)
        rc = api_problem_set(p, 422, "empty_audience", "audience",
                             "the audience needs lists or numbers");
    json_t *canon =
        json_pack("{s:o,s:o,s:o}", "lists", lists, "numbers", numbers, "exclude_lists", exclude);
    d->audience = rc == 0 ? json_dumps(canon, JSON_COMPACT) : NULL;
    d->n.audience = d->audience;
    json_decref(canon);
    return rc;
}

static int read_timing(const struct api_request *rq, const json_t *obj, int64_t now,
                       struct draft *d, struct api_problem *p)
{
    const char *at = json_string_value(api_json_get(obj, "send_at"));
    const char *w = json_string_value(api_json_get(obj, "window"));
    const char *tz = json_string_value(api_json_get(obj, "timezone"));
    struct rl_err err = {0};
    if (at && api_time_parse(at, &d->n.send_at) != 0)
        return api_problem_set(p, 422, "invalid_time", "send_at",
                               "send_at '%.40s' is not an RFC 3339 date-time such as "
                               "2026-11-21T09:30:00+01:00",
                               at);
    if (at && d->n.send_at > now + SEND_AT_MAX_DAYS * 86400000LL)
        return api_problem_set(p, 422, "out_of_range", "send_at",
                               "send_at '%.40s' is more than %d days ahead", at, SEND_AT_MAX_DAYS);
    if (d->n.send_at <= now)
        d->n.send_at = 0; /* in the past: at launch */
    if (w) {
        struct rules_window rw;
        if (rules_window_parse(&rw, w, strlen(w), "window", &err) != 0)
            return api_problem_set(p, 422, "invalid_window", "window", "%s", err.msg);
        /* Refused now rather than at the summary: no recipient could ever get it. */
        bool marketing = strcmp(d->n.category, "transactional") != 0;
        if (campaign_window_check(&rq->cfg->campaigns.rules, marketing, &rw, &err) != 0)
            return api_problem_set(p, 422, "window_never_allowed", "window", "%s", err.msg);
        rules_window_format(&rw, d->window, sizeof(d->window));
        d->n.window = d->window;
    }
    if (tz) {
        struct rules_zone *z = NULL;
        if (rules_zone_new(tz, &z, &err) != 0)
            return api_problem_set(p, 422, "invalid_timezone", "timezone",
                                   "timezone '%.64s' is not an IANA zone ICU knows, such as "
                                   "Europe/Paris",
                                   tz);
        rules_zone_free(z);
        d->n.timezone = tz;
    }
    return 0;
}

static int read_rate(const struct api_request *rq, const json_t *obj, struct draft *d,
                     struct api_problem *p)
{
    const json_t *r = api_json_get(obj, "rate");
    const json_t *se = api_json_get(obj, "smart_encoding");
    d->n.smart_encoding = se ? json_is_true(se) : rq->cfg->smart_encoding;
    d->n.rate = rq->cfg->campaigns.default_rate;
    if (!r)
        return 0;
    double v = json_number_value(r);
    if (!(v > 0) || v > CAMPAIGN_RATE_MAX || !isfinite(v))
        return api_problem_set(p, 422, "out_of_range", "rate",
                               "rate %g is not a number of messages a second above 0 and at most "
                               "%g",
                               v, CAMPAIGN_RATE_MAX);
    d->n.rate = v;
    return 0;
}

/* A campaign without a sender takes the routes' default_sender: refused now
 * when no route could give one, rather than launched and failed message by
 * message. Typed numbers are checked each (one that does not parse is the
 * summary's invalid); a list's members are not known yet, so one route with
 * a default_sender is enough for them. */
static int check_sender(const struct api_request *rq, const json_t *obj, const struct draft *d,
                        struct api_problem *p)
{
    const json_t *nums = json_object_get(json_object_get(obj, "audience"), "numbers");
    const char *region = rq->cfg->default_region[0] ? rq->cfg->default_region : NULL;
    char why[256];
    if (d->n.sender)
        return 0;
    if (!api_config_sender_any(rq->cfg))
        return api_problem_set(p, 422, "invalid_sender", "sender",
                               "sender is required: no configured route has a default_sender");
    for (size_t i = 0; i < json_array_size(nums); i++) {
        const json_t *v = json_array_get(nums, i);
        struct phone_info pi;
        if (phone_parse_typed(json_string_value(v), json_string_length(v), region, &pi, NULL) ==
                0 &&
            !api_config_sender_optional(rq->cfg, pi.e164, why, sizeof(why)))
            return api_problem_set(p, 422, "invalid_sender", "sender", "sender is required: %s",
                                   why);
    }
    return 0;
}

void api_campaigns_create(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    struct draft d;
    memset(&d, 0, sizeof(d));
    d.n.account_id = rq->account_id;
    json_t *obj = api_json_body(rq, &p);
    int rc = obj ? check_shape(obj, &p) : -1;
    if (rc == 0)
        rc = read_names(obj, &d, &p);
    if (rc == 0)
        rc = read_text(rq, obj, &d, &p);
    if (rc == 0)
        rc = read_timing(rq, obj, api_now_ms(), &d, &p);
    if (rc == 0)
        rc = read_rate(rq, obj, &d, &p);
    if (rc == 0)
        rc = read_audience(rq, obj, &d, &p);
    if (rc == 0)
        rc = check_sender(rq, obj, &d, &p);
    if (rc != 0) {
        api_problem_respond(rs, &p);
    } else {
        struct rl_err err = {0};
        int64_t id = 0;
        rc = store_campaign_create(rq->store, &d.n, &id, &err);
        if (rc == 0) {
            answer(rq, id, 201, NULL, rs);
            api_header_add(rs, "Location", "/v1/campaigns/%lld", (long long)id);
        } else {
            api_store_failed(rs, rc, &err, "campaign_exists", "create the campaign");
        }
    }
    free(d.audience);
    json_decref(obj);
}

/* --- reading ---------------------------------------------------------------------------- */

void api_campaigns_list(const struct api_request *rq, struct api_response *rs)
{
    static const char *const names[] = {"cursor", "limit"};
    const char *v[2];
    struct api_problem p;
    size_t limit;
    if (api_query_read(rq, names, v, 2, &p) != 0 || api_limit_read(v[1], &limit, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    struct store_campaign_page page;
    struct rl_err err = {0};
    int rc = store_campaign_list(rq->store, rq->account_id, v[0], limit, &page, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "campaign_exists", "list campaigns");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < page.n; i++)
        json_array_append_new(arr, campaign_json(&page.items[i]));
    rs->status = 200;
    rs->body = json_pack("{s:o,s:o}", "campaigns", arr, "next_cursor",
                         page.next_cursor[0] ? json_string(page.next_cursor) : json_null());
    store_campaign_page_release(&page);
}

void api_campaigns_get(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    if (api_path_id(rq, "campaign", &id, rs))
        answer(rq, id, 200, NULL, rs);
}

/* The campaign and its definition, for the commands that need both. */
static bool load_spec(const struct api_request *rq, struct store_campaign *c,
                      struct campaign_spec *sp, struct api_response *rs)
{
    int64_t id;
    struct rl_err err = {0};
    if (!api_path_id(rq, "campaign", &id, rs) || !load(rq, id, c, rs))
        return false;
    if (campaign_spec_init(sp, c, &err) != 0) {
        log_error("api", "campaign_unreadable", "campaign=%lld detail=\"%s\"", (long long)id,
                  err.msg);
        api_error(rs, 500, "internal_error", NULL, "campaign %lld cannot be read", (long long)id);
        store_campaign_release(c);
        return false;
    }
    return true;
}

static json_t *blocker_json(int rc, const struct rl_err *err)
{
    if (rc == 0)
        return json_null();
    const char *code = rc == RL_ERANGE                       ? "insufficient_credit"
                       : strcmp(err->field, "audience") == 0 ? "no_recipients"
                                                             : "optout_mention_missing";
    return json_pack("{s:s,s:s,s:s}", "code", code, "message", err->msg, "field", err->field);
}

void api_campaigns_summary(const struct api_request *rq, struct api_response *rs)
{
    struct store_campaign c;
    struct campaign_spec sp;
    if (!load_spec(rq, &c, &sp, rs))
        return;
    struct campaign_env env = env_of(rq);
    struct campaign_figures f;
    struct store_account acc;
    struct rl_err err = {0}, why = {0};
    int rc = c.state == STORE_CAMPAIGN_DRAFT
                 ? 0
                 : rl_err_set(&err, RL_EINVAL, "state",
                              "campaign %lld is %s: its launch's figures are in GET "
                              "/v1/campaigns/%lld, its progress in its report",
                              (long long)c.id, store_campaign_state_name(c.state), (long long)c.id);
    if (rc == 0)
        rc = campaign_summarize(&env, &sp, api_now_ms(), &f, &err);
    if (rc == 0)
        rc = store_account_get(rq->store, rq->account_id, &acc, &err);
    if (rc == RL_EINVAL && strcmp(err.field, "state") == 0) {
        api_error(rs, 409, "invalid_state", "state", "%s", err.msg);
    } else if (rc == RL_EINVAL && strcmp(err.field, "window") == 0) {
        api_error(rs, 422, "window_never_allowed", "window", "%s", err.msg);
    } else if (rc != 0) {
        api_store_failed(rs, rc, &err, "campaign_exists", "summarize the campaign");
    } else {
        int b = campaign_blocker(&env, &sp, &f, acc.balance, &why);
        json_t *o = json_pack("{s:I,s:s}", "campaign_id", (json_int_t)c.id, "status",
                              store_campaign_state_name(c.state));
        figures_into(o, &f);
        json_object_set_new(o, "balance_before", money(acc.balance));
        json_object_set_new(o, "balance_after", money(acc.balance - f.cost));
        json_object_set_new(o, "currency", json_string(rq->cfg->billing.currency));
        json_object_set_new(o, "can_launch", json_boolean(b == 0));
        json_object_set_new(o, "blocker", blocker_json(b, &why));
        rs->status = 200;
        rs->body = o;
    }
    campaign_spec_release(&sp);
    store_campaign_release(&c);
}

/* --- commands ---------------------------------------------------------------------------- */

/* The one mapping of the commands' errors to answers. */
static void command_failed(const struct api_request *rq, int rc, const struct rl_err *err,
                           const char *what, struct api_response *rs)
{
    const char *field = err->field[0] ? err->field : NULL;
    if (rc == -EBUSY)
        api_error(rs, 409, "launch_in_progress", "state", "%s", err->msg);
    else if (rc == RL_EINVAL && field && strcmp(field, "state") == 0)
        api_error(rs, 409, "invalid_state", "state", "%s", err->msg);
    else if (rc == RL_ERANGE && field && strcmp(field, "balance") == 0)
        api_error(rs, 422, "insufficient_credit", "balance", "%s %s", err->msg,
                  rq->cfg->billing.currency);
    else if (rc == RL_EINVAL && field && strcmp(field, "audience") == 0)
        api_error(rs, 422, "no_recipients", "audience", "%s", err->msg);
    else if (rc == RL_EINVAL && field && strcmp(field, "audience.lists") == 0)
        api_error(rs, 422, "unknown_list", field, "%s", err->msg);
    else if (rc == RL_EINVAL && field && strcmp(field, "window") == 0)
        api_error(rs, 422, "window_never_allowed", field, "%s", err->msg);
    else if (rc == RL_EINVAL && field && strstr(field, "optout_mention"))
        api_error(rs, 422, "optout_mention_missing", field, "%s", err->msg);
    else if (rc == RL_EPHONE)
        api_error(rs, 422, "invalid_phone", field, "%s", err->msg);
    else if (rc == RL_EFIELD)
        api_error(rs, 422, "unknown_template_field", field, "%s", err->msg);
    else if (rc == RL_ETOOLONG)
        api_error(rs, 422, "too_long", field, "%s", err->msg);
    else
        api_store_failed(rs, rc, err, "campaign_exists", what);
}

/* The commands take no body; an empty JSON object is read as none. */
static bool no_body(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    if (!rq->body_len)
        return true;
    json_t *obj = api_json_body(rq, &p);
    bool ok = obj && api_json_check(obj, NULL, 0, &p) == 0;
    json_decref(obj);
    if (!ok)
        api_problem_respond(rs, &p);
    return ok;
}

void api_campaigns_launch(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    if (!api_path_id(rq, "campaign", &id, rs))
        return;
    if (!no_body(rq, rs))
        return;
    struct campaign_env env = env_of(rq);
    struct campaign_figures f;
    struct rl_err err = {0};
    int rc = campaign_launch(&env, rq->account_id, id, api_now_ms(), &f, &err);
    if (rc != 0)
        command_failed(rq, rc, &err, "launch the campaign", rs);
    else
        answer(rq, id, 200, NULL, rs);
}

void api_campaigns_test(const struct api_request *rq, struct api_response *rs)
{
    static const struct api_jfield tf[] = {{"numbers", API_JARRAY, true}};
    struct api_problem p;
    json_t *obj = api_json_body(rq, &p);
    if (!obj || api_json_check(obj, tf, 1, &p) != 0) {
        api_problem_respond(rs, &p);
        json_decref(obj);
        return;
    }
    const json_t *arr = json_object_get(obj, "numbers");
    size_t n = json_array_size(arr);
    const char *nums[CAMPAIGN_TEST_MAX];
    int rc =
        n >= 1 && n <= CAMPAIGN_TEST_MAX
            ? 0
            : api_problem_set(&p, 422, "out_of_range", "numbers",
                              "a test goes to 1 to %d numbers (got %zu)", CAMPAIGN_TEST_MAX, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        nums[i] = json_string_value(json_array_get(arr, i));
        if (!nums[i])
            rc = api_problem_set(&p, 400, "invalid_type", "numbers",
                                 "numbers[%zu] must be a string", i);
    }
    struct store_campaign c;
    struct campaign_spec sp;
    if (rc != 0) {
        api_problem_respond(rs, &p);
    } else if (load_spec(rq, &c, &sp, rs)) {
        struct campaign_env env = env_of(rq);
        struct rl_err err = {0};
        int64_t ids[CAMPAIGN_TEST_MAX];
        rc = campaign_test_send(&env, &sp, nums, n, ids, &err);
        if (rc != 0) {
            command_failed(rq, rc, &err, "send the test", rs);
        } else {
            json_t *msgs = json_array();
            for (size_t i = 0; i < n; i++) {
                struct phone_info pi;
                phone_parse_typed(nums[i], strlen(nums[i]), env.region[0] ? env.region : NULL, &pi,
                                  NULL);
                json_array_append_new(
                    msgs, json_pack("{s:I,s:s}", "id", (json_int_t)ids[i], "to", pi.e164));
            }
            rs->status = 202;
            rs->body = json_pack("{s:I,s:o}", "campaign_id", (json_int_t)c.id, "messages", msgs);
        }
        campaign_spec_release(&sp);
        store_campaign_release(&c);
    }
    json_decref(obj);
}

/* pause, resume and cancel take no body and answer with the campaign. */
enum command { CMD_PAUSE, CMD_RESUME, CMD_CANCEL };

static void command(const struct api_request *rq, enum command cmd, struct api_response *rs)
{
    int64_t id, count = 0, refunded = 0;
    if (!api_path_id(rq, "campaign", &id, rs))
        return;
    if (!no_body(rq, rs))
        return;
    struct campaign_env env = env_of(rq);
    struct rl_err err = {0};
    int rc = cmd == CMD_PAUSE ? campaign_pause(&env, rq->account_id, id, &count, &err)
             : cmd == CMD_RESUME
                 ? campaign_resume(&env, rq->account_id, id, api_now_ms(), &count, &err)
                 : campaign_cancel(&env, rq->account_id, id, api_now_ms(), &count, &refunded, &err);
    if (rc != 0) {
        command_failed(rq, rc, &err, "change the campaign", rs);
        return;
    }
    json_t *extra = cmd == CMD_PAUSE    ? json_pack("{s:I}", "parked", (json_int_t)count)
                    : cmd == CMD_RESUME ? json_pack("{s:I}", "resumed", (json_int_t)count)
                                        : json_pack("{s:I,s:o}", "cancelled", (json_int_t)count,
                                                    "refunded", money(refunded));
    answer(rq, id, 200, extra, rs);
}

void api_campaigns_pause(const struct api_request *rq, struct api_response *rs)
{
    command(rq, CMD_PAUSE, rs);
}

void api_campaigns_resume(const struct api_request *rq, struct api_response *rs)
{
    command(rq, CMD_RESUME, rs);
}

void api_campaigns_cancel(const struct api_request *rq, struct api_response *rs)
{
    command(rq, CMD_CANCEL, rs);
}

/* --- the report ----------------------------------------------------------------------------- */

static json_t *report_json(const struct store_campaign *c, const struct store_campaign_report *r)
{
    const int64_t *s = r->by_state;
    int64_t pending = s[MSG_STATE_DRAFT] + s[MSG_STATE_SCHEDULED] + s[MSG_STATE_QUEUED] +
                      s[MSG_STATE_RETRYING] + s[MSG_STATE_SUBMITTING];
    int64_t delivered = s[MSG_STATE_DELIVERED] + s[MSG_STATE_PARTIALLY_DELIVERED];
    /* Sent: every message the SMSC took, whatever became of it since. */
    int64_t sent = s[MSG_STATE_SUBMITTED] + delivered + s[MSG_STATE_UNKNOWN] + r->undelivered;
    /* Failed: never reached the phone, for a reason failed_by_error gives. */
    int64_t failed = s[MSG_STATE_FAILED] + s[MSG_STATE_REJECTED] + s[MSG_STATE_EXPIRED];
    json_t *errors = json_object(), *states = json_object();
    for (size_t i = 0; i < r->nerrors; i++)
        json_object_set_new(errors, r->errors[i].key, json_integer(r->errors[i].n));
    int64_t total = 0;
    for (int i = 0; i < MSG_STATE_COUNT; i++) {
        total += s[i];
        if (s[i])
            json_object_set_new(states, msg_state_name((enum msg_state)i), json_integer(s[i]));
    }
    json_t *o =
        json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I}", "campaign_id", (json_int_t)c->id,
                  "status", status_of(c, api_now_ms()), "messages", (json_int_t)total, "pending",
                  (json_int_t)pending, "sent", (json_int_t)sent, "delivered", (json_int_t)delivered,
                  "failed", (json_int_t)failed, "cancelled", (json_int_t)s[MSG_STATE_CANCELLED],
                  "failed_by_error", errors, "opt_outs", (json_int_t)r->optouts);
    json_object_set_new(o, "delivery_rate",
                        sent ? json_real(round(1000.0 * (double)delivered / (double)sent) / 1000.0)
                             : json_null());
    json_object_set_new(o, "cost", money(r->billed));
    json_object_set_new(o, "by_status", states);
    return o;
}

void api_campaigns_report(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    struct store_campaign c;
    if (!api_path_id(rq, "campaign", &id, rs) || !load(rq, id, &c, rs))
        return;
    struct store_campaign_report *r = xcalloc(1, sizeof(*r));
    struct rl_err err = {0};
    /* Opt-outs counted from the launch: a STOP the campaign's texts caused. */
    int64_t since = c.launched_at ? c.launched_at : c.created_at;
    int rc = store_campaign_report(rq->store, rq->account_id, id, since, r, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "campaign_exists", "report on the campaign");
    } else {
        rs->status = 200;
        rs->body = report_json(&c, r);
    }
    free(r);
    store_campaign_release(&c);
}

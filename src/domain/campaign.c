/* Campaigns: configuration, definition, and the commands — summary, launch,
 * test send, pause, resume, cancel — over the store and the audience stream
 * (campaign_audience.c). */
#include "domain/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/mem.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "text/utf8.h"
#include "core/banned.h"

static const char *const exclusion_names[CAMPAIGN_EX_COUNT] = {
#define XX(c, name) name,
    CAMPAIGN_EXCLUSION_MAP(XX)
#undef XX
};

const char *campaign_exclusion_name(enum campaign_exclusion e)
{
    return (unsigned)e < CAMPAIGN_EX_COUNT ? exclusion_names[e] : "?";
}

/* --- configuration -------------------------------------------------------------------- */

#define MENTION_KEY "campaigns.optout_mention"

/* A mention's text: 1..CAMPAIGN_MENTION_MAX bytes of UTF-8, no control character. */
static bool mention_text_ok(const char *t, size_t tl)
{
    bool ok = tl > 0 && tl <= CAMPAIGN_MENTION_MAX && utf8_validate(t, tl, NULL) == 0;
    for (size_t i = 0; ok && i < tl; i++)
        ok = (unsigned char)t[i] >= 0x20 && t[i] != 0x7f;
    return ok;
}

static bool mention_country_ok(const char *c, size_t cl)
{
    return (cl == 1 && c[0] == '*') ||
           (cl == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z');
}

static int mention_entry(const char *p, size_t len, size_t idx, struct campaign_mention *out,
                         struct rl_err *err)
{
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    const char *eq = memchr(p, '=', len);
    size_t cl = eq ? (size_t)(eq - p) : 0;
    while (cl && p[cl - 1] == ' ')
        cl--;
    if (!eq || !mention_country_ok(p, cl))
        return rl_err_set(err, RL_ECONFIG, MENTION_KEY,
                          "%s entry %zu '%.*s': expected CC=TEXT, CC a country such as FR "
                          "(two upper-case letters) or *",
                          MENTION_KEY, idx, (int)(len > 60 ? 60 : len), p);
    const char *t = eq + 1;
    size_t tl = (size_t)(p + len - t);
    while (tl && *t == ' ')
        t++, tl--;
    if (!mention_text_ok(t, tl))
        return rl_err_set(err, RL_ECONFIG, MENTION_KEY,
                          "%s entry %zu (%.*s): the mention must be 1 to %d bytes of UTF-8 "
                          "without control characters",
                          MENTION_KEY, idx, (int)cl, p, CAMPAIGN_MENTION_MAX);
    snprintf(out->country, sizeof(out->country), "%.*s", (int)cl, p);
    snprintf(out->text, sizeof(out->text), "%.*s", (int)tl, t);
    return 0;
}

int campaign_mentions_parse(struct campaign_config *cc, const char *text, struct rl_err *err)
{
    struct campaign_mention *m = NULL;
    size_t n = 0;
    for (const char *p = text; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (n == CAMPAIGN_MENTIONS_MAX) {
            free(m);
            return rl_err_set(err, RL_ECONFIG, MENTION_KEY, "%s: more than %d entries", MENTION_KEY,
                              CAMPAIGN_MENTIONS_MAX);
        }
        m = xrealloc(m, (n + 1) * sizeof(*m));
        int rc = mention_entry(p, len, n + 1, &m[n], err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (strcmp(m[i].country, m[n].country) == 0)
                rc = rl_err_set(err, RL_ECONFIG, MENTION_KEY, "%s: country %s is listed twice",
                                MENTION_KEY, m[n].country);
        if (rc != 0) {
            free(m);
            return rc;
        }
        n++;
        p = bar ? bar + 1 : p + len;
    }
    free(cc->mentions);
    cc->mentions = m;
    cc->nmentions = n;
    return 0;
}

int campaign_config_init(struct campaign_config *cc, const struct cfg *c, struct rl_err *err)
{
    memset(cc, 0, sizeof(*cc));
    int rc = rules_config_init(&cc->rules, c, err);
    if (rc != 0)
        return rc;
    rc = campaign_mentions_parse(cc, c->campaigns_optout_mention, err);
    if (rc != 0) {
        rules_config_release(&cc->rules);
        memset(cc, 0, sizeof(*cc));
        return rc;
    }
    cc->default_rate = c->campaigns_default_rate;
    /* As consent.c reads it: the links in texts and on the page agree. */
    size_t n = strlen(c->http_public_url);
    while (n && c->http_public_url[n - 1] == '/')
        n--;
    snprintf(cc->public_url, sizeof(cc->public_url), "%.*s", (int)n, c->http_public_url);
    return 0;
}

void campaign_config_release(struct campaign_config *cc)
{
    if (!cc)
        return;
    rules_config_release(&cc->rules);
    free(cc->mentions);
    memset(cc, 0, sizeof(*cc));
}

static const char *mention_in(const struct campaign_mention *m, size_t n, const char *country)
{
    const char *any = NULL;
    for (size_t i = 0; i < n; i++) {
        if (country && country[0] && strcmp(m[i].country, country) == 0)
            return m[i].text;
        if (strcmp(m[i].country, "*") == 0)
            any = m[i].text;
    }
    return any;
}

const char *campaign_mention_for(const struct campaign_config *cc, const char *country)
{
    return mention_in(cc->mentions, cc->nmentions, country);
}

/* --- the account's own mentions ------------------------------------------------------ */

#define ACCOUNT_MENTION_FIELD "optout_mention"

int campaign_account_mentions_parse(struct campaign_account_mentions *out, const char *json,
                                    struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!json || !json[0])
        return 0;
    json_t *o = json_loads(json, 0, NULL);
    int rc = json_is_object(o) && json_object_size(o) <= CAMPAIGN_MENTIONS_MAX
                 ? 0
                 : rl_err_set(err, RL_EINVAL, ACCOUNT_MENTION_FIELD,
                              "%s must be an object of at most %d countries, such as "
                              "{\"FR\": \"STOP au 36180\"}",
                              ACCOUNT_MENTION_FIELD, CAMPAIGN_MENTIONS_MAX);
    out->m = rc == 0 ? xcalloc(json_object_size(o) + 1, sizeof(*out->m)) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (rc != 0)
            break;
        char field[32];
        snprintf(field, sizeof(field), "%s.%.8s", ACCOUNT_MENTION_FIELD, k);
        if (!mention_country_ok(k, strlen(k)))
            rc = rl_err_set(err, RL_EINVAL, field,
                            "%s: '%.8s' is not a country such as FR (two upper-case letters) "
                            "nor *",
                            ACCOUNT_MENTION_FIELD, k);
        else if (!json_is_string(v) ||
                 !mention_text_ok(json_string_value(v), json_string_length(v)))
            rc = rl_err_set(err, RL_EINVAL, field,
                            "%s: the mention must be a string of 1 to %d bytes of UTF-8 "
                            "without control characters",
                            field, CAMPAIGN_MENTION_MAX);
        else {
            struct campaign_mention *m = &out->m[out->n++];
            snprintf(m->country, sizeof(m->country), "%s", k);
            snprintf(m->text, sizeof(m->text), "%s", json_string_value(v));
        }
    }
    json_decref(o);
    if (rc != 0)
        campaign_account_mentions_release(out);
    return rc;
}

void campaign_account_mentions_release(struct campaign_account_mentions *am)
{
    if (!am)
        return;
    free(am->m);
    memset(am, 0, sizeof(*am));
}

const char *campaign_mention_pick(const struct campaign_config *cc,
                                  const struct campaign_account_mentions *am, const char *country)
{
    /* The account's short number is its own: where it gave one (for the
     * country, or for every country with '*'), the server's does not apply. */
    const char *m = am ? mention_in(am->m, am->n, country) : NULL;
    return m ? m : campaign_mention_for(cc, country);
}

/* --- a window that can never be met --------------------------------------------------- */

/* Whether w meets profile on some day: the rules in UTC (a wall clock like any
 * other: both are read in the same zone) from a Monday, holidays aside (no
 * country), so a week decides it; rules_next_allowed says RL_ENOTFOUND after a
 * year when they never meet. */
static bool window_meets(const struct rules_window *profile, const struct rules_window *w,
                         struct rules_zone *utc)
{
    struct rules_query q = {.profile = profile, .window = w};
    int64_t next;
    const char *why;
    /* Monday 2024-01-01 00:00:00 UTC */
    return rules_next_allowed(&q, utc, 1704067200000LL, &next, &why, NULL) == 0;
}

int campaign_window_check(const struct rules_config *rc, bool marketing,
                          const struct rules_window *w, struct rl_err *err)
{
    if (!marketing)
        return 0;
    struct rules_zone *utc = NULL;
    int zrc = rules_zone_new("UTC", &utc, err);
    if (zrc != 0)
        return zrc;
    bool meets = window_meets(&rc->marketing, w, utc);
    for (size_t i = 0; !meets && i < rc->n; i++)
        meets = window_meets(&rc->profiles[i].w, w, utc);
    rules_zone_free(utc);
    if (meets)
        return 0;
    char ws[RULES_SPEC_MAX], ps[RULES_SPEC_MAX];
    rules_window_format(w, ws, sizeof(ws));
    rules_window_format(&rc->marketing, ps, sizeof(ps));
    return rl_err_set(err, RL_EINVAL, "window",
                      "window '%s' never allows a marketing message: it never meets the "
                      "marketing hours '%s' (rules.marketing_window)%s",
                      ws, ps, rc->n ? " nor any country's in rules.profiles" : "");
}

/* --- the definition ---------------------------------------------------------------------- */

static int ids_read(const json_t *arr, int64_t **out, size_t *n)
{
    *n = json_array_size(arr);
    *out = *n ? xcalloc(*n, sizeof(**out)) : NULL;
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return RL_EINVAL;
        (*out)[i] = json_integer_value(v);
    }
    return 0;
}

static int audience_read(struct campaign_spec *sp, const char *text, struct rl_err *err)
{
    json_t *a = json_loads(text, 0, NULL);
    int rc = json_is_object(a) ? 0 : RL_EINVAL;
    if (rc == 0)
        rc = ids_read(json_object_get(a, "lists"), &sp->lists, &sp->nlists);
    if (rc == 0)
        rc = ids_read(json_object_get(a, "exclude_lists"), &sp->exclude, &sp->nexclude);
    const json_t *nums = json_object_get(a, "numbers");
    sp->nnumbers = rc == 0 ? json_array_size(nums) : 0;
    sp->numbers = sp->nnumbers ? xcalloc(sp->nnumbers, sizeof(*sp->numbers)) : NULL;
    for (size_t i = 0; rc == 0 && i < sp->nnumbers; i++) {
        const char *s = json_string_value(json_array_get(nums, i));
        if (!s)
            rc = RL_EINVAL;
        else
            snprintf(sp->numbers[i], sizeof(sp->numbers[i]), "%s", s);
    }
    json_decref(a);
    return rc ? rl_err_set(err, RL_EINVAL, "audience", "campaign %lld: stored audience is invalid",
                           (long long)sp->id)
              : 0;
}

int campaign_spec_init(struct campaign_spec *sp, const struct store_campaign *row,
                       struct rl_err *err)
{
    memset(sp, 0, sizeof(*sp));
    sp->id = row->id;
    sp->account_id = row->account_id;
    sp->marketing = strcmp(row->category, "transactional") != 0;
    if (sp->marketing && strcmp(row->category, STORE_CONSENT_MARKETING) != 0)
        snprintf(sp->scope, sizeof(sp->scope), "%s", row->category);
    sp->require_optin = row->require_optin;
    sp->sender = row->sender ? row->sender : "";
    sp->text = row->text;
    sp->template_text = row->template_text;
    sp->send_at = row->send_at;
    sp->timezone = row->timezone;
    sp->rate = row->rate;
    sp->smart_encoding = row->smart_encoding;
    int rc = 0;
    if (row->window) {
        sp->has_window = true;
        rc = rules_window_parse(&sp->window, row->window, strlen(row->window), "window", err);
    }
    if (rc == 0)
        rc = audience_read(sp, row->audience, err);
    if (rc != 0)
        campaign_spec_release(sp);
    return rc;
}

void campaign_spec_release(struct campaign_spec *sp)
{
    free(sp->lists);
    free(sp->exclude);
    free(sp->numbers);
    memset(sp, 0, sizeof(*sp));
}

/* --- figures -------------------------------------------------------------------------- */

char *campaign_figures_json(const struct campaign_figures *f)
{
    json_t *ex = json_object();
    for (int i = 0; i < CAMPAIGN_EX_COUNT; i++)
        json_object_set_new(ex, exclusion_names[i], json_integer(f->excluded[i]));
    json_t *o = json_pack(
        "{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I}", "recipients", (json_int_t)f->recipients,
        "excluded", ex, "gsm7", (json_int_t)f->by_encoding[MSG_ENCODING_GSM7], "ucs2",
        (json_int_t)f->by_encoding[MSG_ENCODING_UCS2], "segments", (json_int_t)f->segments, "cost",
        (json_int_t)f->cost, "first_at", (json_int_t)f->first_at, "last_at", (json_int_t)f->last_at,
        "no_mention", (json_int_t)f->no_mention, "no_mention_country", f->no_mention_country,
        "written", (json_int_t)f->written);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

int campaign_figures_parse(const char *text, struct campaign_figures *f)
{
    memset(f, 0, sizeof(*f));
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return RL_EINVAL;
    }
    const json_t *ex = json_object_get(o, "excluded");
    for (int i = 0; i < CAMPAIGN_EX_COUNT; i++)
        f->excluded[i] = json_integer_value(json_object_get(ex, exclusion_names[i]));
    f->recipients = json_integer_value(json_object_get(o, "recipients"));
    f->by_encoding[MSG_ENCODING_GSM7] = json_integer_value(json_object_get(o, "gsm7"));
    f->by_encoding[MSG_ENCODING_UCS2] = json_integer_value(json_object_get(o, "ucs2"));
    f->segments = json_integer_value(json_object_get(o, "segments"));
    f->cost = json_integer_value(json_object_get(o, "cost"));
    f->first_at = json_integer_value(json_object_get(o, "first_at"));
    f->last_at = json_integer_value(json_object_get(o, "last_at"));
    f->no_mention = json_integer_value(json_object_get(o, "no_mention"));
    f->written = json_integer_value(json_object_get(o, "written"));
    snprintf(f->no_mention_country, sizeof(f->no_mention_country), "%s",
             json_string_value(json_object_get(o, "no_mention_country"))
                 ? json_string_value(json_object_get(o, "no_mention_country"))
                 : "");
    json_decref(o);
    return 0;
}

/* --- summary and launch -------------------------------------------------------------------- */

static int64_t start_of(const struct campaign_spec *sp, int64_t now)
{
    return sp->send_at > now ? sp->send_at : now;
}

int campaign_summarize(const struct campaign_env *env, const struct campaign_spec *sp, int64_t now,
                       struct campaign_figures *out, struct rl_err *err)
{
    struct campaign_run r;
    campaign_run_init(&r, env, sp, now, start_of(sp, now), false, err);
    int rc = campaign_run_pass(&r);
    *out = r.fig;
    campaign_run_release(&r);
    return rc;
}

int campaign_blocker(const struct campaign_env *env, const struct campaign_spec *sp,
                     const struct campaign_figures *f, int64_t balance, struct rl_err *err)
{
    (void)env;
    if (f->recipients == 0)
        return rl_err_set(err, RL_EINVAL, "audience",
                          "the audience has no recipient left once exclusions apply");
    if (sp->marketing && f->no_mention > 0)
        return rl_err_set(err, RL_EINVAL, MENTION_KEY,
                          "marketing needs an opt-out mention: neither the account (PATCH "
                          "/v1/account optout_mention) nor %s has one for %s (%lld recipients), "
                          "e.g. {\"%s\": \"STOP au 36xxx\"}",
                          MENTION_KEY, f->no_mention_country, (long long)f->no_mention,
                          f->no_mention_country[0] == '?' ? "*" : f->no_mention_country);
    if (!billing_can_afford(balance, f->cost)) {
        char c[32], b[32];
        billing_amount_format(f->cost, c, sizeof(c));
        billing_amount_format(balance, b, sizeof(b));
        return rl_err_set(err, RL_ERANGE, "balance", "the campaign costs %s and the balance is %s",
                          c, b);
    }
    return 0;
}

static int launch_pass(const struct campaign_env *env, const struct campaign_spec *sp, int64_t now,
                       int64_t start, bool resume, bool write, int64_t lease,
                       struct campaign_run *r, struct rl_err *err)
{
    campaign_run_init(r, env, sp, now, start, write, err);
    r->lease = lease;
    int rc = resume ? campaign_run_load_written(r, sp->id) : 0;
    return rc ? rc : campaign_run_pass(r);
}

/* The checks before anything is written: a summary pass, then the blockers. */
static int launch_check(const struct campaign_env *env, const struct campaign_spec *sp, int64_t now,
                        int64_t start, bool resume, struct rl_err *err)
{
    struct campaign_run r;
    struct store_account acc;
    int rc = launch_pass(env, sp, now, start, resume, false, 0, &r, err);
    if (rc == 0)
        rc = store_account_get(env->store, sp->account_id, &acc, err);
    if (rc == 0)
        rc = campaign_blocker(env, sp, &r.fig, acc.balance + r.written_cost, err);
    campaign_run_release(&r);
    return rc;
}

static int launch_write(const struct campaign_env *env, const struct campaign_spec *sp,
                        const struct store_campaign *row, int64_t now, int64_t start, bool resume,
                        int64_t lease, struct campaign_figures *out, struct rl_err *err)
{
    struct campaign_run r;
    int rc = launch_pass(env, sp, now, start, resume, true, lease, &r, err);
    struct campaign_figures *f = &r.fig;
    if (resume && row->first_send_at && (!f->first_at || row->first_send_at < f->first_at))
        f->first_at = row->first_send_at;
    if (resume && row->last_send_at > f->last_at)
        f->last_at = row->last_send_at;
    char *json = campaign_figures_json(f);
    if (rc != 0) {
        struct rl_err e2 = {0};
        log_warn("campaign", "launch_stopped", "campaign=%lld written=%lld err=%s detail=\"%s\"",
                 (long long)sp->id, (long long)(f->recipients - f->written), rl_errname(rc),
                 err->msg);
        if (rc != -EBUSY)
            store_campaign_launch_error(env->store, sp->id, err->msg, json, &e2);
    } else {
        enum store_campaign_state st =
            f->first_at > now ? STORE_CAMPAIGN_SCHEDULED : STORE_CAMPAIGN_SENDING;
        rc = store_campaign_launch_end(env->store, sp->id, st, json, r.pacer.cursor_us, r.lease,
                                       err);
    }
    *out = *f;
    free(json);
    campaign_run_release(&r);
    return rc;
}

int campaign_launch(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    struct campaign_figures *out, struct rl_err *err)
{
    struct store_campaign row;
    struct campaign_spec sp;
    memset(out, 0, sizeof(*out));
    int rc = store_campaign_get(env->store, account_id, id, &row, err);
    if (rc != 0)
        return rc;
    bool resume = row.state == STORE_CAMPAIGN_LAUNCHING;
    if (resume && !row.launch_error && row.heartbeat_at > now - CAMPAIGN_STALE_MS)
        rc = rl_err_set(err, -EBUSY, "state", "campaign %lld is being launched", (long long)id);
    else if (!resume && row.state != STORE_CAMPAIGN_DRAFT)
        rc = rl_err_set(err, RL_EINVAL, "state", "campaign %lld is %s: only a draft is launched",
                        (long long)id, store_campaign_state_name(row.state));
    if (rc == 0)
        rc = campaign_spec_init(&sp, &row, err);
    if (rc != 0) {
        store_campaign_release(&row);
        return rc;
    }
    int64_t start = start_of(&sp, now);
    if (resume && row.pace_us / 1000 > start)
        start = row.pace_us / 1000;
    rc = launch_check(env, &sp, now, start, resume, err);
    bool resumed = false;
    int64_t lease = 0;
    if (rc == 0)
        rc = store_campaign_launch_begin(env->store, account_id, id, CAMPAIGN_STALE_MS, &resumed,
                                         &lease, err);
    if (rc == 0)
        rc = launch_write(env, &sp, &row, now, start, resumed, lease, out, err);
    if (rc == 0)
        log_info("campaign", "launched",
                 "campaign=%lld recipients=%lld resumed=%d first_at=%lld last_at=%lld",
                 (long long)id, (long long)out->recipients, resumed, (long long)out->first_at,
                 (long long)out->last_at);
    campaign_spec_release(&sp);
    store_campaign_release(&row);
    return rc;
}

/* --- test send ---------------------------------------------------------------------------- */

struct test_msgs {
    struct store_msg_new m[CAMPAIGN_TEST_MAX];
    char to[CAMPAIGN_TEST_MAX][STORE_PHONE_SIZE];
    char *text[CAMPAIGN_TEST_MAX];
    char metadata[64];
};

static int test_one(const struct campaign_env *env, const struct campaign_spec *sp,
                    struct composer *cp, const char *typed, size_t i, struct test_msgs *t,
                    struct rl_err *err)
{
    struct phone_info pi;
    struct rl_err e = {0};
    char field[16];
    snprintf(field, sizeof(field), "numbers[%zu]", i);
    if (phone_parse_typed(typed, strlen(typed), env->region[0] ? env->region : NULL, &pi, &e) != 0)
        return rl_err_set(err, RL_EPHONE, field, "%s", e.msg);
    snprintf(t->to[i], sizeof(t->to[i]), "%s", pi.e164);
    struct store_contact ct;
    bool has = store_contact_find(env->store, sp->account_id, pi.e164, &ct, &e) == 0;
    struct composed c;
    int rc = composer_run(cp, pi.e164, has ? &ct : NULL, &c);
    if (has)
        store_contact_release(&ct);
    if (rc == COMPOSE_MISSING_FIELD)
        return rl_err_set(err, RL_EFIELD, "template",
                          "template: %s has no field '%s' and the template gives no fallback "
                          "(#%s|fallback#)",
                          pi.e164, c.field, c.field);
    if (rc == COMPOSE_TOO_LONG)
        return rl_err_set(err, RL_ETOOLONG, "text",
                          "the text to %s needs more than %zu parts (text.max_parts)", pi.e164,
                          env->max_parts);
    if (rc == COMPOSE_NO_MENTION)
        return rl_err_set(err, RL_EINVAL, MENTION_KEY,
                          "marketing needs an opt-out mention: neither the account (PATCH "
                          "/v1/account optout_mention) nor %s has one for %s",
                          MENTION_KEY, c.region[0] ? c.region : "numbers without a country");
    if (rc < 0)
        return rl_err_set(err, rc, "text", "the text to %s cannot be composed", pi.e164);
    t->text[i] = xstrndup(c.text, c.len);
    t->m[i] = (struct store_msg_new){.account_id = sp->account_id,
                                     .to = t->to[i],
                                     .from = sp->sender,
                                     .text = t->text[i],
                                     .encoding = c.encoding,
                                     .segments = c.segments,
                                     .category = MSG_CATEGORY_TRANSACTIONAL,
                                     .state = MSG_STATE_QUEUED,
                                     .cost = c.cost,
                                     .metadata = t->metadata,
                                     .reason = "campaign_test"};
    return 0;
}

int campaign_test_send(const struct campaign_env *env, const struct campaign_spec *sp,
                       const char *const *numbers, size_t n, int64_t *ids, struct rl_err *err)
{
    if (n == 0 || n > CAMPAIGN_TEST_MAX)
        return rl_err_set(err, RL_ETOOLONG, "numbers", "a test goes to 1 to %d numbers (got %zu)",
                          CAMPAIGN_TEST_MAX, n);
    struct test_msgs *t = xcalloc(1, sizeof(*t));
    struct campaign_clock *clock = campaign_clock_new(&env->cfg->rules);
    struct composer cp;
    composer_init(&cp, env, sp, clock);
    snprintf(t->metadata, sizeof(t->metadata), "{\"campaign_test\":%lld}", (long long)sp->id);
    int rc = composer_load(&cp, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = test_one(env, sp, &cp, numbers[i], i, t, err);
    if (rc == 0)
        rc = store_message_insert_batch(env->store, t->m, n, false, ids, err);
    for (size_t i = 0; i < n; i++)
        free(t->text[i]);
    composer_release(&cp);
    campaign_clock_free(clock);
    free(t);
    return rc;
}

/* --- pause, resume, cancel ------------------------------------------------------------------ */

static int sweep_all(const struct campaign_env *env, int64_t id, enum store_campaign_sweep kind,
                     const char *reason, int64_t *count, int64_t *refunded, struct rl_err *err)
{
    int64_t total = 0, money = 0;
    size_t done;
    int rc;
    do {
        int64_t r = 0;
        rc = store_campaign_sweep(env->store, id, kind, reason, STORE_CAMPAIGN_CHUNK, &done, &r,
                                  err);
        total += rc == 0 ? (int64_t)done : 0;
        money += rc == 0 ? r : 0;
    } while (rc == 0 && done > 0);
    if (count)
        *count = total;
    if (refunded)
        *refunded = money;
    return rc;
}

int campaign_pause(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t *parked,
                   struct rl_err *err)
{
    /* The state first: the dispatcher parks whatever it claims from now on,
     * and a pause interrupted half-way is finished by pausing again. */
    unsigned from =
        STORE_CAMPAIGN_BIT(SCHEDULED) | STORE_CAMPAIGN_BIT(SENDING) | STORE_CAMPAIGN_BIT(PAUSED);
    int rc = store_campaign_transition(env->store, account_id, id, from, STORE_CAMPAIGN_PAUSED,
                                       NULL, err);
    if (rc == 0)
        rc = sweep_all(env, id, STORE_CAMPAIGN_SWEEP_PARK, "campaign_paused", parked, NULL, err);
    return rc;
}

struct resume_buf {
    int64_t ids[STORE_CAMPAIGN_CHUNK];
    char phones[STORE_CAMPAIGN_CHUNK][STORE_PHONE_SIZE];
    struct store_campaign_slot slots[STORE_CAMPAIGN_CHUNK];
    char reasons[STORE_CAMPAIGN_CHUNK][64];
};

static int reschedule_all(const struct campaign_env *env, const struct campaign_spec *sp,
                          int64_t now, int64_t *count, struct rl_err *err)
{
    struct resume_buf *b = xcalloc(1, sizeof(*b));
    struct campaign_clock *clock = campaign_clock_new(&env->cfg->rules);
    struct campaign_pacer p;
    struct campaign_timing t = {.marketing = sp->marketing,
                                .window = sp->has_window ? &sp->window : NULL,
                                .timezone = sp->timezone};
    campaign_pacer_init(&p, start_of(sp, now), sp->rate);
    int64_t after = 0;
    size_t n;
    int rc;
    *count = 0;
    while ((rc = store_campaign_drafts(env->store, sp->id, after, STORE_CAMPAIGN_CHUNK, b->ids,
                                       b->phones, &n, err)) == 0 &&
           n > 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *rule = NULL;
            rc = campaign_pacer_next(&p, clock, &t, b->phones[i], &b->slots[i].at, &rule, err);
            b->slots[i].message_id = b->ids[i];
            /* Valid from its new slot, as at launch: a pause does not use it up. */
            b->slots[i].valid_until = env->validity_ms > 0 ? b->slots[i].at + env->validity_ms : 0;
            b->slots[i].reason = NULL;
            if (rule) {
                snprintf(b->reasons[i], sizeof(b->reasons[i]), "deferred:%s", rule);
                b->slots[i].reason = b->reasons[i];
            }
        }
        if (rc == 0)
            rc = store_campaign_reschedule(env->store, sp->id, b->slots, n, p.cursor_us, err);
        if (rc != 0)
            break;
        *count += (int64_t)n;
        after = b->ids[n - 1];
    }
    campaign_clock_free(clock);
    free(b);
    return rc;
}

int campaign_resume(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    int64_t *resumed, struct rl_err *err)
{
    struct store_campaign row;
    struct campaign_spec sp;
    int64_t n = 0;
    unsigned from = STORE_CAMPAIGN_BIT(PAUSED) | STORE_CAMPAIGN_BIT(SENDING);
    int rc = store_campaign_get(env->store, account_id, id, &row, err);
    if (rc != 0)
        return rc;
    rc = campaign_spec_init(&sp, &row, err);
    if (rc == 0) {
        /* Sending first: a message rescheduled must not be parked again by a
         * dispatcher that still reads the campaign as paused. */
        rc = store_campaign_transition(env->store, account_id, id, from, STORE_CAMPAIGN_SENDING,
                                       NULL, err);
        if (rc == 0)
            rc = reschedule_all(env, &sp, now, &n, err);
        campaign_spec_release(&sp);
    }
    store_campaign_release(&row);
    if (resumed)
        *resumed = n;
    return rc;
}

int campaign_cancel(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    int64_t *cancelled, int64_t *refunded, struct rl_err *err)
{
    struct store_campaign row;
    int rc = store_campaign_get(env->store, account_id, id, &row, err);
    if (rc != 0)
        return rc;
    bool live = row.state == STORE_CAMPAIGN_LAUNCHING && !row.launch_error &&
                row.heartbeat_at > now - CAMPAIGN_STALE_MS;
    store_campaign_release(&row);
    if (live)
        return rl_err_set(err, -EBUSY, "state",
                          "campaign %lld is being launched; cancel it once the launch returns",
                          (long long)id);
    unsigned from = STORE_CAMPAIGN_BIT(DRAFT) | STORE_CAMPAIGN_BIT(LAUNCHING) |
                    STORE_CAMPAIGN_BIT(SCHEDULED) | STORE_CAMPAIGN_BIT(SENDING) |
                    STORE_CAMPAIGN_BIT(PAUSED) | STORE_CAMPAIGN_BIT(CANCELLED);
    rc = store_campaign_transition(env->store, account_id, id, from, STORE_CAMPAIGN_CANCELLED, NULL,
                                   err);
    if (rc == 0)
        rc = sweep_all(env, id, STORE_CAMPAIGN_SWEEP_CANCEL, "campaign_cancelled", cancelled,
                       refunded, err);
    return rc;
}

/* Campaign timing: the clock (a cache in front of rules_next_allowed), the
 * pacer (slots at the campaign's rate through what the rules allow) and the
 * dispatcher's gate (the same rules at send time, and paused or cancelled
 * campaigns). */
#include "domain/campaign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "domain/msgstate.h"
#include "phone/phone.h"
#include "core/banned.h"

#define PREFIX_SLOTS  4096 /* direct-mapped: numbers by their first digits */
#define PREFIX_DIGITS 7    /* enough to tell +1 809 (DO) from +1 212 (US), +44 7781 (GG) */
#define CLASSES_MAX   64
#define MINUTE_MS     60000

/* --- the clock ------------------------------------------------------------------- */

struct prefix_slot {
    uint64_t key; /* 0: empty */
    char region[4];
};

/* A class of messages the rules treat alike: one country (holidays, profile),
 * one zone, one category, one window. */
struct clock_class {
    char region[4];
    char tz[RULES_ZONE_NAME]; /* "" : the region's zones */
    bool marketing, has_window;
    struct rules_window w;
    struct rules_zone *zone;
    bool cached; /* minute, next and reason hold the last answer */
    int64_t minute, next;
    const char *reason;
};

struct campaign_clock {
    const struct rules_config *rc;
    struct prefix_slot prefix[PREFIX_SLOTS];
    struct clock_class cls[CLASSES_MAX];
    size_t ncls;
    bool warned_utc;
};

struct campaign_clock *campaign_clock_new(const struct rules_config *rc)
{
    struct campaign_clock *c = xcalloc(1, sizeof(*c));
    c->rc = rc;
    return c;
}

static void classes_clear(struct campaign_clock *c)
{
    for (size_t i = 0; i < c->ncls; i++)
        rules_zone_free(c->cls[i].zone);
    c->ncls = 0;
}

void campaign_clock_free(struct campaign_clock *c)
{
    if (!c)
        return;
    classes_clear(c);
    free(c);
}

bool campaign_timing_restricts(const struct campaign_timing *t)
{
    return t->marketing || t->window;
}

void campaign_clock_region(struct campaign_clock *c, const char *e164, char out[4])
{
    const char *d = e164[0] == '+' ? e164 + 1 : e164;
    uint64_t v = 0;
    unsigned n = 0;
    while (n < PREFIX_DIGITS && d[n] >= '0' && d[n] <= '9')
        v = v * 10 + (uint64_t)(d[n++] - '0');
    uint64_t key = (uint64_t)(n + 1) << 56 | v; /* the length keeps "+1234" from "+12340" */
    struct prefix_slot *s = &c->prefix[(key * 0x9E3779B97F4A7C15ULL) >> 52 & (PREFIX_SLOTS - 1)];
    if (s->key != key) {
        struct phone_info pi;
        phone_parse(e164, strlen(e164), NULL, &pi, NULL);
        /* "001" is non-geographic (+800…): no country, no holidays. */
        snprintf(s->region, sizeof(s->region), "%s",
                 strlen(pi.region) == 2 && pi.region[0] >= 'A' ? pi.region : "");
        s->key = key;
    }
    memcpy(out, s->region, 4);
}

static bool window_equal(const struct rules_window *a, const struct rules_window *b)
{
    if (a->n != b->n || a->closed_on_holidays != b->closed_on_holidays)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->r[i].days != b->r[i].days || a->r[i].start != b->r[i].start ||
            a->r[i].end != b->r[i].end)
            return false;
    return true;
}

static int class_zone(struct campaign_clock *c, struct clock_class *k, struct rl_err *err)
{
    struct rl_err e = {0};
    int rc = k->tz[0] ? rules_zone_new(k->tz, &k->zone, err)
                      : rules_zone_new_country(k->region, &k->zone, &e);
    if (rc == 0 || k->tz[0])
        return rc;
    /* A number with no country ICU knows (+800, +882): UTC, said once. */
    if (!c->warned_utc)
        log_warn("campaign", "zone_unknown", "region=%s detail=\"%s\" zone=UTC", k->region, e.msg);
    c->warned_utc = true;
    return rules_zone_new("UTC", &k->zone, err);
}

static struct clock_class *class_of(struct campaign_clock *c, const struct campaign_timing *t,
                                    const char region[4], struct rl_err *err)
{
    const char *tz = t->timezone ? t->timezone : "";
    for (size_t i = 0; i < c->ncls; i++) {
        struct clock_class *k = &c->cls[i];
        if (k->marketing == t->marketing && k->has_window == (t->window != NULL) &&
            strcmp(k->region, region) == 0 && strcmp(k->tz, tz) == 0 &&
            (!t->window || window_equal(&k->w, t->window)))
            return k;
    }
    if (c->ncls == CLASSES_MAX)
        classes_clear(c); /* more classes than a batch ever has: start over */
    struct clock_class *k = &c->cls[c->ncls];
    memset(k, 0, sizeof(*k));
    memcpy(k->region, region, 4);
    snprintf(k->tz, sizeof(k->tz), "%s", tz);
    k->marketing = t->marketing;
    k->has_window = t->window != NULL;
    if (t->window)
        k->w = *t->window;
    if (class_zone(c, k, err) != 0)
        return NULL;
    c->ncls++;
    return k;
}

/* RL_ENOTFOUND from the rules: the campaign's window and the country's
 * marketing hours never meet. Said as what to change: the window. */
static int never_met(const struct campaign_clock *c, const struct clock_class *k,
                     struct rl_err *err)
{
    char ws[RULES_SPEC_MAX] = "", ps[RULES_SPEC_MAX] = "";
    if (k->has_window)
        rules_window_format(&k->w, ws, sizeof(ws));
    if (k->marketing)
        rules_window_format(rules_config_profile(c->rc, k->region[0] ? k->region : NULL), ps,
                            sizeof(ps));
    return rl_err_set(err, RL_EINVAL, "window",
                      "window '%s' never allows a message to %s: it never meets the marketing "
                      "hours there, '%s', within %d days",
                      ws, k->region[0] ? k->region : "numbers without a country", ps,
                      RULES_HORIZON_DAYS);
}

int campaign_clock_next(struct campaign_clock *c, const struct campaign_timing *t, const char *e164,
                        int64_t at_ms, int64_t *next_ms, const char **reason, struct rl_err *err)
{
    *next_ms = at_ms;
    *reason = NULL;
    if (!campaign_timing_restricts(t))
        return 0;
    char region[4];
    campaign_clock_region(c, e164, region);
    struct clock_class *k = class_of(c, t, region, err);
    if (!k)
        return err ? err->code : RL_EINVAL;
    /* Windows are whole minutes and zone offsets whole minutes: one answer
     * holds for every instant of a minute. */
    int64_t minute = at_ms - ((at_ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
    if (!k->cached || k->minute != minute) {
        struct rules_query q;
        rules_query_init(&q, c->rc, k->marketing ? RULES_MARKETING : RULES_TRANSACTIONAL,
                         k->region[0] ? k->region : NULL, k->has_window ? &k->w : NULL);
        int rc = rules_next_allowed(&q, k->zone, minute, &k->next, &k->reason, err);
        if (rc != 0) {
            k->cached = false;
            return rc == RL_ENOTFOUND ? never_met(c, k, err) : rc;
        }
        k->minute = minute;
        k->cached = true;
    }
    if (k->next != minute) {
        *next_ms = k->next;
        *reason = k->reason;
    }
    return 0;
}

/* --- the pacer ------------------------------------------------------------------- */

void campaign_pacer_init(struct campaign_pacer *p, int64_t start_ms, double rate)
{
    p->moved_by = NULL;
    p->cursor_us = start_ms * 1000;
    p->step_us = rate > 0 ? (int64_t)llround(1e6 / rate) : 0;
    if (rate > 0 && p->step_us < 1)
        p->step_us = 1;
}

int campaign_pacer_next(struct campaign_pacer *p, struct campaign_clock *c,
                        const struct campaign_timing *t, const char *e164, int64_t *slot,
                        const char **reason, struct rl_err *err)
{
    /* Never before the pace: a cursor between two milliseconds rounds up. */
    int64_t at = (p->cursor_us + 999) / 1000, next = at;
    const char *rule = NULL;
    int rc = campaign_clock_next(c, t, e164, at, &next, &rule, err);
    *reason = NULL;
    if (rc != 0)
        return rc;
    if (next > at) {
        p->cursor_us = next * 1000;
        p->moved_by = rule;
    }
    /* After a jump the walk never catches up with the rate alone: every
     * later slot is where it is because of that rule. */
    *reason = p->moved_by;
    *slot = next;
    p->cursor_us += p->step_us;
    return 0;
}

/* --- the dispatcher's gate --------------------------------------------------------- */

#define GATE_REASON_MAX 64
#define GATE_DETAIL_MAX 256  /* an rl_err message */
#define GATE_RETRY_MS   5000 /* a hold that could not be written: tried again this late */

struct gate_campaign {
    int64_t id;
    bool known; /* read from the store */
    enum store_campaign_state state;
    bool has_window;
    struct rules_window w;
    char tz[STORE_CAMPAIGN_ZONE_MAX + 1];    /* "" : the recipient's */
    char scope[STORE_CONSENT_SCOPE_MAX + 1]; /* its category's consent scope; "" none */
    bool require_optin;
    int consent_rc; /* 1: its messages' consent not read yet; 0: read; < 0: could not be */
};

struct campaign_gate {
    struct rules_config rules;
    struct campaign_clock *clock;
    int64_t validity_ms; /* dispatch.validity: a deferred campaign message's, from its new time */
    size_t cap;
    struct store *store;
    const struct store_message *msgs;
    size_t n;
    bool read_failed; /* the batch's campaigns could not be read */
    int64_t *ids, *cids;
    int *hold_of; /* the message's index in holds, or -1 */
    struct store_hold *holds;
    char (*reasons)[GATE_REASON_MAX];
    size_t nholds;
    /* per message: the consent of its campaign's scope, why it is refused or expired */
    enum store_consent_status *consent;
    const char **refusal, **expiry;
    char (*detail)[GATE_DETAIL_MAX];
    const char **phones; /* one campaign's numbers, for its consent read */
    size_t *idx;
    struct gate_campaign *camp;
    size_t ncamp, camp_cap;
    bool commit_failed;
};

int campaign_gate_new(const struct cfg *c, size_t batch_max, struct campaign_gate **out,
                      struct rl_err *err)
{
    struct campaign_gate *g = xcalloc(1, sizeof(*g));
    int rc = rules_config_init(&g->rules, c, err);
    if (rc != 0) {
        free(g);
        *out = NULL;
        return rc;
    }
    g->clock = campaign_clock_new(&g->rules);
    g->validity_ms = c->dispatch_validity_ms;
    g->cap = batch_max ? batch_max : 1;
    g->ids = xcalloc(g->cap, sizeof(*g->ids));
    g->cids = xcalloc(g->cap, sizeof(*g->cids));
    g->hold_of = xcalloc(g->cap, sizeof(*g->hold_of));
    g->holds = xcalloc(g->cap, sizeof(*g->holds));
    g->reasons = xcalloc(g->cap, sizeof(*g->reasons));
    g->consent = xcalloc(g->cap, sizeof(*g->consent));
    g->refusal = xcalloc(g->cap, sizeof(*g->refusal));
    g->expiry = xcalloc(g->cap, sizeof(*g->expiry));
    g->detail = xcalloc(g->cap, sizeof(*g->detail));
    g->phones = xcalloc(g->cap, sizeof(*g->phones));
    g->idx = xcalloc(g->cap, sizeof(*g->idx));
    *out = g;
    return 0;
}

void campaign_gate_free(struct campaign_gate *g)
{
    if (!g)
        return;
    campaign_clock_free(g->clock);
    rules_config_release(&g->rules);
    free(g->ids);
    free(g->cids);
    free(g->hold_of);
    free(g->holds);
    free(g->reasons);
    free(g->consent);
    free(g->refusal);
    free(g->expiry);
    free(g->detail);
    free(g->phones);
    free(g->idx);
    free(g->camp);
    free(g);
}

void campaign_gate_begin(struct campaign_gate *g, struct store *s, const struct store_message *msgs,
                         size_t n)
{
    struct rl_err err = {0};
    g->store = s;
    g->msgs = msgs;
    g->n = n < g->cap ? n : g->cap;
    g->nholds = 0;
    g->ncamp = 0;
    g->commit_failed = false;
    for (size_t i = 0; i < g->n; i++) {
        g->ids[i] = msgs[i].id;
        g->hold_of[i] = -1;
        g->refusal[i] = g->expiry[i] = NULL;
    }
    int rc = store_campaign_of_messages(s, g->ids, g->n, g->cids, &err);
    g->read_failed = rc != 0;
    if (rc != 0)
        log_error("campaign", "gate_read_failed", "err=%s detail=\"%s\" messages=%zu",
                  rl_errname(rc), err.msg, g->n);
}

/* The campaign's state and rules, read once per batch: fresh enough that a
 * pause is seen at the next claim. */
static struct gate_campaign *campaign_of(struct campaign_gate *g, int64_t id)
{
    for (size_t i = 0; i < g->ncamp; i++)
        if (g->camp[i].id == id)
            return g->camp[i].known ? &g->camp[i] : NULL;
    if (g->ncamp == g->camp_cap) {
        g->camp_cap = g->camp_cap ? g->camp_cap * 2 : 4;
        g->camp = xrealloc(g->camp, g->camp_cap * sizeof(*g->camp));
    }
    struct gate_campaign *gc = &g->camp[g->ncamp++];
    memset(gc, 0, sizeof(*gc));
    gc->id = id;
    struct store_campaign_rules r;
    struct rl_err err = {0};
    if (store_campaign_rules(g->store, id, &r, &err) != 0) {
        log_error("campaign", "gate_read_failed", "campaign=%lld detail=\"%s\"", (long long)id,
                  err.msg);
        return NULL;
    }
    gc->state = r.state;
    snprintf(gc->tz, sizeof(gc->tz), "%s", r.zone);
    gc->has_window =
        r.window[0] && rules_window_parse(&gc->w, r.window, strlen(r.window), "window", &err) == 0;
    /* As campaign_spec_init reads it: a category other than these two is a
     * consent scope of its own. */
    if (strcmp(r.category, "transactional") != 0 &&
        strcmp(r.category, STORE_CONSENT_MARKETING) != 0)
        snprintf(gc->scope, sizeof(gc->scope), "%s", r.category);
    gc->require_optin = r.require_optin;
    gc->consent_rc = 1;
    gc->known = true;
    return gc;
}

/* The consent of gc's scope for every message of gc in the batch, in one read:
 * a STOP or an opt-out of the category since the launch is seen here. */
static int consent_read(struct campaign_gate *g, struct gate_campaign *gc, int64_t account_id)
{
    size_t k = 0;
    for (size_t j = 0; j < g->n; j++)
        if (g->cids[j] == gc->id) {
            g->idx[k] = j;
            g->phones[k++] = g->msgs[j].to;
        }
    enum store_consent_status *st = xcalloc(k ? k : 1, sizeof(*st));
    struct rl_err err = {0};
    int rc = store_consent_status_batch(g->store, account_id, gc->scope, g->phones, k, st, &err);
    if (rc != 0)
        log_error("campaign", "gate_consent_failed", "campaign=%lld err=%s detail=\"%s\"",
                  (long long)gc->id, rl_errname(rc), err.msg);
    for (size_t j = 0; rc == 0 && j < k; j++)
        g->consent[g->idx[j]] = st[j];
    free(st);
    return rc;
}

static enum campaign_gate_verdict hold(struct campaign_gate *g, size_t i, enum store_hold_kind kind,
                                       int64_t at, int64_t validity_ms, const char *reason)
{
    size_t k = g->nholds++;
    snprintf(g->reasons[k], GATE_REASON_MAX, "%s", reason);
    g->holds[k] = (struct store_hold){.message_id = g->msgs[i].id,
                                      .campaign_id = g->cids[i],
                                      .kind = kind,
                                      .at = at,
                                      .validity_ms = validity_ms,
                                      .reason = g->reasons[k]};
    g->hold_of[i] = (int)k;
    return CAMPAIGN_GATE_HELD;
}

static enum campaign_gate_verdict expire(struct campaign_gate *g, size_t i, const char *reason)
{
    g->expiry[i] = reason;
    return CAMPAIGN_GATE_EXPIRE;
}

/* A campaign message with a category: refused when its number opted out of
 * it, or is not opted in when the campaign requires it; deferred a little
 * when the store cannot tell. CAMPAIGN_GATE_SEND: nothing to say. */
static enum campaign_gate_verdict consent_check(struct campaign_gate *g, size_t i,
                                                struct gate_campaign *gc, int64_t now)
{
    const struct store_message *m = &g->msgs[i];
    if (!gc->scope[0] || m->category != MSG_CATEGORY_MARKETING)
        return CAMPAIGN_GATE_SEND;
    if (gc->consent_rc > 0)
        gc->consent_rc = consent_read(g, gc, m->account_id);
    if (gc->consent_rc != 0)
        return hold(g, i, STORE_HOLD_DEFER, now + GATE_RETRY_MS, 0, "consent_unknown");
    if (g->consent[i] == STORE_CONSENT_OPTED_OUT)
        g->refusal[i] = MSG_REASON_OPTED_OUT;
    else if (gc->require_optin && g->consent[i] != STORE_CONSENT_OPTED_IN)
        g->refusal[i] = CAMPAIGN_REASON_NO_CONSENT;
    return g->refusal[i] ? CAMPAIGN_GATE_REFUSE : CAMPAIGN_GATE_SEND;
}

/* Outside its allowed time. Relais owns the validity of a campaign's message,
 * of one without any, and of an API message that did not set its own (the
 * default, validity_default): the deferral restarts it at the new time, since
 * waiting for a lawful minute must not use it up. A validity the API was
 * given is the sender's own limit: past it, the message expires. */
static enum campaign_gate_verdict timing_check(struct campaign_gate *g, size_t i,
                                               const struct campaign_timing *t, int64_t now,
                                               int64_t valid_until)
{
    const struct store_message *m = &g->msgs[i];
    int64_t next = now;
    const char *rule = NULL;
    struct rl_err err = {0};
    int rc = campaign_clock_next(g->clock, t, m->to, now, &next, &rule, &err);
    if (rc != 0) {
        /* Nothing lawful within a year (a window that never meets the
         * profile): it will never go, so it expires now, refunded. */
        log_warn("campaign", "never_allowed", "message=%lld detail=\"%s\"", (long long)m->id,
                 err.msg);
        snprintf(g->detail[i], GATE_DETAIL_MAX, "%s", err.msg);
        return expire(g, i, CAMPAIGN_REASON_NEVER_ALLOWED);
    }
    if (next <= now)
        return CAMPAIGN_GATE_SEND;
    const char *why = rule ? rule : "window";
    bool campaign = g->cids[i] > 0;
    bool ours = campaign || m->validity_until <= 0 || m->validity_default;
    if (!ours && next > valid_until) {
        snprintf(g->detail[i], GATE_DETAIL_MAX, "deferred:%s until=%lld validity_until=%lld", why,
                 (long long)next, (long long)valid_until);
        return expire(g, i, CAMPAIGN_REASON_PAST_VALIDITY);
    }
    char reason[GATE_REASON_MAX];
    snprintf(reason, sizeof(reason), "deferred:%s", why);
    return hold(g, i, STORE_HOLD_DEFER, next, ours ? g->validity_ms : 0, reason);
}

enum campaign_gate_verdict campaign_gate_check(struct campaign_gate *g, size_t i, int64_t now,
                                               int64_t valid_until)
{
    if (i >= g->n)
        return CAMPAIGN_GATE_SEND;
    const struct store_message *m = &g->msgs[i];
    struct gate_campaign *gc = g->cids[i] > 0 ? campaign_of(g, g->cids[i]) : NULL;
    /* Its campaign unknown, so are its category's consent and its state:
     * marketing is never sent on a guess; tried again in a moment. */
    bool unknown = g->read_failed || (g->cids[i] > 0 && !gc);
    if (unknown && m->category == MSG_CATEGORY_MARKETING)
        return hold(g, i, STORE_HOLD_DEFER, now + GATE_RETRY_MS, 0, "campaign_unknown");
    if (gc && gc->state == STORE_CAMPAIGN_PAUSED)
        return hold(g, i, STORE_HOLD_PARK, now, 0, "campaign_paused");
    if (gc && gc->state == STORE_CAMPAIGN_CANCELLED)
        return hold(g, i, STORE_HOLD_CANCEL, now, 0, "campaign_cancelled");
    enum campaign_gate_verdict v = gc ? consent_check(g, i, gc, now) : CAMPAIGN_GATE_SEND;
    if (v != CAMPAIGN_GATE_SEND)
        return v;
    struct campaign_timing t = {.marketing = m->category == MSG_CATEGORY_MARKETING,
                                .window = gc && gc->has_window ? &gc->w : NULL,
                                .timezone = gc && gc->tz[0] ? gc->tz : NULL};
    if (!campaign_timing_restricts(&t))
        return CAMPAIGN_GATE_SEND;
    return timing_check(g, i, &t, now, valid_until);
}

bool campaign_gate_expiry(const struct campaign_gate *g, size_t i, const char **reason,
                          const char **detail)
{
    if (i >= g->n || !g->expiry[i])
        return false;
    *reason = g->expiry[i];
    *detail = g->detail[i];
    return true;
}

const char *campaign_gate_refusal(const struct campaign_gate *g, size_t i)
{
    return i < g->n && g->refusal[i] ? g->refusal[i] : MSG_REASON_OPTED_OUT;
}

int campaign_gate_commit(struct campaign_gate *g, struct rl_err *err)
{
    int rc = store_campaign_hold(g->store, g->holds, g->nholds, err);
    g->commit_failed = rc != 0;
    if (rc != 0)
        log_error("campaign", "hold_failed", "err=%s detail=\"%s\" holds=%zu", rl_errname(rc),
                  err->msg, g->nholds);
    return rc;
}

bool campaign_gate_fallback(const struct campaign_gate *g, size_t i, int64_t *at,
                            const char **reason)
{
    if (!g->commit_failed || i >= g->n || g->hold_of[i] < 0)
        return false;
    const struct store_hold *h = &g->holds[g->hold_of[i]];
    *at = h->kind == STORE_HOLD_DEFER ? h->at : h->at + GATE_RETRY_MS;
    *reason = h->reason;
    return true;
}

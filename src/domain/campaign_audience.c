/* A campaign's audience as a stream: exclude lists first (into the set),
 * then each list a page at a time, then the typed numbers; each page is
 * checked (set, type, consent in one batch) and each recipient kept gets its
 * text, slot and cost. Memory: the set (16 bytes a recipient at most), one
 * page, and with write one batch of messages. */
#include "domain/campaign_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "core/log.h"
#include "core/mem.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "text/segment.h"
#include "text/smartenc.h"
#include "text/template.h"
#include "core/banned.h"

#define PAGE 1000 /* list members and typed numbers checked together */

/* --- the set --------------------------------------------------------------------- */

void numset_init(struct numset *s)
{
    memset(s, 0, sizeof(*s));
}

void numset_release(struct numset *s)
{
    free(s->slot);
    memset(s, 0, sizeof(*s));
}

uint64_t numset_key(const char *e164)
{
    if (!e164 || e164[0] != '+')
        return 0;
    uint64_t v = 0;
    size_t n = 0;
    for (const char *p = e164 + 1; *p; p++, n++) {
        if (*p < '0' || *p > '9' || n == 15)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    /* The digit count above the digits (10^15 < 2^50) keeps the key nonzero. */
    return n ? v | (uint64_t)n << 50 : 0;
}

static size_t hash(uint64_t key, size_t mask)
{
    key ^= key >> 31;
    key *= 0x7fb5d329728ea185ULL;
    key ^= key >> 27;
    return (size_t)key & mask;
}

static uint64_t *find(const struct numset *s, uint64_t key)
{
    if (!s->cap)
        return NULL;
    size_t mask = s->cap - 1;
    for (size_t i = hash(key, mask);; i = (i + 1) & mask) {
        uint64_t v = s->slot[i];
        if (v == 0 || (v & ~NUMSET_FLAGS) == key)
            return &s->slot[i];
    }
}

uint64_t numset_flags(const struct numset *s, uint64_t key)
{
    const uint64_t *p = find(s, key);
    return p && *p ? *p & NUMSET_FLAGS : 0;
}

static void resize(struct numset *s, size_t cap)
{
    struct numset bigger = {xcalloc(cap, sizeof(uint64_t)), cap, 0};
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i])
            *find(&bigger, s->slot[i] & ~NUMSET_FLAGS) = s->slot[i];
    bigger.n = s->n;
    free(s->slot);
    *s = bigger;
}

void numset_reserve(struct numset *s, size_t n)
{
    size_t cap = 1024;
    while (cap < n * 2)
        cap *= 2;
    if (cap > s->cap)
        resize(s, cap);
}

void numset_set(struct numset *s, uint64_t key, uint64_t flags)
{
    if ((s->n + 1) * 2 > s->cap)
        resize(s, s->cap ? s->cap * 2 : 1024);
    uint64_t *p = find(s, key);
    if (*p == 0) {
        *p = key;
        s->n++;
    }
    *p |= flags;
}

/* --- composing a text ------------------------------------------------------------- */

void composer_init(struct composer *cp, const struct campaign_env *env,
                   const struct campaign_spec *sp, struct campaign_clock *clock)
{
    memset(cp, 0, sizeof(*cp));
    cp->env = env;
    cp->sp = sp;
    cp->clock = clock;
    buf_init(&cp->text, 0);
    buf_init(&cp->rendered, 0);
}

void composer_release(struct composer *cp)
{
    buf_release(&cp->text);
    buf_release(&cp->rendered);
    free(cp->cache_text);
    campaign_account_mentions_release(&cp->mentions);
    sodium_memzero(cp->key, sizeof(cp->key));
    memset(cp, 0, sizeof(*cp));
}

static bool uses_link(const char *tpl)
{
    struct template_field tf[COMPOSE_FIELDS_MAX];
    size_t n = 0;
    /* A template the API let through lists its fields; one that does not is
     * reported by the render itself. */
    if (!tpl || template_fields(tpl, strlen(tpl), tf, COMPOSE_FIELDS_MAX, &n, NULL) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tf[i].len == strlen(COMPOSE_OPTOUT_LINK) &&
            strncasecmp(tf[i].name, COMPOSE_OPTOUT_LINK, tf[i].len) == 0)
            return true;
    return false;
}

int composer_load(struct composer *cp, struct rl_err *err)
{
    char *json = NULL;
    int rc = store_account_mentions_get(cp->env->store, cp->sp->account_id, &json, err);
    if (rc == 0)
        rc = campaign_account_mentions_parse(&cp->mentions, json, err);
    free(json);
    cp->link = rc == 0 && uses_link(cp->sp->template_text);
    if (cp->link)
        rc = store_consent_secret(cp->env->store, cp->key, err);
    return rc;
}

/* A contact's fields for a template: the columns under their usual names,
 * then the custom fields (JSON, parsed on first use). */
struct cdata {
    const struct composer *cp;
    const struct store_contact *c;
    const char *phone;
    json_t *fields;
    bool parsed;
    char num[32];
    char link[CAMPAIGN_URL_MAX + CONSENT_TOKEN_MAX + 4];
};

/* "<http.public_url>/u/<token>": the recipient's own opt-out page. */
static const char *link_of(struct cdata *d)
{
    const struct composer *cp = d->cp;
    if (!cp->link || consent_link_make(cp->env->cfg->public_url, cp->key, cp->sp->account_id,
                                       d->phone, d->link, sizeof(d->link)) < 0)
        return NULL;
    return d->link;
}

static bool name_is(const char *name, size_t len, const char *a, const char *b)
{
    return (strlen(a) == len && strncasecmp(name, a, len) == 0) ||
           (b && strlen(b) == len && strncasecmp(name, b, len) == 0);
}

static int custom_get(struct cdata *d, const char *name, size_t len, const char **value,
                      size_t *value_len)
{
    if (!d->parsed) {
        d->parsed = true;
        d->fields = d->c && d->c->fields ? json_loads(d->c->fields, 0, NULL) : NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(d->fields, key, v)
    {
        if (strlen(key) != len || strncasecmp(key, name, len) != 0)
            continue;
        if (json_is_string(v)) {
            *value = json_string_value(v);
            *value_len = json_string_length(v);
        } else if (json_is_integer(v)) {
            snprintf(d->num, sizeof(d->num), "%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
            snprintf(d->num, sizeof(d->num), "%.15g", json_real_value(v));
        } else if (json_is_boolean(v)) {
            snprintf(d->num, sizeof(d->num), "%s", json_is_true(v) ? "true" : "false");
        } else {
            return 0; /* null: as missing */
        }
        if (!json_is_string(v)) {
            *value = d->num;
            *value_len = strlen(d->num);
        }
        return 1;
    }
    return 0;
}

static int cget(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
    struct cdata *d = ctx;
    const struct store_contact *c = d->c;
    const char *v = NULL;
    if (name_is(name, len, "phone", "number"))
        v = d->phone;
    else if (name_is(name, len, COMPOSE_OPTOUT_LINK, NULL))
        v = link_of(d);
    else if (c && name_is(name, len, "firstname", "first_name"))
        v = c->first_name;
    else if (c && name_is(name, len, "lastname", "last_name"))
        v = c->last_name;
    else if (c && name_is(name, len, "email", NULL))
        v = c->email;
    else if (c && name_is(name, len, "language", NULL))
        v = c->language;
    if (v) {
        *value = v;
        *value_len = strlen(v);
        return 1;
    }
    return c ? custom_get(d, name, len, value, value_len) : 0;
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return n <= len && strncasecmp(s + len - n, suffix, n) == 0;
}

/* The text before its analysis: rendered, the mention appended, smart-encoded. */
static int assemble(struct composer *cp, const char *phone, const struct store_contact *contact,
                    struct composed *out)
{
    const struct campaign_spec *sp = cp->sp;
    struct rl_err err = {0};
    buf_reset(&cp->text);
    if (sp->template_text) {
        struct cdata d = {.cp = cp, .c = contact, .phone = phone};
        struct template_data td = {cget, NULL, &d};
        buf_release(&cp->rendered);
        int rc = template_render(sp->template_text, strlen(sp->template_text), &td, 0,
                                 &cp->rendered, &err);
        json_decref(d.fields);
        if (rc == RL_ETOOLONG)
            return COMPOSE_TOO_LONG;
        if (rc != 0) {
            snprintf(out->field, sizeof(out->field), "%s", err.field);
            return COMPOSE_MISSING_FIELD;
        }
        buf_add(&cp->text, cp->rendered.data, cp->rendered.len);
    } else {
        buf_adds(&cp->text, sp->text);
    }
    int status = COMPOSE_OK;
    if (sp->marketing) {
        const char *m = campaign_mention_pick(cp->env->cfg, &cp->mentions, out->region);
        if (!m)
            status = COMPOSE_NO_MENTION;
        else if (!ends_with_ci(cp->text.data, cp->text.len, m))
            buf_addf(&cp->text, "%s%s", cp->text.len ? " " : "", m);
    }
    if (sp->smart_encoding) {
        struct smartenc_result r;
        int rc = smartenc_apply(cp->text.data, cp->text.len, &r, &err);
        if (rc == 0 && r.applied) {
            buf_reset(&cp->text);
            buf_add(&cp->text, r.text, r.len);
        }
        smartenc_release(&r);
        if (rc != 0)
            return rc;
    }
    return status;
}

int composer_run(struct composer *cp, const char *phone, const struct store_contact *contact,
                 struct composed *out)
{
    memset(out, 0, sizeof(*out));
    campaign_clock_region(cp->clock, phone, out->region);
    bool plain = !cp->sp->template_text;
    if (plain && cp->cached && strcmp(cp->cached_region, out->region) == 0) {
        *out = cp->cache;
        out->cost = billing_cost(cp->env->billing, phone, (size_t)out->segments);
        return cp->cached_status;
    }
    int status = assemble(cp, phone, contact, out);
    if (status < 0 || status == COMPOSE_MISSING_FIELD || status == COMPOSE_TOO_LONG)
        return status;
    struct seg_opts so = {.ref_bits = cp->env->ref_bits};
    struct seg_info si;
    struct rl_err err = {0};
    int rc = seg_analyze(cp->text.data, cp->text.len, &so, &si, &err);
    if (rc != 0)
        return rc;
    bool too_long = si.segments > cp->env->max_parts;
    if (!too_long) {
        out->text = cp->text.data;
        out->len = cp->text.len;
        out->encoding = si.encoding == SEG_UCS2 ? MSG_ENCODING_UCS2 : MSG_ENCODING_GSM7;
        out->segments = (int)si.segments;
        out->cost = billing_cost(cp->env->billing, phone, si.segments);
    }
    if (plain) {
        /* Keyed by country: the mention is the only thing that varies. */
        free(cp->cache_text);
        cp->cache_text = too_long ? NULL : xstrndup(out->text, out->len);
        cp->cache = *out;
        cp->cache.text = cp->cache_text;
        cp->cached_status = too_long ? COMPOSE_TOO_LONG : status;
        memcpy(cp->cached_region, out->region, 4);
        cp->cached = true;
    }
    return too_long ? COMPOSE_TOO_LONG : status;
}

/* --- a pass -------------------------------------------------------------------------- */

void campaign_run_init(struct campaign_run *r, const struct campaign_env *env,
                       const struct campaign_spec *sp, int64_t now, int64_t start_ms, bool write,
                       struct rl_err *err)
{
    memset(r, 0, sizeof(*r));
    r->env = env;
    r->sp = sp;
    r->now = now;
    r->write = write;
    r->err = err;
    numset_init(&r->set);
    r->clock = campaign_clock_new(&env->cfg->rules);
    campaign_pacer_init(&r->pacer, start_ms, sp->rate);
    r->timing = (struct campaign_timing){.marketing = sp->marketing,
                                         .window = sp->has_window ? &sp->window : NULL,
                                         .timezone = sp->timezone};
    composer_init(&r->cp, env, sp, r->clock);
    buf_init(&r->arena, 0);
    if (write) {
        r->batch = xcalloc(STORE_INSERT_BATCH_MAX, sizeof(*r->batch));
        r->to_off = xcalloc(STORE_INSERT_BATCH_MAX, sizeof(*r->to_off));
        r->text_off = xcalloc(STORE_INSERT_BATCH_MAX, sizeof(*r->text_off));
        r->reason_off = xcalloc(STORE_INSERT_BATCH_MAX, sizeof(*r->reason_off));
    }
}

void campaign_run_release(struct campaign_run *r)
{
    numset_release(&r->set);
    composer_release(&r->cp);
    campaign_clock_free(r->clock);
    buf_release(&r->arena);
    free(r->batch);
    free(r->to_off);
    free(r->text_off);
    free(r->reason_off);
    memset(r, 0, sizeof(*r));
}

int campaign_run_load_written(struct campaign_run *r, int64_t id)
{
    int64_t *ids = xcalloc(STORE_CAMPAIGN_CHUNK, sizeof(*ids));
    char(*phones)[STORE_PHONE_SIZE] = xcalloc(STORE_CAMPAIGN_CHUNK, sizeof(*phones));
    int64_t after = 0;
    size_t n;
    int rc;
    while ((rc = store_campaign_numbers(r->env->store, id, after, STORE_CAMPAIGN_CHUNK, ids, phones,
                                        &n, r->err)) == 0 &&
           n > 0) {
        for (size_t i = 0; i < n; i++)
            numset_set(&r->set, numset_key(phones[i]), NUMSET_WRITTEN);
        after = ids[n - 1];
    }
    free(ids);
    free(phones);
    return rc;
}

static int flush(struct campaign_run *r)
{
    if (!r->write || r->nbatch == 0)
        return 0;
    for (size_t i = 0; i < r->nbatch; i++) {
        r->batch[i].to = r->arena.data + r->to_off[i];
        r->batch[i].text = r->arena.data + r->text_off[i];
        r->batch[i].reason =
            r->reason_off[i] == SIZE_MAX ? "campaign" : r->arena.data + r->reason_off[i];
    }
    int rc = store_campaign_launch_batch(r->env->store, r->sp->id, r->batch, r->nbatch,
                                         r->pacer.cursor_us, &r->lease, r->err);
    r->nbatch = 0;
    buf_reset(&r->arena);
    return rc;
}

static int emit(struct campaign_run *r, const char *phone, const struct composed *c, int64_t slot,
                const char *rule)
{
    if (r->nbatch == STORE_INSERT_BATCH_MAX) {
        int rc = flush(r);
        if (rc != 0)
            return rc;
    }
    size_t i = r->nbatch++;
    struct store_msg_new *m = &r->batch[i];
    r->to_off[i] = r->arena.len;
    buf_add(&r->arena, phone, strlen(phone) + 1);
    r->text_off[i] = r->arena.len;
    buf_add(&r->arena, c->text, c->len);
    buf_addch(&r->arena, '\0');
    /* The rule that moved it, in its history from the start. */
    r->reason_off[i] = SIZE_MAX;
    if (rule) {
        r->reason_off[i] = r->arena.len;
        buf_addf(&r->arena, "deferred:%s", rule);
        buf_addch(&r->arena, '\0');
    }
    *m = (struct store_msg_new){
        .account_id = r->sp->account_id,
        .from = r->sp->sender,
        .encoding = c->encoding,
        .segments = c->segments,
        .category = r->sp->marketing ? MSG_CATEGORY_MARKETING : MSG_CATEGORY_TRANSACTIONAL,
        .state = slot > r->now ? MSG_STATE_SCHEDULED : MSG_STATE_QUEUED,
        .cost = c->cost,
        .scheduled_for = slot,
        /* From its slot: where the rules and the rate put it, not the launch. */
        .validity_until = r->env->validity_ms > 0 ? slot + r->env->validity_ms : 0,
    };
    return 0;
}

/* One candidate recipient of a page. */
struct cand {
    char phone[STORE_PHONE_SIZE];
    const struct store_contact *contact;
    int ex; /* an enum campaign_exclusion, or -1 while kept */
    bool written;
};

static void exclude(struct campaign_run *r, struct cand *c, enum campaign_exclusion e)
{
    c->ex = (int)e;
    r->fig.excluded[e]++;
}

/* The set's verdict: duplicate, exclude list, or kept (and now seen). */
static void check_set(struct campaign_run *r, struct cand *c)
{
    uint64_t key = numset_key(c->phone);
    if (!key) {
        exclude(r, c, CAMPAIGN_EX_INVALID);
        return;
    }
    uint64_t f = numset_flags(&r->set, key);
    numset_set(&r->set, key, NUMSET_SEEN);
    if (f & NUMSET_SEEN)
        exclude(r, c, CAMPAIGN_EX_DUPLICATE);
    else if (f & NUMSET_EXCLUDED)
        exclude(r, c, CAMPAIGN_EX_EXCLUDE_LIST);
    c->written = (f & NUMSET_WRITTEN) != 0;
}

/* Opted out of marketing or of the category, or not opted in when required:
 * one batch per scope for the page's survivors. */
static int check_consent(struct campaign_run *r, struct cand *c, size_t n)
{
    const struct campaign_spec *sp = r->sp;
    if (!sp->marketing)
        return 0;
    const char **phones = xcalloc(n, sizeof(*phones));
    size_t *idx = xcalloc(n, sizeof(*idx));
    enum store_consent_status *st = xcalloc(n, sizeof(*st));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].ex < 0) {
            idx[k] = i;
            phones[k++] = c[i].phone;
        }
    int rc =
        k ? store_consent_status_batch(r->env->store, sp->account_id, NULL, phones, k, st, r->err)
          : 0;
    for (size_t j = 0; rc == 0 && j < k; j++)
        if (st[j] == STORE_CONSENT_OPTED_OUT)
            exclude(r, &c[idx[j]], CAMPAIGN_EX_OPTED_OUT);
    if (rc == 0 && k && sp->scope[0]) {
        size_t m = 0;
        for (size_t j = 0; j < k; j++)
            if (c[idx[j]].ex < 0) {
                idx[m] = idx[j];
                phones[m++] = c[idx[j]].phone;
            }
        rc = m ? store_consent_status_batch(r->env->store, sp->account_id, sp->scope, phones, m, st,
                                            r->err)
               : 0;
        for (size_t j = 0; rc == 0 && j < m; j++) {
            if (st[j] == STORE_CONSENT_OPTED_OUT)
                exclude(r, &c[idx[j]], CAMPAIGN_EX_OPTED_OUT);
            else if (sp->require_optin && st[j] != STORE_CONSENT_OPTED_IN)
                exclude(r, &c[idx[j]], CAMPAIGN_EX_NO_CONSENT);
        }
    }
    free(phones);
    free(idx);
    free(st);
    return rc;
}

static int keep(struct campaign_run *r, struct cand *c)
{
    struct composed cm;
    int rc = composer_run(&r->cp, c->phone, c->contact, &cm);
    if (rc < 0)
        return rl_err_set(r->err, rc, "text", "the text of %s cannot be composed", c->phone);
    if (rc == COMPOSE_MISSING_FIELD || rc == COMPOSE_TOO_LONG) {
        exclude(r, c, rc == COMPOSE_TOO_LONG ? CAMPAIGN_EX_TOO_LONG : CAMPAIGN_EX_MISSING_FIELD);
        return 0;
    }
    struct campaign_figures *f = &r->fig;
    if (rc == COMPOSE_NO_MENTION && f->no_mention++ == 0)
        snprintf(f->no_mention_country, sizeof(f->no_mention_country), "%s",
                 cm.region[0] ? cm.region : "?");
    /* The check pass refused such a campaign; one that gained such a
     * recipient since is never written without its mention. */
    if (rc == COMPOSE_NO_MENTION && r->write)
        return 0;
    f->recipients++;
    f->by_encoding[cm.encoding]++;
    f->segments += cm.segments;
    f->cost += cm.cost;
    if (c->written) {
        /* Its slot was given when it was written. */
        f->written++;
        r->written_cost += cm.cost;
        return 0;
    }
    int64_t slot;
    const char *rule;
    rc = campaign_pacer_next(&r->pacer, r->clock, &r->timing, c->phone, &slot, &rule, r->err);
    if (rc != 0)
        return rc;
    f->first_at = f->first_at && f->first_at < slot ? f->first_at : slot;
    f->last_at = f->last_at > slot ? f->last_at : slot;
    return r->write ? emit(r, c->phone, &cm, slot, rule) : 0;
}

static int page_run(struct campaign_run *r, struct cand *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].ex < 0)
            check_set(r, &c[i]);
    int rc = check_consent(r, c, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (c[i].ex < 0)
            rc = keep(r, &c[i]);
    return rc;
}

static bool mobile(const char *type)
{
    return strcmp(type, "mobile") == 0 || strcmp(type, "fixed_line_or_mobile") == 0;
}

/* Streams list_id a page at a time; with mark, only marks its numbers. */
static int run_list(struct campaign_run *r, int64_t list_id, uint64_t mark, struct cand *c)
{
    struct store_contact_page page;
    int64_t after = 0;
    for (;;) {
        int rc = store_list_members_page(r->env->store, r->sp->account_id, list_id, after, PAGE,
                                         &page, r->err);
        if (rc == RL_ENOTFOUND)
            return rl_err_set(r->err, RL_EINVAL, "audience.lists",
                              "list %lld of the audience no longer exists", (long long)list_id);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < page.n; i++) {
            const struct store_contact *ct = &page.items[i];
            if (mark) {
                numset_set(&r->set, numset_key(ct->phone), mark);
                continue;
            }
            c[i] = (struct cand){.contact = ct, .ex = -1};
            snprintf(c[i].phone, sizeof(c[i].phone), "%s", ct->phone);
            if (!mobile(ct->phone_type))
                exclude(r, &c[i], CAMPAIGN_EX_NON_MOBILE);
        }
        rc = mark ? 0 : page_run(r, c, page.n);
        bool last = page.n < PAGE || !page.next_cursor[0];
        after = page.n ? page.items[page.n - 1].id : after;
        store_contact_page_release(&page);
        if (rc != 0 || last)
            return rc;
    }
}

/* The typed numbers, a page at a time, each with its contact when the
 * account has one (for the template's fields). */
static int run_numbers(struct campaign_run *r, struct cand *c)
{
    const struct campaign_spec *sp = r->sp;
    struct store_contact *contacts = xcalloc(PAGE, sizeof(*contacts));
    int rc = 0;
    for (size_t from = 0; rc == 0 && from < sp->nnumbers; from += PAGE) {
        size_t n = sp->nnumbers - from < PAGE ? sp->nnumbers - from : PAGE;
        for (size_t i = 0; i < n; i++) {
            const char *typed = sp->numbers[from + i];
            struct phone_info pi;
            c[i] = (struct cand){.ex = -1};
            memset(&contacts[i], 0, sizeof(contacts[i]));
            /* The API's parse (phone_parse_typed): 0692… is La Réunion's mobile. */
            if (phone_parse_typed(typed, strlen(typed), r->env->region[0] ? r->env->region : NULL,
                                  &pi, NULL) != 0) {
                exclude(r, &c[i], CAMPAIGN_EX_INVALID);
                continue;
            }
            snprintf(c[i].phone, sizeof(c[i].phone), "%s", pi.e164);
            if (!phone_is_mobile_type(pi.type)) {
                exclude(r, &c[i], CAMPAIGN_EX_NON_MOBILE);
                continue;
            }
            struct rl_err e = {0};
            int f = store_contact_find(r->env->store, sp->account_id, pi.e164, &contacts[i], &e);
            if (f == 0)
                c[i].contact = &contacts[i];
            else if (f != RL_ENOTFOUND)
                rc = rl_err_set(r->err, f, "numbers", "%s", e.msg);
        }
        if (rc == 0)
            rc = page_run(r, c, n);
        for (size_t i = 0; i < n; i++)
            store_contact_release(&contacts[i]);
    }
    free(contacts);
    return rc;
}

int campaign_run_pass(struct campaign_run *r)
{
    const struct campaign_spec *sp = r->sp;
    int rc = composer_load(&r->cp, r->err);
    if (rc != 0)
        return rc;
    struct cand *c = xcalloc(PAGE, sizeof(*c));
    size_t expect = sp->nnumbers + r->set.n;
    for (size_t i = 0; i < sp->nlists + sp->nexclude; i++) {
        struct store_list l;
        int64_t id = i < sp->nlists ? sp->lists[i] : sp->exclude[i - sp->nlists];
        if (store_list_get(r->env->store, sp->account_id, id, &l, NULL) == 0)
            expect += (size_t)l.contacts;
    }
    numset_reserve(&r->set, expect);
    for (size_t i = 0; rc == 0 && i < sp->nexclude; i++)
        rc = run_list(r, sp->exclude[i], NUMSET_EXCLUDED, c);
    for (size_t i = 0; rc == 0 && i < sp->nlists; i++)
        rc = run_list(r, sp->lists[i], 0, c);
    if (rc == 0)
        rc = run_numbers(r, c);
    if (rc == 0)
        rc = flush(r);
    free(c);
    return rc;
}

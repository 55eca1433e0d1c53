#include "api/api_msgnew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/mem.h"
#include "dispatch/retry.h"
#include "domain/csvimport.h"
#include "text/segment.h"
#include "text/sender.h"
#include "text/smartenc.h"
#include "text/template.h"
#include "core/banned.h"

static const struct api_jfield fields[] = {
    {"to", API_JSTRING, true},         {"text", API_JSTRING, false},
    {"template", API_JSTRING, false},  {"data", API_JOBJECT, false},
    {"from", API_JSTRING, false},      {"category", API_JSTRING, false},
    {"send_at", API_JSTRING, false},   {"smart_encoding", API_JBOOLEAN, false},
    {"validity", API_JINTEGER, false}, {"metadata", API_JOBJECT, false},
};

static int check_shape(const json_t *obj, struct api_problem *p)
{
    if (api_json_check(obj, fields, sizeof(fields) / sizeof(fields[0]), p) != 0)
        return -1;
    bool text = api_json_get(obj, "text"), tpl = api_json_get(obj, "template");
    if (text && tpl)
        return api_problem_set(p, 400, "conflicting_fields", "template",
                               "give either text or template (with data), not both");
    if (!text && !tpl)
        return api_problem_set(p, 400, "missing_field", "text",
                               "text is required (or template, with data)");
    if (api_json_get(obj, "data") && !tpl)
        return api_problem_set(p, 400, "conflicting_fields", "data",
                               "data goes with template; text is sent as it is");
    return 0;
}

static int read_to(const struct api_config *cfg, const json_t *obj, struct api_msgnew *out,
                   struct api_problem *p)
{
    const json_t *v = json_object_get(obj, "to");
    struct phone_info pi;
    struct rl_err err = {0};
    const char *region = cfg->default_region[0] ? cfg->default_region : NULL;
    /* The import's check: the same answers as libphonenumber (its tests compare
     * them), a table lookup for the common French spellings instead of ~20 µs
     * of regular expressions, and French overseas numbers written nationally
     * (0692…) read as the French user means them. */
    int rc = phone_parse_typed(json_string_value(v), json_string_length(v), region, &pi, &err);
    if (rc == RL_EPHONE)
        return api_problem_set(p, 422, "invalid_phone", "to", "%s", err.msg);
    if (rc != 0)
        return api_problem_set(p, 500, "internal_error", NULL, "phone.default_region: %s", err.msg);
    snprintf(out->to, sizeof(out->to), "%s", pi.e164);
    out->m.to = out->to;
    return 0;
}

static int read_from(const struct api_config *cfg, const json_t *obj, struct api_msgnew *out,
                     struct api_problem *p)
{
    const json_t *v = api_json_get(obj, "from");
    struct sender_info si;
    struct rl_err err = {0};
    char why[256];
    out->m.from = ""; /* the route's default sender */
    /* Refused now rather than accepted and failed at send time: a message
     * that no route could give a sender would only be billed and lost. */
    if (!v && !api_config_sender_optional(cfg, out->to, why, sizeof(why)))
        return api_problem_set(p, 422, "invalid_sender", "from", "from is required: %s", why);
    if (!v)
        return 0;
    if (sender_check(json_string_value(v), json_string_length(v), &si, &err) != 0)
        return api_problem_set(p, 422, "invalid_sender", "from", "%s", err.msg);
    out->m.from = json_string_value(v);
    return 0;
}

static int read_category(const json_t *obj, struct api_msgnew *out, struct api_problem *p)
{
    const char *c = json_string_value(api_json_get(obj, "category"));
    out->m.category = MSG_CATEGORY_TRANSACTIONAL;
    if (!c || strcmp(c, "transactional") == 0)
        return 0;
    if (strcmp(c, "marketing") == 0) {
        out->m.category = MSG_CATEGORY_MARKETING;
        return 0;
    }
    return api_problem_set(p, 422, "invalid_value", "category",
                           "category '%.40s' is not one of transactional, marketing", c);
}

/* When it is due (send_at in the past means now) and until when it is valid. */
static int read_times(const struct api_config *cfg, const json_t *obj, int64_t now,
                      struct api_msgnew *out, struct api_problem *p)
{
    const char *s = json_string_value(api_json_get(obj, "send_at"));
    const json_t *v = api_json_get(obj, "validity");
    int64_t due = now, validity = 0;
    struct rl_err err = {0};
    if (s && api_time_parse(s, &due) != 0)
        return api_problem_set(p, 422, "invalid_time", "send_at",
                               "send_at '%.40s' is not an RFC 3339 date-time such as "
                               "2026-11-21T09:30:00+01:00",
                               s);
    if (due > now + API_SEND_AT_MAX_DAYS * 86400000LL)
        return api_problem_set(p, 422, "out_of_range", "send_at",
                               "send_at '%.40s' is more than %d days ahead", s,
                               API_SEND_AT_MAX_DAYS);
    if (due < now)
        due = now;
    if (retry_validity_ms(v != NULL, v ? (long long)json_integer_value(v) : 0, cfg->validity_ms,
                          &validity, &err) != 0)
        return api_problem_set(p, 422, "out_of_range", "validity", "%s", err.msg);
    out->m.state = due > now ? MSG_STATE_SCHEDULED : MSG_STATE_QUEUED;
    out->m.scheduled_for = due;
    out->m.validity_until = retry_valid_until(due, validity);
    out->m.validity_default = v == NULL; /* restarted by a lawful deferral (0012) */
    return 0;
}

static int read_metadata(const json_t *obj, struct api_msgnew *out, struct api_problem *p)
{
    const json_t *v = api_json_get(obj, "metadata");
    if (!v)
        return 0;
    out->metadata = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!out->metadata || strlen(out->metadata) > API_METADATA_MAX)
        return api_problem_set(p, 422, "too_long", "metadata",
                               "metadata is over %d bytes as compact JSON", API_METADATA_MAX);
    out->m.metadata = out->metadata;
    return 0;
}

/* --- template data: a JSON object, names matched case-insensitively ---------------- */

struct tdata {
    const json_t *data;
    char num[32];
};

/* The member of obj called name[0..len), in any case; NULL if none. */
static json_t *member_ci(const json_t *obj, const char *name, size_t len)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (strlen(key) == len && strncasecmp(key, name, len) == 0)
            return v;
    }
    return NULL;
}

/* "order.ref": a member named so, else member ref of member order, and so on. */
static json_t *lookup(const json_t *obj, const char *name, size_t len)
{
    json_t *v = member_ci(obj, name, len);
    const char *dot = memchr(name, '.', len);
    if (v || !dot)
        return v;
    json_t *sub = member_ci(obj, name, (size_t)(dot - name));
    return json_is_object(sub) ? lookup(sub, dot + 1, len - (size_t)(dot - name) - 1) : NULL;
}

static int tget(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
    struct tdata *d = ctx;
    json_t *v = d->data ? lookup(d->data, name, len) : NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *value = json_string_value(v);
        *value_len = json_string_length(v);
        return 1;
    }
    if (!json_is_number(v))
        return RL_EINVAL;
    if (json_is_integer(v))
        snprintf(d->num, sizeof(d->num), "%lld", (long long)json_integer_value(v));
    else
        snprintf(d->num, sizeof(d->num), "%.15g", json_real_value(v));
    *value = d->num;
    *value_len = strlen(d->num);
    return 1;
}

static void known_of(const json_t *obj, const char *prefix, struct buf *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char name[TEMPLATE_NAME_MAX + 2];
        int n = snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
        if (n <= 0 || (size_t)n >= sizeof(name))
            continue;
        if (json_is_object(v) && !*prefix)
            known_of(v, name, out);
        else
            template_known_add(out, name, (size_t)n);
    }
}

static void tknown(void *ctx, struct buf *out)
{
    const struct tdata *d = ctx;
    if (d->data)
        known_of(d->data, "", out);
}

static int render(const json_t *obj, struct buf *text, struct api_problem *p)
{
    const json_t *tpl = api_json_get(obj, "template");
    struct tdata d = {.data = api_json_get(obj, "data")};
    struct template_data td = {tget, tknown, &d};
    struct rl_err err = {0};
    int rc = template_render(json_string_value(tpl), json_string_length(tpl), &td, 0, text, &err);
    if (rc == 0)
        return 0;
    if (rc == RL_EFIELD)
        return api_problem_set(p, 422, "unknown_template_field", "data", "template: %s", err.msg);
    if (rc == RL_EINVAL)
        return api_problem_set(p, 422, "invalid_template_data", "data",
                               "data field '%s' must be a string or a number", err.field);
    return api_problem_set(p, 422, rl_errname(rc), "template", "template: %s", err.msg);
}

/* The text as sent: given or rendered, then smart-encoded when asked. */
static int read_text(const struct api_config *cfg, const json_t *obj, struct api_msgnew *out,
                     struct api_problem *p)
{
    const json_t *t = api_json_get(obj, "text");
    const json_t *se = api_json_get(obj, "smart_encoding");
    struct buf rendered;
    struct rl_err err = {0};
    buf_init(&rendered, 0);
    int rc = t ? buf_add(&rendered, json_string_value(t), json_string_length(t))
               : render(obj, &rendered, p);
    if (rc == 0 && rendered.len == 0)
        rc = api_problem_set(p, 422, "empty_text", t ? "text" : "template",
                             t ? "text is empty" : "the template renders an empty text");
    if (rc == 0 && (se ? json_is_true(se) : cfg->smart_encoding)) {
        struct smartenc_result r;
        if (smartenc_apply(rendered.data, rendered.len, &r, &err) != 0)
            rc = api_problem_set(p, 422, "invalid_utf8", "text", "%s", err.msg);
        else if (r.applied)
            buf_reset(&rendered), buf_add(&rendered, r.text, r.len);
        smartenc_release(&r);
        /* Found by fuzz_msgnew: a text of invisible characters only (U+2060)
         * is nothing once smart encoding drops them. */
        if (rc == 0 && rendered.len == 0)
            rc = api_problem_set(p, 422, "empty_text", t ? "text" : "template",
                                 "the text is empty once smart encoding removed its invisible "
                                 "characters");
    }
    out->text = rc == 0 ? buf_detach(&rendered, NULL) : NULL;
    out->m.text = out->text;
    buf_release(&rendered);
    return rc;
}

/* Encoding, segments within text.max_parts, and their price. */
static int read_segments(const struct api_config *cfg, struct api_msgnew *out,
                         struct api_problem *p)
{
    struct seg_opts so = {.ref_bits = cfg->ref_bits};
    struct seg_info si;
    struct rl_err err = {0};
    if (seg_analyze(out->text, strlen(out->text), &so, &si, &err) != 0)
        return api_problem_set(p, 422, "invalid_utf8", "text", "%s", err.msg);
    if (si.segments > cfg->max_parts)
        return api_problem_set(p, 422, "too_long", "text",
                               "the text needs %zu parts (%zu %s units); the limit is %zu "
                               "(text.max_parts)",
                               si.segments, si.units, seg_encoding_name(si.encoding),
                               cfg->max_parts);
    out->m.encoding = si.encoding == SEG_UCS2 ? MSG_ENCODING_UCS2 : MSG_ENCODING_GSM7;
    out->m.segments = (int)si.segments;
    out->m.cost = billing_cost(&cfg->billing, out->to, si.segments);
    return 0;
}

int api_msgnew_build(const struct api_config *cfg, int64_t account_id, const json_t *obj,
                     int64_t now, struct api_msgnew *out, struct api_problem *p)
{
    memset(out, 0, sizeof(*out));
    out->m.account_id = account_id;
    out->m.reason = "api";
    int rc = check_shape(obj, p);
    if (rc == 0)
        rc = read_to(cfg, obj, out, p);
    if (rc == 0)
        rc = read_from(cfg, obj, out, p);
    if (rc == 0)
        rc = read_category(obj, out, p);
    if (rc == 0)
        rc = read_times(cfg, obj, now, out, p);
    if (rc == 0)
        rc = read_text(cfg, obj, out, p);
    if (rc == 0)
        rc = read_segments(cfg, out, p);
    if (rc == 0)
        rc = read_metadata(obj, out, p);
    if (rc != 0)
        api_msgnew_release(out);
    return rc;
}

void api_msgnew_release(struct api_msgnew *m)
{
    if (!m)
        return;
    free(m->text);
    free(m->metadata);
    memset(m, 0, sizeof(*m));
}

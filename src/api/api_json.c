#include "api/api_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "text/utf8.h"
#include "core/clock.h"
#include "core/banned.h"

int api_problem_set(struct api_problem *p, unsigned status, const char *code, const char *field,
                    const char *fmt, ...)
{
    va_list ap;
    p->status = status;
    snprintf(p->code, sizeof(p->code), "%s", code);
    snprintf(p->field, sizeof(p->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
    /* A message quotes what the client sent, and the cap may cut a character:
     * JSON strings must be valid UTF-8 or the answer has no body. */
    utf8_scrub(p->msg);
    utf8_scrub(p->field);
    return -1;
}

json_t *api_problem_json(const struct api_problem *p)
{
    json_t *e = json_pack("{s:s,s:s}", "code", p->code, "message", p->msg);
    if (p->field[0])
        json_object_set_new(e, "field", json_string(p->field));
    return e;
}

void api_problem_respond(struct api_response *rs, const struct api_problem *p)
{
    api_error(rs, p->status, p->code, p->field[0] ? p->field : NULL, "%s", p->msg);
}

const char *api_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

json_t *api_json_body(const struct api_request *rq, struct api_problem *p)
{
    json_error_t e;
    if (!rq->body || rq->body_len == 0) {
        api_problem_set(p, 400, "invalid_json", NULL, "the request needs a JSON object body");
        return NULL;
    }
    json_t *v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!v) {
        api_problem_set(p, 400, "invalid_json", NULL, "malformed JSON at line %d column %d: %s",
                        e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        api_problem_set(p, 400, "invalid_type", NULL, "the body must be a JSON object, not %s",
                        api_json_type_name(v));
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool type_ok(const json_t *v, enum api_jtype t)
{
    switch (t) {
    case API_JSTRING:
        return json_is_string(v);
    case API_JINTEGER:
        return json_is_integer(v);
    case API_JBOOLEAN:
        return json_is_boolean(v);
    case API_JOBJECT:
        return json_is_object(v);
    default:
        return json_is_array(v);
    }
}

static const char *const type_names[] = {"a string", "an integer", "a boolean", "an object",
                                         "an array"};

static int unknown(const char *key, const struct api_jfield *f, size_t n, struct api_problem *p)
{
    struct buf known;
    buf_init(&known, 200);
    for (size_t i = 0; i < n; i++)
        buf_addf(&known, "%s%s", i ? ", " : "", f[i].name);
    api_problem_set(p, 400, "unknown_field", key, "unknown field '%.60s' (known: %s)", key,
                    known.data ? known.data : "none");
    buf_release(&known);
    return -1;
}

int api_json_check(const json_t *obj, const struct api_jfield *f, size_t n, struct api_problem *p)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (i < n && strcmp(f[i].name, key) != 0)
            i++;
        if (i == n)
            return unknown(key, f, n, p);
        if (json_is_null(v) && !f[i].required)
            continue;
        if (!type_ok(v, f[i].type))
            return api_problem_set(p, 400, "invalid_type", key, "%s must be %s, not %s", key,
                                   type_names[f[i].type], api_json_type_name(v));
    }
    for (size_t i = 0; i < n; i++) {
        if (f[i].required && !json_object_get(obj, f[i].name))
            return api_problem_set(p, 400, "missing_field", f[i].name, "%s is required", f[i].name);
    }
    return 0;
}

json_t *api_json_get(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

/* --- RFC 3339 ------------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Reads n digits at *s into *out; false if one is not a digit. */
static bool digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return true;
}

static bool expect(const char **s, const char *set)
{
    if (!**s || !strchr(set, **s))
        return false;
    (*s)++;
    return true;
}

static int mdays(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The offset after the seconds: Z, or +hh:mm / -hh:mm, in minutes. */
static bool offset(const char **s, int *minutes)
{
    int oh, om;
    *minutes = 0;
    if (expect(s, "Zz"))
        return true;
    int sign = **s == '-' ? -1 : 1;
    if (!expect(s, "+-") || !digits(s, 2, &oh) || !expect(s, ":") || !digits(s, 2, &om) ||
        oh > 23 || om > 59)
        return false;
    *minutes = sign * (oh * 60 + om);
    return true;
}

int api_time_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, off;
    if (!digits(&s, 4, &y) || !expect(&s, "-") || !digits(&s, 2, &mo) || !expect(&s, "-") ||
        !digits(&s, 2, &d) || !expect(&s, "Tt") || !digits(&s, 2, &h) || !expect(&s, ":") ||
        !digits(&s, 2, &mi) || !expect(&s, ":") || !digits(&s, 2, &sec))
        return RL_EPARSE;
    if (*s == '.') {
        int n = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, n++) {
            if (n < 3)
                frac = frac * 10 + (*s - '0');
        }
        if (n == 0)
            return RL_EPARSE;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (!offset(&s, &off) || *s != '\0')
        return RL_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) || h > 23 || mi > 59 || sec > 60)
        return RL_EPARSE;
    if (sec == 60) /* a leap second: the last millisecond of its minute */
        sec = 59, frac = 999;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
                (int64_t)off * 60;
    *ms = t * 1000 + frac;
    return 0;
}

void api_time_format(int64_t ms, char out[API_TIME_SIZE])
{
    clock_utc_format(ms, out);
}

int64_t api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

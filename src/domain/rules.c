/* Lawful timing: window specs, the [rules] profiles, and the search for the
 * next allowed minute in the recipient's zone(s). rules.h says what a window
 * means; the comments here say why the search is done the way it is. */
#include "domain/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

#include "core/mem.h"
#include "domain/calendar.h"
#include "core/banned.h"

#define ALL_DAYS 0x7f
#define MIN_MS   60000LL
#define DAY_MS   86400000LL
#define IVL_MAX  (2 * RULES_RANGES_MAX)
/* Years the local date may have: Easter and the holiday tables need the
 * Gregorian calendar, and ICU's needs no Julian switch-over past 1900. */
#define YEAR_LO 1900
#define YEAR_HI 9000

/* --- window specs -------------------------------------------------------- */

static const char *const day_abbr[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

enum tok_kind { T_END, T_WORD, T_TIME, T_COMMA, T_DASH, T_BAD };

struct tok {
    enum tok_kind kind;
    const char *s;
    size_t len;
};

/* One item of a spec being read, and where to report trouble. */
struct lex {
    const char *p, *end;
    const char *spec; /* the whole spec, for messages */
    size_t spec_len;
    const char *field;
    struct rl_err *err;
};

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static struct tok next_tok(struct lex *l)
{
    while (l->p < l->end && is_space(*l->p))
        l->p++;
    struct tok t = {T_END, l->p, 0};
    if (l->p == l->end)
        return t;
    const char *s = l->p;
    if (is_alpha(*s)) {
        while (l->p < l->end && is_alpha(*l->p))
            l->p++;
        t.kind = T_WORD;
    } else if (is_digit(*s)) {
        /* Digits and colons together, so that "8:0" or "08:00:00" is one
         * token the time check can name whole. */
        while (l->p < l->end && (is_digit(*l->p) || *l->p == ':'))
            l->p++;
        t.kind = T_TIME;
    } else {
        l->p++;
        t.kind = *s == ',' ? T_COMMA : *s == '-' ? T_DASH : T_BAD;
    }
    t.len = (size_t)(l->p - s);
    return t;
}

/* s[0..n) clipped to max bytes, with anything outside printable ASCII shown
 * as '?': messages reach terminals and JSON, which want neither control bytes
 * nor half a UTF-8 sequence. */
static void quote(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    size_t k = 0;
    bool cut = n > max;
    for (size_t i = 0; i < n && i < max && k + 1 < cap; i++)
        out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    for (int i = 0; cut && i < 3 && k + 1 < cap; i++)
        out[k++] = '.';
    out[k] = '\0';
}

__attribute__((format(printf, 2, 3))) static int bad(struct lex *l, const char *fmt, ...)
{
    char spec[96], why[176];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    quote(l->spec, l->spec_len, 80, spec, sizeof(spec));
    return rl_err_set(l->err, RL_EPARSE, l->field, "%s '%s': %s", l->field, spec, why);
}

/* t as a message shows it: quoted, or "the end of the item". */
static const char *shown(const struct tok *t, char buf[40])
{
    char q[32];
    if (t->kind == T_END)
        return "the end of the item";
    quote(t->s, t->len, 24, q, sizeof(q));
    snprintf(buf, 40, "'%s'", q);
    return buf;
}

static bool word_is(const struct tok *t, const char *w)
{
    return t->kind == T_WORD && strlen(w) == t->len && strncasecmp(t->s, w, t->len) == 0;
}

/* 0..6 for "mon"/"monday" ... "sun"/"sunday", else -1. */
static int day_of(const struct tok *t)
{
    for (int d = 0; d < 7; d++) {
        if (word_is(t, day_abbr[d]) || word_is(t, cal_weekday_name((enum cal_weekday)d)))
            return d;
    }
    return -1;
}

/* "H:MM" or "HH:MM" into minutes; 24:00 only when end. -1 when not a time. */
static int time_of(const struct tok *t, bool end)
{
    const char *s = t->s;
    size_t n = t->len, hl = n == 4 ? 1 : 2;
    if (t->kind != T_TIME || (n != 4 && n != 5) || s[hl] != ':' || !is_digit(s[0]) ||
        !is_digit(s[hl - 1]) || !is_digit(s[hl + 1]) || !is_digit(s[hl + 2]))
        return -1;
    int h = hl == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[hl + 1] - '0') * 10 + (s[hl + 2] - '0');
    if (m > 59 || h > 24 || (h == 24 && (!end || m != 0)))
        return -1;
    return h * 60 + m;
}

#define DAYS_EXPECTED "(expected mon, tue, wed, thu, fri, sat or sun)"
#define TIME_EXPECTED "expected HH:MM from 00:00 to 23:59 (24:00 may end a range)"

/* DAYS: "mon", "mon-fri", "fri-mon" (wrapping), comma-separated; *t is the
 * first word and is left on the token after the list. */
static int parse_days(struct lex *l, struct tok *t, uint8_t *days)
{
    char b1[40];
    for (;;) {
        int a = day_of(t), b;
        if (a < 0)
            return bad(l, "unknown day %s " DAYS_EXPECTED, shown(t, b1));
        *t = next_tok(l);
        b = a;
        if (t->kind == T_DASH) {
            *t = next_tok(l);
            if ((b = day_of(t)) < 0)
                return bad(l, "expected a day after '%s-', got %s " DAYS_EXPECTED, day_abbr[a],
                           shown(t, b1));
            *t = next_tok(l);
        }
        for (int d = a;; d = (d + 1) % 7) {
            *days |= (uint8_t)(1u << d);
            if (d == b)
                break;
        }
        if (t->kind != T_COMMA)
            return 0;
        *t = next_tok(l);
    }
}

static int parse_range(struct lex *l, struct tok t, struct rules_window *w)
{
    struct rules_range r = {0, 0, 0};
    char b1[40];
    int rc = 0;
    if (t.kind == T_WORD)
        rc = parse_days(l, &t, &r.days);
    else
        r.days = ALL_DAYS;
    if (rc != 0)
        return rc;
    int start = time_of(&t, false), end;
    if (start < 0 && t.kind != T_TIME)
        return bad(l, "expected a time range such as 09:00-19:00, got %s", shown(&t, b1));
    if (start < 0)
        return bad(l, "time %s: " TIME_EXPECTED, shown(&t, b1));
    struct tok dash = next_tok(l), te = next_tok(l);
    if (dash.kind != T_DASH)
        return bad(l, "expected '-' between the two times of a range, got %s", shown(&dash, b1));
    if ((end = time_of(&te, true)) < 0 && te.kind != T_TIME)
        return bad(l, "expected an end time after '-', got %s", shown(&te, b1));
    if (end < 0)
        return bad(l, "time %s: " TIME_EXPECTED, shown(&te, b1));
    if (start == end)
        return bad(l, "range %02d:%02d-%.*s is empty (00:00-24:00 is the whole day)", start / 60,
                   start % 60, (int)te.len, te.s);
    struct tok extra = next_tok(l);
    if (extra.kind != T_END)
        return bad(l, "unexpected %s after the time range (items are separated by ';')",
                   shown(&extra, b1));
    if (w->n == RULES_RANGES_MAX)
        return bad(l, "more than %d time ranges", RULES_RANGES_MAX);
    r.start = (uint16_t)start;
    /* "20:00-00:00" ends at midnight the same day, not one minute into the next. */
    r.end = (uint16_t)(end == 0 ? RULES_DAY_MIN : end);
    w->r[w->n++] = r;
    return 0;
}

static int parse_item(struct lex *l, struct rules_window *w)
{
    struct tok t = next_tok(l);
    char b1[40];
    if (t.kind == T_END)
        return bad(l, "empty item (nothing between two ';', or after the last)");
    if (word_is(&t, "closed")) {
        struct tok on = next_tok(l), hol = next_tok(l), end = next_tok(l);
        if (!word_is(&on, "on") || !word_is(&hol, "holidays"))
            return bad(l, "expected 'closed on holidays', got %s",
                       shown(word_is(&on, "on") ? &hol : &on, b1));
        if (end.kind != T_END)
            return bad(l, "unexpected %s after 'closed on holidays'", shown(&end, b1));
        w->closed_on_holidays = true;
        return 0;
    }
    if (t.kind != T_WORD && t.kind != T_TIME)
        return bad(l, "expected days or a time range, got %s", shown(&t, b1));
    return parse_range(l, t, w);
}

int rules_window_parse(struct rules_window *w, const char *spec, size_t len, const char *field,
                       struct rl_err *err)
{
    struct lex l = {spec, spec + len, spec, len, field, err};
    memset(w, 0, sizeof(*w));
    if (len > RULES_SPEC_MAX)
        return bad(&l, "longer than %d bytes", RULES_SPEC_MAX);
    size_t i = 0;
    while (i < len && is_space(spec[i]))
        i++;
    if (i == len)
        return bad(&l, "empty: expected a time range such as mon-fri 09:00-19:00");
    for (const char *p = spec, *end = spec + len; p <= end;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        l.p = p;
        l.end = semi ? semi : end;
        int rc = parse_item(&l, w);
        if (rc != 0)
            return rc;
        p = semi ? semi + 1 : end + 1;
    }
    if (w->n == 0)
        return bad(&l, "no time range: it would never allow anything");
    return 0;
}

/* Appends to out[*k..n); false once it no longer fits. */
__attribute__((format(printf, 4, 5))) static bool put(char *out, size_t n, size_t *k,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vsnprintf(out + *k, *k < n ? n - *k : 0, fmt, ap);
    va_end(ap);
    *k += rc > 0 ? (size_t)rc : 0;
    return *k < n;
}

/* Runs of days in week order, "mon-wed,sat". */
static bool put_days(char *out, size_t n, size_t *k, uint8_t days)
{
    bool ok = true, first = true;
    for (int d = 0; d < 7; d++) {
        if (!(days >> d & 1))
            continue;
        int e = d;
        while (e + 1 < 7 && (days >> (e + 1) & 1))
            e++;
        ok = ok && put(out, n, k, "%s%s", first ? "" : ",", day_abbr[d]);
        if (e > d)
            ok = ok && put(out, n, k, "-%s", day_abbr[e]);
        first = false;
        d = e;
    }
    return ok;
}

int rules_window_format(const struct rules_window *w, char *out, size_t n)
{
    size_t k = 0;
    bool ok = n > 0;
    if (ok)
        out[0] = '\0';
    for (size_t i = 0; ok && i < w->n; i++) {
        const struct rules_range *r = &w->r[i];
        if (i > 0)
            ok = put(out, n, &k, "; ");
        if (ok && r->days != ALL_DAYS)
            ok = put_days(out, n, &k, r->days) && put(out, n, &k, " ");
        if (ok)
            ok = put(out, n, &k, "%02d:%02d-%02d:%02d", r->start / 60, r->start % 60, r->end / 60,
                     r->end % 60);
    }
    if (ok && w->closed_on_holidays)
        ok = put(out, n, &k, "%sclosed on holidays", w->n ? "; " : "");
    return ok ? (int)k : RL_ETOOLONG;
}

/* --- [rules] ------------------------------------------------------------- */

static const char *trim(const char *s, size_t *len)
{
    while (*len && is_space(s[0]))
        s++, (*len)--;
    while (*len && is_space(s[*len - 1]))
        (*len)--;
    return s;
}

static int parse_profile(const char *s, size_t len, size_t no, struct rules_profile *p,
                         const struct rules_profile *v, size_t n, struct rl_err *err)
{
    const char *eq = memchr(s, '=', len);
    size_t cl = eq ? (size_t)(eq - s) : 0, sl = eq ? len - cl - 1 : 0;
    const char *cc = trim(s, &cl), *spec = eq ? eq + 1 : "";
    char shown[48], label[48];
    quote(s, len, 40, shown, sizeof(shown));
    if (!eq || cl != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
        return rl_err_set(err, RL_ECONFIG, "rules.profiles",
                          "rules.profiles: entry %zu '%s': expected CC=WINDOW with CC a country "
                          "code in capitals, such as BE=mon-sat 08:00-20:00",
                          no, shown);
    memcpy(p->country, cc, 2);
    p->country[2] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].country, p->country) == 0)
            return rl_err_set(err, RL_ECONFIG, "rules.profiles",
                              "rules.profiles: entry %zu: %s has a profile already (entry %zu)", no,
                              p->country, i + 1);
    }
    snprintf(label, sizeof(label), "rules.profiles: entry %zu (%s)", no, p->country);
    if (rules_window_parse(&p->w, spec, sl, label, err) != 0) {
        if (err) {
            err->code = RL_ECONFIG;
            snprintf(err->field, sizeof(err->field), "rules.profiles");
        }
        return RL_ECONFIG;
    }
    return 0;
}

int rules_profiles_parse(struct rules_config *rc, const char *text, struct rl_err *err)
{
    size_t tlen = strlen(text), n = 0, no = 0;
    struct rules_profile *v = NULL;
    int r = 0;
    trim(text, &tlen);
    for (const char *s = text; r == 0 && tlen > 0 && s;) {
        const char *bar = strchr(s, '|');
        size_t raw = bar ? (size_t)(bar - s) : strlen(s), len = raw;
        const char *e = trim(s, &len);
        no++;
        if (n == RULES_PROFILES)
            r = rl_err_set(err, RL_ECONFIG, "rules.profiles",
                           "rules.profiles: more than %d entries", RULES_PROFILES);
        else if (len == 0)
            r = rl_err_set(err, RL_ECONFIG, "rules.profiles", "rules.profiles: entry %zu is empty",
                           no);
        else {
            v = xrealloc(v, (n + 1) * sizeof(*v));
            r = parse_profile(e, len, no, &v[n], v, n, err);
            n++;
        }
        s = bar ? bar + 1 : NULL;
    }
    if (r != 0) {
        free(v);
        return r;
    }
    free(rc->profiles);
    rc->profiles = v;
    rc->n = n;
    return 0;
}

int rules_config_init(struct rules_config *rc, const struct cfg *c, struct rl_err *err)
{
    const char *mw = c->rules_marketing_window;
    memset(rc, 0, sizeof(*rc));
    int r = rules_window_parse(&rc->marketing, mw, strlen(mw), "rules.marketing_window", err);
    if (r != 0) {
        if (err)
            err->code = RL_ECONFIG;
        return RL_ECONFIG;
    }
    if (c->rules_marketing_holidays)
        rc->marketing.closed_on_holidays = true;
    rc->holiday_opts = c->rules_alsace_moselle ? CAL_ALSACE_MOSELLE : 0;
    return rules_profiles_parse(rc, c->rules_profiles, err);
}

void rules_config_release(struct rules_config *rc)
{
    free(rc->profiles);
    memset(rc, 0, sizeof(*rc));
}

const struct rules_window *rules_config_profile(const struct rules_config *rc, const char *country)
{
    for (size_t i = 0; country && i < rc->n; i++) {
        if (strcmp(rc->profiles[i].country, country) == 0)
            return &rc->profiles[i].w;
    }
    return &rc->marketing;
}

int rules_category_parse(const char *s, enum rules_category *out)
{
    if (strcasecmp(s, "marketing") == 0)
        *out = RULES_MARKETING;
    else if (strcasecmp(s, "transactional") == 0)
        *out = RULES_TRANSACTIONAL;
    else
        return RL_EPARSE;
    return 0;
}

const char *rules_category_name(enum rules_category c)
{
    return c == RULES_MARKETING ? "marketing" : "transactional";
}

void rules_query_init(struct rules_query *q, const struct rules_config *rc,
                      enum rules_category category, const char *country,
                      const struct rules_window *window)
{
    q->profile = category == RULES_MARKETING ? rules_config_profile(rc, country) : NULL;
    q->window = window;
    q->country = country;
    q->holiday_opts = rc->holiday_opts;
}

/* --- zones --------------------------------------------------------------- */

struct rules_zone {
    size_t n;
    UCalendar *cal[RULES_ZONES_MAX];
    char name[RULES_ZONES_MAX][RULES_ZONE_NAME];
};

/* Opens a calendar for id, which must be a zone ICU knows: ucal_open itself
 * silently falls back to GMT ("Etc/Unknown") for a typo. */
static int open_cal(const char *id, UCalendar **out)
{
    UChar uid[RULES_ZONE_NAME], canon[RULES_ZONE_NAME];
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    size_t len = strlen(id);
    if (len == 0 || len >= RULES_ZONE_NAME ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "abcdefghijklmnopqrstuvwxyz0123456789/_+-") != len)
        return RL_EINVAL;
    u_uastrncpy(uid, id, (int32_t)len);
    ucal_getCanonicalTimeZoneID(uid, (int32_t)len, canon, RULES_ZONE_NAME, &system, &st);
    if (U_FAILURE(st) || !system)
        return RL_EINVAL;
    *out = ucal_open(uid, (int32_t)len, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        ucal_close(*out);
        return RL_EINVAL;
    }
    /* A start in the skipped spring hour becomes the first minute after it. */
    ucal_setAttribute(*out, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    return 0;
}

int rules_zone_new(const char *tz, struct rules_zone **out, struct rl_err *err)
{
    struct rules_zone *z = xcalloc(1, sizeof(*z));
    char shown[RULES_ZONE_NAME + 8];
    if (open_cal(tz, &z->cal[0]) != 0) {
        free(z);
        quote(tz, strlen(tz), RULES_ZONE_NAME, shown, sizeof(shown));
        return rl_err_set(err, RL_EINVAL, "timezone",
                          "unknown time zone '%s' (expected an IANA name such as Europe/Paris)",
                          shown);
    }
    snprintf(z->name[0], RULES_ZONE_NAME, "%s", tz);
    z->n = 1;
    *out = z;
    return 0;
}

int rules_zone_new_country(const char *country, struct rules_zone **out, struct rl_err *err)
{
    struct rules_zone *z = xcalloc(1, sizeof(*z));
    UErrorCode st = U_ZERO_ERROR;
    char shown[8];
    /* Canonical location zones only: the raw country list starts with
     * legacy aliases (FR gives "ECT" before Europe/Paris). */
    UEnumeration *e =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, country, NULL, &st);
    const char *id;
    int32_t len;
    while (U_SUCCESS(st) && (id = uenum_next(e, &len, &st)) != NULL && z->n < RULES_ZONES_MAX) {
        if (open_cal(id, &z->cal[z->n]) == 0)
            snprintf(z->name[z->n++], RULES_ZONE_NAME, "%s", id);
    }
    uenum_close(e);
    if (z->n == 0) {
        rules_zone_free(z);
        quote(country, strlen(country), 3, shown, sizeof(shown));
        return rl_err_set(err, RL_EINVAL, "country", "no time zone known for country '%s'", shown);
    }
    *out = z;
    return 0;
}

void rules_zone_free(struct rules_zone *z)
{
    for (size_t i = 0; z && i < z->n; i++)
        ucal_close(z->cal[i]);
    free(z);
}

size_t rules_zone_count(const struct rules_zone *z)
{
    return z->n;
}

const char *rules_zone_name(const struct rules_zone *z, size_t i)
{
    return z->name[i];
}

static int local_of(UCalendar *cal, int64_t ms, struct rules_local *out)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)ms, &st);
    out->year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
    out->month = ucal_get(cal, UCAL_MONTH, &st) + 1;
    out->day = ucal_get(cal, UCAL_DATE, &st);
    out->hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st);
    out->minute = ucal_get(cal, UCAL_MINUTE, &st);
    out->second = ucal_get(cal, UCAL_SECOND, &st);
    out->millisecond = ucal_get(cal, UCAL_MILLISECOND, &st);
    out->offset_s =
        (ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st)) / 1000;
    return U_SUCCESS(st) ? 0 : RL_ERANGE;
}

int rules_zone_local(struct rules_zone *z, size_t i, int64_t ms, struct rules_local *out)
{
    return i < z->n ? local_of(z->cal[i], ms, out) : RL_EINVAL;
}

/* The instant of wall-clock date d, minute m (0..1439). In the repeated autumn
 * hour, last picks the second occurrence. */
static int64_t wall_to_utc(UCalendar *cal, const struct cal_date *d, int m, bool last,
                           UErrorCode *st)
{
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME,
                      last ? UCAL_WALLTIME_LAST : UCAL_WALLTIME_FIRST);
    ucal_clear(cal);
    ucal_setDateTime(cal, d->year, d->month - 1, d->day, m / 60, m % 60, 0, st);
    ucal_set(cal, UCAL_MILLISECOND, 0);
    return (int64_t)ucal_getMillis(cal, st);
}

/* --- the search ---------------------------------------------------------- */

struct ivl {
    int s, e; /* [s, e) in minutes of one local day */
};

static int ivl_cmp(const void *a, const void *b)
{
    const struct ivl *x = a, *y = b;
    return x->s != y->s ? (x->s > y->s) - (x->s < y->s) : (x->e > y->e) - (x->e < y->e);
}

/* Sorts v[0..n) and merges overlapping or touching intervals; returns the new n. */
static size_t merge(struct ivl *v, size_t n)
{
    size_t k = 0;
    qsort(v, n, sizeof(*v), ivl_cmp);
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && v[i].s <= v[k - 1].e) {
            if (v[i].e > v[k - 1].e)
                v[k - 1].e = v[i].e;
        } else {
            v[k++] = v[i];
        }
    }
    return k;
}

/* What w allows on a day of weekday wd: its ranges starting that day, and the
 * after-midnight tails of those that started the day before. NULL allows the
 * whole day. */
static size_t window_day(const struct rules_window *w, int wd, bool holiday, struct ivl *out)
{
    size_t n = 0;
    int prev = (wd + 6) % 7;
    if (!w) {
        out[0] = (struct ivl){0, RULES_DAY_MIN};
        return 1;
    }
    if (holiday && w->closed_on_holidays)
        return 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct rules_range *r = &w->r[i];
        bool overnight = r->end <= r->start;
        if (r->days >> wd & 1)
            out[n++] = (struct ivl){r->start, overnight ? RULES_DAY_MIN : r->end};
        if (overnight && (r->days >> prev & 1))
            out[n++] = (struct ivl){0, r->end};
    }
    return merge(out, n);
}

static size_t intersect(const struct ivl *a, size_t na, const struct ivl *b, size_t nb,
                        struct ivl *out)
{
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        int s = a[i].s > b[j].s ? a[i].s : b[j].s, e = a[i].e < b[j].e ? a[i].e : b[j].e;
        if (s < e)
            out[n++] = (struct ivl){s, e};
        if (a[i].e < b[j].e)
            i++;
        else
            j++;
    }
    return n;
}

static const struct cal_holiday *holiday(const struct rules_query *q, const struct cal_date *d)
{
    return cal_holiday_on(q->country, d->year, d->month, d->day, q->holiday_opts);
}

/* The minutes q allows on local date d. */
static size_t allowed(const struct rules_query *q, const struct cal_date *d, struct ivl *out)
{
    struct ivl a[IVL_MAX], b[IVL_MAX];
    int wd = (int)cal_weekday(d->year, d->month, d->day);
    bool h = holiday(q, d) != NULL;
    size_t na = window_day(q->profile, wd, h, a), nb = window_day(q->window, wd, h, b);
    return intersect(a, na, b, nb, out);
}

static bool inside(const struct ivl *v, size_t n, int m)
{
    for (size_t i = 0; i < n; i++) {
        if (m >= v[i].s && m < v[i].e)
            return true;
    }
    return false;
}

/* Why q refuses minute m of date d, in the order a person would say it: the
 * holiday, then the profile's day, then its hours, then the campaign. */
static const char *why_refused(const struct rules_query *q, const struct cal_date *d, int m)
{
    struct ivl v[IVL_MAX];
    const struct cal_holiday *h = holiday(q, d);
    int wd = (int)cal_weekday(d->year, d->month, d->day);
    if (h && ((q->profile && q->profile->closed_on_holidays) ||
              (q->window && q->window->closed_on_holidays)))
        return h->reason;
    if (q->profile) {
        size_t n = window_day(q->profile, wd, false, v);
        if (n == 0)
            return cal_weekday_name((enum cal_weekday)wd);
        if (!inside(v, n, m))
            return "quiet_hours";
    }
    return "window";
}

/* The first allowed start strictly after minute m of day (a day number), on
 * that day or a later one up to last_day: *d and *start. false when none. */
static bool next_start(const struct rules_query *q, int64_t day, int m, int64_t last_day,
                       struct cal_date *d, int *start)
{
    struct ivl v[IVL_MAX];
    for (; day <= last_day; day++, m = -1) {
        cal_civil_from_days(day, d);
        size_t n = allowed(q, d, v);
        for (size_t i = 0; i < n; i++) {
            if (v[i].s > m) {
                *start = v[i].s;
                return true;
            }
        }
    }
    return false;
}

/* The first instant >= t that q allows in cal's zone, at most limit; *why is
 * set (when not yet) to the rule refusing t. Each step lands on a window
 * start, so days without one are skipped in one pass of next_start, never
 * minute by minute; and every step moves forward, so limit bounds the loop. */
static int zone_next(const struct rules_query *q, UCalendar *cal, int64_t t, int64_t limit,
                     int64_t *out, const char **why)
{
    struct ivl v[IVL_MAX];
    for (;;) {
        struct rules_local l;
        if (local_of(cal, t, &l) != 0 || l.year < YEAR_LO || l.year > YEAR_HI)
            return RL_ERANGE;
        struct cal_date d = {l.year, l.month, l.day}, nd;
        int m = l.hour * 60 + l.minute, start;
        if (inside(v, allowed(q, &d, v), m)) {
            *out = t;
            return 0;
        }
        if (!*why)
            *why = why_refused(q, &d, m);
        int64_t day = cal_days_from_civil(d.year, d.month, d.day);
        if (!next_start(q, day, m, day + RULES_HORIZON_DAYS + 1, &nd, &start))
            return RL_ENOTFOUND;
        UErrorCode st = U_ZERO_ERROR;
        int64_t c = wall_to_utc(cal, &nd, start, false, &st);
        /* In the repeated hour the first occurrence may be behind us. */
        if (c <= t)
            c = wall_to_utc(cal, &nd, start, true, &st);
        if (U_FAILURE(st))
            return RL_ERANGE;
        if (c <= t)
            c = (t / MIN_MS + 1) * MIN_MS;
        if (c > limit)
            return RL_ENOTFOUND;
        /* Checked again at the top: a start in the skipped spring hour lands
         * on the first minute after it, which the window may not allow. */
        t = c;
    }
}

int rules_next_allowed(const struct rules_query *q, struct rules_zone *z, int64_t at_ms,
                       int64_t *next_ms, const char **reason, struct rl_err *err)
{
    int64_t t = at_ms, limit = at_ms + (RULES_HORIZON_DAYS + 1) * DAY_MS;
    const char *why = NULL;
    bool moved = true;
    int rc = 0;
    /* Every zone in turn until none moves t: t never passes the first time
     * all of them allow, since each zone's answer is its earliest. */
    while (rc == 0 && moved) {
        moved = false;
        for (size_t i = 0; rc == 0 && i < z->n; i++) {
            int64_t n = t;
            rc = zone_next(q, z->cal[i], t, limit, &n, &why);
            if (rc == 0 && n > t) {
                t = n;
                moved = true;
            }
        }
    }
    if (rc == RL_ENOTFOUND)
        return rl_err_set(err, rc, "window",
                          "nothing allowed within %d days in %s%s: the window and the profile "
                          "never meet",
                          RULES_HORIZON_DAYS, z->name[0], z->n > 1 ? " and the other zones" : "");
    if (rc != 0)
        return rl_err_set(err, rc, "at", "time out of range: rules apply to the years %d-%d",
                          YEAR_LO, YEAR_HI);
    *next_ms = t;
    *reason = t == at_ms ? NULL : why;
    return 0;
}

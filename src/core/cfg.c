/* Configuration: every behaviour here (parsing, checks, defaults, printing,
 * docs) walks one table generated from cfg.def, so a key cannot be parsed one
 * way and documented another. */
#include "core/cfg.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/cfg_int.h"
#include "core/mem.h"
#include "core/banned.h"

/* Section and key names are stringified at the first expansion, before any
 * name could be taken for a macro. */
#define K_(s, k, t, o) .sec = s, .name = k, .type = t, .off = o
#define K_STR(s, k, kd, mx, d, dc)                                                                 \
    {K_(#s, #k, T_STR, OFF(s, k)), .kind = STR_##kd, .max = mx, .sdef = d, .doc = dc},
#define K_INT(s, k, u, lo, hi, d, dc)                                                              \
    {K_(#s, #k, T_INT, OFF(s, k)), .unit = u, .min = lo, .max = hi, .def = d, .doc = dc},
#define K_BOOL(s, k, d, dc) {K_(#s, #k, T_BOOL, OFF(s, k)), .def = d, .doc = dc},
#define K_ENUM(s, k, TAG, d, dc, ...)                                                              \
    {K_(#s, #k, T_ENUM, OFF(s, k)), .def = CFG_##TAG##_##d, .words = #__VA_ARGS__,                 \
     .nwords = CFG_NARG(__VA_ARGS__), .doc = dc},
#define K_DUR(s, k, lo, hi, d, dc)                                                                 \
    {K_(#s, #k, T_DUR, OFF(s, k##_ms)), .min = lo, .max = hi, .def = d, .doc = dc},
#define K_REAL(s, k, u, lo, hi, d, dc)                                                             \
    {K_(#s, #k, T_REAL, OFF(s, k)), .unit = u, .rmin = lo, .rmax = hi, .rdef = d, .doc = dc},

static const struct key one_keys[] = {
#define OFF(s, k)      offsetof(struct cfg, s##_##k)
#define CFG_DEF_ROUTES 0
#define CFG_STR        K_STR
#define CFG_INT        K_INT
#define CFG_BOOL       K_BOOL
#define CFG_ENUM       K_ENUM
#define CFG_DUR        K_DUR
#define CFG_REAL       K_REAL
#include "core/cfg.def"
#undef OFF
};

static const struct key route_keys[] = {
#define OFF(s, k)          offsetof(struct cfg_route, k)
#define CFG_DEF_SINGLETONS 0
#define CFG_STR            K_STR
#define CFG_INT            K_INT
#define CFG_BOOL           K_BOOL
#define CFG_ENUM           K_ENUM
#define CFG_DUR            K_DUR
#define CFG_REAL           K_REAL
#include "core/cfg.def"
#undef OFF
};

#define N_ONE   (sizeof(one_keys) / sizeof(one_keys[0]))
#define N_ROUTE (sizeof(route_keys) / sizeof(route_keys[0]))

const struct section cfg_sections[] = {
#define CFG_SECTION(s, d) {#s, d, false},
#define CFG_NAMED(s, d)   {#s, d, true},
#include "core/cfg.def"
};
const size_t cfg_nsections = sizeof(cfg_sections) / sizeof(cfg_sections[0]);

/* Enum fields are written through an int: that only works if they are one. */
#define CFG_ENUM(s, k, TAG, d, dc, ...)                                                            \
    _Static_assert(sizeof(enum cfg_##s##_##k) == sizeof(int), "enum cfg_" #s "_" #k " as int");
#include "core/cfg.def"

/* --- values ------------------------------------------------------------- */

union value cfg_key_default(const struct key *k)
{
    union value v = {0};
    if (k->type == T_STR)
        v.s = (char *)k->sdef;
    else if (k->type == T_BOOL)
        v.b = k->def != 0;
    else if (k->type == T_REAL)
        v.r = k->rdef;
    else
        v.i = k->def;
    return v;
}

union value cfg_key_get(const void *base, const struct key *k)
{
    const char *f = (const char *)base + k->off;
    union value v = {0};
    int e;
    switch (k->type) {
    case T_STR:
        v.s = *(char *const *)f;
        break;
    case T_INT:
    case T_DUR:
        v.i = *(const long long *)f;
        break;
    case T_BOOL:
        v.b = *(const bool *)f;
        break;
    case T_ENUM:
        memcpy(&e, f, sizeof(e));
        v.i = e;
        break;
    case T_REAL:
        v.r = *(const double *)f;
        break;
    }
    return v;
}

/* Stores v in the field without freeing what it held: the caller decides. */
static void put(void *base, const struct key *k, union value v)
{
    char *f = (char *)base + k->off;
    int e;
    switch (k->type) {
    case T_STR:
        *(char **)f = v.s;
        break;
    case T_INT:
    case T_DUR:
        *(long long *)f = v.i;
        break;
    case T_BOOL:
        *(bool *)f = v.b;
        break;
    case T_ENUM:
        e = (int)v.i;
        memcpy(f, &e, sizeof(e));
        break;
    case T_REAL:
        *(double *)f = v.r;
        break;
    }
}

static void set_defaults(void *base, const struct key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        union value v = cfg_key_default(&keys[i]);
        if (keys[i].type == T_STR)
            v.s = xstrdup(v.s);
        put(base, &keys[i], v);
    }
}

static void free_strings(void *base, const struct key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (keys[i].type == T_STR) {
            free(cfg_key_get(base, &keys[i]).s);
            put(base, &keys[i], (union value){.s = NULL});
        }
    }
}

void cfg_init(struct cfg *c)
{
    memset(c, 0, sizeof(*c));
    set_defaults(c, one_keys, N_ONE);
}

void cfg_release(struct cfg *c)
{
    free_strings(c, one_keys, N_ONE);
    for (size_t i = 0; i < c->nroutes; i++)
        free_strings(&c->routes[i], route_keys, N_ROUTE);
    free(c->routes);
    memset(c, 0, sizeof(*c));
}

const struct cfg_route *cfg_route_find(const struct cfg *c, const char *name)
{
    for (size_t i = 0; i < c->nroutes; i++) {
        if (strcmp(c->routes[i].name, name) == 0)
            return &c->routes[i];
    }
    return NULL;
}

enum log_level cfg_log_level(const struct cfg *c)
{
    switch (c->log_level) {
    case CFG_LOG_LEVEL_DEBUG:
        return LOG_DEBUG;
    case CFG_LOG_LEVEL_WARN:
        return LOG_WARN;
    case CFG_LOG_LEVEL_ERROR:
        return LOG_ERROR;
    case CFG_LOG_LEVEL_INFO:
        break;
    }
    return LOG_INFO;
}

/* --- formatting ------------------------------------------------------- */

/* The i-th allowed word of an enum key, lower case as the file spells it. */
const char *cfg_word_at(const struct key *k, size_t i, char out[WORD_MAX])
{
    const char *s = k->words;
    for (size_t j = 0; j < i && s; j++) {
        s = strchr(s, ',');
        s = s ? s + 1 : NULL;
    }
    size_t n = 0;
    while (s && *s == ' ')
        s++;
    while (s && s[n] && s[n] != ',' && s[n] != ' ' && n + 1 < WORD_MAX) {
        out[n] = (char)(s[n] >= 'A' && s[n] <= 'Z' ? s[n] - 'A' + 'a' : s[n]);
        n++;
    }
    out[n] = '\0';
    return out;
}

/* Milliseconds in the largest unit that divides them: 30000 -> "30s". */
void cfg_fmt_dur(long long ms, char *out, size_t n)
{
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(out, n, "%lldh", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(out, n, "%lldm", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(out, n, "%llds", ms / 1000);
    else
        snprintf(out, n, "%lldms", ms);
}

/* What a key accepts, in words, for messages and docs. */
void cfg_describe_allowed(const struct key *k, char *out, size_t n)
{
    char lo[32], hi[32], w[WORD_MAX];
    struct buf b;
    switch (k->type) {
    case T_INT:
        snprintf(out, n, "%lld..%lld", k->min, k->max);
        break;
    case T_DUR:
        cfg_fmt_dur(k->min, lo, sizeof(lo));
        cfg_fmt_dur(k->max, hi, sizeof(hi));
        snprintf(out, n, "%s..%s", lo, hi);
        break;
    case T_REAL:
        snprintf(out, n, "%g..%g", k->rmin, k->rmax);
        break;
    case T_BOOL:
        snprintf(out, n, "true, false");
        break;
    case T_ENUM:
        buf_init(&b, n ? n - 1 : 0);
        for (size_t i = 0; i < k->nwords; i++)
            buf_addf(&b, "%s%s", i ? ", " : "", cfg_word_at(k, i, w));
        snprintf(out, n, "%s", b.data);
        buf_release(&b);
        break;
    case T_STR:
        if (k->kind == STR_REGION)
            snprintf(out, n, "2 upper-case letters");
        else if (k->kind == STR_PREFIXES)
            snprintf(out, n, "comma-separated prefixes: optional +, 1 to 15 digits");
        else
            snprintf(out, n, "%s %lld bytes", k->kind == STR_NONEMPTY ? "1 to" : "at most", k->max);
        break;
    }
}

static const char *clip(const char *s, char out[48])
{
    size_t n = 0;
    for (; s[n] && n < 40; n++)
        out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
    out[n] = '\0';
    if (s[n])
        memcpy(out + n, "...", 4);
    return out;
}

/* --- parsing one value ---------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return n > 0;
}

/* Decimal digits to a number: RL_EPARSE if not digits, RL_ERANGE past limit. */
static int digits_value(const char *s, size_t n, long long limit, long long *out)
{
    long long v = 0;
    if (!all_digits(s, n))
        return RL_EPARSE;
    for (size_t i = 0; i < n; i++) {
        int d = s[i] - '0';
        if (v > (limit - d) / 10)
            return RL_ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The end of parse_int and parse_dur: rc from digits_value, v the value read.
 * what names the form expected, for the message. */
static int check_whole(const struct key *k, int rc, long long v, const char *t, const char *what,
                       union value *out, char *why, size_t n)
{
    char shown[48], range[64];
    cfg_describe_allowed(k, range, sizeof(range));
    if (rc == RL_EPARSE) {
        snprintf(why, n, "'%s': expected %s in %s", clip(t, shown), what, range);
        return RL_ECONFIG;
    }
    if (rc == RL_ERANGE || v < k->min || v > k->max) {
        snprintf(why, n, "%s: out of range %s", clip(t, shown), range);
        return RL_ECONFIG;
    }
    out->i = v;
    return 0;
}

static int parse_int(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    bool neg = t[0] == '-';
    long long v = 0;
    int rc = digits_value(t + neg, strlen(t + neg), LLONG_MAX, &v);
    return check_whole(k, rc, neg ? -v : v, t, "an integer", out, why, n);
}

/* "500ms", "30s", "5m", "1h", or a bare number of seconds, to milliseconds. */
static int parse_dur(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    static const struct {
        const char *suffix;
        long long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
    size_t nd = strspn(t, "0123456789");
    long long v = 0;
    int rc = RL_EPARSE;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(t + nd, units[i].suffix) == 0) {
            rc = digits_value(t, nd, LLONG_MAX / units[i].ms, &v);
            v *= units[i].ms;
            break;
        }
    }
    return check_whole(k, rc, v, t, "a duration such as 500ms, 30s, 5m or 1h", out, why, n);
}

static int parse_real(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    char shown[48], range[64];
    char *end = NULL;
    double v = t[0] ? strtod(t, &end) : 0;
    cfg_describe_allowed(k, range, sizeof(range));
    if (!t[0] || *end || !isfinite(v) || strchr(" \t\n\v\f\r", t[0])) {
        snprintf(why, n, "'%s': expected a number in %s", clip(t, shown), range);
        return RL_ECONFIG;
    }
    if (v < k->rmin || v > k->rmax) {
        snprintf(why, n, "%s: out of range %s", clip(t, shown), range);
        return RL_ECONFIG;
    }
    out->r = v;
    return 0;
}

static int parse_bool(const char *t, union value *out, char *why, size_t n)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    char shown[48];
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
            out->b = strcasecmp(t, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(why, n, "'%s': expected true or false", clip(t, shown));
    return RL_ECONFIG;
}

static int parse_enum(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    char w[WORD_MAX], shown[48], allowed[128];
    for (size_t i = 0; i < k->nwords; i++) {
        if (strcasecmp(t, cfg_word_at(k, i, w)) == 0) {
            out->i = (long long)i;
            return 0;
        }
    }
    cfg_describe_allowed(k, allowed, sizeof(allowed));
    snprintf(why, n, "'%s': expected one of %s", clip(t, shown), allowed);
    return RL_ECONFIG;
}

/* Checks "+33, +32" and returns it without spaces ("+33,+32"), new; or NULL. */
static char *normalize_prefixes(const char *t)
{
    struct buf b;
    buf_init(&b, 0);
    const char *s = t;
    while (*s) {
        s += strspn(s, " \t");
        size_t plus = *s == '+', nd = strspn(s + plus, "0123456789");
        const char *end = s + plus + nd;
        end += strspn(end, " \t");
        if (nd < 1 || nd > 15 || (*end && *end != ',') || (*end == ',' && !end[1])) {
            buf_release(&b);
            return NULL;
        }
        buf_addf(&b, "%s%.*s", b.len ? "," : "", (int)(plus + nd), s);
        s = *end ? end + 1 : end;
    }
    return buf_detach(&b, NULL);
}

static int parse_str(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    char shown[48], show[52];
    size_t len = strlen(t);
    if (k->kind == STR_SECRET)
        snprintf(show, sizeof(show), "(secret)");
    else
        snprintf(show, sizeof(show), "'%s'", clip(t, shown));
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
            snprintf(why, n, "%s: control characters are not allowed", show);
            return RL_ECONFIG;
        }
    }
    if (len > (size_t)k->max)
        snprintf(why, n, "%s: longer than %lld bytes", show, k->max);
    else if (len == 0 && k->kind == STR_NONEMPTY)
        snprintf(why, n, "'': must not be empty");
    else if (k->kind == STR_REGION &&
             (len != 2 || t[0] < 'A' || t[0] > 'Z' || t[1] < 'A' || t[1] > 'Z'))
        snprintf(why, n, "%s: expected 2 upper-case letters (ISO 3166-1 alpha-2) such as FR", show);
    else if (k->kind == STR_PREFIXES && !(out->s = normalize_prefixes(t)))
        snprintf(why, n,
                 "%s: expected comma-separated prefixes such as +33,+32 (each an optional + "
                 "then 1 to 15 digits)",
                 show);
    else {
        if (k->kind != STR_PREFIXES)
            out->s = xstrdup(t);
        return 0;
    }
    return RL_ECONFIG;
}

/* Parses t, as written after "key =", for k. Returns 0 with *out set (out->s
 * new), or RL_ECONFIG with why saying what is wrong, value first. */
static int parse_value(const struct key *k, const char *t, union value *out, char *why, size_t n)
{
    switch (k->type) {
    case T_INT:
        return parse_int(k, t, out, why, n);
    case T_DUR:
        return parse_dur(k, t, out, why, n);
    case T_REAL:
        return parse_real(k, t, out, why, n);
    case T_BOOL:
        return parse_bool(t, out, why, n);
    case T_ENUM:
        return parse_enum(k, t, out, why, n);
    case T_STR:
        break;
    }
    return parse_str(k, t, out, why, n);
}

/* Keys that must agree with each other, checked once the whole route is known. */
static int route_check(const struct cfg_route *r, char *why, size_t n)
{
    char lo[32], hi[32];
    if (r->reconnect_min_ms > r->reconnect_max_ms) {
        cfg_fmt_dur(r->reconnect_min_ms, lo, sizeof(lo));
        cfg_fmt_dur(r->reconnect_max_ms, hi, sizeof(hi));
        snprintf(why, n, "reconnect_min = %s is above reconnect_max = %s", lo, hi);
        return RL_ECONFIG;
    }
    return 0;
}

/* --- finding sections and keys -------------------------------------------- */

static const struct section *find_section(const char *name)
{
    for (size_t i = 0; i < cfg_nsections; i++) {
        if (strcmp(cfg_sections[i].name, name) == 0)
            return &cfg_sections[i];
    }
    return NULL;
}

const struct key *cfg_section_keys(const struct section *s, size_t *n)
{
    *n = s->named ? N_ROUTE : N_ONE;
    return s->named ? route_keys : one_keys;
}

static const struct key *find_key(const struct section *s, const char *name)
{
    size_t n;
    const struct key *keys = cfg_section_keys(s, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].sec, s->name) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}

/* Edit distance, for "did you mean": keys are short, longer words never match. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[WORD_MAX + 1];
    if (la > WORD_MAX || lb > WORD_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* The keys of s, or when the list would crowd the message out, the closest one. */
static void known_keys(const struct section *s, const char *key, struct buf *b)
{
    size_t n, best = SIZE_MAX, start = b->len;
    const struct key *keys = cfg_section_keys(s, &n), *near = NULL;
    bool first = true;
    buf_adds(b, " (known: ");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].sec, s->name) != 0)
            continue;
        buf_addf(b, "%s%s", first ? "" : ", ", keys[i].name);
        first = false;
        size_t d = distance(key, keys[i].name);
        if (d < best) {
            best = d;
            near = &keys[i];
        }
    }
    buf_addch(b, ')');
    if (b->len - start <= 120)
        return;
    b->len = start;
    b->data[start] = '\0';
    if (near && best <= 2)
        buf_addf(b, " (did you mean '%s'?)", near->name);
    buf_adds(b, "; 'relais config --doc' lists the keys");
}

/* "unknown key 'prot' in [http] (known: listen, port, max_body)", and where
 * the key does belong if some other section has it. */
static void unknown_key_msg(const struct section *s, const char *route, const char *key, char *out,
                            size_t n)
{
    char shown[48];
    struct buf b;
    buf_init(&b, 0);
    buf_addf(&b, "unknown key '%s' in [%s%s%s]", clip(key, shown), s->name, route ? " " : "",
             route ? route : "");
    known_keys(s, key, &b);
    for (size_t i = 0; i < cfg_nsections; i++) {
        if (&cfg_sections[i] != s && find_key(&cfg_sections[i], key)) {
            buf_addf(&b, "; '%s' belongs in [%s%s]", key, cfg_sections[i].name,
                     cfg_sections[i].named ? " NAME" : "");
            break;
        }
    }
    snprintf(out, n, "%s", b.data);
    buf_release(&b);
}

static void known_sections(char *out, size_t n)
{
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < cfg_nsections; i++)
        buf_addf(&b, "%s%s%s", i ? ", " : "", cfg_sections[i].name,
                 cfg_sections[i].named ? " NAME" : "");
    snprintf(out, n, "%s", b.data);
    buf_release(&b);
}

static bool valid_route_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= CFG_ROUTE_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* --- the file ----------------------------------------------------------- */

#define NO_ROUTE SIZE_MAX

struct parser {
    struct cfg next; /* built here, moved into the caller's cfg only on success */
    const char *name;
    unsigned line;
    const struct section *sec; /* NULL before the first header */
    size_t route;              /* index in next.routes, or NO_ROUTE */
    unsigned one_seen[N_ONE];  /* line each key was set on, 0 if not: duplicates */
    unsigned route_seen[CFG_ROUTES_MAX][N_ROUTE];
    unsigned route_line[CFG_ROUTES_MAX];
    char text[CFG_LINE_MAX + 1];
    struct rl_err *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, const char *field,
                                                      const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return rl_err_set(p->err, RL_ECONFIG, field, "%s:%u: %s", p->name, p->line, msg);
}

static char *skip_ws(char *s)
{
    return s + strspn(s, " \t");
}

static char *trim(char *s)
{
    s = skip_ws(s);
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static bool is_comment_start(const char *s)
{
    return *s == '\0' || *s == '#' || *s == ';';
}

static int open_route(struct parser *p, const struct section *s, const char *name)
{
    char shown[48];
    if (!valid_route_name(name))
        return fail(p, s->name, "[%s %s]: a name is 1 to %d letters, digits, _ or -", s->name,
                    clip(name, shown), CFG_ROUTE_NAME_MAX);
    for (size_t i = 0; i < p->next.nroutes; i++) {
        if (strcmp(p->next.routes[i].name, name) == 0)
            return fail(p, s->name, "[%s %s] declared twice (first at line %u)", s->name, name,
                        p->route_line[i]);
    }
    if (p->next.nroutes == CFG_ROUTES_MAX)
        return fail(p, s->name, "more than %d [%s NAME] sections", CFG_ROUTES_MAX, s->name);
    size_t i = p->next.nroutes++;
    p->next.routes = xrealloc(p->next.routes, p->next.nroutes * sizeof(*p->next.routes));
    struct cfg_route *r = &p->next.routes[i];
    memset(r, 0, sizeof(*r));
    memcpy(r->name, name, strlen(name) + 1);
    set_defaults(r, route_keys, N_ROUTE);
    p->route_line[i] = p->line;
    p->sec = s;
    p->route = i;
    return 0;
}

/* s is the header after '['. */
static int parse_header(struct parser *p, char *s)
{
    char *close = strchr(s, ']'), known[128], shown[48];
    if (!close)
        return fail(p, "", "missing ']' at the end of the section header");
    if (!is_comment_start(skip_ws(close + 1)))
        return fail(p, "", "unexpected text after ']'");
    *close = '\0';
    char *word = trim(s), *name = word + strcspn(word, " \t");
    if (*name)
        *name++ = '\0';
    name = skip_ws(name);
    const struct section *sec = find_section(word);
    if (!sec) {
        known_sections(known, sizeof(known));
        return fail(p, "", "unknown section [%s] (known: %s)", clip(word, shown), known);
    }
    if (sec->named && !*name)
        return fail(p, sec->name, "[%s] needs a name: [%s NAME]", sec->name, sec->name);
    if (sec->named)
        return open_route(p, sec, name);
    if (*name)
        return fail(p, sec->name, "[%s] takes no name: only [route NAME] does", sec->name);
    p->sec = sec;
    p->route = NO_ROUTE;
    return 0;
}

/* A double-quoted value in place: \" and \\ are the only escapes. Returns
 * NULL, or what is wrong. */
static const char *unquote(char *s, char **out)
{
    char *r = s + 1, *w = s;
    for (;;) {
        char c = *r++;
        if (c == '\0' || (c == '\\' && *r == '\0'))
            return "missing closing '\"'";
        if (c == '"')
            break;
        if (c == '\\' && *r != '"' && *r != '\\')
            return "unknown escape in quoted value: only \\\" and \\\\";
        *w++ = c == '\\' ? *r++ : c;
    }
    *w = '\0';
    if (!is_comment_start(skip_ws(r)))
        return "unexpected text after the closing '\"'";
    *out = s;
    return NULL;
}

/* s is the text after '='; a '#' after whitespace starts a comment. Returns
 * NULL, or what is wrong. */
static const char *raw_value(char *s, char **out)
{
    char *v = skip_ws(s);
    if (*v == '"')
        return unquote(v, out);
    for (char *h = strchr(s, '#'); h; h = strchr(h + 1, '#')) {
        if (h > s && (h[-1] == ' ' || h[-1] == '\t')) {
            *h = '\0';
            break;
        }
    }
    *out = trim(s);
    return NULL;
}

static void dotted(const struct section *s, const char *route, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%s.%s%s%s", s->name, route ? route : "", route ? "." : "", key);
}

/* text is what follows '=' on the line. */
static int assign(struct parser *p, const struct key *k, char *text)
{
    struct cfg_route *r = p->route == NO_ROUTE ? NULL : &p->next.routes[p->route];
    void *base = r ? (void *)r : (void *)&p->next;
    unsigned *seen = r ? &p->route_seen[p->route][k - route_keys] : &p->one_seen[k - one_keys];
    char field[96], why[200];
    const char *bad;
    union value v;
    dotted(p->sec, r ? r->name : NULL, k->name, field, sizeof(field));
    if (*seen)
        return fail(p, field, "%s set twice in one section (first at line %u)", field, *seen);
    if ((bad = raw_value(text, &text)) != NULL)
        return fail(p, field, "%s: %s", field, bad);
    if (parse_value(k, text, &v, why, sizeof(why)) != 0)
        return fail(p, field, "%s = %s", field, why);
    if (k->type == T_STR)
        free(cfg_key_get(base, k).s);
    put(base, k, v);
    *seen = p->line;
    return 0;
}

static int parse_assignment(struct parser *p, char *s)
{
    char *eq = strchr(s, '='), msg[256], shown[48];
    if (!eq)
        return fail(p, "", "expected 'key = value', '[section]' or a comment");
    *eq = '\0';
    char *key = trim(s);
    if (!*key)
        return fail(p, "", "missing key before '='");
    if (!p->sec)
        return fail(p, "", "key '%s' before any [section]", clip(key, shown));
    const struct key *k = find_key(p->sec, key);
    if (!k) {
        const char *route = p->route == NO_ROUTE ? NULL : p->next.routes[p->route].name;
        unknown_key_msg(p->sec, route, key, msg, sizeof(msg));
        return fail(p, p->sec->name, "%s", msg);
    }
    return assign(p, k, eq + 1);
}

static int parse_line(struct parser *p, const char *line, size_t n)
{
    if (n && line[n - 1] == '\r')
        n--;
    if (n > CFG_LINE_MAX)
        return fail(p, "", "line longer than %d bytes", CFG_LINE_MAX);
    if (memchr(line, '\0', n))
        return fail(p, "", "NUL byte in line");
    memcpy(p->text, line, n);
    p->text[n] = '\0';
    char *s = skip_ws(p->text);
    if (is_comment_start(s))
        return 0;
    if (*s == '[')
        return parse_header(p, s + 1);
    return parse_assignment(p, s);
}

static int check_routes(struct parser *p)
{
    const struct key *lo = find_key(find_section("route"), "reconnect_min");
    const struct key *hi = find_key(find_section("route"), "reconnect_max");
    char why[200], field[64];
    for (size_t i = 0; i < p->next.nroutes; i++) {
        if (route_check(&p->next.routes[i], why, sizeof(why)) == 0)
            continue;
        unsigned *seen = p->route_seen[i];
        p->line = p->route_line[i];
        p->line = seen[lo - route_keys] > p->line ? seen[lo - route_keys] : p->line;
        p->line = seen[hi - route_keys] > p->line ? seen[hi - route_keys] : p->line;
        snprintf(field, sizeof(field), "route.%s", p->next.routes[i].name);
        return fail(p, field, "[route %s]: %s", p->next.routes[i].name, why);
    }
    return 0;
}

int cfg_load_string(struct cfg *c, const char *text, size_t len, const char *name,
                    struct rl_err *err)
{
    if (len > CFG_FILE_MAX)
        return rl_err_set(err, RL_ECONFIG, "", "%s: larger than %d bytes", name, CFG_FILE_MAX);
    struct parser *p = xcalloc(1, sizeof(*p));
    int rc = 0;
    size_t pos = 0;
    cfg_init(&p->next);
    p->name = name;
    p->route = NO_ROUTE;
    p->err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a UTF-8 byte order mark, as some editors write */
    while (rc == 0 && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        p->line++;
        rc = parse_line(p, text + pos, n);
        pos += n + 1;
    }
    if (rc == 0)
        rc = check_routes(p);
    if (rc == 0) {
        cfg_release(c);
        *c = p->next;
    } else {
        cfg_release(&p->next);
    }
    free(p);
    return rc;
}

int cfg_load_file(struct cfg *c, const char *path, struct rl_err *err)
{
    FILE *f = fopen(path, "rb");
    int e = errno;
    if (!f)
        return rl_err_set(err, -e, "", "cannot open %s: %s", path, strerror(e));
    struct buf b;
    char chunk[8192];
    size_t n;
    int rc = 0;
    buf_init(&b, CFG_FILE_MAX);
    errno = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_add(&b, chunk, n);
    e = errno ? errno : EIO;
    if (rc != 0)
        rc = rl_err_set(err, RL_ECONFIG, "", "%s: larger than %d bytes", path, CFG_FILE_MAX);
    else if (ferror(f))
        rc = rl_err_set(err, -e, "", "cannot read %s: %s", path, strerror(e));
    else
        rc = cfg_load_string(c, b.data, b.len, path, err);
    buf_release(&b);
    fclose(f);
    return rc;
}

/* --- command-line overrides ----------------------------------------------- */

static int set_in(void *base, struct cfg_route *r, const struct key *k, const char *field,
                  const char *value, struct rl_err *err)
{
    char why[200];
    union value v;
    if (parse_value(k, value, &v, why, sizeof(why)) != 0)
        return rl_err_set(err, RL_ECONFIG, field, "%s = %s", field, why);
    if (r) {
        struct cfg_route tmp = *r;
        put(&tmp, k, v);
        if (route_check(&tmp, why, sizeof(why)) != 0) {
            if (k->type == T_STR)
                free(v.s);
            return rl_err_set(err, RL_ECONFIG, field, "route.%s: %s", r->name, why);
        }
    }
    if (k->type == T_STR)
        free(cfg_key_get(base, k).s);
    put(base, k, v);
    return 0;
}

int cfg_set(struct cfg *c, const char *key, const char *value, struct rl_err *err)
{
    char buf[128], shown[48], msg[256], field[96];
    char *dot = NULL, *name = NULL;
    struct cfg_route *r = NULL;
    if (strlen(key) < sizeof(buf)) {
        memcpy(buf, key, strlen(key) + 1);
        dot = strchr(buf, '.');
    }
    if (!dot)
        return rl_err_set(err, RL_ECONFIG, "", "'%s': expected section.key or route.NAME.key",
                          clip(key, shown));
    *dot++ = '\0';
    const struct section *s = find_section(buf);
    if (s && s->named) {
        name = dot;
        dot = strchr(dot, '.');
        if (!dot)
            return rl_err_set(err, RL_ECONFIG, "", "'%s': expected %s.NAME.key", clip(key, shown),
                              s->name);
        *dot++ = '\0';
        r = (struct cfg_route *)cfg_route_find(c, name);
        if (!r)
            return rl_err_set(err, RL_ECONFIG, key, "no [%s %s] is declared", s->name,
                              clip(name, shown));
    }
    if (!s) {
        known_sections(msg, sizeof(msg));
        return rl_err_set(err, RL_ECONFIG, key, "'%s': unknown section '%s' (known: %s)",
                          clip(key, shown), buf, msg);
    }
    const struct key *k = find_key(s, dot);
    if (!k) {
        unknown_key_msg(s, name, dot, msg, sizeof(msg));
        return rl_err_set(err, RL_ECONFIG, key, "%s", msg);
    }
    dotted(s, name, k->name, field, sizeof(field));
    return set_in(r ? (void *)r : (void *)c, r, k, field, value, err);
}

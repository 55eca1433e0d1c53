/* Streaming CSV contact import (csvimport.h says what a file may look like
 * and how a row is judged). The bytes pass through four stages, each holding
 * back only what it cannot decide yet, so that any split of the input gives
 * the same rows:
 *   1. the first 3 bytes, for a byte order mark;
 *   2. the encoding: ASCII passes; from the first other byte a window is held
 *      until UTF-8 or Windows-1252 is decided, then converted as it goes;
 *   3. the header line, held until it ends, for the delimiter and line end;
 *   4. libcsv, fed one physical line at a time so that the line each record
 *      starts on is known (libcsv reports fields and records, not offsets). */
#include "domain/csvimport.h"

#include <csv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "domain/contact.h"
#include "text/utf8.h"
#include "core/banned.h"

enum enc { ENC_UNKNOWN, ENC_UTF8, ENC_CP1252 };

enum role {
    ROLE_PHONE,  /* a phone column that does not say mobile: "Téléphone", "Tel" */
    ROLE_MOBILE, /* one that does: "Portable", "Mobile", "GSM" */
    ROLE_EMAIL,
    ROLE_FIRST,
    ROLE_LAST,
    ROLE_LANG,
    ROLE_OPTOUT,
    ROLE_N,
    ROLE_CUSTOM,
    ROLE_NONE
};

/* Per-field flags of the record being read. */
#define F_LONG 1 /* over CSVIMPORT_FIELD_MAX: not kept */
#define F_NUL  2

#define NO_COL SIZE_MAX

struct column {
    enum role role;
    char *name; /* as written (trimmed), for messages and as a custom key */
    char *key;  /* custom: the name as a JSON string, then ':' */
    size_t key_len;
};

struct csvimport {
    char region[3];
    bool has_region;
    csvimport_row_fn on_row;
    void *ctx;
    size_t rows_max;
    int rc; /* sticky: once set, nothing more is read */
    struct rl_err err;
    bool finished;
    /* 1: byte order mark */
    unsigned char head[3];
    size_t head_n;
    bool head_done;
    /* 2: encoding */
    enum enc enc;
    struct buf hold; /* ENC_UNKNOWN: from the first non-ASCII byte on */
    /* 3: header line */
    bool sniffed;
    struct buf sniff;
    size_t scanned;
    bool in_quotes, line_blank;
    unsigned char nl; /* the line end byte once known: '\n' (LF, CRLF) or '\r' */
    size_t count[3];  /* ';' ',' TAB outside quotes */
    char delim;
    /* 4: libcsv */
    struct csv_parser csv;
    size_t line;     /* physical line of the next byte */
    size_t rec_line; /* where the current record started */
    bool between;    /* no record begun since the last one ended */
    /* the record being read: its fields in rec, each NUL-terminated; at most
     * CSVIMPORT_COLUMNS_MAX of CSVIMPORT_FIELD_MAX bytes (x3 when converted) */
    struct buf rec;
    size_t nf; /* fields seen, also past CSVIMPORT_COLUMNS_MAX */
    size_t off[CSVIMPORT_COLUMNS_MAX];
    size_t len[CSVIMPORT_COLUMNS_MAX];
    unsigned char flag[CSVIMPORT_COLUMNS_MAX];
    /* the header */
    bool have_header;
    struct column *cols;
    size_t ncols;
    size_t col_of[ROLE_N];
    size_t num_col;  /* the number: the mobile column if any, else the phone column */
    size_t alt_col;  /* with both: the phone column, read when the mobile cell is empty */
    size_t keep_col; /* this row's: alt_col when it is kept as a custom field, else NO_COL */
    /* scratch for one row */
    char nothing[1]; /* a writable "" for absent fields */
    struct buf json;
    char lang[STORE_CONTACT_LANG_MAX + 1];
    /* numbers seen: E.164 digits as an integer (no leading zero, at most 15
     * digits, so distinct numbers are distinct integers); 0 is an empty slot */
    uint64_t *seen;
    size_t seen_cap, seen_n;
    struct csvimport_report report;
};

static void on_field(void *s, size_t n, void *data);
static void on_record(int c, void *data);

/* --- errors and text ------------------------------------------------------------ */

/* Cuts s at its first invalid UTF-8 sequence if that is a truncated tail (a
 * message cut by snprintf), else replaces each bad byte with '?': a message
 * goes into JSON, which must be valid UTF-8. */
static void utf8_mend(char *s)
{
    size_t n = strlen(s), i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k > 0) {
            i += k;
        } else if (n - i < 4) {
            s[i] = '\0';
            return;
        } else {
            s[i++] = '?';
        }
    }
}

/* Copies at most max bytes of s into out (size > max + 3), cut at a
 * character boundary with "..." when longer. */
static void cut(char *out, size_t size, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        snprintf(out, size, "%s", s);
    } else {
        while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
            max--;
        snprintf(out, size, "%.*s...", (int)max, s);
    }
    utf8_mend(out);
}

static void fail(struct csvimport *imp, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct csvimport *imp, int code, const char *field, const char *fmt, ...)
{
    char msg[sizeof(imp->err.msg)];
    va_list ap;
    if (imp->rc)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_mend(msg);
    rl_err_set(&imp->err, code, field, "%s", msg);
    imp->rc = code;
}

/* Windows-1252's 0x80-0x9F; the five bytes it leaves undefined map to the C1
 * controls of the same value, as the WHATWG Encoding Standard does. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Writes s[0..n) read as Windows-1252 to out as UTF-8 (at most 3n bytes);
 * returns the length written. */
static size_t cp1252_to_utf8(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x80)
            out[o++] = (char)c;
        else
            o += utf8_encode(c < 0xA0 ? cp1252_high[c - 0x80] : c, out + o);
    }
    return o;
}

static int add_cp1252(struct buf *b, const unsigned char *s, size_t n)
{
    char tmp[3 * 256];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += 256) {
        size_t k = n - i < 256 ? n - i : 256;
        rc = buf_add(b, tmp, cp1252_to_utf8(s + i, k, tmp));
    }
    return rc;
}

/* True when s[0..n) is the start of a UTF-8 sequence cut short: a lead byte
 * and fewer continuation bytes than it announces. */
static bool utf8_truncated(const unsigned char *s, size_t n)
{
    size_t need = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
                  : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                  : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                                 : 0;
    if (n >= need)
        return false;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return false;
    }
    return true;
}

/* --- the phone check ------------------------------------------------------------ */

/* --- header --------------------------------------------------------------------- */

/* Latin-1 letters U+00C0-U+00FF without their accents ("" for × and ÷). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* A column name reduced to what it means: ASCII letters and digits, lower
 * case, accents dropped; "Téléphone portable" -> "telephoneportable". Returns
 * false when that is over size - 1 bytes (no known name is). */
static bool fold_name(const char *s, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0, i = 0;
    while (i < n) {
        uint32_t cp = p[i];
        size_t k = utf8_decode(p + i, n - i, &cp);
        const char *add = "";
        char one[2] = {0, 0};
        i += k ? k : 1;
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            one[0] = (char)cp;
            add = one;
        } else if (cp >= 0xC0 && cp <= 0xFF) {
            add = latin1_fold[cp - 0xC0];
        } else if (cp == 0x152 || cp == 0x153) {
            add = "oe";
        }
        size_t a = strlen(add);
        if (o + a >= size)
            return false;
        memcpy(out + o, add, a);
        o += a;
    }
    out[o] = '\0';
    return true;
}

/* Folded column names per role, each between spaces. "N° de téléphone"
 * folds to "ndetelephone": '°' is not a letter. */
static const char *const known_names[ROLE_N] = {
    [ROLE_PHONE] = (" phone phonenumber telephone telephonenumber tel numerodetelephone"
                    " numerotelephone numerodetel numerotel ndetelephone ntelephone ndetel ntel "),
    [ROLE_MOBILE] = (" mobile mobilephone mobilenumber mobilephonenumber portable telportable"
                     " telephoneportable telmobile telephonemobile numeroportable numerodeportable"
                     " numeromobile ndeportable nportable cell cellphone gsm msisdn "),
    [ROLE_EMAIL] = (" email emailaddress mail courriel mel adressecourriel adressedecourriel"
                    " adresseemail adressemail adresseelectronique "),
    [ROLE_FIRST] = " firstname prenom givenname forename ",
    [ROLE_LAST] = " lastname nom surname familyname nomdefamille ",
    [ROLE_LANG] = " language langue lang locale ",
    [ROLE_OPTOUT] = (" optout optedout stop stopsms unsubscribe unsubscribed desinscrit"
                     " desinscrite desinscription desabonne desabonnee "),
};

static const char *const role_names[ROLE_N] = {"phone",     "mobile number", "email",  "first name",
                                               "last name", "language",      "opt-out"};

static enum role role_of(const char *name)
{
    char f[34];
    if (name[0] == '\0')
        return ROLE_NONE;
    f[0] = ' ';
    if (!fold_name(name, f + 1, sizeof(f) - 2) || f[1] == '\0')
        return ROLE_CUSTOM;
    size_t n = strlen(f);
    f[n] = ' ';
    f[n + 1] = '\0';
    for (size_t r = 0; r < ROLE_N; r++) {
        if (strstr(known_names[r], f))
            return (enum role)r;
    }
    return ROLE_CUSTOM;
}

/* Appends s as a JSON string (quotes included) to b. s is valid UTF-8, which
 * JSON carries as is; only '"', '\\' and control characters are escaped. */
static int add_json_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_addch(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = buf_add(b, s + run, i - run);
        run = i + 1;
        if (rc == 0 && c == '"')
            rc = buf_add(b, "\\\"", 2);
        else if (rc == 0 && c == '\\')
            rc = buf_add(b, "\\\\", 2);
        else if (rc == 0 && c == '\n')
            rc = buf_add(b, "\\n", 2);
        else if (rc == 0 && c == '\r')
            rc = buf_add(b, "\\r", 2);
        else if (rc == 0 && c == '\t')
            rc = buf_add(b, "\\t", 2);
        else if (rc == 0) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = buf_add(b, u, sizeof(u));
        }
    }
    if (rc == 0)
        rc = buf_add(b, s + run, n - run);
    return rc == 0 ? buf_addch(b, '"') : rc;
}

/* Field i of the record without the spaces and tabs at either end (quoted
 * fields keep theirs from libcsv), NUL-terminated in place; "" for a field
 * past the record's end or not kept. */
static char *field(struct csvimport *imp, size_t i, size_t *len)
{
    if (i >= imp->nf || i >= CSVIMPORT_COLUMNS_MAX || (imp->flag[i] & F_LONG)) {
        *len = 0;
        imp->nothing[0] = '\0';
        return imp->nothing;
    }
    char *s = imp->rec.data + imp->off[i];
    size_t n = imp->len[i];
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    s[n] = '\0';
    imp->off[i] = (size_t)(s - imp->rec.data);
    imp->len[i] = n;
    *len = n;
    return s;
}

/* "'Nom', 'Prénom', 'E-mail'": the columns found, for the missing-phone error. */
static void list_columns(struct csvimport *imp, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < imp->ncols && o + 1 < size; i++) {
        char q[40];
        cut(q, sizeof(q), imp->cols[i].name, 24);
        int k = snprintf(out + o, size - o, "%s'%s'", i ? ", " : "", q);
        if (k < 0 || (size_t)k >= size - o) {
            snprintf(out + o, size - o, "...");
            break;
        }
        o += (size_t)k;
    }
    utf8_mend(out);
}

/* Makes column i a custom field's key, checking what a custom column must be. */
static void custom_key(struct csvimport *imp, size_t i, size_t *customs)
{
    struct column *c = &imp->cols[i];
    char q1[40];
    cut(q1, sizeof(q1), c->name, 32);
    if (strlen(c->name) > CONTACT_FIELD_KEY_MAX)
        fail(imp, RL_ETOOLONG, "header", "line %zu: column name '%s' is over %d bytes",
             imp->rec_line, q1, CONTACT_FIELD_KEY_MAX);
    if (++*customs > CONTACT_FIELDS_MAX)
        fail(imp, RL_ETOOLONG, "header", "line %zu: more than %d custom columns", imp->rec_line,
             CONTACT_FIELDS_MAX);
    for (size_t j = 0; j < imp->ncols; j++) {
        if (j != i && imp->cols[j].key && strcmp(imp->cols[j].name, c->name) == 0)
            fail(imp, RL_EPARSE, "header", "line %zu: column '%s' appears twice", imp->rec_line,
                 q1);
    }
    if (imp->rc)
        return;
    struct buf k;
    buf_init(&k, 0);
    add_json_string(&k, c->name, strlen(c->name));
    buf_addch(&k, ':');
    c->key = buf_detach(&k, &c->key_len);
}

static void add_column(struct csvimport *imp, size_t i, size_t *customs)
{
    struct column *c = &imp->cols[i];
    char q1[40], q2[40];
    if (c->role < ROLE_N) {
        size_t other = imp->col_of[c->role];
        if (other != NO_COL) {
            cut(q1, sizeof(q1), c->name, 32);
            cut(q2, sizeof(q2), imp->cols[other].name, 32);
            fail(imp, RL_EPARSE, "header",
                 "line %zu: columns '%s' and '%s' both read as the %s: rename one", imp->rec_line,
                 q2, q1, role_names[c->role]);
        }
        imp->col_of[c->role] = i;
    } else if (c->role == ROLE_CUSTOM) {
        custom_key(imp, i, customs);
    }
}

/* CRM exports often carry a mobile column and another phone column: the
 * mobile is the contact's number, the other its fallback when the mobile cell
 * is empty, and otherwise kept as a custom field under its own name. Either
 * one alone is the number. */
static void number_columns(struct csvimport *imp, size_t *customs)
{
    size_t ph = imp->col_of[ROLE_PHONE], mob = imp->col_of[ROLE_MOBILE];
    imp->num_col = mob != NO_COL ? mob : ph;
    imp->alt_col = mob != NO_COL && ph != NO_COL ? ph : NO_COL;
    if (imp->alt_col != NO_COL)
        custom_key(imp, imp->alt_col, customs);
}

static void read_header(struct csvimport *imp)
{
    size_t customs = 0;
    if (imp->nf > CSVIMPORT_COLUMNS_MAX) {
        fail(imp, RL_ETOOLONG, "header", "line %zu: the header has %zu columns (at most %d)",
             imp->rec_line, imp->nf, CSVIMPORT_COLUMNS_MAX);
        return;
    }
    for (size_t i = 0; i < imp->nf; i++) {
        if (imp->flag[i] & F_NUL)
            fail(imp, RL_EPARSE, "header",
                 "line %zu: the header holds a NUL byte: save the file as CSV UTF-8 (not UTF-16)",
                 imp->rec_line);
        if (imp->flag[i] & F_LONG)
            fail(imp, RL_ETOOLONG, "header", "line %zu: column %zu's name is over %d bytes",
                 imp->rec_line, i + 1, CSVIMPORT_FIELD_MAX);
    }
    if (imp->rc)
        return;
    imp->cols = xcalloc(imp->nf, sizeof(*imp->cols));
    imp->ncols = imp->nf;
    for (size_t i = 0; i < imp->ncols; i++) {
        size_t n;
        imp->cols[i].name = xstrdup(field(imp, i, &n));
        imp->cols[i].role = role_of(imp->cols[i].name);
        add_column(imp, i, &customs);
    }
    if (imp->rc == 0)
        number_columns(imp, &customs);
    if (imp->rc == 0 && imp->num_col == NO_COL) {
        char found[160];
        list_columns(imp, found, sizeof(found));
        fail(imp, RL_EPARSE, "header",
             "line %zu: no phone column among %s; name it phone, mobile, téléphone or portable",
             imp->rec_line, found);
    }
    imp->have_header = imp->rc == 0;
}

/* --- rows ----------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    /* splitmix64's finaliser: consecutive numbers land far apart. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void seen_put(uint64_t *t, size_t cap, uint64_t key)
{
    size_t i = (size_t)mix(key) & (cap - 1);
    while (t[i] != 0)
        i = (i + 1) & (cap - 1);
    t[i] = key;
}

/* Adds the number; false when it was there already. */
static bool seen_add(struct csvimport *imp, const char *e164)
{
    uint64_t key = 0;
    for (const char *d = e164 + 1; *d; d++)
        key = key * 10 + (uint64_t)(*d - '0');
    if ((imp->seen_n + 1) * 4 > imp->seen_cap * 3) {
        size_t cap = imp->seen_cap ? imp->seen_cap * 2 : 4096;
        uint64_t *t = xcalloc(cap, sizeof(*t));
        for (size_t i = 0; i < imp->seen_cap; i++) {
            if (imp->seen[i])
                seen_put(t, cap, imp->seen[i]);
        }
        free(imp->seen);
        imp->seen = t;
        imp->seen_cap = cap;
    }
    size_t i = (size_t)mix(key) & (imp->seen_cap - 1);
    for (; imp->seen[i] != 0; i = (i + 1) & (imp->seen_cap - 1)) {
        if (imp->seen[i] == key)
            return false;
    }
    imp->seen[i] = key;
    imp->seen_n++;
    return true;
}

static bool all_empty(const struct csvimport *imp)
{
    for (size_t i = 0; i < imp->nf && i < CSVIMPORT_COLUMNS_MAX; i++) {
        if (imp->flag[i] || imp->len[i] > 0) {
            /* Spaces alone count as empty. */
            const char *s = imp->rec.data + imp->off[i];
            if (imp->flag[i] || strspn(s, " \t") != imp->len[i])
                return false;
        }
    }
    return imp->nf <= CSVIMPORT_COLUMNS_MAX;
}

/* A name without control characters: each run of them (a line break in a
 * quoted field) becomes one space; then trimmed. Works in place. */
static char *clean_name(char *s, size_t *n)
{
    size_t o = 0;
    bool ctl = false;
    if (*n == 0)
        return s;
    for (size_t i = 0; i < *n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) {
            if (!ctl)
                s[o++] = ' ';
            ctl = true;
        } else {
            s[o++] = (char)c;
            ctl = false;
        }
    }
    while (o > 0 && s[o - 1] == ' ')
        o--;
    while (o > 0 && s[0] == ' ')
        s++, o--;
    s[o] = '\0';
    *n = o;
    return s;
}

static bool check_name(struct csvimport *imp, enum role r, const char **out, char *why, size_t wn)
{
    size_t c = imp->col_of[r], n;
    char *s = field(imp, c, &n);
    struct rl_err e;
    s = clean_name(s, &n);
    *out = n ? s : NULL;
    if (n == 0 || contact_name_check(s, n, r == ROLE_FIRST ? "first_name" : "last_name", &e) == 0)
        return true;
    char q[40];
    cut(q, sizeof(q), imp->cols[c].name, 32);
    snprintf(why, wn, "column '%s': %.180s", q, e.msg);
    return false;
}

static bool build_fields(struct csvimport *imp, char *why, size_t wn)
{
    struct buf *j = &imp->json;
    bool first = true;
    int rc = 0;
    buf_reset(j);
    rc = buf_addch(j, '{');
    for (size_t i = 0; i < imp->ncols && rc == 0; i++) {
        size_t n;
        if (imp->cols[i].role != ROLE_CUSTOM && i != imp->keep_col)
            continue;
        const char *v = field(imp, i, &n);
        if (n == 0)
            continue;
        if (!first)
            rc = buf_addch(j, ',');
        first = false;
        if (rc == 0)
            rc = buf_add(j, imp->cols[i].key, imp->cols[i].key_len);
        if (rc == 0)
            rc = add_json_string(j, v, n);
    }
    if (rc == 0)
        rc = buf_addch(j, '}');
    if (rc != 0)
        snprintf(why, wn, "custom fields are over %d bytes as JSON", STORE_CONTACT_FIELDS_MAX);
    return rc == 0;
}

/* Reads the opt-out cell: true when it says yes. Returns false with why set
 * for a value that says neither: a consent column is not guessed at. */
static bool read_optout(struct csvimport *imp, struct csvimport_row *row, char *why, size_t wn)
{
    static const char yes[] = " 1 yes y oui o true vrai x stop optout optedout unsubscribed"
                              " desinscrit desinscrite desabonne desabonnee ";
    static const char no[] = " 0 no n non false faux ";
    size_t c = imp->col_of[ROLE_OPTOUT], n;
    const char *v = field(imp, c, &n);
    char f[34];
    row->optout = false;
    if (n == 0)
        return true;
    f[0] = ' ';
    if (fold_name(v, f + 1, sizeof(f) - 2) && f[1]) {
        size_t k = strlen(f);
        f[k] = ' ';
        f[k + 1] = '\0';
        row->optout = strstr(yes, f) != NULL;
        if (row->optout || strstr(no, f))
            return true;
    }
    char q[40], qv[40];
    cut(q, sizeof(q), imp->cols[c].name, 32);
    cut(qv, sizeof(qv), v, 32);
    snprintf(why, wn,
             "column '%s': '%s' is neither yes (1, yes, oui, true, x) nor no (0, no, non, "
             "false, empty)",
             q, qv);
    return false;
}

/* The checks that make a row invalid, in csvimport.h's order; why gets the
 * first failure. */
static bool check_row(struct csvimport *imp, struct csvimport_row *row, char *why, size_t wn)
{
    size_t n;
    if (imp->nf > CSVIMPORT_COLUMNS_MAX) {
        snprintf(why, wn, "has %zu fields (at most %d)", imp->nf, CSVIMPORT_COLUMNS_MAX);
        return false;
    }
    if (imp->nf != imp->ncols) {
        snprintf(why, wn, "has %zu field%s where the header has %zu", imp->nf,
                 imp->nf == 1 ? "" : "s", imp->ncols);
        return false;
    }
    for (size_t i = 0; i < imp->nf; i++) {
        char q[40];
        if (imp->flag[i] == 0)
            continue;
        cut(q, sizeof(q), imp->cols[i].name, 32);
        if (imp->flag[i] & F_LONG)
            snprintf(why, wn, "column '%s' is over %d bytes", q, CSVIMPORT_FIELD_MAX);
        else
            snprintf(why, wn, "column '%s' holds a NUL byte", q);
        return false;
    }
    if (!check_name(imp, ROLE_FIRST, &row->first_name, why, wn) ||
        !check_name(imp, ROLE_LAST, &row->last_name, why, wn) || !build_fields(imp, why, wn) ||
        !read_optout(imp, row, why, wn))
        return false;
    row->fields = imp->json.data;
    if (row->phone_raw[0] == '\0') {
        char q[40], q2[40];
        cut(q, sizeof(q), imp->cols[imp->num_col].name, 32);
        if (imp->alt_col == NO_COL) {
            snprintf(why, wn, "no phone number in column '%s'", q);
        } else {
            cut(q2, sizeof(q2), imp->cols[imp->alt_col].name, 32);
            snprintf(why, wn, "no phone number in columns '%s' and '%s'", q, q2);
        }
        return false;
    }
    struct rl_err e;
    if (phone_parse_typed(row->phone_raw, strlen(row->phone_raw),
                          imp->has_region ? imp->region : NULL, &row->phone, &e) != 0) {
        snprintf(why, wn, "%s", e.msg);
        return false;
    }
    const char *s = field(imp, imp->col_of[ROLE_EMAIL], &n);
    if (n > 0 && contact_email_check(s, n, NULL) == 0)
        row->email = s;
    row->email_dropped = n > 0 && !row->email;
    s = field(imp, imp->col_of[ROLE_LANG], &n);
    if (n > 0 && contact_language_norm(s, n, imp->lang, NULL) == 0)
        row->language = imp->lang;
    row->language_dropped = n > 0 && !row->language;
    return true;
}

static void add_invalid(struct csvimport *imp, const struct csvimport_row *row, const char *why)
{
    struct csvimport_report *r = &imp->report;
    r->invalid_total++;
    if (r->invalid_n == CSVIMPORT_INVALID_MAX)
        return;
    if (r->invalid_n % 64 == 0)
        r->invalid = xrealloc(r->invalid, (r->invalid_n + 64) * sizeof(*r->invalid));
    struct csvimport_invalid *e = &r->invalid[r->invalid_n++];
    e->line = row->line;
    cut(e->value, sizeof(e->value), row->phone_raw, CSVIMPORT_VALUE_MAX);
    snprintf(e->reason, sizeof(e->reason), "%s", why);
    utf8_mend(e->reason);
}

static void read_row(struct csvimport *imp)
{
    struct csvimport_report *r = &imp->report;
    struct csvimport_row row = {
        .line = imp->rec_line, .phone_raw = "", .reason = "", .fields = "{}"};
    char why[256] = "";
    size_t n;
    if (all_empty(imp))
        return;
    if (++r->rows > imp->rows_max) {
        r->rows--;
        fail(imp, RL_ETOOLONG, "csv", "line %zu: the file has more than %zu rows: split it",
             imp->rec_line, imp->rows_max);
        return;
    }
    row.phone.type = PHONE_TYPE_UNKNOWN;
    row.phone_raw = field(imp, imp->num_col, &n);
    imp->keep_col = imp->alt_col;
    if (n == 0 && imp->alt_col != NO_COL) {
        row.phone_raw = field(imp, imp->alt_col, &n);
        imp->keep_col = NO_COL;
    }
    if (!check_row(imp, &row, why, sizeof(why))) {
        utf8_mend(why);
        row.status = CSVIMPORT_INVALID;
        row.reason = why;
        row.optout = false;
        row.first_name = row.last_name = NULL;
        row.fields = "{}";
        memset(&row.phone, 0, sizeof(row.phone));
        row.phone.type = PHONE_TYPE_UNKNOWN;
        add_invalid(imp, &row, why);
    } else {
        r->emails_dropped += row.email_dropped;
        r->languages_dropped += row.language_dropped;
        if (!seen_add(imp, row.phone.e164)) {
            row.status = CSVIMPORT_DUPLICATE;
            r->duplicates_file++;
        } else if (phone_is_mobile_type(row.phone.type)) {
            row.status = CSVIMPORT_MOBILE;
        } else {
            row.status = CSVIMPORT_NON_MOBILE;
            r->non_mobile++;
        }
    }
    int rc = imp->on_row(imp->ctx, &row);
    if (rc != 0)
        fail(imp, rc, "csv", "line %zu: the import stopped: %s", row.line, rl_strerror(rc));
}

/* --- libcsv --------------------------------------------------------------------- */

static void on_field(void *s, size_t n, void *data)
{
    struct csvimport *imp = data;
    size_t i = imp->nf++;
    int rc = 0;
    if (imp->rc || i >= CSVIMPORT_COLUMNS_MAX)
        return;
    imp->flag[i] = 0;
    imp->off[i] = imp->rec.len;
    if (n > CSVIMPORT_FIELD_MAX)
        imp->flag[i] = F_LONG;
    else if (memchr(s, '\0', n))
        imp->flag[i] = F_NUL;
    if (imp->flag[i] & F_LONG)
        n = 0;
    if (imp->enc == ENC_UTF8 && utf8_validate(s, n, NULL) != 0)
        rc = add_cp1252(&imp->rec, s, n);
    else
        rc = buf_add(&imp->rec, s, n);
    imp->len[i] = imp->rec.len - imp->off[i];
    if (rc == 0)
        rc = buf_addch(&imp->rec, '\0');
    (void)rc; /* rec has no cap: its size is bounded by the field and column caps */
}

static void on_record(int c, void *data)
{
    struct csvimport *imp = data;
    (void)c;
    if (imp->rc == 0 && !imp->have_header)
        read_header(imp);
    else if (imp->rc == 0)
        read_row(imp);
    buf_reset(&imp->rec);
    imp->nf = 0;
    imp->between = true;
}

/* libcsv's entry buffer grows through this: past the hard cap it fails, and
 * csv_parse stops with CSV_ENOMEM instead of swallowing the rest of a file
 * behind an unclosed quote. */
static void *csv_grow(void *p, size_t n)
{
    return n > CSVIMPORT_FIELD_HARD_MAX ? NULL : xrealloc(p, n);
}

/* Spaces libcsv drops around unquoted fields: the other line end byte too,
 * so that the CR of a CRLF is dropped from the last field. */
static int space_lf(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int space_cr(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static int term_lf(unsigned char c)
{
    return c == '\n';
}

static int term_cr(unsigned char c)
{
    return c == '\r';
}

/* True when libcsv, between records, would begin one within s[0..n): a byte
 * that is neither a space it skips (the delimiter is never one) nor a line end. */
static bool starts_record(const struct csvimport *imp, const char *s, size_t n)
{
    int (*space)(unsigned char) = imp->nl == '\r' ? space_cr : space_lf;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != imp->nl && (!space(c) || c == (unsigned char)imp->delim))
            return true;
    }
    return false;
}

static void csv_push(struct csvimport *imp, const char *p, size_t n)
{
    while (n > 0 && imp->rc == 0) {
        const char *end = memchr(p, imp->nl, n);
        size_t k = end ? (size_t)(end - p) + 1 : n;
        if (imp->between && starts_record(imp, p, k)) {
            imp->rec_line = imp->line;
            imp->between = false;
        }
        if (csv_parse(&imp->csv, p, k, on_field, on_record, imp) != k)
            fail(imp, RL_ETOOLONG, "csv",
                 "line %zu: a field is over %d bytes: is a quote left open?", imp->rec_line,
                 CSVIMPORT_FIELD_HARD_MAX);
        if (end)
            imp->line++;
        p += k;
        n -= k;
    }
}

/* --- stage 3: the header line --------------------------------------------------- */

/* Scans the held bytes; true once the header line (the first that is not
 * blank) has ended, or at the end of the file. Quotes are toggled on every
 * '"' (a doubled one toggles twice), close enough to tell where the line ends. */
static bool sniff_scan(struct csvimport *imp, bool at_eof)
{
    const unsigned char *s = (const unsigned char *)imp->sniff.data;
    size_t n = imp->sniff.len;
    for (; imp->scanned < n; imp->scanned++) {
        unsigned char c = s[imp->scanned];
        if (c == '"') {
            imp->in_quotes = !imp->in_quotes;
            imp->line_blank = false;
            continue;
        }
        if (imp->in_quotes)
            continue;
        if (imp->nl == 0 && c == '\r') {
            /* CRLF or a lone CR: the next byte says. */
            if (imp->scanned + 1 == n)
                return at_eof;
            imp->nl = s[imp->scanned + 1] == '\n' ? '\n' : '\r';
        } else if (imp->nl == 0 && c == '\n') {
            imp->nl = '\n';
        }
        if (c == imp->nl && !imp->line_blank)
            return true;
        imp->count[0] += c == ';';
        imp->count[1] += c == ',';
        imp->count[2] += c == '\t';
        if (c != ' ' && c != '\r' && c != '\n')
            imp->line_blank = false;
    }
    return at_eof;
}

static void sniff_done(struct csvimport *imp)
{
    static const char delims[3] = {';', ',', '\t'};
    size_t best = 0;
    for (size_t i = 1; i < 3; i++) {
        if (imp->count[i] > imp->count[best])
            best = i;
    }
    imp->delim = delims[best];
    if (imp->nl == 0)
        imp->nl = '\n';
    csv_set_delim(&imp->csv, (unsigned char)imp->delim);
    csv_set_space_func(&imp->csv, imp->nl == '\r' ? space_cr : space_lf);
    csv_set_term_func(&imp->csv, imp->nl == '\r' ? term_cr : term_lf);
    imp->sniffed = true;
    struct buf held = imp->sniff;
    buf_init(&imp->sniff, 0);
    csv_push(imp, held.data, held.len);
    buf_release(&held);
}

static void sniff_push(struct csvimport *imp, const char *p, size_t n)
{
    while (n > 0 && !imp->sniffed && imp->rc == 0) {
        /* A piece at a time, so that a big chunk holding the header and many
         * rows is not held whole. */
        size_t k = n < 4096 ? n : 4096;
        if (imp->sniff.len + k > CSVIMPORT_HEADER_MAX)
            k = CSVIMPORT_HEADER_MAX - imp->sniff.len;
        if (k == 0) {
            fail(imp, RL_ETOOLONG, "header",
                 "the header line is over %d bytes (or a quote in it is never closed)",
                 CSVIMPORT_HEADER_MAX);
            return;
        }
        buf_add(&imp->sniff, p, k);
        p += k;
        n -= k;
        if (sniff_scan(imp, false))
            sniff_done(imp);
    }
    if (n > 0 && imp->sniffed)
        csv_push(imp, p, n);
}

/* --- stages 1 and 2: byte order mark and encoding ------------------------------- */

static void enc_push(struct csvimport *imp, const unsigned char *p, size_t n);

/* Decides the encoding from the held window and lets it through. */
static void enc_decide(struct csvimport *imp, bool at_eof)
{
    const unsigned char *s = (const unsigned char *)imp->hold.data;
    size_t n = imp->hold.len, i = 0;
    imp->enc = ENC_UTF8;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0) {
            /* A sequence cut by the window's end is not evidence. */
            if (at_eof || !utf8_truncated(s + i, n - i))
                imp->enc = ENC_CP1252;
            break;
        }
        i += k;
    }
    struct buf held = imp->hold;
    buf_init(&imp->hold, 0);
    enc_push(imp, (const unsigned char *)held.data, held.len);
    buf_release(&held);
}

static void enc_push(struct csvimport *imp, const unsigned char *p, size_t n)
{
    while (n > 0 && imp->rc == 0) {
        if (imp->enc == ENC_UTF8) {
            sniff_push(imp, (const char *)p, n);
            return;
        }
        if (imp->enc == ENC_CP1252) {
            char tmp[3 * 1024];
            size_t k = n < 1024 ? n : 1024;
            sniff_push(imp, tmp, cp1252_to_utf8(p, k, tmp));
            p += k;
            n -= k;
            continue;
        }
        if (imp->hold.len == 0) {
            size_t k = 0;
            while (k < n && p[k] < 0x80)
                k++;
            sniff_push(imp, (const char *)p, k);
            p += k;
            n -= k;
            if (n == 0)
                return;
        }
        size_t room = CSVIMPORT_SNIFF_MAX - imp->hold.len;
        size_t k = n < room ? n : room;
        buf_add(&imp->hold, p, k);
        p += k;
        n -= k;
        if (imp->hold.len == CSVIMPORT_SNIFF_MAX)
            enc_decide(imp, false);
    }
}

static void bom_push(struct csvimport *imp, const unsigned char *p, size_t n, bool at_eof)
{
    if (!imp->head_done) {
        while (n > 0 && imp->head_n < 3) {
            imp->head[imp->head_n++] = *p++;
            n--;
        }
        if (imp->head_n < 3 && !at_eof)
            return;
        imp->head_done = true;
        const unsigned char *h = imp->head;
        if (imp->head_n >= 2 &&
            ((h[0] == 0xFF && h[1] == 0xFE) || (h[0] == 0xFE && h[1] == 0xFF))) {
            fail(imp, RL_EPARSE, "header",
                 "the file is UTF-16: save it as CSV UTF-8 (or CSV with ';' separators)");
            return;
        }
        if (imp->head_n == 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
            imp->enc = ENC_UTF8;
        else
            enc_push(imp, h, imp->head_n);
    }
    if (n > 0)
        enc_push(imp, p, n);
}

/* --- the object ----------------------------------------------------------------- */

int csvimport_new(const struct csvimport_opts *o, struct csvimport **out, struct rl_err *err)
{
    *out = NULL;
    if (!o->on_row)
        return rl_err_set(err, RL_EINVAL, "on_row", "no row callback");
    if (o->region && !phone_region_valid(o->region)) {
        char q[16];
        cut(q, sizeof(q), o->region, 8);
        return rl_err_set(err, RL_EINVAL, "region", "unknown region '%s'", q);
    }
    struct csvimport *imp = xcalloc(1, sizeof(*imp));
    if (o->region) {
        imp->region[0] = (char)(o->region[0] & ~0x20);
        imp->region[1] = (char)(o->region[1] & ~0x20);
        imp->has_region = true;
    }
    imp->on_row = o->on_row;
    imp->ctx = o->ctx;
    imp->rows_max = o->rows_max ? o->rows_max : CSVIMPORT_ROWS_MAX;
    buf_init(&imp->hold, 0);
    buf_init(&imp->sniff, 0);
    buf_init(&imp->rec, 0);
    buf_init(&imp->json, STORE_CONTACT_FIELDS_MAX);
    imp->line_blank = true;
    imp->line = 1;
    imp->between = true;
    for (size_t r = 0; r < ROLE_N; r++)
        imp->col_of[r] = NO_COL;
    imp->num_col = imp->alt_col = imp->keep_col = NO_COL;
    csv_init(&imp->csv, 0);
    csv_set_realloc_func(&imp->csv, csv_grow);
    csv_set_blk_size(&imp->csv, 1024);
    *out = imp;
    return 0;
}

void csvimport_free(struct csvimport *imp)
{
    if (!imp)
        return;
    csv_free(&imp->csv);
    buf_release(&imp->hold);
    buf_release(&imp->sniff);
    buf_release(&imp->rec);
    buf_release(&imp->json);
    for (size_t i = 0; i < imp->ncols; i++) {
        free(imp->cols[i].name);
        free(imp->cols[i].key);
    }
    free(imp->cols);
    free(imp->seen);
    free(imp->report.invalid);
    free(imp);
}

static int outcome(const struct csvimport *imp, struct rl_err *err)
{
    if (imp->rc && err)
        *err = imp->err;
    return imp->rc;
}

int csvimport_feed(struct csvimport *imp, const void *data, size_t len, struct rl_err *err)
{
    if (imp->finished && imp->rc == 0)
        return rl_err_set(err, RL_EINVAL, "csv", "bytes fed after the end of the file");
    if (imp->rc == 0 && len > 0)
        bom_push(imp, data, len, false);
    return outcome(imp, err);
}

int csvimport_finish(struct csvimport *imp, struct rl_err *err)
{
    if (imp->rc == 0 && !imp->finished) {
        imp->finished = true;
        bom_push(imp, NULL, 0, true);
        if (imp->rc == 0 && imp->enc == ENC_UNKNOWN && imp->hold.len > 0)
            enc_decide(imp, true);
        if (imp->rc == 0 && !imp->sniffed) {
            sniff_scan(imp, true);
            sniff_done(imp);
        }
        if (imp->rc == 0)
            csv_fini(&imp->csv, on_field, on_record, imp);
        if (imp->rc == 0 && !imp->have_header)
            fail(imp, RL_EPARSE, "header", "the file has no header row (it is empty)");
    }
    return outcome(imp, err);
}

struct csvimport_report *csvimport_report(struct csvimport *imp)
{
    return &imp->report;
}

char csvimport_delimiter(const struct csvimport *imp)
{
    return imp->sniffed ? imp->delim : 0;
}

const char *csvimport_encoding(const struct csvimport *imp)
{
    return imp->enc == ENC_UTF8 ? "utf-8" : imp->enc == ENC_CP1252 ? "windows-1252" : "ascii";
}

json_t *csvimport_report_json(const struct csvimport_report *r)
{
    json_t *inv = json_array();
    for (size_t i = 0; i < r->invalid_n; i++) {
        const struct csvimport_invalid *e = &r->invalid[i];
        json_array_append_new(inv, json_pack("{s:I,s:s,s:s}", "line", (json_int_t)e->line, "value",
                                             e->value, "reason", e->reason));
    }
    json_t *o =
        json_pack("{s:I,s:I,s:I,s:I,s:o,s:I,s:I}", "rows", (json_int_t)r->rows, "created",
                  (json_int_t)r->created, "updated", (json_int_t)r->updated, "duplicates",
                  (json_int_t)(r->duplicates_file + r->duplicates_list), "invalid", inv,
                  "non_mobile", (json_int_t)r->non_mobile, "opted_out", (json_int_t)r->opted_out);
    if (o && r->invalid_total > r->invalid_n)
        json_object_set_new(o, "invalid_total", json_integer((json_int_t)r->invalid_total));
    return o;
}

#include "text/template.h"

#include <stdint.h>
#include <string.h>

#include "text/utf8.h"
#include "core/banned.h"

/* Room for the known names in "unknown field '<47 bytes>' (known: ...)" within
 * struct rl_err's 256-byte message. */
#define KNOWN_MAX 180

/* One piece of a template: literal text, or a placeholder. */
struct tok {
    bool field;
    const char *text; /* literal text */
    size_t text_len;
    const char *name;
    size_t name_len;
    bool has_fallback;
    const char *fallback;
    size_t fallback_len;
};

static bool name_start(unsigned char c)
{
    unsigned char l = c | 0x20;
    return c == '_' || (l >= 'a' && l <= 'z');
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* ASCII-only on purpose: names are ASCII, and strcasecmp would follow the locale. */
static bool same_name(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (y >= 'A' && y <= 'Z')
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

/* Tries the placeholder opened by s[i] == '#'. Returns its length, or 0 when that
 * '#' is literal text. Each scan stops at the next '#' at the latest, so reading a
 * whole template stays linear whatever its mix of '#'. */
static size_t placeholder(const char *s, size_t n, size_t i, struct tok *t)
{
    size_t j = i + 1;
    if (j >= n || !name_start((unsigned char)s[j]))
        return 0;
    while (j < n && name_char((unsigned char)s[j]))
        j++;
    if (j >= n || (s[j] != '#' && s[j] != '|'))
        return 0;
    t->name = s + i + 1;
    t->name_len = j - i - 1;
    t->has_fallback = s[j] == '|';
    if (!t->has_fallback)
        return j + 1 - i;
    size_t f = ++j;
    while (j < n && s[j] != '#' && s[j] != '\n' && s[j] != '\r')
        j++;
    if (j >= n || s[j] != '#')
        return 0;
    t->fallback = s + f;
    t->fallback_len = j - f;
    return j + 1 - i;
}

/* Reads the token at *pos. Returns 1, 0 at the end of the template, or
 * RL_ETOOLONG for a placeholder whose name is over TEMPLATE_NAME_MAX. */
static int next_tok(const char *s, size_t n, size_t *pos, struct tok *t, struct rl_err *err)
{
    size_t i = *pos;
    if (i >= n)
        return 0;
    memset(t, 0, sizeof(*t));
    if (s[i] != '#') {
        const char *h = memchr(s + i, '#', n - i);
        size_t end = h ? (size_t)(h - s) : n;
        t->text = s + i;
        t->text_len = end - i;
        *pos = end;
        return 1;
    }
    size_t k = placeholder(s, n, i, t);
    if (k > 0 && t->name_len > TEMPLATE_NAME_MAX)
        return rl_err_set(err, RL_ETOOLONG, "template",
                          "field name at byte %zu is %zu bytes; the limit is %d", i + 1,
                          t->name_len, TEMPLATE_NAME_MAX);
    if (k > 0) {
        t->field = true;
        *pos = i + k;
        return 1;
    }
    /* "##" and a '#' that opens no placeholder both stand for one '#'. */
    t->text = s + i;
    t->text_len = 1;
    *pos = i + (i + 1 < n && s[i + 1] == '#' ? 2 : 1);
    return 1;
}

static int check_template(const char *s, size_t n, struct rl_err *err)
{
    size_t bad = 0;
    if (n > TEMPLATE_MAX)
        return rl_err_set(err, RL_ETOOLONG, "template", "template is %zu bytes; the limit is %d", n,
                          TEMPLATE_MAX);
    if (utf8_validate(s, n, &bad) != 0)
        return rl_err_set(err, RL_EUTF8, "template", "template is not valid UTF-8 at byte %zu",
                          bad);
    return 0;
}

static int add_out(struct buf *out, const char *p, size_t n, struct rl_err *err)
{
    if (buf_add(out, p, n) == 0)
        return 0;
    return rl_err_set(err, RL_ETOOLONG, "text", "rendered text is over the %zu-byte limit",
                      out->max);
}

static int unknown_field(const char *name, const struct template_data *d, struct rl_err *err)
{
    struct buf known;
    buf_init(&known, KNOWN_MAX);
    if (d && d->known)
        d->known(d->ctx, &known);
    int rc = rl_err_set(err, RL_EFIELD, name, "unknown field '%s' (known: %s)", name,
                        known.len ? known.data : "none");
    buf_release(&known);
    return rc;
}

static int add_field(const struct tok *t, const struct template_data *d, struct buf *out,
                     struct rl_err *err)
{
    char name[TEMPLATE_NAME_MAX + 1];
    const char *v = NULL;
    size_t vlen = 0, bad = 0;
    int found = d && d->get ? d->get(d->ctx, t->name, t->name_len, &v, &vlen) : 0;
    memcpy(name, t->name, t->name_len);
    name[t->name_len] = '\0';
    if (found < 0)
        return rl_err_set(err, found, name, "field '%s' has no text value", name);
    if (found > 0 && v && vlen > 0) {
        /* The size test first: a value that cannot fit is not worth validating. */
        if (vlen <= out->max - out->len && utf8_validate(v, vlen, &bad) != 0)
            return rl_err_set(err, RL_EUTF8, name,
                              "value of field '%s' is not valid UTF-8 at byte %zu", name, bad);
        return add_out(out, v, vlen, err);
    }
    if (t->has_fallback)
        return add_out(out, t->fallback, t->fallback_len, err);
    if (found > 0)
        return 0;
    return unknown_field(name, d, err);
}

int template_render(const char *tpl, size_t len, const struct template_data *data, size_t max_out,
                    struct buf *out, struct rl_err *err)
{
    struct tok t;
    size_t pos = 0;
    buf_init(out, max_out ? max_out : TEMPLATE_MAX);
    int rc = check_template(tpl, len, err);
    while (rc == 0 && (rc = next_tok(tpl, len, &pos, &t, err)) == 1) {
        if (t.field)
            rc = add_field(&t, data, out, err);
        else
            rc = add_out(out, t.text, t.text_len, err);
    }
    return rc;
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || n > TEMPLATE_NAME_MAX || !name_start((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (!name_char((unsigned char)s[i]))
            return false;
    }
    return true;
}

void template_known_add(struct buf *out, const char *name, size_t len)
{
    static const char more[] = "...";
    size_t sep = out->len ? 2 : 0;
    /* A name no placeholder could reference would only be noise in the message. */
    if (!valid_name(name, len) || (out->max && out->len >= out->max))
        return;
    /* Each name leaves room for a later ", ...", so the marker always fits. */
    if (!out->max || out->len + sep + len + 2 + strlen(more) <= out->max) {
        buf_add(out, ", ", sep);
        buf_add(out, name, len);
        return;
    }
    buf_add(out, ", ", sep);
    buf_add(out, more, strlen(more));
    /* Closes the buffer, so that later names are dropped rather than listed after
     * the "...". */
    out->max = out->len;
}

static int note_field(const struct tok *t, struct template_field *out, size_t max, size_t *n,
                      struct rl_err *err)
{
    for (size_t i = 0; i < *n; i++) {
        if (out[i].len == t->name_len && same_name(out[i].name, t->name, t->name_len)) {
            out[i].required = out[i].required || !t->has_fallback;
            return 0;
        }
    }
    if (*n >= max)
        return rl_err_set(err, RL_ETOOLONG, "template",
                          "template uses more than %zu distinct fields", max);
    out[*n] = (struct template_field){t->name, t->name_len, !t->has_fallback};
    (*n)++;
    return 0;
}

int template_fields(const char *tpl, size_t len, struct template_field *out, size_t max, size_t *n,
                    struct rl_err *err)
{
    struct tok t;
    size_t pos = 0;
    *n = 0;
    int rc = check_template(tpl, len, err);
    while (rc == 0 && (rc = next_tok(tpl, len, &pos, &t, err)) == 1)
        rc = t.field ? note_field(&t, out, max, n, err) : 0;
    return rc;
}

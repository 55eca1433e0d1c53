/* Arbitrary templates and data. Byte 0 sets the output cap (0: the default, else
 * 4 bytes a step), then the template up to the first NUL, then the data as
 * "key=value" lines ("key" alone: a field the lookup refuses). Invariants: a
 * render that succeeds gives valid UTF-8 within the cap, leaves a template
 * without '#' unchanged, and had every field template_fields calls required; a
 * render that fails on an unknown field names a required field the data lacks. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/template.h"
#include "text/utf8.h"
#include "core/banned.h"

#define MAX_LINES 8

struct line {
    const char *key, *value; /* value NULL: refused */
    size_t key_len, value_len;
};

struct data {
    struct line l[MAX_LINES];
    size_t n;
};

static bool same_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x | 0x20 : x) != (y >= 'A' && y <= 'Z' ? y | 0x20 : y))
            return false;
    }
    return true;
}

static const struct line *find(const struct data *d, const char *name, size_t len)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->l[i].key_len == len && same_ci(d->l[i].key, name, len))
            return &d->l[i];
    }
    return NULL;
}

static int get(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
    const struct line *l = find(ctx, name, len);
    if (!l)
        return 0;
    if (!l->value)
        return RL_EINVAL;
    *value = l->value;
    *value_len = l->value_len;
    return 1;
}

static void known(void *ctx, struct buf *out)
{
    const struct data *d = ctx;
    for (size_t i = 0; i < d->n; i++)
        template_known_add(out, d->l[i].key, d->l[i].key_len);
}

static void parse_data(const char *p, size_t n, struct data *d)
{
    d->n = 0;
    while (n > 0 && d->n < MAX_LINES) {
        const char *nl = memchr(p, '\n', n);
        size_t len = nl ? (size_t)(nl - p) : n;
        const char *eq = memchr(p, '=', len);
        struct line *l = &d->l[d->n++];
        l->key = p;
        l->key_len = eq ? (size_t)(eq - p) : len;
        l->value = eq ? eq + 1 : NULL;
        l->value_len = eq ? len - l->key_len - 1 : 0;
        p += len + (nl != NULL);
        n -= len + (nl != NULL);
    }
}

/* What template_fields says must agree with what the render did. */
static void check_fields(const char *tpl, size_t len, const struct data *d, int rc,
                         const struct rl_err *err)
{
    struct template_field f[64];
    size_t n = 0;
    int frc = template_fields(tpl, len, f, 64, &n, NULL);
    if (frc == RL_EUTF8 && rc != RL_EUTF8)
        abort();
    if (frc != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && f[i].required && !find(d, f[i].name, f[i].len))
            abort();
    }
    if (rc == RL_EFIELD) {
        size_t k = strlen(err->field);
        bool listed = false;
        for (size_t i = 0; i < n; i++)
            listed = listed || (f[i].len == k && same_ci(f[i].name, err->field, k));
        if (!listed || find(d, err->field, k))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = (size_t)in[0] * 4;
    const char *tpl = (const char *)in + 1;
    const char *nul = memchr(tpl, '\0', size - 1);
    size_t len = nul ? (size_t)(nul - tpl) : size - 1;
    struct data d;
    parse_data(nul ? nul + 1 : tpl + len, nul ? size - 2 - len : 0, &d);

    struct template_data td = {get, known, &d};
    struct buf out;
    struct rl_err err = {0};
    int rc = template_render(tpl, len, &td, cap, &out, &err);
    if (rc == 0) {
        if (out.len > (cap ? cap : TEMPLATE_MAX) || out.data[out.len] != '\0')
            abort();
        if (utf8_validate(out.data, out.len, NULL) != 0)
            abort();
        if (!memchr(tpl, '#', len) && (out.len != len || memcmp(out.data, tpl, len) != 0))
            abort();
    } else if (err.code != rc || err.msg[0] == '\0') {
        abort();
    }
    check_fields(tpl, len, &d, rc, &err);
    buf_release(&out);
    return 0;
}

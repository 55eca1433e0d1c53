#include "domain/contact.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/utf8.h"
#include "core/banned.h"

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int bad_email(struct rl_err *err, const char *s, size_t len, const char *why)
{
    return rl_err_set(err, RL_EINVAL, "email", "e-mail '%.*s' %s", (int)(len > 40 ? 40 : len), s,
                      why);
}

/* One label of a domain: not empty, no '-' at either end. Non-ASCII bytes pass
 * (internationalised domains are written in UTF-8 by people). */
static bool label_ok(const char *l, size_t n)
{
    if (n == 0 || n > 63 || l[0] == '-' || l[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c < 0x80 && !is_alnum((char)c) && c != '-')
            return false;
    }
    return true;
}

int contact_email_check(const char *s, size_t len, struct rl_err *err)
{
    if (len < 3 || len > STORE_CONTACT_EMAIL_MAX)
        return bad_email(err, s, len, "is not 3 to 254 bytes long");
    if (utf8_validate(s, len, NULL) != 0)
        return bad_email(err, s, len, "is not valid UTF-8");
    const char *at = memchr(s, '@', len);
    if (!at || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return bad_email(err, s, len, "needs exactly one '@'");
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64)
        return bad_email(err, s, len, "needs 1 to 64 bytes before the '@'");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>[\\]", c))
            return bad_email(err, s, len,
                             "holds a space, a control character or one of \"(),:;<>[\\]");
    }
    const char *d = at + 1, *end = s + len;
    size_t labels = 0;
    while (d <= end) {
        const char *dot = memchr(d, '.', (size_t)(end - d));
        const char *stop = dot ? dot : end;
        if (!label_ok(d, (size_t)(stop - d)))
            return bad_email(err, s, len, "has no valid domain after the '@'");
        labels++;
        d = stop + 1;
    }
    if (labels < 2)
        return bad_email(err, s, len, "has no dot in its domain");
    return 0;
}

int contact_language_norm(const char *s, size_t len, char out[STORE_CONTACT_LANG_MAX + 1],
                          struct rl_err *err)
{
    size_t i = 0, sub = 0;
    if (len == 0 || len > STORE_CONTACT_LANG_MAX)
        goto bad;
    while (i < len) {
        size_t start = i;
        while (i < len && is_alnum(s[i]))
            i++;
        size_t n = i - start;
        bool alpha = true;
        for (size_t k = start; k < i; k++)
            alpha = alpha && is_alpha(s[k]);
        if (sub == 0 ? (n < 2 || n > 3 || !alpha) : (n < 1 || n > 8))
            goto bad;
        for (size_t k = start; k < i; k++) {
            /* The registry's case: script Title (Latn), region UPPER (FR). */
            bool up = sub > 0 && ((n == 2 && alpha) || (n == 4 && alpha && k == start));
            out[k] = up ? upper(s[k]) : lower(s[k]);
        }
        if (i < len) {
            if ((s[i] != '-' && s[i] != '_') || i + 1 == len)
                goto bad;
            out[i++] = '-';
        }
        sub++;
    }
    out[len] = '\0';
    return 0;
bad:
    out[0] = '\0';
    return rl_err_set(err, RL_EINVAL, "language",
                      "language '%.*s' is not a language tag such as fr, en or fr-FR",
                      (int)(len > 40 ? 40 : len), s);
}

int contact_name_check(const char *s, size_t len, const char *field, struct rl_err *err)
{
    if (len == 0)
        return rl_err_set(err, RL_EINVAL, field, "%s is empty", field);
    if (len > STORE_CONTACT_NAME_MAX)
        return rl_err_set(err, RL_ETOOLONG, field, "%s is %zu bytes (at most %d)", field, len,
                          STORE_CONTACT_NAME_MAX);
    if (utf8_validate(s, len, NULL) != 0)
        return rl_err_set(err, RL_EINVAL, field, "%s is not valid UTF-8", field);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return rl_err_set(err, RL_EINVAL, field, "%s '%.*s' holds a control character", field,
                              (int)(len > 40 ? 40 : len), s);
    }
    return 0;
}

char *contact_fields_json(const json_t *obj, bool allow_null, struct rl_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj)) {
        rl_err_set(err, RL_EINVAL, "fields", "fields must be an object");
        return NULL;
    }
    if (json_object_size(obj) > CONTACT_FIELDS_MAX) {
        rl_err_set(err, RL_ETOOLONG, "fields", "fields has %zu members (at most %d)",
                   json_object_size(obj), CONTACT_FIELDS_MAX);
        return NULL;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t n = strlen(key);
        if (n == 0 || n > CONTACT_FIELD_KEY_MAX) {
            rl_err_set(err, RL_EINVAL, "fields",
                       "custom field name '%.40s' is not 1 to %d bytes long", key,
                       CONTACT_FIELD_KEY_MAX);
            return NULL;
        }
        if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v) ||
              (allow_null && json_is_null(v)))) {
            rl_err_set(err, RL_EINVAL, "fields",
                       "custom field '%.40s' must be a string, a number or a boolean%s", key,
                       allow_null ? " (null removes it)" : "");
            return NULL;
        }
    }
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text && strlen(text) > STORE_CONTACT_FIELDS_MAX) {
        rl_err_set(err, RL_ETOOLONG, "fields", "fields is %zu bytes as JSON (at most %d)",
                   strlen(text), STORE_CONTACT_FIELDS_MAX);
        free(text);
        return NULL;
    }
    return text;
}

#include "text/sender.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text/utf8.h"
#include "core/banned.h"

#define SHOW_MAX 40 /* bytes of the value quoted in a message */

static const char alnum_rule[] = "alphanumeric sender IDs allow only A-Z, a-z, 0-9 and spaces";

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_letter(unsigned char c)
{
    unsigned char l = c | 0x20;
    return l >= 'a' && l <= 'z';
}

/* Characters that would print as nothing or look like a plain space: a message
 * quoting them would be no help, so they are named U+XXXX. */
static bool invisible(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF;
}

/* The value as a message quotes it: cut at SHOW_MAX bytes on a character boundary,
 * control characters as '?', since it may come from a form or an API client.
 * s must be valid UTF-8. */
static void show(const char *s, size_t n, char out[SHOW_MAX + 4])
{
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp = (unsigned char)s[i];
        size_t k = cp < 0x80 ? 1 : utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (o + k > SHOW_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            out[o++] = '?';
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = '\0';
}

/* Fails naming the character at s (valid UTF-8) and the rule it breaks. */
static int bad_char(const char *s, size_t n, const char *value, const char *rule,
                    struct rl_err *err)
{
    uint32_t cp = (unsigned char)s[0];
    size_t k = cp < 0x80 ? 1 : utf8_decode((const unsigned char *)s, n, &cp);
    char c[12];
    if (cp == ' ')
        snprintf(c, sizeof(c), "a space");
    else if (invisible(cp))
        snprintf(c, sizeof(c), "U+%04X", (unsigned)cp);
    else
        snprintf(c, sizeof(c), "'%.*s'", (int)k, s);
    return rl_err_set(err, RL_ESENDER, "from", "sender '%s' contains %s; %s", value, c, rule);
}

static int check_numeric(const char *s, size_t len, const char *value, struct sender_info *out,
                         struct rl_err *err)
{
    bool plus = s[0] == '+';
    const char *d = s + plus;
    size_t n = len - plus;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)d[i]))
            return bad_char(d + i, n - i, value,
                            "numeric sender IDs allow only digits after the '+'", err);
    }
    if (n == 0)
        return rl_err_set(err, RL_ESENDER, "from", "sender '%s' has no digits after the '+'",
                          value);
    if (n > SENDER_NUMERIC_MAX)
        return rl_err_set(err, RL_ESENDER, "from",
                          "sender '%s' has %zu digits; numeric sender IDs are at most %d", value, n,
                          SENDER_NUMERIC_MAX);
    out->kind = SENDER_NUMERIC;
    out->plus = plus;
    out->len = n;
    memcpy(out->addr, d, n);
    out->addr[n] = '\0';
    return 0;
}

static int check_alnum(const char *s, size_t len, const char *value, struct sender_info *out,
                       struct rl_err *err)
{
    bool letter = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_letter(c) && !is_digit(c) && c != ' ')
            return bad_char(s + i, len - i, value, alnum_rule, err);
        letter = letter || is_letter(c);
    }
    /* Every character is ASCII from here on: bytes are characters. */
    if (len > SENDER_ALNUM_MAX)
        return rl_err_set(err, RL_ESENDER, "from",
                          "sender '%s' is %zu characters; alphanumeric sender IDs are at most %d",
                          value, len, SENDER_ALNUM_MAX);
    if (s[0] == ' ' || s[len - 1] == ' ')
        return rl_err_set(err, RL_ESENDER, "from",
                          "sender '%s' %s with a space; alphanumeric sender IDs cannot start or "
                          "end with one",
                          value, s[0] == ' ' ? "starts" : "ends");
    if (!letter)
        return rl_err_set(err, RL_ESENDER, "from",
                          "sender '%s' has no letter; alphanumeric sender IDs need one, and "
                          "numeric ones are digits only",
                          value);
    out->kind = SENDER_ALPHANUMERIC;
    out->len = len;
    memcpy(out->addr, s, len);
    out->addr[len] = '\0';
    return 0;
}

int sender_check(const char *s, size_t len, struct sender_info *out, struct rl_err *err)
{
    char value[SHOW_MAX + 4];
    size_t bad = 0, i = 0;
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return rl_err_set(err, RL_ESENDER, "from",
                          "sender is empty; use up to %d letters, digits and spaces, or a number "
                          "of up to %d digits",
                          SENDER_ALNUM_MAX, SENDER_NUMERIC_MAX);
    if (utf8_validate(s, len, &bad) != 0)
        return rl_err_set(err, RL_ESENDER, "from", "sender is not valid UTF-8 at byte %zu", bad);
    show(s, len, value);
    while (i < len && is_digit((unsigned char)s[i]))
        i++;
    if (s[0] == '+' || i == len)
        return check_numeric(s, len, value, out, err);
    return check_alnum(s, len, value, out, err);
}

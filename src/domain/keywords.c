#include "domain/keywords.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "text/utf8.h"
#include "core/banned.h"

/* What one code point becomes in the normalised text. */
enum cls {
    CLS_IGNORE, /* vanishes: zero-width characters, combining marks, soft hyphen */
    CLS_SPACE,  /* collapses with its neighbours into one space, or none at either end */
    CLS_PUNCT,  /* kept inside, trimmed at either end */
    CLS_CORE,   /* a letter, digit or anything else: kept */
};

/* Base letters of U+00C0..U+00FF and U+0100..U+017F. '#' marks a character
 * that is not a letter (× ÷) or has no Latin base (Þ þ: kept as they are);
 * digits mark the ligatures: 1 ae, 2 oe, 3 ss, 4 ij. */
static const char latin1[] = "aaaaaa1ceeeeiiiidnooooo#ouuuuy#3"  /* U+00C0: À…ß */
                             "aaaaaa1ceeeeiiiidnooooo#ouuuuy#y"; /* U+00E0: à…ÿ */
static const char latin_ext_a[] = "aaaaaa"                       /* U+0100 Ā ā Ă ă Ą ą */
                                  "cccccccc"                     /* U+0106 Ć … č */
                                  "dddd"                         /* U+010E Ď ď Đ đ */
                                  "eeeeeeeeee"                   /* U+0112 Ē … ě */
                                  "gggggggg"                     /* U+011C Ĝ … ģ */
                                  "hhhh"                         /* U+0124 Ĥ … ħ */
                                  "iiiiiiiiii"   /* U+0128 Ĩ … ı (İ and dotless ı too) */
                                  "44"           /* U+0132 Ĳ ĳ */
                                  "jj"           /* U+0134 Ĵ ĵ */
                                  "kkk"          /* U+0136 Ķ ķ ĸ */
                                  "llllllllll"   /* U+0139 Ĺ … ł */
                                  "nnnnnnnnn"    /* U+0143 Ń … ŋ */
                                  "oooooo"       /* U+014C Ō … ő */
                                  "22"           /* U+0152 Œ œ */
                                  "rrrrrr"       /* U+0154 Ŕ … ř */
                                  "ssssssss"     /* U+015A Ś … š */
                                  "tttttt"       /* U+0162 Ţ … ŧ */
                                  "uuuuuuuuuuuu" /* U+0168 Ũ … ų */
                                  "ww"           /* U+0174 Ŵ ŵ */
                                  "yyy"          /* U+0176 Ŷ ŷ Ÿ */
                                  "zzzzzz"       /* U+0179 Ź … ž */
                                  "s";           /* U+017F ſ */
_Static_assert(sizeof(latin1) == 0x40 + 1, "one entry per code point of U+00C0..U+00FF");
_Static_assert(sizeof(latin_ext_a) == 0x80 + 1, "one entry per code point of U+0100..U+017F");
static const char *const ligatures[] = {"ae", "oe", "ss", "ij"};

static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

static bool is_ignorable(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 ||
           cp == 0xfeff || cp == 0xad;
}

static bool is_punct(uint32_t cp)
{
    return (cp >= 0x21 && cp <= 0x2f) || (cp >= 0x3a && cp <= 0x40) || (cp >= 0x5b && cp <= 0x60) ||
           (cp >= 0x7b && cp <= 0x7e) || cp == 0xa1 || cp == 0xab || cp == 0xb7 || cp == 0xbb ||
           cp == 0xbf || (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205e) ||
           (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011);
}

/* Classifies cp and writes what it becomes into out (at most 4 bytes). */
static enum cls classify(uint32_t cp, char out[4], size_t *n)
{
    if (cp >= 0xff01 && cp <= 0xff5e)
        cp -= 0xfee0; /* fullwidth ASCII */
    if (is_ignorable(cp))
        return CLS_IGNORE;
    if (is_space(cp))
        return CLS_SPACE;
    char base = 0;
    if (cp >= 'A' && cp <= 'Z')
        base = (char)(cp - 'A' + 'a');
    else if (cp >= 0xc0 && cp <= 0xff)
        base = latin1[cp - 0xc0];
    else if (cp >= 0x100 && cp <= 0x17f)
        base = latin_ext_a[cp - 0x100];
    if (base >= '1' && base <= '4') {
        memcpy(out, ligatures[base - '1'], 2);
        *n = 2;
        return CLS_CORE;
    }
    if (base && base != '#') {
        out[0] = base;
        *n = 1;
        return CLS_CORE;
    }
    *n = utf8_encode(cp, out);
    return is_punct(cp) ? CLS_PUNCT : CLS_CORE;
}

/* The output: a prefix of whole characters is written while it fits in cap
 * - 1; len keeps counting past it, so the caller can tell it did not fit. */
struct sink {
    char *out;
    size_t cap, len, written;
    bool full;
};

static void put(struct sink *k, const char *p, size_t n)
{
    if (!k->full && k->written + n < k->cap) {
        memcpy(k->out + k->written, p, n);
        k->written += n;
    } else {
        k->full = true;
    }
    k->len += n;
}

int keyword_normalize(const char *text, size_t len, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)text;
    struct sink k = {out, cap, 0, 0, cap == 0};
    size_t core_end = 0; /* k.len just after the last CLS_CORE character */
    bool started = false, space = false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            if (cap)
                out[0] = '\0';
            return RL_EUTF8;
        }
        i += n;
        char b[4];
        enum cls c = classify(cp, b, &n);
        if (c == CLS_IGNORE || (c == CLS_PUNCT && !started))
            continue;
        if (c == CLS_SPACE) {
            space = started; /* written only if something follows */
            continue;
        }
        if (space)
            put(&k, " ", 1);
        put(&k, b, n);
        space = false;
        started = true;
        if (c == CLS_CORE)
            core_end = k.len;
    }
    if (core_end >= cap) {
        if (cap)
            out[k.written] = '\0';
        return RL_ETOOLONG;
    }
    out[core_end] = '\0';
    return (int)core_end;
}

struct kw {
    const char *text;
    enum keyword k;
};

static const struct kw keywords[] = {
    {"stop", KEYWORD_STOP},        {"stop sms", KEYWORD_STOP}, {"arret", KEYWORD_STOP},
    {"unsubscribe", KEYWORD_STOP}, {"end", KEYWORD_STOP},      {"quit", KEYWORD_STOP},
    {"start", KEYWORD_START},      {"unstop", KEYWORD_START},
};

enum keyword keyword_match(const char *text, size_t len)
{
    char norm[KEYWORD_NORM_MAX + 1];
    int n = keyword_normalize(text, len, norm, sizeof(norm));
    /* By length too: a NUL inside the text is copied, and must not end it. */
    for (size_t i = 0; n > 0 && i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (strlen(keywords[i].text) == (size_t)n && memcmp(norm, keywords[i].text, (size_t)n) == 0)
            return keywords[i].k;
    return KEYWORD_NONE;
}

const char *keyword_name(enum keyword k)
{
    switch (k) {
    case KEYWORD_STOP:
        return "stop";
    case KEYWORD_START:
        return "start";
    default:
        return "none";
    }
}

#include "text/smartenc.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "text/gsm7.h"
#include "text/utf8.h"
#include "core/banned.h"

/* Look-alikes that word processors and phones type in place of plain
 * punctuation. Letters are absent on purpose: ç is not c, and a name spelt
 * wrong costs more than a second segment. */
static const struct {
    uint32_t from;
    const char *to;
} map[] = {
    {0x0009, " "},  /* tab */
    {0x00A0, " "},  /* no-break space */
    {0x00AB, "\""}, /* « */
    {0x00AD, ""},   /* soft hyphen */
    {0x00B4, "'"},  /* acute accent */
    {0x00BB, "\""}, /* » */
    {0x02BC, "'"},  /* modifier apostrophe */
    {0x02C6, "^"},  /* modifier circumflex */
    {0x02DC, "~"},  /* small tilde */
    {0x2000, " "},  /* en quad … hair space: 2000-200A */
    {0x2001, " "},   {0x2002, " "}, {0x2003, " "}, {0x2004, " "}, {0x2005, " "}, {0x2006, " "},
    {0x2007, " "},   {0x2008, " "}, {0x2009, " "}, {0x200A, " "}, {0x200B, ""}, /* zero-width space
                                                                                 */
    {0x2010, "-"},                                                              /* hyphen */
    {0x2011, "-"},   /* non-breaking hyphen */
    {0x2012, "-"},   /* figure dash */
    {0x2013, "-"},   /* – en dash */
    {0x2014, "-"},   /* — em dash */
    {0x2015, "-"},   /* horizontal bar */
    {0x2018, "'"},   /* ‘ */
    {0x2019, "'"},   /* ’ */
    {0x201A, "'"},   /* ‚ */
    {0x201B, "'"},   /* ‛ */
    {0x201C, "\""},  /* “ */
    {0x201D, "\""},  /* ” */
    {0x201E, "\""},  /* „ */
    {0x201F, "\""},  /* ‟ */
    {0x2026, "..."}, /* … */
    {0x202F, " "},   /* narrow no-break space (French typography before ; : ! ?) */
    {0x2032, "'"},   /* prime */
    {0x2033, "\""},  /* double prime */
    {0x2039, "<"},   /* ‹ */
    {0x203A, ">"},   /* › */
    {0x2044, "/"},   /* fraction slash */
    {0x205F, " "},   /* medium mathematical space */
    {0x2060, ""},    /* word joiner */
    {0x2212, "-"},   /* minus sign */
    {0x3000, " "},   /* ideographic space */
    {0xFEFF, ""},    /* zero-width no-break space (a BOM pasted mid-text) */
};

static const char *lookup(uint32_t cp)
{
    size_t lo = 0, hi = sizeof(map) / sizeof(map[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (map[mid].from == cp)
            return map[mid].to;
        if (map[mid].from < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void count(struct smartenc_result *r, uint32_t cp, const char *to)
{
    for (size_t i = 0; i < r->nrepl; i++) {
        if (r->repl[i].from == cp) {
            r->repl[i].count++;
            return;
        }
    }
    if (r->nrepl < SMARTENC_MAX_KINDS)
        r->repl[r->nrepl++] = (struct smartenc_repl){cp, to, 1};
}

int smartenc_apply(const char *text, size_t len, struct smartenc_result *out, struct rl_err *err)
{
    struct buf b;
    bool gsm = true;
    memset(out, 0, sizeof(*out));
    buf_init(&b, 0);
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0, k; i < len; i += k) {
        uint32_t cp;
        k = utf8_decode(p + i, len - i, &cp);
        if (k == 0) {
            buf_release(&b);
            out->text = xstrndup(text, len);
            out->len = len;
            out->nrepl = 0;
            return rl_err_set(err, RL_EUTF8, "text", "text is not valid UTF-8 at byte %zu", i);
        }
        const char *to = gsm7_units(cp) ? NULL : lookup(cp);
        if (to) {
            count(out, cp, to);
            buf_adds(&b, to);
        } else {
            gsm = gsm && gsm7_units(cp) != 0;
            buf_add(&b, text + i, k);
        }
    }
    if (gsm && out->nrepl) {
        out->applied = true;
        out->text = buf_detach(&b, &out->len);
    } else {
        buf_release(&b);
        out->nrepl = 0;
        out->text = xstrndup(text, len);
        out->len = len;
    }
    return 0;
}

void smartenc_release(struct smartenc_result *r)
{
    free(r->text);
    memset(r, 0, sizeof(*r));
}

#include "text/segment.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "text/gsm7.h"
#include "text/utf8.h"
#include "core/banned.h"

/* Capacities as carriers bill them (3GPP TS 23.040 §9.2.3.24.1): 140 octets of
 * user data; a concatenation UDH takes 6 octets (8-bit ref) or 7 (16-bit), and
 * in GSM the text after it starts on a septet boundary. */
struct caps {
    size_t gsm_single, gsm_multi, ucs_single, ucs_multi, udh_len;
};

static struct caps caps_for(const struct seg_opts *o)
{
    if (o && o->ref_bits == 16)
        return (struct caps){160, 152, 70, 66, 7}; /* 133 octets / 2 = 66 units */
    return (struct caps){160, 153, 70, 67, 6};
}

const char *seg_encoding_name(enum seg_encoding e)
{
    return e == SEG_GSM7 ? "gsm7" : "ucs2";
}

/* Greedy packing of units of size 1 or 2 into parts: a pair never straddles. */
struct packer {
    size_t cap, parts, fill;
};

static void pack_unit(struct packer *p, unsigned size)
{
    if (p->parts == 0 || p->fill + size > p->cap) {
        p->parts++;
        p->fill = 0;
    }
    p->fill += size;
}

static void finish(struct seg_info *out, enum seg_encoding enc, size_t units, size_t single,
                   const struct packer *multi)
{
    out->encoding = enc;
    out->units = units;
    if (units <= single) {
        out->segments = 1;
        out->per_segment = single;
        out->remaining = single - units;
    } else {
        out->segments = multi->parts;
        out->per_segment = multi->cap;
        out->remaining = multi->cap - multi->fill;
    }
}

int seg_analyze(const char *text, size_t len, const struct seg_opts *opts, struct seg_info *out,
                struct rl_err *err)
{
    struct caps c = caps_for(opts);
    struct packer gsm = {c.gsm_multi, 0, 0}, ucs = {c.ucs_multi, 0, 0};
    size_t gsm_units = 0, ucs_units = 0;
    bool is_gsm = true;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, len - i, &cp);
        if (k == 0)
            return rl_err_set(err, RL_EUTF8, "text", "text is not valid UTF-8 at byte %zu", i);
        i += k;
        unsigned u16 = cp >= 0x10000 ? 2 : 1;
        ucs_units += u16;
        pack_unit(&ucs, u16);
        if (is_gsm) {
            unsigned g = gsm7_units(cp);
            if (g == 0) {
                is_gsm = false;
            } else {
                gsm_units += g;
                pack_unit(&gsm, g);
            }
        }
    }
    if (is_gsm)
        finish(out, SEG_GSM7, gsm_units, c.gsm_single, &gsm);
    else
        finish(out, SEG_UCS2, ucs_units, c.ucs_single, &ucs);
    return 0;
}

/* The text as a flat array of units: septets (ESC + septet for the extension
 * table) or UTF-16 code units. Returns new memory or NULL on bad UTF-8. */
static uint16_t *to_units(const char *text, size_t len, enum seg_encoding enc, size_t *n,
                          size_t *bad_at)
{
    uint16_t *u = xmalloc((2 * len + 1) * sizeof(*u));
    const unsigned char *p = (const unsigned char *)text;
    size_t k, m = 0;
    for (size_t i = 0; i < len; i += k) {
        uint32_t cp;
        k = utf8_decode(p + i, len - i, &cp);
        if (k == 0) {
            *bad_at = i;
            free(u);
            return NULL;
        }
        if (enc == SEG_GSM7) {
            uint8_t s;
            bool e;
            gsm7_lookup(cp, &s, &e); /* seg_analyze chose GSM: every char has a septet */
            if (e)
                u[m++] = GSM7_ESC;
            u[m++] = s;
        } else if (cp >= 0x10000) {
            cp -= 0x10000;
            u[m++] = (uint16_t)(0xD800 | (cp >> 10));
            u[m++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            u[m++] = (uint16_t)cp;
        }
    }
    *n = m;
    return u;
}

/* Where the part starting at units[from] must end so that no pair is split. */
static size_t part_end(const uint16_t *u, size_t n, size_t from, size_t cap, enum seg_encoding e)
{
    size_t end = from + cap < n ? from + cap : n;
    if (end < n && end > from) {
        uint16_t last = u[end - 1];
        bool lead = e == SEG_GSM7 ? last == GSM7_ESC : (last >= 0xD800 && last <= 0xDBFF);
        if (lead)
            end--;
    }
    return end;
}

static void write_udh(struct seg_part *p, const struct seg_opts *o, size_t total, size_t seq)
{
    uint8_t *d = p->data;
    if (o->ref_bits == 16) {
        uint8_t h[7] = {
            6, 0x08, 4, (uint8_t)(o->ref >> 8), (uint8_t)o->ref, (uint8_t)total, (uint8_t)seq};
        memcpy(d, h, 7);
        p->udh_len = 7;
    } else {
        uint8_t h[6] = {5, 0x00, 3, (uint8_t)o->ref, (uint8_t)total, (uint8_t)seq};
        memcpy(d, h, 6);
        p->udh_len = 6;
    }
}

static void write_text(struct seg_part *p, const uint16_t *u, size_t n, enum seg_encoding e,
                       bool pack)
{
    uint8_t *d = p->data + p->udh_len;
    p->units = n;
    if (e == SEG_UCS2) {
        for (size_t i = 0; i < n; i++) {
            d[2 * i] = (uint8_t)(u[i] >> 8);
            d[2 * i + 1] = (uint8_t)u[i];
        }
        p->len = p->udh_len + 2 * n;
        return;
    }
    uint8_t sept[161];
    for (size_t i = 0; i < n; i++)
        sept[i] = (uint8_t)u[i];
    if (!pack) {
        memcpy(d, sept, n);
        p->len = p->udh_len + n;
        return;
    }
    unsigned fill = (unsigned)((7 - (p->udh_len * 8) % 7) % 7);
    /* TS 23.038 §6.1.2.3.1: when 7 bits would be left over, a receiver that
     * counts septets from octets would see a spurious '@'; a CR there is
     * discarded instead. SMPP carries no septet count, so this matters. */
    if ((fill + 7 * n) % 8 == 1)
        sept[n++] = 0x0D;
    p->len = p->udh_len + gsm7_pack(sept, n, fill, d);
}

int seg_split(const char *text, size_t len, const struct seg_opts *opts, struct seg_msg *out,
              struct rl_err *err)
{
    static const struct seg_opts defaults = {8, 255, false, 0};
    const struct seg_opts *o = opts ? opts : &defaults;
    struct caps c = caps_for(o);
    struct seg_info info;
    memset(out, 0, sizeof(*out));
    int rc = seg_analyze(text, len, o, &info, err);
    if (rc)
        return rc;
    size_t max = o->max_parts && o->max_parts < 255 ? o->max_parts : 255;
    if (info.segments > max)
        return rl_err_set(err, RL_ETOOLONG, "text",
                          "text needs %zu parts (%zu %s units); the limit is %zu parts",
                          info.segments, info.units, seg_encoding_name(info.encoding), max);
    size_t n = 0, bad = 0;
    uint16_t *u = to_units(text, len, info.encoding, &n, &bad);
    out->encoding = info.encoding;
    out->nparts = info.segments;
    out->parts = xcalloc(info.segments, sizeof(*out->parts));
    size_t cap = info.encoding == SEG_GSM7 ? c.gsm_multi : c.ucs_multi;
    if (info.segments == 1) {
        write_text(&out->parts[0], u, n, info.encoding, o->pack);
    } else {
        size_t from = 0;
        for (size_t i = 0; i < info.segments; i++) {
            size_t end = part_end(u, n, from, cap, info.encoding);
            write_udh(&out->parts[i], o, info.segments, i + 1);
            write_text(&out->parts[i], u + from, end - from, info.encoding, o->pack);
            from = end;
        }
    }
    free(u);
    return 0;
}

void seg_msg_release(struct seg_msg *m)
{
    free(m->parts);
    memset(m, 0, sizeof(*m));
}

/* --- inbound ------------------------------------------------------------- */

int seg_udh_parse(const uint8_t *ud, size_t len, size_t *udh_len, struct seg_concat *c)
{
    memset(c, 0, sizeof(*c));
    if (len < 1 || (size_t)ud[0] + 1 > len)
        return RL_EUDH;
    *udh_len = (size_t)ud[0] + 1;
    for (size_t i = 1; i < *udh_len;) {
        if (i + 2 > *udh_len)
            return RL_EUDH;
        uint8_t iei = ud[i], iel = ud[i + 1];
        const uint8_t *v = ud + i + 2;
        if (i + 2 + iel > *udh_len)
            return RL_EUDH;
        struct seg_concat k = {false, false, 0, 0, 0};
        if (iei == 0x00 && iel == 3)
            k = (struct seg_concat){true, false, v[0], v[1], v[2]};
        else if (iei == 0x08 && iel == 4)
            k = (struct seg_concat){true, true, (uint16_t)(v[0] << 8 | v[1]), v[2], v[3]};
        /* TS 23.040 §9.2.3.24.1: an IE with total 0 or seq outside 1..total is ignored. */
        if (k.present && k.total && k.seq && k.seq <= k.total)
            *c = k;
        i += 2 + (size_t)iel;
    }
    return 0;
}

/* Appends one part's text units (septets, Latin-1 octets or UTF-16BE octets)
 * to units, the UDH skipped. Packed GSM is unpacked here, per part, because
 * each part has its own fill bits. */
static int part_units(enum seg_coding coding, const uint8_t *ud, size_t len, size_t nseptets,
                      bool has_udh, struct buf *units)
{
    size_t udh = 0;
    struct seg_concat c;
    if (has_udh && seg_udh_parse(ud, len, &udh, &c) != 0)
        return RL_EUDH;
    if (coding != SEG_CODING_GSM7_PACKED) {
        if (coding == SEG_CODING_GSM7) {
            for (size_t i = udh; i < len; i++) {
                int rc = buf_addch(units, (char)(ud[i] & 0x7F));
                if (rc)
                    return rc;
            }
            return 0;
        }
        return buf_add(units, ud + udh, len - udh);
    }
    unsigned fill = (unsigned)((7 - (udh * 8) % 7) % 7);
    size_t max = (len * 8) / 7 + 1;
    uint8_t *s = xmalloc(max);
    size_t n = gsm7_unpack(ud + udh, len - udh, fill, s, nseptets ? nseptets : max);
    size_t spare = (len - udh) * 8 - fill - 7 * n;
    /* Without a septet count, 7 spare bits read as one more septet, which TS
     * 23.038 §6.1.2.3.1 has the sender fill with CR: drop that CR, in every
     * part (a part cut one septet short because an escape moved on to the next
     * one carries it too). A real CR in exactly that slot is lost with it: the
     * specification's own ambiguity, and far rarer. A zero septet there is
     * left as '@': it may be real text. smpp_reasm applies the same rule. */
    if (!nseptets && n && spare == 0 && s[n - 1] == 0x0D && (fill + 7 * (n - 1)) % 8 == 1)
        n--;
    int rc = buf_add(units, s, n);
    free(s);
    return rc;
}

static int put_cp(struct buf *out, uint32_t cp)
{
    char u[4];
    size_t k = utf8_encode(cp, u);
    return k ? buf_add(out, u, k) : buf_add(out, "\xEF\xBF\xBD", 3);
}

static int units_to_utf8(enum seg_coding coding, const uint8_t *u, size_t n, struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t cp;
        if (coding == SEG_CODING_LATIN1) {
            cp = u[i];
        } else if (coding == SEG_CODING_UCS2) {
            if (i + 1 >= n) {
                cp = 0xFFFD; /* an odd octet out */
            } else {
                cp = (uint32_t)u[i] << 8 | u[i + 1];
                i++;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < n) {
                    uint32_t lo = (uint32_t)u[i + 1] << 8 | u[i + 2];
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 2;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF)
                    cp = 0xFFFD; /* a lone surrogate */
            }
        } else if (u[i] == GSM7_ESC && i + 1 < n) {
            /* §6.2.1.1: an escape with no extension character shows the
             * default-alphabet character of the septet that follows. */
            i++;
            cp = gsm7_ext_char(u[i]);
            if (!cp)
                cp = gsm7_char(u[i]);
        } else if (u[i] == GSM7_ESC) {
            continue; /* a dangling escape at the very end: nothing to show */
        } else {
            cp = gsm7_char(u[i]);
        }
        rc = put_cp(out, cp);
    }
    return rc;
}

int seg_decode(enum seg_coding coding, const uint8_t *ud, size_t len, size_t nseptets, bool has_udh,
               struct buf *out, struct rl_err *err)
{
    struct seg_in_part part = {.ud = ud, .len = len, .nseptets = nseptets, .has_udh = has_udh};
    return seg_join(coding, &part, 1, out, err);
}

static int by_seq(const void *a, const void *b)
{
    const struct seg_in_part *x = a, *y = b;
    return (int)x->seq_ - (int)y->seq_;
}

static int check_parts(struct seg_in_part *parts, size_t n, struct rl_err *err)
{
    struct seg_concat first = {false, false, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        size_t udh;
        struct seg_concat c;
        if (!parts[i].has_udh || seg_udh_parse(parts[i].ud, parts[i].len, &udh, &c) != 0 ||
            !c.present)
            return rl_err_set(err, RL_EPARTS, "udh", "part %zu of %zu has no concatenation header",
                              i + 1, n);
        if (i == 0)
            first = c;
        if (c.ref != first.ref || c.total != first.total || c.total != n)
            return rl_err_set(err, RL_EPARTS, "udh",
                              "part %zu (ref %u, %u of %u) does not belong with ref %u of %u "
                              "(%zu parts given)",
                              i + 1, c.ref, c.seq, c.total, first.ref, first.total, n);
        parts[i].seq_ = c.seq;
    }
    qsort(parts, n, sizeof(*parts), by_seq);
    for (size_t i = 0; i < n; i++) {
        if (parts[i].seq_ != i + 1)
            return rl_err_set(err, RL_EPARTS, "udh", "part %zu of %zu is %s", i + 1, n,
                              parts[i].seq_ < i + 1 ? "duplicated" : "missing");
    }
    return 0;
}

int seg_join(enum seg_coding coding, struct seg_in_part *parts, size_t n, struct buf *out,
             struct rl_err *err)
{
    struct buf units;
    int rc = 0;
    if (n > 1 && (rc = check_parts(parts, n, err)) != 0)
        return rc;
    buf_init(&units, out->max ? out->max : 0);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = part_units(coding, parts[i].ud, parts[i].len, parts[i].nseptets, parts[i].has_udh,
                        &units);
        if (rc == RL_EUDH)
            rl_err_set(err, rc, "udh", "part %zu: user data header runs past its %zu octets", i + 1,
                       parts[i].len);
    }
    if (rc == 0)
        rc = units_to_utf8(coding, (const uint8_t *)units.data, units.len, out);
    if (rc == RL_ETOOLONG)
        rl_err_set(err, rc, "text", "decoded text is over the %zu-byte limit", out->max);
    buf_release(&units);
    return rc;
}

/* Arbitrary bytes as a message text. The first byte picks options; for valid
 * UTF-8 the invariants are: split and join give the text back, the parts are
 * exactly the segments analyze counted, and no part overflows 140 octets on
 * the air (160 unpacked septets). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/segment.h"
#include "text/smartenc.h"
#include "text/utf8.h"

static bool same_but_cr(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < na && a[i] == '\r')
            i++;
        while (j < nb && b[j] == '\r')
            j++;
        if (i == na || j == nb)
            return i == na && j == nb;
        if (a[i++] != b[j++])
            return false;
    }
}

static void check_round_trip(const char *t, size_t n, const struct seg_opts *o)
{
    struct seg_info info;
    struct seg_msg m;
    if (seg_analyze(t, n, o, &info, NULL) != 0)
        abort();
    if (seg_split(t, n, o, &m, NULL) != 0)
        return; /* over max_parts */
    if (m.nparts != info.segments || m.encoding != info.encoding)
        abort();
    struct seg_in_part *in = calloc(m.nparts, sizeof(*in));
    size_t units = 0;
    for (size_t i = 0; i < m.nparts; i++) {
        size_t air = m.parts[i].len - m.parts[i].udh_len;
        if (m.encoding == SEG_GSM7 && !o->pack)
            air = (air * 7 + 7) / 8;
        if (m.parts[i].udh_len + air > 140)
            abort();
        units += m.parts[i].units;
        in[i] = (struct seg_in_part){
            .ud = m.parts[i].data, .len = m.parts[i].len, .has_udh = m.parts[i].udh_len > 0};
    }
    if (units != info.units)
        abort();
    struct buf b;
    buf_init(&b, 0);
    enum seg_coding c = m.encoding == SEG_UCS2 ? SEG_CODING_UCS2
                        : o->pack              ? SEG_CODING_GSM7_PACKED
                                               : SEG_CODING_GSM7;
    if (seg_join(c, in, m.nparts, &b, NULL) != 0)
        abort();
    /* Packed GSM without a septet count cannot tell CR padding from a real CR
     * (TS 23.038 §6.1.2.3.1): there, compare with CRs left out; elsewhere, exactly. */
    if (o->pack ? !same_but_cr(b.data, b.len, t, n) : (b.len != n || memcmp(b.data, t, n) != 0))
        abort();
    buf_release(&b);
    free(in);
    seg_msg_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const char *t = (const char *)data + 1;
    size_t n = size - 1;
    struct seg_opts o = {(flags & 1) ? 16 : 8, 0, (flags & 2) != 0, (uint16_t)(flags * 257)};
    if (utf8_validate(t, n, NULL) != 0) {
        struct seg_info info;
        if (seg_analyze(t, n, &o, &info, NULL) != RL_EUTF8)
            abort();
        return 0;
    }
    if (flags & 4) {
        struct smartenc_result r;
        if (smartenc_apply(t, n, &r, NULL) != 0 || utf8_validate(r.text, r.len, NULL) != 0)
            abort();
        check_round_trip(r.text, r.len, &o);
        smartenc_release(&r);
    } else {
        check_round_trip(t, n, &o);
    }
    return 0;
}

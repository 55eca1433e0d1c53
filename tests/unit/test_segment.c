/* Units and segments as carriers bill them (3GPP TS 23.040 §9.2.3.24.1: 140
 * octets of user data, a 6-octet concatenation UDH; TS 23.038 for the
 * alphabet), and split/join of the parts. Every expected figure is worked out
 * in the comment beside it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text/segment.h"

#define E_ACUTE "\xC3\xA9"         /* é: GSM 0x05 */
#define C_CEDIL "\xC3\xA7"         /* ç: not GSM */
#define EURO    "\xE2\x82\xAC"     /* €: GSM escape, 2 septets */
#define GRIN    "\xF0\x9F\x98\x80" /* 😀: 2 UTF-16 units */

/* Concatenates "n*piece" pairs, e.g. rep(3, "a", 1, EURO, 0) = "aaa€". */
static char *rep(int n, const char *piece, ...)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    va_list ap;
    va_start(ap, piece);
    while (piece) {
        for (int i = 0; i < n; i++) {
            size_t k = strlen(piece);
            memcpy(s + len, piece, k);
            len += k;
        }
        n = va_arg(ap, int);
        piece = n ? va_arg(ap, const char *) : NULL;
    }
    va_end(ap);
    s[len] = '\0';
    return s;
}

static void expect(char *text, enum seg_encoding enc, size_t units, size_t segs, size_t per,
                   size_t remaining)
{
    struct seg_info info;
    assert_int_equal(seg_analyze(text, strlen(text), NULL, &info, NULL), 0);
    assert_int_equal(info.encoding, enc);
    assert_int_equal(info.units, units);
    assert_int_equal(info.segments, segs);
    assert_int_equal(info.per_segment, per);
    assert_int_equal(info.remaining, remaining);
    free(text);
}

static void gsm_boundaries(void **state)
{
    (void)state;
    expect(rep(0, "a", 0), SEG_GSM7, 0, 1, 160, 160);       /* empty: still one SMS */
    expect(rep(160, "a", 0), SEG_GSM7, 160, 1, 160, 0);     /* fills one part exactly */
    expect(rep(161, "a", 0), SEG_GSM7, 161, 2, 153, 145);   /* 153 + 8: 153 - 8 = 145 left */
    expect(rep(306, "a", 0), SEG_GSM7, 306, 2, 153, 0);     /* 2 x 153 */
    expect(rep(307, "a", 0), SEG_GSM7, 307, 3, 153, 152);   /* 153 + 153 + 1 */
    expect(rep(160, E_ACUTE, 0), SEG_GSM7, 160, 1, 160, 0); /* é is one septet */
}

static void escapes_count_two(void **state)
{
    (void)state;
    /* All ten extension characters: 10 x 2 = 20 septets. */
    expect(rep(1, EURO "[]{}~\\^|\f", 0), SEG_GSM7, 20, 1, 160, 140);
    expect(rep(158, "a", 1, EURO, 0), SEG_GSM7, 160, 1, 160, 0);   /* 158 + 2 */
    expect(rep(159, "a", 1, EURO, 0), SEG_GSM7, 161, 2, 153, 145); /* one over: 153 + 8 */
}

static void escape_pair_is_never_split(void **state)
{
    (void)state;
    /* 152 a + € + 152 a = 306 septets, which division would put in 2 parts.
     * Packing: part 1 takes 152 a (the € needs 2, only 1 left); part 2 takes
     * € + 151 a = 153; the last a opens part 3, leaving 152. */
    expect(rep(152, "a", 1, EURO, 152, "a", 0), SEG_GSM7, 306, 3, 153, 152);
    /* One a fewer fits: part 2 = € + 151 a = 153 exactly. */
    expect(rep(152, "a", 1, EURO, 151, "a", 0), SEG_GSM7, 305, 2, 153, 0);
}

static void one_char_makes_ucs2(void **state)
{
    (void)state;
    /* "Bonjour ça va": 13 characters, ç is not GSM, so 13 UTF-16 units. */
    expect(rep(1, "Bonjour " C_CEDIL "a va", 0), SEG_UCS2, 13, 1, 70, 57);
    expect(rep(70, C_CEDIL, 0), SEG_UCS2, 70, 1, 70, 0);
    expect(rep(71, C_CEDIL, 0), SEG_UCS2, 71, 2, 67, 63);   /* 67 + 4 */
    expect(rep(134, C_CEDIL, 0), SEG_UCS2, 134, 2, 67, 0);  /* 2 x 67 */
    expect(rep(135, C_CEDIL, 0), SEG_UCS2, 135, 3, 67, 66); /* 67 + 67 + 1 */
    /* Escapes cost 2 only in GSM: in UCS-2 a € is one unit. */
    expect(rep(1, C_CEDIL EURO, 0), SEG_UCS2, 2, 1, 70, 68);
}

static void surrogate_pair_is_never_split(void **state)
{
    (void)state;
    expect(rep(1, GRIN, 0), SEG_UCS2, 2, 1, 70, 68);
    expect(rep(35, GRIN, 0), SEG_UCS2, 70, 1, 70, 0);
    /* 66 ç + 😀 + 66 ç = 134 units, 2 parts by division. Packing: part 1 holds
     * 66 ç (the pair needs 2, 1 left); part 2 holds 😀 + 65 ç = 67; the last
     * ç opens part 3, leaving 66. */
    expect(rep(66, C_CEDIL, 1, GRIN, 66, C_CEDIL, 0), SEG_UCS2, 134, 3, 67, 66);
}

static void sixteen_bit_reference(void **state)
{
    (void)state;
    /* A 7-octet UDH leaves 133 octets: 152 septets (1064 bits), 66 UCS-2 units. */
    struct seg_opts o = {16, 0, false, 0};
    struct seg_info info;
    char *t = rep(306, "a", 0);
    assert_int_equal(seg_analyze(t, strlen(t), &o, &info, NULL), 0);
    assert_int_equal(info.per_segment, 152);
    assert_int_equal(info.segments, 3); /* 152 + 152 + 2 */
    free(t);
    t = rep(134, C_CEDIL, 0);
    assert_int_equal(seg_analyze(t, strlen(t), &o, &info, NULL), 0);
    assert_int_equal(info.per_segment, 66);
    assert_int_equal(info.segments, 3); /* 66 + 66 + 2 */
    free(t);
}

static void invalid_utf8_is_refused(void **state)
{
    (void)state;
    struct seg_info info;
    struct rl_err err = {0};
    assert_int_equal(seg_analyze("ab\xFF", 3, NULL, &info, &err), RL_EUTF8);
    assert_non_null(strstr(err.msg, "byte 2"));
}

static void split_parts_carry_udh(void **state)
{
    (void)state;
    struct seg_opts o = {8, 10, false, 0x2A};
    struct seg_msg m;
    char *t = rep(161, "a", 0);
    assert_int_equal(seg_split(t, strlen(t), &o, &m, NULL), 0);
    assert_int_equal(m.nparts, 2);
    const uint8_t udh1[] = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x01};
    const uint8_t udh2[] = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x02};
    assert_memory_equal(m.parts[0].data, udh1, 6);
    assert_memory_equal(m.parts[1].data, udh2, 6);
    assert_int_equal(m.parts[0].len, 6 + 153); /* unpacked: one septet per octet */
    assert_int_equal(m.parts[1].len, 6 + 8);
    assert_int_equal(m.parts[1].data[6], 0x61);
    seg_msg_release(&m);

    o.pack = true;
    assert_int_equal(seg_split(t, strlen(t), &o, &m, NULL), 0);
    /* Packed: 1 fill bit + 153 x 7 = 1072 bits = 134 octets after the UDH. */
    assert_int_equal(m.parts[0].len, 140);
    seg_msg_release(&m);
    free(t);
}

static void split_single_part_has_no_udh(void **state)
{
    (void)state;
    struct seg_msg m;
    assert_int_equal(seg_split("Hi" EURO, 5, NULL, &m, NULL), 0);
    assert_int_equal(m.nparts, 1);
    assert_int_equal(m.parts[0].udh_len, 0);
    const uint8_t want[] = {'H', 'i', 0x1B, 0x65}; /* € = ESC 0x65 */
    assert_int_equal(m.parts[0].len, 4);
    assert_memory_equal(m.parts[0].data, want, 4);
    seg_msg_release(&m);
    /* UCS-2 is UTF-16BE: ç = 00 E7, 😀 = D83D DE00. */
    assert_int_equal(seg_split(C_CEDIL GRIN, 6, NULL, &m, NULL), 0);
    const uint8_t u[] = {0x00, 0xE7, 0xD8, 0x3D, 0xDE, 0x00};
    assert_int_equal(m.parts[0].len, 6);
    assert_memory_equal(m.parts[0].data, u, 6);
    seg_msg_release(&m);
}

static void over_the_part_limit_is_refused(void **state)
{
    (void)state;
    struct seg_opts o = {8, 2, false, 0};
    struct seg_msg m;
    struct rl_err err = {0};
    char *t = rep(307, "a", 0);
    assert_int_equal(seg_split(t, strlen(t), &o, &m, &err), RL_ETOOLONG);
    assert_non_null(strstr(err.msg, "needs 3 parts"));
    assert_non_null(strstr(err.msg, "limit is 2"));
    assert_int_equal(m.nparts, 0);
    free(t);
}

static void join(enum seg_coding coding, const struct seg_msg *m, bool reverse, char **out)
{
    struct seg_in_part *in = calloc(m->nparts, sizeof(*in));
    for (size_t i = 0; i < m->nparts; i++) {
        size_t j = reverse ? m->nparts - 1 - i : i;
        in[i] = (struct seg_in_part){
            .ud = m->parts[j].data, .len = m->parts[j].len, .has_udh = m->parts[j].udh_len > 0};
    }
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(seg_join(coding, in, m->nparts, &b, NULL), 0);
    *out = buf_detach(&b, NULL);
    free(in);
}

/* Packed GSM without a septet count may carry a padding CR at the end of a
 * part that an escape left one septet short (TS 23.038 §6.1.2.3.1): compare
 * with CRs left out. Unpacked and UCS-2 compare exactly. */
static bool same_but_cr(const char *a, const char *b)
{
    for (;;) {
        while (*a == '\r')
            a++;
        while (*b == '\r')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (*a++ != *b++)
            return false;
    }
}

static void split_then_join_gives_the_text_back(void **state)
{
    (void)state;
    char *texts[] = {rep(152, "a", 1, EURO, 152, "a", 0), rep(66, C_CEDIL, 1, GRIN, 66, C_CEDIL, 0),
                     rep(7, "b", 0), rep(1, "Bonjour", 0), rep(400, "x" EURO, 0)};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        for (int pack = 0; pack < 2; pack++) {
            struct seg_opts o = {pack ? 16 : 8, 255, pack, 7};
            struct seg_msg m;
            char *back;
            assert_int_equal(seg_split(texts[i], strlen(texts[i]), &o, &m, NULL), 0);
            enum seg_coding c = m.encoding == SEG_UCS2 ? SEG_CODING_UCS2
                                : pack                 ? SEG_CODING_GSM7_PACKED
                                                       : SEG_CODING_GSM7;
            join(c, &m, i % 2, &back); /* odd texts: parts given in reverse order */
            if (pack)
                assert_true(same_but_cr(back, texts[i]));
            else
                assert_string_equal(back, texts[i]);
            free(back);
            seg_msg_release(&m);
        }
        free(texts[i]);
    }
}

static void packed_seven_chars_get_cr_padding(void **state)
{
    (void)state;
    /* 7 septets = 49 bits in 7 octets: 7 bits left, which a receiver counting
     * septets from octets reads as an 8th. TS 23.038 §6.1.2.3.1 puts CR there. */
    struct seg_opts o = {8, 1, true, 0};
    struct seg_msg m;
    assert_int_equal(seg_split("Bonjour", 7, &o, &m, NULL), 0);
    assert_int_equal(m.parts[0].len, 7);
    assert_int_equal(m.parts[0].data[6] >> 1, 0x0D); /* the 8th septet is bits 49-55 */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(seg_decode(SEG_CODING_GSM7_PACKED, m.parts[0].data, 7, 0, false, &b, NULL), 0);
    assert_string_equal(b.data, "Bonjour");
    buf_release(&b);
    seg_msg_release(&m);
}

static void udh_parse(void **state)
{
    (void)state;
    size_t n;
    struct seg_concat c;
    const uint8_t u8[] = {0x05, 0x00, 0x03, 0x2A, 0x03, 0x02, 'x'};
    assert_int_equal(seg_udh_parse(u8, sizeof(u8), &n, &c), 0);
    assert_int_equal(n, 6);
    assert_true(c.present);
    assert_int_equal(c.ref, 0x2A);
    assert_int_equal(c.total, 3);
    assert_int_equal(c.seq, 2);
    const uint8_t u16[] = {0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01};
    assert_int_equal(seg_udh_parse(u16, sizeof(u16), &n, &c), 0);
    assert_true(c.ref16);
    assert_int_equal(c.ref, 0x1234);
    /* A national-language IE (0x24) before the concatenation IE is skipped. */
    const uint8_t mixed[] = {0x08, 0x24, 0x01, 0x02, 0x00, 0x03, 0x01, 0x02, 0x02};
    assert_int_equal(seg_udh_parse(mixed, sizeof(mixed), &n, &c), 0);
    assert_int_equal(n, 9);
    assert_int_equal(c.seq, 2);
    /* seq 0 is not a valid sequence number: the IE is ignored (§9.2.3.24.1). */
    const uint8_t seq0[] = {0x05, 0x00, 0x03, 0x01, 0x02, 0x00};
    assert_int_equal(seg_udh_parse(seq0, sizeof(seq0), &n, &c), 0);
    assert_false(c.present);
    /* UDHL past the data, an IE past the UDH: errors, never a read past the end. */
    const uint8_t over[] = {0x09, 0x00, 0x03};
    assert_int_equal(seg_udh_parse(over, sizeof(over), &n, &c), RL_EUDH);
    const uint8_t ie_over[] = {0x03, 0x00, 0x05, 0x01};
    assert_int_equal(seg_udh_parse(ie_over, sizeof(ie_over), &n, &c), RL_EUDH);
}

static void join_refuses_parts_that_do_not_fit(void **state)
{
    (void)state;
    const uint8_t p1[] = {5, 0, 3, 9, 3, 1, 'a'}, p2[] = {5, 0, 3, 9, 3, 2, 'b'},
                  other[] = {5, 0, 3, 8, 3, 3, 'c'}, dup[] = {5, 0, 3, 9, 3, 2, 'b'};
    struct buf b;
    struct rl_err err = {0};
    buf_init(&b, 0);
    struct seg_in_part missing[] = {{.ud = p1, .len = 7, .has_udh = true},
                                    {.ud = p2, .len = 7, .has_udh = true}};
    assert_int_equal(seg_join(SEG_CODING_GSM7, missing, 2, &b, &err), RL_EPARTS);
    struct seg_in_part mixed[] = {{.ud = p1, .len = 7, .has_udh = true},
                                  {.ud = p2, .len = 7, .has_udh = true},
                                  {.ud = other, .len = 7, .has_udh = true}};
    assert_int_equal(seg_join(SEG_CODING_GSM7, mixed, 3, &b, &err), RL_EPARTS);
    assert_non_null(strstr(err.msg, "ref 8"));
    struct seg_in_part twice[] = {{.ud = p1, .len = 7, .has_udh = true},
                                  {.ud = p2, .len = 7, .has_udh = true},
                                  {.ud = dup, .len = 7, .has_udh = true}};
    assert_int_equal(seg_join(SEG_CODING_GSM7, twice, 3, &b, &err), RL_EPARTS);
    assert_non_null(strstr(err.msg, "duplicated"));
    buf_release(&b);
}

static void decode_other_codings(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    /* Latin-1 (dc=3): 0xE9 is é. */
    assert_int_equal(
        seg_decode(SEG_CODING_LATIN1, (const uint8_t *)"\xE9t\xE9", 3, 0, false, &b, NULL), 0);
    assert_string_equal(b.data, E_ACUTE "t" E_ACUTE);
    buf_reset(&b);
    /* ESC + a septet with no extension character shows the septet itself
     * (TS 23.038 §6.2.1.1 note): ESC 'A' is 'A'. */
    const uint8_t esc[] = {0x1B, 0x41, 0x1B, 0x65};
    assert_int_equal(seg_decode(SEG_CODING_GSM7, esc, 4, 0, false, &b, NULL), 0);
    assert_string_equal(b.data, "A" EURO);
    buf_reset(&b);
    /* Another sender split a surrogate pair across two parts: joined, it decodes. */
    const uint8_t a[] = {5, 0, 3, 1, 2, 1, 0xD8, 0x3D}, z[] = {5, 0, 3, 1, 2, 2, 0xDE, 0x00};
    struct seg_in_part parts[] = {{.ud = a, .len = 8, .has_udh = true},
                                  {.ud = z, .len = 8, .has_udh = true}};
    assert_int_equal(seg_join(SEG_CODING_UCS2, parts, 2, &b, NULL), 0);
    assert_string_equal(b.data, GRIN);
    buf_reset(&b);
    /* A lone surrogate and an odd octet become U+FFFD. */
    const uint8_t lone[] = {0xD8, 0x3D, 0x00, 0x41, 0x00};
    assert_int_equal(seg_decode(SEG_CODING_UCS2, lone, 5, 0, false, &b, NULL), 0);
    assert_string_equal(b.data, "\xEF\xBF\xBD"
                                "A"
                                "\xEF\xBF\xBD");
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gsm_boundaries),
        cmocka_unit_test(escapes_count_two),
        cmocka_unit_test(escape_pair_is_never_split),
        cmocka_unit_test(one_char_makes_ucs2),
        cmocka_unit_test(surrogate_pair_is_never_split),
        cmocka_unit_test(sixteen_bit_reference),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(split_parts_carry_udh),
        cmocka_unit_test(split_single_part_has_no_udh),
        cmocka_unit_test(over_the_part_limit_is_refused),
        cmocka_unit_test(split_then_join_gives_the_text_back),
        cmocka_unit_test(packed_seven_chars_get_cr_padding),
        cmocka_unit_test(udh_parse),
        cmocka_unit_test(join_refuses_parts_that_do_not_fit),
        cmocka_unit_test(decode_other_codings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

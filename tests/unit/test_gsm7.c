/* GSM 03.38 tables and septet packing, against 3GPP TS 23.038 §6.2.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "text/gsm7.h"

static void every_basic_septet_round_trips(void **state)
{
    (void)state;
    for (unsigned s = 0; s < 128; s++) {
        if (s == GSM7_ESC)
            continue;
        uint8_t back = 0xFF;
        bool ext = true;
        assert_true(gsm7_lookup(gsm7_char((uint8_t)s), &back, &ext));
        assert_int_equal(back, s);
        assert_false(ext);
    }
}

static void extension_table_costs_two(void **state)
{
    (void)state;
    /* §6.2.1.1: the ten characters reachable by escape. */
    const struct {
        uint32_t cp;
        uint8_t septet;
    } ext[] = {{0x0C, 0x0A}, {'^', 0x14}, {'{', 0x28}, {'}', 0x29}, {'\\', 0x2F},
               {'[', 0x3C},  {'~', 0x3D}, {']', 0x3E}, {'|', 0x40}, {0x20AC, 0x65}};
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        uint8_t s;
        bool e;
        assert_true(gsm7_lookup(ext[i].cp, &s, &e));
        assert_true(e);
        assert_int_equal(s, ext[i].septet);
        assert_int_equal(gsm7_units(ext[i].cp), 2);
        assert_int_equal(gsm7_ext_char(ext[i].septet), ext[i].cp);
    }
    /* CR2 (0x0D) and SS2 (0x1B) are reserved: no character. */
    assert_int_equal(gsm7_ext_char(0x0D), 0);
    assert_int_equal(gsm7_ext_char(0x1B), 0);
}

static void french_letters(void **state)
{
    (void)state;
    /* In the table: è é ù ì ò Ç à É (0x04-0x09, 0x7F, 0x1F). */
    const uint32_t in[] = {0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0xE0, 0xC9};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        assert_int_equal(gsm7_units(in[i]), 1);
    /* Not in it: ç ê â î ô û œ ë ï — each forces UCS-2. Small ç is absent:
     * 0x09 is capital Ç (TS 23.038 note to the table). */
    const uint32_t out[] = {0xE7, 0xEA, 0xE2, 0xEE, 0xF4, 0xFB, 0x153, 0xEB, 0xEF};
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        assert_int_equal(gsm7_units(out[i]), 0);
}

static void ascii_that_moves(void **state)
{
    (void)state;
    uint8_t s;
    bool e;
    assert_true(gsm7_lookup('@', &s, &e));
    assert_int_equal(s, 0x00);
    assert_true(gsm7_lookup('$', &s, &e));
    assert_int_equal(s, 0x02);
    assert_true(gsm7_lookup('_', &s, &e));
    assert_int_equal(s, 0x11);
    assert_true(gsm7_lookup(0x394, &s, &e)); /* Greek capital delta */
    assert_int_equal(s, 0x10);
    /* Backtick, tab and DEL have no GSM form. */
    assert_int_equal(gsm7_units('`'), 0);
    assert_int_equal(gsm7_units('\t'), 0);
    assert_int_equal(gsm7_units(0x7F), 0);
    assert_int_equal(gsm7_units(0x1B), 0); /* ESC is not a character */
}

static void pack_hellohello(void **state)
{
    (void)state;
    /* The classic example of TS 23.038 §6.1.2.1 packing (also in Wikipedia's
     * "GSM 03.38" article): "hellohello" → E8 32 9B FD 46 97 D9 EC 37. */
    const uint8_t sept[] = "hellohello";
    const uint8_t want[] = {0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37};
    uint8_t out[16], back[16];
    assert_int_equal(gsm7_pack(sept, 10, 0, out), 9);
    assert_memory_equal(out, want, 9);
    assert_int_equal(gsm7_unpack(out, 9, 0, back, 10), 10);
    assert_memory_equal(back, sept, 10);
}

static void pack_with_fill_bits(void **state)
{
    (void)state;
    /* After a 6-octet UDH (48 bits) one fill bit reaches the septet boundary
     * at 49: 'A' (0x41) shifted left by one is 0x82. */
    uint8_t out[4], back[4];
    const uint8_t a = 0x41;
    assert_int_equal(gsm7_pack(&a, 1, 1, out), 1);
    assert_int_equal(out[0], 0x82);
    assert_int_equal(gsm7_unpack(out, 1, 1, back, 4), 1);
    assert_int_equal(back[0], 0x41);
    /* Two septets with 1 fill bit: bits 1-7 = 'A', bits 8-14 = 'B' (0x42):
     * octet 0 = 0x82, octet 1 = 0x42. */
    const uint8_t ab[] = {0x41, 0x42};
    assert_int_equal(gsm7_pack(ab, 2, 1, out), 2);
    assert_int_equal(out[0], 0x82);
    assert_int_equal(out[1], 0x42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_basic_septet_round_trips),
        cmocka_unit_test(extension_table_costs_two),
        cmocka_unit_test(french_letters),
        cmocka_unit_test(ascii_that_moves),
        cmocka_unit_test(pack_hellohello),
        cmocka_unit_test(pack_with_fill_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

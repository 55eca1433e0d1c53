/* Strict UTF-8 per RFC 3629 §4 (the byte-sequence table) and §10 (overlongs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "text/utf8.h"

static void decodes_each_length(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    assert_int_equal(cp, 0x41);
    assert_int_equal(utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2); /* é */
    assert_int_equal(cp, 0xE9);
    assert_int_equal(utf8_decode((const unsigned char *)"\xE2\x82\xAC", 3, &cp), 3); /* € */
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600); /* 😀 */
}

static void refuses_what_rfc3629_forbids(void **state)
{
    (void)state;
    uint32_t cp;
    const char *bad[] = {
        "\xC0\x80",         /* overlong NUL */
        "\xE0\x80\xAF",     /* overlong '/' */
        "\xED\xA0\x80",     /* U+D800, a surrogate */
        "\xF4\x90\x80\x80", /* U+110000, past the last code point */
        "\x80",             /* a lone continuation byte */
        "\xE2\x82",         /* truncated */
        "\xFF",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(utf8_decode((const unsigned char *)bad[i], strlen(bad[i]), &cp), 0);
}

static void validate_names_the_offset(void **state)
{
    (void)state;
    size_t at = 0;
    assert_int_equal(utf8_validate("ok", 2, &at), 0);
    assert_int_equal(utf8_validate("\xC3\xA9t\xC3", 4, &at), RL_EUTF8);
    assert_int_equal(at, 3); /* é is 2 bytes, t at 2, the cut sequence at 3 */
}

static void encode_round_trip(void **state)
{
    (void)state;
    const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        char b[4];
        uint32_t back;
        size_t k = utf8_encode(cps[i], b);
        assert_true(k > 0);
        assert_int_equal(utf8_decode((unsigned char *)b, k, &back), k);
        assert_int_equal(back, cps[i]);
    }
    char b[4];
    assert_int_equal(utf8_encode(0xD800, b), 0);
    assert_int_equal(utf8_encode(0x110000, b), 0);
}

/* What utf8_scrub leaves, worked out byte by byte. */
static void scrub_cut_and_bad_bytes(void **state)
{
    (void)state;
    char a[] = "caf\xc3\xa9"; /* "café": already valid, unchanged */
    char b[] = "caf\xc3";     /* é cut after its lead byte: dropped */
    char c[] = "x\xe2\x82";   /* € cut after two of three bytes: dropped */
    char d[] = "\"&\\u9\xd2\x9e"
               "c"; /* 0xD2 0x9E is a valid 2-byte sequence (U+049E) */
    char e[] = "a\xff"
               "b\x80"
               "c";           /* bytes never valid: '?' each, text kept */
    char f[] = "\xe2\x82z";   /* a lead, a continuation, then ASCII: not a cut */
    char g[] = "near '\xd2'"; /* jansson's error text, cut inside a character */
    utf8_scrub(a);
    utf8_scrub(b);
    utf8_scrub(c);
    utf8_scrub(d);
    utf8_scrub(e);
    utf8_scrub(f);
    utf8_scrub(g);
    assert_string_equal(a, "caf\xc3\xa9");
    assert_string_equal(b, "caf");
    assert_string_equal(c, "x");
    assert_string_equal(d, "\"&\\u9\xd2\x9e"
                           "c");
    assert_string_equal(e, "a?b?c");
    assert_string_equal(f, "??z");
    assert_string_equal(g, "near '?'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_each_length),       cmocka_unit_test(refuses_what_rfc3629_forbids),
        cmocka_unit_test(validate_names_the_offset), cmocka_unit_test(encode_round_trip),
        cmocka_unit_test(scrub_cut_and_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

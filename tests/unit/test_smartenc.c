/* Smart encoding: look-alikes replaced only when that makes the text GSM-7. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "text/smartenc.h"

static void quotes_and_ellipsis(void **state)
{
    (void)state;
    struct smartenc_result r;
    const char *in = "C\xE2\x80\x99"
                     "est l\xE2\x80\x99"
                     "\xC3\xA9t\xC3\xA9\xE2\x80\xA6"; /* C’est l’été… */
    assert_int_equal(smartenc_apply(in, strlen(in), &r, NULL), 0);
    assert_true(r.applied);
    assert_string_equal(r.text, "C'est l'\xC3\xA9t\xC3\xA9..."); /* é is GSM: kept */
    assert_int_equal(r.nrepl, 2);
    assert_int_equal(r.repl[0].from, 0x2019);
    assert_int_equal(r.repl[0].count, 2);
    assert_string_equal(r.repl[0].to, "'");
    assert_int_equal(r.repl[1].from, 0x2026);
    assert_string_equal(r.repl[1].to, "...");
    smartenc_release(&r);
}

static void text_that_stays_ucs2_is_left_alone(void **state)
{
    (void)state;
    /* ç has no GSM form (accents are never changed), so the text is UCS-2
     * whatever happens to the apostrophe: nothing is replaced. */
    struct smartenc_result r;
    const char *in = "C\xE2\x80\x99"
                     "est \xC3\xA7"
                     "a";
    assert_int_equal(smartenc_apply(in, strlen(in), &r, NULL), 0);
    assert_false(r.applied);
    assert_string_equal(r.text, in);
    assert_int_equal(r.nrepl, 0);
    smartenc_release(&r);
}

static void spaces_dashes_and_invisibles(void **state)
{
    (void)state;
    struct smartenc_result r;
    /* "Prix\u202F: 10\u00A0€ \u2013 soft\u00ADhyphen\tend" */
    const char *in =
        "Prix\xE2\x80\xAF: 10\xC2\xA0\xE2\x82\xAC \xE2\x80\x93 soft\xC2\xADhyphen\tend";
    assert_int_equal(smartenc_apply(in, strlen(in), &r, NULL), 0);
    assert_true(r.applied);
    assert_string_equal(r.text, "Prix : 10 \xE2\x82\xAC - softhyphen end");
    assert_int_equal(r.nrepl, 5); /* narrow nbsp, nbsp, en dash, soft hyphen, tab */
    smartenc_release(&r);
}

static void plain_gsm_text_is_unchanged(void **state)
{
    (void)state;
    struct smartenc_result r;
    assert_int_equal(smartenc_apply("Bonjour", 7, &r, NULL), 0);
    assert_false(r.applied);
    assert_string_equal(r.text, "Bonjour");
    smartenc_release(&r);
}

static void invalid_utf8(void **state)
{
    (void)state;
    struct smartenc_result r;
    struct rl_err err = {0};
    assert_int_equal(smartenc_apply("ok\xC3", 3, &r, &err), RL_EUTF8);
    assert_non_null(strstr(err.msg, "byte 2"));
    smartenc_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quotes_and_ellipsis),
        cmocka_unit_test(text_that_stays_ucs2_is_left_alone),
        cmocka_unit_test(spaces_dashes_and_invisibles),
        cmocka_unit_test(plain_gsm_text_is_unchanged),
        cmocka_unit_test(invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

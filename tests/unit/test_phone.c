/* Phone numbers. Expected values are worked out by hand from the numbering
 * plans, not copied from the program's output:
 *  - France, ARCEP "plan national de numérotation": ten digits 0Z ABPQ MCDU;
 *    the leading 0 is the trunk prefix, dropped after +33, so the national
 *    significant number (NSN) has 9 digits. Z = 1-5 geographic (1 Île-de-France),
 *    6 and 7 mobile, 8 special services (0800-0805 free to the caller, 089
 *    value-added at a premium), 9 non-geographic (VoIP, "box" lines).
 *    No NSN starts with 0: that digit is the trunk prefix.
 *  - Belgium, BIPT plan: trunk prefix 0; 046-049 mobile (NSN 9 digits),
 *    02 Brussels geographic (NSN 8 digits).
 *  - ITU-T E.164: at most 15 digits after '+'; country code 999 is not
 *    assigned (ITU-T E.164 list of assigned country codes); +800 is the
 *    International Freephone Service (UIFN), 8-digit subscriber numbers. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "phone/phone.h"

static void expect_valid(const char *in, const char *region, const char *e164, enum phone_type type,
                         const char *num_region)
{
    struct phone_info info;
    struct rl_err err = {0};
    int rv = phone_parse(in, strlen(in), region, &info, &err);
    if (rv != 0)
        print_error("'%s' (default %s): %s\n", in, region, err.msg);
    assert_int_equal(rv, 0);
    assert_true(info.valid);
    assert_string_equal(info.e164, e164);
    assert_string_equal(phone_type_name(info.type), phone_type_name(type));
    assert_string_equal(info.region, num_region);
}

/* Expects RL_EPHONE on field "phone" with exactly msg, and nothing usable. */
static void expect_error_n(const char *in, size_t len, const char *region, const char *msg)
{
    struct phone_info info;
    struct rl_err err = {0};
    assert_int_equal(phone_parse(in, len, region, &info, &err), RL_EPHONE);
    assert_int_equal(err.code, RL_EPHONE);
    assert_string_equal(err.field, "phone");
    assert_string_equal(err.msg, msg);
    assert_false(info.valid);
    assert_string_equal(info.e164, "");
    assert_int_equal(info.type, PHONE_TYPE_UNKNOWN);
}

static void expect_error(const char *in, const char *region, const char *msg)
{
    expect_error_n(in, strlen(in), region, msg);
}

struct job {
    const char *in;
    int ok;
};

static void *parse_many(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < 200; i++) {
        struct phone_info info;
        if (phone_parse(j->in, strlen(j->in), "FR", &info, NULL) == 0 &&
            strcmp(info.e164, "+33610203040") == 0)
            j->ok++;
    }
    return NULL;
}

/* First in the list, so the library's singleton is built under contention:
 * the header promises calls from any thread. */
static void threads_share_the_library(void **state)
{
    (void)state;
    const char *ins[] = {"06 10 20 30 40", "+33610203040", "0033610203040", "06.10.20.30.40"};
    pthread_t t[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){ins[i], 0};
        assert_int_equal(pthread_create(&t[i], NULL, parse_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].ok, 200);
    }
}

/* The seven spellings of one French mobile (06 = mobile, ARCEP). */
static void french_mobile_forms(void **state)
{
    (void)state;
    const char *forms[] = {"0610203040",    "33610203040",    "610203040",     "+33610203040",
                           "0033610203040", "06 10 20 30 40", "06.10.20.30.40"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        expect_valid(forms[i], "FR", "+33610203040", PHONE_TYPE_MOBILE, "FR");
    struct phone_info info;
    assert_int_equal(phone_parse("0610203040", 10, "FR", &info, NULL), 0);
    assert_int_equal(info.country_code, 33);
    assert_true(phone_is_mobile_type(info.type));
}

static void french_types(void **state)
{
    (void)state;
    /* 07 is the second mobile range (ARCEP, opened 2010). */
    expect_valid("07 56 78 90 12", "FR", "+33756789012", PHONE_TYPE_MOBILE, "FR");
    /* 01: Île-de-France geographic. */
    expect_valid("01 40 00 00 00", "FR", "+33140000000", PHONE_TYPE_FIXED_LINE, "FR");
    /* 0800: free to the caller. */
    expect_valid("0800 12 34 56", "FR", "+33800123456", PHONE_TYPE_TOLL_FREE, "FR");
    /* 0899: value-added service at the highest rate. */
    expect_valid("0899 12 34 56", "FR", "+33899123456", PHONE_TYPE_PREMIUM_RATE, "FR");
    /* 09: non-geographic, the numbers of VoIP boxes. */
    expect_valid("09 12 34 56 78", "FR", "+33912345678", PHONE_TYPE_VOIP, "FR");
    /* +800: UIFN freephone, which belongs to no country. */
    expect_valid("+800 1234 5678", "FR", "+80012345678", PHONE_TYPE_TOLL_FREE, "001");
}

static void belgian_numbers(void **state)
{
    (void)state;
    /* International form wins over the default region. */
    expect_valid("+32 470 12 34 56", "FR", "+32470123456", PHONE_TYPE_MOBILE, "BE");
    /* National forms with default BE: 0470 mobile, 02 Brussels. */
    expect_valid("0470 12 34 56", "BE", "+32470123456", PHONE_TYPE_MOBILE, "BE");
    expect_valid("02 234 56 78", "BE", "+3222345678", PHONE_TYPE_FIXED_LINE, "BE");
    /* The default region is accepted in any case. */
    expect_valid("0470123456", "be", "+32470123456", PHONE_TYPE_MOBILE, "BE");
}

static void length_errors(void **state)
{
    (void)state;
    /* NSN "610": 3 digits of the 9 the French plan needs. */
    expect_error("0610", "FR", "'0610' is too short for FR");
    /* NSN "6102030405060": 13 digits. */
    expect_error("+336102030405060", "FR", "'+336102030405060' is too long for FR");
    /* Over the 17 digits any NSN may have: refused while parsing. */
    expect_error("06102030405060708090123", "FR", "'06102030405060708090123' is too long");
    /* 00 is the international prefix, and nothing follows the country code. */
    expect_error("0033", "FR", "'0033' is too short after the international prefix");
}

static void other_errors(void **state)
{
    (void)state;
    expect_error("+99912345", "FR", "'+99912345' has an invalid country code");
    expect_error("hello", "FR", "'hello' is not a phone number");
    expect_error("", "FR", "'' is not a phone number");
    /* Nine digits, the right length, but no French NSN starts with 0. */
    expect_error("+33 0 12 34 56 78", "FR", "'+33 0 12 34 56 78' is not a valid number in FR");
    /* The library would drop the extension and give the switchboard's E.164. */
    expect_error("06 10 20 30 40 ext. 5", "FR",
                 "'06 10 20 30 40 ext. 5' has an extension, which SMS cannot reach");
    /* Three letters make the library read letters as keypad digits: the
     * label would be dialled as 662453. A leading label is skipped, though. */
    expect_error("06 10 20 30 40 (mobile)", "FR",
                 "'06 10 20 30 40 (mobile)' has letters that would be read as digits");
    expect_valid("Tel: 06 10 20 30 40", "FR", "+33610203040", PHONE_TYPE_MOBILE, "FR");
    /* 49 and a 15-digit German 0800 number: 17 digits, over E.164's 15. */
    expect_error("+49 800 123456789012", "FR",
                 "'+49 800 123456789012' has more digits than E.164 allows (15 with the country "
                 "code)");
    /* Without a default region only international forms can parse. */
    expect_error("0610203040", NULL,
                 "'0610203040' has no valid country code (and there is no default region)");
    expect_valid("+33610203040", NULL, "+33610203040", PHONE_TYPE_MOBILE, "FR");
}

static void parsed_but_invalid_keeps_its_region(void **state)
{
    (void)state;
    struct phone_info info;
    assert_int_equal(phone_parse("0610", 4, "FR", &info, NULL), RL_EPHONE);
    assert_false(info.valid);
    assert_string_equal(info.e164, "");
    assert_string_equal(info.region, "FR");
    assert_int_equal(info.country_code, 33);
    assert_int_equal(phone_parse("hello", 5, "FR", &info, NULL), RL_EPHONE);
    assert_string_equal(info.region, "");
    assert_int_equal(info.country_code, 0);
}

static void bytes_refused_before_the_library(void **state)
{
    (void)state;
    char big[PHONE_INPUT_MAX + 2];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_error(big, "FR",
                 "'1111111111111111111111111111111111111111111111111111111111111111...' "
                 "is longer than 64 bytes");
    /* Exactly at the cap is not refused for its length. */
    big[PHONE_INPUT_MAX] = '\0';
    expect_error(big, "FR",
                 "'1111111111111111111111111111111111111111111111111111111111111111'"
                 " is too long");
    expect_error_n("06\0 10 20 30 40", 15, "FR", "'06\\x00 10 20 30 40' contains a NUL byte");
    expect_error("06\xFF 10 20 30 40", "FR",
                 "'06\\xFF 10 20 30 40' is not valid UTF-8 (at byte offset 2)");
    /* A cut sequence at the end, and a control character, are shown escaped. */
    expect_error("0610\xC3", "FR", "'0610\\xC3' is not valid UTF-8 (at byte offset 4)");
    expect_error("06\x1b[2J", "FR", "'06\\x1B[2J' is not a phone number");
}

static void default_region_is_checked(void **state)
{
    (void)state;
    const char *bad[] = {"XX", "ZZ", "001", "F", "FRA", "", "F1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct phone_info info;
        struct rl_err err = {0};
        char want[64];
        assert_int_equal(phone_parse("0610203040", 10, bad[i], &info, &err), RL_EINVAL);
        assert_string_equal(err.field, "region");
        snprintf(want, sizeof(want), "unknown default region '%s'", bad[i]);
        assert_string_equal(err.msg, want);
        assert_false(info.valid);
        assert_false(phone_region_valid(bad[i]));
    }
    assert_false(phone_region_valid(NULL));
    assert_true(phone_region_valid("FR"));
    assert_true(phone_region_valid("be"));
    assert_true(phone_region_valid("RE")); /* Réunion has its own metadata (+262) */
}

static void type_names(void **state)
{
    (void)state;
    const char *names[] = {"fixed_line", "mobile",          "fixed_line_or_mobile",
                           "toll_free",  "premium_rate",    "shared_cost",
                           "voip",       "personal_number", "pager",
                           "uan",        "voicemail",       "unknown"};
    for (int t = PHONE_TYPE_FIXED_LINE; t <= PHONE_TYPE_UNKNOWN; t++)
        assert_string_equal(phone_type_name((enum phone_type)t), names[t]);
    assert_string_equal(phone_type_name((enum phone_type)99), "unknown");
    assert_string_equal(phone_type_name((enum phone_type) - 1), "unknown");
    for (int t = PHONE_TYPE_FIXED_LINE; t <= PHONE_TYPE_UNKNOWN; t++)
        assert_int_equal(phone_is_mobile_type((enum phone_type)t),
                         t == PHONE_TYPE_MOBILE || t == PHONE_TYPE_FIXED_LINE_OR_MOBILE);
}

/* Overseas mobiles written nationally, from ARCEP's plan: 0690/0691
 * Guadeloupe, Saint-Barthélemy, Saint-Martin (+590), 0694 Guyane (+594),
 * 0696/0697 Martinique (+596), 0692/0693 La Réunion and 0639 Mayotte (+262).
 * The E.164 form is the territory's country code and the nine digits after
 * the trunk 0. */
static void overseas_mobiles_written_nationally(void **state)
{
    (void)state;
    static const struct {
        const char *in, *e164, *region;
    } cases[] = {
        {"0690 12 34 56", "+590690123456", "GP"},  {"0694 20 12 34", "+594694201234", "GF"},
        {"0696 10 12 34", "+596696101234", "MQ"},  {"0692 12 34 56", "+262692123456", "RE"},
        {"06.92.12.34.56", "+262692123456", "RE"}, {"692123456", "+262692123456", "RE"},
        {"0639 20 12 34", "+262639201234", "YT"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct phone_info info;
        struct rl_err err = {0};
        const char *in = cases[i].in;
        /* libphonenumber alone refuses them for FR: those ranges are not France's. */
        assert_int_equal(phone_parse(in, strlen(in), "FR", &info, NULL), RL_EPHONE);
        assert_int_equal(phone_parse_with_overseas(in, strlen(in), "FR", &info, &err), 0);
        assert_string_equal(info.e164, cases[i].e164);
        assert_string_equal(info.region, cases[i].region);
        assert_int_equal(info.type, PHONE_TYPE_MOBILE);
        assert_string_equal(err.msg, ""); /* a retry that works leaves err alone */
    }
    /* Lower-case region, as phone_parse takes it. */
    struct phone_info info;
    assert_int_equal(phone_parse_with_overseas("0692123456", 10, "fr", &info, NULL), 0);
    assert_string_equal(info.e164, "+262692123456");
}

static void overseas_retry_only_for_national_numbers_in_france(void **state)
{
    (void)state;
    struct phone_info info;
    struct rl_err err = {0};
    /* Metropolitan numbers are unchanged: 06 is mobile, 01 Paris. */
    assert_int_equal(phone_parse_with_overseas("06 12 34 56 78", 14, "FR", &info, NULL), 0);
    assert_string_equal(info.e164, "+33612345678");
    /* International form: +33 692... is invalid and says so, no guess. */
    assert_int_equal(phone_parse_with_overseas("+33692123456", 12, "FR", &info, &err), RL_EPHONE);
    assert_string_equal(err.msg, "'+33692123456' is not a valid number in FR");
    assert_false(info.valid);
    assert_string_equal(info.e164, "");
    /* Other default regions: phone_parse as is (0692... is not Belgian). */
    assert_int_equal(phone_parse_with_overseas("0692123456", 10, "BE", &info, NULL), RL_EPHONE);
    assert_int_equal(phone_parse_with_overseas("0692123456", 10, NULL, &info, NULL), RL_EPHONE);
    /* Wrong digit counts keep France's error: 8 and 11 digits. */
    assert_int_equal(phone_parse_with_overseas("06921234", 8, "FR", &info, &err), RL_EPHONE);
    assert_string_equal(err.msg, "'06921234' is too short for FR");
    assert_int_equal(phone_parse_with_overseas("33692123456", 11, "FR", &info, NULL), RL_EPHONE);
    /* Errors before the library are phone_parse's. */
    assert_int_equal(phone_parse_with_overseas("0692123456", 10, "XX", &info, &err), RL_EINVAL);
    assert_string_equal(err.field, "region");
    assert_int_equal(phone_parse_with_overseas(NULL, 0, "FR", &info, NULL), RL_EPHONE);
}

/* --- phone_parse_typed: the fast path -------------------------------------------------------- */

static void same_answer(const char *in, const char *region)
{
    struct phone_info a, b;
    struct rl_err ea = {0}, eb = {0};
    int ra = phone_parse_typed(in, strlen(in), region, &a, &ea);
    int rb = phone_parse_with_overseas(in, strlen(in), region, &b, &eb);
    if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0 || strcmp(ea.msg, eb.msg) != 0)
        print_error("'%s' (%s): fast %d %s, library %d %s\n", in, region ? region : "none", ra,
                    a.e164, rb, b.e164);
    assert_int_equal(ra, rb);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_string_equal(ea.msg, eb.msg);
}

/* Every 5-digit start of a French 06/07 number and every 4-digit start of
 * the others, so a range that the library splits finer than the fast path's
 * 3-digit table would show here; then every spelling of every 3-digit start. */
static void fast_path_matches_the_library(void **state)
{
    (void)state;
    char in[32];
    for (int p = 60000; p < 80000; p++) {
        snprintf(in, sizeof(in), "0%d%04d", p, (p * 7919) % 10000);
        same_answer(in, "FR");
    }
    for (int p = 1000; p < 10000; p++) {
        if (p >= 6000 && p < 8000)
            continue;
        snprintf(in, sizeof(in), "0%d%05d", p, (p * 7919) % 100000);
        same_answer(in, "FR");
    }
    /* Each spelling: what comes before the 9-digit national number, and the
     * separator put after its first 3 digits. */
    static const char *const shapes[][2] = {
        {"0", ""},     {"+33", ""}, {"0033", ""}, {"33", ""},     {"", ""},
        {"+33 ", " "}, {"0", "."},  {"0", "-"},   {"0033 ", " "}, {"0", "  "},
    };
    for (int p = 100; p < 1000; p++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            snprintf(in, sizeof(in), "%s%d%s%06d", shapes[s][0], p, shapes[s][1],
                     (p * 104729) % 1000000);
            same_answer(in, "FR");
            same_answer(in, NULL);
            same_answer(in, "BE");
        }
    }
    /* Separators in random places, some doubled or at the ends (slow path). */
    srand(7);
    for (int i = 0; i < 3000; i++) {
        char digits[16], *o = in;
        snprintf(digits, sizeof(digits), "0%d%08d", 1 + rand() % 9, rand() % 100000000);
        if (rand() % 4 == 0)
            *o++ = ' ';
        for (const char *d = digits; *d; d++) {
            *o++ = *d;
            int r = rand() % 8;
            if (r < 3)
                *o++ = " .-"[r];
            if (r == 3 && rand() % 4 == 0)
                *o++ = '/';
        }
        *o = '\0';
        same_answer(in, "FR");
    }
    /* Not mobile or not French: the library answers. */
    same_answer("0123456789", "FR");
    same_answer("0692123456", "FR");
    same_answer("06 12 34 56 7", "FR");
    same_answer("06123456789", "FR");
    same_answer("+3261234567", "FR");
    same_answer("", "FR");
    same_answer("0612345678", "XX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_matches_the_library),
        cmocka_unit_test(threads_share_the_library),
        cmocka_unit_test(french_mobile_forms),
        cmocka_unit_test(french_types),
        cmocka_unit_test(belgian_numbers),
        cmocka_unit_test(length_errors),
        cmocka_unit_test(other_errors),
        cmocka_unit_test(parsed_but_invalid_keeps_its_region),
        cmocka_unit_test(bytes_refused_before_the_library),
        cmocka_unit_test(default_region_is_checked),
        cmocka_unit_test(type_names),
        cmocka_unit_test(overseas_mobiles_written_nationally),
        cmocka_unit_test(overseas_retry_only_for_national_numbers_in_france),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

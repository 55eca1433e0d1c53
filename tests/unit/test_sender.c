/* Sender IDs: alphanumeric (11 characters of A-Z a-z 0-9 space) or numeric (15 digits). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "text/sender.h"
#include "core/banned.h"

static struct sender_info ok(const char *s)
{
    struct sender_info info;
    struct rl_err err = {0};
    if (sender_check(s, strlen(s), &info, &err) != 0)
        fail_msg("'%s' refused: %s", s, err.msg);
    return info;
}

/* Asserts s is refused with exactly msg, on field "from". */
static void refused(const char *s, const char *msg)
{
    struct sender_info info;
    struct rl_err err = {0};
    assert_int_equal(sender_check(s, strlen(s), &info, &err), RL_ESENDER);
    assert_int_equal(err.code, RL_ESENDER);
    assert_string_equal(err.field, "from");
    assert_string_equal(err.msg, msg);
}

static void alphanumeric_up_to_11(void **state)
{
    (void)state;
    struct sender_info i = ok("MaBoutique");
    assert_int_equal(i.kind, SENDER_ALPHANUMERIC);
    assert_int_equal(i.len, 10);
    assert_string_equal(i.addr, "MaBoutique");
    assert_int_equal(ok("ABCDEFGHIJK").len, 11);
    assert_int_equal(ok("A").len, 1);
    assert_int_equal(ok("Shop2024").kind, SENDER_ALPHANUMERIC);
    refused("ABCDEFGHIJKL",
            "sender 'ABCDEFGHIJKL' is 12 characters; alphanumeric sender IDs are at most 11");
    refused("MaBoutique2024",
            "sender 'MaBoutique2024' is 14 characters; alphanumeric sender IDs are at most 11");
}

static void spaces(void **state)
{
    (void)state;
    assert_string_equal(ok("Ma Boutique").addr, "Ma Boutique"); /* 11 with the space */
    assert_int_equal(ok("Le  Shop").len, 8);                    /* inner spaces are fine */
    refused(" Shop",
            "sender ' Shop' starts with a space; alphanumeric sender IDs cannot start or end "
            "with one");
    refused("Shop ",
            "sender 'Shop ' ends with a space; alphanumeric sender IDs cannot start or end with "
            "one");
    refused("   ", "sender '   ' starts with a space; alphanumeric sender IDs cannot start or end "
                   "with one");
    /* Digits with spaces are neither: no letter, and not a number either. */
    refused("12 34", "sender '12 34' has no letter; alphanumeric sender IDs need one, and numeric "
                     "ones are digits only");
}

static void digits_only_is_numeric(void **state)
{
    (void)state;
    struct sender_info i = ok("36180");
    assert_int_equal(i.kind, SENDER_NUMERIC);
    assert_false(i.plus);
    assert_int_equal(i.len, 5);
    assert_string_equal(i.addr, "36180");
    /* 12 digits: over the alphanumeric 11, but a number is judged as a number */
    assert_int_equal(ok("336123456789").kind, SENDER_NUMERIC);
    assert_int_equal(ok("336102030405060").len, 15);
    refused("3361020304050607",
            "sender '3361020304050607' has 16 digits; numeric sender IDs are at most 15");
}

static void plus_prefix(void **state)
{
    (void)state;
    struct sender_info i = ok("+33612345678");
    assert_int_equal(i.kind, SENDER_NUMERIC);
    assert_true(i.plus);
    assert_int_equal(i.len, 11); /* the '+' is not a digit */
    assert_string_equal(i.addr, "33612345678");
    assert_int_equal(ok("+336102030405060").len, 15);
    refused("+3361020304050607",
            "sender '+3361020304050607' has 16 digits; numeric sender IDs are at most 15");
    refused("+", "sender '+' has no digits after the '+'");
    refused("+33 6", "sender '+33 6' contains a space; numeric sender IDs allow only digits after "
                     "the '+'");
    refused("+33abc", "sender '+33abc' contains 'a'; numeric sender IDs allow only digits after "
                      "the '+'");
    refused("++33", "sender '++33' contains '+'; numeric sender IDs allow only digits after the "
                    "'+'");
}

static void accents_and_punctuation(void **state)
{
    (void)state;
    refused("Caf\xC3\xA9", "sender 'Caf\xC3\xA9' contains '\xC3\xA9'; alphanumeric sender IDs "
                           "allow only A-Z, a-z, 0-9 and spaces");
    refused("Shop!", "sender 'Shop!' contains '!'; alphanumeric sender IDs allow only A-Z, a-z, "
                     "0-9 and spaces");
    refused("Shop-Lyon", "sender 'Shop-Lyon' contains '-'; alphanumeric sender IDs allow only "
                         "A-Z, a-z, 0-9 and spaces");
    /* The character rule comes before the length rule: 'é' can never be sent. */
    refused("Caf\xC3\xA9 de la Gare", "sender 'Caf\xC3\xA9 de la Gare' contains '\xC3\xA9'; "
                                      "alphanumeric sender IDs allow only A-Z, a-z, 0-9 and "
                                      "spaces");
    /* A no-break space looks like a space: named by code point. */
    refused("Ma\xC2\xA0Shop", "sender 'Ma\xC2\xA0Shop' contains U+00A0; alphanumeric sender IDs "
                              "allow only A-Z, a-z, 0-9 and spaces");
    /* A control character is shown as '?' in the quoted value. */
    refused("Shop\tA", "sender 'Shop?A' contains U+0009; alphanumeric sender IDs allow only A-Z, "
                       "a-z, 0-9 and spaces");
}

static void empty_and_malformed(void **state)
{
    (void)state;
    refused("", "sender is empty; use up to 11 letters, digits and spaces, or a number of up to "
                "15 digits");
    refused("Sh\xFFp", "sender is not valid UTF-8 at byte 2");
    struct sender_info info;
    struct rl_err err = {0};
    assert_int_equal(sender_check("A\0B", 3, &info, &err), RL_ESENDER); /* NUL is not allowed */
    assert_string_equal(err.msg, "sender 'A?B' contains U+0000; alphanumeric sender IDs allow "
                                 "only A-Z, a-z, 0-9 and spaces");
}

static void long_value_is_cut_in_the_message(void **state)
{
    (void)state;
    char s[61];
    memset(s, 'A', 60);
    s[60] = '\0';
    struct sender_info info;
    struct rl_err err = {0};
    assert_int_equal(sender_check(s, 60, &info, &err), RL_ESENDER);
    /* 40 bytes of the value, then "...", then the real count */
    assert_string_equal(err.msg, "sender 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' is 60 "
                                 "characters; alphanumeric sender IDs are at most 11");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alphanumeric_up_to_11),
        cmocka_unit_test(spaces),
        cmocka_unit_test(digits_only_is_numeric),
        cmocka_unit_test(plus_prefix),
        cmocka_unit_test(accents_and_punctuation),
        cmocka_unit_test(empty_and_malformed),
        cmocka_unit_test(long_value_is_cut_in_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

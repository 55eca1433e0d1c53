/* What a contact may hold (domain/contact.c): e-mail addresses, language tags
 * in the registry's case (RFC 5646 §2.1.1: language lower, script Title,
 * region upper), names and custom fields. Expected values are written by
 * hand from those rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domain/contact.h"
#include "core/banned.h"

static int email(const char *s)
{
    struct rl_err err = {0};
    int rc = contact_email_check(s, strlen(s), &err);
    if (rc != 0)
        assert_string_equal(err.field, "email");
    return rc;
}

static void emails(void **state)
{
    (void)state;
    static const char *const good[] = {"zoe@example.fr", "a.b+tag@sub.example.co.uk",
                                       "élodie@exemple.fr", "x@xn--bcher-kva.example", "a@b.c"};
    static const char *const bad[] = {
        "zoe.example.fr",
        "a@b@c.fr",
        "@example.fr",
        "zoe@example",
        "zoe@.example.fr",
        "zoe@ex..fr",
        "zoe@-example.fr",
        "zoe@example-.fr",
        "zo e@example.fr",
        "zoe@example.fr.",
        "a\"b@example.fr",
        "zoe@exa_mple.fr",
        "a@b",
        "",
        "<zoe@example.fr>",
        "zoe@example.fr\n",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (email(good[i]) != 0)
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (email(bad[i]) != RL_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
    /* 64 bytes before the '@' pass, 65 do not; so do 253 bytes in labels of 63. */
    char s[300];
    memset(s, 'a', 64);
    snprintf(s + 64, sizeof(s) - 64, "@example.fr");
    assert_int_equal(email(s), 0);
    memset(s, 'a', 65);
    snprintf(s + 65, sizeof(s) - 65, "@example.fr");
    assert_int_equal(email(s), RL_EINVAL);
    memset(s, 'b', 254);
    memcpy(s, "a@", 2);
    memcpy(s + 250, ".fr", 4); /* labels of 63 bytes: "bbb…" cut by dots */
    for (size_t i = 2 + 63; i < 250; i += 64)
        s[i] = '.';
    assert_int_equal(strlen(s), 253);
    assert_int_equal(email(s), 0);
    struct rl_err err = {0};
    assert_int_equal(contact_email_check("a@b.c\xff", 6, &err), RL_EINVAL);
}

static void languages(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"fr", "fr"},
        {"FR", "fr"},
        {"fr_fr", "fr-FR"},
        {"EN-gb", "en-GB"},
        {"zh-hant-tw", "zh-Hant-TW"},
        {"es-419", "es-419"},
        {"gsw", "gsw"},
        {"sl-rozaj-biske", "sl-rozaj-biske"},
        {"de-CH-x-phonebk", "de-CH-x-phonebk"},
    };
    char out[STORE_CONTACT_LANG_MAX + 1];
    struct rl_err err = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(contact_language_norm(cases[i][0], strlen(cases[i][0]), out, &err), 0);
        assert_string_equal(out, cases[i][1]);
    }
    static const char *const bad[] = {"",
                                      "f",
                                      "fren",
                                      "fr-",
                                      "fr--FR",
                                      "fr FR",
                                      "123",
                                      "-fr",
                                      "fr-abcdefghi",
                                      "français",
                                      "en-GB-oxendict-abcdefghijklmnopqrstuvwxyz"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (contact_language_norm(bad[i], strlen(bad[i]), out, &err) != RL_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_string_equal(err.field, "language");
        assert_string_equal(out, "");
    }
}

static void names(void **state)
{
    (void)state;
    struct rl_err err = {0};
    char big[STORE_CONTACT_NAME_MAX + 2];
    assert_int_equal(contact_name_check("Zoé", strlen("Zoé"), "first_name", &err), 0);
    assert_int_equal(contact_name_check("", 0, "first_name", &err), RL_EINVAL);
    assert_string_equal(err.field, "first_name");
    assert_int_equal(contact_name_check("a\tb", 3, "last_name", &err), RL_EINVAL);
    assert_string_equal(err.field, "last_name");
    assert_int_equal(contact_name_check("\xc3", 1, "last_name", &err), RL_EINVAL);
    memset(big, 'a', sizeof(big));
    assert_int_equal(contact_name_check(big, STORE_CONTACT_NAME_MAX, "first_name", &err), 0);
    assert_int_equal(contact_name_check(big, STORE_CONTACT_NAME_MAX + 1, "first_name", &err),
                     RL_ETOOLONG);
    assert_string_equal(err.msg, "first_name is 257 bytes (at most 256)");
}

/* A custom field name of 65 bytes, one over CONTACT_FIELD_KEY_MAX. */
#define KEY65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char *fields(const char *json, bool allow_null, struct rl_err *err)
{
    json_t *v = json_loads(json, JSON_PRESERVE_ORDER, NULL);
    assert_non_null(v);
    char *s = contact_fields_json(v, allow_null, err);
    json_decref(v);
    return s;
}

static void custom_fields(void **state)
{
    (void)state;
    struct rl_err err = {0};
    char *s =
        fields("{\"shop\": \"Lyon\", \"orders\": 3, \"vip\": true, \"ratio\": 0.5}", false, &err);
    assert_string_equal(s, "{\"shop\":\"Lyon\",\"orders\":3,\"vip\":true,\"ratio\":0.5}");
    free(s);
    s = fields("{\"old\": null}", true, &err);
    assert_string_equal(s, "{\"old\":null}");
    free(s);
    static const char *const bad[] = {"{\"old\": null}", "{\"a\": {}}", "{\"a\": [1]}", "{\"\": 1}",
                                      "{\"" KEY65 "\": 1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (fields(bad[i], false, &err) != NULL)
            fail_msg("%s accepted", bad[i]);
        assert_int_equal(err.code, RL_EINVAL);
        assert_string_equal(err.field, "fields");
    }
    /* 64 members pass, 65 do not; 16,384 bytes of JSON pass, more do not. */
    json_t *o = json_object();
    for (int i = 0; i < 65; i++) {
        char k[8];
        snprintf(k, sizeof(k), "f%d", i);
        if (i < 64) {
            s = contact_fields_json(o, false, &err);
            assert_non_null(s);
            free(s);
        }
        json_object_set_new(o, k, json_integer(i));
    }
    assert_null(contact_fields_json(o, false, &err));
    assert_int_equal(err.code, RL_ETOOLONG);
    json_decref(o);
    char *val = malloc(16384);
    memset(val, 'v', 16384 - 9);
    val[16384 - 9] = '\0';
    o = json_pack("{s:s}", "k", val); /* {"k":"vvv…"}: 8 bytes + the value */
    s = contact_fields_json(o, false, &err);
    assert_non_null(s);
    assert_int_equal(strlen(s), 16383);
    free(s);
    json_object_set_new(o, "k", json_string("vv"));
    json_object_set_new(o, "l", json_string(val));
    assert_null(contact_fields_json(o, false, &err));
    assert_int_equal(err.code, RL_ETOOLONG);
    json_decref(o);
    free(val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emails),
        cmocka_unit_test(languages),
        cmocka_unit_test(names),
        cmocka_unit_test(custom_fields),
    };
    return cmocka_run_group_tests_name("contact", tests, NULL, NULL);
}

/* Templates: #field#, #field|fallback#, ## and the '#' that stays literal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "text/template.h"
#include "core/banned.h"

struct kv {
    const char *key;
    const char *value; /* NULL: the lookup refuses it with RL_EINVAL (an array, say) */
};

static const struct kv people[] = {
    {"firstname", "Zo\xC3\xA9"},           /* Zoé */
    {"shop", "\xC3\x89picerie"},           /* Épicerie: 9 bytes */
    {"empty", ""},                         /* present but empty */
    {"emoji", "\xF0\x9F\x8E\x89"},         /* 🎉 */
    {"order.ref", "A-12"},                 /* nested data, flattened by the caller */
    {"list", NULL},                        /* a value that is not text */
    {"first name", "never referenceable"}, /* not a valid name: left out of "known" */
};

struct table {
    const struct kv *kv;
    size_t n;
};

static bool same_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] | 0x20) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] | 0x20) : b[i];
        if (x != y)
            return false;
    }
    return true;
}

static int table_get(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
    const struct table *t = ctx;
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->kv[i].key) != len || !same_ci(t->kv[i].key, name, len))
            continue;
        if (!t->kv[i].value)
            return RL_EINVAL;
        *value = t->kv[i].value;
        *value_len = strlen(t->kv[i].value);
        return 1;
    }
    return 0;
}

static void table_known(void *ctx, struct buf *out)
{
    const struct table *t = ctx;
    for (size_t i = 0; i < t->n; i++)
        template_known_add(out, t->kv[i].key, strlen(t->kv[i].key));
}

static struct table tab = {people, sizeof(people) / sizeof(people[0])};
static const struct template_data data = {table_get, table_known, &tab};

/* Renders with the people table; returns the code, out holds the text. */
static int render(const char *tpl, size_t max, struct buf *out, struct rl_err *err)
{
    return template_render(tpl, strlen(tpl), &data, max, out, err);
}

static void assert_renders(const char *tpl, const char *want)
{
    struct buf out;
    struct rl_err err = {0};
    int rc = render(tpl, 0, &out, &err);
    if (rc != 0)
        fail_msg("'%s': %s", tpl, err.msg);
    assert_string_equal(out.data, want);
    assert_int_equal(out.len, strlen(want));
    buf_release(&out);
}

static void substitutes_fields(void **state)
{
    (void)state;
    assert_renders("Bonjour #firstname#, bienvenue chez #shop#",
                   "Bonjour Zo\xC3\xA9, bienvenue chez \xC3\x89picerie");
    assert_renders("#order.ref#", "A-12");
    assert_renders("#FirstName#", "Zo\xC3\xA9"); /* the name reaches the lookup as written */
    assert_renders("#firstname##shop#", "Zo\xC3\xA9\xC3\x89picerie");
    assert_renders("", "");
}

static void fallback_when_missing_or_empty(void **state)
{
    (void)state;
    assert_renders("Bonjour #nom|client#", "Bonjour client");
    assert_renders("[#empty|rien#]", "[rien]");
    assert_renders("[#empty#]", "[]"); /* present but empty, no fallback: empty, no error */
    assert_renders("[#nom|#]", "[]");  /* an empty fallback */
    assert_renders("#firstname|client#", "Zo\xC3\xA9");
    assert_renders("#nom|cher client | ami#",
                   "cher client | ami"); /* '|' after the first is text */
    assert_renders("#nom|Zo\xC3\xA9 \xF0\x9F\x8E\x89#", "Zo\xC3\xA9 \xF0\x9F\x8E\x89");
}

static void double_hash_is_one_hash(void **state)
{
    (void)state;
    assert_renders("##", "#");
    assert_renders("####", "##");
    assert_renders("##firstname##", "#firstname#"); /* how to write a placeholder literally */
    /* "##", " ", "#firstname#", then a '#' followed by a space, " ", "##" */
    assert_renders("## #firstname## ##", "# Zo\xC3\xA9# #");
}

static void hash_that_opens_nothing_is_literal(void **state)
{
    (void)state;
    const char *same[] = {
        "Order #123 ready",
        "# alone",
        "#",
        "end#",
        "#first name#",       /* a space cannot be in a name */
        "#-x#",               /* nor can a name start with '-' */
        "#firstname",         /* never closed */
        "Hi #shop|Chez nous", /* fallback never closed */
        "#firstname\n#",      /* a line break ends the attempt */
        "#nom|client\n#",     /* a fallback cannot span lines */
        "#nom|client\r\n#",
        "#\xC3\xA9t\xC3\xA9#", /* names are ASCII */
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_renders(same[i], same[i]);
    assert_renders("C#, F# and #shop#", "C#, F# and \xC3\x89picerie");
    assert_renders("#123#shop#", "#123\xC3\x89picerie"); /* the second '#' opens #shop# */
    assert_renders("#firstname\n#shop#", "#firstname\n\xC3\x89picerie");
}

static void unknown_field_lists_known_names(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(render("Hi #nom#!", 0, &out, &err), RL_EFIELD);
    assert_int_equal(err.code, RL_EFIELD);
    assert_string_equal(err.field, "nom");
    /* "first name" cannot be written in a placeholder, so it is not offered */
    assert_string_equal(
        err.msg, "unknown field 'nom' (known: firstname, shop, empty, emoji, order.ref, list)");
    buf_release(&out);

    struct template_data none = {table_get, NULL, &tab};
    assert_int_equal(template_render("#nom#", 5, &none, 0, &out, &err), RL_EFIELD);
    assert_string_equal(err.msg, "unknown field 'nom' (known: none)");
    buf_release(&out);

    assert_int_equal(template_render("#nom#", 5, NULL, 0, &out, &err), RL_EFIELD);
    buf_release(&out);
    assert_int_equal(template_render("plain", 5, NULL, 0, &out, &err), 0);
    assert_string_equal(out.data, "plain");
    buf_release(&out);
}

static void known_list_stays_short(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 20);
    template_known_add(&b, "alpha", 5);
    template_known_add(&b, "no way", 6); /* not a name: skipped */
    template_known_add(&b, "bravo", 5);
    template_known_add(&b, "charlie", 7); /* 12 + ", charlie" would leave no room for ", ..." */
    template_known_add(&b, "d", 1);       /* after the "...": dropped */
    assert_string_equal(b.data, "alpha, bravo, ...");
    buf_release(&b);

    /* The message fits struct rl_err whatever the data holds. */
    struct kv many[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "field%d", i);
        many[i] = (struct kv){names[i], "x"};
    }
    struct table t = {many, 40};
    struct template_data d = {table_get, table_known, &t};
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(template_render("#nom#", 5, &d, 0, &out, &err), RL_EFIELD);
    size_t n = strlen(err.msg);
    assert_true(n < sizeof(err.msg) - 1);
    assert_string_equal(err.msg + n - 6, ", ...)");
    buf_release(&out);
}

static void utf8_values_pass_through(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(render("#emoji# #firstname#", 0, &out, &err), 0);
    assert_int_equal(out.len, 4 + 1 + 4); /* 🎉 is 4 bytes, Zoé 4 */
    assert_memory_equal(out.data, "\xF0\x9F\x8E\x89 Zo\xC3\xA9", out.len);
    buf_release(&out);
}

static void output_cap(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(render("#shop#", 9, &out, &err), 0); /* Épicerie: exactly 9 bytes */
    buf_release(&out);
    assert_int_equal(render("#shop#", 8, &out, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "text");
    assert_string_equal(err.msg, "rendered text is over the 8-byte limit");
    buf_release(&out);
    assert_int_equal(render("123456789", 8, &out, &err), RL_ETOOLONG); /* literal text too */
    buf_release(&out);
    assert_int_equal(render("#nom|123456789#", 8, &out, &err), RL_ETOOLONG); /* and fallbacks */
    buf_release(&out);
}

static void invalid_utf8_names_the_offset(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(render("ab\xC3(", 0, &out, &err), RL_EUTF8);
    assert_string_equal(err.field, "template");
    assert_string_equal(err.msg, "template is not valid UTF-8 at byte 2");
    buf_release(&out);

    const struct kv bad[] = {{"bad", "ok\xED\xA0\x80"}}; /* a surrogate, at byte 2 */
    struct table t = {bad, 1};
    struct template_data d = {table_get, table_known, &t};
    assert_int_equal(template_render("#bad#", 5, &d, 0, &out, &err), RL_EUTF8);
    assert_string_equal(err.field, "bad");
    assert_string_equal(err.msg, "value of field 'bad' is not valid UTF-8 at byte 2");
    buf_release(&out);
}

static void caps_on_input(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    char *big = test_malloc(TEMPLATE_MAX + 1);
    memset(big, 'a', TEMPLATE_MAX + 1);
    assert_int_equal(template_render(big, TEMPLATE_MAX + 1, &data, 0, &out, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "template");
    buf_release(&out);
    assert_int_equal(template_render(big, TEMPLATE_MAX, &data, TEMPLATE_MAX, &out, &err), 0);
    buf_release(&out);
    test_free(big);

    char name[TEMPLATE_NAME_MAX + 4];
    memset(name, 'a', sizeof(name));
    name[0] = '#';
    name[TEMPLATE_NAME_MAX + 1] = '#'; /* a 47-byte name: allowed, just unknown */
    name[TEMPLATE_NAME_MAX + 2] = '\0';
    assert_int_equal(render(name, 0, &out, &err), RL_EFIELD);
    buf_release(&out);
    name[TEMPLATE_NAME_MAX + 1] = 'a'; /* 48 bytes */
    name[TEMPLATE_NAME_MAX + 2] = '#';
    name[TEMPLATE_NAME_MAX + 3] = '\0';
    assert_int_equal(render(name, 0, &out, &err), RL_ETOOLONG);
    assert_string_equal(err.msg, "field name at byte 1 is 48 bytes; the limit is 47");
    buf_release(&out);
}

static void lookup_refusal_names_the_field(void **state)
{
    (void)state;
    struct buf out;
    struct rl_err err = {0};
    assert_int_equal(render("#list|fallback#", 0, &out, &err), RL_EINVAL);
    assert_string_equal(err.field, "list");
    assert_string_equal(err.msg, "field 'list' has no text value");
    buf_release(&out);
}

static void fields_lists_distinct_names(void **state)
{
    (void)state;
    const char *tpl = "Hi #firstname#, #Shop|x# #FIRSTNAME|y# #shop# #order.ref|# ## #123 #a-b_c#";
    struct template_field f[8];
    size_t n = 0;
    struct rl_err err = {0};
    assert_int_equal(template_fields(tpl, strlen(tpl), f, 8, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(f[0].len, 9);
    assert_memory_equal(f[0].name, "firstname", 9);
    assert_true(f[0].required);
    assert_memory_equal(f[1].name, "Shop", 4); /* first spelling seen */
    assert_true(f[1].required);                /* the later #shop# has no fallback */
    assert_memory_equal(f[2].name, "order.ref", 9);
    assert_false(f[2].required);
    assert_memory_equal(f[3].name, "a-b_c", 5);

    assert_int_equal(template_fields(tpl, strlen(tpl), f, 3, &n, &err), RL_ETOOLONG);
    assert_string_equal(err.msg, "template uses more than 3 distinct fields");
    assert_int_equal(template_fields("Order #123", 10, f, 8, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(template_fields("\xFF", 1, f, 8, &n, &err), RL_EUTF8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(substitutes_fields),
        cmocka_unit_test(fallback_when_missing_or_empty),
        cmocka_unit_test(double_hash_is_one_hash),
        cmocka_unit_test(hash_that_opens_nothing_is_literal),
        cmocka_unit_test(unknown_field_lists_known_names),
        cmocka_unit_test(known_list_stays_short),
        cmocka_unit_test(utf8_values_pass_through),
        cmocka_unit_test(output_cap),
        cmocka_unit_test(invalid_utf8_names_the_offset),
        cmocka_unit_test(caps_on_input),
        cmocka_unit_test(lookup_refusal_names_the_field),
        cmocka_unit_test(fields_lists_distinct_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

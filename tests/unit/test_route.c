/* Route choice by destination prefix: longest prefix first, file order among
 * equals, catch-all routes last, down routes skipped (failover). Each expected
 * order is worked out in the comment beside it. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dispatch/route.h"

/* A config's routes without a file: name and prefixes are all pick reads. */
static struct cfg_route mk(const char *name, const char *prefixes)
{
    struct cfg_route r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.prefixes = (char *)prefixes;
    return r;
}

/* 0 orange +33 | 1 sfr +336,+337 | 2 proximus +32 | 3 backup (every destination) */
static void four(struct route_table *t)
{
    struct cfg_route r[4] = {mk("orange", "+33"), mk("sfr", "+336,+337"), mk("proximus", "+32"),
                             mk("backup", "")};
    assert_int_equal(route_table_init(t, r, 4, NULL), 0);
}

static void expect(const struct route_table *t, const char *to, const bool *up, size_t cap, int n,
                   const size_t *want)
{
    size_t out[8];
    struct rl_err err;
    memset(out, 0xff, sizeof(out));
    assert_int_equal(route_table_pick(t, to, up, out, cap, &err), n);
    for (int i = 0; i < n; i++)
        assert_int_equal(out[i], want[i]);
    if (n < (int)cap && n >= 0)
        assert_int_equal(out[n], (size_t)-1); /* nothing written past the count */
}

static void longest_prefix_first(void **state)
{
    (void)state;
    struct route_table t;
    four(&t);
    /* +336...: sfr matches 3 digits (336), orange 2 (33), backup 0. */
    expect(&t, "+33612345678", NULL, 8, 3, (size_t[]){1, 0, 3});
    /* +337... likewise through sfr's second prefix. */
    expect(&t, "+33712345678", NULL, 8, 3, (size_t[]){1, 0, 3});
    /* +331... (a Paris landline): only orange's +33, then backup. */
    expect(&t, "+33123456789", NULL, 8, 2, (size_t[]){0, 3});
    /* +32...: proximus, then backup. */
    expect(&t, "+32470123456", NULL, 8, 2, (size_t[]){2, 3});
    /* +1...: no prefix matches; backup alone. */
    expect(&t, "+12025550123", NULL, 8, 1, (size_t[]){3});
    /* cap 1: the best one only. */
    expect(&t, "+33612345678", NULL, 1, 1, (size_t[]){1});
    route_table_release(&t);
}

static void failover_skips_down_routes(void **state)
{
    (void)state;
    struct route_table t;
    four(&t);
    /* sfr down: +336 goes to orange, then backup. */
    expect(&t, "+33612345678", (bool[]){true, false, true, true}, 8, 2, (size_t[]){0, 3});
    /* sfr and orange down: backup. */
    expect(&t, "+33612345678", (bool[]){false, false, true, true}, 8, 1, (size_t[]){3});
    /* Only backup down: the prefixed routes still serve, backup is dropped. */
    expect(&t, "+33612345678", (bool[]){true, true, true, false}, 8, 2, (size_t[]){1, 0});
    route_table_release(&t);
}

static void all_down_names_the_routes_tried(void **state)
{
    (void)state;
    struct route_table t;
    four(&t);
    size_t out[4];
    struct rl_err err;
    /* Routes serve +336 (sfr, orange, backup) but none is up: try later. */
    assert_int_equal(
        route_table_pick(&t, "+33612345678", (bool[]){false, false, true, false}, out, 4, &err),
        -EAGAIN);
    assert_string_equal(err.field, "route");
    assert_string_equal(err.msg,
                        "no route up for +33612345678: tried sfr, orange, backup (all down)");
    route_table_release(&t);
}

static void no_route_serves(void **state)
{
    (void)state;
    struct cfg_route r[2] = {mk("orange", "+33"), mk("proximus", "+32")};
    struct route_table t;
    size_t out[4];
    struct rl_err err;
    assert_int_equal(route_table_init(&t, r, 2, NULL), 0);
    /* +1: neither +33 nor +32, and no catch-all. */
    assert_int_equal(route_table_pick(&t, "+12025550123", NULL, out, 4, &err), RL_ENOTFOUND);
    assert_string_equal(err.msg, "no route serves +12025550123");
    /* +3: shorter than every prefix, so none matches. */
    assert_int_equal(route_table_pick(&t, "+3", NULL, out, 4, NULL), RL_ENOTFOUND);
    route_table_release(&t);
    /* No route at all. */
    assert_int_equal(route_table_init(&t, NULL, 0, NULL), 0);
    assert_int_equal(route_table_pick(&t, "+33612345678", NULL, out, 4, NULL), RL_ENOTFOUND);
    route_table_release(&t);
}

static void file_order_breaks_ties(void **state)
{
    (void)state;
    /* 0 a: catch-all | 1 b +33 | 2 c 33 (no '+': the same prefix) | 3 d: catch-all */
    struct cfg_route r[4] = {mk("a", ""), mk("b", "+33"), mk("c", "33"), mk("d", "")};
    struct route_table t;
    assert_int_equal(route_table_init(&t, r, 4, NULL), 0);
    /* b and c match 2 digits each, in file order; then the catch-alls a, d. */
    expect(&t, "+33612345678", NULL, 8, 4, (size_t[]){1, 2, 0, 3});
    route_table_release(&t);
}

static void bad_input(void **state)
{
    (void)state;
    struct route_table t;
    struct rl_err err;
    size_t out[2];
    four(&t);
    /* Not E.164 as phone_parse writes it. */
    assert_int_equal(route_table_pick(&t, "0612345678", NULL, out, 2, NULL), RL_EINVAL);
    assert_int_equal(route_table_pick(&t, "+", NULL, out, 2, NULL), RL_EINVAL);
    assert_int_equal(route_table_pick(&t, "+33 612", NULL, out, 2, NULL), RL_EINVAL);
    assert_int_equal(route_table_pick(&t, "+1234567890123456", NULL, out, 2, NULL), RL_EINVAL);
    assert_int_equal(route_table_pick(&t, "+33612345678", NULL, out, 0, NULL), RL_EINVAL);
    route_table_release(&t);

    /* Prefixes that cfg would have refused, from a hand-built route. */
    struct cfg_route r[2] = {mk("ok", "+33"), mk("bad", "+33,+3a")};
    assert_int_equal(route_table_init(&t, r, 2, &err), RL_ECONFIG);
    assert_string_equal(err.msg, "[route bad] prefixes: '+3a': expected an optional + then 1 to 15 "
                                 "digits");
    assert_null(t.routes);
    r[1] = mk("bad", "+33,");
    assert_int_equal(route_table_init(&t, r, 2, &err), RL_ECONFIG);
    route_table_release(&t); /* harmless after a failure */
}

static void from_config(void **state)
{
    (void)state;
    static const char text[] = "[route orange]\nprefixes = +33, +262\n"
                               "[route world]\n";
    struct cfg c;
    struct route_table t;
    cfg_init(&c);
    assert_int_equal(cfg_load_string(&c, text, strlen(text), "t.conf", NULL), 0);
    assert_int_equal(route_table_init_cfg(&t, &c, NULL), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.routes[0].name, "orange");
    assert_int_equal(t.routes[0].nprefixes, 2);
    assert_string_equal(t.routes[0].prefixes[1], "262");
    assert_int_equal(t.routes[1].nprefixes, 0);
    /* +262 (Réunion) is served by orange's 3-digit prefix, then world. */
    expect(&t, "+262692123456", NULL, 8, 2, (size_t[]){0, 1});
    route_table_release(&t);
    cfg_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_prefix_first),
        cmocka_unit_test(failover_skips_down_routes),
        cmocka_unit_test(all_down_names_the_routes_tried),
        cmocka_unit_test(no_route_serves),
        cmocka_unit_test(file_order_breaks_ties),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

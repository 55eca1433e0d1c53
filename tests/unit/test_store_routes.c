/* The routes table: synced from the configuration at explicit times (1000,
 * 2000, 3000 ms after the epoch), listed by name; a route left out of the
 * configuration kept inactive; a route the same as stored left untouched;
 * refusals that store nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static char dir[64];
static char path[128];

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/relais-test-routes-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/r.db", dir);
    log_set_level(LOG_WARN);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct store_opts o = {path, false};
    struct rl_err err = {0};
    if (store_open(&o, &s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static const struct store_route *find(const struct store_route *r, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return &r[i];
    fail_msg("no route %s", name);
    return NULL;
}

static void sync_and_list(void **state)
{
    (void)state;
    struct store *s = open_store();
    struct rl_err err = {0};
    struct store_route_conf conf[] = {
        {"orange", "smpp", "smsc.orange.example", 2775, "acme", "+33,+262", "SHOP"},
        {"backup", "smpp", "10.0.0.7", 2776, "acme2", "", ""},
    };
    size_t changed = 0, n = 0;
    struct store_route *r;
    assert_int_equal(store_routes_sync(s, conf, 2, 1000, &changed, &err), 0);
    assert_int_equal(changed, 2);
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    /* By name: backup, then orange. */
    assert_string_equal(r[0].name, "backup");
    assert_string_equal(r[1].name, "orange");
    assert_string_equal(r[1].kind, "smpp");
    assert_string_equal(r[1].host, "smsc.orange.example");
    assert_int_equal(r[1].port, 2775);
    assert_string_equal(r[1].system_id, "acme");
    assert_string_equal(r[1].prefixes, "+33,+262");
    assert_string_equal(r[1].default_sender, "SHOP");
    assert_true(r[1].active);
    assert_int_equal(r[1].first_seen, 1000);
    assert_int_equal(r[1].updated_at, 1000);
    assert_string_equal(r[0].default_sender, "");
    free(r);

    /* The same configuration again: nothing changes, nothing moves. */
    assert_int_equal(store_routes_sync(s, conf, 2, 2000, &changed, &err), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    assert_int_equal(find(r, n, "orange")->updated_at, 1000);
    free(r);

    /* backup leaves the file; orange moves to another port; sfr arrives. */
    struct store_route_conf next[] = {
        {"orange", "smpp", "smsc.orange.example", 2800, "acme", "+33,+262", "SHOP"},
        {"sfr", "smpp", "smsc.sfr.example", 2775, "acme", "+33", NULL},
    };
    assert_int_equal(store_routes_sync(s, next, 2, 3000, &changed, &err), 0);
    assert_int_equal(changed, 3); /* orange updated, sfr added, backup inactive */
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    const struct store_route *b = find(r, n, "backup"), *o = find(r, n, "orange"),
                             *f = find(r, n, "sfr");
    assert_false(b->active);
    assert_int_equal(b->first_seen, 1000);
    assert_int_equal(b->updated_at, 3000);
    assert_true(o->active);
    assert_int_equal(o->port, 2800);
    assert_int_equal(o->first_seen, 1000);
    assert_int_equal(o->updated_at, 3000);
    assert_int_equal(f->first_seen, 3000);
    assert_string_equal(f->default_sender, "");
    free(r);

    /* backup comes back, as it was: active again from then. */
    struct store_route_conf back[] = {conf[1], next[0], next[1]};
    assert_int_equal(store_routes_sync(s, back, 3, 4000, &changed, &err), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    b = find(r, n, "backup");
    assert_true(b->active);
    assert_int_equal(b->first_seen, 1000);
    assert_int_equal(b->updated_at, 4000);
    free(r);

    /* No route configured: every one inactive, none deleted. */
    assert_int_equal(store_routes_sync(s, NULL, 0, 5000, &changed, &err), 0);
    assert_int_equal(changed, 3);
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_false(r[i].active);
    free(r);
    store_close(s);
}

static void refusals_store_nothing(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/refusals.db", dir);
    struct store *s = open_store();
    struct rl_err err = {0};
    struct store_route_conf bad[] = {
        {"ok", "smpp", "h", 1, "", "", ""},
        {"x", "http", "h", 1, "", "", ""},
    };
    assert_int_equal(store_routes_sync(s, bad, 2, 1000, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "kind");
    assert_string_equal(err.msg, "route 1 ('x'): invalid kind");
    bad[1] = (struct store_route_conf){"x", "smpp", "h", 70000, "", "", ""};
    assert_int_equal(store_routes_sync(s, bad, 2, 1000, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "port");
    bad[1] = (struct store_route_conf){"x", "smpp", "h", 1, "sixteen-bytes-id", "", ""};
    assert_int_equal(store_routes_sync(s, bad, 2, 1000, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "system_id");
    bad[1] = (struct store_route_conf){"", "smpp", "h", 1, "", "", ""};
    assert_int_equal(store_routes_sync(s, bad, 2, 1000, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "name");
    struct store_route *r;
    size_t n = 9;
    assert_int_equal(store_routes_list(s, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    free(r);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sync_and_list),
        cmocka_unit_test(refusals_store_nothing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

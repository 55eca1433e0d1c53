/* The dispatcher end to end inside one process: a real store file in a
 * temporary directory, the built-in SMSC simulator on its own libuv loop and
 * thread (an ephemeral port on 127.0.0.1), and routes pointing to it.
 * Messages are written with store_message_insert, as the API does; the test
 * waits (bounded polls of the store, never a fixed sleep) until each reaches
 * a final state, then checks its state, route and history. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/cfg.h"
#include "core/log.h"
#include "dispatch/dispatch.h"
#include "domain/msgstate.h"
#include "smpp/smpp_sim.h"
#include "store/store.h"

#define WAIT_MS 15000

static char dir[64];
static char path[128];
static int seq;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void)
{
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* --- the simulator on its own thread ------------------------------------------- */

struct sim {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct smpp_sim *s;
    uint16_t port;
    struct smpp_sim_stats final;
};

static void sim_stopped(const struct smpp_sim_stats *st, void *ud)
{
    struct sim *m = ud;
    m->final = *st;
}

static void sim_on_stop(uv_async_t *a)
{
    struct sim *m = a->data;
    smpp_sim_stop(m->s, sim_stopped, m);
    uv_close((uv_handle_t *)&m->stop, NULL);
}

static void *sim_main(void *arg)
{
    struct sim *m = arg;
    uv_run(&m->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void sim_start(struct sim *m, uint32_t throttle, uint32_t delay_ms)
{
    struct smpp_sim_opts o;
    struct rl_err err = {0};
    memset(m, 0, sizeof(*m));
    smpp_sim_opts_init(&o);
    o.port = 0;
    o.delivery_rate = 1.0;
    o.reply_rate = 0;
    o.receipt_delay_min_ms = o.receipt_delay_max_ms = delay_ms;
    o.throttle = throttle;
    o.seed = 7;
    assert_int_equal(uv_loop_init(&m->loop), 0);
    int rc = smpp_sim_start(&m->loop, &o, &m->s, &err);
    if (rc != 0)
        fail_msg("smpp_sim_start: %d %s", rc, err.msg);
    m->port = smpp_sim_port(m->s);
    uv_async_init(&m->loop, &m->stop, sim_on_stop);
    m->stop.data = m;
    assert_int_equal(pthread_create(&m->thread, NULL, sim_main, m), 0);
}

static void sim_stop(struct sim *m)
{
    uv_async_send(&m->stop);
    pthread_join(m->thread, NULL);
    assert_int_equal(uv_loop_close(&m->loop), 0);
}

/* --- the store, the configuration, the dispatcher ---------------------------------- */

struct fixture {
    struct sim sim;
    struct store *store;
    struct cfg cfg;
    struct dispatch *d;
    int64_t account;
};

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/t%d.db", dir, ++seq);
    return 0;
}

static void open_store(struct fixture *f, int64_t balance)
{
    struct store_opts o = {path, false};
    struct rl_err err = {0};
    if (store_open(&o, &f->store, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    assert_int_equal(store_account_create(f->store, "acme", balance, &f->account, &err), 0);
}

/* routes: the [route] sections, "PORT" standing for the simulator's port. */
static void load_cfg(struct fixture *f, const char *routes)
{
    char text[2048], body[1536], port[8];
    struct rl_err err = {0};
    size_t n = 0;
    snprintf(port, sizeof(port), "%u", f->sim.port);
    for (const char *p = routes; *p && n + 8 < sizeof(body);) {
        if (strncmp(p, "PORT", 4) == 0) {
            n += (size_t)snprintf(body + n, sizeof(body) - n, "%s", port);
            p += 4;
        } else {
            body[n++] = *p++;
        }
    }
    body[n] = '\0';
    snprintf(text, sizeof(text), "[dispatch]\nretry_min = 1s\nretry_max = 2s\nvalidity = 1h\n%s",
             body);
    cfg_init(&f->cfg);
    if (cfg_load_string(&f->cfg, text, strlen(text), "test.conf", &err) != 0)
        fail_msg("cfg: %s", err.msg);
}

#define SIM_ROUTE                                                                                  \
    "[route sim]\nhost = 127.0.0.1\nport = PORT\nsystem_id = relais\npassword = relais\n"          \
    "reconnect_min = 100ms\nreconnect_max = 1s\n"

static void start(struct fixture *f, dispatch_opted_out_fn *hook)
{
    struct dispatch_opts o = {.store = f->store, .cfg = &f->cfg, .opted_out = hook};
    struct rl_err err = {0};
    if (dispatch_start(&o, &f->d, &err) != 0)
        fail_msg("dispatch_start: %s", err.msg);
}

/* Stops the dispatcher and the simulator; the store stays open to be read. */
static void finish(struct fixture *f)
{
    dispatch_stop(f->d);
    dispatch_free(f->d);
    f->d = NULL;
    sim_stop(&f->sim);
}

static void release(struct fixture *f)
{
    store_close(f->store);
    cfg_release(&f->cfg);
}

static int64_t insert(struct fixture *f, const char *to, const char *from, enum msg_category cat,
                      int64_t cost, int64_t validity_until)
{
    struct store_msg_new m = {.account_id = f->account,
                              .to = to,
                              .from = from,
                              .text = "Votre colis arrive demain.",
                              .encoding = MSG_ENCODING_GSM7,
                              .segments = 1,
                              .category = cat,
                              .state = MSG_STATE_QUEUED,
                              .cost = cost,
                              .validity_until = validity_until,
                              .reason = "test"};
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_message_insert(f->store, &m, false, &id, &err) != 0)
        fail_msg("insert: %s", err.msg);
    return id;
}

/* Waits until message id is in a state msgstate_is_final calls final, or in
 * state want; fills *out (release it). */
static void wait_state(struct fixture *f, int64_t id, enum msg_state want,
                       struct store_message *out)
{
    int64_t deadline = now_ms() + WAIT_MS;
    for (;;) {
        struct rl_err err = {0};
        memset(out, 0, sizeof(*out));
        assert_int_equal(store_message_get(f->store, 0, id, out, &err), 0);
        if (out->state == want || msgstate_is_final(out->state) || now_ms() > deadline)
            break;
        store_message_release(out);
        nap();
    }
    if (out->state != want) {
        for (size_t i = 0; i < out->nevents; i++)
            print_message("event %s %s %s\n", msg_state_name(out->events[i].state),
                          out->events[i].reason,
                          out->events[i].detail ? out->events[i].detail : "");
        fail_msg("message %lld is %s, not %s", (long long)id, msg_state_name(out->state),
                 msg_state_name(want));
    }
}

/* The message's history holds an event in state st whose reason starts with reason. */
static bool has_event(const struct store_message *m, enum msg_state st, const char *reason)
{
    for (size_t i = 0; i < m->nevents; i++)
        if (m->events[i].state == st && strncmp(m->events[i].reason, reason, strlen(reason)) == 0)
            return true;
    return false;
}

static int64_t balance(struct fixture *f)
{
    struct store_account a;
    assert_int_equal(store_account_get(f->store, f->account, &a, NULL), 0);
    return a.balance;
}

/* --- tests ------------------------------------------------------------------------- */

static void test_delivered_and_undeliverable(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 0, 0);
    open_store(&f, 1000000);
    load_cfg(&f, SIM_ROUTE);
    int64_t ok = insert(&f, "+33612345678", "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    int64_t bad = insert(&f, "+336123", "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    start(&f, NULL);
    struct store_message m;
    wait_state(&f, ok, MSG_STATE_DELIVERED, &m);
    assert_string_equal(m.route, "sim");
    assert_int_equal(m.nparts, 1);
    assert_non_null(m.parts[0].operator_id);
    assert_true(has_event(&m, MSG_STATE_SUBMITTING, "claimed"));
    assert_true(has_event(&m, MSG_STATE_SUBMITTED, "accepted"));
    assert_true(has_event(&m, MSG_STATE_DELIVERED, "delivered"));
    store_message_release(&m);
    wait_state(&f, bad, MSG_STATE_FAILED, &m);
    /* The simulator's UNDELIV err:001 (unknown subscriber), as the receipt said. */
    assert_true(has_event(&m, MSG_STATE_FAILED, "undeliverable:err=001"));
    assert_string_equal(m.parts[0].error, "001");
    store_message_release(&m);
    finish(&f);
    assert_int_equal(balance(&f), 1000000 - 2 * 45000); /* a receipt is not a refund */
    release(&f);
}

/* A message without a from takes its route's default_sender; a bad one stops
 * the start with the route and the rule named. */
static void test_default_sender(void **state)
{
    (void)state;
    struct fixture f = {0};
    struct rl_err err = {0};
    sim_start(&f.sim, 0, 0);
    open_store(&f, 1000000);
    load_cfg(&f, SIM_ROUTE "default_sender = Boutique\n");
    int64_t id = insert(&f, "+33612345678", "", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    start(&f, NULL);
    struct store_message m;
    wait_state(&f, id, MSG_STATE_DELIVERED, &m);
    store_message_release(&m);
    finish(&f);
    cfg_release(&f.cfg);
    load_cfg(&f, SIM_ROUTE "default_sender = Boutique du Sud\n"); /* 15 characters */
    struct dispatch_opts o = {.store = f.store, .cfg = &f.cfg};
    assert_int_equal(dispatch_start(&o, &f.d, &err), RL_ECONFIG);
    assert_non_null(strstr(err.msg, "route.sim.default_sender"));
    assert_non_null(strstr(err.msg, "at most 11"));
    assert_null(f.d);
    release(&f);
}

static void test_throttled_then_delivered(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 3, 0); /* 3 submit_sm a second, then ESME_RTHROTTLED */
    open_store(&f, 1000000);
    load_cfg(&f, SIM_ROUTE);
    int64_t ids[8];
    char to[16];
    for (int i = 0; i < 8; i++) {
        snprintf(to, sizeof(to), "+3361234560%d", i);
        ids[i] = insert(&f, to, "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 0, 0);
    }
    start(&f, NULL);
    for (int i = 0; i < 8; i++) {
        struct store_message m;
        wait_state(&f, ids[i], MSG_STATE_DELIVERED, &m);
        store_message_release(&m);
    }
    dispatch_stop(f.d);
    struct dispatch_stats st;
    dispatch_stats_get(f.d, &st);
    assert_int_equal(st.accepted, 8);
    assert_int_equal(st.receipts, 8);
    finish(&f);
    release(&f);
    assert_true(f.sim.final.throttled > 0);
    assert_int_equal(f.sim.final.accepted, 8);
}

static void test_failover_to_second_route(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 0, 0);
    open_store(&f, 1000000);
    /* "dead" comes first in file order and serves +33 more precisely, but
     * nothing listens on port 1: it never binds. */
    load_cfg(&f, "[route dead]\nhost = 127.0.0.1\nport = 1\nprefixes = +33\n"
                 "reconnect_min = 100ms\nreconnect_max = 1s\n"
                 "[route sim]\nhost = 127.0.0.1\nport = PORT\nsystem_id = relais\n"
                 "password = relais\nreconnect_min = 100ms\n");
    int64_t id = insert(&f, "+33612345678", "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 0, 0);
    start(&f, NULL);
    struct store_message m;
    wait_state(&f, id, MSG_STATE_DELIVERED, &m);
    assert_string_equal(m.route, "sim");
    assert_string_equal(m.parts[0].route, "sim");
    store_message_release(&m);
    struct dispatch_stats st;
    dispatch_stats_get(f.d, &st);
    assert_int_equal(st.nroutes, 2);
    assert_string_equal(st.routes[0].name, "dead");
    assert_false(st.routes[0].up);
    assert_true(st.routes[1].up);
    finish(&f);
    release(&f);
}

static const char *opted_number = "+33611111111";

static bool hook_opted_out(void *ud, int64_t account_id, const char *to)
{
    (void)ud;
    (void)account_id;
    return strcmp(to, opted_number) == 0;
}

/* Send-time checks: consent (marketing only), validity, routing, sender. */
static void test_send_time_checks(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 0, 0);
    open_store(&f, 1000000);
    load_cfg(&f, "[route sim]\nhost = 127.0.0.1\nport = PORT\nsystem_id = relais\n"
                 "password = relais\nprefixes = +33\n");
    int64_t mk = insert(&f, opted_number, "RELAIS", MSG_CATEGORY_MARKETING, 45000, 0);
    int64_t tr = insert(&f, opted_number, "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    int64_t old =
        insert(&f, "+33612345678", "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 45000, now_ms() - 1000);
    int64_t be = insert(&f, "+32470123456", "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    int64_t snd =
        insert(&f, "+33612345679", "NOT A VALID SENDER", MSG_CATEGORY_TRANSACTIONAL, 45000, 0);
    assert_int_equal(balance(&f), 1000000 - 5 * 45000);
    start(&f, hook_opted_out);
    struct store_message m;
    wait_state(&f, mk, MSG_STATE_REJECTED, &m);
    assert_true(has_event(&m, MSG_STATE_REJECTED, MSG_REASON_OPTED_OUT));
    store_message_release(&m);
    wait_state(&f, tr, MSG_STATE_DELIVERED, &m);
    store_message_release(&m);
    wait_state(&f, old, MSG_STATE_EXPIRED, &m);
    assert_true(has_event(&m, MSG_STATE_EXPIRED, MSG_REASON_VALIDITY));
    store_message_release(&m);
    wait_state(&f, be, MSG_STATE_REJECTED, &m);
    assert_true(has_event(&m, MSG_STATE_REJECTED, MSG_REASON_NO_ROUTE));
    store_message_release(&m);
    wait_state(&f, snd, MSG_STATE_FAILED, &m);
    assert_true(has_event(&m, MSG_STATE_FAILED, "invalid_sender"));
    store_message_release(&m);
    finish(&f);
    /* Everything that did not go was refunded: only tr is paid for. */
    assert_int_equal(balance(&f), 1000000 - 45000);
    release(&f);
}

/* A message written into an overdraft is refused at send time and refunded;
 * nothing is debited twice. */
static void test_overdraft_refused(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 0, 0);
    open_store(&f, 40000);
    load_cfg(&f, SIM_ROUTE);
    struct store_msg_new n = {.account_id = f.account,
                              .to = "+33612345678",
                              .from = "RELAIS",
                              .text = "x",
                              .segments = 1,
                              .state = MSG_STATE_QUEUED,
                              .cost = 45000};
    int64_t id = 0;
    assert_int_equal(store_message_insert(f.store, &n, true, &id, NULL), 0);
    assert_int_equal(balance(&f), -5000);
    start(&f, NULL);
    struct store_message m;
    wait_state(&f, id, MSG_STATE_REJECTED, &m);
    assert_true(has_event(&m, MSG_STATE_REJECTED, MSG_REASON_INSUFFICIENT_CREDIT));
    store_message_release(&m);
    finish(&f);
    assert_int_equal(balance(&f), 40000);
    release(&f);
}

/* Stopping with a batch in flight: the stop returns, every outcome is
 * written, and no message is left in submitting. */
static void test_stop_drains(void **state)
{
    (void)state;
    struct fixture f = {0};
    sim_start(&f.sim, 20, 2000); /* slow: most messages still queued at the stop */
    open_store(&f, 1000000);
    load_cfg(&f, SIM_ROUTE);
    enum { N = 60 };
    int64_t ids[N];
    char to[16];
    for (int i = 0; i < N; i++) {
        snprintf(to, sizeof(to), "+336123456%02d", i);
        ids[i] = insert(&f, to, "RELAIS", MSG_CATEGORY_TRANSACTIONAL, 0, 0);
    }
    start(&f, NULL);
    int64_t deadline = now_ms() + WAIT_MS;
    struct dispatch_stats st = {0};
    while (st.accepted == 0 && now_ms() < deadline) {
        nap();
        dispatch_stats_get(f.d, &st);
    }
    assert_true(st.accepted > 0);
    dispatch_stop(f.d);
    dispatch_stats_get(f.d, &st);
    assert_int_equal(st.inflight, 0);
    size_t submitted = 0, retrying = 0;
    for (int i = 0; i < N; i++) {
        struct store_message m;
        assert_int_equal(store_message_get(f.store, 0, ids[i], &m, NULL), 0);
        if (m.state != MSG_STATE_SUBMITTED && m.state != MSG_STATE_DELIVERED &&
            m.state != MSG_STATE_RETRYING)
            fail_msg("message %lld left %s", (long long)ids[i], msg_state_name(m.state));
        submitted += m.state != MSG_STATE_RETRYING;
        retrying += m.state == MSG_STATE_RETRYING;
        if (m.state == MSG_STATE_RETRYING)
            assert_true(has_event(&m, MSG_STATE_RETRYING, "session_stopped"));
        store_message_release(&m);
    }
    assert_true(submitted > 0);
    assert_true(retrying > 0);
    finish(&f);
    release(&f);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_dispatch_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_delivered_and_undeliverable, setup),
        cmocka_unit_test_setup(test_default_sender, setup),
        cmocka_unit_test_setup(test_throttled_then_delivered, setup),
        cmocka_unit_test_setup(test_failover_to_second_route, setup),
        cmocka_unit_test_setup(test_send_time_checks, setup),
        cmocka_unit_test_setup(test_overdraft_refused, setup),
        cmocka_unit_test_setup(test_stop_drains, setup),
    };
    int rc = cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}

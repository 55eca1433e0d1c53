/* relais serve: the long-running service. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "api/http.h"
#include "cli/cli.h"
#include "core/log.h"
#include "dispatch/dispatch.h"
#include "domain/consent.h"
#include "store/store.h"
#include "core/banned.h"

static void usage(void)
{
    printf("usage: relais serve [--config FILE] [--listen ADDR] [--port N] [--db PATH]\n\n"
           "Runs the HTTP service and the dispatcher on the store until SIGINT or SIGTERM.\n"
           "It opens (and migrates) the SQLite store, puts back the messages a crash left\n"
           "in submitting, and when the configuration has [route NAME] sections, sends\n"
           "the due messages through them. SIGINT/SIGTERM drains: no new claims, the\n"
           "routes' responses are awaited (bounded), every outcome is written, exit 0.\n\n"
           "  -c, --config FILE  configuration (default: relais.conf here if present)\n"
           "      --listen ADDR  overrides http.listen\n"
           "  -p, --port N       overrides http.port (0: any free port, logged at start)\n"
           "      --db PATH      overrides store.path\n");
}

struct serve_args {
    const char *config;
    const char *sets[3][2]; /* key, value overrides, in order */
    int nsets;
};

static int parse_args(int argc, char **argv, struct serve_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
        {"port", required_argument, NULL, 'p'},   {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:p:h", opts, NULL)) != -1) {
        const char *key = c == 'l' ? "http.listen" : c == 'p' ? "http.port" : "store.path";
        if (c == 'h')
            return usage(), -1;
        if (c == 'c')
            a->config = optarg;
        else if (c == 'l' || c == 'p' || c == 'd')
            a->sets[a->nsets < 3 ? a->nsets++ : 2][0] = key, a->sets[a->nsets - 1][1] = optarg;
        else if (c == ':' || (c == '?' && optopt))
            return cli_usage("serve", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("serve", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

/* Blocks the stop signals in every thread (the HTTP threads inherit the mask)
 * and waits for one here: no handler runs in the middle of anything. */
static int wait_for_stop(void)
{
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigwait(&set, &sig);
    return sig;
}

/* The receive journal: what a crash left in it is applied first, as the
 * dispatcher would have applied it (acceptances, receipts, replies with their
 * STOP), so that the messages it settles are not taken for stale below. */
static int journal_start(struct store *store, struct consent *cons)
{
    struct rl_err err = {0};
    struct dispatch_replay rp = {store, consent_dispatch_inbound, cons};
    size_t n = 0;
    if (store_journal_start(store, dispatch_replay, &rp, NULL, NULL, &n, &err) != 0) {
        cli_fail("serve", "%s", err.msg);
        return -1;
    }
    if (n)
        log_warn("serve", "journal_replayed", "records=%zu", n);
    return 0;
}

/* Messages a crash left in submitting go back to queued before any claim. */
static int release_stale(struct store *store)
{
    struct rl_err err = {0};
    struct timespec ts;
    size_t n = 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (store_release_stale_submitting(store, now, &n, &err) != 0) {
        log_error("serve", "release_stale_failed", "err=%s detail=\"%s\"", rl_errname(err.code),
                  err.msg);
        return -1;
    }
    if (n)
        log_warn("serve", "stale_submitting_released", "messages=%zu reason=possible_duplicate", n);
    return 0;
}

/* The store's routes table says what relais.conf says: GET /v1/routes lists
 * them, and a route taken out of the file stays, inactive. */
static int sync_routes(const struct cfg *c, struct store *store)
{
    struct store_route_conf r[CFG_ROUTES_MAX];
    struct rl_err err = {0};
    size_t n = c->nroutes < CFG_ROUTES_MAX ? c->nroutes : CFG_ROUTES_MAX, changed = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cfg_route *cr = &c->routes[i];
        r[i] = (struct store_route_conf){.name = cr->name,
                                         .kind = "smpp",
                                         .host = cr->host,
                                         .port = (int)cr->port,
                                         .system_id = cr->system_id,
                                         .prefixes = cr->prefixes,
                                         .default_sender = cr->default_sender};
    }
    if (store_routes_sync(store, r, n, 0, &changed, &err) != 0) {
        log_error("serve", "routes_not_stored", "err=%s detail=\"%s\"", rl_errname(err.code),
                  err.msg);
        return -1;
    }
    log_info("serve", "routes_stored", "configured=%zu changed=%zu", n, changed);
    return 0;
}

/* Starts the dispatcher when a route is configured; *d stays NULL otherwise. */
static int start_dispatch(struct cfg *c, struct store *store, struct consent *cons,
                          struct dispatch **d)
{
    struct rl_err err = {0};
    *d = NULL;
    if (c->nroutes == 0) {
        log_info("serve", "dispatcher_idle", "reason=no_routes");
        return 0;
    }
    struct dispatch_opts o = {.store = store,
                              .cfg = c,
                              .opted_out = consent_dispatch_opted_out,
                              .consent_ud = cons,
                              .inbound = consent_dispatch_inbound,
                              .inbound_ud = cons};
    if (dispatch_start(&o, d, &err) != 0)
        return cli_fail("serve", "%s", err.msg);
    return 0;
}

static int run(struct cfg *c)
{
    /* glibc gives each thread that allocates its own arena (up to 8 a core),
     * and an arena keeps what a 10,000-message batch once needed: with 16
     * HTTP threads the peak RSS grew with the number of threads that had
     * served a batch (133 MB against 104 MB with 2 arenas on bench/pipeline,
     * 300,000 messages, same throughput). */
    mallopt(M_ARENA_MAX, 2);
    struct store *store = NULL;
    struct http_server *http = NULL;
    struct dispatch *dsp = NULL;
    struct consent cons;
    struct rl_err err = {0};
    struct store_opts so = {c->store_path, c->store_synchronous == CFG_STORE_SYNCHRONOUS_FULL};
    if (store_open(&so, &store, &err) != 0)
        return cli_fail("serve", "%s", err.msg);
    cli_store_tune(c, store);
    if (consent_init(&cons, store, c, &err) != 0) {
        store_close(store);
        return cli_fail("serve", "%s", err.msg);
    }
    int rc = journal_start(store, &cons) != 0 ? CLI_FAIL
             : release_stale(store) != 0      ? cli_fail("serve", "cannot release stale messages")
             : sync_routes(c, store) != 0     ? cli_fail("serve", "cannot store the routes")
                                              : start_dispatch(c, store, &cons, &dsp);
    if (rc != 0) {
        consent_release(&cons);
        store_close(store);
        return rc;
    }
    struct http_opts ho = {.listen = c->http_listen,
                           .port = (uint16_t)c->http_port,
                           .threads = (unsigned)c->http_threads,
                           .max_body = (size_t)c->http_max_body,
                           .max_batch_body = (size_t)c->api_max_batch_body,
                           .store = store,
                           .cfg = c,
                           .dispatch = dsp};
    if (http_server_start(&ho, &http, &err) != 0) {
        dispatch_free(dsp);
        consent_release(&cons);
        store_close(store);
        return cli_fail("serve", "%s", err.msg);
    }
    log_info("serve", "listening", "url=http://%s%s%s:%u/ store=%s schema=%u",
             strchr(c->http_listen, ':') ? "[" : "", c->http_listen,
             strchr(c->http_listen, ':') ? "]" : "", http_server_port(http), c->store_path,
             store_schema_version(store));
    int sig = wait_for_stop();
    log_info("serve", "stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    dispatch_stop(dsp);     /* bounded: drains the routes, writes every outcome */
    http_server_stop(http); /* before dispatch_free: GET /metrics reads dsp */
    dispatch_free(dsp);
    consent_release(&cons);
    store_close(store);
    log_info("serve", "stopped", "%s", "");
    return CLI_OK;
}

int cli_serve(int argc, char **argv)
{
    struct serve_args a;
    struct cfg c;
    struct rl_err err = {0};
    memset(&a, 0, sizeof(a));
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    cfg_init(&c);
    rc = cli_load_config("serve", a.config, &c, NULL);
    for (int i = 0; rc == CLI_OK && i < a.nsets; i++) {
        if (cfg_set(&c, a.sets[i][0], a.sets[i][1], &err) != 0)
            rc = cli_usage("serve", "%s", err.msg);
    }
    if (rc == CLI_OK && a.nsets)
        rc = cli_check_config("serve", a.config, &c);
    if (rc == CLI_OK) {
        log_set_level(cfg_log_level(&c));
        rc = run(&c);
    }
    cfg_release(&c);
    return rc;
}

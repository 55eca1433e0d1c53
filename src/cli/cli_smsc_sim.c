/* relais smsc-sim: the built-in SMSC simulator as a command. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_receipt.h"
#include "smpp/smpp_sim.h"
#include "core/banned.h"

#define CMD        "smsc-sim"
#define SCRIPT_MAX (256 * 1024)
#define DELAY_MAX  (24u * 3600u * 1000u) /* a day, in ms */

static void usage(void)
{
    printf("usage: relais smsc-sim [OPTIONS]\n\n"
           "Runs an SMPP 3.4 server that plays the operator: it accepts binds, answers\n"
           "submit_sm with message ids, sends delivery receipts with realistic outcomes,\n"
           "has the phones reply, and throttles or drops connections when asked. Runs\n"
           "until SIGINT or SIGTERM, then logs msg=stats with its counters.\n\n"
           "  --listen ADDR          address to listen on (default 127.0.0.1)\n"
           "  --port N               TCP port (default 2775; 0: any free port, logged in\n"
           "                         msg=listening url=smpp://ADDR:PORT)\n"
           "  --system-id ID         system_id binds must give (default relais)\n"
           "  --password P           password binds must give (default relais; '' accepts any)\n"
           "  --delivery-rate R      0..1: share of valid mobiles delivered (default 0.97);\n"
           "                         the others end UNDELIV (err 001/032), EXPIRED (027) or\n"
           "                         REJECTD (013); invalid numbers UNDELIV 001, non-mobile 011\n"
           "  --receipt-delay D      receipt delay, one value or a range MIN..MAX, in ms or\n"
           "                         s: 0, 500ms, 200ms..2s (default 200ms..2s)\n"
           "  --reply-rate R         0..1: share of delivered messages the phone answers\n"
           "                         (default 0.3), one more receipt delay after the receipt\n"
           "  --reply-script FILE    the answers, one rule a line: OUI, OUI|NON|STOP, 1..5,\n"
           "                         free text, '[word] rule' for messages containing word;\n"
           "                         a line 'order' uses them in turn instead of at random;\n"
           "                         '#' starts a comment (default: OUI NON STOP 1..5 text)\n"
           "  --throttle N[/s]       accepted submit_sm a second; beyond, ESME_RTHROTTLED\n"
           "                         (0x58) (default 0: no limit)\n"
           "  --drop-every N         close the connection, unanswered, on every Nth submit_sm\n"
           "                         (default 0: never)\n"
           "  --receipt-form F       text (short_message), tlv (receipted_message_id,\n"
           "                         message_state, network_error_code) or both (default)\n"
           "  --id-format F          message ids in hex (default) or dec\n"
           "  --window N             unacknowledged deliver_sm per connection (default 100)\n"
           "  --seed N               seed for the random draws, for repeatable runs\n"
           "  --no-number-check      take every destination as a valid mobile (benchmarks:\n"
           "                         checking a new number costs ~15 us)\n"
           "  -h, --help             this help\n");
}

/* Reads a rate in 0..1. */
static bool parse_rate(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v <= 1))
        return false;
    *out = v;
    return true;
}

static bool parse_u32(const char *s, const char *suffix, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || v > UINT32_MAX || (strcmp(end, "") != 0 && (!suffix || strcmp(end, suffix))))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* One duration: "250", "250ms", "2s", "1.5s"; a bare number is milliseconds. */
static bool parse_ms(const char *s, size_t len, uint32_t *out)
{
    char tmp[32], *end = NULL;
    if (len == 0 || len >= sizeof(tmp) || *s < '0' || *s > '9')
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || end == tmp)
        return false;
    if (strcmp(end, "s") == 0)
        v *= 1000;
    else if (*end && strcmp(end, "ms") != 0)
        return false;
    if (!(v >= 0 && v <= DELAY_MAX) || v != floor(v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_delay(const char *s, uint32_t *lo, uint32_t *hi)
{
    const char *dots = strstr(s, "..");
    if (!dots)
        return parse_ms(s, strlen(s), lo) && (*hi = *lo, true);
    return parse_ms(s, (size_t)(dots - s), lo) && parse_ms(dots + 2, strlen(dots + 2), hi) &&
           *lo <= *hi;
}

static char *read_file(const char *path, size_t *len, const char **why)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    char *data = xmalloc(SCRIPT_MAX + 1);
    size_t n = fread(data, 1, SCRIPT_MAX + 1, f);
    *why = ferror(f) ? strerror(errno) : n == 0 ? "empty file" : "over 256 KiB";
    fclose(f);
    if (n == 0 || n > SCRIPT_MAX) {
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

struct sim_args {
    struct smpp_sim_opts o;
    const char *script_path;
    char *script;
};

enum {
    OPT_LISTEN = 256,
    OPT_PORT,
    OPT_SYSID,
    OPT_PASSWORD,
    OPT_DRATE,
    OPT_DELAY,
    OPT_RRATE,
    OPT_SCRIPT,
    OPT_THROTTLE,
    OPT_DROP,
    OPT_FORM,
    OPT_IDFMT,
    OPT_WINDOW,
    OPT_SEED,
    OPT_NOCHECK,
};

static const struct option long_opts[] = {{"listen", required_argument, NULL, OPT_LISTEN},
                                          {"port", required_argument, NULL, OPT_PORT},
                                          {"system-id", required_argument, NULL, OPT_SYSID},
                                          {"password", required_argument, NULL, OPT_PASSWORD},
                                          {"delivery-rate", required_argument, NULL, OPT_DRATE},
                                          {"receipt-delay", required_argument, NULL, OPT_DELAY},
                                          {"reply-rate", required_argument, NULL, OPT_RRATE},
                                          {"reply-script", required_argument, NULL, OPT_SCRIPT},
                                          {"throttle", required_argument, NULL, OPT_THROTTLE},
                                          {"drop-every", required_argument, NULL, OPT_DROP},
                                          {"receipt-form", required_argument, NULL, OPT_FORM},
                                          {"id-format", required_argument, NULL, OPT_IDFMT},
                                          {"window", required_argument, NULL, OPT_WINDOW},
                                          {"seed", required_argument, NULL, OPT_SEED},
                                          {"no-number-check", no_argument, NULL, OPT_NOCHECK},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

/* Applies one option; returns false when its value is not valid. */
static bool apply_opt(struct sim_args *a, int c, const char *v)
{
    struct smpp_sim_opts *o = &a->o;
    uint32_t u = 0;
    switch (c) {
    case OPT_LISTEN:
        return (o->listen = v, *v != '\0');
    case OPT_PORT:
        return parse_u32(v, NULL, &u) && u <= 65535 && (o->port = (uint16_t)u, true);
    case OPT_SYSID:
        return (o->system_id = v, *v && strlen(v) <= 15);
    case OPT_PASSWORD:
        return (o->password = v, strlen(v) <= 8);
    case OPT_DRATE:
        return parse_rate(v, &o->delivery_rate);
    case OPT_DELAY:
        return parse_delay(v, &o->receipt_delay_min_ms, &o->receipt_delay_max_ms);
    case OPT_RRATE:
        return parse_rate(v, &o->reply_rate);
    case OPT_SCRIPT:
        return (a->script_path = v, true);
    case OPT_THROTTLE:
        return parse_u32(v, "/s", &o->throttle);
    case OPT_DROP:
        return parse_u32(v, NULL, &o->drop_every);
    case OPT_WINDOW:
        return parse_u32(v, NULL, &o->window) && o->window > 0;
    case OPT_FORM:
        o->receipt_form = strcmp(v, "text") == 0  ? SMPP_SIM_RECEIPT_TEXT
                          : strcmp(v, "tlv") == 0 ? SMPP_SIM_RECEIPT_TLV
                                                  : SMPP_SIM_RECEIPT_BOTH;
        return strcmp(v, "text") == 0 || strcmp(v, "tlv") == 0 || strcmp(v, "both") == 0;
    case OPT_IDFMT:
        o->id_format = strcmp(v, "dec") == 0 ? SMPP_SIM_ID_DEC : SMPP_SIM_ID_HEX;
        return strcmp(v, "dec") == 0 || strcmp(v, "hex") == 0;
    case OPT_SEED: {
        char *end = NULL;
        errno = 0;
        o->seed = strtoull(v, &end, 10);
        return !errno && *v >= '0' && *v <= '9' && !*end;
    }
    }
    return false;
}

static const char *opt_name(int c)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

/* What a valid value looks like, for the error message. */
static const char *opt_hint(int c)
{
    switch (c) {
    case OPT_LISTEN:
        return "an IPv4 or IPv6 address";
    case OPT_PORT:
        return "0 to 65535";
    case OPT_SYSID:
        return "1 to 15 characters";
    case OPT_PASSWORD:
        return "at most 8 characters";
    case OPT_DRATE:
    case OPT_RRATE:
        return "a rate from 0 to 1";
    case OPT_DELAY:
        return "a delay or MIN..MAX, in ms or s, up to 24 h: 0, 500ms, 200ms..2s";
    case OPT_THROTTLE:
        return "N or N/s";
    case OPT_WINDOW:
        return "a number from 1";
    case OPT_FORM:
        return "text, tlv or both";
    case OPT_IDFMT:
        return "hex or dec";
    default:
        return "a number";
    }
}

/* Returns CLI_OK, CLI_USAGE after the message, or -1 after --help. */
static int parse_args(int argc, char **argv, struct sim_args *a)
{
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
        if (c == 'h')
            return usage(), -1;
        if (c == OPT_NOCHECK)
            a->o.no_number_check = true;
        else if (c == ':' || (c == '?' && optopt))
            return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        else if (c == '?')
            return cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
        else if (!apply_opt(a, c, optarg))
            return cli_usage(CMD, "--%s: invalid value '%s' (expected %s)", opt_name(c), optarg,
                             opt_hint(c));
    }
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (a->script_path) {
        const char *why = NULL;
        struct rl_err err = {0};
        a->script = read_file(a->script_path, &a->o.reply_script_len, &why);
        if (!a->script)
            return cli_usage(CMD, "--reply-script '%s': %s", a->script_path, why);
        a->o.reply_script = a->script;
        if (smpp_sim_script_check(a->script, a->o.reply_script_len, &err) != 0)
            return cli_usage(CMD, "--reply-script '%s': %s", a->script_path, err.msg);
    }
    return CLI_OK;
}

struct sim_run {
    struct smpp_sim *sim;
    uv_signal_t sigint, sigterm;
};

static void on_stopped(const struct smpp_sim_stats *st, void *ud)
{
    (void)ud;
    log_info("sim", "stats",
             "connections=%" PRIu64 " binds=%" PRIu64 " bind_failures=%" PRIu64 " submits=%" PRIu64
             " accepted=%" PRIu64 " throttled=%" PRIu64 " queue_full=%" PRIu64 " drops=%" PRIu64
             " bad_pdus=%" PRIu64 " delivered=%" PRIu64 " undeliverable=%" PRIu64
             " expired=%" PRIu64 " rejected=%" PRIu64 " receipts_dropped=%" PRIu64
             " mo_sent=%" PRIu64 " deliver_acked=%" PRIu64 " deliver_retried=%" PRIu64
             " deliver_resent=%" PRIu64 " deliver_errors=%" PRIu64,
             st->connections, st->binds, st->bind_failures, st->submits, st->accepted,
             st->throttled, st->queue_full, st->drops, st->bad_pdus,
             st->receipts[SMPP_DLR_DELIVERED], st->receipts[SMPP_DLR_UNDELIVERABLE],
             st->receipts[SMPP_DLR_EXPIRED], st->receipts[SMPP_DLR_REJECTED], st->receipts_dropped,
             st->mo_sent, st->deliver_acked, st->deliver_retried, st->deliver_resent,
             st->deliver_errors);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct sim_run *r = h->data;
    log_info("sim", "stopping", "signal=%s", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    smpp_sim_stop(r->sim, on_stopped, r);
    r->sim = NULL;
}

static int run(struct sim_args *a)
{
    uv_loop_t loop;
    struct sim_run r = {0};
    struct rl_err err = {0};
    int rc = uv_loop_init(&loop);
    if (rc)
        return cli_fail(CMD, "cannot start the event loop: %s", uv_strerror(rc));
    rc = smpp_sim_start(&loop, &a->o, &r.sim, &err);
    if (rc) {
        uv_run(&loop, UV_RUN_DEFAULT); /* lets what was opened close */
        uv_loop_close(&loop);
        return rc == RL_EINVAL || rc == RL_EPARSE ? cli_usage(CMD, "%s", err.msg)
                                                  : cli_fail(CMD, "%s", err.msg);
    }
    uv_signal_init(&loop, &r.sigint);
    uv_signal_init(&loop, &r.sigterm);
    r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    const char *host = a->o.listen;
    bool v6 = strchr(host, ':') != NULL;
    log_info("sim", "listening", "url=smpp://%s%s%s:%u system_id=%s receipt_form=%s id_format=%s",
             v6 ? "[" : "", host, v6 ? "]" : "", smpp_sim_port(r.sim), a->o.system_id,
             a->o.receipt_form == SMPP_SIM_RECEIPT_TEXT  ? "text"
             : a->o.receipt_form == SMPP_SIM_RECEIPT_TLV ? "tlv"
                                                         : "both",
             a->o.id_format == SMPP_SIM_ID_DEC ? "dec" : "hex");
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&loop);
    log_info("sim", "stopped", "loop=%s", rc ? uv_err_name(rc) : "closed");
    return CLI_OK;
}

int cli_smsc_sim(int argc, char **argv)
{
    struct sim_args a;
    memset(&a, 0, sizeof(a));
    smpp_sim_opts_init(&a.o);
    int rc = parse_args(argc, argv, &a);
    if (rc == CLI_OK)
        rc = run(&a);
    free(a.script);
    return rc < 0 ? CLI_OK : rc;
}

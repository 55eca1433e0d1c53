/* relais smpp-send: one message through the connector, from the command line:
 * bind, submit (split if long), optionally wait for the receipts, unbind. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_session.h"
#include "text/sender.h"
#include "core/banned.h"

#define CMD      "smpp-send"
#define TEXT_MAX (64 * 1024)
#define MSG_REF  1

enum part_status { PART_PENDING, PART_ACCEPTED, PART_FAILED };

struct part_out {
    enum part_status status;
    char id[SMPP_MESSAGE_ID_SIZE];
    uint32_t error;
    enum smpp_fail_kind kind;
    enum smpp_dlr_state dlr;
    int dlr_err;
};

struct send {
    uv_loop_t loop;
    uv_timer_t guard;
    struct smpp_session *s;
    struct smpp_route_opts ro;
    const char *from, *to, *text;
    bool wait, submitted, finished, ever_up;
    unsigned timeout_s;
    int rc;
    unsigned nparts, answered;
    struct part_out parts[255];
};

static void usage(void)
{
    printf(
        "usage: relais smpp-send [OPTIONS] --to NUMBER TEXT\n\n"
        "Binds to an SMSC, sends TEXT (split into parts when long) and prints one JSON\n"
        "line per part: {\"part\":1,\"parts\":2,\"message_id\":\"...\",\"status\":\"accepted\"}.\n"
        "With --wait-receipt each line also has \"receipt\" (delivered, undeliverable,\n"
        "expired, ..., or none) and the receipt's \"err\".\n\n"
        "  --host H             SMSC address (127.0.0.1)\n"
        "  --port P             SMSC port (2775)\n"
        "  --system-id U        SMPP login\n"
        "  --password W         SMPP password\n"
        "  --system-type T      SMPP system_type (empty)\n"
        "  --from S             sender: alphanumeric (TON 5/NPI 0) or +number (1/1) (relais)\n"
        "  --to N               destination, +country code and number\n"
        "  --receipt            ask for a delivery receipt\n"
        "  --wait-receipt SECS  ask for receipts and wait up to SECS for them\n"
        "  --timeout SECS       bind and submit must be done within SECS (30)\n"
        "  --data-coding-gsm N  data_coding for GSM-7 texts (0); UCS-2 is always 8\n"
        "  --long-mode M        udh (default), sar or payload\n"
        "  --bind B             transceiver (default) or transmitter_receiver\n"
        "TEXT '-' reads the text from standard input (at most 64 KiB).\n\n"
        "Exit status: 0 when every part was accepted (and delivered, with\n"
        "--wait-receipt); 1 otherwise, the SMPP status named on standard error; 2 on\n"
        "a usage error.\n");
}

static void print_parts(const struct send *x)
{
    for (unsigned i = 0; i < x->nparts; i++) {
        const struct part_out *p = &x->parts[i];
        json_t *o = json_object();
        json_object_set_new(o, "part", json_integer(i + 1));
        json_object_set_new(o, "parts", json_integer(x->nparts));
        json_object_set_new(o, "message_id", p->id[0] ? json_string(p->id) : json_null());
        json_object_set_new(o, "status",
                            json_string(p->status == PART_ACCEPTED ? "accepted"
                                        : p->status == PART_FAILED ? "failed"
                                                                   : "pending"));
        if (p->status == PART_FAILED && p->kind == SMPP_FAIL_PERMANENT) {
            json_object_set_new(o, "error", json_string(smpp_status_name(p->error)));
            json_object_set_new(o, "error_text", json_string(smpp_status_text(p->error)));
        }
        if (x->wait && p->status == PART_ACCEPTED) {
            const char *r = p->dlr == SMPP_DLR_NONE ? "none" : smpp_dlr_state_name(p->dlr);
            json_object_set_new(o, "receipt", json_string(r));
            if (p->dlr_err >= 0)
                json_object_set_new(o, "err", json_integer(p->dlr_err));
        }
        cli_print_json(o);
        json_decref(o);
    }
}

static bool all_good(const struct send *x)
{
    if (x->nparts == 0)
        return false;
    for (unsigned i = 0; i < x->nparts; i++) {
        if (x->parts[i].status != PART_ACCEPTED)
            return false;
        if (x->wait && x->parts[i].dlr != SMPP_DLR_DELIVERED)
            return false;
    }
    return true;
}

/* Prints what is known, sets the exit code, and lets the session unbind. */
static void finish(struct send *x)
{
    if (x->finished)
        return;
    x->finished = true;
    print_parts(x);
    if (x->rc == CLI_OK && !all_good(x))
        x->rc = CLI_FAIL;
    uv_timer_stop(&x->guard);
    smpp_session_stop(x->s);
}

static void submit(struct send *x)
{
    struct smpp_submit_opts so = {.registered_delivery = x->ro.registered_delivery};
    struct rl_err err = {0};
    x->submitted = true;
    int rc = smpp_session_submit(x->s, MSG_REF, x->from, x->to, x->text, &so, &err);
    if (rc < 0) {
        x->rc = cli_fail(CMD, "%s", err.msg[0] ? err.msg : rl_strerror(rc));
        finish(x);
        return;
    }
    x->nparts = (unsigned)rc;
    for (unsigned i = 0; i < x->nparts; i++)
        x->parts[i].dlr_err = -1;
}

/* A libuv code or an RL_E* one. */
static const char *err_text(int e)
{
    return e > RL_EBASE && e < RL_ELAST ? rl_strerror(e) : uv_strerror(e);
}

static void on_state(void *ud, const struct smpp_session_event *ev)
{
    struct send *x = ud;
    if (strcmp(ev->reason, "stopped") == 0) {
        uv_close((uv_handle_t *)&x->guard, NULL);
        return;
    }
    if (ev->up) {
        x->ever_up = true;
        if (!x->submitted && !x->finished)
            submit(x);
        return;
    }
    if (x->ever_up || x->finished)
        return; /* the session rebinds and resubmits what was in flight */
    if (ev->status)
        x->rc = cli_fail(CMD, "bind refused by %s:%u: %s (%s)", x->ro.host, x->ro.port,
                         smpp_status_name(ev->status), smpp_status_text(ev->status));
    else
        x->rc = cli_fail(CMD, "cannot bind to %s:%u: %s%s%s", x->ro.host, x->ro.port, ev->reason,
                         ev->err ? ": " : "", ev->err ? err_text(ev->err) : "");
    finish(x);
}

static void on_accepted(void *ud, uint64_t ref, unsigned part, const char *id, unsigned attempts)
{
    struct send *x = ud;
    (void)ref;
    (void)attempts;
    struct part_out *p = &x->parts[part];
    p->status = PART_ACCEPTED;
    snprintf(p->id, sizeof(p->id), "%s", id);
    if (++x->answered == x->nparts && !x->wait)
        finish(x);
}

static void on_failed(void *ud, uint64_t ref, unsigned part, uint32_t status,
                      enum smpp_fail_kind kind)
{
    struct send *x = ud;
    (void)ref;
    struct part_out *p = &x->parts[part];
    p->status = PART_FAILED;
    p->error = status;
    p->kind = kind;
    if (kind == SMPP_FAIL_PERMANENT)
        cli_fail(CMD, "part %u of %u refused: %s (%s)", part + 1, x->nparts,
                 smpp_status_name(status), smpp_status_text(status));
    else if (!x->finished)
        cli_fail(CMD, "part %u of %u: no answer from the SMSC", part + 1, x->nparts);
    if (++x->answered == x->nparts && !x->wait)
        finish(x);
}

static void on_receipt(void *ud, uint64_t ref, unsigned part, const struct smpp_receipt *r)
{
    struct send *x = ud;
    if (ref != MSG_REF)
        return;
    x->parts[part].dlr = r->state;
    x->parts[part].dlr_err = r->err;
}

static void on_done(void *ud, uint64_t ref, enum smpp_msg_result res, unsigned delivered,
                    unsigned parts)
{
    struct send *x = ud;
    (void)ref;
    (void)delivered;
    (void)parts;
    if (x->wait && res != SMPP_MSG_DELIVERED && !x->finished)
        cli_fail(CMD, "message %s", smpp_msg_result_name(res));
    finish(x);
}

static void on_guard(uv_timer_t *t)
{
    struct send *x = t->data;
    if (!x->ever_up)
        x->rc = cli_fail(CMD, "no bind to %s:%u within %u s", x->ro.host, x->ro.port, x->timeout_s);
    else
        x->rc = cli_fail(CMD, "timed out after %u s", x->timeout_s);
    finish(x);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > max || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The options that are SMPP strings, each with its size in the spec. */
static int string_option(struct send *x, int c, const char *a)
{
    size_t n = strlen(a);
    switch (c) {
    case 'H':
        if (n >= sizeof(x->ro.host))
            return cli_usage(CMD, "--host is too long");
        snprintf(x->ro.host, sizeof(x->ro.host), "%s", a);
        return 0;
    case 'u':
        if (n >= sizeof(x->ro.system_id))
            return cli_usage(CMD, "--system-id is %zu characters; SMPP allows 15", n);
        snprintf(x->ro.system_id, sizeof(x->ro.system_id), "%s", a);
        return 0;
    case 'w':
        if (n >= sizeof(x->ro.password))
            return cli_usage(CMD, "--password is %zu characters; SMPP allows 8", n);
        snprintf(x->ro.password, sizeof(x->ro.password), "%s", a);
        return 0;
    case 'y':
        if (n >= sizeof(x->ro.system_type))
            return cli_usage(CMD, "--system-type is %zu characters; SMPP allows 12", n);
        snprintf(x->ro.system_type, sizeof(x->ro.system_type), "%s", a);
        return 0;
    default:
        return CLI_USAGE;
    }
}

/* Sets x from the option c with argument a; returns 0 or CLI_USAGE. */
static int option(struct send *x, int c, const char *a, unsigned *wait_s)
{
    unsigned v = 0;
    switch (c) {
    case 'H':
    case 'u':
    case 'w':
    case 'y':
        return string_option(x, c, a);
    case 'P':
        if (parse_uint(a, 65535, &v) || v == 0)
            return cli_usage(CMD, "--port '%s' is not a port (1-65535)", a);
        x->ro.port = (uint16_t)v;
        return 0;
    case 'f':
        x->from = a;
        return 0;
    case 't':
        x->to = a;
        return 0;
    case 'r':
        x->ro.registered_delivery = true;
        return 0;
    case 'W':
        if (parse_uint(a, 86400, wait_s))
            return cli_usage(CMD, "--wait-receipt '%s' is not a number of seconds", a);
        x->wait = x->ro.registered_delivery = true;
        return 0;
    case 'T':
        if (parse_uint(a, 86400, &x->timeout_s) || x->timeout_s == 0)
            return cli_usage(CMD, "--timeout '%s' is not a number of seconds", a);
        return 0;
    case 'd':
        if (parse_uint(a, 255, &v))
            return cli_usage(CMD, "--data-coding-gsm '%s' is not 0-255", a);
        x->ro.data_coding_gsm = (uint8_t)v;
        return 0;
    case 'l':
        if (strcmp(a, "udh") == 0)
            x->ro.long_mode = SMPP_LONG_UDH;
        else if (strcmp(a, "sar") == 0)
            x->ro.long_mode = SMPP_LONG_SAR;
        else if (strcmp(a, "payload") == 0)
            x->ro.long_mode = SMPP_LONG_PAYLOAD;
        else
            return cli_usage(CMD, "--long-mode '%s': expected udh, sar or payload", a);
        return 0;
    case 'b':
        if (strcmp(a, "transceiver") == 0)
            x->ro.bind = SMPP_BIND_TRANSCEIVER;
        else if (strcmp(a, "transmitter_receiver") == 0)
            x->ro.bind = SMPP_BIND_TRANSMITTER_RECEIVER;
        else
            return cli_usage(CMD, "--bind '%s': expected transceiver or transmitter_receiver", a);
        return 0;
    default:
        return cli_usage(CMD, "unknown option '%s'", a ? a : "?");
    }
}

static int parse_args(struct send *x, int argc, char **argv, unsigned *wait_s)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'P'},
        {"system-id", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'w'},
        {"system-type", required_argument, NULL, 'y'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"receipt", no_argument, NULL, 'r'},
        {"wait-receipt", required_argument, NULL, 'W'},
        {"timeout", required_argument, NULL, 'T'},
        {"data-coding-gsm", required_argument, NULL, 'd'},
        {"long-mode", required_argument, NULL, 'l'},
        {"bind", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        const char *a = c == '?' ? argv[optind - 1] : optarg;
        if (c == ':' || (c == '?' && optopt))
            return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        if ((rc = option(x, c, a, wait_s)) != 0)
            return rc;
    }
    if (!x->to)
        return cli_usage(CMD, "--to NUMBER is required");
    struct sender_info si;
    struct rl_err err = {0};
    if (sender_check(x->from, strlen(x->from), &si, &err) != 0)
        return cli_usage(CMD, "--from: %s", err.msg);
    const char *d = x->to[0] == '+' ? x->to + 1 : x->to;
    if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 20)
        return cli_usage(CMD, "--to '%s' is not a number ('+' then 1 to 20 digits)", x->to);
    if (argc - optind != 1)
        return cli_usage(CMD, "expected one TEXT argument, got %d (quote the text)", argc - optind);
    return 0;
}

static int run(struct send *x, unsigned wait_s)
{
    static const struct smpp_session_cbs cbs = {on_state,   on_accepted, on_failed,
                                                on_receipt, on_done,     NULL};
    uv_loop_init(&x->loop);
    uv_timer_init(&x->loop, &x->guard);
    x->guard.data = x;
    uv_timer_start(&x->guard, on_guard, (uint64_t)(x->timeout_s + wait_s) * 1000, 0);
    x->s = smpp_session_new(&x->loop, &x->ro, &cbs, x);
    smpp_session_start(x->s);
    uv_run(&x->loop, UV_RUN_DEFAULT);
    smpp_session_free(x->s);
    uv_run(&x->loop, UV_RUN_DEFAULT);
    uv_loop_close(&x->loop);
    return x->rc;
}

int cli_smpp_send(int argc, char **argv)
{
    struct send *x = xcalloc(1, sizeof(*x));
    unsigned wait_s = 0;
    char *owned = NULL;
    int rc;
    if (cli_wants_help(argc, argv)) {
        usage();
        rc = CLI_OK;
        goto out;
    }
    smpp_route_opts_default(&x->ro);
    snprintf(x->ro.name, sizeof(x->ro.name), "cli");
    x->ro.registered_delivery = false;
    x->ro.submit_timeout_ms = 10000;
    x->ro.stop_timeout_ms = 2000;
    x->from = "relais";
    x->timeout_s = 30;
    if ((rc = parse_args(x, argc, argv, &wait_s)) != 0)
        goto out;
    x->text = argv[optind];
    if (strcmp(x->text, "-") == 0) {
        size_t len = 0;
        owned = cli_read_stdin(TEXT_MAX, &len);
        if (!owned || memchr(owned, 0, len)) {
            rc = cli_usage(CMD, "standard input is over the %d-byte limit or holds NUL", TEXT_MAX);
            goto out;
        }
        x->text = owned;
    }
    /* The connector logs its events; a one-shot command shows warnings only,
     * unless -v asked for more. */
    log_set_level(LOG_WARN);
    rc = run(x, wait_s);
out:
    free(owned);
    free(x);
    return rc;
}

/* relais smpp-send: one message through the connector, from the command line:
 * bind (with a route of the configuration, or options), submit (split if
 * long), optionally wait for the receipts and then for replies, unbind. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/mem.h"
#include "phone/phone.h"
#include "smpp/smpp_reasm.h"
#include "smpp/smpp_receipt.h"
#include "smpp/smpp_session.h"
#include "text/sender.h"
#include "core/banned.h"

#define CMD      "smpp-send"
#define TEXT_MAX (64 * 1024)
#define MSG_REF  1
/* Replies that arrive while the message is still being sent wait to be
 * printed after its parts; a peer flooding us meanwhile gets the rest
 * acknowledged and not printed. */
#define EARLY_MAX 256

enum part_status { PART_PENDING, PART_ACCEPTED, PART_FAILED };

struct part_out {
    enum part_status status;
    char id[SMPP_MESSAGE_ID_SIZE];
    uint32_t error;
    enum smpp_fail_kind kind;
    enum smpp_dlr_state dlr;
    int dlr_err;
    unsigned attempts;
};

struct send {
    uv_loop_t loop;
    uv_timer_t guard;
    struct smpp_session *s;
    struct smpp_route_opts ro;
    const char *from, *to, *text;
    const char *region;         /* of a national --to; NULL: FR */
    char to_e164[20];           /* a national --to, as sent */
    const char *config, *route; /* --config, --route: borrowed from argv */
    /* finished: the parts are printed; listening: for replies, after that;
     * stopping: the session is unbinding. */
    bool wait, submitted, finished, listening, stopping, ever_up;
    unsigned timeout_s;
    unsigned reply_s;     /* --wait-reply; 0: replies are not waited for */
    unsigned replies_max; /* --replies; 0: the whole of reply_s */
    unsigned replies;
    json_t *early; /* owned: replies received before the parts were printed */
    int rc;
    unsigned nparts, answered;
    struct part_out parts[255];
    /* Receipts that overtook their submit_sm_resp (the session reports them
     * without a message): matched to a part when its id is known. */
    struct early_receipt {
        char key[SMPP_MESSAGE_ID_SIZE];
        enum smpp_dlr_state state;
        int err;
    } overtook[16];
    unsigned novertook;
};

static void usage(void)
{
    printf(
        "usage: relais smpp-send [OPTIONS] --to NUMBER TEXT\n\n"
        "Binds to an SMSC, sends TEXT (split into parts when long) and prints one JSON\n"
        "line per part: {\"part\":1,\"parts\":2,\"message_id\":\"...\",\"status\":\"accepted\"}.\n"
        "A part sent more than once (the connection was lost before its answer, so the\n"
        "SMSC may have it twice) also has \"attempts\":N. With --wait-receipt each line\n"
        "also has \"receipt\" (delivered, undeliverable, expired, ..., or none) and the\n"
        "receipt's \"err\".\n\n"
        "  --config FILE        read the configuration from FILE (else ./relais.conf)\n"
        "  --route NAME         use the SMSC, login and settings of [route NAME];\n"
        "                       the options below, when given, override them\n"
        "  --host H             SMSC address (127.0.0.1)\n"
        "  --port P             SMSC port (2775)\n"
        "  --system-id U        SMPP login\n"
        "  --password W         SMPP password\n"
        "  --system-type T      SMPP system_type (empty)\n"
        "  --from S             sender: alphanumeric (TON 5/NPI 0) or +number (1/1) (relais)\n"
        "  --to N               destination: +country code and number, sent as is, or a\n"
        "                       national number (06 10 20 30 40) read in --region\n"
        "  --region CC          region of a national --to (default FR)\n"
        "  --receipt            ask for a delivery receipt\n"
        "  --wait-receipt SECS  ask for receipts and wait up to SECS for them\n"
        "  --wait-reply SECS    then stay bound SECS more and print each message received\n"
        "  --replies N          with --wait-reply: stop as soon as N messages arrived\n"
        "  --timeout SECS       bind and submit must be done within SECS (30)\n"
        "  --data-coding-gsm N  data_coding for GSM-7 texts (0); UCS-2 is always 8\n"
        "  --long-mode M        udh (default), sar or payload\n"
        "  --bind B             transceiver (default) or transmitter_receiver\n"
        "TEXT '-' reads the text from standard input (at most 64 KiB).\n\n"
        "With --wait-reply, each message received (its parts put back together) is one\n"
        "line, after the parts' lines:\n"
        "  {\"inbound\":{\"from\":\"+33612345678\",\"to\":\"36180\",\"text\":\"OUI\",\"parts\":1,\n"
        "   \"encoding\":\"gsm7\"}}\n"
        "encoding is gsm7, ucs2 or latin1 (data_coding 1 or 3); a number of TON 1\n"
        "(international) is written with '+'; \"incomplete\":true marks a message\n"
        "whose parts did not all arrive.\n\n"
        "Exit status: 0 when every part was accepted (and delivered, with\n"
        "--wait-receipt, and at least one message received, with --wait-reply); 1\n"
        "otherwise, the SMPP status named on standard error; 2 on a usage error\n"
        "(also a --route that the configuration does not declare).\n");
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
        if (p->attempts > 1)
            json_object_set_new(o, "attempts", json_integer(p->attempts));
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

/* Lets the session unbind; with --wait-reply, fails when nothing came. */
static void leave(struct send *x)
{
    if (x->stopping)
        return;
    x->stopping = true;
    if (x->listening && x->replies == 0 && x->rc == CLI_OK)
        x->rc = cli_fail(CMD, "no message received within %u s", x->reply_s);
    uv_timer_stop(&x->guard);
    smpp_session_stop(x->s);
}

static void on_reply_wait_over(uv_timer_t *t)
{
    leave(t->data);
}

/* Prints the replies kept while the parts were being sent. */
static void flush_early(struct send *x)
{
    size_t i;
    json_t *o;
    json_array_foreach(x->early, i, o)
    {
        cli_print_json(o);
    }
    json_array_clear(x->early);
    fflush(stdout);
}

/* Prints what is known, sets the exit code, then waits for replies (when
 * asked and the message went) or lets the session unbind. */
static void finish(struct send *x)
{
    if (x->finished)
        return;
    x->finished = true;
    print_parts(x);
    if (x->rc == CLI_OK && !all_good(x))
        x->rc = CLI_FAIL;
    if (x->reply_s == 0 || x->rc != CLI_OK) {
        leave(x);
        return;
    }
    x->listening = true;
    flush_early(x);
    if (x->replies_max && x->replies >= x->replies_max) {
        leave(x);
        return;
    }
    uv_timer_start(&x->guard, on_reply_wait_over, (uint64_t)x->reply_s * 1000, 0);
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
    /* With two connections, say which one: an SMSC may take one and not the other. */
    bool two = x->ro.bind == SMPP_BIND_TRANSMITTER_RECEIVER && ev->link;
    const char *link = two ? ev->link : "";
    if (ev->status)
        x->rc = cli_fail(CMD, "bind refused by %s:%u%s%s: %s (%s)", x->ro.host, x->ro.port,
                         two ? " for the " : "", link, smpp_status_name(ev->status),
                         smpp_status_text(ev->status));
    else
        x->rc = cli_fail(CMD, "cannot bind to %s:%u%s%s: %s%s%s", x->ro.host, x->ro.port,
                         two ? " as " : "", link, ev->reason, ev->err ? ": " : "",
                         ev->err ? err_text(ev->err) : "");
    finish(x);
}

static void on_accepted(void *ud, uint64_t ref, unsigned part, const char *id, unsigned attempts)
{
    struct send *x = ud;
    (void)ref;
    struct part_out *p = &x->parts[part];
    p->status = PART_ACCEPTED;
    p->attempts = attempts;
    snprintf(p->id, sizeof(p->id), "%s", id);
    char key[SMPP_MESSAGE_ID_SIZE];
    if (smpp_id_key(id, x->ro.id_mode, false, key) != 0)
        snprintf(key, sizeof(key), "%s", id);
    for (unsigned i = 0; i < x->novertook; i++) {
        if (strcmp(x->overtook[i].key, key) == 0) {
            p->dlr = x->overtook[i].state;
            p->dlr_err = x->overtook[i].err;
        }
    }
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

static void on_receipt(void *ud, uint64_t ref, unsigned part, unsigned nparts,
                       const struct smpp_receipt *r)
{
    struct send *x = ud;
    (void)nparts;
    if (ref == 0 && x->novertook < sizeof(x->overtook) / sizeof(x->overtook[0])) {
        struct early_receipt *e = &x->overtook[x->novertook++];
        if (smpp_id_key(r->id, x->ro.id_mode, true, e->key) != 0)
            snprintf(e->key, sizeof(e->key), "%s", r->id);
        e->state = r->state;
        e->err = r->err;
        return;
    }
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

/* How the SMSC coded the text: gsm7 and ucs2 as `relais inspect` says them.
 * The session refuses any data_coding that is not text. */
static const char *mo_encoding(uint8_t dc)
{
    if (dc == 8)
        return "ucs2";
    if (dc == 1 || dc == 3)
        return "latin1"; /* IA5 is read as ASCII, its upper half as Latin-1 */
    return "gsm7";
}

/* A number of TON 1 (international) gets its '+'; anything else as sent,
 * but for octets that are not printable ASCII (the peer's, unchecked), '?'. */
static json_t *mo_address(const char *addr, uint8_t ton)
{
    char b[80];
    size_t n = 0;
    if (ton == 1 && addr[0] != '+')
        b[n++] = '+';
    for (; *addr && n + 1 < sizeof(b); addr++)
        b[n++] = *addr >= 0x20 && *addr < 0x7F ? *addr : '?';
    b[n] = 0;
    return json_string(b);
}

static json_t *inbound_json(const struct smpp_mo *mo)
{
    json_t *in = json_object();
    json_t *text = json_stringn(mo->text ? mo->text : "", mo->text ? mo->text_len : 0);
    json_object_set_new(in, "from", mo_address(mo->source_addr, mo->source_addr_ton));
    json_object_set_new(in, "to", mo_address(mo->destination_addr, mo->dest_addr_ton));
    json_object_set_new(in, "text", text ? text : json_string(""));
    json_object_set_new(in, "parts", json_integer(mo->parts));
    json_object_set_new(in, "encoding", json_string(mo_encoding(mo->data_coding)));
    if (mo->incomplete)
        json_object_set_new(in, "incomplete", json_true());
    json_t *o = json_object();
    json_object_set_new(o, "inbound", in);
    return o;
}

static void on_inbound(void *ud, const struct smpp_mo *mo)
{
    struct send *x = ud;
    if (x->reply_s == 0 || x->stopping)
        return; /* acknowledged by the session all the same */
    x->replies++;
    json_t *o = inbound_json(mo);
    if (x->listening) {
        cli_print_json(o);
        fflush(stdout); /* a script may act on each reply as it comes */
        json_decref(o);
    } else if (json_array_size(x->early) < EARLY_MAX) {
        json_array_append_new(x->early, o);
    } else {
        log_warn("cli", "reply_not_printed", "reason=\"over %d before the parts were sent\"",
                 EARLY_MAX);
        json_decref(o);
    }
    if (x->listening && x->replies_max && x->replies >= x->replies_max)
        leave(x);
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

/* --wait-reply and --replies. */
static int reply_option(struct send *x, int c, const char *a)
{
    if (c == 'R') {
        if (parse_uint(a, 86400, &x->reply_s) || x->reply_s == 0)
            return cli_usage(CMD, "--wait-reply '%s' is not a number of seconds (1-86400)", a);
        return 0;
    }
    if (parse_uint(a, 100000, &x->replies_max) || x->replies_max == 0)
        return cli_usage(CMD, "--replies '%s' is not a number of messages (1-100000)", a);
    return 0;
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
    case 'R':
    case 'n':
        return reply_option(x, c, a);
    case 'c':
    case 'o':
        return 0; /* read before the others: see route_from_config */
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
    case 'g':
        x->region = a;
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

/* "a, b, c" for the routes c declares, or "none". */
static void route_names(const struct cfg *c, char *out, size_t size)
{
    size_t n = 0;
    snprintf(out, size, "none");
    for (size_t i = 0; i < c->nroutes && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", c->routes[i].name);
}

/* The route of --route NAME in --config FILE (or ./relais.conf) as the base
 * that the other options then override; nothing without either. Returns 0,
 * CLI_FAIL (the file cannot be read) or CLI_USAGE (no such route). */
static int route_from_config(struct send *x, int argc, char **argv, const struct option *opts)
{
    char names[CFG_ROUTES_MAX * (CFG_ROUTE_NAME_MAX + 2) + 8];
    struct cfg c;
    const char *used = NULL;
    int ch, rc;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (ch == 'c')
            x->config = optarg;
        else if (ch == 'o')
            x->route = optarg;
    }
    if (!x->config && !x->route)
        return 0;
    cfg_init(&c);
    if ((rc = cli_load_config(CMD, x->config, &c, &used)) != 0)
        goto out;
    route_names(&c, names, sizeof(names));
    const struct cfg_route *r = x->route ? cfg_route_find(&c, x->route) : NULL;
    if (!used) {
        rc = cli_usage(CMD, "--route %s: no --config FILE and no ./%s", x->route,
                       CLI_DEFAULT_CONFIG);
    } else if (!x->route) {
        rc = cli_usage(CMD, "--config %s: which route? --route NAME (declared: %s)", used, names);
    } else if (!r) {
        rc = cli_usage(CMD, "--route %s: %s declares no such route (declared: %s)", x->route, used,
                       names);
    } else {
        smpp_route_opts_from_cfg(&x->ro, r);
        x->ro.stop_timeout_ms = 2000;
    }
out:
    cfg_release(&c);
    return rc;
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
        {"region", required_argument, NULL, 'g'},
        {"receipt", no_argument, NULL, 'r'},
        {"wait-receipt", required_argument, NULL, 'W'},
        {"timeout", required_argument, NULL, 'T'},
        {"data-coding-gsm", required_argument, NULL, 'd'},
        {"long-mode", required_argument, NULL, 'l'},
        {"bind", required_argument, NULL, 'b'},
        {"wait-reply", required_argument, NULL, 'R'},
        {"replies", required_argument, NULL, 'n'},
        {"config", required_argument, NULL, 'c'},
        {"route", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    opterr = 0;
    optind = 1;
    if ((rc = route_from_config(x, argc, argv, opts)) != 0)
        return rc;
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
    if (x->replies_max && !x->reply_s)
        return cli_usage(CMD, "--replies needs --wait-reply SECS");
    struct sender_info si;
    struct rl_err err = {0};
    if (sender_check(x->from, strlen(x->from), &si, &err) != 0)
        return cli_usage(CMD, "--from: %s", err.msg);
    /* A national number is read as people type it (06 10 20 30 40); one
     * written with '+' goes as it is, so that the SMSC judges test numbers. */
    if (x->to[0] != '+') {
        struct phone_info pi;
        if (phone_parse_with_overseas(x->to, strlen(x->to), x->region ? x->region : "FR", &pi,
                                      &err) != 0)
            return cli_usage(CMD, "--to: %s", err.msg);
        snprintf(x->to_e164, sizeof(x->to_e164), "%s", pi.e164);
        x->to = x->to_e164;
    }
    const char *d = x->to + 1;
    if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 20)
        return cli_usage(CMD, "--to '%s' is not a number ('+' then 1 to 20 digits)", x->to);
    if (argc - optind != 1)
        return cli_usage(CMD, "expected one TEXT argument, got %d (quote the text)", argc - optind);
    return 0;
}

static int run(struct send *x, unsigned wait_s)
{
    static const struct smpp_session_cbs cbs = {on_state, on_accepted, on_failed, on_receipt,
                                                on_done,  on_inbound,  NULL,      NULL};
    x->early = json_array();
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
    json_decref(x->early);
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
    /* Without --route: a route of its own, receipts only when asked for. */
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

/* The client connector against a small SMSC written here with smpp_conn, over
 * real TCP on 127.0.0.1 (an ephemeral port) and one libuv loop. The peer is
 * scripted per test (refuse the bind, withhold responses, throttle, drop the
 * connection, send receipts before responses...). Every wait is for a
 * condition, bounded by a guard timer; nothing asserts on elapsed time. The
 * throughput cap is tested as token-bucket arithmetic with an injected clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"
#include "smpp/smpp_conn.h"
#include "smpp/smpp_rate.h"
#include "smpp/smpp_reasm.h"
#include "smpp/smpp_session.h"

#define GUARD_MS 5000
#define MAXLOG   64

/* --- the SMSC peer -------------------------------------------------------- */

struct peer;
typedef void (*submit_fn)(struct peer *p, const struct smpp_pdu *pdu);

#define PEER_CONNS 4

struct peer {
    uv_tcp_t server;
    uint16_t port;
    /* Where peer_send writes: the connection the PDU being answered came on,
     * or one a test picks (peer.rx for a receipt in transmitter+receiver mode). */
    struct smpp_conn *conn;
    /* multi: keep every connection, as an SMSC does for a transmitter and a
     * receiver; otherwise a new one replaces the old (one session at a time). */
    bool multi;
    struct smpp_conn *open[PEER_CONNS];
    unsigned live, max_live;
    struct smpp_conn *tx, *rx; /* bound to send / to receive (a transceiver is both) */
    struct smpp_pdu bind_log[PEER_CONNS * 2];
    unsigned submits_off_tx;   /* submit_sm on a connection not bound to send */
    unsigned deliver_resps_rx; /* deliver_sm_resp on the receiving connection */
    uint32_t deliver_resp_status;
    unsigned unbinds;
    uint32_t bind_status;    /* answer binds with this */
    uint32_t refuse_cmd;     /* refuse binds of this kind only (ESME_RBINDFAIL) */
    bool hold;               /* withhold submit_sm_resp */
    bool ignore_enquire;     /* never answer enquire_link */
    bool unbind_on_bind;     /* send an unbind right after the first bind */
    submit_fn on_submit;     /* NULL: answer ok with id "M<n>" */
    uint32_t throttle_first; /* answer the first submit with this status */
    unsigned conns, binds, submits, enquires, unbind_resps, deliver_resps;
    unsigned outstanding, max_outstanding;
    struct smpp_pdu bind;
    struct smpp_pdu sub[MAXLOG];
    uint32_t held[MAXLOG];
    size_t nheld;
    uint32_t seq;
    int n; /* scratch for scripts */
};

static void peer_send(struct peer *p, struct smpp_pdu *pdu)
{
    if (!(pdu->command_id & SMPP_RESP_BIT))
        pdu->sequence_number = ++p->seq;
    assert_non_null(p->conn);
    assert_int_equal(smpp_conn_send(p->conn, pdu), 0);
}

static void peer_resp(struct peer *p, uint32_t seq, uint32_t status, const char *id)
{
    struct smpp_pdu r;
    smpp_pdu_init(&r, SMPP_CMD_SUBMIT_SM_RESP, seq);
    r.command_status = status;
    r.no_body = status != 0;
    snprintf(r.message_id, sizeof(r.message_id), "%s", id);
    p->outstanding--;
    peer_send(p, &r);
}

static void peer_release(struct peer *p)
{
    for (size_t i = 0; i < p->nheld; i++) {
        char id[16];
        snprintf(id, sizeof(id), "H%u", p->held[i]);
        peer_resp(p, p->held[i], 0, id);
    }
    p->nheld = 0;
}

static void receipt_text(struct peer *p, const char *id, const char *stat)
{
    struct smpp_pdu d;
    smpp_pdu_init(&d, SMPP_CMD_DELIVER_SM, 0);
    d.esm_class = 0x04;
    int n = snprintf((char *)d.short_message, sizeof(d.short_message),
                     "id:%s sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 "
                     "stat:%s err:%s text:hello",
                     id, stat, strcmp(stat, "DELIVRD") == 0 ? "000" : "001");
    d.sm_length = (uint8_t)n;
    peer_send(p, &d);
}

static void receipt_tlv(struct peer *p, const char *id, uint8_t state)
{
    struct smpp_pdu d;
    smpp_pdu_init(&d, SMPP_CMD_DELIVER_SM, 0);
    d.esm_class = 0x04;
    assert_int_equal(smpp_tlv_add_cstr(&d, SMPP_TLV_RECEIPTED_MESSAGE_ID, id), 0);
    assert_int_equal(smpp_tlv_add_u8(&d, SMPP_TLV_MESSAGE_STATE, state), 0);
    peer_send(p, &d);
}

static void mo_part(struct peer *p, uint8_t seq, const char *text)
{
    struct smpp_pdu d;
    smpp_pdu_init(&d, SMPP_CMD_DELIVER_SM, 0);
    snprintf(d.source_addr, sizeof(d.source_addr), "33611111111");
    snprintf(d.destination_addr, sizeof(d.destination_addr), "36180");
    d.esm_class = 0x40;
    uint8_t udh[6] = {5, 0, 3, 0x42, 2, seq};
    memcpy(d.short_message, udh, 6);
    memcpy(d.short_message + 6, text, strlen(text));
    d.sm_length = (uint8_t)(6 + strlen(text));
    peer_send(p, &d);
}

static void peer_on_submit(struct peer *p, const struct smpp_pdu *pdu)
{
    if (p->conn != p->tx)
        p->submits_off_tx++;
    if (p->submits < MAXLOG)
        p->sub[p->submits] = *pdu;
    p->submits++;
    if (++p->outstanding > p->max_outstanding)
        p->max_outstanding = p->outstanding;
    if (p->throttle_first && p->submits == 1) {
        peer_resp(p, pdu->sequence_number, p->throttle_first, "");
    } else if (p->on_submit) {
        p->on_submit(p, pdu);
    } else if (p->hold) {
        p->held[p->nheld++] = pdu->sequence_number;
    } else {
        char id[16];
        snprintf(id, sizeof(id), "M%u", p->submits);
        peer_resp(p, pdu->sequence_number, 0, id);
    }
}

static void peer_on_bind(struct peer *p, const struct smpp_pdu *pdu)
{
    struct smpp_pdu r;
    uint32_t st = p->bind_status;
    if (!st && pdu->command_id == p->refuse_cmd)
        st = SMPP_ESME_RBINDFAIL;
    if (p->binds < PEER_CONNS * 2)
        p->bind_log[p->binds] = *pdu;
    p->binds++;
    p->bind = *pdu;
    if (st == 0 && pdu->command_id != SMPP_CMD_BIND_RECEIVER)
        p->tx = p->conn;
    if (st == 0 && pdu->command_id != SMPP_CMD_BIND_TRANSMITTER)
        p->rx = p->conn;
    smpp_pdu_init(&r, pdu->command_id | SMPP_RESP_BIT, pdu->sequence_number);
    r.command_status = st;
    r.no_body = st != 0;
    snprintf(r.system_id, sizeof(r.system_id), "testsmsc");
    peer_send(p, &r);
    if (p->unbind_on_bind && p->binds == 1) {
        struct smpp_pdu u;
        smpp_pdu_init(&u, SMPP_CMD_UNBIND, 0);
        peer_send(p, &u);
    }
}

static void peer_pdu(struct smpp_conn *c, const struct smpp_pdu *pdu)
{
    struct peer *p = smpp_conn_data(c);
    struct smpp_pdu r;
    p->conn = c; /* answers go back where the request came from */
    switch (pdu->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
        peer_on_bind(p, pdu);
        break;
    case SMPP_CMD_SUBMIT_SM:
        peer_on_submit(p, pdu);
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        p->enquires++;
        if (p->ignore_enquire)
            break;
        smpp_pdu_init(&r, SMPP_CMD_ENQUIRE_LINK_RESP, pdu->sequence_number);
        peer_send(p, &r);
        break;
    case SMPP_CMD_UNBIND:
        p->unbinds++;
        smpp_pdu_init(&r, SMPP_CMD_UNBIND_RESP, pdu->sequence_number);
        peer_send(p, &r);
        smpp_conn_close(c);
        break;
    case SMPP_CMD_UNBIND_RESP:
        p->unbind_resps++;
        break;
    case SMPP_CMD_DELIVER_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
        p->deliver_resps++;
        p->deliver_resps_rx += c == p->rx;
        p->deliver_resp_status = pdu->command_status;
        break;
    default:
        break;
    }
}

static void peer_closed(struct smpp_conn *c, int status)
{
    struct peer *p = smpp_conn_data(c);
    (void)status;
    for (unsigned i = 0; i < PEER_CONNS; i++) {
        if (p->open[i] == c) {
            p->open[i] = NULL;
            p->live--;
        }
    }
    if (p->conn == c)
        p->conn = NULL;
    if (p->rx == c)
        p->rx = NULL;
    if (p->tx == c)
        p->tx = NULL;
    else if (p->multi)
        return; /* the receiver went: the transmitter's window is still there */
    p->outstanding = 0;
    p->nheld = 0;
}

static void peer_accept(uv_stream_t *server, int status)
{
    static const struct smpp_conn_cbs cbs = {peer_pdu, NULL, peer_closed};
    struct peer *p = server->data;
    assert_int_equal(status, 0);
    uv_tcp_t *tcp = malloc(sizeof(*tcp));
    uv_tcp_init(server->loop, tcp);
    assert_int_equal(uv_accept(server, (uv_stream_t *)tcp), 0);
    for (unsigned i = 0; !p->multi && i < PEER_CONNS; i++) {
        if (p->open[i]) /* one SMSC session at a time, as most tests want it */
            smpp_conn_abort(p->open[i], 0);
    }
    p->conns++;
    p->conn = smpp_conn_new(tcp, 0, &cbs, p);
    unsigned i = 0;
    while (i < PEER_CONNS && p->open[i])
        i++;
    assert_true(i < PEER_CONNS);
    p->open[i] = p->conn;
    if (++p->live > p->max_live)
        p->max_live = p->live;
}

static void peer_listen(uv_loop_t *loop, struct peer *p)
{
    struct sockaddr_in a;
    struct sockaddr_storage got;
    int len = sizeof(got);
    uv_tcp_init(loop, &p->server);
    p->server.data = p;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&p->server, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&p->server, 16, peer_accept), 0);
    uv_tcp_getsockname(&p->server, (struct sockaddr *)&got, &len);
    p->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

/* --- what the session reports ------------------------------------------------ */

struct rec {
    unsigned ups, downs;
    const char *reason;
    const char *link, *down_link; /* of the last event, of the last failure */
    uint32_t status;
    unsigned accepted, failed, receipts, done, inbound;
    unsigned attempts[MAXLOG];
    char ids[MAXLOG][SMPP_MESSAGE_ID_SIZE];
    uint32_t fail_status;
    enum smpp_fail_kind fail_kind;
    uint64_t receipt_ref;
    enum smpp_dlr_state receipt_state;
    enum smpp_msg_result result;
    unsigned delivered;
    char mo[512];
    bool stopped;
};

struct t {
    uv_loop_t loop;
    struct peer peer;
    struct smpp_session *s;
    struct smpp_route_opts o;
    struct rec r;
    uv_check_t check;
    uv_timer_t guard;
    bool (*pred)(struct t *);
    bool fired;
};

static void on_state(void *ud, const struct smpp_session_event *ev)
{
    struct rec *r = &((struct t *)ud)->r;
    if (ev->up)
        r->ups++;
    else
        r->downs++;
    r->reason = ev->reason;
    r->link = ev->link;
    if (!ev->up && ev->link)
        r->down_link = ev->link;
    r->status = ev->status;
    if (strcmp(ev->reason, "stopped") == 0)
        r->stopped = true;
}

static void on_accepted(void *ud, uint64_t ref, unsigned part, const char *id, unsigned attempts)
{
    struct rec *r = &((struct t *)ud)->r;
    size_t i = (size_t)(ref - 1 + part) % MAXLOG;
    r->accepted++;
    r->attempts[i] = attempts;
    snprintf(r->ids[i], sizeof(r->ids[i]), "%s", id);
}

static void on_failed(void *ud, uint64_t ref, unsigned part, uint32_t status,
                      enum smpp_fail_kind kind)
{
    struct rec *r = &((struct t *)ud)->r;
    (void)ref;
    (void)part;
    r->failed++;
    r->fail_status = status;
    r->fail_kind = kind;
}

static void on_receipt(void *ud, uint64_t ref, unsigned part, unsigned nparts,
                       const struct smpp_receipt *rc)
{
    struct rec *r = &((struct t *)ud)->r;
    (void)part;
    (void)nparts;
    r->receipts++;
    r->receipt_ref = ref;
    r->receipt_state = rc->state;
}

static void on_done(void *ud, uint64_t ref, enum smpp_msg_result res, unsigned delivered,
                    unsigned parts)
{
    struct rec *r = &((struct t *)ud)->r;
    (void)ref;
    (void)parts;
    r->done++;
    r->result = res;
    r->delivered = delivered;
}

static void on_inbound(void *ud, const struct smpp_mo *mo)
{
    struct rec *r = &((struct t *)ud)->r;
    r->inbound++;
    snprintf(r->mo, sizeof(r->mo), "%s", mo->text);
}

/* --- running the loop until something is true ------------------------------- */

static void on_check(uv_check_t *c)
{
    struct t *t = c->data;
    if (t->pred && t->pred(t))
        uv_stop(&t->loop);
}

static void on_guard(uv_timer_t *g)
{
    struct t *t = g->data;
    t->fired = true;
    uv_stop(&t->loop);
}

/* Runs the loop until pred holds (true) or ms pass (false). */
static bool run_until(struct t *t, bool (*pred)(struct t *), uint64_t ms)
{
    t->pred = pred;
    t->fired = false;
    if (pred && pred(t))
        return true;
    uv_timer_start(&t->guard, on_guard, ms, 0);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&t->guard);
    t->pred = NULL;
    return !t->fired;
}

static bool never(struct t *t)
{
    (void)t;
    return false;
}

static bool is_up(struct t *t)
{
    return smpp_session_is_up(t->s);
}

static struct t *fixture(void (*tune)(struct smpp_route_opts *))
{
    static const struct smpp_session_cbs cbs = {on_state, on_accepted, on_failed, on_receipt,
                                                on_done,  on_inbound,  NULL,      NULL};
    struct t *t = calloc(1, sizeof(*t));
    uv_loop_init(&t->loop);
    peer_listen(&t->loop, &t->peer);
    uv_check_init(&t->loop, &t->check);
    t->check.data = t;
    uv_check_start(&t->check, on_check);
    uv_timer_init(&t->loop, &t->guard);
    t->guard.data = t;
    smpp_route_opts_default(&t->o);
    snprintf(t->o.name, sizeof(t->o.name), "test");
    t->o.port = t->peer.port;
    snprintf(t->o.system_id, sizeof(t->o.system_id), "relais");
    snprintf(t->o.password, sizeof(t->o.password), "secret");
    snprintf(t->o.system_type, sizeof(t->o.system_type), "VMA");
    t->o.reconnect_min_ms = 10;
    t->o.reconnect_max_ms = 40;
    t->o.throttle_min_ms = 10;
    t->o.throttle_max_ms = 40;
    if (tune)
        tune(&t->o);
    t->s = smpp_session_new(&t->loop, &t->o, &cbs, t);
    assert_int_equal(smpp_session_start(t->s), 0);
    return t;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

static void teardown(struct t *t)
{
    smpp_session_free(t->s);
    for (unsigned i = 0; i < PEER_CONNS; i++) {
        if (t->peer.open[i])
            smpp_conn_abort(t->peer.open[i], 0);
    }
    uv_close((uv_handle_t *)&t->peer.server, close_cb);
    uv_close((uv_handle_t *)&t->check, close_cb);
    uv_close((uv_handle_t *)&t->guard, close_cb);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&t->loop), 0); /* no handle left behind */
    free(t);
}

static void submit(struct t *t, uint64_t ref, const char *text)
{
    struct rl_err err = {0};
    int rc = smpp_session_submit(t->s, ref, "MaBoutique", "+33612345678", text, NULL, &err);
    if (rc <= 0)
        fail_msg("submit: %d %s", rc, err.msg);
}

static bool stopped(struct t *t)
{
    return t->r.stopped;
}

static void stop_and_wait(struct t *t)
{
    smpp_session_stop(t->s);
    assert_true(run_until(t, stopped, GUARD_MS));
}

/* --- the rate module, with an injected clock ---------------------------------- */

static void token_bucket_arithmetic(void **state)
{
    (void)state;
    struct smpp_rate r;
    smpp_rate_init(&r, 10, 2, 1000); /* 10/s, burst 2: one token every 100 ms */
    assert_true(smpp_rate_take(&r, 1000));
    assert_true(smpp_rate_take(&r, 1000));
    assert_false(smpp_rate_take(&r, 1000));
    assert_int_equal(smpp_rate_wait_ms(&r, 1000), 100);
    assert_int_equal(smpp_rate_wait_ms(&r, 1040), 60);
    assert_false(smpp_rate_take(&r, 1099));
    assert_true(smpp_rate_take(&r, 1100));
    assert_false(smpp_rate_take(&r, 1100));
    /* A long idle time saves up the burst, no more. */
    assert_true(smpp_rate_take(&r, 60000));
    assert_true(smpp_rate_take(&r, 60000));
    assert_false(smpp_rate_take(&r, 60000));
    /* Over one simulated second from empty, exactly 10 sends at 10/s. */
    unsigned sent = 0;
    for (uint64_t ms = 60001; ms <= 61000; ms++)
        sent += smpp_rate_take(&r, ms);
    assert_int_equal(sent, 10);
    /* A clock stepping back gives nothing. */
    assert_false(smpp_rate_take(&r, 50000));
    /* 3/s: thousandths keep the fraction, 334 ms for a token. */
    smpp_rate_init(&r, 3, 1, 0);
    assert_true(smpp_rate_take(&r, 0));
    assert_int_equal(smpp_rate_wait_ms(&r, 0), 334);
    assert_false(smpp_rate_take(&r, 333));
    assert_true(smpp_rate_take(&r, 334));
    /* 0: no cap. */
    smpp_rate_init(&r, 0, 0, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(smpp_rate_take(&r, 0));
    assert_int_equal(smpp_rate_wait_ms(&r, 0), 0);
}

static void backoff_doubles_with_jitter_capped(void **state)
{
    (void)state;
    struct smpp_backoff b;
    smpp_backoff_init(&b, 1000, 60000);
    uint64_t steps[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        uint64_t lo = steps[i] - steps[i] / 2;
        uint64_t w0 = smpp_backoff_next(&b, 0);
        assert_int_equal(w0, lo);
        b.step_ms = steps[i];
        uint64_t w1 = smpp_backoff_next(&b, 0xFFFFFFFFu);
        assert_in_range(w1, lo, steps[i]);
        b.step_ms = i + 1 < sizeof(steps) / sizeof(steps[0]) ? steps[i + 1] : 60000;
    }
    smpp_backoff_reset(&b);
    assert_int_equal(b.step_ms, 1000);
    uint32_t rnd = 1;
    assert_int_not_equal(smpp_rand_next(&rnd), smpp_rand_next(&rnd));
}

/* --- binding ---------------------------------------------------------------------- */

static void binds_as_transceiver(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    assert_true(run_until(t, is_up, GUARD_MS));
    assert_int_equal(t->peer.bind.command_id, SMPP_CMD_BIND_TRANSCEIVER);
    assert_string_equal(t->peer.bind.system_id, "relais");
    assert_string_equal(t->peer.bind.password, "secret");
    assert_string_equal(t->peer.bind.system_type, "VMA");
    assert_int_equal(t->peer.bind.interface_version, 0x34);
    assert_int_equal(t->r.ups, 1);
    assert_string_equal(t->r.reason, "bound");
    assert_null(t->r.link); /* the route's event, not one connection's */
    stop_and_wait(t);
    assert_int_equal(t->peer.unbind_resps, 0); /* we unbound, the peer answered */
    teardown(t);
}

static void tune_tx_rx(struct smpp_route_opts *o)
{
    o->bind = SMPP_BIND_TRANSMITTER_RECEIVER;
}

static bool tx_rx_up(struct t *t)
{
    return smpp_session_is_up(t->s) && t->peer.tx && t->peer.rx;
}

static void resp_then_receipt_on_rx(struct peer *p, const struct smpp_pdu *pdu)
{
    peer_resp(p, pdu->sequence_number, 0, "R1");
    p->conn = p->rx; /* receipts come on the receiver */
    receipt_tlv(p, "R1", SMPP_DLR_DELIVERED);
}

static bool receipt_done_and_answered(struct t *t)
{
    return t->r.done >= 1 && t->peer.deliver_resps >= 1;
}

static bool inbound_and_refused(struct t *t)
{
    return t->r.inbound >= 1 && t->peer.deliver_resps >= 4;
}

/* Two connections held at once, as an SMSC holds them: the binds, then what
 * travels on which. */
static void binds_transmitter_and_receiver(void **state)
{
    (void)state;
    struct t *t = fixture(tune_tx_rx);
    t->peer.multi = true;
    assert_true(run_until(t, tx_rx_up, GUARD_MS));
    assert_int_equal(t->peer.conns, 2);
    assert_int_equal(t->peer.live, 2);
    assert_int_equal(t->peer.binds, 2);
    unsigned roles = 0;
    for (int i = 0; i < 2; i++) {
        const struct smpp_pdu *b = &t->peer.bind_log[i];
        roles |= b->command_id == SMPP_CMD_BIND_TRANSMITTER ? 1u
                 : b->command_id == SMPP_CMD_BIND_RECEIVER  ? 2u
                                                            : 4u;
        assert_string_equal(b->system_id, "relais");
        assert_string_equal(b->password, "secret");
        assert_string_equal(b->system_type, "VMA");
        assert_int_equal(b->interface_version, 0x34);
    }
    assert_int_equal(roles, 3); /* one of each, no transceiver */
    assert_int_equal(t->r.ups, 1);
    /* submit_sm on the transmitter, its receipt on the receiver. */
    t->peer.on_submit = resp_then_receipt_on_rx;
    submit(t, 3, "split links");
    assert_true(run_until(t, receipt_done_and_answered, GUARD_MS));
    assert_int_equal(t->peer.submits, 1);
    assert_int_equal(t->peer.submits_off_tx, 0);
    /* Two sockets: which one is read first is the kernel's choice, so the
     * receipt comes with the message (ref 3) or, having overtaken the resp,
     * without (ref 0); either way once, and the message is delivered. */
    assert_true(t->r.receipt_ref == 3 || t->r.receipt_ref == 0);
    assert_int_equal(t->r.receipts, 1);
    assert_int_equal(t->r.result, SMPP_MSG_DELIVERED);
    assert_int_equal(t->peer.deliver_resps_rx, 1);
    assert_int_equal(t->peer.deliver_resp_status, SMPP_ESME_ROK);
    /* An MO on the receiver is taken; a deliver_sm on the transmitter is not
     * (the SMSC has no business sending one there). */
    t->peer.conn = t->peer.rx;
    mo_part(&t->peer, 2, "world");
    mo_part(&t->peer, 1, "hello ");
    t->peer.conn = t->peer.tx;
    receipt_text(&t->peer, "R9", "DELIVRD");
    assert_true(run_until(t, inbound_and_refused, GUARD_MS));
    assert_string_equal(t->r.mo, "hello world");
    assert_int_equal(t->peer.deliver_resps_rx, 3);
    assert_int_equal(t->peer.deliver_resp_status, SMPP_ESME_RINVBNDSTS);
    assert_int_equal(t->r.receipts, 1);
    stop_and_wait(t);
    assert_int_equal(t->peer.unbinds, 2); /* each connection unbound */
    teardown(t);
}

static bool two_submits_held(struct t *t)
{
    return t->peer.submits >= 2 && t->peer.nheld == 2;
}

static bool receiver_rebound(struct t *t)
{
    return t->peer.binds >= 3 && tx_rx_up(t);
}

static bool two_accepted_rebound(struct t *t)
{
    return t->r.accepted >= 2 && t->peer.binds >= 4;
}

/* Each connection fails and comes back on its own: losing the receiver leaves
 * the window alone; losing the transmitter resubmits it on the new one. */
static void tx_rx_links_reconnect_independently(void **state)
{
    (void)state;
    struct t *t = fixture(tune_tx_rx);
    struct smpp_session_stats st;
    t->peer.multi = true;
    t->peer.hold = true;
    assert_true(run_until(t, tx_rx_up, GUARD_MS));
    submit(t, 1, "first");
    submit(t, 2, "second");
    assert_true(run_until(t, two_submits_held, GUARD_MS));
    smpp_conn_abort(t->peer.rx, 0);
    assert_true(run_until(t, receiver_rebound, GUARD_MS));
    assert_int_equal(t->peer.bind_log[2].command_id, SMPP_CMD_BIND_RECEIVER);
    assert_string_equal(t->r.down_link, "receiver");
    assert_int_equal(t->peer.conns, 3);
    assert_int_equal(t->r.ups, 2);
    assert_true(t->r.downs >= 1);
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.window_used, 2); /* still waiting on the transmitter */
    assert_int_equal(st.resubmitted, 0);
    assert_int_equal(t->peer.submits, 2);
    t->peer.hold = false;
    smpp_conn_abort(t->peer.tx, 0); /* two submit_sm unanswered */
    assert_true(run_until(t, two_accepted_rebound, GUARD_MS));
    assert_string_equal(t->r.down_link, "transmitter");
    assert_int_equal(t->peer.bind_log[3].command_id, SMPP_CMD_BIND_TRANSMITTER);
    assert_int_equal(t->peer.conns, 4); /* the receiver was left alone */
    assert_int_equal(t->peer.live, 2);
    assert_int_equal(t->peer.submits, 4);
    assert_int_equal(t->peer.submits_off_tx, 0);
    assert_memory_equal(t->peer.sub[0].short_message, t->peer.sub[2].short_message, 5);
    assert_int_equal(t->r.attempts[0], 2);
    assert_int_equal(t->r.attempts[1], 2);
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.resubmitted, 2);
    assert_int_equal(t->r.failed, 0);
    teardown(t);
}

static bool receiver_refused_twice(struct t *t)
{
    return t->peer.tx && t->peer.binds >= 3 && t->r.downs >= 2;
}

/* The SMSC takes the transmitter and refuses the receiver: the route is not
 * up, the transmitter is kept, only the receiver is tried again; a stop
 * unbinds what is bound. */
static void tx_rx_receiver_refused_alone(void **state)
{
    (void)state;
    struct t *t = fixture(tune_tx_rx);
    t->peer.multi = true;
    t->peer.refuse_cmd = SMPP_CMD_BIND_RECEIVER;
    assert_true(run_until(t, receiver_refused_twice, GUARD_MS));
    assert_int_equal(t->r.ups, 0);
    assert_false(smpp_session_is_up(t->s));
    assert_string_equal(t->r.reason, "bind_refused");
    assert_string_equal(t->r.link, "receiver");
    assert_int_equal(t->r.status, SMPP_ESME_RBINDFAIL);
    unsigned tx_binds = 0;
    for (unsigned i = 0; i < t->peer.binds && i < PEER_CONNS * 2; i++)
        tx_binds += t->peer.bind_log[i].command_id == SMPP_CMD_BIND_TRANSMITTER;
    assert_int_equal(tx_binds, 1);
    stop_and_wait(t);
    assert_int_equal(t->peer.unbinds, 1); /* the transmitter's */
    teardown(t);
}

static bool refused_twice(struct t *t)
{
    return t->peer.binds >= 2 && t->r.downs >= 2;
}

static void bind_refused_backs_off_and_reports_down(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.bind_status = SMPP_ESME_RINVPASWD;
    assert_true(run_until(t, refused_twice, GUARD_MS));
    assert_int_equal(t->r.ups, 0);
    assert_false(smpp_session_is_up(t->s));
    assert_string_equal(t->r.reason, "bind_refused");
    assert_int_equal(t->r.status, SMPP_ESME_RINVPASWD);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_true(st.reconnects >= 2);
    teardown(t);
}

static bool rebound(struct t *t)
{
    return t->peer.binds >= 2 && smpp_session_is_up(t->s);
}

static void smsc_unbind_is_answered_then_rebinds(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.unbind_on_bind = true;
    assert_true(run_until(t, rebound, GUARD_MS));
    assert_int_equal(t->peer.unbind_resps, 1);
    teardown(t);
}

static void tune_enquire(struct smpp_route_opts *o)
{
    o->enquire_link_interval_ms = 20;
    o->enquire_link_timeout_ms = 30;
}

static bool enquired_then_rebound(struct t *t)
{
    return t->peer.binds >= 2 && t->peer.enquires >= 1 && smpp_session_is_up(t->s);
}

static void enquire_link_timeout_drops_and_reconnects(void **state)
{
    (void)state;
    struct t *t = fixture(tune_enquire);
    t->peer.ignore_enquire = true;
    assert_true(run_until(t, enquired_then_rebound, GUARD_MS));
    assert_true(t->r.downs >= 1);
    teardown(t);
}

static bool enquired_thrice(struct t *t)
{
    return t->peer.enquires >= 3;
}

static void enquire_link_answered_keeps_the_link(void **state)
{
    (void)state;
    struct t *t = fixture(tune_enquire);
    assert_true(run_until(t, enquired_thrice, GUARD_MS));
    assert_int_equal(t->peer.binds, 1);
    assert_int_equal(t->r.downs, 0);
    teardown(t);
}

/* --- the window, throttling, failures -------------------------------------------- */

static void tune_window3(struct smpp_route_opts *o)
{
    o->window = 3;
}

static bool three_submits(struct t *t)
{
    return t->peer.submits >= 3;
}

static bool four_submits(struct t *t)
{
    return t->peer.submits >= 4;
}

static bool ten_accepted(struct t *t)
{
    if (t->peer.nheld)
        peer_release(&t->peer);
    return t->r.accepted == 10;
}

static void window_is_never_exceeded(void **state)
{
    (void)state;
    struct t *t = fixture(tune_window3);
    t->peer.hold = true;
    for (uint64_t i = 1; i <= 10; i++)
        submit(t, i, "hello");
    assert_true(run_until(t, three_submits, GUARD_MS));
    run_until(t, never, 50); /* time for a fourth, which must not come */
    assert_int_equal(t->peer.submits, 3);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.window_used, 3);
    assert_int_equal(st.queued, 7);
    /* One response frees one slot: exactly one more submit. */
    peer_resp(&t->peer, t->peer.held[0], 0, "first");
    memmove(t->peer.held, t->peer.held + 1, --t->peer.nheld * sizeof(uint32_t));
    assert_true(run_until(t, four_submits, GUARD_MS));
    run_until(t, never, 20);
    assert_int_equal(t->peer.submits, 4);
    assert_true(run_until(t, ten_accepted, GUARD_MS));
    assert_int_equal(t->peer.max_outstanding, 3);
    assert_int_equal(t->r.failed, 0);
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.tracked, 10); /* accepted, waiting for their receipts */
    assert_int_equal(st.window_used, 0);
    teardown(t);
}

static bool one_accepted(struct t *t)
{
    return t->r.accepted >= 1;
}

static void throttled_part_is_resubmitted_later(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.throttle_first = SMPP_ESME_RTHROTTLED;
    submit(t, 1, "throttle me");
    assert_true(run_until(t, one_accepted, GUARD_MS));
    assert_int_equal(t->peer.submits, 2);
    assert_int_equal(t->peer.sub[0].sm_length, t->peer.sub[1].sm_length);
    assert_memory_equal(t->peer.sub[0].short_message, t->peer.sub[1].short_message,
                        t->peer.sub[0].sm_length);
    assert_int_equal(t->r.failed, 0);
    assert_int_equal(t->r.attempts[0], 1); /* refused for sure, not a duplicate risk */
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.throttled, 1);
    teardown(t);
}

static void queue_full_is_also_slowed_down(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.throttle_first = SMPP_ESME_RMSGQFUL;
    submit(t, 1, "queue full");
    assert_true(run_until(t, one_accepted, GUARD_MS));
    assert_int_equal(t->peer.submits, 2);
    assert_int_equal(t->r.failed, 0);
    teardown(t);
}

static void answer_invalid_destination(struct peer *p, const struct smpp_pdu *pdu)
{
    peer_resp(p, pdu->sequence_number, SMPP_ESME_RINVDSTADR, "");
}

static bool one_done(struct t *t)
{
    return t->r.done >= 1;
}

static void permanent_failure_keeps_the_status(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.on_submit = answer_invalid_destination;
    submit(t, 1, "nowhere");
    assert_true(run_until(t, one_done, GUARD_MS));
    assert_int_equal(t->r.failed, 1);
    assert_int_equal(t->r.fail_status, SMPP_ESME_RINVDSTADR);
    assert_int_equal(t->r.fail_kind, SMPP_FAIL_PERMANENT);
    assert_int_equal(t->r.result, SMPP_MSG_FAILED);
    assert_int_equal(t->peer.submits, 1);
    teardown(t);
}

static void tune_window5(struct smpp_route_opts *o)
{
    o->window = 5;
}

static bool five_submits(struct t *t)
{
    return t->peer.submits >= 5;
}

static bool five_accepted(struct t *t)
{
    return t->r.accepted >= 5;
}

static void disconnect_mid_window_resubmits_all(void **state)
{
    (void)state;
    struct t *t = fixture(tune_window5);
    t->peer.hold = true;
    for (uint64_t i = 1; i <= 5; i++)
        submit(t, i, "in flight");
    assert_true(run_until(t, five_submits, GUARD_MS));
    t->peer.hold = false;
    smpp_conn_abort(t->peer.conn, 0); /* the SMSC drops with 5 unanswered */
    assert_true(run_until(t, five_accepted, GUARD_MS));
    assert_int_equal(t->peer.binds, 2);
    assert_int_equal(t->peer.submits, 10);
    for (int i = 0; i < 5; i++)
        assert_int_equal(t->r.attempts[i], 2); /* possible duplicates, said so */
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.resubmitted, 5);
    assert_true(st.reconnects >= 1);
    assert_int_equal(t->r.failed, 0);
    teardown(t);
}

static void tune_timeout_unknown(struct smpp_route_opts *o)
{
    o->submit_timeout_ms = 40;
    o->on_submit_timeout = SMPP_TIMEOUT_UNKNOWN;
}

static void submit_timeout_marks_unknown(void **state)
{
    (void)state;
    struct t *t = fixture(tune_timeout_unknown);
    t->peer.hold = true;
    submit(t, 1, "no answer");
    assert_true(run_until(t, one_done, GUARD_MS));
    assert_int_equal(t->r.fail_kind, SMPP_FAIL_UNKNOWN);
    assert_int_equal(t->r.result, SMPP_MSG_UNKNOWN);
    teardown(t);
}

static void tune_timeout_resubmit(struct smpp_route_opts *o)
{
    o->submit_timeout_ms = 40;
}

static bool two_submits(struct t *t)
{
    if (t->peer.submits >= 2)
        t->peer.hold = false;
    return t->r.accepted >= 1;
}

static void submit_timeout_resubmits(void **state)
{
    (void)state;
    struct t *t = fixture(tune_timeout_resubmit);
    t->peer.hold = true;
    submit(t, 1, "answer late");
    assert_true(run_until(t, two_submits, GUARD_MS));
    assert_true(t->peer.submits >= 2);
    assert_true(t->r.attempts[0] >= 2);
    teardown(t);
}

/* --- receipts ---------------------------------------------------------------------- */

static void receipt_before_resp(struct peer *p, const struct smpp_pdu *pdu)
{
    receipt_tlv(p, "77", SMPP_DLR_DELIVERED); /* overtakes its own submit_sm_resp */
    peer_resp(p, pdu->sequence_number, 0, "77");
}

static bool done_and_answered(struct t *t)
{
    return t->r.done >= 1 && t->peer.deliver_resps >= 1;
}

/* The receipt overtakes its submit_sm_resp: it is reported at once, without
 * a message (msg_ref 0), so that the caller stores it before its
 * deliver_sm_resp leaves; the message is finished by the resp that follows,
 * with no second report. */
static void receipt_before_resp_is_reported_then_finishes(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.on_submit = receipt_before_resp;
    submit(t, 42, "fast receipt");
    assert_true(run_until(t, done_and_answered, GUARD_MS));
    assert_int_equal(t->r.receipts, 1);
    assert_int_equal(t->r.receipt_ref, 0);
    assert_int_equal(t->r.receipt_state, SMPP_DLR_DELIVERED);
    assert_int_equal(t->r.done, 1);
    assert_int_equal(t->r.result, SMPP_MSG_DELIVERED);
    assert_int_equal(t->peer.deliver_resps, 1);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.tracked, 0);
    assert_int_equal(st.receipts_unmatched, 1);
    teardown(t);
}

static void resp_then_two_receipts(struct peer *p, const struct smpp_pdu *pdu)
{
    peer_resp(p, pdu->sequence_number, 0, "0042");
    receipt_text(p, "42", "DELIVRD");
    receipt_text(p, "0042", "DELIVRD");
}

static bool two_deliver_resps(struct t *t)
{
    return t->peer.deliver_resps >= 2;
}

static void duplicate_receipt_is_ignored(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    t->peer.on_submit = resp_then_two_receipts;
    submit(t, 7, "twice");
    assert_true(run_until(t, two_deliver_resps, GUARD_MS));
    assert_int_equal(t->r.receipts, 1);
    assert_int_equal(t->r.done, 1);
    assert_int_equal(t->r.receipt_ref, 7);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.receipts_duplicate, 1);
    assert_int_equal(st.receipts_unmatched, 0);
    teardown(t);
}

static void long_message_receipts(struct peer *p, const struct smpp_pdu *pdu)
{
    char id[16];
    snprintf(id, sizeof(id), "L%d", ++p->n);
    peer_resp(p, pdu->sequence_number, 0, id);
    if (p->n == 2) {
        receipt_text(p, "L1", "DELIVRD");
        receipt_tlv(p, "L2", SMPP_DLR_UNDELIVERABLE);
    }
}

static void long_message_has_one_aggregate_state(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    char text[201];
    memset(text, 'a', 200);
    text[200] = 0;
    t->peer.on_submit = long_message_receipts;
    submit(t, 5, text);
    assert_true(run_until(t, one_done, GUARD_MS));
    assert_int_equal(t->peer.submits, 2);
    for (int i = 0; i < 2; i++) {
        const struct smpp_pdu *s = &t->peer.sub[i];
        assert_int_equal(s->esm_class, 0x40);
        assert_int_equal(s->data_coding, 0);
        assert_int_equal(s->source_addr_ton, 5);
        assert_int_equal(s->source_addr_npi, 0);
        assert_int_equal(s->dest_addr_ton, 1);
        assert_string_equal(s->destination_addr, "33612345678");
        assert_int_equal(s->short_message[0], 5); /* UDHL */
        assert_int_equal(s->short_message[4], 2); /* total */
        assert_int_equal(s->short_message[5], i + 1);
    }
    assert_int_equal(t->r.receipts, 2);
    assert_int_equal(t->r.result, SMPP_MSG_PARTIALLY_DELIVERED);
    assert_int_equal(t->r.delivered, 1);
    teardown(t);
}

static void tune_hex_dec(struct smpp_route_opts *o)
{
    o->id_mode = SMPP_ID_RESP_HEX_DLR_DEC;
}

static void hex_resp_decimal_receipt(struct peer *p, const struct smpp_pdu *pdu)
{
    peer_resp(p, pdu->sequence_number, 0, "00001a2b");
    receipt_text(p, "6699", "DELIVRD"); /* 0x1A2B */
}

static void hex_and_decimal_ids_are_matched(void **state)
{
    (void)state;
    struct t *t = fixture(tune_hex_dec);
    t->peer.on_submit = hex_resp_decimal_receipt;
    submit(t, 9, "hex");
    assert_true(run_until(t, one_done, GUARD_MS));
    assert_int_equal(t->r.receipt_ref, 9);
    assert_int_equal(t->r.result, SMPP_MSG_DELIVERED);
    assert_string_equal(t->r.ids[8], "00001a2b"); /* reported as the SMSC wrote it */
    teardown(t);
}

static bool one_receipt(struct t *t)
{
    return t->r.receipts >= 1;
}

/* A receipt for nothing this session sent is reported at once (msg_ref 0)
 * and answered; a repeat of it is reported again (the store, not the
 * session, knows whether it is a duplicate). */
static bool two_receipts(struct t *t)
{
    return t->r.receipts >= 2 && t->peer.deliver_resps >= 2;
}

static void unmatched_receipt_is_reported_at_once(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    assert_true(run_until(t, is_up, GUARD_MS));
    receipt_text(&t->peer, "999", "DELIVRD");
    assert_true(run_until(t, one_receipt, GUARD_MS));
    assert_int_equal(t->r.receipt_ref, 0);
    receipt_text(&t->peer, "999", "DELIVRD");
    assert_true(run_until(t, two_receipts, GUARD_MS));
    assert_int_equal(t->r.receipt_ref, 0);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.receipts_unmatched, 2);
    assert_int_equal(st.held, 1); /* kept once, for a part that may yet be accepted */
    teardown(t);
}

/* --- long modes, encodings, inbound ---------------------------------------------- */

static void tune_sar(struct smpp_route_opts *o)
{
    o->long_mode = SMPP_LONG_SAR;
    o->data_coding_gsm = 1;
}

static void check_sar(struct peer *p, const struct smpp_pdu *pdu)
{
    uint16_t ref = 0;
    uint8_t total = 0, seq = 0;
    assert_int_equal(smpp_tlv_get_sar_msg_ref_num(pdu, &ref), 0);
    assert_int_equal(smpp_tlv_get_sar_total_segments(pdu, &total), 0);
    assert_int_equal(smpp_tlv_get_sar_segment_seqnum(pdu, &seq), 0);
    assert_int_equal(total, 2);
    assert_int_equal(seq, ++p->n);
    assert_int_equal(pdu->esm_class, 0);
    assert_int_equal(pdu->data_coding, 1);
    assert_int_equal(pdu->short_message[0], 'a'); /* no UDH */
    peer_resp(p, pdu->sequence_number, 0, seq == 1 ? "S1" : "S2");
}

static bool two_accepted(struct t *t)
{
    return t->r.accepted >= 2;
}

static void sar_mode_uses_tlvs(void **state)
{
    (void)state;
    struct t *t = fixture(tune_sar);
    char text[201];
    memset(text, 'a', 200);
    text[200] = 0;
    t->peer.on_submit = check_sar;
    submit(t, 1, text);
    assert_true(run_until(t, two_accepted, GUARD_MS));
    assert_int_equal(t->peer.n, 2);
    teardown(t);
}

static void tune_payload(struct smpp_route_opts *o)
{
    o->long_mode = SMPP_LONG_PAYLOAD;
}

static void check_payload(struct peer *p, const struct smpp_pdu *pdu)
{
    const uint8_t *d = NULL;
    size_t len = 0;
    assert_int_equal(smpp_tlv_get_message_payload(pdu, &d, &len), 0);
    assert_int_equal(pdu->sm_length, 0);
    assert_int_equal(pdu->data_coding, 8);
    assert_int_equal(len, 200 * 2); /* UTF-16BE: 200 units */
    assert_int_equal(d[0], 0x04);
    assert_int_equal(d[1], 0x16); /* U+0416 */
    p->n++;
    peer_resp(p, pdu->sequence_number, 0, "P1");
}

static void payload_mode_sends_one_pdu(void **state)
{
    (void)state;
    struct t *t = fixture(tune_payload);
    char text[401];
    for (int i = 0; i < 200; i++)
        memcpy(text + 2 * i, "\xD0\x96", 2); /* Ж, not GSM: UCS-2 */
    text[400] = 0;
    t->peer.on_submit = check_payload;
    submit(t, 1, text);
    assert_true(run_until(t, one_accepted, GUARD_MS));
    assert_int_equal(t->peer.submits, 1);
    teardown(t);
}

static bool one_inbound(struct t *t)
{
    return t->r.inbound >= 1 && t->peer.deliver_resps >= 2;
}

static void inbound_parts_are_reassembled(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    assert_true(run_until(t, is_up, GUARD_MS));
    mo_part(&t->peer, 2, "world");
    mo_part(&t->peer, 1, "hello ");
    assert_true(run_until(t, one_inbound, GUARD_MS));
    assert_string_equal(t->r.mo, "hello world");
    teardown(t);
}

static void submit_refuses_bad_input(void **state)
{
    (void)state;
    struct t *t = fixture(NULL);
    struct rl_err err = {0};
    assert_int_equal(smpp_session_submit(t->s, 1, "Bad Sender ID!", "+336", "x", NULL, &err),
                     RL_ESENDER);
    assert_int_equal(smpp_session_submit(t->s, 1, "relais", "06 12", "x", NULL, &err), RL_EINVAL);
    assert_int_equal(smpp_session_submit(t->s, 0, "relais", "+336", "x", NULL, &err), RL_EINVAL);
    struct smpp_session_stats st;
    smpp_session_get_stats(t->s, &st);
    assert_int_equal(st.queued, 0);
    teardown(t);
}

int main(void)
{
    log_set_level(LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_bucket_arithmetic),
        cmocka_unit_test(backoff_doubles_with_jitter_capped),
        cmocka_unit_test(binds_as_transceiver),
        cmocka_unit_test(binds_transmitter_and_receiver),
        cmocka_unit_test(tx_rx_links_reconnect_independently),
        cmocka_unit_test(tx_rx_receiver_refused_alone),
        cmocka_unit_test(bind_refused_backs_off_and_reports_down),
        cmocka_unit_test(smsc_unbind_is_answered_then_rebinds),
        cmocka_unit_test(enquire_link_timeout_drops_and_reconnects),
        cmocka_unit_test(enquire_link_answered_keeps_the_link),
        cmocka_unit_test(window_is_never_exceeded),
        cmocka_unit_test(throttled_part_is_resubmitted_later),
        cmocka_unit_test(queue_full_is_also_slowed_down),
        cmocka_unit_test(permanent_failure_keeps_the_status),
        cmocka_unit_test(disconnect_mid_window_resubmits_all),
        cmocka_unit_test(submit_timeout_marks_unknown),
        cmocka_unit_test(submit_timeout_resubmits),
        cmocka_unit_test(receipt_before_resp_is_reported_then_finishes),
        cmocka_unit_test(duplicate_receipt_is_ignored),
        cmocka_unit_test(long_message_has_one_aggregate_state),
        cmocka_unit_test(hex_and_decimal_ids_are_matched),
        cmocka_unit_test(unmatched_receipt_is_reported_at_once),
        cmocka_unit_test(sar_mode_uses_tlvs),
        cmocka_unit_test(payload_mode_sends_one_pdu),
        cmocka_unit_test(inbound_parts_are_reassembled),
        cmocka_unit_test(submit_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

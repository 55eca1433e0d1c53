/* The SMSC simulator over real TCP on 127.0.0.1 (ephemeral port), driven by a
 * small ESME written here on smpp_conn: a test peer, not a mock. One loop runs
 * both; every wait is bounded by a guard timer (5 s) that fails the test
 * instead of hanging. Runs are deterministic: fixed seed, first id, delays 0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_conn.h"
#include "smpp/smpp_receipt.h"
#include "smpp/smpp_sim.h"
#include "text/segment.h"

#define GUARD_MS 5000
#define RECS_MAX 256

/* What the ESME saw of one PDU (the PDU itself only lives during on_pdu). */
struct rec {
    uint32_t cmd, status, seq;
    char message_id[SMPP_MESSAGE_ID_SIZE];
    uint8_t esm_class, dc, src_ton, dst_ton;
    char src[65], dst[65];
    uint8_t sm[SMPP_SM_MAX];
    size_t sm_len;
    bool has_rid, has_state, has_nec;
    char rid[SMPP_MESSAGE_ID_SIZE];
    uint8_t state;
    struct smpp_network_error nec;
};

struct esme {
    struct fx *fx;
    struct smpp_conn *c;
    uv_connect_t creq;
    bool connected, closed, no_ack;
    int errors_left; /* deliver_sm to answer with error_status, then 0 */
    uint32_t error_status;
    int close_status;
    uint32_t seq;
    struct rec recs[RECS_MAX];
    size_t n;
};

struct fx {
    uv_loop_t loop;
    uv_timer_t guard;
    bool timed_out, stopped;
    struct smpp_sim_opts o;
    struct smpp_sim *sim;
    struct smpp_sim_stats final;
    struct esme e[2];
};

/* --- the test ESME ------------------------------------------------------------ */

static void send_ack(struct esme *e, const struct smpp_pdu *p)
{
    struct smpp_pdu r;
    smpp_pdu_init(&r, SMPP_CMD_DELIVER_SM_RESP, p->sequence_number);
    if (e->errors_left > 0) {
        e->errors_left--;
        r.command_status = e->error_status;
    }
    assert_int_equal(smpp_conn_send(e->c, &r), 0);
}

static void esme_on_pdu(struct smpp_conn *c, const struct smpp_pdu *p)
{
    struct esme *e = smpp_conn_data(c);
    assert_true(e->n < RECS_MAX);
    struct rec *r = &e->recs[e->n++];
    memset(r, 0, sizeof(*r));
    r->cmd = p->command_id;
    r->status = p->command_status;
    r->seq = p->sequence_number;
    memcpy(r->message_id, p->message_id, sizeof(r->message_id));
    r->esm_class = p->esm_class;
    r->dc = p->data_coding;
    r->src_ton = p->source_addr_ton;
    r->dst_ton = p->dest_addr_ton;
    memcpy(r->src, p->source_addr, sizeof(r->src));
    memcpy(r->dst, p->destination_addr, sizeof(r->dst));
    memcpy(r->sm, p->short_message, p->sm_length);
    r->sm_len = p->sm_length;
    r->has_rid = smpp_tlv_get_receipted_message_id(p, r->rid) == 0;
    r->has_state = smpp_tlv_get_message_state(p, &r->state) == 0;
    r->has_nec = smpp_tlv_get_network_error_code(p, &r->nec) == 0;
    if (p->command_id == SMPP_CMD_DELIVER_SM && !e->no_ack)
        send_ack(e, p);
}

static void esme_on_bad(struct smpp_conn *c, const uint8_t *raw, size_t len,
                        const struct smpp_decode_err *err)
{
    (void)c, (void)raw, (void)len, (void)err;
    fail_msg("the simulator sent a PDU that does not decode");
}

static void esme_on_close(struct smpp_conn *c, int status)
{
    struct esme *e = smpp_conn_data(c);
    e->closed = true;
    e->close_status = status;
    e->c = NULL;
}

static const struct smpp_conn_cbs esme_cbs = {esme_on_pdu, esme_on_bad, esme_on_close};

static void on_connect(uv_connect_t *req, int status)
{
    struct esme *e = req->data;
    assert_int_equal(status, 0);
    e->c = smpp_conn_new((uv_tcp_t *)req->handle, 0, &esme_cbs, e);
    e->connected = true;
}

/* --- waiting ------------------------------------------------------------------- */

static void on_guard(uv_timer_t *t)
{
    struct fx *f = t->data;
    f->timed_out = true;
}

/* Runs the loop until cond holds; fails after GUARD_MS. */
#define WAIT_FOR(f, cond)                                                                          \
    do {                                                                                           \
        uv_timer_start(&(f)->guard, on_guard, GUARD_MS, 0);                                        \
        while (!(cond) && !(f)->timed_out)                                                         \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        uv_timer_stop(&(f)->guard);                                                                \
        if ((f)->timed_out)                                                                        \
            fail_msg("timed out waiting for %s", #cond);                                           \
    } while (0)

/* Lets the loop turn for ms, for the "nothing more arrives" checks. */
static void settle(struct fx *f, uint64_t ms)
{
    uint64_t end = uv_now(&f->loop) + ms;
    uv_timer_start(&f->guard, on_guard, ms, 0);
    while (uv_now(&f->loop) < end && !f->timed_out)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->guard);
    f->timed_out = false;
}

static size_t count(const struct esme *e, uint32_t cmd)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += e->recs[i].cmd == cmd;
    return n;
}

/* The k-th (from 0) record of cmd, which must exist. */
static const struct rec *nth(const struct esme *e, uint32_t cmd, size_t k)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->recs[i].cmd == cmd && k-- == 0)
            return &e->recs[i];
    fail_msg("no record %zu of %s", k, smpp_command_name(cmd));
    return NULL;
}

/* --- fixture -------------------------------------------------------------------- */

static void defaults(struct smpp_sim_opts *o)
{
    smpp_sim_opts_init(o);
    o->port = 0;
    o->seed = 42;
    o->first_id = 0x1234;
    o->delivery_rate = 1;
    o->receipt_delay_min_ms = o->receipt_delay_max_ms = 0;
    o->reply_rate = 0;
}

static void start(struct fx *f)
{
    struct rl_err err = {0};
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    assert_int_equal(smpp_sim_start(&f->loop, &f->o, &f->sim, &err), 0);
    assert_true(smpp_sim_port(f->sim) > 0);
}

static struct fx *new_fx(void)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    defaults(&f->o);
    return f;
}

static struct esme *connect_esme(struct fx *f, int i)
{
    struct esme *e = &f->e[i];
    struct sockaddr_in sa;
    memset(e, 0, sizeof(*e));
    e->fx = f;
    uv_tcp_t *t = xmalloc(sizeof(*t));
    uv_tcp_init(&f->loop, t);
    uv_ip4_addr("127.0.0.1", smpp_sim_port(f->sim), &sa);
    e->creq.data = e;
    assert_int_equal(uv_tcp_connect(&e->creq, t, (struct sockaddr *)&sa, on_connect), 0);
    WAIT_FOR(f, e->connected);
    return e;
}

static void on_stopped(const struct smpp_sim_stats *st, void *ud)
{
    struct fx *f = ud;
    f->final = *st;
    f->stopped = true;
}

static void finish(struct fx *f)
{
    for (int i = 0; i < 2; i++)
        if (f->e[i].c)
            smpp_conn_abort(f->e[i].c, 0);
    smpp_sim_stop(f->sim, on_stopped, f);
    uv_close((uv_handle_t *)&f->guard, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_true(f->stopped);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
}

/* --- requests ------------------------------------------------------------------- */

static uint32_t send_req(struct esme *e, struct smpp_pdu *p)
{
    p->sequence_number = ++e->seq;
    assert_int_equal(smpp_conn_send(e->c, p), 0);
    return p->sequence_number;
}

static uint32_t do_bind(struct esme *e, uint32_t cmd, const char *sysid, const char *pw)
{
    struct smpp_pdu p;
    smpp_pdu_init(&p, cmd, 0);
    snprintf(p.system_id, sizeof(p.system_id), "%s", sysid);
    snprintf(p.password, sizeof(p.password), "%s", pw);
    p.interface_version = 0x34;
    size_t before = count(e, cmd | SMPP_RESP_BIT);
    send_req(e, &p);
    WAIT_FOR(e->fx, count(e, cmd | SMPP_RESP_BIT) > before);
    return nth(e, cmd | SMPP_RESP_BIT, before)->status;
}

static void bind_trx(struct esme *e)
{
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_TRANSCEIVER, "relais", "relais"), 0);
}

/* Queues a submit_sm with text in GSM (unpacked); returns its sequence number. */
static uint32_t submit(struct esme *e, const char *dst, uint8_t ton, const char *text, uint8_t rd)
{
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 0);
    snprintf(p.source_addr, sizeof(p.source_addr), "%s", "Shop");
    p.source_addr_ton = 5;
    snprintf(p.destination_addr, sizeof(p.destination_addr), "%s", dst);
    p.dest_addr_ton = ton;
    p.dest_addr_npi = 1;
    p.registered_delivery = rd;
    p.sm_length = (uint8_t)strlen(text);
    memcpy(p.short_message, text, p.sm_length);
    return send_req(e, &p);
}

static struct smpp_receipt parse_text(const struct rec *r)
{
    struct smpp_receipt out;
    struct rl_err err = {0};
    assert_int_equal(smpp_receipt_parse_text((const char *)r->sm, r->sm_len, &out, &err), 0);
    return out;
}

/* --- tests ----------------------------------------------------------------------- */

static void binds(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_TRANSCEIVER, "relais", "wrong"), SMPP_ESME_RINVPASWD);
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_TRANSMITTER, "other", "relais"), SMPP_ESME_RINVSYSID);
    submit(e, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_SUBMIT_SM_RESP) == 1);
    assert_int_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 0)->status, SMPP_ESME_RINVBNDSTS);
    bind_trx(e);
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_RECEIVER, "relais", "relais"), SMPP_ESME_RALYBND);
    struct smpp_sim_stats st;
    smpp_sim_stats(f->sim, &st);
    assert_int_equal(st.binds, 1);
    assert_int_equal(st.bind_failures, 2);
    finish(f);
}

static void any_password(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.password = "";
    start(f);
    struct esme *e = connect_esme(f, 0);
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_TRANSMITTER, "relais", "whatever"), 0);
    finish(f);
}

static void receipt_both_forms_hex(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    uint32_t seq = submit(e, "33612345678", 1, "Bonjour, votre colis est prêt", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    const struct rec *resp = nth(e, SMPP_CMD_SUBMIT_SM_RESP, 0);
    assert_int_equal(resp->seq, seq);
    assert_int_equal(resp->status, 0);
    assert_string_equal(resp->message_id, "1234");
    const struct rec *d = nth(e, SMPP_CMD_DELIVER_SM, 0);
    assert_int_equal(d->esm_class, 0x04);
    assert_string_equal(d->src, "33612345678"); /* the phone */
    assert_int_equal(d->src_ton, 1);
    assert_string_equal(d->dst, "Shop");
    assert_int_equal(d->dst_ton, 5);
    assert_true(d->has_rid && d->has_state);
    assert_string_equal(d->rid, "1234");
    assert_int_equal(d->state, SMPP_DLR_DELIVERED);
    assert_false(d->has_nec);
    struct smpp_receipt r = parse_text(d);
    assert_string_equal(r.id, "1234");
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.sub, 1);
    assert_int_equal(r.dlvrd, 1);
    assert_int_equal(strlen(r.submit_date), 10);
    assert_int_equal(strlen(r.done_date), 10);
    assert_string_equal(r.text, "Bonjour, votre colis");
    /* The second message gets the next id. */
    submit(e, "33612345679", 1, "x", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2);
    assert_string_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 1)->message_id, "1235");
    assert_string_equal(nth(e, SMPP_CMD_DELIVER_SM, 1)->rid, "1235");
    finish(f);
}

static void receipt_text_dec_and_tlv_only(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.id_format = SMPP_SIM_ID_DEC;
    f->o.receipt_form = SMPP_SIM_RECEIPT_TEXT;
    f->o.first_id = 4660;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    submit(e, "0612345678", 0, "hello", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    assert_string_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 0)->message_id, "4660");
    const struct rec *d = nth(e, SMPP_CMD_DELIVER_SM, 0);
    assert_false(d->has_rid || d->has_state);
    assert_string_equal(parse_text(d).id, "4660");
    finish(f);

    f = new_fx();
    f->o.receipt_form = SMPP_SIM_RECEIPT_TLV;
    start(f);
    e = connect_esme(f, 0);
    bind_trx(e);
    submit(e, "33612345678", 1, "hello", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    d = nth(e, SMPP_CMD_DELIVER_SM, 0);
    assert_int_equal(d->sm_len, 0);
    assert_string_equal(d->rid, "1234");
    assert_int_equal(d->state, SMPP_DLR_DELIVERED);
    finish(f);
}

static void failures_have_codes(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.delivery_rate = 0;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    enum { N = 40 };
    for (int i = 0; i < N; i++)
        submit(e, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == N);
    unsigned seen[9] = {0};
    for (size_t i = 0; i < N; i++) {
        const struct rec *d = nth(e, SMPP_CMD_DELIVER_SM, i);
        struct smpp_receipt r = parse_text(d);
        assert_int_equal(r.state, d->state);
        assert_int_equal(r.dlvrd, 0);
        assert_true(d->has_nec);
        assert_int_equal(d->nec.type, 3);
        assert_int_equal(d->nec.code, r.err);
        seen[r.state]++;
        if (r.state == SMPP_DLR_UNDELIVERABLE)
            assert_true(r.err == 1 || r.err == 32);
        else if (r.state == SMPP_DLR_EXPIRED)
            assert_int_equal(r.err, 27);
        else
            assert_true(r.state == SMPP_DLR_REJECTED && r.err == 13);
    }
    /* 40 draws at 50/30/20 %: each outcome shows up (fixed seed). */
    assert_true(seen[SMPP_DLR_UNDELIVERABLE] && seen[SMPP_DLR_EXPIRED] && seen[SMPP_DLR_REJECTED]);
    finish(f);
}

static void invalid_destinations(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    submit(e, "12", 1, "x", 1);          /* not a number anywhere */
    submit(e, "33123456789", 1, "x", 1); /* a Paris fixed line */
    submit(e, "0612345678", 2, "x", 1);  /* national mobile: fine */
    submit(e, "Shop", 5, "x", 1);        /* alphanumeric: no phone */
    submit(e, "", 1, "x", 1);            /* refused outright */
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 4 && count(e, SMPP_CMD_SUBMIT_SM_RESP) == 5);
    assert_int_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 4)->status, SMPP_ESME_RINVDSTADR);
    int want_err[] = {1, 11, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        struct smpp_receipt r = parse_text(nth(e, SMPP_CMD_DELIVER_SM, i));
        assert_int_equal(r.state, i == 2 ? SMPP_DLR_DELIVERED : SMPP_DLR_UNDELIVERABLE);
        assert_int_equal(r.err, want_err[i]);
    }
    finish(f);
}

static void registered_delivery(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.delivery_rate = 1;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    submit(e, "33612345678", 1, "none", 0);
    submit(e, "33612345678", 1, "failure only", 2);
    submit(e, "12", 1, "failure only, failed", 2);
    submit(e, "33612345678", 1, "always", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2);
    settle(f, 50);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 2);
    assert_string_equal(nth(e, SMPP_CMD_DELIVER_SM, 0)->rid, "1236");
    assert_string_equal(nth(e, SMPP_CMD_DELIVER_SM, 1)->rid, "1237");
    finish(f);
}

static void delayed_receipts(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.receipt_delay_min_ms = 10;
    f->o.receipt_delay_max_ms = 60;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    uint64_t t0 = uv_now(&f->loop);
    for (int i = 0; i < 20; i++)
        submit(e, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 20);
    assert_true(uv_now(&f->loop) - t0 >= 10);
    bool seen[20] = {false};
    for (size_t i = 0; i < 20; i++) {
        unsigned long id = strtoul(nth(e, SMPP_CMD_DELIVER_SM, i)->rid, NULL, 16);
        assert_true(id >= 0x1234 && id < 0x1234 + 20 && !seen[id - 0x1234]);
        seen[id - 0x1234] = true;
    }
    finish(f);
}

static void throttle(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.throttle = 3;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    for (int i = 0; i < 5; i++)
        submit(e, "33612345678", 1, "x", 0);
    WAIT_FOR(f, count(e, SMPP_CMD_SUBMIT_SM_RESP) == 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, i)->status,
                         i < 3 ? 0 : SMPP_ESME_RTHROTTLED);
    assert_int_equal(SMPP_ESME_RTHROTTLED, 0x58);
    finish(f);
}

static void drop_every(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.drop_every = 3;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    for (int i = 0; i < 4; i++)
        submit(e, "33612345678", 1, "x", 0);
    WAIT_FOR(f, e->closed);
    assert_int_equal(count(e, SMPP_CMD_SUBMIT_SM_RESP), 2);
    struct smpp_sim_stats st;
    smpp_sim_stats(f->sim, &st);
    assert_int_equal(st.drops, 1);
    assert_int_equal(st.submits, 3);
    /* Reconnecting works, and the count goes on: the 6th submit drops again. */
    e = connect_esme(f, 0);
    bind_trx(e);
    for (int i = 0; i < 3; i++)
        submit(e, "33612345678", 1, "x", 0);
    WAIT_FOR(f, e->closed);
    assert_int_equal(count(e, SMPP_CMD_SUBMIT_SM_RESP), 2);
    finish(f);
}

static void enquire_link_and_unbind(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_ENQUIRE_LINK, 0);
    uint32_t seq = send_req(e, &p); /* allowed before a bind */
    WAIT_FOR(f, count(e, SMPP_CMD_ENQUIRE_LINK_RESP) == 1);
    assert_int_equal(nth(e, SMPP_CMD_ENQUIRE_LINK_RESP, 0)->seq, seq);
    bind_trx(e);
    smpp_pdu_init(&p, SMPP_CMD_UNBIND, 0);
    seq = send_req(e, &p);
    WAIT_FOR(f, e->closed);
    assert_int_equal(count(e, SMPP_CMD_UNBIND_RESP), 1);
    assert_int_equal(nth(e, SMPP_CMD_UNBIND_RESP, 0)->seq, seq);
    assert_int_equal(nth(e, SMPP_CMD_UNBIND_RESP, 0)->status, 0);
    finish(f);
}

/* Sends raw octets; expects the answer the codec names for them. */
static void expect_answer_to_raw(struct fx *f, struct esme *e, const uint8_t *raw, size_t len)
{
    struct smpp_pdu p;
    struct smpp_decode_err de;
    assert_int_not_equal(smpp_pdu_decode(raw, len, 0, &p, &de), 0);
    uint32_t cmd = (uint32_t)raw[4] << 24 | (uint32_t)raw[5] << 16 | (uint32_t)raw[6] << 8 | raw[7];
    uint32_t reply = smpp_decode_err_reply_id(&de, cmd);
    uint32_t status = smpp_decode_err_status(&de);
    size_t before = e->n;
    uv_buf_t b = uv_buf_init((char *)raw, (unsigned)len);
    assert_int_equal(uv_try_write((uv_stream_t *)smpp_conn_tcp(e->c), &b, 1), (int)len);
    WAIT_FOR(f, e->n > before);
    assert_int_equal(e->recs[before].cmd, reply);
    assert_int_equal(e->recs[before].status, status);
    assert_int_equal(e->recs[before].seq, 7);
}

static void bad_pdus(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    /* An unknown command: generic_nack ESME_RINVCMDID. */
    const uint8_t unknown[] = {0, 0, 0, 16, 0, 0, 0x09, 0x99, 0, 0, 0, 0, 0, 0, 0, 7};
    expect_answer_to_raw(f, e, unknown, sizeof(unknown));
    assert_int_equal(e->recs[e->n - 1].status, SMPP_ESME_RINVCMDID);
    /* A submit_sm whose service_type has no NUL within its 6 octets: a body
     * fault, answered by submit_sm_resp with the codec's status. */
    const uint8_t cut[] = {0, 0, 0, 24, 0,   0,   0,   4,   0,   0,   0,   0,
                           0, 0, 0, 7,  'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'};
    expect_answer_to_raw(f, e, cut, sizeof(cut));
    assert_int_equal(e->recs[e->n - 1].cmd, SMPP_CMD_SUBMIT_SM_RESP);
    /* Still serving afterwards. */
    submit(e, "33612345678", 1, "x", 0);
    WAIT_FOR(f, count(e, SMPP_CMD_SUBMIT_SM_RESP) == 2);
    /* A request the simulator does not serve. */
    struct smpp_pdu q;
    smpp_pdu_init(&q, SMPP_CMD_QUERY_SM, 0);
    snprintf(q.message_id, sizeof(q.message_id), "1234");
    send_req(e, &q);
    WAIT_FOR(f, count(e, SMPP_CMD_GENERIC_NACK) == 2);
    assert_int_equal(nth(e, SMPP_CMD_GENERIC_NACK, 1)->status, SMPP_ESME_RINVCMDID);
    finish(f);
}

static char *mo_text(const struct esme *e, size_t first, size_t n)
{
    struct seg_in_part parts[8];
    struct buf b;
    const struct rec *r = nth(e, SMPP_CMD_DELIVER_SM, first);
    assert_true(n <= 8);
    buf_init(&b, 4096);
    for (size_t i = 0; i < n; i++) {
        const struct rec *p = nth(e, SMPP_CMD_DELIVER_SM, first + i);
        parts[i] = (struct seg_in_part){p->sm, p->sm_len, 0, (p->esm_class & 0x40) != 0, 0};
    }
    enum seg_coding c = r->dc == 8 ? SEG_CODING_UCS2 : SEG_CODING_GSM7;
    if (n == 1)
        assert_int_equal(seg_decode(c, r->sm, r->sm_len, 0, parts[0].has_udh, &b, NULL), 0);
    else
        assert_int_equal(seg_join(c, parts, n, &b, NULL), 0);
    return buf_detach(&b, NULL);
}

#define THUMBS "\xF0\x9F\x91\x8D"

static void replies(void **state)
{
    (void)state;
    static const char script[] = "# test script\n"
                                 "order\n"
                                 "[note] 3..3\n"
                                 "OUI\n"
                                 "Merci beaucoup pour ce message, nous revenons vers vous tres "
                                 "vite avec une reponse complete " THUMBS " bonne journee !\n";
    struct fx *f = new_fx();
    f->o.reply_rate = 1;
    f->o.reply_script = script;
    f->o.reply_script_len = strlen(script);
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    submit(e, "33612345678", 1, "Votre NOTE de 1 a 5 ?", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2);
    const struct rec *mo = nth(e, SMPP_CMD_DELIVER_SM, 1);
    assert_int_equal(mo->esm_class, 0);
    assert_int_equal(mo->dc, 0);
    assert_string_equal(mo->src, "33612345678");
    assert_string_equal(mo->dst, "Shop");
    char *t = mo_text(e, 1, 1);
    assert_string_equal(t, "3");
    free(t);
    /* In order: the keyword rule does not apply, next is OUI. */
    submit(e, "33612345678", 1, "Bonjour", 0);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 3);
    t = mo_text(e, 2, 1);
    assert_string_equal(t, "OUI");
    free(t);
    /* Then the long UCS-2 text, as concatenated parts with UDH. */
    submit(e, "33612345678", 1, "Bonjour", 0);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 5);
    assert_int_equal(nth(e, SMPP_CMD_DELIVER_SM, 3)->dc, 8);
    assert_int_equal(nth(e, SMPP_CMD_DELIVER_SM, 3)->esm_class, 0x40);
    t = mo_text(e, 3, 2);
    assert_non_null(strstr(t, THUMBS " bonne journee !"));
    free(t);
    struct smpp_sim_stats st;
    smpp_sim_stats(f->sim, &st);
    assert_int_equal(st.mo_sent, 3);
    finish(f);
}

static void long_message_parts(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.reply_rate = 1;
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    /* Two parts with a concatenation UDH (ref 9, 2 parts). */
    for (uint8_t seq = 1; seq <= 2; seq++) {
        struct smpp_pdu p;
        smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 0);
        snprintf(p.destination_addr, sizeof(p.destination_addr), "33612345678");
        p.dest_addr_ton = 1;
        p.esm_class = 0x40;
        p.registered_delivery = 1;
        const uint8_t ud[] = {5, 0, 3, 9, 2, seq, 'p', 'a', 'r', 't'};
        memcpy(p.short_message, ud, sizeof(ud));
        p.sm_length = sizeof(ud);
        send_req(e, &p);
    }
    /* Two receipts with their own ids, and one reply for the message. */
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 3);
    settle(f, 30);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 3);
    assert_string_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 0)->message_id, "1234");
    assert_string_equal(nth(e, SMPP_CMD_SUBMIT_SM_RESP, 1)->message_id, "1235");
    size_t receipts = 0;
    for (size_t i = 0; i < 3; i++)
        receipts += nth(e, SMPP_CMD_DELIVER_SM, i)->esm_class == 0x04;
    assert_int_equal(receipts, 2);
    assert_string_equal(parse_text(nth(e, SMPP_CMD_DELIVER_SM, 0)).text, "part");
    finish(f);
}

static void transmitter_receipts_wait_for_receiver(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *tx = connect_esme(f, 0);
    assert_int_equal(do_bind(tx, SMPP_CMD_BIND_TRANSMITTER, "relais", "relais"), 0);
    submit(tx, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(tx, SMPP_CMD_SUBMIT_SM_RESP) == 1);
    settle(f, 30);
    assert_int_equal(count(tx, SMPP_CMD_DELIVER_SM), 0);
    struct esme *rx = connect_esme(f, 1);
    assert_int_equal(do_bind(rx, SMPP_CMD_BIND_RECEIVER, "relais", "relais"), 0);
    WAIT_FOR(f, count(rx, SMPP_CMD_DELIVER_SM) == 1);
    assert_string_equal(nth(rx, SMPP_CMD_DELIVER_SM, 0)->rid, "1234");
    /* A receiver cannot submit. */
    submit(rx, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(rx, SMPP_CMD_SUBMIT_SM_RESP) == 1);
    assert_int_equal(nth(rx, SMPP_CMD_SUBMIT_SM_RESP, 0)->status, SMPP_ESME_RINVBNDSTS);
    finish(f);
}

static void window(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.window = 2;
    start(f);
    struct esme *e = connect_esme(f, 0);
    e->no_ack = true;
    bind_trx(e);
    for (int i = 0; i < 5; i++)
        submit(e, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_SUBMIT_SM_RESP) == 5);
    settle(f, 30);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 2);
    e->no_ack = false;
    for (size_t i = 0; i < 2; i++) {
        struct smpp_pdu p;
        smpp_pdu_init(&p, SMPP_CMD_DELIVER_SM, nth(e, SMPP_CMD_DELIVER_SM, i)->seq);
        send_ack(e, &p);
    }
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 5);
    finish(f);
}

static struct smpp_sim_stats stats_now(struct fx *f)
{
    struct smpp_sim_stats st;
    smpp_sim_stats(f->sim, &st);
    return st;
}

/* Closes the ESME's side at once and waits until the simulator has put back
 * `resent` deliver_sm in all (it has seen the close then). */
static void drop_esme(struct fx *f, struct esme *e, uint64_t resent)
{
    smpp_conn_abort(e->c, 0);
    WAIT_FOR(f, e->closed && stats_now(f).deliver_resent == resent);
}

static void resend_after_reconnect(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    e->no_ack = true;
    bind_trx(e);
    submit(e, "33612345678", 1, "Bonjour, votre colis", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    struct rec first = *nth(e, SMPP_CMD_DELIVER_SM, 0);
    drop_esme(f, e, 1);
    /* A transmitter cannot take it: it waits for a receiver. */
    e = connect_esme(f, 0);
    assert_int_equal(do_bind(e, SMPP_CMD_BIND_TRANSMITTER, "relais", "relais"), 0);
    settle(f, 30);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 0);
    struct esme *rx = connect_esme(f, 1);
    bind_trx(rx);
    WAIT_FOR(f, count(rx, SMPP_CMD_DELIVER_SM) == 1);
    const struct rec *again = nth(rx, SMPP_CMD_DELIVER_SM, 0);
    assert_string_equal(again->rid, first.rid);
    assert_string_equal(again->rid, "1234");
    assert_int_equal(again->sm_len, first.sm_len);
    assert_memory_equal(again->sm, first.sm, first.sm_len); /* same text, same dates */
    assert_int_equal(again->state, first.state);
    assert_string_equal(again->src, first.src);
    settle(f, 30); /* acknowledged this time: once */
    assert_int_equal(count(rx, SMPP_CMD_DELIVER_SM), 1);
    struct smpp_sim_stats st = stats_now(f);
    assert_int_equal(st.deliver_resent, 1);
    assert_int_equal(st.receipts[SMPP_DLR_DELIVERED], 1); /* a message, not a send */
    assert_int_equal(st.deliver_acked, 1);
    finish(f);
}

static void resend_to_receiver_already_bound(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    f->o.window = 1;
    start(f);
    struct esme *a = connect_esme(f, 0);
    a->no_ack = true;
    bind_trx(a);
    for (int i = 0; i < 3; i++)
        submit(a, "33612345678", 1, "x", 1);
    WAIT_FOR(f, count(a, SMPP_CMD_DELIVER_SM) == 1 && count(a, SMPP_CMD_SUBMIT_SM_RESP) == 3);
    /* b binds while a's window is full: it takes the two waiting receipts. */
    struct esme *b = connect_esme(f, 1);
    b->no_ack = true;
    assert_int_equal(do_bind(b, SMPP_CMD_BIND_RECEIVER, "relais", "relais"), 0);
    WAIT_FOR(f, count(b, SMPP_CMD_DELIVER_SM) == 1);
    b->no_ack = false;
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_DELIVER_SM, nth(b, SMPP_CMD_DELIVER_SM, 0)->seq);
    send_ack(b, &p);
    WAIT_FOR(f, count(b, SMPP_CMD_DELIVER_SM) == 2);
    /* a goes: its receipt comes to b, the one bound, at once. */
    drop_esme(f, a, 1);
    WAIT_FOR(f, count(b, SMPP_CMD_DELIVER_SM) == 3);
    assert_string_equal(nth(b, SMPP_CMD_DELIVER_SM, 2)->rid, "1234");
    finish(f);
}

static void resend_missing_reply_part(void **state)
{
    (void)state;
    static const char script[] = "Merci beaucoup pour ce message, nous revenons vers vous tres "
                                 "vite avec une reponse complete et detaillee, en attendant nous "
                                 "vous souhaitons une excellente journee et a bientot !\n";
    struct fx *f = new_fx();
    f->o.reply_rate = 1;
    f->o.reply_script = script;
    f->o.reply_script_len = strlen(script);
    start(f);
    struct esme *e = connect_esme(f, 0);
    e->no_ack = true;
    bind_trx(e);
    submit(e, "33612345678", 1, "Bonjour", 0);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2);
    struct rec parts[2] = {*nth(e, SMPP_CMD_DELIVER_SM, 0), *nth(e, SMPP_CMD_DELIVER_SM, 1)};
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_DELIVER_SM, parts[0].seq);
    send_ack(e, &p); /* part 1 taken, part 2 not */
    WAIT_FOR(f, stats_now(f).deliver_acked == 1);
    drop_esme(f, e, 1);
    e = connect_esme(f, 0);
    bind_trx(e);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    settle(f, 30);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 1);
    /* Part 2 alone, the same octets: same UDH reference, so it completes part 1. */
    const struct rec *p2 = nth(e, SMPP_CMD_DELIVER_SM, 0);
    assert_int_equal(p2->sm_len, parts[1].sm_len);
    assert_memory_equal(p2->sm, parts[1].sm, parts[1].sm_len);
    assert_int_equal(p2->esm_class, 0x40);
    struct seg_in_part in[2] = {{parts[0].sm, parts[0].sm_len, 0, true, 0},
                                {p2->sm, p2->sm_len, 0, true, 0}};
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(seg_join(SEG_CODING_GSM7, in, 2, &b, NULL), 0);
    char *t = buf_detach(&b, NULL);
    assert_int_equal(strlen(t), strlen(script) - 1);
    assert_memory_equal(t, script, strlen(script) - 1);
    free(t);
    assert_int_equal(stats_now(f).mo_sent, 1);
    finish(f);
}

static void retry_on_error_resp(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    e->errors_left = 1;
    e->error_status = SMPP_ESME_RX_T_APPN;
    assert_int_equal(SMPP_ESME_RX_T_APPN, 0x64);
    submit(e, "33612345678", 1, "Bonjour", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 1);
    uint64_t t0 = uv_now(&f->loop);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2);
    assert_true(uv_now(&f->loop) - t0 >= SMPP_SIM_RETRY_MS);
    const struct rec *a = nth(e, SMPP_CMD_DELIVER_SM, 0), *b = nth(e, SMPP_CMD_DELIVER_SM, 1);
    assert_string_equal(b->rid, a->rid);
    assert_int_equal(b->sm_len, a->sm_len);
    assert_memory_equal(b->sm, a->sm, a->sm_len);
    assert_int_not_equal(b->seq, a->seq);
    settle(f, 30);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 2);
    struct smpp_sim_stats st = stats_now(f);
    assert_int_equal(st.deliver_retried, 1);
    assert_int_equal(st.deliver_errors, 0);
    assert_int_equal(st.deliver_acked, 2);
    assert_int_equal(st.receipts[SMPP_DLR_DELIVERED], 1);
    finish(f);
}

static void retry_limit_then_drop(void **state)
{
    (void)state;
    struct fx *f = new_fx();
    start(f);
    struct esme *e = connect_esme(f, 0);
    bind_trx(e);
    e->errors_left = 1000;
    e->error_status = SMPP_ESME_RX_T_APPN;
    submit(e, "33612345678", 1, "Bonjour", 1);
    /* Sent once, then SMPP_SIM_RETRY_MAX more times (100 + 200 + 400 ms). */
    WAIT_FOR(f, stats_now(f).deliver_errors == 1);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 1 + SMPP_SIM_RETRY_MAX);
    for (size_t i = 1; i <= SMPP_SIM_RETRY_MAX; i++)
        assert_string_equal(nth(e, SMPP_CMD_DELIVER_SM, i)->rid, "1234");
    struct smpp_sim_stats st = stats_now(f);
    assert_int_equal(st.deliver_retried, SMPP_SIM_RETRY_MAX);
    assert_int_equal(st.deliver_acked, 1 + SMPP_SIM_RETRY_MAX);
    settle(f, 50);
    assert_int_equal(count(e, SMPP_CMD_DELIVER_SM), 1 + SMPP_SIM_RETRY_MAX);
    /* The simulator goes on: the next message is delivered. */
    e->errors_left = 0;
    submit(e, "33612345678", 1, "Encore", 1);
    WAIT_FOR(f, count(e, SMPP_CMD_DELIVER_SM) == 2 + SMPP_SIM_RETRY_MAX);
    assert_string_equal(nth(e, SMPP_CMD_DELIVER_SM, 1 + SMPP_SIM_RETRY_MAX)->rid, "1235");
    finish(f);
}

static void bad_options_and_scripts(void **state)
{
    (void)state;
    struct rl_err err = {0};
    const char bad[] = "OUI\n\n[oops OUI\n";
    assert_int_equal(smpp_sim_script_check(bad, strlen(bad), &err), RL_EPARSE);
    assert_non_null(strstr(err.msg, "line 3"));
    const char empty_alt[] = "OUI||NON";
    assert_int_equal(smpp_sim_script_check(empty_alt, strlen(empty_alt), &err), RL_EPARSE);
    const char good[] = "# c\r\nrandom\r\n1..5|STOP\r\n[avis] Tres bien\r\n";
    assert_int_equal(smpp_sim_script_check(good, strlen(good), &err), 0);

    uv_loop_t loop;
    struct smpp_sim *sim = NULL;
    struct smpp_sim_opts o;
    assert_int_equal(uv_loop_init(&loop), 0);
    defaults(&o);
    o.delivery_rate = 1.5;
    assert_int_equal(smpp_sim_start(&loop, &o, &sim, &err), RL_EINVAL);
    assert_string_equal(err.field, "delivery_rate");
    defaults(&o);
    o.receipt_delay_min_ms = 10;
    o.receipt_delay_max_ms = 5;
    assert_int_equal(smpp_sim_start(&loop, &o, &sim, &err), RL_EINVAL);
    defaults(&o);
    o.listen = "not-an-address";
    assert_int_equal(smpp_sim_start(&loop, &o, &sim, &err), RL_EINVAL);
    assert_string_equal(err.field, "listen");
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binds),
        cmocka_unit_test(any_password),
        cmocka_unit_test(receipt_both_forms_hex),
        cmocka_unit_test(receipt_text_dec_and_tlv_only),
        cmocka_unit_test(failures_have_codes),
        cmocka_unit_test(invalid_destinations),
        cmocka_unit_test(registered_delivery),
        cmocka_unit_test(delayed_receipts),
        cmocka_unit_test(throttle),
        cmocka_unit_test(drop_every),
        cmocka_unit_test(enquire_link_and_unbind),
        cmocka_unit_test(bad_pdus),
        cmocka_unit_test(replies),
        cmocka_unit_test(long_message_parts),
        cmocka_unit_test(transmitter_receipts_wait_for_receiver),
        cmocka_unit_test(window),
        cmocka_unit_test(resend_after_reconnect),
        cmocka_unit_test(resend_to_receiver_already_bound),
        cmocka_unit_test(resend_missing_reply_part),
        cmocka_unit_test(retry_on_error_resp),
        cmocka_unit_test(retry_limit_then_drop),
        cmocka_unit_test(bad_options_and_scripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

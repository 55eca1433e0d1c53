/* The connections of a session: connect, bind, enquire_link, unbind, reconnect
 * with backoff; the session's timers and its life cycle. Sending is in
 * smpp_session_tx.c, receipts and inbound messages in smpp_session_rx.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_session_int.h"
#include "core/banned.h"

#define SEQ_MAX 0x7FFFFFFFu /* sequence numbers run 1..0x7FFFFFFF (spec 3.2) */

void smpp_route_opts_default(struct smpp_route_opts *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "default");
    snprintf(o->host, sizeof(o->host), "127.0.0.1");
    o->port = 2775;
    o->bind = SMPP_BIND_TRANSCEIVER;
    o->window = 10;
    o->enquire_link_interval_ms = 30000;
    o->enquire_link_timeout_ms = 10000;
    o->reconnect_min_ms = 1000;
    o->reconnect_max_ms = 60000;
    o->submit_timeout_ms = 30000;
    o->on_submit_timeout = SMPP_TIMEOUT_RESUBMIT;
    o->throttle_min_ms = 1000;
    o->throttle_max_ms = 30000;
    o->registered_delivery = true;
    o->long_mode = SMPP_LONG_UDH;
    o->concat_ref_bits = 8;
    o->max_parts = 10;
    o->numeric_ton = 1;
    o->numeric_npi = 1;
    o->dest_ton = 1;
    o->dest_npi = 1;
    o->id_mode = SMPP_ID_SAME;
    o->queue_max = 100000;
    o->track_max = 100000;
    o->receipt_wait_ms = 48ull * 3600 * 1000;
    o->held_max = 1024;
    o->held_ms = 60000;
    o->mo_timeout_ms = 5 * 60 * 1000;
    o->stop_timeout_ms = 5000;
}

void smpp_route_opts_from_cfg(struct smpp_route_opts *o, const struct cfg_route *r)
{
    smpp_route_opts_default(o);
    snprintf(o->name, sizeof(o->name), "%s", r->name);
    snprintf(o->host, sizeof(o->host), "%s", r->host ? r->host : "");
    o->port = (uint16_t)r->port;
    snprintf(o->system_id, sizeof(o->system_id), "%s", r->system_id ? r->system_id : "");
    snprintf(o->password, sizeof(o->password), "%s", r->password ? r->password : "");
    snprintf(o->system_type, sizeof(o->system_type), "%s", r->system_type ? r->system_type : "");
    o->bind = r->bind == CFG_ROUTE_BIND_TRANSMITTER_RECEIVER ? SMPP_BIND_TRANSMITTER_RECEIVER
                                                             : SMPP_BIND_TRANSCEIVER;
    o->window = (uint32_t)r->window;
    o->throughput = (uint32_t)r->throughput;
    o->enquire_link_interval_ms = (uint64_t)r->enquire_link_interval_ms;
    o->enquire_link_timeout_ms = (uint64_t)r->enquire_link_timeout_ms;
    o->reconnect_min_ms = (uint64_t)r->reconnect_min_ms;
    o->reconnect_max_ms = (uint64_t)r->reconnect_max_ms;
    o->submit_timeout_ms = (uint64_t)r->submit_timeout_ms;
    o->registered_delivery = r->registered_delivery;
    o->data_coding_gsm = (uint8_t)r->data_coding_gsm;
    o->long_mode = r->long_mode == CFG_ROUTE_LONG_MODE_SAR       ? SMPP_LONG_SAR
                   : r->long_mode == CFG_ROUTE_LONG_MODE_PAYLOAD ? SMPP_LONG_PAYLOAD
                                                                 : SMPP_LONG_UDH;
    o->on_submit_timeout = r->on_submit_timeout == CFG_ROUTE_ON_SUBMIT_TIMEOUT_UNKNOWN
                               ? SMPP_TIMEOUT_UNKNOWN
                               : SMPP_TIMEOUT_RESUBMIT;
    o->id_mode = r->receipt_ids == CFG_ROUTE_RECEIPT_IDS_RESP_HEX_DLR_DEC ? SMPP_ID_RESP_HEX_DLR_DEC
                 : r->receipt_ids == CFG_ROUTE_RECEIPT_IDS_RESP_DEC_DLR_HEX
                     ? SMPP_ID_RESP_DEC_DLR_HEX
                     : SMPP_ID_SAME;
}

const char *smpp_msg_result_name(enum smpp_msg_result r)
{
    switch (r) {
    case SMPP_MSG_SUBMITTED:
        return "submitted";
    case SMPP_MSG_DELIVERED:
        return "delivered";
    case SMPP_MSG_PARTIALLY_DELIVERED:
        return "partially_delivered";
    case SMPP_MSG_FAILED:
        return "failed";
    case SMPP_MSG_EXPIRED:
        return "expired";
    case SMPP_MSG_UNKNOWN:
        break;
    }
    return "unknown";
}

uint64_t session_now(const struct smpp_session *s)
{
    return uv_now(s->loop);
}

int link_send(struct link *l, struct smpp_pdu *p)
{
    if (!l->conn)
        return RL_EIO;
    if (!(p->command_id & SMPP_RESP_BIT)) {
        p->sequence_number = l->next_seq;
        l->next_seq = l->next_seq >= SEQ_MAX ? 1 : l->next_seq + 1;
    }
    return smpp_conn_send(l->conn, p);
}

/* A libuv code or an RL_E* one, for logs. */
static const char *err_name(int e)
{
    if (e == 0)
        return "none";
    return e > RL_EBASE && e < RL_ELAST ? rl_errname(e) : uv_err_name(e);
}

static const char *link_role(const struct link *l)
{
    switch (l->bind_cmd) {
    case SMPP_CMD_BIND_TRANSMITTER:
        return "transmitter";
    case SMPP_CMD_BIND_RECEIVER:
        return "receiver";
    default:
        return "transceiver";
    }
}

/* --- life and death of a connection ---------------------------------------- */

static void maybe_release(struct smpp_session *s);
static void link_connect(struct link *l);
static void stop_progress(struct smpp_session *s);

/* l: the connection the event is about, NULL when it is about the route. */
static void report(struct smpp_session *s, const struct link *l, bool up, const char *reason,
                   uint32_t status, int err)
{
    struct smpp_session_event ev = {up, reason, status, err, l ? link_role(l) : NULL};
    s->up = up;
    if (s->cbs.on_state && !s->freeing)
        s->cbs.on_state(s->ud, &ev);
}

static void on_retry(uv_timer_t *t)
{
    link_connect(t->data);
}

/* The connection is gone or never came: report it, give the window back to
 * the queue, and try again after a backoff (unless stopping). */
static void link_down(struct link *l, const char *why, uint32_t status, int err)
{
    struct smpp_session *s = l->s;
    bool was_bound = l->st == LINK_BOUND || l->st == LINK_UNBINDING;
    l->st = LINK_IDLE;
    l->conn = NULL;
    l->tcp = NULL;
    l->enq_pending = false;
    if (s->freeing)
        return;
    if (l == &s->links[0])
        tx_requeue_window(s);
    if (s->stopping) {
        stop_progress(s);
        return;
    }
    uint64_t wait = smpp_backoff_next(&l->backoff, smpp_rand_next(&s->rnd));
    s->st.reconnects++;
    log_warn("smpp", "link_down",
             "route=%s link=%s reason=%s status=%s err=%s was_bound=%d retry_ms=%llu "
             "window_requeued=%zu",
             s->o.name, link_role(l), why, status ? smpp_status_name(status) : "none",
             err_name(err), was_bound, (unsigned long long)wait, s->queue.n);
    uv_timer_start(&l->retry, on_retry, wait, 0);
    report(s, l, false, why, status, err);
}

static void on_conn_close(struct smpp_conn *c, int status)
{
    struct link *l = smpp_conn_data(c);
    struct smpp_session *s = l->s;
    s->open--;
    l->conn = NULL;
    if (s->freeing) {
        maybe_release(s);
        return;
    }
    const char *why = l->why ? l->why : "connection_lost";
    link_down(l, why, l->why_status, l->why ? 0 : status);
}

/* Closes the link's connection, keeping why for the event that follows. */
static void link_drop(struct link *l, const char *why, uint32_t status, bool flush)
{
    if (!l->conn)
        return;
    if (!l->why) {
        l->why = why;
        l->why_status = status;
    }
    if (flush)
        smpp_conn_close(l->conn);
    else
        smpp_conn_abort(l->conn, RL_EIO);
}

static void send_bind(struct link *l)
{
    struct smpp_session *s = l->s;
    struct smpp_pdu p;
    smpp_pdu_init(&p, l->bind_cmd, 0);
    snprintf(p.system_id, sizeof(p.system_id), "%s", s->o.system_id);
    snprintf(p.password, sizeof(p.password), "%s", s->o.password);
    snprintf(p.system_type, sizeof(p.system_type), "%s", s->o.system_type);
    p.interface_version = 0x34;
    l->st = LINK_BINDING;
    l->deadline_ms = session_now(s) + s->o.enquire_link_timeout_ms;
    if (link_send(l, &p) != 0) {
        link_drop(l, "connection_lost", 0, false);
        return;
    }
    l->bind_seq = p.sequence_number;
}

static void on_tcp_closed(uv_handle_t *h)
{
    struct smpp_session *s = h->data;
    free(h);
    s->open--;
    maybe_release(s);
}

/* --- what the SMSC sends ------------------------------------------------------ */

static void answer(struct link *l, uint32_t cmd, uint32_t seq, uint32_t status)
{
    struct smpp_pdu r;
    smpp_pdu_init(&r, cmd, seq);
    r.command_status = status;
    r.no_body = status != 0;
    link_send(l, &r);
}

static void bound(struct link *l)
{
    struct smpp_session *s = l->s;
    l->st = LINK_BOUND;
    l->deadline_ms = 0;
    smpp_backoff_reset(&l->backoff);
    log_info("smpp", "bound", "route=%s link=%s host=%s port=%u system_id=%s window=%u", s->o.name,
             link_role(l), s->o.host, s->o.port, s->o.system_id, s->o.window);
    for (unsigned i = 0; i < s->nlinks; i++) {
        if (s->links[i].st != LINK_BOUND)
            return;
    }
    report(s, NULL, true, "bound", 0, 0);
    tx_pump(s);
}

static void on_bind_resp(struct link *l, const struct smpp_pdu *p)
{
    struct smpp_session *s = l->s;
    if (l->st != LINK_BINDING || p->sequence_number != l->bind_seq)
        return;
    if (p->command_status == SMPP_ESME_ROK && p->command_id == (l->bind_cmd | SMPP_RESP_BIT)) {
        bound(l);
        return;
    }
    uint32_t st = p->command_status ? p->command_status : SMPP_ESME_RBINDFAIL;
    log_error("smpp", "bind_refused",
              "route=%s link=%s host=%s port=%u system_id=%s status=%s "
              "text=\"%s\"",
              s->o.name, link_role(l), s->o.host, s->o.port, s->o.system_id, smpp_status_name(st),
              smpp_status_text(st));
    link_drop(l, "bind_refused", st, false);
}

static void on_generic_nack(struct link *l, const struct smpp_pdu *p)
{
    uint32_t st = p->command_status ? p->command_status : SMPP_ESME_RSYSERR;
    if (l->st == LINK_BINDING && p->sequence_number == l->bind_seq) {
        struct smpp_pdu r = *p;
        r.command_status = st;
        on_bind_resp(l, &r);
    } else if (l->st == LINK_BOUND && l == &l->s->links[0]) {
        tx_on_resp(l->s, p->sequence_number, st, "");
    }
}

static void on_pdu(struct smpp_conn *c, const struct smpp_pdu *p)
{
    struct link *l = smpp_conn_data(c);
    struct smpp_session *s = l->s;
    l->last_rx_ms = session_now(s);
    switch (p->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
    case SMPP_CMD_BIND_TRANSMITTER_RESP:
    case SMPP_CMD_BIND_RECEIVER_RESP:
        on_bind_resp(l, p);
        break;
    case SMPP_CMD_GENERIC_NACK:
        on_generic_nack(l, p);
        break;
    case SMPP_CMD_SUBMIT_SM_RESP:
        if (l == &s->links[0])
            tx_on_resp(s, p->sequence_number, p->command_status, p->message_id);
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        answer(l, SMPP_CMD_ENQUIRE_LINK_RESP, p->sequence_number, 0);
        break;
    case SMPP_CMD_ENQUIRE_LINK_RESP:
        l->enq_pending = false;
        break;
    case SMPP_CMD_UNBIND:
        log_info("smpp", "unbind_received", "route=%s link=%s", s->o.name, link_role(l));
        answer(l, SMPP_CMD_UNBIND_RESP, p->sequence_number, 0);
        link_drop(l, "unbound_by_smsc", 0, true);
        break;
    case SMPP_CMD_UNBIND_RESP:
        if (l->st == LINK_UNBINDING)
            link_drop(l, "stopped", 0, true);
        break;
    case SMPP_CMD_DELIVER_SM:
    case SMPP_CMD_DATA_SM:
        if (l->st == LINK_BOUND && l->bind_cmd != SMPP_CMD_BIND_TRANSMITTER)
            rx_on_deliver(l, p);
        else
            answer(l, p->command_id | SMPP_RESP_BIT, p->sequence_number, SMPP_ESME_RINVBNDSTS);
        break;
    default:
        if (!(p->command_id & SMPP_RESP_BIT))
            answer(l, SMPP_CMD_GENERIC_NACK, p->sequence_number, SMPP_ESME_RINVCMDID);
        break;
    }
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Answers what the specification says for a PDU that did not decode. */
static void on_bad_pdu(struct smpp_conn *c, const uint8_t *raw, size_t len,
                       const struct smpp_decode_err *e)
{
    struct link *l = smpp_conn_data(c);
    uint32_t cmd = len >= 8 ? be32(raw + 4) : 0;
    uint32_t seq = len >= 16 ? be32(raw + 12) : 0;
    uint32_t reply = smpp_decode_err_reply_id(e, cmd);
    uint32_t st = smpp_decode_err_status(e);
    log_warn("smpp", "bad_pdu", "route=%s link=%s command=%s seq=%u kind=%s field=%s status=%s",
             l->s->o.name, link_role(l), smpp_command_name(cmd), seq,
             smpp_decode_kind_name(e->kind), e->field ? e->field : "", smpp_status_name(st));
    if (reply)
        answer(l, reply, seq, st);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct link *l = req->data;
    struct smpp_session *s = l->s;
    uv_tcp_t *tcp = (uv_tcp_t *)req->handle;
    if (uv_is_closing((uv_handle_t *)tcp))
        return; /* timed out or freed: reported there */
    l->tcp = NULL;
    if (status < 0 || s->freeing || s->stopping) {
        uv_close((uv_handle_t *)tcp, on_tcp_closed);
        log_warn("smpp", "connect_failed", "route=%s link=%s host=%s port=%u err=%s", s->o.name,
                 link_role(l), s->o.host, s->o.port, status < 0 ? uv_err_name(status) : "stopping");
        link_down(l, "connect_failed", 0, status < 0 ? status : RL_EIO);
        return;
    }
    static const struct smpp_conn_cbs cbs = {on_pdu, on_bad_pdu, on_conn_close};
    l->why = NULL;
    l->why_status = 0;
    l->conn = smpp_conn_new(tcp, 0, &cbs, l);
    l->gen++;
    l->last_rx_ms = session_now(s);
    send_bind(l);
}

static void connect_to(struct link *l, const struct sockaddr *addr)
{
    struct smpp_session *s = l->s;
    uv_tcp_t *tcp = xmalloc(sizeof(*tcp));
    uv_tcp_init(s->loop, tcp);
    tcp->data = s;
    s->open++;
    l->creq.data = l;
    l->st = LINK_CONNECTING;
    l->deadline_ms = session_now(s) + s->o.enquire_link_timeout_ms;
    int rc = uv_tcp_connect(&l->creq, tcp, addr, on_connect);
    if (rc < 0) {
        uv_close((uv_handle_t *)tcp, on_tcp_closed);
        log_warn("smpp", "connect_failed", "route=%s link=%s host=%s port=%u err=%s", s->o.name,
                 link_role(l), s->o.host, s->o.port, uv_err_name(rc));
        link_down(l, "connect_failed", 0, rc);
        return;
    }
    l->tcp = tcp;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct link *l = req->data;
    struct smpp_session *s = l->s;
    s->open--;
    if (s->freeing) {
        uv_freeaddrinfo(res);
        maybe_release(s);
        return;
    }
    if (status < 0 || !res || s->stopping) {
        log_warn("smpp", "resolve_failed", "route=%s host=%s err=%s", s->o.name, s->o.host,
                 status < 0 ? uv_err_name(status) : "stopping");
        uv_freeaddrinfo(res);
        link_down(l, "connect_failed", 0, status < 0 ? status : RL_EIO);
        return;
    }
    connect_to(l, res->ai_addr);
    uv_freeaddrinfo(res);
}

static void link_connect(struct link *l)
{
    struct smpp_session *s = l->s;
    struct sockaddr_storage ss;
    if (s->stopping || s->freeing)
        return;
    log_debug("smpp", "connecting", "route=%s link=%s host=%s port=%u", s->o.name, link_role(l),
              s->o.host, s->o.port);
    if (uv_ip4_addr(s->o.host, s->o.port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(s->o.host, s->o.port, (struct sockaddr_in6 *)&ss) == 0) {
        connect_to(l, (const struct sockaddr *)&ss);
        return;
    }
    char port[8];
    snprintf(port, sizeof(port), "%u", s->o.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    l->gai.data = l;
    l->st = LINK_RESOLVING;
    int rc = uv_getaddrinfo(s->loop, &l->gai, on_resolved, s->o.host, port, &hints);
    if (rc < 0) {
        link_down(l, "connect_failed", 0, rc);
        return;
    }
    s->open++;
}

/* --- timers ------------------------------------------------------------------- */

static void link_tick(struct link *l, uint64_t now)
{
    struct smpp_session *s = l->s;
    bool late = l->deadline_ms && now >= l->deadline_ms;
    switch (l->st) {
    case LINK_CONNECTING:
        if (late) {
            uv_close((uv_handle_t *)l->tcp, on_tcp_closed);
            link_down(l, "connect_failed", 0, UV_ETIMEDOUT);
        }
        break;
    case LINK_BINDING:
        if (late)
            link_drop(l, "bind_timeout", 0, false);
        break;
    case LINK_UNBINDING:
        if (late)
            link_drop(l, "stopped", 0, false);
        break;
    case LINK_BOUND:
        if (l->enq_pending && now - l->enq_sent_ms >= s->o.enquire_link_timeout_ms) {
            log_warn("smpp", "enquire_link_timeout", "route=%s link=%s timeout_ms=%llu", s->o.name,
                     link_role(l), (unsigned long long)s->o.enquire_link_timeout_ms);
            link_drop(l, "enquire_link_timeout", 0, false);
        } else if (!l->enq_pending && now - l->last_rx_ms >= s->o.enquire_link_interval_ms) {
            struct smpp_pdu p;
            smpp_pdu_init(&p, SMPP_CMD_ENQUIRE_LINK, 0);
            if (link_send(l, &p) == 0) {
                l->enq_pending = true;
                l->enq_sent_ms = now;
            }
        }
        break;
    default:
        break;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct smpp_session *s = t->data;
    uint64_t now = session_now(s);
    for (unsigned i = 0; i < s->nlinks; i++)
        link_tick(&s->links[i], now);
    tx_sweep(s, now);
    rx_sweep(s, now);
    if (s->stopping)
        stop_progress(s);
}

/* --- life cycle ------------------------------------------------------------------ */

static uint64_t tick_period(const struct smpp_route_opts *o)
{
    uint64_t m = o->submit_timeout_ms;
    if (o->enquire_link_interval_ms < m)
        m = o->enquire_link_interval_ms;
    if (o->enquire_link_timeout_ms < m)
        m = o->enquire_link_timeout_ms;
    m /= 4;
    return m < 5 ? 5 : m > 1000 ? 1000 : m;
}

static void link_init(struct smpp_session *s, struct link *l, uint32_t bind_cmd)
{
    l->s = s;
    l->bind_cmd = bind_cmd;
    l->next_seq = 1;
    uv_timer_init(s->loop, &l->retry);
    l->retry.data = l;
    smpp_backoff_init(&l->backoff, s->o.reconnect_min_ms, s->o.reconnect_max_ms);
}

struct smpp_session *smpp_session_new(uv_loop_t *loop, const struct smpp_route_opts *opts,
                                      const struct smpp_session_cbs *cbs, void *ud)
{
    struct smpp_session *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->o = *opts;
    if (s->o.window == 0)
        s->o.window = 1;
    s->cbs = *cbs;
    s->ud = ud;
    s->scratch = xmalloc(SMPP_MAX_PDU_DEFAULT);
    s->rnd = (uint32_t)(uv_hrtime() ^ (uintptr_t)s) | 1u;
    s->next_ref = (uint16_t)smpp_rand_next(&s->rnd);
    s->tick_ms = tick_period(&s->o);
    uv_timer_init(loop, &s->tick);
    uv_timer_init(loop, &s->sendt);
    uv_idle_init(loop, &s->ackt);
    s->tick.data = s->sendt.data = s;
    s->ackt.data = s;
    if (s->o.bind == SMPP_BIND_TRANSMITTER_RECEIVER) {
        s->nlinks = 2;
        link_init(s, &s->links[0], SMPP_CMD_BIND_TRANSMITTER);
        link_init(s, &s->links[1], SMPP_CMD_BIND_RECEIVER);
    } else {
        s->nlinks = 1;
        link_init(s, &s->links[0], SMPP_CMD_BIND_TRANSCEIVER);
    }
    s->open = 3 + (int)s->nlinks;
    smpp_rate_init(&s->rate, s->o.throughput, s->o.throughput / 10, uv_now(loop));
    smpp_backoff_init(&s->throttle, s->o.throttle_min_ms, s->o.throttle_max_ms);
    tx_init(s);
    rx_init(s);
    return s;
}

int smpp_session_start(struct smpp_session *s)
{
    if (s->started || s->stopping)
        return RL_EINVAL;
    s->started = true;
    uv_timer_start(&s->tick, on_tick, s->tick_ms, s->tick_ms);
    for (unsigned i = 0; i < s->nlinks; i++)
        link_connect(&s->links[i]);
    return 0;
}

/* Drives a stop forward: waits for the window, then unbinds and closes each
 * connection; done when every link is idle. */
static void stop_progress(struct smpp_session *s)
{
    uint64_t now = session_now(s);
    bool drained = s->window.n == 0 || now >= s->stop_deadline_ms || s->links[0].st != LINK_BOUND;
    bool idle = true;
    for (unsigned i = 0; i < s->nlinks; i++) {
        struct link *l = &s->links[i];
        uv_timer_stop(&l->retry);
        if (l->st == LINK_BOUND && drained) {
            struct smpp_pdu p;
            smpp_pdu_init(&p, SMPP_CMD_UNBIND, 0);
            l->st = LINK_UNBINDING;
            l->deadline_ms = now + s->o.enquire_link_timeout_ms;
            if (link_send(l, &p) != 0)
                link_drop(l, "stopped", 0, false);
        } else if (l->st == LINK_BINDING) {
            link_drop(l, "stopped", 0, false);
        }
        idle = idle && l->st == LINK_IDLE;
    }
    if (!idle || s->stopped)
        return;
    s->stopped = true;
    uv_timer_stop(&s->tick);
    uv_timer_stop(&s->sendt);
    tx_fail_unanswered(s);
    log_info("smpp", "stopped", "route=%s submitted=%llu accepted=%llu failed=%llu", s->o.name,
             (unsigned long long)s->st.submitted, (unsigned long long)s->st.accepted,
             (unsigned long long)s->st.failed);
    report(s, NULL, false, "stopped", 0, 0);
}

void smpp_session_stop(struct smpp_session *s)
{
    if (s->stopping || s->freeing)
        return;
    s->stopping = true;
    s->stop_deadline_ms = session_now(s) + s->o.stop_timeout_ms;
    uv_timer_stop(&s->sendt);
    /* The tick finishes the job, so that stop may be called from a callback. */
    uv_timer_start(&s->tick, on_tick, 0, s->tick_ms);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct smpp_session *s = h->data;
    s->open--;
    maybe_release(s);
}

static void on_retry_closed(uv_handle_t *h)
{
    struct link *l = h->data;
    l->s->open--;
    maybe_release(l->s);
}

static void maybe_release(struct smpp_session *s)
{
    if (!s->freeing || s->open > 0)
        return;
    tx_release(s);
    rx_release(s);
    free(s->acks);
    free(s->scratch);
    free(s);
}

void smpp_session_free(struct smpp_session *s)
{
    if (!s || s->freeing)
        return;
    s->freeing = true;
    s->open++; /* held while closing, so that no callback releases s under us */
    uv_close((uv_handle_t *)&s->tick, on_timer_closed);
    uv_close((uv_handle_t *)&s->sendt, on_timer_closed);
    uv_close((uv_handle_t *)&s->ackt, on_timer_closed);
    for (unsigned i = 0; i < s->nlinks; i++) {
        struct link *l = &s->links[i];
        uv_close((uv_handle_t *)&l->retry, on_retry_closed);
        if (l->st == LINK_RESOLVING)
            uv_cancel((uv_req_t *)&l->gai);
        if (l->tcp && !uv_is_closing((uv_handle_t *)l->tcp))
            uv_close((uv_handle_t *)l->tcp, on_tcp_closed);
        if (l->conn)
            smpp_conn_abort(l->conn, 0);
    }
    s->open--;
    maybe_release(s);
}

void smpp_session_get_stats(const struct smpp_session *s, struct smpp_session_stats *out)
{
    *out = s->st;
    out->up = s->up;
    out->window_used = (uint32_t)s->window.n;
    out->queued = s->queue.n;
    out->tracked = s->nmsgs;
    out->held = smpp_keyset_count(&s->early);
}

bool smpp_session_is_up(const struct smpp_session *s)
{
    return s->up;
}

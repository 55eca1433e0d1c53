#include "smpp/smpp_sim.h"
#include "smpp/smpp_sim_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "phone/phone.h"
#include "smpp/smpp_conn.h"
#include "smpp/smpp_receipt.h"
#include "text/segment.h"
#include "core/banned.h"

#define SIM_SYSTEM_ID "relais-sim" /* what the simulator calls itself in bind responses */
#define NUMCACHE_SIZE (1u << 16)   /* remembered destinations, direct-mapped */
#define ESM_RECEIPT   0x04

enum { BIND_TX = 1, BIND_RX = 2 };
enum verdict { NUM_UNKNOWN = 0, NUM_MOBILE, NUM_INVALID, NUM_NOT_MOBILE };
enum ev_kind { EV_RECEIPT, EV_MO };

struct numcache_entry {
    char key[24]; /* TON digit then the address */
    uint8_t verdict;
};

struct sim_conn {
    struct smpp_sim *sim;
    struct smpp_conn *c;
    struct sim_conn *prev, *next;
    unsigned bound; /* BIND_TX | BIND_RX */
    bool closing;
    uint32_t seq;
    struct inflight_tab inflight; /* deliver_sm awaiting their resp */
};

struct smpp_sim {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t timer;
    uint64_t armed_due; /* UINT64_MAX: timer idle */
    int handles_open;
    bool stopping;
    smpp_sim_stopped_fn *done;
    void *done_ud;

    struct smpp_sim_opts o; /* strings below, not the caller's */
    char system_id[16], password[9];
    uint16_t port;
    struct sim_script script;
    struct numcache_entry *numcache;

    struct sim_conn *conns, *rr; /* rr: where the next delivery search starts */
    struct ev_heap heap;
    struct ev_ring ring;
    uint64_t rng, next_id, order;
    uint16_t mo_ref;
    uint64_t thr_start, thr_count; /* throttle: current second and submits in it */
    int64_t wall_base_ms;          /* wall clock = wall_base_ms + uv_now */
    int64_t date_minute;           /* cache of the last formatted date */
    char date_str[32];
    struct smpp_sim_stats stats;
};

/* Copies src, cut to fit cap octets with its NUL. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* --- random ----------------------------------------------------------------- */

static double rng_unit(struct smpp_sim *s)
{
    return (double)(sim_rng_next(&s->rng) >> 11) * 0x1.0p-53;
}

static int64_t rng_between(struct smpp_sim *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(sim_rng_next(&s->rng) % (uint64_t)(hi - lo + 1));
}

/* --- sending ---------------------------------------------------------------- */

static void send_pdu(struct sim_conn *sc, const struct smpp_pdu *p)
{
    int rc = smpp_conn_send(sc->c, p);
    if (rc && !sc->closing) {
        log_warn("sim", "send_failed", "command=%s status=%s", smpp_command_name(p->command_id),
                 rl_errname(rc));
        sc->closing = true;
        smpp_conn_abort(sc->c, rc);
    }
}

static void send_resp(struct sim_conn *sc, const struct smpp_pdu *req, uint32_t status)
{
    struct smpp_pdu r;
    smpp_pdu_init(&r, req->command_id | SMPP_RESP_BIT, req->sequence_number);
    r.command_status = status;
    /* Error responses go without a body, as the spec has it for submit_sm_resp. */
    r.no_body = status != 0 && req->command_id == SMPP_CMD_SUBMIT_SM;
    send_pdu(sc, &r);
}

static void send_nack(struct sim_conn *sc, uint32_t seq, uint32_t status)
{
    struct smpp_pdu r;
    smpp_pdu_init(&r, SMPP_CMD_GENERIC_NACK, seq);
    r.command_status = status;
    send_pdu(sc, &r);
}

static void format_id(const struct smpp_sim *s, uint64_t id, char out[SMPP_MESSAGE_ID_SIZE])
{
    if (s->o.id_format == SMPP_SIM_ID_DEC)
        snprintf(out, SMPP_MESSAGE_ID_SIZE, "%" PRIu64, id);
    else
        snprintf(out, SMPP_MESSAGE_ID_SIZE, "%" PRIX64, id);
}

static int64_t wall_seconds(const struct smpp_sim *s)
{
    return (s->wall_base_ms + (int64_t)uv_now(s->loop)) / 1000;
}

/* YYMMDDhhmm in UTC; one gmtime_r a minute, not one a receipt. */
static void format_date(struct smpp_sim *s, int64_t secs, char out[13])
{
    int64_t minute = secs / 60;
    if (minute != s->date_minute) {
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(s->date_str, sizeof(s->date_str), "%02d%02d%02d%02d%02d", tm.tm_year % 100,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
        s->date_minute = minute;
    }
    memcpy(out, s->date_str, 11);
}

static void init_deliver(struct sim_conn *sc, struct smpp_pdu *p, const struct sim_event *ev)
{
    if (++sc->seq > 0x7FFFFFFFu)
        sc->seq = 1;
    smpp_pdu_init(p, SMPP_CMD_DELIVER_SM, sc->seq);
    /* The phone speaks: the submit's destination becomes the source. */
    p->source_addr_ton = ev->dst_ton;
    p->source_addr_npi = ev->dst_npi;
    memcpy(p->source_addr, ev->dst, sizeof(ev->dst));
    p->dest_addr_ton = ev->src_ton;
    p->dest_addr_npi = ev->src_npi;
    memcpy(p->destination_addr, ev->src, sizeof(ev->src));
}

static void send_receipt(struct sim_conn *sc, const struct sim_event *in)
{
    struct smpp_sim *s = sc->sim;
    struct sim_event copy = *in, *ev = &copy;
    struct smpp_pdu p;
    struct smpp_receipt r;
    char id[SMPP_MESSAGE_ID_SIZE];
    if (!ev->done_time)
        ev->done_time = wall_seconds(s); /* kept, so that a resend is the same text */
    format_id(s, ev->msg_id, id);
    init_deliver(sc, &p, ev);
    p.esm_class = ESM_RECEIPT;
    bool failed = ev->state != SMPP_DLR_DELIVERED;
    if (s->o.receipt_form != SMPP_SIM_RECEIPT_TLV) {
        memset(&r, 0, sizeof(r));
        memcpy(r.id, id, sizeof(id));
        r.state = (enum smpp_dlr_state)ev->state;
        r.err = ev->err;
        r.sub = 1;
        r.dlvrd = failed ? 0 : 1;
        format_date(s, ev->submit_time, r.submit_date);
        format_date(s, ev->done_time, r.done_date);
        memcpy(r.text, ev->text, sizeof(ev->text));
        int n = smpp_receipt_format_text(&r, (char *)p.short_message, SMPP_SM_MAX);
        p.sm_length = n > 0 ? (uint8_t)n : 0;
    }
    if (s->o.receipt_form != SMPP_SIM_RECEIPT_TEXT) {
        smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, id);
        smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, ev->state);
        if (failed) {
            struct smpp_network_error ne = {3, ev->err};
            smpp_tlv_add_network_error_code(&p, &ne);
        }
    }
    send_pdu(sc, &p);
    if (!in->part)
        s->stats.receipts[ev->state]++;
    ev->part = 1;
    sim_inflight_put(&sc->inflight, p.sequence_number, ev);
}

/* The whole reply the first time (part 0); one part alone when resent. */
static void send_mo(struct sim_conn *sc, const struct sim_event *in)
{
    struct smpp_sim *s = sc->sim;
    struct sim_event ev = *in;
    char num[16];
    const char *text = sim_script_text(&s->script, &ev.reply, num);
    if (!ev.part)
        ev.ref = (uint8_t)++s->mo_ref;
    struct seg_opts so = {.ref_bits = 8, .pack = false, .ref = ev.ref};
    struct seg_msg m;
    if (seg_split(text, strlen(text), &so, &m, NULL) != 0)
        return; /* the script was checked at start: cannot happen */
    for (size_t i = 0; i < m.nparts; i++) {
        if (in->part && in->part != i + 1)
            continue;
        struct smpp_pdu p;
        init_deliver(sc, &p, &ev);
        p.esm_class = m.parts[i].udh_len ? SIM_ESM_UDHI : 0;
        p.data_coding = m.encoding == SEG_UCS2 ? 8 : 0;
        p.sm_length = (uint8_t)m.parts[i].len;
        memcpy(p.short_message, m.parts[i].data, m.parts[i].len);
        send_pdu(sc, &p);
        ev.part = (uint8_t)(i + 1);
        sim_inflight_put(&sc->inflight, p.sequence_number, &ev);
    }
    seg_msg_release(&m);
    if (!in->part)
        s->stats.mo_sent++;
}

/* A bound receiver with room in its window, round robin; NULL if none. */
static struct sim_conn *pick_receiver(struct smpp_sim *s)
{
    uint32_t window = s->o.window ? s->o.window : SMPP_SIM_WINDOW_DEFAULT;
    struct sim_conn *start = s->rr ? s->rr : s->conns;
    struct sim_conn *sc = start;
    if (!sc)
        return NULL;
    do {
        struct sim_conn *next = sc->next ? sc->next : s->conns;
        if ((sc->bound & BIND_RX) && !sc->closing && sc->inflight.n < window) {
            s->rr = next;
            return sc;
        }
        sc = next;
    } while (sc != start);
    return NULL;
}

static bool try_deliver(struct smpp_sim *s, const struct sim_event *ev)
{
    struct sim_conn *sc = pick_receiver(s);
    if (!sc)
        return false;
    if (ev->kind == EV_RECEIPT)
        send_receipt(sc, ev);
    else
        send_mo(sc, ev);
    return true;
}

static void drain_ring(struct smpp_sim *s)
{
    while (s->ring.len && try_deliver(s, sim_ring_front(&s->ring)))
        sim_ring_pop(&s->ring);
}

/* An event is due: send it now unless older ones are still waiting. */
static void dispatch(struct smpp_sim *s, const struct sim_event *ev)
{
    if (s->ring.len == 0 && try_deliver(s, ev))
        return;
    sim_ring_push(&s->ring, ev);
}

static void on_timer(uv_timer_t *t)
{
    struct smpp_sim *s = t->data;
    uint64_t now = uv_now(s->loop);
    struct sim_event ev;
    s->armed_due = UINT64_MAX;
    while (s->heap.n && s->heap.v[0].due <= now) {
        sim_heap_pop(&s->heap, &ev);
        dispatch(s, &ev);
    }
    if (s->heap.n) {
        s->armed_due = s->heap.v[0].due;
        uv_timer_start(&s->timer, on_timer, s->armed_due - now, 0);
    }
}

/* Into the heap, due later; the timer is moved up if it is the next one. */
static void push_timed(struct smpp_sim *s, struct sim_event *ev)
{
    ev->order = s->order++;
    sim_heap_push(&s->heap, ev);
    if (ev->due < s->armed_due) {
        s->armed_due = ev->due;
        uv_timer_start(&s->timer, on_timer, ev->due - uv_now(s->loop), 0);
    }
}

/* Delay 0 goes out now, in the same write as the submit_sm_resp. */
static void schedule(struct smpp_sim *s, struct sim_event *ev)
{
    if (s->heap.n + s->ring.len >= SMPP_SIM_QUEUE_MAX) {
        if (s->stats.receipts_dropped++ == 0)
            log_warn("sim", "queue_full", "max=%u", SMPP_SIM_QUEUE_MAX);
        return;
    }
    if (ev->due > uv_now(s->loop)) {
        push_timed(s, ev);
        return;
    }
    ev->order = s->order++;
    dispatch(s, ev);
}

/* --- resends ---------------------------------------------------------------- */

/* The connection closed with deliver_sm unanswered: back to the head of the
 * FIFO in the order sent, for the next receiver, as an SMSC redelivers what
 * was not acknowledged. Past SMPP_SIM_QUEUE_MAX too: they were held already.
 * Frees the table. */
static void requeue_inflight(struct smpp_sim *s, struct inflight_tab *t)
{
    if (t->n && !s->stopping) {
        s->stats.deliver_resent += sim_inflight_requeue(t, &s->ring);
        drain_ring(s); /* another receiver may be bound already */
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* A deliver_sm_resp with an error: the same deliver_sm again after a backoff,
 * SMPP_SIM_RETRY_MAX times at most, then dropped. Every status is taken as
 * temporary: an ESME that means "never" says it SMPP_SIM_RETRY_MAX times. */
static void retry_later(struct smpp_sim *s, struct sim_event *ev, uint32_t status)
{
    if (ev->tries >= SMPP_SIM_RETRY_MAX) {
        char id[SMPP_MESSAGE_ID_SIZE];
        format_id(s, ev->msg_id, id);
        s->stats.deliver_errors++;
        log_info("sim", "deliver_dropped", "kind=%s message_id=%s status=%s sent=%u",
                 ev->kind == EV_RECEIPT ? "receipt" : "reply", id, smpp_status_name(status),
                 ev->tries + 1u);
        return;
    }
    ev->due = uv_now(s->loop) + ((uint64_t)SMPP_SIM_RETRY_MS << ev->tries);
    ev->tries++;
    s->stats.deliver_retried++;
    push_timed(s, ev);
}

/* --- submit_sm ------------------------------------------------------------- */

static enum verdict check_number(struct smpp_sim *s, const struct smpp_pdu *p)
{
    if (s->o.no_number_check)
        return NUM_MOBILE;
    struct numcache_entry key;
    memset(&key, 0, sizeof(key));
    key.key[0] = (char)('0' + (p->dest_addr_ton & 7));
    copy_str(key.key + 1, sizeof(key.key) - 1, p->destination_addr);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = key.key; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    struct numcache_entry *slot = &s->numcache[h & (NUMCACHE_SIZE - 1)];
    if (slot->verdict != NUM_UNKNOWN && strcmp(slot->key, key.key) == 0)
        return (enum verdict)slot->verdict;

    char in[PHONE_INPUT_MAX];
    struct phone_info pi;
    int n = -1;
    if (p->dest_addr_ton == 1)
        n = snprintf(in, sizeof(in), "+%s", p->destination_addr);
    else if (p->dest_addr_ton == 0 || p->dest_addr_ton == 2)
        n = snprintf(in, sizeof(in), "%s", p->destination_addr);
    enum verdict v = NUM_INVALID;
    if (n > 0 && (size_t)n < sizeof(in) && phone_parse_typed(in, (size_t)n, "FR", &pi, NULL) == 0)
        v = phone_is_mobile_type(pi.type) ? NUM_MOBILE : NUM_NOT_MOBILE;
    key.verdict = (uint8_t)v;
    *slot = key;
    return v;
}

/* Decides what becomes of the message: state and error code into ev. */
static void decide_outcome(struct smpp_sim *s, const struct smpp_pdu *p, struct sim_event *ev)
{
    enum verdict v = check_number(s, p);
    if (v == NUM_INVALID || v == NUM_NOT_MOBILE) {
        ev->state = SMPP_DLR_UNDELIVERABLE;
        ev->err = v == NUM_INVALID ? 1 : 11;
        return;
    }
    if (rng_unit(s) < s->o.delivery_rate) {
        ev->state = SMPP_DLR_DELIVERED;
        ev->err = 0;
        return;
    }
    double f = rng_unit(s);
    if (f < 0.5) {
        ev->state = SMPP_DLR_UNDELIVERABLE;
        ev->err = f < 0.25 ? 1 : 32;
    } else if (f < 0.8) {
        ev->state = SMPP_DLR_EXPIRED;
        ev->err = 27;
    } else {
        ev->state = SMPP_DLR_REJECTED;
        ev->err = 13;
    }
}

void sim_user_data(const struct smpp_pdu *p, const uint8_t **ud, size_t *len)
{
    *ud = p->short_message;
    *len = p->sm_length;
    if (*len == 0)
        smpp_tlv_get_message_payload(p, ud, len);
}

/* Where the text starts after a UDH; false when it is part 2 or later. */
static bool first_part(const struct smpp_pdu *p, size_t *udh_len)
{
    const uint8_t *ud;
    size_t len;
    struct seg_concat cc = {0};
    uint8_t seqnum = 0;
    *udh_len = 0;
    sim_user_data(p, &ud, &len);
    if ((p->esm_class & SIM_ESM_UDHI) && seg_udh_parse(ud, len, udh_len, &cc) != 0)
        *udh_len = len;
    if (cc.present && cc.seq > 1)
        return false;
    return !(smpp_tlv_get_sar_segment_seqnum(p, &seqnum) == 0 && seqnum > 1);
}

/* The first characters for the receipt's text: field, when ASCII-compatible. */
static void receipt_text(const struct smpp_pdu *p, size_t udh_len, char out[21])
{
    const uint8_t *ud;
    size_t len, n = 0;
    sim_user_data(p, &ud, &len);
    if (p->data_coding == 0 || p->data_coding == 1 || p->data_coding == 3) {
        for (size_t i = udh_len; i < len && n < 20; i++)
            out[n++] = ud[i] >= 0x20 && ud[i] < 0x7F ? (char)ud[i] : '?';
    }
    out[n] = '\0';
}

/* Throttle: one budget of o.throttle accepted submit_sm per second. */
static bool throttled(struct smpp_sim *s)
{
    if (!s->o.throttle)
        return false;
    uint64_t now = uv_now(s->loop);
    if (now - s->thr_start >= 1000) {
        s->thr_start = now;
        s->thr_count = 0;
    }
    if (s->thr_count >= s->o.throttle)
        return true;
    s->thr_count++;
    return false;
}

static uint32_t draw_delay(struct smpp_sim *s)
{
    return (uint32_t)rng_between(s, s->o.receipt_delay_min_ms, s->o.receipt_delay_max_ms);
}

static void accept_submit(struct sim_conn *sc, const struct smpp_pdu *p)
{
    struct smpp_sim *s = sc->sim;
    struct smpp_pdu r;
    struct sim_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.msg_id = s->next_id++;
    smpp_pdu_init(&r, SMPP_CMD_SUBMIT_SM_RESP, p->sequence_number);
    format_id(s, ev.msg_id, r.message_id);
    send_pdu(sc, &r);
    s->stats.accepted++;

    ev.submit_time = wall_seconds(s);
    ev.src_ton = p->source_addr_ton;
    ev.src_npi = p->source_addr_npi;
    ev.dst_ton = p->dest_addr_ton;
    ev.dst_npi = p->dest_addr_npi;
    copy_str(ev.src, sizeof(ev.src), p->source_addr);
    copy_str(ev.dst, sizeof(ev.dst), p->destination_addr);
    decide_outcome(s, p, &ev);
    size_t udh_len = 0;
    bool first = first_part(p, &udh_len);
    unsigned rd = p->registered_delivery & 3;
    ev.due = uv_now(s->loop) + draw_delay(s);
    uint64_t receipt_due = ev.due;
    if (rd == 1 || rd == 3 || (rd == 2 && ev.state != SMPP_DLR_DELIVERED)) {
        receipt_text(p, udh_len, ev.text);
        ev.kind = EV_RECEIPT;
        schedule(s, &ev);
    }
    if (ev.state != SMPP_DLR_DELIVERED || !first || s->o.reply_rate <= 0 ||
        rng_unit(s) >= s->o.reply_rate)
        return;
    ev.kind = EV_MO;
    ev.due = receipt_due + draw_delay(s);
    if (sim_script_pick(&s->script, &s->rng, p, &ev.reply))
        schedule(s, &ev);
}

static void on_submit(struct sim_conn *sc, const struct smpp_pdu *p)
{
    struct smpp_sim *s = sc->sim;
    if (!(sc->bound & BIND_TX)) {
        send_resp(sc, p, SMPP_ESME_RINVBNDSTS);
        return;
    }
    s->stats.submits++;
    if (s->o.drop_every && s->stats.submits % s->o.drop_every == 0) {
        /* The fault to simulate: gone without an unbind, this submit unanswered.
         * What was answered before still leaves (flushed, then closed), as
         * from an SMSC that crashed after writing it. */
        log_info("sim", "dropping", "submits=%" PRIu64 " seq=%" PRIu32, s->stats.submits,
                 p->sequence_number);
        s->stats.drops++;
        sc->closing = true;
        smpp_conn_close(sc->c);
        return;
    }
    if (p->destination_addr[0] == '\0') {
        send_resp(sc, p, SMPP_ESME_RINVDSTADR);
        return;
    }
    if (throttled(s)) {
        s->stats.throttled++;
        send_resp(sc, p, SMPP_ESME_RTHROTTLED);
        return;
    }
    if (s->heap.n + s->ring.len + 2 > SMPP_SIM_QUEUE_MAX) {
        /* Refused rather than accepted with its receipt lost. */
        s->stats.queue_full++;
        send_resp(sc, p, SMPP_ESME_RMSGQFUL);
        return;
    }
    accept_submit(sc, p);
}

/* --- the other PDUs --------------------------------------------------------- */

static const char *bind_mode_name(unsigned mode)
{
    return mode == (BIND_TX | BIND_RX) ? "transceiver"
           : mode == BIND_TX           ? "transmitter"
                                       : "receiver";
}

static void on_bind(struct sim_conn *sc, const struct smpp_pdu *p, unsigned mode)
{
    struct smpp_sim *s = sc->sim;
    uint32_t status = 0;
    if (sc->bound)
        status = SMPP_ESME_RALYBND;
    else if (strcmp(p->system_id, s->system_id) != 0)
        status = SMPP_ESME_RINVSYSID;
    else if (s->password[0] && strcmp(p->password, s->password) != 0)
        status = SMPP_ESME_RINVPASWD;
    struct smpp_pdu r;
    smpp_pdu_init(&r, p->command_id | SMPP_RESP_BIT, p->sequence_number);
    r.command_status = status;
    snprintf(r.system_id, sizeof(r.system_id), "%s", SIM_SYSTEM_ID);
    if (status == 0)
        smpp_tlv_add_u8(&r, SMPP_TLV_SC_INTERFACE_VERSION, 0x34);
    send_pdu(sc, &r);
    if (status == SMPP_ESME_RALYBND)
        return;
    if (status) {
        s->stats.bind_failures++;
        /* The system_id is not a secret; the password is never logged. */
        log_warn("sim", "bind_refused", "system_id=%s mode=%s status=%s", p->system_id,
                 bind_mode_name(mode), smpp_status_name(status));
        return;
    }
    sc->bound = mode;
    s->stats.binds++;
    log_info("sim", "bound", "system_id=%s mode=%s", p->system_id, bind_mode_name(mode));
    if (mode & BIND_RX)
        drain_ring(s);
}

static void on_deliver_resp(struct sim_conn *sc, const struct smpp_pdu *p)
{
    struct smpp_sim *s = sc->sim;
    struct sim_event ev;
    s->stats.deliver_acked++;
    if (sim_inflight_take(&sc->inflight, p->sequence_number, &ev) && p->command_status)
        retry_later(s, &ev, p->command_status);
    drain_ring(s);
}

static void on_pdu(struct smpp_conn *c, const struct smpp_pdu *p)
{
    struct sim_conn *sc = smpp_conn_data(c);
    if (sc->closing)
        return;
    switch (p->command_id) {
    case SMPP_CMD_SUBMIT_SM:
        on_submit(sc, p);
        break;
    case SMPP_CMD_DELIVER_SM_RESP:
    case SMPP_CMD_GENERIC_NACK: /* we only send deliver_sm: it answers one */
        on_deliver_resp(sc, p);
        break;
    case SMPP_CMD_BIND_TRANSMITTER:
        on_bind(sc, p, BIND_TX);
        break;
    case SMPP_CMD_BIND_RECEIVER:
        on_bind(sc, p, BIND_RX);
        break;
    case SMPP_CMD_BIND_TRANSCEIVER:
        on_bind(sc, p, BIND_TX | BIND_RX);
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        send_resp(sc, p, 0);
        break;
    case SMPP_CMD_UNBIND:
        send_resp(sc, p, 0);
        sc->bound = 0;
        sc->closing = true;
        smpp_conn_close(c);
        break;
    default:
        if (!(p->command_id & SMPP_RESP_BIT))
            send_nack(sc, p->sequence_number, SMPP_ESME_RINVCMDID);
    }
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void on_bad_pdu(struct smpp_conn *c, const uint8_t *raw, size_t len,
                       const struct smpp_decode_err *e)
{
    struct sim_conn *sc = smpp_conn_data(c);
    sc->sim->stats.bad_pdus++;
    if (len < SMPP_HEADER_LEN || sc->closing)
        return;
    uint32_t cmd = be32(raw + 4), seq = be32(raw + 12);
    uint32_t reply = smpp_decode_err_reply_id(e, cmd);
    log_info("sim", "bad_pdu", "command=%s kind=%s field=%s", smpp_command_name(cmd),
             smpp_decode_kind_name(e->kind), e->field ? e->field : "");
    if (reply == 0)
        return;
    struct smpp_pdu r;
    smpp_pdu_init(&r, reply, seq);
    r.command_status = smpp_decode_err_status(e);
    r.no_body = true;
    send_pdu(sc, &r);
}

/* --- connections and lifecycle ------------------------------------------------ */

static void maybe_finish(struct smpp_sim *s);

static void on_conn_close(struct smpp_conn *c, int status)
{
    struct sim_conn *sc = smpp_conn_data(c);
    struct smpp_sim *s = sc->sim;
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        s->conns = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
    if (s->rr == sc)
        s->rr = sc->next;
    log_info("sim", "closed", "status=%s unacked=%zu", status ? rl_errname(status) : "ok",
             sc->inflight.n);
    requeue_inflight(s, &sc->inflight);
    free(sc);
    if (s->stopping)
        maybe_finish(s);
}

static const struct smpp_conn_cbs conn_cbs = {on_pdu, on_bad_pdu, on_conn_close};

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct smpp_sim *s = server->data;
    if (status < 0 || s->stopping)
        return;
    uv_tcp_t *t = xmalloc(sizeof(*t));
    uv_tcp_init(s->loop, t);
    if (uv_accept(server, (uv_stream_t *)t) != 0) {
        uv_close((uv_handle_t *)t, free_handle);
        return;
    }
    struct sim_conn *sc = xcalloc(1, sizeof(*sc));
    sc->sim = s;
    sc->next = s->conns;
    if (s->conns)
        s->conns->prev = sc;
    s->conns = sc;
    s->stats.connections++;
    sc->c = smpp_conn_new(t, 0, &conn_cbs, sc);
}

static void sim_free(struct smpp_sim *s)
{
    sim_script_release(&s->script);
    free(s->numcache);
    free(s->heap.v);
    free(s->ring.v);
    free(s);
}

static void maybe_finish(struct smpp_sim *s)
{
    if (s->handles_open > 0 || s->conns)
        return;
    if (s->done)
        s->done(&s->stats, s->done_ud);
    sim_free(s);
}

static void on_sim_handle_closed(uv_handle_t *h)
{
    struct smpp_sim *s = h->data;
    s->handles_open--;
    maybe_finish(s);
}

void smpp_sim_stop(struct smpp_sim *s, smpp_sim_stopped_fn *done, void *ud)
{
    if (!s || s->stopping)
        return;
    s->stopping = true;
    s->done = done;
    s->done_ud = ud;
    uv_close((uv_handle_t *)&s->listener, on_sim_handle_closed);
    uv_close((uv_handle_t *)&s->timer, on_sim_handle_closed);
    /* Abrupt on purpose: a peer that stopped reading must not hold the stop. */
    for (struct sim_conn *sc = s->conns; sc; sc = sc->next) {
        sc->closing = true;
        smpp_conn_abort(sc->c, 0);
    }
}

void smpp_sim_opts_init(struct smpp_sim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1";
    o->port = 2775;
    o->system_id = "relais";
    o->password = "relais";
    o->delivery_rate = 0.97;
    o->receipt_delay_min_ms = 200;
    o->receipt_delay_max_ms = 2000;
    o->reply_rate = 0.3;
    o->receipt_form = SMPP_SIM_RECEIPT_BOTH;
    o->id_format = SMPP_SIM_ID_HEX;
}

static int check_opts(const struct smpp_sim_opts *o, struct rl_err *err)
{
    if (!o->system_id || !*o->system_id || strlen(o->system_id) > 15)
        return rl_err_set(err, RL_EINVAL, "system_id", "system_id must be 1 to 15 characters");
    if (!o->password || strlen(o->password) > 8)
        return rl_err_set(err, RL_EINVAL, "password", "password must be at most 8 characters");
    if (!(o->delivery_rate >= 0 && o->delivery_rate <= 1))
        return rl_err_set(err, RL_EINVAL, "delivery_rate", "delivery_rate %g is not in 0..1",
                          o->delivery_rate);
    if (!(o->reply_rate >= 0 && o->reply_rate <= 1))
        return rl_err_set(err, RL_EINVAL, "reply_rate", "reply_rate %g is not in 0..1",
                          o->reply_rate);
    if (o->receipt_delay_min_ms > o->receipt_delay_max_ms)
        return rl_err_set(err, RL_EINVAL, "receipt_delay",
                          "receipt delay minimum %" PRIu32 " ms is above its maximum %" PRIu32
                          " ms",
                          o->receipt_delay_min_ms, o->receipt_delay_max_ms);
    if (o->receipt_form > SMPP_SIM_RECEIPT_BOTH || o->id_format > SMPP_SIM_ID_DEC)
        return rl_err_set(err, RL_EINVAL, "receipt_form", "unknown receipt form or id format");
    return 0;
}

static int64_t wall_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_on(struct smpp_sim *s, const char *addr, uint16_t port, struct rl_err *err)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rc = uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
    if (rc)
        rc = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss);
    if (rc)
        return rl_err_set(err, RL_EINVAL, "listen",
                          "listen address '%s' is not an IPv4 or IPv6 address", addr);
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
    if (rc)
        return rl_err_set(err, rc, "listen", "cannot listen on %s port %u: %s", addr, port,
                          uv_strerror(rc));
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int smpp_sim_start(uv_loop_t *loop, const struct smpp_sim_opts *o, struct smpp_sim **out,
                   struct rl_err *err)
{
    int rc = check_opts(o, err);
    if (rc)
        return rc;
    struct smpp_sim *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->o = *o;
    snprintf(s->system_id, sizeof(s->system_id), "%s", o->system_id);
    snprintf(s->password, sizeof(s->password), "%s", o->password);
    s->o.system_id = s->system_id;
    s->o.password = s->password;
    s->o.listen = NULL;
    s->o.reply_script = NULL;
    if ((rc = sim_script_parse(o->reply_script, o->reply_script_len, &s->script, err)) != 0) {
        free(s);
        return rc;
    }
    s->rng = o->seed ? o->seed : (uint64_t)wall_ms_now() ^ ((uint64_t)getpid() << 32);
    s->wall_base_ms = wall_ms_now() - (int64_t)uv_now(loop);
    s->next_id = o->first_id ? o->first_id : (uint64_t)(s->wall_base_ms / 1000) << 20;
    s->date_minute = -1;
    s->armed_due = UINT64_MAX;
    s->thr_start = uv_now(loop);
    if (!o->no_number_check)
        s->numcache = xcalloc(NUMCACHE_SIZE, sizeof(*s->numcache));
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->handles_open = 2;
    if ((rc = listen_on(s, o->listen ? o->listen : "127.0.0.1", o->port, err)) != 0) {
        /* Handles close on the loop's next run; the caller runs it to free s. */
        smpp_sim_stop(s, NULL, NULL);
        return rc;
    }
    *out = s;
    return 0;
}

uint16_t smpp_sim_port(const struct smpp_sim *s)
{
    return s->port;
}

void smpp_sim_stats(const struct smpp_sim *s, struct smpp_sim_stats *out)
{
    *out = s->stats;
}

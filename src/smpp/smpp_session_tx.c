/* The sending half of a session: messages split into parts, the queue, the
 * window (by sequence number), the throughput cap, throttling, timeouts, and
 * the table of accepted ids that receipts are matched against. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_session_int.h"
#include "text/segment.h"
#include "text/sender.h"
#include "core/banned.h"

#define ESM_UDHI 0x40
#define DC_UCS2  0x08

/* --- lists and tables ------------------------------------------------------ */

static void plist_remove(struct plist *l, struct part *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        l->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        l->tail = p->prev;
    p->prev = p->next = NULL;
    l->n--;
}

static void plist_push_back(struct plist *l, struct part *p)
{
    p->next = NULL;
    p->prev = l->tail;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->n++;
}

static void plist_push_front(struct plist *l, struct part *p)
{
    p->prev = NULL;
    p->next = l->head;
    if (l->head)
        l->head->prev = p;
    else
        l->tail = p;
    l->head = p;
    l->n++;
}

static void seq_insert(struct smpp_session *s, struct part *p)
{
    struct part **b = &s->seq_tab[p->seq & s->seq_mask];
    p->seq_next = *b;
    *b = p;
}

static struct part *seq_take(struct smpp_session *s, uint32_t seq)
{
    for (struct part **pp = &s->seq_tab[seq & s->seq_mask]; *pp; pp = &(*pp)->seq_next) {
        struct part *p = *pp;
        if (p->seq == seq) {
            *pp = p->seq_next;
            p->seq_next = NULL;
            return p;
        }
    }
    return NULL;
}

static size_t key_hash(const char *k)
{
    size_t h = 2166136261u;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 16777619u;
    return h;
}

static void id_grow(struct smpp_session *s)
{
    size_t n = (s->id_mask + 1) * 2;
    struct part **t = xcalloc(n, sizeof(*t));
    for (size_t i = 0; i <= s->id_mask; i++) {
        struct part *p = s->id_tab[i];
        while (p) {
            struct part *next = p->id_next;
            struct part **b = &t[key_hash(p->key) & (n - 1)];
            p->id_next = *b;
            *b = p;
            p = next;
        }
    }
    free(s->id_tab);
    s->id_tab = t;
    s->id_mask = n - 1;
}

static void id_insert(struct smpp_session *s, struct part *p)
{
    if (s->id_count > s->id_mask)
        id_grow(s);
    struct part **b = &s->id_tab[key_hash(p->key) & s->id_mask];
    p->id_next = *b;
    *b = p;
    s->id_count++;
}

static void id_remove(struct smpp_session *s, struct part *p)
{
    for (struct part **pp = &s->id_tab[key_hash(p->key) & s->id_mask]; *pp; pp = &(*pp)->id_next) {
        if (*pp == p) {
            *pp = p->id_next;
            s->id_count--;
            return;
        }
    }
}

struct part *session_id_find(struct smpp_session *s, const char *key)
{
    for (struct part *p = s->id_tab[key_hash(key) & s->id_mask]; p; p = p->id_next) {
        if (strcmp(p->key, key) == 0)
            return p;
    }
    return NULL;
}

void tx_init(struct smpp_session *s)
{
    size_t n = 16;
    while (n < (size_t)s->o.window * 2)
        n *= 2;
    s->seq_tab = xcalloc(n, sizeof(*s->seq_tab));
    s->seq_mask = n - 1;
    s->id_tab = xcalloc(64, sizeof(*s->id_tab));
    s->id_mask = 63;
}

/* --- messages ----------------------------------------------------------------- */

/* Forgets m; remember: its ids go to the duplicate filter (it is done, not
 * given up). */
static void msg_forget(struct smpp_session *s, struct msg *m, bool remember)
{
    for (unsigned i = 0; i < m->nparts; i++) {
        struct part *p = &m->parts[i];
        if (p->key[0] && m->registered && p->st >= PART_ACCEPTED) {
            id_remove(s, p);
            if (remember)
                rx_remember(s, p->key);
        }
    }
    if (m->prev)
        m->prev->next = m->next;
    else
        s->msgs_head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        s->msgs_tail = m->prev;
    s->nmsgs--;
    free(m->payload);
    free(m);
}

void tx_release(struct smpp_session *s)
{
    while (s->msgs_head)
        msg_forget(s, s->msgs_head, false);
    free(s->seq_tab);
    free(s->id_tab);
}

static enum smpp_msg_result aggregate(const struct msg *m, unsigned *delivered)
{
    unsigned n[OUT_UNKNOWN + 1] = {0};
    for (unsigned i = 0; i < m->nparts; i++)
        n[m->parts[i].out]++;
    *delivered = n[OUT_DELIVERED];
    if (n[OUT_DELIVERED] == m->nparts)
        return SMPP_MSG_DELIVERED;
    if (n[OUT_DELIVERED])
        return SMPP_MSG_PARTIALLY_DELIVERED;
    if (n[OUT_SUBMITTED] == m->nparts)
        return SMPP_MSG_SUBMITTED;
    if (n[OUT_EXPIRED] == m->nparts)
        return SMPP_MSG_EXPIRED;
    if (n[OUT_FAILED] || n[OUT_EXPIRED])
        return SMPP_MSG_FAILED;
    return SMPP_MSG_UNKNOWN;
}

void session_part_final(struct smpp_session *s, struct part *p, enum part_outcome out)
{
    struct msg *m = p->m;
    p->out = out;
    p->st = PART_DONE;
    if (++m->nfinal < m->nparts)
        return;
    unsigned delivered = 0;
    enum smpp_msg_result r = aggregate(m, &delivered);
    log_debug("smpp", "message_done", "route=%s ref=%llu result=%s delivered=%u parts=%u",
              s->o.name, (unsigned long long)m->ref, smpp_msg_result_name(r), delivered, m->nparts);
    if (s->cbs.on_message_done)
        s->cbs.on_message_done(s->ud, m->ref, r, delivered, m->nparts);
    msg_forget(s, m, true);
}

/* --- building submit_sm ------------------------------------------------------- */

static void build_submit(const struct part *p, struct smpp_pdu *pdu)
{
    const struct msg *m = p->m;
    smpp_pdu_init(pdu, SMPP_CMD_SUBMIT_SM, 0);
    pdu->source_addr_ton = m->src_ton;
    pdu->source_addr_npi = m->src_npi;
    snprintf(pdu->source_addr, sizeof(pdu->source_addr), "%s", m->from);
    pdu->dest_addr_ton = m->dst_ton;
    pdu->dest_addr_npi = m->dst_npi;
    snprintf(pdu->destination_addr, sizeof(pdu->destination_addr), "%s", m->to);
    pdu->esm_class = m->esm;
    pdu->registered_delivery = m->registered;
    pdu->data_coding = m->dc;
    snprintf(pdu->validity_period, sizeof(pdu->validity_period), "%s", m->validity);
    pdu->sm_length = p->len;
    memcpy(pdu->short_message, p->data, p->len);
    if (m->mode == SMPP_LONG_SAR) {
        smpp_tlv_add_u16(pdu, SMPP_TLV_SAR_MSG_REF_NUM, m->sar_ref);
        smpp_tlv_add_u8(pdu, SMPP_TLV_SAR_TOTAL_SEGMENTS, (uint8_t)m->nparts);
        smpp_tlv_add_u8(pdu, SMPP_TLV_SAR_SEGMENT_SEQNUM, (uint8_t)(p->idx + 1));
    } else if (m->mode == SMPP_LONG_PAYLOAD) {
        smpp_tlv_add(pdu, SMPP_TLV_MESSAGE_PAYLOAD, m->payload, m->payload_len);
    }
}

/* Destination: an optional '+', then 1 to 20 digits. */
static int check_to(const char *to, struct msg *m, const struct smpp_route_opts *o,
                    struct rl_err *err)
{
    const char *d = to[0] == '+' ? to + 1 : to;
    size_t n = strlen(d);
    bool digits = n > 0 && n <= 20;
    for (size_t i = 0; digits && i < n; i++)
        digits = d[i] >= '0' && d[i] <= '9';
    if (!digits)
        return rl_err_set(err, RL_EINVAL, "to",
                          "destination '%.32s' is not a number ('+' then 1 to 20 digits)", to);
    snprintf(m->to, sizeof(m->to), "%s", d);
    m->dst_ton = to[0] == '+' ? 1 : o->dest_ton;
    m->dst_npi = to[0] == '+' ? 1 : o->dest_npi;
    return 0;
}

static int address(struct msg *m, const char *from, const char *to, const struct smpp_route_opts *o,
                   struct rl_err *err)
{
    struct sender_info si;
    int rc = sender_check(from, strlen(from), &si, err);
    if (rc)
        return rc;
    snprintf(m->from, sizeof(m->from), "%s", si.addr);
    if (si.kind == SENDER_ALPHANUMERIC) {
        m->src_ton = 5;
        m->src_npi = 0;
    } else {
        m->src_ton = si.plus ? 1 : o->numeric_ton;
        m->src_npi = si.plus ? 1 : o->numeric_npi;
    }
    return check_to(to, m, o, err);
}

/* The parts of sm as the route's long_mode sends them. Returns the new message. */
static struct msg *msg_from_split(const struct seg_msg *sm, enum smpp_long_mode mode)
{
    bool multi = sm->nparts > 1;
    unsigned n = multi && mode == SMPP_LONG_PAYLOAD ? 1 : (unsigned)sm->nparts;
    struct msg *m = xcalloc(1, sizeof(*m) + n * sizeof(struct part));
    m->nparts = n;
    m->mode = multi ? mode : SMPP_LONG_UDH;
    m->esm = multi && mode == SMPP_LONG_UDH ? ESM_UDHI : 0;
    if (multi && mode == SMPP_LONG_PAYLOAD) {
        m->payload = xmalloc(sm->nparts * 160);
        for (size_t i = 0; i < sm->nparts; i++) {
            const struct seg_part *sp = &sm->parts[i];
            memcpy(m->payload + m->payload_len, sp->data + sp->udh_len, sp->len - sp->udh_len);
            m->payload_len += sp->len - sp->udh_len;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        struct part *p = &m->parts[i];
        const struct seg_part *sp = &sm->parts[i];
        size_t skip = m->mode == SMPP_LONG_SAR ? sp->udh_len : 0;
        p->m = m;
        p->idx = i;
        p->attempts = 1;
        if (m->payload)
            continue;
        p->len = (uint8_t)(sp->len - skip);
        memcpy(p->data, sp->data + skip, p->len);
    }
    return m;
}

/* Makes room in the receipt table by forgetting the oldest message every part
 * of which is answered; its later receipts come unmatched (msg_ref 0). */
static bool make_room(struct smpp_session *s)
{
    if (s->nmsgs < s->o.track_max) {
        /* One line when a full episode starts and one when it ends (below
         * 90 %, so that a table hovering at the cap does not flap), not one
         * per message: under a burst every submit forgets one. */
        if (s->tracking_full && s->nmsgs < s->o.track_max / 10 * 9) {
            s->tracking_full = false;
            log_info("smpp", "receipt_tracking_ok", "route=%s tracked=%zu forgotten=%llu",
                     s->o.name, s->nmsgs, (unsigned long long)s->st.forgotten);
        }
        return true;
    }
    for (struct msg *m = s->msgs_head; m; m = m->next) {
        if (m->nanswered == m->nparts) {
            if (!s->tracking_full) {
                s->tracking_full = true;
                log_warn("smpp", "receipt_tracking_full",
                         "route=%s track_max=%zu: the oldest answered messages are forgotten, "
                         "their receipts matched by the store",
                         s->o.name, s->o.track_max);
            }
            s->st.forgotten++;
            msg_forget(s, m, false);
            return true;
        }
    }
    return false;
}

static int split(struct smpp_session *s, const char *text, struct seg_msg *sm, struct rl_err *err)
{
    struct seg_opts so = {.ref_bits = s->o.concat_ref_bits == 16 ? 16 : 8,
                          .max_parts = s->o.max_parts,
                          .pack = false,
                          .ref = s->next_ref};
    return seg_split(text, strlen(text), &so, sm, err);
}

/* Encodes each part once now, so that a part that cannot be sent is refused
 * here rather than failing later, from inside the pump. */
static int check_encodes(struct smpp_session *s, struct msg *m, struct rl_err *err)
{
    for (unsigned i = 0; i < m->nparts; i++) {
        struct smpp_pdu pdu;
        size_t n = 0;
        build_submit(&m->parts[i], &pdu);
        int rc = smpp_pdu_encode(&pdu, s->scratch, SMPP_MAX_PDU_DEFAULT, &n, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The message-wide fields of m: addresses checked into probe, coding, options. */
static void fill(struct smpp_session *s, struct msg *m, const struct msg *probe,
                 const struct seg_msg *sm, uint64_t msg_ref, const struct smpp_submit_opts *o)
{
    memcpy(m->from, probe->from, sizeof(m->from));
    memcpy(m->to, probe->to, sizeof(m->to));
    m->src_ton = probe->src_ton, m->src_npi = probe->src_npi;
    m->dst_ton = probe->dst_ton, m->dst_npi = probe->dst_npi;
    m->ref = msg_ref;
    m->sar_ref = s->next_ref++;
    m->dc = sm->encoding == SEG_UCS2 ? DC_UCS2 : s->o.data_coding_gsm;
    m->registered =
        o && o->registered_delivery >= 0 ? o->registered_delivery != 0 : s->o.registered_delivery;
    if (o)
        snprintf(m->validity, sizeof(m->validity), "%s", o->validity_period);
}

int smpp_session_submit(struct smpp_session *s, uint64_t msg_ref, const char *from, const char *to,
                        const char *text_utf8, const struct smpp_submit_opts *o, struct rl_err *err)
{
    struct seg_msg sm = {0};
    struct msg probe = {0};
    struct msg *m = NULL;
    int rc;
    if (s->stopping || s->freeing)
        return rl_err_set(err, -ESHUTDOWN, "route", "route %s is stopping", s->o.name);
    if (msg_ref == 0)
        return rl_err_set(err, RL_EINVAL, "msg_ref", "msg_ref 0 is reserved");
    if ((rc = address(&probe, from, to, &s->o, err)) != 0)
        return rc;
    if ((rc = split(s, text_utf8, &sm, err)) != 0)
        goto out;
    m = msg_from_split(&sm, s->o.long_mode);
    rc = -EAGAIN;
    if (s->queue.n + m->nparts > s->o.queue_max || !make_room(s)) {
        rl_err_set(err, rc, "route", "route %s queue is full (%zu parts)", s->o.name, s->queue.n);
        goto out;
    }
    fill(s, m, &probe, &sm, msg_ref, o);
    if ((rc = check_encodes(s, m, err)) != 0)
        goto out;
    m->created_ms = session_now(s);
    m->prev = s->msgs_tail;
    if (s->msgs_tail)
        s->msgs_tail->next = m;
    else
        s->msgs_head = m;
    s->msgs_tail = m;
    s->nmsgs++;
    for (unsigned i = 0; i < m->nparts; i++)
        plist_push_back(&s->queue, &m->parts[i]);
    rc = (int)m->nparts;
    m = NULL;
    tx_pump(s);
out:
    if (m) {
        free(m->payload);
        free(m);
    }
    seg_msg_release(&sm);
    return rc;
}

/* --- the window ----------------------------------------------------------------- */

static void on_send_timer(uv_timer_t *t)
{
    tx_pump(t->data);
}

void tx_pump(struct smpp_session *s)
{
    struct link *l = &s->links[0];
    if (s->stopping || s->freeing || l->st != LINK_BOUND)
        return;
    uint64_t now = session_now(s);
    while (s->queue.n && s->window.n < s->o.window) {
        uint64_t wait = 0;
        if (now < s->paused_until_ms)
            wait = s->paused_until_ms - now;
        else if (!smpp_rate_take(&s->rate, now))
            wait = smpp_rate_wait_ms(&s->rate, now);
        if (wait) {
            uv_timer_start(&s->sendt, on_send_timer, wait ? wait : 1, 0);
            return;
        }
        struct part *p = s->queue.head;
        struct smpp_pdu pdu;
        build_submit(p, &pdu);
        int rc = link_send(l, &pdu);
        if (rc) {
            log_warn("smpp", "submit_not_sent", "route=%s err=%s", s->o.name, rl_errname(rc));
            return;
        }
        plist_remove(&s->queue, p);
        p->st = PART_INFLIGHT;
        p->seq = pdu.sequence_number;
        p->sent_ms = now;
        p->sent_ns = uv_hrtime();
        plist_push_back(&s->window, p);
        seq_insert(s, p);
        s->st.submitted++;
    }
}

static void throttled(struct smpp_session *s, struct part *p, uint32_t status)
{
    uint64_t now = session_now(s);
    s->st.throttled++;
    if (s->cbs.on_throttled)
        s->cbs.on_throttled(s->ud, p->m->ref, p->idx, status);
    p->st = PART_QUEUED;
    plist_push_front(&s->queue, p);
    /* One pause per episode: the rest of the window answering 0x58 too must
     * not double it ten times over. */
    if (now < s->paused_until_ms)
        return;
    uint64_t wait = smpp_backoff_next(&s->throttle, smpp_rand_next(&s->rnd));
    s->paused_until_ms = now + wait;
    log_warn("smpp", "throttled", "route=%s status=%s pause_ms=%llu queued=%zu", s->o.name,
             smpp_status_name(status), (unsigned long long)wait, s->queue.n);
}

static void accepted(struct smpp_session *s, struct part *p, const char *message_id)
{
    struct msg *m = p->m;
    s->st.accepted++;
    m->nanswered++;
    smpp_backoff_reset(&s->throttle);
    rx_key(s, message_id, false, p->key);
    if (s->cbs.on_accepted)
        s->cbs.on_accepted(s->ud, m->ref, p->idx, message_id, p->attempts);
    if (!m->registered || !p->key[0]) {
        session_part_final(s, p, m->registered ? OUT_UNKNOWN : OUT_SUBMITTED);
        return;
    }
    p->st = PART_ACCEPTED;
    id_insert(s, p);
    rx_match_early(s, p);
}

void tx_on_resp(struct smpp_session *s, uint32_t seq, uint32_t status, const char *message_id)
{
    struct part *p = seq_take(s, seq);
    if (!p) {
        log_debug("smpp", "late_resp", "route=%s seq=%u status=%s", s->o.name, seq,
                  smpp_status_name(status));
        return;
    }
    plist_remove(&s->window, p);
    hist_record_us(&s->st.resp_latency, (int64_t)((uv_hrtime() - p->sent_ns) / 1000));
    if (status == SMPP_ESME_ROK) {
        accepted(s, p, message_id);
    } else if (status == SMPP_ESME_RTHROTTLED || status == SMPP_ESME_RMSGQFUL) {
        throttled(s, p, status);
    } else {
        s->st.failed++;
        p->m->nanswered++;
        log_info("smpp", "submit_refused", "route=%s ref=%llu part=%u status=%s", s->o.name,
                 (unsigned long long)p->m->ref, p->idx + 1, smpp_status_name(status));
        if (s->cbs.on_failed)
            s->cbs.on_failed(s->ud, p->m->ref, p->idx, status, SMPP_FAIL_PERMANENT);
        session_part_final(s, p, OUT_FAILED);
    }
    tx_pump(s);
}

void tx_requeue_window(struct smpp_session *s)
{
    struct part *p;
    while ((p = s->window.tail) != NULL) {
        plist_remove(&s->window, p);
        seq_take(s, p->seq);
        p->st = PART_QUEUED;
        p->attempts++;
        s->st.resubmitted++;
        plist_push_front(&s->queue, p);
    }
}

static void timed_out(struct smpp_session *s, struct part *p)
{
    plist_remove(&s->window, p);
    seq_take(s, p->seq);
    s->st.timeouts++;
    log_warn("smpp", "submit_timeout", "route=%s ref=%llu part=%u seq=%u policy=%s", s->o.name,
             (unsigned long long)p->m->ref, p->idx + 1, p->seq,
             s->o.on_submit_timeout == SMPP_TIMEOUT_RESUBMIT ? "resubmit" : "unknown");
    if (s->o.on_submit_timeout == SMPP_TIMEOUT_RESUBMIT) {
        p->st = PART_QUEUED;
        p->attempts++;
        s->st.resubmitted++;
        plist_push_front(&s->queue, p);
        return;
    }
    p->m->nanswered++;
    if (s->cbs.on_failed)
        s->cbs.on_failed(s->ud, p->m->ref, p->idx, 0, SMPP_FAIL_UNKNOWN);
    session_part_final(s, p, OUT_UNKNOWN);
}

/* Parts accepted long ago whose receipt never came: their outcome is unknown. */
static void receipts_overdue(struct smpp_session *s, uint64_t now)
{
    struct msg *m = s->msgs_head;
    while (m && m->created_ms + s->o.receipt_wait_ms <= now) {
        struct msg *next = m->next;
        if (m->nanswered == m->nparts) {
            unsigned left = m->nparts - m->nfinal;
            for (unsigned i = 0; left && i < m->nparts; i++) {
                if (m->parts[i].st == PART_DONE)
                    continue;
                left--; /* the last one frees m */
                session_part_final(s, &m->parts[i], OUT_UNKNOWN);
            }
        }
        m = next;
    }
}

void tx_sweep(struct smpp_session *s, uint64_t now)
{
    bool freed = false;
    struct part *p;
    while ((p = s->window.head) != NULL && p->sent_ms + s->o.submit_timeout_ms <= now) {
        timed_out(s, p);
        freed = true;
    }
    receipts_overdue(s, now);
    if (freed)
        tx_pump(s);
}

void tx_fail_unanswered(struct smpp_session *s)
{
    struct part *p;
    tx_requeue_window(s);
    while ((p = s->queue.head) != NULL) {
        plist_remove(&s->queue, p);
        p->m->nanswered++;
        if (s->cbs.on_failed)
            s->cbs.on_failed(s->ud, p->m->ref, p->idx, 0, SMPP_FAIL_STOPPED);
        session_part_final(s, p, OUT_UNKNOWN);
    }
}

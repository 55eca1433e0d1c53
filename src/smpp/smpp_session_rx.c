/* The receiving half of a session: delivery receipts matched to parts
 * (reported at once when they overtake their submit_sm_resp, ignored when
 * repeated), inbound
 * messages through smpp_reasm. Every deliver_sm is answered after the
 * callbacks return, so that a caller that stores first acknowledges only what
 * it has kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "smpp/smpp_reasm.h"
#include "smpp/smpp_session_int.h"
#include "core/banned.h"

#define RECENT_KEYS 4096

void rx_init(struct smpp_session *s)
{
    struct smpp_reasm_opts ro = {.timeout_ms = s->o.mo_timeout_ms};
    s->reasm = smpp_reasm_new(&ro);
    smpp_keyset_init(&s->early, s->o.held_max ? s->o.held_max : 1);
    smpp_keyset_init(&s->recent, RECENT_KEYS);
}

void rx_release(struct smpp_session *s)
{
    smpp_reasm_free(s->reasm);
    smpp_keyset_release(&s->early);
    smpp_keyset_release(&s->recent);
}

void rx_key(const struct smpp_session *s, const char *id, bool is_receipt,
            char out[SMPP_MESSAGE_ID_SIZE])
{
    /* An id that is no number in the expected base is compared as written. */
    if (smpp_id_key(id, s->o.id_mode, is_receipt, out) != 0)
        snprintf(out, SMPP_MESSAGE_ID_SIZE, "%s", id);
}

void rx_remember(struct smpp_session *s, const char *key)
{
    smpp_keyset_add(&s->recent, key, 0, 0);
}

static enum part_outcome outcome(enum smpp_dlr_state st)
{
    switch (st) {
    case SMPP_DLR_DELIVERED:
        return OUT_DELIVERED;
    case SMPP_DLR_EXPIRED:
        return OUT_EXPIRED;
    case SMPP_DLR_DELETED:
    case SMPP_DLR_UNDELIVERABLE:
    case SMPP_DLR_REJECTED:
        return OUT_FAILED;
    default:
        return OUT_UNKNOWN;
    }
}

static void apply(struct smpp_session *s, struct part *p, const struct smpp_receipt *r)
{
    if (p->st == PART_DONE || (uint8_t)r->state == p->dlr) {
        s->st.receipts_duplicate++;
        return;
    }
    p->dlr = (uint8_t)r->state;
    log_debug("smpp", "receipt", "route=%s ref=%llu part=%u id=%s state=%s", s->o.name,
              (unsigned long long)p->m->ref, p->idx + 1, r->id, smpp_dlr_state_name(r->state));
    if (smpp_dlr_state_final(r->state))
        hist_record_us(&s->st.receipt_latency, (int64_t)((uv_hrtime() - p->sent_ns) / 1000));
    if (s->cbs.on_receipt)
        s->cbs.on_receipt(s->ud, p->m->ref, p->idx, p->m->nparts, r);
    if (smpp_dlr_state_final(r->state))
        session_part_final(s, p, outcome(r->state));
}

/* A receipt for no part this session knows: one that overtook its
 * submit_sm_resp, or one for a message sent before a restart or forgotten
 * for room. It goes to the caller at once, with msg_ref 0, so that it is
 * stored before its deliver_sm_resp leaves (the store keeps it until the
 * part's id is known); its state is also kept a while, so that a part
 * accepted later under that id is finished here without a second report.
 * Debug, not info: under load most receipts may come this way. */
static void unmatched(struct smpp_session *s, const char *key, const struct smpp_receipt *r)
{
    s->st.receipts_unmatched++;
    log_debug("smpp", "receipt_unmatched", "route=%s id=%s state=%s", s->o.name, r->id,
              smpp_dlr_state_name(r->state));
    smpp_keyset_add(&s->early, key, (uint8_t)r->state, session_now(s));
    if (s->cbs.on_receipt)
        s->cbs.on_receipt(s->ud, 0, 0, 0, r);
}

void rx_match_early(struct smpp_session *s, struct part *p)
{
    const struct smpp_keyset_entry *e = smpp_keyset_find(&s->early, p->key);
    if (!e)
        return;
    enum smpp_dlr_state st = (enum smpp_dlr_state)e->value;
    smpp_keyset_remove(&s->early, p->key);
    p->dlr = (uint8_t)st;
    if (smpp_dlr_state_final(st))
        session_part_final(s, p, outcome(st));
}

static void on_receipt_pdu(struct smpp_session *s, const struct smpp_pdu *p)
{
    struct smpp_receipt r;
    struct rl_err e = {0};
    if (smpp_receipt_parse(p, &r, &e) != 0) {
        log_warn("smpp", "receipt_unreadable", "route=%s source=%s error=\"%s\"", s->o.name,
                 p->source_addr, e.msg);
        return;
    }
    s->st.receipts++;
    char key[SMPP_MESSAGE_ID_SIZE];
    rx_key(s, r.id, true, key);
    struct part *pt = session_id_find(s, key);
    if (pt)
        apply(s, pt, &r);
    else if (smpp_keyset_find(&s->recent, key))
        s->st.receipts_duplicate++;
    else
        unmatched(s, key, &r);
}

static void inbound(struct smpp_session *s, struct smpp_mo *mo)
{
    s->st.inbound++;
    log_info("smpp", "inbound", "route=%s from=%s to=%s parts=%u received=%u incomplete=%d",
             s->o.name, mo->source_addr, mo->destination_addr, mo->parts, mo->received,
             mo->incomplete);
    if (s->cbs.on_inbound)
        s->cbs.on_inbound(s->ud, mo);
    smpp_mo_release(mo);
}

static void drain_reasm(struct smpp_session *s, uint64_t now)
{
    struct smpp_mo mo;
    struct rl_err e = {0};
    int rc;
    while ((rc = smpp_reasm_expire(s->reasm, now, &mo, &e)) != 0) {
        if (rc == 1)
            inbound(s, &mo);
        else
            log_warn("smpp", "inbound_dropped", "route=%s error=\"%s\"", s->o.name, e.msg);
    }
}

static void on_mo_pdu(struct smpp_session *s, const struct smpp_pdu *p)
{
    struct smpp_mo mo;
    struct rl_err e = {0};
    uint64_t now = session_now(s);
    int rc = smpp_reasm_add(s->reasm, p, now, &mo, &e);
    if (rc == 1)
        inbound(s, &mo);
    else if (rc < 0)
        log_warn("smpp", "inbound_unreadable", "route=%s from=%s error=\"%s\"", s->o.name,
                 p->source_addr, e.msg);
    drain_reasm(s, now);
}

/* Sends the held resps the caller's tickets up to done cover: a prefix of
 * the array, whose tickets never decrease. A resp whose connection has gone
 * meanwhile is dropped: the SMSC sends that deliver_sm again. */
void smpp_session_acks_release(struct smpp_session *s, uint64_t done)
{
    size_t i = 0;
    for (; i < s->nacks && s->acks[i].ticket <= done; i++) {
        const struct held_ack *a = &s->acks[i];
        struct link *l = &s->links[a->link];
        if (l->conn && l->gen == a->gen) {
            struct smpp_pdu r;
            smpp_pdu_init(&r, a->cmd, a->seq);
            link_send(l, &r);
        }
    }
    if (i == 0)
        return; /* acks may be NULL: nothing was ever held */
    memmove(s->acks, s->acks + i, (s->nacks - i) * sizeof(*s->acks));
    s->nacks -= i;
}

/* The end of an iteration that received deliver_sm: the caller starts making
 * them durable, and they are answered once it says they are. */
static void on_acks(uv_idle_t *h)
{
    struct smpp_session *s = h->data;
    uv_idle_stop(h);
    if (s->freeing)
        return;
    uint64_t ticket = s->cbs.on_ack_barrier(s->ud);
    for (size_t i = 0; i < s->nacks; i++)
        if (s->acks[i].ticket == ACK_UNASKED)
            s->acks[i].ticket = ticket;
    /* 0: everything handed over so far is durable, earlier tickets included. */
    if (ticket == 0)
        smpp_session_acks_release(s, ACK_UNASKED - 1);
}

static void hold_ack(struct link *l, uint32_t cmd, uint32_t seq)
{
    struct smpp_session *s = l->s;
    if (s->nacks == s->acks_cap) {
        s->acks_cap = s->acks_cap ? 2 * s->acks_cap : 64;
        s->acks = xrealloc(s->acks, s->acks_cap * sizeof(*s->acks));
    }
    s->acks[s->nacks++] =
        (struct held_ack){(uint32_t)(l - s->links), l->gen, seq, cmd, ACK_UNASKED};
    uv_idle_start(&s->ackt, on_acks);
}

void rx_on_deliver(struct link *l, const struct smpp_pdu *p)
{
    struct smpp_session *s = l->s;
    if (smpp_is_receipt(p))
        on_receipt_pdu(s, p);
    else
        on_mo_pdu(s, p);
    if (s->freeing)
        return;
    if (s->cbs.on_ack_barrier) {
        hold_ack(l, p->command_id | SMPP_RESP_BIT, p->sequence_number);
        return;
    }
    struct smpp_pdu r;
    smpp_pdu_init(&r, p->command_id | SMPP_RESP_BIT, p->sequence_number);
    link_send(l, &r);
}

void rx_sweep(struct smpp_session *s, uint64_t now)
{
    if (now > s->o.held_ms)
        smpp_keyset_expire(&s->early, now - s->o.held_ms);
    drain_reasm(s, now);
}

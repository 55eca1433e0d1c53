#include "smpp/smpp_reasm.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "text/gsm7.h"
#include "text/segment.h"

#include "core/banned.h"

#define DEFAULT_TIMEOUT_MS  60000u
#define DEFAULT_MAX_PENDING 10000u
#define DEFAULT_MAX_BYTES   (16u * 1024 * 1024)
#define MAX_BUCKETS         (1u << 20)
#define ESM_UDHI            0x40
/* UTF-8 octets per stored octet at worst: a packed octet holds 8/7 septets of
 * up to 3 octets each (4 covers it), Latin-1 needs 2, UCS-2 3 per 2. */
#define UTF8_PER_OCTET 4

/* One part as stored: its text units with the UDH removed and GSM unpacked,
 * one septet per octet, so that parts join as one stream whatever their
 * packing, and an escape or a surrogate pair split across two parts still
 * decodes. */
struct part {
    uint8_t *units; /* owned; NULL while the part has not arrived */
    size_t len;
    enum seg_coding coding; /* SEG_CODING_GSM7, _LATIN1 or _UCS2 */
};

/* A message waiting for parts: in a hash chain by key, and in a list by age
 * (first part first), which is also timeout order since the clock only moves
 * forward. */
struct pending {
    struct pending *hnext;
    struct pending *older, *newer;
    uint32_t hash;
    enum smpp_mo_concat concat;
    uint16_t ref;
    uint8_t total, nhave;
    size_t bytes;
    struct smpp_mo meta; /* header fields of the first part; no text */
    struct part parts[];
};

struct smpp_reasm {
    struct smpp_reasm_opts o;
    struct pending **buckets;
    size_t nbuckets; /* a power of two */
    struct pending *oldest, *newest;
    size_t npending, bytes;
    struct pending *evicted, *evicted_tail; /* out of the table, to hand back; by hnext */
};

/* What a PDU says about its place in a message. */
struct place {
    enum smpp_mo_concat concat;
    uint16_t ref;
    uint8_t total, seq;
    size_t udh_len;
};

void smpp_mo_release(struct smpp_mo *mo)
{
    free(mo->text);
    memset(mo, 0, sizeof(*mo));
}

struct smpp_reasm *smpp_reasm_new(const struct smpp_reasm_opts *o)
{
    struct smpp_reasm *r = xcalloc(1, sizeof(*r));
    if (o)
        r->o = *o;
    if (!r->o.timeout_ms)
        r->o.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!r->o.max_pending)
        r->o.max_pending = DEFAULT_MAX_PENDING;
    if (!r->o.max_bytes)
        r->o.max_bytes = DEFAULT_MAX_BYTES;
    r->nbuckets = 16;
    while (r->nbuckets < r->o.max_pending && r->nbuckets < MAX_BUCKETS)
        r->nbuckets *= 2;
    r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
    return r;
}

static void pending_free(struct pending *pd)
{
    for (unsigned i = 0; i < pd->total; i++)
        free(pd->parts[i].units);
    free(pd);
}

void smpp_reasm_free(struct smpp_reasm *r)
{
    if (!r)
        return;
    for (struct pending *pd = r->oldest, *next; pd; pd = next) {
        next = pd->newer;
        pending_free(pd);
    }
    for (struct pending *pd = r->evicted, *next; pd; pd = next) {
        next = pd->hnext;
        pending_free(pd);
    }
    free(r->buckets);
    free(r);
}

size_t smpp_reasm_pending(const struct smpp_reasm *r)
{
    return r->npending;
}

size_t smpp_reasm_bytes(const struct smpp_reasm *r)
{
    return r->bytes;
}

/* --- decoding --------------------------------------------------------------- */

/* SMPP 3.4 §5.2.19 data_coding, and TS 23.038 coding group 1111 (message
 * class, bit 2 clear: default alphabet) which SMSCs pass through for flash
 * messages. */
static int coding_of(uint8_t dc, bool packed, enum seg_coding *c, struct rl_err *err)
{
    if (dc == 0x00 || (dc >= 0xF0 && dc <= 0xF3))
        *c = packed ? SEG_CODING_GSM7_PACKED : SEG_CODING_GSM7;
    else if (dc == 0x01 || dc == 0x03)
        *c = SEG_CODING_LATIN1; /* IA5 is ASCII, a subset of Latin-1 */
    else if (dc == 0x08)
        *c = SEG_CODING_UCS2;
    else
        return rl_err_set(err, RL_EINVAL, "data_coding",
                          "data_coding 0x%02X is not a text coding relais decodes (0, 1, 3, 8, "
                          "0xF0-0xF3)",
                          dc);
    return 0;
}

/* The user data: short_message, or message_payload when sm_length is 0. */
static void user_data(const struct smpp_pdu *p, const uint8_t **ud, size_t *len)
{
    *ud = p->short_message;
    *len = p->sm_length;
    if (*len == 0 && smpp_tlv_get_message_payload(p, ud, len) != 0)
        *len = 0;
}

/* Reads the concatenation from the UDH, else from the sar_* TLVs. A
 * concatenation IE or a sar_* set with a total of 0 or a sequence outside
 * 1..total is ignored, as TS 23.040 §9.2.3.24.1 has receivers do. */
static int place_of(const struct smpp_pdu *p, const uint8_t *ud, size_t len, struct place *pl,
                    struct rl_err *err)
{
    struct seg_concat c = {false, false, 0, 0, 0};
    uint16_t ref;
    uint8_t total, seq;
    memset(pl, 0, sizeof(*pl));
    if ((p->esm_class & ESM_UDHI) && seg_udh_parse(ud, len, &pl->udh_len, &c) != 0)
        return rl_err_set(err, RL_EUDH, "short_message",
                          "user data header (UDHL %u) runs past the %zu octets of user data",
                          len ? ud[0] : 0u, len);
    if (c.present) {
        *pl = (struct place){c.ref16 ? SMPP_MO_UDH16 : SMPP_MO_UDH8, c.ref, c.total, c.seq,
                             pl->udh_len};
    } else if (smpp_tlv_get_sar_msg_ref_num(p, &ref) == 0 &&
               smpp_tlv_get_sar_total_segments(p, &total) == 0 &&
               smpp_tlv_get_sar_segment_seqnum(p, &seq) == 0 && total && seq && seq <= total) {
        *pl = (struct place){SMPP_MO_SAR, ref, total, seq, pl->udh_len};
    }
    if (pl->total <= 1) {
        pl->concat = SMPP_MO_SINGLE;
        pl->ref = 0;
        pl->total = pl->seq = 1;
    }
    return 0;
}

/* One part's text units (see struct part). Packed GSM is unpacked here with
 * the part's own fill bits. TS 23.038 §6.1.2.3.1 has a sender fill 7 spare
 * bits at the end of each short message with CR; a middle part has them when
 * the sender moved an escape pair to the next part. Such a CR is dropped from
 * every part, not only the last as seg_decode does for one part: a stray line
 * break inside the text is likelier than a real CR as the exact last septet of
 * a full part (phones write LF). */
static void units_of(enum seg_coding coding, const uint8_t *ud, size_t len, size_t udh,
                     struct part *pt)
{
    const uint8_t *d = ud + udh;
    size_t n = len - udh;
    pt->coding = coding == SEG_CODING_GSM7_PACKED ? SEG_CODING_GSM7 : coding;
    pt->units = xmalloc(n * 8 / 7 + 1);
    if (coding == SEG_CODING_GSM7_PACKED) {
        unsigned fill = (unsigned)((7 - (udh * 8) % 7) % 7);
        size_t k = gsm7_unpack(d, n, fill, pt->units, n * 8 / 7 + 1);
        if (k && n * 8 - fill == 7 * k && pt->units[k - 1] == 0x0D && (fill + 7 * (k - 1)) % 8 == 1)
            k--;
        pt->len = k;
        return;
    }
    for (size_t i = 0; i < n; i++)
        pt->units[i] = coding == SEG_CODING_GSM7 ? d[i] & 0x7F : d[i];
    pt->len = n;
}

static void meta_of(const struct smpp_pdu *p, const struct place *pl, uint64_t now_ms,
                    struct smpp_mo *mo)
{
    memset(mo, 0, sizeof(*mo));
    memcpy(mo->service_type, p->service_type, sizeof(mo->service_type));
    memcpy(mo->source_addr, p->source_addr, sizeof(mo->source_addr));
    memcpy(mo->destination_addr, p->destination_addr, sizeof(mo->destination_addr));
    mo->service_type[sizeof(mo->service_type) - 1] = '\0';
    mo->source_addr[sizeof(mo->source_addr) - 1] = '\0';
    mo->destination_addr[sizeof(mo->destination_addr) - 1] = '\0';
    mo->source_addr_ton = p->source_addr_ton;
    mo->source_addr_npi = p->source_addr_npi;
    mo->dest_addr_ton = p->dest_addr_ton;
    mo->dest_addr_npi = p->dest_addr_npi;
    mo->esm_class = p->esm_class;
    mo->protocol_id = p->protocol_id;
    mo->data_coding = p->data_coding;
    mo->concat = pl->concat;
    mo->ref = pl->ref;
    mo->parts = pl->total;
    mo->first_ms = now_ms;
}

/* Decodes the parts that arrived, each run of consecutive parts in one coding
 * as one stream, into mo->text; lists the missing ones. */
static int join(const struct pending *pd, struct smpp_mo *mo, struct rl_err *err)
{
    struct buf text, run;
    int rc = 0;
    enum seg_coding coding = SEG_CODING_GSM7;
    buf_init(&text, pd->bytes * UTF8_PER_OCTET + 16);
    buf_init(&run, pd->bytes + 1);
    for (unsigned i = 0; i <= pd->total && rc == 0; i++) {
        const struct part *pt = i < pd->total ? &pd->parts[i] : NULL;
        if (run.len && (!pt || !pt->units || pt->coding != coding)) {
            rc = seg_decode(coding, (const uint8_t *)run.data, run.len, 0, false, &text, err);
            buf_reset(&run);
        }
        if (pt && !pt->units)
            mo->missing[mo->nmissing++] = (uint8_t)(i + 1);
        if (pt && pt->units && rc == 0) {
            coding = pt->coding;
            rc = buf_add(&run, pt->units, pt->len);
        }
    }
    buf_release(&run);
    if (rc == 0)
        mo->text = buf_detach(&text, &mo->text_len);
    buf_release(&text);
    mo->received = pd->nhave;
    mo->incomplete = mo->nmissing > 0;
    return rc;
}

/* --- the table ------------------------------------------------------------------ */

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint32_t key_hash(const struct smpp_pdu *p, const struct place *pl)
{
    uint8_t k[4] = {(uint8_t)pl->concat, (uint8_t)(pl->ref >> 8), (uint8_t)pl->ref, pl->total};
    uint32_t h = fnv(2166136261u, k, sizeof(k));
    h = fnv(h, p->source_addr, strnlen(p->source_addr, sizeof(p->source_addr)));
    h = fnv(h, "", 1);
    return fnv(h, p->destination_addr, strnlen(p->destination_addr, sizeof(p->destination_addr)));
}

static struct pending *lookup(struct smpp_reasm *r, const struct smpp_pdu *p,
                              const struct place *pl, uint32_t hash)
{
    for (struct pending *pd = r->buckets[hash & (r->nbuckets - 1)]; pd; pd = pd->hnext) {
        if (pd->hash == hash && pd->concat == pl->concat && pd->ref == pl->ref &&
            pd->total == pl->total &&
            strncmp(pd->meta.source_addr, p->source_addr, sizeof(p->source_addr)) == 0 &&
            strncmp(pd->meta.destination_addr, p->destination_addr, sizeof(p->destination_addr)) ==
                0)
            return pd;
    }
    return NULL;
}

/* Takes pd out of the hash chain and the age list. */
static void unlink_pending(struct smpp_reasm *r, struct pending *pd)
{
    struct pending **pp = &r->buckets[pd->hash & (r->nbuckets - 1)];
    while (*pp != pd)
        pp = &(*pp)->hnext;
    *pp = pd->hnext;
    pd->hnext = NULL;
    if (pd->older)
        pd->older->newer = pd->newer;
    else
        r->oldest = pd->newer;
    if (pd->newer)
        pd->newer->older = pd->older;
    else
        r->newest = pd->older;
    r->npending--;
    r->bytes -= pd->bytes;
}

/* Moves pd to the end of the evicted list, to be handed back by
 * smpp_reasm_expire in eviction order. */
static void evict(struct smpp_reasm *r, struct pending *pd)
{
    unlink_pending(r, pd);
    pd->meta.end = SMPP_MO_EVICTED;
    if (r->evicted_tail)
        r->evicted_tail->hnext = pd;
    else
        r->evicted = pd;
    r->evicted_tail = pd;
}

/* Evicts the oldest messages other than keep until need more bytes fit. */
static void make_room(struct smpp_reasm *r, size_t need, const struct pending *keep)
{
    while (r->bytes + need > r->o.max_bytes) {
        struct pending *victim = keep && r->oldest == keep ? keep->newer : r->oldest;
        if (!victim)
            break;
        evict(r, victim);
    }
}

static size_t overhead(unsigned total)
{
    return sizeof(struct pending) + total * sizeof(struct part);
}

static struct pending *pending_new(struct smpp_reasm *r, const struct smpp_pdu *p,
                                   const struct place *pl, uint32_t hash, uint64_t now_ms)
{
    while (r->npending >= r->o.max_pending)
        evict(r, r->oldest);
    struct pending *pd = xcalloc(1, overhead(pl->total));
    pd->hash = hash;
    pd->concat = pl->concat;
    pd->ref = pl->ref;
    pd->total = pl->total;
    pd->bytes = overhead(pl->total);
    meta_of(p, pl, now_ms, &pd->meta);
    pd->hnext = r->buckets[hash & (r->nbuckets - 1)];
    r->buckets[hash & (r->nbuckets - 1)] = pd;
    pd->older = r->newest;
    if (r->newest)
        r->newest->newer = pd;
    else
        r->oldest = pd;
    r->newest = pd;
    r->npending++;
    r->bytes += pd->bytes;
    return pd;
}

/* --- adding ------------------------------------------------------------------------ */

static int add_single(const struct smpp_pdu *p, enum seg_coding coding, const uint8_t *ud,
                      size_t len, const struct place *pl, uint64_t now_ms, struct smpp_mo *out,
                      struct rl_err *err)
{
    struct buf text;
    buf_init(&text, len * UTF8_PER_OCTET + 16);
    int rc = seg_decode(coding, ud, len, 0, (p->esm_class & ESM_UDHI) != 0, &text, err);
    if (rc == 0) {
        meta_of(p, pl, now_ms, out);
        out->received = 1;
        out->text = buf_detach(&text, &out->text_len);
    }
    buf_release(&text);
    return rc == 0 ? 1 : rc;
}

/* Stores one part of a concatenated message; returns 1 with out filled when
 * it was the last one missing. */
static int add_part(struct smpp_reasm *r, const struct smpp_pdu *p, enum seg_coding coding,
                    const uint8_t *ud, size_t len, const struct place *pl, uint64_t now_ms,
                    struct smpp_mo *out, struct rl_err *err)
{
    uint32_t hash = key_hash(p, pl);
    struct pending *pd = lookup(r, p, pl, hash);
    struct part pt;
    if (pd && pd->parts[pl->seq - 1].units)
        return 0; /* a duplicate: the first copy stays */
    units_of(coding, ud, len, pl->udh_len, &pt);
    size_t need = pt.len + (pd ? 0 : overhead(pl->total));
    if (need + (pd ? pd->bytes : 0) > r->o.max_bytes) {
        free(pt.units);
        return rl_err_set(err, RL_ETOOLONG, "max_bytes",
                          "part %u of %u from %s would take the message past max_bytes %zu",
                          pl->seq, pl->total, p->source_addr, r->o.max_bytes);
    }
    make_room(r, need, pd);
    if (!pd)
        pd = pending_new(r, p, pl, hash, now_ms);
    pd->parts[pl->seq - 1] = pt;
    pd->nhave++;
    pd->bytes += pt.len;
    r->bytes += pt.len;
    if (pd->nhave < pd->total)
        return 0;
    unlink_pending(r, pd);
    *out = pd->meta;
    int rc = join(pd, out, err);
    pending_free(pd);
    return rc == 0 ? 1 : rc;
}

int smpp_reasm_add(struct smpp_reasm *r, const struct smpp_pdu *p, uint64_t now_ms,
                   struct smpp_mo *out, struct rl_err *err)
{
    const uint8_t *ud;
    size_t len;
    struct place pl;
    enum seg_coding coding = SEG_CODING_GSM7;
    int rc;

    memset(out, 0, sizeof(*out));
    if (p->command_id != SMPP_CMD_DELIVER_SM && p->command_id != SMPP_CMD_DATA_SM)
        return rl_err_set(err, RL_EINVAL, "command_id", "%s carries no MO message",
                          smpp_command_name(p->command_id));
    if ((rc = coding_of(p->data_coding, r->o.gsm_packed, &coding, err)) != 0)
        return rc;
    user_data(p, &ud, &len);
    if ((rc = place_of(p, ud, len, &pl, err)) != 0)
        return rc;
    if (pl.concat == SMPP_MO_SINGLE)
        return add_single(p, coding, ud, len, &pl, now_ms, out, err);
    return add_part(r, p, coding, ud, len, &pl, now_ms, out, err);
}

/* --- expiry -------------------------------------------------------------------------- */

int smpp_reasm_expire(struct smpp_reasm *r, uint64_t now_ms, struct smpp_mo *out,
                      struct rl_err *err)
{
    struct pending *pd = r->evicted;
    memset(out, 0, sizeof(*out));
    if (pd) {
        r->evicted = pd->hnext;
        if (!r->evicted)
            r->evicted_tail = NULL;
    } else if (r->oldest && now_ms >= r->oldest->meta.first_ms &&
               now_ms - r->oldest->meta.first_ms >= r->o.timeout_ms) {
        pd = r->oldest;
        unlink_pending(r, pd);
        pd->meta.end = SMPP_MO_TIMED_OUT;
    } else {
        return 0;
    }
    *out = pd->meta;
    int rc = join(pd, out, err);
    pending_free(pd);
    if (rc)
        smpp_mo_release(out);
    return rc == 0 ? 1 : rc;
}

bool smpp_reasm_next_deadline(const struct smpp_reasm *r, uint64_t *at_ms)
{
    if (r->evicted) {
        *at_ms = 0;
        return true;
    }
    if (!r->oldest)
        return false;
    *at_ms = r->oldest->meta.first_ms + r->o.timeout_ms;
    return true;
}

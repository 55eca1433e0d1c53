#ifndef RL_SMPP_REASM_H
#define RL_SMPP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "smpp/smpp_pdu.h"

/* Inbound (MO) messages: the user data of deliver_sm / data_sm decoded to
 * UTF-8, and concatenated parts (UDH with an 8- or 16-bit reference, or the
 * sar_* TLVs) put back together. Pure and single-threaded: no I/O and no
 * timers; the caller passes its clock to every call (now_ms, any monotonic
 * milliseconds) and arms its own timer from smpp_reasm_next_deadline(). What
 * is held is capped: past max_pending or max_bytes the oldest message is
 * evicted and handed back incomplete, never dropped in silence.
 *
 * Receipts are not MO messages: route PDUs for which smpp_is_receipt() holds
 * to smpp_receipt_parse() instead. */

struct smpp_reasm_opts {
    uint64_t timeout_ms; /* how long after its first part a message waits for the rest; 0: 60 s */
    size_t max_pending;  /* messages waiting for parts; 0: 10,000 */
    size_t max_bytes;    /* memory held for them, user data and bookkeeping; 0: 16 MiB */
    bool gsm_packed;     /* this SMSC sends data_coding 0 packed (8 septets in 7 octets) */
};

/* How a message ended up in smpp_mo. */
enum smpp_mo_end {
    SMPP_MO_COMPLETE,  /* every part arrived */
    SMPP_MO_TIMED_OUT, /* parts still missing timeout_ms after the first one */
    SMPP_MO_EVICTED,   /* parts still missing when the caps pushed it out */
};

/* Where the concatenation information came from. */
enum smpp_mo_concat {
    SMPP_MO_SINGLE, /* not concatenated (or a concatenation of one part) */
    SMPP_MO_UDH8,   /* UDH IE 0x00, 8-bit reference */
    SMPP_MO_UDH16,  /* UDH IE 0x08, 16-bit reference */
    SMPP_MO_SAR,    /* sar_msg_ref_num, sar_total_segments, sar_segment_seqnum */
};

#define SMPP_MO_MAX_PARTS 255

/* One received message. Caller-owned; text is owned by it once filled (free
 * with smpp_mo_release). Header fields come from the first part received. */
struct smpp_mo {
    char service_type[6];
    char source_addr[65];
    uint8_t source_addr_ton, source_addr_npi;
    char destination_addr[65];
    uint8_t dest_addr_ton, dest_addr_npi;
    uint8_t esm_class, protocol_id, data_coding;
    char *text; /* UTF-8, NUL-terminated; undecodable units are U+FFFD */
    size_t text_len;
    enum smpp_mo_concat concat;
    uint16_t ref;      /* the concatenation reference, 0 for SMPP_MO_SINGLE */
    unsigned parts;    /* parts the sender split it into (1 when single) */
    unsigned received; /* parts that arrived: parts, unless end says otherwise */
    enum smpp_mo_end end;
    /* An incomplete message still carries what the phone user wrote: text is
     * the parts that arrived, in order, each run of consecutive parts decoded
     * on its own, and missing[] lists the absent sequence numbers (1-based,
     * ascending). Better a message with a gap than none. */
    bool incomplete;
    uint8_t missing[SMPP_MO_MAX_PARTS];
    size_t nmissing;
    uint64_t first_ms; /* now_ms of its first part */
};

/* Frees mo's text and zeroes it; mo may be filled again. */
void smpp_mo_release(struct smpp_mo *mo);

/* Borrows o (may be NULL: every default). Returns new (free with
 * smpp_reasm_free). */
struct smpp_reasm *smpp_reasm_new(const struct smpp_reasm_opts *o);
/* Frees r and every part it holds, reported or not. NULL is a no-op. */
void smpp_reasm_free(struct smpp_reasm *r);

/* Takes in one deliver_sm or data_sm (borrowed; nothing points into it
 * afterwards). The text is short_message, or message_payload when sm_length
 * is 0. data_coding: 0 GSM 03.38 (one septet per octet, or packed per
 * opts.gsm_packed), 1 IA5 (read as ASCII, octets above 0x7F as Latin-1), 3
 * Latin-1, 8 UCS-2 (UTF-16BE, surrogate pairs joined), 0xF0-0xF3 GSM with a
 * message class (flash SMS); any other is an error. Concatenation comes from
 * the UDH when esm_class has UDHI (0x40), else from the sar_* TLVs.
 *
 * Returns 1 when a message is complete now (a single part at once, or the
 * last missing part of a concatenated one) with out filled; 0 when the part
 * is stored to wait for the others, or is a duplicate of one already held
 * (the first copy is kept); or a negative code with err (may be NULL) saying
 * why: RL_EINVAL (not a deliver_sm/data_sm, or a data_coding that is not
 * text), RL_EUDH (a UDH that runs past the user data), RL_ETOOLONG (a part
 * that cannot fit in max_bytes). On an error nothing is stored; the caller
 * still acknowledges the PDU and logs. out is zeroed unless 1 is returned.
 *
 * Parts of one message are matched on source_addr, destination_addr, the kind
 * of concatenation, its reference and its total. Adding may evict the oldest
 * messages past the caps: call smpp_reasm_expire until it returns 0 after
 * every add, whatever it returned, as well as from the timer. */
int smpp_reasm_add(struct smpp_reasm *r, const struct smpp_pdu *p, uint64_t now_ms,
                   struct smpp_mo *out, struct rl_err *err);

/* Hands back one message that will not complete: an evicted one, else the
 * oldest whose first part arrived timeout_ms or more before now_ms. Returns 1
 * with out filled (incomplete set, end saying which), 0 when there is none
 * (out zeroed), or RL_ETOOLONG when its text could not be decoded (it is
 * dropped; err says why). */
int smpp_reasm_expire(struct smpp_reasm *r, uint64_t now_ms, struct smpp_mo *out,
                      struct rl_err *err);

/* When smpp_reasm_expire will next have a message: sets *at_ms (0 when one is
 * ready now) and returns true, or returns false when nothing is held. */
bool smpp_reasm_next_deadline(const struct smpp_reasm *r, uint64_t *at_ms);

/* Messages waiting for parts (evicted ones not yet handed back excluded), and
 * the memory counted against max_bytes. For metrics and tests. */
size_t smpp_reasm_pending(const struct smpp_reasm *r);
size_t smpp_reasm_bytes(const struct smpp_reasm *r);

#endif

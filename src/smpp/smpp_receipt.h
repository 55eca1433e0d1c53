#ifndef RL_SMPP_RECEIPT_H
#define RL_SMPP_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "smpp/smpp_pdu.h"

/* Delivery receipts: what an SMSC says became of a message, in the TLV form
 * (receipted_message_id, message_state, network_error_code) or the text form
 * of SMPP 3.4 Appendix B ("id:… sub:… dlvrd:… submit date:… done date:…
 * stat:DELIVRD err:000 text:…"), which SMSCs write loosely: fields in any
 * case, some missing, extra ones added. Pure functions, fuzzed. */

/* message_state values, SMPP 3.4 §5.2.28. */
enum smpp_dlr_state {
    SMPP_DLR_NONE = 0, /* not given */
    SMPP_DLR_ENROUTE = 1,
    SMPP_DLR_DELIVERED = 2,
    SMPP_DLR_EXPIRED = 3,
    SMPP_DLR_DELETED = 4,
    SMPP_DLR_UNDELIVERABLE = 5,
    SMPP_DLR_ACCEPTED = 6,
    SMPP_DLR_UNKNOWN = 7,
    SMPP_DLR_REJECTED = 8,
};

struct smpp_receipt {
    char id[SMPP_MESSAGE_ID_SIZE]; /* as the SMSC wrote it */
    enum smpp_dlr_state state;
    int err; /* the text form's err: code, or -1 when absent */
    bool has_network_error;
    uint8_t network_error_type; /* network_error_code TLV: 1 ANSI-136, 2 IS-95, 3 GSM */
    uint16_t network_error;
    int sub, dlvrd;       /* -1 when absent */
    char submit_date[13]; /* YYMMDDhhmm[ss] as written, "" when absent */
    char done_date[13];
    char text[24];            /* the first characters of the message, if echoed */
    bool from_tlv, from_text; /* which forms were present */
};

/* True when p is a deliver_sm or data_sm whose esm_class marks an SMSC
 * delivery receipt (bits 2-5 = 0001, §5.2.12), or, since some SMSCs forget
 * that bit, one that carries receipted_message_id. An intermediate delivery
 * notification (bits 2-5 = 1000) is one too: the same receipt, with a state
 * that is not final. */
bool smpp_is_receipt(const struct smpp_pdu *p);

/* Reads the receipt in p: the TLVs where present, the text form of the
 * short_message (or message_payload) otherwise; where both give a field, the
 * TLV wins. Returns 0, or RL_EPARSE with err naming what is missing (no id, or
 * no state in either form). */
int smpp_receipt_parse(const struct smpp_pdu *p, struct smpp_receipt *out, struct rl_err *err);

/* The text form alone: s[0..len) need not be NUL-terminated. Same returns. */
int smpp_receipt_parse_text(const char *s, size_t len, struct smpp_receipt *out,
                            struct rl_err *err);

/* Writes r in the Appendix B text form (for the simulator). Returns the
 * length written (NUL not counted), or RL_ETOOLONG if cap is too small.
 * Also RL_EINVAL when r has no id or no state (parse would refuse the text);
 * sub, dlvrd and err of -1 are written as 000. */
int smpp_receipt_format_text(const struct smpp_receipt *r, char *out, size_t cap);

/* "DELIVRD", "UNDELIV", "EXPIRED", "DELETED", "ACCEPTD", "UNKNOWN", "REJECTD",
 * "ENROUTE" (the text form's words); "" for SMPP_DLR_NONE. */
const char *smpp_dlr_state_word(enum smpp_dlr_state s);
/* "delivered", "undeliverable", "expired", …: for logs and the API. */
const char *smpp_dlr_state_name(enum smpp_dlr_state s);
/* True for the states after which nothing more will happen. */
bool smpp_dlr_state_final(enum smpp_dlr_state s);

/* How an SMSC writes ids in receipts compared with its submit_sm_resp: some
 * answer "1A2B" and report "6699". Per route configuration. */
enum smpp_id_mode {
    SMPP_ID_SAME,             /* same base in both (leading zeros and case still ignored) */
    SMPP_ID_RESP_HEX_DLR_DEC, /* resp in hex, receipt in decimal */
    SMPP_ID_RESP_DEC_DLR_HEX, /* resp in decimal, receipt in hex */
};

/* Writes the canonical key of an id, so that the id from a submit_sm_resp and
 * the one from its receipt compare equal with strcmp: leading zeros dropped,
 * hex digits upper-cased, and for a receipt id (is_receipt) converted to the
 * resp's base per mode. Returns 0, or RL_EINVAL (an id that is not a number
 * in the base mode says, or longer than 64 bits when converting).
 * SMPP_ID_SAME: every letter is upper-cased; leading zeros are dropped only
 * when the id is made of (hex) digits alone, so "0001a2b" and "1A2B" match
 * while "00AB-1" keeps its zeros; any id of up to 64 characters is accepted. */
int smpp_id_key(const char *id, enum smpp_id_mode mode, bool is_receipt,
                char out[SMPP_MESSAGE_ID_SIZE]);

#endif

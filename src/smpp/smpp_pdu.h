#ifndef RL_SMPP_PDU_H
#define RL_SMPP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The SMPP 3.4 PDU codec: bytes to struct smpp_pdu and back, nothing else (no
 * I/O, no allocation), so that it can be fuzzed and shared by the session, the
 * simulator and the tests. Field sizes, command ids, status codes and TLV tags
 * follow the 3.4 specification (Issue 1.2); the tables are in smpp_pdu.def.
 *
 * Decoding is strict where the spec names a status for the fault (so the
 * session can answer with it) and lenient where peers differ harmlessly: any
 * octets after a command's mandatory fields are read as TLVs, for every command
 * (vendors add TLVs to submit_sm_resp), and unknown tags are kept in order. */

#define SMPP_HEADER_LEN      16
#define SMPP_MAX_PDU_DEFAULT (64 * 1024) /* used when a max_len argument is 0 */
#define SMPP_TLV_MAX         64          /* TLVs kept per PDU; more is an error */
#define SMPP_SM_MAX          254         /* short_message octets (sm_length 0-254) */
#define SMPP_RESP_BIT        0x80000000u /* set in every response's command_id */
#define SMPP_MESSAGE_ID_SIZE 65          /* message_id, receipted_message_id, with NUL */

/* Values above INT_MAX: GCC and Clang give this enum an unsigned type. */
enum smpp_command_id {
#define SMPP_CMD(NAME, name, id, body) SMPP_CMD_##NAME = id,
#include "smpp/smpp_pdu.def"
};

enum smpp_status {
#define SMPP_STATUS(NAME, value, text) SMPP_##NAME = value,
#include "smpp/smpp_pdu.def"
};

enum smpp_tlv_tag {
#define SMPP_TLV(NAME, name, tag, min_len, max_len) SMPP_TLV_##NAME = tag,
#include "smpp/smpp_pdu.def"
};

/* One TLV. Its value is borrowed, never owned: after smpp_pdu_decode it points
 * into the decoded buffer, after smpp_tlv_add into the caller's memory; either
 * must outlive the PDU. Values of up to 8 octets set by the typed adders are
 * copied into small (val is then NULL), so a PDU can be built from temporaries.
 * Read the value with smpp_tlv_value(). */
struct smpp_tlv {
    uint16_t tag;
    uint16_t len;
    const uint8_t *val;
    uint8_t small[8];
};

/* One PDU of any supported command: the header, then a flat set of body fields
 * of which each command uses its own (as named in the spec). C-Octet Strings
 * are NUL-terminated; the array sizes are the largest the spec allows for the
 * field in any command, NUL included (source_addr is 21 in submit_sm, 65 in
 * data_sm: the codec checks the size for the command at hand). */
struct smpp_pdu {
    uint32_t command_length; /* set by decode; encode computes its own */
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence_number;
    /* A response that carries only the header, as the spec allows for an error
     * status (submit_sm_resp "is not returned if the command_status field
     * contains a non-zero value") and some SMSCs do for bind responses. */
    bool no_body;

    /* bind_*, bind_*_resp (system_id), outbind (system_id, password) */
    char system_id[16];
    char password[9];
    char system_type[13];
    uint8_t interface_version;
    uint8_t addr_ton;
    uint8_t addr_npi;
    char address_range[41];

    /* submit_sm, deliver_sm, data_sm; query_sm uses the source address */
    char service_type[6];
    uint8_t source_addr_ton;
    uint8_t source_addr_npi;
    char source_addr[65];
    uint8_t dest_addr_ton;
    uint8_t dest_addr_npi;
    char destination_addr[65];
    uint8_t esm_class;
    uint8_t protocol_id;
    uint8_t priority_flag;
    char schedule_delivery_time[17]; /* empty or 16 characters */
    char validity_period[17];        /* empty or 16 characters */
    uint8_t registered_delivery;
    uint8_t replace_if_present_flag;
    uint8_t data_coding;
    uint8_t sm_default_msg_id;
    uint8_t sm_length;
    uint8_t short_message[SMPP_SM_MAX];

    /* *_sm_resp, query_sm, query_sm_resp */
    char message_id[SMPP_MESSAGE_ID_SIZE];
    char final_date[17];
    uint8_t message_state;
    uint8_t error_code;

    size_t ntlv;
    struct smpp_tlv tlv[SMPP_TLV_MAX];
};

/* Zeroes p and sets its command_id and sequence_number. */
void smpp_pdu_init(struct smpp_pdu *p, uint32_t command_id, uint32_t sequence_number);

/* --- framing and decoding ------------------------------------------------ */

enum { SMPP_FRAME_MORE = 0, SMPP_FRAME_READY = 1 };

/* For the stream reader: borrows the avail octets received so far. Returns
 * SMPP_FRAME_READY with *pdu_len the length of the PDU at buf; SMPP_FRAME_MORE
 * when more octets are needed (*pdu_len: the PDU's length once its
 * command_length is in, else SMPP_HEADER_LEN); RL_ESMPP when command_length is
 * below 16 or above max_len (0: SMPP_MAX_PDU_DEFAULT), after which the stream
 * cannot be trusted. */
int smpp_pdu_frame(const uint8_t *buf, size_t avail, size_t max_len, size_t *pdu_len);

enum smpp_decode_kind {
    SMPP_DECODE_OK,
    SMPP_DECODE_TRUNCATED,            /* fewer octets than a header or a mandatory field needs */
    SMPP_DECODE_BAD_LENGTH,           /* command_length below 16, or other than len */
    SMPP_DECODE_TOO_LONG,             /* command_length above max_len */
    SMPP_DECODE_UNKNOWN_COMMAND,      /* command_id unknown, or not implemented here */
    SMPP_DECODE_CSTRING_UNTERMINATED, /* no NUL within the field's maximum size */
    SMPP_DECODE_FIELD_RANGE,          /* a value the field cannot take (sm_length, a time) */
    SMPP_DECODE_TLV_OVERRUN,          /* a TLV header or value runs past the body */
    SMPP_DECODE_TLV_LENGTH,           /* a known TLV with a length its definition forbids */
    SMPP_DECODE_TLV_TOO_MANY,         /* more than SMPP_TLV_MAX TLVs */
};

/* Why a decode failed. Caller-owned; field is a static string. */
struct smpp_decode_err {
    enum smpp_decode_kind kind;
    const char *field;     /* "command_length", "source_addr", a TLV's name, "tlv" */
    size_t offset;         /* of the faulty field, in octets from the PDU's start */
    uint16_t tag;          /* the TLV's tag, for TLV errors */
    uint32_t field_status; /* the status the spec names for this field, if any */
};

/* Decodes exactly one PDU: borrows buf (len octets, as framed by its
 * command_length) and fills the caller's out, whose TLV values then point into
 * buf. max_len 0 means SMPP_MAX_PDU_DEFAULT. Returns 0, or RL_ESMPP with err
 * (may be NULL) saying why; even then out's header fields are set when the 16
 * header octets were there, so the answer can carry the sequence_number. */
int smpp_pdu_decode(const uint8_t *buf, size_t len, size_t max_len, struct smpp_pdu *out,
                    struct smpp_decode_err *err);

/* The command_status the spec names for the failure: ESME_RINVCMDLEN for a bad
 * or short length, ESME_RINVCMDID, ESME_RINVMSGLEN for sm_length, the field's
 * own (ESME_RINVSRCADR, ESME_RINVDSTADR, ESME_RINVSYSID, ESME_RINVSCHED...),
 * ESME_RINVOPTPARSTREAM / ESME_RINVPARLEN for TLVs, ESME_RSYSERR otherwise. */
uint32_t smpp_decode_err_status(const struct smpp_decode_err *e);

/* Which PDU answers the failed one (spec 4.3): generic_nack when the header
 * is at fault (length, unknown command), the command's own response for a body
 * fault in a request, 0 (send nothing) for a body fault in a response. */
uint32_t smpp_decode_err_reply_id(const struct smpp_decode_err *e, uint32_t command_id);

/* Returns a static snake_case name for logs: "tlv_overrun". */
const char *smpp_decode_kind_name(enum smpp_decode_kind kind);

/* --- encoding ------------------------------------------------------------- */

/* Writes p as a complete PDU (command_length computed; p->command_length is
 * ignored) into out (cap octets; may be NULL when cap is 0). Sets *written to
 * the PDU's length, also when it does not fit, so a caller can size a buffer.
 * Returns 0; RL_ETOOLONG when a field is over its size for this command or the
 * PDU is over cap; RL_EINVAL for a command the codec does not implement or an
 * invalid value (a time neither empty nor 16 characters, no_body on a
 * request); RL_ESMPPTLV for a known TLV with a bad length; RL_ERANGE for more
 * than SMPP_TLV_MAX TLVs. err (may be NULL) names the field. Borrows p. */
int smpp_pdu_encode(const struct smpp_pdu *p, uint8_t *out, size_t cap, size_t *written,
                    struct rl_err *err);

/* True when a and b hold the same PDU: header, the fields of their command and
 * the TLVs' tags and values (not where the values live). */
bool smpp_pdu_equal(const struct smpp_pdu *a, const struct smpp_pdu *b);

/* --- TLVs ------------------------------------------------------------------ */

/* Returns a pointer to t's len value octets (borrowed from t). */
const uint8_t *smpp_tlv_value(const struct smpp_tlv *t);
/* Returns p's first TLV with this tag (borrowed from p), or NULL. */
const struct smpp_tlv *smpp_tlv_find(const struct smpp_pdu *p, uint16_t tag);

/* Typed getters. Each returns 0, RL_ENOTFOUND when the TLV is absent, or
 * RL_ESMPPTLV when its length is not the one the spec defines. */
int smpp_tlv_get_u8(const struct smpp_pdu *p, uint16_t tag, uint8_t *out);
int smpp_tlv_get_u16(const struct smpp_pdu *p, uint16_t tag, uint16_t *out);
int smpp_tlv_get_u32(const struct smpp_pdu *p, uint16_t tag, uint32_t *out);
/* *data is borrowed from the decoded buffer. */
int smpp_tlv_get_message_payload(const struct smpp_pdu *p, const uint8_t **data, size_t *len);
int smpp_tlv_get_sar_msg_ref_num(const struct smpp_pdu *p, uint16_t *out);
int smpp_tlv_get_sar_total_segments(const struct smpp_pdu *p, uint8_t *out);
int smpp_tlv_get_sar_segment_seqnum(const struct smpp_pdu *p, uint8_t *out);
int smpp_tlv_get_message_state(const struct smpp_pdu *p, uint8_t *out);
int smpp_tlv_get_user_message_reference(const struct smpp_pdu *p, uint16_t *out);
/* Copies the id into out, NUL-terminated. A C-Octet String by the spec, but
 * some SMSCs send it without its NUL: both are accepted. */
int smpp_tlv_get_receipted_message_id(const struct smpp_pdu *p, char out[SMPP_MESSAGE_ID_SIZE]);

/* network_error_code: network type (1 ANSI-136, 2 IS-95, 3 GSM) + error code. */
struct smpp_network_error {
    uint8_t type;
    uint16_t code;
};
int smpp_tlv_get_network_error_code(const struct smpp_pdu *p, struct smpp_network_error *out);

/* Adders, for encoding; TLVs are written in the order added. Each returns 0,
 * RL_ERANGE past SMPP_TLV_MAX, RL_ETOOLONG past 65535 octets, or RL_ESMPPTLV
 * when a known tag's length is not the spec's. smpp_tlv_add and _add_cstr
 * borrow value / s (it must outlive p); the integer adders copy. _add_cstr
 * includes the NUL, as C-Octet String TLVs (receipted_message_id) require. */
int smpp_tlv_add(struct smpp_pdu *p, uint16_t tag, const void *value, size_t len);
int smpp_tlv_add_u8(struct smpp_pdu *p, uint16_t tag, uint8_t v);
int smpp_tlv_add_u16(struct smpp_pdu *p, uint16_t tag, uint16_t v);
int smpp_tlv_add_u32(struct smpp_pdu *p, uint16_t tag, uint32_t v);
int smpp_tlv_add_cstr(struct smpp_pdu *p, uint16_t tag, const char *s);
int smpp_tlv_add_network_error_code(struct smpp_pdu *p, const struct smpp_network_error *e);

/* --- names ----------------------------------------------------------------- */

/* Static strings: "submit_sm"; "ESME_RTHROTTLED"; "throttling error (ESME has
 * exceeded allowed message limits)"; "message_payload". Unknown values give
 * "unknown", and for statuses a text naming the reserved range. */
const char *smpp_command_name(uint32_t command_id);
const char *smpp_status_name(uint32_t status);
const char *smpp_status_text(uint32_t status);
const char *smpp_tlv_name(uint16_t tag);

#endif

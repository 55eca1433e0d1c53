/* The SMPP 3.4 PDU codec against hand-written PDUs. Each vector is spelled
 * field by field in the order of the spec's syntax tables (section 4), with the
 * octet count beside each field; every one must decode to the fields listed and
 * encode back to the same octets. Then every hostile input the session can meet
 * must give a typed error and the command_status the spec names for it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smpp/smpp_pdu.h"

struct vec {
    uint8_t b[1024];
    size_t len;
    struct smpp_pdu p;
};

/* Hex to octets; spaces are for the reader. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = hex; *s; s++) {
        if (*s == ' ')
            continue;
        assert_true(s[1] != '\0' && n < cap);
        char pair[3] = {s[0], s[1], 0};
        out[n++] = (uint8_t)strtoul(pair, NULL, 16);
        s++;
    }
    return n;
}

/* Decodes hex into v, checks it encodes back to the very same octets. */
static void roundtrip(const char *hex, struct vec *v)
{
    v->len = unhex(hex, v->b, sizeof(v->b));
    struct smpp_decode_err e;
    int rc = smpp_pdu_decode(v->b, v->len, 0, &v->p, &e);
    if (rc)
        fail_msg("decode: %s at %s offset %zu", smpp_decode_kind_name(e.kind), e.field, e.offset);
    assert_int_equal(v->p.command_length, v->len);
    uint8_t out[1024];
    size_t n = 0;
    struct rl_err err = {0};
    rc = smpp_pdu_encode(&v->p, out, sizeof(out), &n, &err);
    if (rc)
        fail_msg("encode: %s", err.msg);
    assert_int_equal(n, v->len);
    assert_memory_equal(out, v->b, n);
}

static void header(const struct smpp_pdu *p, uint32_t id, uint32_t status, uint32_t seq)
{
    assert_int_equal(p->command_id, id);
    assert_int_equal(p->command_status, status);
    assert_int_equal(p->sequence_number, seq);
}

/* --- one vector per command ------------------------------------------------ */

static void enquire_link_is_sixteen_octets(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000010"  /* command_length 16: a header and nothing else */
              "00000015"  /* command_id enquire_link */
              "00000000"  /* command_status */
              "00000001", /* sequence_number 1 */
              &v);
    header(&v.p, SMPP_CMD_ENQUIRE_LINK, 0, 1);
    assert_int_equal(v.p.ntlv, 0);
    assert_false(v.p.no_body);

    /* The same PDU built from nothing. */
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_ENQUIRE_LINK, 1);
    uint8_t out[16];
    size_t n;
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &n, NULL), 0);
    const uint8_t want[16] = {0, 0, 0, 0x10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(n, 16);
    assert_memory_equal(out, want, 16);

    roundtrip("00000010 80000015 00000000 00000001", &v); /* enquire_link_resp */
    header(&v.p, SMPP_CMD_ENQUIRE_LINK_RESP, 0, 1);
}

static void unbind_and_generic_nack(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000010 00000006 00000000 00000003", &v); /* unbind, seq 3 */
    header(&v.p, SMPP_CMD_UNBIND, 0, 3);
    roundtrip("00000010 80000006 00000000 00000003", &v); /* unbind_resp, seq 3 */
    header(&v.p, SMPP_CMD_UNBIND_RESP, 0, 3);
    roundtrip("00000010"  /* command_length 16 */
              "80000000"  /* generic_nack */
              "00000003"  /* ESME_RINVCMDID */
              "00000007", /* the sequence_number of the PDU it answers */
              &v);
    header(&v.p, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, 7);
    assert_false(v.p.no_body); /* nothing was expected: not a missing body */
}

static void bind_transmitter(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000023"       /* command_length 35 = 16 + 19 */
              "00000002"       /* bind_transmitter */
              "00000000"       /* command_status */
              "00000001"       /* sequence_number */
              "72656c61697300" /* system_id "relais" (7, max 16) */
              "73656372657400" /* password "secret" (7, max 9) */
              "00"             /* system_type "" (1, max 13) */
              "34"             /* interface_version 3.4 */
              "01"             /* addr_ton international */
              "01"             /* addr_npi ISDN */
              "00",            /* address_range "" (1, max 41) */
              &v);
    header(&v.p, SMPP_CMD_BIND_TRANSMITTER, 0, 1);
    assert_string_equal(v.p.system_id, "relais");
    assert_string_equal(v.p.password, "secret");
    assert_string_equal(v.p.system_type, "");
    assert_int_equal(v.p.interface_version, 0x34);
    assert_int_equal(v.p.addr_ton, 1);
    assert_int_equal(v.p.addr_npi, 1);
    assert_string_equal(v.p.address_range, "");
}

static void bind_receiver_and_transceiver(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000023 00000001 00000000 00000002" /* 35 octets, bind_receiver, seq 2 */
              "72656c61697300"                      /* system_id "relais" (7) */
              "707700"                              /* password "pw" (3) */
              "00"                                  /* system_type "" (1) */
              "34 01 01"                            /* version, ton, npi (3) */
              "5e33333600",                         /* address_range "^336" (5) */
              &v);
    header(&v.p, SMPP_CMD_BIND_RECEIVER, 0, 2);
    assert_string_equal(v.p.password, "pw");
    assert_string_equal(v.p.address_range, "^336");

    roundtrip("00000026 00000009 00000000 00000004" /* 38 octets, bind_transceiver, seq 4 */
              "72656c61697300"                      /* system_id "relais" (7) */
              "73656372657400"                      /* password "secret" (7) */
              "564d4100"                            /* system_type "VMA" (4) */
              "34 00 00"                            /* version, ton unknown, npi unknown */
              "00",                                 /* address_range "" */
              &v);
    header(&v.p, SMPP_CMD_BIND_TRANSCEIVER, 0, 4);
    assert_string_equal(v.p.system_type, "VMA");
}

static void bind_responses(void **state)
{
    (void)state;
    struct vec v;
    uint8_t version;
    roundtrip("0000001a"      /* command_length 26 */
              "80000002"      /* bind_transmitter_resp */
              "00000000"      /* ESME_ROK */
              "00000001"      /* sequence_number */
              "534d534300"    /* system_id "SMSC" (5) */
              "0210 0001 34", /* TLV sc_interface_version, length 1, 3.4 (5) */
              &v);
    header(&v.p, SMPP_CMD_BIND_TRANSMITTER_RESP, 0, 1);
    assert_string_equal(v.p.system_id, "SMSC");
    assert_int_equal(v.p.ntlv, 1);
    assert_int_equal(smpp_tlv_get_u8(&v.p, SMPP_TLV_SC_INTERFACE_VERSION, &version), 0);
    assert_int_equal(version, 0x34);

    roundtrip("00000015 80000009 00000000 00000004 534d534300", &v); /* transceiver, no TLV */
    header(&v.p, SMPP_CMD_BIND_TRANSCEIVER_RESP, 0, 4);
    assert_int_equal(v.p.ntlv, 0);

    /* A refused bind: many SMSCs send the header alone. */
    roundtrip("00000010 80000001 0000000e 00000002", &v); /* ESME_RINVPASWD */
    header(&v.p, SMPP_CMD_BIND_RECEIVER_RESP, SMPP_ESME_RINVPASWD, 2);
    assert_true(v.p.no_body);
    assert_string_equal(v.p.system_id, "");
}

static void outbind(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000018 0000000b 00000000 00000001" /* 24 octets, outbind */
              "534d534300"                          /* system_id "SMSC" (5) */
              "707700",                             /* password "pw" (3) */
              &v);
    header(&v.p, SMPP_CMD_OUTBIND, 0, 1);
    assert_string_equal(v.p.system_id, "SMSC");
    assert_string_equal(v.p.password, "pw");
}

#define SUBMIT_SM_HELLO                                                                            \
    "00000037"                 /* command_length 55 = 16 + 39 */                                   \
    "00000004"                 /* submit_sm */                                                     \
    "00000000"                 /* command_status */                                                \
    "00000005"                 /* sequence_number 5 */                                             \
    "00"                       /* service_type "" (1, max 6) */                                    \
    "05 00"                    /* source_addr_ton alphanumeric, source_addr_npi unknown */         \
    "52656c61697300"           /* source_addr "Relais" (7, max 21) */                              \
    "01 01"                    /* dest_addr_ton international, dest_addr_npi ISDN */               \
    "333336313233343536373800" /* destination_addr "33612345678" (12, max 21) */                   \
    "00 00 00"                 /* esm_class, protocol_id, priority_flag */                         \
    "00"                       /* schedule_delivery_time "" (immediate) */                         \
    "00"                       /* validity_period "" (SMSC default) */                             \
    "01 00 00 00"              /* registered_delivery, replace_if_present, data_coding, default */ \
    "05 48656c6c6f"            /* sm_length 5, short_message "Hello" */

static void submit_sm(void **state)
{
    (void)state;
    struct vec v;
    roundtrip(SUBMIT_SM_HELLO, &v);
    header(&v.p, SMPP_CMD_SUBMIT_SM, 0, 5);
    assert_string_equal(v.p.service_type, "");
    assert_int_equal(v.p.source_addr_ton, 5);
    assert_int_equal(v.p.source_addr_npi, 0);
    assert_string_equal(v.p.source_addr, "Relais");
    assert_int_equal(v.p.dest_addr_ton, 1);
    assert_int_equal(v.p.dest_addr_npi, 1);
    assert_string_equal(v.p.destination_addr, "33612345678");
    assert_int_equal(v.p.esm_class, 0);
    assert_string_equal(v.p.schedule_delivery_time, "");
    assert_string_equal(v.p.validity_period, "");
    assert_int_equal(v.p.registered_delivery, 1);
    assert_int_equal(v.p.data_coding, 0);
    assert_int_equal(v.p.sm_length, 5);
    assert_memory_equal(v.p.short_message, "Hello", 5);
    assert_int_equal(v.p.ntlv, 0);
}

static void submit_sm_with_tlvs_keeps_unknown_tags(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000066 00000004 00000000 00000006" /* 102 octets, submit_sm, seq 6 */
              "434d5400"                            /* service_type "CMT" (4) */
              "05 00 52656c61697300"                /* source "Relais", alphanumeric */
              "01 01 333336313233343536373800"      /* destination "33612345678" */
              "00 00 00"                            /* esm_class, protocol_id, priority */
              "00"                                  /* schedule_delivery_time "" */
              "3030303030323030303030303030305200"  /* validity_period "000002000000000R" */
              "01 00 08 00"                         /* registered, replace, UCS-2, default */
              "04 00480069"                         /* sm_length 4, "Hi" in UCS-2 */
              "020c 0002 1234"                      /* sar_msg_ref_num 0x1234 */
              "020e 0001 02"                        /* sar_total_segments 2 */
              "020f 0001 01"                        /* sar_segment_seqnum 1 */
              "0204 0002 002a"                      /* user_message_reference 42 */
              "1400 0003 abcdef",                   /* vendor tag 0x1400: kept as is */
              &v);
    assert_string_equal(v.p.service_type, "CMT");
    assert_string_equal(v.p.validity_period, "000002000000000R");
    assert_int_equal(v.p.data_coding, 8);
    assert_int_equal(v.p.ntlv, 5);
    uint16_t ref = 0, umr = 0;
    uint8_t total = 0, seq = 0;
    assert_int_equal(smpp_tlv_get_sar_msg_ref_num(&v.p, &ref), 0);
    assert_int_equal(smpp_tlv_get_sar_total_segments(&v.p, &total), 0);
    assert_int_equal(smpp_tlv_get_sar_segment_seqnum(&v.p, &seq), 0);
    assert_int_equal(smpp_tlv_get_user_message_reference(&v.p, &umr), 0);
    assert_int_equal(ref, 0x1234);
    assert_int_equal(total, 2);
    assert_int_equal(seq, 1);
    assert_int_equal(umr, 42);
    /* The unknown tag, last and in place, its value pointing into the buffer. */
    const struct smpp_tlv *t = smpp_tlv_find(&v.p, 0x1400);
    assert_non_null(t);
    assert_ptr_equal(t, &v.p.tlv[4]);
    assert_int_equal(t->len, 3);
    assert_ptr_equal(smpp_tlv_value(t), v.b + v.len - 3);
    assert_string_equal(smpp_tlv_name(0x1400), "unknown");
    assert_int_equal(smpp_tlv_get_message_state(&v.p, &seq), RL_ENOTFOUND);
}

static void submit_sm_resp(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000017 80000004 00000000 00000005" /* 23 octets, submit_sm_resp, seq 5 */
              "61626331323300",                     /* message_id "abc123" (7, max 65) */
              &v);
    header(&v.p, SMPP_CMD_SUBMIT_SM_RESP, 0, 5);
    assert_string_equal(v.p.message_id, "abc123");
    assert_false(v.p.no_body);

    /* "The submit_sm_resp PDU Body is not returned if the command_status
     * field contains a non-zero value." */
    roundtrip("00000010 80000004 00000058 00000005", &v); /* ESME_RTHROTTLED */
    header(&v.p, SMPP_CMD_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, 5);
    assert_true(v.p.no_body);
    assert_string_equal(v.p.message_id, "");
}

static void deliver_sm_receipt(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("000000b0 00000005 00000000 00000009" /* 176 octets, deliver_sm, seq 9 */
              "00"                                  /* service_type "" */
              "01 01 333336313233343536373800"      /* source "33612345678", international */
              "05 00 52656c61697300"                /* destination "Relais" */
              "04"                                  /* esm_class: SMSC delivery receipt */
              "00 00 00 00"                         /* protocol_id, priority, sched, validity */
              "00 00 00 00"                         /* registered, replace, coding, default */
              "67"                                  /* sm_length 103: the receipt text */
              "69643a616263313233207375623a30303120646c7672643a303031207375626d697420646174"
              "653a3235303130313132303020646f6e6520646174653a3235303130313132303120737461"
              "743a44454c49565244206572723a30303020746578743a48656c6c6f"
              "001e 0007 61626331323300" /* receipted_message_id "abc123" */
              "0427 0001 02"             /* message_state DELIVERED */
              "0423 0003 03 0000",       /* network_error_code GSM, 0 */
              &v);
    header(&v.p, SMPP_CMD_DELIVER_SM, 0, 9);
    assert_int_equal(v.p.esm_class, 4);
    assert_string_equal(v.p.source_addr, "33612345678");
    assert_int_equal(v.p.sm_length, 103);
    assert_memory_equal(v.p.short_message, "id:abc123 sub:001", 17);
    char id[SMPP_MESSAGE_ID_SIZE];
    uint8_t st = 0;
    struct smpp_network_error ne = {0};
    assert_int_equal(smpp_tlv_get_receipted_message_id(&v.p, id), 0);
    assert_string_equal(id, "abc123");
    assert_int_equal(smpp_tlv_get_message_state(&v.p, &st), 0);
    assert_int_equal(st, 2);
    assert_int_equal(smpp_tlv_get_network_error_code(&v.p, &ne), 0);
    assert_int_equal(ne.type, 3);
    assert_int_equal(ne.code, 0);

    roundtrip("00000011 80000005 00000000 00000009 00", &v); /* deliver_sm_resp, id "" */
    header(&v.p, SMPP_CMD_DELIVER_SM_RESP, 0, 9);
    assert_string_equal(v.p.message_id, "");
}

static void receipted_message_id_without_nul(void **state)
{
    (void)state;
    struct vec v;
    /* Some SMSCs send the id without its NUL; the length then counts 6. */
    roundtrip("0000003c 00000005 00000000 00000001"
              "00 01 01 333336313233343536373800 05 00 52656c61697300"
              "04 00 00 00 00 00 00 00 00"
              "00"                      /* sm_length 0 */
              "001e 0006 616263313233", /* receipted_message_id "abc123", no NUL */
              &v);
    char id[SMPP_MESSAGE_ID_SIZE];
    assert_int_equal(smpp_tlv_get_receipted_message_id(&v.p, id), 0);
    assert_string_equal(id, "abc123");
}

static void data_sm_and_resp(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000040 00000103 00000000 0000000a" /* 64 octets, data_sm, seq 10 */
              "00"                                  /* service_type "" */
              "05 00 52656c61697300"                /* source "Relais" (max 65 in data_sm) */
              "01 01 333336313233343536373800"      /* destination "33612345678" (max 65) */
              "00 01 00"                            /* esm_class, registered, data_coding */
              "0424 000b 48656c6c6f20776f726c64"    /* message_payload "Hello world" */
              "1401 0002 4652",                     /* vendor tag 0x1401 "FR" */
              &v);
    header(&v.p, SMPP_CMD_DATA_SM, 0, 10);
    assert_int_equal(v.p.registered_delivery, 1);
    const uint8_t *pl;
    size_t len;
    assert_int_equal(smpp_tlv_get_message_payload(&v.p, &pl, &len), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(pl, "Hello world", 11);
    assert_int_equal(v.p.tlv[1].tag, 0x1401);

    roundtrip("0000001b 80000103 00000000 0000000a" /* 27 octets, data_sm_resp */
              "6d2d3100"                            /* message_id "m-1" (4) */
              "001d 0003 6f6b00",                   /* additional_status_info_text "ok" */
              &v);
    header(&v.p, SMPP_CMD_DATA_SM_RESP, 0, 10);
    assert_string_equal(v.p.message_id, "m-1");
    assert_int_equal(v.p.tlv[0].tag, SMPP_TLV_ADDITIONAL_STATUS_INFO_TEXT);
}

static void query_sm_and_resp(void **state)
{
    (void)state;
    struct vec v;
    roundtrip("00000020 00000003 00000000 0000000b" /* 32 octets, query_sm, seq 11 */
              "61626331323300"                      /* message_id "abc123" */
              "05 00 52656c61697300",               /* source_addr of the original */
              &v);
    header(&v.p, SMPP_CMD_QUERY_SM, 0, 11);
    assert_string_equal(v.p.message_id, "abc123");
    assert_string_equal(v.p.source_addr, "Relais");

    roundtrip("0000002a 80000003 00000000 0000000b" /* 42 octets, query_sm_resp */
              "61626331323300"                      /* message_id "abc123" */
              "3235303130313132303130303030342b00"  /* final_date "250101120100004+" */
              "02"                                  /* message_state DELIVERED */
              "00",                                 /* error_code */
              &v);
    header(&v.p, SMPP_CMD_QUERY_SM_RESP, 0, 11);
    assert_string_equal(v.p.final_date, "250101120100004+");
    assert_int_equal(v.p.message_state, 2);
    assert_int_equal(v.p.error_code, 0);
}

/* --- hostile input --------------------------------------------------------- */

/* Decodes hex, expects failure of this kind, at this field, with this status and reply. */
static void refused(const char *hex, size_t max_len, enum smpp_decode_kind kind, const char *field,
                    uint32_t status, uint32_t reply)
{
    uint8_t b[4096];
    size_t len = unhex(hex, b, sizeof(b));
    struct smpp_pdu p;
    struct smpp_decode_err e;
    assert_int_equal(smpp_pdu_decode(b, len, max_len, &p, &e), RL_ESMPP);
    assert_string_equal(smpp_decode_kind_name(e.kind), smpp_decode_kind_name(kind));
    assert_string_equal(e.field, field);
    assert_int_equal(smpp_decode_err_status(&e), status);
    assert_int_equal(smpp_decode_err_reply_id(&e, p.command_id), reply);
}

static void bad_lengths_get_generic_nack(void **state)
{
    (void)state;
    const uint32_t NACK = SMPP_CMD_GENERIC_NACK;
    /* Fewer octets than a header. */
    refused("00000010 00000015", 0, SMPP_DECODE_TRUNCATED, "header", SMPP_ESME_RINVCMDLEN, NACK);
    /* command_length 15: below the header's own size. */
    refused("0000000f 00000015 00000000 00000001", 0, SMPP_DECODE_BAD_LENGTH, "command_length",
            SMPP_ESME_RINVCMDLEN, NACK);
    /* command_length 17 but 16 octets framed, and the reverse. */
    refused("00000011 00000015 00000000 00000001", 0, SMPP_DECODE_TRUNCATED, "command_length",
            SMPP_ESME_RINVCMDLEN, NACK);
    refused("00000010 00000015 00000000 00000001 00", 0, SMPP_DECODE_BAD_LENGTH, "command_length",
            SMPP_ESME_RINVCMDLEN, NACK);
    /* Above a configured maximum of 32. */
    refused(SUBMIT_SM_HELLO, 32, SMPP_DECODE_TOO_LONG, "command_length", SMPP_ESME_RINVCMDLEN,
            NACK);
    /* A body that ends inside its mandatory fields: command_length is "too short". */
    refused("00000015 00000004 00000000 00000001 00 05 00 5265", 0, SMPP_DECODE_TRUNCATED,
            "source_addr", SMPP_ESME_RINVCMDLEN, NACK);
    refused("00000012 00000004 00000000 00000001 00 05", 0, SMPP_DECODE_TRUNCATED,
            "source_addr_npi", SMPP_ESME_RINVCMDLEN, NACK);
    refused("00000010 00000004 00000000 00000001", 0, SMPP_DECODE_TRUNCATED, "service_type",
            SMPP_ESME_RINVCMDLEN, NACK);
}

static void default_maximum_is_64k(void **state)
{
    (void)state;
    /* 65,537 octets: one over. The header is read, the body never. */
    size_t n = 64 * 1024 + 1;
    uint8_t *b = calloc(1, n);
    assert_non_null(b);
    const uint8_t h[16] = {0, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7};
    memcpy(b, h, 16);
    struct smpp_pdu p;
    struct smpp_decode_err e;
    assert_int_equal(smpp_pdu_decode(b, n, 0, &p, &e), RL_ESMPP);
    assert_int_equal(e.kind, SMPP_DECODE_TOO_LONG);
    assert_int_equal(p.sequence_number, 7); /* for the generic_nack */
    size_t len;
    assert_int_equal(smpp_pdu_frame(b, n, 0, &len), RL_ESMPP);
    free(b);
}

static void unknown_command_gets_rinvcmdid(void **state)
{
    (void)state;
    refused("00000010 0000ffff 00000000 00000001", 0, SMPP_DECODE_UNKNOWN_COMMAND, "command_id",
            SMPP_ESME_RINVCMDID, SMPP_CMD_GENERIC_NACK);
    /* A 3.4 command this codec does not implement is answered the same way. */
    refused("00000010 00000008 00000000 00000001", 0, SMPP_DECODE_UNKNOWN_COMMAND, "command_id",
            SMPP_ESME_RINVCMDID, SMPP_CMD_GENERIC_NACK);
}

static void unterminated_strings_name_the_field(void **state)
{
    (void)state;
    /* source_addr: 21 octets without a NUL (max 21 with it). */
    refused("00000036 00000004 00000000 00000001 00 05 00"
            "414141414141414141414141414141414141414141"
            "01 01 3300 000000 00 00 01000000 00",
            0, SMPP_DECODE_CSTRING_UNTERMINATED, "source_addr", SMPP_ESME_RINVSRCADR,
            SMPP_CMD_SUBMIT_SM_RESP);
    /* destination_addr: 21 octets without a NUL. */
    refused("00000036 00000004 00000000 00000001 00 05 00 3300 01 01"
            "424242424242424242424242424242424242424242"
            "000000 00 00 01000000 00",
            0, SMPP_DECODE_CSTRING_UNTERMINATED, "destination_addr", SMPP_ESME_RINVDSTADR,
            SMPP_CMD_SUBMIT_SM_RESP);
    /* system_id: 16 octets without a NUL in a bind. */
    refused("00000027 00000009 00000000 00000001 61616161616161616161616161616161 00 00 34 00 00 "
            "00 00",
            0, SMPP_DECODE_CSTRING_UNTERMINATED, "system_id", SMPP_ESME_RINVSYSID,
            SMPP_CMD_BIND_TRANSCEIVER_RESP);
    /* A broken message_id in a response: nothing is sent back. */
    refused("00000051 80000004 00000000 00000001"
            "6161616161616161616161616161616161616161616161616161616161616161"
            "6161616161616161616161616161616161616161616161616161616161616161 61",
            0, SMPP_DECODE_CSTRING_UNTERMINATED, "message_id", SMPP_ESME_RINVMSGID, 0);
}

static void bad_values_name_the_field(void **state)
{
    (void)state;
    /* sm_length 255: over the 254 the spec allows. */
    refused("00000023 00000004 00000000 00000001 00 05 00 3300 01 01 3300 000000 00 00 01000000 ff",
            0, SMPP_DECODE_FIELD_RANGE, "sm_length", SMPP_ESME_RINVMSGLEN, SMPP_CMD_SUBMIT_SM_RESP);
    /* sm_length 5 with 2 octets left in the body. */
    refused("00000025 00000005 00000000 00000001 00 05 00 3300 01 01 3300 000000 00 00 01000000 "
            "05 4142",
            0, SMPP_DECODE_FIELD_RANGE, "sm_length", SMPP_ESME_RINVMSGLEN,
            SMPP_CMD_DELIVER_SM_RESP);
    /* schedule_delivery_time "12345": a time is empty or 16 characters. */
    refused("00000028 00000004 00000000 00000001 00 05 00 3300 01 01 3300 000000"
            "313233343500 00 01000000 00",
            0, SMPP_DECODE_FIELD_RANGE, "schedule_delivery_time", SMPP_ESME_RINVSCHED,
            SMPP_CMD_SUBMIT_SM_RESP);
}

#define SUBMIT_MIN_BODY "00 05 00 3300 01 01 3300 000000 00 00 01000000 00" /* 19 octets */

static void bad_tlvs(void **state)
{
    (void)state;
    /* message_payload says 16 octets, 1 follows. */
    refused("00000028 00000004 00000000 00000001 " SUBMIT_MIN_BODY " 0424 0010 41", 0,
            SMPP_DECODE_TLV_OVERRUN, "message_payload", SMPP_ESME_RINVOPTPARSTREAM,
            SMPP_CMD_SUBMIT_SM_RESP);
    /* Three octets: not even a TLV header. */
    refused("00000026 00000004 00000000 00000001 " SUBMIT_MIN_BODY " 020c 00", 0,
            SMPP_DECODE_TLV_OVERRUN, "sar_msg_ref_num", SMPP_ESME_RINVOPTPARSTREAM,
            SMPP_CMD_SUBMIT_SM_RESP);
    /* sar_msg_ref_num is 2 octets, not 1. */
    refused("00000028 00000004 00000000 00000001 " SUBMIT_MIN_BODY " 020c 0001 01", 0,
            SMPP_DECODE_TLV_LENGTH, "sar_msg_ref_num", SMPP_ESME_RINVPARLEN,
            SMPP_CMD_SUBMIT_SM_RESP);
    /* A TLV overrun after a header-only command's header. */
    refused("00000013 00000015 00000000 00000001 1400 00", 0, SMPP_DECODE_TLV_OVERRUN, "tlv",
            SMPP_ESME_RINVOPTPARSTREAM, SMPP_CMD_ENQUIRE_LINK_RESP);
}

static void too_many_tlvs(void **state)
{
    (void)state;
    /* enquire_link followed by 65 empty vendor TLVs: the cap is 64. */
    uint8_t b[16 + 65 * 4] = {0, 0, 0x01, 0x14, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1};
    for (size_t i = 0; i < 65; i++) {
        b[16 + i * 4] = 0x14;
        b[16 + i * 4 + 1] = (uint8_t)i;
    }
    struct smpp_pdu p;
    struct smpp_decode_err e;
    assert_int_equal(smpp_pdu_decode(b, sizeof(b), 0, &p, &e), RL_ESMPP);
    assert_int_equal(e.kind, SMPP_DECODE_TLV_TOO_MANY);
    assert_int_equal(e.tag, 0x1440);
    assert_int_equal(e.offset, 16 + 64 * 4);
    assert_int_equal(smpp_decode_err_status(&e), SMPP_ESME_RINVOPTPARSTREAM);
    /* 64 are fine. */
    b[3] = 0x10;
    assert_int_equal(smpp_pdu_decode(b, sizeof(b) - 4, 0, &p, &e), 0);
    assert_int_equal(p.ntlv, 64);
}

static void framing(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = unhex(SUBMIT_SM_HELLO, b, sizeof(b)), len = 99;
    assert_int_equal(smpp_pdu_frame(b, 3, 0, &len), SMPP_FRAME_MORE);
    assert_int_equal(len, SMPP_HEADER_LEN);
    assert_int_equal(smpp_pdu_frame(b, 20, 0, &len), SMPP_FRAME_MORE);
    assert_int_equal(len, 55);
    assert_int_equal(smpp_pdu_frame(b, n, 0, &len), SMPP_FRAME_READY);
    assert_int_equal(len, 55);
    assert_int_equal(smpp_pdu_frame(b, n, 54, &len), RL_ESMPP);
    b[3] = 0x0f;
    assert_int_equal(smpp_pdu_frame(b, n, 0, &len), RL_ESMPP);
}

/* --- encoding -------------------------------------------------------------- */

static void encode_builds_the_vector(void **state)
{
    (void)state;
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 5);
    memcpy(p.source_addr, "Relais", 7);
    p.source_addr_ton = 5;
    memcpy(p.destination_addr, "33612345678", 12);
    p.dest_addr_ton = p.dest_addr_npi = 1;
    p.registered_delivery = 1;
    p.sm_length = 5;
    memcpy(p.short_message, "Hello", 5);
    uint8_t want[64], out[128];
    size_t n = unhex(SUBMIT_SM_HELLO, want, sizeof(want)), w = 0;
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, NULL), 0);
    assert_int_equal(w, n);
    assert_memory_equal(out, want, n);

    /* Too small a buffer: refused, with the size it needs. */
    assert_int_equal(smpp_pdu_encode(&p, out, 20, &w, NULL), RL_ETOOLONG);
    assert_int_equal(w, 55);
    assert_int_equal(smpp_pdu_encode(&p, NULL, 0, &w, NULL), RL_ETOOLONG);
    assert_int_equal(w, 55);

    /* Typed adders; a 1-octet value for a 2-octet tag is refused. */
    assert_int_equal(smpp_tlv_add_u16(&p, SMPP_TLV_SAR_MSG_REF_NUM, 0x1234), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_SAR_MSG_REF_NUM, 1), RL_ESMPPTLV);
    struct smpp_network_error ne = {3, 0x0101};
    assert_int_equal(smpp_tlv_add_network_error_code(&p, &ne), 0);
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "abc123"), 0);
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, NULL), 0);
    assert_int_equal(w, 55 + 6 + 7 + 11);
    struct smpp_pdu q;
    assert_int_equal(smpp_pdu_decode(out, w, 0, &q, NULL), 0);
    assert_true(smpp_pdu_equal(&p, &q) == false); /* command_length: p never had one */
    p.command_length = q.command_length;
    assert_true(smpp_pdu_equal(&p, &q));
    struct smpp_network_error got;
    assert_int_equal(smpp_tlv_get_network_error_code(&q, &got), 0);
    assert_int_equal(got.code, 0x0101);
}

static void encode_refuses_over_long_fields(void **state)
{
    (void)state;
    struct smpp_pdu p;
    struct rl_err err = {0};
    uint8_t out[256];
    size_t w;
    /* 21 characters fit the struct (sized for data_sm) but not submit_sm's 21 with NUL. */
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 1);
    memset(p.source_addr, 'A', 21);
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "source_addr");
    p.command_id = SMPP_CMD_DATA_SM;
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), 0);

    smpp_pdu_init(&p, SMPP_CMD_BIND_TRANSMITTER, 1);
    memset(p.password, 'x', sizeof(p.password)); /* no NUL at all */
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "password");

    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 1);
    p.sm_length = 255;
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "short_message");

    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 1);
    memcpy(p.validity_period, "1h", 3);
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_EINVAL);
    assert_string_equal(err.field, "validity_period");

    smpp_pdu_init(&p, SMPP_CMD_CANCEL_SM, 1);
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_EINVAL);
    assert_string_equal(err.field, "command_id");

    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 1);
    p.no_body = true;
    assert_int_equal(smpp_pdu_encode(&p, out, sizeof(out), &w, &err), RL_EINVAL);
}

static void tlv_limits(void **state)
{
    (void)state;
    struct smpp_pdu p;
    smpp_pdu_init(&p, SMPP_CMD_DATA_SM, 1);
    static uint8_t big[70000];
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, big, sizeof(big)), RL_ETOOLONG);
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, big, 65535), 0);
    for (int i = 1; i < SMPP_TLV_MAX; i++)
        assert_int_equal(smpp_tlv_add_u8(&p, (uint16_t)(0x1400 + i), (uint8_t)i), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, 0x1500, 0), RL_ERANGE);
    uint8_t v;
    assert_int_equal(smpp_tlv_get_u8(&p, 0x1401, &v), 0);
    assert_int_equal(v, 1);
    uint16_t u;
    assert_int_equal(smpp_tlv_get_u16(&p, 0x1401, &u), RL_ESMPPTLV);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(smpp_command_name(0x00000015), "enquire_link");
    assert_string_equal(smpp_command_name(0x80000004), "submit_sm_resp");
    assert_string_equal(smpp_command_name(0x12345678), "unknown");
    assert_string_equal(smpp_status_name(0x58), "ESME_RTHROTTLED");
    assert_string_equal(smpp_status_text(0x58),
                        "throttling error (ESME has exceeded allowed message limits)");
    assert_string_equal(smpp_status_name(0x50), "ESME_RINVDSTTON");
    assert_string_equal(smpp_status_name(0xC0), "ESME_RINVOPTPARSTREAM");
    assert_string_equal(smpp_status_name(0x09), "unknown");
    assert_string_equal(smpp_status_text(0x09), "reserved");
    assert_string_equal(smpp_status_text(0x401), "SMSC vendor-specific error");
    assert_string_equal(smpp_tlv_name(0x0424), "message_payload");
    assert_int_equal(SMPP_TLV_MESSAGE_STATE, 0x0427);
    assert_int_equal(SMPP_CMD_DATA_SM_RESP, 0x80000103u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enquire_link_is_sixteen_octets),
        cmocka_unit_test(unbind_and_generic_nack),
        cmocka_unit_test(bind_transmitter),
        cmocka_unit_test(bind_receiver_and_transceiver),
        cmocka_unit_test(bind_responses),
        cmocka_unit_test(outbind),
        cmocka_unit_test(submit_sm),
        cmocka_unit_test(submit_sm_with_tlvs_keeps_unknown_tags),
        cmocka_unit_test(submit_sm_resp),
        cmocka_unit_test(deliver_sm_receipt),
        cmocka_unit_test(receipted_message_id_without_nul),
        cmocka_unit_test(data_sm_and_resp),
        cmocka_unit_test(query_sm_and_resp),
        cmocka_unit_test(bad_lengths_get_generic_nack),
        cmocka_unit_test(default_maximum_is_64k),
        cmocka_unit_test(unknown_command_gets_rinvcmdid),
        cmocka_unit_test(unterminated_strings_name_the_field),
        cmocka_unit_test(bad_values_name_the_field),
        cmocka_unit_test(bad_tlvs),
        cmocka_unit_test(too_many_tlvs),
        cmocka_unit_test(framing),
        cmocka_unit_test(encode_builds_the_vector),
        cmocka_unit_test(encode_refuses_over_long_fields),
        cmocka_unit_test(tlv_limits),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

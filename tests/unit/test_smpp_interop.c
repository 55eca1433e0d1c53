/* Differential test of the SMPP codec against libsmpp34, an implementation we
 * did not write (used here only: it keeps its errors in globals and is not
 * thread-safe, which a single-threaded test does not mind). For each PDU both
 * know, the same content is built on both sides; then
 *   - libsmpp34's octets and ours must be identical;
 *   - our decoder must read libsmpp34's octets back as our PDU;
 *   - libsmpp34 must unpack our octets into the same fields.
 * libsmpp34 keeps TLVs in a list in the reverse of wire order (build_tlv
 * prepends), which the helpers below undo. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smpp/smpp_pdu.h"

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <libsmpp34/smpp34_params.h>

#define SAME_HEADER(t, p)                                                                          \
    do {                                                                                           \
        assert_int_equal((t)->command_id, (p)->command_id);                                        \
        assert_int_equal((t)->command_status, (p)->command_status);                                \
        assert_int_equal((t)->sequence_number, (p)->sequence_number);                              \
    } while (0)
#define SAME_STR(t, p, f) assert_string_equal((const char *)(t)->f, (p)->f)
#define SAME_INT(t, p, f) assert_int_equal((t)->f, (p)->f)
#define SET_STR(t, p, f, s)                                                                        \
    do {                                                                                           \
        snprintf((char *)(t)->f, sizeof((t)->f), "%s", s);                                         \
        snprintf((p)->f, sizeof((p)->f), "%s", s);                                                 \
    } while (0)
#define SET_INT(t, p, f, v) ((t)->f = (p)->f = (v))

/* How libsmpp34 holds a TLV value: integers in host order in val08/16/32 for
 * the tags it knows as integers, octets otherwise. */
static int int_width(uint16_t tag)
{
    switch (tag) {
    case SMPP_TLV_SAR_TOTAL_SEGMENTS:
    case SMPP_TLV_SAR_SEGMENT_SEQNUM:
    case SMPP_TLV_MESSAGE_STATE:
    case SMPP_TLV_SC_INTERFACE_VERSION:
    case SMPP_TLV_MORE_MESSAGES_TO_SEND:
    case SMPP_TLV_PAYLOAD_TYPE:
        return 1;
    case SMPP_TLV_SAR_MSG_REF_NUM:
    case SMPP_TLV_USER_MESSAGE_REFERENCE:
    case SMPP_TLV_SOURCE_PORT:
    case SMPP_TLV_DESTINATION_PORT:
        return 2;
    case SMPP_TLV_QOS_TIME_TO_LIVE:
        return 4;
    default:
        return 0;
    }
}

static void their_value(const tlv_t *x, uint8_t *out)
{
    switch (int_width(x->tag)) {
    case 1:
        out[0] = x->value.val08;
        break;
    case 2:
        out[0] = (uint8_t)(x->value.val16 >> 8);
        out[1] = (uint8_t)x->value.val16;
        break;
    case 4:
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(x->value.val32 >> (24 - 8 * i));
        break;
    default:
        memcpy(out, x->value.octet, x->length);
    }
}

/* Builds libsmpp34's list from our TLVs: last first, as build_tlv prepends. */
static void their_tlvs_from(tlv_t **head, const struct smpp_pdu *p)
{
    for (size_t i = p->ntlv; i-- > 0;) {
        const struct smpp_tlv *s = &p->tlv[i];
        const uint8_t *v = smpp_tlv_value(s);
        tlv_t t;
        memset(&t, 0, sizeof(t));
        t.tag = s->tag;
        t.length = s->len;
        switch (int_width(s->tag)) {
        case 1:
            t.value.val08 = v[0];
            break;
        case 2:
            t.value.val16 = (uint16_t)(v[0] << 8 | v[1]);
            break;
        case 4:
            t.value.val32 =
                (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            break;
        default:
            assert_true(s->len <= sizeof(t.value.octet));
            memcpy(t.value.octet, v, s->len);
        }
        assert_int_equal(build_tlv(head, &t), 0);
    }
}

static void same_tlvs(tlv_t *head, const struct smpp_pdu *p)
{
    const tlv_t *wire[SMPP_TLV_MAX];
    size_t n = 0;
    for (tlv_t *x = head; x; x = x->next) {
        assert_true(n < SMPP_TLV_MAX);
        wire[n++] = x;
    }
    assert_int_equal(n, p->ntlv);
    for (size_t i = 0; i < n; i++) {
        const tlv_t *x = wire[n - 1 - i]; /* the list is in reverse wire order */
        uint8_t v[1024];
        assert_int_equal(x->tag, p->tlv[i].tag);
        assert_int_equal(x->length, p->tlv[i].len);
        their_value(x, v);
        assert_memory_equal(v, smpp_tlv_value(&p->tlv[i]), x->length);
    }
}

/* Packs t with libsmpp34 and p with our encoder: the octets must be the same.
 * Our decoder must read libsmpp34's octets as p; libsmpp34 must unpack ours
 * into u, usize octets (the caller compares u's fields). */
static void agree(uint32_t type, void *t, const struct smpp_pdu *p, void *u, size_t usize)
{
    uint8_t theirs[4096], ours[4096];
    int tlen = 0;
    if (smpp34_pack(type, theirs, sizeof(theirs), &tlen, t) != 0)
        fail_msg("smpp34_pack: %s", smpp34_strerror);
    size_t olen = 0;
    struct rl_err err = {0};
    if (smpp_pdu_encode(p, ours, sizeof(ours), &olen, &err) != 0)
        fail_msg("encode: %s", err.msg);
    assert_int_equal(olen, (size_t)tlen);
    assert_memory_equal(ours, theirs, olen);

    struct smpp_pdu d, want = *p;
    struct smpp_decode_err e;
    if (smpp_pdu_decode(theirs, (size_t)tlen, 0, &d, &e) != 0)
        fail_msg("decode: %s at %s", smpp_decode_kind_name(e.kind), e.field);
    want.command_length = (uint32_t)olen;
    assert_true(smpp_pdu_equal(&d, &want));

    memset(u, 0, usize); /* libsmpp34 appends TLVs to whatever list u holds */
    if (smpp34_unpack(type, u, ours, (int)olen) != 0)
        fail_msg("smpp34_unpack: %s", smpp34_strerror);
}

static void enquire_link_unbind_generic_nack(void **state)
{
    (void)state;
    struct smpp_pdu p;
    enquire_link_t e, eu;
    memset(&e, 0, sizeof(e));
    e.command_id = ENQUIRE_LINK;
    e.sequence_number = 1;
    smpp_pdu_init(&p, SMPP_CMD_ENQUIRE_LINK, 1);
    agree(ENQUIRE_LINK, &e, &p, &eu, sizeof(eu));
    SAME_HEADER(&eu, &p);
    assert_int_equal(eu.command_length, 16);

    unbind_t b, bu;
    memset(&b, 0, sizeof(b));
    b.command_id = UNBIND;
    b.sequence_number = 0x7fffffff;
    smpp_pdu_init(&p, SMPP_CMD_UNBIND, 0x7fffffff);
    agree(UNBIND, &b, &p, &bu, sizeof(bu));
    SAME_HEADER(&bu, &p);

    generic_nack_t n, nu;
    memset(&n, 0, sizeof(n));
    n.command_id = GENERIC_NACK;
    n.command_status = ESME_RINVCMDLEN;
    n.sequence_number = 9;
    smpp_pdu_init(&p, SMPP_CMD_GENERIC_NACK, 9);
    p.command_status = SMPP_ESME_RINVCMDLEN;
    agree(GENERIC_NACK, &n, &p, &nu, sizeof(nu));
    SAME_HEADER(&nu, &p);
}

/* A macro, not a function: libsmpp34 has one struct type per command. */
#define FILL_BIND(t, p, id)                                                                        \
    do {                                                                                           \
        memset(t, 0, sizeof(*(t)));                                                                \
        smpp_pdu_init(p, id, 42);                                                                  \
        (t)->command_id = id;                                                                      \
        (t)->sequence_number = 42;                                                                 \
        SET_STR(t, p, system_id, "relais_client_1"); /* 15 characters: the maximum */              \
        SET_STR(t, p, password, "p4ssw0rd");         /* 8: the maximum */                          \
        SET_STR(t, p, system_type, "VMA");                                                         \
        SET_INT(t, p, interface_version, 0x34);                                                    \
        SET_INT(t, p, addr_ton, 1);                                                                \
        SET_INT(t, p, addr_npi, 1);                                                                \
        SET_STR(t, p, address_range, "^33[67]");                                                   \
    } while (0)

#define SAME_BIND(u, p)                                                                            \
    do {                                                                                           \
        SAME_HEADER(u, p);                                                                         \
        SAME_STR(u, p, system_id);                                                                 \
        SAME_STR(u, p, password);                                                                  \
        SAME_STR(u, p, system_type);                                                               \
        SAME_INT(u, p, interface_version);                                                         \
        SAME_INT(u, p, addr_ton);                                                                  \
        SAME_INT(u, p, addr_npi);                                                                  \
        SAME_STR(u, p, address_range);                                                             \
    } while (0)

static void binds(void **state)
{
    (void)state;
    struct smpp_pdu p;
    bind_transmitter_t t, tu;
    FILL_BIND(&t, &p, SMPP_CMD_BIND_TRANSMITTER);
    agree(BIND_TRANSMITTER, &t, &p, &tu, sizeof(tu));
    SAME_BIND(&tu, &p);

    bind_transceiver_t x, xu;
    FILL_BIND(&x, &p, SMPP_CMD_BIND_TRANSCEIVER);
    agree(BIND_TRANSCEIVER, &x, &p, &xu, sizeof(xu));
    SAME_BIND(&xu, &p);

    bind_transmitter_resp_t r, ru;
    memset(&r, 0, sizeof(r));
    r.command_id = BIND_TRANSMITTER_RESP;
    r.sequence_number = 42;
    smpp_pdu_init(&p, SMPP_CMD_BIND_TRANSMITTER_RESP, 42);
    SET_STR(&r, &p, system_id, "SMSC");
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_SC_INTERFACE_VERSION, 0x34), 0);
    their_tlvs_from(&r.tlv, &p);
    agree(BIND_TRANSMITTER_RESP, &r, &p, &ru, sizeof(ru));
    SAME_HEADER(&ru, &p);
    SAME_STR(&ru, &p, system_id);
    same_tlvs(ru.tlv, &p);
    destroy_tlv(r.tlv);
    destroy_tlv(ru.tlv);
}

/* validity: libsmpp34 sizes deliver_sm's times 1, as the spec has them NULL. */
#define FILL_SM(t, p, id, text, validity)                                                          \
    do {                                                                                           \
        memset(t, 0, sizeof(*(t)));                                                                \
        smpp_pdu_init(p, id, 1000);                                                                \
        (t)->command_id = id;                                                                      \
        (t)->sequence_number = 1000;                                                               \
        SET_STR(t, p, service_type, "CMT");                                                        \
        SET_INT(t, p, source_addr_ton, 5);                                                         \
        SET_INT(t, p, source_addr_npi, 0);                                                         \
        SET_STR(t, p, source_addr, "Relais");                                                      \
        SET_INT(t, p, dest_addr_ton, 1);                                                           \
        SET_INT(t, p, dest_addr_npi, 1);                                                           \
        SET_STR(t, p, destination_addr, "33612345678");                                            \
        SET_INT(t, p, priority_flag, 1);                                                           \
        SET_STR(t, p, validity_period, validity);                                                  \
        SET_INT(t, p, registered_delivery, 1);                                                     \
        SET_INT(t, p, sm_length, (uint8_t)strlen(text));                                           \
        memcpy((t)->short_message, text, strlen(text));                                            \
        memcpy((p)->short_message, text, strlen(text));                                            \
    } while (0)

#define SAME_SM(u, p)                                                                              \
    do {                                                                                           \
        SAME_HEADER(u, p);                                                                         \
        SAME_STR(u, p, service_type);                                                              \
        SAME_INT(u, p, source_addr_ton);                                                           \
        SAME_INT(u, p, source_addr_npi);                                                           \
        SAME_STR(u, p, source_addr);                                                               \
        SAME_INT(u, p, dest_addr_ton);                                                             \
        SAME_INT(u, p, dest_addr_npi);                                                             \
        SAME_STR(u, p, destination_addr);                                                          \
        SAME_INT(u, p, esm_class);                                                                 \
        SAME_INT(u, p, protocol_id);                                                               \
        SAME_INT(u, p, priority_flag);                                                             \
        SAME_STR(u, p, schedule_delivery_time);                                                    \
        SAME_STR(u, p, validity_period);                                                           \
        SAME_INT(u, p, registered_delivery);                                                       \
        SAME_INT(u, p, replace_if_present_flag);                                                   \
        SAME_INT(u, p, data_coding);                                                               \
        SAME_INT(u, p, sm_default_msg_id);                                                         \
        SAME_INT(u, p, sm_length);                                                                 \
        assert_memory_equal((u)->short_message, (p)->short_message, (p)->sm_length);               \
    } while (0)

static void submit_sm_plain(void **state)
{
    (void)state;
    struct smpp_pdu p;
    submit_sm_t t, u;
    FILL_SM(&t, &p, SMPP_CMD_SUBMIT_SM, "Hello from relais", "000002000000000R");
    agree(SUBMIT_SM, &t, &p, &u, sizeof(u));
    SAME_SM(&u, &p);
    assert_null(u.tlv);
}

static void submit_sm_with_tlvs(void **state)
{
    (void)state;
    struct smpp_pdu p;
    submit_sm_t t, u;
    static const char text[] = "a long text carried in message_payload rather than short_message";
    FILL_SM(&t, &p, SMPP_CMD_SUBMIT_SM, "", "250101120000004+");
    assert_int_equal(smpp_tlv_add_u16(&p, SMPP_TLV_SAR_MSG_REF_NUM, 0xBEEF), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, 3), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, 2), 0);
    assert_int_equal(smpp_tlv_add_u16(&p, SMPP_TLV_USER_MESSAGE_REFERENCE, 7), 0);
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, text, sizeof(text) - 1), 0);
    assert_int_equal(smpp_tlv_add(&p, 0x1400, "\x01\x02\x03", 3), 0); /* vendor-specific */
    their_tlvs_from(&t.tlv, &p);
    agree(SUBMIT_SM, &t, &p, &u, sizeof(u));
    SAME_SM(&u, &p);
    same_tlvs(u.tlv, &p);
    destroy_tlv(t.tlv);
    destroy_tlv(u.tlv);
}

static void deliver_sm_receipt(void **state)
{
    (void)state;
    struct smpp_pdu p;
    deliver_sm_t t, u;
    FILL_SM(&t, &p, SMPP_CMD_DELIVER_SM,
            "id:abc123 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 "
            "stat:DELIVRD err:000 text:Hello",
            "");
    SET_INT(&t, &p, esm_class, 0x04);
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "abc123"), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, 2), 0);
    struct smpp_network_error ne = {3, 0x0022};
    assert_int_equal(smpp_tlv_add_network_error_code(&p, &ne), 0);
    their_tlvs_from(&t.tlv, &p);
    agree(DELIVER_SM, &t, &p, &u, sizeof(u));
    SAME_SM(&u, &p);
    same_tlvs(u.tlv, &p);
    destroy_tlv(t.tlv);
    destroy_tlv(u.tlv);

    deliver_sm_resp_t r, ru;
    memset(&r, 0, sizeof(r));
    r.command_id = DELIVER_SM_RESP;
    r.sequence_number = 1000;
    smpp_pdu_init(&p, SMPP_CMD_DELIVER_SM_RESP, 1000);
    agree(DELIVER_SM_RESP, &r, &p, &ru, sizeof(ru));
    SAME_HEADER(&ru, &p);
    SAME_STR(&ru, &p, message_id);
}

static void submit_sm_resp(void **state)
{
    (void)state;
    struct smpp_pdu p;
    submit_sm_resp_t t, u;
    memset(&t, 0, sizeof(t));
    t.command_id = SUBMIT_SM_RESP;
    t.sequence_number = 1000;
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM_RESP, 1000);
    /* 64 characters: message_id's maximum. */
    SET_STR(&t, &p, message_id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    agree(SUBMIT_SM_RESP, &t, &p, &u, sizeof(u));
    SAME_HEADER(&u, &p);
    SAME_STR(&u, &p, message_id);

    /* An error status with no body, as the spec has it: libsmpp34 reads ours. */
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM_RESP, 1001);
    p.command_status = SMPP_ESME_RTHROTTLED;
    p.no_body = true;
    uint8_t b[32];
    size_t n;
    assert_int_equal(smpp_pdu_encode(&p, b, sizeof(b), &n, NULL), 0);
    assert_int_equal(n, 16);
    memset(&u, 0, sizeof(u));
    assert_int_equal(smpp34_unpack(SUBMIT_SM_RESP, &u, b, (int)n), 0);
    assert_int_equal(u.command_status, ESME_RTHROTTLED);
    assert_string_equal((const char *)u.message_id, "");
}

static void query_sm_and_resp(void **state)
{
    (void)state;
    struct smpp_pdu p;
    query_sm_t t, u;
    memset(&t, 0, sizeof(t));
    t.command_id = QUERY_SM;
    t.sequence_number = 77;
    smpp_pdu_init(&p, SMPP_CMD_QUERY_SM, 77);
    SET_STR(&t, &p, message_id, "abc123");
    SET_INT(&t, &p, source_addr_ton, 5);
    SET_INT(&t, &p, source_addr_npi, 0);
    SET_STR(&t, &p, source_addr, "Relais");
    agree(QUERY_SM, &t, &p, &u, sizeof(u));
    SAME_HEADER(&u, &p);
    SAME_STR(&u, &p, message_id);
    SAME_INT(&u, &p, source_addr_ton);
    SAME_INT(&u, &p, source_addr_npi);
    SAME_STR(&u, &p, source_addr);

    query_sm_resp_t r, ru;
    memset(&r, 0, sizeof(r));
    r.command_id = QUERY_SM_RESP;
    r.sequence_number = 77;
    smpp_pdu_init(&p, SMPP_CMD_QUERY_SM_RESP, 77);
    SET_STR(&r, &p, message_id, "abc123");
    SET_STR(&r, &p, final_date, "250101120100004+");
    SET_INT(&r, &p, message_state, 2);
    SET_INT(&r, &p, error_code, 0);
    agree(QUERY_SM_RESP, &r, &p, &ru, sizeof(ru));
    SAME_HEADER(&ru, &p);
    SAME_STR(&ru, &p, final_date);
    SAME_INT(&ru, &p, message_state);
}

static void data_sm(void **state)
{
    (void)state;
    struct smpp_pdu p;
    data_sm_t t, u;
    memset(&t, 0, sizeof(t));
    t.command_id = DATA_SM;
    t.sequence_number = 5;
    smpp_pdu_init(&p, SMPP_CMD_DATA_SM, 5);
    SET_INT(&t, &p, source_addr_ton, 1);
    SET_INT(&t, &p, source_addr_npi, 1);
    /* libsmpp34 sizes data_sm's source_addr 21 (the spec says 65): stay short. */
    SET_STR(&t, &p, source_addr, "33700000000");
    SET_INT(&t, &p, dest_addr_ton, 5);
    SET_STR(&t, &p, destination_addr, "Relais");
    SET_INT(&t, &p, registered_delivery, 0);
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, "STOP", 4), 0);
    their_tlvs_from(&t.tlv, &p);
    agree(DATA_SM, &t, &p, &u, sizeof(u));
    SAME_HEADER(&u, &p);
    SAME_STR(&u, &p, source_addr);
    SAME_STR(&u, &p, destination_addr);
    same_tlvs(u.tlv, &p);
    destroy_tlv(t.tlv);
    destroy_tlv(u.tlv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enquire_link_unbind_generic_nack),
        cmocka_unit_test(binds),
        cmocka_unit_test(submit_sm_plain),
        cmocka_unit_test(submit_sm_with_tlvs),
        cmocka_unit_test(deliver_sm_receipt),
        cmocka_unit_test(submit_sm_resp),
        cmocka_unit_test(query_sm_and_resp),
        cmocka_unit_test(data_sm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Delivery receipts in both forms. Text vectors are written by hand; the
 * comment above each says where its shape comes from (SMPP 3.4 Appendix B,
 * or what SMSCs in the field write instead). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smpp/smpp_receipt.h"

static struct smpp_receipt parse_ok(const char *s)
{
    struct smpp_receipt r;
    struct rl_err err = {0};
    int rc = smpp_receipt_parse_text(s, strlen(s), &r, &err);
    if (rc)
        fail_msg("parse of \"%s\": %d %s: %s", s, rc, err.field, err.msg);
    assert_true(r.from_text);
    assert_false(r.from_tlv);
    return r;
}

static void parse_fails(const char *s, size_t len, const char *field)
{
    struct smpp_receipt r;
    struct rl_err err = {0};
    assert_int_equal(smpp_receipt_parse_text(s, len, &r, &err), RL_EPARSE);
    assert_int_equal(err.code, RL_EPARSE);
    assert_string_equal(err.field, field);
    assert_true(err.msg[0] != '\0');
}

/* SMPP 3.4 Appendix B, Table B-1, with values in place of the placeholders;
 * "Text:" capitalised as the spec prints it. */
static void appendix_b(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("id:0123456789 sub:001 dlvrd:001 submit date:0507011200 "
                                     "done date:0507011201 stat:DELIVRD err:000 Text:Hello world");
    assert_string_equal(r.id, "0123456789");
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_int_equal(r.sub, 1);
    assert_int_equal(r.dlvrd, 1);
    assert_string_equal(r.submit_date, "0507011200");
    assert_string_equal(r.done_date, "0507011201");
    assert_int_equal(r.err, 0);
    assert_string_equal(r.text, "Hello world");
    assert_false(r.has_network_error);
}

/* Field names in any case: upper-case from some SMSCs, "Id:" from others. */
static void any_case(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("ID:1A2B SUB:001 DLVRD:000 SUBMIT DATE:1601010100 "
                                     "DONE DATE:1601010101 STAT:undeliv ERR:001 TEXT:x");
    assert_string_equal(r.id, "1A2B");
    assert_int_equal(r.state, SMPP_DLR_UNDELIVERABLE);
    assert_int_equal(r.dlvrd, 0);
    assert_string_equal(r.done_date, "1601010101");
    assert_int_equal(r.err, 1);
    r = parse_ok("Id:77 Sub:1 Dlvrd:1 Submit Date:1601010100 Done Date:1601010101 Stat:Delivrd");
    assert_string_equal(r.id, "77");
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_string_equal(r.submit_date, "1601010100");
    assert_string_equal(r.text, "");
}

/* Aggregators that leave out sub and dlvrd, write err:0, and no text. */
static void missing_fields(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("id:12345 submit date:1601010100 done date:1601010101 "
                                     "stat:DELIVRD err:0");
    assert_int_equal(r.sub, -1);
    assert_int_equal(r.dlvrd, -1);
    assert_int_equal(r.err, 0);
    r = parse_ok("id:12345 stat:EXPIRED");
    assert_int_equal(r.state, SMPP_DLR_EXPIRED);
    assert_int_equal(r.err, -1);
    assert_string_equal(r.submit_date, "");
    assert_string_equal(r.done_date, "");
}

/* submit_date / done_date with underscores, as SMSCs built on the field names
 * of other protocols write them; ids with dashes (UUID-like). */
static void underscore_dates(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("id:abc-123 sub:001 dlvrd:000 submit_date:1601010100 "
                                     "done_date:1601010101 stat:EXPIRED err:000 text:");
    assert_string_equal(r.id, "abc-123");
    assert_string_equal(r.submit_date, "1601010100");
    assert_string_equal(r.done_date, "1601010101");
    assert_int_equal(r.state, SMPP_DLR_EXPIRED);
}

/* Dates with seconds (YYMMDDhhmmss), and a 20-digit decimal id, as vendors'
 * knowledge bases show them; a 14-digit date is dropped, not fatal. */
static void twelve_digit_dates(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("id:64567564356765435676 sub:001 dlvrd:001 submit "
                                     "date:190608165232 done date:20190608165237 stat:DELIVRD "
                                     "err:000 text:Hello World");
    assert_string_equal(r.id, "64567564356765435676");
    assert_string_equal(r.submit_date, "190608165232");
    assert_string_equal(r.done_date, "");
    assert_string_equal(r.text, "Hello World");
}

/* text: echoes the user's message, which can say anything, "stat:" included:
 * field parsing stops at text:. */
static void text_holds_fields(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("id:7 sub:001 dlvrd:000 submit date:1601010100 done "
                                     "date:1601010101 stat:UNDELIV err:001 text:stat:DELIVRD id:9");
    assert_string_equal(r.id, "7");
    assert_int_equal(r.state, SMPP_DLR_UNDELIVERABLE);
    assert_string_equal(r.text, "stat:DELIVRD id:9");
    /* text: before stat: means no state (the order is the spec's). */
    parse_fails("id:7 text:hi stat:DELIVRD", 25, "stat");
    /* A long text keeps its first 23 characters; control octets become '?'. */
    r = parse_ok("id:7 stat:DELIVRD text:\x01\x7f"
                 "abcdefghijklmnopqrstuvwxyz");
    assert_string_equal(r.text, "??abcdefghijklmnopqrstu");
}

/* Trailing garbage, vendor fields, CR LF and runs of blanks between fields,
 * the fields out of order: seen from SMSCs that build receipts by hand. */
static void garbage_and_order(void **state)
{
    (void)state;
    struct smpp_receipt r = parse_ok("  stat:DELIVRD\t\tid:42  \r\nnetwork:23415 err:0 mcc=234 "
                                     "foo: bar :: \x01\x02");
    assert_string_equal(r.id, "42");
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_int_equal(r.err, 0);
    /* A blank after the colon, an empty date, and repeated fields (first wins). */
    r = parse_ok("id: 42 submit date: done date:1601010101 stat:ENROUTE stat:DELIVRD id:43");
    assert_string_equal(r.id, "42");
    assert_string_equal(r.submit_date, "");
    assert_string_equal(r.done_date, "1601010101");
    assert_int_equal(r.state, SMPP_DLR_ENROUTE);
    /* The text need not be NUL-terminated, and a NUL ends the echoed text. */
    const char raw[] = {'i', 'd', ':', '5', ' ', 's', 't', 'a', 't', ':', 'D', 'E',  'L',
                        'E', 'T', 'E', 'D', ' ', 't', 'e', 'x', 't', ':', 'a', '\0', 'b'};
    struct smpp_receipt r2;
    assert_int_equal(smpp_receipt_parse_text(raw, sizeof(raw), &r2, NULL), 0);
    assert_int_equal(r2.state, SMPP_DLR_DELETED);
    assert_string_equal(r2.text, "a");
}

static void state_words(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        enum smpp_dlr_state state;
    } v[] = {
        {"DELIVRD", SMPP_DLR_DELIVERED},
        {"delivered", SMPP_DLR_DELIVERED},
        {"UNDELIV", SMPP_DLR_UNDELIVERABLE},
        {"UNDELIVERABLE", SMPP_DLR_UNDELIVERABLE},
        {"Failed", SMPP_DLR_UNDELIVERABLE},
        {"EXPIRED", SMPP_DLR_EXPIRED},
        {"DELETED", SMPP_DLR_DELETED},
        {"ACCEPTD", SMPP_DLR_ACCEPTED},
        {"ACKED", SMPP_DLR_ACCEPTED},
        {"UNKNOWN", SMPP_DLR_UNKNOWN},
        {"REJECTD", SMPP_DLR_REJECTED},
        {"REJECTED", SMPP_DLR_REJECTED},
        {"ENROUTE", SMPP_DLR_ENROUTE},
        {"BUFFRED", SMPP_DLR_ENROUTE},
        {"2", SMPP_DLR_DELIVERED},
        {"WEIRD", SMPP_DLR_UNKNOWN},
        {"9", SMPP_DLR_UNKNOWN},
        {"DELIVRDX", SMPP_DLR_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char s[64];
        snprintf(s, sizeof(s), "id:1 stat:%s err:000", v[i].word);
        assert_int_equal(parse_ok(s).state, v[i].state);
    }
    assert_string_equal(smpp_dlr_state_word(SMPP_DLR_UNDELIVERABLE), "UNDELIV");
    assert_string_equal(smpp_dlr_state_word(SMPP_DLR_NONE), "");
    assert_string_equal(smpp_dlr_state_word((enum smpp_dlr_state)99), "UNKNOWN");
    assert_string_equal(smpp_dlr_state_name(SMPP_DLR_ACCEPTED), "accepted");
    assert_string_equal(smpp_dlr_state_name((enum smpp_dlr_state)99), "unknown");
    assert_true(smpp_dlr_state_final(SMPP_DLR_DELIVERED));
    assert_true(smpp_dlr_state_final(SMPP_DLR_REJECTED));
    assert_false(smpp_dlr_state_final(SMPP_DLR_ENROUTE));
    assert_false(smpp_dlr_state_final(SMPP_DLR_ACCEPTED)); /* often an intermediate report */
    assert_false(smpp_dlr_state_final(SMPP_DLR_UNKNOWN));
}

/* err: in decimal, or in hex as some SMSCs write it; anything else is absent. */
static void err_codes(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("id:1 stat:UNDELIV err:075").err, 75);
    assert_int_equal(parse_ok("id:1 stat:UNDELIV err:00B").err, 11);
    assert_int_equal(parse_ok("id:1 stat:UNDELIV err:-1").err, -1);
    assert_int_equal(parse_ok("id:1 stat:UNDELIV err:").err, -1);
    assert_int_equal(parse_ok("id:1 stat:UNDELIV err:1234567890").err, -1);
    assert_int_equal(parse_ok("id:1 stat:UNDELIV sub:abc").sub, -1);
}

static void text_errors(void **state)
{
    (void)state;
    parse_fails("", 0, "id");
    parse_fails("stat:DELIVRD err:000", 20, "id");
    parse_fails("id: stat:DELIVRD", 16, "id");
    parse_fails("id:42 err:000", 13, "stat");
    parse_fails("id:42 stat: err:000", 19, "stat");
    parse_fails("id:4/2 stat:DELIVRD", 19, "id");
    char longid[128];
    memset(longid, 0, sizeof(longid));
    memcpy(longid, "id:", 3);
    memset(longid + 3, '7', 65);
    memcpy(longid + 68, " stat:DELIVRD", 13);
    parse_fails(longid, strlen(longid), "id");
    longid[67] = ' '; /* 64 characters: the most allowed */
    assert_string_equal(parse_ok(longid).id + 60, "7777");
    /* err may be NULL. */
    struct smpp_receipt r;
    assert_int_equal(smpp_receipt_parse_text("x", 1, &r, NULL), RL_EPARSE);
}

/* --- the PDU -------------------------------------------------------------- */

static void deliver(struct smpp_pdu *p, uint8_t esm, const char *text)
{
    smpp_pdu_init(p, SMPP_CMD_DELIVER_SM, 7);
    p->esm_class = esm;
    if (text) {
        p->sm_length = (uint8_t)strlen(text);
        memcpy(p->short_message, text, p->sm_length);
    }
}

static void is_receipt(void **state)
{
    (void)state;
    struct smpp_pdu p;
    deliver(&p, 0x04, "id:1 stat:DELIVRD");
    assert_true(smpp_is_receipt(&p));
    deliver(&p, 0x44, NULL); /* UDHI beside the receipt bits */
    assert_true(smpp_is_receipt(&p));
    deliver(&p, 0x20, NULL); /* intermediate delivery notification */
    assert_true(smpp_is_receipt(&p));
    deliver(&p, 0x00, "id:1 stat:DELIVRD"); /* an MO that merely looks like one */
    assert_false(smpp_is_receipt(&p));
    deliver(&p, 0x08, NULL); /* SME delivery acknowledgement */
    assert_false(smpp_is_receipt(&p));
    deliver(&p, 0x00, NULL); /* bit forgotten, TLV present */
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "AB12"), 0);
    assert_true(smpp_is_receipt(&p));
    p.command_id = SMPP_CMD_DATA_SM;
    assert_true(smpp_is_receipt(&p));
    smpp_pdu_init(&p, SMPP_CMD_SUBMIT_SM, 1);
    p.esm_class = 0x04;
    assert_false(smpp_is_receipt(&p));
}

/* SMPP 3.4 §5.3.2: receipted_message_id, message_state, network_error_code,
 * no text at all. */
static void tlv_only(void **state)
{
    (void)state;
    struct smpp_pdu p;
    struct smpp_receipt r;
    struct smpp_network_error ne = {.type = 3, .code = 0x0401};
    deliver(&p, 0x04, NULL);
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "AB12"), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, SMPP_DLR_UNDELIVERABLE), 0);
    assert_int_equal(smpp_tlv_add_network_error_code(&p, &ne), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_string_equal(r.id, "AB12");
    assert_int_equal(r.state, SMPP_DLR_UNDELIVERABLE);
    assert_true(r.has_network_error);
    assert_int_equal(r.network_error_type, 3);
    assert_int_equal(r.network_error, 0x0401);
    assert_true(r.from_tlv);
    assert_false(r.from_text);
    assert_int_equal(r.err, -1);

    /* receipted_message_id without its NUL; a message_state past the 3.4 table. */
    deliver(&p, 0x04, NULL);
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "99", 2), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, 9), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_string_equal(r.id, "99");
    assert_int_equal(r.state, SMPP_DLR_UNKNOWN);
}

/* Both forms, disagreeing: the TLVs win for what they give, the text fills in
 * the rest. */
static void tlv_wins(void **state)
{
    (void)state;
    struct smpp_pdu p;
    struct smpp_receipt r;
    deliver(&p, 0x04,
            "id:6699 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 "
            "stat:UNDELIV err:005 text:hi");
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "1A2B"), 0);
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, SMPP_DLR_DELIVERED), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_string_equal(r.id, "1A2B");
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_int_equal(r.err, 5);
    assert_string_equal(r.done_date, "1601010101");
    assert_string_equal(r.text, "hi");
    assert_true(r.from_tlv && r.from_text);

    /* TLV id only: the state comes from the text. A text id that is no id
     * does not matter once the TLV gave one. */
    deliver(&p, 0x04, "id:bad/id stat:EXPIRED");
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "77"), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_string_equal(r.id, "77");
    assert_int_equal(r.state, SMPP_DLR_EXPIRED);

    /* message_state 0 reads as absent: the text's stat: is used. */
    deliver(&p, 0x04, "id:5 stat:DELIVRD");
    assert_int_equal(smpp_tlv_add_u8(&p, SMPP_TLV_MESSAGE_STATE, 0), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_int_equal(r.state, SMPP_DLR_DELIVERED);
    assert_false(r.from_tlv);
}

/* data_sm carries the text form in message_payload (sm_length is 0). */
static void payload_text(void **state)
{
    (void)state;
    static const char text[] = "id:31 stat:REJECTD err:0";
    struct smpp_pdu p;
    struct smpp_receipt r;
    smpp_pdu_init(&p, SMPP_CMD_DATA_SM, 3);
    p.esm_class = 0x04;
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, text, strlen(text)), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_string_equal(r.id, "31");
    assert_int_equal(r.state, SMPP_DLR_REJECTED);
}

static void pdu_errors(void **state)
{
    (void)state;
    struct smpp_pdu p;
    struct smpp_receipt r;
    struct rl_err err = {0};
    deliver(&p, 0x04, NULL);
    assert_int_equal(smpp_receipt_parse(&p, &r, &err), RL_EPARSE);
    assert_string_equal(err.field, "id");
    deliver(&p, 0x04, "id:4/2 stat:DELIVRD"); /* the text's own complaint comes back */
    assert_int_equal(smpp_receipt_parse(&p, &r, &err), RL_EPARSE);
    assert_string_equal(err.field, "id");
    assert_non_null(strstr(err.msg, "0x2F"));
    deliver(&p, 0x04, NULL);
    assert_int_equal(smpp_tlv_add_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "77"), 0);
    assert_int_equal(smpp_receipt_parse(&p, &r, &err), RL_EPARSE);
    assert_string_equal(err.field, "stat");
    /* A message_state of the wrong length is ignored like an absent one. */
    deliver(&p, 0x04, "id:1 stat:ACCEPTD");
    struct smpp_tlv *t = &p.tlv[p.ntlv++];
    *t = (struct smpp_tlv){.tag = SMPP_TLV_MESSAGE_STATE, .len = 2, .small = {2, 2}};
    assert_int_equal(smpp_receipt_parse(&p, &r, NULL), 0);
    assert_int_equal(r.state, SMPP_DLR_ACCEPTED);
}

/* --- format ------------------------------------------------------------------ */

static void format_round_trip(void **state)
{
    (void)state;
    struct smpp_receipt r = {.state = SMPP_DLR_DELIVERED, .err = 0, .sub = 1, .dlvrd = 1};
    char out[256];
    memcpy(r.id, "1A2B", 5);
    memcpy(r.submit_date, "1601010100", 11);
    memcpy(r.done_date, "160101010059", 13);
    memcpy(r.text, "Hello there, this is long", 24);
    r.text[23] = '\0';
    int n = smpp_receipt_format_text(&r, out, sizeof(out));
    assert_string_equal(out, "id:1A2B sub:001 dlvrd:001 submit date:1601010100 done "
                             "date:160101010059 stat:DELIVRD err:000 text:Hello there, this is");
    assert_int_equal(n, (int)strlen(out));
    struct smpp_receipt back = parse_ok(out);
    assert_string_equal(back.id, r.id);
    assert_int_equal(back.state, r.state);
    assert_int_equal(back.sub, 1);
    assert_string_equal(back.done_date, r.done_date);
    assert_string_equal(back.text, "Hello there, this is");

    /* Absent counts and codes are written as zero; empty dates still parse. */
    struct smpp_receipt bare = {.state = SMPP_DLR_EXPIRED, .err = -1, .sub = -1, .dlvrd = -1};
    memcpy(bare.id, "9", 2);
    assert_true(smpp_receipt_format_text(&bare, out, sizeof(out)) > 0);
    assert_string_equal(out, "id:9 sub:000 dlvrd:000 submit date: done date: stat:EXPIRED "
                             "err:000 text:");
    back = parse_ok(out);
    assert_int_equal(back.state, SMPP_DLR_EXPIRED);
    assert_string_equal(back.submit_date, "");

    /* Too small a buffer; nothing to write without an id or a state. */
    assert_int_equal(smpp_receipt_format_text(&r, out, (size_t)n), RL_ETOOLONG);
    assert_int_equal(smpp_receipt_format_text(&r, NULL, 0), RL_ETOOLONG);
    assert_int_equal(smpp_receipt_format_text(&r, out, (size_t)n + 1), n);
    bare.state = SMPP_DLR_NONE;
    assert_int_equal(smpp_receipt_format_text(&bare, out, sizeof(out)), RL_EINVAL);
    bare.state = SMPP_DLR_DELIVERED;
    bare.id[0] = '\0';
    assert_int_equal(smpp_receipt_format_text(&bare, out, sizeof(out)), RL_EINVAL);
}

/* --- id keys ------------------------------------------------------------------ */

static void key_is(const char *id, enum smpp_id_mode mode, bool is_receipt, const char *want)
{
    char out[SMPP_MESSAGE_ID_SIZE];
    int rc = smpp_id_key(id, mode, is_receipt, out);
    if (rc)
        fail_msg("key of \"%s\": %d", id, rc);
    assert_string_equal(out, want);
}

static void key_fails(const char *id, enum smpp_id_mode mode, bool is_receipt)
{
    char out[SMPP_MESSAGE_ID_SIZE];
    assert_int_equal(smpp_id_key(id, mode, is_receipt, out), RL_EINVAL);
}

static void id_keys(void **state)
{
    (void)state;
    /* An SMSC answering 0x1A2B and reporting 6699 (= 0x1A2B). */
    key_is("1A2B", SMPP_ID_RESP_HEX_DLR_DEC, false, "1A2B");
    key_is("0001a2b", SMPP_ID_RESP_HEX_DLR_DEC, false, "1A2B");
    key_is("6699", SMPP_ID_RESP_HEX_DLR_DEC, true, "1A2B");
    key_is("0000006699", SMPP_ID_RESP_HEX_DLR_DEC, true, "1A2B");
    key_is("18446744073709551615", SMPP_ID_RESP_HEX_DLR_DEC, true, "FFFFFFFFFFFFFFFF");
    key_is("0", SMPP_ID_RESP_HEX_DLR_DEC, true, "0");
    key_fails("18446744073709551616", SMPP_ID_RESP_HEX_DLR_DEC, true); /* 2^64 */
    key_fails("12a", SMPP_ID_RESP_HEX_DLR_DEC, true);
    key_fails("xyz", SMPP_ID_RESP_HEX_DLR_DEC, false);
    /* The other way round. */
    key_is("000123456", SMPP_ID_RESP_DEC_DLR_HEX, false, "123456");
    key_is("1e240", SMPP_ID_RESP_DEC_DLR_HEX, true, "123456");
    key_is("0000FFFFFFFFFFFFFFFF", SMPP_ID_RESP_DEC_DLR_HEX, true, "18446744073709551615");
    key_fails("10000000000000000", SMPP_ID_RESP_DEC_DLR_HEX, true); /* 2^64 */
    key_fails("1A", SMPP_ID_RESP_DEC_DLR_HEX, false);
    key_fails("1-2", SMPP_ID_RESP_DEC_DLR_HEX, true);
    /* Same base: case and leading zeros ignored for ids made of (hex) digits;
     * other ids are upper-cased and kept whole (their zeros may mean something). */
    key_is("0001a2b", SMPP_ID_SAME, true, "1A2B");
    key_is("1A2B", SMPP_ID_SAME, false, "1A2B");
    key_is("000", SMPP_ID_SAME, false, "0");
    key_is("64567564356765435676", SMPP_ID_SAME, true, "64567564356765435676");
    key_is("00ab-1", SMPP_ID_SAME, true, "00AB-1");
    key_is("msg_x.Y", SMPP_ID_SAME, false, "MSG_X.Y");
    /* Empty, too long, an unknown mode. */
    key_fails("", SMPP_ID_SAME, false);
    char longid[80];
    memset(longid, '1', 65);
    longid[65] = '\0';
    key_fails(longid, SMPP_ID_SAME, false);
    longid[64] = '\0';
    key_is(longid, SMPP_ID_SAME, false, longid);
    key_fails("1", (enum smpp_id_mode)7, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appendix_b),
        cmocka_unit_test(any_case),
        cmocka_unit_test(missing_fields),
        cmocka_unit_test(underscore_dates),
        cmocka_unit_test(twelve_digit_dates),
        cmocka_unit_test(text_holds_fields),
        cmocka_unit_test(garbage_and_order),
        cmocka_unit_test(state_words),
        cmocka_unit_test(err_codes),
        cmocka_unit_test(text_errors),
        cmocka_unit_test(is_receipt),
        cmocka_unit_test(tlv_only),
        cmocka_unit_test(tlv_wins),
        cmocka_unit_test(payload_text),
        cmocka_unit_test(pdu_errors),
        cmocka_unit_test(format_round_trip),
        cmocka_unit_test(id_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Inbound messages: decoding and reassembly of deliver_sm parts. Concatenated
 * vectors come from seg_split (our own outbound splitter, itself tested
 * against TS 23.040) so that the round trip is checked too; the edge cases
 * (escapes and surrogates across parts, sar TLVs) are built by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smpp/smpp_reasm.h"
#include "text/gsm7.h"
#include "text/segment.h"

#define EURO "\xE2\x82\xAC" /* GSM escape 0x1B 0x65 */
#define GRIN "\xF0\x9F\x98\x80"

static void mo(struct smpp_pdu *p, const char *src, uint8_t dc, uint8_t esm, const void *ud,
               size_t len)
{
    smpp_pdu_init(p, SMPP_CMD_DELIVER_SM, 1);
    snprintf(p->source_addr, sizeof(p->source_addr), "%s", src);
    snprintf(p->destination_addr, sizeof(p->destination_addr), "%s", "12345");
    p->source_addr_ton = 1;
    p->data_coding = dc;
    p->esm_class = esm;
    p->sm_length = (uint8_t)len;
    if (len)
        memcpy(p->short_message, ud, len);
}

/* Adds one PDU and expects rc; returns the message when rc is 1. */
static struct smpp_mo add(struct smpp_reasm *r, const struct smpp_pdu *p, uint64_t now, int want)
{
    struct smpp_mo m;
    struct rl_err err = {0};
    int rc = smpp_reasm_add(r, p, now, &m, &err);
    if (rc != want)
        fail_msg("add: %d, wanted %d (%s: %s)", rc, want, err.field, err.msg);
    return m;
}

static struct smpp_mo single(const struct smpp_reasm_opts *o, uint8_t dc, const void *ud,
                             size_t len)
{
    struct smpp_reasm *r = smpp_reasm_new(o);
    struct smpp_pdu p;
    mo(&p, "447700900001", dc, 0, ud, len);
    struct smpp_mo m = add(r, &p, 5, 1);
    assert_int_equal(smpp_reasm_pending(r), 0);
    smpp_reasm_free(r);
    assert_int_equal(m.concat, SMPP_MO_SINGLE);
    assert_int_equal(m.parts, 1);
    assert_int_equal(m.received, 1);
    assert_false(m.incomplete);
    assert_int_equal(m.end, SMPP_MO_COMPLETE);
    assert_string_equal(m.source_addr, "447700900001");
    assert_string_equal(m.destination_addr, "12345");
    assert_int_equal(m.source_addr_ton, 1);
    assert_int_equal(m.data_coding, dc);
    assert_int_equal(m.first_ms, 5);
    assert_int_equal(m.text_len, strlen(m.text));
    return m;
}

static void single_parts(void **state)
{
    (void)state;
    /* GSM unpacked: '@' is septet 0, '€' the escape pair. */
    static const uint8_t gsm[] = {'H', 'i', ' ', 0x00, 0x1B, 0x65, 0x05};
    struct smpp_mo m = single(NULL, 0, gsm, sizeof(gsm));
    assert_string_equal(m.text, "Hi @" EURO "\xC3\xA9");
    smpp_mo_release(&m);
    assert_null(m.text);
    /* GSM packed, for SMSCs configured so: "hello" in 5 octets. */
    static const uint8_t hello[] = {0xE8, 0x32, 0x9B, 0xFD, 0x06};
    struct smpp_reasm_opts packed = {.gsm_packed = true};
    m = single(&packed, 0, hello, sizeof(hello));
    assert_string_equal(m.text, "hello");
    smpp_mo_release(&m);
    /* A flash SMS (TS 23.038 class 0) is GSM too. */
    m = single(NULL, 0xF0, "ok", 2);
    assert_string_equal(m.text, "ok");
    smpp_mo_release(&m);
    /* Latin-1 and IA5. */
    m = single(NULL, 3, "caf\xE9", 4);
    assert_string_equal(m.text, "caf\xC3\xA9");
    smpp_mo_release(&m);
    m = single(NULL, 1, "a@b_$", 5);
    assert_string_equal(m.text, "a@b_$");
    smpp_mo_release(&m);
    /* UCS-2 with a surrogate pair. */
    static const uint8_t ucs2[] = {0x00, 'H', 0x00, 'i', 0xD8, 0x3D, 0xDE, 0x00};
    m = single(NULL, 8, ucs2, sizeof(ucs2));
    assert_string_equal(m.text, "Hi" GRIN);
    smpp_mo_release(&m);
    /* Empty. */
    m = single(NULL, 0, "", 0);
    assert_string_equal(m.text, "");
    smpp_mo_release(&m);
}

/* A UDH without a concatenation IE, and a concatenation of one part. */
static void single_with_udh(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    static const uint8_t port[] = {0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 'o', 'k'};
    mo(&p, "1", 0, 0x40, port, sizeof(port));
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "ok");
    smpp_mo_release(&m);
    static const uint8_t one[] = {0x05, 0x00, 0x03, 0x09, 0x01, 0x01, 'o', 'n', 'e'};
    mo(&p, "1", 0, 0x40, one, sizeof(one));
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "one");
    assert_int_equal(m.concat, SMPP_MO_SINGLE);
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

/* Splits text with our own splitter; the caller releases msg. */
static void split(const char *text, unsigned ref_bits, uint16_t ref, bool pack, struct seg_msg *msg)
{
    struct seg_opts o = {.ref_bits = ref_bits, .ref = ref, .pack = pack};
    assert_int_equal(seg_split(text, strlen(text), &o, msg, NULL), 0);
}

static void part_pdu(struct smpp_pdu *p, const char *src, const struct seg_msg *msg, size_t i)
{
    uint8_t dc = msg->encoding == SEG_UCS2 ? 8 : 0;
    mo(p, src, dc, 0x40, msg->parts[i].data, msg->parts[i].len);
}

/* Feeds parts in the given order (1-based); the last completes the message. */
static void feed(const char *text, unsigned ref_bits, bool pack, const unsigned *order, size_t n,
                 enum smpp_mo_concat concat)
{
    struct smpp_reasm_opts o = {.gsm_packed = pack};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    struct seg_msg msg;
    struct smpp_pdu p;
    split(text, ref_bits, 0x1234 & ((1u << ref_bits) - 1), pack, &msg);
    assert_int_equal(msg.nparts, n);
    for (size_t i = 0; i + 1 < n; i++) {
        part_pdu(&p, "447700900001", &msg, order[i] - 1);
        add(r, &p, 100 + i, 0);
        assert_int_equal(smpp_reasm_pending(r), 1);
    }
    part_pdu(&p, "447700900001", &msg, order[n - 1] - 1);
    struct smpp_mo m = add(r, &p, 200, 1);
    assert_string_equal(m.text, text);
    assert_int_equal(m.concat, concat);
    assert_int_equal(m.ref, 0x1234 & ((1u << ref_bits) - 1));
    assert_int_equal(m.parts, n);
    assert_int_equal(m.received, n);
    assert_false(m.incomplete);
    assert_int_equal(m.first_ms, 100);
    assert_int_equal(smpp_reasm_pending(r), 0);
    assert_int_equal(smpp_reasm_bytes(r), 0);
    smpp_mo_release(&m);
    seg_msg_release(&msg);
    smpp_reasm_free(r);
}

static char *repeat(const char *piece, int n)
{
    size_t k = strlen(piece);
    char *s = malloc(k * (size_t)n + 1);
    for (int i = 0; i < n; i++)
        memcpy(s + k * (size_t)i, piece, k);
    s[k * (size_t)n] = '\0';
    return s;
}

static void udh8_three_parts(void **state)
{
    (void)state;
    char *text = repeat("The quick brown fox jumps over the lazy dog. ", 9); /* 405: 3 x 153 */
    static const unsigned in_order[] = {1, 2, 3}, shuffled[] = {3, 1, 2};
    feed(text, 8, false, in_order, 3, SMPP_MO_UDH8);
    feed(text, 8, false, shuffled, 3, SMPP_MO_UDH8);
    feed(text, 8, true, shuffled, 3, SMPP_MO_UDH8); /* packed, fill bits after the UDH */
    free(text);
}

static void udh16_and_ucs2(void **state)
{
    (void)state;
    char *text = repeat("Grüße " GRIN " ", 20); /* UCS-2: 9 units x 20 = 180 = 3 x 67 */
    static const unsigned order[] = {2, 3, 1};
    feed(text, 16, false, order, 3, SMPP_MO_UDH16);
    feed(text, 8, false, order, 3, SMPP_MO_UDH8);
    free(text);
    /* No escape falls on a part boundary (152 septets a part with a 16-bit
     * reference): see cr_padding for that case. */
    text = repeat("abcd" EURO, 60); /* 360 septets */
    feed(text, 16, true, order, 3, SMPP_MO_UDH16);
    free(text);
}

static void add_sar(struct smpp_pdu *p, uint16_t ref, uint8_t total, uint8_t seq)
{
    assert_int_equal(smpp_tlv_add_u16(p, SMPP_TLV_SAR_MSG_REF_NUM, ref), 0);
    assert_int_equal(smpp_tlv_add_u8(p, SMPP_TLV_SAR_TOTAL_SEGMENTS, total), 0);
    assert_int_equal(smpp_tlv_add_u8(p, SMPP_TLV_SAR_SEGMENT_SEQNUM, seq), 0);
}

/* SMPP 3.4 §5.3.2.22-24: no UDH, the parts numbered by TLVs; an escape pair
 * split between parts 1 and 2. */
static void sar_tlvs(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    mo(&p, "1", 0, 0, "ab\x1B", 3);
    add_sar(&p, 500, 3, 1);
    add(r, &p, 0, 0);
    mo(&p, "1", 0, 0, "cd", 2);
    add_sar(&p, 500, 3, 3);
    add(r, &p, 0, 0);
    mo(&p, "1", 0, 0, "\x65z", 2);
    add_sar(&p, 500, 3, 2);
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "ab" EURO "zcd");
    assert_int_equal(m.concat, SMPP_MO_SAR);
    assert_int_equal(m.ref, 500);
    smpp_mo_release(&m);
    /* sar with a sequence past the total is ignored: a single message. */
    mo(&p, "1", 0, 0, "x", 1);
    add_sar(&p, 500, 2, 3);
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "x");
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

/* Escapes and surrogate pairs split by the sender across parts, packed GSM
 * included (TS 23.040 says not to; some phones do). */
static void split_units(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    static const uint8_t u1[] = {5, 0, 3, 7, 2, 1, 0x00, 'A', 0xD8, 0x3D};
    static const uint8_t u2[] = {5, 0, 3, 7, 2, 2, 0xDE, 0x00, 0x00, 'B'};
    mo(&p, "1", 8, 0x40, u2, sizeof(u2));
    add(r, &p, 0, 0);
    mo(&p, "1", 8, 0x40, u1, sizeof(u1));
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "A" GRIN "B");
    smpp_mo_release(&m);
    smpp_reasm_free(r);

    struct smpp_reasm_opts o = {.gsm_packed = true};
    r = smpp_reasm_new(&o);
    uint8_t g1[32] = {5, 0, 3, 8, 2, 1}, g2[32] = {5, 0, 3, 8, 2, 2};
    static const uint8_t s1[] = {'a', 'b', 0x1B}, s2[] = {0x65, 'c'};
    size_t n1 = 6 + gsm7_pack(s1, 3, 1, g1 + 6), n2 = 6 + gsm7_pack(s2, 2, 1, g2 + 6);
    mo(&p, "1", 0, 0x40, g1, n1);
    add(r, &p, 0, 0);
    mo(&p, "1", 0, 0x40, g2, n2);
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "ab" EURO "c");
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

/* A packed middle part one septet short of full (the sender moved an escape
 * to the next part) has 7 spare bits, which TS 23.038 §6.1.2.3.1 fills with
 * CR: not text. */
static void cr_padding(void **state)
{
    (void)state;
    struct smpp_reasm_opts o = {.gsm_packed = true};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    struct smpp_pdu p;
    uint8_t s1[153], g1[160] = {5, 0, 3, 6, 2, 1}, g2[32] = {5, 0, 3, 6, 2, 2};
    static const uint8_t s2[] = {0x1B, 0x65};
    memset(s1, 'x', 152);
    s1[152] = 0x0D;
    size_t n1 = 6 + gsm7_pack(s1, 153, 1, g1 + 6), n2 = 6 + gsm7_pack(s2, 2, 1, g2 + 6);
    assert_int_equal(n1, 140);
    mo(&p, "1", 0, 0x40, g1, n1);
    add(r, &p, 0, 0);
    mo(&p, "1", 0, 0x40, g2, n2);
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_int_equal(m.text_len, 152 + 3);
    assert_string_equal(m.text + 152, EURO);
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

static void duplicate_part(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    static const uint8_t a[] = {5, 0, 3, 1, 2, 1, 'o', 'n', 'e'};
    static const uint8_t a2[] = {5, 0, 3, 1, 2, 1, 'X', 'X', 'X'};
    static const uint8_t b[] = {5, 0, 3, 1, 2, 2, '+'};
    mo(&p, "1", 0, 0x40, a, sizeof(a));
    add(r, &p, 0, 0);
    size_t bytes = smpp_reasm_bytes(r);
    mo(&p, "1", 0, 0x40, a2, sizeof(a2)); /* a repeat of part 1: the first copy stays */
    add(r, &p, 1, 0);
    assert_int_equal(smpp_reasm_pending(r), 1);
    assert_int_equal(smpp_reasm_bytes(r), bytes);
    mo(&p, "1", 0, 0x40, b, sizeof(b));
    struct smpp_mo m = add(r, &p, 2, 1);
    assert_string_equal(m.text, "one+");
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

/* Two senders who happen to use the same reference, parts interleaved; and
 * one sender whose two messages differ only in total. */
static void interleaved(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    static const uint8_t a1[] = {5, 0, 3, 9, 2, 1, 'A', '1'}, a2[] = {5, 0, 3, 9, 2, 2, 'A', '2'};
    static const uint8_t b1[] = {5, 0, 3, 9, 2, 1, 'B', '1'}, b2[] = {5, 0, 3, 9, 2, 2, 'B', '2'};
    static const uint8_t c1[] = {5, 0, 3, 9, 3, 1, 'C', '1'};
    mo(&p, "111", 0, 0x40, a1, sizeof(a1));
    add(r, &p, 0, 0);
    mo(&p, "222", 0, 0x40, b2, sizeof(b2));
    add(r, &p, 0, 0);
    mo(&p, "111", 0, 0x40, c1, sizeof(c1));
    add(r, &p, 0, 0);
    assert_int_equal(smpp_reasm_pending(r), 3);
    mo(&p, "222", 0, 0x40, b1, sizeof(b1));
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "B1B2");
    assert_string_equal(m.source_addr, "222");
    smpp_mo_release(&m);
    mo(&p, "111", 0, 0x40, a2, sizeof(a2));
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "A1A2");
    smpp_mo_release(&m);
    assert_int_equal(smpp_reasm_pending(r), 1);
    smpp_reasm_free(r); /* frees the part still held */
}

static void timeout_gives_partial(void **state)
{
    (void)state;
    struct smpp_reasm_opts o = {.timeout_ms = 30000};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    struct smpp_pdu p;
    struct smpp_mo m;
    uint64_t at;
    static const uint8_t x1[] = {5, 0, 3, 4, 4, 1, 'o', 'n', 'e', ' '};
    static const uint8_t x3[] = {5, 0, 3, 4, 4, 3, 't', 'h', 'r', 'e', 'e'};
    assert_false(smpp_reasm_next_deadline(r, &at));
    assert_int_equal(smpp_reasm_expire(r, 0, &m, NULL), 0);
    mo(&p, "1", 0, 0x40, x3, sizeof(x3));
    add(r, &p, 1000, 0);
    mo(&p, "1", 0, 0x40, x1, sizeof(x1));
    add(r, &p, 5000, 0);
    assert_true(smpp_reasm_next_deadline(r, &at));
    assert_int_equal(at, 31000); /* from the first part */
    assert_int_equal(smpp_reasm_expire(r, 30999, &m, NULL), 0);
    assert_int_equal(smpp_reasm_expire(r, 500, &m, NULL), 0); /* a clock behind: nothing */
    assert_int_equal(smpp_reasm_expire(r, 31000, &m, NULL), 1);
    assert_true(m.incomplete);
    assert_int_equal(m.end, SMPP_MO_TIMED_OUT);
    assert_string_equal(m.text, "one three");
    assert_int_equal(m.parts, 4);
    assert_int_equal(m.received, 2);
    assert_int_equal(m.nmissing, 2);
    assert_int_equal(m.missing[0], 2);
    assert_int_equal(m.missing[1], 4);
    assert_int_equal(m.first_ms, 1000);
    smpp_mo_release(&m);
    assert_int_equal(smpp_reasm_pending(r), 0);
    assert_int_equal(smpp_reasm_bytes(r), 0);
    assert_false(smpp_reasm_next_deadline(r, &at));
    assert_int_equal(smpp_reasm_expire(r, 99999, &m, NULL), 0);
    smpp_reasm_free(r);
}

static void first_part_of(struct smpp_pdu *p, const char *src, uint8_t ref)
{
    const uint8_t ud[] = {5, 0, 3, ref, 2, 1, 'p', 'a', 'r', 't'};
    mo(p, src, 0, 0x40, ud, sizeof(ud));
}

/* Past max_pending the oldest message goes, handed back by expire. */
static void caps_evict_oldest(void **state)
{
    (void)state;
    struct smpp_reasm_opts o = {.max_pending = 2};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    struct smpp_pdu p;
    struct smpp_mo m;
    uint64_t at;
    first_part_of(&p, "1", 1);
    add(r, &p, 10, 0);
    first_part_of(&p, "2", 1);
    add(r, &p, 20, 0);
    first_part_of(&p, "3", 1);
    add(r, &p, 30, 0);
    assert_int_equal(smpp_reasm_pending(r), 2);
    assert_true(smpp_reasm_next_deadline(r, &at));
    assert_int_equal(at, 0); /* one is ready now */
    assert_int_equal(smpp_reasm_expire(r, 31, &m, NULL), 1);
    assert_int_equal(m.end, SMPP_MO_EVICTED);
    assert_true(m.incomplete);
    assert_string_equal(m.source_addr, "1");
    assert_string_equal(m.text, "part");
    assert_int_equal(m.nmissing, 1);
    smpp_mo_release(&m);
    assert_int_equal(smpp_reasm_expire(r, 31, &m, NULL), 0);
    assert_true(smpp_reasm_next_deadline(r, &at));
    assert_int_equal(at, 20 + 60000); /* the default timeout */
    smpp_reasm_free(r);

    /* max_bytes: room for two messages and 10 octets; the third evicts the first. */
    r = smpp_reasm_new(NULL);
    first_part_of(&p, "1", 1);
    add(r, &p, 0, 0);
    size_t one = smpp_reasm_bytes(r);
    smpp_reasm_free(r);
    o = (struct smpp_reasm_opts){.max_bytes = 2 * one + 10};
    r = smpp_reasm_new(&o);
    first_part_of(&p, "1", 1);
    add(r, &p, 0, 0);
    first_part_of(&p, "2", 1);
    add(r, &p, 0, 0);
    first_part_of(&p, "3", 1);
    add(r, &p, 0, 0);
    assert_int_equal(smpp_reasm_pending(r), 2);
    assert_true(smpp_reasm_bytes(r) <= o.max_bytes);
    assert_int_equal(smpp_reasm_expire(r, 0, &m, NULL), 1);
    assert_string_equal(m.source_addr, "1");
    smpp_mo_release(&m);
    /* 20 more octets for the oldest held message: the younger one makes room. */
    static const uint8_t big[] = {5,   0,   3,   1,   2,   2,   'a', 'b', 'c', 'd', 'e', 'f', 'g',
                                  'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't'};
    mo(&p, "2", 0, 0x40, big, sizeof(big));
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "partabcdefghijklmnopqrst");
    smpp_mo_release(&m);
    assert_int_equal(smpp_reasm_expire(r, 0, &m, NULL), 1);
    assert_string_equal(m.source_addr, "3");
    assert_int_equal(m.end, SMPP_MO_EVICTED);
    smpp_mo_release(&m);
    assert_int_equal(smpp_reasm_pending(r), 0);
    assert_int_equal(smpp_reasm_bytes(r), 0);
    smpp_reasm_free(r);
}

/* A part that cannot fit even alone is refused; nothing is stored. */
static void caps_part_too_big(void **state)
{
    (void)state;
    struct smpp_reasm_opts o = {.max_bytes = 64};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    struct smpp_pdu p;
    struct smpp_mo m;
    struct rl_err err = {0};
    first_part_of(&p, "1", 1);
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "max_bytes");
    assert_int_equal(smpp_reasm_pending(r), 0);
    assert_int_equal(smpp_reasm_bytes(r), 0);
    smpp_reasm_free(r);
}

/* message_payload: data_sm always, deliver_sm when sm_length is 0. */
static void payload(void **state)
{
    (void)state;
    char *text = repeat("0123456789", 40); /* 400 octets: more than short_message holds */
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    mo(&p, "1", 3, 0, NULL, 0);
    p.command_id = SMPP_CMD_DATA_SM;
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, text, strlen(text)), 0);
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, text);
    smpp_mo_release(&m);
    mo(&p, "1", 0, 0, NULL, 0);
    assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, "hi", 2), 0);
    m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "hi");
    smpp_mo_release(&m);
    smpp_reasm_free(r);
    free(text);
}

/* Parts of one message in different codings: each run decodes in its own. */
static void mixed_codings(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    static const uint8_t g[] = {5, 0, 3, 2, 2, 1, 'a', 'b'};
    static const uint8_t u[] = {5, 0, 3, 2, 2, 2, 0x04, 0x10};
    mo(&p, "1", 0, 0x40, g, sizeof(g));
    add(r, &p, 0, 0);
    mo(&p, "1", 8, 0x40, u, sizeof(u));
    struct smpp_mo m = add(r, &p, 0, 1);
    assert_string_equal(m.text, "ab\xD0\x90"); /* U+0410 */
    smpp_mo_release(&m);
    smpp_reasm_free(r);
}

static void errors(void **state)
{
    (void)state;
    struct smpp_reasm *r = smpp_reasm_new(NULL);
    struct smpp_pdu p;
    struct smpp_mo m;
    struct rl_err err = {0};
    mo(&p, "1", 4, 0, "\x01\x02", 2); /* binary */
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, &err), RL_EINVAL);
    assert_string_equal(err.field, "data_coding");
    assert_non_null(strstr(err.msg, "0x04"));
    assert_null(m.text);
    mo(&p, "1", 0xF6, 0, "\x01", 1); /* class 2, 8-bit data: SIM toolkit */
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, &err), RL_EINVAL);
    static const uint8_t over[] = {9, 0, 3, 1, 2, 1};
    mo(&p, "1", 0, 0x40, over, sizeof(over));
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, &err), RL_EUDH);
    assert_string_equal(err.field, "short_message");
    mo(&p, "1", 0, 0x40, NULL, 0); /* UDHI with no user data at all */
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, NULL), RL_EUDH);
    mo(&p, "1", 0, 0, "x", 1);
    p.command_id = SMPP_CMD_SUBMIT_SM;
    assert_int_equal(smpp_reasm_add(r, &p, 0, &m, &err), RL_EINVAL);
    assert_string_equal(err.field, "command_id");
    assert_int_equal(smpp_reasm_pending(r), 0);
    smpp_reasm_free(r);
    smpp_reasm_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_parts),
        cmocka_unit_test(single_with_udh),
        cmocka_unit_test(udh8_three_parts),
        cmocka_unit_test(udh16_and_ucs2),
        cmocka_unit_test(sar_tlvs),
        cmocka_unit_test(split_units),
        cmocka_unit_test(cr_padding),
        cmocka_unit_test(duplicate_part),
        cmocka_unit_test(interleaved),
        cmocka_unit_test(timeout_gives_partial),
        cmocka_unit_test(caps_evict_oldest),
        cmocka_unit_test(caps_part_too_big),
        cmocka_unit_test(payload),
        cmocka_unit_test(mixed_codings),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

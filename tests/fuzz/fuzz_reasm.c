/* Sequences of synthetic deliver_sm parts from three senders, in any coding,
 * with UDHs and sar TLVs as the bytes say, the clock moving on: every message
 * handed back is valid UTF-8, the caps hold once evictions are drained, and
 * nothing leaks. Input: byte 0 options, then records [flags][len][user data]
 * (flags bit 6: 4 more octets of sar ref/total/seq before the length). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/smpp_reasm.h"
#include "text/utf8.h"

static void check(struct smpp_mo *m)
{
    if (!m->text || utf8_validate(m->text, m->text_len, NULL) != 0 || m->received > m->parts ||
        m->nmissing != m->parts - m->received)
        abort();
    smpp_mo_release(m);
}

static void drain(struct smpp_reasm *r, uint64_t now, const struct smpp_reasm_opts *o)
{
    struct smpp_mo m;
    while (smpp_reasm_expire(r, now, &m, NULL) == 1)
        check(&m);
    if (smpp_reasm_bytes(r) > o->max_bytes || smpp_reasm_pending(r) > o->max_pending)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t codings[4] = {0, 3, 8, 0xF1};
    static const char *senders[4] = {"111", "222", "333", "111"};
    if (size < 1)
        return 0;
    struct smpp_reasm_opts o = {.gsm_packed = data[0] & 1,
                                .max_pending = 1 + (data[0] >> 1 & 3),
                                .max_bytes = (data[0] & 8) ? 1024 : 1u << 20,
                                .timeout_ms = 30000};
    struct smpp_reasm *r = smpp_reasm_new(&o);
    uint64_t now = 0;
    size_t i = 1;
    while (i + 2 <= size) {
        struct smpp_pdu p;
        struct smpp_mo m;
        uint8_t flags = data[i++];
        smpp_pdu_init(&p, SMPP_CMD_DELIVER_SM, 1);
        memcpy(p.source_addr, senders[flags & 3], 4);
        memcpy(p.destination_addr, "999", 4);
        p.esm_class = (flags & 4) ? 0x40 : 0;
        p.data_coding = codings[flags >> 3 & 3];
        if ((flags & 0x40) && i + 4 <= size) {
            smpp_tlv_add_u16(&p, SMPP_TLV_SAR_MSG_REF_NUM, (uint16_t)(data[i] << 8 | data[i + 1]));
            smpp_tlv_add_u8(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, data[i + 2]);
            smpp_tlv_add_u8(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, data[i + 3]);
            i += 4;
        }
        size_t len = i < size ? data[i++] : 0;
        if (len > size - i)
            len = size - i;
        if (flags & 0x20) {
            smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, data + i, len);
        } else {
            p.sm_length = (uint8_t)(len > SMPP_SM_MAX ? SMPP_SM_MAX : len);
            memcpy(p.short_message, data + i, p.sm_length);
        }
        i += len;
        if (flags & 0x80)
            now += 10000;
        if (smpp_reasm_add(r, &p, now, &m, NULL) == 1)
            check(&m);
        drain(r, now, &o);
    }
    drain(r, now + 30000, &o);
    if (smpp_reasm_pending(r) != 0 || smpp_reasm_bytes(r) != 0)
        abort();
    smpp_reasm_free(r);
    return 0;
}

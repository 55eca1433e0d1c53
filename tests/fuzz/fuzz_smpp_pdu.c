/* Arbitrary octets into the SMPP decoder, once as given and once with
 * command_length patched to the input's size (so that the fuzzer explores
 * bodies instead of lengths). Whatever comes in, decoding never reads past the
 * input; a failure always names a field and a status; a success re-encodes to
 * the very same octets, which decode to an equal PDU. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/smpp_pdu.h"

#define MAX_LEN (64 * 1024)

static void use_tlvs(const struct smpp_pdu *p)
{
    char id[SMPP_MESSAGE_ID_SIZE];
    struct smpp_network_error ne;
    const uint8_t *pl;
    size_t len;
    uint16_t u16;
    uint8_t u8;
    if (smpp_tlv_get_receipted_message_id(p, id) == 0 && strlen(id) >= SMPP_MESSAGE_ID_SIZE)
        abort();
    if (smpp_tlv_get_message_payload(p, &pl, &len) == 0 && len > 0 && pl == NULL)
        abort();
    smpp_tlv_get_network_error_code(p, &ne);
    smpp_tlv_get_sar_msg_ref_num(p, &u16);
    smpp_tlv_get_sar_total_segments(p, &u8);
    smpp_tlv_get_sar_segment_seqnum(p, &u8);
    smpp_tlv_get_message_state(p, &u8);
    smpp_tlv_get_user_message_reference(p, &u16);
    for (size_t i = 0; i < p->ntlv; i++)
        smpp_tlv_name(p->tlv[i].tag);
}

static void check(const uint8_t *data, size_t size)
{
    struct smpp_pdu p, q;
    struct smpp_decode_err e;
    size_t framed = 0;
    int fr = smpp_pdu_frame(data, size, MAX_LEN, &framed);
    if (smpp_pdu_decode(data, size, MAX_LEN, &p, &e) != 0) {
        if (e.kind == SMPP_DECODE_OK || !e.field || smpp_decode_err_status(&e) == 0 ||
            e.offset > size)
            abort();
        smpp_decode_err_reply_id(&e, p.command_id);
        return;
    }
    if (fr != SMPP_FRAME_READY || framed != size)
        abort();
    smpp_command_name(p.command_id);
    smpp_status_text(p.command_status);
    use_tlvs(&p);

    uint8_t *out = malloc(size);
    size_t w = 0;
    if (!out || smpp_pdu_encode(&p, out, size, &w, NULL) != 0 || w != size ||
        memcmp(out, data, size) != 0)
        abort();
    if (smpp_pdu_decode(out, w, MAX_LEN, &q, NULL) != 0 || !smpp_pdu_equal(&p, &q))
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size < SMPP_HEADER_LEN || size > MAX_LEN)
        return 0;
    /* An exact-size copy, so that a read past the end is still caught. */
    uint8_t *fixed = malloc(size);
    if (!fixed)
        abort();
    memcpy(fixed, data, size);
    fixed[0] = (uint8_t)(size >> 24);
    fixed[1] = (uint8_t)(size >> 16);
    fixed[2] = (uint8_t)(size >> 8);
    fixed[3] = (uint8_t)size;
    check(fixed, size);
    free(fixed);
    return 0;
}

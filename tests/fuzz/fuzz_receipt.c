/* Arbitrary bytes as the text form of a delivery receipt. Parsing never reads
 * past len, and whatever parses writes back out as text that parses to the
 * same id and state (the simulator relies on that round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/smpp_receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smpp_receipt r, back;
    struct rl_err err;
    char text[512];
    /* A heap copy of exactly size octets, so that ASan sees any overread. */
    char *s = malloc(size ? size : 1);
    memcpy(s, data, size);
    if (smpp_receipt_parse_text(s, size, &r, &err) == 0) {
        int n = smpp_receipt_format_text(&r, text, sizeof(text));
        if (n < 0 || smpp_receipt_parse_text(text, (size_t)n, &back, &err) != 0)
            abort();
        if (strcmp(r.id, back.id) != 0 || r.state != back.state ||
            strcmp(r.submit_date, back.submit_date) != 0 ||
            strcmp(r.done_date, back.done_date) != 0)
            abort();
        char k1[SMPP_MESSAGE_ID_SIZE], k2[SMPP_MESSAGE_ID_SIZE];
        if (smpp_id_key(r.id, SMPP_ID_SAME, true, k1) != 0 ||
            smpp_id_key(back.id, SMPP_ID_SAME, false, k2) != 0 || strcmp(k1, k2) != 0)
            abort();
    }
    free(s);
    return 0;
}

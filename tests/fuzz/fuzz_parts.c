/* Arbitrary received parts: byte 0 picks the coding and flags, then parts as
 * [len][bytes]... Whatever comes in, decoding never reads past a part and
 * always yields valid UTF-8 or an error. */
#include <stdint.h>
#include <stdlib.h>

#include "text/segment.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum seg_coding coding = (enum seg_coding)(data[0] & 3);
    bool udh = (data[0] & 4) != 0;
    struct seg_in_part parts[8];
    size_t n = 0, i = 1;
    while (i < size && n < 8) {
        size_t len = data[i++];
        if (len > size - i)
            len = size - i;
        parts[n++] = (struct seg_in_part){
            .ud = data + i, .len = len, .has_udh = udh, .nseptets = (data[0] & 8) ? len : 0};
        i += len;
    }
    if (n == 0)
        return 0;
    struct buf b;
    buf_init(&b, 1 << 16);
    if (seg_join(coding, parts, n, &b, NULL) == 0 && utf8_validate(b.data, b.len, NULL) != 0)
        abort();
    buf_release(&b);
    return 0;
}

#ifndef RL_SEGMENT_H
#define RL_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* How a text travels as SMS: its encoding, its length in the units carriers
 * bill (GSM septets, UCS-2 UTF-16 code units), and its parts. Segment counts
 * come from actually packing the parts: an escape pair or a surrogate pair is
 * never split, so a part may hold one unit fewer than its capacity. */

enum seg_encoding { SEG_GSM7, SEG_UCS2 };

struct seg_opts {
    unsigned ref_bits; /* concatenation reference: 8 (default) or 16 */
    size_t max_parts;  /* seg_split refuses a text needing more; 0: 255 */
    bool pack;         /* GSM text packed into septets (140 octets) or one septet per octet */
    uint16_t ref;      /* the concatenation reference to write in the UDH */
};

struct seg_info {
    enum seg_encoding encoding;
    size_t units;       /* septets (escapes count 2) or UTF-16 code units */
    size_t segments;    /* parts as billed; 1 for an empty text */
    size_t per_segment; /* capacity of one part: 160/153 (GSM), 70/67 (UCS-2) with 8-bit ref */
    size_t remaining;   /* units still free in the last part */
};

const char *seg_encoding_name(enum seg_encoding e);

/* Analyses UTF-8 text. opts may be NULL (8-bit reference). Returns 0, or
 * RL_EUTF8 with err naming the byte offset. */
int seg_analyze(const char *text, size_t len, const struct seg_opts *opts, struct seg_info *out,
                struct rl_err *err);

/* One part as it goes into submit_sm's short_message: the UDH (udh_len octets,
 * 0 for a single part) then the user data. For GSM unpacked, one septet per
 * octet; packed, septets packed after the UDH with fill bits; UCS-2, UTF-16BE. */
struct seg_part {
    uint8_t data[160];
    size_t len;
    size_t udh_len;
    size_t units; /* septets or UTF-16 units of text in this part */
};

struct seg_msg {
    enum seg_encoding encoding;
    size_t nparts;
    struct seg_part *parts; /* owned; free with seg_msg_release */
};

/* Splits UTF-8 text into parts. Returns 0, RL_EUTF8, or RL_ETOOLONG when the
 * text needs more than opts->max_parts (err says how many it needs). */
int seg_split(const char *text, size_t len, const struct seg_opts *opts, struct seg_msg *out,
              struct rl_err *err);
void seg_msg_release(struct seg_msg *m);

/* --- inbound ------------------------------------------------------------- */

/* How the user data of a received part is coded (SMPP data_coding). */
enum seg_coding {
    SEG_CODING_GSM7,        /* one septet per octet (SMPP dc=0 as most SMSCs send it) */
    SEG_CODING_GSM7_PACKED, /* septets packed 8 in 7 octets */
    SEG_CODING_LATIN1,      /* ISO-8859-1 (dc=3) */
    SEG_CODING_UCS2,        /* UTF-16BE (dc=8) */
};

/* What a UDH says about concatenation. */
struct seg_concat {
    bool present;
    bool ref16;
    uint16_t ref;
    uint8_t total;
    uint8_t seq;
};

/* Reads the UDH at the start of ud (UDHI set). Sets *udh_len to its length
 * including the UDHL octet, and c from a concatenation IE (8- or 16-bit) if
 * any; other IEs are skipped. Returns 0 or RL_EUDH when it runs past ud. */
int seg_udh_parse(const uint8_t *ud, size_t len, size_t *udh_len, struct seg_concat *c);

/* Appends the text of one part's user data, as UTF-8, to out. has_udh: the
 * UDHI bit; for packed GSM, len is the octet length and nseptets the number of
 * text septets after the UDH if known (0: as many as fit). Undecodable units
 * become U+FFFD. Returns 0, RL_EUDH, or RL_ETOOLONG past out's cap. */
int seg_decode(enum seg_coding coding, const uint8_t *ud, size_t len, size_t nseptets, bool has_udh,
               struct buf *out, struct rl_err *err);

/* One received part, as seg_join takes it. nseptets as for seg_decode. */
struct seg_in_part {
    const uint8_t *ud; /* borrowed: the part's short_message */
    size_t len;
    size_t nseptets;
    bool has_udh;
    unsigned seq_; /* set by seg_join */
};

/* Joins the parts of one concatenated message, in any order, into UTF-8
 * appended to out. The parts are decoded as one stream, so an escape or a
 * surrogate pair that another sender split across parts still decodes. Returns
 * RL_EPARTS (err names the part) when they do not share one reference and
 * total, or one is missing or repeated; parts is reordered by sequence. */
int seg_join(enum seg_coding coding, struct seg_in_part *parts, size_t n, struct buf *out,
             struct rl_err *err);

#endif

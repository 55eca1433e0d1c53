#ifndef RL_GSM7_H
#define RL_GSM7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The GSM 03.38 (3GPP TS 23.038) default alphabet and its extension table.
 * A character of the extension table is sent as ESC (0x1B) + its septet, and
 * so costs two septets. */

#define GSM7_ESC 0x1B

/* Finds cp in the default alphabet or the extension table. Returns false if
 * cp has no GSM-7 form. *ext tells whether it needs the escape. */
bool gsm7_lookup(uint32_t cp, uint8_t *septet, bool *ext);

/* Septets cp costs: 1, 2 (extension table) or 0 (not representable). */
unsigned gsm7_units(uint32_t cp);

/* The code point of a septet of the default alphabet (0x1B gives 0x1B). */
uint32_t gsm7_char(uint8_t septet);

/* The code point of an escaped septet, or 0 when the extension table has
 * none there (the receiver then shows the default-alphabet character). */
uint32_t gsm7_ext_char(uint8_t septet);

/* Packs n septets into octets, 8 septets in 7 octets, after fill_bits (0-6)
 * zero bits that align the text after a user data header. Returns the number
 * of octets written to out (at least (fill_bits + 7n + 7) / 8 of room). */
size_t gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out);

/* Unpacks up to max septets from noct octets, skipping fill_bits first.
 * Returns the number of septets written. */
size_t gsm7_unpack(const uint8_t *octets, size_t noct, unsigned fill_bits, uint8_t *out,
                   size_t max);

#endif

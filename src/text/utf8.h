#ifndef RL_UTF8_H
#define RL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Hand-written because it is 40 lines on the hottest path of every
 * message, and ICU's converters would allocate per call. */

/* Decodes one code point from s[0..n). Returns its length in bytes (1-4), or 0
 * when the bytes there are not valid UTF-8 (then *cp is left untouched). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes cp as UTF-8 into out; returns the length (1-4), or 0 if cp is not a
 * Unicode scalar value. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* Makes the NUL-terminated s valid UTF-8 in place, for messages that quote
 * outside input or were cut by a size limit: a sequence cut short at the end
 * is dropped, any other invalid byte becomes '?'. */
void utf8_scrub(char *s);

/* Returns 0, or RL_EUTF8 with *bad_at (if not NULL) set to the first bad byte. */
int utf8_validate(const char *s, size_t n, size_t *bad_at);

#endif

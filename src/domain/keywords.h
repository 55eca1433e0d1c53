#ifndef RL_KEYWORDS_H
#define RL_KEYWORDS_H

#include <stddef.h>

/* Consent keywords in inbound SMS, as a pure function of the text: no I/O,
 * no allocation, safe from any thread.
 *
 * A keyword counts only as the whole message, so that "please stop calling
 * me about the order" or "STOP, what is this?" opt nobody out by accident,
 * while the ways a phone user really types one still count:
 *   - case: "Stop", "sToP";
 *   - accents: "ARRÊT", "arrêt", "Arrêt", "arret", and the same written with
 *     a combining accent (e + U+0302);
 *   - whitespace at either end and inside: " STOP   SMS\n" is "stop sms"
 *     (runs of spaces, tabs, newlines, no-break and other Unicode spaces
 *     collapse to one space; zero-width spaces and BOMs vanish);
 *   - punctuation around it: "stop!", "Stop.", "« STOP »", "STOP !!!",
 *     "(stop)", "¡stop!" (punctuation inside is kept: "stop.sms" is not
 *     "stop sms").
 *   - fullwidth Latin (Ｓｔｏｐ), as some phone keyboards type it.
 *
 * The lists (DESIGN.md §1 and the issue, no more: an unexpected opt-out
 * surprises the sender as much as a missed one surprises the recipient):
 *   STOP:  stop, stop sms, arret, unsubscribe, end, quit
 *   START: start, unstop
 *
 * Accents are removed with a hand mapping of Latin-1 Supplement and Latin
 * Extended-A (U+00C0..U+017F: the letters of French, Spanish, German, Polish,
 * Czech, Turkish… — æ and œ become ae and oe, ß ss) and combining marks
 * U+0300..U+036F are dropped. ICU's transliterator would cover every script
 * but costs an allocation and a mutex-guarded cache per call, and only Latin
 * letters can spell these keywords. */

enum keyword {
    KEYWORD_NONE,
    KEYWORD_STOP,  /* opt out of marketing */
    KEYWORD_START, /* opt back in to marketing */
};

/* Longest normalised text keyword_match looks at: longer cannot be a keyword. */
#define KEYWORD_NORM_MAX 32

/* Writes the normalised form of text[0..len) (borrowed; need not be
 * NUL-terminated) into out (cap bytes, NUL-terminated): surrounding whitespace
 * and punctuation trimmed, inner whitespace runs collapsed to one space,
 * Latin letters lower-cased without accents; anything else is copied as it is.
 * Returns its length, RL_EUTF8 if text is not valid UTF-8, or RL_ETOOLONG if
 * it does not fit in cap (out then holds a truncated prefix). */
int keyword_normalize(const char *text, size_t len, char *out, size_t cap);

/* Which keyword text[0..len) (borrowed) is, as a whole message; KEYWORD_NONE
 * for anything else, invalid UTF-8 included. */
enum keyword keyword_match(const char *text, size_t len);

/* "stop", "start", "none". */
const char *keyword_name(enum keyword k);

#endif

#ifndef RL_SENDER_H
#define RL_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Sender IDs, the "from" of a message, as carriers accept them (GSM 03.40's
 * alphanumeric originating address, 11 GSM characters, narrowed to what
 * carriers reliably pass through):
 *   alphanumeric  1..11 characters, ASCII letters, digits and spaces, at least
 *                 one letter, no leading or trailing space   ("MaBoutique")
 *   numeric       an optional '+', then 1..15 digits (E.164)  ("+33612345678")
 * A value of digits only is numeric, whatever its length. Anything else is
 * refused with a message naming the rule broken and the value.
 *
 * How a route will address them in SMPP (source_addr_ton / source_addr_npi):
 * alphanumeric 5/0; numeric with '+', international 1/1 (source_addr without
 * the '+'); numeric without '+' is left to the route's configuration, since a
 * short code and a national number need different TONs on different networks. */

#define SENDER_ALNUM_MAX   11
#define SENDER_NUMERIC_MAX 15

enum sender_kind { SENDER_ALPHANUMERIC, SENDER_NUMERIC };

struct sender_info {
    enum sender_kind kind;
    bool plus;  /* numeric, written with a leading '+' */
    size_t len; /* characters (alphanumeric) or digits (numeric, '+' not counted) */
    char addr[SENDER_NUMERIC_MAX + 1]; /* source_addr as sent: the ID, without '+' */
};

/* Checks s[0..len) (UTF-8, borrowed). Returns 0 with *out filled, or RL_ESENDER
 * with err (field "from") naming the rule and the value, e.g. "sender
 * 'MaBoutique2024' is 14 characters; alphanumeric sender IDs are at most 11". */
int sender_check(const char *s, size_t len, struct sender_info *out, struct rl_err *err);

#endif

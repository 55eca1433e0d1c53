#ifndef RL_BILLING_H
#define RL_BILLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"

/* Prices and credit, as pure arithmetic. Money is an int64_t count of
 * millionths of the currency unit ("micro-euros" for EUR), never a double:
 * 0.045 has no exact binary form, so a million additions of it drift by
 * cents, and a balance compared with a threshold or a cost could then pass or
 * fail by a rounding error. Integers add exactly, store exactly (SQLite and
 * PostgreSQL INTEGER/BIGINT) and compare exactly; six decimals is finer than
 * any carrier's tariff, and int64_t still holds 9.2 trillion units. */

#define BILLING_MICRO      1000000LL              /* micro-units in one unit */
#define BILLING_PRICE_MAX  (1000 * BILLING_MICRO) /* per segment: a typo, not a tariff, past it */
#define BILLING_AMOUNT_MAX (1000000000000LL * BILLING_MICRO) /* balances, thresholds: 1e12 */
#define BILLING_PREFIX_MAX 15

struct billing_price {
    char prefix[BILLING_PREFIX_MAX + 1]; /* digits only, no '+' */
    int64_t micro;                       /* per segment */
};

/* Caller-owned; billing_table_init fills it, billing_table_release frees it. */
struct billing_table {
    char currency[4];             /* ISO 4217, e.g. "EUR" */
    int64_t default_micro;        /* per segment where no prefix matches */
    int64_t low_balance_micro;    /* 0: no low-balance alert */
    struct billing_price *prices; /* owned; n entries, in the order written */
    size_t n;
};

/* Reads a decimal amount s[0..len) (borrowed): digits, then optionally '.' and
 * 1 to 6 digits ("0.045", "10", "0.000001"); no sign, no exponent, no spaces.
 * Returns 0 with *out in micro-units, RL_EPARSE (not that form, or more than 6
 * decimals), or RL_ERANGE (over max micro-units). No err: the caller names
 * the entry. */
int billing_amount_parse(const char *s, size_t len, int64_t max, int64_t *out);

/* Writes micro-units as a decimal without trailing zeros ("0.135", "10",
 * "-2.5"). Returns the length, or RL_ETOOLONG when n is too small (25 is
 * always enough). */
int billing_amount_format(int64_t micro, char *out, size_t n);

/* Parses a price list "+33:0.045,+32:0.065" (borrowed; spaces around entries
 * and around ':' allowed; "" is an empty list) into t->prices, replacing
 * them. Each prefix is '+' then 1 to 15 digits, each price at most
 * BILLING_PRICE_MAX; a prefix listed twice is refused. Returns 0, or
 * RL_ECONFIG with err on field "billing.prices" naming the entry (its number
 * and text) and what is wrong; t is unchanged on failure. */
int billing_prices_parse(struct billing_table *t, const char *text, struct rl_err *err);

/* Fills t from c's [billing] keys (borrowed): currency (3 upper-case
 * letters), default_price, prices, low_balance. Returns 0 or RL_ECONFIG
 * naming the key and value; t needs no release on failure. */
int billing_table_init_cfg(struct billing_table *t, const struct cfg *c, struct rl_err *err);
/* Frees what t owns; t may be initialised again. */
void billing_table_release(struct billing_table *t);

/* The price of one segment to e164 (borrowed, "+33612345678"): the entry
 * with the longest prefix it starts with, else the default. */
int64_t billing_price(const struct billing_table *t, const char *e164);

/* What segments segments to e164 cost, in micro-units; INT64_MAX when the
 * product would overflow (no balance can afford it). */
int64_t billing_cost(const struct billing_table *t, const char *e164, size_t segments);

/* True when a balance (may be negative after an adjustment) pays for cost.
 * A free message (cost <= 0) is always affordable. */
bool billing_can_afford(int64_t balance, int64_t cost);

/* True only when a debit takes the balance from at or above threshold to
 * below it, so the low-balance warning and event fire once per crossing, not
 * once per message sent while low. A threshold of 0 or less never fires. */
bool billing_crossed_low(int64_t before, int64_t after, int64_t threshold);

#endif
